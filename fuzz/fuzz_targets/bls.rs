//! Fuzzes Boot Loader Specification entries: the snippet parser, the rpm-style
//! version order blscfg sorts them by, `$var` expansion of `options`, and whole
//! configurations that read them — systemd-boot's `loader.conf` and a `grub.cfg`
//! running `blscfg`.
//!
//! Input: NUL-separated pieces. The first is `loader.conf`; each other piece is one
//! entry, its first line the file name without `.conf` (the id, which is what gets
//! version-sorted), the rest its text (at most 64 entries).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use xenboot::config::grub2::bls;
use xenboot::config::{self, FileAccess, Language, ParseContext};
use xenboot::fs::{DirEntry, FileKind};
use xenboot::Error;

/// `/loader/loader.conf`, `/loader/entries/*.conf` and a fixed `grub.cfg`.
struct Files(BTreeMap<String, Vec<u8>>);

impl FileAccess for Files {
    fn read(&self, path: &str) -> Result<Vec<u8>, Error> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| Error::not_found(path.to_string()))
    }
    fn exists(&self, path: &str) -> bool {
        self.0.contains_key(path)
    }
    fn read_dir(&self, path: &str) -> Result<Vec<DirEntry>, Error> {
        let dir = format!("{}/", path.trim_end_matches('/'));
        Ok(self
            .0
            .keys()
            .filter_map(|k| k.strip_prefix(&dir))
            .filter(|n| !n.contains('/'))
            .map(|n| DirEntry {
                name: n.to_string(),
                kind: FileKind::File,
            })
            .collect())
    }
}

const GRUB_CFG: &str = "set default_kernelopts=\"root=/dev/xvda1 ro\"\n\
    set kernelopts=\"quiet\"\nset blsdir=/loader/entries\nblscfg\n";

fn menu_ok(files: &Files, path: &str, text: &str) {
    let limits = xenboot::Limits::default();
    let mut warnings = Vec::new();
    let mut ctx = ParseContext {
        config_path: path,
        files,
        limits: &limits,
        warnings: &mut warnings,
    };
    if let Ok(menu) = config::parse(Language::Grub2, text, &mut ctx) {
        if let Some(d) = menu.default {
            assert!(d < menu.entries.len(), "{path}: default {d} out of range");
        }
        assert!(menu.entries.len() <= limits.max_entries);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut pieces = data.split(|&b| b == 0);
    let loader = config::decode_text(pieces.next().unwrap_or_default());
    let mut files = BTreeMap::new();
    let mut entries = Vec::new();
    for p in pieces.take(64) {
        let text = config::decode_text(p);
        let (id, body) = text.split_once('\n').unwrap_or((&text, ""));
        assert_eq!(bls::vercmp(id, id), Ordering::Equal);
        assert_eq!(bls::bls_cmp(id, id), Ordering::Equal);
        let e = bls::parse_entry(id, body);
        for (k, v) in e.keys() {
            assert!(!k.is_empty() && !k.contains(['\n', ' ']), "key {k:?}");
            let _ = bls::expand_val(v, &|n| (n.len() % 2 == 0).then(|| n.to_string()));
        }
        entries.push(e);
        if !id.is_empty() && !id.contains('/') {
            files.insert(
                format!("/loader/entries/{id}.conf"),
                body.as_bytes().to_vec(),
            );
        }
    }
    let n = entries.len();
    let sorted = bls::sort_entries(entries);
    assert!(sorted.len() <= n, "sorting added entries");
    files.insert("/loader/loader.conf".into(), loader.as_bytes().to_vec());
    files.insert("/boot/grub/grub.cfg".into(), GRUB_CFG.as_bytes().to_vec());
    let files = Files(files);
    menu_ok(&files, "/loader/loader.conf", &loader);
    menu_ok(&files, "/boot/grub/grub.cfg", GRUB_CFG);
});
