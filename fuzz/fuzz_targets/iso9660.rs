//! Fuzzes the ISO 9660 reader (descriptors, directory records, Rock Ridge, Joliet,
//! multi-extent files): the input is placed at sector 16 behind an empty system
//! area, so every run reaches the descriptor parser; then list, stat and read.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "walk.rs"]
#[allow(dead_code)] // only `walk_image` is used here
mod walk;

fuzz_target!(|data: &[u8]| {
    let mut image = vec![0u8; 16 * 2048];
    image.extend_from_slice(data);
    walk::walk_image(
        image,
        &[
            "/isolinux/isolinux.cfg",
            "/boot/grub/grub.cfg",
            "/EFI/BOOT/grub.cfg",
        ],
    );
});
