//! The filesystem walk shared by the `filesystem` fuzz target and the regression
//! tests of its findings (`tests/fuzz_regressions.rs`): probe any bytes as a
//! filesystem, then list, stat and read what is there, within fixed bounds.
use std::sync::Arc;
use xenboot::fs::{self, FileKind};
use xenboot::source::MemSource;
use xenboot::Limits;

/// Probes `data` and walks it (see [`walk_image`]).
pub fn walk(data: &[u8]) {
    walk_image(
        data.to_vec(),
        &[
            "/boot/grub/grub.cfg",
            "/boot/grub/menu.lst",
            "/extlinux.conf",
        ],
    );
}

/// Probes `image` and walks up to 256 entries, 8 directories deep, of the filesystem
/// found, then reads `paths`. (A directory that contains itself makes paths grow with
/// every level, and every lookup walks the whole path: the depth bound keeps the walk
/// linear.)
pub fn walk_image(image: Vec<u8>, paths: &[&str]) {
    let limits = Limits::default();
    let Ok(Some(fs)) = fs::probe(Arc::new(MemSource::new(image)), &limits) else {
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
                Ok(st) if st.kind == FileKind::File => {
                    let _ = fs::read_file(fs.as_ref(), &path, 1 << 20);
                }
                _ => {}
            }
        }
    }
    for p in paths {
        let _ = fs::read_file(fs.as_ref(), p, 1 << 20);
    }
}
