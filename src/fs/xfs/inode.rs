//! Inodes: the core (mode, size, fork formats, extent counts) and the data fork.

use super::{be16, be32, be64, crc, Volume};
use crate::error::{Error, Result};
use crate::fs::FileKind;
use std::ops::Range;

const MAGIC: u16 = 0x494e; // "IN"
const CORE_V2: usize = 100;
const CORE_V3: usize = 176;
const CRC_AT: usize = 100;
/// di_flags: the file's data lives on the realtime device.
const FLAG_REALTIME: u16 = 0x0001;
/// di_flags2: 64-bit extent counters.
const FLAG2_NREXT64: u64 = 0x10;

/// Data fork formats.
pub(super) const FMT_LOCAL: u8 = 1;
pub(super) const FMT_EXTENTS: u8 = 2;
pub(super) const FMT_BTREE: u8 = 3;

const S_IFMT: u16 = 0xf000;
const S_IFREG: u16 = 0x8000;
const S_IFDIR: u16 = 0x4000;
const S_IFLNK: u16 = 0xa000;

/// One inode, read and checked.
pub(super) struct Inode {
    /// The inode number.
    pub ino: u64,
    mode: u16,
    /// Data fork format (`FMT_*`).
    pub format: u8,
    /// `di_size`: bytes in the file (or directory / link target).
    pub size: u64,
    /// Data fork extent count.
    pub nextents: u64,
    /// The data lives on a realtime device.
    pub realtime: bool,
    raw: Vec<u8>,
    fork: Range<usize>,
}

impl Inode {
    /// Reads inode `ino` and checks its magic, version, v5 checksum and identity.
    pub(super) fn read(vol: &Volume, ino: u64) -> Result<Inode> {
        let sb = &vol.sb;
        let at = sb.inode_byte(ino)?;
        let mut raw = vec![0u8; usize::from(sb.inodesize)];
        vol.read(at, &mut raw)?;
        Self::parse(raw, vol, ino)
    }

    fn parse(raw: Vec<u8>, vol: &Volume, ino: u64) -> Result<Inode> {
        let sb = &vol.sb;
        let w = &format!("inode {ino}");
        if be16(&raw, 0, w)? != MAGIC {
            return Err(Error::corrupt(format!("{w}: bad magic")));
        }
        let version = *raw.get(4).unwrap_or(&0);
        let core = match (version, sb.v5) {
            (3, true) => CORE_V3,
            (1 | 2, false) => CORE_V2,
            _ => {
                return Err(Error::corrupt(format!(
                    "{w}: inode version {version} on a v{} filesystem",
                    if sb.v5 { 5 } else { 4 }
                )))
            }
        };
        if sb.v5 {
            crc::verify(&raw, CRC_AT, w)?;
            if be64(&raw, 152, w)? != ino {
                return Err(Error::corrupt(format!(
                    "{w}: the inode records a different number (misdirected read)"
                )));
            }
            if raw.get(160..176) != Some(&sb.meta_uuid[..]) {
                return Err(Error::corrupt(format!(
                    "{w}: filesystem UUID does not match the superblock"
                )));
            }
        }
        let mode = be16(&raw, 2, w)?;
        let format = *raw.get(5).unwrap_or(&0);
        let size = be64(&raw, 56, w)?;
        if size > i64::MAX as u64 {
            return Err(Error::corrupt(format!("{w}: negative size")));
        }
        let flags = be16(&raw, 90, w)?;
        let big = version == 3 && be64(&raw, 120, w)? & FLAG2_NREXT64 != 0;
        if big && !sb.nrext64 {
            return Err(Error::corrupt(format!(
                "{w}: 64-bit extent counter without the nrext64 feature"
            )));
        }
        let nextents = if big {
            be64(&raw, 24, w)?
        } else {
            be32(&raw, 76, w)?.into()
        };
        let forkoff = usize::from(*raw.get(82).unwrap_or(&0)) * 8;
        let literal = raw.len() - core;
        let fork_len = match forkoff {
            0 => literal,
            n if n <= literal => n,
            n => {
                return Err(Error::corrupt(format!(
                    "{w}: attribute fork offset {n} beyond the inode"
                )))
            }
        };
        let inode = Inode {
            ino,
            mode,
            format,
            size,
            nextents,
            realtime: flags & FLAG_REALTIME != 0,
            raw,
            fork: core..core + fork_len,
        };
        let ok = match inode.kind() {
            FileKind::Dir => matches!(format, FMT_LOCAL | FMT_EXTENTS | FMT_BTREE),
            FileKind::File => matches!(format, FMT_EXTENTS | FMT_BTREE),
            FileKind::Symlink => matches!(format, FMT_LOCAL | FMT_EXTENTS | FMT_BTREE),
            FileKind::Other => true,
        };
        if !ok {
            return Err(Error::corrupt(format!(
                "{w}: data fork format {format} is invalid for mode {mode:o}"
            )));
        }
        Ok(inode)
    }

    /// What the inode is.
    pub(super) fn kind(&self) -> FileKind {
        match self.mode & S_IFMT {
            S_IFREG => FileKind::File,
            S_IFDIR => FileKind::Dir,
            S_IFLNK => FileKind::Symlink,
            _ => FileKind::Other,
        }
    }

    /// The bytes of the data fork (inline data, extent records or a B+tree root).
    pub(super) fn data_fork(&self) -> &[u8] {
        self.raw.get(self.fork.clone()).unwrap_or(&[])
    }

    /// The inline data of a local-format fork: the first `di_size` bytes.
    pub(super) fn local_data(&self) -> Result<&[u8]> {
        let fork = self.data_fork();
        usize::try_from(self.size)
            .ok()
            .and_then(|n| fork.get(..n))
            .ok_or_else(|| {
                Error::corrupt(format!(
                    "inode {}: inline size {} exceeds its {}-byte fork",
                    self.ino,
                    self.size,
                    fork.len()
                ))
            })
    }
}
