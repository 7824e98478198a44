//! TFTP packets (RFC 1350) and option negotiation (RFC 2347): decoding as a pure
//! function of the bytes received, encoding of what a client sends.

use crate::error::{Error, Result};

/// Opcode of a read request.
const OP_RRQ: u16 = 1;
/// Opcode of a data block.
const OP_DATA: u16 = 3;
/// Opcode of an acknowledgement.
const OP_ACK: u16 = 4;
/// Opcode of an error.
const OP_ERROR: u16 = 5;
/// Opcode of an option acknowledgement (RFC 2347).
const OP_OACK: u16 = 6;

/// Most options accepted in one request or OACK: a client asks for two, so a reply
/// with more is malformed.
pub const MAX_OPTIONS: usize = 16;

/// Longest text field (file name, mode, option name or value, error message) kept;
/// a datagram is at most 64 KiB anyway.
const MAX_TEXT: usize = 512;

/// TFTP error codes (RFC 1350 §5, RFC 2347 for 8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// 0: not defined, see the message.
    Undefined,
    /// 1: file not found.
    FileNotFound,
    /// 2: access violation.
    AccessViolation,
    /// 3: disk full or allocation exceeded.
    DiskFull,
    /// 4: illegal TFTP operation.
    IllegalOperation,
    /// 5: unknown transfer ID.
    UnknownTid,
    /// 6: file already exists.
    FileExists,
    /// 7: no such user.
    NoSuchUser,
    /// 8: option negotiation refused (RFC 2347).
    OptionRefused,
    /// Any other code.
    Other(u16),
}

impl ErrorCode {
    /// The code for a number.
    pub fn from_u16(n: u16) -> ErrorCode {
        match n {
            0 => ErrorCode::Undefined,
            1 => ErrorCode::FileNotFound,
            2 => ErrorCode::AccessViolation,
            3 => ErrorCode::DiskFull,
            4 => ErrorCode::IllegalOperation,
            5 => ErrorCode::UnknownTid,
            6 => ErrorCode::FileExists,
            7 => ErrorCode::NoSuchUser,
            8 => ErrorCode::OptionRefused,
            n => ErrorCode::Other(n),
        }
    }

    /// The number on the wire.
    pub fn to_u16(self) -> u16 {
        match self {
            ErrorCode::Undefined => 0,
            ErrorCode::FileNotFound => 1,
            ErrorCode::AccessViolation => 2,
            ErrorCode::DiskFull => 3,
            ErrorCode::IllegalOperation => 4,
            ErrorCode::UnknownTid => 5,
            ErrorCode::FileExists => 6,
            ErrorCode::NoSuchUser => 7,
            ErrorCode::OptionRefused => 8,
            ErrorCode::Other(n) => n,
        }
    }

    /// What the code means, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            ErrorCode::Undefined => "error",
            ErrorCode::FileNotFound => "file not found",
            ErrorCode::AccessViolation => "access violation",
            ErrorCode::DiskFull => "allocation exceeded",
            ErrorCode::IllegalOperation => "illegal TFTP operation",
            ErrorCode::UnknownTid => "unknown transfer ID",
            ErrorCode::FileExists => "file already exists",
            ErrorCode::NoSuchUser => "no such user",
            ErrorCode::OptionRefused => "option negotiation refused",
            ErrorCode::Other(_) => "unknown error code",
        }
    }
}

/// One decoded TFTP packet. Borrowed from the datagram it was decoded from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Packet<'a> {
    /// Read request: file name, transfer mode (lower-cased by the caller if needed),
    /// options.
    Rrq {
        /// The file asked for.
        filename: &'a str,
        /// `octet`, `netascii` or `mail`.
        mode: &'a str,
        /// Options (RFC 2347), in order.
        options: Vec<(&'a str, &'a str)>,
    },
    /// Write request (never sent by this client; decoded to be recognised).
    Wrq {
        /// The file to write.
        filename: &'a str,
    },
    /// A data block.
    Data {
        /// Block number (wraps after 65535).
        block: u16,
        /// The block's bytes (shorter than the block size: the last block).
        data: &'a [u8],
    },
    /// An acknowledgement.
    Ack {
        /// The block acknowledged (0: the OACK).
        block: u16,
    },
    /// An error; the transfer is over.
    Error {
        /// The error code.
        code: ErrorCode,
        /// The server's message (may be empty).
        message: &'a str,
    },
    /// Option acknowledgement: the options the server accepted, in order.
    Oack {
        /// `(name, value)` pairs.
        options: Vec<(&'a str, &'a str)>,
    },
}

/// Decodes one datagram. Never panics; anything malformed is a
/// [`crate::ErrorKind::Corrupt`] error saying what is wrong.
pub fn parse_packet(bytes: &[u8]) -> Result<Packet<'_>> {
    let (op, rest) = split_u16(bytes).ok_or_else(|| {
        Error::corrupt(format!(
            "TFTP packet of {} bytes is too short for an opcode",
            bytes.len()
        ))
    })?;
    match op {
        OP_RRQ | 2 => {
            let mut fields = Fields::new(rest);
            let filename = fields.next_text("file name")?;
            let mode = fields.next_text("mode")?;
            if op == 2 {
                return Ok(Packet::Wrq { filename });
            }
            let options = parse_options(fields.rest())?;
            Ok(Packet::Rrq {
                filename,
                mode,
                options,
            })
        }
        OP_DATA => {
            let (block, data) = split_u16(rest)
                .ok_or_else(|| Error::corrupt("TFTP DATA without a block number"))?;
            Ok(Packet::Data { block, data })
        }
        OP_ACK => {
            let (block, _) =
                split_u16(rest).ok_or_else(|| Error::corrupt("TFTP ACK without a block number"))?;
            Ok(Packet::Ack { block })
        }
        OP_ERROR => {
            let (code, rest) =
                split_u16(rest).ok_or_else(|| Error::corrupt("TFTP ERROR without a code"))?;
            // Servers are lax about the final NUL; take what is there.
            let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            let message = text(rest.get(..end.min(MAX_TEXT)).unwrap_or_default());
            Ok(Packet::Error {
                code: ErrorCode::from_u16(code),
                message,
            })
        }
        OP_OACK => Ok(Packet::Oack {
            options: parse_options(rest)?,
        }),
        other => Err(Error::corrupt(format!("unknown TFTP opcode {other}"))),
    }
}

/// Decodes the `name\0value\0…` option list of a request or an OACK. Names are
/// case-insensitive (RFC 2347); they are returned as sent.
pub fn parse_options(bytes: &[u8]) -> Result<Vec<(&str, &str)>> {
    let mut fields = Fields::new(bytes);
    let mut out = Vec::new();
    while !fields.is_empty() {
        if out.len() >= MAX_OPTIONS {
            return Err(Error::corrupt(format!(
                "TFTP option list has more than {MAX_OPTIONS} options"
            )));
        }
        let name = fields.next_text("option name")?;
        let value = fields.next_text("option value")?;
        if name.is_empty() {
            return Err(Error::corrupt("TFTP option with an empty name"));
        }
        out.push((name, value));
    }
    Ok(out)
}

/// Encodes a read request for `filename` in octet mode with `options`.
pub fn encode_rrq(filename: &str, options: &[(&str, String)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(filename.len() + 32);
    out.extend_from_slice(&OP_RRQ.to_be_bytes());
    for field in [filename, "octet"] {
        out.extend_from_slice(field.as_bytes());
        out.push(0);
    }
    for (name, value) in options {
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        out.extend_from_slice(value.as_bytes());
        out.push(0);
    }
    out
}

/// Encodes an acknowledgement of `block`.
pub fn encode_ack(block: u16) -> [u8; 4] {
    let [a, b] = OP_ACK.to_be_bytes();
    let [c, d] = block.to_be_bytes();
    [a, b, c, d]
}

/// Encodes an error packet.
pub fn encode_error(code: ErrorCode, message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + 5);
    out.extend_from_slice(&OP_ERROR.to_be_bytes());
    out.extend_from_slice(&code.to_u16().to_be_bytes());
    out.extend_from_slice(message.as_bytes());
    out.push(0);
    out
}

/// Splits a big-endian `u16` off the front.
fn split_u16(bytes: &[u8]) -> Option<(u16, &[u8])> {
    let (head, rest) = bytes.split_first_chunk::<2>()?;
    Some((u16::from_be_bytes(*head), rest))
}

/// Text of a field: UTF-8 when valid, else the longest valid prefix (names and
/// messages are ASCII on every real server).
fn text(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(bytes.get(..e.valid_up_to()).unwrap_or_default())
            .unwrap_or_default(),
    }
}

/// NUL-terminated fields read one after the other.
struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    fn new(rest: &'a [u8]) -> Self {
        Fields { rest }
    }

    fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// The next field, which must end with a NUL and be at most [`MAX_TEXT`] bytes.
    fn next_text(&mut self, what: &str) -> Result<&'a str> {
        let end = self
            .rest
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| Error::corrupt(format!("TFTP {what} is not NUL-terminated")))?;
        if end > MAX_TEXT {
            return Err(Error::corrupt(format!(
                "TFTP {what} is longer than {MAX_TEXT} bytes"
            )));
        }
        let field = self.rest.get(..end).unwrap_or_default();
        self.rest = self.rest.get(end + 1..).unwrap_or_default();
        Ok(text(field))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_tftpd_hpa_sends() {
        let oack = b"\x00\x06blksize\x001468\x00tsize\x006\x00";
        assert_eq!(
            parse_packet(oack).unwrap(),
            Packet::Oack {
                options: vec![("blksize", "1468"), ("tsize", "6")]
            }
        );
        let err = b"\x00\x05\x00\x01File not found\x00";
        assert_eq!(
            parse_packet(err).unwrap(),
            Packet::Error {
                code: ErrorCode::FileNotFound,
                message: "File not found"
            }
        );
        assert_eq!(
            parse_packet(b"\x00\x03\x00\x07abc").unwrap(),
            Packet::Data {
                block: 7,
                data: b"abc"
            }
        );
        assert_eq!(
            parse_packet(b"\x00\x04\xff\xff").unwrap(),
            Packet::Ack { block: 65535 }
        );
    }

    #[test]
    fn request_round_trips() {
        let rrq = encode_rrq("pxelinux.cfg/default", &[("tsize", "0".to_string())]);
        assert_eq!(
            parse_packet(&rrq).unwrap(),
            Packet::Rrq {
                filename: "pxelinux.cfg/default",
                mode: "octet",
                options: vec![("tsize", "0")]
            }
        );
        assert_eq!(
            parse_packet(&encode_ack(3)).unwrap(),
            Packet::Ack { block: 3 }
        );
        assert_eq!(
            parse_packet(&encode_error(ErrorCode::UnknownTid, "who?")).unwrap(),
            Packet::Error {
                code: ErrorCode::UnknownTid,
                message: "who?"
            }
        );
    }

    #[test]
    fn malformed_packets_are_errors() {
        for bad in [
            &b""[..],
            b"\x00",
            b"\x00\x09",
            b"\x00\x03\x00",
            b"\x00\x04",
            b"\x00\x05\x00",
            b"\x00\x06blksize\x00",
            b"\x00\x06blksize\x001468",
            b"\x00\x06\x00x\x00",
            b"\x00\x01name",
        ] {
            assert!(parse_packet(bad).is_err(), "{bad:?} accepted");
        }
        let mut many = b"\x00\x06".to_vec();
        for _ in 0..=MAX_OPTIONS {
            many.extend_from_slice(b"a\x00b\x00");
        }
        assert!(parse_packet(&many).is_err());
        // An ERROR without its final NUL still says what the server meant.
        assert_eq!(
            parse_packet(b"\x00\x05\x00\x02denied").unwrap(),
            Packet::Error {
                code: ErrorCode::AccessViolation,
                message: "denied"
            }
        );
    }
}
