//! Build script: sets the shared library's SONAME.
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libxenboot.so.1");
}
