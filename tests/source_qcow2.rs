//! qcow2 guest disks made by the real `qemu-img`/`qemu-io`: v2 and v3, compressed,
//! zero and unallocated clusters, 512 B and 2 MiB clusters, backing chains (refused by
//! default, read when allowed), and hostile headers and tables. Every image boots
//! through `Boot::open` to byte-identical kernel and initrd, and whole virtual disks
//! are compared with `qemu-img convert -O raw`.
mod common;

use common::qemu::*;
use common::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use xenboot::extract::Request;
use xenboot::source::qcow2::{self, Backing};
use xenboot::source::{ByteSource, FileSource, Qcow2Source};
use xenboot::{Boot, ErrorKind, Options};

const ARGS: &str = "root=/dev/xvda1 ro console=hvc0";

/// A raw guest disk: MBR + ext4 with /boot/grub/menu.lst, kernel and initrd.
struct Guest {
    raw: PathBuf,
    kernel: Vec<u8>,
    initrd: Vec<u8>,
    /// Byte offset of the free last MiB of the disk (after the partition).
    tail: u64,
}

fn guest(dir: &Path) -> Guest {
    let kernel = bytes(41, 3_000_000);
    // Half random, half text: qemu-img -c stores only clusters that shrink compressed.
    let mut initrd = bytes(42, 2_500_000);
    let mut i = 0u64;
    while initrd.len() < 5_500_000 {
        initrd.extend_from_slice(format!("symbol_{i:08x} T {:016x}\n", i * 977).as_bytes());
        i += 1;
    }
    let menu = format!(
        "default 0\ntimeout 3\ntitle Guest\nroot (hd0,0)\nkernel /boot/vmlinuz {ARGS}\n\
         initrd /boot/initrd.img\n"
    );
    let tree = dir.join("tree");
    write_tree(
        &tree,
        &[
            ("boot/grub/menu.lst", menu.as_bytes()),
            ("boot/vmlinuz", &kernel),
            ("boot/initrd.img", &initrd),
        ],
    );
    let part = dir.join("part.img");
    mkfs_ext("ext4", &tree, 16, &part);
    let raw = dir.join("guest.raw");
    mbr_disk(&[Part::with_image(&part, "83")], &raw);
    let tail = std::fs::metadata(&raw).unwrap().len() - (1 << 20);
    Guest {
        raw,
        kernel,
        initrd,
        tail,
    }
}

fn open_with(image: &Path, allow_backing_file: bool) -> xenboot::Result<Boot> {
    Boot::open(
        image.to_str().unwrap(),
        Options {
            allow_backing_file,
            ..Options::default()
        },
    )
}

/// Boots `image` and checks the default entry's kernel, initrd and arguments.
fn check_boot(image: &Path, g: &Guest, allow_backing_file: bool) {
    let mut boot = open_with(image, allow_backing_file)
        .unwrap_or_else(|e| panic!("open {}: {e}", image.display()));
    let idx = boot.select(None).unwrap();
    let plan = boot.plan(idx, &Request::default()).unwrap();
    assert_eq!(plan.args, ARGS);
    let out = scratch();
    let got = boot.extract_to_dir(&plan, out.path()).unwrap();
    assert_eq!(
        std::fs::read(&got.kernel).unwrap(),
        g.kernel,
        "kernel bytes"
    );
    assert_eq!(
        std::fs::read(got.ramdisk.unwrap()).unwrap(),
        g.initrd,
        "initrd bytes"
    );
}

fn open_qcow2(image: &Path, backing: Backing) -> Qcow2Source {
    let file = Arc::new(FileSource::open(image).unwrap());
    Qcow2Source::open(file, Some(image), backing).unwrap()
}

/// Compares the whole virtual disk with `qemu-img convert -O raw` of the same image,
/// in 1 MiB chunks and then at unaligned offsets. Returns the seconds our full read
/// took.
fn compare_with_qemu(image: &Path, backing: Backing) -> f64 {
    let dir = scratch();
    let flat = dir.path().join("flat.raw");
    qemu_img(&[
        "convert",
        "-O",
        "raw",
        image.to_str().unwrap(),
        flat.to_str().unwrap(),
    ]);
    let want = std::fs::read(&flat).unwrap();
    let q = open_qcow2(image, backing);
    assert_eq!(q.len(), want.len() as u64, "virtual size");
    let start = Instant::now();
    let mut got = vec![0u8; want.len()];
    for (i, chunk) in got.chunks_mut(1 << 20).enumerate() {
        q.read_at(i as u64 * (1 << 20), chunk).unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    assert!(
        got == want,
        "{}: virtual disk differs from qemu's",
        image.display()
    );
    // Unaligned reads across cluster boundaries.
    for (off, len) in [(1u64, 3usize), (65_535, 2), (511, 1025), (1 << 20, 200_001)] {
        let mut b = vec![0u8; len];
        q.read_at(off, &mut b).unwrap();
        assert_eq!(b, want[off as usize..off as usize + len], "at {off}");
    }
    // Past the end: an error, never a short read.
    let mut b = [0u8; 2];
    assert!(q.read_at(q.len() - 1, &mut b).is_err());
    secs
}

#[test]
fn v3_default_boots_and_matches_qemu() {
    let dir = scratch();
    let g = guest(dir.path());
    let img = dir.path().join("v3.qcow2");
    convert(&g.raw, &img, &[]);
    let q = open_qcow2(&img, Backing::Refuse);
    assert_eq!(q.header().version, 3);
    assert_eq!(q.header().cluster_bits, 16);
    check_boot(&img, &g, false);
    let report = xenboot::probe::probe(img.to_str().unwrap(), Options::default());
    assert!(report.error.is_none(), "{:?}", report.error);
    assert!(
        report.notes.iter().any(|n| n.starts_with("qcow2 v3 image")),
        "{:?}",
        report.notes
    );
    let ours = compare_with_qemu(&img, Backing::Refuse);
    // The same bytes from the raw file, for scale.
    let raw = FileSource::open(&g.raw).unwrap();
    let start = Instant::now();
    let mut buf = vec![0u8; 1 << 20];
    let mut off = 0;
    while off < raw.len() {
        let n = (raw.len() - off).min(buf.len() as u64) as usize;
        raw.read_at(off, &mut buf[..n]).unwrap();
        off += n as u64;
    }
    let raw_secs = start.elapsed().as_secs_f64();
    eprintln!(
        "read {} MiB: qcow2 {ours:.4}s, raw {raw_secs:.4}s",
        raw.len() >> 20
    );
}

#[test]
fn v2_compat_0_10_boots_and_matches_qemu() {
    let dir = scratch();
    let g = guest(dir.path());
    let img = dir.path().join("v2.qcow2");
    convert(&g.raw, &img, &["-o", "compat=0.10"]);
    assert_eq!(open_qcow2(&img, Backing::Refuse).header().version, 2);
    check_boot(&img, &g, false);
    compare_with_qemu(&img, Backing::Refuse);
}

#[test]
fn compressed_v3_and_v2_boot_and_match_qemu() {
    let dir = scratch();
    let g = guest(dir.path());
    let plain = dir.path().join("plain.qcow2");
    convert(&g.raw, &plain, &[]);
    let plain_len = std::fs::metadata(&plain).unwrap().len();
    for (name, extra) in [
        ("c3.qcow2", &["-c"][..]),
        ("c2.qcow2", &["-c", "-o", "compat=0.10"][..]),
    ] {
        let img = dir.path().join(name);
        convert(&g.raw, &img, extra);
        // Compression really happened: the text half of the initrd shrank.
        let len = std::fs::metadata(&img).unwrap().len();
        assert!(
            len + 2_000_000 < plain_len,
            "{name} {len} vs {plain_len} bytes"
        );
        check_boot(&img, &g, false);
        let secs = compare_with_qemu(&img, Backing::Refuse);
        eprintln!("{name}: whole virtual disk read in {secs:.4}s");
    }
}

#[test]
fn cluster_sizes_512_and_2m() {
    let dir = scratch();
    let g = guest(dir.path());
    for (bits, size) in [(9, "512"), (21, "2M")] {
        let img = dir.path().join(format!("cs{size}.qcow2"));
        convert(&g.raw, &img, &["-o", &format!("cluster_size={size}")]);
        assert_eq!(
            open_qcow2(&img, Backing::Refuse).header().cluster_bits,
            bits
        );
        check_boot(&img, &g, false);
        compare_with_qemu(&img, Backing::Refuse);
    }
    // Compressed with 512-byte clusters: the smallest compressed-size field.
    let img = dir.path().join("cs512c.qcow2");
    convert(&g.raw, &img, &["-c", "-o", "cluster_size=512"]);
    check_boot(&img, &g, false);
    compare_with_qemu(&img, Backing::Refuse);
}

#[test]
fn zero_and_unallocated_clusters_read_as_zeros() {
    let dir = scratch();
    let img = dir.path().join("z.qcow2");
    qemu_img(&["create", "-q", "-f", "qcow2", img.to_str().unwrap(), "8M"]);
    qemu_io(&img, "write -P 0xab 0 4M");
    // Zero flag over allocated data (v3 keeps the flag), and an unallocated tail.
    qemu_io(&img, "write -z 1M 2M");
    let q = open_qcow2(&img, Backing::Refuse);
    let mut all = vec![0u8; 8 << 20];
    q.read_at(0, &mut all).unwrap();
    assert!(all[..1 << 20].iter().all(|&b| b == 0xab));
    assert!(all[1 << 20..3 << 20].iter().all(|&b| b == 0));
    assert!(all[3 << 20..4 << 20].iter().all(|&b| b == 0xab));
    assert!(all[4 << 20..].iter().all(|&b| b == 0));
    compare_with_qemu(&img, Backing::Refuse);

    // A guest disk whose free tail held data, then was zeroed with the zero flag.
    let g = guest(dir.path());
    let img = dir.path().join("gz.qcow2");
    convert(&g.raw, &img, &[]);
    qemu_io(&img, &format!("write -P 0xcd {} 1M", g.tail));
    qemu_io(&img, &format!("write -z {} 512K", g.tail));
    let q = open_qcow2(&img, Backing::Refuse);
    let mut b = vec![0u8; 1 << 20];
    q.read_at(g.tail, &mut b).unwrap();
    assert!(b[..512 << 10].iter().all(|&x| x == 0));
    assert!(b[512 << 10..].iter().all(|&x| x == 0xcd));
    check_boot(&img, &g, false);
    compare_with_qemu(&img, Backing::Refuse);
}

#[test]
fn backing_chain_refused_by_default_and_read_when_allowed() {
    let dir = scratch();
    let g = guest(dir.path());
    let base = dir.path().join("base.qcow2");
    convert(&g.raw, &base, &["-c"]);
    let mid = dir.path().join("mid.qcow2");
    let top = dir.path().join("top.qcow2");
    // Relative names: resolved against each image's own directory.
    qemu_img(&[
        "create",
        "-q",
        "-f",
        "qcow2",
        "-b",
        "base.qcow2",
        "-F",
        "qcow2",
        mid.to_str().unwrap(),
    ]);
    qemu_io(&mid, &format!("write -P 0x11 {} 256K", g.tail));
    qemu_img(&[
        "create",
        "-q",
        "-f",
        "qcow2",
        "-b",
        "mid.qcow2",
        "-F",
        "qcow2",
        top.to_str().unwrap(),
    ]);
    qemu_io(
        &top,
        &format!("write -P 0x22 {} 128K", g.tail + (128 << 10)),
    );
    qemu_io(&top, &format!("write -z {} 64K", g.tail));

    let e = open_with(&top, false).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let msg = e.to_string();
    assert!(
        msg.contains("mid.qcow2") && msg.contains("--allow-backing-file"),
        "{msg}"
    );

    check_boot(&top, &g, true);
    compare_with_qemu(&top, Backing::from_flag(true));
    let q = open_qcow2(&top, Backing::from_flag(true));
    let mut b = vec![0u8; 512 << 10];
    q.read_at(g.tail, &mut b).unwrap();
    assert!(b[..64 << 10].iter().all(|&x| x == 0), "zeroed in top");
    assert!(
        b[64 << 10..128 << 10].iter().all(|&x| x == 0x11),
        "from mid"
    );
    assert!(
        b[128 << 10..256 << 10].iter().all(|&x| x == 0x22),
        "from top"
    );
    assert!(b[256 << 10..].iter().all(|&x| x == 0), "from base");

    // A raw backing file, named by an absolute path.
    let over = dir.path().join("over-raw.qcow2");
    qemu_img(&[
        "create",
        "-q",
        "-f",
        "qcow2",
        "-b",
        g.raw.to_str().unwrap(),
        "-F",
        "raw",
        over.to_str().unwrap(),
    ]);
    assert!(open_with(&over, false).is_err());
    check_boot(&over, &g, true);
    compare_with_qemu(&over, Backing::from_flag(true));

    // The CLI flag.
    let exe = env!("CARGO_BIN_EXE_xenboot");
    let out = std::process::Command::new(exe)
        .args(["list", "--json", top.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-backing-file"));
    let out = std::process::Command::new(exe)
        .args([
            "list",
            "--json",
            "--allow-backing-file",
            top.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["entries"][0]["kernel"], "/boot/vmlinuz");
}

#[test]
fn extended_l2_subclusters_boot_and_match_qemu() {
    let dir = scratch();
    let g = guest(dir.path());
    let img = dir.path().join("x.qcow2");
    convert(&g.raw, &img, &["-o", "extended_l2=on"]);
    assert!(open_qcow2(&img, Backing::Refuse).header().extended_l2);
    check_boot(&img, &g, false);
    compare_with_qemu(&img, Backing::Refuse);
    // Over a backing file, subclusters (2 KiB of a 64 KiB cluster) are written,
    // zeroed or left to the backing file within one cluster.
    // The backing file's tail is made non-zero so "from backing" is visible (and
    // copied by qemu into the partly written subcluster 6).
    std::fs::OpenOptions::new()
        .write(true)
        .open(&g.raw)
        .and_then(|f| {
            use std::os::unix::fs::FileExt;
            f.write_all_at(&[0x99; 65536], g.tail)
        })
        .unwrap();
    let top = dir.path().join("xtop.qcow2");
    qemu_img(&[
        "create",
        "-q",
        "-f",
        "qcow2",
        "-o",
        "extended_l2=on",
        "-b",
        g.raw.to_str().unwrap(),
        "-F",
        "raw",
        top.to_str().unwrap(),
    ]);
    qemu_io(&top, &format!("write -P 0x33 {} 4K", g.tail + 2048));
    qemu_io(&top, &format!("write -z {} 2K", g.tail + 8192));
    qemu_io(&top, &format!("write -P 0x44 {} 3K", g.tail + 10240));
    check_boot(&top, &g, true);
    compare_with_qemu(&top, Backing::from_flag(true));
    let q = open_qcow2(&top, Backing::from_flag(true));
    let mut b = vec![0u8; 16384];
    q.read_at(g.tail, &mut b).unwrap();
    assert!(b[..2048].iter().all(|&x| x == 0x99));
    assert!(b[2048..6144].iter().all(|&x| x == 0x33));
    assert!(b[6144..8192].iter().all(|&x| x == 0x99));
    assert!(b[8192..10240].iter().all(|&x| x == 0));
    assert!(b[10240..13312].iter().all(|&x| x == 0x44));
    assert!(b[13312..14336].iter().all(|&x| x == 0x99));
    assert!(b[13312..].iter().all(|&x| x == 0x99));
}

#[test]
fn backing_loop_ends_at_the_depth_bound() {
    let dir = scratch();
    let a = dir.path().join("a.qcow2");
    let b = dir.path().join("b.qcow2");
    qemu_img(&["create", "-q", "-f", "qcow2", a.to_str().unwrap(), "4M"]);
    qemu_img(&[
        "create",
        "-q",
        "-f",
        "qcow2",
        "-b",
        "a.qcow2",
        "-F",
        "qcow2",
        b.to_str().unwrap(),
    ]);
    // Point a back at b without qemu opening the chain.
    qemu_img(&[
        "rebase",
        "-u",
        "-f",
        "qcow2",
        "-b",
        "b.qcow2",
        "-F",
        "qcow2",
        a.to_str().unwrap(),
    ]);
    let file = Arc::new(FileSource::open(&b).unwrap());
    let e = Qcow2Source::open(file, Some(&b), Backing::from_flag(true)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Limit, "{e}");
}

/// Opens patched image bytes and reads the whole virtual disk.
fn open_patched(dir: &Path, bytes: &[u8]) -> xenboot::Result<Vec<u8>> {
    let p = dir.join("patched.qcow2");
    std::fs::write(&p, bytes).unwrap();
    let src = qcow2::open_path(&p, Backing::Refuse)?.source;
    let mut all = vec![0u8; src.len() as usize];
    src.read_at(0, &mut all)?;
    Ok(all)
}

#[test]
fn hostile_headers_and_tables_are_refused() {
    let dir = scratch();
    let (_, good) = small_image(dir.path(), &[]);
    let all = open_patched(dir.path(), &good).unwrap();
    assert!(all[..64 << 10].iter().all(|&b| b == 0x77));
    let l1 = be64(&good, 40) as usize;
    let l1e = be64(&good, l1);
    assert_ne!(l1e, 0);

    let refused = |what: &str, bytes: &[u8], kind: ErrorKind| {
        let e = open_patched(dir.path(), bytes).expect_err(what);
        assert_eq!(e.kind(), kind, "{what}: {e}");
        e.to_string()
    };
    // L1 entry pointing at the L1 table itself, past the end, with a reserved bit.
    for (what, target) in [
        ("L1 -> itself", l1 as u64 | 1 << 63),
        ("L1 -> past end", 1 << 40),
        ("L1 reserved bit", l1e | 1 << 60),
        ("L1 unaligned", l1e | 0x200),
    ] {
        let mut b = good.clone();
        put64(&mut b, l1, target);
        refused(what, &b, ErrorKind::Corrupt);
    }
    // L2 entries: a reserved bit, a compressed cluster inside the header.
    let l2 = (l1e & 0x00ff_ffff_ffff_fe00) as usize;
    let mut b = good.clone();
    let e = be64(&b, l2);
    put64(&mut b, l2, e | 1 << 58);
    refused("L2 reserved bit", &b, ErrorKind::Corrupt);
    let mut b = good.clone();
    put64(&mut b, l2, 1 << 62 | 0x10);
    refused("L2 compressed -> header", &b, ErrorKind::Corrupt);
    // A compressed cluster of garbage.
    let mut b = good.clone();
    put64(&mut b, l2, 1 << 62 | (e & 0x00ff_ffff_ffff_fe00));
    refused("garbage deflate", &b, ErrorKind::Corrupt);
    // Header fields.
    let mut b = good.clone();
    b[72 + 7] |= 2; // corrupt bit
    let msg = refused("corrupt bit", &b, ErrorKind::Corrupt);
    assert!(msg.contains("marked corrupt"), "{msg}");
    let mut b = good.clone();
    b[72] |= 0x80; // unknown incompatible bit 63
    refused("unknown incompatible", &b, ErrorKind::Unsupported);
    let mut b = good.clone();
    b[72 + 7] |= 1; // dirty: still readable, and noted
    assert!(open_patched(dir.path(), &b).is_ok());
    let notes = qcow2::open_path(&dir.path().join("patched.qcow2"), Backing::Refuse)
        .unwrap()
        .notes;
    assert!(notes.iter().any(|n| n.contains("dirty")), "{notes:?}");
    for bits in [8u32, 22, 63] {
        let mut b = good.clone();
        b[20..24].copy_from_slice(&bits.to_be_bytes());
        refused("cluster_bits", &b, ErrorKind::Corrupt);
    }
    let mut b = good.clone();
    b[36..40].copy_from_slice(&0u32.to_be_bytes()); // l1_size 0 for a 1 MiB disk
    refused("l1_size", &b, ErrorKind::Corrupt);
    let mut b = good.clone();
    put64(&mut b, 24, u64::MAX); // virtual size
    refused("size", &b, ErrorKind::Corrupt);
    let mut b = good.clone();
    b[32..36].copy_from_slice(&1u32.to_be_bytes()); // AES
    refused("encrypted", &b, ErrorKind::Unsupported);
    let mut b = good.clone();
    b[4..8].copy_from_slice(&4u32.to_be_bytes());
    refused("version 4", &b, ErrorKind::Unsupported);
    refused("truncated", &good[..50], ErrorKind::Corrupt);
}

#[test]
fn unsupported_features_are_named() {
    let dir = scratch();
    let (img, _) = small_image(dir.path(), &["-o", "compression_type=zstd"]);
    let e = qcow2::open_path(&img, Backing::Refuse).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert!(e.to_string().contains("zstd"), "{e}");
    let dir = scratch();
    let data = dir.path().join("data.raw");
    let img = dir.path().join("ext.qcow2");
    qemu_img(&[
        "create",
        "-q",
        "-f",
        "qcow2",
        "-o",
        &format!("data_file={}", data.display()),
        img.to_str().unwrap(),
        "1M",
    ]);
    let e = qcow2::open_path(&img, Backing::Refuse).err().unwrap();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    assert!(e.to_string().contains("external data file"), "{e}");
}
