//! btrfs images made by the real `mkfs.btrfs --rootdir` (btrfs-progs), located with
//! `btrfs inspect-internal dump-tree` and `btrfs-map-logical`, and patched in place
//! (leaves rewritten with their CRC-32C fixed).

use std::collections::HashMap;
use std::path::Path;

/// Makes a btrfs image at `out` from `tree` with extra `mkfs.btrfs` arguments;
/// `btrfs check` must pass on it.
pub fn mkfs(tree: &Path, extra: &[&str], out: &Path) {
    std::fs::File::create(out).unwrap();
    let mut args = vec!["-q", "-f", "-r", tree.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.push(out.to_str().unwrap());
    super::run("mkfs.btrfs", &args);
    super::run("btrfs", &["check", "--readonly", out.to_str().unwrap()]);
}

/// Reads `len` bytes at `off` of `img`.
pub fn read_at(img: &Path, off: u64, len: usize) -> Vec<u8> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(img).unwrap();
    f.seek(SeekFrom::Start(off)).unwrap();
    let mut b = vec![0u8; len];
    f.read_exact(&mut b).unwrap();
    b
}

pub fn write_at(img: &Path, off: u64, data: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let mut f = std::fs::OpenOptions::new().write(true).open(img).unwrap();
    f.seek(SeekFrom::Start(off)).unwrap();
    f.write_all(data).unwrap();
}

/// Physical offsets of every copy of the tree block at `logical`, from
/// `btrfs-map-logical`.
pub fn physical_copies(img: &Path, logical: u64) -> Vec<u64> {
    let out = super::run(
        "btrfs-map-logical",
        &["-l", &logical.to_string(), img.to_str().unwrap()],
    );
    let v: Vec<u64> = out
        .lines()
        .filter_map(|l| l.split("physical ").nth(1))
        .map(|s| s.split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert!(!v.is_empty(), "no mapping in {out}");
    v
}

/// `btrfs inspect-internal dump-tree -t TREE` of `img` (5: the FS tree, 1: the root
/// tree).
pub fn dump_tree(img: &Path, tree: u32) -> String {
    super::run(
        "btrfs",
        &[
            "inspect-internal",
            "dump-tree",
            "-t",
            &tree.to_string(),
            img.to_str().unwrap(),
        ],
    )
}

/// The logical address of the FS tree leaf holding `needle`, from `dump-tree`.
pub fn fs_tree_leaf(img: &Path, needle: &str) -> u64 {
    let dump = dump_tree(img, 5);
    let mut leaf = None;
    for l in dump.lines() {
        if let Some(rest) = l.strip_prefix("leaf ") {
            leaf = rest.split_whitespace().next().map(|s| s.parse().unwrap());
        }
        if l.contains(needle) {
            return leaf.expect("a leaf before the item");
        }
    }
    panic!("{needle} not in the FS tree:\n{dump}");
}

/// Node size of the image.
pub const NODESIZE: usize = 16384;

/// Rewrites the leaf at `logical` (every copy) with `edit`, then fixes its CRC-32C.
pub fn patch_leaf(img: &Path, logical: u64, edit: impl Fn(&mut Vec<u8>)) {
    for phys in physical_copies(img, logical) {
        let mut node = read_at(img, phys, NODESIZE);
        edit(&mut node);
        let crc = crc32c(&node[32..]);
        node[..4].copy_from_slice(&crc.to_le_bytes());
        write_at(img, phys, &node);
    }
}

/// A bitwise CRC-32C (independent of the library's table).
pub fn crc32c(data: &[u8]) -> u32 {
    let mut c = !0u32;
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

/// Finds the 53-byte regular file extent item whose disk bytenr is `bytenr` in
/// `node`; returns the offset of its type byte.
pub fn extent_item(node: &[u8], bytenr: u64) -> usize {
    let pat = bytenr.to_le_bytes();
    let at = node
        .windows(8)
        .position(|w| w == pat)
        .expect("extent item in the leaf");
    // generation(8) ram_bytes(8) compression encryption other(2) type | bytenr
    at - 1
}

/// Maps each inode number of the FS tree to its name and its first extent's disk
/// bytenr (0 for inline), from `dump-tree`.
pub fn fs_tree_files(img: &Path) -> HashMap<String, (u64, u64)> {
    let dump = dump_tree(img, 5);
    let mut names: HashMap<u64, String> = HashMap::new();
    let mut bytenr: HashMap<u64, u64> = HashMap::new();
    let mut key: Option<(u64, String)> = None;
    for l in dump.lines() {
        let l = l.trim();
        if let Some(rest) = l.strip_prefix("item ") {
            let k = rest.split('(').nth(1).unwrap_or("");
            let mut it = k.split_whitespace();
            let ino = it.next().unwrap_or("0").parse().unwrap_or(0);
            key = Some((ino, it.next().unwrap_or("").to_string()));
        } else if let Some((ino, ty)) = &key {
            if ty == "INODE_REF" {
                if let Some(n) = l.split("name: ").nth(1) {
                    names.insert(*ino, n.to_string());
                }
            } else if ty == "EXTENT_DATA" {
                if let Some(b) = l.strip_prefix("extent data disk byte ") {
                    let b = b.split_whitespace().next().unwrap().parse().unwrap();
                    bytenr.entry(*ino).or_insert(b);
                } else if l.contains("inline") {
                    bytenr.entry(*ino).or_insert(0);
                }
            }
        }
    }
    names
        .into_iter()
        .filter_map(|(ino, n)| bytenr.get(&ino).map(|b| (n, (ino, *b))))
        .collect()
}
