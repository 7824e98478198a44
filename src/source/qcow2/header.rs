//! The qcow2 header (versions 2 and 3) and the header extensions a reader needs.

use crate::error::{Error, Result};
use crate::source::ByteSource;

/// The magic at byte 0 of every qcow2 image: `QFI\xfb`.
pub const MAGIC: [u8; 4] = *b"QFI\xfb";

/// Smallest and largest cluster sizes qemu creates and accepts (512 B .. 2 MiB).
const MIN_CLUSTER_BITS: u32 = 9;
const MAX_CLUSTER_BITS: u32 = 21;
/// Extended L2 entries split a cluster into 32 subclusters of at least 512 bytes.
const MIN_EXTL2_CLUSTER_BITS: u32 = 14;
/// Length of the fixed version 2 header; version 3 headers are at least 104 bytes.
const V2_HEADER_LEN: u32 = 72;
const V3_MIN_HEADER_LEN: u32 = 104;
/// Largest backing file name qemu accepts.
const MAX_BACKING_NAME: u32 = 1023;
/// Most header extensions walked (the area is at most one cluster anyway).
const MAX_EXTENSIONS: usize = 4096;

/// Incompatible feature bits (version 3).
const INCOMPAT_DIRTY: u64 = 1 << 0;
const INCOMPAT_CORRUPT: u64 = 1 << 1;
const INCOMPAT_DATA_FILE: u64 = 1 << 2;
const INCOMPAT_COMPRESSION: u64 = 1 << 3;
const INCOMPAT_EXTL2: u64 = 1 << 4;
const INCOMPAT_KNOWN: u64 =
    INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2;

/// Header extension types.
const EXT_END: u32 = 0;
const EXT_BACKING_FORMAT: u32 = 0xe279_2aca;

/// What a reader needs from a qcow2 header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// 2 or 3.
    pub version: u32,
    /// log2 of the cluster size (9..=21).
    pub cluster_bits: u32,
    /// Virtual disk size in bytes.
    pub size: u64,
    /// Number of entries in the active L1 table.
    pub l1_size: u32,
    /// Host offset of the active L1 table.
    pub l1_offset: u64,
    /// The backing file name as stored, if any.
    pub backing_name: Option<Vec<u8>>,
    /// The backing file format from the header extension (`raw`, `qcow2`, …).
    pub backing_format: Option<String>,
    /// The image was not closed cleanly (refcounts may be stale; reading is fine).
    pub dirty: bool,
    /// L2 entries are 128 bits wide and describe 32 subclusters per cluster.
    pub extended_l2: bool,
}

impl Header {
    /// The cluster size in bytes.
    pub fn cluster_size(&self) -> u64 {
        1u64 << self.cluster_bits
    }
}

fn be32(b: &[u8], at: usize) -> Result<u32> {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| Error::corrupt(format!("qcow2 header field at {at} is cut short")))
}

fn be64(b: &[u8], at: usize) -> Result<u64> {
    b.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map(u64::from_be_bytes)
        .ok_or_else(|| Error::corrupt(format!("qcow2 header field at {at} is cut short")))
}

/// True when `src` starts with the qcow2 magic.
pub fn has_magic(src: &dyn ByteSource) -> bool {
    let mut m = [0u8; 4];
    src.len() >= 4 && src.read_at(0, &mut m).is_ok() && m == MAGIC
}

/// Parses and validates the header of the image in `file`.
pub fn parse(file: &dyn ByteSource) -> Result<Header> {
    let mut fixed = [0u8; V3_MIN_HEADER_LEN as usize];
    let have = file.len().min(fixed.len() as u64) as usize;
    let head = fixed.get_mut(..have).unwrap_or_default();
    file.read_at(0, head)?;
    if fixed.get(..4) != Some(&MAGIC[..]) {
        return Err(Error::corrupt("not a qcow2 image (no QFI\\xfb magic)"));
    }
    let version = be32(&fixed, 4)?;
    let header_len = match version {
        2 => V2_HEADER_LEN,
        3 => {
            if file.len() < u64::from(V3_MIN_HEADER_LEN) {
                return Err(Error::corrupt("qcow2 v3 header is cut short"));
            }
            be32(&fixed, 100)?
        }
        v => {
            return Err(Error::unsupported(format!(
                "qcow2 version {v} (only versions 2 and 3 exist)"
            )))
        }
    };
    if file.len() < u64::from(V2_HEADER_LEN) {
        return Err(Error::corrupt("qcow2 header is cut short"));
    }
    let cluster_bits = be32(&fixed, 20)?;
    if !(MIN_CLUSTER_BITS..=MAX_CLUSTER_BITS).contains(&cluster_bits) {
        return Err(Error::corrupt(format!(
            "qcow2 cluster_bits {cluster_bits} is outside {MIN_CLUSTER_BITS}..={MAX_CLUSTER_BITS}"
        )));
    }
    let cluster_size = 1u64 << cluster_bits;
    if version == 3 && (header_len < V3_MIN_HEADER_LEN || u64::from(header_len) > cluster_size) {
        return Err(Error::corrupt(format!(
            "qcow2 v3 header_length {header_len} is outside {V3_MIN_HEADER_LEN}..={cluster_size}"
        )));
    }
    let crypt = be32(&fixed, 32)?;
    if crypt != 0 {
        return Err(Error::unsupported(format!(
            "encrypted qcow2 image (crypt_method {crypt}) cannot be read"
        )));
    }
    let mut dirty = false;
    let mut extended_l2 = false;
    let mut compression_type = 0u8;
    if version == 3 {
        let incompat = be64(&fixed, 72)?;
        check_incompatible(incompat)?;
        dirty = incompat & INCOMPAT_DIRTY != 0;
        extended_l2 = incompat & INCOMPAT_EXTL2 != 0;
        if extended_l2 && cluster_bits < MIN_EXTL2_CLUSTER_BITS {
            return Err(Error::corrupt(format!(
                "qcow2 extended L2 entries need clusters of at least 16 KiB, not {cluster_size}"
            )));
        }
        if header_len > V3_MIN_HEADER_LEN {
            let mut b = [0u8; 1];
            file.read_at(u64::from(V3_MIN_HEADER_LEN), &mut b)?;
            compression_type = b[0];
        }
        if (incompat & INCOMPAT_COMPRESSION != 0) != (compression_type != 0) {
            return Err(Error::corrupt(format!(
                "qcow2 compression type {compression_type} disagrees with the compression \
                 feature bit"
            )));
        }
        match compression_type {
            0 => {}
            1 => {
                return Err(Error::unsupported(
                    "qcow2 image with zstd-compressed clusters: only zlib is supported \
                     (convert with qemu-img convert -O qcow2 -o compression_type=zlib)",
                ))
            }
            t => {
                return Err(Error::unsupported(format!(
                    "qcow2 compression type {t} is unknown"
                )))
            }
        }
    }
    let backing_offset = be64(&fixed, 8)?;
    let backing_len = be32(&fixed, 16)?;
    let backing_name = if backing_offset == 0 {
        None
    } else {
        Some(read_backing_name(
            file,
            backing_offset,
            backing_len,
            cluster_size,
        )?)
    };
    let backing_format = if backing_name.is_some() {
        backing_format(file, u64::from(header_len), cluster_size)?
    } else {
        None
    };
    Ok(Header {
        version,
        cluster_bits,
        size: be64(&fixed, 24)?,
        l1_size: be32(&fixed, 36)?,
        l1_offset: be64(&fixed, 40)?,
        backing_name,
        backing_format,
        dirty,
        extended_l2,
    })
}

fn check_incompatible(incompat: u64) -> Result<()> {
    let unknown = incompat & !INCOMPAT_KNOWN;
    if unknown != 0 {
        return Err(Error::unsupported(format!(
            "qcow2 image has unknown incompatible features {unknown:#x}"
        )));
    }
    if incompat & INCOMPAT_CORRUPT != 0 {
        return Err(Error::corrupt(
            "qcow2 image is marked corrupt by qemu (repair it with qemu-img check -r all)",
        ));
    }
    if incompat & INCOMPAT_DATA_FILE != 0 {
        return Err(Error::unsupported(
            "qcow2 image keeps its data in an external data file, which is not supported",
        ));
    }
    Ok(())
}

fn read_backing_name(
    file: &dyn ByteSource,
    offset: u64,
    len: u32,
    cluster_size: u64,
) -> Result<Vec<u8>> {
    let end = offset.checked_add(u64::from(len));
    if len == 0 || len > MAX_BACKING_NAME || end.is_none_or(|e| e > cluster_size) {
        return Err(Error::corrupt(format!(
            "qcow2 backing file name of {len} bytes at {offset} is not inside the first \
             cluster or longer than {MAX_BACKING_NAME} bytes"
        )));
    }
    let mut name = vec![0u8; len as usize];
    file.read_at(offset, &mut name)
        .map_err(|e| e.context("reading the qcow2 backing file name"))?;
    Ok(name)
}

/// Walks the header extensions (inside the first cluster) for the backing format.
fn backing_format(file: &dyn ByteSource, start: u64, cluster_size: u64) -> Result<Option<String>> {
    let area_end = cluster_size.min(file.len());
    let mut at = start;
    for _ in 0..MAX_EXTENSIONS {
        let body = match at.checked_add(8) {
            Some(b) if b <= area_end => b,
            _ => return Ok(None),
        };
        let mut h = [0u8; 8];
        file.read_at(at, &mut h)?;
        let kind = be32(&h, 0)?;
        let len = be32(&h, 4)?;
        if kind == EXT_END {
            return Ok(None);
        }
        let end = body
            .checked_add(u64::from(len))
            .filter(|e| *e <= area_end)
            .ok_or_else(|| {
                Error::corrupt(format!(
                    "qcow2 header extension {kind:#x} of {len} bytes at {at} runs past the \
                     first cluster"
                ))
            })?;
        if kind == EXT_BACKING_FORMAT {
            let mut name = vec![0u8; len as usize];
            file.read_at(body, &mut name)?;
            return Ok(Some(String::from_utf8_lossy(&name).into_owned()));
        }
        // Extensions are padded to 8 bytes.
        at = end
            .checked_add(7)
            .map(|e| e & !7)
            .ok_or_else(|| Error::corrupt("qcow2 header extension offset overflows"))?;
    }
    Err(Error::limit("qcow2 image has too many header extensions"))
}
