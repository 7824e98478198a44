//! Fuzzes the btrfs reader (the wrapped `lambutter` crate and our path resolution):
//! builds an image from the input (see `image`), probes it, then lists, stats and
//! reads what is there.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "walk.rs"]
#[allow(dead_code)] // only `walk_image` is used here
mod walk;

/// Where the primary btrfs superblock lives.
const SUPERBLOCK: usize = 64 << 10;
/// Marks an input in block-list form (see [`image`]).
const BLOCKS_MAGIC: &[u8] = b"XBBLK1";
/// Size of an image built from a block list (what `mkfs.btrfs -M` makes at least).
const BLOCKS_IMAGE: usize = 16 << 20;

/// The image an input stands for. A btrfs image is at least 16 MiB with its trees
/// several MiB apart, too large for a fuzz input; so an input starting with
/// `XBBLK1` lists its non-zero 4 KiB blocks (`u16` LE block index, then 4096 bytes,
/// repeated) and `scripts/fuzz.sh` seeds the target with real `mkfs.btrfs` images
/// in that form. Any other input is laid out from the primary superblock on.
fn image(data: &[u8]) -> Vec<u8> {
    let Some(mut rest) = data.strip_prefix(BLOCKS_MAGIC) else {
        let mut v = vec![0u8; SUPERBLOCK];
        v.extend_from_slice(data);
        return v;
    };
    let mut v = vec![0u8; BLOCKS_IMAGE];
    while rest.len() >= 2 {
        let idx = usize::from(u16::from_le_bytes([rest[0], rest[1]]));
        let n = rest.len().min(4098) - 2;
        let at = idx * 4096;
        if let Some(dst) = v.get_mut(at..at + n) {
            dst.copy_from_slice(&rest[2..2 + n]);
        }
        rest = &rest[2 + n..];
    }
    v
}

fuzz_target!(|data: &[u8]| {
    walk::walk_image(
        image(data),
        &[
            "/boot/grub2/grub.cfg",
            "/@/boot/grub2/grub.cfg",
            "/boot/../boot/x",
        ],
    );
});
