//! Guest images and helpers shared by the CLI tests (`tests/cli.rs`) and the pygrub
//! oracle (`tests/pygrub_oracle.rs`): an ext4 filesystem in MBR partition 1 holding
//! two kernels and two initrds of pseudo-random bytes and one boot configuration.
#![allow(dead_code)]

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// GRUB legacy `menu.lst`: default is entry 1; every entry has an initrd.
pub const MENU_LST: &str = "\
# menu.lst written by a test
default 1
timeout 3

title Debian GNU/Linux, kernel 6.1 (single-user mode)
\troot (hd0,0)
\tkernel /boot/vmlinuz-6.1 root=/dev/xvda1 ro single
\tinitrd /boot/initrd-6.1

title Debian GNU/Linux, kernel 6.1
\troot (hd0,0)
\tkernel /boot/vmlinuz-6.1 root=/dev/xvda1 ro quiet
\tinitrd /boot/initrd-6.1

title Old kernel
\troot (hd0,0)
\tkernel /boot/vmlinuz-old root=/dev/xvda1 ro
\tinitrd /boot/ucode.img
";

/// extlinux with the initrd inside APPEND (the form pygrub understands), default
/// `linux`, and an entry without initrd.
pub const EXTLINUX_CONF: &str = "\
DEFAULT linux
TIMEOUT 30

LABEL old
  KERNEL /boot/vmlinuz-old
  APPEND root=/dev/xvda1 ro

LABEL linux
  KERNEL /boot/vmlinuz-6.1
  APPEND initrd=/boot/initrd-6.1 root=/dev/xvda1 ro quiet
";

/// extlinux with two initrds on an INITRD line (concatenated into one ramdisk).
pub const EXTLINUX_TWO_INITRDS: &str = "\
DEFAULT linux
LABEL linux
  KERNEL /boot/vmlinuz-6.1
  INITRD /boot/ucode.img,/boot/initrd-6.1
  APPEND root=/dev/xvda1 ro console=hvc0
LABEL old
  KERNEL /boot/vmlinuz-old
  APPEND root=/dev/xvda1
";

/// GRUB 2, simple enough for pygrub's own parser: default 1.
pub const GRUB_CFG: &str = "\
set default=\"1\"
set timeout=5
insmod part_msdos
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --id gnulinux-simple {
\tinsmod ext2
\tset root='hd0,msdos1'
\tlinux\t/boot/vmlinuz-6.1 root=/dev/xvda1 ro quiet
\tinitrd\t/boot/initrd-6.1
}
menuentry 'Debian GNU/Linux (old kernel)' --class debian {
\tinsmod ext2
\tlinux\t(hd0,msdos1)/boot/vmlinuz-old root=/dev/xvda1 ro
\tinitrd\t(hd0,msdos1)/boot/ucode.img
}
";

/// GRUB 2 with a submenu and several initrds on one line.
pub const GRUB_CFG_SUBMENU: &str = "\
set default='1>0'
menuentry 'Debian GNU/Linux' --id gnulinux-simple {
\tlinux /boot/vmlinuz-6.1 root=/dev/xvda1 ro quiet
\tinitrd /boot/initrd-6.1
}
submenu 'Advanced options for Debian GNU/Linux' --id gnulinux-advanced {
\tmenuentry 'Debian GNU/Linux, with Linux old' --id gnulinux-old {
\t\tlinux (hd0,msdos1)/boot/vmlinuz-old root=/dev/xvda1 ro single
\t\tinitrd (hd0,msdos1)/boot/ucode.img /boot/initrd-6.1
\t}
}
";

/// A guest disk built in a scratch directory.
pub struct Guest {
    /// Keeps the scratch directory alive.
    pub dir: tempfile::TempDir,
    /// The disk image (MBR, ext4 in partition 1).
    pub disk: PathBuf,
    /// The tree copied into the filesystem.
    pub tree: PathBuf,
}

impl Guest {
    /// Bytes of a file of the guest tree (`/boot/vmlinuz-6.1` …).
    pub fn file(&self, path: &str) -> Vec<u8> {
        std::fs::read(self.tree.join(path.trim_start_matches('/'))).unwrap()
    }

    /// The disk path as a string.
    pub fn disk_str(&self) -> &str {
        self.disk.to_str().unwrap()
    }

    /// A fresh empty directory inside the scratch directory.
    pub fn out_dir(&self, name: &str) -> PathBuf {
        let d = self.dir.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    }
}

/// Builds a guest with the kernels and initrds and `configs` (path, text).
pub fn guest(configs: &[(&str, &str)]) -> Guest {
    let dir = scratch();
    let tree = dir.path().join("tree");
    let k = bytes(1, (3 << 20) + 123);
    let old = bytes(2, (1 << 20) + 7);
    let initrd = bytes(3, (2 << 20) + 5);
    let ucode = bytes(4, 100_003);
    let mut files: Vec<(&str, &[u8])> = vec![
        ("boot/vmlinuz-6.1", &k),
        ("boot/vmlinuz-old", &old),
        ("boot/initrd-6.1", &initrd),
        ("boot/ucode.img", &ucode),
    ];
    for (p, text) in configs {
        files.push((p, text.as_bytes()));
    }
    write_tree(&tree, &files);
    let part = dir.path().join("part.img");
    mkfs_ext("ext4", &tree, 24, &part);
    let disk = dir.path().join("disk.img");
    mbr_disk(&[Part::with_image(&part, "83")], &disk);
    Guest { dir, disk, tree }
}

/// Runs the built `xenboot` with `args`.
pub fn xenboot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xenboot"))
        .args(args)
        .output()
        .expect("run xenboot")
}

/// Stdout and stderr of `out`, for assertion messages.
pub fn show(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The single file in `dir` whose name starts with `prefix`, if exactly one.
pub fn only_file(dir: &Path, prefix: &str) -> Option<PathBuf> {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix))
        })
        .collect();
    match found.as_slice() {
        [one] => Some(one.clone()),
        _ => None,
    }
}

/// Number of entries in `dir`.
pub fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).unwrap().count()
}
