//! The DHCP message codec: builds the DISCOVER and REQUEST a PXE client sends
//! (RFC 2131, 2132, and the PXE options of RFC 4578) and parses a server's reply
//! without trusting it: every length is checked, option overload (option 52) and
//! long options split into several instances (RFC 3396) are handled, and the work is
//! bounded by the size of the datagram.

use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// The UDP port DHCP servers listen on.
pub const SERVER_PORT: u16 = 67;
/// The UDP port DHCP clients listen on.
pub const CLIENT_PORT: u16 = 68;
/// The largest reply accepted: the largest payload of a UDP datagram over IPv4.
pub const MAX_REPLY: usize = 65_507;
/// The vendor class (option 60) of a PXE 2.1 BIOS client using UNDI 2.1.
pub const PXE_VENDOR_CLASS: &str = "PXEClient:Arch:00000:UNDI:002001";

/// The options a PXE client asks the server for (option 55): mask, router, DNS,
/// host name, domain, broadcast address, vendor options, lease time, server id,
/// vendor class, TFTP server, boot file, UUID, the PXE options 128-135, and the
/// pxelinux configuration file and path prefix (209, 210).
const PARAMETER_REQUEST_LIST: &[u8] = &[
    1, 3, 6, 12, 15, 28, 43, 51, 54, 60, 66, 67, 97, 128, 129, 130, 131, 132, 133, 134, 135, 209,
    210,
];
/// The largest DHCP message the client says it accepts (option 57): an Ethernet MTU
/// less the IPv4 and UDP headers.
const MAX_MESSAGE_SIZE: u16 = 1472;
const MAGIC_COOKIE: [u8; 4] = [99, 130, 83, 99];
/// The fixed BOOTP header plus the magic cookie.
const HEADER_LEN: usize = 240;
/// BOOTP's minimum message size; shorter messages are padded with zeros.
const MIN_MESSAGE_LEN: usize = 300;
const BOOTREQUEST: u8 = 1;
const BOOTREPLY: u8 = 2;
const HTYPE_ETHERNET: u8 = 1;
/// The broadcast bit of the flags field: the client has no address yet, so the
/// server must broadcast its replies.
const FLAG_BROADCAST: u16 = 0x8000;

const OPT_PAD: u8 = 0;
const OPT_SUBNET_MASK: u8 = 1;
const OPT_ROUTER: u8 = 3;
const OPT_REQUESTED_IP: u8 = 50;
const OPT_LEASE_TIME: u8 = 51;
const OPT_OVERLOAD: u8 = 52;
const OPT_MESSAGE_TYPE: u8 = 53;
const OPT_SERVER_ID: u8 = 54;
const OPT_PARAMETER_LIST: u8 = 55;
const OPT_MESSAGE: u8 = 56;
const OPT_MAX_MESSAGE_SIZE: u8 = 57;
const OPT_VENDOR_CLASS: u8 = 60;
const OPT_CLIENT_ID: u8 = 61;
const OPT_TFTP_SERVER: u8 = 66;
const OPT_BOOTFILE: u8 = 67;
const OPT_CLIENT_ARCH: u8 = 93;
const OPT_CLIENT_NDI: u8 = 94;
const OPT_CLIENT_UUID: u8 = 97;
const OPT_PXELINUX_CONFIG: u8 = 209;
const OPT_PXELINUX_PREFIX: u8 = 210;
const OPT_END: u8 = 255;

/// The DHCP message type (option 53).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageType {
    /// DHCPDISCOVER (1), client broadcast to find servers.
    Discover,
    /// DHCPOFFER (2), a server's offer of an address.
    Offer,
    /// DHCPREQUEST (3), the client accepting one offer.
    Request,
    /// DHCPDECLINE (4).
    Decline,
    /// DHCPACK (5), the server committing the lease.
    Ack,
    /// DHCPNAK (6), the server refusing the request.
    Nak,
    /// DHCPRELEASE (7).
    Release,
    /// DHCPINFORM (8).
    Inform,
}

impl MessageType {
    /// The option 53 code of this type.
    pub fn code(self) -> u8 {
        match self {
            MessageType::Discover => 1,
            MessageType::Offer => 2,
            MessageType::Request => 3,
            MessageType::Decline => 4,
            MessageType::Ack => 5,
            MessageType::Nak => 6,
            MessageType::Release => 7,
            MessageType::Inform => 8,
        }
    }

    /// The type with option 53 code `code`, if it is one of RFC 2132's eight.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => MessageType::Discover,
            2 => MessageType::Offer,
            3 => MessageType::Request,
            4 => MessageType::Decline,
            5 => MessageType::Ack,
            6 => MessageType::Nak,
            7 => MessageType::Release,
            8 => MessageType::Inform,
            _ => return None,
        })
    }

    /// The conventional name, such as `DHCPOFFER`.
    pub fn name(self) -> &'static str {
        match self {
            MessageType::Discover => "DHCPDISCOVER",
            MessageType::Offer => "DHCPOFFER",
            MessageType::Request => "DHCPREQUEST",
            MessageType::Decline => "DHCPDECLINE",
            MessageType::Ack => "DHCPACK",
            MessageType::Nak => "DHCPNAK",
            MessageType::Release => "DHCPRELEASE",
            MessageType::Inform => "DHCPINFORM",
        }
    }
}

/// Who the client says it is in every message it sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The guest's MAC address: `chaddr` and the client identifier (option 61).
    pub mac: [u8; 6],
    /// The guest's UUID, sent as the PXE client machine identifier (option 97).
    pub uuid: Option<[u8; 16]>,
}

/// Builds a DHCPDISCOVER with transaction id `xid`, `secs` seconds after the client
/// started.
pub fn build_discover(id: &ClientIdentity, xid: u32, secs: u16) -> Vec<u8> {
    build(id, xid, secs, MessageType::Discover, None)
}

/// Builds the DHCPREQUEST that accepts the offer of `requested` from the server
/// whose identifier is `server_id` (RFC 2131's SELECTING state: `ciaddr` zero,
/// options 50 and 54 set).
pub fn build_request(
    id: &ClientIdentity,
    xid: u32,
    secs: u16,
    requested: Ipv4Addr,
    server_id: Ipv4Addr,
) -> Vec<u8> {
    build(
        id,
        xid,
        secs,
        MessageType::Request,
        Some((requested, server_id)),
    )
}

fn build(
    id: &ClientIdentity,
    xid: u32,
    secs: u16,
    kind: MessageType,
    selected: Option<(Ipv4Addr, Ipv4Addr)>,
) -> Vec<u8> {
    let mut msg = Vec::with_capacity(MIN_MESSAGE_LEN + 64);
    msg.extend_from_slice(&[BOOTREQUEST, HTYPE_ETHERNET, 6, 0]);
    msg.extend_from_slice(&xid.to_be_bytes());
    msg.extend_from_slice(&secs.to_be_bytes());
    msg.extend_from_slice(&FLAG_BROADCAST.to_be_bytes());
    // ciaddr, yiaddr, siaddr, giaddr.
    msg.extend_from_slice(&[0; 16]);
    let mut chaddr = [0u8; 16];
    for (dst, src) in chaddr.iter_mut().zip(id.mac) {
        *dst = src;
    }
    msg.extend_from_slice(&chaddr);
    // sname and file.
    msg.extend_from_slice(&[0; 64 + 128]);
    msg.extend_from_slice(&MAGIC_COOKIE);

    let mut client_id = vec![HTYPE_ETHERNET];
    client_id.extend_from_slice(&id.mac);
    push_option(&mut msg, OPT_MESSAGE_TYPE, &[kind.code()]);
    push_option(&mut msg, OPT_CLIENT_ID, &client_id);
    if let Some((requested, server_id)) = selected {
        push_option(&mut msg, OPT_REQUESTED_IP, &requested.octets());
        push_option(&mut msg, OPT_SERVER_ID, &server_id.octets());
    }
    push_option(
        &mut msg,
        OPT_MAX_MESSAGE_SIZE,
        &MAX_MESSAGE_SIZE.to_be_bytes(),
    );
    push_option(&mut msg, OPT_PARAMETER_LIST, PARAMETER_REQUEST_LIST);
    push_option(&mut msg, OPT_VENDOR_CLASS, PXE_VENDOR_CLASS.as_bytes());
    // Architecture 0: x86 BIOS; network interface UNDI (1) version 2.1.
    push_option(&mut msg, OPT_CLIENT_ARCH, &[0, 0]);
    push_option(&mut msg, OPT_CLIENT_NDI, &[1, 2, 1]);
    if let Some(uuid) = id.uuid {
        let mut value = vec![0u8];
        value.extend_from_slice(&uuid);
        push_option(&mut msg, OPT_CLIENT_UUID, &value);
    }
    msg.push(OPT_END);
    if msg.len() < MIN_MESSAGE_LEN {
        msg.resize(MIN_MESSAGE_LEN, 0);
    }
    msg
}

/// Appends one option; every value the client sends is shorter than 256 bytes.
fn push_option(msg: &mut Vec<u8>, code: u8, value: &[u8]) {
    let len = u8::try_from(value.len()).unwrap_or(u8::MAX);
    msg.push(code);
    msg.push(len);
    msg.extend_from_slice(value.get(..usize::from(len)).unwrap_or(value));
}

/// A parsed server reply. Strings are the bytes before the first NUL, which must be
/// UTF-8; empty strings are `None`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    /// The message type (option 53).
    pub message_type: MessageType,
    /// The transaction id, which must match the client's.
    pub xid: u32,
    /// Hardware address type (1 for Ethernet).
    pub htype: u8,
    /// Hardware address length (6 for Ethernet).
    pub hlen: u8,
    /// The client hardware address the reply is for (the first `hlen` bytes count).
    pub chaddr: [u8; 16],
    /// "Your" address: the address offered to or leased to the client.
    pub yiaddr: Ipv4Addr,
    /// The next server to boot from (`siaddr`, the TFTP server), 0.0.0.0 if none.
    pub siaddr: Ipv4Addr,
    /// The `sname` field (the boot server's host name), unless it carries options.
    pub server_name: Option<String>,
    /// The `file` field (the boot file name), unless it carries options.
    pub file: Option<String>,
    /// The server identifier (option 54).
    pub server_id: Option<Ipv4Addr>,
    /// The subnet mask (option 1).
    pub subnet_mask: Option<Ipv4Addr>,
    /// The first router (option 3).
    pub router: Option<Ipv4Addr>,
    /// The lease time in seconds (option 51).
    pub lease_time: Option<u32>,
    /// The TFTP server name (option 66).
    pub tftp_server_option: Option<String>,
    /// The boot file name (option 67).
    pub bootfile_option: Option<String>,
    /// The pxelinux configuration file (option 209, RFC 5071).
    pub config_file: Option<String>,
    /// The pxelinux path prefix (option 210, RFC 5071).
    pub path_prefix: Option<String>,
    /// The server's message (option 56), usually why it sent a DHCPNAK.
    pub message: Option<String>,
}

impl Reply {
    /// Whether the reply answers transaction `xid` of the client with MAC `mac`.
    pub fn is_for(&self, xid: u32, mac: &[u8; 6]) -> bool {
        self.xid == xid
            && self.htype == HTYPE_ETHERNET
            && self.hlen == 6
            && self.chaddr.get(..6) == Some(&mac[..])
    }

    /// The boot file: the `file` field, or option 67 when the field is empty or
    /// carries options.
    pub fn boot_file(&self) -> Option<&str> {
        self.file.as_deref().or(self.bootfile_option.as_deref())
    }

    /// The TFTP server's name: option 66, or the `sname` field.
    pub fn tftp_server_name(&self) -> Option<&str> {
        self.tftp_server_option
            .as_deref()
            .or(self.server_name.as_deref())
    }
}

/// Parses a datagram received on the client port as a DHCP reply.
///
/// The input is hostile: every failure is a [`crate::ErrorKind::Corrupt`] error
/// naming the field or option at fault, never a panic; the work is linear in the
/// input, which is at most [`MAX_REPLY`] bytes.
pub fn parse_reply(data: &[u8]) -> Result<Reply> {
    if data.len() > MAX_REPLY {
        return Err(Error::limit(format!(
            "DHCP reply of {} bytes is larger than a UDP datagram ({MAX_REPLY} bytes)",
            data.len()
        )));
    }
    let header: &[u8; HEADER_LEN] = data
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .ok_or_else(|| {
            Error::corrupt(format!(
                "DHCP reply of {} bytes is shorter than the {HEADER_LEN}-byte header",
                data.len()
            ))
        })?;
    let [op, htype, hlen, ..] = *header;
    if op != BOOTREPLY {
        return Err(Error::corrupt(format!(
            "DHCP message op {op} is not BOOTREPLY ({BOOTREPLY})"
        )));
    }
    if usize::from(hlen) > 16 {
        return Err(Error::corrupt(format!(
            "DHCP reply hardware address length {hlen} is larger than chaddr (16)"
        )));
    }
    if header[236..240] != MAGIC_COOKIE {
        return Err(Error::corrupt(
            "DHCP reply has no magic cookie 99.130.83.99 (a plain BOOTP reply?)",
        ));
    }
    let sname = &header[44..108];
    let file = &header[108..236];

    let mut options = Options::default();
    options.scan(data.get(HEADER_LEN..).unwrap_or_default(), "options field")?;
    let overload = match options.get(OPT_OVERLOAD) {
        None => 0,
        Some(&[v @ 1..=3]) => v,
        Some(other) => {
            return Err(Error::corrupt(format!(
                "DHCP option 52 (overload) is {other:?}, expected one byte 1, 2 or 3"
            )))
        }
    };
    // RFC 3396: the options field, then file, then sname, in that order.
    if overload & 1 != 0 {
        options.scan(file, "file field (overloaded)")?;
    }
    if overload & 2 != 0 {
        options.scan(sname, "sname field (overloaded)")?;
    }

    let message_type = match options.get(OPT_MESSAGE_TYPE) {
        Some(&[code]) => MessageType::from_code(code).ok_or_else(|| {
            Error::corrupt(format!("DHCP message type (option 53) {code} is unknown"))
        })?,
        Some(other) => {
            return Err(Error::corrupt(format!(
                "DHCP message type (option 53) has {} bytes, expected 1",
                other.len()
            )))
        }
        None => {
            return Err(Error::corrupt(
                "DHCP reply has no message type (option 53): a BOOTP reply?",
            ))
        }
    };
    let mut chaddr = [0u8; 16];
    chaddr.copy_from_slice(&header[28..44]);
    Ok(Reply {
        message_type,
        xid: u32::from_be_bytes([header[4], header[5], header[6], header[7]]),
        htype,
        hlen,
        chaddr,
        yiaddr: Ipv4Addr::new(header[16], header[17], header[18], header[19]),
        siaddr: Ipv4Addr::new(header[20], header[21], header[22], header[23]),
        server_name: if overload & 2 != 0 {
            None
        } else {
            text(sname, "sname field")?
        },
        file: if overload & 1 != 0 {
            None
        } else {
            text(file, "file field")?
        },
        server_id: options.address(OPT_SERVER_ID, "server identifier", false)?,
        subnet_mask: options.address(OPT_SUBNET_MASK, "subnet mask", false)?,
        router: options.address(OPT_ROUTER, "router", true)?,
        lease_time: match options.get(OPT_LEASE_TIME) {
            None => None,
            Some(&[a, b, c, d]) => Some(u32::from_be_bytes([a, b, c, d])),
            Some(other) => {
                return Err(Error::corrupt(format!(
                    "DHCP lease time (option 51) has {} bytes, expected 4",
                    other.len()
                )))
            }
        },
        tftp_server_option: options.text(OPT_TFTP_SERVER, "TFTP server name")?,
        bootfile_option: options.text(OPT_BOOTFILE, "boot file name")?,
        config_file: options.text(OPT_PXELINUX_CONFIG, "pxelinux configuration file")?,
        path_prefix: options.text(OPT_PXELINUX_PREFIX, "pxelinux path prefix")?,
        message: options.text(OPT_MESSAGE, "message")?,
    })
}

/// The bytes before the first NUL as a string; empty is `None`.
fn text(bytes: &[u8], what: &str) -> Result<Option<String>> {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let bytes = bytes.get(..end).unwrap_or_default();
    if bytes.is_empty() {
        return Ok(None);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => Ok(Some(s.to_owned())),
        Err(_) => Err(Error::corrupt(format!(
            "DHCP {what} {:?} is not UTF-8",
            String::from_utf8_lossy(bytes)
        ))),
    }
}

/// Option values by code; a code that appears several times has its values
/// concatenated in order (RFC 3396). The total size is bounded by the datagram's.
#[derive(Default)]
struct Options(BTreeMap<u8, Vec<u8>>);

impl Options {
    /// Reads the options in `area` up to the end option (or the end of the area).
    fn scan(&mut self, area: &[u8], where_: &str) -> Result<()> {
        let mut pos = 0usize;
        while let Some(&code) = area.get(pos) {
            match code {
                OPT_PAD => pos += 1,
                OPT_END => return Ok(()),
                _ => {
                    let len = area.get(pos + 1).copied().ok_or_else(|| {
                        Error::corrupt(format!(
                            "DHCP option {code} at byte {pos} of the {where_} has no length"
                        ))
                    })?;
                    let start = pos + 2;
                    let end = start + usize::from(len);
                    let value = area.get(start..end).ok_or_else(|| {
                        Error::corrupt(format!(
                            "DHCP option {code} at byte {pos} of the {where_} claims {len} \
                             bytes but only {} remain",
                            area.len().saturating_sub(start)
                        ))
                    })?;
                    self.0.entry(code).or_default().extend_from_slice(value);
                    pos = end;
                }
            }
        }
        Ok(())
    }

    fn get(&self, code: u8) -> Option<&[u8]> {
        self.0.get(&code).map(Vec::as_slice)
    }

    /// An IPv4 address option; `list` options may hold several, the first is taken.
    fn address(&self, code: u8, what: &str, list: bool) -> Result<Option<Ipv4Addr>> {
        let Some(value) = self.get(code) else {
            return Ok(None);
        };
        match *value {
            [a, b, c, d] => Ok(Some(Ipv4Addr::new(a, b, c, d))),
            [a, b, c, d, ..] if list && value.len() % 4 == 0 => Ok(Some(Ipv4Addr::new(a, b, c, d))),
            _ => Err(Error::corrupt(format!(
                "DHCP {what} (option {code}) has {} bytes, expected {}",
                value.len(),
                if list { "a multiple of 4" } else { "4" }
            ))),
        }
    }

    fn text(&self, code: u8, what: &str) -> Result<Option<String>> {
        match self.get(code) {
            None => Ok(None),
            Some(value) => text(value, &format!("{what} (option {code})")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    const MAC: [u8; 6] = [0x00, 0x16, 0x3e, 0x01, 0x02, 0x03];
    const XID: u32 = 0x1234_5678;

    /// A reply header for MAC with the given options area.
    fn reply(options: &[u8]) -> Vec<u8> {
        let mut msg = vec![0u8; HEADER_LEN];
        msg[0] = BOOTREPLY;
        msg[1] = 1;
        msg[2] = 6;
        msg[4..8].copy_from_slice(&XID.to_be_bytes());
        msg[16..20].copy_from_slice(&[10, 0, 0, 42]);
        msg[20..24].copy_from_slice(&[10, 0, 0, 1]);
        msg[28..34].copy_from_slice(&MAC);
        msg[236..240].copy_from_slice(&MAGIC_COOKIE);
        msg.extend_from_slice(options);
        msg
    }

    fn options_of(msg: &[u8]) -> Options {
        let mut o = Options::default();
        o.scan(&msg[HEADER_LEN..], "test").unwrap();
        o
    }

    #[test]
    fn discover_has_the_pxe_fields() {
        let id = ClientIdentity {
            mac: MAC,
            uuid: Some([7; 16]),
        };
        let msg = build_discover(&id, XID, 3);
        assert!(msg.len() >= MIN_MESSAGE_LEN);
        assert_eq!(&msg[..4], &[1, 1, 6, 0]);
        assert_eq!(&msg[4..8], &XID.to_be_bytes());
        assert_eq!(&msg[8..10], &[0, 3]);
        assert_eq!(&msg[10..12], &[0x80, 0]);
        assert_eq!(&msg[28..34], &MAC);
        assert_eq!(&msg[34..44], &[0; 10]);
        assert_eq!(&msg[236..240], &MAGIC_COOKIE);
        let o = options_of(&msg);
        assert_eq!(o.get(53), Some(&[1u8][..]));
        assert_eq!(o.get(61), Some(&[1, 0x00, 0x16, 0x3e, 1, 2, 3][..]));
        assert_eq!(o.get(60), Some(PXE_VENDOR_CLASS.as_bytes()));
        assert_eq!(o.get(93), Some(&[0u8, 0][..]));
        assert_eq!(o.get(94), Some(&[1u8, 2, 1][..]));
        let mut uuid = vec![0u8];
        uuid.extend_from_slice(&[7; 16]);
        assert_eq!(o.get(97), Some(&uuid[..]));
        let prl = o.get(55).unwrap();
        for code in [1, 3, 54, 66, 67, 209, 210] {
            assert!(prl.contains(&code), "{code}");
        }
        assert_eq!(o.get(50), None);
        assert_eq!(o.get(54), None);
    }

    #[test]
    fn request_names_the_offer() {
        let id = ClientIdentity {
            mac: MAC,
            uuid: None,
        };
        let msg = build_request(&id, XID, 0, [10, 0, 0, 42].into(), [10, 0, 0, 1].into());
        let o = options_of(&msg);
        assert_eq!(o.get(53), Some(&[3u8][..]));
        assert_eq!(o.get(50), Some(&[10u8, 0, 0, 42][..]));
        assert_eq!(o.get(54), Some(&[10u8, 0, 0, 1][..]));
        assert_eq!(o.get(97), None);
        assert_eq!(&msg[12..16], &[0; 4], "ciaddr stays zero while selecting");
    }

    #[test]
    fn parses_an_ack() {
        let mut opts = vec![53, 1, 5, 54, 4, 10, 0, 0, 1, 1, 4, 255, 255, 255, 0];
        opts.extend_from_slice(&[3, 8, 10, 0, 0, 254, 10, 0, 0, 253, 51, 4, 0, 0, 14, 16]);
        opts.extend_from_slice(&[66, 8]);
        opts.extend_from_slice(b"10.0.0.9");
        opts.extend_from_slice(&[67, 12]);
        opts.extend_from_slice(b"pxelinux.0\0\0");
        opts.extend_from_slice(&[209, 7]);
        opts.extend_from_slice(b"cfg/abc");
        opts.extend_from_slice(&[210, 5]);
        opts.extend_from_slice(b"/tft/");
        opts.extend_from_slice(&[43, 3, 1, 2, 3, 0, 0, 255, 99, 99]);
        let mut msg = reply(&opts);
        msg[108..113].copy_from_slice(b"boot0");
        msg[44..48].copy_from_slice(b"srv\0");
        msg[48] = b'x'; // after the NUL: ignored
        let r = parse_reply(&msg).unwrap();
        assert_eq!(r.message_type, MessageType::Ack);
        assert!(r.is_for(XID, &MAC));
        assert!(!r.is_for(XID + 1, &MAC));
        assert!(!r.is_for(XID, &[0, 0x16, 0x3e, 1, 2, 4]));
        assert_eq!(r.yiaddr, Ipv4Addr::new(10, 0, 0, 42));
        assert_eq!(r.siaddr, Ipv4Addr::new(10, 0, 0, 1));
        assert_eq!(r.server_id, Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(r.subnet_mask, Some(Ipv4Addr::new(255, 255, 255, 0)));
        assert_eq!(r.router, Some(Ipv4Addr::new(10, 0, 0, 254)));
        assert_eq!(r.lease_time, Some(3600));
        assert_eq!(r.server_name.as_deref(), Some("srv"));
        assert_eq!(r.file.as_deref(), Some("boot0"));
        assert_eq!(r.boot_file(), Some("boot0"));
        assert_eq!(r.bootfile_option.as_deref(), Some("pxelinux.0"));
        assert_eq!(r.tftp_server_name(), Some("10.0.0.9"));
        assert_eq!(r.config_file.as_deref(), Some("cfg/abc"));
        assert_eq!(r.path_prefix.as_deref(), Some("/tft/"));
    }

    #[test]
    fn overloaded_fields_and_split_options_are_joined() {
        // Option 67 split in three (RFC 3396): options field, then file, then sname.
        let mut msg = reply(&[53, 1, 2, 52, 1, 3, 67, 3, b'p', b'x', b'e', 255]);
        msg[108..116].copy_from_slice(&[67, 3, b'l', b'i', b'n', 0, 255, b'!']);
        msg[44..51].copy_from_slice(&[67, 4, b'u', b'x', b'.', b'0', 255]);
        let r = parse_reply(&msg).unwrap();
        assert_eq!(r.message_type, MessageType::Offer);
        assert_eq!(r.file, None);
        assert_eq!(r.server_name, None);
        assert_eq!(r.boot_file(), Some("pxelinux.0"));
    }

    #[test]
    fn a_missing_end_option_is_tolerated() {
        let r = parse_reply(&reply(&[53, 1, 6, 56, 2, b'n', b'o'])).unwrap();
        assert_eq!(r.message_type, MessageType::Nak);
        assert_eq!(r.message.as_deref(), Some("no"));
    }

    #[test]
    fn malformed_replies_say_what_is_wrong() {
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![2; 100], "shorter than the 240-byte header"),
            (vec![0; MAX_REPLY + 1], "larger than a UDP datagram"),
            (
                {
                    let mut m = reply(&[53, 1, 2, 255]);
                    m[0] = 1;
                    m
                },
                "not BOOTREPLY",
            ),
            (
                {
                    let mut m = reply(&[53, 1, 2, 255]);
                    m[238] = 0;
                    m
                },
                "magic cookie",
            ),
            (
                {
                    let mut m = reply(&[53, 1, 2, 255]);
                    m[2] = 17;
                    m
                },
                "hardware address length 17",
            ),
            (reply(&[255]), "no message type"),
            (reply(&[53, 1, 9]), "option 53) 9 is unknown"),
            (reply(&[53, 2, 2, 2]), "option 53) has 2 bytes"),
            (reply(&[53, 1, 2, 54, 3, 1, 2, 3]), "option 54) has 3 bytes"),
            (
                reply(&[53, 1, 2, 3, 6, 1, 2, 3, 4, 5, 6]),
                "option 3) has 6",
            ),
            (reply(&[53, 1, 2, 51, 2, 1, 2]), "option 51) has 2 bytes"),
            (
                reply(&[53, 1, 2, 67]),
                "option 67 at byte 3 of the options field has no length",
            ),
            (
                reply(&[53, 1, 2, 67, 9, b'a']),
                "claims 9 bytes but only 1 remain",
            ),
            (reply(&[53, 1, 2, 52, 1, 4]), "option 52 (overload)"),
            (
                reply(&[53, 1, 2, 67, 2, 0xff, 0xfe]),
                "boot file name (option 67)",
            ),
            (
                {
                    let mut m = reply(&[53, 1, 2, 52, 1, 1, 255]);
                    m[108..110].copy_from_slice(&[66, 200]);
                    m
                },
                "file field (overloaded) claims 200 bytes",
            ),
        ];
        for (msg, want) in cases {
            let err = parse_reply(&msg).unwrap_err();
            assert!(
                matches!(err.kind(), ErrorKind::Corrupt | ErrorKind::Limit),
                "{err}"
            );
            assert!(err.to_string().contains(want), "{err} lacks {want:?}");
        }
    }
}
