//! DOS/MBR partition tables, including the EBR chain of extended partitions.
//!
//! Sector 0 of many unpartitioned disks also ends in `0x55AA` (every FAT and NTFS boot
//! sector does), so a table is only believed when its entries are plausible: boot flags
//! 0x00 or 0x80, at least one entry inside the disk, no two entries overlapping, and
//! not the fake whole-disk entry `mkfs.fat --mbr` writes into a FAT boot sector.
//! Partitions are numbered as GRUB and Linux number them: primaries 1–4 by slot,
//! logical partitions 5, 6, … in chain order.

use super::{Scheme, Volume};
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::source::ByteSource;
use std::collections::HashSet;

/// MBR tables always count in 512-byte sectors here.
const SECTOR: u64 = 512;
/// Byte offset of the four 16-byte partition entries.
const TABLE_OFFSET: usize = 446;
/// Type of the protective entry of a GPT disk.
const PROTECTIVE: u8 = 0xEE;
/// Type of a Linux swap partition.
const SWAP: u8 = 0x82;

/// One 16-byte partition entry.
#[derive(Clone, Copy, Debug)]
struct Entry {
    boot: u8,
    kind: u8,
    start: u64,
    sectors: u64,
}

type Sector = [u8; SECTOR as usize];

/// Whether a partition type is an extended container (DOS, Win98 LBA, Linux).
fn is_extended(kind: u8) -> bool {
    matches!(kind, 0x05 | 0x0F | 0x85)
}

fn le16(b: &[u8], off: usize) -> u16 {
    b.get(off..off + 2)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u16::from_le_bytes)
}

fn le32(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

fn read_sector(disk: &dyn ByteSource, lba: u64) -> Result<Sector> {
    let mut sector = [0u8; SECTOR as usize];
    let offset = lba
        .checked_mul(SECTOR)
        .ok_or_else(|| Error::corrupt(format!("sector {lba} lies beyond any disk")))?;
    disk.read_at(offset, &mut sector)?;
    Ok(sector)
}

fn has_signature(sector: &Sector) -> bool {
    sector.get(510..512) == Some(&[0x55, 0xAA][..])
}

fn entries(sector: &Sector) -> [Entry; 4] {
    let entry = |i: usize| {
        let base = TABLE_OFFSET + 16 * i;
        Entry {
            boot: sector.get(base).copied().unwrap_or(0),
            kind: sector.get(base + 4).copied().unwrap_or(0),
            start: u64::from(le32(sector, base + 8)),
            sectors: u64::from(le32(sector, base + 12)),
        }
    };
    [entry(0), entry(1), entry(2), entry(3)]
}

/// The index of the first entry whose boot flag is neither 0x00 nor 0x80.
fn bad_boot_flag(table: &[Entry; 4]) -> Option<usize> {
    table.iter().position(|e| e.boot != 0 && e.boot != 0x80)
}

/// Names the filesystem whose boot sector `sector` is, if it is one (FAT with a sane
/// BIOS parameter block and its "FAT"/"FAT32" type string, NTFS, exFAT).
fn fs_boot_sector(sector: &Sector) -> Option<&'static str> {
    match sector.get(3..11) {
        Some(b"NTFS    ") => return Some("NTFS"),
        Some(b"EXFAT   ") => return Some("exFAT"),
        _ => {}
    }
    let jump = matches!(sector.first(), Some(0xE9))
        || (sector.first() == Some(&0xEB) && sector.get(2) == Some(&0x90));
    let bytes_per_sector = le16(sector, 11);
    let per_cluster = sector.get(13).copied().unwrap_or(0);
    let reserved = le16(sector, 14);
    let fats = sector.get(16).copied().unwrap_or(0);
    let media = sector.get(21).copied().unwrap_or(0);
    let bpb_sane = matches!(bytes_per_sector, 512 | 1024 | 2048 | 4096)
        && per_cluster.is_power_of_two()
        && reserved >= 1
        && (1..=4).contains(&fats)
        && (media == 0xF0 || media >= 0xF8);
    let fat32 = sector.get(82..87) == Some(&b"FAT32"[..]);
    let fat = sector.get(54..57) == Some(&b"FAT"[..]);
    if !(jump && bpb_sane && (fat || fat32)) {
        return None;
    }
    Some(if fat32 { "FAT32" } else { "FAT" })
}

/// Checks that `sectors` sectors from `start` are a non-empty extent inside a disk of
/// `disk_sectors` sectors; says why not otherwise.
fn check_extent(start: u64, sectors: u64, disk_sectors: u64) -> std::result::Result<(), String> {
    if sectors == 0 {
        return Err("has zero length".to_string());
    }
    match start.checked_add(sectors) {
        Some(end) if end <= disk_sectors => Ok(()),
        _ => Err(format!(
            "spans sectors {start}..{} but the disk has {disk_sectors} sectors",
            start.saturating_add(sectors)
        )),
    }
}

fn volume(number: u32, start: u64, sectors: u64, kind: u8) -> Option<Volume> {
    Some(Volume {
        scheme: Scheme::Msdos,
        number,
        offset: start.checked_mul(SECTOR)?,
        len: sectors.checked_mul(SECTOR)?,
        type_name: format!("{kind:#04x}"),
    })
}

/// What sector 0 says about a GPT found at LBA 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SectorZero {
    /// A protective (0xEE) entry is present: the disk is meant to be GPT.
    Protective,
    /// A DOS partition table with partitions and no 0xEE entry.
    Dos,
    /// Anything else: no signature, a filesystem boot sector, an empty table.
    Other,
}

/// Classifies sector 0 for the GPT reader.
pub(super) fn sector_zero(disk: &dyn ByteSource) -> Result<SectorZero> {
    if disk.len() < SECTOR {
        return Ok(SectorZero::Other);
    }
    let sector = read_sector(disk, 0)?;
    let table = entries(&sector);
    if !has_signature(&sector) || bad_boot_flag(&table).is_some() {
        return Ok(SectorZero::Other);
    }
    if table.iter().any(|e| e.kind == PROTECTIVE) {
        return Ok(SectorZero::Protective);
    }
    if table.iter().any(|e| e.kind != 0) && fs_boot_sector(&sector).is_none() {
        return Ok(SectorZero::Dos);
    }
    Ok(SectorZero::Other)
}

/// Returns the volumes of an MBR-partitioned disk, or `None` when sector 0 has no
/// valid MBR signature or describes no plausible partitions.
pub fn read(
    disk: &dyn ByteSource,
    limits: &Limits,
    notes: &mut Vec<String>,
) -> Result<Option<Vec<Volume>>> {
    if disk.len() < SECTOR {
        return Ok(None);
    }
    let sector = read_sector(disk, 0)?;
    if !has_signature(&sector) {
        return Ok(None);
    }
    let fs_boot = fs_boot_sector(&sector);
    let table = entries(&sector);
    if let Some(i) = bad_boot_flag(&table) {
        if fs_boot.is_none() {
            notes.push(format!(
                "sector 0 ends in 0x55AA but MBR entry {} has boot flag {:#04x}: not a partition table",
                i + 1,
                table.get(i).map_or(0, |e| e.boot)
            ));
        }
        return Ok(None);
    }
    let disk_sectors = disk.len() / SECTOR;
    let mut entry_notes = Vec::new();
    let mut plausible = [false; 4];
    let mut protective = false;
    for (i, e) in table.iter().enumerate() {
        match e.kind {
            0 => {}
            PROTECTIVE => protective = true,
            _ => match check_extent(e.start, e.sectors, disk_sectors) {
                Ok(()) => {
                    if let Some(p) = plausible.get_mut(i) {
                        *p = true;
                    }
                }
                Err(why) => entry_notes.push(format!(
                    "msdos{} (type {:#04x}) {why}; skipped",
                    i + 1,
                    e.kind
                )),
            },
        }
    }
    let used: Vec<(usize, Entry)> = table
        .iter()
        .copied()
        .enumerate()
        .filter(|(i, _)| plausible.get(*i) == Some(&true))
        .collect();
    if let Some(kind) = fs_boot {
        if used.iter().any(|(_, e)| e.start == 0) {
            notes.push(format!(
                "sector 0 is a {kind} boot sector with a partition entry covering the filesystem \
                 itself (as mkfs.fat --mbr writes); using the whole disk"
            ));
            return Ok(None);
        }
    }
    if used.is_empty() {
        if protective {
            notes.push(
                "protective MBR (type 0xEE) found but no valid GPT header; no partitions to read"
                    .to_string(),
            );
        } else if fs_boot.is_none() {
            notes.extend(entry_notes);
        }
        return Ok(None);
    }
    for (n, (i, a)) in used.iter().enumerate() {
        for (j, b) in used.iter().skip(n + 1) {
            // Both extents were checked to end inside the disk, so these sums fit.
            if a.start < b.start + b.sectors && b.start < a.start + a.sectors {
                notes.push(format!(
                    "MBR ignored: entries {} (sectors {}+{}) and {} (sectors {}+{}) overlap",
                    i + 1,
                    a.start,
                    a.sectors,
                    j + 1,
                    b.start,
                    b.sectors
                ));
                return Ok(None);
            }
        }
    }
    notes.extend(entry_notes);
    if protective {
        notes.push(
            "hybrid MBR: the protective 0xEE entry is ignored (no valid GPT header); \
             using the other MBR entries"
                .to_string(),
        );
    }

    let mut vols = Vec::new();
    let mut extended: Option<Entry> = None;
    for (i, e) in used {
        let number = u32::try_from(i + 1).unwrap_or(u32::MAX);
        if is_extended(e.kind) {
            if extended.is_none() {
                extended = Some(e);
                notes.push(format!(
                    "msdos{number} is an extended partition (type {:#04x}): a container, \
                     its logical partitions are read instead",
                    e.kind
                ));
            } else {
                notes.push(format!(
                    "msdos{number} is a second extended partition; ignored as GRUB does"
                ));
            }
            continue;
        }
        push_data(number, e.start, e.sectors, e.kind, limits, notes, &mut vols);
    }
    if let Some(ext) = extended {
        walk_chain(disk, ext, disk_sectors, limits, notes, &mut vols)?;
    }
    Ok(Some(vols))
}

/// Adds a data partition unless it is swap or the partition limit is reached.
fn push_data(
    number: u32,
    start: u64,
    sectors: u64,
    kind: u8,
    limits: &Limits,
    notes: &mut Vec<String>,
    vols: &mut Vec<Volume>,
) {
    if kind == SWAP {
        notes.push(format!("msdos{number} is Linux swap (0x82); skipped"));
        return;
    }
    if vols.len() >= limits.max_partitions {
        notes.push(format!(
            "msdos{number} ignored: more than {} partitions (Limits::max_partitions)",
            limits.max_partitions
        ));
        return;
    }
    match volume(number, start, sectors, kind) {
        Some(v) => vols.push(v),
        None => notes.push(format!("msdos{number}: byte offset overflows; skipped")),
    }
}

/// Walks the EBR chain of the extended partition `ext`, adding its logical partitions
/// (numbered from 5). Stops, with a note, at a loop, a broken link or
/// [`Limits::max_ebr_chain`] links.
fn walk_chain(
    disk: &dyn ByteSource,
    ext: Entry,
    disk_sectors: u64,
    limits: &Limits,
    notes: &mut Vec<String>,
    vols: &mut Vec<Volume>,
) -> Result<()> {
    let ext_end = ext.start.saturating_add(ext.sectors);
    let mut visited = HashSet::new();
    let mut number: u32 = 5;
    let mut ebr = ext.start;
    for _ in 0..limits.max_ebr_chain {
        if !visited.insert(ebr) {
            notes.push(format!(
                "EBR chain loops back to sector {ebr}; later logical partitions ignored"
            ));
            return Ok(());
        }
        if ebr >= disk_sectors {
            notes.push(format!(
                "EBR at sector {ebr} lies outside the disk ({disk_sectors} sectors); chain ends"
            ));
            return Ok(());
        }
        let sector = read_sector(disk, ebr)?;
        let table = entries(&sector);
        if !has_signature(&sector) || bad_boot_flag(&table).is_some() {
            notes.push(format!(
                "EBR at sector {ebr} has no valid signature or boot flags; chain ends"
            ));
            return Ok(());
        }
        let mut next = None;
        for e in table {
            if e.kind == 0 {
                continue;
            }
            if is_extended(e.kind) {
                if next.is_none() && e.sectors != 0 {
                    next = Some(ext.start.saturating_add(e.start));
                }
                continue;
            }
            let this = number;
            number = number.saturating_add(1);
            let start = ebr.saturating_add(e.start);
            if let Err(why) = check_extent(start, e.sectors, disk_sectors) {
                notes.push(format!("msdos{this} (type {:#04x}) {why}; skipped", e.kind));
                continue;
            }
            if start < ext.start || start.saturating_add(e.sectors) > ext_end {
                notes.push(format!(
                    "msdos{this} lies partly outside its extended partition (sectors {}..{ext_end})",
                    ext.start
                ));
            }
            push_data(this, start, e.sectors, e.kind, limits, notes, vols);
        }
        match next {
            Some(n) => ebr = n,
            None => return Ok(()),
        }
    }
    notes.push(format!(
        "EBR chain longer than {} links (Limits::max_ebr_chain); later logical partitions ignored",
        limits.max_ebr_chain
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::testdisk::MemDisk;
    use super::*;

    const MIB: usize = 1 << 20;

    /// Writes entry `slot` of the table in the sector at `lba`, and the signature.
    fn set_entry(d: &mut MemDisk, lba: usize, slot: usize, boot: u8, kind: u8, start: u32, n: u32) {
        let base = lba * 512 + TABLE_OFFSET + 16 * slot;
        d.0[base] = boot;
        d.0[base + 4] = kind;
        d.put(base + 8, &start.to_le_bytes());
        d.put(base + 12, &n.to_le_bytes());
        d.put(lba * 512 + 510, &[0x55, 0xAA]);
    }

    fn read_disk(d: &MemDisk, limits: &Limits) -> (Option<Vec<Volume>>, Vec<String>) {
        let mut notes = Vec::new();
        let v = read(d, limits, &mut notes).unwrap();
        (v, notes)
    }

    fn spans(v: &[Volume]) -> Vec<(u32, u64, u64)> {
        v.iter()
            .map(|v| (v.number, v.offset / 512, v.len / 512))
            .collect()
    }

    #[test]
    fn primaries_and_logicals_numbered_like_grub() {
        let mut d = MemDisk::zeroed(8 * MIB);
        set_entry(&mut d, 0, 0, 0x80, 0x83, 2048, 2048);
        set_entry(&mut d, 0, 1, 0, 0x05, 4096, 8192);
        // EBR 1 at 4096: logical at +2048, next EBR at ext+4096.
        set_entry(&mut d, 4096, 0, 0, 0x83, 2048, 1024);
        set_entry(&mut d, 4096, 1, 0, 0x05, 4096, 4096);
        // EBR 2 at 8192: swap, end of chain.
        set_entry(&mut d, 8192, 0, 0, 0x82, 2048, 1024);
        let (v, notes) = read_disk(&d, &Limits::default());
        let v = v.unwrap();
        assert_eq!(spans(&v), vec![(1, 2048, 2048), (5, 6144, 1024)]);
        assert_eq!(v[0].type_name, "0x83");
        assert!(notes.iter().any(|n| n.contains("msdos6 is Linux swap")));
        assert!(notes.iter().any(|n| n.contains("msdos2 is an extended")));
    }

    #[test]
    fn ebr_loop_stops() {
        let mut d = MemDisk::zeroed(8 * MIB);
        set_entry(&mut d, 0, 0, 0, 0x0F, 2048, 8192);
        set_entry(&mut d, 2048, 0, 0, 0x83, 100, 100);
        set_entry(&mut d, 2048, 1, 0, 0x05, 2048, 2048); // next EBR at 4096
        set_entry(&mut d, 4096, 0, 0, 0x83, 100, 100);
        set_entry(&mut d, 4096, 1, 0, 0x05, 0, 2048); // back to the first EBR
        let (v, notes) = read_disk(&d, &Limits::default());
        assert_eq!(spans(&v.unwrap()), vec![(5, 2148, 100), (6, 4196, 100)]);
        assert!(notes
            .iter()
            .any(|n| n.contains("loops back to sector 2048")));
    }

    #[test]
    fn ebr_chain_longer_than_limit_is_cut() {
        let mut d = MemDisk::zeroed(4 * MIB);
        set_entry(&mut d, 0, 0, 0, 0x05, 16, 6000);
        // A chain of 20 EBRs every 16 sectors, each with an 8-sector logical partition.
        for k in 0..20u32 {
            let lba = 16 + 16 * k as usize;
            set_entry(&mut d, lba, 0, 0, 0x83, 8, 8);
            set_entry(&mut d, lba, 1, 0, 0x05, 16 * (k + 1), 16);
        }
        let limits = Limits {
            max_ebr_chain: 5,
            ..Limits::default()
        };
        let (v, notes) = read_disk(&d, &limits);
        let v = v.unwrap();
        assert_eq!(
            v.iter().map(|v| v.number).collect::<Vec<_>>(),
            vec![5, 6, 7, 8, 9]
        );
        assert!(notes
            .iter()
            .any(|n| n.contains("longer than 5 links (Limits::max_ebr_chain)")));
        // With the default limit the chain runs to its real end: EBR 20 links to a zero
        // sector (no signature).
        let (v, notes) = read_disk(&d, &Limits::default());
        assert_eq!(v.unwrap().len(), 20);
        assert!(notes.iter().any(|n| n.contains("no valid signature")));
    }

    #[test]
    fn out_of_disk_and_zero_length_are_skipped_with_notes() {
        let mut d = MemDisk::zeroed(MIB);
        set_entry(&mut d, 0, 0, 0, 0x83, 64, 64);
        set_entry(&mut d, 0, 1, 0, 0x83, 1000, 2000); // ends beyond 2048 sectors
        set_entry(&mut d, 0, 2, 0, 0x0C, 200, 0);
        set_entry(&mut d, 0, 3, 0, 0x83, u32::MAX, u32::MAX);
        let (v, notes) = read_disk(&d, &Limits::default());
        assert_eq!(spans(&v.unwrap()), vec![(1, 64, 64)]);
        assert!(notes
            .iter()
            .any(|n| n.starts_with("msdos2") && n.contains("2048 sectors")));
        assert!(notes
            .iter()
            .any(|n| n.starts_with("msdos3") && n.contains("zero length")));
        assert!(notes.iter().any(|n| n.starts_with("msdos4")));
    }

    #[test]
    fn bad_boot_flag_or_overlap_rejects_table() {
        let mut d = MemDisk::zeroed(MIB);
        set_entry(&mut d, 0, 0, 0x81, 0x83, 64, 64);
        assert!(read_disk(&d, &Limits::default()).0.is_none());
        let mut d = MemDisk::zeroed(MIB);
        set_entry(&mut d, 0, 0, 0, 0x83, 64, 64);
        set_entry(&mut d, 0, 1, 0, 0x83, 100, 64);
        let (v, notes) = read_disk(&d, &Limits::default());
        assert!(v.is_none());
        assert!(notes.iter().any(|n| n.contains("overlap")));
    }

    #[test]
    fn no_signature_or_tiny_disk_is_not_mbr() {
        let d = MemDisk::zeroed(MIB);
        assert!(read_disk(&d, &Limits::default()).0.is_none());
        let d = MemDisk::zeroed(100);
        assert!(read_disk(&d, &Limits::default()).0.is_none());
    }

    /// A FAT32 boot sector as mkfs.fat writes it (BPB fields that matter here).
    fn fat32_boot_sector(d: &mut MemDisk) {
        d.put(0, &[0xEB, 0x58, 0x90]);
        d.put(3, b"mkfs.fat");
        d.put(11, &512u16.to_le_bytes());
        d.0[13] = 1;
        d.put(14, &32u16.to_le_bytes());
        d.0[16] = 2;
        d.0[21] = 0xF8;
        d.put(82, b"FAT32   ");
        d.put(510, &[0x55, 0xAA]);
    }

    #[test]
    fn whole_disk_fat_boot_sector_is_not_mbr() {
        let mut d = MemDisk::zeroed(MIB);
        fat32_boot_sector(&mut d);
        let (v, notes) = read_disk(&d, &Limits::default());
        assert!(v.is_none());
        assert!(notes.is_empty(), "{notes:?}");
        // Garbage in the table area of a FAT boot sector: still not a table.
        d.put(
            446,
            b"Non-system disk or disk error, replace and press a key..",
        );
        let (v, notes) = read_disk(&d, &Limits::default());
        assert!(v.is_none());
        assert!(notes.is_empty(), "{notes:?}");
        // mkfs.fat --mbr: one bootable entry from sector 0 over the filesystem.
        let mut d = MemDisk::zeroed(MIB);
        fat32_boot_sector(&mut d);
        set_entry(&mut d, 0, 0, 0x80, 0x0C, 0, 2048);
        let (v, notes) = read_disk(&d, &Limits::default());
        assert!(v.is_none());
        assert!(notes.iter().any(|n| n.contains("mkfs.fat --mbr")));
        assert_eq!(sector_zero(&d).unwrap(), SectorZero::Other);
    }

    #[test]
    fn fat_bpb_left_in_a_real_mbr_does_not_hide_partitions() {
        // GRUB keeps the BPB bytes of sector 0 when it installs its MBR code.
        let mut d = MemDisk::zeroed(MIB);
        fat32_boot_sector(&mut d);
        set_entry(&mut d, 0, 0, 0x80, 0x83, 64, 1000);
        let (v, _) = read_disk(&d, &Limits::default());
        assert_eq!(spans(&v.unwrap()), vec![(1, 64, 1000)]);
    }

    #[test]
    fn protective_only_and_hybrid() {
        let mut d = MemDisk::zeroed(MIB);
        set_entry(&mut d, 0, 0, 0, 0xEE, 1, u32::MAX);
        let (v, notes) = read_disk(&d, &Limits::default());
        assert!(v.is_none());
        assert!(notes.iter().any(|n| n.contains("protective MBR")));
        assert_eq!(sector_zero(&d).unwrap(), SectorZero::Protective);
        set_entry(&mut d, 0, 1, 0, 0x83, 64, 64);
        let (v, notes) = read_disk(&d, &Limits::default());
        assert_eq!(spans(&v.unwrap()), vec![(2, 64, 64)]);
        assert!(notes.iter().any(|n| n.contains("hybrid MBR")));
    }

    #[test]
    fn partition_limit_bounds_volumes() {
        let mut d = MemDisk::zeroed(MIB);
        set_entry(&mut d, 0, 0, 0, 0x83, 64, 64);
        set_entry(&mut d, 0, 1, 0, 0x83, 128, 64);
        let limits = Limits {
            max_partitions: 1,
            ..Limits::default()
        };
        let (v, notes) = read_disk(&d, &limits);
        assert_eq!(spans(&v.unwrap()), vec![(1, 64, 64)]);
        assert!(notes.iter().any(|n| n.contains("max_partitions")));
        assert_eq!(sector_zero(&d).unwrap(), SectorZero::Dos);
    }
}
