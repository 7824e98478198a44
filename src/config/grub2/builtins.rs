//! GRUB's commands as a Xen PV guest's GRUB 2.06 would run them — without ever
//! writing to the guest (`save_env` is a no-op) and recording, instead of loading,
//! what `linux`/`initrd` would load.

use super::eval::{errno, Abort, Context, EntryRun, Flow, Interp, Item, Loaded};
use super::parser::Block;
use super::test_cmd::{self, FileInfo, FileTests};
use crate::error::ErrorKind;
use crate::fs::FileKind;
use std::rc::Rc;

/// Commands accepted and ignored: display, terminal, modules, diagnostics.
const SILENT: &[&str] = &[
    "insmod",
    "rmmod",
    "echo",
    "terminal_output",
    "terminal_input",
    "terminal",
    "terminfo",
    "serial",
    "loadfont",
    "background_image",
    "background_color",
    "clear",
    "sleep",
    "play",
    "videoinfo",
    "vbeinfo",
    "lsmod",
    "ls",
    "cat",
    "help",
    "badram",
    "cutmem",
    "gettext",
    "drivemap",
    "parttool",
    "lspci",
    "lsfonts",
    "fwsetup",
    "halt",
    "reboot",
    "boot",
    "devicetree",
    "module",
    "module2",
    "save_env",
    "list_env",
    "exit",
    "hashsum",
    "md5sum",
    "sha256sum",
    "set_gfxpayload",
    "tpm2_key_protector_init",
    // Menu passwords: a Xen host boots the guest without asking.
    "password",
    "password_pbkdf2",
];

/// Loader commands that load something other than a Linux kernel.
const OTHER_LOADERS: &[&str] = &[
    "chainloader",
    "kfreebsd",
    "knetbsd",
    "kopenbsd",
    "xnu_kernel",
    "xnu_kernel64",
    "ntldr",
    "freedos",
    "appleloader",
    "legacy_kernel",
    "truecrypt",
    "pxechainloader",
    "plan9",
];

/// How many values an option takes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arity {
    /// None.
    Flag,
    /// Exactly one.
    Value,
    /// One when given (`--set=VAR` or a following word not starting with `-`).
    Optional,
}

/// Options as GRUB's `grub_arg_parse` reads them.
pub(crate) struct Opts {
    /// Each option met, by long name, with its value.
    pub seen: Vec<(&'static str, Option<String>)>,
    /// The other arguments.
    pub rest: Vec<String>,
}

impl Opts {
    pub(crate) fn has(&self, name: &str) -> bool {
        self.seen.iter().any(|(n, _)| *n == name)
    }

    pub(crate) fn value(&self, name: &str) -> Option<&str> {
        self.seen
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    pub(crate) fn values(&self, name: &str) -> Vec<String> {
        self.seen
            .iter()
            .filter(|(n, _)| *n == name)
            .filter_map(|(_, v)| v.clone())
            .collect()
    }
}

/// Parses `args` against `spec` (long name, short letter, arity).
pub(crate) fn parse_opts(
    args: &[String],
    spec: &[(&'static str, Option<char>, Arity)],
) -> std::result::Result<Opts, String> {
    let mut seen = Vec::new();
    let mut rest = Vec::new();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        if !arg.starts_with('-') || arg.len() == 1 {
            rest.push(arg.clone());
            i += 1;
            continue;
        }
        if let Some(long) = arg.strip_prefix("--") {
            if long.is_empty() {
                rest.extend(args.iter().skip(i + 1).cloned());
                break;
            }
            let (name, mut value) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let Some(&(lname, _, arity)) = spec.iter().find(|(l, _, _)| *l == name) else {
                return Err(format!("unknown argument `{arg}'"));
            };
            if value.is_none() && arity != Arity::Flag {
                if let Some(next) = args.get(i + 1).filter(|n| !n.starts_with('-')) {
                    value = Some(next.clone());
                    i += 1;
                }
            }
            if arity == Arity::Value && value.is_none() {
                return Err(format!("missing mandatory option for `{lname}'"));
            }
            seen.push((lname, if arity == Arity::Flag { None } else { value }));
            i += 1;
            continue;
        }
        let shorts: Vec<char> = arg.chars().skip(1).collect();
        for (k, c) in shorts.iter().enumerate() {
            let Some(&(lname, _, arity)) = spec.iter().find(|(_, s, _)| *s == Some(*c)) else {
                return Err(format!("unknown argument `-{c}'"));
            };
            let last = k + 1 == shorts.len();
            if !last {
                if arity == Arity::Value {
                    return Err(format!("missing mandatory option for `{lname}'"));
                }
                seen.push((lname, None));
                continue;
            }
            let mut value = None;
            if arity != Arity::Flag {
                if let Some(next) = args.get(i + 1) {
                    if arity == Arity::Value || next.len() < 2 || !next.starts_with('-') {
                        value = Some(next.clone());
                        i += 1;
                    }
                }
                if arity == Arity::Value && value.is_none() {
                    return Err(format!("missing mandatory option for `{lname}'"));
                }
            }
            seen.push((lname, value));
        }
        i += 1;
    }
    Ok(Opts { seen, rest })
}

/// File tests against the guest disk.
struct DiskFiles<'i, 'a> {
    it: &'i Interp<'a>,
}

impl FileTests for DiskFiles<'_, '_> {
    fn info(&mut self, path: &str) -> Option<FileInfo> {
        // GRUB looks the last component up in its directory listing.
        let (dev, p) = match path.strip_prefix('(') {
            Some(r) => {
                let close = r.find(')')?;
                (r[..close].to_string(), r[close + 1..].to_string())
            }
            None => (self.it.get("root")?.to_string(), path.to_string()),
        };
        let vol = self.it.device_volume(&dev)?;
        let fs = self.it.volumes.get(vol)?.fs.clone()?;
        let p = p.trim_end_matches('/');
        if p.is_empty() {
            return Some(FileInfo { dir: true });
        }
        let (dir, name) = match p.rfind('/') {
            Some(i) => (if i == 0 { "/" } else { &p[..i] }, &p[i + 1..]),
            None => ("/", p),
        };
        let fold = fs.contains("fat");
        let entries = self.it.disk.read_dir(vol, dir).ok()?;
        let e = entries.iter().find(|e| {
            if fold {
                e.name.eq_ignore_ascii_case(name)
            } else {
                e.name == name
            }
        })?;
        Some(FileInfo {
            dir: e.kind == FileKind::Dir,
        })
    }

    fn nonempty(&mut self, path: &str) -> bool {
        match self.it.resolve(path) {
            Ok((vol, p)) => self
                .it
                .disk
                .stat(vol, &p)
                .is_ok_and(|s| s.kind == FileKind::File && s.len > 0),
            Err(_) => false,
        }
    }
}

impl Interp<'_> {
    /// Runs the built-in command `name`; `None` when there is no such command.
    pub(crate) fn builtin(
        &mut self,
        name: &str,
        args: &[String],
        block: Option<&Block>,
    ) -> Option<Flow<i32>> {
        let r = match name {
            "set" => self.cmd_set(args),
            "unset" => {
                for a in args {
                    self.unset(a);
                }
                Ok(0)
            }
            "export" => args.iter().try_for_each(|a| self.export(a)).map(|()| 0),
            "true" => Ok(0),
            "false" => Ok(errno::TEST_FAILURE),
            "test" | "[" => {
                let ok = test_cmd::test(args, &mut DiskFiles { it: self });
                Ok(if ok { 0 } else { errno::TEST_FAILURE })
            }
            "source" | "." => self.cmd_source(args, false),
            "configfile" | "normal" => self.cmd_source(args, true),
            "load_env" => self.cmd_load_env(args),
            "search" | "search.file" | "search.fs_label" | "search.fs_uuid" => {
                self.cmd_search(name, args)
            }
            "probe" => self.cmd_probe(args),
            "linux" | "linux16" | "linuxefi" => Ok(self.cmd_linux(args)),
            "initrd" | "initrd16" | "initrdefi" => Ok(self.cmd_initrd(args)),
            "multiboot" | "multiboot2" => Ok(self.load_other(format!(
                "`{name}' loads a multiboot kernel (such as the Xen hypervisor), not a PV kernel"
            ))),
            n if OTHER_LOADERS.contains(&n) => Ok(self.load_other(format!(
                "`{name}' loads something other than a Linux kernel"
            ))),
            "menuentry" | "submenu" => self.cmd_menuentry(name, args, block),
            "blscfg" | "bls_import" => super::bls::blscfg(self, args),
            "return" => Ok(self.cmd_return(args)),
            "break" | "continue" => Ok(self.cmd_break(name, args)),
            "shift" => Ok(self.cmd_shift(args)),
            "setparams" => Ok(self.cmd_setparams(args)),
            "eval" => self.run_text(&args.join(" ")),
            "keystatus" | "read" => Ok(errno::TEST_FAILURE),
            "cpuid" => Ok(0),
            "regexp" | "loopback" => {
                self.warn(format!("`{name}' is not supported; treated as failing"));
                Ok(errno::BAD_ARGUMENT)
            }
            n if SILENT.contains(&n) => Ok(0),
            _ => return None,
        };
        Some(r)
    }

    fn cmd_set(&mut self, args: &[String]) -> Flow<i32> {
        let Some(a) = args.first() else { return Ok(0) };
        match a.split_once('=') {
            Some((k, v)) => {
                self.set(k, v)?;
                Ok(0)
            }
            None => {
                self.warn(format!("set {a}: not an assignment"));
                Ok(errno::BAD_ARGUMENT)
            }
        }
    }

    fn cmd_source(&mut self, args: &[String], new_context: bool) -> Flow<i32> {
        let Some(path) = args.first() else {
            self.warn("source/configfile: filename expected");
            return Ok(errno::BAD_ARGUMENT);
        };
        if new_context {
            if let Some(run) = &mut self.entry {
                run.loaded = Loaded::Other(format!(
                    "the entry loads another GRUB configuration ({path})"
                ));
                return Ok(0);
            }
        }
        self.include(path, new_context)
    }

    fn cmd_load_env(&mut self, args: &[String]) -> Flow<i32> {
        let opts = match parse_opts(
            args,
            &[
                ("file", Some('f'), Arity::Value),
                ("skip-sig", Some('s'), Arity::Flag),
            ],
        ) {
            Ok(o) => o,
            Err(e) => {
                self.warn(format!("load_env: {e}"));
                return Ok(errno::BAD_ARGUMENT);
            }
        };
        let file = match opts.value("file") {
            Some(f) => f.to_string(),
            None => match self.get("prefix") {
                Some(p) => format!("{p}/grubenv"),
                None => {
                    self.warn("load_env: variable `prefix' isn't set");
                    return Ok(errno::FILE_NOT_FOUND);
                }
            },
        };
        let bytes = match self.read_path(&file) {
            Ok(b) => b,
            Err((code, msg)) => {
                self.warn(format!("load_env: {msg}"));
                return Ok(code);
            }
        };
        let Some(vars) = super::env::parse(&bytes) else {
            self.warn(format!("load_env: {file}: invalid environment block"));
            return Ok(errno::BAD_FILE_TYPE);
        };
        for (k, v) in vars {
            if opts.rest.is_empty() || opts.rest.contains(&k) {
                self.set(&k, &v)?;
            }
        }
        Ok(0)
    }

    fn cmd_search(&mut self, name: &str, args: &[String]) -> Flow<i32> {
        #[derive(PartialEq)]
        enum Mode {
            File,
            Label,
            Uuid,
        }
        let (mode, key, var, hints) = if name == "search" {
            let hint = Arity::Value;
            let opts = match parse_opts(
                args,
                &[
                    ("file", Some('f'), Arity::Flag),
                    ("label", Some('l'), Arity::Flag),
                    ("fs-uuid", Some('u'), Arity::Flag),
                    ("set", Some('s'), Arity::Optional),
                    ("no-floppy", Some('n'), Arity::Flag),
                    ("efidisk-only", None, Arity::Flag),
                    ("hint", Some('h'), hint),
                    ("hint-ieee1275", None, hint),
                    ("hint-bios", None, hint),
                    ("hint-baremetal", None, hint),
                    ("hint-efi", None, hint),
                    ("hint-arc", None, hint),
                ],
            ) {
                Ok(o) => o,
                Err(e) => {
                    self.warn(format!("search: {e}"));
                    return Ok(errno::BAD_ARGUMENT);
                }
            };
            let mode = if opts.has("fs-uuid") {
                Mode::Uuid
            } else if opts.has("label") {
                Mode::Label
            } else {
                Mode::File
            };
            let var = opts
                .has("set")
                .then(|| opts.value("set").unwrap_or("root").to_string());
            let mut hints = Vec::new();
            for h in [
                "hint",
                "hint-ieee1275",
                "hint-bios",
                "hint-baremetal",
                "hint-efi",
                "hint-arc",
            ] {
                hints.extend(opts.values(h));
            }
            let Some(key) = opts.rest.first().cloned() else {
                self.warn("search: one argument expected");
                return Ok(errno::BAD_ARGUMENT);
            };
            (mode, key, var, hints)
        } else {
            let mode = match name {
                "search.fs_uuid" => Mode::Uuid,
                "search.fs_label" => Mode::Label,
                _ => Mode::File,
            };
            let Some(key) = args.first().cloned() else {
                self.warn(format!("{name}: one argument expected"));
                return Ok(errno::BAD_ARGUMENT);
            };
            (
                mode,
                key,
                args.get(1).cloned(),
                args.get(2..).unwrap_or_default().to_vec(),
            )
        };
        let mut order: Vec<usize> = hints
            .iter()
            .filter_map(|h| {
                let h = h.trim_start_matches('(').trim_end_matches(')');
                self.device_volume(h)
            })
            .collect();
        order.extend(0..self.volumes.len());
        let found = order.into_iter().find(|&v| {
            let Some(vol) = self.volumes.get(v) else {
                return false;
            };
            if vol.fs.is_none() {
                return false;
            }
            match mode {
                Mode::Uuid => vol
                    .uuid
                    .as_deref()
                    .is_some_and(|u| u.eq_ignore_ascii_case(&key)),
                Mode::Label => vol.label.as_deref() == Some(key.as_str()),
                Mode::File => self
                    .disk
                    .stat(v, &key)
                    .is_ok_and(|s| s.kind == FileKind::File),
            }
        });
        match found {
            Some(v) => {
                if let Some(var) = var {
                    let dev = self.device_name(v);
                    self.set(&var, &dev)?;
                }
                Ok(0)
            }
            None => {
                self.warn(format!("search: no such device: {key}"));
                Ok(errno::FILE_NOT_FOUND)
            }
        }
    }

    fn cmd_probe(&mut self, args: &[String]) -> Flow<i32> {
        let opts = match parse_opts(
            args,
            &[
                ("set", Some('s'), Arity::Value),
                ("driver", Some('d'), Arity::Flag),
                ("partmap", Some('p'), Arity::Flag),
                ("fs", Some('f'), Arity::Flag),
                ("fs-uuid", Some('u'), Arity::Flag),
                ("label", Some('l'), Arity::Flag),
                ("part-uuid", None, Arity::Flag),
            ],
        ) {
            Ok(o) => o,
            Err(e) => {
                self.warn(format!("probe: {e}"));
                return Ok(errno::BAD_ARGUMENT);
            }
        };
        let Some(dev) = opts.rest.first() else {
            self.warn("probe: device name required");
            return Ok(errno::BAD_ARGUMENT);
        };
        let dev = dev.trim_start_matches('(').trim_end_matches(')');
        let Some(v) = self.device_volume(dev) else {
            self.warn(format!("probe: disk `{dev}' not found"));
            return Ok(errno::UNKNOWN_DEVICE);
        };
        let vol = self.volumes.get(v).cloned().unwrap_or_default();
        let value = if opts.has("fs-uuid") {
            vol.uuid
        } else if opts.has("label") {
            vol.label
        } else if opts.has("fs") {
            vol.fs.map(|f| {
                if f.starts_with("ext") {
                    "ext2".into()
                } else {
                    f
                }
            })
        } else if opts.has("partmap") {
            Some(
                vol.name
                    .trim_end_matches(|c: char| c.is_ascii_digit())
                    .to_string(),
            )
        } else if opts.has("driver") {
            Some("xen".to_string())
        } else {
            None
        };
        let Some(value) = value else {
            self.warn(format!("probe: nothing to report for `{dev}'"));
            return Ok(errno::BAD_ARGUMENT);
        };
        if let Some(var) = opts.value("set") {
            let var = var.to_string();
            self.set(&var, &value)?;
        }
        Ok(0)
    }

    fn load_other(&mut self, why: String) -> i32 {
        if let Some(run) = &mut self.entry {
            run.loaded = Loaded::Other(why);
            run.initrds.clear();
        }
        0
    }

    /// Resolves a file the loader needs and checks it exists when the filesystem
    /// can tell.
    fn loader_file(&mut self, cmd: &str, path: &str) -> std::result::Result<(usize, String), i32> {
        let (vol, p) = match self.resolve(path) {
            Ok(x) => x,
            Err((code, msg)) => {
                self.warn(format!("{cmd}: {msg}"));
                return Err(code);
            }
        };
        match self.disk.stat(vol, &p) {
            Ok(st) if st.kind == FileKind::Dir => {
                self.warn(format!("{cmd}: {path} is a directory"));
                Err(errno::BAD_FILE_TYPE)
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                self.warn(format!("{cmd}: file `{path}' not found"));
                Err(errno::FILE_NOT_FOUND)
            }
            _ => Ok((vol, p)),
        }
    }

    fn cmd_linux(&mut self, args: &[String]) -> i32 {
        if self.entry.is_none() {
            return 0;
        }
        let Some(kernel) = args.first() else {
            self.warn("linux: filename expected");
            return errno::BAD_ARGUMENT;
        };
        let loaded = match self.loader_file("linux", kernel) {
            Ok((volume, path)) => Loaded::Linux {
                volume,
                path,
                args: args.get(1..).unwrap_or_default().to_vec(),
            },
            Err(code) => {
                if let Some(run) = &mut self.entry {
                    *run = EntryRun::default();
                }
                return code;
            }
        };
        if let Some(run) = &mut self.entry {
            run.loaded = loaded;
            run.initrds.clear();
        }
        0
    }

    fn cmd_initrd(&mut self, args: &[String]) -> i32 {
        match &self.entry {
            None => return 0,
            Some(run) if !matches!(run.loaded, Loaded::Linux { .. }) => {
                self.warn("initrd: you need to load the kernel first");
                return errno::BAD_OS;
            }
            Some(_) => {}
        }
        if args.is_empty() {
            self.warn("initrd: filename expected");
            return errno::BAD_ARGUMENT;
        }
        let mut files = Vec::new();
        for a in args {
            match self.loader_file("initrd", a) {
                Ok(f) => files.push(f),
                Err(code) => return code,
            }
        }
        if let Some(run) = &mut self.entry {
            run.initrds = files;
        }
        0
    }

    fn cmd_menuentry(&mut self, name: &str, args: &[String], block: Option<&Block>) -> Flow<i32> {
        let opts = match parse_opts(
            args,
            &[
                ("class", None, Arity::Value),
                ("users", None, Arity::Value),
                ("hotkey", None, Arity::Value),
                ("source", None, Arity::Value),
                ("id", None, Arity::Value),
                ("unrestricted", None, Arity::Flag),
            ],
        ) {
            Ok(o) => o,
            Err(e) => {
                self.warn(format!("{name}: {e}"));
                return Ok(errno::BAD_ARGUMENT);
            }
        };
        let Some(title) = opts.rest.first().cloned() else {
            self.warn(format!("{name}: missing arguments"));
            return Ok(errno::BAD_ARGUMENT);
        };
        let body = match (block, opts.value("source")) {
            (Some(_), Some(_)) => {
                self.warn(format!("{name}: multiple menuentry definitions"));
                return Ok(errno::BAD_ARGUMENT);
            }
            (None, None) => {
                self.warn(format!("{name}: no menuentry definition"));
                return Ok(errno::BAD_ARGUMENT);
            }
            (Some(b), None) => Rc::new(vec![Ok(Rc::clone(&b.body))]),
            (None, Some(src)) => Rc::new(super::parser::parse(src)),
        };
        self.add_item(Item {
            title,
            id: opts.value("id").map(str::to_string),
            args: opts.rest.clone(),
            body,
            submenu: name == "submenu",
        })?;
        Ok(0)
    }

    /// Appends an item to the current menu, within `Limits::max_entries`.
    pub(crate) fn add_item(&mut self, item: Item) -> Flow<()> {
        let max = self.limits.max_entries;
        let ctx: &mut Context = match self.ctxs.last_mut() {
            Some(c) => c,
            None => return Ok(()),
        };
        if ctx.menu.len() >= max {
            return Err(Abort::Limit(crate::error::Error::limit(format!(
                "a menu has more than {max} entries"
            ))));
        }
        ctx.menu.push(item);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn options_like_grub_arg_parse() {
        let spec = [
            ("fs-uuid", Some('u'), Arity::Flag),
            ("set", Some('s'), Arity::Optional),
            ("no-floppy", Some('n'), Arity::Flag),
            ("hint", Some('h'), Arity::Value),
        ];
        let o = parse_opts(
            &s(&["--no-floppy", "--fs-uuid", "--set=root", "abcd"]),
            &spec,
        )
        .unwrap();
        assert_eq!(o.value("set"), Some("root"));
        assert_eq!(o.rest, s(&["abcd"]));
        let o = parse_opts(&s(&["-nus", "x", "abcd"]), &spec).unwrap();
        assert_eq!(o.value("set"), Some("x"));
        assert!(o.has("fs-uuid"));
        let o = parse_opts(&s(&["--set", "-u", "abcd"]), &spec).unwrap();
        assert!(o.has("set") && o.value("set").is_none());
        let o = parse_opts(&s(&["--hint", "hd0,msdos1", "--", "--x"]), &spec).unwrap();
        assert_eq!(o.values("hint"), s(&["hd0,msdos1"]));
        assert_eq!(o.rest, s(&["--x"]));
        assert!(parse_opts(&s(&["--bogus"]), &spec).is_err());
        assert!(parse_opts(&s(&["--hint"]), &spec).is_err());
    }
}
