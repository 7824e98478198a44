//! Fuzzes the syslinux configuration parser (with included files), as a disk's
//! `syslinux.cfg` and as a pxelinux file in `pxelinux.cfg/` (whose relative names
//! resolve against the parent directory, as PXE boot reads them).
#![no_main]
use libfuzzer_sys::fuzz_target;
use xenboot::config::Language;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    common::run(Language::Syslinux, "/syslinux.cfg", data);
    common::run(Language::Syslinux, "/pxelinux.cfg/default", data);
});
