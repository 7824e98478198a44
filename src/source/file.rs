//! Image files and block devices on the host, always opened read-only.

use super::{check_range, ByteSource};
use crate::error::{Error, Result};
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// A host file or block device opened read-only.
#[derive(Debug)]
pub struct FileSource {
    file: File,
    len: u64,
    path: PathBuf,
}

impl FileSource {
    /// Opens `path` read-only. Block devices are sized by seeking to their end.
    pub fn open(path: &Path) -> Result<Self> {
        let file = File::open(path)
            .map_err(|e| Error::io(format!("cannot open {}", path.display()), &e))?;
        Self::from_file(file, path)
    }

    /// Wraps a file the caller already opened (e.g. passed in by a more privileged
    /// process); `path` names it in messages. Only positional reads are used, so the
    /// file's own position does not matter.
    pub fn from_file(mut file: File, path: &Path) -> Result<Self> {
        let len = file
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::io(format!("cannot size {}", path.display()), &e))?;
        Ok(FileSource {
            file,
            len,
            path: path.to_path_buf(),
        })
    }

    /// The host path this source was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl ByteSource for FileSource {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range(offset, buf.len(), self.len)?;
        self.file.read_exact_at(buf, offset).map_err(|e| {
            Error::io(
                format!(
                    "reading {} bytes at {offset} of {}",
                    buf.len(),
                    self.path.display()
                ),
                &e,
            )
        })
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn host_file(&self) -> Option<(&File, u64)> {
        Some((&self.file, 0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_ranges_and_refuses_past_end() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"0123456789").unwrap();
        let src = FileSource::open(f.path()).unwrap();
        assert_eq!(src.len(), 10);
        let mut buf = [0u8; 4];
        src.read_at(3, &mut buf).unwrap();
        assert_eq!(&buf, b"3456");
        assert!(src.read_at(8, &mut buf).is_err());
        assert!(src.read_at(u64::MAX - 1, &mut buf).is_err());
    }

    #[test]
    fn from_file_reads_an_opened_file() {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(b"abcdef").unwrap();
        let file = File::open(f.path()).unwrap();
        let src = FileSource::from_file(file, Path::new("fd:0")).unwrap();
        assert_eq!(src.len(), 6);
        assert_eq!(src.path(), Path::new("fd:0"));
        let mut buf = [0u8; 2];
        src.read_at(4, &mut buf).unwrap();
        assert_eq!(&buf, b"ef");
    }

    #[test]
    fn missing_file_is_io_error_naming_path() {
        let e = FileSource::open(Path::new("/nonexistent/disk.img")).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Io);
        assert!(e.to_string().contains("/nonexistent/disk.img"));
    }
}
