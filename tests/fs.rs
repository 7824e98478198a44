//! Filesystems: ext2/3/4 images made by `mke2fs -d` and FAT12/16/32 images made by
//! `mkfs.vfat` + `mcopy`, read back through `xenboot::fs::probe` and compared byte
//! for byte with what was put in; UUIDs and labels compared with `blkid`.
mod common;
use common::*;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use xenboot::fs::{self, FileKind, Filesystem};
use xenboot::source::FileSource;
use xenboot::{ErrorKind, Limits};

fn probe_with(img: &Path, limits: &Limits) -> xenboot::Result<Option<Box<dyn Filesystem>>> {
    fs::probe(Arc::new(FileSource::open(img)?), limits)
}

fn open_fs(img: &Path) -> Box<dyn Filesystem> {
    probe_with(img, &Limits::default())
        .unwrap()
        .expect("filesystem not recognised")
}

/// Streams a file out in odd-sized chunks, checking the reported length.
fn stream(fs: &dyn Filesystem, path: &str) -> Vec<u8> {
    let mut r = fs.open(path).unwrap_or_else(|e| panic!("open {path}: {e}"));
    let mut out = Vec::new();
    let mut buf = vec![0u8; 100_003];
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    assert_eq!(out.len() as u64, r.len(), "{path}: length");
    out
}

/// `blkid -o value -s TAG IMAGE`, empty output as `None`.
fn blkid(img: &Path, tag: &str) -> Option<String> {
    let out = Command::new("blkid")
        .args(["-o", "value", "-s", tag, img.to_str().unwrap()])
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .expect("blkid (util-linux) is needed");
    let s = String::from_utf8(out.stdout).unwrap().trim().to_string();
    (!s.is_empty()).then_some(s)
}

/// Checks that every listed file reads back with the given bytes, both streamed and
/// through `fs::read_file`.
fn check_files(fs: &dyn Filesystem, files: &[(&str, Vec<u8>)]) {
    for (path, want) in files {
        let got = stream(fs, path);
        assert!(
            got == *want,
            "{path}: bytes differ ({} vs {})",
            got.len(),
            want.len()
        );
        let st = fs.stat(path).unwrap();
        assert_eq!(
            (st.kind, st.len),
            (FileKind::File, want.len() as u64),
            "{path}"
        );
        if want.len() < 1 << 20 {
            assert_eq!(fs::read_file(fs, path, 1 << 20).unwrap(), *want, "{path}");
        }
    }
}

/// The host tree's listing of `dir` (kinds without following symlinks).
fn host_listing(dir: &Path) -> BTreeMap<String, FileKind> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let t = e.file_type().unwrap();
            let kind = if t.is_symlink() {
                FileKind::Symlink
            } else if t.is_dir() {
                FileKind::Dir
            } else {
                FileKind::File
            };
            (e.file_name().into_string().unwrap(), kind)
        })
        .collect()
}

fn guest_listing(fs: &dyn Filesystem, path: &str) -> BTreeMap<String, FileKind> {
    fs.read_dir(path)
        .unwrap()
        .into_iter()
        .map(|e| (e.name, e.kind))
        .collect()
}

// ---------------------------------------------------------------- ext2/3/4

const KERNEL: &str = "/boot/vmlinuz-6.1.0-13-amd64";

/// The ext test tree: files with their contents, plus symlinks of every kind.
fn ext_tree(root: &Path) -> Vec<(&'static str, Vec<u8>)> {
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("/hello.txt", b"hello from the guest\n".to_vec()),
        (KERNEL, bytes(1, 20 << 20)),
        ("/boot/initrd.img-6.1.0-13-amd64", bytes(2, 300_001)),
        ("/boot/grub/grub.cfg", b"set default=0\n".to_vec()),
        ("/a/b/c/d/deep.txt", b"deep\n".to_vec()),
        ("/etc/passwd", b"root:x:0:0:guest:/root:/bin/sh\n".to_vec()),
        ("/empty", Vec::new()),
    ];
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, d)| (*p, d.as_slice())).collect();
    write_tree(root, &refs);
    symlink(root, "vmlinuz", "boot/vmlinuz-6.1.0-13-amd64");
    symlink(root, "boot/abs-hello", "/hello.txt");
    symlink(root, "chain1", "chain2");
    symlink(root, "chain2", "/boot/chain3");
    symlink(root, "boot/chain3", "../hello.txt");
    symlink(root, "bootlink", "boot");
    symlink(root, "boot/grub/up", "../../a/b");
    symlink(root, "escape", "../../../../etc/passwd");
    symlink(root, "escape-abs", "/../../etc/passwd");
    symlink(root, "loop-a", "loop-b");
    symlink(root, "loop-b", "/loop-a");
    symlink(root, "self", "self");
    symlink(root, "dangling", "/nonexistent");
    files
}

fn features(img: &Path) -> String {
    run("dumpe2fs", &["-h", img.to_str().unwrap()])
        .lines()
        .find(|l| l.starts_with("Filesystem features:"))
        .unwrap()
        .to_string()
}

fn check_ext(kind: &str) {
    let dir = scratch();
    let tree = dir.path().join("tree");
    let files = ext_tree(&tree);
    let img = dir.path().join(format!("{kind}.img"));
    mkfs_ext_with(kind, &["-L", "guest-root"], &tree, 64, &img);
    let before = std::fs::read(&img).unwrap();
    let owned = open_fs(&img);
    let fs = owned.as_ref();

    assert_eq!(Some(fs.kind().to_string()), blkid(&img, "TYPE"));
    let uuid = fs.uuid().unwrap();
    assert_eq!(Some(uuid.clone()), blkid(&img, "UUID"));
    assert_eq!(uuid, uuid.to_lowercase());
    assert_eq!(fs.label(), blkid(&img, "LABEL"));
    assert_eq!(fs.label().as_deref(), Some("guest-root"));

    check_files(fs, &files);
    let file = |p: &str| files.iter().find(|(q, _)| *q == p).unwrap().1.clone();

    // Symlinks: relative, absolute, a chain of three, through a directory symlink,
    // `..` after a directory symlink (taken from the target, as Linux does), and
    // targets that climb above the root (they stay inside this filesystem).
    assert!(stream(fs, "/vmlinuz") == file(KERNEL));
    assert_eq!(stream(fs, "/boot/abs-hello"), file("/hello.txt"));
    assert_eq!(stream(fs, "/chain1"), file("/hello.txt"));
    assert_eq!(
        stream(fs, "/bootlink/grub/grub.cfg"),
        file("/boot/grub/grub.cfg")
    );
    assert_eq!(
        stream(fs, "/boot/grub/up/../b/c/d/deep.txt"),
        file("/a/b/c/d/deep.txt")
    );
    assert_eq!(stream(fs, "/escape"), file("/etc/passwd"));
    assert_eq!(stream(fs, "/escape-abs"), file("/etc/passwd"));
    assert_eq!(
        stream(fs, "//boot/./grub//grub.cfg"),
        file("/boot/grub/grub.cfg")
    );
    let st = fs.stat("/vmlinuz").unwrap();
    assert_eq!((st.kind, st.len), (FileKind::File, 20 << 20));
    assert_eq!(fs.stat("/bootlink").unwrap().kind, FileKind::Dir);
    assert_eq!(fs.stat("/").unwrap().kind, FileKind::Dir);

    // Loops end quickly with a clear error.
    for p in ["/loop-a", "/self", "/loop-b/x"] {
        let t = Instant::now();
        let e = fs.stat(p).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Limit, "{p}: {e}");
        assert!(e.to_string().contains("symbolic links"), "{e}");
        assert!(
            t.elapsed() < Duration::from_secs(2),
            "{p} took {:?}",
            t.elapsed()
        );
        assert!(fs.open(p).is_err());
    }
    for p in ["/dangling", "/boot/nope", "/hello.txt/x", "/vmlinuz/x"] {
        let e = fs.stat(p).err().unwrap_or_else(|| panic!("{p} exists"));
        assert_eq!(e.kind(), ErrorKind::NotFound, "{p}: {e}");
    }
    assert_eq!(fs.open("/boot").err().unwrap().kind(), ErrorKind::NotFound);
    assert_eq!(fs.stat("relative").unwrap_err().kind(), ErrorKind::Invalid);

    // Listings match the host tree (mke2fs adds lost+found).
    let mut root = guest_listing(fs, "/");
    assert_eq!(root.remove("lost+found"), Some(FileKind::Dir));
    assert_eq!(root, host_listing(&tree));
    assert_eq!(
        guest_listing(fs, "/bootlink"),
        host_listing(&tree.join("boot"))
    );
    assert_eq!(
        guest_listing(fs, "/boot/grub"),
        host_listing(&tree.join("boot/grub"))
    );
    assert!(fs.read_dir("/hello.txt").is_err());

    drop(owned);
    assert!(
        std::fs::read(&img).unwrap() == before,
        "image bytes changed"
    );
}

#[test]
fn ext2_reads_files_symlinks_and_metadata() {
    check_ext("ext2");
}

#[test]
fn ext3_without_extents_reads_files_symlinks_and_metadata() {
    check_ext("ext3");
}

#[test]
fn ext4_reads_files_symlinks_and_metadata() {
    check_ext("ext4");
}

#[test]
fn ext3_and_ext4_images_use_block_maps_and_extents() {
    // Guards the test above: ext3 really exercises block maps, ext4 extents.
    let dir = scratch();
    let tree = dir.path().join("tree");
    write_tree(&tree, &[("f", b"x")]);
    for (kind, extents) in [("ext3", false), ("ext4", true)] {
        let img = dir.path().join(kind);
        mkfs_ext(kind, &tree, 8, &img);
        assert_eq!(features(&img).contains(" extent"), extents, "{kind}");
    }
}

#[test]
fn ext2_with_1k_blocks_reads_a_triple_indirect_file() {
    // 1 KiB blocks: direct + indirect + double indirect cover 64.26 MiB; beyond that
    // the block map needs the triple-indirect block.
    let dir = scratch();
    let tree = dir.path().join("tree");
    let big = bytes(7, (66 << 20) + 12_345);
    write_tree(&tree, &[("/boot/initrd.img", &big)]);
    let img = dir.path().join("ext2.img");
    mkfs_ext_with("ext2", &["-b", "1024"], &tree, 80, &img);
    let fs = open_fs(&img);
    assert!(stream(fs.as_ref(), "/boot/initrd.img") == big);
}

#[test]
fn ext_symlink_hops_follow_the_limit() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    ext_tree(&tree);
    let img = dir.path().join("ext4.img");
    mkfs_ext("ext4", &tree, 64, &img);
    let two = Limits {
        max_symlink_hops: 2,
        ..Limits::default()
    };
    let fs = probe_with(&img, &two).unwrap().unwrap();
    let e = fs.stat("/chain1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Limit, "{e}");
    assert!(e.to_string().contains("more than 2 symbolic links"), "{e}");
    assert_eq!(fs.stat("/boot/abs-hello").unwrap().kind, FileKind::File);
    let three = Limits {
        max_symlink_hops: 3,
        ..Limits::default()
    };
    let fs = probe_with(&img, &three).unwrap().unwrap();
    assert_eq!(fs.stat("/chain1").unwrap().len, 21);
    // Beyond ext4-view's own bound of 40.
    let many = Limits {
        max_symlink_hops: 100,
        ..Limits::default()
    };
    let tree2 = dir.path().join("tree2");
    write_tree(&tree2, &[("target", b"end")]);
    symlink(&tree2, "l0", "target");
    for i in 1..=50 {
        symlink(&tree2, &format!("l{i}"), &format!("l{}", i - 1));
    }
    let img2 = dir.path().join("chain.img");
    mkfs_ext("ext4", &tree2, 8, &img2);
    let fs = probe_with(&img2, &many).unwrap().unwrap();
    assert_eq!(stream(fs.as_ref(), "/l50"), b"end");
    let e = open_fs(&img2).stat("/l50").unwrap_err();
    assert!(e.to_string().contains("more than 40 symbolic links"), "{e}");
}

#[test]
fn ext_unsupported_features_and_corruption_are_errors_not_panics() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    write_tree(&tree, &[("f", b"x")]);
    let img = dir.path().join("inline.img");
    mkfs_ext_with("ext4", &["-O", "inline_data"], &tree, 8, &img);
    let e = probe_with(&img, &Limits::default()).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert!(e.to_string().contains("unsupported features"), "{e}");

    let img = dir.path().join("nofiletype.img");
    mkfs_ext_with("ext2", &["-O", "^filetype"], &tree, 8, &img);
    let e = probe_with(&img, &Limits::default()).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");

    // A block size of 2^(10+100): corrupt, caught before ext4-view sees it.
    let img = dir.path().join("bad.img");
    mkfs_ext("ext4", &tree, 8, &img);
    let good = std::fs::read(&img).unwrap();
    let corrupt = |off: usize, value: u32| {
        let mut d = good.clone();
        d[1024 + off..1024 + off + 4].copy_from_slice(&value.to_le_bytes());
        std::fs::write(&img, &d).unwrap();
        let e = probe_with(&img, &Limits::default()).err().unwrap();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
        e.to_string()
    };
    let e = corrupt(24, 100);
    assert!(e.contains("ext4 superblock: block size"), "{e}");
    // Billions of block groups: ext4-view would allocate a descriptor for each.
    assert!(corrupt(32, 1).contains("1 blocks per group"));
    assert!(corrupt(4, u32::MAX).contains("do not fit in the volume"));
    // Zero inodes per group: ext4-view's own check.
    let e = corrupt(40, 0);
    assert!(
        e.contains("cannot read this ext4 filesystem: corrupt"),
        "{e}"
    );

    // Truncated image: the superblock promises blocks that are not there.
    std::fs::write(&img, &good[..4 << 20]).unwrap();
    let e = probe_with(&img, &Limits::default()).err().unwrap();
    assert!(e.to_string().contains("do not fit"), "{e}");

    // No magic: not ext (and not anything else).
    std::fs::write(&img, vec![0u8; 1 << 20]).unwrap();
    assert!(probe_with(&img, &Limits::default()).unwrap().is_none());
}

#[test]
fn ext_inodes_with_absurd_sizes_are_refused_before_ext4_view_allocates() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    write_tree(&tree, &[("/boot/f", b"x"), ("/hello", b"hi")]);
    symlink(&tree, "link", "hello");
    let img = dir.path().join("e.img");
    mkfs_ext("ext4", &tree, 8, &img);
    assert_eq!(stream(open_fs(&img).as_ref(), "/link"), b"hi");
    let debugfs = |cmd: &str| run("debugfs", &["-w", "-R", cmd, img.to_str().unwrap()]);
    // ext4-view reads a symlink target whole: a 1 TiB "target" would be allocated.
    debugfs("sif /link size 0x10000000000");
    let fs = open_fs(&img);
    let e = fs.stat("/link").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    assert!(
        e.to_string()
            .contains("claims a target of 1099511627776 bytes"),
        "{e}"
    );
    // A directory of 1 GiB is not scanned.
    debugfs("sif /boot size 0x40000000");
    let fs = open_fs(&img);
    let e = fs.stat("/boot/f").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Limit, "{e}");
    assert!(
        e.to_string()
            .contains("directory /boot is 1073741824 bytes"),
        "{e}"
    );
    assert_eq!(fs.read_dir("/boot").unwrap_err().kind(), ErrorKind::Limit);
    assert_eq!(stream(fs.as_ref(), "/hello"), b"hi");
}

// ---------------------------------------------------------------- FAT12/16/32

/// The FAT test tree: long and mixed-case names, nested directories, multi-MiB files.
fn fat_tree(root: &Path) -> Vec<(&'static str, Vec<u8>)> {
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("/vmlinuz-6.1.0-13-amd64", bytes(3, (3 << 20) + 123)),
        ("/initrd.img-6.1.0-13-amd64", bytes(4, (1 << 20) + 7)),
        ("/boot/Grub/GRUB.cfg", b"menuentry 'Debian' {\n}\n".to_vec()),
        ("/EFI/Debian/Mixed Case Name.TXT", b"mixed\n".to_vec()),
        ("/a/b/c/d/deep.txt", b"deep\n".to_vec()),
        ("/README", b"short name only\n".to_vec()),
        ("/empty.cfg", Vec::new()),
    ];
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, d)| (*p, d.as_slice())).collect();
    write_tree(root, &refs);
    files
}

fn mkfat(bits: u32, tree: &Path, size_mib: u64, label: Option<&str>, out: &Path) {
    let _ = std::fs::remove_file(out);
    let bits = bits.to_string();
    let kib = (size_mib * 1024).to_string();
    let mut args = vec!["-F", &bits];
    if let Some(l) = label {
        args.extend_from_slice(&["-n", l]);
    }
    args.extend_from_slice(&["-C", out.to_str().unwrap(), &kib]);
    run("mkfs.vfat", &args);
    for entry in std::fs::read_dir(tree).unwrap() {
        let p = entry.unwrap().path();
        run(
            "mcopy",
            &[
                "-s",
                "-i",
                out.to_str().unwrap(),
                p.to_str().unwrap(),
                "::/",
            ],
        );
    }
}

/// The 8.3 alias mtools gave `long` in the root directory, as `NAME.EXT`.
fn short_name(img: &Path, long: &str) -> String {
    let listing = run("mdir", &["-i", img.to_str().unwrap(), "::/"]);
    let line = listing.lines().find(|l| l.ends_with(long)).unwrap();
    let (name, ext) = (line[..8].trim(), line[9..12].trim());
    if ext.is_empty() {
        name.to_string()
    } else {
        format!("{name}.{ext}")
    }
}

fn check_fat(bits: u32, size_mib: u64, label: Option<&str>) {
    let dir = scratch();
    let tree = dir.path().join("tree");
    let files = fat_tree(&tree);
    let img = dir.path().join(format!("fat{bits}.img"));
    mkfat(bits, &tree, size_mib, label, &img);
    let before = std::fs::read(&img).unwrap();
    let owned = open_fs(&img);
    let fs = owned.as_ref();

    assert_eq!(Some(fs.kind().to_string()), blkid(&img, "TYPE"));
    let uuid = fs.uuid().unwrap();
    assert_eq!(Some(uuid.clone()), blkid(&img, "UUID"));
    assert_eq!(uuid.len(), 9);
    assert_eq!(fs.label(), blkid(&img, "LABEL"));
    assert_eq!(fs.label().as_deref(), label);

    check_files(fs, &files);
    let file = |p: &str| files.iter().find(|(q, _)| *q == p).unwrap().1.clone();

    // Case-insensitive lookups, the 8.3 alias, `..` and doubled slashes.
    assert!(stream(fs, "/VMLINUZ-6.1.0-13-AMD64") == file("/vmlinuz-6.1.0-13-amd64"));
    assert_eq!(
        stream(fs, "/BOOT/grub/grub.CFG"),
        file("/boot/Grub/GRUB.cfg")
    );
    assert_eq!(
        stream(fs, "/efi/DEBIAN/mixed case name.txt"),
        file("/EFI/Debian/Mixed Case Name.TXT")
    );
    let alias = short_name(&img, "vmlinuz-6.1.0-13-amd64");
    assert!(alias.contains('~'), "{alias}");
    assert_eq!(fs.stat(&format!("/{alias}")).unwrap().len, (3 << 20) + 123);
    assert_eq!(stream(fs, "/readme"), file("/README"));
    assert_eq!(
        stream(fs, "/a/b/../b/c//d/./deep.txt"),
        file("/a/b/c/d/deep.txt")
    );
    assert_eq!(fs.stat("/boot/grub").unwrap().kind, FileKind::Dir);
    assert_eq!(fs.stat("/").unwrap().kind, FileKind::Dir);
    for p in ["/nope", "/boot/Grub/nope.cfg", "/README/x", "/nope/x"] {
        assert_eq!(fs.stat(p).unwrap_err().kind(), ErrorKind::NotFound, "{p}");
    }
    assert_eq!(fs.open("/boot").err().unwrap().kind(), ErrorKind::NotFound);

    assert_eq!(guest_listing(fs, "/"), host_listing(&tree));
    assert_eq!(guest_listing(fs, "/BOOT"), host_listing(&tree.join("boot")));
    assert_eq!(
        guest_listing(fs, "/EFI/Debian"),
        host_listing(&tree.join("EFI/Debian"))
    );

    drop(owned);
    assert!(
        std::fs::read(&img).unwrap() == before,
        "image bytes changed"
    );
}

#[test]
fn fat12_reads_long_names_and_files() {
    check_fat(12, 8, Some("BOOT12"));
}

#[test]
fn fat16_reads_long_names_and_files() {
    check_fat(16, 32, Some("Boot Vol"));
}

#[test]
fn fat32_reads_long_names_and_files() {
    check_fat(32, 64, None);
}

/// Geometry of a FAT16 image, read the way the test corrupts it.
struct Fat16 {
    bps: usize,
    cluster: usize,
    fat: usize,
    fat_len: usize,
    fats: usize,
    root: usize,
    data: usize,
}

impl Fat16 {
    fn of(d: &[u8]) -> Fat16 {
        let u16_at = |o: usize| u16::from_le_bytes([d[o], d[o + 1]]) as usize;
        let bps = u16_at(11);
        let fat = u16_at(14) * bps;
        let fat_len = u16_at(22) * bps;
        let fats = d[16] as usize;
        let root = fat + fats * fat_len;
        Fat16 {
            bps,
            cluster: d[13] as usize * bps,
            fat,
            fat_len,
            fats,
            root,
            data: root + u16_at(17) * 32,
        }
    }

    /// First cluster of the root-directory entry with 8.3 name `name`.
    fn first_cluster(&self, d: &[u8], name: &[u8; 11]) -> usize {
        (self.root..self.data)
            .step_by(32)
            .find(|&o| &d[o..o + 11] == name)
            .map(|o| u16::from_le_bytes([d[o + 26], d[o + 27]]) as usize)
            .unwrap()
    }

    fn set_fat(&self, d: &mut [u8], cluster: usize, value: u16) {
        for k in 0..self.fats {
            let o = self.fat + k * self.fat_len + cluster * 2;
            d[o..o + 2].copy_from_slice(&value.to_le_bytes());
        }
    }

    fn cluster_at(&self, c: usize) -> usize {
        self.data + (c - 2) * self.cluster
    }
}

#[test]
fn fat_directory_whose_cluster_chain_loops_is_an_error_not_a_hang() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    write_tree(&tree, &[("/loopdir/x.txt", b"x"), ("/ok.txt", b"fine")]);
    let img = dir.path().join("loop.img");
    mkfat(16, &tree, 32, None, &img);
    let mut d = std::fs::read(&img).unwrap();
    let g = Fat16::of(&d);
    assert_eq!(g.bps, 512);
    let c = g.first_cluster(&d, b"LOOPDIR    ");
    g.set_fat(&mut d, c, c as u16);
    // Every slot deleted: no end marker, so only the chain could end the walk.
    let at = g.cluster_at(c);
    for slot in (at..at + g.cluster).step_by(32) {
        d[slot] = 0xE5;
    }
    std::fs::write(&img, &d).unwrap();

    let fs = open_fs(&img);
    for op in ["stat", "read_dir"] {
        let t = Instant::now();
        let e = match op {
            "stat" => fs.stat("/loopdir/x.txt").unwrap_err(),
            _ => fs.read_dir("/loopdir").unwrap_err(),
        };
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
        assert!(e.to_string().contains("cluster chain loops"), "{e}");
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "{op} took {:?}",
            t.elapsed()
        );
    }
    assert_eq!(stream(fs.as_ref(), "/ok.txt"), b"fine");
}

#[test]
fn fat_cluster_number_that_breaks_fatfs_arithmetic_is_a_corrupt_error() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    let big = bytes(9, 100_000);
    write_tree(&tree, &[("/big", &big), ("/ok.txt", b"fine")]);
    let img = dir.path().join("bad.img");
    mkfat(16, &tree, 32, None, &img);
    let mut d = std::fs::read(&img).unwrap();
    let g = Fat16::of(&d);
    let c = g.first_cluster(&d, b"BIG        ");
    g.set_fat(&mut d, c, 1); // "next cluster 1": fatfs subtracts 2 from it
    std::fs::write(&img, &d).unwrap();

    let fs = open_fs(&img);
    let mut r = fs.open("/big").unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let e = r.read(&mut buf).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    drop(r);
    // The volume stays usable.
    assert_eq!(stream(fs.as_ref(), "/ok.txt"), b"fine");
}

#[test]
fn fat_bad_boot_sectors_are_named_errors() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    write_tree(&tree, &[("/f", b"x")]);
    let img = dir.path().join("f.img");
    mkfat(16, &tree, 32, None, &img);
    let good = std::fs::read(&img).unwrap();

    let mut d = good.clone();
    d[11..13].fill(0);
    std::fs::write(&img, &d).unwrap();
    let e = probe_with(&img, &Limits::default()).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    assert!(e.to_string().contains("bytes per sector is 0"), "{e}");

    let mut d = good.clone();
    d[13] = 0;
    std::fs::write(&img, &d).unwrap();
    let e = probe_with(&img, &Limits::default()).err().unwrap();
    assert!(e.to_string().contains("sectors per cluster is 0"), "{e}");

    std::fs::write(&img, &good[..16 << 20]).unwrap();
    let e = probe_with(&img, &Limits::default()).err().unwrap();
    assert!(e.to_string().contains("only 16777216 are there"), "{e}");
}

#[test]
// `Window` is not Send/Sync (the source traits do not ask for it); Arc is the
// `SharedSource` type the library uses, so the lint does not apply here.
#[allow(clippy::arc_with_non_send_sync)]
fn partitioned_disks_are_not_mistaken_for_filesystems_but_their_partitions_are_read() {
    let dir = scratch();
    let tree = dir.path().join("tree");
    write_tree(&tree, &[("/boot/grub/grub.cfg", b"set default=0\n")]);
    let fat = dir.path().join("fat.img");
    mkfat(16, &tree, 32, Some("EFI"), &fat);
    let ext = dir.path().join("ext.img");
    mkfs_ext("ext4", &tree, 8, &ext);
    let disk = dir.path().join("disk.img");
    let offs = mbr_disk(
        &[Part::with_image(&fat, "c"), Part::with_image(&ext, "83")],
        &disk,
    );
    assert!(probe_with(&disk, &Limits::default()).unwrap().is_none());
    let whole: xenboot::source::SharedSource = Arc::new(FileSource::open(&disk).unwrap());
    for (off, img, kind) in [(offs[0], &fat, "vfat"), (offs[1], &ext, "ext4")] {
        let len = std::fs::metadata(img).unwrap().len();
        let win = xenboot::source::Window::new(whole.clone(), off, len).unwrap();
        let fs = fs::probe(Arc::new(win), &Limits::default())
            .unwrap()
            .unwrap();
        assert_eq!(fs.kind(), kind);
        assert_eq!(fs.uuid(), blkid(img, "UUID"));
        assert_eq!(
            stream(fs.as_ref(), "/boot/grub/grub.cfg"),
            b"set default=0\n"
        );
    }
}
