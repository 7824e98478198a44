//! GRUB 2: `grub.cfg` evaluated as the program it is, the way GRUB 2.06 runs it on a
//! Xen PV guest — and BLS snippets (`blscfg`, systemd-boot's `loader.conf`).
//!
//! - [`lexer`] and [`parser`] turn the script into commands (GRUB's grammar, its
//!   line-by-line error recovery);
//! - [`eval`] runs them: variables and contexts, functions, loops, `source`,
//!   `configfile`, `load_env` ([`env`]), `search`, `test` ([`test_cmd`]), menu
//!   entries; every entry body is then run as if chosen to learn its kernel, initrds
//!   and command line;
//! - [`default`] picks the entry GRUB boots (its menu code, numbers, titles, ids and
//!   `>` paths into submenus);
//! - [`bls`] reads Boot Loader Specification entries.
//!
//! The guest disk is seen through [`GrubDisk`]: GRUB's `search`, `(hd0,msdos2)/…`
//! paths and file tests need every partition, not only the configuration's.

pub mod bls;
mod builtins;
pub mod default;
pub mod env;
pub mod eval;
pub mod lexer;
pub mod parser;
pub mod test_cmd;

use super::{FileAccess, ParseContext};
use crate::error::{Error, Result};
use crate::fs::{DirEntry, Stat};
use crate::limits::Limits;
use crate::menu::Menu;

/// One volume of the disk as GRUB sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GrubVolume {
    /// GRUB's partition name: `msdos1`, `gpt2`, or empty for a whole disk.
    pub name: String,
    /// Filesystem UUID as GRUB prints it (`search --fs-uuid`), if known.
    pub uuid: Option<String>,
    /// Filesystem label, if any.
    pub label: Option<String>,
    /// Filesystem type name (`ext4`, `vfat`…), `None` when no filesystem was found.
    pub fs: Option<String>,
}

/// The guest disk: every volume and read access to the files on it.
pub trait GrubDisk {
    /// Volumes of the disk in table order.
    fn volumes(&self) -> Vec<GrubVolume>;
    /// Index (into [`GrubDisk::volumes`]) of the volume holding the configuration.
    fn config_volume(&self) -> usize;
    /// Reads a whole file (bounded by `Limits::max_config`).
    fn read(&self, volume: usize, path: &str) -> Result<Vec<u8>>;
    /// Metadata of a path, following symlinks.
    fn stat(&self, volume: usize, path: &str) -> Result<Stat>;
    /// Lists a directory.
    fn read_dir(&self, volume: usize, path: &str) -> Result<Vec<DirEntry>>;
}

/// A one-volume disk over a [`FileAccess`] (what [`parse`] has).
struct FilesDisk<'a> {
    files: &'a dyn FileAccess,
}

impl GrubDisk for FilesDisk<'_> {
    fn volumes(&self) -> Vec<GrubVolume> {
        vec![GrubVolume {
            fs: Some("unknown".to_string()),
            ..GrubVolume::default()
        }]
    }

    fn config_volume(&self) -> usize {
        0
    }

    fn read(&self, _volume: usize, path: &str) -> Result<Vec<u8>> {
        self.files.read(path)
    }

    fn stat(&self, _volume: usize, path: &str) -> Result<Stat> {
        if self.files.exists(path) {
            return Ok(Stat {
                kind: crate::fs::FileKind::File,
                len: 1,
            });
        }
        match self.files.read_dir(path) {
            Ok(_) => Ok(Stat {
                kind: crate::fs::FileKind::Dir,
                len: 0,
            }),
            Err(_) => Err(Error::not_found(format!("{path} not found"))),
        }
    }

    fn read_dir(&self, _volume: usize, path: &str) -> Result<Vec<DirEntry>> {
        self.files.read_dir(path)
    }
}

/// Evaluates a GRUB 2 configuration (or a systemd-boot `loader.conf`) read from the
/// filesystem of `ctx.files` into a menu.
pub fn parse(text: &str, ctx: &mut ParseContext<'_>) -> Result<Menu> {
    let disk = FilesDisk { files: ctx.files };
    evaluate(text, ctx.config_path, &disk, ctx.limits, ctx.warnings)
}

/// Evaluates the configuration `text`, found at `config_path` on
/// `disk.config_volume()`, into the menu GRUB 2 would show, with each entry's
/// kernel, initrds and command line as GRUB would load them and the default GRUB
/// would boot. A `loader.conf` (path ending in `loader/loader.conf`) is read as a
/// systemd-boot configuration with its BLS entries.
///
/// Problems GRUB reports and survives (syntax errors, unknown commands, missing
/// files) become `warnings`; exceeding a bound of `limits` is an error.
pub fn evaluate(
    text: &str,
    config_path: &str,
    disk: &dyn GrubDisk,
    limits: &Limits,
    warnings: &mut Vec<String>,
) -> Result<Menu> {
    if config_path.ends_with("loader/loader.conf") {
        return bls::systemd_boot(text, config_path, disk, limits, warnings);
    }
    eval::run(text, config_path, disk, limits, warnings)
}
