//! The committed header `include/xenboot.h` must be exactly what cbindgen generates
//! from `src/capi/` (build.rs writes that to `OUT_DIR/xenboot.h`).

use std::path::Path;

#[test]
fn committed_header_matches_cbindgen_output() {
    let generated_path = concat!(env!("OUT_DIR"), "/xenboot.h");
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/xenboot.h");
    let generated = std::fs::read_to_string(generated_path).expect("build.rs wrote the header");
    let committed = std::fs::read_to_string(&committed_path).unwrap_or_default();
    if generated == committed {
        return;
    }
    let first_diff = generated
        .lines()
        .zip(committed.lines().chain(std::iter::repeat("<end of file>")))
        .enumerate()
        .find(|(_, (g, c))| g != c)
        .map(|(i, (g, c))| format!("line {}:\n  generated: {g}\n  committed: {c}", i + 1))
        .unwrap_or_else(|| "the committed header has extra lines at the end".to_string());
    panic!(
        "include/xenboot.h is stale: it differs from what cbindgen generates from src/capi/.\n\
         First difference, {first_diff}\n\
         See everything with: diff -u include/xenboot.h {generated_path}\n\
         Update it with: XENBOOT_BLESS_HEADER=1 cargo build   (then commit include/xenboot.h)"
    );
}

#[test]
fn pkg_config_file_describes_the_library() {
    let pc = std::fs::read_to_string(concat!(env!("OUT_DIR"), "/xenboot.pc"))
        .expect("build.rs wrote xenboot.pc");
    assert!(pc.contains("Libs: -L${libdir} -lxenboot"), "{pc}");
    assert!(
        pc.contains(&format!("Version: {}", env!("CARGO_PKG_VERSION"))),
        "{pc}"
    );
    // pkg-config itself must accept the file.
    let out = std::process::Command::new("pkg-config")
        .args(["--cflags", "--libs", "xenboot"])
        .env("PKG_CONFIG_PATH", env!("OUT_DIR"))
        .output();
    match out {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let flags = String::from_utf8_lossy(&out.stdout);
            assert!(flags.contains("-lxenboot"), "{flags}");
        }
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("note: pkg-config not run ({e})")
        }
        Err(e) => panic!("pkg-config is needed in CI: {e}"),
    }
}
