//! The `xenboot` command, run as a program on disk images built with the real tools
//! (`mke2fs -d`, `sfdisk`): the `list`/`extract`/`probe` contract, the
//! pygrub-compatible mode with libxl's exact argv and output bytes, and errors.
mod cli_support;
mod common;

use cli_support::*;
use common::bytes;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn stdout_json(out: &std::process::Output) -> Value {
    assert!(out.status.success(), "{}", show(out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(out)))
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

// ---- needs nothing but the binary -------------------------------------------------

#[test]
fn help_and_version_exit_zero() {
    for args in [
        &["--help"][..],
        &["help"],
        &["list", "--help"],
        &["extract", "-h"],
        &["probe", "--help"],
    ] {
        let out = xenboot(args);
        assert!(out.status.success(), "{args:?}: {}", show(&out));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage: xenboot"), "{args:?}: {text}");
        assert!(
            text.contains("--offset"),
            "{args:?} documents the global options"
        );
    }
    let top = String::from_utf8_lossy(&xenboot(&["--help"]).stdout).into_owned();
    for word in [
        "--output-format",
        "list",
        "extract",
        "probe",
        "--max-kernel",
    ] {
        assert!(top.contains(word), "--help mentions {word}");
    }
    for args in [&["--version"][..], &["list", "--version"], &["probe", "-V"]] {
        let out = xenboot(args);
        assert!(out.status.success());
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).trim(),
            format!("xenboot {}", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[test]
fn usage_errors_are_reported_with_nonzero_status() {
    // pygrub mode: status 1 like pygrub, usage on stderr.
    let cases: &[(&[&str], i32, &str)] = &[
        (&[], 1, "no disk image given"),
        (&["--bogus", "x.img"], 1, "--bogus not recognized"),
        (&["--out=x", "x.img"], 1, "ambiguous"),
        (
            &["--output-format=xml", "x.img"],
            1,
            "unknown output format xml",
        ),
        (
            &["--output-directory=/nonexistent/xenboot", "x.img"],
            1,
            "/nonexistent/xenboot is not an existing directory",
        ),
        (&["--runas=nobody", "-q", "x.img"], 1, "integer user id"),
        (
            &["--runas=1000", "x.img"],
            1,
            "you must also set --entry or -q",
        ),
        (
            &["--max-kernel=12Q", "-q", "x.img"],
            2,
            "unknown size suffix",
        ),
        // subcommands: status 2
        (&["list"], 2, "missing TARGET"),
        (&["list", "a", "b"], 2, "one TARGET expected"),
        (&["list", "--bogus", "x.img"], 2, "--bogus not recognized"),
        (
            &["extract", "x.img"],
            2,
            "--output-directory DIR is required",
        ),
        (
            &["extract", "--isconfig", "--output-directory=/tmp", "x"],
            2,
            "no disk",
        ),
        (&["probe", "--offset=abc", "x.img"], 2, "--offset"),
        (
            &["list", "--max-ramdisk", "1X", "x.img"],
            2,
            "--max-ramdisk",
        ),
    ];
    for (args, code, needle) in cases {
        let out = xenboot(args);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {}", show(&out));
        assert!(stderr(&out).contains(needle), "{args:?}: {}", show(&out));
        assert!(out.stdout.is_empty(), "{args:?} prints nothing on stdout");
    }
}

#[test]
fn missing_image_names_the_path() {
    let out = xenboot(&["list", "--json", "/nonexistent/guest.img"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        stderr(&out).contains("/nonexistent/guest.img"),
        "{}",
        show(&out)
    );
    let dir = common::scratch();
    let d = dir.path().to_str().unwrap();
    let out = xenboot(&[
        "--output-format=simple0",
        &format!("--output-directory={d}"),
        "/nonexistent/guest.img",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    assert!(
        err.contains("Unable to find partition containing kernel"),
        "{err}"
    );
    assert!(err.contains("/nonexistent/guest.img"), "{err}");
    assert_eq!(
        count_files(dir.path()),
        0,
        "nothing left in the output directory"
    );
    let out = xenboot(&["probe", "/nonexistent/guest.img"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("FAILED"));
}

#[test]
fn garbage_image_fails_saying_what_was_tried() {
    let dir = common::scratch();
    let img = dir.path().join("garbage.img");
    std::fs::write(&img, bytes(99, 3 << 20)).unwrap();
    let img = img.to_str().unwrap();
    let out = xenboot(&["list", "--json", img]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("no usable boot configuration"), "{err}");
    assert!(err.contains("whole disk"), "names the volume tried: {err}");
    let out = xenboot(&["probe", img]);
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("whole disk"), "{report}");
    assert!(report.contains("no filesystem"), "{report}");
    let out = xenboot(&["probe", "--json", img]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["error"]
        .as_str()
        .unwrap()
        .contains("no usable boot configuration"));
    assert_eq!(v["volumes"][0]["scheme"], "whole");
    let d = dir.path().join("out");
    std::fs::create_dir(&d).unwrap();
    let out = xenboot(&[
        "--output-format=simple0",
        &format!("--output-directory={}", d.display()),
        img,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("Unable to find partition containing kernel"));
    assert_eq!(count_files(&d), 0);
}

#[test]
fn offset_beyond_the_disk_is_an_error() {
    let dir = common::scratch();
    let img = dir.path().join("small.img");
    std::fs::write(&img, bytes(5, 4096)).unwrap();
    let out = xenboot(&["list", "--offset=1M", img.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains("beyond the end"), "{}", show(&out));
}

// ---- need ext4 + the configuration parsers ----------------------------------------

#[test]
fn list_json_grub_legacy() {
    let g = guest(&[("boot/grub/menu.lst", MENU_LST)]);
    let v = stdout_json(&xenboot(&["list", "--json", g.disk_str()]));
    assert_eq!(v["default"], 1);
    let e = v["entries"].as_array().unwrap();
    assert_eq!(e.len(), 3);
    assert_eq!(
        e[0]["title"],
        "Debian GNU/Linux, kernel 6.1 (single-user mode)"
    );
    assert_eq!(e[1]["title"], "Debian GNU/Linux, kernel 6.1");
    assert_eq!(e[1]["kernel"], "/boot/vmlinuz-6.1");
    assert_eq!(e[1]["initrds"], serde_json::json!(["/boot/initrd-6.1"]));
    assert_eq!(e[1]["args"], "root=/dev/xvda1 ro quiet");
    assert_eq!(e[2]["kernel"], "/boot/vmlinuz-old");
    assert_eq!(e[2]["args"], "root=/dev/xvda1 ro");
    assert_eq!(v["config"]["path"], "/boot/grub/menu.lst");
    assert_eq!(v["config"]["language"], "grub-legacy");

    let out = xenboot(&["list", g.disk_str()]);
    assert!(out.status.success(), "{}", show(&out));
    let table = String::from_utf8_lossy(&out.stdout);
    let marked: Vec<&str> = table.lines().filter(|l| l.starts_with('*')).collect();
    assert_eq!(marked.len(), 1, "{table}");
    assert!(marked[0].contains("Debian GNU/Linux, kernel 6.1") && marked[0].contains(" 1 "));
}

#[test]
fn list_json_grub2_submenu_is_flattened_with_its_path() {
    let g = guest(&[("boot/grub/grub.cfg", GRUB_CFG_SUBMENU)]);
    let v = stdout_json(&xenboot(&["list", "--json", g.disk_str()]));
    let e = v["entries"].as_array().unwrap();
    assert_eq!(e.len(), 2, "{v}");
    assert_eq!(v["default"], 1, "'1>0' is the first entry of the submenu");
    assert_eq!(e[1]["title"], "Debian GNU/Linux, with Linux old");
    assert_eq!(
        e[1]["submenu"],
        serde_json::json!(["Advanced options for Debian GNU/Linux"])
    );
    assert_eq!(e[1]["kernel"], "/boot/vmlinuz-old", "device prefix removed");
    assert_eq!(
        e[1]["initrds"],
        serde_json::json!(["/boot/ucode.img", "/boot/initrd-6.1"])
    );
    assert_eq!(e[1]["args"], "root=/dev/xvda1 ro single");
    assert_eq!(e[0]["id"], "gnulinux-simple");
}

#[test]
fn list_isconfig_reads_a_host_file() {
    let dir = common::scratch();
    let cfg = dir.path().join("menu.lst");
    std::fs::write(&cfg, MENU_LST).unwrap();
    let v = stdout_json(&xenboot(&[
        "list",
        "--json",
        "--isconfig",
        cfg.to_str().unwrap(),
    ]));
    assert_eq!(v["default"], 1);
    assert_eq!(v["entries"].as_array().unwrap().len(), 3);
    assert_eq!(v["entries"][2]["title"], "Old kernel");
    // A leading -v belongs to the subcommand, not to pygrub mode.
    let out = xenboot(&["-v", "list", "--json", "--isconfig", cfg.to_str().unwrap()]);
    assert_eq!(stdout_json(&out)["default"], 1, "{}", show(&out));
}

#[test]
fn extract_json_concatenates_initrds() {
    let g = guest(&[("boot/extlinux/extlinux.conf", EXTLINUX_TWO_INITRDS)]);
    let out_dir = g.out_dir("out");
    let v = stdout_json(&xenboot(&[
        "extract",
        "--json",
        "--output-directory",
        out_dir.to_str().unwrap(),
        g.disk_str(),
    ]));
    assert_eq!(v["title"], "linux");
    // syslinux itself appends initrd=… for an INITRD line; either is accepted.
    let args = v["args"].as_str().unwrap();
    assert!(
        args.starts_with("root=/dev/xvda1 ro console=hvc0"),
        "{args}"
    );
    let k = Path::new(v["kernel"].as_str().unwrap());
    let r = Path::new(v["ramdisk"].as_str().unwrap());
    assert!(k
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("boot_kernel."));
    assert!(r
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("boot_ramdisk."));
    assert_eq!(k.parent().unwrap(), out_dir);
    assert_eq!(std::fs::read(k).unwrap(), g.file("/boot/vmlinuz-6.1"));
    let mut want = g.file("/boot/ucode.img");
    want.extend(g.file("/boot/initrd-6.1"));
    assert_eq!(std::fs::read(r).unwrap(), want);
    assert_eq!(mode(k), 0o600);
    assert_eq!(mode(r), 0o600);
}

#[test]
fn extract_by_title_without_initrd_and_with_overrides() {
    let g = guest(&[("boot/grub/menu.lst", MENU_LST)]);
    let out_dir = g.out_dir("out");
    let d = out_dir.to_str().unwrap();
    let v = stdout_json(&xenboot(&[
        "extract",
        "--json",
        "--entry",
        "Old kernel",
        "--output-directory",
        d,
        g.disk_str(),
    ]));
    assert_eq!(v["title"], "Old kernel");
    assert_eq!(v["index"], 2);
    assert_eq!(
        std::fs::read(v["kernel"].as_str().unwrap()).unwrap(),
        g.file("/boot/vmlinuz-old")
    );
    assert_eq!(
        std::fs::read(v["ramdisk"].as_str().unwrap()).unwrap(),
        g.file("/boot/ucode.img")
    );

    let d2 = g.out_dir("out2");
    let v = stdout_json(&xenboot(&[
        "extract",
        "--json",
        "--entry=0",
        "--kernel=/boot/vmlinuz-old",
        "--ramdisk=/boot/initrd-6.1",
        "--ramdisk=/boot/ucode.img",
        "--args=console=hvc0 root=/dev/xvda2",
        "--output-directory",
        d2.to_str().unwrap(),
        g.disk_str(),
    ]));
    assert_eq!(v["args"], "console=hvc0 root=/dev/xvda2");
    assert_eq!(
        std::fs::read(v["kernel"].as_str().unwrap()).unwrap(),
        g.file("/boot/vmlinuz-old")
    );
    let mut want = g.file("/boot/initrd-6.1");
    want.extend(g.file("/boot/ucode.img"));
    assert_eq!(std::fs::read(v["ramdisk"].as_str().unwrap()).unwrap(), want);

    let d3 = g.out_dir("out3");
    let v = stdout_json(&xenboot(&[
        "extract",
        "--json",
        "--ramdisk=",
        "--output-directory",
        d3.to_str().unwrap(),
        g.disk_str(),
    ]));
    assert_eq!(v["ramdisk"], Value::Null, "an empty --ramdisk means none");
    assert_eq!(count_files(&d3), 1);
}

#[test]
fn extract_errors_leave_nothing_behind() {
    let g = guest(&[("boot/grub/menu.lst", MENU_LST)]);
    let out_dir = g.out_dir("out");
    let d = out_dir.to_str().unwrap();
    let out = xenboot(&[
        "extract",
        "--entry",
        "7",
        "--output-directory",
        d,
        g.disk_str(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains("out of range"), "{}", show(&out));
    let out = xenboot(&[
        "extract",
        "--entry",
        "No such title",
        "--output-directory",
        d,
        g.disk_str(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("0: Debian GNU/Linux"),
        "lists the entries: {}",
        show(&out)
    );
    let out = xenboot(&[
        "extract",
        "--kernel=/boot/missing",
        "--output-directory",
        d,
        g.disk_str(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("/boot/missing"), "{}", show(&out));
    let out = xenboot(&[
        "extract",
        "--max-kernel=1M",
        "--output-directory",
        d,
        g.disk_str(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("limit"), "{}", show(&out));
    assert_eq!(count_files(&out_dir), 0);

    // An output directory that cannot be written: /proc refuses new files even to
    // root; a mode 0500 directory refuses them to everyone else.
    let ro = g.out_dir("ro");
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o500)).unwrap();
    for dir in ["/proc", ro.to_str().unwrap()] {
        let out = xenboot(&["extract", "--output-directory", dir, g.disk_str()]);
        let is_root = std::fs::metadata("/proc/self").map(|m| {
            use std::os::unix::fs::MetadataExt;
            m.uid() == 0
        });
        if dir != "/proc" && is_root.unwrap_or(false) {
            continue;
        }
        assert_eq!(out.status.code(), Some(1), "{dir}: {}", show(&out));
        assert!(
            stderr(&out).contains(&format!("cannot create a file in {dir}")),
            "{}",
            show(&out)
        );
    }
}

#[test]
fn no_configuration_lists_the_paths_tried() {
    let g = guest(&[]);
    let out = xenboot(&["list", "--json", g.disk_str()]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let err = stderr(&out);
    assert!(err.contains("msdos1"), "{err}");
    assert!(err.contains("ext4"), "{err}");
    assert!(
        err.contains("/boot/grub/menu.lst") && err.contains("/boot/grub/grub.cfg"),
        "{err}"
    );
    let out = xenboot(&["probe", g.disk_str()]);
    assert_eq!(out.status.code(), Some(1));
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("filesystem ext4 uuid"), "{report}");
}

#[test]
fn probe_reports_partitions_config_and_entries() {
    let g = guest(&[("boot/grub/menu.lst", MENU_LST)]);
    let out = xenboot(&["probe", g.disk_str()]);
    assert!(out.status.success(), "{}", show(&out));
    let report = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "msdos1",
        "filesystem ext4",
        "/boot/grub/menu.lst",
        "grub-legacy",
        "Old kernel",
        "default: 1",
    ] {
        assert!(report.contains(needle), "{needle}: {report}");
    }
    let v = stdout_json(&xenboot(&["probe", "--json", g.disk_str()]));
    assert_eq!(v["default"], 1);
    assert_eq!(v["volumes"][0]["filesystem"], "ext4");
}

// ---- pygrub-compatible mode ---------------------------------------------------------

/// Runs xenboot with libxl's argv (plus `extra` before the disk) and returns the
/// bytes written to the output file and the output directory.
fn libxl_run(
    g: &Guest,
    name: &str,
    extra: &[&str],
) -> (std::process::Output, Vec<u8>, std::path::PathBuf) {
    let out_dir = g.out_dir(name);
    let out_file = g.dir.path().join(format!("{name}.out"));
    std::fs::write(&out_file, b"").unwrap();
    let mut args = vec![
        format!("--output={}", out_file.display()),
        "--output-format=simple0".to_string(),
        format!("--output-directory={}", out_dir.display()),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(g.disk_str().to_string());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = xenboot(&argv);
    let written = std::fs::read(&out_file).unwrap();
    (out, written, out_dir)
}

#[test]
fn pygrub_mode_libxl_argv_exact_bytes() {
    let g = guest(&[("boot/grub/menu.lst", MENU_LST)]);
    let (out, written, dir) = libxl_run(&g, "a", &[]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(out.stdout.is_empty(), "the result goes to --output only");
    let k = only_file(&dir, "boot_kernel.").expect("one kernel file");
    let r = only_file(&dir, "boot_ramdisk.").expect("one ramdisk file");
    assert_eq!(k.file_name().unwrap().len(), "boot_kernel.".len() + 8);
    let want = format!(
        "kernel {}\0ramdisk {}\0args root=/dev/xvda1 ro quiet\0\0",
        k.display(),
        r.display()
    );
    assert_eq!(String::from_utf8_lossy(&written), want);
    assert_eq!(std::fs::read(&k).unwrap(), g.file("/boot/vmlinuz-6.1"));
    assert_eq!(std::fs::read(&r).unwrap(), g.file("/boot/initrd-6.1"));
    assert_eq!(mode(&k), 0o600);
    assert_eq!(mode(&r), 0o600);

    let (out, written, dir) = libxl_run(&g, "b", &["--entry=2", "--args=console=hvc0"]);
    assert!(out.status.success(), "{}", show(&out));
    let k = only_file(&dir, "boot_kernel.").unwrap();
    let r = only_file(&dir, "boot_ramdisk.").unwrap();
    let want = format!(
        "kernel {}\0ramdisk {}\0args root=/dev/xvda1 ro console=hvc0\0\0",
        k.display(),
        r.display()
    );
    assert_eq!(String::from_utf8_lossy(&written), want);
    assert_eq!(std::fs::read(&k).unwrap(), g.file("/boot/vmlinuz-old"));

    // A title selects as well; an unknown entry boots the default, as pygrub does.
    let (out, written, _) = libxl_run(&g, "c", &["--entry=Old kernel"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(String::from_utf8_lossy(&written).ends_with("\0args root=/dev/xvda1 ro\0\0"));
    let (out, written, _) = libxl_run(&g, "d", &["--entry=9"]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        stderr(&out).contains("booting the default"),
        "{}",
        show(&out)
    );
    assert!(String::from_utf8_lossy(&written).ends_with("\0args root=/dev/xvda1 ro quiet\0\0"));
}

#[test]
fn pygrub_mode_kernel_override_and_formats() {
    let g = guest(&[("boot/extlinux/extlinux.conf", EXTLINUX_CONF)]);
    // --kernel/--ramdisk/--args replace the menu entirely, as in pygrub.
    let (out, written, dir) = libxl_run(
        &g,
        "k",
        &[
            "--kernel=/boot/vmlinuz-old",
            "--ramdisk=/boot/ucode.img",
            "--args=root=/dev/xvda2",
        ],
    );
    assert!(out.status.success(), "{}", show(&out));
    let k = only_file(&dir, "boot_kernel.").unwrap();
    let r = only_file(&dir, "boot_ramdisk.").unwrap();
    assert_eq!(
        String::from_utf8_lossy(&written),
        format!(
            "kernel {}\0ramdisk {}\0args root=/dev/xvda2\0\0",
            k.display(),
            r.display()
        )
    );
    assert_eq!(std::fs::read(&k).unwrap(), g.file("/boot/vmlinuz-old"));
    assert_eq!(std::fs::read(&r).unwrap(), g.file("/boot/ucode.img"));

    // sxp on stdout; an entry without initrd has no ramdisk item and leaves no file.
    let d = g.out_dir("sxp");
    let out = xenboot(&[
        "-q",
        "--entry=old",
        &format!("--output-directory={}", d.display()),
        g.disk_str(),
    ]);
    assert!(out.status.success(), "{}", show(&out));
    let k = only_file(&d, "boot_kernel.").unwrap();
    assert_eq!(count_files(&d), 1);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "linux (kernel '{}')(args 'root=/dev/xvda1 ro')",
            k.display()
        )
    );

    // simple: newline-separated.
    let d = g.out_dir("simple");
    let out = xenboot(&[
        "--output-format=simple",
        &format!("--output-directory={}/", d.display()),
        g.disk_str(),
    ]);
    assert!(out.status.success(), "{}", show(&out));
    let k = only_file(&d, "boot_kernel.").unwrap();
    let r = only_file(&d, "boot_ramdisk.").unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "kernel {}\nramdisk {}\nargs root=/dev/xvda1 ro quiet\n\n",
            k.display(),
            r.display()
        )
    );

    // simple cannot carry a newline: an error, and no files are left.
    let d = g.out_dir("bad");
    let out = xenboot(&[
        "--output-format=simple",
        "--args=a\nb",
        &format!("--output-directory={}", d.display()),
        g.disk_str(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(stderr(&out).contains("delimiter"));
    assert_eq!(count_files(&d), 0);

    // -n: checks, copies nothing, prints pygrub's "None" kernel.
    let d = g.out_dir("n");
    let out = xenboot(&[
        "-n",
        &format!("--output-directory={}", d.display()),
        g.disk_str(),
    ]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "linux (kernel None)(args 'root=/dev/xvda1 ro quiet')"
    );
    assert_eq!(count_files(&d), 0);
}

#[test]
fn pygrub_mode_list_isconfig_and_interactive() {
    let g = guest(&[("boot/grub/menu.lst", MENU_LST)]);
    let out = xenboot(&["-l", "-q", g.disk_str()]);
    assert!(out.status.success(), "{}", show(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with(
        "title: Debian GNU/Linux, kernel 6.1 (single-user mode)\n  root: d0p0\n  kernel: /boot/vmlinuz-6.1\n  args: root=/dev/xvda1 ro single\n  initrd: /boot/initrd-6.1\n"
    ), "{text}");
    assert_eq!(text.matches("title: ").count(), 3);

    let cfg = g.dir.path().join("menu.lst");
    std::fs::write(&cfg, MENU_LST).unwrap();
    let out = xenboot(&[
        "--isconfig",
        "--entry=2",
        "--args=quiet",
        cfg.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", show(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "  kernel: /boot/vmlinuz-old\n  initrd: /boot/ucode.img\n  args: root=/dev/xvda1 ro quiet\n"
    );

    let d = g.out_dir("i");
    let out = xenboot(&[
        "-i",
        &format!("--output-directory={}", d.display()),
        g.disk_str(),
    ]);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        stderr(&out).contains("interactive menus are not supported"),
        "{}",
        show(&out)
    );
}

#[test]
fn pygrub_mode_output_file_must_exist() {
    let dir = common::scratch();
    let missing = dir.path().join("no-such.out");
    let out = xenboot(&[
        &format!("--output={}", missing.display()),
        &format!("--output-directory={}", dir.path().display()),
        "/nonexistent.img",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot open the output file"),
        "{}",
        show(&out)
    );
    assert!(
        !missing.exists(),
        "like pygrub, the output file is not created"
    );
}
