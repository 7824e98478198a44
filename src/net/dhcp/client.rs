//! The DHCP client: DISCOVER → OFFER → REQUEST → ACK for a guest's MAC address on one
//! dom0 interface, with retransmission (exponential backoff, bounded sends per phase)
//! inside a total time budget.
//!
//! The socket is UDP bound to `0.0.0.0:68` on the interface (`SO_BINDTODEVICE`) with
//! `SO_BROADCAST` and `SO_REUSEADDR`; requests go to `255.255.255.255:67` with the
//! broadcast flag set, so the server broadcasts its replies and no address or raw
//! socket is needed on the interface. Needs `CAP_NET_RAW` (for `SO_BINDTODEVICE`)
//! and `CAP_NET_BIND_SERVICE` (port 68), as root has.

use super::format_mac;
use super::packet::{
    build_discover, build_request, parse_reply, ClientIdentity, MessageType, Reply, CLIENT_PORT,
    MAX_REPLY, SERVER_PORT,
};
use crate::error::{Error, ErrorKind, Result};
use serde::Serialize;
use socket2::{Domain, Protocol, Socket, Type};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::time::{Duration, Instant};

/// The TFTP port, where [`Lease::tftp_server`] points.
const TFTP_PORT: u16 = 69;
/// The shortest wait between two sends of one phase.
const MIN_RETRANSMIT: Duration = Duration::from_millis(10);
/// Longest interface name Linux accepts (`IFNAMSIZ` less the NUL).
const MAX_INTERFACE_NAME: usize = 15;

/// How [`acquire`] behaves. The defaults suit a toolstack starting a guest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhcpOptions {
    /// The guest's UUID, sent as the PXE client machine identifier (option 97).
    pub uuid: Option<[u8; 16]>,
    /// Total time budget for the whole exchange (default 30 s).
    pub timeout: Duration,
    /// Wait after the first message of a phase before sending it again (default 1 s,
    /// at least 10 ms); each retransmission doubles the wait.
    pub first_retransmit: Duration,
    /// The longest wait between retransmissions (default 8 s).
    pub max_retransmit: Duration,
    /// Most DISCOVERs, and most REQUESTs, sent (default 6 each).
    pub max_sends: u32,
}

impl Default for DhcpOptions {
    fn default() -> Self {
        DhcpOptions {
            uuid: None,
            timeout: Duration::from_secs(30),
            first_retransmit: Duration::from_secs(1),
            max_retransmit: Duration::from_secs(8),
            max_sends: 6,
        }
    }
}

/// What the server leased to the guest and where the guest would boot from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lease {
    /// The guest's address (`yiaddr` of the ACK).
    pub client_ip: Ipv4Addr,
    /// The DHCP server that granted the lease (option 54).
    pub server_id: Ipv4Addr,
    /// The next server (`siaddr`), unless 0.0.0.0.
    pub next_server: Option<Ipv4Addr>,
    /// The TFTP server's name: option 66, or the `sname` field.
    pub tftp_server_name: Option<String>,
    /// The boot file: the `file` field, or option 67.
    pub boot_file: Option<String>,
    /// The pxelinux configuration file (option 209).
    pub config_file: Option<String>,
    /// The pxelinux path prefix (option 210).
    pub path_prefix: Option<String>,
    /// The subnet mask (option 1).
    pub subnet_mask: Option<Ipv4Addr>,
    /// The first router (option 3).
    pub router: Option<Ipv4Addr>,
}

impl Lease {
    /// Builds the lease from the ACK, taking from the OFFER what the ACK lacks.
    fn from_replies(offer: &Reply, ack: &Reply, server_id: Ipv4Addr) -> Lease {
        let nonzero = |a: Ipv4Addr| (!a.is_unspecified()).then_some(a);
        let text = |f: fn(&Reply) -> Option<&str>| f(ack).or(f(offer)).map(str::to_owned);
        Lease {
            client_ip: ack.yiaddr,
            server_id,
            next_server: nonzero(ack.siaddr).or(nonzero(offer.siaddr)),
            tftp_server_name: text(Reply::tftp_server_name),
            boot_file: text(Reply::boot_file),
            config_file: text(|r| r.config_file.as_deref()),
            path_prefix: text(|r| r.path_prefix.as_deref()),
            subnet_mask: ack.subnet_mask.or(offer.subnet_mask),
            router: ack.router.or(offer.router),
        }
    }

    /// The TFTP server to fetch from, port 69: option 66 when it is a dotted IPv4
    /// address (host names are not resolved), else the next server (`siaddr`), else
    /// the DHCP server itself.
    pub fn tftp_server(&self) -> SocketAddr {
        let ip = self
            .tftp_server_name
            .as_deref()
            .and_then(|name| name.trim().parse::<Ipv4Addr>().ok())
            .or(self.next_server)
            .unwrap_or(self.server_id);
        SocketAddr::V4(SocketAddrV4::new(ip, TFTP_PORT))
    }

    /// The path prefix pxelinux would use: option 210, else the boot file's
    /// directory including its final `/` (`pxelinux/` for `pxelinux/pxelinux.0`);
    /// `None` when the boot file has no directory part.
    pub fn pxe_path_prefix(&self) -> Option<String> {
        if let Some(prefix) = &self.path_prefix {
            return Some(prefix.clone());
        }
        let file = self.boot_file.as_deref()?;
        let cut = file.rfind('/')?;
        file.get(..=cut).map(str::to_owned)
    }
}

/// Acquires a lease for the guest with MAC address `mac` through `interface` (the
/// dom0 bridge or NIC on the guest's network).
///
/// Takes the first OFFER whose transaction id and client hardware address match and
/// that offers an address and names its server (anything else, malformed replies and
/// proxyDHCP offers without an address included, is ignored), requests it and
/// returns the ACK's lease. A DHCPNAK, or no answer within the budget, is an
/// [`ErrorKind::Network`] error saying what was sent on which interface.
pub fn acquire(mac: [u8; 6], interface: &str, opts: &DhcpOptions) -> Result<Lease> {
    let who = format!("DHCP for MAC {} on interface {interface}", format_mac(&mac));
    let start = Instant::now();
    let deadline = start.checked_add(opts.timeout).ok_or_else(|| {
        Error::invalid(format!("DHCP time budget {:?} is too large", opts.timeout))
    })?;
    let socket = open_socket(interface).map_err(|e| e.context(who.clone()))?;
    let id = ClientIdentity {
        mac,
        uuid: opts.uuid,
    };
    let xid = random_xid();
    let mut exchange = Exchange {
        socket: &socket,
        opts,
        start,
        deadline,
        ignored: 0,
        last_ignored: None,
    };

    let offer = exchange.run(
        |secs| build_discover(&id, xid, secs),
        |r| {
            r.message_type == MessageType::Offer
                && r.is_for(xid, &mac)
                && r.server_id.is_some()
                && !r.yiaddr.is_unspecified()
        },
    )?;
    let (offer, discovers) = match offer {
        (Some(offer), n) => (offer, n),
        (None, n) => return Err(exchange.timeout(&who, "DHCPOFFER", "DHCPDISCOVER", n)),
    };
    let server_id = offer.server_id.unwrap_or(offer.siaddr);
    let answer = exchange.run(
        |secs| build_request(&id, xid, secs, offer.yiaddr, server_id),
        |r| {
            matches!(r.message_type, MessageType::Ack | MessageType::Nak)
                && r.is_for(xid, &mac)
                && r.server_id.is_none_or(|s| s == server_id)
        },
    )?;
    match answer {
        (Some(ack), _) if ack.message_type == MessageType::Ack => {
            Ok(Lease::from_replies(&offer, &ack, server_id))
        }
        (Some(nak), _) => Err(Error::new(
            ErrorKind::Network,
            format!(
                "{who}: server {server_id} refused (DHCPNAK) the offered address {}{}",
                offer.yiaddr,
                nak.message.map(|m| format!(": {m:?}")).unwrap_or_default()
            ),
        )),
        (None, requests) => Err(exchange.timeout(
            &who,
            &format!(
                "DHCPACK from {server_id} (after {discovers} DHCPDISCOVERs and its offer of {})",
                offer.yiaddr
            ),
            "DHCPREQUEST",
            requests,
        )),
    }
}

/// One client socket and the clock of one acquisition.
struct Exchange<'a> {
    socket: &'a UdpSocket,
    opts: &'a DhcpOptions,
    start: Instant,
    deadline: Instant,
    /// Replies received but not taken (other clients', other phases', malformed).
    ignored: u32,
    /// Why the last ignored reply was ignored.
    last_ignored: Option<String>,
}

impl Exchange<'_> {
    /// Sends `build(secs)` with backoff until a reply passes `accept`, the sends run
    /// out or the budget ends. Returns the reply (if any) and the number of sends.
    fn run(
        &mut self,
        build: impl Fn(u16) -> Vec<u8>,
        accept: impl Fn(&Reply) -> bool,
    ) -> Result<(Option<Reply>, u32)> {
        let to = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::BROADCAST, SERVER_PORT));
        let mut buf = vec![0u8; MAX_REPLY];
        let mut wait = self.opts.first_retransmit.max(MIN_RETRANSMIT);
        let mut sent = 0u32;
        while sent < self.opts.max_sends && Instant::now() < self.deadline {
            let secs = u16::try_from(self.start.elapsed().as_secs()).unwrap_or(u16::MAX);
            self.socket
                .send_to(&build(secs), to)
                .map_err(|e| net_error(&format!("sending to {to}"), &e))?;
            sent += 1;
            let until = Instant::now()
                .checked_add(wait)
                .map_or(self.deadline, |t| t.min(self.deadline));
            while let Some(left) = until.checked_duration_since(Instant::now()) {
                if left.is_zero() {
                    break;
                }
                self.socket
                    .set_read_timeout(Some(left))
                    .map_err(|e| net_error("setting the receive timeout", &e))?;
                let len = match self.socket.recv_from(&mut buf) {
                    Ok((len, _)) => len,
                    Err(e)
                        if matches!(
                            e.kind(),
                            std::io::ErrorKind::WouldBlock
                                | std::io::ErrorKind::TimedOut
                                | std::io::ErrorKind::Interrupted
                        ) =>
                    {
                        continue
                    }
                    Err(e) => return Err(net_error("receiving a DHCP reply", &e)),
                };
                match parse_reply(buf.get(..len).unwrap_or_default()) {
                    Ok(reply) if accept(&reply) => return Ok((Some(reply), sent)),
                    Ok(reply) => {
                        self.ignored = self.ignored.saturating_add(1);
                        self.last_ignored = Some(format!(
                            "a {} for xid {:#010x}",
                            reply.message_type.name(),
                            reply.xid
                        ));
                    }
                    Err(e) => {
                        self.ignored = self.ignored.saturating_add(1);
                        self.last_ignored = Some(format!("a malformed reply ({e})"));
                    }
                }
            }
            wait = wait.saturating_mul(2).min(self.opts.max_retransmit);
        }
        Ok((None, sent))
    }

    /// The error when no `wanted` came after `sent` messages of kind `sent_kind`.
    fn timeout(&self, who: &str, wanted: &str, sent_kind: &str, sent: u32) -> Error {
        let ignored = match &self.last_ignored {
            Some(last) => format!("; ignored {} other replies, the last {last}", self.ignored),
            None => "; no other replies".to_owned(),
        };
        Error::new(
            ErrorKind::Network,
            format!(
                "{who}: no {wanted} after {sent} {sent_kind}s in {:.1} s (budget {:.1} s, \
                 at most {} sends){ignored}",
                self.start.elapsed().as_secs_f64(),
                self.opts.timeout.as_secs_f64(),
                self.opts.max_sends
            ),
        )
    }
}

fn net_error(what: &str, err: &std::io::Error) -> Error {
    Error::new(ErrorKind::Network, format!("{what}: {err}"))
}

/// A UDP socket on `0.0.0.0:68` bound to `interface`, allowed to broadcast.
fn open_socket(interface: &str) -> Result<UdpSocket> {
    if interface.is_empty() || interface.len() > MAX_INTERFACE_NAME || interface.contains('\0') {
        return Err(Error::invalid(format!(
            "bad interface name {interface:?}: 1 to {MAX_INTERFACE_NAME} bytes, no NUL"
        )));
    }
    let socket = Socket::new(Domain::IPV4, Type::DGRAM, Some(Protocol::UDP))
        .map_err(|e| net_error("creating a UDP socket", &e))?;
    socket
        .set_reuse_address(true)
        .map_err(|e| net_error("setting SO_REUSEADDR", &e))?;
    socket
        .set_broadcast(true)
        .map_err(|e| net_error("setting SO_BROADCAST", &e))?;
    socket
        .bind_device(Some(interface.as_bytes()))
        .map_err(|e| net_error("binding the socket to the interface (SO_BINDTODEVICE)", &e))?;
    let local = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, CLIENT_PORT));
    socket
        .bind(&local.into())
        .map_err(|e| net_error(&format!("binding UDP {local}"), &e))?;
    Ok(socket.into())
}

/// A transaction id from the standard library's randomly keyed hasher, mixed with
/// the time and the process id.
fn random_xid() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    hasher.write_u128(now);
    hasher.write_u32(std::process::id());
    let [a, b, c, d, ..] = hasher.finish().to_le_bytes();
    u32::from_le_bytes([a, b, c, d])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease() -> Lease {
        Lease {
            client_ip: Ipv4Addr::new(10, 0, 0, 42),
            server_id: Ipv4Addr::new(10, 0, 0, 1),
            next_server: Some(Ipv4Addr::new(10, 0, 0, 2)),
            tftp_server_name: None,
            boot_file: Some("boot/pxelinux.0".into()),
            config_file: None,
            path_prefix: None,
            subnet_mask: None,
            router: None,
        }
    }

    #[test]
    fn tftp_server_prefers_a_dotted_option_66() {
        let mut l = lease();
        assert_eq!(l.tftp_server(), "10.0.0.2:69".parse().unwrap());
        l.tftp_server_name = Some("tftp.example".into());
        assert_eq!(l.tftp_server(), "10.0.0.2:69".parse().unwrap());
        l.tftp_server_name = Some("10.0.0.3".into());
        assert_eq!(l.tftp_server(), "10.0.0.3:69".parse().unwrap());
        l.tftp_server_name = None;
        l.next_server = None;
        assert_eq!(l.tftp_server(), "10.0.0.1:69".parse().unwrap());
    }

    #[test]
    fn path_prefix_from_option_210_or_the_boot_file() {
        let mut l = lease();
        assert_eq!(l.pxe_path_prefix().as_deref(), Some("boot/"));
        l.boot_file = Some("pxelinux.0".into());
        assert_eq!(l.pxe_path_prefix(), None);
        l.path_prefix = Some("/srv/tftp/".into());
        assert_eq!(l.pxe_path_prefix().as_deref(), Some("/srv/tftp/"));
    }

    #[test]
    fn xids_differ() {
        assert_ne!(random_xid(), random_xid());
    }

    #[test]
    fn a_missing_interface_is_a_network_error_naming_it() {
        let err = acquire([2, 0, 0, 0, 0, 1], "xbnosuch0", &DhcpOptions::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Network, "{err}");
        let msg = err.to_string();
        assert!(msg.contains("interface xbnosuch0"), "{msg}");
        assert!(msg.contains("02:00:00:00:00:01"), "{msg}");
    }

    #[test]
    fn huge_durations_do_not_panic() {
        let opts = DhcpOptions {
            timeout: Duration::MAX,
            ..DhcpOptions::default()
        };
        let err = acquire([2, 0, 0, 0, 0, 1], "lo", &opts).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
        assert!(err.to_string().contains("too large"), "{err}");
    }

    #[test]
    fn bad_interface_names_are_refused() {
        for name in ["", "0123456789abcdef", "et\0h0"] {
            let err = acquire([0; 6], name, &DhcpOptions::default()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Invalid, "{err}");
        }
    }
}
