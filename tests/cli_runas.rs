//! `xenboot --runas=UID` (libxl's restricted bootloader mode): the guest image is
//! parsed by a copy of xenboot running as UID, which gets the image already opened.
//! Run as root (as CI does) with UID 65534 (nobody) on an image only root can read.
mod cli_support;
mod common;

use cli_support::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const NOBODY: u32 = 65534;

fn is_root() -> bool {
    std::fs::metadata("/proc/self").unwrap().uid() == 0
}

/// A guest whose disk image is mode 0600, owned by root.
fn root_only_guest() -> Guest {
    let g = guest(&[("boot/grub/menu.lst", MENU_LST)]);
    std::fs::set_permissions(&g.disk, std::fs::Permissions::from_mode(0o600)).unwrap();
    g
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

/// Runs `exe` with libxl's restricted argv (`--runas=UID --quiet`, simple0 output
/// to a pre-created file) plus `extra`; returns the output, the bytes written to the
/// output file and the output directory.
fn restricted_run(exe: &Path, g: &Guest, name: &str, extra: &[&str]) -> (Output, Vec<u8>, PathBuf) {
    let out_dir = g.out_dir(name);
    let out_file = g.dir.path().join(format!("{name}.out"));
    std::fs::write(&out_file, b"").unwrap();
    let out = Command::new(exe)
        .arg(format!("--runas={NOBODY}"))
        .arg("--quiet")
        .arg(format!("--output={}", out_file.display()))
        .arg("--output-format=simple0")
        .arg(format!("--output-directory={}", out_dir.display()))
        .args(extra)
        .arg(g.disk_str())
        .output()
        .unwrap();
    let written = std::fs::read(&out_file).unwrap();
    (out, written, out_dir)
}

fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_xenboot"))
}

#[test]
fn runas_nobody_extracts_from_an_image_only_root_can_read() {
    if !is_root() {
        eprintln!("skipped: --runas needs root (CI runs the tests as root)");
        return;
    }
    let g = root_only_guest();
    // nobody itself cannot open the image: whatever the child read, it got from us.
    let direct = Command::new(bin())
        .args(["list", g.disk_str()])
        .uid(NOBODY)
        .gid(NOBODY)
        .output()
        .unwrap();
    assert!(!direct.status.success(), "{}", show(&direct));
    assert!(
        String::from_utf8_lossy(&direct.stderr).contains("ermission denied"),
        "{}",
        show(&direct)
    );

    let (out, written, dir) = restricted_run(&bin(), &g, "a", &[]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(out.stdout.is_empty(), "the result goes to --output only");
    let k = only_file(&dir, "boot_kernel.").expect("one kernel file");
    let r = only_file(&dir, "boot_ramdisk.").expect("one ramdisk file");
    assert_eq!(k.file_name().unwrap().len(), "boot_kernel.".len() + 8);
    assert_eq!(
        String::from_utf8_lossy(&written),
        format!(
            "kernel {}\0ramdisk {}\0args root=/dev/xvda1 ro quiet\0\0",
            k.display(),
            r.display()
        )
    );
    assert_eq!(std::fs::read(&k).unwrap(), g.file("/boot/vmlinuz-6.1"));
    assert_eq!(std::fs::read(&r).unwrap(), g.file("/boot/initrd-6.1"));
    assert_eq!((mode(&k), mode(&r)), (0o600, 0o600));
    let owner = std::fs::metadata(&k).unwrap().uid();
    assert_eq!(owner, 0, "the parent (root) writes the files");
    assert_eq!(count_files(&dir), 2);

    // The same bytes as the unrestricted mode, up to the random file names.
    let plain_dir = g.out_dir("plain");
    let plain = xenboot(&[
        "--quiet",
        "--output-format=simple0",
        &format!("--output-directory={}", plain_dir.display()),
        g.disk_str(),
    ]);
    assert!(plain.status.success(), "{}", show(&plain));
    let pk = only_file(&plain_dir, "boot_kernel.").unwrap();
    let pr = only_file(&plain_dir, "boot_ramdisk.").unwrap();
    let normalise = |s: String, k: &Path, r: &Path| {
        s.replace(&k.display().to_string(), "K")
            .replace(&r.display().to_string(), "R")
    };
    assert_eq!(
        normalise(String::from_utf8_lossy(&written).into_owned(), &k, &r),
        normalise(
            String::from_utf8_lossy(&plain.stdout).into_owned(),
            &pk,
            &pr
        )
    );
}

#[test]
fn runas_honours_entry_args_overrides_and_not_really() {
    if !is_root() {
        eprintln!("skipped: --runas needs root");
        return;
    }
    let g = root_only_guest();
    let (out, written, dir) =
        restricted_run(&bin(), &g, "e", &["--entry=2", "--args=console=hvc0"]);
    assert!(out.status.success(), "{}", show(&out));
    let k = only_file(&dir, "boot_kernel.").unwrap();
    let r = only_file(&dir, "boot_ramdisk.").unwrap();
    assert_eq!(
        String::from_utf8_lossy(&written),
        format!(
            "kernel {}\0ramdisk {}\0args root=/dev/xvda1 ro console=hvc0\0\0",
            k.display(),
            r.display()
        )
    );
    assert_eq!(std::fs::read(&k).unwrap(), g.file("/boot/vmlinuz-old"));
    assert_eq!(std::fs::read(&r).unwrap(), g.file("/boot/ucode.img"));

    // --kernel without --ramdisk: no ramdisk item and no ramdisk file.
    let (out, written, dir) = restricted_run(
        &bin(),
        &g,
        "k",
        &["--kernel=/boot/vmlinuz-old", "--args=root=/dev/xvda2"],
    );
    assert!(out.status.success(), "{}", show(&out));
    let k = only_file(&dir, "boot_kernel.").unwrap();
    assert_eq!(count_files(&dir), 1);
    assert_eq!(
        String::from_utf8_lossy(&written),
        format!("kernel {}\0args root=/dev/xvda2\0\0", k.display())
    );
    assert_eq!(std::fs::read(&k).unwrap(), g.file("/boot/vmlinuz-old"));

    // -n: the child checks the entry, nothing is written; the output is the
    // unrestricted mode's ("kernel None").
    let (out, written, dir) = restricted_run(&bin(), &g, "n", &["-n"]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(count_files(&dir), 0);
    assert_eq!(
        String::from_utf8_lossy(&written),
        "kernel None\0args root=/dev/xvda1 ro quiet\0\0"
    );
    let plain = xenboot(&["-q", "-n", "--output-format=simple0", g.disk_str()]);
    assert_eq!(plain.stdout, written);
}

#[test]
fn runas_works_when_the_binary_sits_in_a_directory_closed_to_the_user() {
    if !is_root() {
        eprintln!("skipped: --runas needs root");
        return;
    }
    let g = root_only_guest();
    // As on a CI machine whose checkout is under /root (mode 0700).
    let closed = g.dir.path().join("closed");
    std::fs::create_dir(&closed).unwrap();
    std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o700)).unwrap();
    let exe = closed.join("xenboot");
    std::fs::copy(bin(), &exe).unwrap();
    let (out, _, dir) = restricted_run(&exe, &g, "c", &[]);
    assert!(out.status.success(), "{}", show(&out));
    let k = only_file(&dir, "boot_kernel.").unwrap();
    assert_eq!(std::fs::read(&k).unwrap(), g.file("/boot/vmlinuz-6.1"));
}

#[test]
fn runas_child_errors_are_passed_through_and_leave_nothing() {
    if !is_root() {
        eprintln!("skipped: --runas needs root");
        return;
    }
    let g = root_only_guest();
    let (out, written, dir) = restricted_run(&bin(), &g, "x", &["--kernel=/boot/missing"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("deprivileged child (--runas=65534) failed"),
        "{err}"
    );
    assert!(err.contains("/boot/missing"), "{err}");
    assert_eq!(count_files(&dir), 0, "no file left behind");
    assert!(written.is_empty());

    // The child's limits are the parent's: a kernel over --max-kernel is refused.
    let (out, _, dir) = restricted_run(&bin(), &g, "l", &["--max-kernel=4096"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert_eq!(count_files(&dir), 0);

    // A garbage image: the child's message names what was tried.
    let junk = g.dir.path().join("junk.img");
    std::fs::write(&junk, common::bytes(7, 1 << 20)).unwrap();
    let out = xenboot(&[&format!("--runas={NOBODY}"), "-q", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Unable to find partition"),
        "{}",
        show(&out)
    );
}

#[test]
fn runas_values_and_modes_as_pygrub() {
    // pygrub accepts only what Python's int() reads; a user name is an error.
    let out = xenboot(&["--runas=nobody", "-q", "/nonexistent.img"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("runas value must be an integer user id"),
        "{}",
        show(&out)
    );
    // Without --entry or -q pygrub refuses --runas.
    let out = xenboot(&["--runas=65534", "/nonexistent.img"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("must also set --entry or -q"));
    // The parent opens the image and says so when it cannot.
    let out = xenboot(&["--runas=65534", "-q", "/nonexistent.img"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot open /nonexistent.img"),
        "{}",
        show(&out)
    );
    if !is_root() {
        return;
    }
    // --runas=0 is pygrub's "no deprivileging": the ordinary path.
    let g = root_only_guest();
    let d = g.out_dir("zero");
    let out = xenboot(&[
        "--runas=0",
        "-q",
        &format!("--output-directory={}", d.display()),
        g.disk_str(),
    ]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(count_files(&d), 2);
    // The hidden child mode refuses to run with privileges.
    let out = Command::new(bin())
        .args(["--xenboot-runas-child", "65534", "-q", "--", g.disk_str()])
        .stdin(std::fs::File::open(&g.disk).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "no guest data was sent");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not deprivileged"),
        "{}",
        show(&out)
    );
}

/// Runs `setpriv ARGS… xenboot ARGS…` (util-linux) with `stdin`.
fn setpriv(privs: &[&str], args: &[&str], stdin: &Path) -> Output {
    Command::new("setpriv")
        .args(privs)
        .arg(bin())
        .args(args)
        .stdin(std::fs::File::open(stdin).unwrap())
        .output()
        .expect("setpriv (util-linux) is needed")
}

#[test]
fn supplementary_groups_are_dropped_and_checked() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let g = root_only_guest();
    // A root parent holding supplementary groups: the child must not inherit them
    // (std's CommandExt::uid clears them as root), or it refuses to work.
    let d = g.out_dir("groups");
    let disk = g.disk_str();
    let dir_arg = format!("--output-directory={}", d.display());
    let out = setpriv(
        &["--groups=4,27", "--reuid=0", "--regid=0", "--"],
        &["--runas=65534", "-q", &dir_arg, disk],
        &g.disk,
    );
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(count_files(&d), 2);

    // The child's own check: a stray group is refused, none is accepted.
    let child = ["--xenboot-runas-child", "65534", "-q", "--", disk];
    let out = setpriv(
        &["--reuid=65534", "--regid=65534", "--groups=4", "--"],
        &child,
        &g.disk,
    );
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(out.stdout.is_empty());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not deprivileged"),
        "{}",
        show(&out)
    );
    let out = setpriv(
        &["--reuid=65534", "--regid=65534", "--clear-groups", "--"],
        &child,
        &g.disk,
    );
    assert!(out.status.success(), "{}", show(&out));
    let line_end = out.stdout.iter().position(|b| *b == b'\n').unwrap();
    let header: serde_json::Value = serde_json::from_slice(&out.stdout[..line_end]).unwrap();
    let kernel = g.file("/boot/vmlinuz-6.1");
    assert_eq!(header["kernel_len"], kernel.len() as u64);
    assert_eq!(header["title"], "Debian GNU/Linux, kernel 6.1");
    assert_eq!(
        &out.stdout[line_end + 1..line_end + 1 + kernel.len()],
        &kernel[..]
    );
    let initrd = g.file("/boot/initrd-6.1");
    assert_eq!(&out.stdout[line_end + 1 + kernel.len()..], &initrd[..]);
}
