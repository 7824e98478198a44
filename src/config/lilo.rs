//! LILO `lilo.conf`.
//!
//! The file is a stream of items `name` or `name=value` (blanks around `=` allowed,
//! line breaks not significant, values may be `"quoted"` with `\"` and `\\`, `#`
//! starts a comment). `image=PATH` and `other=DEVICE` start a section that runs to
//! the next one; `disk=DEVICE` starts a geometry section whose items (`bios=`,
//! `sectors=`, …) are skipped; items before the first section are global.
//!
//! # The command line
//!
//! LILO's map installer (`bsect.c`, `bsect_common`) stores one option string per
//! image, built in this order, each taken from the image section or else from the
//! global section:
//!
//! 1. `ro` if `read-only`, `rw` if `read-write` (both flags are looked up in the image
//!    and the global section independently, so a global `read-only` and a per-image
//!    `read-write` give `ro rw`, as LILO does);
//! 2. `root=…`: LILO writes `LABEL=`/`UUID=` values as they are and converts a device
//!    path to its device number (`/dev/hda1` → `root=301`) by `stat`ing it on the
//!    installing host. That host is not available here, so the device path is passed
//!    as written (`root=/dev/hda1`), which the kernel resolves to the same device;
//!    `root=current` cannot be known and is dropped with a warning;
//! 3. `ramdisk=N`;
//! 4. `append=` of the image, or else the global `append=` (not both);
//! 5. `addappend=` of the image;
//!
//! and `literal=` replaces the whole string. `vga=` is stored in the image descriptor
//! (the real-mode video mode), not on the command line, so it is not passed. At boot
//! the second stage also prefixes `BOOT_IMAGE=<label>` (and `auto` on an unattended
//! boot); like pygrub and the GRUB parsers here, those are left out.
//!
//! Xen's pygrub (`LiloConf.py`) differs: it ignores global options and `literal=`,
//! puts `root=` and `ro` *after* the append string, ignores `read-write`, `other=`
//! and aliases, and prefixes kernel and initrd paths with the configuration's
//! directory. This parser follows LILO.
//!
//! Titles and ids are the labels; an image without `label=` is named by the last
//! component of its path, as LILO does. `default=` matches a label or an alias
//! (exactly, else ignoring case as LILO's usual `IGNORECASE` build does); without it
//! the first image is the default.

use super::ParseContext;
use crate::error::{Error, Result};
use crate::menu::{Entry, Menu};

/// Items accepted and ignored without a warning: boot-sector installation, the
/// console, passwords and the geometry of the BIOS disks.
const IGNORED: &[&str] = &[
    "boot",
    "map",
    "install",
    "message",
    "prompt",
    "delay",
    "linear",
    "lba32",
    "compact",
    "backup",
    "force-backup",
    "ignore-table",
    "verbose",
    "serial",
    "keytable",
    "bitmap",
    "bmp-colors",
    "bmp-table",
    "bmp-timer",
    "bmp-retain",
    "menu-title",
    "menu-scheme",
    "change-rules",
    "password",
    "restricted",
    "mandatory",
    "optional",
    "lock",
    "nowarn",
    "large-memory",
    "raid-extra-boot",
    "static-bios-codes",
    "geometric",
    "fix-table",
    "unattended",
    "noraid",
    "vmdefault",
    "nokbdefault",
    "vmwarn",
    "vmdisable",
    "nokbdisable",
    "single-key",
    "bypass",
    "fallback",
    "loader",
    "table",
    "unsafe",
    "map-drive",
    "to",
    "boot-as",
    "master-boot",
    "change",
    "automatic",
    "activate",
    "deactivate",
    "set",
    "mbr",
    "suppress-boot-time-bios-data",
    "el-torito-bootable-cd",
    "label-in-mbr",
    "relocatable",
    "vga",
];

/// Items of a `disk=` section.
const DISK_ITEMS: &[&str] = &[
    "bios",
    "sectors",
    "heads",
    "cylinders",
    "partition",
    "start",
    "inaccessible",
    "max-partitions",
];

/// Options that an image section may set and, when it does not, takes from the
/// global section.
#[derive(Default)]
struct Options {
    root: Option<String>,
    read_only: bool,
    read_write: bool,
    append: Option<String>,
    initrd: Option<String>,
    ramdisk: Option<String>,
}

/// One `image=` or `other=` section.
struct Section {
    /// The image path, or the device of an `other=` section.
    target: String,
    other: bool,
    label: Option<String>,
    alias: Option<String>,
    literal: Option<String>,
    addappend: Option<String>,
    opts: Options,
}

/// Where the parser is.
enum State {
    Global,
    Disk,
    Section,
}

/// Parses a LILO configuration into a menu.
pub fn parse(text: &str, ctx: &mut ParseContext<'_>) -> Result<Menu> {
    let mut global = Options::default();
    let mut sections: Vec<Section> = Vec::new();
    let mut default: Option<String> = None;
    let mut timeout: Option<u64> = None;
    let mut state = State::Global;
    let mut lexer = Lexer::new(text);

    while let Some(item) = lexer.next_item(ctx) {
        let name = item.name.to_ascii_lowercase();
        let line = item.line;
        let value = item.value;
        if matches!(state, State::Disk) {
            if DISK_ITEMS.contains(&name.as_str()) {
                continue;
            }
            state = State::Global;
        }
        match name.as_str() {
            "image" | "other" => {
                if sections.len() >= ctx.limits.max_entries {
                    return Err(Error::limit(format!(
                        "lilo line {line}: more than {} images",
                        ctx.limits.max_entries
                    )));
                }
                sections.push(Section {
                    target: value.unwrap_or_default(),
                    other: name == "other",
                    label: None,
                    alias: None,
                    literal: None,
                    addappend: None,
                    opts: Options::default(),
                });
                state = State::Section;
                continue;
            }
            "disk" => {
                state = State::Disk;
                continue;
            }
            "default" => {
                default = value;
                continue;
            }
            "timeout" => {
                // Tenths of a second.
                timeout = value
                    .and_then(|v| v.parse::<u64>().ok())
                    .map(|t| t.div_ceil(10));
                continue;
            }
            _ => {}
        }
        let section = match state {
            State::Section => sections.last_mut(),
            _ => None,
        };
        let opts = match section {
            Some(s) => {
                match name.as_str() {
                    "label" => s.label = value,
                    "alias" => s.alias = value,
                    "literal" => s.literal = value,
                    "addappend" => s.addappend = value,
                    _ => {
                        if !set_option(&mut s.opts, &name, value) && !IGNORED.contains(&&*name) {
                            ctx.warnings.push(format!(
                                "lilo line {line}: unknown image option `{name}`, ignored"
                            ));
                        }
                    }
                }
                continue;
            }
            None => &mut global,
        };
        if !set_option(opts, &name, value) && !IGNORED.contains(&&*name) {
            ctx.warnings.push(format!(
                "lilo line {line}: unknown option `{name}`, ignored"
            ));
        }
    }

    let mut menu = Menu {
        timeout,
        ..Menu::default()
    };
    for (i, s) in sections.iter().enumerate() {
        menu.entries.push(build_entry(s, &global, i, ctx));
    }
    menu.default = choose_default(&sections, &menu, default.as_deref(), ctx);
    Ok(menu)
}

/// Stores an inheritable option; false when `name` is not one.
fn set_option(opts: &mut Options, name: &str, value: Option<String>) -> bool {
    match name {
        "root" => opts.root = value,
        "read-only" => opts.read_only = true,
        "read-write" => opts.read_write = true,
        "append" => opts.append = value,
        "initrd" => opts.initrd = value,
        "ramdisk" => opts.ramdisk = value,
        _ => return false,
    }
    true
}

/// Turns a section into an entry, building the command line as LILO does.
fn build_entry(s: &Section, g: &Options, index: usize, ctx: &mut ParseContext<'_>) -> Entry {
    let label = s.label.clone().unwrap_or_else(|| {
        s.target
            .rsplit('/')
            .next()
            .unwrap_or(s.target.as_str())
            .to_string()
    });
    let mut entry = Entry {
        title: label.clone(),
        id: Some(label),
        position: vec![index],
        ..Entry::default()
    };
    if s.other {
        entry.not_bootable = Some(format!(
            "other={}: chainloads the boot sector of another system, not a PV kernel",
            s.target
        ));
        return entry;
    }
    if s.target.is_empty() {
        entry.not_bootable = Some("image= without a path".to_string());
        return entry;
    }
    entry.kernel = Some(s.target.clone());
    if let Some(initrd) = s.opts.initrd.as_ref().or(g.initrd.as_ref()) {
        entry.initrds.push(initrd.clone());
    }
    let mut options = String::new();
    if let Some(literal) = &s.literal {
        options.push_str(literal);
    } else {
        if s.opts.read_only || g.read_only {
            options.push_str("ro ");
        }
        if s.opts.read_write || g.read_write {
            options.push_str("rw ");
        }
        if let Some(root) = s.opts.root.as_ref().or(g.root.as_ref()) {
            if root.eq_ignore_ascii_case("current") {
                ctx.warnings.push(format!(
                    "lilo: image {}: root=current names the installing host's root, dropped",
                    entry.title
                ));
            } else {
                options.push_str("root=");
                options.push_str(root);
                options.push(' ');
            }
        }
        if let Some(rd) = s.opts.ramdisk.as_ref().or(g.ramdisk.as_ref()) {
            options.push_str("ramdisk=");
            options.push_str(rd);
            options.push(' ');
        }
        if let Some(append) = s.opts.append.as_ref().or(g.append.as_ref()) {
            options.push_str(append);
            options.push(' ');
        }
        if let Some(add) = &s.addappend {
            options.push_str(add);
        }
    }
    entry.args = options.split_whitespace().collect::<Vec<_>>().join(" ");
    entry
}

/// The default: the image whose label or alias is `default=` (exact, then ignoring
/// case), else the first image.
fn choose_default(
    sections: &[Section],
    menu: &Menu,
    default: Option<&str>,
    ctx: &mut ParseContext<'_>,
) -> Option<usize> {
    if menu.entries.is_empty() {
        return None;
    }
    let Some(want) = default else {
        return Some(0);
    };
    let names = |i: usize| {
        let s = sections.get(i);
        let title = menu.entries.get(i).map(|e| e.title.as_str());
        [title, s.and_then(|s| s.alias.as_deref())]
    };
    let find = |eq: &dyn Fn(&str) -> bool| {
        (0..menu.entries.len()).find(|&i| names(i).iter().flatten().any(|n| eq(n)))
    };
    if let Some(i) = find(&|n| n == want).or_else(|| find(&|n| n.eq_ignore_ascii_case(want))) {
        return Some(i);
    }
    ctx.warnings.push(format!(
        "lilo: default={want} names no image, using the first"
    ));
    Some(0)
}

/// One `name` or `name=value` item.
struct Item {
    name: String,
    value: Option<String>,
    line: usize,
}

/// Reads items from the text.
struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
}

impl<'a> Lexer<'a> {
    fn new(text: &'a str) -> Self {
        Lexer {
            chars: text.chars().peekable(),
            line: 1,
        }
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line = self.line.saturating_add(1);
        }
        Some(c)
    }

    /// Skips blanks, line breaks and comments.
    fn skip_space(&mut self) {
        while let Some(&c) = self.chars.peek() {
            if c.is_whitespace() {
                self.bump();
            } else if c == '#' {
                while let Some(&c) = self.chars.peek() {
                    if c == '\n' {
                        break;
                    }
                    self.bump();
                }
            } else {
                break;
            }
        }
    }

    fn next_item(&mut self, ctx: &mut ParseContext<'_>) -> Option<Item> {
        loop {
            self.skip_space();
            let line = self.line;
            let mut name = String::new();
            while let Some(&c) = self.chars.peek() {
                if c.is_whitespace() || c == '=' || c == '#' {
                    break;
                }
                name.push(c);
                self.bump();
            }
            self.skip_space();
            let value = if self.chars.peek() == Some(&'=') {
                self.bump();
                self.skip_space();
                Some(self.value(ctx))
            } else {
                None
            };
            if name.is_empty() {
                // Neither a name nor a value: the end of the text.
                value.as_ref()?;
                ctx.warnings
                    .push(format!("lilo line {line}: value without a name, ignored"));
                continue;
            }
            return Some(Item { name, value, line });
        }
    }

    /// Reads a value: a quoted string or a run of non-blank characters.
    fn value(&mut self, ctx: &mut ParseContext<'_>) -> String {
        let mut out = String::new();
        if self.chars.peek() == Some(&'"') {
            let line = self.line;
            self.bump();
            loop {
                match self.bump() {
                    None => {
                        ctx.warnings
                            .push(format!("lilo line {line}: unterminated quoted value"));
                        break;
                    }
                    Some('"') => break,
                    Some('\\') => match self.bump() {
                        Some('\n') | None => {}
                        Some(c) => out.push(c),
                    },
                    Some(c) => out.push(c),
                }
            }
            return out;
        }
        while let Some(&c) = self.chars.peek() {
            if c.is_whitespace() {
                break;
            }
            out.push(c);
            self.bump();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FileAccess;
    use crate::limits::Limits;

    struct NoFiles;

    impl FileAccess for NoFiles {
        fn read(&self, path: &str) -> Result<Vec<u8>> {
            Err(Error::not_found(path.to_string()))
        }
        fn exists(&self, _: &str) -> bool {
            false
        }
    }

    fn run(text: &str) -> (Menu, Vec<String>) {
        let limits = Limits::default();
        let mut warnings = Vec::new();
        let mut ctx = ParseContext {
            config_path: "/etc/lilo.conf",
            files: &NoFiles,
            limits: &limits,
            warnings: &mut warnings,
        };
        let m = parse(text, &mut ctx).unwrap();
        (m, warnings)
    }

    #[test]
    fn images_labels_and_command_line_order() {
        let (m, w) = run(
            "timeout=50\ndefault=b\nimage=/boot/vmlinuz-a\n label=a\n root=/dev/hda1\n read-only\n \
             initrd=/boot/initrd-a\n append=\"quiet  splash\"\nimage = /boot/vmlinuz-b label = b \
             read-write append = \" single x=\\\"y\\\" \" vga=791\n",
        );
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(m.timeout, Some(5));
        let a = &m.entries[0];
        assert_eq!(a.title, "a");
        assert_eq!(a.id.as_deref(), Some("a"));
        assert_eq!(a.kernel.as_deref(), Some("/boot/vmlinuz-a"));
        assert_eq!(a.initrds, vec!["/boot/initrd-a".to_string()]);
        assert_eq!(a.args, "ro root=/dev/hda1 quiet splash");
        let b = &m.entries[1];
        assert_eq!(b.args, "rw single x=\"y\"");
        assert!(b.initrds.is_empty());
        assert_eq!(m.default, Some(1));
    }

    #[test]
    fn globals_are_inherited_unless_overridden() {
        let (m, _) = run(
            "root=/dev/sda2\nread-only\nappend=\"console=ttyS0\"\ninitrd=/boot/initrd\n\
             image=/boot/a\nimage=/boot/b\n label=bee\n append=\"quiet\"\n root=\"LABEL=/\"\n\
             image=/boot/c\n literal=\"init=/bin/sh\"\n",
        );
        assert_eq!(m.entries[0].title, "a");
        assert_eq!(m.entries[0].args, "ro root=/dev/sda2 console=ttyS0");
        assert_eq!(m.entries[0].initrds, vec!["/boot/initrd".to_string()]);
        assert_eq!(m.entries[1].args, "ro root=LABEL=/ quiet");
        assert_eq!(m.entries[2].args, "init=/bin/sh");
        assert_eq!(m.default, Some(0));
    }

    #[test]
    fn other_disk_sections_alias_and_case() {
        let (m, w) = run(
            "default=WIN\ndisk=/dev/sda\n bios=0x80\n sectors=63\nprompt\nimage=/vmlinuz\n label=linux\n \
             alias=l\nother=/dev/hda2\n label=dos\n alias=win\n table=/dev/hda\n",
        );
        assert!(w.is_empty(), "{w:?}");
        assert!(m.entries[1]
            .not_bootable
            .as_deref()
            .unwrap()
            .contains("other=/dev/hda2"));
        assert_eq!(m.default, Some(1));
        let (m, w) = run("default=nope\nimage=/vmlinuz\nlabel=l\nfrob=1\n");
        assert_eq!(m.default, Some(0));
        assert_eq!(w.len(), 2, "{w:?}");
    }

    #[test]
    fn hostile_input_does_not_panic() {
        let (m, w) = run("= =\nimage=");
        assert_eq!(m.entries.len(), 1, "{m:?}");
        assert!(!m.entries[0].is_bootable());
        assert_eq!(w.len(), 1, "{w:?}");
        let (m, w) = run("image=/k append=\"oops");
        assert_eq!(m.entries[0].args, "oops");
        assert!(w[0].contains("unterminated"));
        let (m, _) = run("");
        assert_eq!(m.default, None);
    }
}
