//! The primary superblock and the allocation-group headers (AGF, AGI): geometry,
//! feature flags, and the address arithmetic every other structure relies on.

use super::{be16, be32, be64, crc, Volume};
use crate::error::{Error, Result};

/// "XFSB".
pub(super) const MAGIC: u32 = 0x5846_5342;
const AGF_MAGIC: u32 = 0x5841_4746; // "XAGF"
const AGI_MAGIC: u32 = 0x5841_4749; // "XAGI"

// sb_versionnum bits.
const VERSION_LOGV2: u16 = 0x0400;
const VERSION_DIRV2: u16 = 0x2000;
const VERSION_MOREBITS: u16 = 0x8000;
// sb_features2 bits (v4).
const FEATURES2_FTYPE: u32 = 0x0200;
// v5 incompatible features understood here.
const INCOMPAT_FTYPE: u32 = 0x01;
const INCOMPAT_SPINODES: u32 = 0x02;
const INCOMPAT_META_UUID: u32 = 0x04;
const INCOMPAT_BIGTIME: u32 = 0x08;
const INCOMPAT_NEEDSREPAIR: u32 = 0x10;
const INCOMPAT_NREXT64: u32 = 0x20;
const INCOMPAT_EXCHRANGE: u32 = 0x40;
const INCOMPAT_PARENT: u32 = 0x80;
/// Features that change nothing this reader looks at (sparse inode chunks,
/// timestamps, log items, parent-pointer attributes) or that it handles (ftype,
/// meta_uuid, 64-bit extent counters).
const INCOMPAT_KNOWN: u32 = INCOMPAT_FTYPE
    | INCOMPAT_SPINODES
    | INCOMPAT_META_UUID
    | INCOMPAT_BIGTIME
    | INCOMPAT_NREXT64
    | INCOMPAT_EXCHRANGE
    | INCOMPAT_PARENT;

/// At most this many allocation groups have their headers checked at open (a real
/// filesystem has a handful; the rest are checked by use).
const MAX_AG_CHECK: u32 = 1024;

/// What the reader needs from the superblock, validated.
#[derive(Clone, Debug)]
pub(super) struct Superblock {
    pub blocksize: u32,
    pub blocklog: u8,
    pub dblocks: u64,
    pub uuid: [u8; 16],
    /// The UUID stamped into v5 metadata (`sb_meta_uuid` with the meta_uuid
    /// feature, else `sb_uuid`).
    pub meta_uuid: [u8; 16],
    pub logstart: u64,
    pub logblocks: u32,
    pub rootino: u64,
    pub agblocks: u32,
    pub agblklog: u8,
    pub agcount: u32,
    pub sectsize: u16,
    pub inodesize: u16,
    pub inopblog: u8,
    pub label: [u8; 12],
    pub dirblklog: u8,
    /// Version 5 (CRC, self-describing metadata).
    pub v5: bool,
    /// Directory entries carry the file type.
    pub ftype: bool,
    /// Inodes may use 64-bit extent counters.
    pub nrext64: bool,
    /// The log uses version 2 records (up to 256 KiB).
    pub logv2: bool,
}

fn is_pow2_log(value: u64, log: u8) -> bool {
    u32::from(log) < 64 && value == 1u64 << log
}

impl Superblock {
    /// Parses and validates the superblock from the first sector (`buf` holds at
    /// least `sb_sectsize` bytes for the v5 checksum).
    pub(super) fn parse(buf: &[u8], volume_len: u64) -> Result<Superblock> {
        let w = "superblock";
        if be32(buf, 0, w)? != MAGIC {
            return Err(Error::corrupt("no XFS superblock magic"));
        }
        let versionnum = be16(buf, 100, w)?;
        let version = versionnum & 0xf;
        let v5 = match version {
            4 => false,
            5 => true,
            _ => {
                return Err(Error::unsupported(format!(
                    "XFS superblock version {version} (only 4 and 5 are read)"
                )))
            }
        };
        let blocksize = be32(buf, 4, w)?;
        let blocklog = *buf.get(120).ok_or_else(|| short(w))?;
        let sectsize = be16(buf, 102, w)?;
        let sectlog = *buf.get(121).ok_or_else(|| short(w))?;
        let inodesize = be16(buf, 104, w)?;
        let inodelog = *buf.get(122).ok_or_else(|| short(w))?;
        let inopblock = be16(buf, 106, w)?;
        let inopblog = *buf.get(123).ok_or_else(|| short(w))?;
        let agblklog = *buf.get(124).ok_or_else(|| short(w))?;
        let dirblklog = *buf.get(192).ok_or_else(|| short(w))?;
        let agblocks = be32(buf, 84, w)?;
        let agcount = be32(buf, 88, w)?;
        let dblocks = be64(buf, 8, w)?;

        if !(512..=65536).contains(&blocksize) || !is_pow2_log(blocksize.into(), blocklog) {
            return Err(Error::corrupt(format!(
                "superblock: bad block size {blocksize} (log {blocklog})"
            )));
        }
        if !(512..=32768).contains(&sectsize)
            || !is_pow2_log(sectsize.into(), sectlog)
            || u32::from(sectsize) > blocksize
        {
            return Err(Error::corrupt(format!(
                "superblock: bad sector size {sectsize} (log {sectlog})"
            )));
        }
        if !(256..=2048).contains(&inodesize)
            || !is_pow2_log(inodesize.into(), inodelog)
            || (v5 && inodesize < 512)
            || u32::from(inodesize) > blocksize
            || u32::from(inopblock) != blocksize / u32::from(inodesize)
            || !is_pow2_log(inopblock.into(), inopblog)
        {
            return Err(Error::corrupt(format!(
                "superblock: bad inode geometry (size {inodesize}, {inopblock} per block)"
            )));
        }
        // agblklog is the rounded-up log2 of agblocks.
        if agblocks < 2
            || agblklog >= 32
            || (1u64 << agblklog) < u64::from(agblocks)
            || (1u64 << agblklog) / 2 >= u64::from(agblocks)
        {
            return Err(Error::corrupt(format!(
                "superblock: bad allocation group size {agblocks} (log {agblklog})"
            )));
        }
        let full = u64::from(agcount)
            .checked_mul(agblocks.into())
            .ok_or_else(|| Error::corrupt("superblock: AG geometry overflows"))?;
        let all_but_last = full.saturating_sub(agblocks.into());
        if agcount == 0 || dblocks > full || dblocks <= all_but_last {
            return Err(Error::corrupt(format!(
                "superblock: {dblocks} blocks do not fit {agcount} AGs of {agblocks} blocks"
            )));
        }
        let bytes = dblocks
            .checked_mul(blocksize.into())
            .ok_or_else(|| Error::corrupt("superblock: filesystem size overflows"))?;
        if bytes > volume_len {
            return Err(Error::corrupt(format!(
                "superblock: filesystem of {bytes} bytes is larger than its volume ({volume_len} bytes)"
            )));
        }
        if u32::from(blocklog) + u32::from(dirblklog) > 16 {
            return Err(Error::corrupt(format!(
                "superblock: directory block log {dirblklog} too large"
            )));
        }
        if versionnum & VERSION_DIRV2 == 0 && !v5 {
            return Err(Error::unsupported(
                "XFS with version 1 directories is not supported",
            ));
        }
        if *buf.get(126).ok_or_else(|| short(w))? != 0 {
            return Err(Error::corrupt(
                "superblock: mkfs did not finish (sb_inprogress set)",
            ));
        }

        let features2 = if versionnum & VERSION_MOREBITS != 0 {
            be32(buf, 200, w)?
        } else {
            0
        };
        let mut ftype = features2 & FEATURES2_FTYPE != 0;
        let mut nrext64 = false;
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(buf.get(32..48).ok_or_else(|| short(w))?);
        let mut meta_uuid = uuid;
        if v5 {
            let sect = buf.get(..usize::from(sectsize)).ok_or_else(|| short(w))?;
            crc::verify(sect, 224, w)?;
            let incompat = be32(buf, 216, w)?;
            let unknown = incompat & !INCOMPAT_KNOWN;
            if incompat & INCOMPAT_NEEDSREPAIR != 0 {
                return Err(Error::unsupported(
                    "XFS filesystem is marked as needing xfs_repair",
                ));
            }
            if unknown != 0 {
                return Err(Error::unsupported(format!(
                    "XFS incompatible features {unknown:#x} are not supported"
                )));
            }
            ftype = incompat & INCOMPAT_FTYPE != 0;
            nrext64 = incompat & INCOMPAT_NREXT64 != 0;
            if incompat & INCOMPAT_META_UUID != 0 {
                meta_uuid.copy_from_slice(buf.get(248..264).ok_or_else(|| short(w))?);
            }
        }
        let mut label = [0u8; 12];
        label.copy_from_slice(buf.get(108..120).ok_or_else(|| short(w))?);
        Ok(Superblock {
            blocksize,
            blocklog,
            dblocks,
            uuid,
            meta_uuid,
            logstart: be64(buf, 48, w)?,
            logblocks: be32(buf, 96, w)?,
            rootino: be64(buf, 56, w)?,
            agblocks,
            agblklog,
            agcount,
            sectsize,
            inodesize,
            inopblog,
            label,
            dirblklog,
            v5,
            ftype,
            nrext64,
            logv2: v5 || versionnum & VERSION_LOGV2 != 0,
        })
    }

    /// Blocks in allocation group `agno` (the last one may be short).
    fn ag_len(&self, agno: u64) -> u64 {
        let start = agno.saturating_mul(self.agblocks.into());
        self.dblocks.saturating_sub(start).min(self.agblocks.into())
    }

    /// Byte offset of `count` blocks starting at the AG-encoded block number
    /// `fsbno`, after checking they lie inside one allocation group.
    pub(super) fn extent_byte(&self, fsbno: u64, count: u64) -> Result<u64> {
        let agno = fsbno >> self.agblklog;
        let agbno = fsbno & ((1u64 << self.agblklog) - 1);
        let end = agbno.checked_add(count);
        if agno >= u64::from(self.agcount) || end.is_none_or(|e| e > self.ag_len(agno)) {
            return Err(Error::corrupt(format!(
                "block {fsbno} (AG {agno} block {agbno}, {count} blocks) lies outside the filesystem"
            )));
        }
        let linear = agno * u64::from(self.agblocks) + agbno;
        Ok(linear << self.blocklog)
    }

    /// Byte offset of inode `ino`, after checking the number is inside the
    /// filesystem.
    pub(super) fn inode_byte(&self, ino: u64) -> Result<u64> {
        let per_block = u32::from(self.inopblog);
        let fsbno = ino >> per_block;
        let index = ino & ((1u64 << per_block) - 1);
        let block = self
            .extent_byte(fsbno, 1)
            .map_err(|e| e.context(format!("inode number {ino}")))?;
        Ok(block + index * u64::from(self.inodesize))
    }

    /// Size of a directory block in bytes.
    pub(super) fn dir_block_size(&self) -> usize {
        (self.blocksize as usize) << self.dirblklog
    }

    /// Checks the AGF and AGI headers of the first allocation groups.
    pub(super) fn check_ag_headers(&self, vol: &Volume) -> Result<()> {
        let sect = usize::from(self.sectsize);
        let mut buf = vec![0u8; 2 * sect];
        for agno in 0..self.agcount.min(MAX_AG_CHECK) {
            let ag_start = self.extent_byte(u64::from(agno) << self.agblklog, 1)?;
            vol.read(ag_start + sect as u64, &mut buf)?;
            let (agf, agi) = buf.split_at(sect);
            let len = self.ag_len(agno.into());
            for (hdr, magic, crc_at, uuid_at, what) in [
                (agf, AGF_MAGIC, 216, 64, "AGF"),
                (agi, AGI_MAGIC, 312, 296, "AGI"),
            ] {
                let what = format!("{what} of allocation group {agno}");
                if be32(hdr, 0, &what)? != magic
                    || be32(hdr, 8, &what)? != agno
                    || u64::from(be32(hdr, 12, &what)?) != len
                {
                    return Err(Error::corrupt(format!(
                        "{what}: bad magic, sequence number or length"
                    )));
                }
                if self.v5 {
                    crc::verify(hdr, crc_at, &what)?;
                    if hdr.get(uuid_at..uuid_at + 16) != Some(&self.meta_uuid[..]) {
                        return Err(Error::corrupt(format!(
                            "{what}: filesystem UUID does not match the superblock"
                        )));
                    }
                }
            }
        }
        Ok(())
    }
}

fn short(what: &str) -> Error {
    Error::corrupt(format!("{what}: structure is truncated"))
}
