//! Fuzzes MBR/EBR and GPT discovery: any bytes as a disk.
#![no_main]
use libfuzzer_sys::fuzz_target;
use xenboot::source::{ByteSource, MemSource};
use xenboot::Limits;

fuzz_target!(|data: &[u8]| {
    let disk = MemSource::new(data.to_vec());
    if let Ok(layout) = xenboot::disk::discover(&disk, &Limits::default()) {
        for v in &layout.volumes {
            // Every volume must lie inside the disk.
            assert!(v
                .offset
                .checked_add(v.len)
                .is_some_and(|end| end <= disk.len()));
        }
    }
});
