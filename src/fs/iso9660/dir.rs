//! Directory records (ECMA-119 §9.1) and the walk over a directory's sectors.
//!
//! A record never crosses a sector boundary; a zero length byte ends the records
//! of a sector. Both-endian fields are read through their little-endian half.

use super::{le32, Iso, SECTOR};
use crate::error::{Error, Result};
use std::ops::ControlFlow;

const FLAG_DIR: u8 = 0x02;
const FLAG_MULTI_EXTENT: u8 = 0x80;
/// Fixed part of a record before the name.
const FIXED: usize = 33;

/// One directory record, checked for internal consistency.
#[derive(Clone, Debug)]
pub(super) struct Record {
    /// First logical block of the extent.
    pub lba: u32,
    /// Bytes in the extent.
    pub len: u32,
    /// File flags (byte 25).
    pub flags: u8,
    /// The raw file identifier.
    pub name: Vec<u8>,
    /// The system use area (Rock Ridge lives here).
    pub system_use: Vec<u8>,
}

impl Record {
    /// Parses the record at the start of `b` (which holds at least its length).
    pub(super) fn parse(b: &[u8]) -> Result<Record> {
        let w = "directory record";
        let rec_len = usize::from(*b.first().unwrap_or(&0));
        if rec_len < FIXED + 1 || rec_len > b.len() {
            return Err(Error::corrupt(format!(
                "{w} length {rec_len} is invalid ({} bytes left in the sector)",
                b.len()
            )));
        }
        let rec = b.get(..rec_len).unwrap_or_default();
        if rec.get(1).copied().unwrap_or(0) != 0 {
            // Extended attribute records shift the data; nobody writes them.
            return Err(Error::unsupported(format!(
                "{w} with an extended attribute record"
            )));
        }
        let name_len = usize::from(*rec.get(32).unwrap_or(&0));
        let name_end = FIXED + name_len;
        let name = rec
            .get(FIXED..name_end)
            .ok_or_else(|| {
                Error::corrupt(format!("{w}: name of {name_len} bytes overruns the record"))
            })?
            .to_vec();
        if name_len == 0 {
            return Err(Error::corrupt(format!("{w} with an empty name")));
        }
        if rec.get(26).copied().unwrap_or(0) != 0 || rec.get(27).copied().unwrap_or(0) != 0 {
            return Err(Error::unsupported(format!("{w}: interleaved file")));
        }
        // The name is followed by a pad byte when its length is even.
        let su_start = name_end + usize::from(name_len % 2 == 0);
        let system_use = rec.get(su_start..).unwrap_or_default().to_vec();
        Ok(Record {
            lba: le32(rec, 2, w)?,
            len: le32(rec, 10, w)?,
            flags: *rec.get(25).unwrap_or(&0),
            name,
            system_use,
        })
    }

    /// True for a directory.
    pub(super) fn is_dir(&self) -> bool {
        self.flags & FLAG_DIR != 0
    }

    /// True when more records of the same file follow (multi-extent file).
    pub(super) fn continues(&self) -> bool {
        self.flags & FLAG_MULTI_EXTENT != 0
    }

    /// True for the `.` (0x00) and `..` (0x01) entries.
    pub(super) fn is_dot(&self) -> bool {
        matches!(self.name[..], [0] | [1])
    }

    /// Byte offset of the extent in the volume.
    pub(super) fn byte(&self) -> u64 {
        u64::from(self.lba) * SECTOR as u64
    }
}

/// Calls `f` with each record of the directory extent `dir`, in order, `.` and `..`
/// included. Reads one sector at a time; at most `max_records` records are visited.
pub(super) fn walk(
    iso: &Iso,
    dir: &Record,
    f: &mut dyn FnMut(Record) -> Result<ControlFlow<()>>,
) -> Result<()> {
    let sectors = u64::from(dir.len).div_ceil(SECTOR as u64);
    // Every sector of a real directory holds at least one record.
    if sectors > iso.limits.max_dir_entries as u64 {
        return Err(Error::limit(format!(
            "directory at block {} spans {sectors} sectors, more than {} records could fill",
            dir.lba, iso.limits.max_dir_entries
        )));
    }
    let mut buf = vec![0u8; SECTOR];
    let mut seen = 0usize;
    for s in 0..sectors {
        let at = dir
            .byte()
            .checked_add(s * SECTOR as u64)
            .ok_or_else(|| Error::corrupt("directory extent overflows"))?;
        iso.src
            .read_at(at, &mut buf)
            .map_err(|e| e.context(format!("reading directory sector {s} at block {}", dir.lba)))?;
        let mut off = 0usize;
        while off < SECTOR {
            let rec_len = usize::from(*buf.get(off).unwrap_or(&0));
            if rec_len == 0 {
                break;
            }
            let rec = Record::parse(buf.get(off..).unwrap_or_default()).map_err(|e| {
                e.context(format!(
                    "directory at block {}, sector {s}, byte {off}",
                    dir.lba
                ))
            })?;
            seen += 1;
            if seen > iso.limits.max_dir_entries {
                return Err(Error::limit(format!(
                    "directory at block {} has more than {} records",
                    dir.lba, iso.limits.max_dir_entries
                )));
            }
            if f(rec)?.is_break() {
                return Ok(());
            }
            off += rec_len;
        }
    }
    Ok(())
}
