//! Bytes held in memory: for fuzzing, tests and images already read by the caller.

use super::{check_range, ByteSource};
use crate::error::Result;

/// A byte source over an owned buffer.
#[derive(Clone, Debug, Default)]
pub struct MemSource {
    data: Vec<u8>,
}

impl MemSource {
    /// Wraps `data`.
    pub fn new(data: Vec<u8>) -> Self {
        MemSource { data }
    }
}

impl ByteSource for MemSource {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range(offset, buf.len(), self.len())?;
        let start =
            usize::try_from(offset).map_err(|_| crate::Error::corrupt("offset too large"))?;
        let src = self
            .data
            .get(start..start.saturating_add(buf.len()))
            .ok_or_else(|| crate::Error::corrupt("read beyond the buffer"))?;
        buf.copy_from_slice(src);
        Ok(())
    }

    fn len(&self) -> u64 {
        self.data.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_inside_and_refuses_outside() {
        let m = MemSource::new(b"abcdef".to_vec());
        let mut b = [0u8; 3];
        m.read_at(2, &mut b).unwrap();
        assert_eq!(&b, b"cde");
        assert!(m.read_at(4, &mut b).is_err());
        assert!(m.read_at(u64::MAX, &mut b).is_err());
    }
}
