//! CRC-32C (Castagnoli), the checksum of every v5 metadata block.
//!
//! XFS stores the standard CRC-32C of a block, computed with the 4-byte checksum
//! field read as zeros, little-endian at that field. A 256-entry table is plenty: only
//! metadata blocks are checksummed, never file data.

use super::le32;
use crate::error::{Error, Result};

/// The reflected Castagnoli polynomial.
const POLY: u32 = 0x82F6_3B78;

const fn make_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ POLY } else { c >> 1 };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
}

static TABLE: [u32; 256] = make_table();

fn update(mut crc: u32, data: &[u8]) -> u32 {
    for &b in data {
        crc = TABLE[usize::from((crc as u8) ^ b)] ^ (crc >> 8);
    }
    crc
}

/// The CRC-32C of `block` with the 4 bytes at `at` taken as zeros (how XFS computes
/// a block's checksum); `None` when the field lies outside the block.
fn block_crc(block: &[u8], at: usize) -> Option<u32> {
    let end = at.checked_add(4)?;
    let before = block.get(..at)?;
    let after = block.get(end..)?;
    let crc = update(!0, before);
    let crc = update(crc, &[0; 4]);
    Some(!update(crc, after))
}

/// Checks the checksum stored at byte `at` of `block`; `what` names the block in
/// the error.
pub(super) fn verify(block: &[u8], at: usize, what: &str) -> Result<()> {
    let stored = le32(block, at, what)?;
    let computed = block_crc(block, at)
        .ok_or_else(|| Error::corrupt(format!("{what}: checksum field outside the block")))?;
    if stored != computed {
        return Err(Error::corrupt(format!(
            "{what}: CRC32C mismatch (stored {stored:08x}, computed {computed:08x})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn crc32c(data: &[u8]) -> u32 {
        !update(!0, data)
    }

    #[test]
    fn known_vector() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        assert_eq!(crc32c(b""), 0);
    }

    #[test]
    fn block_checksum_skips_field() {
        let mut block = b"abcdXXXXefgh".to_vec();
        let want = crc32c(b"abcd\0\0\0\0efgh");
        block[4..8].copy_from_slice(&want.to_le_bytes());
        assert!(verify(&block, 4, "test block").is_ok());
        block[10] ^= 1;
        let e = verify(&block, 4, "test block").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Corrupt);
        assert!(e.to_string().contains("test block"), "{e}");
        assert!(verify(&block, 10, "short").is_err());
    }
}
