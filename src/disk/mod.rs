//! Partition discovery: turns a disk into the list of volumes to look at.
//!
//! MBR (with the EBR chain of an extended partition) and GPT are read; a disk with
//! neither is one whole-disk volume. Partitions that cannot hold a boot filesystem
//! (BIOS boot, extended containers, empty slots) are skipped with a note, never fatal.

mod crc32;
mod gpt;
mod mbr;
#[cfg(test)]
mod testdisk;

use crate::error::Result;
use crate::limits::Limits;
use crate::source::ByteSource;
use serde::Serialize;

/// The partitioning scheme a volume was found through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// A DOS/MBR partition table (GRUB calls the partitions `msdosN`).
    Msdos,
    /// A GUID partition table (`gptN`).
    Gpt,
    /// No partition table: the whole disk is one volume.
    Whole,
    /// The caller gave an explicit byte offset.
    Offset,
    /// Not a disk: files on a network server (PXE over TFTP).
    Network,
}

/// One region of the disk that may hold a filesystem.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Volume {
    /// How the volume was found.
    pub scheme: Scheme,
    /// Partition number as GRUB numbers it (1-based; logical MBR partitions start at
    /// 5). 0 for a whole disk or an explicit offset.
    pub number: u32,
    /// Byte offset of the volume on the disk.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
    /// The partition type, human-readable (`0x83`, `Linux filesystem`, …).
    pub type_name: String,
}

impl Volume {
    /// GRUB's name for the partition: `msdos1`, `gpt2`; empty for a whole disk.
    pub fn grub_name(&self) -> String {
        match self.scheme {
            Scheme::Msdos => format!("msdos{}", self.number),
            Scheme::Gpt => format!("gpt{}", self.number),
            Scheme::Whole | Scheme::Offset | Scheme::Network => String::new(),
        }
    }

    /// A label for messages: `msdos1 (offset 1048576)`, `whole disk` or
    /// `TFTP server 10.0.0.1:69`.
    pub fn describe(&self) -> String {
        match self.scheme {
            Scheme::Whole => "whole disk".to_string(),
            Scheme::Offset => format!("offset {}", self.offset),
            Scheme::Network => self.type_name.clone(),
            _ => format!(
                "{} (offset {}, type {})",
                self.grub_name(),
                self.offset,
                self.type_name
            ),
        }
    }
}

/// What partition discovery found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Layout {
    /// Volumes worth probing for a filesystem, in table order.
    pub volumes: Vec<Volume>,
    /// Partitions skipped and why, and other remarks.
    pub notes: Vec<String>,
}

/// Reads the partition table of `disk`. GPT is preferred over a protective MBR.
/// A disk with no valid table yields one whole-disk volume.
pub fn discover(disk: &dyn ByteSource, limits: &Limits) -> Result<Layout> {
    let mut layout = Layout::default();
    if let Some(vols) = gpt::read(disk, limits, &mut layout.notes)? {
        layout.volumes = vols;
    } else if let Some(vols) = mbr::read(disk, limits, &mut layout.notes)? {
        layout.volumes = vols;
    }
    if layout.volumes.is_empty() {
        layout.volumes.push(Volume {
            scheme: Scheme::Whole,
            number: 0,
            offset: 0,
            len: disk.len(),
            type_name: "none".to_string(),
        });
    }
    Ok(layout)
}
