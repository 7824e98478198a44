//! The `xenboot` command.
//!
//! `xenboot list|extract|probe …` is the modern interface; any other command line
//! is read as pygrub's (`xenboot [pygrub options] IMAGE`), so that libxl can run
//! xenboot as a drop-in `bootloader`.

mod args;
mod commands;
mod output;
mod pxe;
mod pygrub;
mod runas;

use std::process::ExitCode;

/// Summary of the subcommands, shown by `xenboot --help`.
pub const SUBCOMMANDS_HELP: &str = "
Subcommands (see xenboot COMMAND --help):
  xenboot list [--json] [--isconfig] TARGET        the boot menu, default marked
  xenboot extract [--json] [--entry SEL] --output-directory DIR TARGET
                                                   copy out kernel and ramdisk
  xenboot probe [--json] TARGET                    what is on the disk, what was tried
  xenboot pxe (--tftp-server HOST | --interface IF) --mac MAC [--list]
             [--output-directory DIR] [DISK]       boot as pxelinux would, from TFTP
                                                   (with --interface: after DHCP as MAC)
";

/// Why the command failed: the exit status and the message for stderr.
#[derive(Debug)]
pub struct Failure {
    /// Exit status (non-zero).
    pub code: u8,
    /// Message printed on stderr.
    pub message: String,
}

impl Failure {
    /// A failure with exit status `code`.
    pub fn new(code: u8, message: impl Into<String>) -> Failure {
        Failure {
            code,
            message: message.into(),
        }
    }

    /// A usage error of a subcommand (status 2).
    pub fn usage(message: impl Into<String>) -> Failure {
        Failure::new(2, message)
    }

    /// The work failed (status 1).
    pub fn failed(message: impl Into<String>) -> Failure {
        Failure::new(1, message)
    }
}

impl From<xenboot::Error> for Failure {
    fn from(e: xenboot::Error) -> Failure {
        Failure::failed(e.to_string())
    }
}

fn main() -> ExitCode {
    let mut argv: Vec<String> = std::env::args().skip(1).collect();
    // `xenboot -v list …` is `xenboot list -v …`: move leading -v before a subcommand.
    let lead = argv
        .iter()
        .take_while(|a| matches!(a.as_str(), "-v" | "--verbose"))
        .count();
    if lead > 0
        && matches!(
            argv.get(lead).map(String::as_str),
            Some("list" | "extract" | "probe" | "pxe")
        )
    {
        let flags: Vec<String> = argv.drain(..lead).collect();
        argv.splice(1..1, flags);
    }
    let result = match argv.first().map(String::as_str) {
        Some("list") => commands::list(argv.get(1..).unwrap_or_default()),
        Some("extract") => commands::extract(argv.get(1..).unwrap_or_default()),
        Some("probe") => commands::probe(argv.get(1..).unwrap_or_default()),
        Some("pxe") => pxe::run(argv.get(1..).unwrap_or_default()),
        Some(runas::CHILD_FLAG) => pygrub::run_child(argv.get(1..).unwrap_or_default()),
        Some("help") => {
            print!(
                "{}{}{SUBCOMMANDS_HELP}",
                pygrub::HELP,
                commands::GLOBAL_HELP
            );
            Ok(())
        }
        // libxl's bootloader protocol with `--tftp-server` in bootloader_args.
        _ if pxe::wanted(&argv) => pxe::run(&argv),
        _ => pygrub::run(&argv),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            let msg = f.message.trim_end();
            if msg.starts_with("xenboot") {
                eprintln!("{msg}");
            } else {
                eprintln!("xenboot: {msg}");
            }
            ExitCode::from(f.code.max(1))
        }
    }
}
