//! Checks the image helpers themselves: the disk layouts they build are what
//! `sfdisk` reports.
mod common;
use common::*;

#[test]
fn mbr_with_logical_partition_has_expected_offsets() {
    let dir = scratch();
    let tree = dir.path().join("t");
    write_tree(&tree, &[("hello", b"hi")]);
    let img = dir.path().join("p.img");
    mkfs_ext("ext2", &tree, 4, &img);
    let disk = dir.path().join("d.img");
    let offs = mbr_disk(
        &[
            Part::with_image(&img, "83"),
            Part::with_image(&img, "83").logical(),
        ],
        &disk,
    );
    assert_eq!(offs, vec![1 << 20, (1 << 20) + (4 << 20) + (1 << 20)]);
    let json = run("sfdisk", &["-J", disk.to_str().unwrap()]);
    assert!(json.contains("\"type\": \"5\""), "{json}");
}
