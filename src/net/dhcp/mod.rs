//! DHCP on behalf of a guest: dom0 asks the network's DHCP server for a lease for the
//! guest's MAC address and learns where the guest would PXE boot from (TFTP server,
//! boot file, pxelinux configuration file and path prefix).
//!
//! [`packet`] builds the client's messages and parses replies without trusting them;
//! [`client`] runs the DISCOVER → OFFER → REQUEST → ACK exchange on one interface
//! with retransmission and a total time budget.

pub mod client;
pub mod packet;

pub use client::{acquire, DhcpOptions, Lease};
pub use packet::{parse_reply, MessageType, Reply};

use crate::error::{Error, Result};

/// Parses a MAC address written as six two-digit hex bytes separated by `:` or `-`
/// (one separator throughout), such as `00:16:3e:12:34:56` or `00-16-3E-12-34-56`.
pub fn parse_mac(text: &str) -> Result<[u8; 6]> {
    let bad = || {
        Error::invalid(format!(
            "bad MAC address {text:?}: expected six hex bytes like 00:16:3e:12:34:56"
        ))
    };
    let sep = if text.contains(':') { ':' } else { '-' };
    let mut mac = [0u8; 6];
    let mut parts = text.split(sep);
    for byte in mac.iter_mut() {
        let part = parts.next().ok_or_else(bad)?;
        if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        *byte = u8::from_str_radix(part, 16).map_err(|_| bad())?;
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(mac)
}

/// Parses a UUID written as 32 hex digits, with or without the usual dashes
/// (`8-4-4-4-12`), into its 16 bytes in the order written (as Xen prints a domain's
/// UUID). The result is what [`DhcpOptions::uuid`] sends in option 97.
pub fn parse_uuid(text: &str) -> Result<[u8; 16]> {
    let bad = || Error::invalid(format!("bad UUID {text:?}: expected 32 hex digits"));
    let digits: Vec<u8> = text.bytes().filter(|&b| b != b'-').collect();
    if digits.len() != 32 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return Err(bad());
    }
    let mut uuid = [0u8; 16];
    for (byte, pair) in uuid.iter_mut().zip(digits.chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
        *byte = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    Ok(uuid)
}

/// Formats a MAC address as `00:16:3e:12:34:56`.
pub fn format_mac(mac: &[u8; 6]) -> String {
    let parts: Vec<String> = mac.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(":")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn macs_with_colons_or_dashes() {
        let want = [0x00, 0x16, 0x3e, 0x12, 0xab, 0xCD];
        assert_eq!(parse_mac("00:16:3e:12:ab:cd").unwrap(), want);
        assert_eq!(parse_mac("00-16-3E-12-AB-CD").unwrap(), want);
        assert_eq!(format_mac(&want), "00:16:3e:12:ab:cd");
    }

    #[test]
    fn bad_macs_are_rejected() {
        for bad in [
            "",
            "00:16:3e:12:ab",
            "00:16:3e:12:ab:cd:ef",
            "00:16:3e-12:ab:cd",
            "0:16:3e:12:ab:cd",
            "00:16:3e:12:ab:cg",
            "00:16:3e:12:ab:+d",
            "001:6:3e:12:ab:cd",
        ] {
            let err = parse_mac(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Invalid, "{bad}");
            assert!(err.to_string().contains("bad MAC address"), "{err}");
        }
    }

    #[test]
    fn uuids_with_or_without_dashes() {
        let want = [
            0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
            0xcd, 0xef,
        ];
        assert_eq!(
            parse_uuid("12345678-9abc-def0-0123-456789ABCDEF").unwrap(),
            want
        );
        assert_eq!(
            parse_uuid("123456789abcdef00123456789abcdef").unwrap(),
            want
        );
        assert!(parse_uuid("123456789abcdef00123456789abcde").is_err());
        assert!(parse_uuid("123456789abcdef00123456789abcdeg").is_err());
    }
}
