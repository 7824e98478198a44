//! TFTP (RFC 1350) reads with option negotiation (RFC 2347, 2348, 2349).
//!
//! * [`packet`]: decoding ([`parse_packet`], a pure function, fuzzed) and encoding.
//! * [`client`]: one lockstep read transfer over a std `UdpSocket`: a per-packet
//!   timeout with bounded retransmits, a total time budget shared by every transfer
//!   of a [`Client`], a size cap, duplicates acknowledged again and never written
//!   twice, packets from a foreign transfer ID answered with ERROR 5 and ignored.
//! * [`fs`]: [`TftpFs`], the server's files as a read-only filesystem, so that
//!   selection and extraction work on a TFTP server as on a disk.

pub mod client;
pub mod fs;
pub mod packet;

pub use client::{Client, Transfer};
pub use fs::TftpFs;
pub use packet::{parse_options, parse_packet, ErrorCode, Packet};
