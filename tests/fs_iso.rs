//! ISO 9660 images made by the real `xorriso -as mkisofs`: Rock Ridge + Joliet, Joliet
//! only, plain level-3 names, deep (relocated) directories, symlinks, long names, a
//! multi-extent file (records split in a real image), an isolinux tree booted end to
//! end through `Boot::open`, hybrid images (isohybrid MBR, partition offset), UUID
//! and label against `blkid`, and corrupted images that must fail cleanly.
mod common;

use common::iso::mkisofs;
use common::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use xenboot::disk::Scheme;
use xenboot::extract::Request;
use xenboot::fs::{self, FileKind, Filesystem};
use xenboot::source::{FileSource, MemSource, SharedSource};
use xenboot::{Boot, ErrorKind, Limits, Options};

const SECTOR: usize = 2048;

fn open_fs(img: &Path) -> Box<dyn Filesystem> {
    let src: SharedSource = Arc::new(FileSource::open(img).unwrap());
    fs::probe(src, &Limits::default())
        .unwrap_or_else(|e| panic!("probe {}: {e}", img.display()))
        .expect("an ISO 9660 filesystem")
}

fn read(fs: &dyn Filesystem, path: &str) -> Vec<u8> {
    fs::read_file(fs, path, 1 << 30).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

fn names(fs: &dyn Filesystem, path: &str) -> Vec<String> {
    let mut v: Vec<String> = fs
        .read_dir(path)
        .unwrap_or_else(|e| panic!("read_dir {path}: {e}"))
        .into_iter()
        .map(|e| e.name)
        .collect();
    v.sort();
    v
}

const DEEP: &str = "d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/deep.txt";

/// A tree with mixed-case and long names, many files (a multi-sector directory),
/// a deep path, symlinks (relative, absolute, to a directory, a loop).
fn sample_tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let long = format!("{}.conf", "a-very-long-file-name".repeat(8));
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (
            "boot/vmlinuz-6.1.0-13-amd64".into(),
            bytes(1, 3 * 1024 * 1024 + 17),
        ),
        (
            "boot/initrd.img-6.1.0-13-amd64".into(),
            bytes(2, 2 * 1024 * 1024 + 5),
        ),
        ("boot/MixedCase.Cfg".into(), b"mixed\n".to_vec()),
        (format!("boot/{long}"), b"long\n".to_vec()),
        (DEEP.into(), b"deep down\n".to_vec()),
        ("empty".into(), Vec::new()),
    ];
    for i in 0..120 {
        files.push((format!("many/file-number-{i:04}.txt"), bytes(100 + i, 10)));
    }
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_slice()))
        .collect();
    write_tree(root, &refs);
    symlink(root, "vmlinuz", "boot/vmlinuz-6.1.0-13-amd64");
    symlink(root, "boot/abs", "/boot/initrd.img-6.1.0-13-amd64");
    symlink(root, "bootdir", "./boot");
    symlink(root, "many/up", "../boot/MixedCase.Cfg");
    symlink(root, "loop1", "loop2");
    symlink(root, "loop2", "loop1");
    files
}

#[test]
fn rock_ridge_with_joliet() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    let files = sample_tree(&tree);
    let img = dir.path().join("rr.iso");
    mkisofs(&["-R", "-J", "-V", "RR_TEST"], &tree, &img);
    let fs = open_fs(&img);
    assert_eq!(fs.kind(), "iso9660");
    for (p, data) in &files {
        assert_eq!(&read(fs.as_ref(), &format!("/{p}")), data, "{p}");
    }
    // Rock Ridge names are exact: case kept, long names whole.
    let boot = names(fs.as_ref(), "/boot");
    assert!(boot.contains(&"MixedCase.Cfg".to_string()), "{boot:?}");
    assert!(boot.iter().any(|n| n.len() > 160), "{boot:?}");
    assert!(fs.stat("/boot/mixedcase.cfg").is_err());
    // 120 entries need more than one directory sector.
    assert_eq!(names(fs.as_ref(), "/many").len(), 121);
    // Symlinks: relative, absolute, through a directory link, with `..`.
    let kernel = &files[0].1;
    assert_eq!(&read(fs.as_ref(), "/vmlinuz"), kernel);
    assert_eq!(read(fs.as_ref(), "/boot/abs"), files[1].1);
    assert_eq!(
        &read(fs.as_ref(), "/bootdir/vmlinuz-6.1.0-13-amd64"),
        kernel
    );
    assert_eq!(read(fs.as_ref(), "/many/up"), b"mixed\n");
    let root = fs.read_dir("/").unwrap();
    let kind = |n: &str| root.iter().find(|e| e.name == n).map(|e| e.kind);
    assert_eq!(kind("vmlinuz"), Some(FileKind::Symlink));
    assert_eq!(kind("boot"), Some(FileKind::Dir));
    assert_eq!(
        fs.stat("/loop1").unwrap_err().kind(),
        ErrorKind::Limit,
        "a symlink loop is bounded"
    );
    assert_eq!(fs.stat("/empty").unwrap().len, 0);
    assert_eq!(
        fs.stat("/boot").unwrap().kind,
        FileKind::Dir,
        "stat of a directory"
    );
    assert_eq!(fs.stat("/nope").unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn deep_directories_are_relocated_and_found_in_place() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    sample_tree(&tree);
    let img = dir.path().join("deep.iso");
    // xorriso relocates only when asked for a relocation directory; it marks that
    // directory itself with RE, so Rock Ridge readers (Linux, GRUB) hide it.
    mkisofs(&["-R", "-rr_reloc_dir", "rr_moved"], &tree, &img);
    let raw = std::fs::read(&img).unwrap();
    assert!(
        raw.windows(8).any(|w| w == b"RR_MOVED"),
        "no relocation directory was written"
    );
    let fs = open_fs(&img);
    assert!(!names(fs.as_ref(), "/").contains(&"rr_moved".to_string()));
    // d8 is a CL placeholder (a plain file record) that must lead to the real d8.
    let d7 = fs.read_dir("/d1/d2/d3/d4/d5/d6/d7").unwrap();
    assert_eq!(d7.len(), 1);
    assert_eq!((d7[0].name.as_str(), d7[0].kind), ("d8", FileKind::Dir));
    assert_eq!(read(fs.as_ref(), &format!("/{DEEP}")), b"deep down\n");
    assert_eq!(names(fs.as_ref(), "/d1/d2/d3/d4/d5/d6/d7/d8"), ["d9"]);
    assert_eq!(
        read(
            fs.as_ref(),
            "/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/../../../../../../../../../../empty"
        ),
        b""
    );
    // Without a relocation directory xorriso writes the deep tree in place (-D
    // forbids relocation outright); the same paths read the same.
    let img2 = dir.path().join("deep-d.iso");
    mkisofs(&["-R", "-D"], &tree, &img2);
    let fs2 = open_fs(&img2);
    assert_eq!(read(fs2.as_ref(), &format!("/{DEEP}")), b"deep down\n");
}

#[test]
fn joliet_only() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    let files = sample_tree(&tree);
    let img = dir.path().join("joliet.iso");
    mkisofs(
        &["--norock", "-J", "-joliet-long", "-V", "JOLIET"],
        &tree,
        &img,
    );
    let fs = open_fs(&img);
    let boot = names(fs.as_ref(), "/boot");
    assert!(boot.contains(&"MixedCase.Cfg".to_string()), "{boot:?}");
    assert!(
        boot.contains(&"vmlinuz-6.1.0-13-amd64".to_string()),
        "{boot:?}"
    );
    // Joliet names match case-insensitively.
    assert_eq!(read(fs.as_ref(), "/BOOT/mixedcase.cfg"), b"mixed\n");
    assert_eq!(
        read(fs.as_ref(), "/boot/initrd.img-6.1.0-13-amd64"),
        files[1].1
    );
    assert_eq!(read(fs.as_ref(), &format!("/{DEEP}")), b"deep down\n");
    assert_eq!(names(fs.as_ref(), "/many").len(), 120);
}

#[test]
fn plain_iso_level3_names() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    let kernel = bytes(7, 1 << 20);
    write_tree(
        &tree,
        &[
            ("ISOLINUX/VMLINUZ", &kernel),
            ("ISOLINUX/INITRD.GZ", b"initrd"),
            ("README", b"readme"),
        ],
    );
    let img = dir.path().join("plain.iso");
    mkisofs(&["--norock", "-iso-level", "3"], &tree, &img);
    let fs = open_fs(&img);
    // Shown as Linux's map=normal shows them: lower case, no `;1`, no trailing `.`.
    assert_eq!(names(fs.as_ref(), "/"), ["isolinux", "readme"]);
    assert_eq!(names(fs.as_ref(), "/isolinux"), ["initrd.gz", "vmlinuz"]);
    assert_eq!(read(fs.as_ref(), "/isolinux/vmlinuz"), kernel);
    assert_eq!(read(fs.as_ref(), "/ISOLINUX/VMLINUZ"), kernel);
    assert_eq!(read(fs.as_ref(), "/README"), b"readme");
}

/// Finds the directory record named `name` (raw ISO name) in the sector at `at`.
fn find_record(img: &[u8], at: usize, name: &[u8]) -> (usize, usize) {
    let mut off = at;
    while off < at + SECTOR {
        let len = img[off] as usize;
        assert!(len > 0, "record {name:?} not found");
        let nlen = img[off + 32] as usize;
        if &img[off + 33..off + 33 + nlen] == name {
            return (off, len);
        }
        off += len;
    }
    panic!("record {name:?} not found");
}

#[test]
fn multi_extent_file() {
    // libisofs splits files only above 4 GiB, too big for a test: split the one
    // record of a real image into three records of consecutive extents, as a
    // multi-extent file is written (flag 0x80 on all but the last).
    let dir = scratch();
    let tree = dir.path().join("tree");
    let data = bytes(9, 5 * SECTOR + 100);
    write_tree(&tree, &[("BIG.BIN", &data), ("Z.TXT", b"after")]);
    let img = dir.path().join("multi.iso");
    mkisofs(&["--norock", "-iso-level", "3"], &tree, &img);
    let mut raw = std::fs::read(&img).unwrap();
    let root_lba = u32::from_le_bytes(raw[16 * SECTOR + 158..][..4].try_into().unwrap()) as usize;
    let dir_at = root_lba * SECTOR;
    let (off, len) = find_record(&raw, dir_at, b"BIG.BIN;1");
    let rec = raw[off..off + len].to_vec();
    let lba = u32::from_le_bytes(rec[2..6].try_into().unwrap());
    let parts = [
        (0u32, 2 * SECTOR as u32, 0x80u8),
        (2, SECTOR as u32, 0x80),
        (3, 2 * SECTOR as u32 + 100, 0),
    ];
    let mut new = Vec::new();
    for (skip, plen, flag) in parts {
        let mut r = rec.clone();
        r[2..6].copy_from_slice(&(lba + skip).to_le_bytes());
        r[6..10].copy_from_slice(&(lba + skip).to_be_bytes());
        r[10..14].copy_from_slice(&plen.to_le_bytes());
        r[14..18].copy_from_slice(&plen.to_be_bytes());
        r[25] |= flag;
        new.extend_from_slice(&r);
    }
    let tail_end = dir_at + SECTOR;
    let mut sector: Vec<u8> = raw[dir_at..off].to_vec();
    sector.extend_from_slice(&new);
    sector.extend_from_slice(&raw[off + len..tail_end]);
    sector.truncate(SECTOR);
    assert!(
        sector[SECTOR - 2 * len..].iter().all(|&b| b == 0),
        "room for the records"
    );
    raw[dir_at..tail_end].copy_from_slice(&sector);
    let src: SharedSource = Arc::new(MemSource::new(raw.clone()));
    let fs = fs::probe(src, &Limits::default()).unwrap().unwrap();
    assert_eq!(fs.stat("/big.bin").unwrap().len, data.len() as u64);
    assert_eq!(read(fs.as_ref(), "/big.bin"), data);
    assert_eq!(names(fs.as_ref(), "/"), ["big.bin", "z.txt"]);
    assert_eq!(read(fs.as_ref(), "/z.txt"), b"after");
    // Streaming in small reads crosses the extent boundaries.
    let mut r = fs.open("/big.bin").unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 1000];
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, data);
    // A multi-extent chain with no final record is corrupt, not a short file.
    let (off3, len3) = find_record(&raw, dir_at, b"BIG.BIN;1");
    let last = off3 + 2 * len3;
    raw[last + 25] |= 0x80;
    let z = find_record(&raw, dir_at, b"Z.TXT;1").0;
    for b in &mut raw[z..dir_at + SECTOR] {
        *b = 0;
    }
    let src: SharedSource = Arc::new(MemSource::new(raw));
    let fs = fs::probe(src, &Limits::default()).unwrap().unwrap();
    assert_eq!(fs.stat("/big.bin").unwrap_err().kind(), ErrorKind::Corrupt);
}

/// An isolinux installer tree: kernel, initrd and a menu whose default is not the
/// first label.
fn isolinux_tree(root: &Path) -> (Vec<u8>, Vec<u8>) {
    let kernel = bytes(21, 4 * 1024 * 1024 + 3);
    let initrd = bytes(22, 9 * 1024 * 1024 + 11);
    let cfg = "\
default vesamenu.c32
prompt 0
timeout 50
label rescue
  menu label ^Rescue a system
  kernel /images/pxeboot/vmlinuz
  append initrd=/images/pxeboot/initrd.img rescue
label install
  menu label ^Install
  menu default
  kernel vmlinuz
  append initrd=initrd.img inst.stage2=hd:LABEL=DVD quiet
";
    write_tree(
        root,
        &[
            ("isolinux/isolinux.cfg", cfg.as_bytes()),
            ("isolinux/vmlinuz", &kernel),
            ("isolinux/initrd.img", &initrd),
            ("images/pxeboot/vmlinuz", &kernel),
            ("images/pxeboot/initrd.img", &initrd),
        ],
    );
    std::fs::copy(
        "/usr/lib/ISOLINUX/isolinux.bin",
        root.join("isolinux/isolinux.bin"),
    )
    .expect("isolinux.bin (Debian package isolinux)");
    (kernel, initrd)
}

const ELTORITO: &[&str] = &[
    "-b",
    "isolinux/isolinux.bin",
    "-c",
    "isolinux/boot.cat",
    "-no-emul-boot",
    "-boot-load-size",
    "4",
    "-boot-info-table",
];

fn check_boot(img: &Path, kernel: &[u8], initrd: &[u8]) -> Boot {
    let mut boot = Boot::open(img.to_str().unwrap(), Options::default())
        .unwrap_or_else(|e| panic!("open {}: {e}", img.display()));
    assert_eq!(boot.config().path, "/isolinux/isolinux.cfg");
    let idx = boot.select(None).unwrap();
    assert_eq!(boot.entries()[idx].title, "Install");
    let plan = boot.plan(idx, &Request::default()).unwrap();
    // syslinux passes the whole APPEND line, initrd= included, to the kernel.
    assert_eq!(
        plan.args,
        "initrd=initrd.img inst.stage2=hd:LABEL=DVD quiet"
    );
    let out = scratch();
    let got = boot.extract_to_dir(&plan, out.path()).unwrap();
    assert_eq!(std::fs::read(&got.kernel).unwrap(), kernel, "kernel bytes");
    assert_eq!(
        std::fs::read(got.ramdisk.unwrap()).unwrap(),
        initrd,
        "ramdisk bytes"
    );
    boot
}

#[test]
fn isolinux_installer_boots_end_to_end() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    let (kernel, initrd) = isolinux_tree(&tree);
    let img = dir.path().join("dvd.iso");
    let mut args = vec!["-R", "-J", "-V", "Fedora-S-dvd-x86_64-39"];
    args.extend_from_slice(ELTORITO);
    mkisofs(&args, &tree, &img);
    let boot = check_boot(&img, &kernel, &initrd);
    assert_eq!(boot.volumes().len(), 1);
    assert_eq!(boot.volumes()[0].volume.scheme, Scheme::Whole);
    // The rescue entry's absolute paths resolve too.
    let plan = boot.plan(0, &Request::default()).unwrap();
    let (k, r) = boot.extract_to_memory(&plan).unwrap();
    assert_eq!(k, kernel);
    assert_eq!(r.unwrap(), initrd);
}

#[test]
fn hybrid_images_are_found_at_offset_zero() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    let (kernel, initrd) = isolinux_tree(&tree);

    // isohybrid MBR: partition 1 starts at 0 and covers the ISO.
    let img = dir.path().join("hybrid.iso");
    let mut args = vec![
        "-R",
        "-J",
        "-isohybrid-mbr",
        "/usr/lib/ISOLINUX/isohdpfx.bin",
    ];
    args.extend_from_slice(ELTORITO);
    mkisofs(&args, &tree, &img);
    let boot = check_boot(&img, &kernel, &initrd);
    let vols = boot.volumes();
    assert_eq!(vols[0].volume.scheme, Scheme::Whole);
    assert_eq!(boot.config().volume, Some(0));
    assert!(
        vols.iter().any(|v| v.volume.scheme == Scheme::Msdos),
        "the MBR partitions are listed too"
    );

    // Partition offset 16 (as Fedora/Ubuntu ISOs): partition 1 at 32 KiB holds a
    // second superblock set; a GPT is added with an appended partition.
    let esp = dir.path().join("esp.img");
    let etree = dir.path().join("etree");
    write_tree(&etree, &[("EFI/BOOT/README", b"esp")]);
    mkfs_fat(16, &etree, 16, &esp);
    let img2 = dir.path().join("offset.iso");
    let esp_s = esp.to_str().unwrap().to_string();
    let mut args = vec![
        "-R",
        "-J",
        "-isohybrid-mbr",
        "/usr/lib/ISOLINUX/isohdpfx.bin",
        "-partition_offset",
        "16",
        "-append_partition",
        "2",
        "0xef",
        &esp_s,
    ];
    args.extend_from_slice(ELTORITO);
    mkisofs(&args, &tree, &img2);
    let boot = check_boot(&img2, &kernel, &initrd);
    let vols = boot.volumes();
    assert_eq!(vols[0].volume.scheme, Scheme::Whole);
    assert_eq!(vols[0].fs.as_ref().unwrap().kind(), "iso9660");
    let parts: Vec<(u64, Option<&str>)> = vols[1..]
        .iter()
        .map(|v| (v.volume.offset, v.fs.as_ref().map(|f| f.kind())))
        .collect();
    assert!(
        parts.contains(&(32768, Some("iso9660"))),
        "the ISO partition at 32 KiB: {parts:?}"
    );
    assert!(
        parts.iter().any(|p| p.1 == Some("vfat")),
        "the appended EFI partition: {parts:?}"
    );

    // With a GPT as well (-isohybrid-gpt-basdat, the Fedora layout), the MBR's ISO
    // partition has type 0 (skipped); the ISO is still found at offset 0.
    let img3 = dir.path().join("gpt.iso");
    args.push("-isohybrid-gpt-basdat");
    mkisofs(&args, &tree, &img3);
    let boot = check_boot(&img3, &kernel, &initrd);
    assert_eq!(boot.volumes()[0].volume.scheme, Scheme::Whole);
    assert_eq!(boot.config().volume, Some(0));
}

fn blkid(img: &Path, tag: &str) -> String {
    run(
        "blkid",
        &["-p", "-o", "value", "-s", tag, img.to_str().unwrap()],
    )
    .trim()
    .to_string()
}

#[test]
fn uuid_and_label_match_blkid() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    write_tree(&tree, &[("a", b"a")]);
    for (name, args) in [
        ("rr.iso", vec!["-R", "-J", "-V", "Debian 12.2.0 amd64 n"]),
        ("plain.iso", vec!["--norock", "-V", "CDROM"]),
        (
            "dated.iso",
            vec!["-R", "-V", "DATED", "--modification-date=2023091412345600"],
        ),
    ] {
        let img: PathBuf = dir.path().join(name);
        mkisofs(&args, &tree, &img);
        let fs = open_fs(&img);
        let uuid = fs.uuid().unwrap();
        assert_eq!(uuid, blkid(&img, "UUID"), "{name}");
        assert_eq!(uuid.len(), 22, "{uuid}");
        assert_eq!(fs.label().unwrap(), blkid(&img, "LABEL"), "{name}");
        if name == "dated.iso" {
            assert_eq!(uuid, "2023-09-14-12-34-56-00");
        }
    }
    // Creation and modification dates differ: blkid and GRUB use the modification
    // date.
    let img = dir.path().join("two-dates.iso");
    run(
        "xorriso",
        &[
            "-volume_date",
            "c",
            "2020010203040506",
            "-volume_date",
            "m",
            "2021111213141516",
            "-as",
            "mkisofs",
            "-quiet",
            "-R",
            "-o",
            img.to_str().unwrap(),
            tree.to_str().unwrap(),
        ],
    );
    let uuid = open_fs(&img).uuid().unwrap();
    assert_eq!(uuid, "2021-11-12-13-14-15-00");
    assert_eq!(uuid, blkid(&img, "UUID"));
}

#[test]
fn corrupt_images_fail_cleanly() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    sample_tree(&tree);
    let img = dir.path().join("rr.iso");
    mkisofs(&["-R", "-J"], &tree, &img);
    let good = std::fs::read(&img).unwrap();

    // No set terminator within the bounded descriptor count.
    let mut raw = good.clone();
    for i in 0..64 {
        let at = (16 + i) * SECTOR;
        if at + SECTOR > raw.len() {
            break;
        }
        raw[at] = 3;
        raw[at + 1..at + 6].copy_from_slice(b"CD001");
    }
    raw[16 * SECTOR] = 1;
    let src: SharedSource = Arc::new(MemSource::new(raw));
    assert!(fs::probe(src, &Limits::default()).is_err());

    // Truncated: the descriptors are there, the data is not.
    let src: SharedSource = Arc::new(MemSource::new(good[..20 * SECTOR].to_vec()));
    if let Ok(Some(fs)) = fs::probe(src, &Limits::default()) {
        assert!(fs.stat("/vmlinuz").is_err());
    }

    // Bytes flipped all over the metadata: every walk ends in Ok or Err, never a panic.
    let meta_end = (good.len() / SECTOR).min(60) * SECTOR;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..150 {
        let mut raw = good.clone();
        for _ in 0..1 + round % 8 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = 16 * SECTOR + (seed as usize) % (meta_end - 16 * SECTOR);
            raw[at] = (seed >> 40) as u8;
        }
        let src: SharedSource = Arc::new(MemSource::new(raw));
        let Ok(Some(fs)) = fs::probe(src, &Limits::default()) else {
            continue;
        };
        walk(fs.as_ref(), "/", 0);
    }
}

fn walk(fs: &dyn Filesystem, dir: &str, depth: usize) {
    let Ok(entries) = fs.read_dir(dir) else {
        return;
    };
    for e in entries.into_iter().take(200) {
        let path = format!("{}/{}", dir.trim_end_matches('/'), e.name);
        match fs.stat(&path) {
            Ok(st) if st.kind == FileKind::Dir && depth < 12 => walk(fs, &path, depth + 1),
            Ok(st) if st.kind == FileKind::File => {
                let _ = fs::read_file(fs, &path, 64 << 10);
            }
            _ => {}
        }
    }
}

#[test]
fn rock_ridge_continuation_loops_are_bounded() {
    // A 250-byte Rock Ridge name does not fit in the record: xorriso writes a CE.
    let dir = scratch();
    let tree = dir.path().join("tree");
    let long = "n".repeat(250);
    write_tree(&tree, &[(long.as_str(), b"long"), ("short", b"s")]);
    let img = dir.path().join("ce.iso");
    mkisofs(&["-R"], &tree, &img);
    let good = std::fs::read(&img).unwrap();
    let fs = fs::probe(
        Arc::new(MemSource::new(good.clone())) as SharedSource,
        &Limits::default(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(read(fs.as_ref(), &format!("/{long}")), b"long");
    let ce = iso::first_root_ce(&good);
    // The continuation area continues into itself; two areas into each other.
    for make_loop in [iso::ce_self_loop, iso::ce_pair_loop] {
        let mut looped = good.clone();
        make_loop(&mut looped, ce);
        let fs = fs::probe(
            Arc::new(MemSource::new(looped)) as SharedSource,
            &Limits::default(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(fs.read_dir("/").unwrap_err().kind(), ErrorKind::Limit);
    }
    // A continuation area beyond the image.
    let mut beyond = good.clone();
    beyond[ce + 4..ce + 8].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
    let fs = fs::probe(
        Arc::new(MemSource::new(beyond)) as SharedSource,
        &Limits::default(),
    )
    .unwrap()
    .unwrap();
    assert_eq!(fs.stat("/short").unwrap_err().kind(), ErrorKind::Corrupt);
}
