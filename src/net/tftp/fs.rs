//! [`TftpFs`]: the files of a TFTP server as a read-only [`Filesystem`], so that
//! [`Boot`](crate::Boot)'s selection and extraction work over the network unchanged.
//!
//! TFTP has no metadata and no directories: `stat` asks for the file with the
//! `tsize` option and cancels the transfer once the server has said the size (a
//! server without `tsize` support has the file counted by a full transfer, bounded by
//! the largest size any file may have); every name is a regular file or absent.

use super::client::{Client, Transfer};
use crate::error::{Error, Result};
use crate::fs::{DirEntry, FileKind, FileReader, Filesystem, Stat};
use crate::limits::Limits;
use std::collections::HashMap;
use std::sync::Mutex;

/// Most file sizes remembered (sizes learnt by counting a whole transfer).
const MAX_CACHED_SIZES: usize = 256;

/// A TFTP server seen as a read-only filesystem. Guest paths (`/a/b`) name the
/// server's files relative to its root (`a/b`), unless built with
/// [`TftpFs::absolute_names`].
pub struct TftpFs {
    client: Client,
    max_file: u64,
    absolute: bool,
    /// Paths asked for with a leading `/` even when names are relative (a
    /// configuration file DHCP named by an absolute name).
    absolute_paths: Vec<String>,
    sizes: Mutex<HashMap<String, u64>>,
}

impl TftpFs {
    /// A filesystem over `client`. No file larger than the largest of the kernel,
    /// ramdisk and configuration limits is read.
    pub fn new(client: Client, limits: &Limits) -> TftpFs {
        TftpFs {
            client,
            max_file: limits
                .max_kernel
                .max(limits.max_ramdisk)
                .max(limits.max_config),
            absolute: false,
            absolute_paths: Vec::new(),
            sizes: Mutex::new(HashMap::new()),
        }
    }

    /// Asks the server for `/a/b` rather than `a/b` (for a path prefix that is an
    /// absolute name on the server).
    #[must_use]
    pub fn absolute_names(mut self, yes: bool) -> TftpFs {
        self.absolute = yes;
        self
    }

    /// Asks the server for the guest path `path` by its absolute name (`/a/b`)
    /// whatever [`TftpFs::absolute_names`] says.
    #[must_use]
    pub fn absolute_name_of(mut self, path: &str) -> TftpFs {
        self.absolute_paths.push(path.to_string());
        self
    }

    /// The client used.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The name asked of the server for the guest path `path`.
    pub fn tftp_name(&self, path: &str) -> String {
        let rel = path.trim_start_matches('/');
        if self.absolute || self.absolute_paths.iter().any(|p| p == path) {
            format!("/{rel}")
        } else {
            rel.to_string()
        }
    }

    fn cached_size(&self, name: &str) -> Option<u64> {
        self.sizes.lock().ok()?.get(name).copied()
    }

    fn remember_size(&self, name: &str, size: u64) {
        if let Ok(mut sizes) = self.sizes.lock() {
            if sizes.len() < MAX_CACHED_SIZES {
                sizes.insert(name.to_string(), size);
            }
        }
    }

    fn size(&self, name: &str) -> Result<u64> {
        if let Some(size) = self.cached_size(name) {
            return Ok(size);
        }
        let size = self.client.size(name, self.max_file)?;
        self.remember_size(name, size);
        Ok(size)
    }
}

impl Filesystem for TftpFs {
    fn kind(&self) -> &'static str {
        "tftp"
    }

    fn uuid(&self) -> Option<String> {
        None
    }

    fn label(&self) -> Option<String> {
        None
    }

    fn stat(&self, path: &str) -> Result<Stat> {
        let len = self.size(&self.tftp_name(path))?;
        Ok(Stat {
            kind: FileKind::File,
            len,
        })
    }

    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>> {
        Err(Error::unsupported(format!(
            "cannot list {path}: TFTP has no directory listing"
        )))
    }

    fn open<'a>(&'a self, path: &str) -> Result<Box<dyn FileReader + 'a>> {
        let name = self.tftp_name(path);
        let transfer = self.client.open(&name, self.max_file)?;
        let len = match transfer.size() {
            Some(len) => len,
            None => {
                // Without tsize the size is only known by counting; cancel, count,
                // and start again.
                drop(transfer);
                let len = self.size(&name)?;
                return Ok(Box::new(TftpReader::new(
                    self.client.open(&name, self.max_file)?,
                    len,
                )));
            }
        };
        Ok(Box::new(TftpReader::new(transfer, len)))
    }
}

/// A file streamed block by block from a transfer.
struct TftpReader {
    transfer: Transfer,
    len: u64,
    /// Bytes of the last block not yet handed out.
    left: Vec<u8>,
}

impl TftpReader {
    fn new(transfer: Transfer, len: u64) -> TftpReader {
        TftpReader {
            transfer,
            len,
            left: Vec::new(),
        }
    }
}

impl FileReader for TftpReader {
    fn len(&self) -> u64 {
        self.len
    }

    /// Fills `buf` with as many blocks as fit (so writes downstream are large).
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut done = 0;
        while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
            if self.left.is_empty() {
                match self.transfer.next_block()? {
                    Some(block) => self.left.extend_from_slice(block),
                    None => break,
                }
                if self.left.is_empty() {
                    break; // an empty last block
                }
            }
            let n = rest.len().min(self.left.len());
            let (dst, src) = (rest.get_mut(..n), self.left.get(..n));
            if let (Some(dst), Some(src)) = (dst, src) {
                dst.copy_from_slice(src);
            }
            self.left.drain(..n);
            done += n;
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn names_are_relative_unless_asked_absolute() {
        let client = Client::new(([127, 0, 0, 1], 69).into(), Duration::from_secs(1));
        let fs = TftpFs::new(client.clone(), &Limits::default());
        assert_eq!(fs.tftp_name("/pxe/vmlinuz"), "pxe/vmlinuz");
        let fs = fs.absolute_name_of("/cfg/default");
        assert_eq!(fs.tftp_name("/cfg/default"), "/cfg/default");
        assert_eq!(fs.tftp_name("/pxe/vmlinuz"), "pxe/vmlinuz");
        let fs = TftpFs::new(client, &Limits::default()).absolute_names(true);
        assert_eq!(fs.tftp_name("/pxe/vmlinuz"), "/pxe/vmlinuz");
    }
}
