//! Fuzzes the btrfs reader (the wrapped `lambutter` crate and our path resolution):
//! builds an image from the input (see `image`), probes it, then lists, stats and
//! reads what is there.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use xenboot::fs::{self, FileKind};
use xenboot::source::MemSource;
use xenboot::Limits;

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
    let image = image(data);
    let limits = Limits::default();
    let Ok(Some(fs)) = fs::probe(Arc::new(MemSource::new(image)), &limits) else {
        return;
    };
    let _ = (fs.uuid(), fs.label());
    let mut dirs = vec!["/".to_string()];
    let mut visited = 0;
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs.read_dir(&dir) else { continue };
        for e in entries.into_iter().take(64) {
            visited += 1;
            if visited > 256 {
                return;
            }
            let path = format!("{}/{}", dir.trim_end_matches('/'), e.name);
            match fs.stat(&path) {
                Ok(st) if st.kind == FileKind::Dir && dirs.len() < 16 => dirs.push(path),
                Ok(st) if st.kind == FileKind::File => {
                    let _ = fs::read_file(fs.as_ref(), &path, 1 << 20);
                }
                _ => {}
            }
        }
    }
    for p in ["/boot/grub2/grub.cfg", "/@/boot/grub2/grub.cfg", "/boot/../boot/x"] {
        let _ = fs::read_file(fs.as_ref(), p, 1 << 20);
    }
});
