//! Parses every syslinux-family configuration of `shared/corpus/` and checks the
//! entry syslinux boots with no user input. The expected values were worked out by
//! hand from syslinux 6's rules (see `src/config/syslinux/default.rs`), not taken from
//! the corpus' own `*.json` files (those are u-root's opinions).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use xenboot::config::{self, FileAccess, Language, ParseContext};
use xenboot::{Entry, Error, Limits, Menu, Result};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus");

/// Serves absolute guest paths from a host directory (`/isolinux/x` → `root/isolinux/x`).
struct HostTree {
    root: PathBuf,
}

/// Serves a fixed set of guest paths from host files.
struct Mapped(HashMap<String, PathBuf>);

fn read_host(p: &Path, guest: &str) -> Result<Vec<u8>> {
    std::fs::read(p).map_err(|e| Error::io(format!("reading {guest} from {}", p.display()), &e))
}

impl FileAccess for HostTree {
    fn read(&self, path: &str) -> Result<Vec<u8>> {
        read_host(&self.root.join(path.trim_start_matches('/')), path)
    }
    fn exists(&self, path: &str) -> bool {
        self.root.join(path.trim_start_matches('/')).is_file()
    }
}

impl FileAccess for Mapped {
    fn read(&self, path: &str) -> Result<Vec<u8>> {
        match self.0.get(path) {
            Some(p) => read_host(p, path),
            None => Err(Error::not_found(format!("{path} is not in the test tree"))),
        }
    }
    fn exists(&self, path: &str) -> bool {
        self.0.contains_key(path)
    }
}

/// Parses the guest file `config_path` served by `files`; returns the menu and
/// the warnings.
fn parse(files: &dyn FileAccess, config_path: &str) -> (Menu, Vec<String>) {
    let text = config::decode_text(&files.read(config_path).unwrap());
    let limits = Limits::default();
    let mut warnings = Vec::new();
    let mut ctx = ParseContext {
        config_path,
        files,
        limits: &limits,
        warnings: &mut warnings,
    };
    let menu = config::parse(Language::Syslinux, &text, &mut ctx)
        .unwrap_or_else(|e| panic!("{config_path}: {e}"));
    (menu, warnings)
}

fn tree(name: &str) -> (Menu, Vec<String>) {
    let files = HostTree {
        root: Path::new(CORPUS).join("u-root/syslinux").join(name),
    };
    parse(&files, "/isolinux/isolinux.cfg")
}

fn single(host: &str, guest: &str) -> (Menu, Vec<String>) {
    let files = Mapped(HashMap::from([(
        guest.to_string(),
        Path::new(CORPUS).join(host),
    )]));
    parse(&files, guest)
}

fn default_entry(m: &Menu) -> &Entry {
    let d = m.default.expect("the menu has a default");
    assert!(d < m.entries.len());
    &m.entries[d]
}

/// Asserts title, kernel, initrds and args of the default entry, and that it boots.
fn check(m: &Menu, title: &str, kernel: &str, initrds: &[&str], args: &str) {
    let e = default_entry(m);
    assert_eq!(e.title, title);
    assert_eq!(e.kernel.as_deref(), Some(kernel));
    assert_eq!(e.initrds, initrds);
    assert_eq!(e.args, args);
    assert!(e.is_bootable(), "{e:?}");
}

#[test]
fn debian_10_installer_boots_menu_default_of_graphical_install() {
    // isolinux.cfg: `include menu.cfg` then `default vesamenu.c32` (the last DEFAULT,
    // an old-style menu without UI): the top-level MENU DEFAULT (gtk.cfg) decides;
    // the MENU DEFAULTs of drk.cfg/drkgtk.cfg only act inside the "dark" submenu.
    let (m, w) = tree("debian_10_install");
    check(
        &m,
        "Graphical install",
        "/install.amd/vmlinuz",
        &["/install.amd/gtk/initrd.gz"],
        "vga=788 initrd=/install.amd/gtk/initrd.gz --- quiet",
    );
    assert_eq!(default_entry(&m).id.as_deref(), Some("installgui"));
    assert_eq!(m.timeout, None, "timeout 0: the menu waits");
    // Submenus: Advanced options (holding adspkgtk.cfg's speech submenu), dark
    // contrast (with its own Advanced options).
    let subs: Vec<_> = m
        .submenus
        .iter()
        .map(|s| (s.title.as_str(), s.id.as_deref(), s.position.clone()))
        .collect();
    assert_eq!(
        subs,
        vec![
            ("Advanced options", Some("advanced"), vec![2]),
            ("Speech-enabled advanced options", Some("adspk"), vec![2, 7]),
            (
                "Accessible dark contrast installer menu",
                Some("dark"),
                vec![3]
            ),
            ("Advanced options", Some("advanced"), vec![3, 3]),
        ]
    );
    let expert = m
        .entries
        .iter()
        .find(|e| e.id.as_deref() == Some("expertspk"))
        .unwrap();
    assert_eq!(
        expert.submenu,
        vec!["Advanced options", "Speech-enabled advanced options"]
    );
    let dark = m
        .entries
        .iter()
        .find(|e| e.id.as_deref() == Some("installdark"))
        .unwrap();
    assert_eq!(
        dark.submenu,
        vec!["Accessible dark contrast installer menu"]
    );
    assert_eq!(
        dark.args,
        "vga=788 initrd=/install.amd/initrd.gz theme=dark --- quiet"
    );
    // "help" switches configuration files: listed, not bootable.
    let help = m
        .entries
        .iter()
        .find(|e| e.id.as_deref() == Some("help"))
        .unwrap();
    assert!(help.not_bootable.as_deref().unwrap().contains("CONFIG"));
    // x86menu.cfg, adspk.cfg and spk.cfg are not in the tree: skipped with warnings.
    assert!(
        w.iter().any(|w| w.contains("/isolinux/x86menu.cfg")),
        "{w:?}"
    );
}

#[test]
fn debian_9_live_boots_first_entry() {
    // The last DEFAULT is vesamenu.c32 (no UI): menu.cfg's DEFAULT label is ignored by
    // the menu, there is no MENU DEFAULT, so the first top-level entry is highlighted.
    let (m, w) = tree("debian_9_install");
    check(
        &m,
        "Debian GNU/Linux Live (kernel 4.9.0-3-amd64)",
        "/live/vmlinuz-4.9.0-3-amd64",
        &["/live/initrd.img-4.9.0-3-amd64"],
        "initrd=/live/initrd.img-4.9.0-3-amd64 boot=live components",
    );
    assert_eq!(m.default, Some(0));
    assert!(w.is_empty(), "{w:?}");
    let gui = m
        .entries
        .iter()
        .find(|e| e.title == "Graphical Debian Installer")
        .unwrap();
    assert!(
        gui.submenu.is_empty(),
        "MENU end closed the advanced submenu"
    );
    assert_eq!(gui.initrds, vec!["/d-i/gtk/initrd.gz"]);
}

#[test]
fn fedora_27_live_boots_menu_default_check() {
    let (m, w) = tree("fedora_27_install");
    check(
        &m,
        "Test this media & start Fedora-Workstation-Live 27",
        "/isolinux/vmlinuz",
        &["/isolinux/initrd.img"],
        "initrd=initrd.img root=live:CDLABEL=Fedora-WS-Live-27-1-6 rd.live.image rd.live.check quiet",
    );
    assert_eq!(default_entry(&m).id.as_deref(), Some("check"));
    assert_eq!(m.timeout, Some(60));
    assert!(w.is_empty(), "{w:?}");
    let local = m
        .entries
        .iter()
        .find(|e| e.id.as_deref() == Some("local"))
        .unwrap();
    assert!(local.not_bootable.as_deref().unwrap().contains("LOCALBOOT"));
    assert_eq!(local.submenu, vec!["Troubleshooting"]);
}

#[test]
fn qubes_3_2_default_is_a_multiboot_module_and_not_bootable() {
    let (m, _) = tree("qubes_3_2_install");
    let e = default_entry(&m);
    assert_eq!(e.title, "Test this media & install Qubes R3.2");
    assert_eq!(e.kernel.as_deref(), Some("/isolinux/mboot.c32"));
    assert!(e.initrds.is_empty());
    assert_eq!(
        e.args,
        "xen.gz console=none --- vmlinuz inst.stage2=hd:LABEL=Qubes-R3.2-x86_64 \
         i915.preliminary_hw_support=1 quiet rhgb rd.live.check --- initrd.img"
    );
    assert!(e.not_bootable.as_deref().unwrap().contains("COM32"));
}

#[test]
fn petitboot_nested_includes() {
    // Layout of petitboot's own test: the root config in /boot/syslinux, nest-1 at the
    // top of the filesystem (absolute INCLUDE), nest-2 next to the root config
    // (nest-1 includes it by a relative name, resolved against the main config's
    // directory).
    let dir = Path::new(CORPUS).join("petitboot");
    let files = Mapped(HashMap::from([
        (
            "/boot/syslinux/syslinux.cfg".to_string(),
            dir.join("syslinux-include-root.cfg"),
        ),
        (
            "/syslinux-include-nest-1.cfg".to_string(),
            dir.join("syslinux-include-nest-1.cfg"),
        ),
        (
            "/boot/syslinux/syslinux-include-nest-2.cfg".to_string(),
            dir.join("syslinux-include-nest-2.cfg"),
        ),
    ]));
    let (m, w) = parse(&files, "/boot/syslinux/syslinux.cfg");
    assert!(w.is_empty(), "{w:?}");
    let ids: Vec<_> = m.entries.iter().map(|e| e.id.clone().unwrap()).collect();
    assert_eq!(
        ids,
        vec!["floppy", "backup", "comboot", "com32", "boot", "bss", "linux"]
    );
    // DEFAULT boot, no UI, PROMPT 0: the label's own APPEND replaces the global one.
    check(
        &m,
        "boot",
        "/bzImage-boot",
        &["/initrd-boot"],
        "root=/dev/sda initrd=/initrd-boot",
    );
    assert_eq!(m.timeout, Some(0));
    let bootable: Vec<_> = m.entries.iter().map(Entry::is_bootable).collect();
    assert_eq!(bootable, vec![false, true, false, false, true, false, true]);
    assert_eq!(m.entries[1].args, "root=/dev/sdb initrd=/boot/initrd");
    assert_eq!(m.entries[1].initrds, vec!["/boot/initrd"]);
    assert_eq!(
        m.entries[2].args, "console=ttyS0",
        "global APPEND inherited"
    );
    assert_eq!(m.entries[6].kernel.as_deref(), Some("/boot/bzImage"));
    assert_eq!(m.entries[6].args, "root=/dev/sdc");
}

#[test]
fn grubby_extlinux_defaults() {
    let guest = "/boot/extlinux/extlinux.conf";
    // 1 and 2: UI menu.c32 with DEFAULT naming the (only Linux) label.
    for (n, args) in [
        (1, "ro root=/dev/sda1"),
        (2, "ro root=/dev/hda5 hdd=ide-scsi"),
    ] {
        let (m, _) = single(&format!("grubby/extlinux.{n}"), guest);
        check(
            &m,
            "Fedora (3.12.0-2.fc21.i686) 20 (Heisenbug)",
            "/vmlinuz-3.12.0-2.fc21.i686",
            &["/initrd-3.12.0-2.fc21.i686.img"],
            &format!("{args} initrd=/initrd-3.12.0-2.fc21.i686.img"),
        );
        assert_eq!(m.default, Some(0));
        assert_eq!(
            m.timeout,
            Some(5),
            "timeout 50 tenths beats totaltimeout 9000"
        );
    }
    let (m, _) = single("grubby/extlinux.2", guest);
    assert!(m.entries[1]
        .not_bootable
        .as_deref()
        .unwrap()
        .contains("chain.c32"));

    // 3: neither DEFAULT nor UI: syslinux stops at boot: and boots nothing.
    let (m, w) = single("grubby/extlinux.3", guest);
    assert_eq!(m.entries.len(), 3);
    assert_eq!(m.default, None);
    assert!(w.iter().any(|w| w.contains("no DEFAULT or UI")), "{w:?}");

    // 4: DEFAULT names the third label by its whole (spaced) text.
    let (m, _) = single("grubby/extlinux.4", guest);
    assert_eq!(m.default, Some(2));
    check(
        &m,
        "Fedora (3.13.0-0.rc0.git5.1.fc21.i686) 20 (Heisenbug)",
        "/boot/vmlinuz-3.13.0-0.rc0.git5.1.fc21.i686",
        &["/boot/initrd-3.13.0-0.rc0.git5.1.fc21.i686.img"],
        "ro root=/dev/hda6 initrd=/boot/initrd-3.13.0-0.rc0.git5.1.fc21.i686.img",
    );

    // 5 and 6 (U-Boot style, FDT lines warned about): the second label.
    for n in [5, 6] {
        let (m, w) = single(&format!("grubby/extlinux.{n}"), guest);
        assert_eq!(m.default, Some(1));
        check(
            &m,
            "Fedora (3.12.0-0.fc21.armv7hl) 21 (Rawhide)",
            "/vmlinuz-3.12.0-0.fc21.armv7hl",
            &["/initramfs-3.12.0-0.fc21.armv7hl.img"],
            "console=ttymxc0,115200 root=UUID=7ee85ed8-de4a-4779-8658-2daed0d35e97 ro rhgb \
             quiet LANG=en_US.UTF-8 initrd=/initramfs-3.12.0-0.fc21.armv7hl.img",
        );
        assert_eq!(w.len(), 2, "one unknown FDT/FDTDIR line per label: {w:?}");
    }
}

#[test]
fn pygrub_alpine_extlinux() {
    // DEFAULT menu.c32 (old style): MENU DEFAULT picks grsec; the relative kernel and
    // initrd names resolve against /boot, the directory of the configuration.
    let (m, w) = single("pygrub/alpine-linux-2.3.2.extlinux", "/boot/extlinux.conf");
    assert!(w.is_empty(), "{w:?}");
    check(
        &m,
        "Linux 3.0.10-grsec",
        "/boot/vmlinuz-3.0.10-grsec",
        &["/boot/initramfs-3.0.10-grsec"],
        "initrd=initramfs-3.0.10-grsec root=UUID=a97ffe64-430f-4fd3-830e-4736d9a27af0 \
         modules=sd-mod,usb-storage,ext4 quiet",
    );
    assert_eq!(default_entry(&m).id.as_deref(), Some("grsec"));
    assert_eq!(m.timeout, Some(3));
}

#[test]
fn every_corpus_file_parses_on_its_own() {
    let mut files: Vec<PathBuf> = Vec::new();
    for dir in std::fs::read_dir(Path::new(CORPUS).join("u-root/syslinux")).unwrap() {
        let iso = dir.unwrap().path().join("isolinux");
        if iso.is_dir() {
            for f in std::fs::read_dir(iso).unwrap() {
                let f = f.unwrap().path();
                if f.extension().is_some_and(|e| e == "cfg") {
                    files.push(f);
                }
            }
        }
    }
    for name in std::fs::read_dir(Path::new(CORPUS).join("grubby")).unwrap() {
        let p = name.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("extlinux.")
        {
            files.push(p);
        }
    }
    for name in std::fs::read_dir(Path::new(CORPUS).join("petitboot")).unwrap() {
        let p = name.unwrap().path();
        if p.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("syslinux-")
        {
            files.push(p);
        }
    }
    files.push(Path::new(CORPUS).join("pygrub/alpine-linux-2.3.2.extlinux"));
    assert_eq!(files.len(), 36, "{files:?}");
    for f in &files {
        // Each file as the main configuration of a tree rooted at its directory.
        let files = HostTree {
            root: f.parent().unwrap().to_path_buf(),
        };
        let guest = format!("/{}", f.file_name().unwrap().to_string_lossy());
        let (m, _) = parse(&files, &guest);
        if let Some(d) = m.default {
            assert!(d < m.entries.len(), "{}", f.display());
        }
        for e in &m.entries {
            assert!(e.args.split(' ').all(|w| !w.is_empty()) || e.args.is_empty());
        }
    }
}

#[test]
fn boot_open_isconfig_reads_includes_from_the_host_directory() {
    let cfg = Path::new(CORPUS).join("u-root/syslinux/debian_10_install/isolinux/isolinux.cfg");
    let options = xenboot::Options {
        isconfig: true,
        ..xenboot::Options::default()
    };
    let mut boot = xenboot::Boot::open(cfg.to_str().unwrap(), options).unwrap();
    let i = boot.select(None).unwrap();
    let e = &boot.entries()[i];
    assert_eq!(e.title, "Graphical install");
    assert_eq!(e.kernel.as_deref(), Some("/install.amd/vmlinuz"));
    assert_eq!(boot.select(Some("advanced>expertgui")).unwrap(), {
        boot.entries()
            .iter()
            .position(|e| e.id.as_deref() == Some("expertgui"))
            .unwrap()
    });
}
