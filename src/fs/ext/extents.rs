//! Extent trees: where an extent-mapped inode's bytes lie in the volume, as long as
//! they are plain initialised blocks from the first byte to the last (no holes, no
//! unwritten extents); anything else is `None`.

use super::layout::{le16, le32, Inode, Layout};
use crate::fs::crc32c;
use crate::source::ByteSource;

/// Magic number of every extent tree node header.
const EXTENT_MAGIC: u16 = 0xF30A;
/// Deepest extent tree the kernel builds.
const MAX_DEPTH: u16 = 5;
/// Longest initialised extent; longer lengths mark unwritten extents.
const MAX_INIT_LEN: u16 = 32768;
/// Most tree nodes read for one file (a 1 GiB file in 4 KiB extents needs ~800).
const MAX_NODES: usize = 4096;
/// Most separate runs returned for one file; more is streamed instead.
const MAX_RUNS: usize = 1 << 16;
/// Inode flag: the file is mapped by an extent tree.
const EXTENTS_FL: u32 = 0x8_0000;
/// Inode flags under which the blocks do not hold the bytes as they read:
/// encrypted, inline data.
const OPAQUE_FL: u32 = 0x800 | 0x1000_0000;
/// Size of a node header and of each entry.
const ENTRY: usize = 12;

/// Returns `(byte offset in the volume, length)` runs covering exactly `inode.size`
/// bytes, adjacent runs merged.
pub(super) fn map(layout: &Layout, vol: &dyn ByteSource, inode: &Inode) -> Option<Vec<(u64, u64)>> {
    if inode.flags & EXTENTS_FL == 0 || inode.flags & OPAQUE_FL != 0 {
        return None;
    }
    let mut m = Mapper {
        layout,
        vol,
        size: inode.size,
        csum_seed: inode.csum_seed,
        covered: 0,
        next_block: 0,
        nodes: 0,
        runs: Vec::new(),
    };
    m.node(&inode.root, None)?;
    (m.covered == inode.size).then_some(m.runs)
}

/// The state of one tree walk.
struct Mapper<'a> {
    layout: &'a Layout,
    vol: &'a dyn ByteSource,
    size: u64,
    /// The inode's checksum seed, with metadata_csum: tree blocks must match it.
    csum_seed: Option<u32>,
    /// Bytes of the file mapped so far.
    covered: u64,
    /// The logical block the next extent must start at.
    next_block: u64,
    nodes: usize,
    runs: Vec<(u64, u64)>,
}

impl Mapper<'_> {
    /// Walks the node in `buf`, whose depth must be `depth` (any for the root).
    fn node(&mut self, buf: &[u8], depth: Option<u16>) -> Option<()> {
        let (entries, max, here) = (le16(buf, 2), le16(buf, 4), le16(buf, 6));
        let capacity = buf.len().checked_sub(ENTRY)? / ENTRY;
        if le16(buf, 0) != EXTENT_MAGIC
            || entries > max
            || usize::from(max) > capacity
            || here > MAX_DEPTH
            || depth.is_some_and(|d| d != here)
            // Only the root of an empty file may be empty.
            || (entries == 0 && (here > 0 || depth.is_some()))
        {
            return None;
        }
        for i in 0..usize::from(entries) {
            if self.covered >= self.size {
                break;
            }
            let at = ENTRY.checked_mul(i + 1)?;
            let e = buf.get(at..at.checked_add(ENTRY)?)?;
            if here == 0 {
                self.extent(e)?;
            } else {
                self.nodes += 1;
                if self.nodes > MAX_NODES {
                    return None;
                }
                let child = u64::from(le32(e, 4)) | u64::from(le16(e, 8)) << 32;
                let at = self.layout.blocks_at(child, 1)?;
                let mut block = vec![0u8; usize::try_from(self.layout.block_size).ok()?];
                self.vol.read_at(at, &mut block).ok()?;
                self.check_sum(&block)?;
                self.node(&block, Some(here - 1))?;
            }
        }
        Some(())
    }

    /// With metadata_csum, checks a tree block's CRC-32C (in the 4 bytes after its
    /// `max` entries), as `ext4-view` does before it reads the block.
    fn check_sum(&self, block: &[u8]) -> Option<()> {
        let Some(seed) = self.csum_seed else {
            return Some(());
        };
        let tail = ENTRY.checked_mul(usize::from(le16(block, 4)).checked_add(1)?)?;
        let stored = le32(block.get(tail..)?, 0);
        (block.len() >= tail.checked_add(4)? && crc32c::update(seed, block.get(..tail)?) == stored)
            .then_some(())
    }

    /// Adds one leaf entry, which must continue the file where the last one ended.
    fn extent(&mut self, e: &[u8]) -> Option<()> {
        let len = le16(e, 4);
        if len == 0 || len > MAX_INIT_LEN || u64::from(le32(e, 0)) != self.next_block {
            return None;
        }
        let start = u64::from(le32(e, 8)) | u64::from(le16(e, 6)) << 32;
        let at = self.layout.blocks_at(start, u64::from(len))?;
        let bytes = u64::from(len)
            .checked_mul(self.layout.block_size)?
            .min(self.size - self.covered);
        let count = self.runs.len();
        match self.runs.last_mut() {
            Some((prev, n)) if prev.checked_add(*n) == Some(at) => *n += bytes,
            _ if count >= MAX_RUNS => return None,
            _ => self.runs.push((at, bytes)),
        }
        self.covered += bytes;
        self.next_block += u64::from(len);
        Some(())
    }
}
