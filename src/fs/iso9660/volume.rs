//! Volume descriptors (ECMA-119 §8): the primary descriptor, a Joliet supplementary
//! descriptor if present, up to the set terminator.

use super::dir::Record;
use super::{le16, SECTOR};
use crate::error::{Error, Result};
use crate::source::ByteSource;

/// Byte offset of the first volume descriptor (sector 16).
pub(super) const DESCRIPTORS_AT: u64 = 16 * SECTOR as u64;
/// Most descriptors read before the set terminator must have been seen.
const MAX_DESCRIPTORS: u64 = 64;
const TYPE_PRIMARY: u8 = 1;
const TYPE_SUPPLEMENTARY: u8 = 2;
const TYPE_TERMINATOR: u8 = 255;

/// What the descriptors say.
pub(super) struct Descriptors {
    /// The primary descriptor's root directory record.
    pub primary_root: Record,
    /// The Joliet descriptor's root directory record, when there is one.
    pub joliet_root: Option<Record>,
    /// Volume identifier (bytes 40..72 of the primary descriptor), trimmed.
    pub volume_id: String,
    /// Modification date digits (17 bytes at 830), else the creation date (813).
    pub date: Option<[u8; 16]>,
}

/// True when the sector at [`DESCRIPTORS_AT`] of `src` starts an ISO 9660 volume
/// descriptor (`CD001`).
pub fn has_iso_magic(src: &dyn ByteSource) -> bool {
    let mut id = [0u8; 6];
    src.len() >= DESCRIPTORS_AT + SECTOR as u64
        && src.read_at(DESCRIPTORS_AT, &mut id).is_ok()
        && &id[1..6] == b"CD001"
}

/// Reads the descriptor set of `src`.
pub(super) fn read(src: &dyn ByteSource) -> Result<Descriptors> {
    let mut primary: Option<(Record, String, Option<[u8; 16]>)> = None;
    let mut joliet = None;
    let mut buf = vec![0u8; SECTOR];
    let mut terminated = false;
    for i in 0..MAX_DESCRIPTORS {
        let at = DESCRIPTORS_AT + i * SECTOR as u64;
        src.read_at(at, &mut buf)
            .map_err(|e| e.context(format!("volume descriptor {i}")))?;
        if buf.get(1..6) != Some(&b"CD001"[..]) {
            return Err(Error::corrupt(format!(
                "volume descriptor {i} (sector {}) lacks the CD001 identifier",
                16 + i
            )));
        }
        match buf.first().copied() {
            Some(TYPE_TERMINATOR) => {
                terminated = true;
                break;
            }
            Some(TYPE_PRIMARY) if primary.is_none() => {
                let block = le16(&buf, 128, "primary volume descriptor")?;
                if usize::from(block) != SECTOR {
                    return Err(Error::unsupported(format!(
                        "logical block size {block} (only 2048 is supported)"
                    )));
                }
                let root = root_record(&buf, "primary")?;
                let id = String::from_utf8_lossy(buf.get(40..72).unwrap_or_default())
                    .trim_end_matches([' ', '\0'])
                    .to_string();
                primary = Some((root, id, date(&buf)));
            }
            Some(TYPE_SUPPLEMENTARY) if joliet.is_none() && is_joliet(&buf) => {
                joliet = Some(root_record(&buf, "Joliet")?);
            }
            _ => {}
        }
    }
    if !terminated {
        return Err(Error::corrupt(format!(
            "no volume descriptor set terminator in the first {MAX_DESCRIPTORS} descriptors"
        )));
    }
    let (primary_root, volume_id, date) =
        primary.ok_or_else(|| Error::corrupt("no primary volume descriptor"))?;
    Ok(Descriptors {
        primary_root,
        joliet_root: joliet,
        volume_id,
        date,
    })
}

/// The root directory record at byte 156 of a primary or supplementary descriptor.
fn root_record(desc: &[u8], what: &str) -> Result<Record> {
    let raw = desc
        .get(156..190)
        .ok_or_else(|| Error::corrupt(format!("{what} descriptor too short")))?;
    let rec = Record::parse(raw).map_err(|e| e.context(format!("{what} root directory")))?;
    if !rec.is_dir() {
        return Err(Error::corrupt(format!(
            "{what} root directory record is not a directory"
        )));
    }
    Ok(rec)
}

/// Joliet: escape sequences `%/@`, `%/C` or `%/E` (UCS-2 levels 1-3) at byte 88.
fn is_joliet(desc: &[u8]) -> bool {
    matches!(desc.get(88..91), Some([0x25, 0x2f, 0x40 | 0x43 | 0x45]))
}

/// The 16 digits of the modification date, or of the creation date when the
/// modification date is unset (all `0` or NUL), as blkid and GRUB build the "UUID".
fn date(desc: &[u8]) -> Option<[u8; 16]> {
    let pick = |at: usize| -> Option<[u8; 16]> {
        let d: [u8; 16] = desc.get(at..at + 16)?.try_into().ok()?;
        let unset = d.iter().all(|&b| b == b'0' || b == 0);
        (!unset && d.iter().all(u8::is_ascii_digit)).then_some(d)
    };
    pick(830).or_else(|| pick(813))
}

/// Formats `date` digits as `YYYY-MM-DD-HH-MM-SS-CC`.
pub(super) fn uuid(date: &[u8; 16]) -> String {
    let s = String::from_utf8_lossy(date);
    let mut out = String::with_capacity(22);
    for (i, c) in s.chars().enumerate() {
        if i >= 4 && i % 2 == 0 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_format_matches_blkid() {
        assert_eq!(uuid(b"2024010203040506"), "2024-01-02-03-04-05-06");
    }

    #[test]
    fn unset_modification_date_falls_back_to_creation() {
        let mut d = vec![0u8; SECTOR];
        d[813..829].copy_from_slice(b"2020123123595900");
        d[830..846].copy_from_slice(b"0000000000000000");
        assert_eq!(date(&d), Some(*b"2020123123595900"));
        d[830..846].copy_from_slice(b"2021010100000000");
        assert_eq!(date(&d), Some(*b"2021010100000000"));
    }
}
