//! ISO 9660 (ECMA-119), read-only, with Rock Ridge and Joliet.
//!
//! The namespace is chosen as Linux and GRUB choose it: Rock Ridge when the root's
//! `.` record starts with `SP`, else the Joliet tree when a Joliet supplementary
//! descriptor exists, else plain ISO names (version suffix `;1` and a trailing `.`
//! stripped, shown in lower case and matched case-insensitively as Linux's
//! `map=normal` does). Files may span several records (multi-extent); Rock Ridge
//! relocated directories (`CL`/`RE`) appear at their original place.
//!
//! Every number read from the image is hostile: both-endian fields are read through
//! their little-endian half, extents are checked against the volume, and all loops
//! (descriptors, records, continuation areas, symlink hops) are bounded.

mod dir;
mod file;
mod names;
mod rock;
mod volume;

pub use volume::has_iso_magic;

use super::{DirEntry, FileKind, FileReader, Filesystem, Stat};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::source::SharedSource;
use dir::Record;
use std::ops::ControlFlow;

/// Bytes per logical sector and block (only 2048-byte blocks are supported).
pub(super) const SECTOR: usize = 2048;

fn field<const N: usize>(b: &[u8], at: usize, what: &str) -> Result<[u8; N]> {
    at.checked_add(N)
        .and_then(|end| b.get(at..end))
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| Error::corrupt(format!("{what}: field at byte {at} is out of bounds")))
}

/// Little-endian u16 at `at` of `b` (the first half of a both-endian field).
fn le16(b: &[u8], at: usize, what: &str) -> Result<u16> {
    field(b, at, what).map(u16::from_le_bytes)
}

/// Little-endian u32 at `at` of `b` (the first half of a both-endian field).
fn le32(b: &[u8], at: usize, what: &str) -> Result<u32> {
    field(b, at, what).map(u32::from_le_bytes)
}

/// Which directory tree and names are used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Names {
    /// Rock Ridge on the primary tree; system use areas skip this many bytes.
    Rock { skip: usize },
    /// The Joliet tree (UCS-2 big-endian names).
    Joliet,
    /// Plain ISO 9660 names on the primary tree.
    Plain,
}

/// A file, directory or symlink: its records (several for a multi-extent file).
#[derive(Clone, Debug)]
struct Node {
    kind: FileKind,
    records: Vec<Record>,
    target: Option<Vec<u8>>,
}

impl Node {
    fn size(&self) -> Result<u64> {
        self.records.iter().try_fold(0u64, |sum, r| {
            sum.checked_add(u64::from(r.len))
                .ok_or_else(|| Error::corrupt("multi-extent file size overflows"))
        })
    }

    fn dir_record(&self) -> Result<&Record> {
        self.records
            .first()
            .ok_or_else(|| Error::corrupt("directory without a record"))
    }
}

/// One named entry of a directory.
struct Entry {
    name: String,
    /// The name must match exactly (Rock Ridge); otherwise case-insensitively.
    exact: bool,
    node: Node,
}

/// An ISO 9660 filesystem opened read-only.
pub struct Iso {
    src: SharedSource,
    limits: Limits,
    names: Names,
    root: Record,
    volume_id: String,
    date: Option<[u8; 16]>,
}

/// Returns the ISO 9660 filesystem on `volume` when sector 16 holds `CD001`.
pub fn probe(volume: SharedSource, limits: &Limits) -> Result<Option<Box<dyn Filesystem>>> {
    if !has_iso_magic(volume.as_ref()) {
        return Ok(None);
    }
    let fs = Iso::open(volume, limits).map_err(|e| e.context("opening ISO 9660"))?;
    Ok(Some(Box::new(fs)))
}

impl Iso {
    /// Opens the ISO 9660 filesystem on `src`: reads the descriptor set and picks the
    /// namespace (Rock Ridge, Joliet or plain).
    pub fn open(src: SharedSource, limits: &Limits) -> Result<Iso> {
        let desc = volume::read(src.as_ref())?;
        let mut iso = Iso {
            src,
            limits: limits.clone(),
            names: Names::Plain,
            root: desc.primary_root.clone(),
            volume_id: desc.volume_id,
            date: desc.date,
        };
        let mut dot = None;
        dir::walk(&iso, &desc.primary_root, &mut |r| {
            dot = Some(r);
            Ok(ControlFlow::Break(()))
        })
        .map_err(|e| e.context("reading the root directory"))?;
        let dot = dot.ok_or_else(|| Error::corrupt("the root directory is empty"))?;
        if let Some(skip) = rock::sp_skip(&dot.system_use) {
            iso.names = Names::Rock { skip };
        } else if let Some(j) = desc.joliet_root {
            iso.names = Names::Joliet;
            iso.root = j;
        }
        iso.check_extent(&iso.root)?;
        Ok(iso)
    }

    /// Fails when the extent of `r` does not lie inside the volume.
    fn check_extent(&self, r: &Record) -> Result<()> {
        let end = r.byte().checked_add(u64::from(r.len));
        match end {
            Some(end) if end <= self.src.len() => Ok(()),
            _ => Err(Error::corrupt(format!(
                "extent of {} bytes at block {} ends beyond the volume ({} bytes)",
                r.len,
                r.lba,
                self.src.len()
            ))),
        }
    }

    /// The entries of directory `dir`, without `.`, `..` and relocation placeholders.
    fn list(&self, dir: &Record) -> Result<Vec<Entry>> {
        let mut out = Vec::new();
        let mut pending: Vec<Record> = Vec::new();
        let mut err = None;
        dir::walk(self, dir, &mut |r| {
            if r.is_dot() {
                return Ok(ControlFlow::Continue(()));
            }
            if r.continues() {
                pending.push(r);
                return Ok(ControlFlow::Continue(()));
            }
            let mut records = std::mem::take(&mut pending);
            records.push(r);
            match self.entry(records) {
                Ok(Some(e)) => out.push(e),
                Ok(None) => {}
                Err(e) => {
                    err = Some(e);
                    return Ok(ControlFlow::Break(()));
                }
            }
            Ok(ControlFlow::Continue(()))
        })?;
        if let Some(e) = err {
            return Err(e);
        }
        if !pending.is_empty() {
            return Err(Error::corrupt(format!(
                "directory at block {}: a multi-extent file has no final record",
                dir.lba
            )));
        }
        Ok(out)
    }

    /// Builds the entry of one file from its records (first record holds the name).
    fn entry(&self, records: Vec<Record>) -> Result<Option<Entry>> {
        let first = records
            .first()
            .ok_or_else(|| Error::corrupt("entry without records"))?;
        let flag_kind = if first.is_dir() {
            FileKind::Dir
        } else {
            FileKind::File
        };
        let (name, exact, mut kind, target, mut records) = match self.names {
            Names::Plain => (names::plain(&first.name), false, flag_kind, None, records),
            Names::Joliet => (names::joliet(&first.name), false, flag_kind, None, records),
            Names::Rock { skip } => {
                let rr = rock::parse(self, &first.system_use, skip)?;
                if rr.relocated {
                    return Ok(None);
                }
                let kind = match rr.file_type {
                    Some(rock::S_IFDIR) => FileKind::Dir,
                    Some(rock::S_IFREG) => FileKind::File,
                    Some(rock::S_IFLNK) => FileKind::Symlink,
                    Some(_) => FileKind::Other,
                    None if rr.symlink.is_some() => FileKind::Symlink,
                    None => flag_kind,
                };
                let (name, exact) = match rr.name {
                    Some(n) => (String::from_utf8_lossy(&n).into_owned(), true),
                    None => (names::plain(&first.name), false),
                };
                let records = match rr.child_link {
                    Some(block) => vec![self.relocated_dir(block)?],
                    None => records,
                };
                (name, exact, kind, rr.symlink, records)
            }
        };
        if records.first().is_some_and(Record::is_dir) && kind != FileKind::Symlink {
            kind = FileKind::Dir;
        }
        if kind == FileKind::Symlink && target.is_none() {
            kind = FileKind::Other;
        }
        if kind == FileKind::Dir {
            records.truncate(1);
        }
        for r in &records {
            self.check_extent(r)?;
        }
        Ok(Some(Entry {
            name,
            exact,
            node: Node {
                kind,
                records,
                target,
            },
        }))
    }

    /// The `.` record of the directory relocated to `block` (Rock Ridge `CL`).
    fn relocated_dir(&self, block: u32) -> Result<Record> {
        let mut buf = vec![0u8; SECTOR];
        self.src
            .read_at(u64::from(block) * SECTOR as u64, &mut buf)
            .map_err(|e| e.context(format!("reading relocated directory at block {block}")))?;
        let dot = Record::parse(&buf)?;
        if !dot.is_dot() || !dot.is_dir() || dot.lba != block {
            return Err(Error::corrupt(format!(
                "Rock Ridge child link to block {block} does not lead to a directory"
            )));
        }
        Ok(dot)
    }

    /// Finds `name` in directory `dir`.
    fn lookup(&self, dir: &Record, name: &str) -> Result<Option<Node>> {
        let entries = self.list(dir)?;
        if let Some(e) = entries.iter().find(|e| e.name == name) {
            return Ok(Some(e.node.clone()));
        }
        let folded = name.to_lowercase();
        Ok(entries
            .into_iter()
            .find(|e| !e.exact && e.name.to_lowercase() == folded)
            .map(|e| e.node))
    }

    /// Resolves absolute `path`, following symlinks on the way and, when
    /// `follow_last`, at the end.
    fn resolve(&self, path: &str, follow_last: bool) -> Result<Node> {
        let max_parts = self.limits.max_path_components;
        let mut todo: Vec<String> = Vec::new();
        if !path.starts_with('/') {
            return Err(Error::invalid(format!("{path:?} is not an absolute path")));
        }
        push_components(&mut todo, path, max_parts, path)?;
        let root = Node {
            kind: FileKind::Dir,
            records: vec![self.root.clone()],
            target: None,
        };
        let mut cur = root.clone();
        let mut parents: Vec<Node> = Vec::new();
        let mut hops = 0u32;
        while let Some(name) = todo.pop() {
            if name == ".." {
                if let Some(p) = parents.pop() {
                    cur = p;
                }
                continue;
            }
            if cur.kind != FileKind::Dir {
                return Err(Error::not_found(format!(
                    "{path}: a component before {name:?} is not a directory"
                )));
            }
            let Some(child) = self.lookup(cur.dir_record()?, &name)? else {
                return Err(Error::not_found(format!("{path}: no entry {name:?}")));
            };
            if child.kind == FileKind::Symlink && (follow_last || !todo.is_empty()) {
                hops += 1;
                if hops > self.limits.max_symlink_hops {
                    return Err(Error::limit(format!(
                        "{path}: more than {} symbolic links followed (a symlink loop?)",
                        self.limits.max_symlink_hops
                    )));
                }
                let target = String::from_utf8_lossy(child.target.as_deref().unwrap_or_default())
                    .into_owned();
                if target.starts_with('/') {
                    parents.clear();
                    cur = root.clone();
                }
                push_components(&mut todo, &target, max_parts, path)?;
                continue;
            }
            parents.push(cur);
            cur = child;
        }
        Ok(cur)
    }

    fn resolve_ctx(&self, path: &str) -> Result<Node> {
        self.resolve(path, true)
            .map_err(|e| e.context(format!("iso9660: looking up {path}")))
    }
}

/// Pushes the components of `path` onto `todo` (which holds them last first).
fn push_components(todo: &mut Vec<String>, path: &str, max: usize, whole: &str) -> Result<()> {
    let parts: Vec<&str> = path
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    if todo.len().saturating_add(parts.len()) > max {
        return Err(Error::limit(format!(
            "{whole}: more than {max} path components"
        )));
    }
    todo.extend(parts.into_iter().rev().map(str::to_string));
    Ok(())
}

impl Filesystem for Iso {
    fn kind(&self) -> &'static str {
        "iso9660"
    }

    fn uuid(&self) -> Option<String> {
        self.date.as_ref().map(volume::uuid)
    }

    fn label(&self) -> Option<String> {
        (!self.volume_id.is_empty()).then(|| self.volume_id.clone())
    }

    fn stat(&self, path: &str) -> Result<Stat> {
        let node = self.resolve_ctx(path)?;
        let len = if node.kind == FileKind::File {
            node.size()?
        } else {
            0
        };
        Ok(Stat {
            kind: node.kind,
            len,
        })
    }

    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>> {
        let node = self.resolve_ctx(path)?;
        if node.kind != FileKind::Dir {
            return Err(Error::not_found(format!(
                "iso9660: {path} is not a directory"
            )));
        }
        let entries = self
            .list(node.dir_record()?)
            .map_err(|e| e.context(format!("iso9660: listing {path}")))?;
        Ok(entries
            .into_iter()
            .map(|e| DirEntry {
                name: e.name,
                kind: e.node.kind,
            })
            .collect())
    }

    fn open<'a>(&'a self, path: &str) -> Result<Box<dyn FileReader + 'a>> {
        let node = self.resolve_ctx(path)?;
        if node.kind != FileKind::File {
            return Err(Error::not_found(format!(
                "iso9660: {path} is not a regular file"
            )));
        }
        Ok(Box::new(file::File::new(self, &node.records)?))
    }
}
