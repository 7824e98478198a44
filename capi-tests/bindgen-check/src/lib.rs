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

/// `target/<profile>/libxenboot.so`, found from the running test executable
/// (`target/<profile>/deps/NAME-HASH`).
pub fn library_path() -> PathBuf {
    let exe = std::env::current_exe().expect("current_exe");
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .expect("test executables live in target/<profile>/deps");
    profile.join("libxenboot.so")
}

/// Loads the library through the header's declarations; fails if any function the
/// header declares is missing from it.
pub fn load() -> Xenboot {
    let path = library_path();
    assert!(
        path.is_file(),
        "{} is missing: run `cargo test --workspace` (which builds the cdylib) or `cargo build`",
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
