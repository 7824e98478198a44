//! The modern subcommands: `list`, `extract` and `probe`, and the options they share.

use crate::args::{self, Parsed, Spec};
use crate::output;
use crate::Failure;
use serde_json::json;
use std::path::Path;
use xenboot::extract::{Extracted, Plan, Request};
use xenboot::{Boot, LogLevel, Options};

/// Options accepted by every subcommand (and by the pygrub-compatible mode).
pub const GLOBAL: &[Spec] = &[
    Spec::value("offset", None),
    Spec::value("max-kernel", None),
    Spec::value("max-ramdisk", None),
    Spec::value("max-config", None),
    Spec::flag("allow-backing-file", None),
    Spec::flag("verbose", Some('v')),
    Spec::flag("help", Some('h')),
    Spec::flag("version", Some('V')),
];

/// Builds library [`Options`] from the global options; `verbose` routes the
/// library's warnings to stderr.
pub fn options(p: &Parsed, verbose: bool) -> Result<Options, Failure> {
    let mut o = Options {
        allow_backing_file: p.has("allow-backing-file"),
        ..Options::default()
    };
    if let Some(off) = p.last("offset") {
        o.offset =
            Some(args::parse_size(off).map_err(|e| Failure::usage(format!("--offset: {e}")))?);
    }
    for (name, field) in [
        ("max-kernel", &mut o.limits.max_kernel),
        ("max-ramdisk", &mut o.limits.max_ramdisk),
        ("max-config", &mut o.limits.max_config),
    ] {
        if let Some(v) = p.last(name) {
            *field = args::parse_size(v).map_err(|e| Failure::usage(format!("--{name}: {e}")))?;
        }
    }
    if verbose {
        o.log = Some(Box::new(|level, msg| {
            if level >= LogLevel::Warn {
                eprintln!("xenboot: warning: {msg}");
            }
        }));
    }
    Ok(o)
}

/// Parses a subcommand's arguments: its own specs plus [`GLOBAL`]. Returns `None`
/// when `--help` or `--version` was handled.
pub(crate) fn parse_command(
    name: &str,
    argv: &[String],
    own: &[Spec],
    help: &str,
) -> Result<Option<Parsed>, Failure> {
    let specs: Vec<Spec> = own.iter().chain(GLOBAL).copied().collect();
    let p =
        args::parse(argv, &specs).map_err(|e| Failure::usage(format!("{name}: {e}\n{help}")))?;
    if p.has("help") {
        print!("{help}");
        return Ok(None);
    }
    if p.has("version") {
        println!("xenboot {}", xenboot::VERSION);
        return Ok(None);
    }
    Ok(Some(p))
}

/// The single TARGET operand.
fn target<'a>(name: &str, p: &'a Parsed, help: &str) -> Result<&'a str, Failure> {
    match p.operands.as_slice() {
        [t] => Ok(t),
        [] => Err(Failure::usage(format!("{name}: missing TARGET\n{help}"))),
        _ => Err(Failure::usage(format!(
            "{name}: one TARGET expected, got {}\n{help}",
            p.operands.len()
        ))),
    }
}

/// Help of `xenboot list`.
pub const LIST_HELP: &str = "\
Usage: xenboot list [--json] [--isconfig] [GLOBAL OPTIONS] TARGET

Lists the boot menu of TARGET (a disk image or block device; with --isconfig a
boot configuration file on the host), entries numbered in document order.

  --json       print one JSON object {\"default\": N, \"entries\": [...], ...}
  --isconfig   TARGET is a configuration file on the host
";

/// `xenboot list`.
pub fn list(argv: &[String]) -> Result<(), Failure> {
    let own = [Spec::flag("json", None), Spec::flag("isconfig", None)];
    let help = format!("{LIST_HELP}{GLOBAL_HELP}");
    let Some(p) = parse_command("list", argv, &own, &help)? else {
        return Ok(());
    };
    let target = target("list", &p, &help)?;
    let mut opts = options(&p, p.has("verbose"))?;
    opts.isconfig = p.has("isconfig");
    let boot = Boot::open(target, opts)?;
    if p.has("json") {
        println!("{}", output::list_json(&boot));
    } else {
        print!("{}", output::list_table(&boot));
    }
    Ok(())
}

/// Help of `xenboot extract`.
pub const EXTRACT_HELP: &str = "\
Usage: xenboot extract [--json] [--entry SEL] --output-directory DIR [GLOBAL OPTIONS]
                       [--kernel PATH] [--ramdisk PATH]... [--args ARGS] TARGET

Copies the kernel and the ramdisk (all initrds of the entry, concatenated) of the
default or selected entry out of TARGET into DIR as boot_kernel.XXXXXXXX and
boot_ramdisk.XXXXXXXX (mode 0600), and prints where they are and the command line.

  --entry SEL               an index, a title, an id or a GRUB path such as 1>2
  --output-directory DIR    where to write (must exist)
  --kernel PATH             take this kernel (path in the guest) instead
  --ramdisk PATH            take this initrd instead (repeat for several;
                            an empty PATH means no ramdisk)
  --args ARGS               use this command line instead
  --json                    print {\"kernel\", \"ramdisk\", \"args\", \"title\", ...}
";

/// What to extract and where: the options `extract` and `pxe` share.
pub const EXTRACTION: &[Spec] = &[
    Spec::value("entry", Some('e')),
    Spec::value("output-directory", Some('d')),
    Spec::value("kernel", None),
    Spec::value("ramdisk", None),
    Spec::value("args", None),
];

/// `xenboot extract`.
pub fn extract(argv: &[String]) -> Result<(), Failure> {
    let own: Vec<Spec> = EXTRACTION
        .iter()
        .copied()
        .chain([Spec::flag("json", None), Spec::flag("isconfig", None)])
        .collect();
    let help = format!("{EXTRACT_HELP}{GLOBAL_HELP}");
    let Some(p) = parse_command("extract", argv, &own, &help)? else {
        return Ok(());
    };
    let target = target("extract", &p, &help)?;
    if p.has("isconfig") {
        return Err(Failure::usage(
            "extract: --isconfig names a host configuration file; there is no disk to extract from",
        ));
    }
    let dir = p.last("output-directory").ok_or_else(|| {
        Failure::usage(format!(
            "extract: --output-directory DIR is required\n{help}"
        ))
    })?;
    if !Path::new(dir).is_dir() {
        return Err(Failure::failed(format!(
            "output directory {dir} is not an existing directory"
        )));
    }
    let req = overrides(&p);
    let mut boot = Boot::open(target, options(&p, p.has("verbose"))?)?;
    let index = boot.select(p.last("entry"))?;
    let plan = boot.plan(index, &req)?;
    let out = boot.extract_to_dir(&plan, Path::new(dir))?;
    print!("{}", extraction_report(&boot, &plan, &out, p.has("json")));
    Ok(())
}

/// The `--kernel`, `--ramdisk` (repeatable; empty: no ramdisk) and `--args`
/// overrides of `extract`.
pub(crate) fn overrides(p: &Parsed) -> Request {
    let ramdisks = p.all("ramdisk");
    Request {
        kernel: p.last("kernel").map(str::to_string),
        ramdisks: if ramdisks.is_empty() {
            None
        } else {
            Some(
                ramdisks
                    .into_iter()
                    .filter(|r| !r.is_empty())
                    .map(str::to_string)
                    .collect(),
            )
        },
        args: p.last("args").map(str::to_string),
    }
}

/// What `extract` prints: where the files are, their sources and the command line,
/// as text or (with `json`) one JSON object.
pub(crate) fn extraction_report(boot: &Boot, plan: &Plan, out: &Extracted, json: bool) -> String {
    let index = plan.index;
    let entry = boot.entries().get(index);
    let kernel = out.kernel.display().to_string();
    let ramdisk = out.ramdisk.as_ref().map(|r| r.display().to_string());
    if json {
        let doc = json!({
            "kernel": kernel,
            "ramdisk": ramdisk,
            "args": plan.args,
            "title": plan.title,
            "index": index,
            "id": entry.and_then(|e| e.id.clone()),
            "submenu": entry.map(|e| e.submenu.clone()).unwrap_or_default(),
            "kernel_source": plan.kernel.path,
            "kernel_size": plan.kernel.len,
            "ramdisk_sources": plan.ramdisks.iter().map(|r| r.path.clone()).collect::<Vec<_>>(),
            "ramdisk_size": plan.ramdisk_len(),
        });
        return format!("{doc}\n");
    }
    let mut text = format!("entry   {index}: {}\n", plan.title);
    text.push_str(&format!(
        "kernel  {kernel} ({} bytes from {})\n",
        plan.kernel.len, plan.kernel.path
    ));
    if let Some(r) = &ramdisk {
        let srcs: Vec<&str> = plan.ramdisks.iter().map(|r| r.path.as_str()).collect();
        text.push_str(&format!(
            "ramdisk {r} ({} bytes from {})\n",
            plan.ramdisk_len(),
            srcs.join(" + ")
        ));
    }
    text.push_str(&format!("args    {}\n", plan.args));
    text
}

/// Help of `xenboot probe`.
pub const PROBE_HELP: &str = "\
Usage: xenboot probe [--json] [--isconfig] [GLOBAL OPTIONS] TARGET

Reports what is on TARGET: partitions, filesystems (UUID, label), the boot
configurations looked for and found, the entries and the default, warnings, and
what failed and why. Exits 1 when no bootable menu was found.

  --json       print the report as JSON
";

/// `xenboot probe`.
pub fn probe(argv: &[String]) -> Result<(), Failure> {
    let own = [Spec::flag("json", None), Spec::flag("isconfig", None)];
    let help = format!("{PROBE_HELP}{GLOBAL_HELP}");
    let Some(p) = parse_command("probe", argv, &own, &help)? else {
        return Ok(());
    };
    let target = target("probe", &p, &help)?;
    // Warnings are part of the report; they are not printed twice.
    let mut opts = options(&p, false)?;
    opts.isconfig = p.has("isconfig");
    let report = xenboot::probe::probe(target, opts);
    if p.has("json") {
        let doc = serde_json::to_string(&report)
            .map_err(|e| Failure::failed(format!("cannot encode the report: {e}")))?;
        println!("{doc}");
    } else {
        print!("{}", output::probe_text(&report));
    }
    match report.error {
        Some(e) => Err(Failure::failed(format!("probing {target} failed: {e}"))),
        None => Ok(()),
    }
}

/// Help for the options every subcommand accepts.
pub const GLOBAL_HELP: &str = "
Global options:
  --offset BYTES        the filesystem starts at BYTES (skips partition discovery)
  --max-kernel SIZE     largest kernel extracted (default 128M; K/M/G suffixes)
  --max-ramdisk SIZE    largest ramdisk extracted (default 1G)
  --max-config SIZE     largest configuration file read (default 1M)
  --allow-backing-file  follow a qcow2 image's backing file (off by default)
  -v, --verbose         print warnings (unknown commands, skipped entries) on stderr
  -h, --help            this help
  -V, --version         print the version
";
