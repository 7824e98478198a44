//! Fuzzes every filesystem reader: probe, then list, stat and read what is there.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "walk.rs"]
mod walk;

fuzz_target!(|data: &[u8]| walk::walk(data));
