//! Directories in all their forms.
//!
//! * shortform: entries packed in the inode's data fork (local format);
//! * block: one directory block holding entries, a hash index and a tail;
//! * leaf, node: data blocks below the 32 GiB logical offset plus hash-index
//!   (leaf, node) and free-space blocks above it;
//! * btree: any of the latter whose block map is a B+tree instead of an inline
//!   extent list ([`super::bmap`] reads both).
//!
//! Every entry lives in a data block (or the shortform fork), so listing and lookup
//! both walk the data blocks in order; the hash index only speeds up lookups and is
//! not needed. Each data block is verified (magic, v5 checksum, block address,
//! owner) and each entry's tag must point back at the entry, so a corrupt block is
//! an error, never a wrong name.

use super::bmap::{self, Extent};
use super::inode::{Inode, FMT_BTREE, FMT_EXTENTS, FMT_LOCAL};
use super::{be16, be32, be64, crc, Volume};
use crate::error::{Error, Result};
use crate::fs::FileKind;
use std::ops::ControlFlow;

/// Directory data lives below this byte offset; index blocks above it.
const LEAF_OFFSET: u64 = 32 << 30;
/// Most directory blocks scanned in one directory.
const MAX_DIR_BLOCKS: u64 = 1 << 17;
const XD2B: u32 = 0x5844_3242; // v4 single-block directory
const XD2D: u32 = 0x5844_3244; // v4 data block
const XDB3: u32 = 0x5844_4233; // v5 single-block directory
const XDD3: u32 = 0x5844_4433; // v5 data block
const FREE_TAG: u16 = 0xffff;

/// One directory entry as stored.
pub(super) struct Entry<'a> {
    /// The name (raw bytes, no `/` or NUL).
    pub name: &'a [u8],
    /// Its inode number.
    pub ino: u64,
    /// The kind from the entry's file-type byte, when the filesystem has one.
    pub kind: Option<FileKind>,
}

fn kind_of(ftype: u8) -> FileKind {
    match ftype {
        1 => FileKind::File,
        2 => FileKind::Dir,
        7 => FileKind::Symlink,
        _ => FileKind::Other,
    }
}

/// Calls `f` on each entry of directory `dir` except `.` and `..`, until it breaks.
pub(super) fn walk(
    vol: &Volume,
    dir: &Inode,
    f: &mut dyn FnMut(Entry<'_>) -> ControlFlow<()>,
) -> Result<()> {
    let r = match dir.format {
        FMT_LOCAL => shortform(vol, dir, f),
        FMT_EXTENTS | FMT_BTREE => blocks(vol, dir, f),
        other => Err(Error::corrupt(format!("format {other}"))),
    };
    r.map_err(|e| e.context(format!("reading directory inode {}", dir.ino)))
}

/// Finds `name` in `dir`: its inode number and entry kind.
pub(super) fn lookup(
    vol: &Volume,
    dir: &Inode,
    name: &[u8],
) -> Result<Option<(u64, Option<FileKind>)>> {
    let mut found = None;
    walk(vol, dir, &mut |e| {
        if e.name == name {
            found = Some((e.ino, e.kind));
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    Ok(found)
}

fn shortform(
    vol: &Volume,
    dir: &Inode,
    f: &mut dyn FnMut(Entry<'_>) -> ControlFlow<()>,
) -> Result<()> {
    let data = dir.local_data()?;
    let w = "shortform directory";
    let count = *data.first().ok_or_else(|| trunc(w))?;
    let wide = *data.get(1).ok_or_else(|| trunc(w))? != 0;
    let ino_len = if wide { 8 } else { 4 };
    let ftype = usize::from(vol.sb.ftype);
    let mut pos = 2 + ino_len;
    for i in 0..count {
        let namelen = usize::from(*data.get(pos).ok_or_else(|| trunc(w))?);
        let name_at = pos + 3;
        let name = data
            .get(name_at..name_at + namelen)
            .ok_or_else(|| trunc(w))?;
        let kind = if ftype == 1 {
            Some(kind_of(
                *data.get(name_at + namelen).ok_or_else(|| trunc(w))?,
            ))
        } else {
            None
        };
        let ino_at = name_at + namelen + ftype;
        let ino = if wide {
            be64(data, ino_at, w)?
        } else {
            be32(data, ino_at, w)?.into()
        };
        check_name(name, w, i.into())?;
        pos = ino_at + ino_len;
        if f(Entry { name, ino, kind }).is_break() {
            break;
        }
    }
    Ok(())
}

fn blocks(
    vol: &Volume,
    dir: &Inode,
    f: &mut dyn FnMut(Entry<'_>) -> ControlFlow<()>,
) -> Result<()> {
    let sb = &vol.sb;
    let extents = bmap::extents(vol, dir)?;
    let per_block = 1u64 << sb.dirblklog;
    let data_limit = (LEAF_OFFSET >> sb.blocklog) >> sb.dirblklog;
    let mut buf = vec![0u8; sb.dir_block_size()];
    let mut seen = 0u64;
    let mut last: Option<u64> = None;
    for ext in &extents {
        let first = ext.off >> sb.dirblklog;
        let end = ext.end().div_ceil(per_block).min(data_limit);
        for dablk in first..end {
            if last.is_some_and(|l| dablk <= l) {
                continue;
            }
            last = Some(dablk);
            seen += 1;
            if seen > MAX_DIR_BLOCKS {
                return Err(Error::limit(format!(
                    "more than {MAX_DIR_BLOCKS} directory blocks"
                )));
            }
            let daddr = read_dir_block(vol, &extents, dablk, &mut buf)?;
            if data_block(vol, dir, &buf, dablk, daddr, f)?.is_break() {
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Reads directory block `dablk` (which may span several extents) into `buf`;
/// returns the disk address (512-byte units) of its first block.
fn read_dir_block(vol: &Volume, extents: &[Extent], dablk: u64, buf: &mut [u8]) -> Result<u64> {
    let sb = &vol.sb;
    let bs = sb.blocksize as usize;
    let first = dablk << sb.dirblklog;
    let mut daddr = 0;
    for (i, chunk) in buf.chunks_mut(bs).enumerate() {
        let lblock = first + i as u64;
        let ext = bmap::find(extents, lblock).ok_or_else(|| {
            Error::corrupt(format!(
                "directory block {dablk} has a hole at block {lblock}"
            ))
        })?;
        let byte = ext.byte + ((lblock - ext.off) << sb.blocklog);
        if i == 0 {
            daddr = byte / 512;
        }
        vol.read(byte, chunk)?;
    }
    Ok(daddr)
}

/// Walks the entries of one data (or single-block) directory block.
fn data_block(
    vol: &Volume,
    dir: &Inode,
    block: &[u8],
    dablk: u64,
    daddr: u64,
    f: &mut dyn FnMut(Entry<'_>) -> ControlFlow<()>,
) -> Result<ControlFlow<()>> {
    let sb = &vol.sb;
    let w = &format!("directory block {dablk}");
    let magic = be32(block, 0, w)?;
    let (single, hdr) = match (magic, sb.v5) {
        (XD2B, false) => (true, 16),
        (XD2D, false) => (false, 16),
        (XDB3, true) => (true, 64),
        (XDD3, true) => (false, 64),
        _ => return Err(Error::corrupt(format!("{w}: bad magic {magic:#010x}"))),
    };
    if sb.v5 {
        crc::verify(block, 4, w)?;
        if be64(block, 8, w)? != daddr
            || block.get(24..40) != Some(&sb.meta_uuid[..])
            || be64(block, 40, w)? != dir.ino
        {
            return Err(Error::corrupt(format!(
                "{w}: block address, filesystem UUID or owner does not match"
            )));
        }
    }
    let end = if single {
        // Tail: leaf count and stale count; the leaf entries precede it.
        let tail = block.len() - 8;
        let leaves = be32(block, tail, w)? as usize;
        leaves
            .checked_mul(8)
            .and_then(|n| tail.checked_sub(n))
            .filter(|&e| e >= hdr)
            .ok_or_else(|| Error::corrupt(format!("{w}: {leaves} leaf entries overflow")))?
    } else {
        block.len()
    };
    let ftype = usize::from(sb.ftype);
    let mut pos = hdr;
    let mut index = 0u64;
    while pos < end {
        if be16(block, pos, w)? == FREE_TAG {
            let len = usize::from(be16(block, pos + 2, w)?);
            if len < 8 || len % 8 != 0 || pos + len > end {
                return Err(Error::corrupt(format!(
                    "{w}: free region of {len} bytes at {pos} is invalid"
                )));
            }
            check_tag(block, pos, len, w)?;
            pos += len;
            continue;
        }
        let ino = be64(block, pos, w)?;
        let namelen = usize::from(*block.get(pos + 8).ok_or_else(|| trunc(w))?);
        let name = block
            .get(pos + 9..pos + 9 + namelen)
            .ok_or_else(|| trunc(w))?;
        let kind = if ftype == 1 {
            Some(kind_of(
                *block.get(pos + 9 + namelen).ok_or_else(|| trunc(w))?,
            ))
        } else {
            None
        };
        let len = (9 + namelen + ftype + 2).next_multiple_of(8);
        if pos + len > end {
            return Err(Error::corrupt(format!(
                "{w}: entry at {pos} overruns the block"
            )));
        }
        check_tag(block, pos, len, w)?;
        check_name(name, w, index)?;
        index += 1;
        pos += len;
        if name == b"." || name == b".." {
            continue;
        }
        if f(Entry { name, ino, kind }).is_break() {
            return Ok(ControlFlow::Break(()));
        }
    }
    Ok(ControlFlow::Continue(()))
}

/// Every entry and free region ends with a 2-byte tag holding its own offset.
fn check_tag(block: &[u8], pos: usize, len: usize, w: &str) -> Result<()> {
    let tag = be16(block, pos + len - 2, w)?;
    if usize::from(tag) != pos {
        return Err(Error::corrupt(format!(
            "{w}: entry at byte {pos} has tag {tag} (corrupt entry)"
        )));
    }
    Ok(())
}

fn check_name(name: &[u8], w: &str, index: u64) -> Result<()> {
    if name.is_empty() || name.contains(&b'/') || name.contains(&0) {
        return Err(Error::corrupt(format!(
            "{w}: entry {index} has an invalid name"
        )));
    }
    Ok(())
}

fn trunc(w: &str) -> Error {
    Error::corrupt(format!("{w}: entry runs past the end"))
}
