//! Streaming reads of regular files through their extents: holes and unwritten
//! (preallocated) extents read as zeros; each mapped run is read with one call.

use super::bmap::Extent;
use super::Volume;
use crate::error::{Error, Result};
use crate::fs::FileReader;

/// A regular file opened for sequential reading.
pub(super) struct File<'v> {
    vol: &'v Volume,
    ino: u64,
    extents: Vec<Extent>,
    size: u64,
    pos: u64,
    /// Index of the first extent that may still hold `pos`.
    next: usize,
}

impl<'v> File<'v> {
    /// Wraps the checked `extents` of inode `ino` of `size` bytes.
    pub(super) fn new(vol: &'v Volume, ino: u64, extents: Vec<Extent>, size: u64) -> Self {
        File {
            vol,
            ino,
            extents,
            size,
            pos: 0,
            next: 0,
        }
    }

    /// Fills as much of `out` as one extent or hole allows; returns the count.
    fn read_segment(&mut self, out: &mut [u8]) -> Result<usize> {
        let log = self.vol.sb.blocklog;
        let want = (out.len() as u64).min(self.size - self.pos);
        while let Some(e) = self.extents.get(self.next) {
            if e.end() << log > self.pos {
                break;
            }
            self.next += 1;
        }
        let (n, source) = match self.extents.get(self.next) {
            Some(e) if e.off << log <= self.pos => {
                let into = self.pos - (e.off << log);
                let n = want.min((e.count << log) - into);
                (n, (!e.unwritten).then_some(e.byte + into))
            }
            Some(e) => (want.min((e.off << log) - self.pos), None),
            None => (want, None),
        };
        let dst = out.get_mut(..n as usize).ok_or_else(|| {
            Error::corrupt(format!("inode {}: read segment out of range", self.ino))
        })?;
        match source {
            Some(byte) => self.vol.read(byte, dst)?,
            None => dst.fill(0),
        }
        self.pos += n;
        Ok(n as usize)
    }
}

impl FileReader for File<'_> {
    fn len(&self) -> u64 {
        self.size
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut done = 0;
        // Each segment ends at an extent or hole boundary, so this loop runs at most
        // once per extent (plus holes) before the buffer fills or the file ends.
        while done < buf.len() && self.pos < self.size {
            let rest = buf.get_mut(done..).unwrap_or_default();
            let n = self.read_segment(rest)?;
            if n == 0 {
                break;
            }
            done += n;
        }
        Ok(done)
    }
}
