//! Runs the Python binding's tests (`python/tests`, pytest) against the
//! `libxenboot.so` cargo built, with `XENBOOT_LIB` pointing at it.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/cdylib.rs"]
mod cdylib;

/// The `libxenboot.so` cargo built.
fn built_library() -> PathBuf {
    cdylib::built_cdylib(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
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
