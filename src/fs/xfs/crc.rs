//! The CRC-32C (see [`crate::fs::crc32c`]) of every v5 metadata block.
//!
//! XFS stores the standard CRC-32C of a block, computed with the 4-byte checksum
//! field read as zeros, little-endian at that field.

use super::le32;
use crate::error::{Error, Result};
use crate::fs::crc32c::update;

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
    use crate::fs::crc32c::crc32c;

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
