//! Every input a fuzzer found to crash, hang or run slowly stays here as a test:
//! `tests/fuzz-regressions/TARGET/*` run through the same code as the fuzz target,
//! each within a time bound (debug build).

use std::time::{Duration, Instant};

#[path = "../fuzz/fuzz_targets/walk.rs"]
mod walk;

fn inputs(target: &str) -> Vec<std::path::PathBuf> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    let mut v: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn filesystem_findings_end_quickly() {
    let files = inputs("filesystem");
    assert!(!files.is_empty());
    for f in files {
        let data = std::fs::read(&f).unwrap();
        let start = Instant::now();
        walk::walk(&data);
        let took = start.elapsed();
        assert!(
            took < Duration::from_secs(5),
            "{} took {took:?}",
            f.display()
        );
    }
}
