//! GRUB 2: `grub.cfg` evaluated as the program it is, the way GRUB 2.06 runs it on a
//! Xen PV guest — and BLS snippets (`blscfg`, systemd-boot's `loader.conf`).
//!
//! - [`lexer`] and [`parser`] turn the script into commands (GRUB's grammar, its
//!   line-by-line error recovery);
//! - [`eval`] runs them: variables and contexts, functions, loops, `source`,
//!   `configfile`, `load_env` ([`env`](mod@env)), `search`, `test` ([`test_cmd`]), menu
//!   entries; every entry body is then run as if chosen to learn its kernel, initrds
//!   and command line;
//! - [`entries`] runs every entry and submenu body and builds the menu;
//! - [`default`] picks the entry GRUB boots (its menu code, numbers, titles, ids and
//!   `>` paths into submenus);
//! - [`bls`] reads Boot Loader Specification entries.
//!
//! The guest disk is seen through [`GrubDisk`]: GRUB's `search`, `(hd0,msdos2)/…`
//! paths and file tests need every partition, not only the configuration's.

pub mod bls;
mod builtins;
pub mod default;
pub mod entries;
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
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

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
            // A FileAccess cannot tell "missing" from "elsewhere" (a host file
            // with --isconfig names guest paths): let the loaders accept it.
            Err(_) => Err(Error::unsupported(format!("cannot check {path} here"))),
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
    let disk = StatCache::new(disk);
    if config_path.ends_with("loader/loader.conf") {
        return bls::systemd_boot(text, config_path, &disk, limits, warnings);
    }
    entries::run(text, config_path, &disk, limits, warnings)
}

/// Remembers what `stat` answered: generated configurations name the same kernel
/// and initrd in every entry (and test them with `[ -f … ]`), and a path lookup
/// walks the guest's directories each time. The guest does not change during one
/// evaluation, so the answer cannot go stale. What is kept is bounded in bytes
/// (paths and error texts): a script can make paths of up to `max_config` bytes.
struct StatCache<'a> {
    inner: &'a dyn GrubDisk,
    stats: RefCell<HashMap<(usize, String), Result<Stat>>>,
    /// Bytes of paths and error texts held by `stats`.
    held: Cell<usize>,
}

impl<'a> StatCache<'a> {
    /// Bytes of paths and error texts remembered at most.
    const MAX_BYTES: usize = 1 << 20;
    /// Longer paths are looked up each time.
    const MAX_PATH: usize = 4096;

    fn new(inner: &'a dyn GrubDisk) -> Self {
        StatCache {
            inner,
            stats: RefCell::new(HashMap::new()),
            held: Cell::new(0),
        }
    }
}

impl GrubDisk for StatCache<'_> {
    fn volumes(&self) -> Vec<GrubVolume> {
        self.inner.volumes()
    }

    fn config_volume(&self) -> usize {
        self.inner.config_volume()
    }

    fn read(&self, volume: usize, path: &str) -> Result<Vec<u8>> {
        self.inner.read(volume, path)
    }

    fn stat(&self, volume: usize, path: &str) -> Result<Stat> {
        let key = (volume, path.to_string());
        if let Some(hit) = self.stats.borrow().get(&key) {
            return hit.clone();
        }
        let answer = self.inner.stat(volume, path);
        let cost = path
            .len()
            .saturating_add(answer.as_ref().err().map_or(0, Error::text_len));
        let held = self.held.get().saturating_add(cost);
        if path.len() <= Self::MAX_PATH && held <= Self::MAX_BYTES {
            self.held.set(held);
            self.stats.borrow_mut().insert(key, answer.clone());
        }
        answer
    }

    fn read_dir(&self, volume: usize, path: &str) -> Result<Vec<DirEntry>> {
        self.inner.read_dir(volume, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use crate::fs::FileKind;
    use std::collections::BTreeMap;

    /// Volumes held in memory: (volume, path) → contents; directories implied.
    struct MemDisk {
        vols: Vec<GrubVolume>,
        files: BTreeMap<(usize, String), Vec<u8>>,
    }

    impl MemDisk {
        fn new(parts: usize) -> MemDisk {
            MemDisk {
                vols: (0..parts)
                    .map(|i| GrubVolume {
                        name: format!("msdos{}", i + 1),
                        uuid: Some(format!("uuid-{}", i + 1)),
                        label: Some(format!("label{}", i + 1)),
                        fs: Some("ext4".into()),
                    })
                    .collect(),
                files: BTreeMap::new(),
            }
        }

        fn file(mut self, vol: usize, path: &str, data: &str) -> MemDisk {
            self.files
                .insert((vol, path.to_string()), data.as_bytes().to_vec());
            self
        }
    }

    impl GrubDisk for MemDisk {
        fn volumes(&self) -> Vec<GrubVolume> {
            self.vols.clone()
        }
        fn config_volume(&self) -> usize {
            0
        }
        fn read(&self, volume: usize, path: &str) -> Result<Vec<u8>> {
            self.files
                .get(&(volume, path.to_string()))
                .cloned()
                .ok_or_else(|| Error::not_found(format!("{path} not found")))
        }
        fn stat(&self, volume: usize, path: &str) -> Result<Stat> {
            if let Some(d) = self.files.get(&(volume, path.to_string())) {
                return Ok(Stat {
                    kind: FileKind::File,
                    len: d.len() as u64,
                });
            }
            let dir = format!("{}/", path.trim_end_matches('/'));
            if self
                .files
                .keys()
                .any(|(v, p)| *v == volume && p.starts_with(&dir))
            {
                return Ok(Stat {
                    kind: FileKind::Dir,
                    len: 0,
                });
            }
            Err(Error::not_found(format!("{path} not found")))
        }
        fn read_dir(&self, volume: usize, path: &str) -> Result<Vec<DirEntry>> {
            let dir = format!("{}/", path.trim_end_matches('/'));
            let mut out: Vec<DirEntry> = Vec::new();
            for (v, p) in self.files.keys() {
                if *v != volume {
                    continue;
                }
                if let Some(rest) = p.strip_prefix(&dir) {
                    let (name, kind) = match rest.split_once('/') {
                        Some((d, _)) => (d, FileKind::Dir),
                        None => (rest, FileKind::File),
                    };
                    if !out.iter().any(|e| e.name == name) {
                        out.push(DirEntry {
                            name: name.to_string(),
                            kind,
                        });
                    }
                }
            }
            if out.is_empty() {
                return Err(Error::not_found(format!("{path} not found")));
            }
            Ok(out)
        }
    }

    const CFG: &str = "/boot/grub/grub.cfg";

    fn eval_with(disk: &MemDisk, limits: &Limits) -> (Result<Menu>, Vec<String>) {
        let text = String::from_utf8(disk.read(0, CFG).unwrap()).unwrap();
        let mut w = Vec::new();
        let r = evaluate(&text, CFG, disk, limits, &mut w);
        (r, w)
    }

    fn eval(disk: &MemDisk) -> (Menu, Vec<String>) {
        let (r, w) = eval_with(disk, &Limits::default());
        (r.unwrap(), w)
    }

    fn kernels(disk: MemDisk) -> MemDisk {
        [
            "/vmlinuz",
            "/vmlinuz-a",
            "/vmlinuz-b",
            "/initrd",
            "/boot/vmlinuz-5.14.0-70.el9.x86_64",
            "/boot/initramfs-5.14.0-70.el9.x86_64.img",
            "/boot/vmlinuz-5.14.0-162.el9.x86_64",
            "/boot/initramfs-5.14.0-162.el9.x86_64.img",
            "/boot/tuned.img",
        ]
        .iter()
        .fold(disk, |d, k| d.file(0, k, "k"))
    }

    #[test]
    fn endless_programs_end_with_limit_errors() {
        let small = Limits {
            max_script_steps: 20_000,
            ..Limits::default()
        };
        let cases = [
            ("source $config_file\n", "nested deeper"),
            ("configfile /boot/grub/grub.cfg\n", "nested deeper"),
            ("while true; do true; done\n", "script steps"),
            ("function f { f; }\nf\n", "deeper than"),
            ("set x=x\nwhile true; do set x=\"$x$x\"; done\n", "limit"),
            (
                "for i in 1 2 3 4 5 6 7 8 9; do menuentry m { linux /vmlinuz; }; done\n",
                "entries",
            ),
        ];
        for (cfg, what) in cases {
            let disk = MemDisk::new(1).file(0, CFG, cfg);
            let limits = Limits {
                max_entries: 5,
                ..small.clone()
            };
            let (r, _) = eval_with(&disk, &limits);
            let e = r.expect_err(cfg);
            assert_eq!(e.kind(), ErrorKind::Limit, "{cfg}: {e}");
            assert!(e.to_string().contains(what), "{cfg}: {e}");
        }
    }

    #[test]
    fn unknown_commands_warn_and_leave_status_zero() {
        // As GRUB 2.06 does (checked with grub-emu): the error is printed, `$?` is 0.
        let disk = kernels(MemDisk::new(1)).file(
            0,
            CFG,
            "frobnicate\nif frobnicate; then set r=yes; fi\nmenuentry x { linux /vmlinuz r=$r; }\n",
        );
        let (m, w) = eval(&disk);
        assert_eq!(m.entries[0].args, "r=yes");
        assert!(w
            .iter()
            .any(|w| w.contains("can't find command `frobnicate'")));
    }

    #[test]
    fn warnings_name_the_original_line() {
        let disk = MemDisk::new(1).file(0, CFG, "# one\r\n# two\r\nset a=1\r\nfrobnicate\r\n");
        let (_, w) = eval(&disk);
        assert_eq!(
            w,
            vec!["(hd0,msdos1)/boot/grub/grub.cfg:4: can't find command `frobnicate'".to_string()]
        );
    }

    #[test]
    fn submenus_get_only_exported_variables() {
        let disk = kernels(MemDisk::new(1)).file(
            0,
            CFG,
            "set a=1\nset b=2\nexport a\nsubmenu s { menuentry e { linux /vmlinuz a=$a b=$b; } }\nmenuentry top { linux /vmlinuz a=$a b=$b; }\nset default=s\n",
        );
        let (m, _) = eval(&disk);
        assert_eq!(m.entries[0].args, "a=1 b=");
        assert_eq!(m.entries[0].submenu, vec!["s".to_string()]);
        assert_eq!(m.entries[1].args, "a=1 b=2");
        assert_eq!(m.default, Some(0));
    }

    #[test]
    fn search_selects_the_partition_of_the_files() {
        let disk = MemDisk::new(2)
            .file(0, CFG, "search --no-floppy --fs-uuid --set=root uuid-2\nmenuentry e { linux /vmlinuz-b; initrd /initrd; }\nmenuentry f { linux (hd0,msdos1)/vmlinuz-a; }\n")
            .file(1, "/vmlinuz-b", "k")
            .file(1, "/initrd", "i")
            .file(0, "/vmlinuz-a", "k");
        let (m, _) = eval(&disk);
        assert_eq!(m.entries[0].partition, Some(2));
        assert_eq!(m.entries[0].initrds, vec!["/initrd".to_string()]);
        assert_eq!(m.entries[1].partition, None);
        assert!(m.entries[1].is_bootable());
    }

    #[test]
    fn missing_kernels_and_other_loaders_are_not_bootable() {
        let disk = MemDisk::new(1).file(
            0,
            CFG,
            "menuentry gone { linux /nope; initrd /nope.img; }\nmenuentry xen { multiboot /xen.gz; module /vmlinuz; }\nmenuentry win { chainloader +1; }\nmenuentry other { configfile /boot/grub/other.cfg; }\n",
        );
        let (m, w) = eval(&disk);
        let why: Vec<&str> = m
            .entries
            .iter()
            .map(|e| e.not_bootable.as_deref().unwrap_or(""))
            .collect();
        assert!(why[0].contains("no kernel"), "{why:?}");
        assert!(why[1].contains("multiboot"), "{why:?}");
        assert!(why[2].contains("chainloader"), "{why:?}");
        assert!(why[3].contains("another GRUB configuration"), "{why:?}");
        assert!(w.iter().any(|w| w.contains("file `/nope' not found")));
    }

    #[test]
    fn configfile_at_top_level_shows_its_menu() {
        let disk = kernels(MemDisk::new(1))
            .file(0, CFG, "menuentry outer { linux /vmlinuz; }\nset shared=yes\nexport shared\nset private=yes\nconfigfile /boot/grub/next.cfg\nmenuentry never { linux /vmlinuz; }\n")
            .file(0, "/boot/grub/next.cfg", "menuentry inner { linux /vmlinuz-a $shared [$private]; }\n");
        let (m, _) = eval(&disk);
        assert_eq!(m.entries.len(), 1);
        assert_eq!(m.entries[0].title, "inner");
        assert_eq!(m.entries[0].args, "yes []");
    }

    #[test]
    fn blscfg_sorts_expands_and_matches_ids_first() {
        let env = format!(
            "{}kernelopts=root=/dev/xvda2 ro\nsaved_entry=3fd3-5.14.0-70.el9.x86_64\n",
            env::SIGNATURE
        );
        let disk = kernels(MemDisk::new(1))
            .file(0, CFG, "load_env\nset default=\"${saved_entry}\"\nset tuned_params=\nblscfg\n")
            .file(0, "/boot/grub/grubenv", &env)
            .file(
                0,
                "/loader/entries/3fd3-5.14.0-70.el9.x86_64.conf",
                "title RHEL (5.14.0-70)\nversion 5.14.0-70\nlinux /boot/vmlinuz-5.14.0-70.el9.x86_64\ninitrd /boot/initramfs-5.14.0-70.el9.x86_64.img $tuned_initrd\noptions $kernelopts $tuned_params\ngrub_class kernel\n",
            )
            .file(
                0,
                "/loader/entries/3fd3-5.14.0-162.el9.x86_64.conf",
                "title RHEL (5.14.0-162)\nlinux /boot/vmlinuz-5.14.0-162.el9.x86_64\ninitrd /boot/initramfs-5.14.0-162.el9.x86_64.img\n",
            );
        let (m, w) = eval(&disk);
        let titles: Vec<&str> = m.entries.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(
            titles,
            vec!["RHEL (5.14.0-162)", "RHEL (5.14.0-70)"],
            "{w:?}"
        );
        // "3fd3-…" starts with a digit: upstream GRUB would read it as entry 3;
        // Fedora's GRUB (the one with blscfg) matches the id first.
        let d = &m.entries[m.default.unwrap()];
        assert_eq!(d.title, "RHEL (5.14.0-70)");
        assert_eq!(d.args, "root=/dev/xvda2 ro");
        assert_eq!(
            d.initrds,
            vec!["/boot/initramfs-5.14.0-70.el9.x86_64.img".to_string()]
        );
        // No options: default_kernelopts is not set either, so none.
        assert_eq!(m.entries[0].args, "");
    }

    #[test]
    fn parse_wraps_file_access() {
        struct Files;
        impl FileAccess for Files {
            fn read(&self, path: &str) -> Result<Vec<u8>> {
                match path {
                    "/boot/grub/grub.cfg" => Ok(b"menuentry a { linux /vmlinuz x; }\nmenuentry b --id bee { linux /vmlinuz y; }\nset default=bee\n".to_vec()),
                    _ => Err(Error::not_found(path.to_string())),
                }
            }
            fn exists(&self, path: &str) -> bool {
                path == "/vmlinuz"
            }
        }
        let limits = Limits::default();
        let mut warnings = Vec::new();
        let text = String::from_utf8(Files.read(CFG).unwrap()).unwrap();
        let mut ctx = ParseContext {
            config_path: CFG,
            files: &Files,
            limits: &limits,
            warnings: &mut warnings,
        };
        let m = parse(&text, &mut ctx).unwrap();
        assert_eq!(m.default, Some(1));
        assert_eq!(m.entries[1].id.as_deref(), Some("bee"));
        assert_eq!(m.entries[1].args, "y");
    }
}
