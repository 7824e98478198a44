//! Fuzzes the syslinux configuration parser (with included files).
#![no_main]
use libfuzzer_sys::fuzz_target;
use xenboot::config::Language;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::run(Language::Syslinux, "/syslinux.cfg", data);
});
