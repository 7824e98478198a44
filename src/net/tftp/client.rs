//! The TFTP client: one read transfer at a time over a std `UdpSocket`, in lockstep
//! (RFC 1350), with option negotiation (RFC 2347: `blksize` RFC 2348, `tsize`
//! RFC 2349) and a fallback to plain RFC 1350 when the server refuses options.

use super::packet::{self, ErrorCode, Packet};
use crate::error::{Error, ErrorKind, Result};
use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// Block size asked for: fits an Ethernet frame (1500 − IP − UDP − TFTP headers),
/// as PXE ROMs and pxelinux ask.
pub const BLKSIZE: u16 = 1468;

/// Block size of RFC 1350, used when the server ignores options.
const DEFAULT_BLKSIZE: u16 = 512;

/// Smallest block size RFC 2348 allows.
const MIN_BLKSIZE: u16 = 8;

/// Default wait for a reply before the last packet is sent again.
pub const PACKET_TIMEOUT: Duration = Duration::from_secs(1);

/// Default number of times one packet is sent again before giving up.
pub const RETRIES: u32 = 5;

/// A TFTP server and the rules for talking to it.
#[derive(Clone, Debug)]
pub struct Client {
    server: SocketAddr,
    deadline: Instant,
    budget: Duration,
    /// How long to wait for each reply before sending the last packet again.
    pub packet_timeout: Duration,
    /// How many times one packet is sent again before the transfer fails.
    pub retries: u32,
    /// Ask for `blksize` and `tsize` (on by default; servers that refuse them are
    /// asked again without).
    pub use_options: bool,
}

impl Client {
    /// A client of `server` whose transfers, all together, must end within `budget`
    /// from now.
    pub fn new(server: SocketAddr, budget: Duration) -> Client {
        let now = Instant::now();
        Client {
            server,
            // A budget too large for the clock means no deadline worth the name.
            deadline: now
                .checked_add(budget)
                .or_else(|| now.checked_add(Duration::from_secs(100 * 365 * 24 * 3600)))
                .unwrap_or(now),
            budget,
            packet_timeout: PACKET_TIMEOUT,
            retries: RETRIES,
            use_options: true,
        }
    }

    /// The server's address.
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// Starts reading `filename`; at most `max` bytes will be accepted. A file the
    /// server says is larger (`tsize`) is refused at once.
    pub fn open(&self, filename: &str, max: u64) -> Result<Transfer> {
        match self.start(filename, max, self.use_options) {
            // RFC 2347 servers refuse options they dislike with code 8; some old
            // ones answer an option list with a generic error. Ask again plainly.
            Err(Refused::Options) => self
                .start(filename, max, false)
                .map_err(|r| r.into_error(self, filename)),
            other => other.map_err(|r| r.into_error(self, filename)),
        }
    }

    /// Reads the whole of `filename` into `out`, block by block (never the whole
    /// file in memory); more than `max` bytes is a [`ErrorKind::Limit`] error.
    /// Returns the number of bytes written.
    pub fn download(&self, filename: &str, out: &mut dyn Write, max: u64) -> Result<u64> {
        let mut t = self.open(filename, max)?;
        while let Some(block) = t.next_block()? {
            out.write_all(block).map_err(|e| {
                Error::io(format!("writing {filename} from TFTP {}", self.server), &e)
            })?;
        }
        Ok(t.received())
    }

    /// The size of `filename`: the server's `tsize` answer when it gives one (the
    /// transfer is then cancelled), else the count of a full transfer, which stops
    /// once it passes `cap` (the result is then `cap + 1`).
    pub fn size(&self, filename: &str, cap: u64) -> Result<u64> {
        let mut t = self.open(filename, u64::MAX)?;
        if let Some(size) = t.size() {
            return Ok(size);
        }
        while t.next_block()?.is_some() {
            if t.received() > cap {
                return Ok(cap.saturating_add(1));
            }
        }
        Ok(t.received())
    }

    fn start(
        &self,
        filename: &str,
        max: u64,
        options: bool,
    ) -> std::result::Result<Transfer, Refused> {
        let bind: SocketAddr = if self.server.is_ipv4() {
            SocketAddr::from(([0, 0, 0, 0], 0))
        } else {
            SocketAddr::from(([0u16; 8], 0))
        };
        let socket = UdpSocket::bind(bind)
            .map_err(|e| Refused::Fatal(Error::io("cannot open a UDP socket", &e)))?;
        let opts: Vec<(&str, String)> = if options {
            vec![("blksize", BLKSIZE.to_string()), ("tsize", "0".to_string())]
        } else {
            Vec::new()
        };
        let rrq = packet::encode_rrq(filename, &opts);
        let mut t = Transfer {
            socket,
            server: self.server,
            peer: None,
            filename: filename.to_string(),
            deadline: self.deadline,
            budget: self.budget,
            packet_timeout: self.packet_timeout,
            retries: self.retries,
            blksize: usize::from(DEFAULT_BLKSIZE),
            tsize: None,
            expected: 1,
            received: 0,
            max,
            done: false,
            last_sent: Vec::new(),
            resend_at: Instant::now(),
            tries: 0,
            buf: vec![0u8; 1 << 16],
            pending: None,
        };
        t.send_new(rrq).map_err(Refused::Fatal)?;
        // A datagram that is no TFTP packet is ignored like a stray one.
        let n = loop {
            let n = t.wait().map_err(Refused::Fatal)?;
            if packet::parse_packet(t.buf.get(..n).unwrap_or_default()).is_ok() {
                break n;
            }
        };
        let bytes = t.buf.get(..n).unwrap_or_default();
        let pkt = packet::parse_packet(bytes).map_err(|e| Refused::Fatal(t.annotate(e)))?;
        match pkt {
            Packet::Oack { options: got } if options => {
                let (blksize, tsize) = negotiated(&got).map_err(Refused::Fatal)?;
                t.blksize = usize::from(blksize);
                t.tsize = tsize;
                if let Some(size) = tsize.filter(|&s| s > max) {
                    t.abort(ErrorCode::DiskFull, "file too large");
                    return Err(Refused::Fatal(Error::limit(format!(
                        "the file is {size} bytes, more than the limit of {max} bytes"
                    ))));
                }
                t.send_new(packet::encode_ack(0).to_vec())
                    .map_err(Refused::Fatal)?;
                Ok(t)
            }
            Packet::Data { block: 1, data } => {
                // The server ignored the options (or none were asked for).
                if data.len() > usize::from(DEFAULT_BLKSIZE) {
                    return Err(Refused::Fatal(Error::corrupt(format!(
                        "first DATA block has {} bytes, more than the {DEFAULT_BLKSIZE} \
                         of a transfer without options",
                        data.len()
                    ))));
                }
                t.pending = Some(n);
                Ok(t)
            }
            Packet::Error { code, message } => {
                t.done = true;
                let refused = matches!(
                    code,
                    ErrorCode::OptionRefused | ErrorCode::IllegalOperation | ErrorCode::Undefined
                );
                if options && refused {
                    return Err(Refused::Options);
                }
                Err(Refused::Fatal(server_error(code, message)))
            }
            other => Err(Refused::Fatal(Error::corrupt(format!(
                "unexpected first reply to a read request: {}",
                describe(&other)
            )))),
        }
    }
}

/// Why a transfer could not start.
enum Refused {
    /// The server refused the options; asking again without them may work.
    Options,
    /// Anything else.
    Fatal(Error),
}

impl Refused {
    fn into_error(self, client: &Client, filename: &str) -> Error {
        match self {
            Refused::Options => Error::new(
                ErrorKind::Network,
                "the server refused the request even without options",
            ),
            Refused::Fatal(e) => e,
        }
        .context(format!(
            "reading {filename} from TFTP server {}",
            client.server
        ))
    }
}

/// The block size and file size a server accepted in its OACK (`blksize`: 8 to
/// [`BLKSIZE`], else 512 when absent; `tsize` when given). Values outside what was
/// asked for, or not numbers, are [`ErrorKind::Corrupt`] errors; unknown options are
/// ignored.
pub fn negotiated(options: &[(&str, &str)]) -> Result<(u16, Option<u64>)> {
    let mut blksize = DEFAULT_BLKSIZE;
    let mut tsize = None;
    for (name, value) in options {
        if name.eq_ignore_ascii_case("blksize") {
            blksize = value
                .parse::<u16>()
                .ok()
                .filter(|b| (MIN_BLKSIZE..=BLKSIZE).contains(b))
                .ok_or_else(|| {
                    Error::corrupt(format!(
                        "server answered blksize {value:?}; {BLKSIZE} or less was asked for"
                    ))
                })?;
        } else if name.eq_ignore_ascii_case("tsize") {
            tsize = Some(value.parse::<u64>().map_err(|_| {
                Error::corrupt(format!("server answered tsize {value:?}, not a number"))
            })?);
        }
    }
    Ok((blksize, tsize))
}

/// The error for an ERROR packet from the server.
fn server_error(code: ErrorCode, message: &str) -> Error {
    let kind = match code {
        ErrorCode::FileNotFound => ErrorKind::NotFound,
        _ => ErrorKind::Network,
    };
    Error::new(
        kind,
        format!(
            "{} (TFTP error {}: server said {message:?})",
            code.describe(),
            code.to_u16()
        ),
    )
}

/// A packet named for messages.
fn describe(p: &Packet<'_>) -> String {
    match p {
        Packet::Rrq { .. } => "a read request".to_string(),
        Packet::Wrq { .. } => "a write request".to_string(),
        Packet::Data { block, .. } => format!("DATA block {block}"),
        Packet::Ack { block } => format!("ACK {block}"),
        Packet::Error { .. } => "an ERROR".to_string(),
        Packet::Oack { .. } => "an OACK".to_string(),
    }
}

/// One read transfer in progress. Dropping it before the end tells the server the
/// transfer is cancelled.
pub struct Transfer {
    socket: UdpSocket,
    server: SocketAddr,
    /// The server's transfer ID (its address and port for this transfer), learnt
    /// from its first reply.
    peer: Option<SocketAddr>,
    filename: String,
    deadline: Instant,
    budget: Duration,
    packet_timeout: Duration,
    retries: u32,
    blksize: usize,
    tsize: Option<u64>,
    /// The next block number wanted.
    expected: u16,
    received: u64,
    max: u64,
    done: bool,
    last_sent: Vec<u8>,
    /// When `last_sent` goes out again if nothing in order has come: packets out of
    /// order, stray or malformed, do not move it, so they cannot hold a transfer
    /// open beyond `retries` timeouts.
    resend_at: Instant,
    /// Times `last_sent` has gone out again.
    tries: u32,
    buf: Vec<u8>,
    /// Length of a DATA packet already in `buf` and not yet handed out.
    pending: Option<usize>,
}

impl Transfer {
    /// The file size the server announced (`tsize`), if it did.
    pub fn size(&self) -> Option<u64> {
        self.tsize
    }

    /// The negotiated block size.
    pub fn block_size(&self) -> usize {
        self.blksize
    }

    /// Bytes received so far.
    pub fn received(&self) -> u64 {
        self.received
    }

    /// The next block of the file, in order (acknowledged); `None` after the last.
    /// Duplicates (a lost ACK made the server send again) are acknowledged again and
    /// skipped; packets from another transfer ID are answered with ERROR 5 and
    /// ignored.
    pub fn next_block(&mut self) -> Result<Option<&[u8]>> {
        if self.done {
            return Ok(None);
        }
        let result = self.next_data();
        match result {
            Ok(n) => Ok(self.buf.get(4..n)),
            Err(e) => {
                if !self.done {
                    self.abort(ErrorCode::Undefined, "transfer cancelled by the client");
                }
                Err(self.annotate(e))
            }
        }
    }

    /// Receives the next in-order DATA packet; returns its length in `buf`.
    fn next_data(&mut self) -> Result<usize> {
        let n = match self.pending.take() {
            Some(n) => n,
            None => loop {
                let n = self.wait()?;
                let bytes = self.buf.get(..n).unwrap_or_default();
                // A datagram that is no TFTP packet is ignored like a stray one.
                let Ok(pkt) = packet::parse_packet(bytes) else {
                    continue;
                };
                match pkt {
                    Packet::Data { block, .. } if block == self.expected => break n,
                    // A repeat of the block acknowledged last: our ACK was lost.
                    Packet::Data { block, .. } if block == self.expected.wrapping_sub(1) => {
                        self.send_last()?;
                    }
                    // A repeated OACK: our ACK 0 was lost.
                    Packet::Oack { .. } if self.expected == 1 && self.received == 0 => {
                        self.send_last()?;
                    }
                    Packet::Error { code, message } => {
                        self.done = true;
                        return Err(server_error(code, message));
                    }
                    // Older duplicates and stray packets of this transfer.
                    _ => {}
                }
            },
        };
        let len = n.saturating_sub(4);
        if len > self.blksize {
            return Err(Error::corrupt(format!(
                "DATA block {} has {len} bytes, more than the block size {}",
                self.expected, self.blksize
            )));
        }
        let received = self.received.saturating_add(len as u64);
        if received > self.max {
            self.abort(ErrorCode::DiskFull, "file too large");
            return Err(Error::limit(format!(
                "the file is more than the limit of {} bytes",
                self.max
            )));
        }
        self.received = received;
        self.send_new(packet::encode_ack(self.expected).to_vec())?;
        self.expected = self.expected.wrapping_add(1);
        if len < self.blksize {
            self.done = true;
            if let Some(size) = self.tsize.filter(|&s| s != received) {
                return Err(Error::corrupt(format!(
                    "the server announced {size} bytes (tsize) but sent {received}"
                )));
            }
        }
        Ok(n)
    }

    /// Waits for a packet from the server's transfer ID, sending the last packet
    /// again each time its per-packet timeout passes; returns its length in `buf`.
    fn wait(&mut self) -> Result<usize> {
        loop {
            let now = Instant::now();
            if now >= self.deadline {
                return Err(Error::new(
                    ErrorKind::Network,
                    format!(
                        "no answer within the network time budget of {} ms",
                        self.budget.as_millis()
                    ),
                ));
            }
            if now >= self.resend_at {
                self.tries = self.tries.saturating_add(1);
                if self.tries > self.retries {
                    return Err(Error::new(
                        ErrorKind::Network,
                        format!(
                            "no answer after {} tries {} ms apart",
                            self.tries,
                            self.packet_timeout.as_millis()
                        ),
                    ));
                }
                self.send_last()?;
                self.resend_at = now
                    .checked_add(self.packet_timeout)
                    .unwrap_or(self.deadline);
                continue;
            }
            let wait = self
                .deadline
                .min(self.resend_at)
                .saturating_duration_since(now)
                .max(Duration::from_millis(1));
            self.socket
                .set_read_timeout(Some(wait))
                .map_err(|e| Error::io("setting the UDP receive timeout", &e))?;
            match self.socket.recv_from(&mut self.buf) {
                Ok((n, from)) => {
                    let ours = match self.peer {
                        Some(peer) => from == peer,
                        None => from.ip() == self.server.ip(),
                    };
                    if !ours {
                        let err =
                            packet::encode_error(ErrorCode::UnknownTid, "unknown transfer ID");
                        let _ = self.socket.send_to(&err, from);
                        continue;
                    }
                    if self.peer.is_none() {
                        // Only a real TFTP packet names the server's transfer ID.
                        let bytes = self.buf.get(..n).unwrap_or_default();
                        if packet::parse_packet(bytes).is_err() {
                            continue;
                        }
                        self.peer = Some(from);
                    }
                    return Ok(n);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                // Where the system reports it, an ICMP "port unreachable" for an
                // earlier send: counted as a timeout, so that it cannot spin.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    self.resend_at = now;
                }
                Err(e) => return Err(Error::io("receiving from the TFTP server", &e)),
            }
        }
    }

    /// Sends a new packet (the request or the next ACK): it is the one sent again on
    /// timeouts from now on, with a fresh count of tries.
    fn send_new(&mut self, packet: Vec<u8>) -> Result<()> {
        self.last_sent = packet;
        self.tries = 0;
        let now = Instant::now();
        self.resend_at = now
            .checked_add(self.packet_timeout)
            .unwrap_or(self.deadline);
        self.send_last()
    }

    /// Sends the last packet (again) to the server's transfer ID, or to its
    /// well-known port before that is known.
    fn send_last(&self) -> Result<()> {
        let to = self.peer.unwrap_or(self.server);
        self.socket
            .send_to(&self.last_sent, to)
            .map(drop)
            .map_err(|e| Error::io(format!("sending to TFTP server {to}"), &e))
    }

    /// Tells the server the transfer is over (best effort) and marks it done.
    fn abort(&mut self, code: ErrorCode, message: &str) {
        if let Some(peer) = self.peer {
            let _ = self
                .socket
                .send_to(&packet::encode_error(code, message), peer);
        }
        self.done = true;
    }

    /// Adds which file and server the error is about.
    fn annotate(&self, e: Error) -> Error {
        e.context(format!(
            "reading {} from TFTP server {}",
            self.filename, self.server
        ))
    }
}

impl Drop for Transfer {
    fn drop(&mut self) {
        if !self.done {
            self.abort(ErrorCode::Undefined, "transfer cancelled by the client");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oack_values_are_checked() {
        assert_eq!(
            negotiated(&[("BLKSIZE", "1468"), ("tsize", "6")]).unwrap(),
            (1468, Some(6))
        );
        assert_eq!(negotiated(&[("tsize", "0")]).unwrap(), (512, Some(0)));
        assert_eq!(negotiated(&[("windowsize", "4")]).unwrap(), (512, None));
        for bad in [
            [("blksize", "1469")],
            [("blksize", "7")],
            [("blksize", "65536")],
            [("blksize", "x")],
            [("tsize", "-1")],
            [("tsize", "18446744073709551616")],
        ] {
            assert_eq!(
                negotiated(&bad).unwrap_err().kind(),
                ErrorKind::Corrupt,
                "{bad:?}"
            );
        }
    }
}
