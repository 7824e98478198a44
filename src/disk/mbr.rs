//! DOS/MBR partition tables, including the EBR chain of extended partitions.

use super::Volume;
use crate::error::Result;
use crate::limits::Limits;
use crate::source::ByteSource;

/// Returns the volumes of an MBR-partitioned disk, or `None` when sector 0 has no
/// valid MBR signature or describes no partitions.
pub fn read(
    disk: &dyn ByteSource,
    limits: &Limits,
    notes: &mut Vec<String>,
) -> Result<Option<Vec<Volume>>> {
    let _ = (disk, limits, notes);
    Ok(None)
}
