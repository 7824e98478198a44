//! Generates Rust bindings from the COMMITTED header `include/xenboot.h` — not from the
//! Rust source — so that the tests of this crate trust only what C callers see.
//!
//! Why a separate workspace member: bindgen has to run in a build script, and a
//! build script cannot use dev-dependencies; making bindgen a build-dependency of the
//! library itself would force libclang on everyone who builds libxenboot. Here it is
//! needed only by `cargo test --workspace`.
//!
//! Why dynamic loading (`dynamic_library_name`): the bindings open
//! `target/<profile>/libxenboot.so` with dlopen at run time, so this crate needs no
//! link-time ordering against the root crate's cdylib (cargo would not build that
//! first for a crate that does not depend on it), it exercises exactly the shared
//! object C programs load, and with `dynamic_link_require_all` every function the
//! header declares must exist in the library or loading fails.

use std::env;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let header = manifest.join("../../include/xenboot.h");
    println!("cargo:rerun-if-changed={}", header.display());
    let bindings = bindgen::Builder::default()
        .header(header.to_str().expect("UTF-8 path"))
        .allowlist_item("(xenboot|XENBOOT)_.*")
        .prepend_enum_name(false)
        .dynamic_library_name("Xenboot")
        .dynamic_link_require_all(true)
        .generate()
        .expect("bindgen could not parse include/xenboot.h (is libclang installed?)");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("xenboot.rs");
    bindings
        .write_to_file(&out)
        .expect("cannot write the bindings");
}
