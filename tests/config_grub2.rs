//! GRUB 2 first cut against real configurations of `shared/corpus` (defaults
//! checked by hand against GRUB's semantics).

mod common;

use common::{corpus, parse_host};
use std::path::{Path, PathBuf};
use xenboot::config::Language;
use xenboot::{Entry, Menu};

/// Parses `path` inside the host directory `root`.
fn parse_in(root: &Path, path: &str) -> (Menu, Vec<String>) {
    parse_host(Language::Grub2, root, path)
        .unwrap_or_else(|e| panic!("{}{path}: {e}", root.display()))
}

/// Warnings other than those a host directory causes: it is no real disk, so
/// `search --fs-uuid` finds nothing there.
fn real_warnings(w: Vec<String>) -> Vec<String> {
    w.into_iter()
        .filter(|w| !w.contains("search: no such device"))
        .collect()
}

fn default_entry(m: &Menu) -> &Entry {
    &m.entries[m.default.expect("a default")]
}

/// The expected default entry.
struct Want {
    index: usize,
    entries: usize,
    title: &'static str,
    kernel: &'static str,
    initrds: &'static [&'static str],
    args: &'static str,
    partition: Option<u32>,
}

fn check(root: &str, path: &str, want: Want) -> Menu {
    let (m, w) = parse_in(&corpus().join(root), path);
    let w = real_warnings(w);
    assert!(w.is_empty(), "{root}{path}: {w:?}");
    assert_eq!(m.entries.len(), want.entries, "{root}{path}");
    assert_eq!(m.default, Some(want.index), "{root}{path}");
    let e = default_entry(&m);
    assert_eq!(e.title, want.title, "{root}{path}");
    assert_eq!(e.kernel.as_deref(), Some(want.kernel), "{root}{path}");
    assert_eq!(e.initrds, want.initrds, "{root}{path}");
    assert_eq!(e.args, want.args, "{root}{path}");
    // A host directory is one whole-disk volume, so `set root='hd0,msdos1'` leads
    // there and the entry names no partition of its own.
    assert!(
        e.partition.is_none() || e.partition == want.partition,
        "{root}{path}"
    );
    assert!(e.is_bootable(), "{root}{path}");
    m
}

#[test]
fn pygrub_debian_wheezy() {
    // `set root='(/dev/xvda,msdos1)'` names a device map entry written inside an HVM
    // guest: GRUB 2.06 (grub-emu, tests/grub2_emu.rs) cannot load that kernel, and
    // neither do we; the entry stays listed, not bootable.
    let (m, w) = parse_in(&corpus().join("pygrub"), "/debian-wheezy-hvm.grub2");
    assert_eq!(m.entries.len(), 2);
    assert_eq!(m.default, Some(0));
    let e = default_entry(&m);
    assert_eq!(e.title, "Debian GNU/Linux, with Linux 3.2.0-4-amd64");
    assert!(!e.is_bootable());
    assert!(
        w.iter()
            .any(|w| w.contains("disk `/dev/xvda,msdos1' not found")),
        "{w:?}"
    );
}

#[test]
fn pygrub_fedora_16_xen_submenu_is_not_bootable() {
    let m = check(
        "pygrub",
        "/fedora-16-with-xen.grub2",
        Want {
            index: 0,
            entries: 4,
            title: "Fedora Linux, with Linux 3.1.0-0.rc9.git0.0.fc16.x86_64",
            kernel: "/vmlinuz-3.1.0-0.rc9.git0.0.fc16.x86_64",
            initrds: &["/initramfs-3.1.0-0.rc9.git0.0.fc16.x86_64.img"],
            args:
                "root=/dev/mapper/VolGroup-lv_root ro rd.md=0 rd.dm=0 rd.lvm.lv=VolGroup/lv_swap \
                   quiet SYSFONT=latarcyrheb-sun16 rhgb rd.lvm.lv=VolGroup/lv_root rd.luks=0 \
                   KEYTABLE=uk LANG=en_US.UTF-8",
            partition: Some(2),
        },
    );
    let xen = &m.entries[2];
    assert_eq!(xen.submenu, vec!["Xen 4.1".to_string()]);
    assert_eq!(xen.position, vec![2, 0]);
    assert!(xen.not_bootable.as_deref().unwrap().contains("multiboot"));
    assert_eq!(m.submenus[0].title, "Xen 4.1");
}

#[test]
fn pygrub_fedora_19_and_rhel_7() {
    let m = check(
        "pygrub",
        "/fedora-19.grub2",
        Want {
            index: 0,
            entries: 2,
            title: "Fedora, with Linux 3.9.6-301.fc19.i686.PAE",
            kernel: "/vmlinuz-3.9.6-301.fc19.i686.PAE",
            initrds: &["/initramfs-3.9.6-301.fc19.i686.PAE.img"],
            args: "root=/dev/mapper/fedora-root ro rd.lvm.lv=fedora/swap rd.md=0 rd.dm=0 \
                   vconsole.keymap=us rd.luks=0 vconsole.font=latarcyrheb-sun16 rd.lvm.lv=fedora/root",
            partition: Some(1),
        },
    );
    assert_eq!(
        m.entries[0].id.as_deref(),
        Some("gnulinux-3.9.6-301.fc19.i686.PAE-advanced-738519ba-06da-4402-9b68-a1c1efada512")
    );
    check(
        "pygrub",
        "/rhel-7-beta.grub2",
        Want {
            index: 0,
            entries: 2,
            title: "Red Hat Enterprise Linux Everything, with Linux 3.10.0-54.0.1.el7.x86_64",
            kernel: "/vmlinuz-3.10.0-54.0.1.el7.x86_64",
            initrds: &["/initramfs-3.10.0-54.0.1.el7.x86_64.img"],
            args: "root=/dev/mapper/rhel-root ro rd.lvm.lv=rhel/swap vconsole.keymap=uk \
                   crashkernel=auto rd.lvm.lv=rhel/root vconsole.font=latarcyrheb-sun16 LANG=en_GB.UTF-8",
            partition: Some(1),
        },
    );
}

#[test]
fn pygrub_ubuntu_14_04_lvm_root() {
    let m = check(
        "pygrub",
        "/ubuntu-14.04-lts.grub2",
        Want {
            index: 0,
            entries: 5,
            title: "Ubuntu",
            kernel: "/vmlinuz-3.13.0-44-generic",
            initrds: &["/initrd.img-3.13.0-44-generic"],
            args: "root=/dev/mapper/BoxenSys00-root ro biosdevname=0 quiet",
            partition: None,
        },
    );
    assert!(m.entries[3]
        .not_bootable
        .as_deref()
        .unwrap()
        .contains("knetbsd"));
    assert_eq!(m.entries[2].position, vec![1, 1]);
}

#[test]
fn petitboot_ubuntu_13_04() {
    check(
        "petitboot",
        "/grub2-ubuntu-13_04-x86.conf",
        Want {
            index: 0,
            entries: 5,
            title: "Kubuntu GNU/Linux",
            kernel: "/boot/vmlinuz-3.8.0-19-generic",
            initrds: &["/boot/initrd.img-3.8.0-19-generic"],
            args: "root=UUID=29beca39-9181-4780-bbb2-ab5d4be59aaf ro quiet splash vt.handoff=7",
            partition: Some(1),
        },
    );
}

const DEBIAN10: &str = "u-root/grub/debian_10_4_installed";
const CENTOS7: &str = "u-root/grub/CentOS_7_x86_64_DVD_1810_legacy_install_sda1";

#[test]
fn uroot_debian_10() {
    check(
        DEBIAN10,
        "/boot/grub/grub.cfg",
        Want {
            index: 0,
            entries: 3,
            title: "Debian GNU/Linux",
            kernel: "/boot/vmlinuz-4.19.0-9-amd64",
            initrds: &["/boot/initrd.img-4.19.0-9-amd64"],
            args: "root=UUID=39ec20e2-83f5-44ce-8671-f31ce0856377 ro console=ttyS0 quiet",
            partition: Some(1),
        },
    );
}

#[test]
fn uroot_centos_7() {
    check(
        CENTOS7,
        "/grub2/grub.cfg",
        Want {
            index: 0,
            entries: 2,
            title: "CentOS Linux (3.10.0-957.el7.x86_64) 7 (Core)",
            kernel: "/vmlinuz-3.10.0-957.el7.x86_64",
            initrds: &["/initramfs-3.10.0-957.el7.x86_64.img"],
            args: "root=/dev/mapper/centos-root ro crashkernel=auto rd.lvm.lv=centos/root \
                   rd.lvm.lv=centos/swap console=ttyS0,115200,8n1 LANG=en_US.UTF-8",
            partition: Some(1),
        },
    );
}

#[test]
fn uroot_ubuntu_16_04() {
    let m = check(
        "u-root/grub/ubuntu_16_04_boot",
        "/grub/grub.cfg",
        Want {
            index: 0,
            entries: 8,
            title: "Ubuntu",
            kernel: "/vmlinuz-4.10.0-42-generic.efi.signed",
            initrds: &["/initrd.img-4.10.0-42-generic"],
            args: "root=/dev/mapper/ubuntu--vg-root ro quiet splash vt.handoff=7",
            partition: None,
        },
    );
    assert_eq!(m.timeout, Some(0));
}

/// Copies a corpus configuration into a temporary tree with a `grubenv` beside it.
fn with_grubenv(root: &str, path: &str, env: &[u8]) -> (tempfile::TempDir, Menu, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let dst = dir.path().join(path.trim_start_matches('/'));
    std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
    std::fs::copy(corpus().join(root).join(path.trim_start_matches('/')), &dst).unwrap();
    std::fs::write(dst.with_file_name("grubenv"), env).unwrap();
    let (m, w) = parse_in(dir.path(), path);
    (dir, m, w)
}

fn block(vars: &str) -> Vec<u8> {
    let mut b = format!("# GRUB Environment Block\n{vars}").into_bytes();
    b.resize(1024, b'#');
    b
}

#[test]
fn grubenv_saved_entry_and_next_entry() {
    let env =
        block("saved_entry=CentOS Linux (0-rescue-d2794e72bf4d44508b9ba5d447dd14ff) 7 (Core)\n");
    let (_d, m, w) = with_grubenv(CENTOS7, "/grub2/grub.cfg", &env);
    let w = real_warnings(w);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(m.default, Some(1));
    // next_entry wins over saved_entry, by id.
    let env = block(
        "saved_entry=0\nnext_entry=gnulinux-0-rescue-d2794e72bf4d44508b9ba5d447dd14ff-advanced-\
         ffd7b098-0f05-47f3-831b-78d99f4e1c5d\n",
    );
    let (_d, m, _) = with_grubenv(CENTOS7, "/grub2/grub.cfg", &env);
    assert_eq!(m.default, Some(1));
    // A submenu path of ids into Debian's "Advanced options".
    let env = block(
        "next_entry=gnulinux-advanced-39ec20e2-83f5-44ce-8671-f31ce0856377>\
         gnulinux-4.19.0-9-amd64-recovery-39ec20e2-83f5-44ce-8671-f31ce0856377\n",
    );
    let (_d, m, w) = with_grubenv(DEBIAN10, "/boot/grub/grub.cfg", &env);
    let w = real_warnings(w);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(m.default, Some(2));
    assert_eq!(
        m.entries[2].args,
        "root=UUID=39ec20e2-83f5-44ce-8671-f31ce0856377 ro single console=ttyS0"
    );
    let env = block("next_entry=1>0\n");
    let (_d, m, _) = with_grubenv(DEBIAN10, "/boot/grub/grub.cfg", &env);
    assert_eq!(m.default, Some(1));
}

#[test]
fn grubby_grubenv_with_unknown_saved_title_falls_back() {
    let env = std::fs::read(corpus().join("grubby/grub2-support_files/grubenv.3")).unwrap();
    let (_d, m, w) = with_grubenv("grubby", "/grub2.18", &env);
    let w = real_warnings(w);
    assert_eq!(m.default, Some(0));
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("with debugging"));
}

/// Every GRUB 2 configuration of the corpus parses without an error.
#[test]
fn every_corpus_grub2_file_parses() {
    let c = corpus();
    let mut files: Vec<(PathBuf, String)> = Vec::new();
    for (dir, prefix) in [("grubby", "grub2."), ("petitboot", "grub2-")] {
        for e in std::fs::read_dir(c.join(dir)).unwrap() {
            let n = e.unwrap().file_name().into_string().unwrap();
            if n.starts_with(prefix) && !n.ends_with("support_files") {
                files.push((c.join(dir), format!("/{n}")));
            }
        }
    }
    for e in std::fs::read_dir(c.join("u-root/grub")).unwrap() {
        let top = e.unwrap().path();
        let mut stack = vec![top.clone()];
        while let Some(d) = stack.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for f in rd {
                let p = f.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.file_name().unwrap() == "grub.cfg" {
                    let rel = p.strip_prefix(&top).unwrap().to_str().unwrap();
                    files.push((top.clone(), format!("/{rel}")));
                }
            }
        }
    }
    assert_eq!(
        files.len(),
        42,
        "24 grubby, 6 petitboot, 12 u-root configurations"
    );
    let mut with_entries = 0;
    for (root, path) in &files {
        let (m, _) = parse_in(root, path);
        if !m.entries.is_empty() {
            with_entries += 1;
            assert!(m.default.is_some_and(|d| d < m.entries.len()), "{path}");
        }
    }
    // Without entries: the BLS-only snippet (its BLS directory is not in the corpus)
    // and RHEL 8 ppc, whose `--users $grub_users` with the variable unset GRUB 2.06
    // rejects ("missing mandatory option", seen in grub-emu).
    assert_eq!(with_entries, files.len() - 2);
}
