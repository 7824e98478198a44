//! Directories read by our own code: every live entry of a directory indexed by
//! name, so that each directory is read (and its blocks checksummed) once however
//! many files are opened in it. Hashed (htree) directories are read the same way:
//! their index blocks hold no live entries (an internal node reads as one unused
//! entry spanning the block, the root block's `..` entry spans the root's index).

use super::extents;
use super::layout::{le16, le32, Inode, Layout};
use crate::fs::crc32c;
use crate::source::ByteSource;
use std::collections::HashMap;

/// The root directory's inode number.
pub(super) const ROOT_INO: u64 = 2;
/// File type bits of `i_mode`, and the directory type.
const S_IFMT: u16 = 0xF000;
const S_IFDIR: u16 = 0x4000;
/// Size of a directory entry's fixed header.
const DIRENT_HEADER: usize = 8;
/// Size of the checksum tail of a leaf block (with metadata_csum).
const TAIL: usize = 12;
/// The file type byte that marks a checksum tail.
const TAIL_MARK: u8 = 0xDE;
/// What one indexed name costs besides its bytes (for the caller's memory budget).
const NAME_COST: usize = 48;
/// Marks a name found twice (no inode has number 0).
const AMBIGUOUS: u64 = 0;

/// A directory's live entries: name → inode number. A name that appears twice
/// (only a damaged or hostile directory has that) answers nothing, so that the
/// caller asks `ext4-view`, whose hashed lookup may pick either.
pub(super) struct Index {
    names: HashMap<Box<[u8]>, u64>,
    /// Bytes of names held, plus [`NAME_COST`] per name.
    cost: usize,
}

impl Index {
    /// The inode number of the entry called `name`.
    pub fn get(&self, name: &[u8]) -> Option<u64> {
        self.names
            .get(name)
            .copied()
            .filter(|&ino| ino != AMBIGUOUS)
    }

    /// Roughly the memory the index holds.
    pub fn cost(&self) -> usize {
        self.cost
    }
}

/// Reads and indexes the directory `inode` (which must be a directory, extent
/// mapped without holes, of at most `max_dir_bytes`). `None` on any doubt, a failed
/// block checksum included: the caller then asks `ext4-view`.
pub(super) fn read(
    layout: &Layout,
    vol: &dyn ByteSource,
    inode: &Inode,
    max_dir_bytes: u64,
) -> Option<Index> {
    if inode.mode & S_IFMT != S_IFDIR || inode.size > max_dir_bytes {
        return None;
    }
    let mut data = vec![0u8; usize::try_from(inode.size).ok()?];
    let mut done = 0usize;
    for (at, len) in extents::map(layout, vol, inode)? {
        let end = done.checked_add(usize::try_from(len).ok()?)?;
        vol.read_at(at, data.get_mut(done..end)?).ok()?;
        done = end;
    }
    let block_size = usize::try_from(layout.block_size).ok()?;
    index(&data, block_size, inode.csum_seed)
}

/// Indexes the directory blocks `data`. With metadata_csum (`csum_seed`, the
/// directory inode's seed) a block holding live entries other than `.` and `..`
/// must end in a checksum tail whose CRC-32C matches; htree index blocks have no
/// such tail (the kernel leaves a stale one in the root block when it indexes a
/// directory), and hold no live entries.
fn index(data: &[u8], block_size: usize, csum_seed: Option<u32>) -> Option<Index> {
    let mut names: HashMap<Box<[u8]>, u64> = HashMap::new();
    let mut cost = 0usize;
    for block in data.chunks(block_size) {
        let (block, verified) = match csum_seed {
            None => (block, true),
            // A verified block's entries end where its tail starts.
            Some(seed) => match checked_entries(block, seed) {
                Some(entries) => (entries, true),
                None => (block, false),
            },
        };
        let mut off = 0usize;
        while off.checked_add(DIRENT_HEADER)? <= block.len() {
            let rec = rec_len(le16(block, off + 4), block_size);
            let end = off.checked_add(rec)?;
            if rec < DIRENT_HEADER || rec % 4 != 0 || end > block.len() {
                return None;
            }
            let ino = le32(block, off);
            let name_len = usize::from(*block.get(off + 6)?);
            let name = block.get(off + DIRENT_HEADER..off + DIRENT_HEADER + name_len)?;
            if off + DIRENT_HEADER + name_len > end {
                return None;
            }
            if ino != 0 && name != b"." && name != b".." {
                if !verified {
                    return None;
                }
                match names.get_mut(name) {
                    Some(seen) => *seen = AMBIGUOUS,
                    None => {
                        cost = cost.saturating_add(name.len() + NAME_COST);
                        names.insert(Box::from(name), u64::from(ino));
                    }
                }
            }
            off = end;
        }
    }
    Some(Index { names, cost })
}

/// With metadata_csum: the part of `block` before its checksum tail when the block
/// ends in one whose CRC-32C matches; `None` otherwise (no tail, or a wrong one).
fn checked_entries(block: &[u8], seed: u32) -> Option<&[u8]> {
    let at = block.len().checked_sub(TAIL)?;
    let tail = block.get(at..)?;
    let is_tail = le32(tail, 0) == 0
        && usize::from(le16(tail, 4)) == TAIL
        && tail.get(6) == Some(&0)
        && tail.get(7) == Some(&TAIL_MARK);
    let entries = block.get(..at)?;
    (is_tail && crc32c::update(seed, entries) == le32(tail, 8)).then_some(entries)
}

/// Decodes `rec_len`, which 64 KiB blocks store in a special form.
fn rec_len(raw: u16, block_size: usize) -> usize {
    let raw = usize::from(raw);
    if block_size < 65536 {
        raw
    } else if raw == 65535 || raw == 0 {
        65536
    } else {
        (raw & 65532) | ((raw & 3) << 16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One directory entry: inode, record length, name.
    fn dirent(ino: u32, rec: u16, name: &[u8]) -> Vec<u8> {
        let mut e = ino.to_le_bytes().to_vec();
        e.extend_from_slice(&rec.to_le_bytes());
        e.push(name.len() as u8);
        e.push(1);
        e.extend_from_slice(name);
        e.resize(usize::from(rec), 0);
        e
    }

    /// A 1 KiB block ending in a checksum tail for `seed`.
    fn with_tail(mut block: Vec<u8>, seed: u32) -> Vec<u8> {
        block.resize(1024 - TAIL, 0);
        let sum = crc32c::update(seed, &block);
        block.extend_from_slice(&[0, 0, 0, 0, 12, 0, 0, TAIL_MARK]);
        block.extend_from_slice(&sum.to_le_bytes());
        block
    }

    #[test]
    fn indexes_names_and_skips_unused_entries() {
        let mut block = dirent(0, 12, b"gone");
        block.extend(dirent(12, 16, b"vmlinuz"));
        block.extend(dirent(14, 16, b"vmlinuz")); // a second of the same name
        block.extend(dirent(13, 1024 - 44, b"initrd"));
        let ix = index(&block, 1024, None).unwrap();
        assert_eq!(ix.get(b"vmlinuz"), None, "ambiguous: left to ext4-view");
        assert_eq!(ix.get(b"initrd"), Some(13));
        assert_eq!(ix.get(b"gone"), None);
        assert_eq!(ix.get(b"vmlinu"), None);
    }

    #[test]
    fn refuses_bad_record_lengths() {
        let mut block = dirent(12, 12, b"a");
        block.extend(dirent(13, 12, b"b"));
        block.resize(1024, 0); // rec_len 0 next
        assert!(index(&block, 1024, None).is_none());
        let mut long = dirent(12, 12, b"a");
        long.extend(dirent(13, 2048, b"b"));
        assert!(index(&long[..1024], 1024, None).is_none());
        let mut name_past_record = dirent(12, 12, b"abcd");
        name_past_record[6] = 9;
        name_past_record.extend(dirent(13, 1012, b"b"));
        assert!(index(&name_past_record, 1024, None).is_none());
    }

    #[test]
    fn checks_leaf_block_checksums() {
        let seed = 0x1234_5678;
        let mut entries = dirent(2, 12, b".");
        entries.extend(dirent(2, 12, b".."));
        entries.extend(dirent(12, 1024 - 24 - TAIL as u16, b"grub.cfg"));
        let good = with_tail(entries.clone(), seed);
        assert_eq!(
            index(&good, 1024, Some(seed)).unwrap().get(b"grub.cfg"),
            Some(12)
        );
        let mut bad = good.clone();
        bad[30] ^= 1;
        assert!(index(&bad, 1024, Some(seed)).is_none(), "wrong checksum");
        // An htree root: `.` and `..` (spanning the index), a stale tail left behind.
        let mut root = dirent(2, 12, b".");
        root.extend(dirent(2, 1012, b".."));
        let root = with_tail(root, seed ^ 1);
        assert_eq!(index(&root, 1024, Some(seed)).unwrap().cost(), 0);
        // Without a tail, live entries are refused; an htree node (no live entry) is not.
        let mut untailed = entries;
        untailed.resize(1024, 0);
        let last = 24;
        untailed[last + 4..last + 6].copy_from_slice(&1000u16.to_le_bytes());
        assert!(index(&untailed, 1024, Some(seed)).is_none());
        let node = dirent(0, 1024, b"");
        assert_eq!(index(&node, 1024, Some(seed)).unwrap().cost(), 0);
    }

    #[test]
    fn decodes_big_block_record_lengths() {
        assert_eq!(rec_len(12, 4096), 12);
        assert_eq!(rec_len(65535, 65536), 65536);
        assert_eq!(rec_len(0, 65536), 65536);
        assert_eq!(rec_len(0xFFFC | 1, 65536), 0xFFFC | 0x10000);
    }
}
