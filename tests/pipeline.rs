//! End-to-end tests of the Rust API on disks built by the real tools: every partition
//! layout of the core issue, each configuration language, extraction byte checks.
mod common;

use common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use xenboot::extract::Request;
use xenboot::{Boot, ErrorKind, Options};

const BIOS_BOOT: &str = "21686148-6449-6E61-6E6F-744E65656646";
const LINUX_FS: &str = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";

fn open(path: &Path) -> Boot {
    Boot::open(path.to_str().unwrap(), Options::default())
        .unwrap_or_else(|e| panic!("open {}: {e}", path.display()))
}

/// Extracts the default entry to a fresh directory and checks kernel and ramdisk
/// bytes against `kernel` and the concatenation of `initrds`.
fn check_default_extract(boot: &mut Boot, kernel: &[u8], initrds: &[&[u8]], args: &str) {
    let idx = boot.select(None).unwrap();
    let plan = boot.plan(idx, &Request::default()).unwrap();
    assert_eq!(plan.args, args);
    let out = scratch();
    let got = boot.extract_to_dir(&plan, out.path()).unwrap();
    assert_eq!(std::fs::read(&got.kernel).unwrap(), kernel, "kernel bytes");
    let name = got.kernel.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with("boot_kernel.") && name.len() == "boot_kernel.".len() + 8,
        "{name}"
    );
    let mode = std::fs::metadata(&got.kernel).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let want: Vec<u8> = initrds.concat();
    match got.ramdisk {
        Some(r) => {
            assert!(!initrds.is_empty());
            assert_eq!(std::fs::read(&r).unwrap(), want, "ramdisk bytes");
            let name = r.file_name().unwrap().to_str().unwrap();
            assert!(name.starts_with("boot_ramdisk."), "{name}");
        }
        None => assert!(initrds.is_empty()),
    }
    // Memory extraction gives the same bytes.
    let (k, r) = boot.extract_to_memory(&plan).unwrap();
    assert_eq!(k, kernel);
    assert_eq!(r.unwrap_or_default(), want);
}

#[test]
fn mbr_logical_partition_grub_legacy() {
    let dir = scratch();
    let kernel = bytes(1, 300_000);
    let initrd = bytes(2, 700_000);
    let other = bytes(3, 1000);
    // Partition 1: ext2 without any configuration.
    let t1 = dir.path().join("t1");
    write_tree(&t1, &[("etc/hostname", b"guest\n")]);
    let p1 = dir.path().join("p1.img");
    mkfs_ext("ext2", &t1, 8, &p1);
    // Partition 5 (logical): ext3 /boot with menu.lst.
    let t5 = dir.path().join("t5");
    let menu = "default 1\ntimeout 5\nhiddenmenu\n\
        title Old kernel\n\troot (hd0,4)\n\tkernel /boot/vmlinuz-old ro root=/dev/xvda1\n\n\
        title CentOS (2.6.32)\n\troot (hd0,4)\n\tkernel /boot/vmlinuz-2.6.32 ro root=/dev/xvda5 console=hvc0\n\tinitrd /boot/initramfs-2.6.32.img\n";
    write_tree(
        &t5,
        &[
            ("boot/grub/menu.lst", menu.as_bytes()),
            ("boot/vmlinuz-2.6.32", &kernel),
            ("boot/initramfs-2.6.32.img", &initrd),
            ("boot/vmlinuz-old", &other),
        ],
    );
    let p5 = dir.path().join("p5.img");
    mkfs_ext("ext3", &t5, 8, &p5);
    let disk = dir.path().join("disk.img");
    mbr_disk(
        &[
            Part::with_image(&p1, "83"),
            Part::with_image(&p5, "83").logical(),
        ],
        &disk,
    );

    let mut boot = open(&disk);
    assert_eq!(boot.config().path, "/boot/grub/menu.lst");
    assert_eq!(boot.entries().len(), 2);
    assert_eq!(boot.default_index(), Some(1));
    assert_eq!(boot.entries()[1].title, "CentOS (2.6.32)");
    check_default_extract(
        &mut boot,
        &kernel,
        &[&initrd],
        "ro root=/dev/xvda5 console=hvc0",
    );
}

#[test]
fn gpt_with_bios_boot_first_extlinux() {
    let dir = scratch();
    let kernel = bytes(10, 500_000);
    let initrd = bytes(11, 200_000);
    let t = dir.path().join("t");
    let cfg = "DEFAULT linux\nTIMEOUT 30\nLABEL rescue\n  KERNEL /boot/vmlinuz\n  APPEND single\n\
        LABEL linux\n  KERNEL ../vmlinuz\n  INITRD ../initrd.img\n  APPEND root=/dev/xvda2 ro quiet\n";
    write_tree(
        &t,
        &[
            ("boot/extlinux/extlinux.conf", cfg.as_bytes()),
            ("boot/vmlinuz", &kernel),
            ("boot/initrd.img", &initrd),
        ],
    );
    let p = dir.path().join("p.img");
    mkfs_ext("ext4", &t, 16, &p);
    let disk = dir.path().join("disk.img");
    gpt_disk(
        &[Part::empty(1, BIOS_BOOT), Part::with_image(&p, LINUX_FS)],
        &disk,
    );

    let mut boot = open(&disk);
    assert_eq!(boot.config().path, "/boot/extlinux/extlinux.conf");
    let e = &boot.entries()[boot.default_index().unwrap()];
    assert_eq!(e.title, "linux");
    assert_eq!(e.kernel.as_deref(), Some("/boot/vmlinuz"));
    // syslinux adds the INITRD line to the command line as `initrd=` (as written).
    check_default_extract(
        &mut boot,
        &kernel,
        &[&initrd],
        "root=/dev/xvda2 ro quiet initrd=../initrd.img",
    );
}

#[test]
fn whole_disk_ext2_lilo() {
    let dir = scratch();
    let kernel = bytes(20, 123_457);
    let initrd = bytes(21, 99_999);
    let t = dir.path().join("t");
    let cfg = "boot=/dev/xvda\nroot=/dev/xvda\nread-only\nappend=\"console=hvc0\"\ndefault=linux\n\
        image=/boot/vmlinuz-old\n  label=old\n\
        image=/boot/vmlinuz\n  label=linux\n  initrd=/boot/initrd.gz\n";
    write_tree(
        &t,
        &[
            ("etc/lilo.conf", cfg.as_bytes()),
            ("boot/vmlinuz", &kernel),
            ("boot/vmlinuz-old", b"old"),
            ("boot/initrd.gz", &initrd),
        ],
    );
    let img = dir.path().join("disk.img");
    mkfs_ext("ext2", &t, 8, &img);
    let mut boot = open(&img);
    assert_eq!(boot.config().path, "/etc/lilo.conf");
    assert_eq!(boot.default_index(), Some(1));
    let idx = boot.select(None).unwrap();
    let plan = boot.plan(idx, &Request::default()).unwrap();
    assert!(plan.args.contains("console=hvc0"), "{}", plan.args);
    assert!(plan.args.contains("root=/dev/xvda"), "{}", plan.args);
    let (k, r) = boot.extract_to_memory(&plan).unwrap();
    assert_eq!(k, kernel);
    assert_eq!(r.unwrap(), initrd);
}

#[test]
fn fat_partition_syslinux_relative_paths() {
    let dir = scratch();
    let kernel = bytes(30, 400_000);
    let initrd = bytes(31, 150_000);
    let t = dir.path().join("t");
    let cfg = "PROMPT 0\nDEFAULT vm\nLABEL vm\n  MENU LABEL ^Guest kernel\n  LINUX vmlinuz-Long-Name\n  APPEND initrd=initramfs.gz console=hvc0\n";
    write_tree(
        &t,
        &[
            ("syslinux/syslinux.cfg", cfg.as_bytes()),
            ("syslinux/vmlinuz-Long-Name", &kernel),
            ("syslinux/initramfs.gz", &initrd),
        ],
    );
    let p = dir.path().join("p.img");
    mkfs_fat(16, &t, 32, &p);
    let disk = dir.path().join("disk.img");
    mbr_disk(&[Part::with_image(&p, "e")], &disk);
    let mut boot = open(&disk);
    assert_eq!(boot.config().path, "/syslinux/syslinux.cfg");
    let e = &boot.entries()[boot.default_index().unwrap()];
    assert_eq!(e.title, "Guest kernel");
    assert_eq!(e.kernel.as_deref(), Some("/syslinux/vmlinuz-Long-Name"));
    assert_eq!(e.initrds, vec!["/syslinux/initramfs.gz".to_string()]);
    let idx = boot.select(None).unwrap();
    let plan = boot.plan(idx, &Request::default()).unwrap();
    let (k, r) = boot.extract_to_memory(&plan).unwrap();
    assert_eq!(k, kernel);
    assert_eq!(r.unwrap(), initrd);
}

#[test]
fn separate_boot_partition_grub2_with_several_initrds() {
    let dir = scratch();
    let kernel = bytes(40, 600_000);
    let ucode = bytes(41, 50_000);
    let initrd = bytes(42, 400_000);
    let tb = dir.path().join("boot");
    let cfg = "set default=\"1\"\nset timeout=5\n\
        menuentry 'Arch Linux (fallback)' {\n  linux /vmlinuz-linux root=/dev/xvda2 rw\n  initrd /initramfs-linux-fallback.img\n}\n\
        menuentry 'Arch Linux' --class arch --id arch {\n  set root='hd0,msdos1'\n  linux /vmlinuz-linux root=UUID=1234 rw \"quiet\" loglevel=3\n  initrd /intel-ucode.img /initramfs-linux.img\n}\n";
    write_tree(
        &tb,
        &[
            ("grub/grub.cfg", cfg.as_bytes()),
            ("vmlinuz-linux", &kernel),
            ("intel-ucode.img", &ucode),
            ("initramfs-linux.img", &initrd),
            ("initramfs-linux-fallback.img", b"fallback"),
        ],
    );
    let pb = dir.path().join("pb.img");
    mkfs_ext("ext4", &tb, 16, &pb);
    let tr = dir.path().join("root");
    write_tree(&tr, &[("etc/os-release", b"ID=arch\n")]);
    let pr = dir.path().join("pr.img");
    mkfs_ext("ext4", &tr, 8, &pr);
    let disk = dir.path().join("disk.img");
    mbr_disk(
        &[Part::with_image(&pb, "83"), Part::with_image(&pr, "83")],
        &disk,
    );

    let mut boot = open(&disk);
    assert_eq!(boot.config().path, "/grub/grub.cfg");
    assert_eq!(boot.entries()[1].initrds.len(), 2);
    check_default_extract(
        &mut boot,
        &kernel,
        &[&ucode, &initrd],
        "root=UUID=1234 rw quiet loglevel=3",
    );
    // Selection by title and by id picks the same entry.
    assert_eq!(boot.select(Some("Arch Linux")).unwrap(), 1);
    assert_eq!(boot.select(Some("arch")).unwrap(), 1);
    assert_eq!(boot.select(Some("0")).unwrap(), 0);
    assert_eq!(
        boot.select(Some("5")).unwrap_err().kind(),
        ErrorKind::NoEntry
    );
}

#[test]
fn explicit_offset_skips_partition_discovery() {
    let dir = scratch();
    let kernel = bytes(50, 10_000);
    let t = dir.path().join("t");
    write_tree(
        &t,
        &[
            (
                "boot/grub/menu.lst",
                b"title only\nkernel /vmlinuz console=hvc0\n",
            ),
            ("vmlinuz", &kernel),
        ],
    );
    let p = dir.path().join("p.img");
    mkfs_ext("ext4", &t, 8, &p);
    let disk = dir.path().join("disk.img");
    let offs = mbr_disk(&[Part::with_image(&p, "83")], &disk);
    let opts = Options {
        offset: Some(offs[0]),
        ..Options::default()
    };
    let mut boot = Boot::open(disk.to_str().unwrap(), opts).unwrap();
    assert_eq!(boot.volumes().len(), 1);
    let idx = boot.select(None).unwrap();
    let plan = boot.plan(idx, &Request::default()).unwrap();
    assert_eq!(boot.extract_to_memory(&plan).unwrap().0, kernel);
}

#[test]
fn overrides_replace_kernel_ramdisk_and_args() {
    let dir = scratch();
    let t = dir.path().join("t");
    let alt = bytes(60, 4096);
    write_tree(
        &t,
        &[
            (
                "boot/grub/menu.lst",
                b"title a\nkernel /vmlinuz x=1\ninitrd /initrd\n",
            ),
            ("vmlinuz", b"kernel"),
            ("initrd", b"initrd"),
            ("alt/kernel", &alt),
        ],
    );
    let img = dir.path().join("d.img");
    mkfs_ext("ext4", &t, 8, &img);
    let boot = open(&img);
    let req = Request {
        kernel: Some("/alt/kernel".into()),
        ramdisks: Some(vec![]),
        args: Some("console=hvc0 init=/bin/sh".into()),
    };
    let plan = boot.plan(0, &req).unwrap();
    assert_eq!(plan.args, "console=hvc0 init=/bin/sh");
    let (k, r) = boot.extract_to_memory(&plan).unwrap();
    assert_eq!(k, alt);
    assert!(r.is_none());
}

#[test]
fn no_configuration_error_names_everything_tried() {
    let dir = scratch();
    let t = dir.path().join("t");
    write_tree(&t, &[("etc/fstab", b"")]);
    let p = dir.path().join("p.img");
    mkfs_ext("ext4", &t, 8, &p);
    let disk = dir.path().join("disk.img");
    mbr_disk(&[Part::with_image(&p, "83"), Part::empty(2, "83")], &disk);
    let err = Boot::open(disk.to_str().unwrap(), Options::default())
        .err()
        .expect("no config must fail");
    assert_eq!(err.kind(), ErrorKind::NoConfig);
    let msg = err.to_string();
    assert!(msg.contains("msdos1"), "{msg}");
    assert!(msg.contains("msdos2"), "{msg}");
    assert!(msg.contains("/boot/grub/grub.cfg"), "{msg}");
    assert!(msg.contains("ext4"), "{msg}");
}

#[test]
fn missing_kernel_error_names_paths_tried() {
    let dir = scratch();
    let t = dir.path().join("t");
    write_tree(
        &t,
        &[(
            "boot/grub/menu.lst",
            b"title a\nkernel /boot/vmlinuz-gone ro\n",
        )],
    );
    let img = dir.path().join("d.img");
    mkfs_ext("ext4", &t, 8, &img);
    let boot = open(&img);
    let err = boot.plan(0, &Request::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let msg = err.to_string();
    assert!(
        msg.contains("/boot/vmlinuz-gone") && msg.contains("/vmlinuz-gone"),
        "{msg}"
    );
}

#[test]
fn garbage_and_missing_images_fail_cleanly() {
    let dir = scratch();
    let junk = dir.path().join("junk.img");
    std::fs::write(&junk, bytes(70, 3 << 20)).unwrap();
    let err = Boot::open(junk.to_str().unwrap(), Options::default())
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::NoConfig, "{err}");
    let err = Boot::open("/nonexistent/guest.img", Options::default())
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Io);
    let empty = dir.path().join("empty.img");
    std::fs::write(&empty, b"").unwrap();
    assert!(Boot::open(empty.to_str().unwrap(), Options::default()).is_err());
}

#[test]
fn size_limits_refuse_large_files() {
    let dir = scratch();
    let t = dir.path().join("t");
    write_tree(
        &t,
        &[
            (
                "boot/grub/menu.lst",
                b"title a\nkernel /vmlinuz\ninitrd /initrd\n",
            ),
            ("vmlinuz", &bytes(80, 2 << 20)),
            ("initrd", &bytes(81, 3 << 20)),
        ],
    );
    let img = dir.path().join("d.img");
    mkfs_ext("ext4", &t, 16, &img);
    let mut opts = Options::default();
    opts.limits.max_kernel = 1 << 20;
    let boot = Boot::open(img.to_str().unwrap(), opts).unwrap();
    assert_eq!(
        boot.plan(0, &Request::default()).unwrap_err().kind(),
        ErrorKind::Limit
    );
    let mut opts = Options::default();
    opts.limits.max_ramdisk = 2 << 20;
    let boot = Boot::open(img.to_str().unwrap(), opts).unwrap();
    assert_eq!(
        boot.plan(0, &Request::default()).unwrap_err().kind(),
        ErrorKind::Limit
    );
}

#[test]
fn the_guest_disk_is_never_written() {
    let dir = scratch();
    let t = dir.path().join("t");
    write_tree(
        &t,
        &[
            ("boot/grub/menu.lst", b"title a\nkernel /vmlinuz\n"),
            ("vmlinuz", b"k"),
        ],
    );
    let p = dir.path().join("p.img");
    mkfs_fat(32, &t, 40, &p);
    let disk = dir.path().join("disk.img");
    mbr_disk(&[Part::with_image(&p, "c")], &disk);
    let before = digest(&disk);
    let mtime = std::fs::metadata(&disk).unwrap().modified().unwrap();
    {
        let mut boot = open(&disk);
        let idx = boot.select(None).unwrap();
        let plan = boot.plan(idx, &Request::default()).unwrap();
        boot.extract_to_memory(&plan).unwrap();
    }
    assert_eq!(digest(&disk), before);
    assert_eq!(std::fs::metadata(&disk).unwrap().modified().unwrap(), mtime);
}

/// Peak memory must not grow with the ramdisk's size when extracting to a file.
#[test]
fn extraction_to_a_directory_streams() {
    fn hwm_kib() -> u64 {
        let s = std::fs::read_to_string("/proc/self/status").unwrap();
        s.lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap()
    }
    let dir = scratch();
    let t = dir.path().join("t");
    write_tree(
        &t,
        &[
            (
                "boot/grub/menu.lst",
                b"title big\nkernel /vmlinuz\ninitrd /initrd\n",
            ),
            ("vmlinuz", b"kernel"),
        ],
    );
    // Written in 1 MiB pieces so the test itself never holds the ramdisk.
    {
        use std::io::Write;
        let mut f = std::fs::File::create(t.join("initrd")).unwrap();
        for i in 0..96 {
            f.write_all(&bytes(90 + i, 1 << 20)).unwrap();
        }
    }
    let img = dir.path().join("d.img");
    mkfs_ext("ext4", &t, 128, &img);
    let boot = open(&img);
    let plan = boot.plan(0, &Request::default()).unwrap();
    let out = scratch();
    let before = hwm_kib();
    let got = boot.extract_to_dir(&plan, out.path()).unwrap();
    let grown = hwm_kib().saturating_sub(before);
    assert_eq!(
        std::fs::metadata(got.ramdisk.unwrap()).unwrap().len(),
        96 << 20
    );
    // Buffering the ramdisk would raise the high-water mark by about 96 MiB.
    assert!(grown < 16 * 1024, "peak memory grew by {grown} KiB");
}
