//! LILO parser against the real configurations of `shared/corpus/grubby` (defaults
//! checked by hand against LILO's rules: `default=` names a label, else the first
//! image; options built as LILO's map installer does).

use std::path::{Path, PathBuf};
use xenboot::config::{self, FileAccess, Language, ParseContext};
use xenboot::{Error, Limits, Menu, Result};

/// Serves files of a host directory as the guest filesystem.
struct HostDir(PathBuf);

impl FileAccess for HostDir {
    fn read(&self, path: &str) -> Result<Vec<u8>> {
        std::fs::read(self.0.join(path.trim_start_matches('/')))
            .map_err(|e| Error::io(format!("reading {path}"), &e))
    }
    fn exists(&self, path: &str) -> bool {
        self.0.join(path.trim_start_matches('/')).is_file()
    }
}

fn parse(name: &str) -> (Menu, Vec<String>) {
    let files = HostDir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/grubby"));
    let path = format!("/{name}");
    let text = config::decode_text(&files.read(&path).unwrap());
    let limits = Limits::default();
    let mut warnings = Vec::new();
    let mut ctx = ParseContext {
        config_path: &path,
        files: &files,
        limits: &limits,
        warnings: &mut warnings,
    };
    let menu = config::parse(Language::Lilo, &text, &mut ctx).unwrap();
    (menu, warnings)
}

/// Checks the default entry; returns the menu.
fn check(
    name: &str,
    labels: &[&str],
    index: usize,
    kernel: &str,
    initrd: &str,
    args: &str,
) -> Menu {
    let (m, w) = parse(name);
    assert!(w.is_empty(), "{name}: {w:?}");
    let titles: Vec<&str> = m.entries.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(titles, labels, "{name}");
    assert_eq!(m.default, Some(index), "{name}");
    let e = &m.entries[index];
    assert_eq!(e.id.as_deref(), Some(labels[index]), "{name}");
    assert_eq!(e.kernel.as_deref(), Some(kernel), "{name}");
    assert_eq!(e.initrds, vec![initrd.to_string()], "{name}");
    assert_eq!(e.args, args, "{name}");
    assert_eq!(e.partition, None, "{name}");
    assert!(e.is_bootable(), "{name}");
    m
}

#[test]
fn lilo_1_disk_sections_and_default_label() {
    let m = check(
        "lilo.1",
        &["linux-up", "linux"],
        1,
        "/boot/vmlinuz-2.4.18-4smp",
        "/boot/initrd-2.4.18-4smp.img",
        "ro root=/dev/md0",
    );
    assert_eq!(m.timeout, Some(5));
}

#[test]
fn lilo_2_default_first() {
    check(
        "lilo.2",
        &["linux", "linux-up", "linux-up-old"],
        0,
        "/boot/vmlinuz-2.4.9-31smp",
        "/boot/initrd-2.4.9-31smp.img",
        "ro root=/dev/md3",
    );
}

#[test]
fn lilo_3_append_and_duplicate_label() {
    let m = check(
        "lilo.3",
        &["linux-up", "single", "linux", "linux"],
        2,
        "/boot/vmlinuz-2.4.18-4smp",
        "/boot/initrd-2.4.18-4smp.img",
        "ro root=/dev/hda2",
    );
    assert_eq!(m.entries[0].args, "ro root=/dev/hda1 hda=ide-scsi");
    assert_eq!(m.entries[1].args, "ro root=/dev/hda1 single hda=ide-scsi");
    assert_eq!(m.entries[3].args, "ro root=/dev/hda2 single hda=ide-scsi");
}

#[test]
fn lilo_4_other_is_listed_not_bootable() {
    let m = check(
        "lilo.4",
        &["linux", "DOS"],
        0,
        "/boot/vmlinuz-2.4.18-4",
        "/boot/initrd-2.4.18-4.img",
        "ro root=/dev/hda1",
    );
    assert!(m.entries[1]
        .not_bootable
        .as_deref()
        .unwrap()
        .contains("other=/dev/hda2"));
}

#[test]
fn lilo_5_default_names_the_other_entry() {
    let (m, w) = parse("lilo.5");
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(m.default, Some(1));
    assert_eq!(m.entries[1].title, "DOS");
    assert!(!m.entries[1].is_bootable());
    assert_eq!(m.entries[0].args, "ro root=/dev/hda1");
}

#[test]
fn lilo_6_root_in_append() {
    check(
        "lilo.6",
        &["linux", "DOS"],
        0,
        "/boot/vmlinuz-2.4.18-4",
        "/boot/initrd-2.4.18-4.img",
        "ro root=LABEL=/",
    );
}

#[test]
fn lilo_7_long_labels() {
    check(
        "lilo.7",
        &["linux-longtitl1", "linux-longtitle", "linux"],
        2,
        "/boot/vmlinuz-2.4.18-4smp",
        "/boot/initrd-2.4.18-4smp.img",
        "ro root=/dev/md0",
    );
}
