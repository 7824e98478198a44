//! Filesystems: probe a volume by its superblock magic and read files from it.
//!
//! Paths are absolute, `/`-separated, inside the guest filesystem. Symlinks are
//! resolved inside that filesystem only, with at most
//! [`Limits::max_symlink_hops`](crate::limits::Limits) hops.

mod btrfs;
pub(crate) mod crc32c;
mod ext;
mod fat;
mod fat_boot;
mod iso9660;
mod xfs;

use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::source::SharedSource;

pub(crate) use iso9660::has_iso_magic;

/// What a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (only seen from [`Filesystem::read_dir`]).
    Symlink,
    /// Anything else (device node, fifo, socket).
    Other,
}

/// Metadata of a path, after following symlinks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// What the path names.
    pub kind: FileKind,
    /// Size in bytes (regular files).
    pub len: u64,
}

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The entry's name (no `/`).
    pub name: String,
    /// What it is, without following symlinks.
    pub kind: FileKind,
}

/// A regular file opened for sequential, streaming reads.
pub trait FileReader {
    /// The file's size in bytes.
    fn len(&self) -> u64;
    /// True for an empty file.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Reads the next bytes into `buf`; returns 0 at the end of the file.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize>;
    /// Where the whole file's bytes lie in a host file, when they are plain ranges of
    /// one (no holes, no compression) inside the filesystem's volume; `None` when the
    /// filesystem cannot tell. Lets extraction copy with `copy_file_range`.
    fn host_runs(&self) -> Option<HostRuns<'_>> {
        None
    }
}

/// A file's bytes as ranges of a host file (see [`FileReader::host_runs`]).
pub struct HostRuns<'a> {
    /// The host file (a disk image or block device) holding the bytes.
    pub file: &'a std::fs::File,
    /// `(byte offset in file, length)` ranges, in file order, covering the whole file.
    pub runs: Vec<(u64, u64)>,
}

/// A read-only filesystem on a volume.
pub trait Filesystem {
    /// Short name of the filesystem type (`ext4`, `vfat`, …).
    fn kind(&self) -> &'static str;
    /// The filesystem UUID in the form `blkid` (and GRUB's `search --fs-uuid`) prints.
    fn uuid(&self) -> Option<String>;
    /// The volume label, if set.
    fn label(&self) -> Option<String>;
    /// Metadata of `path`, following symlinks.
    fn stat(&self, path: &str) -> Result<Stat>;
    /// Lists the directory at `path` (following symlinks to reach it).
    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>>;
    /// Opens the regular file at `path` (following symlinks) for reading.
    fn open<'a>(&'a self, path: &str) -> Result<Box<dyn FileReader + 'a>>;
}

/// Reads a whole file of at most `max` bytes; larger files are a
/// [`crate::ErrorKind::Limit`] error.
pub fn read_file(fs: &dyn Filesystem, path: &str, max: u64) -> Result<Vec<u8>> {
    let mut r = fs.open(path)?;
    let len = r.len();
    if len > max {
        return Err(Error::limit(format!(
            "{path} is {len} bytes, more than the limit of {max}"
        )));
    }
    let cap = usize::try_from(len).map_err(|_| Error::limit("file too large"))?;
    let mut out = vec![0u8; cap];
    let mut done = 0;
    while done < cap {
        let n = r.read(&mut out[done..])?;
        if n == 0 {
            return Err(Error::corrupt(format!(
                "{path}: file ended after {done} of {len} bytes"
            )));
        }
        done += n;
    }
    Ok(out)
}

/// Calls `read` until `buf` is full or it returns 0 (end of file), for readers that
/// stop at block or cluster boundaries. Returns the bytes read.
pub(crate) fn fill(
    buf: &mut [u8],
    mut read: impl FnMut(&mut [u8]) -> Result<usize>,
) -> Result<usize> {
    let mut done = 0;
    while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
        let n = read(rest)?;
        if n == 0 {
            break;
        }
        done += n;
    }
    Ok(done)
}

/// Pushes the components of `path` (split on `/`, empty ones and `.` dropped) onto
/// `todo`, which holds them last first, for a component-by-component path walk; more
/// than `max` pending components is a [`crate::ErrorKind::Limit`] error naming `whole`.
pub(crate) fn push_components(
    todo: &mut Vec<Vec<u8>>,
    path: &[u8],
    max: usize,
    whole: &str,
) -> Result<()> {
    let parts: Vec<&[u8]> = path
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
        .take(max.saturating_add(1))
        .collect();
    if todo.len().saturating_add(parts.len()) > max {
        return Err(Error::limit(format!(
            "{whole}: more than {max} path components"
        )));
    }
    todo.extend(parts.into_iter().rev().map(<[u8]>::to_vec));
    Ok(())
}

/// A 16-byte UUID as `blkid` prints it: lower-case hex, hyphenated 8-4-4-4-12.
pub(crate) fn format_uuid(bytes: &[u8; 16]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let part = |a: usize, z: usize| hex.get(a..z).unwrap_or_default();
    format!(
        "{}-{}-{}-{}-{}",
        part(0, 8),
        part(8, 12),
        part(12, 16),
        part(16, 20),
        part(20, 32)
    )
}

/// True when `path` exists (following symlinks) and is a regular file.
pub fn is_file(fs: &dyn Filesystem, path: &str) -> bool {
    matches!(fs.stat(path), Ok(s) if s.kind == FileKind::File)
}

/// Splits the absolute guest path `path` into its components, dropping empty ones
/// (`a//b`, a trailing `/`) and `.`; `..` is kept for the caller to interpret.
/// Relative paths are an [`crate::ErrorKind::Invalid`] error; more than
/// [`Limits::max_path_components`] components a [`crate::ErrorKind::Limit`] error.
pub(crate) fn split_path<'p>(path: &'p str, limits: &Limits) -> Result<Vec<&'p str>> {
    if !path.starts_with('/') {
        return Err(Error::invalid(format!(
            "{path:?} is not an absolute path inside the guest filesystem"
        )));
    }
    let parts: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .take(limits.max_path_components.saturating_add(1))
        .collect();
    if parts.len() > limits.max_path_components {
        return Err(Error::limit(format!(
            "{path}: more than {} path components",
            limits.max_path_components
        )));
    }
    Ok(parts)
}

/// Runs `f`, which drives a third-party filesystem parser over guest data, and turns
/// a panic inside it into an [`crate::ErrorKind::Corrupt`] error naming `what`.
///
/// The parsers are meant not to panic, and the callers validate what they can
/// beforehand, but their arithmetic on hostile on-disk values is not all checked
/// (an overflow panics in builds with overflow checks). A corrupt guest image must
/// give an error, never take the caller (a toolstack daemon) down, so this is the
/// last line of defence. Nothing is shared across the boundary that a half-finished
/// call could leave inconsistent other than the parser's own state, which is only
/// ever read afterwards.
pub(crate) fn no_panic<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        Err(Error::corrupt(format!(
            "{what}: malformed filesystem data made the parser fail (internal panic caught)"
        )))
    })
}

/// Probes `volume` for a known filesystem. `Ok(None)` means no known superblock
/// magic was found; an error means a superblock was found but could not be used.
pub fn probe(volume: SharedSource, limits: &Limits) -> Result<Option<Box<dyn Filesystem>>> {
    if let Some(fs) = ext::probe(volume.clone(), limits)? {
        return Ok(Some(fs));
    }
    if let Some(fs) = xfs::probe(volume.clone(), limits)? {
        return Ok(Some(fs));
    }
    if let Some(fs) = iso9660::probe(volume.clone(), limits)? {
        return Ok(Some(fs));
    }
    if let Some(fs) = btrfs::probe(volume.clone(), limits)? {
        return Ok(Some(fs));
    }
    if let Some(fs) = fat::probe(volume, limits)? {
        return Ok(Some(fs));
    }
    Ok(None)
}
