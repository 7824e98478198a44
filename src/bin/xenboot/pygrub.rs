//! The pygrub-compatible mode: `xenboot [pygrub options] IMAGE`, with the options,
//! selection rules and output bytes of Xen 4.17's pygrub, so that libxl can run
//! `bootloader = "/usr/bin/xenboot"` unchanged. The menu is never interactive: the
//! default entry (or `--entry`) is booted as with `-q`.

use crate::args::{self, Parsed, Spec};
use crate::commands::{self, GLOBAL};
use crate::output;
use crate::runas::{self, Header};
use crate::Failure;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use xenboot::config::Language;
use xenboot::extract::{create_unique, Plan, Request};
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
--runas=UID (libxl's restricted mode) parses IMAGE in a copy of xenboot running as
user and group UID, which gets the opened image and hands back kernel and ramdisk.
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

pub(crate) fn usage_error(msg: impl std::fmt::Display) -> Failure {
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
    let runas = match &r.runas {
        Some(v) => runas::parse_uid(v)?,
        None => None,
    };
    if runas.is_some() {
        if r.interactive {
            return Err(Failure::new(
                1,
                "In order to use --runas, you must also set --entry or -q",
            ));
        }
        if r.isconfig || r.list_entries {
            return Err(Failure::new(
                1,
                "xenboot: --runas cannot be combined with --isconfig or --list-entries",
            ));
        }
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

    if let Some(uid) = runas {
        let (max_kernel, max_ramdisk) = (opts.limits.max_kernel, opts.limits.max_ramdisk);
        let disk = File::open(&r.image)
            .map_err(|e| Failure::failed(format!("cannot open {}: {e}", r.image)))?;
        let mut worker = runas::spawn(uid, disk, &child_args(&p), &r.image)?;
        let header = worker.header(max_kernel, max_ramdisk)?;
        if r.verbose {
            eprintln!(
                "xenboot: booting entry {} ({:?})",
                header.index, header.title
            );
        }
        let received = if r.not_really {
            Ok(Vec::new())
        } else {
            receive(&mut worker, &header, &dir)
        };
        let written = match received.and_then(|w| worker.finish().map(|warn| (w, warn))) {
            Ok((w, warnings)) => {
                eprint!("{warnings}");
                w
            }
            Err(e) => return Err(e),
        };
        let cwd = current_dir();
        let kernel = written.first().map(|p| shown(&cwd, &dir, p));
        let ramdisk = written.get(1).map(|p| shown(&cwd, &dir, p));
        return emit(&mut sink, r.format, kernel, ramdisk, &header.args, &written);
    }

    let boot = Boot::open(&r.image, opts)
        .map_err(|e| Failure::failed(format!("Unable to find partition containing kernel: {e}")))?;
    if r.list_entries {
        if r.kernel.is_none() {
            print!("{}", list_entries(&boot));
        }
        return Ok(());
    }
    let (index, req) = request(&boot, &r)?;
    let plan = boot.plan(index, &req)?;
    if r.verbose {
        eprintln!("xenboot: booting entry {index} ({:?})", plan.title);
    }
    let (kernel, ramdisk, written) = if r.not_really {
        (None, None, Vec::new())
    } else {
        extract(&boot, &plan, &dir)?
    };
    emit(&mut sink, r.format, kernel, ramdisk, &plan.args, &written)
}

/// Writes the output document; removes the extracted files when that fails.
fn emit(
    sink: &mut Box<dyn Write>,
    format: Format,
    kernel: Option<String>,
    ramdisk: Option<String>,
    args: &str,
    written: &[PathBuf],
) -> Result<(), Failure> {
    let text = render(format, kernel.as_deref(), ramdisk.as_deref(), args);
    let result = text.and_then(|t| {
        sink.write_all(t.as_bytes())
            .and_then(|_| sink.flush())
            .map_err(|e| Failure::failed(format!("writing the output: {e}")))
    });
    if result.is_err() {
        for f in written {
            let _ = std::fs::remove_file(f);
        }
    }
    result
}

/// The entry to boot and the overrides, from the menu and the options.
fn request(boot: &Boot, r: &Request0) -> Result<(usize, Request), Failure> {
    match &r.kernel {
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
            Ok((index, req))
        }
        None => {
            if r.ramdisk.is_some() {
                eprintln!(
                    "xenboot: warning: --ramdisk is ignored without --kernel (as pygrub does)"
                );
            }
            let index = choose(boot, r.entry.as_deref())?;
            let entry = boot
                .entries()
                .get(index)
                .ok_or_else(|| Failure::failed("no menu entries"))?;
            let req = Request {
                kernel: None,
                ramdisks: None,
                args: Some(pygrub_args(entry, &r.args, boot.config().language)),
            };
            Ok((index, req))
        }
    }
}

/// The options the deprivileged child needs: selection, overrides, limits. Output
/// options stay with the parent, which alone may open those files.
fn child_args(p: &Parsed) -> Vec<String> {
    const PASSED: &[&str] = &[
        "quiet",
        "not-really",
        "entry",
        "kernel",
        "ramdisk",
        "args",
        "debug",
        "verbose",
        "offset",
        "max-kernel",
        "max-ramdisk",
        "max-config",
    ];
    p.opts
        .iter()
        .filter(|(name, _)| PASSED.contains(name))
        .map(|(name, value)| match value {
            Some(v) => format!("--{name}={v}"),
            None => format!("--{name}"),
        })
        .collect()
}

/// Streams the child's kernel and ramdisk into new files in `dir`, named and
/// created as in the unrestricted path; on failure no file is left behind.
fn receive(
    worker: &mut runas::Worker,
    header: &Header,
    dir: &str,
) -> Result<Vec<PathBuf>, Failure> {
    let mut written = Vec::new();
    let parts = [("boot_kernel.", "kernel", Some(header.kernel_len))];
    let ramdisk = [("boot_ramdisk.", "ramdisk", header.ramdisk_len)];
    for (prefix, what, len) in parts.iter().chain(&ramdisk) {
        let Some(len) = len else { continue };
        let result = create_unique(Path::new(dir), prefix)
            .map_err(Failure::from)
            .and_then(|(path, mut file)| {
                written.push(path.clone());
                worker.copy(*len, &mut file, what)?;
                file.sync_data()
                    .map_err(|e| Failure::failed(format!("flushing {}: {e}", path.display())))
            });
        if let Err(e) = result {
            for f in &written {
                let _ = std::fs::remove_file(f);
            }
            return Err(e);
        }
    }
    Ok(written)
}

/// Runs the child side of `--runas` (see [`runas`]): `argv` is the uid it must run
/// as, then pygrub options and the image name; the image itself is stdin.
pub fn run_child(argv: &[String]) -> Result<(), Failure> {
    let (uid, rest) = argv
        .split_first()
        .ok_or_else(|| Failure::failed("--runas child: no uid given"))?;
    let uid: u32 = uid
        .parse()
        .map_err(|_| Failure::failed(format!("--runas child: bad uid {uid}")))?;
    runas::check_deprivileged(uid)?;
    let specs: Vec<Spec> = PYGRUB.iter().chain(GLOBAL).copied().collect();
    let p = args::parse(rest, &specs).map_err(|e| Failure::failed(format!("xenboot: {e}")))?;
    let r = interpret(&p)?;
    let opts = commands::options(&p, r.verbose)?;
    let boot = Boot::open_file(runas::stdin_file()?, &r.image, opts)
        .map_err(|e| Failure::failed(format!("Unable to find partition containing kernel: {e}")))?;
    let (index, req) = request(&boot, &r)?;
    let plan = boot.plan(index, &req)?;
    let header = Header {
        index,
        title: plan.title.clone(),
        args: plan.args.clone(),
        kernel_len: plan.kernel.len,
        ramdisk_len: (!plan.ramdisks.is_empty()).then(|| plan.ramdisk_len()),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    runas::send_header(&mut out, &header)?;
    if !r.not_really {
        boot.write_kernel(&plan, &mut out)?;
        boot.write_ramdisk(&plan, &mut out)?;
    }
    out.flush()
        .map_err(|e| Failure::failed(format!("--runas child: writing the answer: {e}")))
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
pub(crate) fn extract(
    boot: &Boot,
    plan: &Plan,
    dir: &str,
) -> Result<(Option<String>, Option<String>, Vec<std::path::PathBuf>), Failure> {
    let out = boot.extract_to_dir(plan, Path::new(dir))?;
    let cwd = current_dir();
    let kernel = shown(&cwd, dir, &out.kernel);
    let ramdisk = out.ramdisk.as_deref().map(|p| shown(&cwd, dir, p));
    let mut written = vec![out.kernel.clone()];
    written.extend(out.ramdisk.clone());
    Ok((Some(kernel), ramdisk, written))
}

/// The working directory, for showing paths as pygrub does.
fn current_dir() -> String {
    std::env::current_dir()
        .map(|c| c.display().to_string())
        .unwrap_or_else(|_| "/".to_string())
}

/// `path` (a file created in `dir`) as pygrub prints it: absolute and normalised.
fn shown(cwd: &str, dir: &str, path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    output::abspath(cwd, &format!("{dir}/{name}"))
}

/// Where the result goes: `--output` (an existing file or fifo, opened for writing
/// as pygrub does; a regular file is truncated) or stdout.
pub(crate) fn open_output(path: Option<&str>) -> Result<Box<dyn Write>, Failure> {
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
pub(crate) fn pygrub_args(entry: &Entry, extra: &str, lang: Language) -> String {
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
pub(crate) fn py_int(s: &str) -> Option<Option<i64>> {
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
