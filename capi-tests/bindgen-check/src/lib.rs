//! Rust bindings of `include/xenboot.h` made by bindgen (see `build.rs`), and a loader
//! for the `libxenboot.so` cargo built. Test-only crate.

#[allow(
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    dead_code,
    unsafe_op_in_unsafe_fn,
    clippy::all
)]
mod ffi {
    include!(concat!(env!("OUT_DIR"), "/xenboot.rs"));
}
pub use ffi::*;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// `target/<profile>/libxenboot.so`, found from the running test executable
/// (`target/<profile>/deps/NAME-HASH`). `cargo test` does not build the root crate's
/// cdylib, so it is built (or found up to date) here with a nested
/// `cargo build --lib -p xenboot`, once per process.
pub fn library_path() -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let exe = std::env::current_exe().expect("current_exe");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executables live in target/<profile>/deps");
    let release = profile.file_name().is_some_and(|n| n == "release");
    let built = BUILT.get_or_init(|| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--lib", "-p", "xenboot", "--manifest-path"])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml"));
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
    profile.join("libxenboot.so")
}

/// Loads the library through the header's declarations; fails if any function the
/// header declares is missing from it.
pub fn load() -> Xenboot {
    let path = library_path();
    assert!(
        path.is_file(),
        "{} is missing after cargo build --lib",
        path.display()
    );
    // SAFETY: loading our own library runs no foreign initialisers beyond Rust's std.
    unsafe { Xenboot::new(&path) }.unwrap_or_else(|e| {
        panic!(
            "cannot load {} with the header's symbols: {e}",
            path.display()
        )
    })
}
