//! Fuzzes the ISO 9660 reader (descriptors, directory records, Rock Ridge, Joliet,
//! multi-extent files): the input is placed at sector 16 behind an empty system
//! area, so every run reaches the descriptor parser; then list, stat and read.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use xenboot::fs::{self, FileKind};
use xenboot::source::MemSource;
use xenboot::Limits;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let mut image = vec![0u8; 16 * 2048];
    image.extend_from_slice(data);
    let Ok(Some(fs)) = fs::probe(Arc::new(MemSource::new(image)), &limits) else {
        return;
    };
    let _ = (fs.uuid(), fs.label());
    let mut dirs = vec!["/".to_string()];
    let mut visited = 0;
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = fs.read_dir(&dir) else { continue };
        for e in entries.into_iter().take(64) {
            visited += 1;
            if visited > 256 {
                return;
            }
            let path = format!("{}/{}", dir.trim_end_matches('/'), e.name);
            match fs.stat(&path) {
                Ok(st) if st.kind == FileKind::Dir && dirs.len() < 16 => dirs.push(path),
                Ok(st) if st.kind == FileKind::File => {
                    let _ = fs::read_file(fs.as_ref(), &path, 1 << 20);
                }
                _ => {}
            }
        }
    }
    for p in ["/isolinux/isolinux.cfg", "/boot/grub/grub.cfg", "/EFI/BOOT/grub.cfg"] {
        let _ = fs::read_file(fs.as_ref(), p, 1 << 20);
    }
});
