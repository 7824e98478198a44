//! Unit tests of the GRUB 2 first cut.

use super::*;
use crate::config::FileAccess;
use crate::error::Error;
use crate::limits::Limits;
use std::collections::HashMap;

struct Files(HashMap<String, Vec<u8>>);

impl FileAccess for Files {
    fn read(&self, path: &str) -> Result<Vec<u8>> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| Error::not_found(format!("no {path}")))
    }
    fn exists(&self, path: &str) -> bool {
        self.0.contains_key(path)
    }
}

fn run_with(text: &str, files: &[(&str, &[u8])], limits: &Limits) -> Result<(Menu, Vec<String>)> {
    let files = Files(
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.to_vec()))
            .collect(),
    );
    let mut warnings = Vec::new();
    let mut ctx = ParseContext {
        config_path: "/boot/grub/grub.cfg",
        files: &files,
        limits,
        warnings: &mut warnings,
    };
    let menu = parse(text, &mut ctx)?;
    Ok((menu, warnings))
}

fn run(text: &str) -> (Menu, Vec<String>) {
    run_with(text, &[], &Limits::default()).unwrap()
}

fn grubenv(vars: &str) -> Vec<u8> {
    let mut b = format!("# GRUB Environment Block\n{vars}").into_bytes();
    b.resize(1024, b'#');
    b
}

#[test]
fn menuentry_with_options_linux_and_initrds() {
    let (m, w) = run(
        "set timeout=7\nmenuentry 'Debian {x}' --class debian --class os --unrestricted --users u \
         --hotkey d --id deb-1 {\n  insmod ext2\n  set root='hd0,msdos2'\n  \
         linux /boot/vmlinuz  root=/dev/xvda2  ro quiet\n  initrd /boot/ucode.img (hd0,msdos2)/boot/initrd.img\n}\n",
    );
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(m.timeout, Some(7));
    let e = &m.entries[0];
    assert_eq!(e.title, "Debian {x}");
    assert_eq!(e.id.as_deref(), Some("deb-1"));
    assert_eq!(e.kernel.as_deref(), Some("/boot/vmlinuz"));
    assert_eq!(e.args, "root=/dev/xvda2 ro quiet");
    assert_eq!(e.initrds, vec!["/boot/ucode.img", "/boot/initrd.img"]);
    assert_eq!(e.partition, Some(2));
    assert_eq!(m.default, Some(0));
}

#[test]
fn linux16_linuxefi_device_prefixes_and_variables() {
    let (m, w) = run(
        "set kver=5.10\nset opts=\"quiet  splash\"\nmenuentry a {\nlinux16 (hd0,gpt3)/vmlinuz-$kver root=x $opts \"${opts}\"\ninitrd16 /i-${kver}\n}\n\
         menuentry b {\nlinuxefi /k $undefined end\ninitrdefi /i1 /i2\n}\n",
    );
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(m.entries[0].kernel.as_deref(), Some("/vmlinuz-5.10"));
    assert_eq!(m.entries[0].partition, Some(3));
    assert_eq!(m.entries[0].args, "root=x quiet splash quiet  splash");
    assert_eq!(m.entries[0].initrds, vec!["/i-5.10"]);
    assert_eq!(m.entries[1].args, "end");
    assert_eq!(m.entries[1].initrds, vec!["/i1", "/i2"]);
    assert_eq!(m.entries[1].partition, None);
}

#[test]
fn submenus_positions_and_defaults() {
    let text = |default: &str| {
        format!(
            "set default=\"{default}\"\nmenuentry 'A' --id a {{ linux /a }}\n\
             submenu 'Adv' --id adv {{\n menuentry 'B' --id b {{ linux /b }}\n menuentry 'C>D' {{ linux /c }}\n}}\n\
             menuentry 'E' {{ linux /e }}\n"
        )
    };
    let (m, _) = run(&text("0"));
    let pos: Vec<Vec<usize>> = m.entries.iter().map(|e| e.position.clone()).collect();
    assert_eq!(pos, vec![vec![0], vec![1, 0], vec![1, 1], vec![2]]);
    assert_eq!(m.entries[1].submenu, vec!["Adv".to_string()]);
    assert_eq!(m.submenus[0].position, vec![1]);
    for (spec, want) in [
        ("2", 3),
        ("E", 3),
        ("a", 0),
        ("1>1", 2),
        ("adv>b", 1),
        ("Adv>C>>D", 2),
        ("1", 1),
        ("", 0),
        ("0x2", 3),
    ] {
        let (m, w) = run(&text(spec));
        assert_eq!(m.default, Some(want), "{spec}");
        assert!(w.is_empty(), "{spec}: {w:?}");
    }
    for bad in ["7", "nope", "1>5", "b"] {
        let (m, w) = run(&text(bad));
        assert_eq!(m.default, Some(0), "{bad}");
        assert_eq!(w.len(), 1, "{bad}: {w:?}");
    }
}

#[test]
fn if_elif_else_and_tests() {
    let (m, w) = run(
        "set a=1\nif [ \"$a\" = 2 ]; then set t=x; elif [ $a -eq 1 -a -n \"$a\" ]; then set t=y; else set t=z; fi\n\
         if [ -z \"$nothing\" ] ; then\n set u=empty\nfi\nif [ ! x$grub_platform = xxen ]; then set t=bad; fi\n\
         if [ -s $prefix/grubenv ]; then set t=bad; fi\n\
         menuentry \"$t $u\" { linux /k }\n",
    );
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(m.entries[0].title, "y empty");
}

#[test]
fn saved_entry_from_grubenv() {
    let cfg = "if [ -s $prefix/grubenv ]; then\n  load_env\nfi\nset default=\"${saved_entry}\"\n\
               menuentry 'one' { linux /1 }\nmenuentry 'two' --id second { linux /2 }\n";
    let env = grubenv("saved_entry=second\n");
    let (m, w) = run_with(cfg, &[("/boot/grub/grubenv", &env)], &Limits::default()).unwrap();
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(m.default, Some(1));
    let (m, w) = run(cfg);
    assert_eq!(m.default, Some(0));
    assert!(w.is_empty(), "{w:?}");
}

#[test]
fn next_entry_from_grubenv_debian_style() {
    let cfg = "if [ -s $prefix/grubenv ]; then\n  set have_grubenv=true\n  load_env\nfi\n\
               if [ \"${next_entry}\" ] ; then\n   set default=\"${next_entry}\"\n   set next_entry=\n   \
               save_env next_entry\nelse\n   set default=\"0\"\nfi\n\
               menuentry 'one' { linux /1 }\nsubmenu 'more' { menuentry 'two' { linux /2 } }\n";
    let env = grubenv("next_entry=more>two\n");
    let (m, w) = run_with(cfg, &[("/boot/grub/grubenv", &env)], &Limits::default()).unwrap();
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(m.default, Some(1));
    let bad = b"garbage".to_vec();
    let (m, w) = run_with(cfg, &[("/boot/grub/grubenv", &bad)], &Limits::default()).unwrap();
    assert_eq!(m.default, Some(0));
    assert_eq!(w.len(), 1, "{w:?}");
}

#[test]
fn not_bootable_entries_and_unknown_commands() {
    let (m, w) = run(
        "frob 1\nfrob 2\nmenuentry 'Xen' { multiboot /xen.gz; module /vmlinuz ro; module /initrd }\n\
         menuentry 'Win' { chainloader +1 }\nmenuentry 'empty' { echo hi }\n",
    );
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains("frob"));
    assert!(m.entries[0]
        .not_bootable
        .as_deref()
        .unwrap()
        .contains("multiboot"));
    assert!(m.entries[1]
        .not_bootable
        .as_deref()
        .unwrap()
        .contains("chainloader"));
    assert_eq!(
        m.entries[2].not_bootable.as_deref(),
        Some("no linux command")
    );
}

#[test]
fn functions_loops_source_and_positional() {
    let inc = b"menuentry \"from source $1\" { linux /s }\n";
    let (m, w) = run_with(
        "function mk {\n  menuentry \"fn $1\" $1 { linux /$2 }\n  return\n  set never=1\n}\n\
         for k in a b; do mk $k; done\nset i=0\nwhile [ $i != 2 ]; do if [ $i = 0 ]; then set i=1; else set i=2; fi; done\n\
         menuentry \"i=$i never=$never\" extra { linux /x \"$2\" $1 }\nsource /boot/grub/inc.cfg\n\
         if [ -f $prefix/inc.cfg ]; then set f=yes; fi\nmenuentry \"f=$f\" { linux /f }\n",
        &[("/boot/grub/inc.cfg", inc)],
        &Limits::default(),
    )
    .unwrap();
    assert!(w.is_empty(), "{w:?}");
    let titles: Vec<&str> = m.entries.iter().map(|e| e.title.as_str()).collect();
    assert_eq!(
        titles,
        vec!["fn a", "fn b", "i=2 never=", "from source ", "f=yes"]
    );
    assert_eq!(m.entries[1].kernel.as_deref(), Some("/b"));
    assert_eq!(m.entries[2].args, "extra i=2 never=");
}

#[test]
fn entry_scope_does_not_leak() {
    let (m, _) = run(
        "set root=hd0,msdos1\nmenuentry a { set root=hd0,msdos5; set x=1; linux /a }\n\
         menuentry \"x=$x\" { linux /b }\n",
    );
    assert_eq!(m.entries[0].partition, Some(5));
    assert_eq!(m.entries[1].partition, Some(1));
    assert_eq!(m.entries[1].title, "x=");
}

#[test]
fn syntax_errors_are_warnings() {
    let (m, w) = run("fi\n}\nmenuentry 'ok' { linux /ok }\nif true; then\nmenuentry 'lost' {\n");
    assert_eq!(m.entries.len(), 1);
    assert_eq!(m.entries[0].title, "ok");
    assert!(w.len() >= 3, "{w:?}");
}

#[test]
fn bounds_hold_on_hostile_input() {
    let deep = "if true; then ".repeat(10_000);
    let (m, w) = run(&deep);
    assert!(m.entries.is_empty());
    assert!(!w.is_empty());
    let (_, w) = run("function f { f }\nf\n");
    assert!(w.iter().any(|w| w.contains("nested deeper")), "{w:?}");
    let limits = Limits {
        max_script_steps: 1000,
        ..Limits::default()
    };
    let err = run_with("while true; do true; done\n", &[], &limits).unwrap_err();
    assert_eq!(err.kind(), crate::error::ErrorKind::Limit);
    let limits = Limits {
        max_entries: 2,
        ..Limits::default()
    };
    let err = run_with(
        "for i in 1 2 3; do menuentry $i { linux /k }; done",
        &[],
        &limits,
    )
    .unwrap_err();
    assert_eq!(err.kind(), crate::error::ErrorKind::Limit);
    let (_, w) = run("source /boot/grub/grub.cfg\n");
    assert!(!w.is_empty());
}

#[test]
fn numbers_as_grub_reads_them() {
    assert_eq!(grub_number("12"), Some(12));
    assert_eq!(grub_number("0x1f"), Some(31));
    assert_eq!(grub_number("010"), Some(8));
    assert_eq!(grub_number("08"), None);
    assert_eq!(grub_number("1a"), None);
    assert_eq!(grub_number(""), None);
}

#[test]
fn deepest_allowed_nesting_fits_the_stack() {
    let depth = parser::MAX_NESTING - 2;
    let body = format!(
        "{}f\n{}",
        "if true; then ".repeat(depth),
        "fi\n".repeat(depth)
    );
    let text = format!("function f {{\n{body}}}\nf\nmenuentry done {{ linux /k }}\n");
    let (m, w) = run(&text);
    assert_eq!(m.entries.len(), 1);
    assert!(w.iter().any(|w| w.contains("nested deeper than")), "{w:?}");
}
