//! The FAT boot sector (BIOS parameter block): recognised and validated here, before
//! the `fatfs` crate is given the volume, so that the crate never sees geometry that
//! could make its unchecked arithmetic overflow or divide by zero.

use crate::error::{Error, Result};

/// Size of the boot sector read for probing.
pub(crate) const BOOT_SECTOR_LEN: usize = 512;

/// Largest number of 32-byte slots a FAT directory may hold (the format's own bound).
pub(crate) const MAX_DIR_SLOTS: u64 = 65_536;

/// The fields of a validated boot sector that the rest of the FAT code needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BootSector {
    /// 12, 16 or 32, decided from the cluster count as the specification says.
    pub fat_bits: u32,
    /// Volume serial number, when the extended boot signature is present.
    pub serial: Option<u32>,
    /// Raw 11-byte volume label, when the extended boot signature says it is valid.
    pub label: Option<[u8; 11]>,
}

fn u8_at(b: &[u8], off: usize) -> u8 {
    b.get(off).copied().unwrap_or(0)
}

fn u16_at(b: &[u8], off: usize) -> u16 {
    match b.get(off..off.saturating_add(2)) {
        Some(&[x, y]) => u16::from_le_bytes([x, y]),
        _ => 0,
    }
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    match b.get(off..off.saturating_add(4)) {
        Some(&[a, c, d, e]) => u32::from_le_bytes([a, c, d, e]),
        _ => 0,
    }
}

fn bytes_at<const N: usize>(b: &[u8], off: usize) -> Option<[u8; N]> {
    b.get(off..off.checked_add(N)?)?.try_into().ok()
}

/// True when `sector` carries a FAT signature: the 0x55AA boot signature and either
/// a `FAT` file-system type string (as every formatter writes) or, for old DOS
/// disks without one, a jump instruction with a plausible media byte and FAT count.
/// Master boot records, NTFS and exFAT boot sectors are not recognised.
pub(crate) fn looks_like_fat(sector: &[u8]) -> bool {
    if bytes_at::<2>(sector, 510) != Some([0x55, 0xAA]) {
        return false;
    }
    if bytes_at::<8>(sector, 3) == Some(*b"EXFAT   ")
        || bytes_at::<8>(sector, 3) == Some(*b"NTFS    ")
    {
        return false;
    }
    let type_string = |off| bytes_at::<3>(sector, off) == Some(*b"FAT");
    if type_string(54) || type_string(82) {
        return true;
    }
    let jump = matches!(u8_at(sector, 0), 0xEB | 0xE9);
    let media = matches!(u8_at(sector, 21), 0xF0 | 0xF8..=0xFF);
    let fats = matches!(u8_at(sector, 16), 1 | 2);
    jump && media && fats
}

/// Validates the boot sector of a volume of `volume_len` bytes. Every value that
/// `fatfs` later computes with is checked here with checked, 64-bit arithmetic.
pub(crate) fn validate(sector: &[u8], volume_len: u64) -> Result<BootSector> {
    let bad = |what: String| Error::corrupt(format!("FAT boot sector: {what}"));
    if bytes_at::<2>(sector, 510) != Some([0x55, 0xAA]) {
        return Err(bad("no 0x55AA signature".into()));
    }
    let bps = u16_at(sector, 11);
    if !bps.is_power_of_two() || !(512..=4096).contains(&bps) {
        return Err(bad(format!(
            "bytes per sector is {bps}, not a power of two from 512 to 4096"
        )));
    }
    let spc = u8_at(sector, 13);
    if !spc.is_power_of_two() {
        return Err(bad(format!(
            "sectors per cluster is {spc}, not a non-zero power of two"
        )));
    }
    let reserved = u16_at(sector, 14);
    if reserved == 0 {
        return Err(bad(
            "no reserved sectors (the boot sector itself is one)".into()
        ));
    }
    let fats = u8_at(sector, 16);
    if fats == 0 {
        return Err(bad("number of FATs is 0".into()));
    }
    let root_entries = u16_at(sector, 17);
    let total16 = u16_at(sector, 19);
    let fat16_len = u16_at(sector, 22);
    let total32 = u32_at(sector, 32);
    let is_fat32 = fat16_len == 0;
    let sectors_per_fat = if is_fat32 {
        u32_at(sector, 36)
    } else {
        u32::from(fat16_len)
    };
    if sectors_per_fat == 0 {
        return Err(bad("sectors per FAT is 0".into()));
    }
    if (total16 == 0) == (total32 == 0) {
        return Err(bad(format!(
            "exactly one of the 16-bit ({total16}) and 32-bit ({total32}) total sector counts must be set"
        )));
    }
    let total = if total16 != 0 {
        u64::from(total16)
    } else {
        u64::from(total32)
    };
    let bps64 = u64::from(bps);
    let volume_bytes = total * bps64; // both at most 32 bits wide: cannot overflow
    if volume_bytes > volume_len {
        return Err(bad(format!(
            "the volume claims {volume_bytes} bytes but only {volume_len} are there"
        )));
    }
    // The crate computes the FAT's size in bits in 32 bits.
    let fat_bytes = u64::from(sectors_per_fat) * bps64;
    if fat_bytes.saturating_mul(8) > u64::from(u32::MAX) {
        return Err(bad(format!(
            "a FAT of {fat_bytes} bytes is implausibly large"
        )));
    }
    let root_dir_sectors = (u64::from(root_entries) * 32).div_ceil(bps64);
    let first_data =
        u64::from(reserved) + u64::from(fats) * u64::from(sectors_per_fat) + root_dir_sectors;
    if first_data >= total {
        return Err(bad(format!(
            "the reserved sectors, FATs and root directory ({first_data} sectors) fill the whole volume ({total} sectors)"
        )));
    }
    let clusters = (total - first_data) / u64::from(spc);
    let fat_bits = match clusters {
        0..4085 => 12,
        4085..65525 => 16,
        _ => 32,
    };
    if (fat_bits == 32) != is_fat32 {
        return Err(bad(format!(
            "{clusters} clusters mean FAT{fat_bits} but the sectors-per-FAT fields say {}",
            if is_fat32 { "FAT32" } else { "FAT12/16" }
        )));
    }
    if clusters > 0x0FFF_FFF4 {
        return Err(bad(format!(
            "{clusters} clusters are more than FAT32 can address"
        )));
    }
    let fat_entries = fat_bytes * 8 / u64::from(fat_bits);
    if fat_entries < clusters + 2 {
        return Err(bad(format!(
            "the FAT has {fat_entries} entries, too few for {clusters} clusters"
        )));
    }
    let ext_sig_at = if is_fat32 {
        if root_entries != 0 {
            return Err(bad("FAT32 with a fixed root directory".into()));
        }
        let root_cluster = u64::from(u32_at(sector, 44));
        if !(2..clusters + 2).contains(&root_cluster) {
            return Err(bad(format!(
                "root directory cluster {root_cluster} is outside the data area"
            )));
        }
        for (name, off) in [("FSInfo", 48), ("backup boot", 50)] {
            let s = u16_at(sector, off);
            if s >= reserved {
                return Err(bad(format!(
                    "{name} sector {s} is outside the {reserved} reserved sectors"
                )));
            }
        }
        66
    } else {
        if root_entries == 0 {
            return Err(bad("FAT12/16 without root directory entries".into()));
        }
        38
    };
    let ext_sig = u8_at(sector, ext_sig_at);
    let serial = matches!(ext_sig, 0x28 | 0x29).then(|| u32_at(sector, ext_sig_at + 1));
    let label = if ext_sig == 0x29 {
        bytes_at::<11>(sector, ext_sig_at + 5)
    } else {
        None
    };
    Ok(BootSector {
        fat_bits,
        serial,
        label,
    })
}

/// The volume serial as `blkid` prints it: `XXXX-XXXX`, upper-case hex.
pub(crate) fn format_serial(serial: u32) -> String {
    format!("{:04X}-{:04X}", serial >> 16, serial & 0xFFFF)
}

/// The label with trailing spaces removed; `None` when empty or `NO NAME`.
pub(crate) fn format_label(raw: &[u8; 11]) -> Option<String> {
    let end = raw
        .iter()
        .rposition(|&b| b != b' ' && b != 0)
        .map_or(0, |p| p + 1);
    let trimmed = raw.get(..end)?;
    if trimmed.is_empty() || trimmed == b"NO NAME" {
        return None;
    }
    Some(String::from_utf8_lossy(trimmed).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A FAT16 boot sector as mkfs.vfat writes it for a 32 MiB volume.
    fn fat16() -> Vec<u8> {
        let mut s = vec![0u8; 512];
        s[0..3].copy_from_slice(&[0xEB, 0x3C, 0x90]);
        s[3..11].copy_from_slice(b"mkfs.fat");
        s[11..13].copy_from_slice(&512u16.to_le_bytes());
        s[13] = 4; // 2 KiB clusters
        s[14..16].copy_from_slice(&4u16.to_le_bytes());
        s[16] = 2;
        s[17..19].copy_from_slice(&512u16.to_le_bytes());
        s[19..21].copy_from_slice(&0u16.to_le_bytes());
        s[21] = 0xF8;
        s[22..24].copy_from_slice(&64u16.to_le_bytes());
        s[32..36].copy_from_slice(&65536u32.to_le_bytes());
        s[38] = 0x29;
        s[39..43].copy_from_slice(&0x1234_ABCDu32.to_le_bytes());
        s[43..54].copy_from_slice(b"BOOT       ");
        s[54..62].copy_from_slice(b"FAT16   ");
        s[510] = 0x55;
        s[511] = 0xAA;
        s
    }

    const LEN: u64 = 32 << 20;

    #[test]
    fn accepts_a_sound_fat16_sector() {
        let s = fat16();
        assert!(looks_like_fat(&s));
        let b = validate(&s, LEN).unwrap();
        assert_eq!(b.fat_bits, 16);
        assert_eq!(b.serial.map(format_serial).as_deref(), Some("1234-ABCD"));
        assert_eq!(
            b.label.as_ref().and_then(format_label).as_deref(),
            Some("BOOT")
        );
    }

    fn rejected(edit: impl FnOnce(&mut Vec<u8>), needle: &str) {
        let mut s = fat16();
        edit(&mut s);
        let e = validate(&s, LEN).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Corrupt);
        assert!(e.to_string().contains(needle), "{e}");
    }

    #[test]
    fn rejects_bad_geometry_with_a_message_naming_it() {
        rejected(
            |s| s[11..13].copy_from_slice(&0u16.to_le_bytes()),
            "bytes per sector is 0",
        );
        rejected(
            |s| s[11..13].copy_from_slice(&768u16.to_le_bytes()),
            "bytes per sector is 768",
        );
        rejected(|s| s[13] = 0, "sectors per cluster is 0");
        rejected(|s| s[13] = 3, "sectors per cluster is 3");
        rejected(|s| s[14..16].fill(0), "no reserved sectors");
        rejected(|s| s[16] = 0, "number of FATs is 0");
        rejected(|s| s[510] = 0, "0x55AA");
        rejected(
            |s| s[19..21].copy_from_slice(&100u16.to_le_bytes()),
            "exactly one",
        );
        rejected(
            |s| s[32..36].copy_from_slice(&200_000u32.to_le_bytes()),
            "only 33554432 are there",
        );
        rejected(
            |s| s[22..24].copy_from_slice(&40_000u16.to_le_bytes()),
            "fill the whole volume",
        );
        rejected(
            |s| s[22..24].copy_from_slice(&8u16.to_le_bytes()),
            "too few",
        );
        rejected(
            |s| {
                s[22..24].fill(0);
                s[36..40].fill(0);
            },
            "sectors per FAT is 0",
        );
        rejected(|s| s[17..19].fill(0), "without root directory");
    }

    #[test]
    fn rejects_fat32_geometry_that_overflows_32_bit_arithmetic() {
        let mut s = fat16();
        s[22..24].fill(0); // FAT32
        s[17..19].fill(0);
        s[11..13].copy_from_slice(&4096u16.to_le_bytes());
        s[16] = 255;
        s[36..40].copy_from_slice(&u32::MAX.to_le_bytes());
        s[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = validate(&s, u64::MAX).unwrap_err();
        assert!(e.to_string().contains("implausibly large"), "{e}");
    }

    #[test]
    fn master_boot_record_and_ntfs_are_not_fat() {
        let mut mbr = vec![0u8; 512];
        mbr[0] = 0xEB;
        mbr[510] = 0x55;
        mbr[511] = 0xAA;
        assert!(!looks_like_fat(&mbr));
        let mut ntfs = fat16();
        ntfs[3..11].copy_from_slice(b"NTFS    ");
        assert!(!looks_like_fat(&ntfs));
        let mut old_dos = fat16();
        old_dos[54..62].fill(0);
        assert!(looks_like_fat(&old_dos));
    }

    #[test]
    fn labels_and_serials_format_like_blkid() {
        assert_eq!(format_label(b"NO NAME    "), None);
        assert_eq!(format_label(b"           "), None);
        assert_eq!(format_label(b"My Disk    ").as_deref(), Some("My Disk"));
        assert_eq!(format_serial(0x00AB_0001), "00AB-0001");
    }
}
