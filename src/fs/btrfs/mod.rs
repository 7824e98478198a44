//! btrfs, single device, read-only, through the `lambutter` crate.
//!
//! # Decision: `lambutter` =0.5.0, wrapped, rather than our own reader
//!
//! `lambutter` 0.5.0 (MIT OR Apache-2.0, `no_std`, Lamco Development LLC, ~5,400
//! lines, one vendor, young) was read in full before it was taken. It covers
//! everything the issue asks of btrfs: the superblock copies with their CRC-32C,
//! the `sys_chunk_array` bootstrap and the chunk tree (SINGLE, DUP, RAID1/1C3/1C4
//! read from the first stripe on this device; RAID0/5/6/10 refused with a typed
//! error), CRC-32C of every tree node read, tree depth bounded, the root tree and
//! the default subvolume (the `default` dir item, else FS_TREE 5), subvolumes
//! crossed by path (a dir entry whose location is a ROOT_ITEM, linked by a
//! ROOT_REF), dir items by name hash with collision walk, dir index for listings,
//! inline/regular/prealloc extents, holes (explicit and NO_HOLES), compressed
//! extents in zlib (`miniz_oxide`), zstd (`ruzstd`) and btrfs's segmented LZO
//! (`lzokay`, decompressor only), each decoded extent capped at 16 MiB.
//! Other checksum types (xxhash, sha256, blake2) and encrypted names are refused.
//! Its own code has no `unsafe` and propagates errors rather than unwrapping, but
//! some offset arithmetic is unchecked (`extent_start + 1`, `offset + written`):
//! a hostile image could overflow it, so every call goes through
//! [`no_panic`](super::no_panic). Writing the same reader here (chunk tree, B-tree,
//! three decompressors, LZO1X) would have been ~3,000 lines of new parser against
//! the time available, with no advantage over a reader we wrap, pin exactly and
//! fuzz as if it were ours (`fuzz/fuzz_targets/btrfs.rs`).
//!
//! What this wrapper adds: symlink resolution with
//! [`Limits::max_symlink_hops`] (lambutter never follows links), `..`, the bound on
//! listings, UUID and label from the primary superblock, streaming reads, and our
//! error kinds. Paths are resolved component by component; the crate is only ever
//! handed canonical paths free of symlinks. Absolute link targets restart at the
//! root of the default subvolume (what the guest sees mounted at `/`).
//!
//! Checked: `tests/fs_btrfs.rs` (real `mkfs.btrfs` images; compressed extents,
//! holes, prealloc and a subvolume crafted into them, since btrfs-progs 6.2 cannot
//! make those without a mount), and, once by hand, the crate's own kernel-made
//! fixture images (zlib, lzo, zstd, NO_HOLES, DUP, symlinks) read through this
//! module with every file's SHA-256 as expected.
//!
//! Limits of the crate, known: a directory listing is built whole before our
//! `max_dir_entries` bound applies (it is bounded by the tree size); a read walks
//! the file's extent items from offset 0 each call (cheap for `/boot` files); a
//! decompressed extent is capped at 16 MiB, not at btrfs's 128 KiB; every path
//! lookup starts from the subvolume root, so resolving a path costs a lookup per
//! prefix (bounded by `max_path_components` and `max_symlink_hops`); `ruzstd`
//! and `lzokay` contain `unsafe` of their own (ring buffer, compressor).

mod superblock;

use super::{no_panic, DirEntry, FileKind, FileReader, Filesystem, Stat};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;
use crate::source::SharedSource;
use lambutter::{BlockRead, Btrfs, Inode, Metadata, Path};
use std::cell::RefCell;
use superblock::Superblock;

/// Longest symlink target followed (Linux's PATH_MAX).
const MAX_SYMLINK: usize = 4096;
/// Linux file type bits of an inode mode.
const S_IFMT: u32 = 0o170_000;

/// Returns the btrfs filesystem on `volume` when its primary superblock has the
/// btrfs magic.
pub fn probe(volume: SharedSource, limits: &Limits) -> Result<Option<Box<dyn Filesystem>>> {
    let Some(sb) = Superblock::read(&volume)? else {
        return Ok(None);
    };
    let fs = BtrfsFs::open(volume, sb, limits).map_err(|e| e.context("opening btrfs"))?;
    Ok(Some(Box::new(fs)))
}

/// Hands `lambutter` our byte source.
struct Reader(SharedSource);

impl BlockRead for Reader {
    type Error = Error;

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.0.read_at(offset, buf)
    }
}

/// A btrfs filesystem opened at its default subvolume.
struct BtrfsFs {
    fs: RefCell<Btrfs<Reader>>,
    sb: Superblock,
    volume_len: u64,
    limits: Limits,
}

/// A path resolved to its inode: the canonical path (no symlinks, no `..`) the
/// crate is handed, and the inode's metadata.
struct Resolved {
    path: Vec<u8>,
    inode: Inode,
    meta: Metadata,
}

impl Resolved {
    fn kind(&self) -> FileKind {
        kind_of(self.meta.mode)
    }
}

fn kind_of(mode: u32) -> FileKind {
    match mode & S_IFMT {
        0o100_000 => FileKind::File,
        0o040_000 => FileKind::Dir,
        0o120_000 => FileKind::Symlink,
        _ => FileKind::Other,
    }
}

/// The kind of a dir entry from its `BTRFS_FT_*` type byte.
fn kind_of_ft(ft: u8) -> FileKind {
    match ft {
        1 => FileKind::File,
        2 => FileKind::Dir,
        7 => FileKind::Symlink,
        _ => FileKind::Other,
    }
}

/// Maps a `lambutter` error to ours; `volume_len` tells a read past the end of
/// the volume (a corrupt address) from an I/O failure.
fn map_err(e: &lambutter::Error, volume_len: u64, what: &str) -> Error {
    use lambutter::Error as L;
    let kind = match e {
        L::Io { offset, .. } if *offset < volume_len => ErrorKind::Io,
        L::NotFound | L::NotARegularFile | L::NotASymlink | L::NotASubvolume => ErrorKind::NotFound,
        L::UnsupportedFeature(_) | L::UnsupportedProfile(_) | L::UnsupportedChecksum(_) => {
            ErrorKind::Unsupported
        }
        L::OutOfMemory { .. } => ErrorKind::Limit,
        _ => ErrorKind::Corrupt,
    };
    Error::new(kind, format!("{what}: {e}"))
}

impl BtrfsFs {
    fn open(volume: SharedSource, sb: Superblock, limits: &Limits) -> Result<BtrfsFs> {
        let volume_len = volume.len();
        let fs = no_panic("btrfs: mounting", || {
            Btrfs::open(Reader(volume), volume_len)
                .map_err(|e| map_err(&e, volume_len, "cannot mount this btrfs filesystem"))
        })?;
        let this = BtrfsFs {
            fs: RefCell::new(fs),
            sb,
            volume_len,
            limits: limits.clone(),
        };
        let root = this.resolve("/", true)?;
        if root.kind() != FileKind::Dir {
            return Err(Error::corrupt(
                "the default subvolume's root is not a directory",
            ));
        }
        Ok(this)
    }

    /// Runs `f` on the crate with panics and errors mapped; `what` names the
    /// operation in errors.
    fn with<T>(
        &self,
        what: &str,
        f: impl FnOnce(&mut Btrfs<Reader>) -> lambutter::Result<T>,
    ) -> Result<T> {
        no_panic(what, || {
            let mut fs = self
                .fs
                .try_borrow_mut()
                .map_err(|_| Error::invalid("btrfs: re-entrant use of the filesystem"))?;
            f(&mut fs).map_err(|e| map_err(&e, self.volume_len, what))
        })
    }

    /// Looks up the canonical `path` (which holds no symlinks) with its metadata.
    fn lookup(&self, path: &[u8]) -> Result<Resolved> {
        let shown = String::from_utf8_lossy(path).into_owned();
        let p = Path::new(path).ok_or_else(|| Error::invalid(format!("{shown:?} is relative")))?;
        let what = format!("btrfs: looking up {shown}");
        let inode = self.with(&what, |fs| fs.resolve(p))?;
        let meta = self.with(&what, |fs| fs.metadata(&inode))?;
        Ok(Resolved {
            path: path.to_vec(),
            inode,
            meta,
        })
    }

    /// Resolves absolute `path`, following symlinks on the way and, when
    /// `follow_last`, at its end.
    fn resolve(&self, path: &str, follow_last: bool) -> Result<Resolved> {
        self.resolve_inner(path, follow_last)
            .map_err(|e| e.context(format!("btrfs: resolving {path}")))
    }

    fn resolve_inner(&self, path: &str, follow_last: bool) -> Result<Resolved> {
        if !path.starts_with('/') {
            return Err(Error::invalid(format!("{path:?} is not an absolute path")));
        }
        let max = self.limits.max_path_components;
        let mut todo: Vec<Vec<u8>> = Vec::new();
        super::push_components(&mut todo, path.as_bytes(), max, path)?;
        // The canonical components walked so far.
        let mut done: Vec<Vec<u8>> = Vec::new();
        let mut cur = self.lookup(b"/")?;
        let mut hops = 0u32;
        while let Some(name) = todo.pop() {
            if name == b".." {
                done.pop();
                cur = self.lookup(&join(&done))?;
                continue;
            }
            if cur.kind() != FileKind::Dir {
                return Err(Error::not_found(format!(
                    "{} is not a directory",
                    String::from_utf8_lossy(&cur.path)
                )));
            }
            done.push(name);
            if done.len() > max {
                return Err(Error::limit(format!("more than {max} path components")));
            }
            let child = self.lookup(&join(&done))?;
            if child.kind() == FileKind::Symlink && (follow_last || !todo.is_empty()) {
                hops += 1;
                if hops > self.limits.max_symlink_hops {
                    return Err(Error::limit(format!(
                        "more than {} symbolic links followed (a symlink loop?)",
                        self.limits.max_symlink_hops
                    )));
                }
                let target = self.link_target(&child)?;
                done.pop();
                if target.first() == Some(&b'/') {
                    done.clear();
                }
                super::push_components(&mut todo, &target, max, path)?;
                cur = self.lookup(&join(&done))?;
                continue;
            }
            cur = child;
        }
        Ok(cur)
    }

    /// The target of symlink `link`, at most [`MAX_SYMLINK`] bytes.
    fn link_target(&self, link: &Resolved) -> Result<Vec<u8>> {
        if link.meta.size > MAX_SYMLINK as u64 || link.meta.size == 0 {
            return Err(Error::corrupt(format!(
                "symlink {} has a target of {} bytes",
                String::from_utf8_lossy(&link.path),
                link.meta.size
            )));
        }
        let p =
            Path::new(&link.path).ok_or_else(|| Error::invalid("symlink path is not absolute"))?;
        let target = self.with("btrfs: reading a symlink", |fs| fs.read_link(p))?;
        if target.is_empty() || target.len() > MAX_SYMLINK {
            return Err(Error::corrupt(format!(
                "symlink {} has a target of {} bytes",
                String::from_utf8_lossy(&link.path),
                target.len()
            )));
        }
        Ok(target)
    }
}

/// The absolute path of `parts`.
fn join(parts: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in parts {
        out.push(b'/');
        out.extend_from_slice(p);
    }
    if out.is_empty() {
        out.push(b'/');
    }
    out
}

impl Filesystem for BtrfsFs {
    fn kind(&self) -> &'static str {
        "btrfs"
    }

    fn uuid(&self) -> Option<String> {
        Some(self.sb.uuid())
    }

    fn label(&self) -> Option<String> {
        self.sb.label()
    }

    fn stat(&self, path: &str) -> Result<Stat> {
        let r = self.resolve(path, true)?;
        Ok(Stat {
            kind: r.kind(),
            len: r.meta.size,
        })
    }

    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>> {
        let dir = self.resolve(path, true)?;
        if dir.kind() != FileKind::Dir {
            return Err(Error::not_found(format!(
                "btrfs: {path} is not a directory"
            )));
        }
        let p = Path::new(&dir.path).ok_or_else(|| Error::invalid("path is not absolute"))?;
        let what = format!("btrfs: listing {path}");
        let entries = self.with(&what, |fs| fs.read_dir(p))?;
        let max = self.limits.max_dir_entries;
        if entries.len() > max {
            return Err(Error::limit(format!(
                "btrfs: {path} has more than {max} entries"
            )));
        }
        Ok(entries
            .into_iter()
            .map(|e| DirEntry {
                name: String::from_utf8_lossy(&e.name).into_owned(),
                kind: kind_of_ft(e.kind_byte),
            })
            .collect())
    }

    fn open<'a>(&'a self, path: &str) -> Result<Box<dyn FileReader + 'a>> {
        let r = self.resolve(path, true)?;
        if r.kind() != FileKind::File {
            return Err(Error::not_found(format!(
                "btrfs: {path} is not a regular file"
            )));
        }
        Ok(Box::new(File {
            fs: self,
            path: path.to_string(),
            inode: r.inode,
            len: r.meta.size,
            pos: 0,
        }))
    }
}

/// A regular file opened for sequential reading.
struct File<'a> {
    fs: &'a BtrfsFs,
    path: String,
    inode: Inode,
    len: u64,
    pos: u64,
}

impl FileReader for File<'_> {
    fn len(&self) -> u64 {
        self.len
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        let rest = self.len.saturating_sub(self.pos);
        let want = usize::try_from(rest).map_or(buf.len(), |r| r.min(buf.len()));
        let Some(dst) = buf.get_mut(..want) else {
            return Ok(0);
        };
        if dst.is_empty() {
            return Ok(0);
        }
        let (inode, pos) = (self.inode, self.pos);
        let what = format!("btrfs: reading {} at byte {pos}", self.path);
        let n = self
            .fs
            .with(&what, |fs| fs.read_file_at(&inode, pos, dst))?;
        if n == 0 || n > want {
            return Err(Error::corrupt(format!(
                "{what}: the file's extents end before its size of {} bytes",
                self.len
            )));
        }
        self.pos = pos.saturating_add(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_and_components() {
        assert_eq!(join(&[]), b"/");
        assert_eq!(join(&[b"a".to_vec(), b"b".to_vec()]), b"/a/b");
        let mut todo = Vec::new();
        crate::fs::push_components(&mut todo, b"/a//./b/", 8, "x").unwrap();
        assert_eq!(todo, vec![b"b".to_vec(), b"a".to_vec()]);
        let e = crate::fs::push_components(&mut todo, b"/1/2/3/4/5/6/7", 8, "x").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Limit);
    }

    #[test]
    fn kinds() {
        assert_eq!(kind_of(0o100_644), FileKind::File);
        assert_eq!(kind_of(0o040_755), FileKind::Dir);
        assert_eq!(kind_of(0o120_777), FileKind::Symlink);
        assert_eq!(kind_of(0o020_600), FileKind::Other);
        assert_eq!(kind_of_ft(7), FileKind::Symlink);
        assert_eq!(kind_of_ft(3), FileKind::Other);
    }
}
