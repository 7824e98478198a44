//! Fuzzes the qcow2 reader: any bytes as an image file (header, extensions, L1/L2
//! walk, compressed clusters), then reads of a few ranges of the virtual disk.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use xenboot::source::qcow2::Backing;
use xenboot::source::{ByteSource, MemSource, Qcow2Source};

fuzz_target!(|data: &[u8]| {
    let file = Arc::new(MemSource::new(data.to_vec()));
    let Ok(q) = Qcow2Source::open(file, None, Backing::Refuse) else {
        return;
    };
    let len = q.len();
    let mut buf = vec![0u8; 70_000];
    for (off, n) in [
        (0, 512),
        (0, 70_000),
        (len / 2, 4096),
        (len.saturating_sub(1000), 1000),
        (len.saturating_sub(10), 20),
    ] {
        let n = n.min(buf.len());
        let fits = off.checked_add(n as u64).is_some_and(|e| e <= len);
        let r = q.read_at(off, &mut buf[..n]);
        // Reads inside the disk may fail on corrupt tables; reads past it must fail.
        assert!(fits || r.is_err());
    }
});
