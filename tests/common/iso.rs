//! ISO 9660 images made by `xorriso -as mkisofs`, and byte patches of their Rock
//! Ridge continuation areas (SUSP `CE` entries).

use std::path::Path;

/// ISO 9660 logical sector size.
pub const SECTOR: usize = 2048;

/// Runs `xorriso -as mkisofs -quiet ARGS -o OUT TREE`.
pub fn mkisofs(args: &[&str], tree: &Path, out: &Path) {
    let mut all: Vec<&str> = vec!["-as", "mkisofs", "-quiet"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", out.to_str().unwrap(), tree.to_str().unwrap()]);
    super::run("xorriso", &all);
}

/// The SUSP entries (signature, offset in the image) of the directory record at
/// `off`.
pub fn susp_entries(img: &[u8], off: usize) -> Vec<([u8; 2], usize)> {
    let len = img[off] as usize;
    let nlen = img[off + 32] as usize;
    let mut at = off + 33 + nlen + (1 - nlen % 2);
    let mut out = Vec::new();
    while at + 4 <= off + len && img[at + 2] >= 4 {
        out.push(([img[at], img[at + 1]], at));
        at += img[at + 2] as usize;
    }
    out
}

/// The offset of the first `CE` entry of a named record (not `.`) of the root
/// directory: xorriso writes one for a Rock Ridge name too long for its record.
pub fn first_root_ce(img: &[u8]) -> usize {
    let root_lba = u32::from_le_bytes(img[16 * SECTOR + 158..][..4].try_into().unwrap()) as usize;
    let mut off = root_lba * SECTOR;
    loop {
        assert!(img[off] != 0, "no root record with a CE entry");
        if let Some(&(_, at)) = susp_entries(img, off).iter().find(|e| &e.0 == b"CE") {
            if img[off + 33] != 0 {
                return at;
            }
        }
        off += img[off] as usize;
    }
}

/// The byte offset of the continuation area the `CE` entry at `ce` points at.
pub fn ce_area(img: &[u8], ce: usize) -> usize {
    let block = u32::from_le_bytes(img[ce + 4..ce + 8].try_into().unwrap());
    let offset = u32::from_le_bytes(img[ce + 12..ce + 16].try_into().unwrap());
    block as usize * SECTOR + offset as usize
}

/// Writes at `at` a 28-byte `CE` entry pointing at the area at byte `target` (both
/// byte orders) of 28 bytes.
fn put_ce(img: &mut [u8], at: usize, target: usize) {
    let block = (target / SECTOR) as u32;
    let offset = (target % SECTOR) as u32;
    let mut e = vec![b'C', b'E', 28, 1];
    for v in [block, offset, 28] {
        e.extend_from_slice(&v.to_le_bytes());
        e.extend_from_slice(&v.to_be_bytes());
    }
    img[at..at + 28].copy_from_slice(&e);
}

/// Makes the continuation area of the `CE` at `ce` continue into itself.
pub fn ce_self_loop(img: &mut [u8], ce: usize) {
    let area = ce_area(img, ce);
    put_ce(img, area, area);
}

/// Makes the continuation area of the `CE` at `ce` continue into a second area
/// right after it, which continues back into the first.
pub fn ce_pair_loop(img: &mut [u8], ce: usize) {
    let a = ce_area(img, ce);
    let b = a + 28;
    assert!(a % SECTOR + 56 <= SECTOR, "both areas fit in the sector");
    put_ce(img, a, b);
    put_ce(img, b, a);
}
