//! The `xenboot` handle: open, list, select, close, and the handle's error message.

use super::options::{convert, xenboot_options, LogSink};
use super::XENBOOT_NO_INDEX;
use super::{arg_str, boundary, c_string, non_null, opt_str, xenboot_log_level, xenboot_status};
use crate::boot::Boot;
use crate::error::Error;
use crate::menu::Entry;
use std::cell::{Cell, RefCell};
use std::ffi::{c_char, CString};
use std::ptr;

/// One opened boot source with its parsed menu. Opaque to C.
#[allow(non_camel_case_types)]
pub struct xenboot {
    pub(crate) boot: Boot,
    table: EntryTable,
    error: RefCell<CString>,
    log: Option<LogSink>,
}

impl xenboot {
    /// Records a failed call on this handle: its message slot and the log callback.
    pub(crate) fn failed(&self, e: &Error) {
        *self.error.borrow_mut() = c_string(&e.to_string());
        if let Some(log) = &self.log {
            log.emit(xenboot_log_level::XENBOOT_LOG_ERROR, &e.to_string());
        }
    }
}

/// One menu entry as C sees it. Every pointer is owned by the handle and valid until
/// `xenboot_close`.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug)]
pub struct xenboot_entry {
    /// The title shown in the menu.
    pub title: *const c_char,
    /// GRUB 2 `--id`, syslinux or LILO label; NULL when the entry has none.
    pub id: *const c_char,
    /// Titles of the enclosing submenus joined by `>` (a `>` inside a title is
    /// doubled, as GRUB writes it); `""` at top level.
    pub path: *const c_char,
    /// The entry's position as GRUB numbers it, e.g. `"1>2"`; a valid selector.
    pub position: *const c_char,
    /// Kernel path on the guest filesystem; NULL when the entry names none.
    pub kernel: *const c_char,
    /// Initrd paths in order (concatenated into one ramdisk); `initrds[n_initrds]` is
    /// NULL.
    pub initrds: *const *const c_char,
    /// Number of initrds.
    pub n_initrds: usize,
    /// The kernel command line the boot loader would pass.
    pub args: *const c_char,
    /// True when the entry can be booted as a PV kernel.
    pub bootable: bool,
    /// Listed but hidden from the menu (syslinux `MENU HIDE`).
    pub hidden: bool,
    /// Why the entry cannot be booted; NULL when `bootable`.
    pub why_not: *const c_char,
}

/// The C view of the menu and the strings it points to.
struct EntryTable {
    /// Owns every string; their heap buffers do not move when this vector grows.
    _strings: Vec<CString>,
    /// Owns each entry's NULL-terminated initrd array.
    _arrays: Vec<Vec<*const c_char>>,
    entries: Vec<xenboot_entry>,
}

impl EntryTable {
    fn new(entries: &[Entry]) -> EntryTable {
        let mut strings = Vec::new();
        let mut arrays = Vec::with_capacity(entries.len());
        let mut keep = |s: &str| {
            let c = c_string(s);
            let p = c.as_ptr();
            strings.push(c);
            p
        };
        let mut out = Vec::with_capacity(entries.len());
        for e in entries {
            let mut initrds: Vec<*const c_char> = e.initrds.iter().map(|s| keep(s)).collect();
            initrds.push(ptr::null());
            let path: Vec<String> = e.submenu.iter().map(|t| t.replace('>', ">>")).collect();
            let position: Vec<String> = e.position.iter().map(|p| p.to_string()).collect();
            out.push(xenboot_entry {
                title: keep(&e.title),
                id: e.id.as_deref().map_or(ptr::null(), &mut keep),
                path: keep(&path.join(">")),
                position: keep(&position.join(">")),
                kernel: e.kernel.as_deref().map_or(ptr::null(), &mut keep),
                initrds: initrds.as_ptr(),
                n_initrds: e.initrds.len(),
                args: keep(&e.args),
                bootable: e.is_bootable(),
                hidden: e.hidden,
                why_not: if e.is_bootable() {
                    ptr::null()
                } else {
                    keep(e.not_bootable.as_deref().unwrap_or("it names no kernel"))
                },
            });
            // Moving the Vec keeps its heap buffer (and `initrds.as_ptr()`) in place.
            arrays.push(initrds);
        }
        EntryTable {
            _strings: strings,
            _arrays: arrays,
            entries: out,
        }
    }
}

/// Opens a boot source: a disk image or block device (read only), or with
/// `opts->isconfig` a configuration file on the host. Finds the boot configuration
/// and parses its menu. `opts` may be NULL for the defaults. On success `*out` is a new
/// handle to release with `xenboot_close`. On failure `xenboot_last_error()` names
/// every partition, filesystem and configuration path tried.
///
/// # Safety
/// `location` is NULL or a NUL-terminated string; `opts` is NULL or initialised by
/// `xenboot_options_init`; `out` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn xenboot_open(
    location: *const c_char,
    opts: *const xenboot_options,
    out: *mut *mut xenboot,
) -> xenboot_status {
    let log = Cell::new(None::<LogSink>);
    boundary(
        || {
            non_null(out, "xenboot_open: out")?;
            // SAFETY: forwarded from the caller.
            let location = unsafe { arg_str(location, "xenboot_open: location") }?;
            // SAFETY: forwarded from the caller.
            let converted = unsafe { convert(opts) }?;
            log.set(converted.log);
            let boot = Boot::open(location, converted.options)?;
            let table = EntryTable::new(boot.entries());
            let handle = Box::new(xenboot {
                boot,
                table,
                error: RefCell::new(CString::default()),
                log: converted.log,
            });
            // SAFETY: `out` is not NULL and writable.
            unsafe { out.write(Box::into_raw(handle)) };
            Ok(())
        },
        |e| {
            if let Some(l) = log.get() {
                l.emit(xenboot_log_level::XENBOOT_LOG_ERROR, &e.to_string());
            }
        },
    )
}

/// Runs `f` on the handle behind the panic boundary, recording a failure on it.
///
/// # Safety
/// `h` is NULL or a live handle from `xenboot_open`, not used by another thread.
pub(crate) unsafe fn with_handle<F>(h: *mut xenboot, what: &str, f: F) -> xenboot_status
where
    F: FnOnce(&mut xenboot) -> crate::Result<()>,
{
    boundary(
        || {
            non_null(h, what)?;
            // SAFETY: a live handle, used by this thread only.
            f(unsafe { &mut *h })
        },
        |e| {
            if !h.is_null() {
                // SAFETY: as above; `f` has returned, so no other reference is live.
                unsafe { &*h }.failed(e)
            }
        },
    )
}

/// Gives the menu: `*entries` points to `*n` entries in document order (submenu
/// entries flattened in, as GRUB numbers them), `*default_index` is the entry the
/// configuration boots by default (`XENBOOT_NO_INDEX` when there is none). The array
/// belongs to the handle and stays valid until `xenboot_close`; `*entries` is NULL
/// when `*n` is 0.
///
/// # Safety
/// `h` is NULL or a live handle; the other pointers are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn xenboot_list(
    h: *const xenboot,
    entries: *mut *const xenboot_entry,
    n: *mut usize,
    default_index: *mut usize,
) -> xenboot_status {
    // SAFETY: the handle is only read; `with_handle` needs `*mut` for the other calls.
    unsafe {
        with_handle(h.cast_mut(), "xenboot_list: handle", |x| {
            non_null(entries, "xenboot_list: entries")?;
            non_null(n, "xenboot_list: n")?;
            non_null(default_index, "xenboot_list: default_index")?;
            let list = &x.table.entries;
            let first = if list.is_empty() {
                ptr::null()
            } else {
                list.as_ptr()
            };
            // SAFETY: all three checked not NULL; the caller made them writable.
            entries.write(first);
            n.write(list.len());
            default_index.write(x.boot.default_index().unwrap_or(XENBOOT_NO_INDEX));
            Ok(())
        })
    }
}

/// Selects the entry later extractions use: `selector` NULL for the configuration's
/// default, otherwise a flattened index (`"2"`), an exact title, an id, or a GRUB path
/// (`"1>2"`, `"Advanced options>Debian, 6.1"`). Writes the entry's index to `*index`.
/// `XENBOOT_E_NO_ENTRY` when nothing matches (the message lists the entries).
///
/// # Safety
/// `h` is NULL or a live handle; `selector` is NULL or a NUL-terminated string;
/// `index` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn xenboot_select(
    h: *mut xenboot,
    selector: *const c_char,
    index: *mut usize,
) -> xenboot_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        with_handle(h, "xenboot_select: handle", |x| {
            non_null(index, "xenboot_select: index")?;
            let sel = opt_str(selector, "xenboot_select: selector")?;
            let i = x.boot.select(sel)?;
            index.write(i);
            Ok(())
        })
    }
}

/// The message of the last failed call on this handle, `""` if none failed. Valid
/// until the next call on the handle. NULL only when `h` is NULL.
///
/// # Safety
/// `h` is NULL or a live handle.
#[no_mangle]
pub unsafe extern "C" fn xenboot_error_message(h: *const xenboot) -> *const c_char {
    if h.is_null() {
        return ptr::null();
    }
    // SAFETY: a live handle. try_borrow fails only if a call is running on it.
    match unsafe { &*h }.error.try_borrow() {
        Ok(msg) => msg.as_ptr(),
        Err(_) => c"".as_ptr(),
    }
}

/// Releases a handle and everything it owns (entry strings, messages). NULL is
/// ignored. Memory blobs and strings already handed to the caller stay valid.
///
/// # Safety
/// `h` is NULL or a live handle, not used afterwards.
#[no_mangle]
pub unsafe extern "C" fn xenboot_close(h: *mut xenboot) {
    if h.is_null() {
        return;
    }
    // A panic in a destructor must not unwind into C; there is nothing to report.
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: created by Box::into_raw in xenboot_open and closed once.
        drop(unsafe { Box::from_raw(h) })
    }));
}
