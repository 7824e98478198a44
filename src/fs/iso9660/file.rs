//! Streaming reads of a regular file through its extents (one per record; several
//! for a multi-extent file), each read with one call per buffer.

use super::dir::Record;
use super::Iso;
use crate::error::{Error, Result};
use crate::fs::FileReader;

/// A regular file opened for sequential reading.
pub(super) struct File<'a> {
    iso: &'a Iso,
    /// (byte offset in the volume, length) of each extent, in file order.
    extents: Vec<(u64, u64)>,
    size: u64,
    /// Index of the extent holding the next byte, and the offset inside it.
    next: usize,
    into: u64,
}

impl<'a> File<'a> {
    /// Opens the file made of `records`, whose extents were checked against the volume.
    pub(super) fn new(iso: &'a Iso, records: &[Record]) -> Result<Self> {
        let extents: Vec<(u64, u64)> = records
            .iter()
            .map(|r| (r.byte(), u64::from(r.len)))
            .collect();
        let size = extents.iter().try_fold(0u64, |s, e| {
            s.checked_add(e.1)
                .ok_or_else(|| Error::corrupt("file size overflows"))
        })?;
        Ok(File {
            iso,
            extents,
            size,
            next: 0,
            into: 0,
        })
    }
}

impl FileReader for File<'_> {
    fn len(&self) -> u64 {
        self.size
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut done = 0usize;
        // Each pass consumes an extent or fills the buffer: at most one pass per
        // extent plus one.
        while done < buf.len() {
            let Some(&(byte, len)) = self.extents.get(self.next) else {
                break;
            };
            let left = len - self.into;
            if left == 0 {
                self.next += 1;
                self.into = 0;
                continue;
            }
            let n = left.min((buf.len() - done) as u64) as usize;
            let dst = buf
                .get_mut(done..done + n)
                .ok_or_else(|| Error::corrupt("read segment out of range"))?;
            self.iso.src.read_at(byte + self.into, dst)?;
            self.into += n as u64;
            done += n;
        }
        Ok(done)
    }
}
