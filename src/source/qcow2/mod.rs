//! qcow2 images (versions 2 and 3), read-only: the virtual disk seen through the
//! active L1/L2 tables (plain or extended with subclusters), with zero, unallocated
//! and zlib-compressed clusters, and backing files only when the caller allows them.
//! Snapshots and refcounts are not needed for reading and are ignored; zstd
//! compression, encryption and external data files are refused with a clear error.

mod header;
mod inflate;
mod table;

pub use header::{has_magic, Header};

use super::{check_range, ByteSource, FileSource, SharedSource};
use crate::error::{Error, Result};
use crate::limits::{QCOW2_CACHE_BYTES, QCOW2_MAX_BACKING_DEPTH};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use table::{L2Cache, Mapping};

/// Largest active L1 table read (qemu's own bound: 32 MiB of entries).
const MAX_L1_BYTES: u64 = 32 << 20;

/// Whether backing files may be opened, and how deep the chain may go from here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backing {
    /// An image with a backing file is refused (the default of the library).
    Refuse,
    /// Backing files are opened (relative names against the image's directory), at
    /// most this many more levels deep.
    Allow {
        /// Levels of backing files still allowed below this image.
        depth_left: u32,
    },
}

impl Backing {
    /// The policy for a top image: `allow` as the caller chose, with the library's
    /// chain depth bound.
    pub fn from_flag(allow: bool) -> Self {
        if allow {
            Backing::Allow {
                depth_left: QCOW2_MAX_BACKING_DEPTH,
            }
        } else {
            Backing::Refuse
        }
    }
}

/// The virtual disk of a qcow2 image.
pub struct Qcow2Source {
    file: SharedSource,
    header: Header,
    l1: Vec<u64>,
    l2_cache: L2Cache,
    /// The last clusters inflated: (host offset, bytes).
    inflated: Mutex<Vec<(u64, Arc<[u8]>)>>,
    backing: Option<SharedSource>,
}

impl std::fmt::Debug for Qcow2Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Qcow2Source")
            .field("header", &self.header)
            .field("backing", &self.backing.is_some())
            .finish()
    }
}

/// An image file opened by [`open_path`] or [`open_file`].
pub struct Opened {
    /// The bytes of the disk: the file itself, or a qcow2 image's virtual disk.
    pub source: SharedSource,
    /// What was found (the qcow2 format and its state), for reports.
    pub notes: Vec<String>,
}

/// Opens the image file at `path`: a qcow2 image (found by its magic) as its virtual
/// disk, anything else as raw bytes.
pub fn open_path(path: &Path, backing: Backing) -> Result<Opened> {
    open_file(FileSource::open(path)?, backing)
}

/// [`open_path`] for a file already opened (its recorded path locates a relative
/// backing file).
pub fn open_file(file: FileSource, backing: Backing) -> Result<Opened> {
    let path = file.path().to_path_buf();
    let path = path.as_path();
    if !has_magic(&file) {
        return Ok(Opened {
            source: Arc::new(file),
            notes: Vec::new(),
        });
    }
    let src = Qcow2Source::open(Arc::new(file), Some(path), backing)
        .map_err(|e| e.context(format!("opening qcow2 image {}", path.display())))?;
    let h = src.header();
    let mut notes = vec![format!(
        "qcow2 v{} image: {} bytes virtual, {}-byte clusters{}",
        h.version,
        h.size,
        h.cluster_size(),
        match &h.backing_name {
            Some(b) => format!(", backing file {:?}", String::from_utf8_lossy(b)),
            None => String::new(),
        }
    )];
    if h.dirty {
        notes.push(
            "qcow2 image is marked dirty (not closed cleanly; in use by a running qemu?): \
             read as it is"
                .to_string(),
        );
    }
    Ok(Opened {
        source: Arc::new(src),
        notes,
    })
}

impl Qcow2Source {
    /// Reads the header and the active L1 table of the image in `file`. `path` (the
    /// image's host path) locates a relative backing file name; without it a backing
    /// file cannot be opened.
    pub fn open(file: SharedSource, path: Option<&Path>, backing: Backing) -> Result<Self> {
        let header = header::parse(file.as_ref())?;
        let l1 = read_l1(file.as_ref(), &header)?;
        let backing = match &header.backing_name {
            None => None,
            Some(name) => Some(open_backing(&header, name, path, backing)?),
        };
        let tables = (QCOW2_CACHE_BYTES >> header.cluster_bits).max(2) as usize;
        Ok(Qcow2Source {
            file,
            l1,
            l2_cache: L2Cache::new(tables),
            inflated: Mutex::new(Vec::new()),
            backing,
            header,
        })
    }

    /// The parsed header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    fn cluster_size(&self) -> u64 {
        self.header.cluster_size()
    }

    /// log2 of the number of entries in one L2 table (entries are 8 bytes, or 16
    /// with extended L2 entries).
    fn l2_bits(&self) -> u32 {
        self.header.cluster_bits - if self.header.extended_l2 { 4 } else { 3 }
    }

    /// Where the guest byte `pos` lives: the mapping of its cluster (of its
    /// subcluster with extended L2 entries) and that unit's guest start and size.
    fn map(&self, pos: u64) -> Result<(Mapping, u64, u64)> {
        let cs = self.cluster_size();
        let vcluster = pos >> self.header.cluster_bits;
        let cluster_start = pos & !(cs - 1);
        let l2_bits = self.l2_bits();
        let l1_index = usize::try_from(vcluster >> l2_bits)
            .map_err(|_| Error::corrupt("qcow2 L1 index overflows"))?;
        let l2_index = (vcluster & ((1u64 << l2_bits) - 1)) as usize;
        let entry = *self.l1.get(l1_index).ok_or_else(|| {
            Error::corrupt(format!("qcow2 L1 index {l1_index} is beyond the L1 table"))
        })?;
        let l2_offset = table::l1_target(entry, cs)?;
        if l2_offset == 0 {
            return Ok((Mapping::Unallocated, cluster_start, cs));
        }
        self.check_metadata(l2_offset)?;
        let l2 = self.l2_cache.get(l2_offset, || {
            let mut raw = vec![0u8; cs as usize];
            self.file
                .read_at(l2_offset, &mut raw)
                .map_err(|e| e.context(format!("reading the qcow2 L2 table at {l2_offset}")))?;
            Ok(table::parse_entries(&raw))
        })?;
        let width = if self.header.extended_l2 { 2 } else { 1 };
        let l2_entry = *l2
            .get(l2_index * width)
            .ok_or_else(|| Error::corrupt("qcow2 L2 index beyond its table"))?;
        let (mapping, start, size) = if self.header.extended_l2 {
            let bitmap = *l2
                .get(l2_index * width + 1)
                .ok_or_else(|| Error::corrupt("qcow2 L2 index beyond its table"))?;
            let sub_bits = self.header.cluster_bits - 5;
            let sub = (pos - cluster_start) >> sub_bits;
            let m =
                table::decode_extended(l2_entry, bitmap, sub, sub_bits, self.header.cluster_bits)?;
            match m {
                Mapping::Compressed { .. } => (m, cluster_start, cs),
                _ => (m, cluster_start + (sub << sub_bits), 1u64 << sub_bits),
            }
        } else {
            let m = table::decode_l2(l2_entry, self.header.cluster_bits, self.header.version)?;
            (m, cluster_start, cs)
        };
        match mapping {
            Mapping::Data(off) if off < cs => Err(Error::corrupt(format!(
                "qcow2 guest cluster {vcluster} maps onto the header cluster"
            ))),
            Mapping::Compressed { offset, .. } if offset < cs => Err(Error::corrupt(format!(
                "qcow2 compressed guest cluster {vcluster} lies in the header cluster"
            ))),
            m => Ok((m, start, size)),
        }
    }

    /// Refuses an L2 table that overlaps the header cluster or the L1 table, or lies
    /// past the end of the file.
    fn check_metadata(&self, l2_offset: u64) -> Result<()> {
        let cs = self.cluster_size();
        let l1_end = self
            .header
            .l1_offset
            .saturating_add(u64::from(self.header.l1_size) * 8);
        let end = l2_offset.saturating_add(cs);
        let overlaps_l1 = l2_offset < l1_end && end > self.header.l1_offset;
        if l2_offset < cs || overlaps_l1 || end > self.file.len() {
            return Err(Error::corrupt(format!(
                "qcow2 L2 table at {l2_offset} overlaps the header or the L1 table or lies \
                 past the end of the file ({} bytes)",
                self.file.len()
            )));
        }
        Ok(())
    }

    /// The inflated bytes of the compressed cluster at `offset`.
    fn inflate(&self, offset: u64, len: u64) -> Result<Arc<[u8]>> {
        {
            let cache = self.inflated.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((_, c)) = cache.iter().find(|(o, _)| *o == offset) {
                return Ok(c.clone());
            }
        }
        // The sector count may run past the end of the file for the last cluster.
        let len = len.min(self.file.len().saturating_sub(offset));
        let mut input = vec![0u8; len as usize];
        self.file.read_at(offset, &mut input)?;
        let out: Arc<[u8]> = inflate::cluster(&input, self.cluster_size() as usize)
            .map_err(|e| e.context(format!("inflating the qcow2 cluster at {offset}")))?
            .into();
        let mut cache = self.inflated.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert(0, (offset, out.clone()));
        cache.truncate(INFLATED_CLUSTERS);
        Ok(out)
    }

    /// Fills `buf` with the bytes at `pos` of unallocated clusters: the backing
    /// file's (zeros past its end), or zeros.
    fn read_unallocated(&self, pos: u64, buf: &mut [u8]) -> Result<()> {
        let Some(b) = &self.backing else {
            buf.fill(0);
            return Ok(());
        };
        let have = b.len().saturating_sub(pos).min(buf.len() as u64) as usize;
        let (from_backing, past_end) = buf.split_at_mut(have);
        if !from_backing.is_empty() {
            b.read_at(pos, from_backing)?;
        }
        past_end.fill(0);
        Ok(())
    }
}

/// How many inflated clusters are kept (a filesystem reads one in several blocks).
const INFLATED_CLUSTERS: usize = 4;

impl ByteSource for Qcow2Source {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        check_range(offset, buf.len(), self.header.size)?;
        let cs = self.cluster_size();
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset + done as u64;
            let (mapping, start, size) = self.map(pos)?;
            let within = pos - start;
            let rest = (buf.len() - done) as u64;
            let mut end = start + size;
            // Coalesce units that follow each other on the host.
            if let Mapping::Data(host) = mapping {
                while end - pos < rest {
                    let (next, next_start, next_size) = self.map(end)?;
                    let expect = host.checked_add(next_start - start);
                    if expect.is_none() || Some(next) != expect.map(Mapping::Data) {
                        break;
                    }
                    end = next_start + next_size;
                }
            }
            let n = (end - pos).min(rest) as usize;
            let piece = buf
                .get_mut(done..done + n)
                .ok_or_else(|| Error::corrupt("qcow2 read piece out of range"))?;
            match mapping {
                Mapping::Unallocated => self.read_unallocated(pos, piece)?,
                Mapping::Zero => piece.fill(0),
                Mapping::Data(host) => {
                    let at = host
                        .checked_add(within)
                        .ok_or_else(|| Error::corrupt("qcow2 data cluster offset overflows"))?;
                    self.file
                        .read_at(at, piece)
                        .map_err(|e| e.context(format!("reading qcow2 guest bytes at {pos}")))?;
                }
                Mapping::Compressed { offset: c, len } => {
                    let data = self.inflate(c, len)?;
                    let within = (pos & (cs - 1)) as usize;
                    let src = data
                        .get(within..within + n)
                        .ok_or_else(|| Error::corrupt("inflated qcow2 cluster is short"))?;
                    piece.copy_from_slice(src);
                }
            }
            done += n;
        }
        Ok(())
    }

    fn len(&self) -> u64 {
        self.header.size
    }
}

/// Reads the entries of the active L1 table that the virtual size needs.
fn read_l1(file: &dyn ByteSource, h: &Header) -> Result<Vec<u64>> {
    let entry_bits = if h.extended_l2 { 4 } else { 3 };
    let per_l2 = 1u64 << (h.cluster_bits - entry_bits + h.cluster_bits);
    let needed = h.size.div_ceil(per_l2);
    let bytes = u64::from(h.l1_size) * 8;
    if needed > u64::from(h.l1_size) || bytes > MAX_L1_BYTES {
        return Err(Error::corrupt(format!(
            "qcow2 L1 table of {} entries does not fit a virtual size of {} bytes (needs \
             {needed}, at most {} allowed)",
            h.l1_size,
            h.size,
            MAX_L1_BYTES / 8
        )));
    }
    let cs = h.cluster_size();
    let end = h.l1_offset.checked_add(needed * 8);
    if h.l1_offset % cs != 0 || h.l1_offset < cs || end.is_none_or(|e| e > file.len()) {
        return Err(Error::corrupt(format!(
            "qcow2 L1 table at {} is unaligned, in the header cluster or past the end of \
             the file ({} bytes)",
            h.l1_offset,
            file.len()
        )));
    }
    let mut raw = vec![0u8; (needed * 8) as usize];
    file.read_at(h.l1_offset, &mut raw)
        .map_err(|e| e.context("reading the qcow2 L1 table"))?;
    Ok(table::parse_entries(&raw).to_vec())
}

/// Opens the backing file named in the header, if the policy allows.
fn open_backing(
    h: &Header,
    name: &[u8],
    path: Option<&Path>,
    policy: Backing,
) -> Result<SharedSource> {
    let shown = String::from_utf8_lossy(name);
    let depth_left = match policy {
        Backing::Refuse => {
            return Err(Error::unsupported(format!(
                "qcow2 image has a backing file {shown:?}, and backing files are not followed \
                 unless allowed (xenboot --allow-backing-file, Options::allow_backing_file, \
                 xenboot_options.allow_backing_file)"
            )))
        }
        Backing::Allow { depth_left: 0 } => {
            return Err(Error::limit(format!(
                "qcow2 backing chain is deeper than {QCOW2_MAX_BACKING_DEPTH} images (at \
                 {shown:?})"
            )))
        }
        Backing::Allow { depth_left } => depth_left - 1,
    };
    if name.contains(&0) {
        return Err(Error::corrupt(
            "qcow2 backing file name contains a NUL byte",
        ));
    }
    let rel = Path::new(std::ffi::OsStr::from_bytes(name));
    let full: PathBuf = match path.and_then(Path::parent) {
        _ if rel.is_absolute() => rel.to_path_buf(),
        Some(dir) => dir.join(rel),
        None => {
            return Err(Error::unsupported(format!(
                "qcow2 backing file {shown:?} is relative, and the image has no host path"
            )))
        }
    };
    let file = FileSource::open(&full).map_err(|e| e.context("opening the qcow2 backing file"))?;
    let next = Backing::Allow { depth_left };
    let src: SharedSource = match h.backing_format.as_deref() {
        Some("raw") => Arc::new(file),
        Some("qcow2") | None if has_magic(&file) => Arc::new(
            Qcow2Source::open(Arc::new(file), Some(&full), next)
                .map_err(|e| e.context(format!("opening qcow2 backing file {}", full.display())))?,
        ),
        None => Arc::new(file),
        Some("qcow2") => {
            return Err(Error::corrupt(format!(
                "qcow2 backing file {} is declared qcow2 but has no qcow2 magic",
                full.display()
            )))
        }
        Some(other) => {
            return Err(Error::unsupported(format!(
                "qcow2 backing file {} has format {other:?}; only raw and qcow2 are read",
                full.display()
            )))
        }
    };
    Ok(src)
}
