//! The C ABI: `xenboot_open` → `xenboot_list` / `xenboot_select` → `xenboot_extract*`
//! → `xenboot_close`. The header `include/xenboot.h` is generated from this module by
//! cbindgen (see `build.rs`).
//!
//! Conventions, for every entry point:
//! - it returns a [`xenboot_status`]: `XENBOOT_OK` (0) or an error code ≥ 1000 (so it
//!   never collides with errno values);
//! - out-parameters are written only on success;
//! - a NULL pointer where one is required is `XENBOOT_E_INVALID`, never a crash;
//! - a Rust panic is caught at the boundary and becomes `XENBOOT_E_PANIC`;
//! - on failure a message saying what was tried is available from
//!   [`xenboot_last_error`] (per thread, also after a failed open) and
//!   [`handle::xenboot_error_message`] (per handle), and goes to the log callback.
//!
//! Strings are UTF-8 and NUL-terminated. Strings and arrays reached from a handle are
//! owned by it and valid until [`handle::xenboot_close`]; strings the caller must free
//! say so (`xenboot_string_free` or `free`). A handle may be used by one thread at a
//! time.

// This is the one module of the crate allowed to use `unsafe`: a C ABI has to
// dereference caller pointers, call the caller's log function, map memory the caller
// will `munmap`, and write to the caller's file descriptors. Every unsafe block states
// what it relies on.
#![allow(unsafe_code)]

pub mod extract;
pub mod handle;
pub mod options;
pub mod probe;

use crate::error::{Error, ErrorKind, Result};
use std::cell::RefCell;
use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Result of every call: `XENBOOT_OK` or an error class.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum xenboot_status {
    /// Success.
    XENBOOT_OK = 0,
    /// An argument is invalid: NULL pointer, bad selector, non-UTF-8 string, bad
    /// options size.
    XENBOOT_E_INVALID = 1000,
    /// Reading the source or writing the output failed at the operating-system level.
    XENBOOT_E_IO = 1001,
    /// No boot configuration was found on any volume.
    XENBOOT_E_NO_CONFIG = 1002,
    /// The requested (or default) entry does not exist or cannot be booted.
    XENBOOT_E_NO_ENTRY = 1003,
    /// A file named by the configuration is not in the guest filesystem.
    XENBOOT_E_NOT_FOUND = 1004,
    /// Guest data is malformed.
    XENBOOT_E_CORRUPT = 1005,
    /// A format or feature is not supported.
    XENBOOT_E_UNSUPPORTED = 1006,
    /// A resource limit was exceeded.
    XENBOOT_E_LIMIT = 1007,
    /// A network operation failed.
    XENBOOT_E_NETWORK = 1008,
    /// An internal error (a caught panic); the handle should be closed.
    XENBOOT_E_PANIC = 1009,
}

impl From<ErrorKind> for xenboot_status {
    fn from(kind: ErrorKind) -> Self {
        use xenboot_status::*;
        match kind {
            ErrorKind::Invalid => XENBOOT_E_INVALID,
            ErrorKind::Io => XENBOOT_E_IO,
            ErrorKind::NoConfig => XENBOOT_E_NO_CONFIG,
            ErrorKind::NoEntry => XENBOOT_E_NO_ENTRY,
            ErrorKind::NotFound => XENBOOT_E_NOT_FOUND,
            ErrorKind::Corrupt => XENBOOT_E_CORRUPT,
            ErrorKind::Unsupported => XENBOOT_E_UNSUPPORTED,
            ErrorKind::Limit => XENBOOT_E_LIMIT,
            ErrorKind::Network => XENBOOT_E_NETWORK,
            ErrorKind::Panic => XENBOOT_E_PANIC,
        }
    }
}

/// Severity passed as `level` to the log callback.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum xenboot_log_level {
    /// Detail of what was tried.
    XENBOOT_LOG_DEBUG = 0,
    /// Progress.
    XENBOOT_LOG_INFO = 1,
    /// Something was skipped or ignored; booting goes on.
    XENBOOT_LOG_WARN = 2,
    /// An operation failed.
    XENBOOT_LOG_ERROR = 3,
}

/// `default_index` of `xenboot_list` when the menu has no entries (`SIZE_MAX`; the
/// header defines the macro in `build.rs`, as cbindgen cannot spell it).
pub(crate) const XENBOOT_NO_INDEX: usize = usize::MAX;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Makes a C string from `s`, replacing any NUL byte (possible in guest data) with
/// U+FFFD so that conversion never fails.
pub(crate) fn c_string(s: &str) -> CString {
    let bytes = if s.contains('\0') {
        s.replace('\0', "\u{FFFD}").into_bytes()
    } else {
        s.as_bytes().to_vec()
    };
    CString::new(bytes).unwrap_or_default()
}

/// Records `e` as this thread's last error.
fn set_last_error(e: &Error) {
    let msg = c_string(&e.to_string());
    LAST_ERROR.with(|cell| *cell.borrow_mut() = msg);
}

/// Turns a caught panic payload into an error.
fn panic_error(payload: &(dyn std::any::Any + Send)) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string());
    Error::new(ErrorKind::Panic, format!("internal error (panic): {what}"))
}

/// Runs `f` behind the panic boundary. On error (or panic) records the message in the
/// thread-local slot and passes it to `on_error` (the handle's slot and log), and
/// returns the matching status.
pub(crate) fn boundary<F, G>(f: F, on_error: G) -> xenboot_status
where
    F: FnOnce() -> Result<()>,
    G: FnOnce(&Error),
{
    let err = match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => return xenboot_status::XENBOOT_OK,
        Ok(Err(e)) => e,
        Err(payload) => panic_error(payload.as_ref()),
    };
    set_last_error(&err);
    // The error callback runs caller code (the log function); keep a panic there from
    // unwinding into C as well.
    let _ = catch_unwind(AssertUnwindSafe(|| on_error(&err)));
    err.kind().into()
}

/// Fails with `XENBOOT_E_INVALID` naming `what` when `p` is NULL.
pub(crate) fn non_null<T>(p: *const T, what: &str) -> Result<()> {
    if p.is_null() {
        Err(Error::invalid(format!("{what} is NULL")))
    } else {
        Ok(())
    }
}

/// Reads a required C string argument as UTF-8.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives the returned slice.
pub(crate) unsafe fn arg_str<'a>(p: *const c_char, what: &str) -> Result<&'a str> {
    non_null(p, what)?;
    // SAFETY: not NULL, and the caller promises a NUL-terminated string.
    let s = unsafe { CStr::from_ptr(p) };
    s.to_str()
        .map_err(|_| Error::invalid(format!("{what} is not valid UTF-8")))
}

/// Reads an optional C string argument (NULL → `None`).
///
/// # Safety
/// As [`arg_str`].
pub(crate) unsafe fn opt_str<'a>(p: *const c_char, what: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded from the caller.
        unsafe { arg_str(p, what) }.map(Some)
    }
}

/// Copies `s` into memory from `malloc`, to be released with
/// [`xenboot_string_free`] or `free`.
pub(crate) fn malloc_string(s: &str) -> Result<*mut c_char> {
    let c = c_string(s);
    let bytes = c.as_bytes_with_nul();
    // SAFETY: malloc may return NULL (checked); on success the block has
    // `bytes.len()` writable bytes, which do not overlap `bytes`.
    unsafe {
        let p = libc::malloc(bytes.len()).cast::<c_char>();
        if p.is_null() {
            return Err(Error::new(
                ErrorKind::Io,
                format!("out of memory copying a {}-byte string", bytes.len()),
            ));
        }
        std::ptr::copy_nonoverlapping(bytes.as_ptr().cast::<c_char>(), p, bytes.len());
        Ok(p)
    }
}

/// The library version, e.g. `"0.1.0"` (static; do not free). Compare with
/// `XENBOOT_VERSION_STRING` to detect a header/library mismatch.
#[no_mangle]
pub extern "C" fn xenboot_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// The message of the most recent failed call on this thread (also after a failed
/// `xenboot_open`, when there is no handle), or `""` if no call failed yet. Valid until
/// the next failing call on this thread; never NULL.
#[no_mangle]
pub extern "C" fn xenboot_last_error() -> *const c_char {
    // try_with fails only while the thread is being torn down.
    LAST_ERROR
        .try_with(|cell| cell.borrow().as_ptr())
        .unwrap_or(c"".as_ptr())
}

/// The name of a status code (`"XENBOOT_E_IO"`), or `"XENBOOT_E_UNKNOWN"` for a
/// value that is not one. Static; do not free.
#[no_mangle]
pub extern "C" fn xenboot_status_name(status: c_int) -> *const c_char {
    let name: &CStr = match status {
        0 => c"XENBOOT_OK",
        1000 => c"XENBOOT_E_INVALID",
        1001 => c"XENBOOT_E_IO",
        1002 => c"XENBOOT_E_NO_CONFIG",
        1003 => c"XENBOOT_E_NO_ENTRY",
        1004 => c"XENBOOT_E_NOT_FOUND",
        1005 => c"XENBOOT_E_CORRUPT",
        1006 => c"XENBOOT_E_UNSUPPORTED",
        1007 => c"XENBOOT_E_LIMIT",
        1008 => c"XENBOOT_E_NETWORK",
        1009 => c"XENBOOT_E_PANIC",
        _ => c"XENBOOT_E_UNKNOWN",
    };
    name.as_ptr()
}

/// Frees a string the library returned for the caller to own (command lines,
/// extracted file paths). NULL is ignored. `free` works too.
///
/// # Safety
/// `s` is NULL or a string returned as caller-owned by this library, not yet freed.
#[no_mangle]
pub unsafe extern "C" fn xenboot_string_free(s: *mut c_char) {
    // SAFETY: the string came from `malloc_string` (libc::malloc) or is NULL.
    unsafe { libc::free(s.cast()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn last_error() -> String {
        // SAFETY: xenboot_last_error never returns NULL.
        unsafe { CStr::from_ptr(xenboot_last_error()) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn panics_become_a_status_and_a_message() {
        let mut seen = None;
        let status = boundary(
            || -> Result<()> { panic!("boom {}", 7) },
            |e| seen = Some(e.kind()),
        );
        assert_eq!(status, xenboot_status::XENBOOT_E_PANIC);
        assert_eq!(seen, Some(ErrorKind::Panic));
        assert!(last_error().contains("boom 7"), "{}", last_error());
    }

    #[test]
    fn errors_map_to_their_codes() {
        let status = boundary(|| Err(Error::limit("too big")), |_| {});
        assert_eq!(status, xenboot_status::XENBOOT_E_LIMIT);
        assert_eq!(status as i32, 1007);
        assert_eq!(last_error(), "too big");
        assert_eq!(boundary(|| Ok(()), |_| {}), xenboot_status::XENBOOT_OK);
        // Success leaves the last message in place.
        assert_eq!(last_error(), "too big");
    }

    #[test]
    fn status_names_match_values() {
        // SAFETY: static strings.
        let name = |s: xenboot_status| unsafe { CStr::from_ptr(xenboot_status_name(s as c_int)) };
        assert_eq!(
            name(xenboot_status::XENBOOT_E_NO_CONFIG),
            c"XENBOOT_E_NO_CONFIG"
        );
        assert_eq!(name(xenboot_status::XENBOOT_E_PANIC), c"XENBOOT_E_PANIC");
        // SAFETY: static string.
        let unknown = unsafe { CStr::from_ptr(xenboot_status_name(5)) };
        assert_eq!(unknown, c"XENBOOT_E_UNKNOWN");
    }

    #[test]
    fn nul_bytes_in_guest_strings_are_replaced() {
        assert_eq!(c_string("a\0b").to_str().unwrap(), "a\u{FFFD}b");
        let p = malloc_string("x\0").unwrap();
        // SAFETY: p is a fresh NUL-terminated malloc'd string.
        assert_eq!(unsafe { CStr::from_ptr(p) }.to_str().unwrap(), "x\u{FFFD}");
        // SAFETY: p came from malloc_string.
        unsafe { xenboot_string_free(p) };
    }
}
