//! Streaming reads of regular files through their extents: holes and unwritten
//! (preallocated) extents read as zeros; each mapped run is read with one call.

use super::bmap::Extent;
use super::Volume;
use crate::error::{Error, Result};
use crate::fs::{FileReader, HostRuns};

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

    fn host_runs(&self) -> Option<HostRuns<'_>> {
        let (file, base) = self.vol.src.host_file()?;
        let block = 1u64.checked_shl(u32::from(self.vol.sb.blocklog))?;
        let mut runs: Vec<(u64, u64)> = Vec::new();
        let mut covered = 0u64;
        for e in &self.extents {
            if covered >= self.size {
                break;
            }
            // A hole or an unwritten extent reads as zeros: not a plain range.
            if e.unwritten || e.off.checked_mul(block)? != covered {
                return None;
            }
            let len = e.count.checked_mul(block)?.min(self.size - covered);
            if e.byte.checked_add(len)? > self.vol.src.len() {
                return None;
            }
            let host = base.checked_add(e.byte)?;
            match runs.last_mut() {
                Some((at, n)) if at.checked_add(*n) == Some(host) => *n += len,
                _ => runs.push((host, len)),
            }
            covered += len;
        }
        (covered == self.size).then_some(HostRuns { file, runs })
    }
}
