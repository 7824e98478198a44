//! Unit tests of the syslinux parser, one feature at a time.

use super::parse;
use crate::config::{FileAccess, ParseContext};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;
use crate::menu::{Entry, Menu};
use std::collections::HashMap;

/// Files served from memory.
#[derive(Default)]
struct Files(HashMap<String, Vec<u8>>);

impl Files {
    fn with(files: &[(&str, &str)]) -> Files {
        Files(
            files
                .iter()
                .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
                .collect(),
        )
    }
}

impl FileAccess for Files {
    fn read(&self, path: &str) -> Result<Vec<u8>> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| Error::not_found(format!("no file {path}")))
    }
    fn exists(&self, path: &str) -> bool {
        self.0.contains_key(path)
    }
}

fn run_with(path: &str, text: &str, files: &Files, limits: &Limits) -> (Result<Menu>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut ctx = ParseContext {
        config_path: path,
        files,
        limits,
        warnings: &mut warnings,
    };
    let r = parse(text, &mut ctx);
    (r, warnings)
}

fn run(text: &str) -> (Menu, Vec<String>) {
    let (m, w) = run_with(
        "/boot/extlinux/extlinux.conf",
        text,
        &Files::default(),
        &Limits::default(),
    );
    (m.unwrap(), w)
}

fn default_entry(m: &Menu) -> &Entry {
    &m.entries[m.default.expect("a default")]
}

#[test]
fn keywords_are_case_insensitive_and_paths_resolve() {
    let (m, w) = run(
        "DeFaUlT a\nLaBeL a\n  KeRnEl ../vmlinuz\n  InItRd .//x/../i.img\n  ApPeNd ro   quiet\n",
    );
    assert!(w.is_empty(), "{w:?}");
    let e = default_entry(&m);
    assert_eq!(e.id.as_deref(), Some("a"));
    assert_eq!(e.title, "a");
    assert_eq!(e.kernel.as_deref(), Some("/boot/vmlinuz"));
    assert_eq!(e.initrds, vec!["/boot/extlinux/i.img"]);
    assert_eq!(e.args, "ro quiet initrd=.//x/../i.img");
    assert!(e.is_bootable());
}

#[test]
fn initrd_comma_lists_and_initrd_in_append() {
    let (m, _) = run(
        "DEFAULT two\nLABEL one\nKERNEL /k\nINITRD /a,/b\nLABEL two\nKERNEL /k\nAPPEND initrd=/c,/d root=/dev/xvda1\n",
    );
    assert_eq!(m.entries[0].initrds, vec!["/a", "/b"]);
    assert_eq!(m.entries[0].args, "initrd=/a,/b");
    let e = default_entry(&m);
    assert_eq!(e.initrds, vec!["/c", "/d"]);
    assert_eq!(e.args, "initrd=/c,/d root=/dev/xvda1");
}

#[test]
fn append_initrd_before_initrd_line_wins_with_a_warning() {
    let (m, w) = run("DEFAULT x\nLABEL x\nKERNEL /k\nAPPEND initrd=/first\nINITRD /second\n");
    let e = default_entry(&m);
    assert_eq!(e.initrds, vec!["/first"]);
    assert_eq!(e.args, "initrd=/first initrd=/second");
    assert!(w.iter().any(|w| w.contains("both APPEND initrd=")), "{w:?}");
}

#[test]
fn global_append_is_inherited_and_dash_means_none() {
    let (m, _) = run(
        "APPEND console=hvc0\nDEFAULT a\nLABEL a\nKERNEL /k\nLABEL b\nKERNEL /k\nAPPEND -\nLABEL c\nKERNEL /k\nAPPEND own\n",
    );
    assert_eq!(m.entries[0].args, "console=hvc0");
    assert_eq!(m.entries[1].args, "");
    assert_eq!(m.entries[2].args, "own");
}

#[test]
fn label_without_kernel_boots_the_label_name_and_kernel_words_become_args() {
    let (m, _) =
        run("DEFAULT vmlinuz\nLABEL vmlinuz\nAPPEND ro\nLABEL k\nKERNEL /k quiet\nAPPEND ro\n");
    let e = default_entry(&m);
    assert_eq!(e.kernel.as_deref(), Some("/boot/extlinux/vmlinuz"));
    assert_eq!(m.entries[1].kernel.as_deref(), Some("/k"));
    assert_eq!(m.entries[1].args, "quiet ro");
}

#[test]
fn default_command_line_becomes_its_own_entry() {
    let (m, _) =
        run("DEFAULT /vmlinuz root=/dev/xvda1 initrd=/initrd.img\nLABEL other\nKERNEL /o\n");
    assert_eq!(m.entries.len(), 2);
    let e = default_entry(&m);
    assert_eq!(m.default, Some(1));
    assert_eq!(e.title, "/vmlinuz root=/dev/xvda1 initrd=/initrd.img");
    assert_eq!(e.id, None);
    assert_eq!(e.kernel.as_deref(), Some("/vmlinuz"));
    assert_eq!(e.initrds, vec!["/initrd.img"]);
    assert_eq!(e.args, "root=/dev/xvda1 initrd=/initrd.img");
    assert_eq!(e.position, vec![1]);
    assert_eq!(m.timeout, Some(0), "PROMPT 0 boots at once");
}

#[test]
fn default_label_with_extra_words_appends_them() {
    let (m, _) = run("DEFAULT linux single\nLABEL linux\nKERNEL /k\nAPPEND ro\n");
    let e = default_entry(&m);
    assert_eq!(m.default, Some(1));
    assert_eq!(e.args, "ro single");
    assert_eq!(e.kernel.as_deref(), Some("/k"));
}

#[test]
fn implicit_zero_forbids_unlabelled_defaults() {
    let (m, _) = run("IMPLICIT 0\nDEFAULT /vmlinuz\nLABEL a\nKERNEL /k\n");
    let e = default_entry(&m);
    assert!(e.not_bootable.as_deref().unwrap().contains("IMPLICIT 0"));
}

#[test]
fn cli_ignores_menu_default_and_uses_default() {
    let (m, _) = run("DEFAULT b\nLABEL a\nMENU DEFAULT\nKERNEL /a\nLABEL b\nKERNEL /b\n");
    assert_eq!(default_entry(&m).id.as_deref(), Some("b"));
}

#[test]
fn ui_default_label_overrides_menu_default() {
    let (m, _) =
        run("UI menu.c32\nDEFAULT b\nLABEL a\nMENU DEFAULT\nKERNEL /a\nLABEL b\nKERNEL /b\n");
    assert_eq!(default_entry(&m).id.as_deref(), Some("b"));
    // UI wins over DEFAULT wherever it stands.
    let (m, _) = run("DEFAULT b\nLABEL a\nKERNEL /a\nLABEL b\nKERNEL /b\nUI vesamenu.c32\n");
    assert_eq!(default_entry(&m).id.as_deref(), Some("b"));
}

#[test]
fn old_style_default_menu_uses_menu_default_or_first() {
    let (m, _) = run("DEFAULT menu.c32\nLABEL a\nKERNEL /a\nLABEL b\nMENU DEFAULT\nKERNEL /b\n");
    assert_eq!(default_entry(&m).id.as_deref(), Some("b"));
    let (m, _) = run("DEFAULT vesamenu.c32\nLABEL a\nKERNEL /a\nLABEL b\nKERNEL /b\n");
    assert_eq!(default_entry(&m).id.as_deref(), Some("a"));
}

#[test]
fn ui_with_unknown_default_label_falls_back_to_menu_default() {
    let (m, _) =
        run("UI menu.c32\nDEFAULT zz\nLABEL a\nKERNEL /a\nLABEL b\nMENU DEFAULT\nKERNEL /b\n");
    assert_eq!(default_entry(&m).id.as_deref(), Some("b"));
}

#[test]
fn ui_default_naming_a_hidden_label_is_not_applied() {
    let (m, _) = run("UI menu.c32\nDEFAULT h\nLABEL a\nKERNEL /a\nLABEL h\nMENU HIDE\nKERNEL /h\n");
    assert_eq!(default_entry(&m).id.as_deref(), Some("a"));
    assert!(m.entries[1].hidden);
    // The command-line interface boots hidden labels.
    let (m, _) = run("DEFAULT h\nLABEL a\nKERNEL /a\nLABEL h\nMENU HIDE\nKERNEL /h\n");
    assert_eq!(default_entry(&m).id.as_deref(), Some("h"));
}

#[test]
fn ontimeout_wins_only_when_a_timeout_runs_out() {
    let cfg = "UI menu.c32\nONTIMEOUT b\nLABEL a\nKERNEL /a\nLABEL b\nKERNEL /b\n";
    let (m, _) = run(cfg);
    assert_eq!(
        default_entry(&m).id.as_deref(),
        Some("a"),
        "no timeout: menu waits"
    );
    assert_eq!(m.timeout, None);
    let (m, _) = run(&format!("TIMEOUT 25\n{cfg}"));
    assert_eq!(default_entry(&m).id.as_deref(), Some("b"));
    assert_eq!(m.timeout, Some(3));
    let (m, _) = run(&format!("TOTALTIMEOUT 100\n{cfg}"));
    assert_eq!(default_entry(&m).id.as_deref(), Some("b"));
    assert_eq!(m.timeout, Some(10));
    // Command line: PROMPT 0 boots DEFAULT at once, PROMPT 1 waits for ONTIMEOUT.
    let cli = "TIMEOUT 50\nDEFAULT a\nONTIMEOUT b\nLABEL a\nKERNEL /a\nLABEL b\nKERNEL /b\n";
    let (m, _) = run(cli);
    assert_eq!(default_entry(&m).id.as_deref(), Some("a"));
    let (m, _) = run(&format!("PROMPT 1\n{cli}"));
    assert_eq!(default_entry(&m).id.as_deref(), Some("b"));
    assert_eq!(m.timeout, Some(5));
}

#[test]
fn no_default_and_no_ui_boots_nothing() {
    let (m, w) = run("LABEL a\nKERNEL /a\n");
    assert_eq!(m.default, None);
    assert!(w.iter().any(|w| w.contains("no DEFAULT or UI")), "{w:?}");
    let (m, _) = run("TIMEOUT 10\nONTIMEOUT a\nLABEL a\nKERNEL /a\n");
    assert_eq!(m.default, Some(0));
}

#[test]
fn titles_drop_hotkey_markers_and_fall_back_to_label() {
    let (m, _) =
        run("UI menu.c32\nLABEL a\nMENU LABEL ^Install ^Debian\nKERNEL /a\nLABEL b\nKERNEL /b\n");
    assert_eq!(m.entries[0].title, "Install Debian");
    assert_eq!(m.entries[1].title, "b");
}

#[test]
fn submenus_record_paths_and_positions() {
    let (m, _) = run(
        "UI menu.c32\nLABEL a\nKERNEL /a\nMENU SEPARATOR\nMENU BEGIN adv\nMENU LABEL ^Advanced\nMENU TITLE Advanced options\nLABEL b\nKERNEL /b\nLABEL back\nMENU LABEL Back\nMENU EXIT\nMENU END\nLABEL c\nKERNEL /c\n",
    );
    let ids: Vec<_> = m.entries.iter().map(|e| e.id.clone().unwrap()).collect();
    assert_eq!(ids, vec!["a", "b", "back", "c"]);
    assert_eq!(m.submenus.len(), 1);
    assert_eq!(m.submenus[0].title, "Advanced");
    assert_eq!(m.submenus[0].id.as_deref(), Some("adv"));
    assert_eq!(m.submenus[0].position, vec![1]);
    assert_eq!(m.entries[1].submenu, vec!["Advanced"]);
    assert_eq!(m.entries[1].position, vec![1, 0]);
    assert_eq!(m.entries[3].position, vec![2]);
    assert!(m.entries[3].submenu.is_empty());
    assert!(m.entries[2]
        .not_bootable
        .as_deref()
        .unwrap()
        .contains("MENU EXIT"));
    assert_eq!(crate::select::resolve(&m, "adv>b").unwrap(), 1);
    assert_eq!(crate::select::resolve(&m, "1>0").unwrap(), 1);
}

#[test]
fn submenu_title_comes_from_menu_title_when_no_label() {
    let (m, _) =
        run("UI menu.c32\nMENU BEGIN t\nMENU TITLE The ^Title\nLABEL x\nKERNEL /x\nMENU END\n");
    assert_eq!(m.submenus[0].title, "The Title");
    assert_eq!(m.entries[0].submenu, vec!["The Title"]);
}

#[test]
fn menu_default_inside_a_submenu() {
    // MENU DEFAULT on a label inside a submenu only selects it inside the submenu;
    // the top level still opens on its own first item.
    let cfg = "UI menu.c32\nLABEL a\nKERNEL /a\nMENU BEGIN s\nLABEL b\nKERNEL /b\nLABEL c\nMENU DEFAULT\nKERNEL /c\nMENU END\n";
    let (m, _) = run(cfg);
    assert_eq!(default_entry(&m).id.as_deref(), Some("a"));
    // MENU DEFAULT before the first label of a submenu makes the submenu the parent's
    // default; we follow it to its own default item.
    let cfg2 = "UI menu.c32\nLABEL a\nKERNEL /a\nMENU BEGIN s\nMENU DEFAULT\nLABEL b\nKERNEL /b\nLABEL c\nMENU DEFAULT\nKERNEL /c\nMENU END\n";
    let (m, _) = run(cfg2);
    assert_eq!(default_entry(&m).id.as_deref(), Some("c"));
    // With UI, DEFAULT naming a label in a submenu opens that submenu on it.
    let (m, _) = run(&format!("DEFAULT b\n{cfg}"));
    assert_eq!(default_entry(&m).id.as_deref(), Some("b"));
}

#[test]
fn menu_goto_and_separators_as_defaults() {
    let cfg = "UI menu.c32\nMENU SEPARATOR\nLABEL go\nMENU GOTO s\nMENU DEFAULT\nLABEL a\nKERNEL /a\nMENU BEGIN s\nLABEL b\nKERNEL /b\nMENU END\n";
    let (m, _) = run(cfg);
    assert!(m.entries[0]
        .not_bootable
        .as_deref()
        .unwrap()
        .contains("MENU GOTO"));
    assert_eq!(default_entry(&m).id.as_deref(), Some("b"));
    let (m, _) = run("UI menu.c32\nMENU SEPARATOR\nLABEL a\nKERNEL /a\n");
    assert_eq!(default_entry(&m).id.as_deref(), Some("a"));
}

#[test]
fn menu_start_selects_the_opening_menu() {
    let (m, _) = run(
        "UI menu.c32\nLABEL a\nKERNEL /a\nMENU BEGIN s\nMENU START\nLABEL b\nKERNEL /b\nMENU END\n",
    );
    assert_eq!(default_entry(&m).id.as_deref(), Some("b"));
}

#[test]
fn disabled_entries_cannot_be_found_by_label() {
    let (m, _) = run("DEFAULT a\nLABEL a\nMENU DISABLE\nKERNEL /a\nLABEL b\nKERNEL /b\n");
    assert!(m.entries[0]
        .not_bootable
        .as_deref()
        .unwrap()
        .contains("DISABLE"));
    // "a" is no label any more: DEFAULT a is a kernel command line.
    let e = default_entry(&m);
    assert_eq!(e.id, None);
    assert_eq!(e.kernel.as_deref(), Some("/boot/extlinux/a"));
}

#[test]
fn non_linux_images_are_not_bootable() {
    let (m, _) = run(
        "DEFAULT l\nLABEL l\nLOCALBOOT 0\nLABEL c\nKERNEL chain.c32\nAPPEND hd0 1\nLABEL m\nCOM32 mboot.c32\nLABEL b\nBOOT x.bs\nLABEL s\nBSS x.bss\nLABEL p\nPXE pxelinux.0\nLABEL f\nFDIMAGE f.img\nLABEL cb\nCOMBOOT x.cbt\nLABEL cf\nCONFIG other.cfg\nLABEL li\nLINUX vmlinuz.img\n",
    );
    let e = default_entry(&m);
    assert_eq!(e.kernel, None);
    assert!(e.not_bootable.as_deref().unwrap().contains("LOCALBOOT"));
    for e in &m.entries[1..9] {
        assert!(e.not_bootable.is_some(), "{e:?}");
        assert!(e.initrds.is_empty());
    }
    assert_eq!(m.entries[1].args, "hd0 1");
    assert_eq!(
        m.entries[1].kernel.as_deref(),
        Some("/boot/extlinux/chain.c32")
    );
    assert!(m.entries[9].is_bootable(), "LINUX forces a Linux kernel");
}

#[test]
fn text_help_is_skipped() {
    let (m, w) =
        run("DEFAULT a\nLABEL a\nTEXT HELP\n  kernel /wrong\n  label bogus\nENDTEXT\nKERNEL /a\n");
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(m.entries.len(), 1);
    assert_eq!(default_entry(&m).kernel.as_deref(), Some("/a"));
}

#[test]
fn display_directives_are_silent_and_unknown_ones_warn() {
    let (_, w) = run(
        "# comment\nSAY hi\nDISPLAY boot.msg\nF1 help.txt\nF10 x\nPROMPT 1\nNOESCAPE 1\nNOCOMPLETE 1\nALLOWOPTIONS 0\nIMPLICIT 1\nSERIAL 0 115200\nCONSOLE 0\nFONT x.psf\nKBDMAP de.ktl\nMENU TITLE t\nMENU COLOR sel 0 #fff #000 none\nMENU BACKGROUND b.png\nMENU HIDDEN\nMENU VSHIFT 8\nMENU TABMSG x\nMENU AUTOBOOT go\nMENU CLEAR\nPATH\nONERROR x\nTOTALTIMEOUT 9000\n",
    );
    assert!(w.is_empty(), "{w:?}");
    let (_, w) = run("FROB x\nMENU WIBBLE y\nIPAPPEND 2\nSYSAPPEND 3\n");
    assert_eq!(w.len(), 3, "{w:?}");
    assert!(w[0].contains("\"FROB\"") && w[0].contains("extlinux.conf:1"));
    assert!(w[1].contains("WIBBLE"));
    assert!(w[2].contains("IPAPPEND"));
}

#[test]
fn includes_resolve_against_the_main_config_directory() {
    let files = Files::with(&[
        (
            "/isolinux/menu.cfg",
            "include sub/txt.cfg\nMENU INCLUDE gtk.cfg Graphical\n",
        ),
        ("/isolinux/sub/txt.cfg", "label install\n  kernel vmlinuz\n"),
        (
            "/isolinux/gtk.cfg",
            "label gui\n  kernel /gtk/vmlinuz\n  append quiet\n",
        ),
    ]);
    let (m, w) = run_with(
        "/isolinux/isolinux.cfg",
        "include menu.cfg\ndefault gui\n",
        &files,
        &Limits::default(),
    );
    let m = m.unwrap();
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(m.entries.len(), 2);
    assert_eq!(m.entries[0].kernel.as_deref(), Some("/isolinux/vmlinuz"));
    assert_eq!(m.submenus[0].title, "Graphical");
    assert_eq!(m.entries[1].submenu, vec!["Graphical"]);
    assert_eq!(default_entry(&m).id.as_deref(), Some("gui"));
}

#[test]
fn pxelinux_names_resolve_against_the_prefix() {
    let files = Files::with(&[("/tftp/common.cfg", "LABEL c\nKERNEL k2\n")]);
    let (m, w) = run_with(
        "/tftp/pxelinux.cfg/default",
        "DEFAULT a\nLABEL a\nKERNEL images/vmlinuz\nINITRD ::/abs.img\nINCLUDE common.cfg\n",
        &files,
        &Limits::default(),
    );
    let m = m.unwrap();
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(m.entries[0].kernel.as_deref(), Some("/tftp/images/vmlinuz"));
    assert_eq!(m.entries[0].initrds, vec!["/abs.img"]);
    assert_eq!(m.entries[1].kernel.as_deref(), Some("/tftp/k2"));
}

#[test]
fn a_label_continues_across_an_include() {
    let files = Files::with(&[("/b.cfg", "APPEND from-include\n")]);
    let (m, _) = run_with(
        "/a.cfg",
        "DEFAULT x\nLABEL x\nKERNEL /k\nINCLUDE b.cfg\n",
        &files,
        &Limits::default(),
    );
    assert_eq!(default_entry(&m.unwrap()).args, "from-include");
}

#[test]
fn include_cycles_depth_and_missing_files_warn() {
    let files = Files::with(&[
        ("/a.cfg", "INCLUDE a.cfg\nLABEL x\nKERNEL /x\n"),
        ("/b.cfg", "INCLUDE c.cfg\n"),
        ("/c.cfg", "INCLUDE b.cfg\nLABEL y\nKERNEL /y\n"),
    ]);
    let (m, w) = run_with("/a.cfg", "INCLUDE a.cfg\nINCLUDE ~\nINCLUDE b.cfg\nINCLUDE nope.cfg\nDEFAULT x\nLABEL x\nKERNEL /x\n", &files, &Limits::default());
    let m = m.unwrap();
    assert_eq!(m.entries.len(), 2, "{:?}", m.entries);
    assert_eq!(
        w.iter().filter(|w| w.contains("include cycle")).count(),
        3,
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.contains("/nope.cfg") && w.contains("no file")),
        "{w:?}"
    );

    // A chain deeper than the limit stops with a warning.
    let mut chain = Files::default();
    for i in 0..20 {
        chain.0.insert(
            format!("/{i}.cfg"),
            format!("INCLUDE {}.cfg\nLABEL l{i}\nKERNEL /k\n", i + 1).into_bytes(),
        );
    }
    let limits = Limits {
        max_include_depth: 3,
        ..Limits::default()
    };
    let (m, w) = run_with("/0.cfg", "INCLUDE 1.cfg\n", &chain, &limits);
    assert_eq!(m.unwrap().entries.len(), 3);
    assert!(w.iter().any(|w| w.contains("deeper than 3")), "{w:?}");
}

#[test]
fn limits_end_in_errors() {
    let limits = Limits {
        max_entries: 5,
        ..Limits::default()
    };
    let text = "LABEL a\nKERNEL /a\n".repeat(10);
    let (r, _) = run_with("/s.cfg", &text, &Files::default(), &limits);
    assert_eq!(r.unwrap_err().kind(), ErrorKind::Limit);

    let limits = Limits {
        max_script_steps: 100,
        ..Limits::default()
    };
    let (r, _) = run_with("/s.cfg", &"SAY x\n".repeat(200), &Files::default(), &limits);
    assert_eq!(r.unwrap_err().kind(), ErrorKind::Limit);

    let (r, _) = run_with(
        "/s.cfg",
        &"MENU BEGIN x\n".repeat(100),
        &Files::default(),
        &Limits::default(),
    );
    assert_eq!(r.unwrap_err().kind(), ErrorKind::Limit);
}

#[test]
fn hostile_text_never_panics() {
    let mut big = String::from("LABEL a\nKERNEL /a\nAPPEND ");
    big.push_str(&"x".repeat(100_000));
    big.push_str("\n\0\0LABEL\0b\n\u{feff}LABEL c\r\nKERNEL\n\n\nMENU\nMENU END\nMENU END\nINCLUDE\nDEFAULT\nUI\n");
    big.push_str(&"junk line\n".repeat(500));
    let (m, w) = run(&big);
    assert!(w.len() <= 101, "warnings are bounded: {}", w.len());
    assert!(w.last().unwrap().contains("more warnings"));
    // The 100,000-byte APPEND was cut at syslinux's 4095-byte line length.
    assert_eq!(m.entries[0].args.len(), 4095 - "APPEND ".len());
    for seed in 0u64..200 {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let words = [
            "LABEL ",
            "KERNEL ",
            "MENU ",
            "BEGIN",
            "END",
            "DEFAULT ",
            "\n",
            "^",
            "INITRD ",
            ",",
            "initrd=",
            " ",
            "UI ",
            "GOTO ",
            "EXIT",
            "a",
            "HIDE",
            "TIMEOUT 5",
            "ONTIMEOUT ",
            "-",
            "APPEND ",
            "SEPARATOR",
            "INCLUDE ~",
        ];
        let mut t = String::new();
        for _ in 0..300 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            t.push_str(words[(x % words.len() as u64) as usize]);
        }
        let (r, _) = run_with(
            "/f/s.cfg",
            &t,
            &Files::with(&[("/f/s.cfg", &t)]),
            &Limits::default(),
        );
        if let Ok(m) = r {
            if let Some(d) = m.default {
                assert!(d < m.entries.len());
            }
        }
    }
}
