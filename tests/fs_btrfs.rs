//! btrfs images made by the real `mkfs.btrfs --rootdir` (btrfs-progs), read through
//! `xenboot::fs::probe` and `Boot::open`: bytes of small (inline), multi-extent
//! and zero-filled files, symlinks (relative, absolute, loops), UUID/label against
//! `blkid`, DUP and SINGLE metadata, a corrupted tree node, holes and prealloc
//! extents patched into a real image, and an MBR guest disk end to end.
//!
//! btrfs-progs 6.2 (Debian 12) has no `--subvol` or `--compress` for
//! `mkfs.btrfs`, and making subvolumes or compressed extents otherwise needs a
//! mount, so those paths are not tested here against real images (see the module
//! documentation of `src/fs/btrfs`).
mod common;

use common::btrfs::*;
use common::*;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use xenboot::extract::Request;
use xenboot::fs::{self, FileKind, Filesystem};
use xenboot::source::{ByteSource, FileSource, MemSource, SharedSource};
use xenboot::{Boot, ErrorKind, Limits, Options};

fn open_img(img: &Path) -> Box<dyn Filesystem> {
    let src: SharedSource = Arc::new(FileSource::open(img).unwrap());
    fs::probe(src, &Limits::default())
        .unwrap()
        .expect("a btrfs filesystem")
}

fn read(fs: &dyn Filesystem, path: &str) -> Vec<u8> {
    fs::read_file(fs, path, 1 << 30).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `blkid -o value -s TAG img`.
fn blkid(img: &Path, tag: &str) -> String {
    run(
        "blkid",
        &["-p", "-o", "value", "-s", tag, img.to_str().unwrap()],
    )
    .trim()
    .to_string()
}

/// The standard tree of most tests.
fn standard_tree(root: &Path) -> (Vec<u8>, Vec<u8>) {
    let big = bytes(1, 20 << 20);
    let mut zeros = vec![0u8; 5 << 20];
    zeros[3_000_000..3_000_003].copy_from_slice(b"abc");
    write_tree(
        root,
        &[
            ("boot/small", b"hello btrfs\n"),
            ("boot/empty", b""),
            ("boot/vmlinuz", &big),
            ("boot/zeros", &zeros),
            ("boot/grub/grub.cfg", b"set default=0\n"),
            ("etc/os-release", b"NAME=test\n"),
        ],
    );
    for i in 0..300 {
        write_tree(
            root,
            &[(&format!("many/f{i:03}"), format!("{i}").as_bytes())],
        );
    }
    symlink(root, "boot/rel", "vmlinuz");
    symlink(root, "boot/up", "../etc/os-release");
    symlink(root, "boot/abs", "/boot/small");
    symlink(root, "boot/dirlink", "grub");
    symlink(root, "loop/a", "b");
    symlink(root, "loop/b", "a");
    symlink(root, "loop/self", "self");
    symlink(root, "dangling", "/nowhere");
    (big, zeros)
}

fn check_standard(fs: &dyn Filesystem, big: &[u8], zeros: &[u8]) {
    assert_eq!(fs.kind(), "btrfs");
    assert_eq!(read(fs, "/boot/small"), b"hello btrfs\n");
    assert_eq!(read(fs, "/boot/empty"), b"");
    assert_eq!(read(fs, "/boot/vmlinuz"), big);
    assert_eq!(read(fs, "/boot/zeros"), zeros);
    assert_eq!(read(fs, "/boot/rel"), big);
    assert_eq!(read(fs, "/boot/up"), b"NAME=test\n");
    assert_eq!(read(fs, "/boot/abs"), b"hello btrfs\n");
    assert_eq!(read(fs, "/boot/dirlink/grub.cfg"), b"set default=0\n");
    assert_eq!(
        read(fs, "/boot/../boot/./grub//grub.cfg"),
        b"set default=0\n"
    );
    assert_eq!(read(fs, "/../../boot/small"), b"hello btrfs\n");
    assert_eq!(read(fs, "/many/f123"), b"123");
    let st = fs.stat("/boot/vmlinuz").unwrap();
    assert_eq!((st.kind, st.len), (FileKind::File, 20 << 20));
    assert_eq!(fs.stat("/boot/dirlink").unwrap().kind, FileKind::Dir);
    assert_eq!(fs.stat("/").unwrap().kind, FileKind::Dir);

    let mut names: Vec<(String, FileKind)> = fs
        .read_dir("/boot")
        .unwrap()
        .into_iter()
        .map(|e| (e.name, e.kind))
        .collect();
    names.sort_by(|a, b| a.0.cmp(&b.0));
    let want = [
        ("abs", FileKind::Symlink),
        ("dirlink", FileKind::Symlink),
        ("empty", FileKind::File),
        ("grub", FileKind::Dir),
        ("rel", FileKind::Symlink),
        ("small", FileKind::File),
        ("up", FileKind::Symlink),
        ("vmlinuz", FileKind::File),
        ("zeros", FileKind::File),
    ];
    let want: Vec<(String, FileKind)> = want.iter().map(|(n, k)| (n.to_string(), *k)).collect();
    assert_eq!(names, want);
    assert_eq!(fs.read_dir("/many").unwrap().len(), 300);

    for p in ["/loop/a", "/loop/self"] {
        let e = fs.stat(p).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Limit, "{p}: {e}");
    }
    assert_eq!(
        fs.stat("/dangling").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(fs.stat("/nope").unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(
        fs.stat("/boot/small/x").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert!(fs.open("/boot").is_err());
    assert_eq!(fs.stat("relative").unwrap_err().kind(), ErrorKind::Invalid);
}

#[test]
fn default_layout_single_metadata() {
    let dir = scratch();
    let t = dir.path().join("t");
    let (big, zeros) = standard_tree(&t);
    let img = dir.path().join("fs.img");
    mkfs(&t, &["-m", "single", "-L", "guest root"], &img);
    let fs = open_img(&img);
    check_standard(fs.as_ref(), &big, &zeros);
    assert_eq!(fs.uuid().unwrap(), blkid(&img, "UUID"));
    assert_eq!(fs.label().as_deref(), Some("guest root"));
    assert_eq!(blkid(&img, "LABEL"), "guest root");
}

#[test]
fn dup_metadata_fixed_uuid_and_streaming_reads() {
    let dir = scratch();
    let t = dir.path().join("t");
    let (big, zeros) = standard_tree(&t);
    let img = dir.path().join("fs.img");
    let uuid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
    mkfs(&t, &["-m", "dup", "-U", uuid], &img);
    let fs = open_img(&img);
    check_standard(fs.as_ref(), &big, &zeros);
    assert_eq!(fs.uuid().as_deref(), Some(uuid));
    assert_eq!(blkid(&img, "UUID"), uuid);
    assert_eq!(fs.label(), None);

    // Odd-sized reads cross every extent boundary.
    let mut r = fs.open("/boot/vmlinuz").unwrap();
    assert_eq!(r.len(), big.len() as u64);
    let mut got = Vec::new();
    let mut buf = vec![0u8; 77_777];
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, big);
}

#[test]
fn holes_and_prealloc_patched_into_real_image() {
    let dir = scratch();
    let t = dir.path().join("t");
    let data = bytes(7, 3 << 20);
    write_tree(&t, &[("boot/f", &data), ("boot/g", &data)]);
    let img = dir.path().join("fs.img");
    mkfs(&t, &["-m", "dup"], &img);
    let dump = dump_tree(&img, 5);
    // The disk bytenr of each file's second 1 MiB extent.
    let bytenrs: Vec<u64> = dump
        .lines()
        .filter_map(|l| l.trim().strip_prefix("extent data disk byte "))
        .map(|s| s.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(bytenrs.len(), 6, "three 1 MiB extents per file:\n{dump}");
    let leaf = fs_tree_leaf(&img, "EXTENT_DATA 1048576");
    let (hole, prealloc) = (bytenrs[1], bytenrs[4]);
    patch_leaf(&img, leaf, |node| {
        // A hole: disk bytenr 0.
        let at = extent_item(node, hole);
        node[at + 1..at + 9].copy_from_slice(&0u64.to_le_bytes());
        // Prealloc: type 2.
        let at = extent_item(node, prealloc);
        node[at] = 2;
    });
    let fs = open_img(&img);
    let mut want = data.clone();
    want[1 << 20..2 << 20].fill(0);
    let f = read(fs.as_ref(), "/boot/f");
    let g = read(fs.as_ref(), "/boot/g");
    assert_eq!(f.len(), want.len());
    assert!(f == want, "hole reads as zeros");
    assert!(g == want, "prealloc reads as zeros");

    // One flipped byte in the same leaf without a new checksum is refused.
    let phys = physical_copies(&img, leaf);
    for p in &phys {
        let mut b = read_at(&img, *p + 200, 1);
        b[0] ^= 0x40;
        write_at(&img, *p + 200, &b);
    }
    let src: SharedSource = Arc::new(FileSource::open(&img).unwrap());
    let e = match fs::probe(src, &Limits::default()) {
        Ok(Some(fs)) => fs.stat("/boot/f").unwrap_err(),
        Ok(None) => panic!("not probed"),
        Err(e) => e,
    };
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    assert!(e.to_string().contains("csum"), "{e}");
}

#[test]
fn corrupt_superblock_and_truncation() {
    let dir = scratch();
    let t = dir.path().join("t");
    write_tree(&t, &[("a", b"a")]);
    let img = dir.path().join("fs.img");
    mkfs(&t, &[], &img);
    let mut data = std::fs::read(&img).unwrap();
    // Truncated to 1 MiB: the chunk tree lies beyond the end.
    let short: SharedSource = Arc::new(MemSource::new(data[..1 << 20].to_vec()));
    let e = fs::probe(short, &Limits::default()).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    // A label byte changed without a new checksum.
    data[0x10000 + 0x12b] = b'X';
    let src: SharedSource = Arc::new(MemSource::new(data));
    let e = fs::probe(src, &Limits::default()).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    assert!(e.to_string().contains("CRC32C"), "{e}");
}

/// An image with some node-sized blocks replaced.
struct Overlay {
    base: Arc<Vec<u8>>,
    patched: HashMap<usize, Vec<u8>>,
}

impl ByteSource for Overlay {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> xenboot::Result<()> {
        let start = offset as usize;
        let Some(src) = self.base.get(start..start + buf.len()) else {
            return Err(xenboot::Error::corrupt("read past the end"));
        };
        buf.copy_from_slice(src);
        for (idx, block) in &self.patched {
            let (b0, b1) = (idx * NODESIZE, (idx + 1) * NODESIZE);
            let (lo, hi) = (start.max(b0), (start + buf.len()).min(b1));
            if lo < hi {
                buf[lo - start..hi - start].copy_from_slice(&block[lo - b0..hi - b0]);
            }
        }
        Ok(())
    }

    fn len(&self) -> u64 {
        self.base.len() as u64
    }
}

#[test]
fn mutated_images_never_panic() {
    let dir = scratch();
    let t = dir.path().join("t");
    write_tree(
        &t,
        &[("boot/vmlinuz", &bytes(3, 300_000)), ("boot/cfg", b"cfg")],
    );
    symlink(&t, "boot/l", "cfg");
    let img = dir.path().join("fs.img");
    mkfs(&t, &["-m", "single"], &img);
    let orig = Arc::new(std::fs::read(&img).unwrap());
    // Mutate the bytes of the metadata the reader touches: the superblock and the
    // tree blocks (found as the blocks carrying the fsid).
    let fsid = orig[0x10020..0x10030].to_vec();
    let blocks: Vec<usize> = (0..orig.len() / NODESIZE)
        .filter(|&i| orig[i * NODESIZE + 32..i * NODESIZE + 48] == fsid[..])
        .collect();
    assert!(blocks.len() > 4, "tree blocks found");
    let mut x = 12345u64;
    let mut opened = 0;
    for round in 0..400 {
        let mut patched: HashMap<usize, Vec<u8>> = HashMap::new();
        for _ in 0..4 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let sb = round % 4 == 0;
            let idx = if sb {
                0x10000 / NODESIZE
            } else {
                blocks[(x as usize) % blocks.len()]
            };
            let m = patched
                .entry(idx)
                .or_insert_with(|| orig[idx * NODESIZE..(idx + 1) * NODESIZE].to_vec());
            let at = (x >> 20) as usize % if sb { 4096 } else { NODESIZE };
            m[at] = (x >> 8) as u8;
            // Keep the checksum right half of the time so the parser goes deeper.
            if round % 2 == 1 && !sb {
                let crc = crc32c(&m[32..]);
                m[..4].copy_from_slice(&crc.to_le_bytes());
            }
        }
        let src: SharedSource = Arc::new(Overlay {
            base: orig.clone(),
            patched,
        });
        if let Ok(Some(fs)) = fs::probe(src, &Limits::default()) {
            opened += 1;
            let _ = fs.read_dir("/boot");
            let _ = fs::read_file(fs.as_ref(), "/boot/vmlinuz", 1 << 20);
            let _ = fs::read_file(fs.as_ref(), "/boot/l", 1 << 20);
        }
    }
    eprintln!("400 mutated images: {opened} opened");
    assert!(opened > 20, "mutations must reach past the superblock");
}

#[test]
fn guest_disk_end_to_end() {
    let dir = scratch();
    let t = dir.path().join("t");
    let kernel = bytes(21, 6_000_000);
    let initrd = bytes(22, 9_000_000);
    let cfg = "set default=0\nset timeout=1\nmenuentry 'openSUSE' {\n\tlinux /boot/vmlinuz-6.4 root=UUID=x console=hvc0\n\tinitrd /boot/initrd-6.4\n}\n";
    write_tree(
        &t,
        &[
            ("boot/grub2/grub.cfg", cfg.as_bytes()),
            ("boot/vmlinuz-6.4", &kernel),
            ("boot/initrd-6.4", &initrd),
        ],
    );
    symlink(&t, "boot/grub", "grub2");
    let img = dir.path().join("root.img");
    mkfs(&t, &["-L", "ROOT"], &img);
    let disk = dir.path().join("disk.img");
    mbr_disk(&[Part::with_image(&img, "83")], &disk);
    let mut boot = Boot::open(disk.to_str().unwrap(), Options::default())
        .unwrap_or_else(|e| panic!("open: {e}"));
    let idx = boot.select(None).unwrap();
    let plan = boot.plan(idx, &Request::default()).unwrap();
    assert!(plan.args.contains("console=hvc0"), "{}", plan.args);
    let (k, r) = boot.extract_to_memory(&plan).unwrap();
    assert!(k == kernel, "kernel bytes");
    assert!(r.unwrap() == initrd, "initrd bytes");
}

#[test]
fn not_btrfs_is_not_probed() {
    let data = vec![0u8; 1 << 20];
    let src: SharedSource = Arc::new(MemSource::new(data));
    assert!(fs::probe(src, &Limits::default()).unwrap().is_none());
}

/// Compressible text of `len` bytes, different for each `name`.
fn text(name: &str, len: usize) -> Vec<u8> {
    let mut v = Vec::new();
    let mut i = 0;
    while v.len() < len {
        v.extend_from_slice(format!("{name} line {i} {}\n", i * 7919 % 1000).as_bytes());
        i += 1;
    }
    v.truncate(len);
    v
}

/// btrfs's LZO extent format: total length, then per 4 KiB page a 4-byte length
/// and the LZO1X stream, a length never straddling a 4 KiB sector.
fn btrfs_lzo(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 4];
    for page in data.chunks(4096) {
        let left = 4096 - out.len() % 4096;
        if left < 4 {
            out.resize(out.len() + left, 0);
        }
        let seg = lzokay::compress::compress(page).unwrap();
        out.extend_from_slice(&(seg.len() as u32).to_le_bytes());
        out.extend_from_slice(&seg);
    }
    let total = out.len() as u32;
    out[..4].copy_from_slice(&total.to_le_bytes());
    out
}

/// The real `zstd` tool's frame of `data`.
fn zstd_frame(dir: &Path, data: &[u8]) -> Vec<u8> {
    let plain = dir.join("plain");
    std::fs::write(&plain, data).unwrap();
    let packed = dir.join("plain.zst");
    run(
        "zstd",
        &[
            "-q",
            "-f",
            plain.to_str().unwrap(),
            "-o",
            packed.to_str().unwrap(),
        ],
    );
    std::fs::read(packed).unwrap()
}

#[test]
fn compressed_extents_crafted_in_real_image() {
    let dir = scratch();
    let t = dir.path().join("t");
    let names = ["zlib", "lzo", "zstd"];
    let plain: Vec<Vec<u8>> = names.iter().map(|n| text(n, 128 << 10)).collect();
    let inline = text("inline", 1500);
    for (n, p) in names.iter().zip(&plain) {
        write_tree(&t, &[(&format!("boot/{n}"), p)]);
    }
    write_tree(&t, &[("boot/inline", &inline)]);
    let img = dir.path().join("fs.img");
    mkfs(&t, &["-m", "dup"], &img);
    let files = fs_tree_files(&img);

    // Regular extents: replace each file's data by its compressed form (padded
    // with zeros to the extent's 128 KiB, as btrfs pads to a sector) and set the
    // item's compression type.
    for (i, (n, p)) in names.iter().zip(&plain).enumerate() {
        let (ino, bytenr) = files[*n];
        assert_ne!(bytenr, 0, "{n} is a regular extent");
        let packed = match i {
            0 => miniz_oxide::deflate::compress_to_vec_zlib(p, 6),
            1 => btrfs_lzo(p),
            _ => zstd_frame(dir.path(), p),
        };
        assert!(packed.len() < p.len() / 2, "{n} compresses");
        let mut padded = packed.clone();
        padded.resize(128 << 10, 0);
        let phys = physical_copies(&img, bytenr);
        write_at(&img, phys[0], &padded);
        let leaf = fs_tree_leaf(&img, &format!("({ino} EXTENT_DATA 0)"));
        patch_leaf(&img, leaf, |node| {
            let at = extent_item(node, bytenr);
            node[at - 4] = i as u8 + 1;
        });
    }
    // An inline extent compressed with zlib in place (the item keeps its size;
    // the stream is followed by zeros).
    let (ino, _) = files["inline"];
    let packed = miniz_oxide::deflate::compress_to_vec_zlib(&inline, 6);
    let leaf = fs_tree_leaf(&img, &format!("({ino} EXTENT_DATA 0)"));
    patch_leaf(&img, leaf, |node| {
        let at = node
            .windows(inline.len())
            .position(|w| w == inline.as_slice())
            .expect("inline data in the leaf");
        node[at - 5] = 1;
        node[at..at + inline.len()].fill(0);
        node[at..at + packed.len()].copy_from_slice(&packed);
    });
    let dump = dump_tree(&img, 5);
    for c in [
        "compression 1 (zlib)",
        "compression 2 (lzo)",
        "compression 3 (zstd)",
    ] {
        assert!(dump.contains(c), "{c} in the patched tree:\n{dump}");
    }

    let fs = open_img(&img);
    for (n, p) in names.iter().zip(&plain) {
        let got = read(fs.as_ref(), &format!("/boot/{n}"));
        assert!(&got == p, "{n}: decompressed bytes differ");
    }
    assert!(read(fs.as_ref(), "/boot/inline") == inline, "inline zlib");
}

/// btrfs's directory name hash: CRC-32C seeded with `!1`, not inverted at the end.
fn name_hash(name: &[u8]) -> u64 {
    u64::from(!crc32c_seeded(!1, name))
}

fn crc32c_seeded(seed: u32, data: &[u8]) -> u32 {
    let mut c = seed;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0x82F6_3B78
            } else {
                c >> 1
            };
        }
    }
    !c
}

const LEAF_HEADER: usize = 101;
const ITEM: usize = 25;
const ROOT_ITEM: u8 = 132;
const ROOT_BACKREF: u8 = 144;
const ROOT_REF: u8 = 156;
const DIR_ITEM: u8 = 84;
const DIR_INDEX: u8 = 96;

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// The data of the item with key `key` in `leaf`.
fn leaf_item(leaf: &[u8], key: (u64, u8, u64)) -> Option<(usize, usize)> {
    assert_eq!(leaf[0x64], 0, "a leaf");
    (0..le32(leaf, 0x60) as usize).find_map(|i| {
        let h = LEAF_HEADER + i * ITEM;
        let k = (le64(leaf, h), leaf[h + 8], le64(leaf, h + 9));
        (k == key).then(|| {
            (
                LEAF_HEADER + le32(leaf, h + 17) as usize,
                le32(leaf, h + 21) as usize,
            )
        })
    })
}

/// Inserts item `key` with `data` into `leaf`, in key order, repacking the item
/// data from the end of the leaf in item order as btrfs lays it out.
fn leaf_insert(leaf: &mut [u8], key: (u64, u8, u64), data: &[u8]) {
    let n = le32(leaf, 0x60) as usize;
    let mut items: Vec<((u64, u8, u64), Vec<u8>)> = (0..n)
        .map(|i| {
            let h = LEAF_HEADER + i * ITEM;
            let k = (le64(leaf, h), leaf[h + 8], le64(leaf, h + 9));
            let off = LEAF_HEADER + le32(leaf, h + 17) as usize;
            (k, leaf[off..off + le32(leaf, h + 21) as usize].to_vec())
        })
        .collect();
    items.push((key, data.to_vec()));
    items.sort_by_key(|(k, _)| *k);
    let mut end = leaf.len() - LEAF_HEADER;
    leaf[LEAF_HEADER..].fill(0);
    for (i, (k, d)) in items.iter().enumerate() {
        end -= d.len();
        assert!(
            LEAF_HEADER + (i + 1) * ITEM <= LEAF_HEADER + end,
            "leaf full"
        );
        leaf[LEAF_HEADER + end..LEAF_HEADER + end + d.len()].copy_from_slice(d);
        let h = &mut leaf[LEAF_HEADER + i * ITEM..LEAF_HEADER + (i + 1) * ITEM];
        h[..8].copy_from_slice(&k.0.to_le_bytes());
        h[8] = k.1;
        h[9..17].copy_from_slice(&k.2.to_le_bytes());
        h[17..21].copy_from_slice(&(end as u32).to_le_bytes());
        h[21..25].copy_from_slice(&(d.len() as u32).to_le_bytes());
    }
    leaf[0x60..0x64].copy_from_slice(&(items.len() as u32).to_le_bytes());
}

/// A dir item naming subvolume `id` as `name`.
fn subvol_dir_item(id: u64, name: &[u8]) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend_from_slice(&id.to_le_bytes());
    d.push(ROOT_ITEM);
    d.extend_from_slice(&u64::MAX.to_le_bytes());
    d.extend_from_slice(&7u64.to_le_bytes()); // transid
    d.extend_from_slice(&0u16.to_le_bytes()); // data_len
    d.extend_from_slice(&(name.len() as u16).to_le_bytes());
    d.push(2); // BTRFS_FT_DIR
    d.extend_from_slice(name);
    d
}

/// A root ref / backref: directory `dirid`, index `seq`, `name`.
fn root_ref(dirid: u64, seq: u64, name: &[u8]) -> Vec<u8> {
    let mut d = Vec::new();
    d.extend_from_slice(&dirid.to_le_bytes());
    d.extend_from_slice(&seq.to_le_bytes());
    d.extend_from_slice(&(name.len() as u16).to_le_bytes());
    d.extend_from_slice(name);
    d
}

/// `btrfs inspect-internal dump-super` field `name`.
fn super_field(img: &Path, name: &str) -> u64 {
    let out = run(
        "btrfs",
        &["inspect-internal", "dump-super", img.to_str().unwrap()],
    );
    out.lines()
        .find_map(|l| {
            let mut it = l.split_whitespace();
            (it.next() == Some(name)).then(|| it.next().unwrap().parse().unwrap())
        })
        .unwrap_or_else(|| panic!("{name} in {out}"))
}

/// Turns a real image into one with a snapshot of the top level, subvolume 256,
/// linked as `/@` (a snapshot shares its root node, so only root-tree items and
/// a dir entry are added); when `make_default`, also the default subvolume.
fn add_subvolume(img: &Path, make_default: bool) {
    const TOP: u64 = 5;
    const SUB: u64 = 256;
    const DIRID: u64 = 256;
    const INDEX: u64 = 1000;
    let root_tree = super_field(img, "root");
    let read_leaf = |logical: u64| read_at(img, physical_copies(img, logical)[0], NODESIZE);
    let rt = read_leaf(root_tree);
    let (at, len) = leaf_item(&rt, (TOP, ROOT_ITEM, 0)).expect("FS_TREE root item");
    let top_item = rt[at..at + len].to_vec();
    let fs_tree = le64(&top_item, 176); // bytenr after the 160-byte inode, generation, root_dirid
                                        // The hash function matches what mkfs wrote for "default".
    assert!(leaf_item(&rt, (6, DIR_ITEM, name_hash(b"default"))).is_some());
    patch_leaf(img, fs_tree, |leaf| {
        let item = subvol_dir_item(SUB, b"@");
        leaf_insert(leaf, (DIRID, DIR_ITEM, name_hash(b"@")), &item);
        leaf_insert(leaf, (DIRID, DIR_INDEX, INDEX), &item);
    });
    patch_leaf(img, root_tree, |leaf| {
        leaf_insert(leaf, (TOP, ROOT_REF, SUB), &root_ref(DIRID, INDEX, b"@"));
        leaf_insert(leaf, (SUB, ROOT_ITEM, 0), &top_item);
        leaf_insert(
            leaf,
            (SUB, ROOT_BACKREF, TOP),
            &root_ref(DIRID, INDEX, b"@"),
        );
        if make_default {
            let (at, _) = leaf_item(leaf, (6, DIR_ITEM, name_hash(b"default"))).unwrap();
            leaf[at..at + 8].copy_from_slice(&SUB.to_le_bytes());
        }
    });
}

#[test]
fn subvolume_by_path_and_default_subvolume() {
    let dir = scratch();
    let t = dir.path().join("t");
    let cfg = b"set default=0\n";
    let kernel = bytes(31, 300_000);
    write_tree(
        &t,
        &[("boot/grub2/grub.cfg", cfg), ("boot/vmlinuz", &kernel)],
    );
    symlink(&t, "boot/abs", "/boot/vmlinuz");
    for make_default in [false, true] {
        let img = dir.path().join(format!("fs{make_default}.img"));
        mkfs(&t, &["-m", "dup"], &img);
        add_subvolume(&img, make_default);
        let tree = dump_tree(&img, 1);
        assert!(tree.contains("ROOT_REF 256"), "{tree}");
        let fs = open_img(&img);
        assert_eq!(read(fs.as_ref(), "/boot/grub2/grub.cfg"), cfg);
        let at = fs.read_dir("/@").unwrap();
        if make_default {
            // Inside subvolume 256 its own "@" entry is not linked by a ROOT_REF:
            // Linux shows an empty directory.
            assert!(at.is_empty(), "{at:?}");
            assert!(fs.stat("/@/boot/vmlinuz").is_err());
        } else {
            // Crossing from the top level into subvolume 256 by path.
            let mut names: Vec<String> = at.into_iter().map(|e| e.name).collect();
            names.sort();
            assert_eq!(names, ["@", "boot"]);
            assert_eq!(read(fs.as_ref(), "/@/boot/vmlinuz"), kernel);
            assert_eq!(read(fs.as_ref(), "/@/boot/grub2/grub.cfg"), cfg);
            assert_eq!(read(fs.as_ref(), "/@/boot/abs"), kernel);
            assert_eq!(read(fs.as_ref(), "/@/../@/boot/vmlinuz"), kernel);
        }
        let kinds: Vec<(String, FileKind)> = fs
            .read_dir("/")
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.kind))
            .collect();
        assert!(
            kinds.contains(&("@".to_string(), FileKind::Dir)),
            "{kinds:?}"
        );
    }
}
