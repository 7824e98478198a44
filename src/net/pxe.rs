//! PXE boot the way pxelinux does it, on behalf of a Xen guest: find the guest's
//! configuration on a TFTP server by pxelinux's search order, parse it with the
//! syslinux parser (its `INCLUDE`s read over TFTP too) and give a [`Boot`] whose
//! kernel and initrds are read from the server.
//!
//! The search (pxelinux 6), every name relative to the path prefix:
//!
//! 1. `pxelinux.cfg/<UUID>` — the client UUID, lower-case with dashes (when known);
//! 2. `pxelinux.cfg/01-<MAC>` — ARP type 1, the MAC lower-case, dash separated;
//! 3. `pxelinux.cfg/<IP>` — the client IPv4 address as 8 upper-case hex digits,
//!    then shortened one digit at a time down to one (`C0A80A2A`, `C0A80A2`, … `C`);
//! 4. `pxelinux.cfg/default`.
//!
//! The first that exists wins. DHCP option 209 (`PxeParams::config_file`) names the
//! configuration instead, and no search happens. The path prefix (DHCP option 210,
//! else the directory of the boot file name; see [`prefix_of_boot_file`]) is put in
//! front of every relative name; kernels and initrds resolve against it too.
//!
//! One departure: a non-empty prefix without a trailing `/` gets one (pxelinux
//! pastes the prefix in front of names literally).

use crate::boot::{Boot, ConfigInfo, Options, ProbedVolume};
use crate::config::{self, FileAccess, Language, ParseContext};
use crate::disk::{Scheme, Volume};
use crate::error::{Error, ErrorKind, Result};
use crate::fs::{self, Filesystem};
use crate::menu::{Entry, Menu};
use crate::net::tftp::{Client, TftpFs};
use std::net::{Ipv4Addr, SocketAddr};

/// What a PXE client knows after DHCP: where the TFTP server is and who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PxeParams {
    /// The TFTP server (DHCP `siaddr`/option 66, port 69 unless told otherwise).
    pub server: SocketAddr,
    /// The client's MAC address (the guest's vif).
    pub mac: [u8; 6],
    /// The client's IPv4 address (DHCP `yiaddr`), for the hex-IP names.
    pub client_ip: Option<Ipv4Addr>,
    /// The client's UUID (SMBIOS / DHCP option 97), any case, with or without
    /// dashes.
    pub uuid: Option<String>,
    /// The path prefix (DHCP option 210); `None`: the server's root.
    pub path_prefix: Option<String>,
    /// The configuration file (DHCP option 209); `None`: search as pxelinux does.
    pub config_file: Option<String>,
}

/// The path prefix pxelinux uses when DHCP gives none: the boot file name up to and
/// including its last `/` (`pxelinux/pxelinux.0` → `pxelinux/`, `pxelinux.0` → ``).
pub fn prefix_of_boot_file(boot_file: &str) -> String {
    match boot_file.rfind('/') {
        Some(i) => boot_file.get(..=i).unwrap_or_default().to_string(),
        None => String::new(),
    }
}

/// The configuration names pxelinux tries for `params`, in order, with the prefix
/// in front (as sent to the server).
pub fn config_candidates(params: &PxeParams) -> Result<Vec<String>> {
    let prefix = prefix(params);
    if let Some(file) = &params.config_file {
        if file.is_empty() {
            return Err(Error::invalid("empty configuration file name (option 209)"));
        }
        // An absolute name ignores the prefix; so does pxelinux's `::name`, which is
        // asked for exactly as written after the `::`.
        return Ok(vec![match file.strip_prefix("::") {
            Some(name) => name.to_string(),
            None if file.starts_with('/') => file.clone(),
            None => format!("{prefix}{file}"),
        }]);
    }
    let mut names = Vec::new();
    if let Some(uuid) = &params.uuid {
        names.push(canonical_uuid(uuid)?);
    }
    let mac: Vec<String> = params.mac.iter().map(|b| format!("{b:02x}")).collect();
    names.push(format!("01-{}", mac.join("-")));
    if let Some(ip) = params.client_ip {
        let hex = format!("{:08X}", u32::from(ip));
        for len in (1..=hex.len()).rev() {
            names.push(hex.get(..len).unwrap_or_default().to_string());
        }
    }
    names.push("default".to_string());
    Ok(names
        .into_iter()
        .map(|n| format!("{prefix}pxelinux.cfg/{n}"))
        .collect())
}

/// True when `entry` is a `LOCALBOOT` label: the PXE configuration says to boot
/// from the local disk, so the caller should boot the guest's disk instead.
pub fn is_localboot(entry: &Entry) -> bool {
    entry
        .not_bootable
        .as_deref()
        .is_some_and(|why| why.starts_with("LOCALBOOT"))
}

/// The prefix with a trailing `/` when not empty.
fn prefix(params: &PxeParams) -> String {
    match params.path_prefix.as_deref() {
        None | Some("") => String::new(),
        Some(p) if p.ends_with('/') => p.to_string(),
        Some(p) => format!("{p}/"),
    }
}

/// A UUID as pxelinux spells it: 8-4-4-4-12 lower-case hex digits.
fn canonical_uuid(uuid: &str) -> Result<String> {
    let bytes = crate::net::dhcp::parse_uuid(uuid).map_err(|_| {
        Error::invalid(format!(
            "{uuid:?} is not a UUID (32 hex digits, dashes optional)"
        ))
    })?;
    Ok(crate::fs::format_uuid(&bytes))
}

impl Boot {
    /// Boots like pxelinux from the TFTP server of `params`: finds the first
    /// configuration of the search order (see [`crate::net::pxe`]), parses it and
    /// returns a boot source whose files are read from the server. Every transfer,
    /// extraction included, shares [`Limits::max_network_time`](crate::Limits).
    /// [`Boot::tried`] lists each configuration name asked for and the answer.
    pub fn open_pxe(params: &PxeParams, options: Options) -> Result<Boot> {
        let names = config_candidates(params)?;
        let client = Client::new(params.server, options.limits.max_network_time);
        let absolute = prefix(params).starts_with('/');
        let mut tftp = TftpFs::new(client, &options.limits).absolute_names(absolute);
        // An absolute option-209 name is asked for as such, even under a relative
        // prefix (its single candidate is that name).
        if params.config_file.is_some() {
            for name in names.iter().filter(|n| n.starts_with('/')) {
                tftp = tftp.absolute_name_of(name);
            }
        }
        let server = params.server;
        let mut notes = vec![format!(
            "PXE: TFTP server {server}, MAC {}, client IP {}, path prefix {:?}",
            params
                .mac
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<Vec<_>>()
                .join(":"),
            params
                .client_ip
                .map_or_else(|| "unknown".to_string(), |ip| ip.to_string()),
            prefix(params)
        )];
        if params.config_file.is_some() {
            notes.push("configuration file named by DHCP (option 209): no search".to_string());
        }
        let files = TftpFiles {
            fs: &tftp,
            max: options.limits.max_config,
        };
        let mut tried = Vec::new();
        let mut warnings = Vec::new();
        let mut found = None;
        for name in &names {
            let path = format!("/{}", name.trim_start_matches('/'));
            match files.read(&path) {
                Ok(bytes) => {
                    found = Some((name.clone(), path, bytes));
                    break;
                }
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    tried.push(format!("tftp://{server}/{name}: not found"));
                }
                // The server failed (not merely "not found"): stop, as the next
                // names would fail alike; the error names this one.
                Err(e) => return Err(with_tried(e, &tried)),
            }
        }
        let Some((name, path, bytes)) = found else {
            let e = Error::new(
                ErrorKind::NoConfig,
                format!("no pxelinux configuration on TFTP server {server}"),
            );
            return Err(with_tried(e, &tried));
        };
        let text = config::decode_text(&bytes);
        let menu: Menu = {
            let mut ctx = ParseContext {
                config_path: &path,
                files: &files,
                limits: &options.limits,
                warnings: &mut warnings,
            };
            config::parse(Language::Syslinux, &text, &mut ctx).map_err(|e| {
                with_tried(e.context(format!("parsing tftp://{server}/{name}")), &tried)
            })?
        };
        tried.push(format!(
            "tftp://{server}/{name}: found (syslinux, {} entries)",
            menu.entries.len()
        ));
        let boot = Boot {
            location: format!("tftp://{server}/{name}"),
            options,
            volumes: vec![ProbedVolume {
                volume: Volume {
                    scheme: Scheme::Network,
                    number: 0,
                    offset: 0,
                    len: 0,
                    type_name: format!("TFTP server {server}"),
                },
                fs: Some(Box::new(tftp) as Box<dyn Filesystem>),
                fs_error: None,
            }],
            notes,
            tried,
            config: ConfigInfo {
                volume: Some(0),
                path,
                language: Language::Syslinux,
            },
            menu,
            warnings: crate::boot::bound_warnings(warnings),
            selected: None,
        };
        boot.emit_warnings();
        Ok(boot)
    }
}

/// Configuration files (and their `INCLUDE`s) read from the server in one transfer
/// each, at most `max` bytes (`Limits::max_config`) whether or not the server
/// announces the size.
struct TftpFiles<'a> {
    fs: &'a TftpFs,
    max: u64,
}

impl FileAccess for TftpFiles<'_> {
    fn read(&self, path: &str) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.fs
            .client()
            .download(&self.fs.tftp_name(path), &mut out, self.max)?;
        Ok(out)
    }

    fn exists(&self, path: &str) -> bool {
        fs::is_file(self.fs, path)
    }
}

/// Appends the configuration names tried to an error's message.
fn with_tried(e: Error, tried: &[String]) -> Error {
    if tried.is_empty() {
        return e;
    }
    let mut msg = e.message().to_string();
    msg.push_str("; tried:");
    for t in tried {
        msg.push_str("\n  ");
        msg.push_str(t);
    }
    let mut out = Error::new(e.kind(), msg);
    for c in e.context_lines() {
        out = out.context(c.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> PxeParams {
        PxeParams {
            server: "127.0.0.1:69".parse().unwrap(),
            mac: [0x00, 0x16, 0x3E, 0x0A, 0xBC, 0x01],
            client_ip: Some(Ipv4Addr::new(192, 168, 10, 42)),
            uuid: Some("B8945908-D6A6-41A9-611D-74A6AB80B83D".to_string()),
            path_prefix: None,
            config_file: None,
        }
    }

    #[test]
    fn search_order_is_pxelinux_s() {
        let names = config_candidates(&params()).unwrap();
        assert_eq!(
            names,
            [
                "pxelinux.cfg/b8945908-d6a6-41a9-611d-74a6ab80b83d",
                "pxelinux.cfg/01-00-16-3e-0a-bc-01",
                "pxelinux.cfg/C0A80A2A",
                "pxelinux.cfg/C0A80A2",
                "pxelinux.cfg/C0A80A",
                "pxelinux.cfg/C0A80",
                "pxelinux.cfg/C0A8",
                "pxelinux.cfg/C0A",
                "pxelinux.cfg/C0",
                "pxelinux.cfg/C",
                "pxelinux.cfg/default",
            ]
        );
        let p = PxeParams {
            uuid: None,
            client_ip: None,
            path_prefix: Some("boot/pxe".into()),
            ..params()
        };
        assert_eq!(
            config_candidates(&p).unwrap(),
            [
                "boot/pxe/pxelinux.cfg/01-00-16-3e-0a-bc-01",
                "boot/pxe/pxelinux.cfg/default"
            ]
        );
    }

    #[test]
    fn option_209_names_the_file_and_uuids_are_checked() {
        let p = PxeParams {
            config_file: Some("cfg/guest7".into()),
            path_prefix: Some("pxe/".into()),
            ..params()
        };
        assert_eq!(config_candidates(&p).unwrap(), ["pxe/cfg/guest7"]);
        let p = PxeParams {
            config_file: Some("::top.cfg".into()),
            ..p
        };
        assert_eq!(config_candidates(&p).unwrap(), ["top.cfg"]);
        let p = PxeParams {
            config_file: Some("::/srv/top.cfg".into()),
            ..p
        };
        assert_eq!(config_candidates(&p).unwrap(), ["/srv/top.cfg"]);
        let p = PxeParams {
            uuid: Some("b8945908d6a641a9611d74a6ab80b83d".into()),
            ..params()
        };
        assert_eq!(
            config_candidates(&p).unwrap()[0],
            "pxelinux.cfg/b8945908-d6a6-41a9-611d-74a6ab80b83d"
        );
        for bad in [
            "../../etc/passwd",
            "b8945908",
            "g8945908-d6a6-41a9-611d-74a6ab80b83d",
        ] {
            let p = PxeParams {
                uuid: Some(bad.into()),
                ..params()
            };
            assert_eq!(
                config_candidates(&p).unwrap_err().kind(),
                ErrorKind::Invalid
            );
        }
    }

    #[test]
    fn boot_file_prefix() {
        assert_eq!(prefix_of_boot_file("pxelinux.0"), "");
        assert_eq!(prefix_of_boot_file("pxelinux/pxelinux.0"), "pxelinux/");
        assert_eq!(prefix_of_boot_file("/srv/a/b/lpxelinux.0"), "/srv/a/b/");
    }

    #[test]
    fn localboot_labels_are_recognised() {
        struct NoFiles;
        impl config::FileAccess for NoFiles {
            fn read(&self, path: &str) -> Result<Vec<u8>> {
                Err(Error::not_found(path))
            }
            fn exists(&self, _: &str) -> bool {
                false
            }
        }
        let mut warnings = Vec::new();
        let mut ctx = ParseContext {
            config_path: "/pxelinux.cfg/default",
            files: &NoFiles,
            limits: &crate::Limits::default(),
            warnings: &mut warnings,
        };
        let text = "DEFAULT local\nLABEL local\n LOCALBOOT 0\nLABEL linux\n KERNEL vmlinuz\n";
        let menu = config::parse(Language::Syslinux, text, &mut ctx).unwrap();
        assert!(is_localboot(&menu.entries[0]));
        assert!(!is_localboot(&menu.entries[1]));
        assert_eq!(menu.entries[1].kernel.as_deref(), Some("/vmlinuz"));
    }
}
