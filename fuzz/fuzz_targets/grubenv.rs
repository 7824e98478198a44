//! Fuzzes GRUB's environment block reader (`grubenv`): the block parser alone, then
//! the same bytes as `/boot/grub/grubenv` read by `load_env` in a `grub.cfg` that
//! picks its default from `saved_entry`/`next_entry` and puts `kernelopts` on the
//! command line, as Fedora's and Debian's generated configurations do.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::collections::HashMap;
use xenboot::config::grub2::env;
use xenboot::config::{self, Language, ParseContext};

#[path = "common.rs"]
#[allow(dead_code)] // this target uses only `Files`
mod common;

const GRUB_CFG: &str = r#"set prefix=/boot/grub
load_env
if [ "${next_entry}" ] ; then
  set default="${next_entry}"
else
  set default="${saved_entry}"
fi
load_env -f /boot/grub/grubenv kernelopts
menuentry 'A' --id a { linux /vmlinuz $kernelopts }
submenu 'More' --id more {
  menuentry 'B' --id b { linux /vmlinuz-b ${kernelopts} x=$x }
}
"#;

fuzz_target!(|data: &[u8]| {
    if let Some(vars) = env::parse(data) {
        for (name, _) in &vars {
            assert!(!name.contains('='), "a name holds '=': {name:?}");
        }
        assert!(vars.len() <= data.len(), "more variables than bytes");
    }
    let mut files = HashMap::new();
    files.insert("/boot/grub/grubenv".to_string(), data.to_vec());
    let files = common::Files(files);
    let limits = xenboot::Limits::default();
    let mut warnings = Vec::new();
    let mut ctx = ParseContext {
        config_path: "/boot/grub/grub.cfg",
        files: &files,
        limits: &limits,
        warnings: &mut warnings,
    };
    let menu = config::parse(Language::Grub2, GRUB_CFG, &mut ctx)
        .expect("a fixed grub.cfg evaluates whatever the grubenv holds");
    assert_eq!(
        menu.entries.len(),
        2,
        "the grubenv cannot add or drop entries"
    );
    if let Some(d) = menu.default {
        assert!(d < menu.entries.len(), "default {d} out of range");
    }
});
