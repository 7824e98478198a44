//! Symbolic link targets: inline in the inode (local format) or in "remote"
//! blocks; on v5 each remote extent starts with a checksummed header.

use super::bmap;
use super::inode::{Inode, FMT_LOCAL};
use super::{be32, be64, crc, Volume};
use crate::error::{Error, Result};

/// Longest target XFS allows.
const MAX_LEN: u64 = 1024;
const MAGIC: u32 = 0x5853_4c4d; // "XSLM"
const HDR: usize = 56;

/// Reads the target of symlink `inode`.
pub(super) fn target(vol: &Volume, inode: &Inode) -> Result<Vec<u8>> {
    let ino = inode.ino;
    let w = format!("symlink inode {ino}");
    if inode.size == 0 || inode.size > MAX_LEN {
        return Err(Error::corrupt(format!(
            "{w}: target length {} is invalid",
            inode.size
        )));
    }
    let len = inode.size as usize;
    if inode.format == FMT_LOCAL {
        return Ok(inode.local_data()?.to_vec());
    }
    let sb = &vol.sb;
    let extents = bmap::extents(vol, inode)?;
    let mut out = Vec::with_capacity(len);
    for ext in &extents {
        if out.len() >= len {
            break;
        }
        // A target of at most 1024 bytes spans at most two blocks of 1 KiB or more.
        if ext.count > 2 {
            return Err(Error::corrupt(format!(
                "{w}: extent of {} blocks",
                ext.count
            )));
        }
        let mut buf = vec![0u8; (ext.count as usize) << sb.blocklog];
        vol.read(ext.byte, &mut buf)?;
        let body = if sb.v5 {
            if be32(&buf, 0, &w)? != MAGIC {
                return Err(Error::corrupt(format!("{w}: bad remote block magic")));
            }
            crc::verify(&buf, 12, &w)?;
            let offset = be32(&buf, 4, &w)? as usize;
            let bytes = be32(&buf, 8, &w)? as usize;
            if offset != out.len()
                || buf.get(16..32) != Some(&sb.meta_uuid[..])
                || be64(&buf, 32, &w)? != ino
                || be64(&buf, 40, &w)? != ext.byte / 512
            {
                return Err(Error::corrupt(format!(
                    "{w}: remote block offset, filesystem UUID, owner or address does not match"
                )));
            }
            buf.get(HDR..HDR + bytes)
                .ok_or_else(|| Error::corrupt(format!("{w}: {bytes} bytes overrun the block")))?
        } else {
            &buf[..]
        };
        let take = body.len().min(len - out.len());
        out.extend_from_slice(body.get(..take).unwrap_or(body));
    }
    if out.len() != len {
        return Err(Error::corrupt(format!(
            "{w}: blocks hold {} of {len} target bytes",
            out.len()
        )));
    }
    Ok(out)
}
