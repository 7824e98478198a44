//! The filesystem walk shared by the `filesystem` fuzz target and the regression
//! tests of its findings (`tests/fuzz_regressions.rs`): probe any bytes as a
//! filesystem, then list, stat and read what is there, within fixed bounds. Each
//! file read is also located through its host runs, when the filesystem gives them,
//! and the bytes there must be the bytes streamed (else the walk panics: a crash).
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use xenboot::fs::{self, FileKind, Filesystem};
use xenboot::source::{FileSource, MemSource, SharedSource};
use xenboot::Limits;

/// Largest file read.
const MAX_READ: u64 = 1 << 20;

/// Probes `data` and walks it (see [`walk_source`]), from a host file so that host
/// runs are checked too.
pub fn walk(data: &[u8]) {
    // Host runs need a host file: write the image to one (unlinked once open).
    let path = std::env::temp_dir().join(format!(
        "xenboot-walk-{}-{:?}.img",
        std::process::id(),
        std::thread::current().id()
    ));
    std::fs::write(&path, data).expect("writing the image to a temporary file");
    let src = FileSource::open(&path).expect("opening the temporary image");
    let _ = std::fs::remove_file(&path);
    walk_source(
        Arc::new(src),
        &[
            "/boot/grub/grub.cfg",
            "/boot/grub/menu.lst",
            "/extlinux.conf",
        ],
    );
}

/// Probes `image` (in memory: no host runs) and walks it (see [`walk_source`]).
#[allow(dead_code)] // used by the iso9660 and btrfs targets, not by `filesystem`
pub fn walk_image(image: Vec<u8>, paths: &[&str]) {
    walk_source(Arc::new(MemSource::new(image)), paths);
}

/// Probes `src` and walks up to 256 entries, 8 directories deep, of the filesystem
/// found, then reads `paths`. (A directory that contains itself makes paths grow with
/// every level, and every lookup walks the whole path: the depth bound keeps the walk
/// linear.)
pub fn walk_source(src: SharedSource, paths: &[&str]) {
    let limits = Limits::default();
    let Ok(Some(fs)) = fs::probe(src, &limits) else {
        return;
    };
    let _ = (fs.uuid(), fs.label());
    let mut dirs = vec![("/".to_string(), 0)];
    let mut visited = 0;
    while let Some((dir, depth)) = dirs.pop() {
        let Ok(entries) = fs.read_dir(&dir) else {
            continue;
        };
        for e in entries.into_iter().take(64) {
            visited += 1;
            if visited > 256 {
                return;
            }
            let path = format!("{}/{}", dir.trim_end_matches('/'), e.name);
            match fs.stat(&path) {
                Ok(st) if st.kind == FileKind::Dir && dirs.len() < 16 && depth < 8 => {
                    dirs.push((path, depth + 1))
                }
                Ok(st) if st.kind == FileKind::File => read_checked(fs.as_ref(), &path),
                _ => {}
            }
        }
    }
    for p in paths {
        read_checked(fs.as_ref(), p);
    }
}

/// Reads `path` whole; when that works and the file has host runs, the bytes at
/// the runs must be the same.
fn read_checked(fs: &dyn Filesystem, path: &str) {
    let Ok(data) = fs::read_file(fs, path, MAX_READ) else {
        return;
    };
    let Ok(reader) = fs.open(path) else {
        return;
    };
    let Some(host) = reader.host_runs() else {
        return;
    };
    let total = host
        .runs
        .iter()
        .try_fold(0u64, |sum, (_, len)| sum.checked_add(*len));
    assert_eq!(
        total,
        Some(data.len() as u64),
        "{path}: runs cover the file"
    );
    let mut at_runs = vec![0u8; data.len()];
    let mut done = 0usize;
    for (at, len) in &host.runs {
        let end = done + *len as usize;
        host.file
            .read_exact_at(&mut at_runs[done..end], *at)
            .expect("runs lie inside the image");
        done = end;
    }
    assert!(at_runs == data, "{path}: bytes at the host runs differ");
}
