//! LILO parser against the real configurations of `shared/corpus/grubby` (defaults
//! checked by hand against LILO's rules: `default=` names a label, else the first
//! image; options built as LILO's map installer does).

mod common;

use common::{corpus, parse_host};
use xenboot::config::Language;
use xenboot::Menu;

fn parse(name: &str) -> (Menu, Vec<String>) {
    parse_host(
        Language::Lilo,
        &corpus().join("grubby"),
        &format!("/{name}"),
    )
    .unwrap()
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
