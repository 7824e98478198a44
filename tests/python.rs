//! Runs the Python binding's tests (`python/tests`, pytest) against the
//! `libxenboot.so` cargo built, with `XENBOOT_LIB` pointing at it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/<profile>` with `libxenboot.so` built in it: `cargo test` builds the
/// library only as an rlib, so the cdylib is built (or found up to date) with a
/// nested `cargo build --lib`, as tests/capi.rs does.
fn built_library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(Path::parent).unwrap().to_path_buf();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--lib", "-p", "xenboot", "--manifest-path"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
    if dir.file_name().is_some_and(|n| n == "release") {
        cmd.arg("--release");
    }
    let out = cmd.output().expect("cannot run cargo");
    assert!(
        out.status.success(),
        "building libxenboot.so failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lib = dir.join("libxenboot.so");
    assert!(lib.is_file(), "{} is missing", lib.display());
    lib
}

/// A Python 3 that has pytest: the system's `/usr/bin/python3` first (where
/// scripts/install-test-deps.sh installs python3-pytest), then `python3` on PATH.
fn python_with_pytest() -> String {
    let candidates = ["/usr/bin/python3", "python3"];
    for py in candidates {
        let ok = Command::new(py)
            .args(["-c", "import pytest"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return py.to_string();
        }
    }
    panic!(
        "no python3 with pytest among {candidates:?}: run scripts/install-test-deps.sh \
         (Debian package python3-pytest)"
    );
}

#[test]
fn python_binding_pytest_suite() {
    let lib = built_library();
    let py = python_with_pytest();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(&py)
        .args([
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "python/tests",
        ])
        .current_dir(root)
        .env("XENBOOT_LIB", &lib)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {py}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pytest failed ({py}, XENBOOT_LIB={}):\n{stdout}\n{}",
        lib.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    // A run that collected nothing must not pass.
    assert!(stdout.contains(" passed"), "{stdout}");
    assert!(!stdout.contains("failed"), "{stdout}");
}
