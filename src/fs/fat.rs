//! FAT12/16/32 (with long file names) through the `fatfs` crate, behind a
//! read-only adapter.
//!
//! What `fatfs` 0.3.6 does that matters here, and how it is contained:
//! - It is a read-write driver. On mount it only reads; on drop it writes the FSInfo
//!   sector and the boot sector's dirty flag *if they changed*, which read-only use
//!   never does. The adapter below refuses every write anyway, and the volume is a
//!   [`crate::source::ByteSource`], which has no way to write.
//! - Its boot-sector checks compute in unchecked 32-bit arithmetic, so
//!   [`super::fat_boot::validate`] checks the geometry first.
//! - Walking a cluster chain it subtracts and multiplies cluster numbers read from
//!   disk without checks (a FAT entry of 1 underflows); such calls run under
//!   [`super::no_panic`].
//! - A directory's entries are read until an end marker, following the FAT; a
//!   cluster chain that loops back on itself never ends. Directory walks therefore
//!   run with a byte budget in the adapter (the format allows at most 65,536 slots).
//! - Its own path lookup compares names case-insensitively but has the same
//!   unbounded loop, so lookups are done here, entry by entry.

use super::fat_boot::{self, BootSector, BOOT_SECTOR_LEN, MAX_DIR_SLOTS};
use super::{no_panic, split_path, DirEntry, FileKind, FileReader, Filesystem, Stat};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;
use crate::source::SharedSource;
use std::cell::Cell;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::rc::Rc;

/// Returns a FAT filesystem when the volume has a FAT boot sector.
pub fn probe(volume: SharedSource, limits: &Limits) -> Result<Option<Box<dyn Filesystem>>> {
    if volume.len() < BOOT_SECTOR_LEN as u64 {
        return Ok(None);
    }
    let mut sector = [0u8; BOOT_SECTOR_LEN];
    volume.read_at(0, &mut sector)?;
    if !fat_boot::looks_like_fat(&sector) {
        return Ok(None);
    }
    let boot = fat_boot::validate(&sector, volume.len())?;
    let budget = Rc::new(Cell::new(None));
    let io = VolumeIo::new(volume, budget.clone());
    let fs = no_panic("mounting the FAT filesystem", || {
        fatfs::FileSystem::new(io, fatfs::FsOptions::new())
            .map_err(|e| io_error(e, "mounting the FAT filesystem"))
    })?;
    Ok(Some(Box::new(FatFs {
        fs,
        budget,
        boot,
        limits: limits.clone(),
    })))
}

/// Bytes the adapter may hand to `fatfs` while one directory is read: every slot
/// the format allows, plus the FAT entries of the directory's clusters.
const DIR_BUDGET: u64 = MAX_DIR_SLOTS * 32 * 2;

/// Size of one block of the adapter's read cache: `fatfs` reads a directory a few
/// bytes at a time and a file one cluster at a time.
const CACHE_LEN: u64 = 64 << 10;
/// Blocks in the cache. Reading a file alternates between the FAT (to find the next
/// cluster) and the data, so one block would be read again for every cluster.
const CACHE_SLOTS: usize = 4;

/// One cached block: its offset in the volume and its bytes.
struct Block {
    start: u64,
    data: Vec<u8>,
}

/// Read + Write + Seek over a byte source, as `fatfs` wants it: reads go through a
/// small block cache, writes always fail.
struct VolumeIo {
    src: SharedSource,
    pos: u64,
    cache: Vec<Block>,
    /// The slot to replace next (round robin).
    victim: usize,
    /// Bytes that may still be read, while a directory walk is under way.
    budget: Rc<Cell<Option<u64>>>,
}

impl VolumeIo {
    fn new(src: SharedSource, budget: Rc<Cell<Option<u64>>>) -> Self {
        VolumeIo {
            src,
            pos: 0,
            cache: Vec::with_capacity(CACHE_SLOTS),
            victim: 0,
            budget,
        }
    }

    /// The cached block starting at `start` (a multiple of [`CACHE_LEN`]), read
    /// from the source if needed.
    fn block(&mut self, start: u64) -> Result<&[u8]> {
        let slot = match self.cache.iter().position(|b| b.start == start) {
            Some(i) => i,
            None => {
                let n = (self.src.len().saturating_sub(start)).min(CACHE_LEN) as usize;
                let mut data = vec![0u8; n];
                self.src.read_at(start, &mut data)?;
                let block = Block { start, data };
                let i = self.victim;
                self.victim = (i + 1) % CACHE_SLOTS;
                match self.cache.get_mut(i) {
                    Some(old) => *old = block,
                    None => self.cache.push(block), // filling up: i == len
                }
                i
            }
        };
        Ok(self.cache.get(slot).map_or(&[], |b| b.data.as_slice()))
    }

    fn charge(&self, n: usize) -> io::Result<()> {
        if let Some(left) = self.budget.get() {
            let left = left.checked_sub(n as u64).ok_or_else(|| {
                to_io(Error::corrupt(format!(
                    "a FAT directory goes on for more than {MAX_DIR_SLOTS} entries: \
                     its cluster chain loops or is corrupt"
                )))
            })?;
            self.budget.set(Some(left));
        }
        Ok(())
    }
}

fn to_io(e: Error) -> io::Error {
    io::Error::other(e)
}

impl Read for VolumeIo {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = self.src.len();
        if buf.is_empty() || self.pos >= len {
            return Ok(0);
        }
        let want = usize::try_from(len - self.pos).map_or(buf.len(), |rest| rest.min(buf.len()));
        self.charge(want)?;
        let out = buf.get_mut(..want).unwrap_or_default();
        if want as u64 >= CACHE_LEN {
            self.src.read_at(self.pos, out).map_err(to_io)?;
            self.pos += want as u64;
            return Ok(want);
        }
        let start = self.pos - self.pos % CACHE_LEN;
        let off = (self.pos - start) as usize;
        let avail = self
            .block(start)
            .map_err(to_io)?
            .get(off..)
            .unwrap_or_default();
        let n = avail.len().min(out.len());
        out.get_mut(..n)
            .unwrap_or_default()
            .copy_from_slice(avail.get(..n).unwrap_or_default());
        self.pos += n as u64;
        Ok(n)
    }
}

impl Write for VolumeIo {
    fn write(&mut self, _buf: &[u8]) -> io::Result<usize> {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "xenboot never writes to a guest filesystem",
        ))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Seek for VolumeIo {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let new = match pos {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => self.src.len().checked_add_signed(d),
        };
        self.pos = new.ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "seek outside the volume")
        })?;
        Ok(self.pos)
    }
}

/// Converts an error from `fatfs`, recovering ours when it came from the adapter.
fn io_error(e: io::Error, what: &str) -> Error {
    if let Some(ours) = e.get_ref().and_then(|r| r.downcast_ref::<Error>()) {
        return ours.clone().context(what.to_string());
    }
    let kind = match e.kind() {
        io::ErrorKind::NotFound => ErrorKind::NotFound,
        io::ErrorKind::UnexpectedEof | io::ErrorKind::Other | io::ErrorKind::InvalidInput => {
            ErrorKind::Corrupt
        }
        _ => ErrorKind::Io,
    };
    Error::new(kind, format!("{what}: {e}"))
}

type FatDir<'a> = fatfs::Dir<'a, VolumeIo>;
type FatEntry<'a> = fatfs::DirEntry<'a, VolumeIo>;

/// What a path names on a FAT volume.
enum Node<'a> {
    Root,
    Entry(FatEntry<'a>),
}

/// A mounted FAT volume.
struct FatFs {
    fs: fatfs::FileSystem<VolumeIo>,
    budget: Rc<Cell<Option<u64>>>,
    boot: BootSector,
    limits: Limits,
}

/// Arms the directory budget for its lifetime.
struct Budget<'a>(&'a Cell<Option<u64>>);

impl<'a> Budget<'a> {
    fn arm(cell: &'a Cell<Option<u64>>) -> Self {
        cell.set(Some(DIR_BUDGET));
        Budget(cell)
    }
}

impl Drop for Budget<'_> {
    fn drop(&mut self) {
        self.0.set(None);
    }
}

/// FAT names compare case-insensitively (as Windows, Linux's vfat and GRUB do).
fn same_name(a: &str, b: &str) -> bool {
    a.chars()
        .flat_map(char::to_uppercase)
        .eq(b.chars().flat_map(char::to_uppercase))
}

impl FatFs {
    /// Calls `f` on each entry of `dir` (skipping `.` and `..`) until it returns
    /// `Some`; the walk is bounded by the directory budget.
    fn scan<'a, T>(
        &'a self,
        dir: &FatDir<'a>,
        path: &str,
        mut f: impl FnMut(FatEntry<'a>) -> Result<Option<T>>,
    ) -> Result<Option<T>> {
        let _armed = Budget::arm(&self.budget);
        for entry in dir.iter() {
            let entry = entry.map_err(|e| io_error(e, &format!("reading FAT directory {path}")))?;
            let name = entry.file_name();
            if name == "." || name == ".." {
                continue;
            }
            if let Some(found) = f(entry)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    }

    /// Finds what `path` names.
    fn lookup<'a>(&'a self, path: &str) -> Result<Node<'a>> {
        let mut parts: Vec<&str> = Vec::new();
        for c in split_path(path, &self.limits)? {
            if c == ".." {
                parts.pop(); // FAT has no symlinks: `..` is purely lexical
            } else {
                parts.push(c);
            }
        }
        let mut node = Node::Root;
        let mut dir = self.fs.root_dir();
        let mut seen = String::new();
        for (i, name) in parts.iter().enumerate() {
            if i > 0 {
                match &node {
                    Node::Entry(e) if e.is_dir() => dir = e.to_dir(),
                    _ => {
                        return Err(Error::not_found(format!(
                            "{path}: {seen} is not a directory"
                        )))
                    }
                }
            }
            let parent = if seen.is_empty() { "/" } else { &seen };
            let found = self.scan(&dir, parent, |e| {
                let hit = same_name(&e.file_name(), name) || same_name(&e.short_file_name(), name);
                Ok(hit.then_some(e))
            })?;
            seen.push('/');
            seen.push_str(name);
            node =
                Node::Entry(found.ok_or_else(|| {
                    Error::not_found(format!("{path}: no {seen} on the FAT volume"))
                })?);
        }
        Ok(node)
    }
}

impl Filesystem for FatFs {
    fn kind(&self) -> &'static str {
        "vfat"
    }

    fn uuid(&self) -> Option<String> {
        self.boot.serial.map(fat_boot::format_serial)
    }

    fn label(&self) -> Option<String> {
        self.boot.label.as_ref().and_then(fat_boot::format_label)
    }

    fn stat(&self, path: &str) -> Result<Stat> {
        no_panic(
            &format!("looking up {path} on FAT{}", self.boot.fat_bits),
            || {
                Ok(match self.lookup(path)? {
                    Node::Root => Stat {
                        kind: FileKind::Dir,
                        len: 0,
                    },
                    Node::Entry(e) if e.is_dir() => Stat {
                        kind: FileKind::Dir,
                        len: 0,
                    },
                    Node::Entry(e) => Stat {
                        kind: FileKind::File,
                        len: e.len(),
                    },
                })
            },
        )
    }

    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>> {
        no_panic(
            &format!("listing {path} on FAT{}", self.boot.fat_bits),
            || {
                let dir = match self.lookup(path)? {
                    Node::Root => self.fs.root_dir(),
                    Node::Entry(e) if e.is_dir() => e.to_dir(),
                    Node::Entry(_) => {
                        return Err(Error::not_found(format!("{path} is not a directory")))
                    }
                };
                let mut out = Vec::new();
                let max = self.limits.max_dir_entries;
                self.scan(&dir, path, |e| {
                    if out.len() >= max {
                        return Err(Error::limit(format!(
                            "{path}: more than {max} directory entries"
                        )));
                    }
                    let kind = if e.is_dir() {
                        FileKind::Dir
                    } else {
                        FileKind::File
                    };
                    out.push(DirEntry {
                        name: e.file_name(),
                        kind,
                    });
                    Ok(None::<()>)
                })?;
                Ok(out)
            },
        )
    }

    fn open<'a>(&'a self, path: &str) -> Result<Box<dyn FileReader + 'a>> {
        let what = format!("opening {path} on FAT{}", self.boot.fat_bits);
        no_panic(&what, || match self.lookup(path)? {
            Node::Entry(e) if !e.is_dir() => Ok(Box::new(FatReader {
                len: e.len(),
                file: e.to_file(),
                what: format!("reading {path} on FAT{}", self.boot.fat_bits),
            }) as Box<dyn FileReader + 'a>),
            _ => Err(Error::not_found(format!(
                "{path} is a directory, not a regular file"
            ))),
        })
    }
}

/// A file being streamed out of a FAT volume.
struct FatReader<'a> {
    file: fatfs::File<'a, VolumeIo>,
    len: u64,
    what: String,
}

impl FileReader for FatReader<'_> {
    fn len(&self) -> u64 {
        self.len
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let (file, what) = (&mut self.file, &self.what);
        // fatfs stops at each cluster end; fill the caller's buffer.
        no_panic(what, || {
            super::fill(buf, |rest| file.read(rest).map_err(|e| io_error(e, what)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::ByteSource;
    use std::sync::Arc;

    struct Mem(Vec<u8>);

    impl ByteSource for Mem {
        fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
            crate::source::check_range(offset, buf.len(), self.len())?;
            let start = offset as usize;
            buf.copy_from_slice(&self.0[start..start + buf.len()]);
            Ok(())
        }
        fn len(&self) -> u64 {
            self.0.len() as u64
        }
    }

    fn io_over(data: Vec<u8>) -> (VolumeIo, Rc<Cell<Option<u64>>>) {
        let budget = Rc::new(Cell::new(None));
        (VolumeIo::new(Arc::new(Mem(data)), budget.clone()), budget)
    }

    #[test]
    fn adapter_reads_seeks_and_refuses_writes() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let (mut io, _) = io_over(data.clone());
        io.seek(SeekFrom::Start(65_530)).unwrap();
        let mut buf = [0u8; 20];
        let mut got = Vec::new();
        while got.len() < 20 {
            let n = io.read(&mut buf[..20 - got.len()]).unwrap();
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, &data[65_530..65_550]);
        let mut big = vec![0u8; 70_000];
        io.seek(SeekFrom::Start(100)).unwrap();
        assert_eq!(io.read(&mut big).unwrap(), 70_000);
        assert_eq!(big, &data[100..70_100]);
        assert_eq!(io.seek(SeekFrom::End(-1)).unwrap(), 199_999);
        assert_eq!(io.read(&mut buf).unwrap(), 1);
        assert_eq!(io.read(&mut buf).unwrap(), 0);
        assert!(io.seek(SeekFrom::Current(-300_000)).is_err());
        // Alternating between more blocks than the cache holds stays correct.
        for round in 0..3u64 {
            for block in 0..6u64 {
                let at = block * 33_000 + round;
                io.seek(SeekFrom::Start(at)).unwrap();
                let n = io.read(&mut buf[..8]).unwrap();
                assert_eq!(&buf[..n], &data[at as usize..at as usize + n]);
            }
        }
        let e = io.write(b"x").unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
        io.flush().unwrap();
    }

    #[test]
    fn adapter_budget_stops_endless_reads_with_a_corrupt_error() {
        let (mut io, budget) = io_over(vec![0u8; 4096]);
        budget.set(Some(100));
        let mut buf = [0u8; 64];
        assert_eq!(io.read(&mut buf).unwrap(), 64);
        let e = io.read(&mut buf).unwrap_err();
        assert_eq!(io_error(e, "walking").kind(), ErrorKind::Corrupt);
    }

    #[test]
    fn names_compare_case_insensitively() {
        assert!(same_name(
            "vmlinuz-6.1.0-13-AMD64",
            "VMLINUZ-6.1.0-13-amd64"
        ));
        assert!(!same_name("grub.cfg", "grub.cf"));
    }

    #[test]
    fn no_boot_signature_is_not_fat() {
        let src: SharedSource = Arc::new(Mem(vec![0u8; 1 << 20]));
        assert!(probe(src, &Limits::default()).unwrap().is_none());
    }
}
