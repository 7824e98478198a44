//! qcow2 images made by the real `qemu-img`/`qemu-io`, and helpers to patch their
//! big-endian tables.

use std::path::{Path, PathBuf};

/// Runs `qemu-img ARGS`.
pub fn qemu_img(args: &[&str]) {
    super::run("qemu-img", args);
}

/// Runs `qemu-io -f qcow2 -c CMD IMAGE`.
pub fn qemu_io(image: &Path, cmd: &str) {
    super::run(
        "qemu-io",
        &["-f", "qcow2", "-c", cmd, image.to_str().unwrap()],
    );
}

/// `qemu-img convert -O qcow2 [extra…] raw out`.
pub fn convert(raw: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec!["convert", "-f", "raw", "-O", "qcow2"];
    args.extend_from_slice(extra);
    args.extend([raw.to_str().unwrap(), out.to_str().unwrap()]);
    qemu_img(&args);
}

/// A small v3 image (`dir/s.qcow2`, 1 MiB) with data in its first cluster, and its
/// bytes to patch.
pub fn small_image(dir: &Path, extra: &[&str]) -> (PathBuf, Vec<u8>) {
    let img = dir.join("s.qcow2");
    let mut args = vec!["create", "-q", "-f", "qcow2"];
    args.extend_from_slice(extra);
    args.extend([img.to_str().unwrap(), "1M"]);
    qemu_img(&args);
    qemu_io(&img, "write -P 0x77 0 64K");
    let bytes = std::fs::read(&img).unwrap();
    (img, bytes)
}

/// The big-endian u64 at `at`.
pub fn be64(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().unwrap())
}

/// Stores `v` big-endian at `at`.
pub fn put64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_be_bytes());
}

/// The header's L1 table offset (field at byte 40).
pub fn l1_offset(b: &[u8]) -> usize {
    be64(b, 40) as usize
}

/// The offset of the L2 table of L1 entry 0.
pub fn first_l2(b: &[u8]) -> usize {
    (be64(b, l1_offset(b)) & 0x00ff_ffff_ffff_fe00) as usize
}
