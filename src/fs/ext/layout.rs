//! Just enough of the ext on-disk layout to find an inode and read blocks: the
//! geometry from the superblock, the group descriptor table and the inode fields
//! block mapping needs, with their checksums. Every doubt is `None`, and the caller
//! then asks `ext4-view`.

use super::Superblock;
use crate::fs::crc32c;
use crate::source::ByteSource;

/// Incompatible features this reader understands: filetype, extents, 64bit,
/// flex_bg, csum_seed. Any other (needs_recovery, meta_bg, inline_data, encrypt,
/// casefold, dirdata, …) makes [`Layout::parse`] refuse the volume.
const INCOMPAT_KNOWN: u32 = 0x2 | 0x40 | 0x80 | 0x200 | 0x2000;
/// The filetype feature (directory entries carry a type byte; 8-bit name lengths).
const INCOMPAT_FILETYPE: u32 = 0x2;
/// The 64bit feature (64-bit block numbers, descriptors of `s_desc_size` bytes).
const INCOMPAT_64BIT: u32 = 0x80;
/// Read-only-compatible features that do not change where file bytes lie:
/// sparse_super, large_file, dir_index, huge_file, uninit_bg, dir_nlink,
/// extra_isize, quota, metadata_csum, readonly, project, verity, orphan_present.
/// Any other (bigalloc, …) makes [`Layout::parse`] refuse the volume.
const RO_COMPAT_KNOWN: u32 =
    0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x40 | 0x100 | 0x400 | 0x1000 | 0x2000 | 0x8000 | 0x10000;
/// The metadata_csum feature (extent blocks carry a CRC-32C).
const RO_COMPAT_METADATA_CSUM: u32 = 0x400;
/// The csum_seed feature (the checksum seed is stored, not derived from the UUID).
const INCOMPAT_CSUM_SEED: u32 = 0x2000;
/// Group descriptor flag: the group's inode table is not initialised.
const BG_INODE_UNINIT: u16 = 0x1;
/// Bytes of the base inode, all this reader uses.
const INODE_BASE: usize = 128;
/// Largest inode read whole to check its checksum (mke2fs allows up to a block;
/// larger inodes are refused by [`Layout::parse`]).
const MAX_INODE_READ: usize = 1024;

/// The volume's geometry, checked against its length.
#[derive(Clone, Debug)]
pub(super) struct Layout {
    /// Block size in bytes (1 KiB to 64 KiB).
    pub block_size: u64,
    blocks: u64,
    first_data_block: u64,
    groups: u64,
    inodes: u64,
    inodes_per_group: u64,
    inode_size: u64,
    desc_size: u64,
    /// The checksum seed of the filesystem, with metadata_csum.
    csum_seed: Option<u32>,
}

/// The fields of an inode that block mapping needs.
pub(super) struct Inode {
    /// `i_mode` (type and permission bits).
    pub mode: u16,
    /// Size in bytes (`i_size_lo` | `i_size_high` << 32).
    pub size: u64,
    /// `i_flags`.
    pub flags: u32,
    /// `i_block`: the root of the extent tree for extent-mapped inodes.
    pub root: [u8; 60],
    /// The seed of this inode's metadata checksums, with metadata_csum.
    pub csum_seed: Option<u32>,
}

/// Reads a little-endian `u16` at `off` of `b` (0 when out of range).
pub(super) fn le16(b: &[u8], off: usize) -> u16 {
    b.get(off..off.saturating_add(2))
        .and_then(|s| s.try_into().ok())
        .map_or(0, u16::from_le_bytes)
}

/// Reads a little-endian `u32` at `off` of `b` (0 when out of range).
pub(super) fn le32(b: &[u8], off: usize) -> u32 {
    b.get(off..off.saturating_add(4))
        .and_then(|s| s.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

impl Layout {
    /// Reads the geometry from the superblock; `None` when a feature could change
    /// where bytes lie, or a field is out of its sane range.
    pub fn parse(sb: &Superblock, volume_len: u64) -> Option<Layout> {
        let incompat = sb.u32(0x60);
        if incompat & !INCOMPAT_KNOWN != 0
            || incompat & INCOMPAT_FILETYPE == 0
            || sb.u32(0x64) & !RO_COMPAT_KNOWN != 0
        {
            return None;
        }
        let log = sb.u32(0x18);
        if log > 6 {
            return None;
        }
        let block_size = 1024u64 << log;
        let mut blocks = u64::from(sb.u32(0x4));
        let mut desc_size = 32;
        if incompat & INCOMPAT_64BIT != 0 {
            blocks |= u64::from(sb.u32(0x150)) << 32;
            desc_size = u64::from(sb.u16(0xFE));
            if !(32..=1024).contains(&desc_size) || !desc_size.is_power_of_two() {
                return None;
            }
        }
        if blocks.checked_mul(block_size)? > volume_len {
            return None;
        }
        let inode_size = match sb.u32(0x4C) {
            0 => 128,
            _ => u64::from(sb.u16(0x58)),
        };
        if inode_size < INODE_BASE as u64
            || inode_size > block_size
            || inode_size > MAX_INODE_READ as u64
            || !inode_size.is_power_of_two()
        {
            return None;
        }
        let first_data_block = u64::from(sb.u32(0x14));
        let blocks_per_group = u64::from(sb.u32(0x20));
        let inodes_per_group = u64::from(sb.u32(0x28));
        if first_data_block >= blocks || blocks_per_group == 0 || inodes_per_group == 0 {
            return None;
        }
        let groups = (blocks - first_data_block).div_ceil(blocks_per_group);
        let csum_seed = (sb.u32(0x64) & RO_COMPAT_METADATA_CSUM != 0).then(|| {
            if incompat & INCOMPAT_CSUM_SEED != 0 {
                sb.u32(0x270)
            } else {
                crc32c::update(!0, sb.0.get(0x68..0x78).unwrap_or_default())
            }
        });
        Some(Layout {
            block_size,
            blocks,
            first_data_block,
            groups,
            inodes: u64::from(sb.u32(0x0)),
            inodes_per_group,
            inode_size,
            desc_size,
            csum_seed,
        })
    }

    /// The byte offset of `count` blocks from `block`, when they all lie inside the
    /// filesystem (which [`Layout::parse`] checked fits in the volume).
    pub fn blocks_at(&self, block: u64, count: u64) -> Option<u64> {
        if block < self.first_data_block || block.checked_add(count)? > self.blocks {
            return None;
        }
        block.checked_mul(self.block_size)
    }

    /// Reads inode `ino` through the group descriptor table.
    pub fn inode(&self, vol: &dyn ByteSource, ino: u64) -> Option<Inode> {
        if ino == 0 || ino > self.inodes {
            return None;
        }
        let group = (ino - 1) / self.inodes_per_group;
        let index = (ino - 1) % self.inodes_per_group;
        if group >= self.groups {
            return None;
        }
        let table = self.blocks_at(self.first_data_block.checked_add(1)?, 1)?;
        let at = table.checked_add(group.checked_mul(self.desc_size)?)?;
        let mut desc = [0u8; 64];
        let desc = desc.get_mut(..usize::try_from(self.desc_size.min(64)).ok()?)?;
        // The table may span blocks; its end is checked against the filesystem.
        if at.checked_add(self.desc_size)? > self.blocks.checked_mul(self.block_size)? {
            return None;
        }
        vol.read_at(at, desc).ok()?;
        if le16(desc, 0x12) & BG_INODE_UNINIT != 0 {
            return None;
        }
        let mut itable = u64::from(le32(desc, 0x8));
        if self.desc_size >= 64 {
            itable |= u64::from(le32(desc, 0x28)) << 32;
        }
        let per_block = self.block_size / self.inode_size;
        let block = itable.checked_add(index / per_block)?;
        let at = self
            .blocks_at(block, 1)?
            .checked_add((index % per_block).checked_mul(self.inode_size)?)?;
        // The whole inode when it carries a checksum, the base inode otherwise.
        let mut buf = [0u8; MAX_INODE_READ];
        let len = match self.csum_seed {
            Some(_) => usize::try_from(self.inode_size).ok()?.min(MAX_INODE_READ),
            None => INODE_BASE,
        };
        let raw = buf.get_mut(..len)?;
        vol.read_at(at, raw).ok()?;
        let csum_seed = match self.csum_seed {
            Some(seed) => {
                let seed = crc32c::update(seed, &u32::try_from(ino).ok()?.to_le_bytes());
                let seed = crc32c::update(seed, raw.get(0x64..0x68)?);
                checksum_ok(raw, seed, self.inode_size)?;
                Some(seed)
            }
            None => None,
        };
        let mut root = [0u8; 60];
        root.copy_from_slice(raw.get(0x28..0x64)?);
        Some(Inode {
            mode: le16(raw, 0x0),
            size: u64::from(le32(raw, 0x4)) | u64::from(le32(raw, 0x6C)) << 32,
            flags: le32(raw, 0x20),
            root,
            csum_seed,
        })
    }
}

/// Checks the CRC-32C of the inode `raw` (seeded with the inode's own seed): over
/// the whole inode with its checksum fields read as zero; 32 bits when the inode has
/// room for `i_checksum_hi` (at 0x82, inside the `i_extra_isize` bytes after the base
/// inode), the low 16 bits otherwise.
fn checksum_ok(raw: &mut [u8], seed: u32, inode_size: u64) -> Option<()> {
    let lo = u32::from(le16(raw, 0x7C));
    let has_hi = inode_size > INODE_BASE as u64 && le16(raw, 0x80) >= 4;
    let hi = if has_hi {
        u32::from(le16(raw, 0x82))
    } else {
        0
    };
    raw.get_mut(0x7C..0x7E)?.fill(0);
    if has_hi {
        raw.get_mut(0x82..0x84)?.fill(0);
    }
    let sum = crc32c::update(seed, raw);
    let ok = if has_hi {
        sum == lo | hi << 16
    } else {
        sum & 0xFFFF == lo
    };
    ok.then_some(())
}
