//! Every GRUB 2 configuration and BLS tree of `../shared/corpus/` evaluates without
//! error to the entry GRUB would boot. The expected defaults were checked by hand
//! against each file (`set default`, the 00_header `saved_entry`/`next_entry` logic,
//! `blscfg` ordering and ids).

mod grub2_common;

use grub2_common::{corpus, render, DirDisk};
use std::path::Path;
use xenboot::config::grub2::{evaluate, GrubVolume};
use xenboot::menu::Menu;
use xenboot::Limits;

fn eval_disk(disk: &DirDisk, config: &str) -> (Menu, Vec<String>) {
    let root = &disk.vols[disk.config].1;
    let text =
        String::from_utf8_lossy(&std::fs::read(root.join(config.trim_start_matches('/'))).unwrap())
            .into_owned();
    let mut warnings = Vec::new();
    let menu = evaluate(&text, config, disk, &Limits::default(), &mut warnings)
        .unwrap_or_else(|e| panic!("{}{config}: {e}", root.display()));
    (menu, warnings)
}

fn eval_tree(root: &Path, config: &str) -> (Menu, Vec<String>) {
    let mut disk = DirDisk::single(root);
    disk.lenient = true;
    eval_disk(&disk, config)
}

/// A flat config file copied to `/boot/grub/grub.cfg` (with an optional grubenv).
fn eval_flat(file: &str, grubenv: Option<&[u8]>) -> (Menu, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("boot/grub")).unwrap();
    std::fs::copy(corpus().join(file), dir.path().join("boot/grub/grub.cfg")).unwrap();
    if let Some(env) = grubenv {
        std::fs::write(dir.path().join("boot/grub/grubenv"), env).unwrap();
    }
    eval_tree(dir.path(), "/boot/grub/grub.cfg")
}

fn grubenv(vars: &str) -> Vec<u8> {
    let mut b = format!("# GRUB Environment Block\n{vars}").into_bytes();
    b.resize(1024, b'#');
    b
}

#[track_caller]
fn check(
    what: &str,
    (menu, warnings): (Menu, Vec<String>),
    entries: usize,
    title: &str,
    kernel: Option<&str>,
) {
    let shown = format!("{what}:\n{}warnings: {warnings:?}", render(&menu));
    assert_eq!(menu.entries.len(), entries, "{shown}");
    let d = menu
        .default
        .unwrap_or_else(|| panic!("no default: {shown}"));
    let e = &menu.entries[d];
    assert_eq!(e.title, title, "{shown}");
    assert_eq!(e.kernel.as_deref(), kernel, "{shown}");
}

const FLAT: &[(&str, usize, &str, Option<&str>)] = &[
    ("grubby/grub2.1", 2, "Linux, with Fedora 2.6.38.8-32.fc15.x86_64", Some("/vmlinuz-2.6.38.8-32.fc15.x86_64")),
    ("grubby/grub2.2", 3, "title", Some("/new-kernel.img")),
    ("grubby/grub2.3", 4, "title", Some("/new-kernel.img")),
    // `submenu {` has no title: GRUB rejects it ("missing arguments").
    ("grubby/grub2.4", 2, "title", Some("/new-kernel.img")),
    ("grubby/grub2.5", 4, "Fedora Linux", Some("/vmlinuz-3.3.0-0.rc4.git1.4.fc17.x86_64")),
    ("grubby/grub2.6", 2, "Linux, with Fedora 2.6.38.8-32.fc15.x86_64", Some("/vmlinuz-2.6.38.8-32.fc15.x86_64")),
    ("grubby/grub2.7", 2, "Linux, with Fedora 2.6.38.8-32.fc15.x86_64", Some("/vmlinuz-2.6.38.8-32.fc15.x86_64")),
    ("grubby/grub2.8", 3, "title", Some("/new-kernel.img")),
    ("grubby/grub2.9", 3, "Fedora (3.10.3-300.fc19.x86_64) 19 (Schrödinger’s Cat)", Some("/new-kernel.img")),
    ("grubby/grub2.10", 2, "Linux, with Fedora 2.6.38.8-32.fc15.x86_64", Some("/vmlinuz-2.6.38.8-32.fc15.x86_64")),
    ("grubby/grub2.11", 3, "title", Some("/new-kernel.img")),
    ("grubby/grub2.12", 1, "Linux, with Linux 2.6.38.2-9.fc15.x86_64", Some("/vmlinuz-2.6.38.2-9.fc15.x86_64")),
    ("grubby/grub2.13", 1, "Linux, with Linux 2.6.38.2-9.fc15.x86_64", Some("/vmlinuz-2.6.38.2-9.fc15.x86_64")),
    ("grubby/grub2.14", 1, "Fedora, with Linux 3.15.0-0.rc5.git2.10.fc21.x86_64", Some("/vmlinuz-3.15.0-0.rc5.git2.10.fc21.x86_64")),
    ("grubby/grub2.15", 1, "Fedora, with Linux 3.15.0-0.rc5.git2.10.fc21.x86_64", Some("/vmlinuz-3.15.0-0.rc5.git2.10.fc21.x86_64")),
    ("grubby/grub2.16", 3, "Red Hat Enterprise Linux Server (3.10.0-297.el7.x86_64) 7.2 (Maipo)", Some("/vmlinuz-3.10.0-297.el7.x86_64")),
    ("grubby/grub2.18", 3, "Red Hat Enterprise Linux Server (3.10.0-327.22.2.el7.x86_64.debug) 7.2 (Maipo)", Some("/vmlinuz-3.10.0-327.22.2.el7.x86_64.debug")),
    ("grubby/grub2.19", 3, "First Title To Remove", Some("/vmlinuz-2.6.38.2-9.fc15.x86_64")),
    ("grubby/grub2.20", 2, "Fedora, with Linux 3.15.0-0.rc7.git2.1.fc21.x86_64", Some("/boot6/vmlinuz-3.15.0-0.rc7.git2.1.fc21.x86_64")),
    ("grubby/grub2.21", 3, "title", Some("/boot6/new-kernel.img")),
    ("grubby/grub2.22", 2, "Fedora, with Linux 3.15.0-0.rc7.git2.1.fc21.x86_64", Some("/root4/boot/vmlinuz-3.15.0-0.rc7.git2.1.fc21.x86_64")),
    ("grubby/grub2.23", 3, "title", Some("/root4/boot/new-kernel.img")),
    ("grubby/grub2.24", 2, "Fedora, with Linux 3.15.0-0.rc7.git2.1.fc21.x86_64", Some("/boot6/vmlinuz-3.15.0-0.rc7.git2.1.fc21.x86_64")),
    ("grubby/grub2.25", 2, "Fedora, with Linux 3.15.0-0.rc7.git2.1.fc21.x86_64", Some("/root4/boot/vmlinuz-3.15.0-0.rc7.git2.1.fc21.x86_64")),
    ("pygrub/fedora-16-with-xen.grub2", 4, "Fedora Linux, with Linux 3.1.0-0.rc9.git0.0.fc16.x86_64", Some("/vmlinuz-3.1.0-0.rc9.git0.0.fc16.x86_64")),
    ("pygrub/fedora-19.grub2", 2, "Fedora, with Linux 3.9.6-301.fc19.i686.PAE", Some("/vmlinuz-3.9.6-301.fc19.i686.PAE")),
    ("pygrub/rhel-7-beta.grub2", 2, "Red Hat Enterprise Linux Everything, with Linux 3.10.0-54.0.1.el7.x86_64", Some("/vmlinuz-3.10.0-54.0.1.el7.x86_64")),
    ("pygrub/ubuntu-14.04-lts.grub2", 5, "Ubuntu", Some("/vmlinuz-3.13.0-44-generic")),
    // `set root='(/dev/xvda,msdos1)'` names no GRUB disk and the UUID search finds
    // nothing here: GRUB's `linux` fails, so the entry loads no kernel.
    ("pygrub/debian-wheezy-hvm.grub2", 2, "Debian GNU/Linux, with Linux 3.2.0-4-amd64", None),
    ("petitboot/grub2-f18-ppc64.conf", 2, "Fedora", Some("/vmlinuz-3.6.10-4.fc18.ppc64p7")),
    // Only a submenu of firmware commands.
    ("petitboot/grub2-f20-ppc.conf", 2, "Reboot", None),
    ("petitboot/grub2-rhcos-ootpa.conf", 1, "Red Hat Enterprise Linux CoreOS 42.80.20191030.0 (Ootpa) (ostree)", Some("/ostree/rhcos-6264e4be818e20cf1021bd6e7aa8c76147ce07dec186468c7dfbbc9c5dfc7d8b/vmlinuz-4.18.0-80.11.2.el8_0.ppc64le")),
    ("petitboot/grub2-ubuntu-13_04-x86.conf", 5, "Kubuntu GNU/Linux", Some("/boot/vmlinuz-3.8.0-19-generic")),
];

#[test]
fn flat_corpus_configs() {
    for (file, n, title, kernel) in FLAT {
        check(file, eval_flat(file, None), *n, title, *kernel);
    }
}

#[test]
fn rhel8_ppc_entries_fail_on_empty_users_option() {
    // `--users $grub_users` with `grub_users` unset leaves `--users` without its
    // value: GRUB 2.06 rejects each menuentry ("missing mandatory option").
    let (menu, warnings) = eval_flat("petitboot/grub2-rhel8.conf", None);
    assert!(menu.entries.is_empty(), "{}", render(&menu));
    assert!(warnings
        .iter()
        .any(|w| w.contains("missing mandatory option for `users'")));
}

#[test]
fn saved_entry_from_grubenv_selects_the_default() {
    let env = grubenv(
        "saved_entry=Red Hat Enterprise Linux Server (3.10.0-296.el7.x86_64) 7.2 (Maipo)\n",
    );
    check(
        "grub2.16 + saved_entry",
        eval_flat("grubby/grub2.16", Some(&env)),
        3,
        "Red Hat Enterprise Linux Server (3.10.0-296.el7.x86_64) 7.2 (Maipo)",
        Some("/vmlinuz-3.10.0-296.el7.x86_64"),
    );
    let env = std::fs::read(corpus().join("grubby/grub2-support_files/grubenv.1")).unwrap();
    check(
        "grub2.19 + grubenv.1",
        eval_flat("grubby/grub2.19", Some(&env)),
        3,
        "Linux, with Fedora 2.6.38.8-32.fc15.x86_64",
        Some("/vmlinuz-2.6.38.8-32.fc15.x86_64"),
    );
    // next_entry wins over saved_entry (and is not written back).
    let env = grubenv("saved_entry=First Title To Remove\nnext_entry=2\n");
    check(
        "grub2.19 + next_entry",
        eval_flat("grubby/grub2.19", Some(&env)),
        3,
        "Linux, with Fedora 2.6.38.8-32.fc15.x86_64",
        Some("/vmlinuz-2.6.38.8-32.fc15.x86_64"),
    );
    // A saved title that matches nothing: entry 0, with a warning.
    let env = std::fs::read(corpus().join("grubby/grub2-support_files/grubenv.3")).unwrap();
    let (menu, warnings) = eval_flat("grubby/grub2.18", Some(&env));
    assert_eq!(menu.default, Some(0));
    assert!(
        warnings.iter().any(|w| w.contains("matches no menu entry")),
        "{warnings:?}"
    );
}

const TREES: &[(&str, &str, usize, &str, Option<&str>)] = &[
    (
        "u-root/grub/CentOS_7_x86_64_DVD_1810",
        "/EFI/BOOT/grub.cfg",
        4,
        "Test this media & install CentOS 7",
        Some("/images/pxeboot/vmlinuz"),
    ),
    (
        "u-root/grub/CentOS_7_x86_64_DVD_1810_legacy_install_sda1",
        "/grub2/grub.cfg",
        2,
        "CentOS Linux (3.10.0-957.el7.x86_64) 7 (Core)",
        Some("/vmlinuz-3.10.0-957.el7.x86_64"),
    ),
    (
        "u-root/grub/debian_10_4_installed",
        "/boot/grub/grub.cfg",
        3,
        "Debian GNU/Linux",
        Some("/boot/vmlinuz-4.19.0-9-amd64"),
    ),
    (
        "u-root/grub/fedora_27_install",
        "/EFI/BOOT/grub.cfg",
        3,
        "Test this media & start Fedora-Workstation-Live 27",
        Some("/images/pxeboot/vmlinuz"),
    ),
    // Every entry boots Xen through multiboot: listed, not bootable as PV.
    (
        "u-root/grub/qubes_3_2_boot",
        "/grub2/grub.cfg",
        13,
        "Qubes, with Xen hypervisor",
        None,
    ),
    (
        "u-root/grub/rhel_7_8_another",
        "/boot/grub2/grub.cfg",
        2,
        "Red Hat Enterprise Linux Server (3.10.0-1127.el7.x86_64) 7.8 (Maipo)",
        Some("/boot/vmlinuz-3.10.0-1127.el7.x86_64"),
    ),
    (
        "u-root/grub/rhel_7_8_installed",
        "/grub2/grub.cfg",
        3,
        "Red Hat Enterprise Linux Server (3.10.0-1127.el7.x86_64) 7.8 (Maipo)",
        Some("/vmlinuz-3.10.0-1127.el7.x86_64"),
    ),
    (
        "u-root/grub/ubuntu_16_04_boot",
        "/grub/grub.cfg",
        8,
        "Ubuntu",
        Some("/vmlinuz-4.10.0-42-generic.efi.signed"),
    ),
];

#[test]
fn corpus_trees() {
    for (dir, cfg, n, title, kernel) in TREES {
        check(dir, eval_tree(&corpus().join(dir), cfg), *n, title, *kernel);
    }
    let (menu, _) = eval_tree(
        &corpus().join("u-root/grub/debian_9_install"),
        "/boot/grub/grub.cfg",
    );
    assert_eq!(menu.entries.len(), 80, "{}", render(&menu));
    assert_eq!(menu.default, Some(0));
    assert_eq!(
        menu.entries[0].title,
        "Debian GNU/Linux Live (kernel 4.9.0-3-amd64)"
    );
    assert_eq!(menu.entries[0].args, "boot=live components findiso=");
    // The EFI config sources the main one.
    let tree = corpus().join("u-root/grub/debian_9_install");
    let (m, w) = eval_tree(&tree, "/boot/grub/x86_64-efi/grub.cfg");
    assert_eq!(m.entries.len(), 80, "{w:?}");
    assert_eq!(m.entries[m.default.unwrap()].title, menu.entries[0].title);
    // loopback.cfg sources /grub/grub.cfg, which exists only inside the ISO it is
    // meant for: GRUB reports the missing file and has no menu.
    let (m, w) = eval_tree(&tree, "/boot/grub/loopback.cfg");
    assert!(m.entries.is_empty() && m.default.is_none());
    assert!(w.iter().any(|w| w.contains("/grub/grub.cfg")), "{w:?}");
}

#[test]
fn centos8_blscfg_with_grubenv_kernelopts() {
    let (menu, warnings) = eval_tree(
        &corpus().join("u-root/grub/CentOS_8_Stream_x86_64_blscfg_sda1"),
        "/EFI/centos/grub.cfg",
    );
    let shown = format!("{}{warnings:?}", render(&menu));
    assert_eq!(menu.entries.len(), 3, "{shown}");
    let d = &menu.entries[menu.default.unwrap()];
    // saved_entry=9af7b02ac08149d985841c07c8ff366e-5.18.0 is the id (file name) of
    // the newest BLS entry; options `$kernelopts` come from the grubenv.
    assert_eq!(
        d.id.as_deref(),
        Some("9af7b02ac08149d985841c07c8ff366e-5.18.0"),
        "{shown}"
    );
    assert_eq!(d.kernel.as_deref(), Some("/boot/vmlinuz-5.18.0"));
    assert_eq!(d.initrds, vec!["/boot/initramfs-5.18.0.img".to_string()]);
    assert_eq!(
        d.args,
        "root=UUID=d0be5cb9-622d-42d5-a531-674aaa120309 ro crashkernel=auto rhgb quiet console=ttyS1,57600n8"
    );
    assert_eq!(
        menu.entries[1].title,
        "CentOS Linux (0-rescue-9af7b02ac08149d985841c07c8ff366e) 8"
    );
}

#[test]
fn centos7_efi_kernel_on_second_partition() {
    // grub.cfg on the ESP (gpt1) finds /boot (gpt2) by UUID: the entry's files live
    // on partition 2.
    let c = corpus().join("u-root/grub");
    let vol = |name: &str, dir: &str| {
        let root = c.join(dir);
        let uuid = std::fs::read_to_string(root.join("UUID"))
            .unwrap()
            .trim()
            .to_string();
        (
            GrubVolume {
                name: name.into(),
                uuid: Some(uuid),
                label: None,
                fs: Some("xfs".into()),
            },
            root,
        )
    };
    let disk = DirDisk {
        vols: vec![
            vol("gpt1", "CentOS_7_x86_64_DVD_1810_efi_install_sda1"),
            vol("gpt2", "CentOS_7_x86_64_DVD_1810_efi_install_sda2"),
        ],
        config: 0,
        lenient: false,
    };
    let (menu, warnings) = eval_disk(&disk, "/EFI/centos/grub.cfg");
    let shown = format!("{}{warnings:?}", render(&menu));
    assert_eq!(menu.entries.len(), 2, "{shown}");
    let d = &menu.entries[menu.default.unwrap()];
    assert_eq!(
        d.kernel.as_deref(),
        Some("/vmlinuz-3.10.0-957.el7.x86_64"),
        "{shown}"
    );
    assert_eq!(
        d.initrds,
        vec!["/initramfs-3.10.0-957.el7.x86_64.img".to_string()]
    );
    assert_eq!(d.partition, Some(2));
}

#[test]
fn systemd_boot_loader_conf() {
    let (menu, _) = eval_tree(
        &corpus().join("u-root/bls/fedora_32"),
        "/loader/loader.conf",
    );
    assert_eq!(menu.entries.len(), 2, "{}", render(&menu));
    let d = &menu.entries[menu.default.unwrap()];
    assert_eq!(d.title, "Fedora 32 (Server Edition)");
    assert_eq!(
        d.id.as_deref(),
        Some("de8380606ce44a2dabad127eb049acbe-5.6.6-300.fc32.x86_64")
    );
    assert_eq!(
        d.kernel.as_deref(),
        Some("/de8380606ce44a2dabad127eb049acbe/5_6_6_300_fc32_x86_64/linux")
    );
    assert!(
        d.args
            .starts_with("root=UUID=b0b50629-c323-40de-9b01-05632be6dbd4 ro"),
        "{}",
        d.args
    );
}

#[test]
fn bls_snippets_of_the_corpus_parse() {
    use xenboot::config::grub2::bls::parse_entry;
    let text =
        std::fs::read_to_string(corpus().join("petitboot/grub2-blscfg-fcos38.conf")).unwrap();
    let e = parse_entry("fcos", &text);
    assert!(e.get("linux").is_some(), "{e:?}");
    assert!(e.get("options").is_some(), "{e:?}");
    for f in [
        "u-root/bls/madeup/loader/entries/entry-1.conf",
        "u-root/bls/typeone/fedora.conf",
    ] {
        let text = std::fs::read_to_string(corpus().join(f)).unwrap();
        assert!(parse_entry("x", &text).keys().next().is_some(), "{f}");
    }
}
