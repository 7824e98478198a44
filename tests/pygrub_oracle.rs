//! The real pygrub (Debian's `xen-utils-4.17`) as the oracle of the
//! pygrub-compatible mode: on the same images, with the same options, xenboot must
//! write the same bytes (temporary file names aside) and extract the same bytes.
//! pygrub runs without a hypervisor. The test is skipped, saying why, only when
//! pygrub is absent and `CI` is unset.
mod cli_support;
mod common;

use cli_support::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// pygrub: `$PYGRUB`, else where Debian and upstream install it.
fn pygrub() -> Option<PathBuf> {
    let found = std::env::var_os("PYGRUB")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            [
                "/usr/lib/xen-4.17/bin/pygrub",
                "/usr/lib/xen/bin/pygrub",
                "/usr/local/lib/xen/bin/pygrub",
                "/usr/bin/pygrub",
            ]
            .map(PathBuf::from),
        )
        .find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but pygrub was not found: install xen-utils-4.17 or set PYGRUB"
        );
        eprintln!("SKIPPED: pygrub not found (apt-get install xen-utils-4.17, or set PYGRUB=path)");
    }
    found
}

/// One run of a bootloader: what it printed and wrote, and the files it left.
struct Run {
    out: Output,
    /// The result: the `--output` file, or stdout.
    result: Vec<u8>,
    kernel: Option<PathBuf>,
    ramdisk: Option<PathBuf>,
    files: usize,
}

impl Run {
    /// The result with the random temporary file paths replaced by placeholders.
    fn normalised(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.result).into_owned();
        if let Some(k) = &self.kernel {
            s = s.replace(k.to_str().unwrap(), "<KERNEL>");
        }
        if let Some(r) = &self.ramdisk {
            s = s.replace(r.to_str().unwrap(), "<RAMDISK>");
        }
        s
    }
}

/// Runs `program` (pygrub with `-q`, or xenboot without: it never shows a menu)
/// with libxl's argv; `to_file` selects `--output=FILE --output-format=simple0`,
/// otherwise sxp on stdout.
fn run(program: &[&str], g: &Guest, name: &str, extra: &[&str], to_file: bool) -> Run {
    let dir = g.out_dir(name);
    let out_file = g.dir.path().join(format!("{name}.out"));
    std::fs::write(&out_file, b"").unwrap();
    let mut cmd = Command::new(program[0]);
    cmd.args(&program[1..]);
    if to_file {
        cmd.arg(format!("--output={}", out_file.display()));
        cmd.arg("--output-format=simple0");
    }
    cmd.arg(format!("--output-directory={}", dir.display()));
    cmd.args(extra);
    cmd.arg(g.disk_str());
    let out = cmd.output().unwrap();
    let result = if to_file {
        std::fs::read(&out_file).unwrap()
    } else {
        out.stdout.clone()
    };
    Run {
        result,
        kernel: only_file(&dir, "boot_kernel."),
        ramdisk: only_file(&dir, "boot_ramdisk."),
        files: count_files(&dir),
        out,
    }
}

fn same_bytes(a: &Path, b: &Path) -> bool {
    std::fs::read(a).unwrap() == std::fs::read(b).unwrap()
}

/// Runs both on `g` with every option set and compares.
/// `label` keeps the output directories of different calls apart.
fn compare(pygrub: &Path, g: &Guest, label: &str, cases: &[&[&str]]) {
    let py = pygrub.to_str().unwrap();
    let xb = env!("CARGO_BIN_EXE_xenboot");
    for (i, extra) in cases.iter().enumerate() {
        for to_file in [true, false] {
            let tag = format!("{label}{i}{}", if to_file { "f" } else { "s" });
            let want = run(&[py, "-q"], g, &format!("py-{tag}"), extra, to_file);
            let got = run(&[xb], g, &format!("xb-{tag}"), extra, to_file);
            let ctx = format!(
                "options {extra:?} to_file {to_file}\npygrub: {}\nxenboot: {}",
                show(&want.out),
                show(&got.out)
            );
            assert!(want.out.status.success(), "the oracle failed: {ctx}");
            assert!(got.out.status.success(), "{ctx}");
            assert_eq!(got.normalised(), want.normalised(), "{ctx}");
            assert_eq!(got.files, want.files, "files left: {ctx}");
            match (&got.kernel, &want.kernel) {
                (Some(a), Some(b)) => assert!(same_bytes(a, b), "kernel bytes: {ctx}"),
                (a, b) => assert_eq!(a.is_some(), b.is_some(), "{ctx}"),
            }
            match (&got.ramdisk, &want.ramdisk) {
                (Some(a), Some(b)) => assert!(same_bytes(a, b), "ramdisk bytes: {ctx}"),
                (a, b) => assert_eq!(a.is_some(), b.is_some(), "{ctx}"),
            }
        }
    }
}

/// Runs both with `args` (no output directory) and compares stdout exactly.
fn compare_stdout(pygrub: &Path, args: &[&str]) {
    let want = Command::new(pygrub).arg("-q").args(args).output().unwrap();
    let got = Command::new(env!("CARGO_BIN_EXE_xenboot"))
        .args(args)
        .output()
        .unwrap();
    let ctx = format!("{args:?}\npygrub: {}\nxenboot: {}", show(&want), show(&got));
    assert!(want.status.success(), "the oracle failed: {ctx}");
    assert!(got.status.success(), "{ctx}");
    assert_eq!(
        String::from_utf8_lossy(&got.stdout),
        String::from_utf8_lossy(&want.stdout),
        "{ctx}"
    );
}

const COMMON_CASES: &[&[&str]] = &[
    &[],
    &["--entry=0"],
    &["--entry=1"],
    &["--entry=7"],
    &["--entry=no such entry"],
    &["--args=console=hvc0 earlyprintk=xen"],
    &["--entry=0", "--args=single"],
    &["--kernel=/boot/vmlinuz-old", "--args=root=/dev/xvda2 ro"],
    &["--kernel=/boot/vmlinuz-old", "--ramdisk=/boot/ucode.img"],
    &["--ramdisk=/boot/ucode.img"],
];

#[test]
fn grub_legacy_like_pygrub() {
    let Some(py) = pygrub() else { return };
    let g = guest(&[("boot/grub/menu.lst", MENU_LST)]);
    compare(&py, &g, "common", COMMON_CASES);
    compare(
        &py,
        &g,
        "more",
        &[&["--entry=2"], &["--entry=Old kernel"], &["--entry= 2 "]],
    );
    let d = g.out_dir("n");
    compare_stdout(
        &py,
        &[
            "-n",
            &format!("--output-directory={}", d.display()),
            g.disk_str(),
        ],
    );
    compare_stdout(
        &py,
        &[
            "-l",
            &format!("--output-directory={}", d.display()),
            g.disk_str(),
        ],
    );
}

#[test]
fn extlinux_like_pygrub() {
    let Some(py) = pygrub() else { return };
    let g = guest(&[("boot/extlinux/extlinux.conf", EXTLINUX_CONF)]);
    compare(&py, &g, "common", COMMON_CASES);
    compare(&py, &g, "more", &[&["--entry=old"], &["--entry=linux"]]);
    let d = g.out_dir("n");
    compare_stdout(
        &py,
        &[
            "-n",
            "--entry=0",
            &format!("--output-directory={}", d.display()),
            g.disk_str(),
        ],
    );
}

#[test]
fn grub2_like_pygrub() {
    let Some(py) = pygrub() else { return };
    let g = guest(&[("boot/grub/grub.cfg", GRUB_CFG)]);
    compare(&py, &g, "common", COMMON_CASES);
    compare(&py, &g, "more", &[&["--entry=Debian GNU/Linux"]]);
    let cfg = g.dir.path().join("grub.cfg");
    std::fs::write(&cfg, GRUB_CFG).unwrap();
    let cfg = cfg.to_str().unwrap();
    compare_stdout(&py, &["--isconfig", cfg]);
    compare_stdout(&py, &["--isconfig", "--entry=0", "--args=quiet", cfg]);
}
