//! Builds the C programs of `capi-tests/` with the system `cc` against the committed
//! header and the `libxenboot.so` cargo built, runs them on images made by the real
//! tools, and runs them again under valgrind. Also checks the SONAME.
mod common;
use common::*;

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/cdylib.rs"]
mod cdylib;

/// `target/<profile>`, holding the `libxenboot.so` cargo built.
fn profile_dir() -> PathBuf {
    let lib = cdylib::built_cdylib(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
    lib.parent()
        .expect("the library is in a directory")
        .to_path_buf()
}

/// A directory where `libxenboot.so` and its SONAME `libxenboot.so.1` both resolve to
/// the library cargo built (the programs record the SONAME and load that name).
fn lib_dir(scratch: &Path) -> PathBuf {
    let dir = scratch.join("lib");
    std::fs::create_dir_all(&dir).unwrap();
    let lib = profile_dir().join("libxenboot.so");
    for name in ["libxenboot.so", "libxenboot.so.1"] {
        std::os::unix::fs::symlink(&lib, dir.join(name)).unwrap();
    }
    dir
}

/// Compiles `capi-tests/NAME.c` into `scratch/NAME`, warnings as errors.
fn build(name: &str, scratch: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let libs = lib_dir(scratch);
    let exe = scratch.join(name);
    let out = Command::new("cc")
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-O1"])
        .arg("-I")
        .arg(root.join("include"))
        .arg(root.join("capi-tests").join(format!("{name}.c")))
        .arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", libs.display()))
        .arg("-lxenboot")
        .arg(format!("-Wl,-rpath,{}", libs.display()))
        .output()
        .expect("the system C compiler `cc` is needed");
    assert!(
        out.status.success(),
        "cc failed on {name}.c:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// Runs `exe args…`, failing the test with its output unless it exits 0.
fn run_program(exe: &Path, args: &[&str]) {
    let out = Command::new(exe).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{} {args:?} failed ({}):\n{}{}",
        exe.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `exe args…` under valgrind; any error or leak fails the test. Without
/// valgrind the run is skipped with a note, except in CI (`CI` set), where it fails.
fn run_valgrind(exe: &Path, args: &[&str]) {
    let probe = Command::new("valgrind").arg("--version").output();
    if probe.as_ref().map(|o| !o.status.success()).unwrap_or(true) {
        assert!(
            std::env::var_os("CI").is_none(),
            "valgrind is required in CI (apt-get install valgrind)"
        );
        eprintln!("note: valgrind not found; skipping the memory check of {exe:?}");
        return;
    }
    let out = Command::new("valgrind")
        .args([
            "--leak-check=full",
            "--error-exitcode=1",
            "--errors-for-leak-kinds=definite,indirect,possible",
            "--track-fds=no",
            "--quiet",
        ])
        .arg(exe)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "valgrind found errors in {} {args:?} ({}):\n{}{}",
        exe.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Arguments of `errors.c`: a garbage file, a missing path, a host GRUB legacy config.
fn errors_args(dir: &Path) -> Vec<String> {
    let garbage = dir.join("garbage.img");
    let line = b"this is not a disk image, just text\n";
    std::fs::write(&garbage, line.repeat((4 << 20) / line.len())).unwrap();
    let config = dir.join("menu.lst");
    std::fs::write(
        &config,
        "default 0\ntimeout 5\n\ntitle Debian\n  root (hd0,0)\n  kernel /boot/vmlinuz root=/dev/xvda1 ro\n  initrd /boot/initrd.img\n",
    )
    .unwrap();
    vec![
        garbage.display().to_string(),
        dir.join("no-such-image.img").display().to_string(),
        config.display().to_string(),
    ]
}

fn errors_case(valgrind: bool) {
    let dir = scratch();
    let exe = build("errors", dir.path());
    let args = errors_args(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    if valgrind {
        run_valgrind(&exe, &args);
    } else {
        run_program(&exe, &args);
    }
}

#[test]
fn c_error_paths() {
    errors_case(false);
}

#[test]
fn c_error_paths_under_valgrind() {
    errors_case(true);
}

/// A guest image for `extract.c` and what the C program must find in it.
struct Guest {
    image: PathBuf,
    expect: PathBuf,
    n_entries: usize,
    default_index: usize,
    default_title: &'static str,
    other_index: usize,
    args_mode: &'static str,
    /// The kernel lies page-aligned in the image: `map_image` must map it.
    mapped: bool,
}

impl Guest {
    fn args(&self) -> Vec<String> {
        let mut args = vec![
            self.image.display().to_string(),
            self.expect.display().to_string(),
            self.n_entries.to_string(),
            self.default_index.to_string(),
            self.default_title.to_string(),
            self.other_index.to_string(),
            self.args_mode.to_string(),
        ];
        if self.mapped {
            args.push("mapped".to_string());
        }
        args
    }
}

/// Writes the expectations: default kernel, ramdisk (initrds concatenated), first
/// initrd, args, and the other entry's kernel.
fn write_expect(dir: &Path, kernel: &[u8], initrds: &[&[u8]], args: &str, other: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("kernel"), kernel).unwrap();
    if !initrds.is_empty() {
        std::fs::write(dir.join("ramdisk"), initrds.concat()).unwrap();
        std::fs::write(dir.join("initrd0"), initrds[0]).unwrap();
    }
    std::fs::write(dir.join("args"), args).unwrap();
    std::fs::write(dir.join("other_kernel"), other).unwrap();
}

/// Whole-disk ext4 with a GRUB legacy `menu.lst` whose default is the second entry.
/// The ramdisk is larger than one copy chunk (1 MiB).
fn grub_legacy_whole_disk(dir: &Path) -> Guest {
    let (ka, ia) = (bytes(1, 300 << 10), bytes(2, 200 << 10));
    let (kb, ib) = (bytes(3, 250 << 10), bytes(4, (3 << 20) / 2 + 17));
    let menu = "default 1\ntimeout 5\n\n\
                title Debian A\n  root (hd0,0)\n  kernel /boot/vmlinuz-a root=/dev/xvda1 ro quiet\n  initrd /boot/initrd-a\n\n\
                title Debian B\n  root (hd0,0)\n  kernel /boot/vmlinuz-b root=/dev/xvda1 ro\n  initrd /boot/initrd-b\n";
    let tree = dir.join("tree");
    write_tree(
        &tree,
        &[
            ("boot/grub/menu.lst", menu.as_bytes()),
            ("boot/vmlinuz-a", &ka),
            ("boot/initrd-a", &ia),
            ("boot/vmlinuz-b", &kb),
            ("boot/initrd-b", &ib),
        ],
    );
    let image = dir.join("grub-legacy.img");
    mkfs_ext("ext4", &tree, 16, &image);
    let expect = dir.join("expect");
    write_expect(&expect, &kb, &[&ib], "root=/dev/xvda1 ro", &ka);
    Guest {
        image,
        expect,
        n_entries: 2,
        default_index: 1,
        default_title: "Debian B",
        other_index: 0,
        args_mode: "exact",
        mapped: false,
    }
}

/// MBR disk, ext4 in partition 1, extlinux with a comma list of two initrds (one
/// ramdisk, concatenated) on the default label.
fn extlinux_mbr(dir: &Path) -> Guest {
    let ka = bytes(11, 120 << 10);
    let (kb, i1, i2) = (bytes(12, 333 << 10), bytes(13, 70_001), bytes(14, 1 << 20));
    let conf = "DEFAULT second\nTIMEOUT 30\n\n\
                LABEL first\n  MENU LABEL ^First\n  KERNEL /boot/vmlinuz-a\n  APPEND root=/dev/xvda1 console=hvc0\n\n\
                LABEL second\n  LINUX /boot/vmlinuz-b\n  INITRD /boot/initrd-b1,/boot/initrd-b2\n  APPEND root=/dev/xvda1 ro\n";
    let tree = dir.join("tree");
    write_tree(
        &tree,
        &[
            ("boot/extlinux/extlinux.conf", conf.as_bytes()),
            ("boot/vmlinuz-a", &ka),
            ("boot/vmlinuz-b", &kb),
            ("boot/initrd-b1", &i1),
            ("boot/initrd-b2", &i2),
        ],
    );
    let fs_image = dir.join("part.img");
    mkfs_ext("ext4", &tree, 16, &fs_image);
    let image = dir.join("extlinux-mbr.img");
    mbr_disk(&[Part::with_image(&fs_image, "83")], &image);
    let expect = dir.join("expect");
    // syslinux may or may not add `initrd=` to the line; the APPEND words must be there.
    write_expect(&expect, &kb, &[&i1, &i2], "root=/dev/xvda1 ro", &ka);
    Guest {
        image,
        expect,
        n_entries: 2,
        default_index: 1,
        default_title: "second",
        other_index: 0,
        args_mode: "contains",
        mapped: false,
    }
}

/// MBR disk, ext4 with 4 KiB blocks in partition 1 at 1 MiB, GRUB 2: the kernel and
/// initrd lie page-aligned in the image, so `map_image` maps them.
fn ext4_4k_mbr(dir: &Path) -> Guest {
    let (ka, kb, ib) = (
        bytes(21, 90_000),
        bytes(22, (700 << 10) + 5),
        bytes(23, (2 << 20) + 9),
    );
    let cfg = "set default=1\n\
               menuentry 'A' { linux /boot/vmlinuz-a root=/dev/xvda1 }\n\
               menuentry 'B' { linux /boot/vmlinuz-b root=/dev/xvda1 ro; initrd /boot/initrd-b }\n";
    let tree = dir.join("tree");
    write_tree(
        &tree,
        &[
            ("boot/grub/grub.cfg", cfg.as_bytes()),
            ("boot/vmlinuz-a", &ka),
            ("boot/vmlinuz-b", &kb),
            ("boot/initrd-b", &ib),
        ],
    );
    let fs_image = dir.join("part.img");
    run(
        "mke2fs",
        &[
            "-q",
            "-F",
            "-t",
            "ext4",
            "-b",
            "4096",
            "-d",
            tree.to_str().unwrap(),
            fs_image.to_str().unwrap(),
            "16M",
        ],
    );
    let image = dir.join("ext4-4k.img");
    mbr_disk(&[Part::with_image(&fs_image, "83")], &image);
    let expect = dir.join("expect");
    write_expect(&expect, &kb, &[&ib], "root=/dev/xvda1 ro", &ka);
    Guest {
        image,
        expect,
        n_entries: 2,
        default_index: 1,
        default_title: "B",
        other_index: 0,
        args_mode: "exact",
        mapped: true,
    }
}

fn extract_case(make: fn(&Path) -> Guest, valgrind: bool) {
    let dir = scratch();
    let exe = build("extract", dir.path());
    let guest = make(dir.path());
    let args = guest.args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    if valgrind {
        run_valgrind(&exe, &args);
    } else {
        run_program(&exe, &args);
    }
}

#[test]
fn c_extract_mapped_from_a_4k_ext4_partition() {
    extract_case(ext4_4k_mbr, false);
}

#[test]
fn c_extract_mapped_from_a_4k_ext4_partition_under_valgrind() {
    extract_case(ext4_4k_mbr, true);
}

#[test]
fn c_extract_grub_legacy_whole_disk() {
    extract_case(grub_legacy_whole_disk, false);
}

#[test]
fn c_extract_grub_legacy_whole_disk_under_valgrind() {
    extract_case(grub_legacy_whole_disk, true);
}

#[test]
fn c_extract_extlinux_mbr() {
    extract_case(extlinux_mbr, false);
}

#[test]
fn c_extract_extlinux_mbr_under_valgrind() {
    extract_case(extlinux_mbr, true);
}

#[test]
fn shared_library_soname_is_libxenboot_so_1() {
    let lib = profile_dir().join("libxenboot.so");
    let dynamic = run("readelf", &["-d", lib.to_str().unwrap()]);
    let soname = dynamic
        .lines()
        .find(|l| l.contains("(SONAME)"))
        .unwrap_or_else(|| panic!("no SONAME in {}:\n{dynamic}", lib.display()));
    assert!(soname.contains("[libxenboot.so.1]"), "{soname}");
}

#[test]
fn c_programs_record_the_soname_as_needed() {
    let dir = scratch();
    let exe = build("errors", dir.path());
    let dynamic = run("readelf", &["-d", exe.to_str().unwrap()]);
    assert!(
        dynamic
            .lines()
            .any(|l| l.contains("(NEEDED)") && l.contains("[libxenboot.so.1]")),
        "{dynamic}"
    );
}
