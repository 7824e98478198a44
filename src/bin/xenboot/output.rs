//! Formatting of everything the command prints: JSON documents, the readable menu
//! table, the probe report and pygrub's byte formats (`sxp`, `simple`, `simple0`).

use serde_json::{json, Value};
use std::fmt::Write as _;
use xenboot::probe::Report;
use xenboot::{Boot, Entry};

/// The JSON object of one menu entry.
pub fn entry_json(index: usize, e: &Entry) -> Value {
    json!({
        "index": index,
        "title": e.title,
        "id": e.id,
        "submenu": e.submenu,
        "position": e.position,
        "kernel": e.kernel,
        "initrds": e.initrds,
        "args": e.args,
        "partition": e.partition,
        "bootable": e.is_bootable(),
        "not_bootable": e.not_bootable,
        "hidden": e.hidden,
    })
}

/// The document `xenboot list --json` prints.
pub fn list_json(boot: &Boot) -> Value {
    let config = boot.config();
    let volume = config
        .volume
        .and_then(|v| boot.volumes().get(v))
        .map(|pv| pv.volume.describe());
    json!({
        "default": boot.default_index(),
        "entries": boot
            .entries()
            .iter()
            .enumerate()
            .map(|(i, e)| entry_json(i, e))
            .collect::<Vec<_>>(),
        "timeout": boot.menu().timeout,
        "location": boot.location(),
        "config": {
            "path": config.path,
            "language": config.language.name(),
            "volume": volume,
        },
        "warnings": boot.warnings(),
    })
}

/// The readable menu table: one line per entry, `*` marking the default.
pub fn list_table(boot: &Boot) -> String {
    let config = boot.config();
    let mut out = format!(
        "{} ({}) in {}\n",
        config.path,
        config.language.name(),
        boot.location()
    );
    let default = boot.default_index();
    for (i, e) in boot.entries().iter().enumerate() {
        let mark = if Some(i) == default { '*' } else { ' ' };
        let mut title = e.submenu.join(" > ");
        if !title.is_empty() {
            title.push_str(" > ");
        }
        title.push_str(&e.title);
        let _ = writeln!(out, "{mark}{i:>3}  {title}");
        match (&e.not_bootable, &e.kernel) {
            (Some(why), _) => {
                let _ = writeln!(out, "       not bootable: {why}");
            }
            (None, None) => {
                let _ = writeln!(out, "       not bootable: no kernel");
            }
            (None, Some(k)) => {
                let _ = writeln!(out, "       kernel  {k}");
                for r in &e.initrds {
                    let _ = writeln!(out, "       initrd  {r}");
                }
                if !e.args.is_empty() {
                    let _ = writeln!(out, "       args    {}", e.args);
                }
            }
        }
    }
    if boot.entries().is_empty() {
        out.push_str("  (no entries)\n");
    }
    out
}

/// The human report of `xenboot probe`.
pub fn probe_text(r: &Report) -> String {
    let mut out = format!("{}\n", r.location);
    if r.volumes.is_empty() {
        out.push_str("  no volumes could be read\n");
    }
    for v in &r.volumes {
        let _ = writeln!(
            out,
            "  volume {} ({} bytes)",
            v.volume.describe(),
            v.volume.len
        );
        match &v.filesystem {
            Some(fs) => {
                let _ = writeln!(
                    out,
                    "    filesystem {fs} uuid {} label {}",
                    v.uuid.as_deref().unwrap_or("-"),
                    v.label
                        .as_deref()
                        .map_or("-".to_string(), |l| format!("{l:?}"))
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "    no filesystem: {}",
                    v.error.as_deref().unwrap_or("not recognised")
                );
            }
        }
    }
    for n in &r.notes {
        let _ = writeln!(out, "  note: {n}");
    }
    if !r.tried.is_empty() {
        out.push_str("configuration search:\n");
        for t in &r.tried {
            let _ = writeln!(out, "  {t}");
        }
    }
    if let Some(c) = &r.config {
        let _ = writeln!(
            out,
            "configuration: {c} ({})",
            r.language.as_deref().unwrap_or("?")
        );
        let _ = writeln!(out, "entries ({}):", r.entries.len());
        for (i, e) in r.entries.iter().enumerate() {
            let mark = if Some(i) == r.default { '*' } else { ' ' };
            let mut path = e.submenu.join(" > ");
            if !path.is_empty() {
                path.push_str(" > ");
            }
            let state = match (&e.not_bootable, &e.kernel) {
                (Some(why), _) => format!("not bootable: {why}"),
                (None, None) => "not bootable: no kernel".to_string(),
                (None, Some(k)) => {
                    let mut s = format!("kernel {k}");
                    for i in &e.initrds {
                        let _ = write!(s, " initrd {i}");
                    }
                    s
                }
            };
            let _ = writeln!(out, " {mark}{i:>3}  {path}{}  [{state}]", e.title);
            if !e.args.is_empty() {
                let _ = writeln!(out, "       args {}", e.args);
            }
        }
        match r.default {
            Some(d) => {
                let _ = writeln!(out, "default: {d}");
            }
            None => out.push_str("default: none\n"),
        }
    }
    for w in &r.warnings {
        let _ = writeln!(out, "warning: {w}");
    }
    if let Some(e) = &r.error {
        let _ = writeln!(out, "FAILED: {e}");
    }
    out
}

/// Python 3's `repr()` of a string, which pygrub's `sxp` format prints.
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if py_printable(c) => out.push(c),
            c => {
                let n = u32::from(c);
                if n < 0x100 {
                    let _ = write!(out, "\\x{n:02x}");
                } else if n < 0x10000 {
                    let _ = write!(out, "\\u{n:04x}");
                } else {
                    let _ = write!(out, "\\U{n:08x}");
                }
            }
        }
    }
    out.push(quote);
    out
}

/// Python's `str.isprintable` for one character, for the characters that occur in
/// boot configurations: controls, separators other than space, format characters
/// and private-use characters are not printable. (Unassigned code points, which
/// Python also escapes, are not known here and are printed as they are.)
fn py_printable(c: char) -> bool {
    let n = u32::from(c);
    !matches!(n,
        0..=0x1f | 0x7f..=0xa0 | 0xad | 0x600..=0x605 | 0x61c | 0x6dd | 0x70f
        | 0x1680 | 0x180e | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x2064
        | 0x2066..=0x206f | 0x3000 | 0xd800..=0xf8ff | 0xfeff | 0xfff9..=0xfffb
        | 0xf0000..=0x10ffff)
}

/// pygrub's `sxp` output: `linux (kernel 'K')(ramdisk 'R')(args 'A')`, with no
/// newline. `kernel` is `None` in pygrub's `--not-really` mode, printed as `None`.
pub fn format_sxp(kernel: Option<&str>, ramdisk: Option<&str>, args: Option<&str>) -> String {
    let mut s = format!("linux (kernel {})", kernel.map_or("None".into(), py_repr));
    if let Some(r) = ramdisk.filter(|r| !r.is_empty()) {
        let _ = write!(s, "(ramdisk {})", py_repr(r));
    }
    if let Some(a) = args.filter(|a| !a.is_empty()) {
        let _ = write!(s, "(args {})", py_repr(a));
    }
    s
}

/// pygrub's `simple` (`sep` = newline) and `simple0` (`sep` = NUL) output: one
/// `kernel`, `ramdisk` and `args` item each followed by `sep`, then one more `sep`.
/// Fails, as pygrub does, when a value contains the separator.
pub fn format_simple(
    kernel: Option<&str>,
    ramdisk: Option<&str>,
    args: Option<&str>,
    sep: char,
) -> Result<String, String> {
    if [kernel, ramdisk, args]
        .iter()
        .flatten()
        .any(|v| v.contains(sep))
    {
        return Err("simple format cannot represent delimiter-containing value".into());
    }
    let mut s = format!("kernel {}{sep}", kernel.unwrap_or("None"));
    if let Some(r) = ramdisk.filter(|r| !r.is_empty()) {
        let _ = write!(s, "ramdisk {r}{sep}");
    }
    if let Some(a) = args.filter(|a| !a.is_empty()) {
        let _ = write!(s, "args {a}{sep}");
    }
    s.push(sep);
    Ok(s)
}

/// Python's `os.path.abspath`: joins a relative `path` to `cwd` and normalises it
/// lexically (`//`, `.` and `..`), as pygrub's temporary file names are.
pub fn abspath(cwd: &str, path: &str) -> String {
    let joined = if path.starts_with('/') {
        path.to_string()
    } else if cwd.ends_with('/') {
        format!("{cwd}{path}")
    } else {
        format!("{cwd}/{path}")
    };
    // POSIX keeps exactly two leading slashes; one or three or more become one.
    let lead = if joined.starts_with("//") && !joined.starts_with("///") {
        "//"
    } else {
        "/"
    };
    let mut parts: Vec<&str> = Vec::new();
    for comp in joined.split('/') {
        match comp {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    format!("{lead}{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_matches_python() {
        assert_eq!(py_repr("root=/dev/xvda1 ro"), "'root=/dev/xvda1 ro'");
        assert_eq!(py_repr("it's"), "\"it's\"");
        assert_eq!(py_repr("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(py_repr("tab\there\\"), "'tab\\there\\\\'");
        assert_eq!(py_repr("\u{1}\u{7f}\u{a0}é"), "'\\x01\\x7f\\xa0é'");
        assert_eq!(py_repr("\u{2028}\u{feff}"), "'\\u2028\\ufeff'");
        assert_eq!(py_repr(""), "''");
    }

    #[test]
    fn sxp_like_pygrub() {
        assert_eq!(
            format_sxp(
                Some("/d/boot_kernel.abc"),
                Some("/d/boot_ramdisk.xyz"),
                Some("root=/dev/xvda1 ro")
            ),
            "linux (kernel '/d/boot_kernel.abc')(ramdisk '/d/boot_ramdisk.xyz')(args 'root=/dev/xvda1 ro')"
        );
        assert_eq!(
            format_sxp(Some("/k"), None, Some("")),
            "linux (kernel '/k')"
        );
        assert_eq!(
            format_sxp(None, None, Some("quiet")),
            "linux (kernel None)(args 'quiet')"
        );
    }

    #[test]
    fn simple_and_simple0_like_pygrub() {
        assert_eq!(
            format_simple(Some("/k"), Some("/r"), Some("ro quiet"), '\0').unwrap(),
            "kernel /k\0ramdisk /r\0args ro quiet\0\0"
        );
        assert_eq!(
            format_simple(Some("/k"), None, None, '\n').unwrap(),
            "kernel /k\n\n"
        );
        assert!(format_simple(Some("/k"), None, Some("a\nb"), '\n').is_err());
        assert!(format_simple(Some("/k"), None, Some("a\nb"), '\0').is_ok());
    }

    #[test]
    fn abspath_like_python() {
        assert_eq!(abspath("/tmp", "out/"), "/tmp/out");
        assert_eq!(abspath("/tmp", "/a//b/./c/../d/"), "/a/b/d");
        assert_eq!(abspath("/", "x"), "/x");
        assert_eq!(abspath("/tmp", "//x"), "//x");
        assert_eq!(abspath("/tmp", "///x"), "/x");
        assert_eq!(abspath("/tmp", "../../.."), "/");
    }
}
