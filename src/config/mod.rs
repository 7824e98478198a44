//! Boot configuration languages. Each module turns the text of one language (plus
//! the files it includes, read through [`FileAccess`]) into a [`Menu`].

pub mod grub2;
pub mod grub_legacy;
pub mod lilo;
pub mod syslinux;

use crate::error::Result;
use crate::limits::Limits;
use crate::menu::Menu;
use serde::Serialize;

/// The configuration languages understood.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Language {
    /// GRUB 2 `grub.cfg`.
    Grub2,
    /// GRUB legacy `menu.lst` / `grub.conf`.
    GrubLegacy,
    /// syslinux, extlinux, isolinux and pxelinux.
    Syslinux,
    /// LILO `lilo.conf`.
    Lilo,
}

impl Language {
    /// The language's name as printed in reports.
    pub fn name(self) -> &'static str {
        match self {
            Language::Grub2 => "grub2",
            Language::GrubLegacy => "grub-legacy",
            Language::Syslinux => "syslinux",
            Language::Lilo => "lilo",
        }
    }

    /// Guesses the language from a configuration file's path (its name).
    pub fn from_path(path: &str) -> Option<Language> {
        let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
        match name.as_str() {
            // systemd-boot's loader.conf is read by the GRUB 2 module (BLS entries).
            "grub.cfg" | "loader.conf" => Some(Language::Grub2),
            "menu.lst" | "grub.conf" => Some(Language::GrubLegacy),
            "lilo.conf" => Some(Language::Lilo),
            n if n.ends_with(".cfg") || n.ends_with(".conf") => Some(Language::Syslinux),
            "default" => Some(Language::Syslinux),
            _ => None,
        }
    }
}

/// Read access to the files a configuration refers to (`INCLUDE`, `source`), on the
/// filesystem that holds the configuration.
pub trait FileAccess {
    /// Reads the whole file at the absolute `path`; bounded by `Limits::max_config`.
    fn read(&self, path: &str) -> Result<Vec<u8>>;
    /// True when `path` names a regular file.
    fn exists(&self, path: &str) -> bool;
    /// Lists the directory at the absolute `path` (GRUB's `blscfg` and systemd-boot
    /// read `loader/entries/`). The default says listing is not supported.
    fn read_dir(&self, path: &str) -> Result<Vec<crate::fs::DirEntry>> {
        Err(crate::error::Error::unsupported(format!(
            "cannot list {path}: directory listing is not available here"
        )))
    }
}

/// Everything a parser needs besides the text.
pub struct ParseContext<'a> {
    /// Absolute path of the configuration file (relative paths resolve against its
    /// directory where the language says so).
    pub config_path: &'a str,
    /// Access to included files.
    pub files: &'a dyn FileAccess,
    /// Resource bounds.
    pub limits: &'a Limits,
    /// Non-fatal problems (unknown commands, skipped entries) are pushed here.
    pub warnings: &'a mut Vec<String>,
}

/// Parses `text` as `lang` into a menu.
pub fn parse(lang: Language, text: &str, ctx: &mut ParseContext<'_>) -> Result<Menu> {
    match lang {
        Language::Grub2 => grub2::parse(text, ctx),
        Language::GrubLegacy => grub_legacy::parse(text, ctx),
        Language::Syslinux => syslinux::parse(text, ctx),
        Language::Lilo => lilo::parse(text, ctx),
    }
}

/// Decodes configuration bytes: UTF-8 where valid, otherwise Latin-1, so that a
/// stray byte never makes a whole configuration unreadable.
pub fn decode_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// Removes a GRUB device prefix: `(hd0,msdos1)/boot/vmlinuz` → `/boot/vmlinuz`.
/// Returns the path and the device text without parentheses, if there was one.
pub fn split_device(path: &str) -> (&str, Option<&str>) {
    if let Some(rest) = path.strip_prefix('(') {
        if let Some(close) = rest.find(')') {
            let dev = &rest[..close];
            let p = &rest[close + 1..];
            return (if p.is_empty() { "/" } else { p }, Some(dev));
        }
    }
    (path, None)
}

/// Maps a GRUB device text to a 1-based partition number. GRUB legacy numbers
/// partitions from 0 (`hd0,0` is the first); GRUB 2 from 1 (`hd0,msdos1`, `hd0,1`).
pub fn device_partition(dev: &str, legacy: bool) -> Option<u32> {
    let (_, part) = dev.split_once(',')?;
    let part = part.split(',').next()?;
    let digits: String = part.chars().filter(|c| c.is_ascii_digit()).collect();
    let n: u32 = digits.parse().ok()?;
    if legacy {
        n.checked_add(1)
    } else {
        Some(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_prefixes() {
        assert_eq!(
            split_device("(hd0,msdos1)/vmlinuz"),
            ("/vmlinuz", Some("hd0,msdos1"))
        );
        assert_eq!(split_device("/boot/vmlinuz"), ("/boot/vmlinuz", None));
        assert_eq!(device_partition("hd0,0", true), Some(1));
        assert_eq!(device_partition("hd0,msdos3", false), Some(3));
        assert_eq!(device_partition("hd0,gpt2", false), Some(2));
        assert_eq!(device_partition("hd0", false), None);
    }

    #[test]
    fn languages_from_names() {
        assert_eq!(
            Language::from_path("/boot/grub/grub.cfg"),
            Some(Language::Grub2)
        );
        assert_eq!(
            Language::from_path("/boot/grub/menu.lst"),
            Some(Language::GrubLegacy)
        );
        assert_eq!(Language::from_path("/etc/lilo.conf"), Some(Language::Lilo));
        assert_eq!(
            Language::from_path("/extlinux.conf"),
            Some(Language::Syslinux)
        );
    }
}
