//! `xenboot pxe`: boot a guest the way pxelinux would, from a TFTP server (the
//! pypxeboot replacement, given what DHCP would have said), and fall back to the
//! guest's disk when the chosen entry is `LOCALBOOT`.
//!
//! libxl can run it as a `bootloader`: a command line holding `--tftp-server` is a
//! PXE boot wherever the option is (libxl puts `bootloader_args` after its own
//! `--output`, `--output-format` and `--output-directory`, and the disk last), and
//! the result is then written in pygrub's formats.

use crate::args::{Parsed, Spec};
use crate::commands::{self, GLOBAL_HELP};
use crate::{output, pygrub, Failure};
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;
use xenboot::extract::Request;
use xenboot::net::dhcp;
use xenboot::net::pxe::{self, PxeParams};
use xenboot::Boot;

/// Help of `xenboot pxe`.
pub const PXE_HELP: &str = "\
Usage: xenboot pxe (--tftp-server HOST[:PORT] | --interface IF) --mac MAC
                   [--client-ip IP] [--uuid UUID]
                   [--path-prefix P] [--config-file F] [--max-network-time SECS]
                   [--list] [--json] [--entry SEL] --output-directory DIR
                   [--kernel PATH] [--ramdisk PATH]... [--args ARGS]
                   [--output FILE] [--output-format sxp|simple|simple0]
                   [GLOBAL OPTIONS] [DISK]

Boots like pxelinux from a TFTP server: looks for pxelinux.cfg/<UUID>,
pxelinux.cfg/01-<MAC>, pxelinux.cfg/<client IP in hex, shortened digit by digit>
and pxelinux.cfg/default under the path prefix, parses the first found (INCLUDEs
are read over TFTP) and copies the kernel and ramdisk of the default or selected
entry from the server into DIR, as `xenboot extract` does from a disk.
When that entry is LOCALBOOT, DISK is booted instead, exactly as
`xenboot extract DISK` (or pygrub mode, with --output/--output-format) would;
without DISK that is an error.

  --tftp-server HOST[:PORT] the TFTP server (DHCP next-server; port 69)
  --interface IF            ask DHCP on IF (the guest's bridge), as the guest's
                            MAC, for the server, address, path prefix and
                            configuration file; the options above override it
  --mac MAC                 the guest's MAC address (aa:bb:cc:dd:ee:ff)
  --client-ip IP            the guest's IPv4 address (for the hex-IP names)
  --uuid UUID               the guest's UUID (tried first)
  --path-prefix P           prefix of every name (DHCP option 210; default: the
                            server's root, i.e. pxelinux.0 at the top)
  --config-file F           use this configuration, no search (DHCP option 209)
  --max-network-time SECS   budget for all transfers together (default 300)
  --list                    list the PXE menu (with --json: as JSON) and stop
  --entry SEL               an index, a label or a title of the PXE menu
  --output-directory DIR    where to write (must exist)
  --kernel PATH, --ramdisk PATH, --args ARGS
                            as for `xenboot extract` (paths on the server)
  --json                    print the result as JSON
  --output FILE, --output-format FMT
                            write pygrub's result document instead (libxl's
                            bootloader protocol); --args is then appended
  --runas UID               accepted for libxl; applies to a LOCALBOOT disk boot
                            (the PXE configuration is read in this process)
";

/// The options of `xenboot pxe` besides [`commands::EXTRACTION`].
const OWN: &[Spec] = &[
    Spec::value("tftp-server", None),
    Spec::value("interface", None),
    Spec::value("mac", None),
    Spec::value("client-ip", None),
    Spec::value("uuid", None),
    Spec::value("path-prefix", None),
    Spec::value("config-file", None),
    Spec::value("max-network-time", None),
    Spec::flag("list", None),
    Spec::flag("json", None),
    Spec::value("output", None),
    Spec::value("output-format", None),
    Spec::value("runas", None),
    Spec::flag("quiet", Some('q')),
];

/// Options that belong to the PXE side and are not passed on to a disk boot.
const PXE_ONLY: &[&str] = &[
    "tftp-server",
    "interface",
    "mac",
    "client-ip",
    "uuid",
    "path-prefix",
    "config-file",
    "max-network-time",
    "list",
    "entry",
];

/// True when a pygrub-style command line is really a PXE boot (libxl passing
/// `bootloader_args` with `--tftp-server` or `--interface`).
pub fn wanted(argv: &[String]) -> bool {
    argv.iter().any(|a| {
        ["--tftp-server", "--interface"]
            .iter()
            .any(|o| a == o || a.strip_prefix(o).is_some_and(|r| r.starts_with('=')))
    })
}

/// `xenboot pxe`.
pub fn run(argv: &[String]) -> Result<(), Failure> {
    let help = format!("{PXE_HELP}{GLOBAL_HELP}");
    let own: Vec<Spec> = OWN.iter().chain(commands::EXTRACTION).copied().collect();
    let Some(p) = commands::parse_command("pxe", argv, &own, &help)? else {
        return Ok(());
    };
    let params = params(&p, &help)?;
    let disk = match p.operands.as_slice() {
        [] => None,
        [d] => Some(d.as_str()),
        more => {
            return Err(Failure::usage(format!(
                "pxe: at most one DISK expected, got {}\n{help}",
                more.len()
            )))
        }
    };
    let pygrub_output = p.has("output") || p.has("output-format");
    let format = match p.last("output-format").unwrap_or("sxp") {
        f @ ("sxp" | "simple" | "simple0") => f,
        other => {
            return Err(Failure::usage(format!(
                "pxe: unknown output format {other}"
            )))
        }
    };
    let mut opts = commands::options(&p, p.has("verbose"))?;
    if let Some(secs) = p.last("max-network-time") {
        opts.limits.max_network_time = secs
            .parse::<f64>()
            .ok()
            .and_then(|s| Duration::try_from_secs_f64(s).ok())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| {
                Failure::usage(format!(
                    "--max-network-time: {secs:?} is not a number of seconds"
                ))
            })?;
    }
    let mut boot = Boot::open_pxe(&params, opts)?;
    if p.has("verbose") {
        for t in boot.tried() {
            eprintln!("xenboot: pxe: {t}");
        }
    }
    if p.has("list") {
        if p.has("json") {
            println!("{}", output::list_json(&boot));
        } else {
            print!("{}", output::list_table(&boot));
        }
        return Ok(());
    }
    let index = boot.select(p.last("entry"))?;
    let entry = boot
        .entries()
        .get(index)
        .ok_or_else(|| Failure::failed("no menu entries"))?;
    if pxe::is_localboot(entry) {
        let Some(disk) = disk else {
            return Err(Failure::failed(format!(
                "PXE entry {index} ({:?}) of {} is LOCALBOOT (boot from the local disk), \
                 but no DISK was given to boot from",
                entry.title,
                boot.location()
            )));
        };
        eprintln!(
            "xenboot: PXE entry {index} ({:?}) of {} is LOCALBOOT: booting from the disk {disk}",
            entry.title,
            boot.location()
        );
        let rest = disk_argv(&p, disk, pygrub_output);
        return if pygrub_output {
            pygrub::run(&rest)
        } else {
            commands::extract(&rest)
        };
    }
    let dir = p.last("output-directory").ok_or_else(|| {
        Failure::usage(format!("pxe: --output-directory DIR is required\n{help}"))
    })?;
    if !Path::new(dir).is_dir() {
        return Err(Failure::failed(format!(
            "output directory {dir} is not an existing directory"
        )));
    }
    let mut req = commands::overrides(&p);
    if pygrub_output && req.kernel.is_none() {
        // pygrub appends --args to the entry's command line.
        req = Request {
            args: Some(pygrub::pygrub_args(
                entry,
                p.last("args").unwrap_or_default(),
                boot.config().language,
            )),
            ramdisks: None,
            ..req
        };
    }
    let plan = boot.plan(index, &req)?;
    if !pygrub_output {
        let out = boot.extract_to_dir(&plan, Path::new(dir))?;
        print!(
            "{}",
            commands::extraction_report(&boot, &plan, &out, p.has("json"))
        );
        return Ok(());
    }
    let mut sink = pygrub::open_output(p.last("output").filter(|o| *o != "-"))?;
    let (kernel, ramdisk, written) = pygrub::extract(&boot, &plan, dir)?;
    let args = Some(plan.args.as_str());
    let doc = match format {
        "sxp" => Ok(output::format_sxp(
            kernel.as_deref(),
            ramdisk.as_deref(),
            args,
        )),
        "simple" => output::format_simple(kernel.as_deref(), ramdisk.as_deref(), args, '\n'),
        _ => output::format_simple(kernel.as_deref(), ramdisk.as_deref(), args, '\0'),
    }
    .map_err(Failure::failed);
    let result = doc.and_then(|d| {
        sink.write_all(d.as_bytes())
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

/// The command line of the disk boot: every option but the PXE ones and those the
/// other mode does not have (pygrub's have no `--json`; `extract` has no `--output`,
/// `--runas` or `--quiet`), then DISK.
fn disk_argv(p: &Parsed, disk: &str, pygrub_output: bool) -> Vec<String> {
    let other_mode: &[&str] = if pygrub_output {
        &["json"]
    } else {
        &["output", "output-format", "runas", "quiet"]
    };
    let mut argv: Vec<String> = p
        .opts
        .iter()
        .filter(|(name, _)| !PXE_ONLY.contains(name) && !other_mode.contains(name))
        .map(|(name, value)| match value {
            Some(v) => format!("--{name}={v}"),
            None => format!("--{name}"),
        })
        .collect();
    argv.push("--".to_string());
    argv.push(disk.to_string());
    argv
}

/// The PXE parameters from the options, completed by a DHCP lease for the guest's
/// MAC when `--interface` is given.
fn params(p: &Parsed, help: &str) -> Result<PxeParams, Failure> {
    let mac = p
        .last("mac")
        .ok_or_else(|| Failure::usage(format!("pxe: --mac is required\n{help}")))?;
    let mac = dhcp::parse_mac(mac).map_err(|e| Failure::usage(format!("--mac: {e}")))?;
    let client_ip =
        match p.last("client-ip") {
            None => None,
            Some(ip) => Some(ip.parse::<Ipv4Addr>().map_err(|_| {
                Failure::usage(format!("--client-ip: {ip:?} is not an IPv4 address"))
            })?),
        };
    let lease = match p.last("interface") {
        None => None,
        Some(interface) => {
            let uuid = match p.last("uuid") {
                None => None,
                Some(u) => {
                    Some(dhcp::parse_uuid(u).map_err(|e| Failure::usage(format!("--uuid: {e}")))?)
                }
            };
            let opts = dhcp::DhcpOptions {
                uuid,
                ..dhcp::DhcpOptions::default()
            };
            Some(dhcp::acquire(mac, interface, &opts)?)
        }
    };
    let server = match (p.last("tftp-server"), &lease) {
        (Some(s), _) => server_addr(s)?,
        (None, Some(l)) => l.tftp_server(),
        (None, None) => {
            return Err(Failure::usage(format!(
                "pxe: --tftp-server or --interface is required\n{help}"
            )))
        }
    };
    Ok(PxeParams {
        server,
        mac,
        client_ip: client_ip.or(lease.as_ref().map(|l| l.client_ip)),
        uuid: p.last("uuid").map(str::to_string),
        path_prefix: p
            .last("path-prefix")
            .map(str::to_string)
            .or_else(|| lease.as_ref().and_then(|l| l.pxe_path_prefix())),
        config_file: p
            .last("config-file")
            .map(str::to_string)
            .or_else(|| lease.and_then(|l| l.config_file)),
    })
}

/// `HOST[:PORT]` (port 69 by default; `[v6]:port` for IPv6) to an address.
fn server_addr(text: &str) -> Result<SocketAddr, Failure> {
    if let Ok(a) = text.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = text
        .trim_matches(|c| c == '[' || c == ']')
        .parse::<IpAddr>()
    {
        return Ok(SocketAddr::new(ip, 69));
    }
    let with_port = if text.contains(':') {
        text.to_string()
    } else {
        format!("{text}:69")
    };
    let addrs: Vec<SocketAddr> = with_port
        .to_socket_addrs()
        .map_err(|e| Failure::failed(format!("--tftp-server: cannot resolve {text:?}: {e}")))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| Failure::failed(format!("--tftp-server: {text:?} has no address")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers() {
        assert_eq!(
            server_addr("10.0.0.1").unwrap(),
            "10.0.0.1:69".parse().unwrap()
        );
        assert_eq!(
            server_addr("10.0.0.1:6969").unwrap(),
            "10.0.0.1:6969".parse().unwrap()
        );
        assert_eq!(server_addr("[::1]").unwrap(), "[::1]:69".parse().unwrap());
        assert_eq!(server_addr("localhost:70").unwrap().port(), 70);
    }

    #[test]
    fn libxl_command_lines_are_recognised() {
        let argv: Vec<String> = ["--output=/x", "--tftp-server=10.0.0.1", "/dev/xvda"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(wanted(&argv));
        assert!(!wanted(&argv[..1]));
        let dhcp: Vec<String> = ["--interface=xenbr0", "--mac=00:16:3e:00:00:01"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(wanted(&dhcp));
        assert!(!wanted(&["--interfaces".to_string()]));
    }
}
