//! XFS v4 and v5 images made by the real `mkfs.xfs -p PROTOFILE` (xfsprogs), read
//! through `xenboot::fs::probe`: bytes of large, sparse and fragmented files, every
//! directory form (checked with `xfs_db`), inline/remote symlinks and loops,
//! UUID/label against `blkid`, corruption, a dirty log, and an MBR-partitioned disk.
//!
//! `mkfs.xfs` ≥ 5.19 refuses filesystems under 300 MB unless it runs under fstests;
//! the fstests variables are set for it so the images stay small. Every image is
//! checked by `xfs_repair -n` before it is used, so a broken image cannot pass.
//! Holes, unwritten and scattered extents are made with `xfs_db -x` (the protofile
//! writes each file as one extent), then `xfs_repair` fixes the block accounting.
mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;
use xenboot::fs::{self, FileKind, Filesystem};
use xenboot::source::{FileSource, SharedSource, Window};
use xenboot::{ErrorKind, Limits};

const BLOCK: usize = 4096;

/// Runs an xfsprogs tool with the fstests variables set; panics on failure.
fn xfs_tool(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("TEST_DIR", "/nonexistent")
        .env("TEST_DEV", "/nonexistent")
        .env("QA_CHECK_FS", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e} (xfsprogs installed?)"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd} {args:?} failed:\n{text}");
    text
}

fn xfs_db(img: &Path, cmds: &[String]) -> String {
    let mut args = vec!["-x".to_string()];
    for c in cmds {
        args.push("-c".into());
        args.push(c.clone());
    }
    args.push(img.to_str().unwrap().into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    xfs_tool("xfs_db", &args)
}

/// `xfs_repair -n` must find nothing to fix.
fn assert_repair_clean(img: &Path) {
    xfs_tool("xfs_repair", &["-n", "-f", img.to_str().unwrap()]);
}

/// A protofile under construction (see `man mkfs.xfs`, `-p`).
struct Proto {
    text: String,
    dir: PathBuf,
    files: usize,
}

impl Proto {
    fn new(dir: &Path) -> Proto {
        std::fs::create_dir_all(dir).unwrap();
        Proto {
            text: "xenboot-test\n0 0\nd--755 0 0\n".into(),
            dir: dir.to_path_buf(),
            files: 0,
        }
    }
    fn file(&mut self, name: &str, data: &[u8]) -> PathBuf {
        self.files += 1;
        let host = self.dir.join(format!("content{}", self.files));
        std::fs::write(&host, data).unwrap();
        self.file_from(name, &host);
        host
    }
    fn file_from(&mut self, name: &str, host: &Path) {
        self.text += &format!("{name} ---644 0 0 {}\n", host.display());
    }
    fn link(&mut self, name: &str, target: &str) {
        self.text += &format!("{name} l--777 0 0 {target}\n");
    }
    fn dir(&mut self, name: &str) {
        self.text += &format!("{name} d--755 0 0\n");
    }
    fn end(&mut self) {
        self.text += "$\n";
    }
    fn write(mut self) -> PathBuf {
        self.end();
        let p = self.dir.join("proto");
        std::fs::write(&p, &self.text).unwrap();
        p
    }
}

fn mkfs(proto: &Path, size_mib: u64, extra: &[&str], out: &Path) {
    let _ = std::fs::remove_file(out);
    std::fs::File::create(out)
        .unwrap()
        .set_len(size_mib << 20)
        .unwrap();
    let mut args = vec!["-q", "-f", "-p", proto.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.push(out.to_str().unwrap());
    xfs_tool("mkfs.xfs", &args);
}

fn open(img: &Path) -> Box<dyn Filesystem> {
    try_open(img).unwrap_or_else(|e| panic!("opening {}: {e}", img.display()))
}

fn try_open(img: &Path) -> xenboot::Result<Box<dyn Filesystem>> {
    let src: SharedSource = Arc::new(FileSource::open(img).unwrap());
    fs::probe(src, &Limits::default()).map(|o| o.expect("XFS recognised"))
}

fn read(fs: &dyn Filesystem, path: &str) -> Vec<u8> {
    fs::read_file(fs, path, 1 << 30).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("entry-{i:05}")).collect()
}

/// The directories and their entry counts, one per directory form.
const DIRS: &[(&str, usize, &str)] = &[
    ("sf", 5, "shortform"),
    ("block", 50, "block"),
    ("leaf", 300, "leaf"),
    ("node", 5000, "node"),
];

fn long_dir(c: char) -> String {
    std::iter::repeat_n(c, 200).collect()
}

fn long_target() -> String {
    format!(
        "/deep/{}/{}/{}/target.txt",
        long_dir('a'),
        long_dir('b'),
        long_dir('c')
    )
}

struct Built {
    img: PathBuf,
    kernel: Vec<u8>,
    big: Vec<u8>,
    sparse_expected: Vec<u8>,
    frag_expected: Vec<u8>,
    shared: Vec<u8>,
}

/// Builds the test tree with `mkfs_args`, then reshapes `/sparse.bin` (holes and an
/// unwritten extent) and `/frag.bin` (scattered extents) with `xfs_db`.
fn build(dir: &Path, v5: bool, mkfs_args: &[&str], with_big: bool) -> Built {
    let mut p = Proto::new(&dir.join("content"));
    let kernel = bytes(1, 300_000);
    let big = if with_big {
        bytes(3, 20 << 20)
    } else {
        Vec::new()
    };
    let sparse_src = bytes(4, 512 * BLOCK);
    let frag_src = bytes(5, 256 * BLOCK);
    let shared = b"shared entry content\n".to_vec();
    p.file("small.txt", b"hello from xfs\n");
    p.file("sparse.bin", &sparse_src);
    p.file("frag.bin", &frag_src);
    p.dir("boot");
    p.file("vmlinuz", &kernel);
    if with_big {
        p.file("big.bin", &big);
    }
    p.link("vmlinuz-link", "vmlinuz");
    p.link("up", "../small.txt");
    p.end();
    p.link("bootlink", "boot");
    p.link("abs-link", "/boot/vmlinuz");
    p.link("long-link", &long_target());
    p.link("loop1", "loop2");
    p.link("loop2", "loop1");
    p.dir("deep");
    p.dir(&long_dir('a'));
    p.dir(&long_dir('b'));
    p.dir(&long_dir('c'));
    p.file("target.txt", b"deep target\n");
    p.end();
    p.end();
    p.end();
    p.end();
    p.dir("dirs");
    let shared_host = p.dir.join("shared");
    std::fs::write(&shared_host, &shared).unwrap();
    for (name, n, _) in DIRS {
        p.dir(name);
        for e in names(*n) {
            p.file_from(&e, &shared_host);
        }
        p.end();
    }
    p.end();
    let proto = p.write();
    let img = dir.join("xfs.img");
    mkfs(&proto, 128, mkfs_args, &img);
    if v5 {
        add_v5_symlink_header(&img, "/long-link", long_target().len());
    }
    assert_repair_clean(&img);

    let u = if v5 { "u3" } else { "u" };
    // sparse.bin: blocks 0-99 mapped, 100-149 hole, 150-199 mapped, 200-299 hole,
    // 300-309 unwritten, 310-511 hole (past the last extent).
    let start = first_block(&img, "/sparse.bin");
    let mut cmds = vec![
        "path /sparse.bin".to_string(),
        "write core.nextents 3".into(),
        format!("write {u}.bmx[0].blockcount 100"),
    ];
    for (i, off, len, flag) in [(1, 150u64, 50, 0), (2, 300, 10, 1)] {
        cmds.push(format!("write {u}.bmx[{i}].startoff {off}"));
        cmds.push(format!("write {u}.bmx[{i}].startblock {}", start + off));
        cmds.push(format!("write {u}.bmx[{i}].blockcount {len}"));
        cmds.push(format!("write {u}.bmx[{i}].extentflag {flag}"));
    }
    xfs_db(&img, &cmds);
    let mut sparse_expected = vec![0u8; sparse_src.len()];
    for (from, to) in [(0, 100), (150, 200)] {
        sparse_expected[from * BLOCK..to * BLOCK]
            .copy_from_slice(&sparse_src[from * BLOCK..to * BLOCK]);
    }

    // frag.bin: n extents of 256/n blocks, each mapped to a different chunk.
    let n: usize = if v5 { 16 } else { 8 };
    let k = 256 / n;
    let perm = |i: usize| (i * 3 + 1) % n;
    let start = first_block(&img, "/frag.bin");
    let mut cmds = vec![
        "path /frag.bin".to_string(),
        format!("write core.nextents {n}"),
    ];
    let mut frag_expected = Vec::new();
    for i in 0..n {
        let phys = perm(i) * k;
        cmds.push(format!("write {u}.bmx[{i}].startoff {}", i * k));
        cmds.push(format!(
            "write {u}.bmx[{i}].startblock {}",
            start + phys as u64
        ));
        cmds.push(format!("write {u}.bmx[{i}].blockcount {k}"));
        cmds.push(format!("write {u}.bmx[{i}].extentflag 0"));
        frag_expected.extend_from_slice(&frag_src[phys * BLOCK..(phys + k) * BLOCK]);
    }
    xfs_db(&img, &cmds);
    // Give the blocks taken from sparse.bin back to the free space, then check.
    xfs_tool("xfs_repair", &["-f", img.to_str().unwrap()]);
    assert_repair_clean(&img);
    let ext = xfs_db(
        &img,
        &["path /frag.bin".into(), "print core.nextents".into()],
    );
    assert!(ext.contains(&format!("core.nextents = {n}")), "{ext}");

    Built {
        img,
        kernel,
        big,
        sparse_expected,
        frag_expected,
        shared,
    }
}

fn first_block(img: &Path, path: &str) -> u64 {
    let out = xfs_db(img, &[format!("path {path}"), "bmap".into()]);
    let word = out
        .split_whitespace()
        .skip_while(|w| *w != "startblock")
        .nth(1)
        .unwrap_or_else(|| panic!("no extent for {path}: {out}"));
    word.parse().unwrap()
}

/// Byte offset on the image of the AG-encoded block number `fsbno`.
fn fsb_to_byte(img: &Path, fsbno: u64) -> u64 {
    let sb = xfs_db(
        img,
        &["sb 0".into(), "print agblocks agblklog blocksize".into()],
    );
    let field = |name: &str| -> u64 {
        sb.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} = ")))
            .unwrap()
            .parse()
            .unwrap()
    };
    let agblklog = field("agblklog");
    let linear = (fsbno >> agblklog) * field("agblocks") + (fsbno & ((1 << agblklog) - 1));
    linear * field("blocksize")
}

fn crc32c(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// mkfs.xfs 6.1 writes a remote symlink target from a protofile without the v5
/// block header; add the header (magic, offset, length, CRC32C, UUID, owner,
/// address) so the image is what the kernel writes. `xfs_repair -n` checks it.
fn add_v5_symlink_header(img: &Path, path: &str, target_len: usize) {
    add_v5_symlink_header_bs(img, path, target_len, BLOCK);
}

fn add_v5_symlink_header_bs(img: &Path, path: &str, target_len: usize, block_size: usize) {
    let ino_out = xfs_db(img, &[format!("path {path}"), "print v3.inumber".into()]);
    let ino: u64 = ino_out
        .lines()
        .find_map(|l| l.strip_prefix("v3.inumber = "))
        .unwrap()
        .parse()
        .unwrap();
    let at = fsb_to_byte(img, first_block(img, path)) as usize;
    let mut data = std::fs::read(img).unwrap();
    let uuid: [u8; 16] = data[32..48].try_into().unwrap();
    let block = &mut data[at..at + block_size];
    let target = block[..target_len].to_vec();
    block.fill(0);
    block[0..4].copy_from_slice(b"XSLM");
    block[8..12].copy_from_slice(&(target_len as u32).to_be_bytes());
    block[16..32].copy_from_slice(&uuid);
    block[32..40].copy_from_slice(&ino.to_be_bytes());
    block[40..48].copy_from_slice(&(at as u64 / 512).to_be_bytes());
    block[56..56 + target_len].copy_from_slice(&target);
    let crc = crc32c(block);
    block[12..16].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(img, &data).unwrap();
}

/// The directory form of `path` as xfs_db shows it.
fn dir_form(img: &Path, path: &str) -> (String, String) {
    let core = xfs_db(
        img,
        &[
            format!("path {path}"),
            "print core.format core.nextents".into(),
        ],
    );
    let format = core
        .lines()
        .find_map(|l| l.strip_prefix("core.format = "))
        .unwrap()
        .to_string();
    let form = if format.contains("local") {
        "shortform".to_string()
    } else {
        // The first block above the 32 GiB leaf offset tells leaf from node.
        let sb = xfs_db(img, &["sb 0".into(), "print blocksize".into()]);
        let bs: u64 = sb
            .lines()
            .find_map(|l| l.strip_prefix("blocksize = "))
            .unwrap()
            .parse()
            .unwrap();
        let leaf = xfs_db(
            img,
            &[
                format!("path {path}"),
                format!("dblock {}", (32u64 << 30) / bs),
                "print".into(),
            ],
        );
        let magic = if leaf.contains("block is unmapped") {
            None
        } else {
            leaf.lines()
                .find(|l| l.contains("magic = "))
                .map(|l| l.rsplit(' ').next().unwrap().to_string())
        };
        match magic.as_deref() {
            None => "block".to_string(),
            Some("0x3df1" | "0xd2f1") => "leaf".to_string(),
            Some("0x3ebe" | "0xfebe") => "node".to_string(),
            Some(m) => panic!("unexpected index magic {m} for {path}:\n{leaf}"),
        }
    };
    (form, format)
}

fn check_everything(b: &Built, label: &str) {
    let fs = open(&b.img);
    let fs = fs.as_ref();
    assert_eq!(fs.kind(), "xfs");

    // UUID and label as blkid prints them.
    let img = b.img.to_str().unwrap();
    let uuid = run("blkid", &["-p", "-o", "value", "-s", "UUID", img]);
    assert_eq!(fs.uuid().as_deref(), Some(uuid.trim()));
    let want_label = run("blkid", &["-p", "-o", "value", "-s", "LABEL", img]);
    assert_eq!(want_label.trim(), label);
    assert_eq!(fs.label().as_deref(), Some(label));

    // Files.
    assert_eq!(read(fs, "/small.txt"), b"hello from xfs\n");
    assert_eq!(read(fs, "/boot/vmlinuz"), b.kernel);
    if !b.big.is_empty() {
        let (got, ours, cat) = timed_big_read(fs, &b.img);
        assert!(got == b.big, "20 MiB file differs");
        eprintln!(
            "read 20 MiB: xenboot {:.1} ms, plain read of the extent {:.1} ms",
            ours * 1e3,
            cat * 1e3
        );
    }
    assert!(read(fs, "/sparse.bin") == b.sparse_expected, "sparse file");
    assert!(read(fs, "/frag.bin") == b.frag_expected, "fragmented file");
    let st = fs.stat("/sparse.bin").unwrap();
    assert_eq!((st.kind, st.len), (FileKind::File, 512 * BLOCK as u64));

    // Symlinks: inline, through a directory link, `..`, absolute, remote.
    assert_eq!(read(fs, "/boot/vmlinuz-link"), b.kernel);
    assert_eq!(read(fs, "/bootlink/vmlinuz"), b.kernel);
    assert_eq!(read(fs, "/boot/up"), b"hello from xfs\n");
    assert_eq!(read(fs, "/abs-link"), b.kernel);
    assert_eq!(read(fs, "/long-link"), b"deep target\n");
    let long = xfs_db(
        &b.img,
        &["path /long-link".into(), "print core.format".into()],
    );
    assert!(long.contains("extents"), "long link is remote: {long}");
    let st = fs.stat("/bootlink").unwrap();
    assert_eq!(st.kind, FileKind::Dir);

    // A symlink loop is a quick limit error.
    let t = Instant::now();
    let e = fs.stat("/loop1").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Limit, "{e}");
    assert!(e.to_string().contains("symbolic links"), "{e}");
    assert!(t.elapsed().as_secs() < 2);

    // Missing and wrong-kind paths.
    assert_eq!(
        fs.stat("/boot/nothing").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert!(fs.open("/boot").is_err());
    assert!(fs.read_dir("/small.txt").is_err());

    // Root listing with kinds.
    let mut root = fs.read_dir("/").unwrap();
    root.sort_by(|a, b| a.name.cmp(&b.name));
    let kinds: Vec<(&str, FileKind)> = root.iter().map(|e| (e.name.as_str(), e.kind)).collect();
    assert!(kinds.contains(&("boot", FileKind::Dir)), "{kinds:?}");
    assert!(
        kinds.contains(&("bootlink", FileKind::Symlink)),
        "{kinds:?}"
    );
    assert!(kinds.contains(&("small.txt", FileKind::File)), "{kinds:?}");
    assert!(!kinds.iter().any(|(n, _)| *n == "." || *n == ".."));

    // Every directory form: full listing and lookups of first and last names.
    for (name, n, form) in DIRS {
        let path = format!("/dirs/{name}");
        let (got_form, format) = dir_form(&b.img, &path);
        assert_eq!(&got_form, form, "{path} is in {format} format");
        let mut listed: Vec<String> = fs
            .read_dir(&path)
            .unwrap()
            .into_iter()
            .map(|e| {
                assert_eq!(e.kind, FileKind::File);
                e.name
            })
            .collect();
        listed.sort();
        assert_eq!(listed, names(*n), "{path}");
        for e in [0, n / 2, n - 1] {
            assert_eq!(read(fs, &format!("{path}/entry-{e:05}")), b.shared);
        }
        assert!(fs.stat(&format!("{path}/entry-{n:05}")).is_err());
    }
    // The big directory's block map is a B+tree (the "btree" form).
    let (_, format) = dir_form(&b.img, "/dirs/node");
    assert!(
        format.contains("btree"),
        "node directory in {format} format"
    );
}

/// Reads `/boot/big.bin` through the filesystem in 1 MiB chunks, and the same
/// extent straight from the image; returns the bytes and both times in seconds.
fn timed_big_read(fs: &dyn Filesystem, img: &Path) -> (Vec<u8>, f64, f64) {
    let t = Instant::now();
    let mut r = fs.open("/boot/big.bin").unwrap();
    let mut out = Vec::with_capacity(r.len() as usize);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    let ours = t.elapsed().as_secs_f64();
    let at = fsb_to_byte(img, first_block(img, "/boot/big.bin"));
    let t = Instant::now();
    use std::os::unix::fs::FileExt;
    let f = std::fs::File::open(img).unwrap();
    let mut plain = vec![0u8; out.len()];
    for (i, chunk) in plain.chunks_mut(1 << 20).enumerate() {
        f.read_exact_at(chunk, at + (i << 20) as u64).unwrap();
    }
    let cat = t.elapsed().as_secs_f64();
    assert!(plain == out, "extent bytes equal file bytes");
    (out, ours, cat)
}

#[test]
fn v5_default_image_reads_everything() {
    let dir = scratch();
    let b = build(dir.path(), true, &["-d", "agcount=2", "-L", "xfs-v5"], true);
    let sb = xfs_db(
        &b.img,
        &["sb 0".into(), "print versionnum features_incompat".into()],
    );
    assert!(sb.contains("versionnum = 0xb"), "v5 superblock: {sb}");
    check_everything(&b, "xfs-v5");
}

#[test]
fn v4_image_reads_everything() {
    let dir = scratch();
    let b = build(
        dir.path(),
        false,
        &["-m", "crc=0", "-d", "agcount=2", "-L", "legacy"],
        true,
    );
    let sb = xfs_db(&b.img, &["sb 0".into(), "print versionnum".into()]);
    assert!(sb.contains("versionnum = 0xb4"), "v4 superblock: {sb}");
    check_everything(&b, "legacy");
}

#[test]
fn v5_nrext64_image_reads_everything() {
    let dir = scratch();
    let b = build(
        dir.path(),
        true,
        &["-i", "nrext64=1", "-d", "agcount=2", "-L", "nrext64"],
        false,
    );
    let sb = xfs_db(&b.img, &["sb 0".into(), "print features_incompat".into()]);
    let incompat = sb
        .lines()
        .find_map(|l| l.strip_prefix("features_incompat = 0x"))
        .unwrap();
    let incompat = u32::from_str_radix(incompat.trim(), 16).unwrap();
    assert_ne!(incompat & 0x20, 0, "nrext64 feature set: {sb}");
    check_everything(&b, "nrext64");
}

#[test]
fn v4_without_ftype_lists_kinds_from_inodes() {
    let dir = scratch();
    let b = build(
        dir.path(),
        false,
        &[
            "-m",
            "crc=0",
            "-n",
            "ftype=0",
            "-d",
            "agcount=2",
            "-L",
            "noftype",
        ],
        false,
    );
    check_everything(&b, "noftype");
}

/// 1 KiB blocks with 8 KiB directory blocks: each directory block spans several
/// filesystem blocks (and possibly several extents); long symlink targets need a
/// remote block of their own.
#[test]
fn small_blocks_and_multi_block_directory_blocks() {
    for (version, crc) in [("v5", "crc=1"), ("v4", "crc=0")] {
        let dir = scratch();
        let mut p = Proto::new(&dir.path().join("c"));
        let kernel = bytes(21, 700_000);
        p.dir("boot");
        p.file("vmlinuz", &kernel);
        p.dir("many");
        for e in names(3000) {
            p.file(&e, e.as_bytes());
        }
        p.end();
        p.dir(&long_dir('x'));
        p.dir(&long_dir('y'));
        p.end();
        p.end();
        p.end();
        let target = format!("/boot/{}/{}/../../vmlinuz", long_dir('x'), long_dir('y'));
        p.link("far", &target);
        let proto = p.write();
        let img = dir.path().join("b.img");
        mkfs(
            &proto,
            64,
            &["-m", crc, "-b", "size=1024", "-n", "size=8192"],
            &img,
        );
        if version == "v5" {
            add_v5_symlink_header_bs(&img, "/far", target.len(), 1024);
        }
        assert_repair_clean(&img);
        let fs = open(&img);
        let fs = fs.as_ref();
        assert_eq!(read(fs, "/boot/vmlinuz"), kernel, "{version}");
        let mut listed: Vec<String> = fs
            .read_dir("/boot/many")
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        listed.sort();
        assert_eq!(listed, names(3000), "{version}");
        for e in [0, 1234, 2999] {
            let name = format!("entry-{e:05}");
            assert_eq!(read(fs, &format!("/boot/many/{name}")), name.as_bytes());
        }
        // A remote symlink whose target climbs back with "..".
        assert_eq!(read(fs, "/far"), kernel, "{version}");
        let (form, _) = dir_form(&img, "/boot/many");
        assert_eq!(form, "node", "{version}");
    }
}

/// A v5 image with one byte of a name flipped in a directory data block.
#[test]
fn corrupt_directory_block_is_an_error_not_a_wrong_name() {
    let dir = scratch();
    let mut p = Proto::new(&dir.path().join("c"));
    p.file("vmlinuz", b"kernel");
    p.dir("many");
    for e in names(300) {
        p.file(&e, e.as_bytes());
    }
    p.end();
    let proto = p.write();
    let img = dir.path().join("x.img");
    mkfs(&proto, 64, &[], &img);
    assert_repair_clean(&img);
    let fs = open(&img);
    assert_eq!(read(fs.as_ref(), "/many/entry-00007"), b"entry-00007");
    drop(fs);

    // Flip the last digit of "entry-00007" inside the first data block.
    let at = fsb_to_byte(&img, first_block(&img, "/many")) as usize;
    let mut bytes_img = std::fs::read(&img).unwrap();
    let block = &mut bytes_img[at..at + BLOCK];
    let pos = block
        .windows(11)
        .position(|w| w == b"entry-00007")
        .expect("name in first data block");
    block[pos + 10] = b'8';
    std::fs::write(&img, &bytes_img).unwrap();

    let fs = open(&img);
    let e = fs.read_dir("/many").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    assert!(e.to_string().contains("CRC32C mismatch"), "{e}");
    assert!(e.to_string().contains("directory"), "{e}");
    let e = fs.stat("/many/entry-00299").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    // The rest of the filesystem still reads.
    assert_eq!(read(fs.as_ref(), "/vmlinuz"), b"kernel");
}

fn small_image(dir: &Path, extra: &[&str]) -> PathBuf {
    let mut p = Proto::new(&dir.join("c"));
    p.dir("boot");
    p.file("vmlinuz", b"kernel bytes");
    p.end();
    let proto = p.write();
    let img = dir.join("small.img");
    mkfs(&proto, 32, extra, &img);
    assert_repair_clean(&img);
    img
}

/// Position of the log on the image: (byte offset, length).
fn log_region(img: &Path) -> (u64, u64) {
    let sb = xfs_db(
        img,
        &["sb 0".into(), "print logstart logblocks blocksize".into()],
    );
    let f = |name: &str| -> u64 {
        sb.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} = ")))
            .unwrap()
            .parse()
            .unwrap()
    };
    (
        fsb_to_byte(img, f("logstart")),
        f("logblocks") * f("blocksize"),
    )
}

#[test]
fn dirty_log_is_refused_clean_logs_of_any_cycle_open() {
    for (version, args) in [
        ("v5", &[][..]),
        ("v4", &["-m", "crc=0"][..]),
        ("v5 with a 32 KiB log stripe unit", &["-l", "su=32k"][..]),
    ] {
        let dir = scratch();
        let img = small_image(dir.path(), args);
        assert_eq!(read(open(&img).as_ref(), "/boot/vmlinuz"), b"kernel bytes");

        // A log rewritten clean by xfs_db at another cycle still opens.
        xfs_db(&img, &["logformat -c 7".into()]);
        assert_repair_clean(&img);
        assert_eq!(read(open(&img).as_ref(), "/boot/vmlinuz"), b"kernel bytes");

        // Turn the unmount record into an ordinary transaction record: the log no
        // longer ends clean.
        let (off, len) = log_region(&img);
        let mut data = std::fs::read(&img).unwrap();
        let log = &mut data[off as usize..(off + len) as usize];
        let rec = log
            .chunks(512)
            .position(|b| b[..4] == [0xfe, 0xed, 0xba, 0xbe])
            .expect("a log record header");
        let op_flags = (rec + 1) * 512 + 9;
        assert_ne!(log[op_flags] & 0x20, 0, "{version}: unmount record");
        log[op_flags] &= !0x20;
        std::fs::write(&img, &data).unwrap();
        let e = try_open(&img).err().expect("dirty log refused");
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{version}: {e}");
        assert!(e.to_string().contains("log is dirty"), "{e}");
    }
}

/// `xfs_admin -U` changes the UUID of a v5 filesystem without rewriting its
/// metadata (the old one stays as `sb_meta_uuid`): blkid shows the new one, and the
/// metadata must still verify against the old one.
#[test]
fn changed_uuid_reports_new_and_verifies_with_meta_uuid() {
    let dir = scratch();
    let img = small_image(dir.path(), &["-L", "before"]);
    let new = "0b7c3e52-9d1f-4a8e-b3c6-7d2e1f0a9b84";
    xfs_tool(
        "xfs_admin",
        &["-U", new, "-L", "after", img.to_str().unwrap()],
    );
    assert_repair_clean(&img);
    let sb = xfs_db(&img, &["sb 0".into(), "print meta_uuid".into()]);
    assert!(!sb.contains(new), "metadata keeps the old UUID: {sb}");
    let blkid = run(
        "blkid",
        &["-p", "-o", "value", "-s", "UUID", img.to_str().unwrap()],
    );
    assert_eq!(blkid.trim(), new);
    let fs = open(&img);
    assert_eq!(fs.uuid().as_deref(), Some(new));
    assert_eq!(fs.label().as_deref(), Some("after"));
    assert_eq!(read(fs.as_ref(), "/boot/vmlinuz"), b"kernel bytes");
}

#[test]
fn bad_superblock_checksum_and_truncated_volume_are_errors() {
    let dir = scratch();
    let img = small_image(dir.path(), &["-L", "lbl"]);
    let mut data = std::fs::read(&img).unwrap();
    data[108] ^= 0x20; // one letter of the label
    std::fs::write(&img, &data).unwrap();
    let e = try_open(&img).err().expect("checksum error");
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    assert!(e.to_string().contains("superblock"), "{e}");
    data[108] ^= 0x20;
    data.truncate(data.len() / 2);
    std::fs::write(&img, &data).unwrap();
    let e = try_open(&img).err().expect("size error");
    assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
}

/// An image in memory with some bytes changed (thousands of mutated copies cost
/// neither disk writes nor copies).
struct Mutated {
    base: Arc<Vec<u8>>,
    flips: Vec<(usize, u8)>,
}

impl xenboot::source::ByteSource for Mutated {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> xenboot::Result<()> {
        let start = usize::try_from(offset).map_err(|_| xenboot::Error::corrupt("offset"))?;
        let end = start
            .checked_add(buf.len())
            .filter(|&e| e <= self.base.len())
            .ok_or_else(|| xenboot::Error::corrupt("read past the end"))?;
        buf.copy_from_slice(&self.base[start..end]);
        for &(at, x) in &self.flips {
            if (start..end).contains(&at) {
                buf[at - start] ^= x;
            }
        }
        Ok(())
    }
    fn len(&self) -> u64 {
        self.base.len() as u64
    }
}

/// Mutates the metadata region of a v4 image (no checksums, so the mutations reach
/// every parser) thousands of times: each read gives a result or an error, never a
/// panic (overflow checks are on in test builds) and never a hang.
#[test]
fn mutated_v4_metadata_never_panics() {
    let dir = scratch();
    let mut p = Proto::new(&dir.path().join("c"));
    p.dir("boot");
    p.file("vmlinuz", &bytes(9, 100_000));
    p.link("link", &long_target());
    p.link("short", "vmlinuz");
    p.dir("big");
    for e in names(400) {
        p.file(&e, e.as_bytes());
    }
    p.end();
    for e in names(20) {
        p.file(&e, e.as_bytes());
    }
    p.end();
    let proto = p.write();
    let img = dir.path().join("f.img");
    mkfs(&proto, 32, &["-m", "crc=0"], &img);
    let clean = Arc::new(std::fs::read(&img).unwrap());
    // Where the metadata of this small tree lives: the AG 0 headers, the inode
    // chunk, the directory blocks and the remote symlink block (found with xfs_db).
    let mut hot: Vec<usize> = vec![0];
    for path in ["/boot", "/boot/big", "/boot/link"] {
        hot.push(fsb_to_byte(&img, first_block(&img, path)) as usize);
    }
    let conv = xfs_db(&img, &["convert inode 128 fsblock".into()]);
    let fsb = conv.split_whitespace().find_map(|w| {
        w.strip_prefix("0x")
            .and_then(|h| u64::from_str_radix(h.trim_end_matches(')'), 16).ok())
    });
    hot.push(fsb_to_byte(&img, fsb.unwrap_or_else(|| panic!("{conv}"))) as usize);
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut opened, mut listed) = (0, 0);
    let t = Instant::now();
    for round in 0..3000 {
        let flips = (0..1 + next() % 4)
            .map(|_| {
                let r = next();
                let region = hot[(r >> 8) as usize % hot.len()];
                (
                    region + (r >> 20) as usize % (4 * BLOCK),
                    (r >> 40) as u8 | 1,
                )
            })
            .collect();
        let src: SharedSource = Arc::new(Mutated {
            base: clean.clone(),
            flips,
        });
        let Ok(Some(fs)) = fs::probe(src, &Limits::default()) else {
            continue;
        };
        opened += 1;
        if fs.read_dir("/boot/big").is_ok() {
            listed += 1;
        }
        let _ = fs.read_dir("/boot");
        let _ = fs::read_file(fs.as_ref(), "/boot/vmlinuz", 1 << 20);
        let _ = fs::read_file(fs.as_ref(), "/boot/link", 1 << 20);
        let _ = fs.stat("/boot/short");
        let _ = fs.stat(&format!("/boot/big/entry-{:05}", round % 400));
    }
    eprintln!(
        "3000 mutated images: {opened} opened, {listed} listed /boot/big, {:.1} s",
        t.elapsed().as_secs_f64()
    );
    assert!(opened > 100, "mutations must reach past the superblock");
}

#[test]
fn xfs_in_mbr_partition_found_through_disk_layer() {
    let dir = scratch();
    let kernel = bytes(11, 400_000);
    let initrd = bytes(12, 900_000);
    let menu = "default 0\ntimeout 5\ntitle EL7\n\troot (hd0,0)\n\tkernel /vmlinuz-3.10 ro root=/dev/xvda2\n\tinitrd /initramfs-3.10.img\n";
    let mut p = Proto::new(&dir.path().join("c"));
    p.dir("boot");
    p.dir("grub");
    p.file("menu.lst", menu.as_bytes());
    p.end();
    p.file("vmlinuz-3.10", &kernel);
    p.file("initramfs-3.10.img", &initrd);
    p.end();
    let proto = p.write();
    let img = dir.path().join("boot.img");
    mkfs(&proto, 32, &["-L", "boot"], &img);
    assert_repair_clean(&img);
    let disk = dir.path().join("disk.img");
    let offsets = mbr_disk(&[Part::empty(4, "82"), Part::with_image(&img, "83")], &disk);

    let src: SharedSource = Arc::new(FileSource::open(&disk).unwrap());
    let layout = xenboot::disk::discover(src.as_ref(), &Limits::default()).unwrap();
    let mut found = Vec::new();
    for v in &layout.volumes {
        let win: SharedSource = Arc::new(Window::new(src.clone(), v.offset, v.len).unwrap());
        if let Some(fs) = fs::probe(win, &Limits::default()).unwrap() {
            found.push((v.offset, fs));
        }
    }
    assert_eq!(found.len(), 1, "one filesystem on the disk: {layout:?}");
    let (offset, fs) = &found[0];
    assert_eq!(*offset, offsets[1]);
    assert_eq!(fs.kind(), "xfs");
    assert_eq!(fs.label().as_deref(), Some("boot"));
    assert!(fs::is_file(fs.as_ref(), "/boot/grub/menu.lst"));
    assert_eq!(read(fs.as_ref(), "/boot/grub/menu.lst"), menu.as_bytes());
    assert_eq!(read(fs.as_ref(), "/boot/vmlinuz-3.10"), kernel);
    assert_eq!(read(fs.as_ref(), "/boot/initramfs-3.10.img"), initrd);
}
