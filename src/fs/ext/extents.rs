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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::ext::Superblock;
    use crate::source::MemSource;

    /// A 64-block filesystem of 1 KiB blocks.
    fn layout() -> Layout {
        let mut sb = [0u8; 1024];
        let mut put = |off: usize, v: u32| sb[off..off + 4].copy_from_slice(&v.to_le_bytes());
        put(0x0, 16); // inodes
        put(0x4, 64); // blocks
        put(0x14, 1); // first data block
        put(0x20, 8192); // blocks per group
        put(0x28, 16); // inodes per group
        put(0x4C, 1); // dynamic revision
        put(0x58, 128); // inode size
        put(0x60, 0x2 | 0x40); // filetype, extents
        Layout::parse(&Superblock(sb), 64 << 10).unwrap()
    }

    /// A node: header then `(first, a, b)` entries (leaf: block, len, start;
    /// index: block, child, unused), in a buffer of `size` bytes.
    fn node(size: usize, depth: u16, entries: &[(u32, u32, u32)]) -> Vec<u8> {
        let mut b = vec![0u8; size];
        let max = ((size - ENTRY) / ENTRY) as u16;
        b[0..2].copy_from_slice(&EXTENT_MAGIC.to_le_bytes());
        b[2..4].copy_from_slice(&(entries.len() as u16).to_le_bytes());
        b[4..6].copy_from_slice(&max.to_le_bytes());
        b[6..8].copy_from_slice(&depth.to_le_bytes());
        for (i, &(first, a, c)) in entries.iter().enumerate() {
            let e = ENTRY * (i + 1);
            b[e..e + 4].copy_from_slice(&first.to_le_bytes());
            if depth == 0 {
                b[e + 4..e + 6].copy_from_slice(&(a as u16).to_le_bytes());
                b[e + 8..e + 12].copy_from_slice(&c.to_le_bytes());
            } else {
                b[e + 4..e + 8].copy_from_slice(&a.to_le_bytes());
            }
        }
        b
    }

    fn inode(size: u64, root: Vec<u8>) -> Inode {
        Inode {
            mode: 0x8000,
            size,
            flags: EXTENTS_FL,
            root: root.try_into().unwrap(),
            csum_seed: None,
        }
    }

    /// Maps `size` bytes under `root`, with `blocks` placed in the volume.
    fn run(size: u64, root: Vec<u8>, blocks: &[(u64, Vec<u8>)]) -> Option<Vec<(u64, u64)>> {
        let mut vol = vec![0u8; 64 << 10];
        for (at, b) in blocks {
            vol[(*at as usize) << 10..][..b.len()].copy_from_slice(b);
        }
        map(&layout(), &MemSource::new(vol), &inode(size, root))
    }

    #[test]
    fn maps_and_merges_leaf_extents() {
        let root = node(60, 0, &[(0, 2, 10), (2, 1, 12), (3, 2, 20)]);
        assert_eq!(
            run(4500, root, &[]),
            Some(vec![(10 << 10, 3 << 10), (20 << 10, 1428)])
        );
        assert_eq!(run(0, node(60, 0, &[]), &[]), Some(vec![]));
    }

    #[test]
    fn follows_index_blocks() {
        let root = node(60, 1, &[(0, 30, 0), (2, 31, 0)]);
        let leaves = [
            (30, node(1024, 0, &[(0, 2, 10)])),
            (31, node(1024, 0, &[(2, 1, 40)])),
        ];
        assert_eq!(
            run(3000, root, &leaves),
            Some(vec![(10 << 10, 2 << 10), (40 << 10, 952)])
        );
    }

    #[test]
    fn refuses_holes_overlaps_and_loops() {
        // A hole, an overlap, blocks past the end, too short a tree.
        assert_eq!(run(3072, node(60, 0, &[(0, 1, 10), (2, 1, 11)]), &[]), None);
        assert_eq!(run(3072, node(60, 0, &[(0, 2, 10), (1, 2, 11)]), &[]), None);
        assert_eq!(run(3072, node(60, 0, &[(0, 3, 62)]), &[]), None);
        assert_eq!(run(4096, node(60, 0, &[(0, 3, 10)]), &[]), None);
        // An index block pointing at itself, and two entries at the same leaf.
        let own = node(1024, 1, &[(0, 30, 0)]);
        assert_eq!(run(1024, node(60, 2, &[(0, 30, 0)]), &[(30, own)]), None);
        let leaf = node(1024, 0, &[(0, 1, 10)]);
        let twice = node(60, 1, &[(0, 30, 0), (1, 30, 0)]);
        assert_eq!(run(2048, twice, &[(30, leaf)]), None);
        // Unwritten and block-mapped files.
        assert_eq!(run(1024, node(60, 0, &[(0, 32769, 10)]), &[]), None);
        let mut plain = inode(1024, node(60, 0, &[(0, 1, 10)]));
        plain.flags = 0;
        assert_eq!(
            map(&layout(), &MemSource::new(vec![0; 64 << 10]), &plain),
            None
        );
    }
}
