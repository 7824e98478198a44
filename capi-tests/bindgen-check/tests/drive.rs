//! Drives `libxenboot.so` through the bindings bindgen made from the committed
//! `include/xenboot.h`: struct layouts, constants and signatures come from the header,
//! behaviour from the library, so a header that disagrees with the library fails here.

use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::mem::{size_of, MaybeUninit};
use std::path::Path;
use std::process::Command;
use std::ptr;
use xenboot_bindgen_check::*;

fn text(p: *const c_char) -> String {
    assert!(!p.is_null());
    // SAFETY: the library returns NUL-terminated strings.
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn options(x: &Xenboot) -> xenboot_options {
    let mut o = MaybeUninit::<xenboot_options>::uninit();
    // SAFETY: room for one struct as the header lays it out.
    assert_eq!(
        unsafe { x.xenboot_options_init(o.as_mut_ptr()) },
        XENBOOT_OK
    );
    // SAFETY: initialised by the library.
    unsafe { o.assume_init() }
}

fn open(
    x: &Xenboot,
    location: &Path,
    o: Option<&xenboot_options>,
) -> (xenboot_status, *mut xenboot) {
    let loc = CString::new(location.to_str().unwrap()).unwrap();
    let mut h: *mut xenboot = ptr::null_mut();
    let opts = o.map_or(ptr::null(), |o| o as *const xenboot_options);
    // SAFETY: valid string, options and out pointer.
    let st = unsafe { x.xenboot_open(loc.as_ptr(), opts, &mut h) };
    (st, h)
}

struct LogSeen {
    level: c_int,
    msg: String,
}

unsafe extern "C" fn record(ctx: *mut c_void, level: c_int, msg: *const c_char) {
    // SAFETY: ctx is the LogSeen the test passed; msg is a NUL-terminated string.
    let seen = unsafe { &mut *(ctx as *mut LogSeen) };
    seen.level = level;
    seen.msg = text(msg);
}

#[test]
fn header_layouts_constants_and_error_paths_agree_with_the_library() {
    let x = load();
    // SAFETY: static strings from the library.
    let version = text(unsafe { x.xenboot_version() });
    assert_eq!(
        format!("{version}\0").as_bytes(),
        XENBOOT_VERSION_STRING.as_slice()
    );
    assert_eq!(
        version,
        format!("{XENBOOT_VERSION_MAJOR}.{XENBOOT_VERSION_MINOR}.{XENBOOT_VERSION_PATCH}")
    );

    // The library fills the struct the header describes: size and the last limit
    // before the callback land where the header says they are.
    let o = options(&x);
    assert_eq!(o.size as usize, size_of::<xenboot_options>());
    assert_eq!(o.max_kernel, 128 << 20);
    assert_eq!(o.max_ramdisk, 1 << 30);
    assert_eq!(o.max_script_steps, 1_000_000);
    assert_eq!(o.max_path_components, 256);
    assert!(o.log.is_none() && o.log_ctx.is_null() && !o.isconfig && !o.has_offset);
    let mut eo = MaybeUninit::<xenboot_extract_options>::uninit();
    // SAFETY: room for one struct.
    assert_eq!(
        unsafe { x.xenboot_extract_options_init(eo.as_mut_ptr()) },
        XENBOOT_OK
    );
    // SAFETY: initialised by the library.
    let eo = unsafe { eo.assume_init() };
    assert_eq!(eo.size as usize, size_of::<xenboot_extract_options>());
    assert!(eo.entry.is_null() && eo.ramdisks.is_null() && eo.n_ramdisks == 0 && eo.args.is_null());

    // Error codes are the header's; the log callback hears the failure.
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.img");
    let mut seen = LogSeen {
        level: -1,
        msg: String::new(),
    };
    let mut o = options(&x);
    o.log = Some(record);
    o.log_ctx = &mut seen as *mut LogSeen as *mut c_void;
    let (st, h) = open(&x, &missing, Some(&o));
    assert_eq!(st, XENBOOT_E_IO);
    assert!(h.is_null());
    // SAFETY: static/thread-local strings from the library.
    let last = text(unsafe { x.xenboot_last_error() });
    assert!(last.contains("missing.img"), "{last}");
    assert_eq!(seen.level, XENBOOT_LOG_ERROR as c_int);
    assert_eq!(seen.msg, last);
    // SAFETY: static string.
    let name = text(unsafe { x.xenboot_status_name(st as c_int) });
    assert_eq!(name, "XENBOOT_E_IO");

    let mut h: *mut xenboot = ptr::null_mut();
    // SAFETY: NULL location is an invalid argument, not a crash.
    let st = unsafe { x.xenboot_open(ptr::null(), ptr::null(), &mut h) };
    assert_eq!(st, XENBOOT_E_INVALID);
    // SAFETY: NULL is accepted.
    unsafe { x.xenboot_close(ptr::null_mut()) };

    let garbage = dir.path().join("garbage.img");
    std::fs::write(&garbage, b"no disk here\n".repeat(100_000)).unwrap();
    let (st, h) = open(&x, &garbage, None);
    assert_eq!(st, XENBOOT_E_NO_CONFIG);
    assert!(h.is_null());
}

const MENU_LST: &str = "default 1\ntimeout 5\n\n\
    title Debian A\n  root (hd0,0)\n  kernel /boot/vmlinuz-a root=/dev/xvda1 ro quiet\n  initrd /boot/initrd-a\n\n\
    title Debian B\n  root (hd0,0)\n  kernel /boot/vmlinuz-b root=/dev/xvda1 ro\n  initrd /boot/initrd-b\n";

/// One entry as read through the header: title, kernel, initrds, args.
type Row = (String, String, Vec<String>, String);

/// Reads the menu through the header's `xenboot_entry` layout.
fn entries(x: &Xenboot, h: *mut xenboot) -> (Vec<Row>, usize) {
    let mut e: *const xenboot_entry = ptr::null();
    let (mut n, mut def) = (0usize, 0usize);
    // SAFETY: live handle, valid out pointers.
    assert_eq!(
        unsafe { x.xenboot_list(h, &mut e, &mut n, &mut def) },
        XENBOOT_OK
    );
    let list = (0..n)
        .map(|i| {
            // SAFETY: the library gives n entries at e.
            let en = unsafe { &*e.add(i) };
            let initrds = (0..en.n_initrds)
                // SAFETY: n_initrds strings.
                .map(|j| text(unsafe { *en.initrds.add(j) }))
                .collect();
            // SAFETY: the array is NULL-terminated.
            assert!(unsafe { *en.initrds.add(en.n_initrds) }.is_null());
            (text(en.title), text(en.kernel), initrds, text(en.args))
        })
        .collect();
    (list, def)
}

/// Needs the GRUB legacy parser.
#[test]
fn lists_a_host_grub_legacy_config_through_the_header() {
    let x = load();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("menu.lst");
    std::fs::write(&cfg, MENU_LST).unwrap();
    let mut o = options(&x);
    o.isconfig = true;
    let (st, h) = open(&x, &cfg, Some(&o));
    assert_eq!(
        st,
        XENBOOT_OK,
        "{}",
        text(unsafe { x.xenboot_last_error() })
    );
    let (list, def) = entries(&x, h);
    assert_eq!(def, 1);
    assert_eq!(
        list,
        vec![
            (
                "Debian A".to_string(),
                "/boot/vmlinuz-a".to_string(),
                vec!["/boot/initrd-a".to_string()],
                "root=/dev/xvda1 ro quiet".to_string()
            ),
            (
                "Debian B".to_string(),
                "/boot/vmlinuz-b".to_string(),
                vec!["/boot/initrd-b".to_string()],
                "root=/dev/xvda1 ro".to_string()
            ),
        ]
    );
    // SAFETY: live handle.
    unsafe { x.xenboot_close(h) };
}

fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

/// Needs the ext filesystem and the GRUB legacy parser.
#[test]
fn extracts_from_an_ext4_image_through_the_header() {
    let x = load();
    let dir = tempfile::tempdir().unwrap();
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("boot/grub")).unwrap();
    std::fs::write(tree.join("boot/grub/menu.lst"), MENU_LST).unwrap();
    let files = [
        ("boot/vmlinuz-a", pattern(1, 100_000)),
        ("boot/initrd-a", pattern(2, 50_000)),
        ("boot/vmlinuz-b", pattern(3, 123_457)),
        ("boot/initrd-b", pattern(4, 1_500_000)),
    ];
    for (name, data) in &files {
        std::fs::write(tree.join(name), data).unwrap();
    }
    let image = dir.path().join("disk.img");
    let out = Command::new("mke2fs")
        .args(["-q", "-F", "-t", "ext4", "-d"])
        .arg(&tree)
        .arg(&image)
        .arg("16M")
        .output()
        .expect("mke2fs (e2fsprogs) is needed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let (st, h) = open(&x, &image, None);
    // SAFETY: thread-local message.
    assert_eq!(
        st,
        XENBOOT_OK,
        "{}",
        text(unsafe { x.xenboot_last_error() })
    );
    let mut k = xenboot_blob {
        data: ptr::null_mut(),
        size: 0,
    };
    let mut r = k;
    let mut cmd: *mut c_char = ptr::null_mut();
    // SAFETY: live handle, valid out pointers.
    let st = unsafe { x.xenboot_extract(h, ptr::null(), &mut k, &mut r, &mut cmd) };
    assert_eq!(
        st,
        XENBOOT_OK,
        "{}",
        text(unsafe { x.xenboot_last_error() })
    );
    // SAFETY: the blobs are the library's mappings of `size` bytes.
    let (kb, rb) = unsafe {
        (
            std::slice::from_raw_parts(k.data as *const u8, k.size),
            std::slice::from_raw_parts(r.data as *const u8, r.size),
        )
    };
    assert!(kb == files[2].1.as_slice(), "kernel bytes differ");
    assert!(rb == files[3].1.as_slice(), "ramdisk bytes differ");
    assert_eq!(text(cmd), "root=/dev/xvda1 ro");
    // SAFETY: releasing what the library handed over, once.
    unsafe {
        x.xenboot_blob_free(&mut k);
        x.xenboot_blob_free(&mut r);
        x.xenboot_string_free(cmd);
        x.xenboot_close(h);
    }
    assert!(k.data.is_null() && k.size == 0);
}

#[test]
fn an_empty_menu_reports_no_index() {
    let x = load();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("menu.lst");
    std::fs::write(&cfg, "timeout 5\n").unwrap();
    let mut o = options(&x);
    o.isconfig = true;
    let (st, h) = open(&x, &cfg, Some(&o));
    assert_eq!(st, XENBOOT_OK);
    let (list, def) = entries(&x, h);
    assert!(list.is_empty());
    assert_eq!(def, XENBOOT_NO_INDEX as usize);
    let mut i = 7usize;
    // SAFETY: live handle; NULL selector means the default.
    assert_eq!(
        unsafe { x.xenboot_select(h, ptr::null(), &mut i) },
        XENBOOT_E_NO_ENTRY
    );
    assert_eq!(i, 7);
    // SAFETY: live handle.
    let msg = text(unsafe { x.xenboot_error_message(h) });
    assert!(msg.contains("no menu entries"), "{msg}");
    // SAFETY: live handle.
    unsafe { x.xenboot_close(h) };
}
