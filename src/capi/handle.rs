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
    /// Every string, each NUL-terminated, one after another: one allocation for the
    /// whole menu (a 200-entry menu made ~1,400 separate C strings before).
    _text: Vec<u8>,
    /// All entries' NULL-terminated initrd arrays, one after another.
    _initrds: Vec<*const c_char>,
    entries: Vec<xenboot_entry>,
}

/// Where an entry's strings start in [`EntryTable::_text`].
struct Offsets {
    title: usize,
    id: Option<usize>,
    path: usize,
    position: usize,
    kernel: Option<usize>,
    /// Index of the entry's first initrd pointer in [`EntryTable::_initrds`].
    initrds: usize,
    args: usize,
    why_not: Option<usize>,
}

/// Appends `s` and a NUL to `text` (a NUL inside `s` becomes U+FFFD, as in
/// [`super::c_string`]); returns where it starts.
fn put(text: &mut Vec<u8>, s: &str) -> usize {
    let at = text.len();
    push_text(text, s);
    text.push(0);
    at
}

/// Appends `s` to `text` without its terminating NUL (see [`put`]).
fn push_text(text: &mut Vec<u8>, s: &str) {
    let mut pieces = s.split('\0');
    text.extend_from_slice(pieces.next().unwrap_or_default().as_bytes());
    for piece in pieces {
        text.extend_from_slice("\u{FFFD}".as_bytes());
        text.extend_from_slice(piece.as_bytes());
    }
}

/// Appends the entry's submenu path (titles joined by `>`, a `>` in a title
/// doubled) and a NUL; returns where it starts.
fn put_path(text: &mut Vec<u8>, submenu: &[String]) -> usize {
    let at = text.len();
    for (i, title) in submenu.iter().enumerate() {
        if i > 0 {
            text.push(b'>');
        }
        push_text(text, &title.replace('>', ">>"));
    }
    text.push(0);
    at
}

/// Appends the entry's position (`1>2`) and a NUL; returns where it starts.
fn put_position(text: &mut Vec<u8>, position: &[usize]) -> usize {
    use std::io::Write;
    let at = text.len();
    for (i, p) in position.iter().enumerate() {
        let sep = if i > 0 { ">" } else { "" };
        // Writing into a vector cannot fail.
        let _ = write!(text, "{sep}{p}");
    }
    text.push(0);
    at
}

impl EntryTable {
    fn new(entries: &[Entry]) -> EntryTable {
        let mut text = Vec::new();
        let mut initrd_at = Vec::new();
        let mut offsets = Vec::with_capacity(entries.len());
        for e in entries {
            let first = initrd_at.len();
            for i in &e.initrds {
                initrd_at.push(Some(put(&mut text, i)));
            }
            initrd_at.push(None);
            offsets.push(Offsets {
                title: put(&mut text, &e.title),
                id: e.id.as_deref().map(|s| put(&mut text, s)),
                path: put_path(&mut text, &e.submenu),
                position: put_position(&mut text, &e.position),
                kernel: e.kernel.as_deref().map(|s| put(&mut text, s)),
                initrds: first,
                args: put(&mut text, &e.args),
                why_not: (!e.is_bootable()).then(|| {
                    let why = e.not_bootable.as_deref().unwrap_or("it names no kernel");
                    put(&mut text, why)
                }),
            });
        }
        // `text` and `initrds` are complete: their heap buffers no longer move (moving
        // the vectors into the table keeps them), so pointers into them stay valid.
        let base = text.as_ptr().cast::<c_char>();
        let at = |off: usize| base.wrapping_add(off);
        let initrds: Vec<*const c_char> = initrd_at
            .iter()
            .map(|o| o.map_or(ptr::null(), at))
            .collect();
        let out = entries
            .iter()
            .zip(&offsets)
            .map(|(e, o)| xenboot_entry {
                title: at(o.title),
                id: o.id.map_or(ptr::null(), at),
                path: at(o.path),
                position: at(o.position),
                kernel: o.kernel.map_or(ptr::null(), at),
                initrds: initrds.as_ptr().wrapping_add(o.initrds),
                n_initrds: e.initrds.len(),
                args: at(o.args),
                bootable: e.is_bootable(),
                hidden: e.hidden,
                why_not: o.why_not.map_or(ptr::null(), at),
            })
            .collect();
        EntryTable {
            _text: text,
            _initrds: initrds,
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
