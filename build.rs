//! Build script: sets the shared library's SONAME, generates the C header with
//! cbindgen and a pkg-config file.
//!
//! Outputs (in `OUT_DIR`): `xenboot.h` (what `include/xenboot.h` must equal; the test
//! `tests/header.rs` compares them) and `xenboot.pc`. With `XENBOOT_BLESS_HEADER=1` the
//! header is also copied to `include/xenboot.h`. `xenboot.pc` uses the prefix from
//! `XENBOOT_PREFIX` (default `/usr/local`); an installer copies it to
//! `$PREFIX/lib/pkgconfig/` next to `libxenboot.so.1`.

use std::env;
use std::fs;
use std::path::PathBuf;

/// The ABI major version: the number in the SONAME `libxenboot.so.N`.
const ABI_VERSION: u32 = 1;

fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libxenboot.so.{ABI_VERSION}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src/capi");
    println!("cargo:rerun-if-env-changed=XENBOOT_BLESS_HEADER");
    println!("cargo:rerun-if-env-changed=XENBOOT_PREFIX");

    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let version = env::var("CARGO_PKG_VERSION").expect("CARGO_PKG_VERSION");
    let part = |name: &str| env::var(name).expect("CARGO_PKG_VERSION_*");

    let config = cbindgen::Config::from_file(manifest.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    let macros = format!(
        "\n/* Version of the library this header belongs to. */\n\
         #define XENBOOT_VERSION_MAJOR {}\n\
         #define XENBOOT_VERSION_MINOR {}\n\
         #define XENBOOT_VERSION_PATCH {}\n\
         #define XENBOOT_VERSION_STRING \"{version}\"\n\
         /* ABI version: the N of the SONAME libxenboot.so.N. */\n\
         #define XENBOOT_ABI_VERSION {ABI_VERSION}\n\
         /* `default_index` of xenboot_list() when the menu has no entries. */\n\
         #define XENBOOT_NO_INDEX SIZE_MAX\n",
        part("CARGO_PKG_VERSION_MAJOR"),
        part("CARGO_PKG_VERSION_MINOR"),
        part("CARGO_PKG_VERSION_PATCH"),
    );
    let header = out.join("xenboot.h");
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(manifest.join("src/capi/mod.rs"))
        .with_after_include(macros)
        .generate()
        .expect("cbindgen could not generate the header from src/capi/")
        .write_to_file(&header);
    if env::var("XENBOOT_BLESS_HEADER").as_deref() == Ok("1") {
        fs::copy(&header, manifest.join("include/xenboot.h"))
            .expect("cannot write include/xenboot.h");
    }

    let prefix = env::var("XENBOOT_PREFIX").unwrap_or_else(|_| "/usr/local".to_string());
    let pc = format!(
        "prefix={prefix}\n\
         exec_prefix=${{prefix}}\n\
         libdir=${{exec_prefix}}/lib\n\
         includedir=${{prefix}}/include\n\
         \n\
         Name: xenboot\n\
         Description: {}\n\
         Version: {version}\n\
         Libs: -L${{libdir}} -lxenboot\n\
         Cflags: -I${{includedir}}\n",
        env::var("CARGO_PKG_DESCRIPTION").unwrap_or_default()
    );
    fs::write(out.join("xenboot.pc"), pc).expect("cannot write xenboot.pc");
}
