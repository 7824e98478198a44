//! Shared by the configuration targets: an in-memory set of files made from the
//! fuzz input, so INCLUDE/source chains are fuzzed too.
use std::collections::HashMap;
use xenboot::config::{self, FileAccess, Language, ParseContext};
use xenboot::{Error, Limits};

/// Files of one input: the text before the first NUL is the configuration; each
/// following NUL-separated piece becomes `/f0`, `/f1`, … (and is also reachable as
/// `f0` relative to the configuration's directory `/`).
pub struct Files(pub HashMap<String, Vec<u8>>);

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
}

/// Parses the input as `lang`, with the rest of the input as included files.
pub fn run(lang: Language, config_path: &str, data: &[u8]) {
    let mut pieces = data.split(|&b| b == 0);
    let text = config::decode_text(pieces.next().unwrap_or_default());
    let mut files = HashMap::new();
    for (i, p) in pieces.take(16).enumerate() {
        files.insert(format!("/f{i}"), p.to_vec());
    }
    let files = Files(files);
    let limits = Limits::default();
    let mut warnings = Vec::new();
    let mut ctx = ParseContext {
        config_path,
        files: &files,
        limits: &limits,
        warnings: &mut warnings,
    };
    if let Ok(menu) = config::parse(lang, &text, &mut ctx) {
        // Every reported default must point at an entry.
        if let Some(d) = menu.default {
            assert!(d < menu.entries.len(), "default {d} out of range");
        }
        assert!(menu.entries.len() <= limits.max_entries);
    }
}
