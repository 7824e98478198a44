//! Byte sources: where the guest's bytes come from (an image file, a block device, a
//! window into another source). Everything above this layer reads through
//! [`ByteSource::read_at`] only.

mod file;
mod memory;
pub mod qcow2;
mod window;

pub use file::FileSource;
pub use memory::MemSource;
pub use qcow2::Qcow2Source;
pub use window::Window;

use crate::error::Result;
use std::sync::Arc;

/// Random-access, read-only bytes. Sources are shareable across threads.
pub trait ByteSource: Send + Sync {
    /// Fills `buf` with the bytes starting at `offset`. Reading past the end is an
    /// error ([`crate::ErrorKind::Corrupt`]), never a short read.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()>;

    /// Total length in bytes.
    fn len(&self) -> u64;

    /// True when the source holds no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The host file behind this source and the offset of this source's byte 0 in it,
    /// when the bytes are a plain file range (enables zero-copy extraction).
    fn host_file(&self) -> Option<(&std::fs::File, u64)> {
        None
    }
}

/// A shared, dynamically typed byte source.
pub type SharedSource = Arc<dyn ByteSource>;

/// Checks that `len` bytes at `offset` fit in a source of `total` bytes.
pub(crate) fn check_range(offset: u64, len: usize, total: u64) -> Result<()> {
    let end = offset
        .checked_add(len as u64)
        .ok_or_else(|| crate::Error::corrupt(format!("read at {offset} overflows")))?;
    if end > total {
        return Err(crate::Error::corrupt(format!(
            "read of {len} bytes at offset {offset} is beyond the end ({total} bytes)"
        )));
    }
    Ok(())
}
