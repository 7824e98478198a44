//! The internal log: is it clean?
//!
//! A filesystem that was not unmounted cleanly has committed changes in its log
//! that are not yet in place; reading it without replaying them can return stale
//! or inconsistent metadata. This reader does not replay, so it refuses such a
//! filesystem (the error says how to fix it).
//!
//! The head of the log is found the way XFS log recovery finds it: every 512-byte
//! log block starts with the cycle number of the pass that wrote it (record headers
//! carry it after their magic); the head is where the cycle number drops, found by
//! binary search, then moved back over blocks of the older cycle within the range
//! of log writes that may have been in flight, and back to the start of a record
//! that does not end exactly at it. The log is clean when the last record before
//! the head is an unmount record (one operation, flagged unmount) that ends exactly
//! at the head, or when the log was never written (all zeros). Anything else —
//! including a log whose structure cannot be followed — is refused.

use super::{be32, Volume};
use crate::error::{Error, Result};

const BB: u64 = 512;
const HEADER_MAGIC: u32 = 0xFEED_BABE;
const UNMOUNT_TRANS: u8 = 0x20;
const HEADER_CYCLE_SIZE: u64 = 32 * 1024;
const MAX_ICLOGS: u64 = 8;

struct Log<'v> {
    vol: &'v Volume,
    start: u64,
    /// Length in 512-byte blocks.
    blocks: u64,
    /// Largest record in blocks (256 KiB for v2 logs, 32 KiB for v1).
    rec: u64,
    v2: bool,
}

impl Log<'_> {
    /// Reads `count` log blocks from `bb` (which must not wrap).
    fn read(&self, bb: u64, count: u64) -> Result<Vec<u8>> {
        let end = bb.checked_add(count).filter(|&e| e <= self.blocks);
        if end.is_none() {
            return Err(Error::corrupt(format!(
                "log read of {count} blocks at {bb} beyond the log"
            )));
        }
        let mut buf = vec![0u8; (count * BB) as usize];
        self.vol.read(self.start + bb * BB, &mut buf)?;
        Ok(buf)
    }

    fn cycle_of(block: &[u8]) -> Result<u32> {
        let first = be32(block, 0, "log block")?;
        if first == HEADER_MAGIC {
            be32(block, 4, "log record header")
        } else {
            Ok(first)
        }
    }

    fn cycle(&self, bb: u64) -> Result<u32> {
        Self::cycle_of(&self.read(bb, 1)?)
    }

    /// First block in `start .. start + count` whose cycle is `cycle`.
    fn find_cycle(&self, start: u64, count: u64, cycle: u32) -> Result<Option<u64>> {
        let buf = self.read(start, count)?;
        for (i, block) in buf.chunks_exact(BB as usize).enumerate() {
            if Self::cycle_of(block)? == cycle {
                return Ok(Some(start + i as u64));
            }
        }
        Ok(None)
    }

    /// Binary search in `lo .. hi` for the first block whose cycle is `cycle`,
    /// given that block `lo` has another cycle and block `hi` has that one.
    fn cycle_start(&self, mut lo: u64, mut hi: u64, cycle: u32) -> Result<u64> {
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.cycle(mid)? == cycle {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        Ok(hi)
    }

    /// Header blocks of the record whose header is `hdr`.
    fn header_blocks(&self, hdr: &[u8], for_tail: bool) -> Result<u64> {
        let size = u64::from(be32(hdr, 320, "log record header")?);
        let version = be32(hdr, 8, "log record header")?;
        let extended = if for_tail {
            version & 2 != 0 && size > HEADER_CYCLE_SIZE
        } else {
            self.v2
        };
        Ok(if extended {
            size.div_ceil(HEADER_CYCLE_SIZE).max(1)
        } else {
            1
        })
    }

    /// The last record header in `start .. end` (searching backwards).
    fn header_before(&self, start: u64, end: u64) -> Result<Option<(u64, Vec<u8>)>> {
        if end <= start {
            return Ok(None);
        }
        let buf = self.read(start, end - start)?;
        for (i, block) in buf.chunks_exact(BB as usize).enumerate().rev() {
            if be32(block, 0, "log block")? == HEADER_MAGIC {
                return Ok(Some((start + i as u64, block.to_vec())));
            }
        }
        Ok(None)
    }

    /// Moves `head` back to the start of the last record when that record does not
    /// end exactly at `head` (a partly written record). `extra` blocks of the
    /// record lie after the physical end of the log.
    fn verify_record(&self, start: u64, head: u64, extra: u64) -> Result<Option<u64>> {
        let Some((i, hdr)) = self.header_before(start, head)? else {
            return Ok(None);
        };
        let len = u64::from(be32(&hdr, 12, "log record header")?).div_ceil(BB);
        let hblks = self.header_blocks(&hdr, false)?;
        if head - i + extra != len + hblks {
            Ok(Some(i))
        } else {
            Ok(Some(head))
        }
    }
}

fn inconsistent(what: &str) -> Error {
    Error::unsupported(format!(
        "XFS log is inconsistent ({what}): it cannot be shown to be clean; \
         mount the filesystem once or run xfs_repair on it"
    ))
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
    let rec = if sb.logv2 { 512 } else { 64 };
    if blocks < 2 * rec {
        return Err(Error::corrupt(format!(
            "internal log of {blocks} blocks is too small"
        )));
    }
    let log = Log {
        vol,
        start,
        blocks,
        rec,
        v2: sb.logv2,
    };
    let Some(head) = find_head(&log)? else {
        return Ok(()); // never written: nothing to replay
    };
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

/// The head of the log (the block after the last one written), or `None` for a
/// log that was never written.
fn find_head(log: &Log<'_>) -> Result<Option<u64>> {
    let n = log.blocks;
    let total = (MAX_ICLOGS * log.rec).min(n);
    let first = log.cycle(0)?;
    let last = log.cycle(n - 1)?;
    if first == 0 {
        return Ok(None);
    }
    let mut head;
    if last == 0 {
        // Partly written log: the head is where the zeros start.
        if first != 1 {
            return Err(inconsistent("zeroed end after a cycle other than 1"));
        }
        head = log.cycle_start(0, n - 1, 0)?;
        let scan_start = head - total.min(head);
        if let Some(b) = log.find_cycle(scan_start, head - scan_start, 0)? {
            head = b;
        }
        return match log.verify_record(scan_start, head, 0)? {
            Some(h) => Ok(Some(h)),
            None => Err(inconsistent("no record before the head")),
        };
    }
    let stop;
    if first == last {
        head = n;
        stop = last.wrapping_sub(1);
    } else {
        stop = last;
        head = log.cycle_start(0, n - 1, last)?;
    }
    if head >= total {
        if let Some(b) = log.find_cycle(head - total, total, stop)? {
            head = b;
        }
    } else if let Some(b) =
        log.find_cycle(n - (total - head), total - head, stop.wrapping_sub(1))?
    {
        head = b;
    } else if let Some(b) = log.find_cycle(0, head, stop)? {
        head = b;
    }
    // Make sure the head is not in the middle of a record.
    if head >= log.rec {
        head = log
            .verify_record(head - log.rec, head, 0)?
            .ok_or_else(|| inconsistent("no record before the head"))?;
    } else if let Some(h) = log.verify_record(0, head, 0)? {
        head = h;
    } else {
        // The last record wraps around the physical end of the log.
        let start = n - (log.rec - head);
        match log.verify_record(start, n, head)? {
            Some(h) if h != n => head = h,
            Some(_) => {}
            None => return Err(inconsistent("no record before the head")),
        }
    }
    Ok(Some(if head == n { 0 } else { head }))
}

/// True when the record ending at `head` is an unmount record.
fn is_clean_at(log: &Log<'_>, head: u64) -> Result<bool> {
    let n = log.blocks;
    // A record spans at most `rec` data blocks plus its header blocks.
    let reach = (2 * log.rec).min(n);
    let found = match log.header_before(head.saturating_sub(reach), head)? {
        Some(f) => Some(f),
        None if head < reach => log.header_before(n - (reach - head), n)?,
        None => None,
    };
    let Some((bb, hdr)) = found else {
        return Ok(false);
    };
    let w = "log record header";
    let len = u64::from(be32(&hdr, 12, w)?);
    let num_ops = be32(&hdr, 40, w)?;
    let hblks = log.header_blocks(&hdr, true)?;
    let after = (bb + hblks + len.div_ceil(BB)) % n;
    if num_ops != 1 || after != head {
        return Ok(false);
    }
    let op = log.read((bb + hblks) % n, 1)?;
    Ok(op.get(9).is_some_and(|f| f & UNMOUNT_TRANS != 0))
}
