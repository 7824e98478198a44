//! The pygrub-compatible mode: `xenboot [pygrub options] IMAGE`, with the options,
//! selection rules and output bytes of Xen 4.17's pygrub, so that libxl can run
//! `bootloader = "/usr/bin/xenboot"` unchanged. The menu is never interactive: the
//! default entry (or `--entry`) is booted as with `-q`.

use crate::args::{self, Parsed, Spec};
use crate::commands::{self, GLOBAL};
use crate::output;
use crate::Failure;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;
use xenboot::config::Language;
use xenboot::extract::{Plan, Request};
use xenboot::{Boot, Entry};

/// pygrub's default output directory.
const DEFAULT_OUTPUT_DIRECTORY: &str = "/var/run/xen/pygrub";

/// The options of pygrub (Xen 4.17), as `getopt` spells them.
const PYGRUB: &[Spec] = &[
    Spec::flag("quiet", Some('q')),
    Spec::flag("interactive", Some('i')),
    Spec::flag("list-entries", Some('l')),
    Spec::flag("not-really", Some('n')),
    Spec::value("output", None),
    Spec::value("output-format", None),
    Spec::value("output-directory", None),
    Spec::value("runas", None),
    Spec::value("entry", None),
    Spec::value("kernel", None),
    Spec::value("ramdisk", None),
    Spec::value("args", None),
    Spec::flag("isconfig", None),
    Spec::flag("debug", None),
];

/// The usage text of the pygrub-compatible mode.
pub const HELP: &str = "\
Usage: xenboot [-q|--quiet] [-i|--interactive] [-l|--list-entries] [-n|--not-really]
               [--output=FILE] [--kernel=PATH] [--ramdisk=PATH] [--args=ARGS]
               [--entry=SEL] [--output-directory=DIR] [--output-format=sxp|simple|simple0]
               [--offset=BYTES] [--isconfig] [--debug] [GLOBAL OPTIONS] IMAGE

pygrub-compatible mode (set bootloader = \"xenboot\" in the domain configuration):
extracts the kernel and ramdisk of the default entry (or --entry: an index or a title;
xenboot also accepts ids and GRUB paths) into DIR (default /var/run/xen/pygrub) and
writes \"kernel PATH\", \"ramdisk PATH\" and \"args ARGS\" to FILE (default: stdout)
in the chosen format (default sxp). --kernel takes that kernel (and --ramdisk that
ramdisk) from IMAGE instead of the menu's; --args is appended to the entry's command
line, or is the whole command line with --kernel. -n checks without copying; -l lists
the menu; --isconfig reads IMAGE as a configuration file on the host.
No menu is shown: xenboot boots the selection as pygrub does with -q.
--runas (libxl's restricted mode) is refused: see the README.
";

/// pygrub's output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Sxp,
    Simple,
    Simple0,
}

/// What the command line asked for.
#[derive(Debug)]
struct Request0 {
    interactive: bool,
    interactive_explicit: bool,
    list_entries: bool,
    not_really: bool,
    isconfig: bool,
    verbose: bool,
    output: Option<String>,
    format: Format,
    output_directory: Option<String>,
    runas: Option<String>,
    entry: Option<String>,
    kernel: Option<String>,
    ramdisk: Option<String>,
    args: String,
    image: String,
}

fn usage_error(msg: impl std::fmt::Display) -> Failure {
    Failure::new(1, format!("{msg}\n{HELP}"))
}

/// Reads the options in order, as pygrub does (the last one given wins).
fn interpret(p: &Parsed) -> Result<Request0, Failure> {
    let mut r = Request0 {
        interactive: true,
        interactive_explicit: false,
        list_entries: false,
        not_really: false,
        isconfig: false,
        verbose: false,
        output: None,
        format: Format::Sxp,
        output_directory: None,
        runas: None,
        entry: None,
        kernel: None,
        ramdisk: None,
        args: String::new(),
        image: String::new(),
    };
    for (name, value) in &p.opts {
        let v = value.clone().unwrap_or_default();
        match *name {
            "quiet" => r.interactive = false,
            "interactive" => {
                r.interactive = true;
                r.interactive_explicit = true;
            }
            "list-entries" => r.list_entries = true,
            "not-really" => r.not_really = true,
            "output" => r.output = (v != "-").then_some(v),
            "output-format" => {
                r.format = match v.as_str() {
                    "sxp" => Format::Sxp,
                    "simple" => Format::Simple,
                    "simple0" => Format::Simple0,
                    _ => return Err(usage_error(format!("unknown output format {v}"))),
                }
            }
            "output-directory" => {
                if !Path::new(&v).is_dir() {
                    return Err(Failure::new(1, format!("{v} is not an existing directory")));
                }
                r.output_directory = Some(v);
            }
            "runas" => r.runas = Some(v),
            "entry" => {
                r.entry = Some(v);
                r.interactive = false;
            }
            "kernel" => r.kernel = Some(v),
            "ramdisk" => r.ramdisk = Some(v),
            "args" => r.args = v,
            "isconfig" => r.isconfig = true,
            "debug" | "verbose" => r.verbose = true,
            _ => {}
        }
    }
    r.image = p
        .operands
        .first()
        .cloned()
        .ok_or_else(|| usage_error("xenboot: no disk image given"))?;
    Ok(r)
}

/// Runs the pygrub-compatible mode on `argv` (without the program name).
pub fn run(argv: &[String]) -> Result<(), Failure> {
    let specs: Vec<Spec> = PYGRUB.iter().chain(GLOBAL).copied().collect();
    let p = args::parse(argv, &specs).map_err(|e| usage_error(format!("xenboot: {e}")))?;
    if p.has("help") {
        print!("{HELP}{}", commands::GLOBAL_HELP);
        print!("{}", crate::SUBCOMMANDS_HELP);
        return Ok(());
    }
    if p.has("version") {
        println!("xenboot {}", xenboot::VERSION);
        return Ok(());
    }
    let r = interpret(&p)?;
    if let Some(uid) = &r.runas {
        if uid.trim().parse::<i64>().is_err() {
            return Err(usage_error("runas value must be an integer user id"));
        }
        if r.interactive {
            return Err(Failure::new(
                1,
                "In order to use --runas, you must also set --entry or -q",
            ));
        }
        return Err(Failure::new(
            1,
            format!(
                "xenboot: --runas={uid} (libxl's restricted bootloader mode, set by \
                 LIBXL_BOOTLOADER_RESTRICT or LIBXL_BOOTLOADER_USER) is not supported: \
                 xenboot cannot yet run its guest-data parsing in a deprivileged process, \
                 and will not pretend to. Unset those variables to run xenboot (a \
                 memory-safe parser) as libxl's ordinary bootloader."
            ),
        ));
    }
    if r.interactive_explicit {
        eprintln!(
            "xenboot: warning: interactive menus are not supported; booting the {} \
             entry as with -q",
            if r.entry.is_some() {
                "selected"
            } else {
                "default"
            }
        );
    }
    let dir = match &r.output_directory {
        Some(d) => d.clone(),
        None => {
            DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(DEFAULT_OUTPUT_DIRECTORY)
                .map_err(|e| {
                    Failure::failed(format!("cannot create {DEFAULT_OUTPUT_DIRECTORY}: {e}"))
                })?;
            DEFAULT_OUTPUT_DIRECTORY.to_string()
        }
    };
    let mut sink = open_output(r.output.as_deref())?;
    let mut opts = commands::options(&p, r.verbose)?;
    opts.isconfig = r.isconfig;

    if r.isconfig {
        let boot = Boot::open(&r.image, opts)?;
        if r.list_entries {
            print!("{}", list_entries(&boot));
        }
        let index = choose(&boot, r.entry.as_deref())?;
        let entry = boot
            .entries()
            .get(index)
            .ok_or_else(|| Failure::failed("no menu entries"))?;
        println!("  kernel: {}", entry.kernel.as_deref().unwrap_or("None"));
        if !entry.initrds.is_empty() {
            println!("  initrd: {}", entry.initrds.join(" "));
        }
        println!(
            "  args: {}",
            pygrub_args(entry, &r.args, boot.config().language)
        );
        return Ok(());
    }

    let boot = Boot::open(&r.image, opts)
        .map_err(|e| Failure::failed(format!("Unable to find partition containing kernel: {e}")))?;
    if r.list_entries {
        if r.kernel.is_none() {
            print!("{}", list_entries(&boot));
        }
        return Ok(());
    }
    let (index, req) = match &r.kernel {
        Some(k) => {
            let index = boot.default_index().unwrap_or(0);
            let req = Request {
                kernel: Some(k.clone()),
                ramdisks: Some(
                    r.ramdisk
                        .iter()
                        .filter(|x| !x.is_empty())
                        .cloned()
                        .collect(),
                ),
                args: Some(r.args.clone()),
            };
            (index, req)
        }
        None => {
            if r.ramdisk.is_some() {
                eprintln!(
                    "xenboot: warning: --ramdisk is ignored without --kernel (as pygrub does)"
                );
            }
            let index = choose(&boot, r.entry.as_deref())?;
            let entry = boot
                .entries()
                .get(index)
                .ok_or_else(|| Failure::failed("no menu entries"))?;
            let req = Request {
                kernel: None,
                ramdisks: None,
                args: Some(pygrub_args(entry, &r.args, boot.config().language)),
            };
            (index, req)
        }
    };
    let plan = boot.plan(index, &req)?;
    if r.verbose {
        eprintln!("xenboot: booting entry {index} ({:?})", plan.title);
    }
    let (kernel, ramdisk, written) = if r.not_really {
        (None, None, Vec::new())
    } else {
        extract(&boot, &plan, &dir)?
    };
    let text = render(r.format, kernel.as_deref(), ramdisk.as_deref(), &plan.args);
    let result = text.and_then(|t| {
        sink.write_all(t.as_bytes())
            .and_then(|_| sink.flush())
            .map_err(|e| Failure::failed(format!("writing the output: {e}")))
    });
    if result.is_err() {
        for f in &written {
            let _ = std::fs::remove_file(f);
        }
    }
    result
}

/// The output document in `format`.
fn render(
    format: Format,
    kernel: Option<&str>,
    ramdisk: Option<&str>,
    args: &str,
) -> Result<String, Failure> {
    let args = Some(args);
    match format {
        Format::Sxp => Ok(output::format_sxp(kernel, ramdisk, args)),
        Format::Simple => output::format_simple(kernel, ramdisk, args, '\n'),
        Format::Simple0 => output::format_simple(kernel, ramdisk, args, '\0'),
    }
    .map_err(Failure::failed)
}

/// Extracts into `dir`; returns the paths as pygrub prints them (absolute and
/// normalised) and the files written.
#[allow(clippy::type_complexity)]
fn extract(
    boot: &Boot,
    plan: &Plan,
    dir: &str,
) -> Result<(Option<String>, Option<String>, Vec<std::path::PathBuf>), Failure> {
    let out = boot.extract_to_dir(plan, Path::new(dir))?;
    let cwd = std::env::current_dir()
        .map(|c| c.display().to_string())
        .unwrap_or_else(|_| "/".to_string());
    let shown = |p: &Path| {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        output::abspath(&cwd, &format!("{dir}/{name}"))
    };
    let kernel = shown(&out.kernel);
    let ramdisk = out.ramdisk.as_deref().map(shown);
    let mut written = vec![out.kernel.clone()];
    written.extend(out.ramdisk.clone());
    Ok((Some(kernel), ramdisk, written))
}

/// Where the result goes: `--output` (an existing file or fifo, opened for writing
/// as pygrub does; a regular file is truncated) or stdout.
fn open_output(path: Option<&str>) -> Result<Box<dyn Write>, Failure> {
    let Some(path) = path else {
        return Ok(Box::new(std::io::stdout()));
    };
    let f: File = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| Failure::failed(format!("cannot open the output file {path}: {e}")))?;
    if f.metadata().map(|m| m.is_file()).unwrap_or(false) {
        f.set_len(0)
            .map_err(|e| Failure::failed(format!("cannot truncate {path}: {e}")))?;
    }
    Ok(Box::new(f))
}

/// The command line pygrub passes for a menu entry: the entry's, then a space and
/// `--args` when given. pygrub drops `initrd=` words from syslinux command lines
/// (syslinux itself passes them on; the kernel ignores them under Xen).
fn pygrub_args(entry: &Entry, extra: &str, lang: Language) -> String {
    let mut a = if lang == Language::Syslinux {
        entry
            .args
            .split_whitespace()
            .filter(|w| !w.to_ascii_lowercase().starts_with("initrd="))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        entry.args.clone()
    };
    if !extra.is_empty() {
        a.push(' ');
        a.push_str(extra);
    }
    a
}

/// A Python `int()` of `s`: surrounding whitespace, a sign, digits with single
/// underscores between them. `Some(None)` is a number too large to be an index.
fn py_int(s: &str) -> Option<Option<i64>> {
    let t = s.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let ok = !digits.is_empty()
        && !digits.starts_with('_')
        && !digits.ends_with('_')
        && !digits.contains("__")
        && digits.chars().all(|c| c.is_ascii_digit() || c == '_');
    if !ok {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    Some(clean.parse::<i64>().ok().map(|n| if neg { -n } else { n }))
}

/// pygrub's entry choice: `--entry` as an integer index when in range, else the
/// first entry with exactly that title; otherwise the default. As an extension,
/// ids and GRUB paths (`1>2`) are tried before falling back; the fallback is
/// reported on stderr.
fn choose(boot: &Boot, entry: Option<&str>) -> Result<usize, Failure> {
    let n = boot.entries().len();
    let default = boot.default_index().ok_or_else(|| {
        Failure::failed(format!(
            "{} in {} has no menu entries",
            boot.config().path,
            boot.location()
        ))
    })?;
    let Some(sel) = entry else {
        return Ok(default);
    };
    let found = match py_int(sel) {
        Some(Some(i)) => usize::try_from(i).ok().filter(|i| *i < n),
        Some(None) => None,
        None => boot
            .entries()
            .iter()
            .position(|e| e.title == sel)
            .or_else(|| xenboot::select::resolve(boot.menu(), sel).ok()),
    };
    Ok(found.unwrap_or_else(|| {
        eprintln!(
            "xenboot: warning: no entry {sel:?} among {n} entries; booting the default \
             entry {default} (as pygrub does)"
        );
        default
    }))
}

/// pygrub's `-l` listing.
fn list_entries(boot: &Boot) -> String {
    let lang = boot.config().language;
    let mut out = String::new();
    for e in boot.entries() {
        let root = match (lang, e.partition) {
            (Language::GrubLegacy, Some(p)) => format!("d0p{}", p.saturating_sub(1)),
            (Language::Grub2, Some(p)) => format!("d0p{p}"),
            (Language::Syslinux, _) => String::new(),
            _ => "None".to_string(),
        };
        let args = if e.args.is_empty() && lang != Language::Syslinux {
            "None"
        } else {
            e.args.as_str()
        };
        let initrd = if e.initrds.is_empty() {
            "None".to_string()
        } else {
            e.initrds.join(" ")
        };
        out.push_str(&format!(
            "title: {}\n  root: {root}\n  kernel: {}\n  args: {args}\n  initrd: {initrd}\n",
            e.title,
            e.kernel.as_deref().unwrap_or("None"),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &[&str]) -> Result<Request0, Failure> {
        let specs: Vec<Spec> = PYGRUB.iter().chain(GLOBAL).copied().collect();
        let argv: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        let p = args::parse(&argv, &specs).map_err(usage_error)?;
        interpret(&p)
    }

    #[test]
    fn libxl_command_line() {
        let dir = std::env::temp_dir();
        let d = dir.to_str().unwrap();
        let r = parse(&[
            "--args=console=hvc0",
            "--output=/var/lib/xen/bootloader.7.out",
            "--output-format=simple0",
            &format!("--output-directory={d}"),
            "--entry=1",
            "/dev/vg/g",
        ])
        .unwrap();
        assert_eq!(r.output.as_deref(), Some("/var/lib/xen/bootloader.7.out"));
        assert_eq!(r.format, Format::Simple0);
        assert_eq!(r.output_directory.as_deref(), Some(d));
        assert_eq!(r.entry.as_deref(), Some("1"));
        assert_eq!(r.args, "console=hvc0");
        assert!(!r.interactive, "--entry implies non-interactive");
        assert_eq!(r.image, "/dev/vg/g");
    }

    #[test]
    fn defaults_and_flags() {
        let r = parse(&["img"]).unwrap();
        assert!(r.interactive && !r.interactive_explicit);
        assert_eq!(r.format, Format::Sxp);
        assert_eq!(r.output, None);
        let r = parse(&["-qln", "--isconfig", "--output=-", "--debug", "img"]).unwrap();
        assert!(!r.interactive && r.list_entries && r.not_really && r.isconfig && r.verbose);
        assert_eq!(r.output, None, "--output=- is stdout");
        let r = parse(&["-q", "-i", "img"]).unwrap();
        assert!(r.interactive && r.interactive_explicit);
        let r = parse(&["--runas=1001", "--quiet", "--kernel", "/vmlinuz", "img"]).unwrap();
        assert_eq!(r.runas.as_deref(), Some("1001"));
        assert_eq!(r.kernel.as_deref(), Some("/vmlinuz"));
    }

    #[test]
    fn bad_options_fail_with_status_1() {
        for bad in [
            &["--output-format=xml", "img"][..],
            &["--output-directory=/nonexistent/dir", "img"],
            &["--bogus", "img"],
            &["-q"],
        ] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.code, 1, "{bad:?}");
        }
        assert!(parse(&["--output-directory=/nonexistent/dir", "img"])
            .unwrap_err()
            .message
            .contains("/nonexistent/dir is not an existing directory"));
    }

    #[test]
    fn python_int_rules() {
        assert_eq!(py_int("1"), Some(Some(1)));
        assert_eq!(py_int(" +2 "), Some(Some(2)));
        assert_eq!(py_int("-1"), Some(Some(-1)));
        assert_eq!(py_int("1_0"), Some(Some(10)));
        assert_eq!(py_int("99999999999999999999"), Some(None));
        assert_eq!(py_int("1__0"), None);
        assert_eq!(py_int("_1"), None);
        assert_eq!(py_int(""), None);
        assert_eq!(py_int("Debian"), None);
        assert_eq!(py_int("0x1"), None);
    }

    #[test]
    fn args_are_appended_like_pygrub() {
        let e = Entry {
            args: "root=/dev/xvda1 ro".into(),
            ..Entry::default()
        };
        let g = Language::GrubLegacy;
        assert_eq!(pygrub_args(&e, "", g), "root=/dev/xvda1 ro");
        assert_eq!(pygrub_args(&e, "quiet", g), "root=/dev/xvda1 ro quiet");
        assert_eq!(pygrub_args(&Entry::default(), "quiet", g), " quiet");
        let s = Entry {
            args: "root=/dev/xvda1 INITRD=/a ro initrd=/b,/c".into(),
            ..Entry::default()
        };
        assert_eq!(
            pygrub_args(&s, "", Language::Syslinux),
            "root=/dev/xvda1 ro"
        );
        assert_eq!(
            pygrub_args(&s, "", g),
            "root=/dev/xvda1 INITRD=/a ro initrd=/b,/c"
        );
    }

    #[test]
    fn output_formats() {
        assert_eq!(
            render(Format::Simple0, Some("/d/k"), None, "ro").unwrap(),
            "kernel /d/k\0args ro\0\0"
        );
        assert_eq!(
            render(Format::Sxp, None, None, "").unwrap(),
            "linux (kernel None)"
        );
        assert!(render(Format::Simple, Some("/d/k"), None, "a\nb").is_err());
    }
}
