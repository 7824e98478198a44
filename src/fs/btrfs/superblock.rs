//! The primary btrfs superblock: recognised by its magic, checked by its
//! CRC-32C, read for the UUID and label (the crate checks it again when mounting).

use crate::error::{Error, Result};
use crate::fs::crc32c::crc32c;
use crate::source::SharedSource;

/// Byte offset of the primary superblock.
const AT: u64 = 64 << 10;
/// Size of the superblock.
const SIZE: usize = 4096;
/// `_BHRfS_M`, at byte 0x40.
const MAGIC: &[u8; 8] = b"_BHRfS_M";
/// Checksum type CRC-32C (the only one the crate reads).
const CSUM_CRC32C: u16 = 0;

/// The fields of the primary superblock this module uses.
pub(super) struct Superblock {
    fsid: [u8; 16],
    label: [u8; 256],
}

impl Superblock {
    /// Reads the primary superblock of `volume`; `None` without the btrfs magic.
    pub(super) fn read(volume: &SharedSource) -> Result<Option<Superblock>> {
        let mut b = vec![0u8; SIZE];
        if volume.len() < AT + SIZE as u64 {
            return Ok(None);
        }
        volume.read_at(AT, &mut b)?;
        if b.get(0x40..0x48) != Some(MAGIC.as_slice()) {
            return Ok(None);
        }
        Self::parse(&b).map(Some)
    }

    /// Checks the checksum of the superblock `b` and takes its fields.
    fn parse(b: &[u8]) -> Result<Superblock> {
        let csum_type = b
            .get(0xc4..0xc6)
            .and_then(|s| s.try_into().ok())
            .map(u16::from_le_bytes)
            .ok_or_else(|| Error::corrupt("btrfs superblock is short"))?;
        if csum_type != CSUM_CRC32C {
            return Err(Error::unsupported(format!(
                "btrfs checksum type {csum_type} (only CRC-32C, type 0, is read)"
            )));
        }
        let stored = b
            .get(0..4)
            .and_then(|s| s.try_into().ok())
            .map(u32::from_le_bytes);
        let body = b.get(0x20..SIZE);
        let (Some(stored), Some(body)) = (stored, body) else {
            return Err(Error::corrupt("btrfs superblock is short"));
        };
        let computed = crc32c(body);
        if stored != computed {
            return Err(Error::corrupt(format!(
                "btrfs primary superblock: CRC32C mismatch (stored {stored:08x}, computed {computed:08x})"
            )));
        }
        let field = |at: usize, n: usize| b.get(at..at + n).unwrap_or_default();
        let mut fsid = [0u8; 16];
        fsid.copy_from_slice(field(0x20, 16));
        let mut label = [0u8; 256];
        label.copy_from_slice(field(0x12b, 256));
        Ok(Superblock { fsid, label })
    }

    /// The filesystem UUID as `blkid` prints it.
    pub(super) fn uuid(&self) -> String {
        crate::fs::format_uuid(&self.fsid)
    }

    /// The label up to its first NUL, if not empty.
    pub(super) fn label(&self) -> Option<String> {
        let end = self.label.iter().position(|&b| b == 0).unwrap_or(256);
        let l = self.label.get(..end).unwrap_or_default();
        (!l.is_empty()).then(|| String::from_utf8_lossy(l).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block() -> Vec<u8> {
        let mut b = vec![0u8; SIZE];
        b[0x40..0x48].copy_from_slice(MAGIC);
        for (i, x) in b[0x20..0x30].iter_mut().enumerate() {
            *x = i as u8 * 17;
        }
        b[0x12b..0x12e].copy_from_slice(b"abc");
        let c = crc32c(&b[0x20..]);
        b[0..4].copy_from_slice(&c.to_le_bytes());
        b
    }

    #[test]
    fn fields_and_checksum() {
        let sb = Superblock::parse(&block()).unwrap();
        assert_eq!(sb.uuid(), "00112233-4455-6677-8899-aabbccddeeff");
        assert_eq!(sb.label().as_deref(), Some("abc"));
        let mut b = block();
        b[0x200] ^= 1;
        let e = Superblock::parse(&b).err().unwrap();
        assert_eq!(e.kind(), crate::ErrorKind::Corrupt);
        let mut b = block();
        b[0xc4] = 1;
        let e = Superblock::parse(&b).err().unwrap();
        assert_eq!(e.kind(), crate::ErrorKind::Unsupported);
    }
}
