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

use std::path::PathBuf;

#[path = "../../../tests/support/cdylib.rs"]
mod cdylib;

/// The `libxenboot.so` cargo built (`target/<profile>/libxenboot.so`).
pub fn library_path() -> PathBuf {
    cdylib::built_cdylib(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml"))
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
