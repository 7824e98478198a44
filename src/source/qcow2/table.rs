//! L1/L2 entries: how one guest cluster maps to the host file, and a small bounded
//! cache of L2 tables.

use crate::error::{Error, Result};
use std::sync::{Arc, Mutex};

/// L1 entry: bits 9..=55 hold the L2 table offset, bit 63 is "copied"; the rest is
/// reserved.
const L1_OFFSET_MASK: u64 = 0x00ff_ffff_ffff_fe00;
const COPIED: u64 = 1 << 63;
const COMPRESSED: u64 = 1 << 62;
/// Standard L2 entry: bit 0 "reads as zeros" (v3), bits 9..=55 the host offset.
const ZERO: u64 = 1;
const STD_OFFSET_MASK: u64 = 0x00ff_ffff_ffff_fe00;
const STD_RESERVED: u64 = !(COPIED | STD_OFFSET_MASK | ZERO);

/// Where the bytes of one guest cluster come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mapping {
    /// Not allocated in this image: the backing file's bytes, or zeros.
    Unallocated,
    /// Reads as zeros.
    Zero,
    /// A whole cluster at this host offset.
    Data(u64),
    /// Deflate data of `len` bytes at `offset` (not aligned) that inflates to one
    /// cluster.
    Compressed {
        /// Host offset of the compressed bytes.
        offset: u64,
        /// Upper bound of their length (whole 512-byte sectors).
        len: u64,
    },
}

/// Decodes an L1 entry into the L2 table offset (0: no table).
pub fn l1_target(entry: u64, cluster_size: u64) -> Result<u64> {
    let offset = entry & L1_OFFSET_MASK;
    if entry & !(L1_OFFSET_MASK | COPIED) != 0 || offset % cluster_size != 0 {
        return Err(Error::corrupt(format!(
            "qcow2 L1 entry {entry:#018x} has reserved bits set or an unaligned L2 offset"
        )));
    }
    Ok(offset)
}

/// Decodes an L2 entry of an image with `cluster_bits` (`version` 2 has no zero
/// flag).
pub fn decode_l2(entry: u64, cluster_bits: u32, version: u32) -> Result<Mapping> {
    if entry & COMPRESSED != 0 {
        // Bits 0..x hold the offset and x..62 the count of extra 512-byte sectors,
        // where x = 62 - (cluster_bits - 8).
        let x = 62 - (cluster_bits - 8);
        let offset = entry & ((1u64 << x) - 1);
        let sectors = ((entry & !(COPIED | COMPRESSED)) >> x) + 1;
        let len = (sectors * 512).saturating_sub(offset % 512);
        return Ok(Mapping::Compressed { offset, len });
    }
    let offset = entry & STD_OFFSET_MASK;
    let cluster_size = 1u64 << cluster_bits;
    if entry & STD_RESERVED != 0 || offset % cluster_size != 0 {
        return Err(Error::corrupt(format!(
            "qcow2 L2 entry {entry:#018x} has reserved bits set or an unaligned offset"
        )));
    }
    if entry & ZERO != 0 {
        if version < 3 {
            return Err(Error::corrupt(format!(
                "qcow2 v2 L2 entry {entry:#018x} has the v3 zero flag"
            )));
        }
        return Ok(Mapping::Zero);
    }
    Ok(if offset == 0 {
        Mapping::Unallocated
    } else {
        Mapping::Data(offset)
    })
}

/// Decodes an extended L2 entry (`entry`, `bitmap`) for subcluster `sub` (of 32,
/// each `1 << sub_bits` bytes). The descriptor's zero flag is not used with extended
/// entries: the bitmap's high half marks zero subclusters, its low half allocated ones.
pub fn decode_extended(
    entry: u64,
    bitmap: u64,
    sub: u64,
    sub_bits: u32,
    cluster_bits: u32,
) -> Result<Mapping> {
    let bad = || {
        Error::corrupt(format!(
            "qcow2 extended L2 entry {entry:#018x} with bitmap {bitmap:#018x} is invalid"
        ))
    };
    if entry & COMPRESSED != 0 {
        return if bitmap == 0 {
            decode_l2(entry, cluster_bits, 3)
        } else {
            Err(bad())
        };
    }
    let alloc = bitmap & 0xffff_ffff;
    let zero = bitmap >> 32;
    if alloc & zero != 0 {
        return Err(bad());
    }
    let host = match decode_l2(entry & !ZERO, cluster_bits, 3)? {
        Mapping::Data(h) => Some(h),
        _ if alloc != 0 => return Err(bad()),
        _ => None,
    };
    Ok(if zero >> sub & 1 != 0 {
        Mapping::Zero
    } else if alloc >> sub & 1 != 0 {
        let h = host.ok_or_else(bad)?;
        Mapping::Data(h.checked_add(sub << sub_bits).ok_or_else(bad)?)
    } else {
        Mapping::Unallocated
    })
}

/// A bounded most-recently-used cache of L2 tables, keyed by host offset.
pub struct L2Cache {
    tables: Mutex<Vec<(u64, Arc<[u64]>)>>,
    capacity: usize,
}

impl L2Cache {
    /// A cache holding at most `capacity` tables (at least one).
    pub fn new(capacity: usize) -> Self {
        L2Cache {
            tables: Mutex::new(Vec::new()),
            capacity: capacity.max(1),
        }
    }

    /// The table at `offset`, loaded with `load` on a miss.
    pub fn get(
        &self,
        offset: u64,
        load: impl FnOnce() -> Result<Arc<[u64]>>,
    ) -> Result<Arc<[u64]>> {
        {
            let mut t = self.tables.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(i) = t.iter().position(|(o, _)| *o == offset) {
                let hit = t.remove(i);
                let table = hit.1.clone();
                t.insert(0, hit);
                return Ok(table);
            }
        }
        let table = load()?;
        let mut t = self.tables.lock().unwrap_or_else(|p| p.into_inner());
        t.insert(0, (offset, table.clone()));
        t.truncate(self.capacity);
        Ok(table)
    }
}

/// Parses big-endian 64-bit entries.
pub fn parse_entries(bytes: &[u8]) -> Arc<[u64]> {
    bytes
        .chunks_exact(8)
        .map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            u64::from_be_bytes(b)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_each_kind_of_l2_entry() {
        assert_eq!(decode_l2(0, 16, 3).unwrap(), Mapping::Unallocated);
        assert_eq!(
            decode_l2(COPIED | 0x3_0000, 16, 3).unwrap(),
            Mapping::Data(0x3_0000)
        );
        assert_eq!(decode_l2(ZERO, 16, 3).unwrap(), Mapping::Zero);
        assert_eq!(decode_l2(ZERO | 0x3_0000, 16, 3).unwrap(), Mapping::Zero);
        assert!(decode_l2(ZERO, 16, 2).is_err());
        assert!(decode_l2(0x3_0200, 16, 3).is_err(), "unaligned");
        assert!(decode_l2(0x3_0000 | 1 << 57, 16, 3).is_err(), "reserved");
        // 64 KiB clusters: x = 54; offset 0x12345, 3 extra sectors.
        let e = COMPRESSED | (3u64 << 54) | 0x12345;
        assert_eq!(
            decode_l2(e, 16, 2).unwrap(),
            Mapping::Compressed {
                offset: 0x12345,
                len: 4 * 512 - 0x145
            }
        );
    }

    #[test]
    fn decodes_extended_entries() {
        let e = COPIED | 0x4_0000;
        // Subcluster 0 allocated, 1 zero, 2 unallocated (64 KiB clusters: 2 KiB subs).
        let bm = 0b01u64 | 0b10u64 << 32;
        assert_eq!(
            decode_extended(e, bm, 0, 11, 16).unwrap(),
            Mapping::Data(0x4_0000)
        );
        assert_eq!(decode_extended(e, bm, 1, 11, 16).unwrap(), Mapping::Zero);
        assert_eq!(
            decode_extended(e, bm, 2, 11, 16).unwrap(),
            Mapping::Unallocated
        );
        assert_eq!(
            decode_extended(e, 0b100, 2, 11, 16).unwrap(),
            Mapping::Data(0x4_0000 + 2 * 2048)
        );
        assert!(
            decode_extended(e, 1 | 1 << 32, 0, 11, 16).is_err(),
            "alloc and zero"
        );
        assert!(
            decode_extended(0, 1, 0, 11, 16).is_err(),
            "allocated without offset"
        );
        assert!(decode_extended(COMPRESSED | 0x4_0000, 1, 0, 11, 16).is_err());
    }

    #[test]
    fn l1_entries_are_checked() {
        assert_eq!(l1_target(COPIED | 0x2_0000, 0x1_0000).unwrap(), 0x2_0000);
        assert!(l1_target(0x2_0001, 0x1_0000).is_err());
        assert!(l1_target(0x2_0200, 0x1_0000).is_err());
    }

    #[test]
    fn cache_is_bounded_and_keeps_recent_tables() {
        let c = L2Cache::new(2);
        let mut loads = 0;
        for off in [1u64, 2, 1, 3, 1, 2] {
            c.get(off, || {
                loads += 1;
                Ok(Arc::from(vec![off]))
            })
            .unwrap();
        }
        // 1, 2 load; 1 hits; 3 loads (evicts 2); 1 hits; 2 loads.
        assert_eq!(loads, 4);
        assert!(c.tables.lock().unwrap().len() <= 2);
    }
}
