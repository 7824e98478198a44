//! The internal log: is it clean?
//!
//! A filesystem that was not unmounted cleanly has committed changes in its log
//! that are not yet in place; reading it without replaying them can return stale
//! or inconsistent metadata. This reader does not replay, so it refuses such a
//! filesystem (the error says how to fix it).
//!
//! Detection follows what the kernel does at mount: every 512-byte log block
//! starts with the cycle number of the pass that wrote it (record headers carry it
//! after their magic), so the head of the log is where the cycle number drops; it
//! is found by binary search. The log is clean when the last record before the
//! head is an unmount record (one log operation flagged as an unmount) that ends
//! exactly at the head.

use super::{be32, Volume};
use crate::error::{Error, Result};

const BB: u64 = 512;
const HEADER_MAGIC: u32 = 0xFEED_BABE;
const UNMOUNT_TRANS: u8 = 0x20;
/// Largest record: a 256 KiB buffer plus up to 8 header blocks; the last record
/// header is searched for this far back from the head (and a little more).
const MAX_BACK: u64 = 1024;
const HEADER_CYCLE_SIZE: u64 = 32 * 1024;

struct Log<'v> {
    vol: &'v Volume,
    start: u64,
    blocks: u64,
}

impl Log<'_> {
    fn read_bb(&self, bb: u64) -> Result<[u8; 512]> {
        let mut buf = [0u8; 512];
        let bb = bb % self.blocks;
        self.vol.read(self.start + bb * BB, &mut buf)?;
        Ok(buf)
    }

    fn cycle(&self, bb: u64) -> Result<u32> {
        let b = self.read_bb(bb)?;
        let first = be32(&b, 0, "log block")?;
        if first == HEADER_MAGIC {
            be32(&b, 4, "log record header")
        } else {
            Ok(first)
        }
    }
}

/// Fails unless the internal log of `vol` is clean.
pub(super) fn check_clean(vol: &Volume) -> Result<()> {
    let sb = &vol.sb;
    if sb.logstart == 0 {
        return Err(Error::unsupported(
            "XFS with an external log device: its log cannot be checked",
        ));
    }
    let start = sb
        .extent_byte(sb.logstart, sb.logblocks.into())
        .map_err(|e| e.context("internal log"))?;
    let blocks = (u64::from(sb.logblocks) << sb.blocklog) / BB;
    if blocks < 2 {
        return Err(Error::corrupt("internal log is too small"));
    }
    let log = Log { vol, start, blocks };
    let head = find_head(&log)?;
    if is_clean_at(&log, head)? {
        Ok(())
    } else {
        Err(Error::unsupported(format!(
            "XFS log is dirty (the filesystem was not cleanly unmounted; head at log block {head}): \
             replaying it is not supported, and reading without replay could return stale data; \
             mount the filesystem once or run xfs_repair on it"
        )))
    }
}

/// The log block after the last one written in the current pass.
fn find_head(log: &Log<'_>) -> Result<u64> {
    let first = log.cycle(0)?;
    let last_cycle = log.cycle(log.blocks - 1)?;
    if first == last_cycle {
        // The whole log carries one cycle: the head is at the wrap point.
        return Ok(0);
    }
    // Invariant: block lo has the first cycle, block hi the last one.
    let (mut lo, mut hi) = (0u64, log.blocks - 1);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if log.cycle(mid)? == last_cycle {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Ok(hi)
}

/// True when the record ending at `head` is an unmount record.
fn is_clean_at(log: &Log<'_>, head: u64) -> Result<bool> {
    let n = log.blocks;
    for back in 1..=MAX_BACK.min(n) {
        let bb = (head + n - back) % n;
        let hdr = log.read_bb(bb)?;
        if be32(&hdr, 0, "log block")? != HEADER_MAGIC {
            continue;
        }
        let w = "log record header";
        let version = be32(&hdr, 8, w)?;
        let len = u64::from(be32(&hdr, 12, w)?);
        let num_ops = be32(&hdr, 40, w)?;
        let size = u64::from(be32(&hdr, 320, w)?);
        let hblks = if version & 2 != 0 && size > HEADER_CYCLE_SIZE {
            size.div_ceil(HEADER_CYCLE_SIZE)
        } else {
            1
        };
        let after = (bb + hblks + len.div_ceil(BB)) % n;
        if num_ops != 1 || after != head % n {
            return Ok(false);
        }
        let op = log.read_bb(bb + hblks)?;
        return Ok(op.get(9).is_some_and(|f| f & UNMOUNT_TRANS != 0));
    }
    Ok(false)
}
