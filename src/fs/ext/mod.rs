//! ext2/ext3/ext4 through the `ext4-view` crate.
//!
//! `ext4-view` resolves symlinks itself with a fixed bound of 40 and keeps absolute
//! targets inside the filesystem, but the bound here is
//! [`Limits::max_symlink_hops`], so paths are resolved component by component in
//! this module (`symlink_metadata` + `read_link`) and the crate is only ever handed
//! canonical paths that contain no symlinks. Absolute targets restart at the root of
//! this filesystem; `..` above the root stays at the root.
//!
//! Regular files are read by our own small reader where it can ([`dir`],
//! [`extents`], [`layout`]): each directory is read and indexed once, and a file's
//! bytes are read (or copied by the kernel) straight from the volume ranges its
//! extent tree names. `ext4-view` walks a path from the root and checksums every
//! directory block on the way for each file it opens, and returns at most one block
//! per read: 200 BLS snippets cost ~50M instructions to open through it. Whatever
//! our reader doubts (block-mapped, sparse or inline files, unknown features, a
//! checksum that fails) is opened through `ext4-view` instead, which reports
//! corruption in its own words.

mod dir;
mod extents;
mod layout;

use super::{no_panic, split_path, DirEntry, FileKind, FileReader, Filesystem, HostRuns, Stat};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;
use crate::source::SharedSource;
use ext4_view::{Ext4, Ext4Error, Ext4Read, Metadata};
use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;

/// Offset of the superblock in the volume.
const SUPERBLOCK_AT: u64 = 1024;
/// The ext superblock magic number (at byte 56 of the superblock).
const EXT_MAGIC: u16 = 0xEF53;
/// Longest name of one directory entry.
const MAX_NAME: usize = 255;
/// Longest symlink target (Linux's PATH_MAX); `ext4-view` reads a target whole.
const MAX_SYMLINK: u64 = 4096;
/// Largest space one directory entry can take (8-byte header, 255-byte name, padded).
const MAX_DIRENT: u64 = 264;

/// Returns an ext filesystem when the volume has the ext superblock magic.
pub fn probe(volume: SharedSource, limits: &Limits) -> Result<Option<Box<dyn Filesystem>>> {
    let mut sb = [0u8; 1024];
    if volume.len() < SUPERBLOCK_AT + sb.len() as u64 {
        return Ok(None);
    }
    volume.read_at(SUPERBLOCK_AT, &mut sb)?;
    let sb = Superblock(sb);
    if sb.u16(56) != EXT_MAGIC {
        return Ok(None);
    }
    let kind = flavour(sb.u32(92), sb.u32(96), sb.u32(100));
    check_geometry(&sb, volume.len()).map_err(|e| e.context(format!("{kind} superblock")))?;
    let layout = layout::Layout::parse(&sb, volume.len());
    let fs = no_panic("loading the ext superblock", || {
        Ext4::load(Box::new(Reader(volume.clone())))
            .map_err(|e| map_err(e, &format!("cannot read this {kind} filesystem")))
    })?;
    Ok(Some(Box::new(ExtFs {
        fs,
        volume,
        layout,
        kind,
        limits: limits.clone(),
        looked_up: RefCell::default(),
        listed: RefCell::default(),
        indexes: RefCell::default(),
        last_dir: RefCell::default(),
        remembered: Cell::new(0),
    })))
}

/// The raw superblock.
pub(super) struct Superblock([u8; 1024]);

impl Superblock {
    fn u16(&self, off: usize) -> u16 {
        self.0
            .get(off..off + 2)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u16::from_le_bytes)
    }

    fn u32(&self, off: usize) -> u32 {
        self.0
            .get(off..off + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_le_bytes)
    }
}

/// Checks what `ext4-view` sizes allocations by before it reads anything else: it
/// allocates one descriptor per block group up front (the count comes straight
/// from the superblock). The kernel refuses a block count beyond the device
/// ("bad geometry"), and `mke2fs` never makes groups of fewer than 256 blocks; with
/// both, the descriptor table is bounded by the volume's size.
fn check_geometry(sb: &Superblock, volume_len: u64) -> Result<()> {
    const INCOMPAT_64BIT: u32 = 0x80;
    let log = sb.u32(24);
    if log > 6 {
        return Err(Error::corrupt(format!(
            "block size 2^(10+{log}) is not between 1 KiB and 64 KiB"
        )));
    }
    let block_size = 1024u64 << log;
    let mut blocks = u64::from(sb.u32(4));
    if sb.u32(96) & INCOMPAT_64BIT != 0 {
        blocks |= u64::from(sb.u32(0x150)) << 32;
    }
    let bytes = blocks.saturating_mul(block_size);
    if bytes > volume_len {
        return Err(Error::corrupt(format!(
            "{blocks} blocks of {block_size} bytes do not fit in the volume ({volume_len} bytes)"
        )));
    }
    let per_group = sb.u32(32);
    if per_group < 256 {
        return Err(Error::corrupt(format!(
            "{per_group} blocks per group (mke2fs never makes fewer than 256)"
        )));
    }
    Ok(())
}

/// Names the flavour as `blkid` does: ext4 when a feature ext3 lacks is on, ext3
/// with a journal, ext2 otherwise.
fn flavour(compat: u32, incompat: u32, ro_compat: u32) -> &'static str {
    const HAS_JOURNAL: u32 = 0x4;
    // filetype, needs_recovery, meta_bg; sparse_super, large_file, btree_dir
    const EXT3_INCOMPAT: u32 = 0x2 | 0x4 | 0x10;
    const EXT3_RO_COMPAT: u32 = 0x1 | 0x2 | 0x4;
    if incompat & !EXT3_INCOMPAT != 0 || ro_compat & !EXT3_RO_COMPAT != 0 {
        "ext4"
    } else if compat & HAS_JOURNAL != 0 {
        "ext3"
    } else {
        "ext2"
    }
}

/// Lets `ext4-view` read the volume.
struct Reader(SharedSource);

impl Ext4Read for Reader {
    fn read(
        &mut self,
        start_byte: u64,
        dst: &mut [u8],
    ) -> std::result::Result<(), Box<dyn std::error::Error + Send + Sync + 'static>> {
        self.0.read_at(start_byte, dst).map_err(Box::from)
    }
}

/// Maps an `ext4-view` error to ours, saying what was being done.
fn map_err(e: Ext4Error, what: &str) -> Error {
    let kind = match &e {
        Ext4Error::NotFound
        | Ext4Error::NotADirectory
        | Ext4Error::IsADirectory
        | Ext4Error::IsASpecialFile
        | Ext4Error::NotASymlink => ErrorKind::NotFound,
        Ext4Error::Incompatible(_) | Ext4Error::Encrypted => ErrorKind::Unsupported,
        Ext4Error::TooManySymlinks | Ext4Error::PathTooLong | Ext4Error::FileTooLarge => {
            ErrorKind::Limit
        }
        Ext4Error::NotAbsolute | Ext4Error::MalformedPath | Ext4Error::NotUtf8 => {
            ErrorKind::Invalid
        }
        Ext4Error::Io(inner) => match inner.downcast_ref::<Error>() {
            // Our own source's error (a read past the end is Corrupt): keep its kind.
            Some(ours) => return ours.clone().context(what.to_string()),
            None => ErrorKind::Io,
        },
        _ => ErrorKind::Corrupt,
    };
    Error::new(kind, format!("{what}: {e}"))
}

/// A loaded ext filesystem.
struct ExtFs {
    fs: Ext4,
    /// The volume `ext4-view` reads, which our own reader reads too.
    volume: SharedSource,
    /// Our own view of the geometry, when our reader understands the volume at all.
    layout: Option<layout::Layout>,
    kind: &'static str,
    limits: Limits,
    /// What `symlink_metadata` said of canonical paths already looked up. The guest
    /// does not change while it is read, and `ext4-view` walks the path from the root
    /// on every call, scanning (and checksumming) each directory again: a BLS
    /// directory of 200 entries cost ~120M instructions to list without this.
    looked_up: RefCell<HashMap<Vec<u8>, Metadata>>,
    /// Directories listed by [`Filesystem::read_dir`] that our reader cannot index:
    /// canonical path → names of the regular files in it (which need no symlink
    /// check when opened through `ext4-view`).
    listed: RefCell<HashMap<Vec<u8>, HashSet<Vec<u8>>>>,
    /// Directories our reader has indexed (or failed to: `None`), by inode number.
    indexes: RefCell<HashMap<u64, Option<Rc<dir::Index>>>>,
    /// The last directory [`ExtFs::in_dir`] resolved, and its canonical path:
    /// BLS snippets are opened one after another from the same directory.
    last_dir: RefCell<Option<(String, Vec<u8>)>>,
    /// Bytes the three caches hold, within [`MAX_REMEMBERED`].
    remembered: Cell<usize>,
}

/// Bytes of paths and names held by [`ExtFs::looked_up`], [`ExtFs::listed`] and
/// [`ExtFs::indexes`] together at most (a directory cycle gives endless distinct
/// canonical paths).
const MAX_REMEMBERED: usize = 4 << 20;
/// What one remembered path or name costs besides its bytes.
const ENTRY_COST: usize = 64;

/// Builds the absolute path `/a/b/…` from canonical components.
fn join(parts: &[Vec<u8>]) -> Vec<u8> {
    let mut p = Vec::with_capacity(parts.iter().map(|c| c.len() + 1).sum::<usize>() + 1);
    for c in parts {
        p.push(b'/');
        p.extend_from_slice(c);
    }
    if p.is_empty() {
        p.push(b'/');
    }
    p
}

fn show(p: &[u8]) -> String {
    String::from_utf8_lossy(p).into_owned()
}

impl ExtFs {
    /// Runs an `ext4-view` call on a canonical path.
    fn call<T>(
        &self,
        path: &[u8],
        f: impl FnOnce(ext4_view::Path<'_>) -> std::result::Result<T, Ext4Error>,
    ) -> std::result::Result<T, Ext4Error> {
        f(ext4_view::Path::try_from(path).map_err(|_| Ext4Error::MalformedPath)?)
    }

    /// `symlink_metadata` of the canonical path `here`, remembered.
    fn lookup(&self, here: &[u8], path: &str) -> Result<Metadata> {
        if let Some(m) = self.looked_up.borrow().get(here) {
            return Ok(m.clone());
        }
        let m = self
            .call(here, |p| self.fs.symlink_metadata(p))
            .map_err(|e| map_err(e, &format!("{path}: looking up {}", show(here))))?;
        if self.spend(here.len().saturating_add(ENTRY_COST)) {
            self.looked_up.borrow_mut().insert(here.to_vec(), m.clone());
        }
        Ok(m)
    }

    /// Takes `bytes` from the caches' budget; false (nothing taken) when it is spent.
    fn spend(&self, bytes: usize) -> bool {
        let total = self.remembered.get().saturating_add(bytes);
        let ok = total <= MAX_REMEMBERED;
        if ok {
            self.remembered.set(total);
        }
        ok
    }

    /// The canonical path of the directory `path` is in, joined with its last
    /// component, which itself is not resolved (`None` for `.`, `..`, or when the
    /// directory cannot be resolved: the full resolution then names the error).
    /// Opening one file after another in the same directory resolves it once.
    fn in_dir(&self, path: &str) -> Option<Vec<u8>> {
        let (dir, name) = path.rsplit_once('/')?;
        if name.is_empty() || name == "." || name == ".." {
            return None;
        }
        // Names no ext directory can hold are left to the full resolution's error.
        if name.len() > MAX_NAME || name.contains('\0') {
            return None;
        }
        let dir = if dir.is_empty() { "/" } else { dir };
        let mut canon = match &*self.last_dir.borrow() {
            Some((d, canon)) if d == dir => canon.clone(),
            _ => {
                let (canon, meta) = self.resolve(dir).ok()?;
                if !meta.is_dir() {
                    return None;
                }
                canon
            }
        };
        if !matches!(&*self.last_dir.borrow(), Some((d, _)) if d == dir) {
            *self.last_dir.borrow_mut() = Some((dir.to_string(), canon.clone()));
        }
        if canon != b"/" {
            canon.push(b'/');
        }
        canon.extend_from_slice(name.as_bytes());
        Some(canon)
    }

    /// True when the directory of the canonical path `canon` was listed (see
    /// [`ExtFs::listed`]) and showed its last component as a regular file.
    fn listed_as_file(&self, canon: &[u8]) -> bool {
        let Some(cut) = canon.iter().rposition(|&b| b == b'/') else {
            return false;
        };
        let dir = if cut == 0 { &b"/"[..] } else { &canon[..cut] };
        let name = &canon[cut + 1..];
        self.listed
            .borrow()
            .get(dir)
            .is_some_and(|files| files.contains(name))
    }

    /// Resolves `path` inside this filesystem, following every symlink. Returns the
    /// canonical path (no symlinks, no `.`/`..`) and the metadata of what it names.
    fn resolve(&self, path: &str) -> Result<(Vec<u8>, Metadata)> {
        let max_parts = self.limits.max_path_components;
        let max_hops = self.limits.max_symlink_hops;
        let mut pending: VecDeque<Vec<u8>> = split_path(path, &self.limits)?
            .into_iter()
            .map(|c| c.as_bytes().to_vec())
            .collect();
        let mut done: Vec<Vec<u8>> = Vec::new();
        let mut hops = 0u32;
        let mut meta = self
            .lookup(b"/", path)
            .map_err(|e| e.context("reading the root directory"))?;
        while let Some(name) = pending.pop_front() {
            if name.is_empty() || name == b"." {
                continue;
            }
            if name == b".." {
                // `done` holds real directories only, so its parent is lexical.
                done.pop();
                meta = self.lookup(&join(&done), path)?;
                continue;
            }
            if !meta.is_dir() {
                return Err(Error::not_found(format!(
                    "{path}: {} is not a directory",
                    show(&join(&done))
                )));
            }
            self.check_dir_size(&meta, &join(&done))?;
            if name.len() > MAX_NAME || name.contains(&0) {
                return Err(Error::not_found(format!(
                    "{path}: {:?} cannot be an ext file name",
                    show(&name)
                )));
            }
            done.push(name);
            let here = join(&done);
            let m = self.lookup(&here, path)?;
            if m.is_symlink() {
                if m.len() > MAX_SYMLINK {
                    return Err(Error::corrupt(format!(
                        "{path}: symlink {} claims a target of {} bytes",
                        show(&here),
                        m.len()
                    )));
                }
                hops += 1;
                if hops > max_hops {
                    return Err(Error::limit(format!(
                        "{path}: more than {max_hops} symbolic links to follow (a symlink loop?)"
                    )));
                }
                let target = self
                    .call(&here, |p| self.fs.read_link(p))
                    .map_err(|e| map_err(e, &format!("{path}: reading symlink {}", show(&here))))?;
                let target: &[u8] = target.as_ref();
                if target.is_empty() {
                    return Err(Error::not_found(format!(
                        "{path}: symlink {} is empty",
                        show(&here)
                    )));
                }
                done.pop();
                if target.starts_with(b"/") {
                    done.clear(); // absolute: from this filesystem's root
                }
                let parts = target.split(|&b| b == b'/').filter(|c| !c.is_empty());
                for (i, c) in parts.enumerate() {
                    pending.insert(i, c.to_vec());
                }
                if pending.len() > max_parts {
                    return Err(Error::limit(format!(
                        "{path}: more than {max_parts} path components after following symlinks"
                    )));
                }
                meta = self.lookup(&join(&done), path)?;
                continue;
            }
            meta = m;
        }
        Ok((join(&done), meta))
    }

    /// Bounds the work of scanning a directory: a hostile extent tree can give a
    /// directory billions of blocks that all map to the same few on disk.
    fn check_dir_size(&self, meta: &Metadata, dir: &[u8]) -> Result<()> {
        let max = self.max_dir_bytes();
        if meta.len() > max {
            return Err(Error::limit(format!(
                "directory {} is {} bytes, more than {max} ({} entries)",
                show(dir),
                meta.len(),
                self.limits.max_dir_entries
            )));
        }
        Ok(())
    }

    fn what(&self, verb: &str, path: &str) -> String {
        format!("{verb} {path} on {}", self.kind)
    }

    /// Largest directory read, in bytes (see [`ExtFs::check_dir_size`]).
    fn max_dir_bytes(&self) -> u64 {
        (self.limits.max_dir_entries as u64).saturating_mul(MAX_DIRENT)
    }

    /// Opens the regular file at the canonical path `canon` with our own reader:
    /// `None` when it cannot (see the module documentation).
    fn open_extents(&self, canon: &[u8]) -> Option<ExtentReader<'_>> {
        let layout = self.layout.as_ref()?;
        let vol = self.volume.as_ref();
        let mut ino = dir::ROOT_INO;
        for name in canon.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            ino = self.index(layout, ino)?.get(name)?;
        }
        let inode = layout.inode(vol, ino)?;
        if inode.mode & S_IFMT != S_IFREG {
            return None;
        }
        let runs = extents::map(layout, vol, &inode)?;
        Some(ExtentReader {
            fs: self,
            len: inode.size,
            runs,
            run: 0,
            into_run: 0,
        })
    }

    /// True when our reader can look names up in the directory at the canonical
    /// path `canon` (so opening its files needs no listing).
    fn indexable(&self, canon: &[u8]) -> bool {
        let Some(layout) = self.layout.as_ref() else {
            return false;
        };
        let mut ino = dir::ROOT_INO;
        for name in canon.split(|&b| b == b'/').filter(|c| !c.is_empty()) {
            match self.index(layout, ino).and_then(|ix| ix.get(name)) {
                Some(next) => ino = next,
                None => return false,
            }
        }
        self.index(layout, ino).is_some()
    }

    /// The index of directory `ino`, remembered while the budget lasts (and so is a
    /// directory our reader cannot index: it is not read again).
    fn index(&self, layout: &layout::Layout, ino: u64) -> Option<Rc<dir::Index>> {
        if let Some(ix) = self.indexes.borrow().get(&ino) {
            return ix.clone();
        }
        let vol = self.volume.as_ref();
        let ix = layout
            .inode(vol, ino)
            .and_then(|inode| dir::read(layout, vol, &inode, self.max_dir_bytes()))
            .map(Rc::new);
        let cost = ix.as_ref().map_or(0, |ix| ix.cost());
        if self.spend(cost.saturating_add(ENTRY_COST)) {
            self.indexes.borrow_mut().insert(ino, ix.clone());
        }
        ix
    }
}

/// File type bits of `i_mode`, and the regular-file type.
const S_IFMT: u16 = 0xF000;
const S_IFREG: u16 = 0x8000;

fn kind_of(t: ext4_view::FileType) -> FileKind {
    if t.is_regular_file() {
        FileKind::File
    } else if t.is_dir() {
        FileKind::Dir
    } else if t.is_symlink() {
        FileKind::Symlink
    } else {
        FileKind::Other
    }
}

impl Filesystem for ExtFs {
    fn kind(&self) -> &'static str {
        self.kind
    }

    fn uuid(&self) -> Option<String> {
        let uuid = self.fs.uuid();
        (uuid.as_bytes() != &[0u8; 16]).then(|| uuid.to_string())
    }

    fn label(&self) -> Option<String> {
        let label = self.fs.label().display().to_string();
        (!label.is_empty()).then_some(label)
    }

    fn stat(&self, path: &str) -> Result<Stat> {
        no_panic(&self.what("looking up", path), || {
            let (_, meta) = self.resolve(path)?;
            Ok(Stat {
                kind: kind_of(meta.file_type()),
                len: meta.len(),
            })
        })
    }

    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>> {
        let what = self.what("listing", path);
        no_panic(&what, || {
            let (canon, meta) = self.resolve(path)?;
            if !meta.is_dir() {
                return Err(Error::not_found(format!("{path} is not a directory")));
            }
            self.check_dir_size(&meta, &canon)?;
            let iter = self
                .call(&canon, |p| self.fs.read_dir(p))
                .map_err(|e| map_err(e, &what))?;
            let max = self.limits.max_dir_entries;
            let mut out = Vec::new();
            let mut files = HashSet::new();
            // Only needed where our own reader cannot open the files (see `open`).
            let remember = !self.indexable(&canon);
            for entry in iter {
                let entry = entry.map_err(|e| map_err(e, &what))?;
                let name = entry.file_name();
                let name: &[u8] = name.as_ref();
                if name == b"." || name == b".." {
                    continue;
                }
                if out.len() >= max {
                    return Err(Error::limit(format!(
                        "{path}: more than {max} directory entries"
                    )));
                }
                let kind = kind_of(entry.file_type().map_err(|e| map_err(e, &what))?);
                // The entry's type byte is the guest's word; only the inode may
                // vouch that opening the name follows no symlink.
                if remember
                    && kind == FileKind::File
                    && entry
                        .metadata()
                        .is_ok_and(|m| m.file_type().is_regular_file())
                {
                    files.insert(name.to_vec());
                }
                out.push(DirEntry {
                    name: show(name),
                    kind,
                });
            }
            let cost = files.iter().fold(canon.len(), |n, f| {
                n.saturating_add(f.len()).saturating_add(ENTRY_COST)
            });
            if remember && !self.listed.borrow().contains_key(&canon) && self.spend(cost) {
                self.listed.borrow_mut().insert(canon, files);
            }
            Ok(out)
        })
    }

    fn open<'a>(&'a self, path: &str) -> Result<Box<dyn FileReader + 'a>> {
        let what = self.what("reading", path);
        no_panic(&what, || {
            // A regular file our reader finds in the (resolved) directory, or one a
            // listing showed there, needs no symlink check.
            let quick = self.in_dir(path);
            if let Some(r) = quick.as_deref().and_then(|c| self.open_extents(c)) {
                return Ok(Box::new(r) as Box<dyn FileReader + 'a>);
            }
            let canon = match quick.as_ref().filter(|c| self.listed_as_file(c)) {
                Some(canon) => canon.clone(),
                None => {
                    let (canon, meta) = self.resolve(path)?;
                    if !meta.file_type().is_regular_file() {
                        return Err(Error::not_found(format!(
                            "{path} is not a regular file (it is a {:?})",
                            kind_of(meta.file_type())
                        )));
                    }
                    canon
                }
            };
            // Through a symlink the file may be one our reader can open after all.
            if quick.as_ref() != Some(&canon) {
                if let Some(r) = self.open_extents(&canon) {
                    return Ok(Box::new(r) as Box<dyn FileReader + 'a>);
                }
            }
            let file = self
                .call(&canon, |p| self.fs.open(p))
                .map_err(|e| map_err(e, &what))?;
            Ok(Box::new(ExtReader {
                len: file.metadata().len(),
                file,
                what: what.clone(),
            }) as Box<dyn FileReader + 'a>)
        })
    }
}

/// A file streamed through `ext4-view`.
struct ExtReader {
    file: ext4_view::File,
    len: u64,
    what: String,
}

impl FileReader for ExtReader {
    fn len(&self) -> u64 {
        self.len
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let (file, what) = (&mut self.file, &self.what);
        // ext4-view returns at most one block per call; fill the caller's buffer.
        no_panic(what, || {
            super::fill(buf, |rest| {
                file.read_bytes(rest).map_err(|e| map_err(e, what))
            })
        })
    }
}

/// A file read by our own reader: `runs` are its bytes' `(offset in the volume,
/// length)` ranges, in file order.
struct ExtentReader<'a> {
    fs: &'a ExtFs,
    len: u64,
    runs: Vec<(u64, u64)>,
    /// The run the next byte is in, and how far into it.
    run: usize,
    into_run: u64,
}

impl FileReader for ExtentReader<'_> {
    fn len(&self) -> u64 {
        self.len
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut done = 0usize;
        while let Some(&(at, len)) = self.runs.get(self.run) {
            let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) else {
                break;
            };
            let left = len - self.into_run;
            let n = rest.len().min(usize::try_from(left).unwrap_or(usize::MAX));
            self.fs.volume.read_at(at + self.into_run, &mut rest[..n])?;
            done += n;
            self.into_run += n as u64;
            if self.into_run == len {
                self.run += 1;
                self.into_run = 0;
            }
        }
        Ok(done)
    }

    fn host_runs(&self) -> Option<HostRuns<'_>> {
        let (file, base) = self.fs.volume.host_file()?;
        let runs = self
            .runs
            .iter()
            .map(|&(at, len)| Some((base.checked_add(at)?, len)))
            .collect::<Option<Vec<_>>>()?;
        Some(HostRuns { file, runs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavour_follows_blkid() {
        assert_eq!(flavour(0, 0x2, 0x3), "ext2");
        assert_eq!(flavour(0x4, 0x2, 0x3), "ext3");
        assert_eq!(flavour(0x4, 0x2 | 0x40, 0x3), "ext4");
        assert_eq!(flavour(0x4, 0x2, 0x3 | 0x400), "ext4");
    }

    #[test]
    fn join_builds_absolute_paths() {
        assert_eq!(join(&[]), b"/");
        assert_eq!(join(&[b"boot".to_vec(), b"grub".to_vec()]), b"/boot/grub");
    }

    #[test]
    fn errors_map_to_our_kinds() {
        assert_eq!(
            map_err(Ext4Error::NotFound, "x").kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            map_err(Ext4Error::Encrypted, "x").kind(),
            ErrorKind::Unsupported
        );
        let io = Ext4Error::Io(Box::new(Error::corrupt("read beyond the end")));
        let e = map_err(io, "loading");
        assert_eq!(e.kind(), ErrorKind::Corrupt);
        assert_eq!(e.to_string(), "loading: read beyond the end");
    }
}
