//! Finds `libxenboot.so` for tests that load the shared library (the C programs,
//! the bindgen check, the Python binding). `cargo test` builds the library only as an
//! rlib, so the cdylib is built (or found up to date) once per test process with a
//! nested `cargo build --lib`, in the profile the test runs in.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// `target/<profile>/libxenboot.so`, built from the workspace whose manifest is
/// `manifest`. Panics with cargo's output when the build fails.
pub fn built_cdylib(manifest: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let exe = std::env::current_exe().expect("current_exe");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executables live in target/<profile>/deps")
        .to_path_buf();
    let release = profile.file_name().is_some_and(|n| n == "release");
    let built = BUILT.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "--lib",
            "-p",
            "xenboot",
            "--manifest-path",
            manifest,
        ]);
        if release {
            cmd.arg("--release");
        }
        let out = cmd.output().map_err(|e| format!("cannot run cargo: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    });
    if let Err(e) = built {
        panic!("building libxenboot.so failed:\n{e}");
    }
    let lib = profile.join("libxenboot.so");
    assert!(
        lib.is_file(),
        "{} is missing after cargo build --lib",
        lib.display()
    );
    lib
}
