//! Fuzzes entry selection (GRUB-style paths, titles, ids) against a parsed menu.
#![no_main]
use libfuzzer_sys::fuzz_target;
use xenboot::config::Language;

#[path = "common.rs"]
#[allow(dead_code)] // this target uses only `Files`
mod common;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(2, |&b| b == b'\n');
    let selector = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let cfg = parts.next().unwrap_or_default();
    let files = common::Files(Default::default());
    let limits = xenboot::Limits::default();
    let mut warnings = Vec::new();
    let mut ctx = xenboot::config::ParseContext {
        config_path: "/boot/grub/grub.cfg",
        files: &files,
        limits: &limits,
        warnings: &mut warnings,
    };
    let text = xenboot::config::decode_text(cfg);
    if let Ok(menu) = xenboot::config::parse(Language::Grub2, &text, &mut ctx) {
        if let Ok(i) = xenboot::select::resolve(&menu, &selector) {
            assert!(i < menu.entries.len());
        }
    }
});
