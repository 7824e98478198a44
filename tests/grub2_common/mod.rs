//! Shared helpers of the GRUB 2 tests: a [`GrubDisk`] over host directories (one
//! directory per partition) and a compact rendering of a menu.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use xenboot::config::grub2::{GrubDisk, GrubVolume};
use xenboot::error::{Error, Result};
use xenboot::fs::{DirEntry, FileKind, Stat};
use xenboot::menu::Menu;

/// The corpus directory (`../shared/corpus` beside the repository).
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

/// Partitions backed by host directories.
pub struct DirDisk {
    /// Each volume and the directory holding its files.
    pub vols: Vec<(GrubVolume, PathBuf)>,
    /// The volume holding the configuration.
    pub config: usize,
    /// Missing files are "cannot tell" (`Unsupported`) instead of `NotFound`, so
    /// that configs without their kernels still show what they would load.
    pub lenient: bool,
}

impl DirDisk {
    /// A disk seen as one volume (every GRUB device name leads to it) with `root` as
    /// its filesystem; its UUID is read from `root/UUID` when present.
    pub fn single(root: &Path) -> DirDisk {
        let uuid = std::fs::read_to_string(root.join("UUID"))
            .ok()
            .map(|s| s.trim().to_string());
        DirDisk {
            vols: vec![(
                GrubVolume {
                    name: String::new(),
                    uuid,
                    label: None,
                    fs: Some("ext4".into()),
                },
                root.to_path_buf(),
            )],
            config: 0,
            lenient: false,
        }
    }

    fn host(&self, volume: usize, path: &str) -> Result<PathBuf> {
        let (_, root) = self
            .vols
            .get(volume)
            .ok_or_else(|| Error::not_found(format!("no volume {volume}")))?;
        if path.split('/').any(|c| c == "..") {
            return Err(Error::invalid(format!("{path}: `..' not allowed")));
        }
        Ok(root.join(path.trim_start_matches('/')))
    }
}

fn io(path: &Path, e: std::io::Error, lenient: bool) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound && lenient {
        Error::unsupported(format!("{} cannot be checked", path.display()))
    } else if e.kind() == std::io::ErrorKind::NotFound {
        Error::not_found(format!("{} not found", path.display()))
    } else {
        Error::io(path.display().to_string(), &e)
    }
}

impl GrubDisk for DirDisk {
    fn volumes(&self) -> Vec<GrubVolume> {
        self.vols.iter().map(|(v, _)| v.clone()).collect()
    }

    fn config_volume(&self) -> usize {
        self.config
    }

    fn read(&self, volume: usize, path: &str) -> Result<Vec<u8>> {
        let p = self.host(volume, path)?;
        std::fs::read(&p).map_err(|e| io(&p, e, self.lenient))
    }

    fn stat(&self, volume: usize, path: &str) -> Result<Stat> {
        let p = self.host(volume, path)?;
        let m = std::fs::metadata(&p).map_err(|e| io(&p, e, self.lenient))?;
        Ok(Stat {
            kind: if m.is_dir() {
                FileKind::Dir
            } else {
                FileKind::File
            },
            len: m.len(),
        })
    }

    fn read_dir(&self, volume: usize, path: &str) -> Result<Vec<DirEntry>> {
        let p = self.host(volume, path)?;
        let mut out = Vec::new();
        for e in std::fs::read_dir(&p).map_err(|e| io(&p, e, self.lenient))? {
            let e = e.map_err(|e| io(&p, e, self.lenient))?;
            let t = e.file_type().map_err(|e| io(&p, e, self.lenient))?;
            out.push(DirEntry {
                name: e.file_name().to_string_lossy().into_owned(),
                kind: if t.is_dir() {
                    FileKind::Dir
                } else if t.is_symlink() {
                    FileKind::Symlink
                } else {
                    FileKind::File
                },
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

/// One line per entry: `*` marks the default; `path>title | kernel | initrds | args`.
pub fn render(menu: &Menu) -> String {
    let mut s = String::new();
    for (i, e) in menu.entries.iter().enumerate() {
        let mark = if menu.default == Some(i) { '*' } else { ' ' };
        let mut title = e.submenu.join(">");
        if !title.is_empty() {
            title.push('>');
        }
        title.push_str(&e.title);
        match &e.kernel {
            Some(k) => s.push_str(&format!(
                "{mark}{title} | {k} | {} | {}\n",
                e.initrds.join(" "),
                e.args
            )),
            None => s.push_str(&format!(
                "{mark}{title} | not bootable: {}\n",
                e.not_bootable.as_deref().unwrap_or("?")
            )),
        }
    }
    s
}
