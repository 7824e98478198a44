//! Path lookup by a linear scan of directory blocks, from the root inode. Hashed
//! (htree) directories scan the same way: their index blocks read as one unused
//! entry spanning the block, and the root block's `..` entry spans the index.

use super::extents;
use super::layout::{le16, le32, Inode, Layout};
use crate::source::ByteSource;

/// The root directory's inode number.
const ROOT_INO: u64 = 2;
/// File type bits of `i_mode`, and the directory type.
const S_IFMT: u16 = 0xF000;
const S_IFDIR: u16 = 0x4000;
/// Size of a directory entry's fixed header.
const DIRENT_HEADER: usize = 8;

/// Finds the inode of the canonical path `path` (absolute, no symlinks, no `.` or
/// `..`), reading directories of at most `max_dir_bytes`.
pub(super) fn lookup(
    layout: &Layout,
    vol: &dyn ByteSource,
    path: &[u8],
    max_dir_bytes: u64,
) -> Option<(u64, Inode)> {
    let mut ino = ROOT_INO;
    let mut inode = layout.inode(vol, ino)?;
    for name in path.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
        if inode.mode & S_IFMT != S_IFDIR || inode.size > max_dir_bytes {
            return None;
        }
        let mut data = vec![0u8; usize::try_from(inode.size).ok()?];
        let mut done = 0usize;
        for (at, len) in extents::map(layout, vol, &inode)? {
            let n = usize::try_from(len).ok()?;
            let end = done.checked_add(n)?;
            vol.read_at(at, data.get_mut(done..end)?).ok()?;
            done = end;
        }
        ino = find(&data, usize::try_from(layout.block_size).ok()?, name)?;
        inode = layout.inode(vol, ino)?;
    }
    Some((ino, inode))
}

/// The inode of the first in-use entry called `name` in the directory blocks `data`.
fn find(data: &[u8], block_size: usize, name: &[u8]) -> Option<u64> {
    for block in data.chunks(block_size) {
        let mut off = 0usize;
        while off.checked_add(DIRENT_HEADER)? <= block.len() {
            let rec = rec_len(le16(block, off + 4), block_size);
            let end = off.checked_add(rec)?;
            if rec < DIRENT_HEADER || rec % 4 != 0 || end > block.len() {
                return None;
            }
            let ino = le32(block, off);
            let name_len = usize::from(*block.get(off + 6)?);
            let start = off + DIRENT_HEADER;
            if ino != 0
                && name_len == name.len()
                && start + name_len <= end
                && block.get(start..start + name_len)? == name
            {
                return Some(u64::from(ino));
            }
            off = end;
        }
    }
    None
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

    #[test]
    fn finds_names_and_skips_unused_entries() {
        let mut block = dirent(0, 12, b"gone");
        block.extend(dirent(12, 16, b"vmlinuz"));
        block.extend(dirent(13, 1024 - 28, b"initrd"));
        assert_eq!(find(&block, 1024, b"vmlinuz"), Some(12));
        assert_eq!(find(&block, 1024, b"initrd"), Some(13));
        assert_eq!(find(&block, 1024, b"gone"), None);
        assert_eq!(find(&block, 1024, b"vmlinu"), None);
    }

    #[test]
    fn refuses_bad_record_lengths() {
        let mut block = dirent(12, 12, b"a");
        block.extend(dirent(13, 12, b"b"));
        block.resize(1024, 0); // rec_len 0 next
        assert_eq!(find(&block, 1024, b"zz"), None);
        let mut long = dirent(12, 12, b"a");
        long.extend(dirent(13, 2048, b"b"));
        assert_eq!(find(&long[..1024], 1024, b"b"), None);
    }

    #[test]
    fn decodes_big_block_record_lengths() {
        assert_eq!(rec_len(12, 4096), 12);
        assert_eq!(rec_len(65535, 65536), 65536);
        assert_eq!(rec_len(0, 65536), 65536);
        assert_eq!(rec_len(0xFFFC | 1, 65536), 0xFFFC | 0x10000);
    }
}
