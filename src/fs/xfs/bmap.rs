//! Block maps: the data fork's extent list, stored inline (extents format) or in a
//! block-map B+tree (btree format, "bmbt").
//!
//! Every extent is checked to lie inside one allocation group, extents must be in
//! file order without overlap, and the number found must equal the inode's count, so
//! a tree whose pointers repeat a subtree is caught at the first repeated record.

use super::inode::{Inode, FMT_BTREE, FMT_EXTENTS};
use super::{be16, be32, be64, crc, Volume};
use crate::error::{Error, Result};

/// Most extents one file may have (the list is held in memory: 40 bytes each).
pub(super) const MAX_EXTENTS: u64 = 1 << 20;
/// Deepest block-map B+tree accepted (XFS itself needs fewer than 10 levels).
const MAX_LEVELS: u16 = 10;
const REC: usize = 16;
const BMAP_MAGIC: u32 = 0x424d_4150; // "BMAP", v4
const BMA3_MAGIC: u32 = 0x424d_4133; // "BMA3", v5
const V4_HDR: usize = 24;
const V5_HDR: usize = 72;

/// One mapping of file blocks to disk blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Extent {
    /// First file block.
    pub off: u64,
    /// First disk block, AG-encoded.
    pub start: u64,
    /// Length in blocks (at least 1).
    pub count: u64,
    /// Allocated but never written: reads as zeros.
    pub unwritten: bool,
    /// Byte offset of `start` on the volume (checked).
    pub byte: u64,
}

impl Extent {
    /// First file block after the extent.
    pub(super) fn end(&self) -> u64 {
        self.off + self.count
    }
}

fn decode(rec: &[u8], what: &str) -> Result<(u64, u64, u64, bool)> {
    let hi = be64(rec, 0, what)?;
    let lo = be64(rec, 8, what)?;
    Ok((
        (hi >> 9) & ((1 << 54) - 1),
        ((hi & 0x1ff) << 43) | (lo >> 21),
        lo & ((1 << 21) - 1),
        hi >> 63 != 0,
    ))
}

/// Collects extents in file order, checking each against the geometry and the
/// previous one.
struct Collector<'v> {
    vol: &'v Volume,
    ino: u64,
    /// The inode's extent count: finding more is corruption.
    expected: u64,
    out: Vec<Extent>,
}

impl Collector<'_> {
    fn push(&mut self, rec: &[u8]) -> Result<()> {
        let w = || format!("inode {} extent {}", self.ino, self.out.len());
        let (off, start, count, unwritten) = decode(rec, &w())?;
        if self.out.len() as u64 >= self.expected {
            return Err(Error::corrupt(format!(
                "inode {}: more extents than the {} it records",
                self.ino, self.expected
            )));
        }
        // File byte offsets must fit in an i64, as in XFS itself.
        let max_block = (i64::MAX as u64) >> self.vol.sb.blocklog;
        if count == 0 || off.checked_add(count).is_none_or(|end| end > max_block) {
            return Err(Error::corrupt(format!(
                "{}: file blocks {off}+{count} are out of range",
                w()
            )));
        }
        if let Some(prev) = self.out.last() {
            if off < prev.end() {
                return Err(Error::corrupt(format!(
                    "{}: file block {off} overlaps or precedes the previous extent",
                    w()
                )));
            }
        }
        let byte = self
            .vol
            .sb
            .extent_byte(start, count)
            .map_err(|e| e.context(w()))?;
        self.out.push(Extent {
            off,
            start,
            count,
            unwritten,
            byte,
        });
        Ok(())
    }
}

/// The data fork's extents of `inode` (extents or btree format), in file order.
pub(super) fn extents(vol: &Volume, inode: &Inode) -> Result<Vec<Extent>> {
    let ino = inode.ino;
    if inode.nextents > MAX_EXTENTS {
        return Err(Error::limit(format!(
            "inode {ino}: {} extents, more than {MAX_EXTENTS}",
            inode.nextents
        )));
    }
    let mut c = Collector {
        vol,
        ino,
        expected: inode.nextents,
        out: Vec::new(),
    };
    let fork = inode.data_fork();
    match inode.format {
        FMT_EXTENTS => {
            let n = inode.nextents as usize;
            if n.checked_mul(REC).is_none_or(|b| b > fork.len()) {
                return Err(Error::corrupt(format!(
                    "inode {ino}: {n} extents do not fit the {}-byte fork",
                    fork.len()
                )));
            }
            for rec in fork.chunks_exact(REC).take(n) {
                c.push(rec)?;
            }
        }
        FMT_BTREE => {
            let w = format!("inode {ino} block map root");
            let level = be16(fork, 0, &w)?;
            let numrecs = usize::from(be16(fork, 2, &w)?);
            let maxrecs = fork.len().saturating_sub(4) / 16;
            if level == 0 || level > MAX_LEVELS || numrecs == 0 || numrecs > maxrecs {
                return Err(Error::corrupt(format!(
                    "{w}: bad level {level} or record count {numrecs}"
                )));
            }
            let ptrs = 4 + maxrecs * 8;
            for i in 0..numrecs {
                let ptr = be64(fork, ptrs + i * 8, &w)?;
                walk(&mut c, ptr, level - 1)?;
            }
        }
        other => {
            return Err(Error::corrupt(format!(
                "inode {ino}: data fork format {other} has no extents"
            )))
        }
    }
    if c.out.len() as u64 != inode.nextents {
        return Err(Error::corrupt(format!(
            "inode {ino}: found {} extents, the inode records {}",
            c.out.len(),
            inode.nextents
        )));
    }
    Ok(c.out)
}

/// Visits the bmbt node at `fsbno`, which must be at `level`; recursion depth is
/// bounded by [`MAX_LEVELS`] because the level strictly decreases.
fn walk(c: &mut Collector<'_>, fsbno: u64, level: u16) -> Result<()> {
    let vol = c.vol;
    let sb = &vol.sb;
    let w = format!("inode {} block map node at block {fsbno}", c.ino);
    let byte = sb.extent_byte(fsbno, 1).map_err(|e| e.context(w.clone()))?;
    let mut block = vec![0u8; sb.blocksize as usize];
    vol.read(byte, &mut block)?;
    let (magic, hdr) = if sb.v5 {
        (BMA3_MAGIC, V5_HDR)
    } else {
        (BMAP_MAGIC, V4_HDR)
    };
    if be32(&block, 0, &w)? != magic {
        return Err(Error::corrupt(format!("{w}: bad magic")));
    }
    if sb.v5 {
        crc::verify(&block, 64, &w)?;
        if be64(&block, 24, &w)? != byte / 512
            || block.get(40..56) != Some(&sb.meta_uuid[..])
            || be64(&block, 56, &w)? != c.ino
        {
            return Err(Error::corrupt(format!(
                "{w}: block address, filesystem UUID or owner does not match"
            )));
        }
    }
    let got_level = be16(&block, 4, &w)?;
    let numrecs = usize::from(be16(&block, 6, &w)?);
    let maxrecs = (block.len() - hdr) / 16;
    if got_level != level || numrecs == 0 || numrecs > maxrecs {
        return Err(Error::corrupt(format!(
            "{w}: level {got_level} (expected {level}) or record count {numrecs} is wrong"
        )));
    }
    if level == 0 {
        for i in 0..numrecs {
            let at = hdr + i * REC;
            let rec = block
                .get(at..at + REC)
                .ok_or_else(|| Error::corrupt(format!("{w}: record {i} truncated")))?;
            c.push(rec)?;
        }
    } else {
        let ptrs = hdr + maxrecs * 8;
        for i in 0..numrecs {
            let ptr = be64(&block, ptrs + i * 8, &w)?;
            walk(c, ptr, level - 1)?;
        }
    }
    Ok(())
}

/// The extent holding file block `lblock`, if mapped.
pub(super) fn find(extents: &[Extent], lblock: u64) -> Option<&Extent> {
    let i = extents.partition_point(|e| e.end() <= lblock);
    extents.get(i).filter(|e| e.off <= lblock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_packed_record() {
        // unwritten, startoff 5, startblock 0x1234 (crossing the word boundary
        // needs bits above 2^43: use 1 << 44 | 0x1234), blockcount 7.
        let start: u64 = (1 << 44) | 0x1234;
        let hi: u64 = (1 << 63) | (5 << 9) | (start >> 43);
        let lo: u64 = (start << 21) | 7;
        let mut rec = [0u8; 16];
        rec[..8].copy_from_slice(&hi.to_be_bytes());
        rec[8..].copy_from_slice(&lo.to_be_bytes());
        assert_eq!(decode(&rec, "t").unwrap(), (5, start, 7, true));
        assert!(decode(&rec[..15], "t").is_err());
    }

    #[test]
    fn finds_extent_by_block() {
        let e = |off, count| Extent {
            off,
            start: 0,
            count,
            unwritten: false,
            byte: 0,
        };
        let list = [e(0, 2), e(5, 3)];
        assert_eq!(find(&list, 1).map(|x| x.off), Some(0));
        assert_eq!(find(&list, 3), None);
        assert_eq!(find(&list, 7).map(|x| x.off), Some(5));
        assert_eq!(find(&list, 8), None);
    }
}
