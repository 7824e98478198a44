//! GRUB legacy (0.9x) `menu.lst` / `grub.conf`.
//!
//! The language is line based: a command word, then its arguments, separated from the
//! command by blanks or `=` (GRUB's `skip_to` skips any run of both, so `default=0`,
//! `timeout 5` and `title=x` all work). Commands before the first `title` are global;
//! each `title` starts an entry that runs to the next one. `#` starts a comment line.
//!
//! Semantics kept from GRUB 0.97:
//! - partitions are numbered from 0 (`(hd0,0)` is the first, [`Entry::partition`] 1);
//!   a `root` before the first `title` is in effect for every entry that sets none;
//! - `kernel [--type=T] [--no-mem-option] FILE ARGS…`: the options are skipped, a
//!   device prefix on FILE names the partition, the remaining words are the command
//!   line (joined by single spaces);
//! - `default N` counts entries from 0; `default saved` reads the entry number that
//!   `savedefault` stored in the `default` file next to the configuration;
//! - `fallback N…` is used when the default entry cannot be booted as a PV kernel
//!   (GRUB would try the fallback when booting the default fails);
//! - `chainloader`, `module`/`modulenounzip` (multiboot: Xen hypervisor plus dom0
//!   kernel) and `configfile` entries are listed but not bootable.

use super::{device_partition, split_device, ParseContext};
use crate::error::{Error, Result};
use crate::menu::{Entry, Menu};

/// Why a chainloading entry cannot be booted.
const WHY_CHAINLOADER: &str = "chainloader: hands control to another boot loader, not a PV kernel";
/// Why a multiboot entry cannot be booted.
const WHY_MULTIBOOT: &str = "multiboot entry (module lines): a hypervisor such as Xen with \
     its dom0 kernel as modules, not a PV kernel";
/// Why a `configfile` entry cannot be booted.
const WHY_CONFIGFILE: &str = "configfile: loads another menu, not a kernel";

/// Commands accepted and ignored without a warning: they only affect the console,
/// security or the BIOS boot, not which kernel a PV guest boots.
const IGNORED: &[&str] = &[
    "hiddenmenu",
    "password",
    "lock",
    "savedefault",
    "splashimage",
    "color",
    "serial",
    "terminal",
    "makeactive",
    "map",
    "boot",
    "gfxmenu",
    "foreground",
    "background",
    "setkey",
    "hide",
    "unhide",
    "pager",
    "debug",
    "verbose",
];

/// The `default` setting before it is resolved against the entries.
enum DefaultSpec {
    /// `default N`.
    Number(usize),
    /// `default saved`.
    Saved,
}

/// An entry being built.
struct Builder {
    entry: Entry,
    /// Partition set by `root`/`rootnoverify` inside the entry.
    root: Option<u32>,
    /// Line of the `title`, for warnings.
    line: usize,
}

/// Parses a GRUB legacy configuration into a menu.
pub fn parse(text: &str, ctx: &mut ParseContext<'_>) -> Result<Menu> {
    let mut menu = Menu::default();
    let mut global_root: Option<u32> = None;
    let mut current: Option<Builder> = None;
    let mut default = DefaultSpec::Number(0);
    let mut fallback: Vec<usize> = Vec::new();

    for (n, raw) in text.lines().enumerate() {
        let line = n.saturating_add(1);
        let Some((cmd, rest)) = split_command(raw) else {
            continue;
        };
        match cmd {
            "title" => {
                if let Some(b) = current.take() {
                    push_entry(&mut menu, b, ctx)?;
                }
                let position = vec![menu.entries.len()];
                current = Some(Builder {
                    entry: Entry {
                        title: rest.trim_end().to_string(),
                        position,
                        ..Entry::default()
                    },
                    root: None,
                    line,
                });
            }
            "root" | "rootnoverify" => {
                let part = rest
                    .split_whitespace()
                    .next()
                    .and_then(|dev| split_device(dev).1)
                    .and_then(|dev| device_partition(dev, true));
                match current.as_mut() {
                    Some(b) => b.root = part,
                    None => global_root = part,
                }
            }
            "kernel" | "initrd" | "module" | "modulenounzip" | "chainloader" | "configfile" => {
                let Some(b) = current.as_mut() else {
                    ctx.warnings.push(format!(
                        "grub-legacy line {line}: `{cmd}` outside any title, ignored"
                    ));
                    continue;
                };
                let root = b.root.or(global_root);
                entry_command(b, cmd, rest, root, line, ctx);
            }
            "default" => {
                let word = rest.split_whitespace().next().unwrap_or("");
                default = if word == "saved" {
                    DefaultSpec::Saved
                } else if let Ok(v) = word.parse::<usize>() {
                    DefaultSpec::Number(v)
                } else {
                    ctx.warnings.push(format!(
                        "grub-legacy line {line}: `default {word}` is not a number, using entry 0"
                    ));
                    DefaultSpec::Number(0)
                };
            }
            "fallback" => {
                fallback = rest
                    .split_whitespace()
                    .filter_map(|w| w.parse::<usize>().ok())
                    .collect();
            }
            "timeout" => {
                menu.timeout = rest
                    .split_whitespace()
                    .next()
                    .and_then(|w| w.parse::<u64>().ok());
            }
            c if IGNORED.contains(&c) => {}
            other => ctx.warnings.push(format!(
                "grub-legacy line {line}: unknown command `{other}`, ignored"
            )),
        }
    }
    if let Some(b) = current.take() {
        push_entry(&mut menu, b, ctx)?;
    }
    menu.default = choose_default(&menu, default, &fallback, ctx);
    Ok(menu)
}

/// Splits a line into its command word and arguments; `None` for blank lines and
/// comments.
fn split_command(raw: &str) -> Option<(&str, &str)> {
    let line = raw.trim_start();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let end = line.find([' ', '\t', '=']).unwrap_or(line.len());
    let (cmd, rest) = line.split_at(end);
    let rest = rest.trim_start_matches([' ', '\t', '=']);
    Some((cmd, rest.trim_end_matches(['\r', '\n'])))
}

/// Applies one of the commands that describe what an entry boots.
fn entry_command(
    b: &mut Builder,
    cmd: &str,
    rest: &str,
    root: Option<u32>,
    line: usize,
    ctx: &mut ParseContext<'_>,
) {
    match cmd {
        "kernel" => {
            let mut words = rest.split_whitespace();
            let mut path = None;
            for w in words.by_ref() {
                if let Some(opt) = w.strip_prefix("--") {
                    if let Some(kind) = opt.strip_prefix("type=") {
                        if kind != "linux" && kind != "biglinux" {
                            mark(
                                &mut b.entry,
                                format!("kernel --type={kind}: not a Linux kernel"),
                            );
                        }
                    }
                    continue;
                }
                path = Some(w);
                break;
            }
            let Some(path) = path else {
                ctx.warnings.push(format!(
                    "grub-legacy line {line}: `kernel` without a file, ignored"
                ));
                return;
            };
            let (file, dev) = split_device(path);
            b.entry.kernel = Some(file.to_string());
            b.entry.partition = match dev {
                Some(d) => device_partition(d, true),
                None => root,
            };
            b.entry.args = words.collect::<Vec<_>>().join(" ");
        }
        "initrd" => {
            if let Some(path) = rest.split_whitespace().next() {
                b.entry.initrds = vec![split_device(path).0.to_string()];
            }
        }
        "module" | "modulenounzip" => mark(&mut b.entry, WHY_MULTIBOOT.to_string()),
        "chainloader" => mark(&mut b.entry, WHY_CHAINLOADER.to_string()),
        _ => mark(&mut b.entry, WHY_CONFIGFILE.to_string()),
    }
}

/// Records the first reason an entry is not bootable.
fn mark(entry: &mut Entry, why: String) {
    if entry.not_bootable.is_none() {
        entry.not_bootable = Some(why);
    }
}

/// Finishes an entry and appends it, within `Limits::max_entries`.
fn push_entry(menu: &mut Menu, mut b: Builder, ctx: &mut ParseContext<'_>) -> Result<()> {
    if menu.entries.len() >= ctx.limits.max_entries {
        return Err(Error::limit(format!(
            "grub-legacy line {}: more than {} entries",
            b.line, ctx.limits.max_entries
        )));
    }
    if b.entry.kernel.is_none() && b.entry.not_bootable.is_none() {
        b.entry.not_bootable = Some("no kernel command".to_string());
    }
    menu.entries.push(b.entry);
    Ok(())
}

/// Resolves `default` (reading the saved number if asked) and applies `fallback`.
fn choose_default(
    menu: &Menu,
    spec: DefaultSpec,
    fallback: &[usize],
    ctx: &mut ParseContext<'_>,
) -> Option<usize> {
    if menu.entries.is_empty() {
        return None;
    }
    let wanted = match spec {
        DefaultSpec::Number(n) => n,
        DefaultSpec::Saved => read_saved(ctx),
    };
    let mut chosen = if wanted < menu.entries.len() {
        wanted
    } else {
        ctx.warnings.push(format!(
            "grub-legacy: default entry {wanted} does not exist ({} entries), using entry 0",
            menu.entries.len()
        ));
        0
    };
    let bootable = |i: usize| menu.entries.get(i).is_some_and(Entry::is_bootable);
    if !bootable(chosen) {
        if let Some(&f) = fallback.iter().find(|&&f| bootable(f)) {
            ctx.warnings.push(format!(
                "grub-legacy: default entry {chosen} cannot be booted, using fallback entry {f}"
            ));
            chosen = f;
        }
    }
    Some(chosen)
}

/// Reads the entry number `savedefault` stored in the `default` file beside the
/// configuration (its first line); 0 with a warning when missing or garbage.
fn read_saved(ctx: &mut ParseContext<'_>) -> usize {
    let path = sibling(ctx.config_path, "default");
    let bytes = match ctx.files.read(&path) {
        Ok(b) => b,
        Err(e) => {
            ctx.warnings.push(format!(
                "grub-legacy: `default saved` but {path} cannot be read ({e}), using entry 0"
            ));
            return 0;
        }
    };
    let text = super::decode_text(&bytes);
    let first = text.lines().next().unwrap_or("").trim();
    match first.parse::<usize>() {
        Ok(n) => n,
        Err(_) => {
            ctx.warnings.push(format!(
                "grub-legacy: {path} does not start with an entry number, using entry 0"
            ));
            0
        }
    }
}

/// The path of `name` in the directory of the file `path`.
pub(crate) fn sibling(path: &str, name: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, _)) if !dir.is_empty() => format!("{dir}/{name}"),
        Some(_) => format!("/{name}"),
        None => name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FileAccess;
    use crate::limits::Limits;
    use std::collections::HashMap;

    struct Files(HashMap<String, Vec<u8>>);

    impl FileAccess for Files {
        fn read(&self, path: &str) -> Result<Vec<u8>> {
            self.0
                .get(path)
                .cloned()
                .ok_or_else(|| Error::not_found(format!("no {path}")))
        }
        fn exists(&self, path: &str) -> bool {
            self.0.contains_key(path)
        }
    }

    fn run(text: &str, files: &[(&str, &str)]) -> (Menu, Vec<String>) {
        let files = Files(
            files
                .iter()
                .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
                .collect(),
        );
        let limits = Limits::default();
        let mut warnings = Vec::new();
        let mut ctx = ParseContext {
            config_path: "/boot/grub/menu.lst",
            files: &files,
            limits: &limits,
            warnings: &mut warnings,
        };
        let menu = parse(text, &mut ctx).unwrap();
        (menu, warnings)
    }

    #[test]
    fn title_root_kernel_initrd() {
        let (m, w) = run(
            "default=1\ntimeout 5\ntitle  First one \n root (hd0,0)\n kernel /vmlinuz-1 ro  root=/dev/sda1\n\
             initrd /initrd-1\ntitle Second\n\troot (hd0,4)\n\tkernel --type=linux --no-mem-option /vmlinuz-2 quiet\n",
            &[],
        );
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(m.entries.len(), 2);
        let e = &m.entries[0];
        assert_eq!(e.title, "First one");
        assert_eq!(e.kernel.as_deref(), Some("/vmlinuz-1"));
        assert_eq!(e.args, "ro root=/dev/sda1");
        assert_eq!(e.initrds, vec!["/initrd-1".to_string()]);
        assert_eq!(e.partition, Some(1));
        assert_eq!(e.position, vec![0]);
        let e = &m.entries[1];
        assert_eq!(e.kernel.as_deref(), Some("/vmlinuz-2"));
        assert_eq!(e.args, "quiet");
        assert_eq!(e.partition, Some(5));
        assert_eq!(m.default, Some(1));
        assert_eq!(m.timeout, Some(5));
    }

    #[test]
    fn global_root_and_device_prefix() {
        let (m, _) = run(
            "root (hd0,2)\ntitle a\nkernel /k\ntitle b\nkernel (hd1,0)/k2 x\ninitrd (hd1,0)/i\n",
            &[],
        );
        assert_eq!(m.entries[0].partition, Some(3));
        assert_eq!(m.entries[1].partition, Some(1));
        assert_eq!(m.entries[1].kernel.as_deref(), Some("/k2"));
        assert_eq!(m.entries[1].initrds, vec!["/i".to_string()]);
    }

    #[test]
    fn saved_default() {
        let text = "default saved\ntitle a\nkernel /a\ntitle b\nkernel /b\n";
        let (m, w) = run(text, &[("/boot/grub/default", "1\n#\n# WARNING\n")]);
        assert_eq!(m.default, Some(1));
        assert!(w.is_empty());
        let (m, w) = run(text, &[]);
        assert_eq!(m.default, Some(0));
        assert_eq!(w.len(), 1);
        let (m, w) = run(text, &[("/boot/grub/default", "junk\n")]);
        assert_eq!(m.default, Some(0));
        assert!(w[0].contains("entry number"));
    }

    #[test]
    fn not_bootable_entries_and_fallback() {
        let (m, w) = run(
            "default 0\nfallback 2\npassword --md5 $1$x\ntitle xen\nkernel /xen.gz\nmodule /vmlinuz ro\n\
             module /initrd\ntitle dos\nrootnoverify (hd0,1)\nchainloader +1\ntitle linux\nlock\n\
             password secret\nkernel /vmlinuz\n",
            &[],
        );
        assert!(m.entries[0]
            .not_bootable
            .as_deref()
            .unwrap()
            .contains("multiboot"));
        assert!(m.entries[1]
            .not_bootable
            .as_deref()
            .unwrap()
            .contains("chainloader"));
        assert!(m.entries[2].is_bootable());
        assert_eq!(m.default, Some(2));
        assert_eq!(w.len(), 1, "{w:?}");
    }

    #[test]
    fn unknown_commands_warn_and_bad_default_falls_back() {
        let (m, w) = run("default 7\nfrobnicate\ntitle a\nkernel /a\n", &[]);
        assert_eq!(m.default, Some(0));
        assert_eq!(w.len(), 2);
        assert!(w[0].contains("frobnicate"));
        let (m, _) = run("# nothing\n\n", &[]);
        assert_eq!(m.default, None);
        assert!(m.entries.is_empty());
    }

    #[test]
    fn entry_without_kernel_is_not_bootable() {
        let (m, _) = run("title empty\nroot (hd0,0)\n", &[]);
        assert_eq!(
            m.entries[0].not_bootable.as_deref(),
            Some("no kernel command")
        );
    }

    #[test]
    fn sibling_paths() {
        assert_eq!(
            sibling("/boot/grub/menu.lst", "default"),
            "/boot/grub/default"
        );
        assert_eq!(sibling("/menu.lst", "default"), "/default");
    }
}
