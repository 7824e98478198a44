//! [`Boot`]: one boot source opened, scanned and parsed — the public entry point that
//! ties the pipeline together.

use crate::config::{self, FileAccess, Language, ParseContext};
use crate::disk::{self, Layout, Scheme, Volume};
use crate::error::{Error, ErrorKind, Result};
use crate::fs::{self, Filesystem};
use crate::limits::Limits;
use crate::menu::{Entry, Menu};
use crate::select;
use crate::source::{qcow2, FileSource, SharedSource, Window};
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
    "/loader/loader.conf",
    "/boot/loader/loader.conf",
    // Fedora/RHEL installer ISOs: the EFI GRUB configuration, when no isolinux one.
    "/EFI/BOOT/grub.cfg",
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

/// Most warnings kept from one parse, and longest warning kept (in bytes): a hostile
/// configuration can make millions of them, or one as long as the file.
const MAX_WARNINGS: usize = 100;
const MAX_WARNING_LEN: usize = 400;

/// Keeps the first [`MAX_WARNINGS`] warnings, each cut to [`MAX_WARNING_LEN`] bytes,
/// and says how many were dropped.
pub(crate) fn bound_warnings(mut warnings: Vec<String>) -> Vec<String> {
    let dropped = warnings.len().saturating_sub(MAX_WARNINGS);
    warnings.truncate(MAX_WARNINGS);
    for w in &mut warnings {
        if w.len() > MAX_WARNING_LEN {
            let mut end = MAX_WARNING_LEN;
            while !w.is_char_boundary(end) {
                end -= 1;
            }
            w.truncate(end);
            w.push_str("… (cut)");
        }
    }
    if dropped > 0 {
        warnings.push(format!("{dropped} more warnings not shown"));
    }
    warnings
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
        let disk = FileSource::open(Path::new(location))?;
        Self::open_source(disk, location, options)
    }

    /// Like [`Boot::open`] on a disk image or block device the caller has already
    /// opened for reading (a deprivileged process reading a disk it could not open
    /// itself); `name` names it in messages.
    pub fn open_file(file: std::fs::File, name: &str, options: Options) -> Result<Boot> {
        let disk = FileSource::from_file(file, Path::new(name))?;
        Self::open_source(disk, name, options)
    }

    fn open_source(disk: FileSource, location: &str, options: Options) -> Result<Boot> {
        let scan = scan_source(disk, &options)?;
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
            warnings: bound_warnings(warnings),
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
            let mut broken: Vec<String> = Vec::new();
            for path in CONFIG_PATHS {
                match fs.stat(path) {
                    Ok(st) if st.kind == fs::FileKind::File => {}
                    // Corrupt or looping metadata on the way to the file: say so
                    // (once per distinct problem) rather than "none of".
                    Err(e) if matches!(e.kind(), ErrorKind::Corrupt | ErrorKind::Limit) => {
                        let problem = e.to_string();
                        if !broken.contains(&problem) {
                            self.tried
                                .push(format!("{desc}: {} looking up {path}: {e}", fs.kind()));
                            parse_errors.push(e.context(format!("{desc} looking up {path}")));
                            broken.push(problem);
                        }
                        continue;
                    }
                    _ => {
                        missing.push(*path);
                        continue;
                    }
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
                    if language == Language::Grub2 {
                        // GRUB sees every partition (search, (hdN,M) paths).
                        let disk = DiskVolumes {
                            volumes: &self.volumes,
                            config: vi,
                            limits: &limits,
                        };
                        return config::grub2::evaluate(
                            &text,
                            path,
                            &disk,
                            &limits,
                            &mut self.warnings,
                        );
                    }
                    let mut ctx = ParseContext {
                        config_path: path,
                        files: &files,
                        limits: &limits,
                        warnings: &mut self.warnings,
                    };
                    config::parse(language, &text, &mut ctx)
                });
                self.warnings = bound_warnings(std::mem::take(&mut self.warnings));
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

    pub(crate) fn emit_warnings(&self) {
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
    scan_source(FileSource::open(path)?, options)
}

/// [`scan_disk`] of a source already opened: a qcow2 image (found by its magic) is
/// read as its virtual disk.
fn scan_source(file: FileSource, options: &Options) -> Result<Scan> {
    let path = file.path().to_path_buf();
    let opened = qcow2::open_file(file, qcow2::Backing::from_flag(options.allow_backing_file))?;
    let disk: SharedSource = opened.source;
    let limits = &options.limits;
    let mut layout = match options.offset {
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
    // A hybrid ISO (an MBR or GPT written over the ISO's system area) is an ISO
    // filesystem at offset 0 as well as whatever its partitions hold.
    if options.offset.is_none()
        && fs::has_iso_magic(disk.as_ref())
        && !layout
            .volumes
            .iter()
            .any(|v| v.scheme == Scheme::Whole && v.offset == 0)
    {
        layout.volumes.insert(
            0,
            Volume {
                scheme: Scheme::Whole,
                number: 0,
                offset: 0,
                len: disk.len(),
                type_name: "ISO 9660 (hybrid image)".to_string(),
            },
        );
    }
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
                    fs_error: Some(
                        "no known filesystem (tried ext2/3/4, XFS, ISO 9660, FAT)".to_string(),
                    ),
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

/// Every volume of the disk, as GRUB 2 sees them.
struct DiskVolumes<'a> {
    volumes: &'a [ProbedVolume],
    config: usize,
    limits: &'a Limits,
}

impl DiskVolumes<'_> {
    fn fs(&self, volume: usize) -> Result<&dyn Filesystem> {
        self.volumes
            .get(volume)
            .and_then(|v| v.fs.as_deref())
            .ok_or_else(|| Error::unsupported(format!("volume {volume} has no known filesystem")))
    }
}

impl config::grub2::GrubDisk for DiskVolumes<'_> {
    fn volumes(&self) -> Vec<config::grub2::GrubVolume> {
        self.volumes
            .iter()
            .map(|pv| config::grub2::GrubVolume {
                name: pv.volume.grub_name(),
                uuid: pv.fs.as_ref().and_then(|f| f.uuid()),
                label: pv.fs.as_ref().and_then(|f| f.label()),
                fs: pv.fs.as_ref().map(|f| f.kind().to_string()),
            })
            .collect()
    }

    fn config_volume(&self) -> usize {
        self.config
    }

    fn read(&self, volume: usize, path: &str) -> Result<Vec<u8>> {
        fs::read_file(self.fs(volume)?, path, self.limits.max_config)
    }

    fn stat(&self, volume: usize, path: &str) -> Result<fs::Stat> {
        self.fs(volume)?.stat(path)
    }

    fn read_dir(&self, volume: usize, path: &str) -> Result<Vec<fs::DirEntry>> {
        self.fs(volume)?.read_dir(path)
    }
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

    fn read_dir(&self, path: &str) -> Result<Vec<fs::DirEntry>> {
        self.fs.read_dir(path)
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

    fn read_dir(&self, path: &str) -> Result<Vec<fs::DirEntry>> {
        let rd = std::fs::read_dir(path).map_err(|e| Error::io(format!("listing {path}"), &e))?;
        let mut out = Vec::new();
        for entry in rd.take(self.limits.max_entries) {
            let entry = entry.map_err(|e| Error::io(format!("listing {path}"), &e))?;
            let kind = match entry.file_type() {
                Ok(t) if t.is_dir() => fs::FileKind::Dir,
                Ok(t) if t.is_file() => fs::FileKind::File,
                Ok(t) if t.is_symlink() => fs::FileKind::Symlink,
                _ => fs::FileKind::Other,
            };
            out.push(fs::DirEntry {
                name: entry.file_name().to_string_lossy().into_owned(),
                kind,
            });
        }
        Ok(out)
    }
}
