//! A window (offset, length) into another source: how a partition is seen.

use super::{check_range, ByteSource, SharedSource};
use crate::error::{Error, Result};

/// The bytes `offset .. offset + len` of an inner source.
pub struct Window {
    inner: SharedSource,
    offset: u64,
    len: u64,
}

impl Window {
    /// Creates a window; fails when the window does not lie inside `inner`.
    pub fn new(inner: SharedSource, offset: u64, len: u64) -> Result<Self> {
        let end = offset
            .checked_add(len)
            .ok_or_else(|| Error::corrupt("partition extent overflows"))?;
        if end > inner.len() {
            return Err(Error::corrupt(format!(
                "partition at {offset} of {len} bytes ends beyond the disk ({} bytes)",
                inner.len()
            )));
        }
        Ok(Window { inner, offset, len })
    }
}

impl ByteSource for Window {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range(offset, buf.len(), self.len)?;
        // check_range proved offset + len <= self.len, and self.offset + self.len fits.
        self.inner.read_at(self.offset + offset, buf)
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn host_file(&self) -> Option<(&std::fs::File, u64)> {
        let (f, base) = self.inner.host_file()?;
        Some((f, base.checked_add(self.offset)?))
    }
}
