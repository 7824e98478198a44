//! GRUB legacy parser against the real configurations of `shared/corpus/grubby`
//! (hand-checked defaults: GRUB 0.97 counts titles from 0 and partitions from 0).

mod common;

use common::{corpus, parse_host};
use std::path::Path;
use xenboot::config::Language;
use xenboot::Menu;

/// Parses `path` (absolute inside `root`), returning the menu and the warnings.
fn parse_in(root: &Path, path: &str) -> (Menu, Vec<String>) {
    parse_host(Language::GrubLegacy, root, path)
        .unwrap_or_else(|e| panic!("{}{path}: {e}", root.display()))
}

/// What the default entry must be.
#[derive(Clone, Copy)]
struct Want {
    index: usize,
    title: &'static str,
    kernel: &'static str,
    initrd: Option<&'static str>,
    args: &'static str,
    partition: Option<u32>,
}

fn check(name: &str, entries: usize, want: Want) -> Menu {
    let (menu, warnings) = parse_in(&corpus().join("grubby"), &format!("/{name}"));
    assert!(warnings.is_empty(), "{name}: {warnings:?}");
    assert_eq!(menu.entries.len(), entries, "{name}");
    assert_eq!(menu.default, Some(want.index), "{name}");
    let e = &menu.entries[want.index];
    assert_eq!(e.title, want.title, "{name}");
    assert_eq!(e.kernel.as_deref(), Some(want.kernel), "{name}");
    let initrds: Vec<&str> = e.initrds.iter().map(String::as_str).collect();
    assert_eq!(
        initrds,
        want.initrd.into_iter().collect::<Vec<_>>(),
        "{name}"
    );
    assert_eq!(e.args, want.args, "{name}");
    assert_eq!(e.partition, want.partition, "{name}");
    menu
}

#[test]
fn grub_1_single_entry() {
    let m = check(
        "grub.1",
        1,
        Want {
            index: 0,
            title: "Red Hat Linux (2.4.7-2)",
            kernel: "/vmlinuz-2.4.7-2",
            initrd: Some("/initrd-2.4.7-2.img"),
            args: "ro root=/dev/sda1",
            partition: Some(1),
        },
    );
    assert_eq!(m.timeout, Some(10));
    assert!(m.entries[0].is_bootable());
}

#[test]
fn grub_2_and_3_dos_chainloader_listed_not_bootable() {
    let m = check(
        "grub.2",
        2,
        Want {
            index: 0,
            title: "Red Hat Linux (2.4.7-2)",
            kernel: "/vmlinuz-2.4.7-2",
            initrd: Some("/initrd-2.4.7-2.img"),
            args: "ro root=/dev/hda5 hdd=ide-scsi",
            partition: Some(1),
        },
    );
    assert_eq!(m.entries[1].title, "DOS");
    assert!(m.entries[1]
        .not_bootable
        .as_deref()
        .unwrap()
        .contains("chainloader"));
    let m = check(
        "grub.3",
        3,
        Want {
            index: 0,
            title: "Red Hat Linux (2.4.7-2smp)",
            kernel: "/vmlinuz-2.4.7-2smp",
            initrd: Some("/initrd-2.4.7-2smp.img"),
            args: "ro root=/dev/hda5 hdd=ide-scsi",
            partition: Some(2),
        },
    );
    assert!(!m.entries[2].is_bootable());
}

#[test]
fn grub_4_5_6_7_root_on_sixth_partition() {
    let ac3 = Want {
        index: 2,
        title: "Red Hat Linux (2.4.7-ac3)",
        kernel: "/boot/vmlinuz-2.4.7-ac3",
        initrd: Some("/boot/initrd-2.4.7-ac3.img"),
        args: "ro root=/dev/hda6",
        partition: Some(6),
    };
    check(
        "grub.4",
        4,
        Want {
            index: 0,
            title: "Red Hat Linux (2.4.7-2.9)",
            kernel: "/boot/vmlinuz-2.4.7-2.9",
            initrd: Some("/boot/initrd-2.4.7-2.9.img"),
            args: "ro root=/dev/hda6",
            partition: Some(6),
        },
    );
    check(
        "grub.5",
        3,
        Want {
            index: 0,
            title: "Red Hat Linux (2.4.7-2.5)",
            kernel: "/boot/vmlinuz-2.4.7-2.5",
            initrd: Some("/boot/initrd-2.4.7-2.5.img"),
            args: "ro root=/dev/hda6",
            partition: Some(6),
        },
    );
    check("grub.6", 4, ac3);
    let m = check("grub.7", 5, Want { index: 2, ..ac3 });
    assert_eq!(m.entries[3].partition, Some(1));
    assert_eq!(
        m.entries[3].args,
        "ro root=/dev/sda1 console=tty0 console=ttyS1,9600n81"
    );
}

#[test]
fn grub_8_kernel_device_beats_root() {
    check(
        "grub.8",
        1,
        Want {
            index: 0,
            title: "Red Hat Linux (2.4.7-2)",
            kernel: "/vmlinuz-2.4.7-2",
            initrd: Some("/initrd-2.4.7-2.img"),
            args: "ro root=/dev/sda1",
            partition: Some(1),
        },
    );
}

#[test]
fn grub_9_and_11_device_prefixed_paths() {
    check(
        "grub.9",
        2,
        Want {
            index: 0,
            title: "Red Hat Linux (2.4.7-2smp)",
            kernel: "/vmlinuz-2.4.7-2smp",
            initrd: Some("/initrd-2.4.7-2smp.img"),
            args: "ro root=/dev/hda5 hdd=ide-scsi",
            partition: Some(2),
        },
    );
    check(
        "grub.11",
        2,
        Want {
            index: 0,
            title: "Red Hat Linux (2.4.7-2smp)",
            kernel: "/vmlinuz-2.4.7-2smp",
            initrd: Some("/initrd-2.4.7-2smp.img"),
            args: "ro root=/dev/hda5 hdd=ide-scsi console=tty0 console=ttyS0,9600n81",
            partition: Some(2),
        },
    );
}

#[test]
fn grub_10_default_is_xen_multiboot_not_bootable() {
    let (m, w) = parse_in(&corpus().join("grubby"), "/grub.10");
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(m.default, Some(0));
    let xen = &m.entries[0];
    assert_eq!(xen.title, "xen");
    assert_eq!(xen.kernel.as_deref(), Some("/xen.gz"));
    assert!(xen.not_bootable.as_deref().unwrap().contains("multiboot"));
    let fc = &m.entries[1];
    assert!(fc.is_bootable());
    assert_eq!(fc.kernel.as_deref(), Some("/vmlinuz-2.6.10-1.1076_FC4"));
    assert_eq!(fc.args, "ro root=/dev/hda3 rhgb quiet acpi=off");
    assert_eq!(fc.partition, Some(2));
}

#[test]
fn grub_12_suse_default_with_blank_separator() {
    let m = check(
        "grub.12",
        4,
        Want {
            index: 0,
            title: "Desktop -- openSUSE 12.1 - 3.1.9-1.4",
            kernel: "/boot/vmlinuz-3.1.9-1.4-desktop",
            initrd: Some("/boot/initrd-3.1.9-1.4-desktop"),
            args: "root=/dev/vda2 resume=/dev/vda1 splash=silent quiet showopts vga=0x314",
            partition: Some(2),
        },
    );
    assert_eq!(m.timeout, Some(8));
}

#[test]
fn grub_13_rhel5_hiddenmenu() {
    check(
        "grub.13",
        2,
        Want {
            index: 0,
            title: "Red Hat Enterprise Linux Server (2.6.18-308.1.1.el5)",
            kernel: "/vmlinuz-2.6.18-308.1.1.el5",
            initrd: Some("/initrd-2.6.18-308.1.1.el5.img"),
            args: "ro root=/dev/VolGroup00/LogVol00 rhgb quiet",
            partition: Some(1),
        },
    );
}

#[test]
fn grub_14_default_without_initrd() {
    let m = check(
        "grub.14",
        22,
        Want {
            index: 0,
            title: "Fedora (4.0.0-0.rc4.git1.4.fc23.x86_64) 23 (Rawhide)",
            kernel: "/vmlinuz-4.0.0-0.rc4.git1.4.fc23.x86_64",
            initrd: None,
            args: "ro root=/dev/sda1 SYSFONT=latarcyrheb-sun16 LANG=en_US.UTF-8 KEYTABLE=us \
                   rd_plytheme=charge",
            partition: Some(1),
        },
    );
    let install = &m.entries[20];
    assert_eq!(install.title, "install");
    assert_eq!(install.partition, None);
    assert_eq!(m.entries[21].kernel.as_deref(), Some("/gittest"));
}

#[test]
fn grub_15_default_one_without_root() {
    check(
        "grub.15",
        2,
        Want {
            index: 1,
            title: "zonk",
            kernel: "/boot/new-kernel.img",
            initrd: Some("/boot/new-initrd"),
            args: "",
            partition: None,
        },
    );
}

#[test]
fn every_corpus_file_parses_without_warnings() {
    let mut n = 0;
    for entry in std::fs::read_dir(corpus().join("grubby")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some(num) = name.strip_prefix("grub.") {
            assert!(num.parse::<u32>().is_ok());
            let (m, w) = parse_in(&corpus().join("grubby"), &format!("/{name}"));
            assert!(w.is_empty(), "{name}: {w:?}");
            assert!(m.default.is_some(), "{name}");
            n += 1;
        }
    }
    assert_eq!(n, 15);
}

#[test]
fn default_saved_reads_the_default_file() {
    let dir = tempfile::tempdir().unwrap();
    let grub = dir.path().join("boot/grub");
    std::fs::create_dir_all(&grub).unwrap();
    std::fs::write(
        grub.join("menu.lst"),
        "default saved\ntimeout=3\ntitle a\nroot (hd0,0)\nkernel /a\nsavedefault\n\
         title b\nroot (hd0,0)\nkernel=/b console=hvc0\nsavedefault\n",
    )
    .unwrap();
    std::fs::write(grub.join("default"), "1\n#\n# WARNING: do not edit\n").unwrap();
    let (m, w) = parse_in(dir.path(), "/boot/grub/menu.lst");
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(m.default, Some(1));
    assert_eq!(m.entries[1].args, "console=hvc0");
    std::fs::write(grub.join("default"), "garbage\n").unwrap();
    let (m, w) = parse_in(dir.path(), "/boot/grub/menu.lst");
    assert_eq!(m.default, Some(0));
    assert_eq!(w.len(), 1);
}
