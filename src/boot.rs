//! [`Boot`]: one boot source opened, scanned and parsed — the public entry point that
//! ties the pipeline together.

use crate::config::{self, FileAccess, Language, ParseContext};
use crate::disk::{self, Layout, Scheme, Volume};
use crate::error::{Error, ErrorKind, Result};
use crate::fs::{self, Filesystem};
use crate::limits::Limits;
use crate::menu::{Entry, Menu};
use crate::select;
use crate::source::{qcow2, SharedSource, Window};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where boot configurations are looked for on each volume, in order; the first file
/// that exists wins.
pub const CONFIG_PATHS: &[&str] = &[
    "/boot/grub/grub.cfg",
    "/grub/grub.cfg",
    "/boot/grub2/grub.cfg",
    "/grub2/grub.cfg",
    "/boot/isolinux/isolinux.cfg",
    "/isolinux/isolinux.cfg",
    "/isolinux.cfg",
    "/boot/extlinux/extlinux.conf",
    "/boot/extlinux.conf",
    "/extlinux/extlinux.conf",
    "/extlinux.conf",
    "/boot/syslinux/syslinux.cfg",
    "/syslinux/syslinux.cfg",
    "/syslinux.cfg",
    "/boot/grub/menu.lst",
    "/boot/grub/grub.conf",
    "/grub/menu.lst",
    "/grub/grub.conf",
    "/etc/lilo.conf",
];

/// Severity of a log message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    /// Detail of what was tried.
    Debug = 0,
    /// Progress.
    Info = 1,
    /// Something was skipped or ignored; booting goes on.
    Warn = 2,
    /// An operation failed.
    Error = 3,
}

/// A log callback.
pub type Logger = Box<dyn Fn(LogLevel, &str)>;

/// How to open a boot source.
#[derive(Default)]
pub struct Options {
    /// Resource bounds.
    pub limits: Limits,
    /// Byte offset of the filesystem on the disk; skips partition discovery.
    pub offset: Option<u64>,
    /// The location is a configuration file on the host, not a disk (pygrub's
    /// `--isconfig`); nothing can be extracted then.
    pub isconfig: bool,
    /// Receives warnings and progress as they happen.
    pub log: Option<Logger>,
    /// Follow the backing file of a qcow2 image (relative to the image's directory;
    /// off by default: a guest-chosen path on the host is read only when allowed).
    pub allow_backing_file: bool,
}

/// One volume of the disk and what was found on it.
pub struct ProbedVolume {
    /// Where the volume is.
    pub volume: Volume,
    /// The filesystem, when one was recognised and opened.
    pub fs: Option<Box<dyn Filesystem>>,
    /// Why no filesystem is available, when `fs` is `None`.
    pub fs_error: Option<String>,
}

/// Where the configuration was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigInfo {
    /// Index into [`Boot::volumes`]; `None` for a host file (`isconfig`).
    pub volume: Option<usize>,
    /// Path of the configuration on that volume (or on the host).
    pub path: String,
    /// Its language.
    pub language: Language,
}

/// A boot source, opened and parsed: its volumes, the configuration found and the
/// menu it describes.
pub struct Boot {
    pub(crate) location: String,
    pub(crate) options: Options,
    pub(crate) volumes: Vec<ProbedVolume>,
    pub(crate) notes: Vec<String>,
    pub(crate) tried: Vec<String>,
    pub(crate) config: ConfigInfo,
    pub(crate) menu: Menu,
    pub(crate) warnings: Vec<String>,
    pub(crate) selected: Option<usize>,
}

/// What scanning a disk found, before any configuration is chosen.
pub(crate) struct Scan {
    pub volumes: Vec<ProbedVolume>,
    pub notes: Vec<String>,
}

impl Boot {
    /// Opens `location` (an image file or block device, or with
    /// [`Options::isconfig`] a configuration file), finds the boot configuration and
    /// parses its menu.
    ///
    /// A failure names every volume, filesystem and configuration path tried.
    pub fn open(location: &str, options: Options) -> Result<Boot> {
        if location.is_empty() {
            return Err(Error::invalid("empty location"));
        }
        if options.isconfig {
            return Self::open_host_config(location, options);
        }
        let scan = scan_disk(Path::new(location), &options)?;
        let mut boot = Boot {
            location: location.to_string(),
            options,
            volumes: scan.volumes,
            notes: scan.notes,
            tried: Vec::new(),
            config: ConfigInfo {
                volume: None,
                path: String::new(),
                language: Language::Grub2,
            },
            menu: Menu::default(),
            warnings: Vec::new(),
            selected: None,
        };
        boot.find_config()?;
        Ok(boot)
    }

    fn open_host_config(location: &str, options: Options) -> Result<Boot> {
        let language = Language::from_path(location).unwrap_or(Language::Grub2);
        let files = HostFiles {
            limits: &options.limits,
        };
        let bytes = files.read(location)?;
        let text = config::decode_text(&bytes);
        let mut warnings = Vec::new();
        let menu = {
            let mut ctx = ParseContext {
                config_path: location,
                files: &files,
                limits: &options.limits,
                warnings: &mut warnings,
            };
            config::parse(language, &text, &mut ctx)
                .map_err(|e| e.context(format!("parsing {location} as {}", language.name())))?
        };
        let boot = Boot {
            location: location.to_string(),
            options,
            volumes: Vec::new(),
            notes: Vec::new(),
            tried: vec![format!("host file {location}: {}", language.name())],
            config: ConfigInfo {
                volume: None,
                path: location.to_string(),
                language,
            },
            menu,
            warnings,
            selected: None,
        };
        boot.emit_warnings();
        Ok(boot)
    }

    fn find_config(&mut self) -> Result<()> {
        let limits = self.options.limits.clone();
        let mut parse_errors = Vec::new();
        for (vi, pv) in self.volumes.iter().enumerate() {
            let desc = pv.volume.describe();
            let Some(fs) = pv.fs.as_deref() else {
                self.tried.push(format!(
                    "{desc}: {}",
                    pv.fs_error.as_deref().unwrap_or("no filesystem")
                ));
                continue;
            };
            let mut missing = Vec::new();
            for path in CONFIG_PATHS {
                if !fs::is_file(fs, path) {
                    missing.push(*path);
                    continue;
                }
                let Some(language) = Language::from_path(path) else {
                    continue;
                };
                let files = VolumeFiles {
                    fs,
                    limits: &limits,
                };
                let result = files.read(path).and_then(|bytes| {
                    let text = config::decode_text(&bytes);
                    let mut ctx = ParseContext {
                        config_path: path,
                        files: &files,
                        limits: &limits,
                        warnings: &mut self.warnings,
                    };
                    config::parse(language, &text, &mut ctx)
                });
                match result {
                    Ok(menu) => {
                        self.tried.push(format!(
                            "{desc}: {} found {path} ({}, {} entries)",
                            fs.kind(),
                            language.name(),
                            menu.entries.len()
                        ));
                        self.menu = menu;
                        self.config = ConfigInfo {
                            volume: Some(vi),
                            path: path.to_string(),
                            language,
                        };
                        self.emit_warnings();
                        return Ok(());
                    }
                    Err(e) => {
                        let line = format!("{desc}: {} {path}: {e}", fs.kind());
                        self.tried.push(line.clone());
                        parse_errors.push(e.context(format!("{desc} {path}")));
                    }
                }
            }
            self.tried.push(format!(
                "{desc}: {} has none of {}",
                fs.kind(),
                missing.join(" ")
            ));
        }
        self.emit_warnings();
        // A configuration that exists but could not be parsed is the more useful error.
        let kind = match parse_errors.first() {
            Some(e) => e.kind(),
            None => ErrorKind::NoConfig,
        };
        let mut msg = format!("no usable boot configuration in {}; tried:", self.location);
        for t in &self.tried {
            msg.push_str("\n  ");
            msg.push_str(t);
        }
        for n in &self.notes {
            msg.push_str("\n  note: ");
            msg.push_str(n);
        }
        Err(Error::new(kind, msg))
    }

    fn emit_warnings(&self) {
        if let Some(log) = &self.options.log {
            for w in &self.warnings {
                log(LogLevel::Warn, w);
            }
        }
    }

    /// The location this boot source was opened from.
    pub fn location(&self) -> &str {
        &self.location
    }

    /// The menu entries, flattened in document order.
    pub fn entries(&self) -> &[Entry] {
        &self.menu.entries
    }

    /// The whole parsed menu.
    pub fn menu(&self) -> &Menu {
        &self.menu
    }

    /// The index of the entry the configuration boots by default, if any entry exists.
    /// An out-of-range default falls back to entry 0, as the boot loaders do.
    pub fn default_index(&self) -> Option<usize> {
        if self.menu.entries.is_empty() {
            return None;
        }
        match self.menu.default {
            Some(i) if i < self.menu.entries.len() => Some(i),
            _ => Some(0),
        }
    }

    /// Where the configuration was found.
    pub fn config(&self) -> &ConfigInfo {
        &self.config
    }

    /// The volumes of the disk and the filesystems found on them.
    pub fn volumes(&self) -> &[ProbedVolume] {
        &self.volumes
    }

    /// Each step tried while looking for the configuration, in order.
    pub fn tried(&self) -> &[String] {
        &self.tried
    }

    /// Non-fatal problems met while parsing (unknown commands, skipped entries).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The options this source was opened with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Selects an entry: `None` for the configuration's default, otherwise a selector
    /// (see [`select::resolve`]: a flattened index, an exact title, an id, or a
    /// GRUB-style `a>b` path). Returns the selected index.
    pub fn select(&mut self, selector: Option<&str>) -> Result<usize> {
        let index = match selector {
            None => self.default_index().ok_or_else(|| {
                Error::new(
                    ErrorKind::NoEntry,
                    format!(
                        "{} in {} has no menu entries",
                        self.config.path, self.location
                    ),
                )
            })?,
            Some(sel) => select::resolve(&self.menu, sel)?,
        };
        self.selected = Some(index);
        Ok(index)
    }

    /// The selected entry's index: the last [`Boot::select`], else the default.
    pub fn selected(&self) -> Option<usize> {
        self.selected.or_else(|| self.default_index())
    }

    /// The filesystem of volume `index`.
    pub(crate) fn filesystem(&self, index: usize) -> Option<&dyn Filesystem> {
        self.volumes.get(index)?.fs.as_deref()
    }
}

/// Opens the disk at `path` and probes every volume for a filesystem.
pub(crate) fn scan_disk(path: &Path, options: &Options) -> Result<Scan> {
    let opened = qcow2::open_path(path, qcow2::Backing::from_flag(options.allow_backing_file))?;
    let disk: SharedSource = opened.source;
    let limits = &options.limits;
    let layout = match options.offset {
        Some(offset) => {
            if offset >= disk.len() {
                return Err(Error::invalid(format!(
                    "offset {offset} is beyond the end of {} ({} bytes)",
                    path.display(),
                    disk.len()
                )));
            }
            Layout {
                volumes: vec![Volume {
                    scheme: Scheme::Offset,
                    number: 0,
                    offset,
                    len: disk.len() - offset,
                    type_name: "given offset".to_string(),
                }],
                notes: Vec::new(),
            }
        }
        None => disk::discover(disk.as_ref(), limits)
            .map_err(|e| e.context(format!("reading the partition table of {}", path.display())))?,
    };
    let mut volumes = Vec::new();
    for volume in layout.volumes.into_iter().take(limits.max_partitions) {
        let probed = match Window::new(disk.clone(), volume.offset, volume.len) {
            Err(e) => ProbedVolume {
                volume,
                fs: None,
                fs_error: Some(e.to_string()),
            },
            Ok(win) => match fs::probe(Arc::new(win), limits) {
                Ok(Some(fs)) => ProbedVolume {
                    volume,
                    fs: Some(fs),
                    fs_error: None,
                },
                Ok(None) => ProbedVolume {
                    volume,
                    fs: None,
                    fs_error: Some("no known filesystem (tried ext2/3/4, XFS, FAT)".to_string()),
                },
                Err(e) => ProbedVolume {
                    volume,
                    fs: None,
                    fs_error: Some(e.to_string()),
                },
            },
        };
        volumes.push(probed);
    }
    Ok(Scan {
        volumes,
        notes: opened.notes.into_iter().chain(layout.notes).collect(),
    })
}

/// Reads configuration files from one guest filesystem.
pub(crate) struct VolumeFiles<'a> {
    pub fs: &'a dyn Filesystem,
    pub limits: &'a Limits,
}

impl FileAccess for VolumeFiles<'_> {
    fn read(&self, path: &str) -> Result<Vec<u8>> {
        fs::read_file(self.fs, path, self.limits.max_config)
    }

    fn exists(&self, path: &str) -> bool {
        fs::is_file(self.fs, path)
    }
}

/// Reads configuration files from the host (`--isconfig`).
struct HostFiles<'a> {
    limits: &'a Limits,
}

impl FileAccess for HostFiles<'_> {
    fn read(&self, path: &str) -> Result<Vec<u8>> {
        use std::io::Read;
        let p = PathBuf::from(path);
        let f =
            std::fs::File::open(&p).map_err(|e| Error::io(format!("cannot open {path}"), &e))?;
        let mut out = Vec::new();
        f.take(self.limits.max_config.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| Error::io(format!("reading {path}"), &e))?;
        if out.len() as u64 > self.limits.max_config {
            return Err(Error::limit(format!(
                "{path} is larger than the configuration limit of {} bytes",
                self.limits.max_config
            )));
        }
        Ok(out)
    }

    fn exists(&self, path: &str) -> bool {
        Path::new(path).is_file()
    }
}
