//! Zero-copy extraction: an XFS v5 guest made by `mkfs.xfs -p` in an MBR disk maps its
//! kernel and initrd to plain ranges of the disk image (`FileReader::host_runs`), and
//! `Boot::extract_to_dir` copies them with `copy_file_range` (std's `io::copy`
//! between files); the bytes must equal the originals, and the ranges must be the
//! file's blocks on the disk. Extraction into memory reads those ranges straight into
//! the buffers.
mod common;

use common::*;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use xenboot::extract::Request;
use xenboot::source::{FileSource, SharedSource, Window};
use xenboot::{Boot, Limits, Options};

fn mkfs_xfs(proto: &Path, size_mib: u64, out: &Path) {
    std::fs::File::create(out)
        .unwrap()
        .set_len(size_mib << 20)
        .unwrap();
    let st = Command::new("mkfs.xfs")
        .args([
            "-q",
            "-f",
            "-p",
            proto.to_str().unwrap(),
            out.to_str().unwrap(),
        ])
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("TEST_DIR", "/nonexistent")
        .env("TEST_DEV", "/nonexistent")
        .env("QA_CHECK_FS", "1")
        .output()
        .expect("mkfs.xfs (xfsprogs) is needed");
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
}

#[test]
fn xfs_extraction_copies_plain_ranges_of_the_image() {
    let d = scratch();
    let k = bytes(7, (3 << 20) + 4097);
    let i1 = bytes(8, (5 << 20) + 1);
    let i2 = bytes(9, 12345);
    let cfg = "menuentry 'L' { linux /boot/vmlinuz ro; initrd /boot/ucode /boot/initrd }\n";
    let host = d.path().join("host");
    write_tree(
        &host,
        &[
            ("vmlinuz", &k),
            ("initrd", &i1),
            ("ucode", &i2),
            ("grub.cfg", cfg.as_bytes()),
        ],
    );
    let h = |n: &str| host.join(n).to_str().unwrap().to_string();
    let proto = format!(
        "t\n0 0\nd--755 0 0\nboot d--755 0 0\nvmlinuz ---644 0 0 {}\ninitrd ---644 0 0 {}\nucode ---644 0 0 {}\ngrub d--755 0 0\ngrub.cfg ---644 0 0 {}\n$\n$\n$\n",
        h("vmlinuz"),
        h("initrd"),
        h("ucode"),
        h("grub.cfg")
    );
    let pf = d.path().join("proto");
    std::fs::write(&pf, proto).unwrap();
    let fs_img = d.path().join("fs.img");
    mkfs_xfs(&pf, 300, &fs_img);
    let disk = d.path().join("disk.img");
    let offsets = mbr_disk(&[Part::with_image(&fs_img, "83")], &disk);

    // The runs are inside the partition and hold the kernel's bytes.
    let src: SharedSource = Arc::new(FileSource::open(&disk).unwrap());
    let len = std::fs::metadata(&fs_img).unwrap().len();
    let win: SharedSource = Arc::new(Window::new(src, offsets[0], len).unwrap());
    let fs = xenboot::fs::probe(win, &Limits::default())
        .unwrap()
        .expect("XFS");
    let reader = fs.open("/boot/vmlinuz").unwrap();
    let runs = reader
        .host_runs()
        .expect("a contiguous file maps to ranges");
    let image = std::fs::read(&disk).unwrap();
    let mut joined = Vec::new();
    for (at, n) in &runs.runs {
        assert!(*at >= offsets[0] && at + n <= offsets[0] + len);
        joined.extend_from_slice(&image[*at as usize..(at + n) as usize]);
    }
    assert_eq!(joined, k);
    drop(reader);

    let boot = Boot::open(disk.to_str().unwrap(), Options::default()).unwrap();
    let plan = boot.plan(0, &Request::default()).unwrap();
    let out = d.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let got = boot.extract_to_dir(&plan, &out).unwrap();
    assert_eq!(std::fs::read(&got.kernel).unwrap(), k);
    let mut ramdisk = i2.clone();
    ramdisk.extend_from_slice(&i1);
    assert_eq!(std::fs::read(got.ramdisk.unwrap()).unwrap(), ramdisk);

    // Into memory: one pread per range, straight into the buffers.
    let (km, rm) = boot.extract_to_memory(&plan).unwrap();
    assert_eq!(km, k);
    assert_eq!(rm.unwrap(), ramdisk);
    // A buffer of the wrong size is refused, not overrun.
    let mut short = vec![0u8; k.len() - 1];
    assert!(boot.read_kernel_into(&plan, &mut short).is_err());
    let mut long = vec![0u8; ramdisk.len() + 1];
    assert!(boot.read_ramdisk_into(&plan, &mut long).is_err());
}
