//! GUID partition tables (512- and 4096-byte logical sectors).
//!
//! The header at LBA 1 is checked (signature, size, CRC-32, its own LBA, the entry
//! array's place, count, entry size and CRC-32); when it is bad the backup header at
//! the last LBA is tried. Entries are read by their declared size, in bounded chunks.

use super::crc32::{crc32, Crc32};
use super::mbr::{self, SectorZero};
use super::{Scheme, Volume};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;
use crate::source::ByteSource;

/// The header signature.
const SIGNATURE: &[u8; 8] = b"EFI PART";
/// Logical sector sizes tried, in order.
const SECTOR_SIZES: [u64; 2] = [512, 4096];
/// Smallest valid header (UEFI 2.x).
const MIN_HEADER: u32 = 92;
/// Smallest valid partition entry.
const MIN_ENTRY: u32 = 128;
/// Largest partition entry accepted (UEFI allows 128 × 2^n; real disks use 128).
const MAX_ENTRY: u32 = 4096;
/// Bytes of the entry array read at a time.
const CHUNK: u32 = 64 * 1024;

/// Type GUID of a BIOS boot partition (GRUB's core image, no filesystem).
const BIOS_BOOT: &str = "21686148-6449-6E61-6E6F-744E65656646";
/// Type GUID of a Linux swap partition.
const LINUX_SWAP: &str = "0657FD6D-A4AB-43C4-84E5-0933C84B4F4F";

/// Short names of common partition type GUIDs.
const TYPE_NAMES: &[(&str, &str)] = &[
    ("0FC63DAF-8483-4772-8E79-3D69D8477DE4", "Linux filesystem"),
    ("C12A7328-F81F-11D2-BA4B-00A0C93EC93B", "EFI System"),
    (BIOS_BOOT, "BIOS boot"),
    (LINUX_SWAP, "Linux swap"),
    ("E6D6D379-F507-44C2-A23C-238F2A3DF928", "Linux LVM"),
    ("A19D880F-05FC-4D3B-A006-743F0F84911E", "Linux RAID"),
    ("CA7D7CCB-63ED-4C53-861C-1742536059CC", "Linux LUKS"),
    (
        "BC13C2FF-59E6-4262-A352-B275FD6F7172",
        "Linux extended boot (XBOOTLDR)",
    ),
    (
        "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709",
        "Linux root (x86-64)",
    ),
    ("44479540-F297-41B2-9AF7-D131D5F0458A", "Linux root (x86)"),
    ("B921B045-1DF0-41C3-AF44-4C6F280D3FAE", "Linux root (ARM64)"),
    (
        "8484680C-9521-48C6-9C11-B0720656F69E",
        "Linux /usr (x86-64)",
    ),
    ("933AC7E1-2EB4-4F13-B844-0E14E2AEF915", "Linux home"),
    ("3B8F8425-20E0-4F3B-907F-1A25A76F98E8", "Linux server data"),
    (
        "4D21B016-B534-45C2-A9FB-5C16E091FD2D",
        "Linux variable data",
    ),
    (
        "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7",
        "Microsoft basic data",
    ),
    ("E3C9E316-0B5C-4DB8-817D-F92DF00215AE", "Microsoft reserved"),
    ("DE94BBA4-06D1-4D40-A16A-BFD50179D6AC", "Windows recovery"),
    ("516E7CB4-6ECF-11D6-8FF8-00022D09712B", "FreeBSD data"),
    ("83BD6B9D-7F41-11DC-BE0B-001560B84F0F", "FreeBSD boot"),
    ("48465300-0000-11AA-AA11-00306543ECAC", "Apple HFS+"),
];

/// A non-empty partition entry as read from the array.
struct RawEntry {
    index: u32,
    type_guid: [u8; 16],
    first: u64,
    last: u64,
}

/// A header that passed every check, with the non-empty entries of its array.
struct Header {
    sector: u64,
    lba: u64,
    entries: Vec<RawEntry>,
}

fn le32(b: &[u8], off: usize) -> u32 {
    b.get(off..off + 4)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

fn le64(b: &[u8], off: usize) -> u64 {
    b.get(off..off + 8)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

/// The text form of a GUID stored in GPT's mixed-endian layout.
fn guid_text(g: &[u8; 16]) -> String {
    format!(
        "{:08X}-{:04X}-{:04X}-{:02X}{:02X}-{:02X}{:02X}{:02X}{:02X}{:02X}{:02X}",
        u32::from_le_bytes([g[0], g[1], g[2], g[3]]),
        u16::from_le_bytes([g[4], g[5]]),
        u16::from_le_bytes([g[6], g[7]]),
        g[8],
        g[9],
        g[10],
        g[11],
        g[12],
        g[13],
        g[14],
        g[15]
    )
}

/// A short human name for a partition type GUID, or the GUID itself.
fn type_name(guid: &str) -> String {
    TYPE_NAMES
        .iter()
        .find(|(g, _)| *g == guid)
        .map_or_else(|| guid.to_string(), |(_, name)| (*name).to_string())
}

/// Reads `len` bytes at `lba` × `sector` when they lie inside the disk.
fn read_lba(disk: &dyn ByteSource, sector: u64, lba: u64, len: usize) -> Result<Option<Vec<u8>>> {
    let Some(off) = lba.checked_mul(sector) else {
        return Ok(None);
    };
    match off.checked_add(len as u64) {
        Some(end) if end <= disk.len() => {}
        _ => return Ok(None),
    }
    let mut buf = vec![0u8; len];
    disk.read_at(off, &mut buf)?;
    Ok(Some(buf))
}

/// Reads and checks the header at `lba`, then its entry array. Invalid data gives a
/// [`ErrorKind::Corrupt`] or [`ErrorKind::Limit`] error saying what is wrong.
fn parse_header(disk: &dyn ByteSource, sector: u64, lba: u64, limits: &Limits) -> Result<Header> {
    let sector_len = usize::try_from(sector).map_err(|_| Error::corrupt("sector size"))?;
    let buf = read_lba(disk, sector, lba, sector_len)?
        .ok_or_else(|| Error::corrupt("the header lies beyond the end of the disk"))?;
    if buf.get(..8) != Some(&SIGNATURE[..]) {
        return Err(Error::corrupt("no \"EFI PART\" signature"));
    }
    let header_size = le32(&buf, 12);
    if header_size < MIN_HEADER || u64::from(header_size) > sector {
        return Err(Error::corrupt(format!(
            "header size {header_size} is outside {MIN_HEADER}..={sector}"
        )));
    }
    let mut header = buf
        .get(..header_size as usize)
        .ok_or_else(|| Error::corrupt("short header"))?
        .to_vec();
    if let Some(field) = header.get_mut(16..20) {
        field.fill(0);
    }
    let stored = le32(&buf, 16);
    let computed = crc32(&header);
    if stored != computed {
        return Err(Error::corrupt(format!(
            "header CRC32 mismatch (stored {stored:#010x}, computed {computed:#010x})"
        )));
    }
    let my_lba = le64(&buf, 24);
    if my_lba != lba {
        return Err(Error::corrupt(format!(
            "header says it is at LBA {my_lba}, not {lba}"
        )));
    }
    let entry_lba = le64(&buf, 72);
    let count = le32(&buf, 80);
    let entry_size = le32(&buf, 84);
    let array_crc = le32(&buf, 88);
    if count > limits.max_gpt_entries {
        return Err(Error::limit(format!(
            "{count} partition entries exceed the limit of {} (Limits::max_gpt_entries)",
            limits.max_gpt_entries
        )));
    }
    if entry_size < MIN_ENTRY || entry_size % 8 != 0 || entry_size > MAX_ENTRY {
        return Err(Error::corrupt(format!(
            "partition entry size {entry_size} is not a multiple of 8 in {MIN_ENTRY}..={MAX_ENTRY}"
        )));
    }
    // Both factors fit in 32 bits, so the product fits in 64.
    let array_bytes = u64::from(count) * u64::from(entry_size);
    let array_end_lba = entry_lba.saturating_add(array_bytes.div_ceil(sector));
    if entry_lba == 0 || (entry_lba <= lba && lba < array_end_lba) {
        return Err(Error::corrupt(format!(
            "partition entry array at LBA {entry_lba}..{array_end_lba} overlaps the MBR or the header"
        )));
    }
    let array_off = entry_lba
        .checked_mul(sector)
        .filter(|off| {
            off.checked_add(array_bytes)
                .is_some_and(|end| end <= disk.len())
        })
        .ok_or_else(|| {
            Error::corrupt(format!(
                "partition entry array at LBA {entry_lba} ({array_bytes} bytes) lies beyond the end of the disk"
            ))
        })?;
    let entries = read_entries(disk, array_off, count, entry_size, array_crc)?;
    Ok(Header {
        sector,
        lba,
        entries,
    })
}

/// Reads `count` entries of `entry_size` bytes at `array_off` in bounded chunks,
/// checking the array's CRC-32; returns the entries whose type GUID is not zero.
fn read_entries(
    disk: &dyn ByteSource,
    array_off: u64,
    count: u32,
    entry_size: u32,
    array_crc: u32,
) -> Result<Vec<RawEntry>> {
    let per_chunk = (CHUNK / entry_size).max(1);
    let size = entry_size as usize;
    let mut crc = Crc32::new();
    let mut entries = Vec::new();
    let mut chunk = Vec::new();
    let mut index: u32 = 0;
    while index < count {
        let n = per_chunk.min(count - index);
        chunk.resize(n as usize * size, 0);
        // index < count and the whole array was checked to lie inside the disk.
        let off = array_off + u64::from(index) * u64::from(entry_size);
        disk.read_at(off, &mut chunk)?;
        crc.update(&chunk);
        for (k, raw) in (0u32..).zip(chunk.chunks_exact(size)) {
            let Some(type_guid) = raw.get(..16).and_then(|g| <[u8; 16]>::try_from(g).ok()) else {
                continue;
            };
            if type_guid == [0; 16] {
                continue;
            }
            entries.push(RawEntry {
                index: index + k,
                type_guid,
                first: le64(raw, 32),
                last: le64(raw, 40),
            });
        }
        index += n;
    }
    let computed = crc.finish();
    if computed != array_crc {
        return Err(Error::corrupt(format!(
            "partition entry array CRC32 mismatch (stored {array_crc:#010x}, computed {computed:#010x})"
        )));
    }
    Ok(entries)
}

/// Whether an error from [`parse_header`] means "this header is invalid" (as opposed
/// to an I/O failure, which is passed on).
fn is_invalid(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Corrupt | ErrorKind::Limit)
}

/// Tries the backup header at the last LBA (and at `hint`, the primary header's
/// AlternateLBA, when that differs); records why each candidate failed.
fn try_backup(
    disk: &dyn ByteSource,
    sector: u64,
    hint: Option<u64>,
    limits: &Limits,
    reasons: &mut Vec<String>,
) -> Result<Option<Header>> {
    let sectors = disk.len() / sector;
    let Some(last) = sectors.checked_sub(1).filter(|l| *l > 1) else {
        reasons.push("the disk is too small for a backup header".to_string());
        return Ok(None);
    };
    let mut candidates = vec![last];
    if let Some(h) = hint.filter(|h| *h > 1 && *h < last) {
        candidates.push(h);
    }
    for lba in candidates {
        match parse_header(disk, sector, lba, limits) {
            Ok(h) => return Ok(Some(h)),
            Err(e) if is_invalid(&e) => {
                reasons.push(format!("backup header at LBA {lba}: {}", e.message()));
            }
            Err(e) => return Err(e.context(format!("reading the GPT backup header at LBA {lba}"))),
        }
    }
    Ok(None)
}

/// Whether LBA 1 for `sector`-byte sectors starts with the GPT signature.
fn signature_at(disk: &dyn ByteSource, sector: u64) -> Result<bool> {
    Ok(read_lba(disk, sector, 1, SIGNATURE.len())?.is_some_and(|b| b == SIGNATURE))
}

/// Returns the volumes of a GPT disk, or `None` when there is no valid GPT header
/// at LBA 1 (for 512- or 4096-byte sectors) nor a valid backup header.
pub fn read(
    disk: &dyn ByteSource,
    limits: &Limits,
    notes: &mut Vec<String>,
) -> Result<Option<Vec<Volume>>> {
    let zero = mbr::sector_zero(disk)?;
    let mut found = None;
    for sector in SECTOR_SIZES {
        if signature_at(disk, sector)? {
            found = Some(sector);
            break;
        }
    }
    let header = match found {
        Some(sector) => {
            if zero == SectorZero::Dos {
                notes.push(format!(
                    "a GPT header is at LBA 1 ({sector}-byte sectors) but the MBR has no \
                     protective 0xEE entry; using the MBR, as Linux and GRUB do"
                ));
                return Ok(None);
            }
            if zero == SectorZero::Other {
                notes.push("GPT without a protective MBR in sector 0".to_string());
            }
            match parse_header(disk, sector, 1, limits) {
                Ok(h) => h,
                Err(e) if is_invalid(&e) => {
                    let why = format!(
                        "primary GPT header at LBA 1 ({sector}-byte sectors) rejected: {}",
                        e.message()
                    );
                    let hint = read_lba(disk, sector, 1, 40)?.map(|b| le64(&b, 32));
                    let mut reasons = Vec::new();
                    match try_backup(disk, sector, hint, limits, &mut reasons)? {
                        Some(h) => {
                            notes.push(format!("{why}; using the backup header at LBA {}", h.lba));
                            h
                        }
                        None => {
                            notes.push(format!("{why}; {}; GPT ignored", reasons.join("; ")));
                            return Ok(None);
                        }
                    }
                }
                Err(e) => return Err(e.context("reading the GPT header at LBA 1")),
            }
        }
        None if zero == SectorZero::Protective => {
            let mut reasons = Vec::new();
            let mut backup = None;
            for sector in SECTOR_SIZES {
                backup = try_backup(disk, sector, None, limits, &mut reasons)?;
                if backup.is_some() {
                    break;
                }
            }
            match backup {
                Some(h) => {
                    notes.push(format!(
                        "no GPT header at LBA 1; using the backup header at LBA {} \
                         ({}-byte sectors)",
                        h.lba, h.sector
                    ));
                    h
                }
                None => {
                    notes.push(format!(
                        "no GPT header at LBA 1 and no valid backup ({})",
                        reasons.join("; ")
                    ));
                    return Ok(None);
                }
            }
        }
        None => return Ok(None),
    };
    Ok(Some(volumes(&header, disk.len(), limits, notes)))
}

/// Turns the entries of a valid header into volumes, skipping (with a note) BIOS boot
/// and swap partitions and entries that do not fit the disk.
fn volumes(
    header: &Header,
    disk_len: u64,
    limits: &Limits,
    notes: &mut Vec<String>,
) -> Vec<Volume> {
    let disk_sectors = disk_len / header.sector;
    let mut vols = Vec::new();
    for e in &header.entries {
        let number = e.index.saturating_add(1);
        let guid = guid_text(&e.type_guid);
        let name = type_name(&guid);
        if guid == BIOS_BOOT || guid == LINUX_SWAP {
            notes.push(format!("gpt{number} is a {name} partition; skipped"));
            continue;
        }
        if e.first > e.last || e.last >= disk_sectors {
            notes.push(format!(
                "gpt{number} ({name}) spans LBA {}..={} but the disk has {disk_sectors} \
                 {}-byte sectors; skipped",
                e.first, e.last, header.sector
            ));
            continue;
        }
        if vols.len() >= limits.max_partitions {
            notes.push(format!(
                "gpt{number} and later ignored: more than {} partitions (Limits::max_partitions)",
                limits.max_partitions
            ));
            break;
        }
        // last < disk_sectors, so these products are at most the disk length.
        let (Some(offset), Some(len)) = (
            e.first.checked_mul(header.sector),
            (e.last - e.first + 1).checked_mul(header.sector),
        ) else {
            continue;
        };
        vols.push(Volume {
            scheme: Scheme::Gpt,
            number,
            offset,
            len,
            type_name: name,
        });
    }
    vols
}

#[cfg(test)]
mod tests {
    use super::super::testdisk::MemDisk;
    use super::*;

    const LINUX: &str = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";

    fn guid_bytes(text: &str) -> [u8; 16] {
        let hex: String = text.chars().filter(|c| *c != '-').collect();
        let b: Vec<u8> = (0..16)
            .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let mut g = [0u8; 16];
        g[..4].copy_from_slice(&[b[3], b[2], b[1], b[0]]);
        g[4..6].copy_from_slice(&[b[5], b[4]]);
        g[6..8].copy_from_slice(&[b[7], b[6]]);
        g[8..].copy_from_slice(&b[8..]);
        g
    }

    /// A GPT layout to write into a [`MemDisk`].
    struct Spec {
        sector: usize,
        count: u32,
        entry_size: u32,
        parts: Vec<(&'static str, u64, u64)>,
    }

    impl Spec {
        fn new(sector: usize, parts: Vec<(&'static str, u64, u64)>) -> Self {
            Spec {
                sector,
                count: 128,
                entry_size: 128,
                parts,
            }
        }

        fn array(&self) -> Vec<u8> {
            let size = self.entry_size as usize;
            let mut a = vec![0u8; self.count as usize * size];
            for (i, (ty, first, last)) in self.parts.iter().enumerate() {
                let e = &mut a[i * size..(i + 1) * size];
                e[..16].copy_from_slice(&guid_bytes(ty));
                e[16] = i as u8 + 1; // unique GUID
                e[32..40].copy_from_slice(&first.to_le_bytes());
                e[40..48].copy_from_slice(&last.to_le_bytes());
                // Bytes past the 128 the spec defines still count in the CRC.
                for b in &mut e[128..] {
                    *b = 0xA5;
                }
            }
            a
        }

        fn header(&self, my_lba: u64, alt_lba: u64, entry_lba: u64, array_crc: u32) -> Vec<u8> {
            let mut h = vec![0u8; 92];
            h[..8].copy_from_slice(SIGNATURE);
            h[8..12].copy_from_slice(&0x0001_0000u32.to_le_bytes());
            h[12..16].copy_from_slice(&92u32.to_le_bytes());
            h[24..32].copy_from_slice(&my_lba.to_le_bytes());
            h[32..40].copy_from_slice(&alt_lba.to_le_bytes());
            h[40..48].copy_from_slice(&34u64.to_le_bytes());
            h[72..80].copy_from_slice(&entry_lba.to_le_bytes());
            h[80..84].copy_from_slice(&self.count.to_le_bytes());
            h[84..88].copy_from_slice(&self.entry_size.to_le_bytes());
            h[88..92].copy_from_slice(&array_crc.to_le_bytes());
            let crc = crc32(&h);
            h[16..20].copy_from_slice(&crc.to_le_bytes());
            h
        }

        /// Writes the protective MBR, the primary and the backup GPT.
        fn write(&self, d: &mut MemDisk) {
            let ss = self.sector;
            let sectors = (d.0.len() / ss) as u64;
            d.0[446 + 4] = 0xEE;
            d.put(446 + 8, &1u32.to_le_bytes());
            d.put(
                446 + 12,
                &((sectors - 1).min(u32::MAX as u64) as u32).to_le_bytes(),
            );
            d.put(510, &[0x55, 0xAA]);
            let array = self.array();
            let crc = crc32(&array);
            let array_sectors = (array.len() as u64).div_ceil(ss as u64);
            let last = sectors - 1;
            d.put(ss, &self.header(1, last, 2, crc));
            d.put(2 * ss, &array);
            let backup_array = last - array_sectors;
            d.put(backup_array as usize * ss, &array);
            d.put(last as usize * ss, &self.header(last, 1, backup_array, crc));
        }
    }

    fn read_disk(d: &MemDisk, limits: &Limits) -> (Option<Vec<Volume>>, Vec<String>) {
        let mut notes = Vec::new();
        let v = read(d, limits, &mut notes).unwrap();
        (v, notes)
    }

    fn spans(v: &[Volume]) -> Vec<(u32, u64, u64, &str)> {
        v.iter()
            .map(|v| (v.number, v.offset, v.len, v.type_name.as_str()))
            .collect()
    }

    const MIB: usize = 1 << 20;

    #[test]
    fn bios_boot_first_then_linux() {
        let mut d = MemDisk::zeroed(4 * MIB);
        Spec::new(512, vec![(BIOS_BOOT, 2048, 4095), (LINUX, 4096, 6143)]).write(&mut d);
        let (v, notes) = read_disk(&d, &Limits::default());
        assert_eq!(
            spans(&v.unwrap()),
            vec![(2, 4096 * 512, 2048 * 512, "Linux filesystem")]
        );
        assert_eq!(notes, vec!["gpt1 is a BIOS boot partition; skipped"]);
    }

    #[test]
    fn sector_size_4096() {
        let mut d = MemDisk::zeroed(8 * MIB);
        Spec::new(4096, vec![(LINUX, 256, 511)]).write(&mut d);
        let (v, notes) = read_disk(&d, &Limits::default());
        assert_eq!(
            spans(&v.unwrap()),
            vec![(1, 256 * 4096, 256 * 4096, "Linux filesystem")]
        );
        assert!(notes.is_empty(), "{notes:?}");
    }

    #[test]
    fn entry_size_256_is_read_by_declared_size() {
        let mut d = MemDisk::zeroed(4 * MIB);
        let mut spec = Spec::new(512, vec![(LINUX, 100, 199), (LINUX, 200, 299)]);
        spec.entry_size = 256;
        spec.write(&mut d);
        let (v, _) = read_disk(&d, &Limits::default());
        let v = v.unwrap();
        assert_eq!(
            v.iter()
                .map(|v| (v.number, v.offset / 512))
                .collect::<Vec<_>>(),
            vec![(1, 100), (2, 200)]
        );
    }

    #[test]
    fn bad_header_crc_falls_back_to_backup() {
        let mut d = MemDisk::zeroed(4 * MIB);
        Spec::new(512, vec![(LINUX, 2048, 4095)]).write(&mut d);
        d.0[512 + 40] ^= 1; // FirstUsableLBA changed, CRC now wrong
        let (v, notes) = read_disk(&d, &Limits::default());
        assert_eq!(
            spans(&v.unwrap()),
            vec![(1, 2048 * 512, 2048 * 512, "Linux filesystem")]
        );
        assert_eq!(notes.len(), 1);
        assert!(notes[0].contains("header CRC32 mismatch"), "{notes:?}");
        assert!(
            notes[0].contains("using the backup header at LBA 8191"),
            "{notes:?}"
        );
    }

    #[test]
    fn bad_array_crc_falls_back_to_backup() {
        let mut d = MemDisk::zeroed(4 * MIB);
        Spec::new(512, vec![(LINUX, 2048, 4095)]).write(&mut d);
        d.0[2 * 512 + 32] ^= 0x10; // first LBA of entry 1 in the primary array
        let (v, notes) = read_disk(&d, &Limits::default());
        assert_eq!(v.unwrap()[0].offset, 2048 * 512);
        assert!(notes[0].contains("entry array CRC32 mismatch"), "{notes:?}");
    }

    #[test]
    fn missing_primary_with_protective_mbr_uses_backup() {
        let mut d = MemDisk::zeroed(4 * MIB);
        Spec::new(512, vec![(LINUX, 2048, 4095)]).write(&mut d);
        d.put(512, &[0; 512]);
        let (v, notes) = read_disk(&d, &Limits::default());
        assert_eq!(v.unwrap()[0].offset, 2048 * 512);
        assert!(
            notes[0].contains("no GPT header at LBA 1; using the backup"),
            "{notes:?}"
        );
    }

    #[test]
    fn absurd_entry_count_is_refused_without_allocating() {
        let mut d = MemDisk::zeroed(4 * MIB);
        let mut spec = Spec::new(512, vec![]);
        spec.write(&mut d);
        // Headers with valid CRCs that claim 2^32-1 entries of 4096 bytes.
        spec.count = u32::MAX;
        spec.entry_size = 4096;
        d.put(512, &spec.header(1, 8191, 2, 0));
        d.put(8191 * 512, &spec.header(8191, 1, 8000, 0));
        let (v, notes) = read_disk(&d, &Limits::default());
        assert!(v.is_none());
        assert!(notes[0].contains("4294967295 partition entries exceed the limit of 1024"));
        assert!(notes[0].contains("backup header at LBA 8191: 4294967295"));
        // Through discover: the protective MBR is noted and the whole disk is used.
        let layout = super::super::discover(&d, &Limits::default()).unwrap();
        assert_eq!(layout.volumes.len(), 1);
        assert_eq!(layout.volumes[0].scheme, Scheme::Whole);
        assert!(layout.notes.iter().any(|n| n.contains("protective MBR")));
        // A raised limit lets the count through; the array then ends beyond the disk.
        let limits = Limits {
            max_gpt_entries: u32::MAX,
            ..Limits::default()
        };
        let (v, notes) = read_disk(&d, &limits);
        assert!(v.is_none());
        assert!(notes[0].contains("beyond the end of the disk"), "{notes:?}");
    }

    #[test]
    fn bad_entry_sizes_are_refused() {
        for size in [0u32, 64, 132, 8192] {
            let mut d = MemDisk::zeroed(MIB);
            let mut spec = Spec::new(512, vec![]);
            spec.count = 4;
            spec.entry_size = size;
            d.put(512, &spec.header(1, 2047, 2, 0));
            let mut notes = Vec::new();
            let e = parse_header(&d, 512, 1, &Limits::default()).err().unwrap();
            assert!(e.message().contains("entry size"), "{size}: {e}");
            assert!(read(&d, &Limits::default(), &mut notes).unwrap().is_none());
        }
    }

    #[test]
    fn array_overlapping_header_is_refused() {
        let mut d = MemDisk::zeroed(MIB);
        let spec = Spec::new(512, vec![]);
        d.put(512, &spec.header(1, 2047, 1, crc32(&spec.array())));
        let e = parse_header(&d, 512, 1, &Limits::default()).err().unwrap();
        assert!(e.message().contains("overlaps"), "{e}");
    }

    #[test]
    fn gpt_signature_behind_a_dos_mbr_is_ignored() {
        let mut d = MemDisk::zeroed(4 * MIB);
        Spec::new(512, vec![(LINUX, 2048, 4095)]).write(&mut d);
        d.0[446 + 4] = 0x83; // the 0xEE entry becomes a Linux partition
        let (v, notes) = read_disk(&d, &Limits::default());
        assert!(v.is_none());
        assert!(notes[0].contains("no protective 0xEE entry"));
    }

    #[test]
    fn out_of_disk_entries_are_skipped_and_limit_applies() {
        let mut d = MemDisk::zeroed(4 * MIB);
        Spec::new(
            512,
            vec![
                (LINUX, 100, 199),
                (LINUX, 300, 9000),
                (LINUX, 500, 400),
                (LINUX, 600, 699),
            ],
        )
        .write(&mut d);
        let (v, notes) = read_disk(&d, &Limits::default());
        let v = v.unwrap();
        assert_eq!(v.iter().map(|v| v.number).collect::<Vec<_>>(), vec![1, 4]);
        assert!(notes[0].starts_with("gpt2"));
        assert!(notes[1].starts_with("gpt3"));
        let limits = Limits {
            max_partitions: 1,
            ..Limits::default()
        };
        let (v, notes) = read_disk(&d, &limits);
        assert_eq!(v.unwrap().len(), 1);
        assert!(notes.last().unwrap().contains("max_partitions"));
    }

    #[test]
    fn guid_names() {
        assert_eq!(guid_text(&guid_bytes(BIOS_BOOT)), BIOS_BOOT);
        assert_eq!(
            type_name("C12A7328-F81F-11D2-BA4B-00A0C93EC93B"),
            "EFI System"
        );
        assert_eq!(
            type_name("BC13C2FF-59E6-4262-A352-B275FD6F7172"),
            "Linux extended boot (XBOOTLDR)"
        );
        assert_eq!(
            type_name("01234567-89AB-CDEF-0123-456789ABCDEF"),
            "01234567-89AB-CDEF-0123-456789ABCDEF"
        );
        // The text form of sfdisk's "Linux filesystem" bytes as stored on disk.
        let stored = [
            0xAF, 0x3D, 0xC6, 0x0F, 0x83, 0x84, 0x72, 0x47, 0x8E, 0x79, 0x3D, 0x69, 0xD8, 0x47,
            0x7D, 0xE4,
        ];
        assert_eq!(guid_text(&stored), LINUX);
    }
}
