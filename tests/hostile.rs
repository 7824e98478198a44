//! Hostile guests: images made by the real tools (`mke2fs -d`, `mkfs.vfat`, `sfdisk`,
//! `xorriso`, `qemu-img`, `mkfs.btrfs`, `mkfs.xfs`) then corrupted (`debugfs -w`,
//! `xfs_db -x`, byte patches through the builders of `tests/common/`), and crafted
//! configurations. Each runs through the `xenboot` binary in a child process and
//! must end in a clear error (or a sane result) within the time bound, at most
//! 64 MiB above the baseline RSS, and without a panic (see
//! `tests/hostile_support/mod.rs` for the bounds).
mod common;
mod hostile_support;

use common::*;
use common::{btrfs, iso, qemu};
use hostile_support::*;
use std::path::{Path, PathBuf};

const MENU_LST: &str =
    "default 0\ntimeout 1\ntitle Linux\n  kernel /boot/vmlinuz ro\n  initrd /boot/initrd.img\n";

/// A bare ext4 image (no partition table) with a kernel, an initrd and `extra` files;
/// `links` are symlinks (path, target). Returns the image path.
fn ext4(
    dir: &Path,
    extra: &[(&str, &[u8])],
    links: &[(String, String)],
    features: &[&str],
) -> PathBuf {
    let tree = dir.join("tree");
    let k = bytes(1, 64 << 10);
    let i = bytes(2, 100_000);
    let mut files: Vec<(&str, &[u8])> = vec![("boot/vmlinuz", &k), ("boot/initrd.img", &i)];
    files.extend_from_slice(extra);
    write_tree(&tree, &files);
    for (l, t) in links {
        symlink(&tree, l, t);
    }
    let img = dir.join("fs.img");
    let mut args = vec!["-q", "-F", "-t", "ext4"];
    for f in features {
        args.extend(["-O", f]);
    }
    let tree_s = tree.to_str().unwrap().to_string();
    let img_s = img.to_str().unwrap().to_string();
    args.extend(["-d", &tree_s, &img_s, "16M"]);
    run("mke2fs", &args);
    img
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `xenboot extract --json` of the default entry into a fresh directory.
fn extract(dir: &Path, img: &Path, extra: &[&str]) -> Run {
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let mut args = vec!["extract", "--json", "--output-directory", s(&out)];
    args.extend_from_slice(extra);
    args.push(s(img));
    measure(&args)
}

fn list(img: &Path) -> Run {
    measure(&["list", "--json", s(img)])
}

fn entries(r: &Run) -> Vec<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", r.show());
    });
    v["entries"].as_array().unwrap().clone()
}

/// The first block of `path` (from `debugfs stat`'s EXTENTS line `(0-15):1234`).
fn first_block(img: &Path, path: &str) -> u64 {
    let out = run("debugfs", &["-R", &format!("stat {path}"), s(img)]);
    let after = out.split("(0").nth(1).unwrap_or_else(|| panic!("{out}"));
    let num = after.split(':').nth(1).unwrap();
    num.trim_start()
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

// ---- file system structures ------------------------------------------------------

#[test]
fn symlink_loop_is_an_error() {
    let d = scratch();
    let cfg = MENU_LST.replace("/boot/vmlinuz", "/boot/loop-a");
    let img = ext4(
        d.path(),
        &[("boot/grub/menu.lst", cfg.as_bytes())],
        &[
            ("boot/loop-a".into(), "loop-b".into()),
            ("boot/loop-b".into(), "/boot/loop-a".into()),
        ],
        &[],
    );
    let r = extract(d.path(), &img, &[]);
    assert_fails("symlink loop", &r, &["/boot/loop-a", "symlink"]);
}

#[test]
fn very_deep_symlink_chain_is_an_error_and_a_short_one_works() {
    let d = scratch();
    let n = 2000;
    let mut links: Vec<(String, String)> = (0..n)
        .map(|i| (format!("boot/l{i}"), format!("l{}", i + 1)))
        .collect();
    links.push((format!("boot/l{n}"), "vmlinuz".into()));
    let deep = MENU_LST.replace("/boot/vmlinuz", "/boot/l0");
    let short = format!("title short\n  kernel /boot/l{}\n", n - 20);
    let cfg = format!("{deep}{short}");
    let img = ext4(
        d.path(),
        &[("boot/grub/menu.lst", cfg.as_bytes())],
        &links,
        &[],
    );
    let r = extract(d.path(), &img, &[]);
    assert_fails("2000 chained symlinks", &r, &["/boot/l0", "symlink"]);
    let r = extract(d.path(), &img, &["--entry", "1"]);
    assert_bounded("20 chained symlinks", &r);
    assert_eq!(r.status, Some(0), "{}", r.show());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let got = std::fs::read(v["kernel"].as_str().unwrap()).unwrap();
    assert_eq!(got, bytes(1, 64 << 10), "the chain ends at the kernel");
}

#[test]
fn directory_cycle_is_bounded() {
    let d = scratch();
    // /boot/grub/up is a second link to /boot: a cycle through the tree.
    let looped = format!("/boot{}/vmlinuz", "/grub/up".repeat(300));
    let ok = format!("/boot{}/vmlinuz", "/grub/up".repeat(5));
    let cfg = format!("default 0\ntitle loop\n  kernel {looped}\ntitle ok\n  kernel {ok}\n");
    let img = ext4(
        d.path(),
        &[("boot/grub/menu.lst", cfg.as_bytes())],
        &[],
        &[],
    );
    debugfs(&img, &["ln /boot /boot/grub/up"]);
    let r = list(&img);
    assert_bounded("directory cycle, list", &r);
    assert_eq!(entries(&r).len(), 2, "{}", r.show());
    let r = extract(d.path(), &img, &[]);
    assert_fails("directory cycle, 600-component path", &r, &["component"]);
    let r = extract(d.path(), &img, &["--entry", "1"]);
    assert_bounded("directory cycle, 10-component path", &r);
    assert_eq!(r.status, Some(0), "{}", r.show());
}

#[test]
fn sizes_near_2_pow_63_hit_the_limits() {
    let d = scratch();
    let img = ext4(
        d.path(),
        &[("boot/grub/menu.lst", MENU_LST.as_bytes())],
        &[],
        &[],
    );
    debugfs(&img, &["sif /boot/initrd.img size 0x7ffffffffffffff0"]);
    let r = extract(d.path(), &img, &[]);
    assert_fails(
        "initrd of 2^63-16 bytes",
        &r,
        &["initrd", "/boot/initrd.img", "corrupt"],
    );
    debugfs(
        &img,
        &[
            "sif /boot/initrd.img size 100000",
            "sif /boot/vmlinuz size 0x7fffffffffffffff",
        ],
    );
    let r = extract(d.path(), &img, &[]);
    assert_fails(
        "kernel of 2^63-1 bytes",
        &r,
        &["kernel", "/boot/vmlinuz", "corrupt"],
    );
    // Sizes the filesystem accepts but the per-file caps refuse: 129 MiB kernel
    // (default cap 128 MiB), 2 GiB initrd (default cap 1 GiB), and a cap from the CLI.
    debugfs(&img, &["sif /boot/vmlinuz size 135266304"]);
    let r = extract(d.path(), &img, &[]);
    assert_fails("kernel of 129 MiB", &r, &["kernel", "limit of 134217728"]);
    debugfs(
        &img,
        &[
            "sif /boot/vmlinuz size 65536",
            "sif /boot/initrd.img size 0x80000000",
        ],
    );
    let r = extract(d.path(), &img, &[]);
    assert_fails("initrd of 2 GiB", &r, &["ramdisk", "limit of 1073741824"]);
    debugfs(&img, &["sif /boot/initrd.img size 100000"]);
    let r = extract(d.path(), &img, &["--max-ramdisk", "99999"]);
    assert_fails("--max-ramdisk 99999", &r, &["ramdisk", "limit of 99999"]);
    let r = extract(d.path(), &img, &["--max-kernel", "64K"]);
    assert_bounded("--max-kernel 64K", &r);
    assert_eq!(
        r.status,
        Some(0),
        "a cap equal to the size passes: {}",
        r.show()
    );
    std::fs::remove_dir_all(d.path().join("out")).unwrap();
    std::fs::create_dir(d.path().join("out")).unwrap();
    let r = extract(d.path(), &img, &["--max-kernel", "65535"]);
    assert_fails("--max-kernel 65535", &r, &["kernel", "limit of 65535"]);
    // Nothing written on failure.
    assert_eq!(std::fs::read_dir(d.path().join("out")).unwrap().count(), 0);
}

#[test]
fn overlapping_extents_are_bounded() {
    let d = scratch();
    let img = ext4(
        d.path(),
        &[("boot/grub/menu.lst", MENU_LST.as_bytes())],
        &[],
        &[],
    );
    let start = first_block(&img, "/boot/vmlinuz");
    // Root extent header with 2 entries; the second maps blocks 0-15 again.
    debugfs(
        &img,
        &[
            "sif /boot/vmlinuz block[0] 0x0002F30A",
            "sif /boot/vmlinuz block[6] 0",
            "sif /boot/vmlinuz block[7] 16",
            &format!("sif /boot/vmlinuz block[8] {start}"),
        ],
    );
    let r = extract(d.path(), &img, &[]);
    assert_bounded("overlapping extents", &r);
    if r.status == Some(0) {
        // A sane result: exactly the recorded size, nothing more.
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let len = std::fs::metadata(v["kernel"].as_str().unwrap())
            .unwrap()
            .len();
        assert_eq!(len, 64 << 10);
    } else {
        assert!(r.stderr.contains("/boot/vmlinuz"), "{}", r.show());
    }
}

#[test]
fn extent_tree_pointing_at_itself_is_an_error() {
    let d = scratch();
    let img = ext4(
        d.path(),
        &[("boot/grub/menu.lst", MENU_LST.as_bytes())],
        &[],
        &["^metadata_csum"],
    );
    let b = first_block(&img, "/boot/vmlinuz");
    // The inode's root becomes an index node (depth 1) whose child is block b, and
    // block b holds an index node (depth 1) whose child is block b again.
    debugfs(
        &img,
        &[
            "sif /boot/vmlinuz block[1] 0x00010004",
            "sif /boot/vmlinuz block[3] 0",
            &format!("sif /boot/vmlinuz block[4] {b}"),
            "sif /boot/vmlinuz block[5] 0",
        ],
    );
    let mut node = Vec::new();
    node.extend_from_slice(&0xF30Au16.to_le_bytes());
    node.extend_from_slice(&1u16.to_le_bytes()); // entries
    node.extend_from_slice(&340u16.to_le_bytes()); // max
    node.extend_from_slice(&1u16.to_le_bytes()); // depth
    node.extend_from_slice(&0u32.to_le_bytes()); // generation
    node.extend_from_slice(&0u32.to_le_bytes()); // ei_block
    node.extend_from_slice(&(b as u32).to_le_bytes()); // ei_leaf_lo
    node.extend_from_slice(&0u32.to_le_bytes()); // ei_leaf_hi, unused
    patch(&img, b * 4096, &node);
    let r = extract(d.path(), &img, &[]);
    assert_fails("extent tree loop", &r, &["/boot/vmlinuz"]);
}

#[test]
fn corrupt_ext4_superblock_is_an_error() {
    let d = scratch();
    let img = ext4(
        d.path(),
        &[("boot/grub/menu.lst", MENU_LST.as_bytes())],
        &[],
        &["^metadata_csum"],
    );
    // s_log_block_size = 40 (a 2^50-byte block) and s_inodes_per_group = 0.
    patch(&img, 1024 + 24, &40u32.to_le_bytes());
    patch(&img, 1024 + 40, &0u32.to_le_bytes());
    let r = list(&img);
    assert_fails("corrupt ext4 superblock", &r, &["config"]);
}

#[test]
fn corrupt_fat_boot_sector_is_an_error() {
    let d = scratch();
    let tree = d.path().join("tree");
    write_tree(
        &tree,
        &[
            ("boot/grub/menu.lst", MENU_LST.as_bytes()),
            ("boot/vmlinuz", &bytes(1, 5000)),
        ],
    );
    let img = d.path().join("fat.img");
    mkfs_fat(16, &tree, 16, &img);
    // Sectors per cluster 0 and 0xFFFF reserved sectors, signature kept.
    patch(&img, 13, &[0]);
    patch(&img, 14, &0xFFFFu16.to_le_bytes());
    let r = list(&img);
    assert_fails("corrupt FAT boot sector", &r, &["config"]);
}

// ---- partition tables -----------------------------------------------------------

/// An ext4 guest in a GPT disk; returns the disk.
fn gpt_guest(d: &Path) -> PathBuf {
    let sub = d.join("fs");
    std::fs::create_dir_all(&sub).unwrap();
    let fs = ext4(
        &sub,
        &[("boot/grub/menu.lst", MENU_LST.as_bytes())],
        &[],
        &[],
    );
    let disk = d.join("disk.img");
    gpt_disk(&[Part::with_image(&fs, "linux")], &disk);
    disk
}

/// Rewrites the primary GPT header's entry count and size, with a valid header CRC.
fn patch_gpt_header(disk: &Path, count: u32, size: u32) {
    let mut hdr = std::fs::read(disk).unwrap()[512..512 + 92].to_vec();
    hdr[80..84].copy_from_slice(&count.to_le_bytes());
    hdr[84..88].copy_from_slice(&size.to_le_bytes());
    hdr[16..20].copy_from_slice(&[0; 4]);
    let crc = crc32(&hdr);
    hdr[16..20].copy_from_slice(&crc.to_le_bytes());
    patch(disk, 512, &hdr);
}

#[test]
fn gpt_with_absurd_entry_counts_and_sizes_is_bounded() {
    for (count, size) in [
        (u32::MAX, 128),
        (128, 0x8000_0000),
        (u32::MAX, u32::MAX),
        (128, 0),
    ] {
        let d = scratch();
        let disk = gpt_guest(d.path());
        patch_gpt_header(&disk, count, size);
        let r = list(&disk);
        let name = format!("GPT with {count} entries of {size} bytes");
        assert_bounded(&name, &r);
        // Either the backup header is used (a sane result) or a clear error.
        if r.status == Some(0) {
            assert_eq!(entries(&r).len(), 1, "{name}: {}", r.show());
        } else {
            assert!(
                r.stderr.to_lowercase().contains("gpt"),
                "{name}: {}",
                r.show()
            );
        }
    }
}

#[test]
fn ebr_chain_looping_to_itself_is_bounded() {
    let d = scratch();
    let sub = d.path().join("fs");
    std::fs::create_dir_all(&sub).unwrap();
    let fs = ext4(
        &sub,
        &[("boot/grub/menu.lst", MENU_LST.as_bytes())],
        &[],
        &[],
    );
    let disk = d.path().join("disk.img");
    let offsets = mbr_disk(&[Part::with_image(&fs, "83").logical()], &disk);
    // The first EBR sits 1 MiB before its logical partition; its link entry now
    // points at the start of the extended partition: at itself.
    let ebr = offsets[0] - (1 << 20);
    let mut link = [0u8; 16];
    link[4] = 0x05;
    link[12..16].copy_from_slice(&2048u32.to_le_bytes());
    patch(&disk, ebr + 446 + 16, &link);
    let r = list(&disk);
    assert_bounded("EBR loop", &r);
    if r.status == Some(0) {
        assert_eq!(entries(&r).len(), 1, "{}", r.show());
    } else {
        assert!(r.stderr.to_lowercase().contains("ebr"), "{}", r.show());
    }
}

// ---- configurations ---------------------------------------------------------------

/// An ext4 image holding `files` (configs) plus the kernel and initrd.
fn config_guest(d: &Path, files: &[(&str, &[u8])]) -> PathBuf {
    ext4(d, files, &[], &[])
}

const ENTRY: &str = "menuentry 'Linux' { linux /boot/vmlinuz ro; initrd /boot/initrd.img }\n";

/// The run ends with a bounded, sane menu (the entry before the hostile part) or a
/// clear error naming the configuration.
fn assert_sane_menu(name: &str, r: &Run, max_entries: usize) {
    assert_bounded(name, r);
    if r.status == Some(0) {
        let n = entries(r).len();
        assert!(
            (1..=max_entries).contains(&n),
            "{name}: {n} entries: {}",
            r.show()
        );
    } else {
        assert!(r.stderr.contains("grub"), "{name}: {}", r.show());
    }
}

#[test]
fn grub_cfg_that_sources_itself_is_bounded() {
    let d = scratch();
    let cfg = format!("{ENTRY}source /boot/grub/grub.cfg\n");
    let img = config_guest(d.path(), &[("boot/grub/grub.cfg", cfg.as_bytes())]);
    assert_sane_menu("grub.cfg sourcing itself", &list(&img), 4096);
}

#[test]
fn grub_cfgs_sourcing_each_other_are_bounded() {
    let d = scratch();
    let cfg = format!("{ENTRY}source /boot/grub/a.cfg\n");
    let img = config_guest(
        d.path(),
        &[
            ("boot/grub/grub.cfg", cfg.as_bytes()),
            ("boot/grub/a.cfg", b"source /boot/grub/b.cfg\n"),
            ("boot/grub/b.cfg", b"configfile /boot/grub/a.cfg\n"),
        ],
    );
    assert_sane_menu("a.cfg <-> b.cfg", &list(&img), 4096);
}

#[test]
fn grub_function_recursing_forever_is_bounded() {
    let d = scratch();
    let cfg = format!("{ENTRY}function f {{ f; f; }}\nf\n");
    let img = config_guest(d.path(), &[("boot/grub/grub.cfg", cfg.as_bytes())]);
    assert_sane_menu("recursive function", &list(&img), 4096);
}

#[test]
fn grub_loop_forever_is_bounded() {
    let d = scratch();
    let cfg = format!("{ENTRY}while true; do set x=y; done\n");
    let img = config_guest(d.path(), &[("boot/grub/grub.cfg", cfg.as_bytes())]);
    assert_sane_menu("while true", &list(&img), 4096);
}

/// 4,096 `[ -s … ]` tests of distinct 128 KiB paths: every answer (an error
/// that repeats the path) is ~400 KiB; remembering them all would take 1.5 GB.
#[test]
fn grub_tests_of_huge_paths_are_not_all_remembered() {
    let d = scratch();
    let mut cfg = String::from(ENTRY);
    cfg.push_str("set a=/x\n");
    for _ in 0..16 {
        cfg.push_str("set a=\"$a$a\"\n");
    }
    let digits = "0 1 2 3 4 5 6 7 8 9 a b c d e f";
    cfg.push_str(&format!(
        "for x in {digits} {digits} {digits} {digits}; do\n  for y in {digits} {digits} {digits} {digits}; do\n    [ -s \"$a$x$y\" ]\n  done\ndone\n"
    ));
    let img = config_guest(d.path(), &[("boot/grub/grub.cfg", cfg.as_bytes())]);
    assert_sane_menu("4096 tests of 128 KiB paths", &list(&img), 1);
}

#[test]
fn grub_million_entries_are_bounded() {
    let d = scratch();
    let digits = "0 1 2 3 4 5 6 7 8 9";
    let mut cfg = String::new();
    for v in ["a", "b", "c", "d", "e", "f"] {
        cfg += &format!("for {v} in {digits}; do\n");
    }
    cfg += "menuentry \"e$a$b$c$d$e$f\" { linux /boot/vmlinuz }\n";
    cfg += &"done\n".repeat(6);
    let img = config_guest(d.path(), &[("boot/grub/grub.cfg", cfg.as_bytes())]);
    let r = list(&img);
    // The menu would exceed max_entries (4096): an error naming that limit.
    assert_fails(
        "10^6 entries",
        &r,
        &["/boot/grub/grub.cfg", "more than 4096 entries"],
    );
}

#[test]
fn config_of_100_mb_is_refused() {
    let d = scratch();
    let tree = d.path().join("tree");
    write_tree(&tree, &[("boot/vmlinuz", &bytes(1, 4096))]);
    let cfg = tree.join("boot/grub/grub.cfg");
    std::fs::create_dir_all(cfg.parent().unwrap()).unwrap();
    std::fs::write(&cfg, ENTRY).unwrap();
    // 100 MB, sparse on the host and in the image: the size is what matters.
    std::fs::File::options()
        .write(true)
        .open(&cfg)
        .unwrap()
        .set_len(100_000_000)
        .unwrap();
    let img = d.path().join("fs.img");
    run(
        "mke2fs",
        &["-q", "-F", "-t", "ext4", "-d", s(&tree), s(&img), "16M"],
    );
    let r = list(&img);
    assert_fails("100 MB grub.cfg", &r, &["grub.cfg", "limit"]);
}

#[test]
fn nul_bytes_in_configs_are_survived() {
    let d = scratch();
    let grub = b"set default=0\nmenuentry 'Li\0nux' { linux /boot/vm\0linuz; }\n\0\0\0\nmenuentry 'Two' { linux /boot/vmlinuz }\n";
    let menu = b"default 0\ntitle A\0B\n  kernel /boot/vmlinuz\0 ro\n\0\0\ntitle C\n  kernel /boot/vmlinuz\n";
    for (path, text) in [
        ("boot/grub/grub.cfg", &grub[..]),
        ("boot/grub/menu.lst", &menu[..]),
    ] {
        let d2 = d.path().join(path.replace('/', "_"));
        std::fs::create_dir_all(&d2).unwrap();
        let img = config_guest(&d2, &[(path, text)]);
        let r = list(&img);
        let name = format!("NUL bytes in {path}");
        assert_bounded(&name, &r);
        if r.status == Some(0) {
            assert!(!entries(&r).is_empty(), "{name}: {}", r.show());
        } else {
            assert!(r.stderr.contains(path), "{name}: {}", r.show());
        }
    }
}

#[test]
fn syslinux_include_cycle_is_bounded() {
    let d = scratch();
    let conf = b"DEFAULT linux\nINCLUDE /boot/extlinux/a.cfg\nLABEL linux\n  KERNEL /boot/vmlinuz\n  INCLUDE /boot/extlinux/extlinux.conf\n";
    let img = config_guest(
        d.path(),
        &[
            ("boot/extlinux/extlinux.conf", conf),
            ("boot/extlinux/a.cfg", b"INCLUDE /boot/extlinux/a.cfg\n"),
        ],
    );
    let r = list(&img);
    assert_bounded("syslinux INCLUDE cycle", &r);
    if r.status == Some(0) {
        let e = entries(&r);
        assert!((1..=4096).contains(&e.len()), "{}", r.show());
    } else {
        assert!(r.stderr.contains("extlinux"), "{}", r.show());
    }
}

/// An XFS v5 image (mkfs.xfs -p) with the kernel and a grub.cfg, changed by
/// `xfs_db -x` commands (which recompute the CRCs, so the corruption is semantic).
fn xfs_guest(d: &Path, xfs_db_cmds: &[&str]) -> PathBuf {
    let img = xfs_image(d, "menuentry 'L' { linux /boot/vmlinuz ro }\n", "");
    xfs_db(&img, xfs_db_cmds);
    img
}

/// An XFS v5 image (mkfs.xfs -p) with `/boot/vmlinuz`, `/boot/grub/grub.cfg`
/// holding `grub_cfg`, and `grub_proto` (mkfs.xfs prototype lines) in
/// `/boot/grub`.
fn xfs_image(d: &Path, grub_cfg: &str, grub_proto: &str) -> PathBuf {
    let host = d.join("host");
    write_tree(
        &host,
        &[
            ("vmlinuz", &bytes(1, 100_000)),
            ("grub.cfg", grub_cfg.as_bytes()),
        ],
    );
    let proto = format!(
        "t\n0 0\nd--755 0 0\nboot d--755 0 0\nvmlinuz ---644 0 0 {}\ngrub d--755 0 0\ngrub.cfg ---644 0 0 {}\n{grub_proto}$\n$\n$\n",
        s(&host.join("vmlinuz")),
        s(&host.join("grub.cfg"))
    );
    let pf = d.join("proto");
    std::fs::write(&pf, proto).unwrap();
    let img = d.join("xfs.img");
    std::fs::File::create(&img)
        .unwrap()
        .set_len(300 << 20)
        .unwrap();
    xfs_tool("mkfs.xfs", &["-q", "-f", "-p", s(&pf), s(&img)]);
    img
}

/// Runs `xfs_db -x -c CMD… IMAGE`; returns its output.
fn xfs_db(img: &Path, cmds: &[&str]) -> String {
    let mut args: Vec<&str> = vec!["-x"];
    for c in cmds {
        args.extend(["-c", c]);
    }
    args.push(s(img));
    xfs_tool("xfs_db", &args)
}

/// Runs an xfsprogs tool, asserting it succeeded without an error message.
fn xfs_tool(cmd: &str, args: &[&str]) -> String {
    let out = std::process::Command::new(cmd)
        .args(args)
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("TEST_DIR", "/nonexistent")
        .env("TEST_DEV", "/nonexistent")
        .env("QA_CHECK_FS", "1")
        .output()
        .expect("xfsprogs is needed");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !err.contains("error"),
        "{cmd}: {err}"
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn corrupt_xfs_metadata_is_an_error() {
    let d = scratch();
    let huge = xfs_guest(
        &d.path().join("a"),
        &["path /boot/vmlinuz", "write core.size 0x7fffffffffffffff"],
    );
    let r = extract(d.path(), &huge, &[]);
    assert_fails("XFS kernel of 2^63-1 bytes", &r, &["/boot/vmlinuz"]);
    let beyond = xfs_guest(
        &d.path().join("b"),
        &["path /boot/vmlinuz", "write u3.bmx[0].startblock 999999999"],
    );
    let r = extract(d.path(), &beyond, &[]);
    assert_fails("XFS extent beyond the disk", &r, &["/boot/vmlinuz"]);
    let sb = xfs_guest(&d.path().join("c"), &["sb 0", "write -d agblocks 7"]);
    let r = list(&sb);
    assert_fails("XFS superblock with 7-block AGs", &r, &["xfs"]);
    let dir = xfs_guest(
        &d.path().join("e"),
        &["path /boot/grub", "write -d core.format 9"],
    );
    let r = list(&dir);
    assert_fails("XFS directory of format 9", &r, &["grub"]);
}

#[test]
fn fat_cluster_chain_looping_to_itself_is_bounded() {
    let d = scratch();
    let tree = d.path().join("tree");
    let kernel = bytes(1, 5 * 2048 + 7);
    write_tree(
        &tree,
        &[
            ("boot/grub/menu.lst", MENU_LST.as_bytes()),
            ("boot/vmlinuz", &kernel),
        ],
    );
    let img = d.path().join("fat.img");
    run(
        "mkfs.vfat",
        &[
            "-F",
            "16",
            "-s",
            "4",
            "-C",
            s(&img),
            &(16 * 1024).to_string(),
        ],
    );
    run(
        "mcopy",
        &["-s", "-i", s(&img), s(&tree.join("boot")), "::/"],
    );
    let bytes_img = std::fs::read(&img).unwrap();
    let at = bytes_img
        .windows(11)
        .position(|w| w == b"VMLINUZ    ")
        .expect("the 8.3 entry of vmlinuz");
    let cluster = u16::from_le_bytes([bytes_img[at + 26], bytes_img[at + 27]]);
    let reserved = u64::from(u16::from_le_bytes([bytes_img[14], bytes_img[15]]));
    // The kernel's first cluster is followed by itself, in both FATs.
    let fat_len = u64::from(u16::from_le_bytes([bytes_img[22], bytes_img[23]])) * 512;
    for fat in 0..2 {
        let entry = reserved * 512 + fat * fat_len + 2 * u64::from(cluster);
        patch(&img, entry, &cluster.to_le_bytes());
    }
    let r = extract(d.path(), &img, &["--ramdisk", ""]);
    assert_bounded("FAT chain loop", &r);
    if r.status == Some(0) {
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        let got = std::fs::read(v["kernel"].as_str().unwrap()).unwrap();
        assert_eq!(got.len(), kernel.len(), "no more than the recorded size");
        // The loop took effect: the first cluster (2048 bytes) comes back again.
        assert_eq!(got[2048..4096], kernel[..2048]);
    } else {
        assert!(r.stderr.contains("/boot/vmlinuz"), "{}", r.show());
    }
}

#[test]
fn warnings_are_bounded_in_number_and_length() {
    let d = scratch();
    // One 600,000-byte unknown command, then 20,000 short unknown commands: each
    // would be a warning.
    let mut cfg = String::from(ENTRY);
    cfg.push_str(&"x".repeat(600_000));
    cfg.push('\n');
    for i in 0..20_000 {
        cfg += &format!("bogus{i}\n");
    }
    let img = config_guest(d.path(), &[("boot/grub/grub.cfg", cfg.as_bytes())]);
    let r = list(&img);
    assert_bounded("600 kB and 20,000 unknown commands", &r);
    assert_eq!(r.status, Some(0), "{}", r.show());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let warnings = v["warnings"].as_array().unwrap();
    assert!(
        (2..=101).contains(&warnings.len()),
        "{} warnings",
        warnings.len()
    );
    assert!(warnings.iter().all(|w| w.as_str().unwrap().len() < 500));
    assert!(r.stdout.len() < 100_000, "{} bytes out", r.stdout.len());
}

// ---- ISO 9660, qcow2, btrfs ----------------------------------------------------------

/// A Rock Ridge ISO (xorriso) with a kernel, a menu.lst and a root file whose
/// 250-byte name needs a continuation area; its bytes and the root `CE` entry.
fn rock_ridge_guest(d: &Path) -> (Vec<u8>, usize) {
    let tree = d.join("tree");
    let long = "n".repeat(250);
    write_tree(
        &tree,
        &[
            ("boot/grub/menu.lst", MENU_LST.as_bytes()),
            ("boot/vmlinuz", &bytes(1, 64 << 10)),
            (long.as_str(), b"long"),
        ],
    );
    let img = d.join("good.iso");
    iso::mkisofs(&["-R"], &tree, &img);
    let r = list(&img);
    assert_bounded("Rock Ridge ISO", &r);
    assert_eq!(
        entries(&r).len(),
        1,
        "the unpatched ISO lists: {}",
        r.show()
    );
    let good = std::fs::read(&img).unwrap();
    let ce = iso::first_root_ce(&good);
    (good, ce)
}

#[test]
fn iso_continuation_area_loops_are_errors() {
    let d = scratch();
    let (good, ce) = rock_ridge_guest(d.path());
    for (name, make_loop) in [
        (
            "ISO CE area continuing into itself",
            iso::ce_self_loop as fn(&mut [u8], usize),
        ),
        ("ISO CE areas continuing into each other", iso::ce_pair_loop),
    ] {
        let mut bad = good.clone();
        make_loop(&mut bad, ce);
        let img = d.path().join("loop.iso");
        std::fs::write(&img, &bad).unwrap();
        let r = list(&img);
        assert_fails(name, &r, &["continuation"]);
    }
}

/// A qcow2 (64 KiB clusters, `extra` options to `qemu-img convert`) of a bare ext4
/// guest; its path and bytes.
fn qcow2_guest(d: &Path, extra: &[&str]) -> (PathBuf, Vec<u8>) {
    let sub = d.join("fs");
    std::fs::create_dir_all(&sub).unwrap();
    let raw = ext4(
        &sub,
        &[("boot/grub/menu.lst", MENU_LST.as_bytes())],
        &[],
        &[],
    );
    let img = d.join("guest.qcow2");
    qemu::convert(&raw, &img, extra);
    let r = list(&img);
    assert_bounded("qcow2 guest", &r);
    assert_eq!(
        entries(&r).len(),
        1,
        "the unpatched qcow2 lists: {}",
        r.show()
    );
    let b = std::fs::read(&img).unwrap();
    (img, b)
}

#[test]
fn qcow2_tables_pointing_at_themselves_or_the_header_are_errors() {
    let d = scratch();
    let (img, good) = qcow2_guest(d.path(), &[]);
    let l1 = qemu::l1_offset(&good);
    let l2 = qemu::first_l2(&good);
    let copied = 1u64 << 63;
    // An L1 or L2 offset of 0 means "unallocated" (zeros), so the header is reached
    // through a compressed L2 entry (any byte offset) only.
    let cases: [(&str, usize, u64, &[&str]); 3] = [
        (
            "qcow2 L1 entry -> the L1 table",
            l1,
            l1 as u64 | copied,
            &["L2 table", "L1 table"],
        ),
        (
            "qcow2 compressed L2 entry -> the header",
            l2,
            1 << 62 | 16,
            &["compressed", "header cluster"],
        ),
        // Guest cluster 0 is the L2 table itself: metadata read as data, once (data
        // clusters are never read as tables), so the guest has no filesystem.
        (
            "qcow2 L2 entry -> its own L2 table",
            l2,
            l2 as u64 | copied,
            &["no known filesystem"],
        ),
    ];
    for (name, at, value, words) in cases {
        let mut b = good.clone();
        qemu::put64(&mut b, at, value);
        std::fs::write(&img, &b).unwrap();
        let r = list(&img);
        assert_fails(name, &r, words);
    }
}

#[test]
fn qcow2_compressed_cluster_inflating_past_a_cluster_is_an_error() {
    let d = scratch();
    let (img, mut b) = qcow2_guest(d.path(), &["-c"]);
    let l2 = qemu::first_l2(&b);
    assert_ne!(
        qemu::be64(&b, l2) & 1 << 62,
        0,
        "guest cluster 0 is compressed"
    );
    // 16 MiB of zeros deflate to ~16 KiB: appended, and guest cluster 0 (the ext4
    // superblock) points at it.
    let bomb = miniz_oxide::deflate::compress_to_vec(&vec![0u8; 16 << 20], 9);
    let at = b.len().next_multiple_of(512);
    b.resize(at, 0);
    b.extend_from_slice(&bomb);
    let sectors = bomb.len().div_ceil(512) as u64;
    // cluster_bits 16: the offset takes bits 0-53, the extra sector count bits 54-61.
    assert!(sectors <= 256);
    qemu::put64(&mut b, l2, 1 << 62 | (sectors - 1) << 54 | at as u64);
    std::fs::write(&img, &b).unwrap();
    let r = list(&img);
    assert_fails(
        "qcow2 16 MiB deflate bomb",
        &r,
        &["compressed cluster", "more than one cluster"],
    );
}

#[test]
fn btrfs_compressed_extent_claiming_a_huge_size_is_bounded() {
    let d = scratch();
    let tree = d.path().join("tree");
    let kernel = bytes(1, 128 << 10);
    write_tree(
        &tree,
        &[
            ("boot/grub/menu.lst", MENU_LST.as_bytes()),
            ("boot/vmlinuz", &kernel),
            ("boot/initrd.img", &bytes(2, 4096)),
        ],
    );
    let img = d.path().join("btrfs.img");
    btrfs::mkfs(&tree, &["-m", "dup"], &img);
    let r = extract(d.path(), &img, &[]);
    assert_bounded("btrfs guest", &r);
    assert_eq!(r.status, Some(0), "the unpatched image boots: {}", r.show());
    std::fs::remove_dir_all(d.path().join("out")).unwrap();
    let (ino, bytenr) = btrfs::fs_tree_files(&img)["vmlinuz"];
    assert_ne!(bytenr, 0, "the kernel is a regular extent");
    // The kernel's 128 KiB extent now holds a zlib stream of 64 MiB of zeros, and
    // its item says zlib with ram_bytes 2^40.
    let bomb = miniz_oxide::deflate::compress_to_vec_zlib(&vec![0u8; 64 << 20], 9);
    assert!(bomb.len() < 128 << 10);
    for phys in btrfs::physical_copies(&img, bytenr) {
        btrfs::write_at(&img, phys, &bomb);
    }
    let leaf = btrfs::fs_tree_leaf(&img, &format!("({ino} EXTENT_DATA 0)"));
    btrfs::patch_leaf(&img, leaf, |node| {
        let at = btrfs::extent_item(node, bytenr);
        node[at - 4] = 1; // zlib
        node[at - 12..at - 4].copy_from_slice(&(1u64 << 40).to_le_bytes()); // ram_bytes
    });
    // lambutter caps an inflated extent at 16 MiB: the stream overruns it.
    let r = extract(d.path(), &img, &[]);
    assert_fails(
        "btrfs zlib extent of ram_bytes 2^40 inflating to 64 MiB",
        &r,
        &["/boot/vmlinuz", "compressed extent"],
    );
}

/// An ext4 guest (64 MiB, 8192 inodes) with the kernel, an initrd, `config` at
/// `config_path` and `n` BLS entries in `/boot/loader/entries/` (versions 6.0.0
/// up, kernel paths starting with `prefix`), in a directory without an htree index
/// (as `mke2fs -d` writes it).
fn bls_guest(d: &Path, config_path: &str, config: &str, prefix: &str, n: usize) -> PathBuf {
    let tree = d.join("tree");
    write_tree(
        &tree,
        &[
            ("boot/vmlinuz", &bytes(1, 4096)),
            ("boot/initrd.img", &bytes(2, 4096)),
            (config_path, config.as_bytes()),
        ],
    );
    let entries = tree.join("boot/loader/entries");
    std::fs::create_dir_all(&entries).unwrap();
    for i in 0..n {
        let text = format!(
            "title Fedora 6.{i}.0\nversion 6.{i}.0-1.fc40.x86_64\nlinux {prefix}/vmlinuz\n\
             initrd {prefix}/initrd.img\noptions root=/dev/xvda1 ro $extra\n"
        );
        let name = format!("0123456789abcdef-6.{i}.0-1.fc40.x86_64.conf");
        std::fs::write(entries.join(name), text).unwrap();
    }
    let img = d.join("fs.img");
    run(
        "mke2fs",
        &[
            "-q",
            "-F",
            "-t",
            "ext4",
            "-N",
            "8192",
            "-d",
            s(&tree),
            s(&img),
            "64M",
        ],
    );
    img
}

/// The minor versions of the listed entries' titles (`Fedora 6.N.0`).
fn bls_versions(r: &Run) -> Vec<u64> {
    entries(r)
        .iter()
        .map(|x| {
            let t = x["title"].as_str().unwrap();
            t.split('.').nth(1).unwrap().parse().unwrap()
        })
        .collect()
}

#[test]
fn bls_directories_of_thousands_of_entries_are_bounded() {
    let max = xenboot::Limits::default().max_entries;
    let budget = xenboot::limits::BLS_LOOKUP_BUDGET;
    for (name, path, config, prefix) in [
        (
            "grub.cfg blscfg",
            "boot/grub/grub.cfg",
            "set extra=quiet\nblscfg\n",
            "/boot",
        ),
        (
            "systemd-boot loader.conf",
            "boot/loader/loader.conf",
            "timeout 3\n",
            "",
        ),
    ] {
        // 300 entries are all read; of max_entries + 1000 the listing is cut at
        // max_entries and only the newest of those that the lookup budget affords
        // are read, with a warning.
        for n in [300, max + 1000] {
            let name = format!("{name} over {n} BLS entries");
            let d = scratch();
            let img = bls_guest(d.path(), path, config, prefix, n);
            let r = list(&img);
            assert_bounded(&name, &r);
            assert_eq!(r.status, Some(0), "{name}: {}", r.show());
            let versions = bls_versions(&r);
            assert!(
                versions.windows(2).all(|w| w[0] > w[1]),
                "{name}: newest first"
            );
            let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
            let kernel = v["entries"][0]["kernel"].as_str().unwrap_or_default();
            assert!(kernel.ends_with("/boot/vmlinuz"), "{name}: {kernel}");
            let warned = v["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|w| w.as_str().unwrap().contains("BLS entries were not read"));
            if n == 300 {
                assert_eq!(versions, (0..300).rev().collect::<Vec<u64>>(), "{name}");
                assert!(!warned, "{name}");
            } else {
                let read = versions.len();
                assert!(
                    (budget / (n + 2)..=budget / n).contains(&read),
                    "{name}: {read} entries read"
                );
                assert!(warned, "{name}: {}", r.show());
                if prefix == "/boot" {
                    // blscfg read its fallback directory, which the warning names.
                    let names_dir = v["warnings"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|w| w.as_str().unwrap().contains("/boot/loader/entries/: the"));
                    assert!(names_dir, "{name}: {}", r.show());
                }
            }
        }
    }
}

#[test]
fn xfs_directory_cycle_is_bounded() {
    let d = scratch();
    // /boot/grub/up is made a second link to /boot (its short-form entry's inode
    // number rewritten): a cycle through the tree.
    let looped = format!("/boot{}/vmlinuz", "/grub/up".repeat(300));
    let ok = format!("/boot{}/vmlinuz", "/grub/up".repeat(5));
    let cfg = format!(
        "set default=0\nmenuentry loop {{ linux {looped} }}\nmenuentry ok {{ linux {ok} }}\n"
    );
    let img = xfs_image(d.path(), &cfg, "up d--755 0 0\n$\n");
    let boot = xfs_db(&img, &["path /boot", "inode"]);
    let boot: u64 = boot
        .trim()
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no inode number in {boot:?}"));
    let grub = xfs_db(&img, &["path /boot/grub", "print"]);
    assert!(
        grub.contains("u3.sfdir3.list[1].name = \"up\""),
        "/boot/grub is short-form with up second: {grub}"
    );
    xfs_db(
        &img,
        &[
            "path /boot/grub",
            &format!("write u3.sfdir3.list[1].inumber.i4 {boot}"),
        ],
    );
    let r = list(&img);
    assert_bounded("XFS directory cycle, list", &r);
    assert_eq!(entries(&r).len(), 2, "{}", r.show());
    let r = extract(d.path(), &img, &["--ramdisk", ""]);
    assert_fails(
        "XFS directory cycle, 600-component path",
        &r,
        &["component"],
    );
    let r = extract(d.path(), &img, &["--entry", "1", "--ramdisk", ""]);
    assert_bounded("XFS directory cycle, 10-component path", &r);
    assert_eq!(r.status, Some(0), "{}", r.show());
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let got = std::fs::read(v["kernel"].as_str().unwrap()).unwrap();
    assert_eq!(got, bytes(1, 100_000), "the cycle leads back to the kernel");
}
