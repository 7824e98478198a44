//! Partition discovery on disk images made by the real tools (`sfdisk`, `fdisk`,
//! `mke2fs`, `mkfs.vfat`): the volumes found are exactly those the tools wrote, and the
//! filesystem images placed in partitions are found there byte for byte.
mod common;
use common::*;

use std::fs;
use std::os::unix::fs::FileExt;
use std::path::Path;
use xenboot::disk::{discover, Layout, Scheme};
use xenboot::source::FileSource;
use xenboot::Limits;

const MIB: u64 = 1 << 20;
const LINUX_GUID: &str = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
const BIOS_BOOT_GUID: &str = "21686148-6449-6E61-6E6F-744E65656646";

fn layout(disk: &Path) -> Layout {
    discover(&FileSource::open(disk).unwrap(), &Limits::default()).unwrap()
}

/// (scheme, number, byte offset, byte length) of each volume.
fn spans(l: &Layout) -> Vec<(Scheme, u32, u64, u64)> {
    l.volumes
        .iter()
        .map(|v| (v.scheme, v.number, v.offset, v.len))
        .collect()
}

/// Asserts that the disk holds the bytes of `image` at `offset`.
fn assert_image_at(disk: &Path, offset: u64, image: &Path) {
    let want = fs::read(image).unwrap();
    let mut got = vec![0u8; want.len()];
    fs::File::open(disk)
        .unwrap()
        .read_exact_at(&mut got, offset)
        .unwrap();
    assert!(got == want, "{} is not at offset {offset}", image.display());
    // And it is an ext2/3/4 superblock (magic 0xEF53 at 1024 + 56) or a FAT boot sector.
    assert!(got[1080..1082] == [0x53, 0xEF] || got[510..512] == [0x55, 0xAA]);
}

/// The partitions sfdisk reports: (number, start sector, size in sectors, type).
fn sfdisk_parts(disk: &Path) -> Vec<(u32, u64, u64, String)> {
    let json: serde_json::Value =
        serde_json::from_str(&run("sfdisk", &["-J", disk.to_str().unwrap()])).unwrap();
    let table = &json["partitiontable"];
    assert_eq!(table["sectorsize"], 512);
    table["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let node = p["node"].as_str().unwrap();
            let number = node[disk.to_str().unwrap().len()..].parse().unwrap();
            (
                number,
                p["start"].as_u64().unwrap(),
                p["size"].as_u64().unwrap(),
                p["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn ext4_image(dir: &Path, name: &str, size_mib: u64) -> std::path::PathBuf {
    let tree = dir.join(format!("{name}.tree"));
    write_tree(
        &tree,
        &[
            ("boot/vmlinuz", &bytes(1, 3000)),
            ("boot/grub/grub.cfg", name.as_bytes()),
        ],
    );
    let img = dir.join(format!("{name}.img"));
    mkfs_ext("ext4", &tree, size_mib, &img);
    img
}

#[test]
fn mbr_two_primaries_and_logicals() {
    let dir = scratch();
    let d = dir.path();
    let fat_tree = d.join("fat");
    write_tree(&fat_tree, &[("syslinux.cfg", b"DEFAULT linux")]);
    let fat = d.join("fat.img");
    mkfs_fat(16, &fat_tree, 16, &fat);
    let root = ext4_image(d, "root", 8);
    let logical = ext4_image(d, "logical", 4);
    let disk = d.join("mbr.img");
    let offs = mbr_disk(
        &[
            Part::with_image(&fat, "e"),
            Part::with_image(&root, "83"),
            Part::with_image(&logical, "83").logical(),
            Part::empty(2, "82").logical(),
        ],
        &disk,
    );
    // Independent check of what sfdisk wrote: 1, 2, the extended 3, logicals 5 and 6.
    let parts = sfdisk_parts(&disk);
    let types: Vec<(u32, &str)> = parts.iter().map(|p| (p.0, p.3.as_str())).collect();
    assert_eq!(
        types,
        vec![(1, "e"), (2, "83"), (3, "5"), (5, "83"), (6, "82")]
    );
    let expected: Vec<_> = parts
        .iter()
        .filter(|p| p.3 != "5" && p.3 != "82")
        .map(|p| (Scheme::Msdos, p.0, p.1 * 512, p.2 * 512))
        .collect();

    let l = layout(&disk);
    assert_eq!(spans(&l), expected);
    assert_eq!(
        spans(&l),
        vec![
            (Scheme::Msdos, 1, offs[0], 16 * MIB),
            (Scheme::Msdos, 2, offs[1], 8 * MIB),
            (Scheme::Msdos, 5, offs[2], 4 * MIB),
        ]
    );
    assert_eq!(l.volumes[0].type_name, "0x0e");
    assert_eq!(l.volumes[2].grub_name(), "msdos5");
    assert!(
        l.notes.iter().any(|n| n.contains("msdos3 is an extended")),
        "{:?}",
        l.notes
    );
    assert!(
        l.notes.iter().any(|n| n.contains("msdos6 is Linux swap")),
        "{:?}",
        l.notes
    );
    assert_image_at(&disk, l.volumes[0].offset, &fat);
    assert_image_at(&disk, l.volumes[1].offset, &root);
    assert_image_at(&disk, l.volumes[2].offset, &logical);
}

#[test]
fn gpt_bios_boot_first_then_linux() {
    let dir = scratch();
    let d = dir.path();
    let root = ext4_image(d, "root", 8);
    let disk = d.join("gpt.img");
    let offs = gpt_disk(
        &[
            Part::empty(1, BIOS_BOOT_GUID),
            Part::with_image(&root, LINUX_GUID),
        ],
        &disk,
    );
    let parts = sfdisk_parts(&disk);
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].3, BIOS_BOOT_GUID);
    let l = layout(&disk);
    assert_eq!(
        spans(&l),
        vec![(Scheme::Gpt, 2, parts[1].1 * 512, parts[1].2 * 512)]
    );
    assert_eq!(spans(&l), vec![(Scheme::Gpt, 2, offs[1], 8 * MIB)]);
    assert_eq!(l.volumes[0].type_name, "Linux filesystem");
    assert_eq!(l.volumes[0].grub_name(), "gpt2");
    assert_eq!(l.notes, vec!["gpt1 is a BIOS boot partition; skipped"]);
    assert_image_at(&disk, offs[1], &root);
}

#[test]
fn gpt_with_damaged_primary_header_uses_backup() {
    let dir = scratch();
    let d = dir.path();
    let root = ext4_image(d, "root", 4);
    let disk = d.join("gpt.img");
    let offs = gpt_disk(&[Part::with_image(&root, LINUX_GUID)], &disk);
    // Overwrite the primary header's disk GUID: its CRC no longer matches.
    fs::OpenOptions::new()
        .write(true)
        .open(&disk)
        .unwrap()
        .write_all_at(b"garbage!", 512 + 56)
        .unwrap();
    let l = layout(&disk);
    assert_eq!(spans(&l), vec![(Scheme::Gpt, 1, offs[0], 4 * MIB)]);
    let last_lba = fs::metadata(&disk).unwrap().len() / 512 - 1;
    assert!(
        l.notes[0].contains(&format!("using the backup header at LBA {last_lba}")),
        "{:?}",
        l.notes
    );
}

/// Runs `fdisk -b 4096 IMAGE` with `commands` on stdin.
fn fdisk_4096(disk: &Path, commands: &str) {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("fdisk")
        .args(["-b", "4096", disk.to_str().unwrap()])
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("fdisk (package fdisk) is needed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(commands.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "fdisk failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn gpt_with_4096_byte_sectors() {
    let dir = scratch();
    let d = dir.path();
    let root = ext4_image(d, "root", 16);
    let disk = d.join("gpt4k.img");
    fs::File::create(&disk).unwrap().set_len(48 * MIB).unwrap();
    fdisk_4096(&disk, "g\nn\n1\n\n+16M\nn\n2\n\n+8M\nw\n");
    // What fdisk itself reads back, in 4096-byte sectors: "gpt4k.img1 256 4351 4096 …".
    let listing = run("fdisk", &["-b", "4096", "-l", disk.to_str().unwrap()]);
    assert!(listing.contains("Disklabel type: gpt"), "{listing}");
    let parts: Vec<(u32, u64, u64)> = listing
        .lines()
        .filter_map(|line| {
            let mut w = line.split_whitespace();
            let node = w.next()?;
            let number = node.strip_prefix(disk.to_str().unwrap())?.parse().ok()?;
            let start: u64 = w.next()?.parse().ok()?;
            let end: u64 = w.next()?.parse().ok()?;
            Some((number, start, end))
        })
        .collect();
    assert_eq!(parts.len(), 2, "{listing}");
    fs::OpenOptions::new()
        .write(true)
        .open(&disk)
        .unwrap()
        .write_all_at(&fs::read(&root).unwrap(), parts[0].1 * 4096)
        .unwrap();

    let l = layout(&disk);
    let expected: Vec<_> = parts
        .iter()
        .map(|(n, s, e)| (Scheme::Gpt, *n, s * 4096, (e - s + 1) * 4096))
        .collect();
    assert_eq!(spans(&l), expected);
    assert_eq!(
        spans(&l),
        vec![
            (Scheme::Gpt, 1, MIB, 16 * MIB),
            (Scheme::Gpt, 2, 17 * MIB, 8 * MIB)
        ]
    );
    assert!(l.notes.is_empty(), "{:?}", l.notes);
    assert_image_at(&disk, l.volumes[0].offset, &root);
}

#[test]
fn whole_disk_ext4() {
    let dir = scratch();
    let img = ext4_image(dir.path(), "whole", 8);
    let l = layout(&img);
    assert_eq!(spans(&l), vec![(Scheme::Whole, 0, 0, 8 * MIB)]);
    assert!(l.notes.is_empty(), "{:?}", l.notes);
}

#[test]
fn whole_disk_fat_12_16_32() {
    let dir = scratch();
    let tree = dir.path().join("t");
    write_tree(
        &tree,
        &[
            (
                "syslinux.cfg",
                b"DEFAULT linux\nLABEL linux\n KERNEL vmlinuz\n",
            ),
            ("vmlinuz", &bytes(2, 5000)),
        ],
    );
    for (bits, mib) in [(12, 4), (16, 32), (32, 40)] {
        let img = dir.path().join(format!("fat{bits}.img"));
        mkfs_fat(bits, &tree, mib, &img);
        let sector0 = fs::read(&img).unwrap();
        assert_eq!(
            sector0[510..512],
            [0x55, 0xAA],
            "FAT{bits} boot sector signature"
        );
        let l = layout(&img);
        assert_eq!(
            spans(&l),
            vec![(Scheme::Whole, 0, 0, mib * MIB)],
            "FAT{bits}"
        );
        assert!(l.notes.is_empty(), "FAT{bits}: {:?}", l.notes);
    }
}

#[test]
fn whole_disk_fat_with_fake_mbr_entry() {
    let dir = scratch();
    let img = dir.path().join("fatmbr.img");
    run(
        "mkfs.vfat",
        &[
            "-F",
            "32",
            "--mbr=y",
            "-C",
            img.to_str().unwrap(),
            &(40 * 1024).to_string(),
        ],
    );
    // sfdisk sees a partition table with one entry starting at sector 0.
    let parts = sfdisk_parts(&img);
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].1, 0);
    let l = layout(&img);
    assert_eq!(spans(&l), vec![(Scheme::Whole, 0, 0, 40 * MIB)]);
    assert!(l.notes[0].contains("mkfs.fat --mbr"), "{:?}", l.notes);
}
