//! An in-memory disk for unit tests of partition discovery.

use crate::error::Result;
use crate::source::{check_range, ByteSource};

/// A disk image held in memory.
pub(crate) struct MemDisk(pub Vec<u8>);

impl MemDisk {
    /// A zeroed disk of `len` bytes.
    pub(crate) fn zeroed(len: usize) -> Self {
        MemDisk(vec![0; len])
    }

    /// Writes `data` at byte `offset`.
    pub(crate) fn put(&mut self, offset: usize, data: &[u8]) {
        self.0[offset..offset + data.len()].copy_from_slice(data);
    }
}

impl ByteSource for MemDisk {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range(offset, buf.len(), self.0.len() as u64)?;
        let start = offset as usize;
        buf.copy_from_slice(&self.0[start..start + buf.len()]);
        Ok(())
    }

    fn len(&self) -> u64 {
        self.0.len() as u64
    }
}
