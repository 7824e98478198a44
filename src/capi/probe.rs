//! `xenboot_probe`: the operator's report of a boot source, as JSON.

use super::options::convert;
use super::options::xenboot_options;
use super::{arg_str, boundary, malloc_string, non_null, xenboot_status};
use crate::error::Error;
use std::ffi::c_char;

/// Probes `location` and writes to `*report` a JSON object describing everything
/// found — partitions, filesystems, configuration paths tried, entries, default,
/// warnings, and the error that stopped the scan (`"error"`, null when none). A source
/// that cannot be booted still gives `XENBOOT_OK` and a report; only bad arguments
/// fail. `*report` is a string to free with `xenboot_string_free`. `opts` may be NULL.
///
/// # Safety
/// `location` is NULL or a NUL-terminated string; `opts` is NULL or initialised by
/// `xenboot_options_init`; `report` is NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn xenboot_probe(
    location: *const c_char,
    opts: *const xenboot_options,
    report: *mut *mut c_char,
) -> xenboot_status {
    boundary(
        || {
            non_null(report, "xenboot_probe: report")?;
            // SAFETY: forwarded from the caller.
            let location = unsafe { arg_str(location, "xenboot_probe: location") }?;
            // SAFETY: forwarded from the caller.
            let options = unsafe { convert(opts) }?.options;
            let found = crate::probe::probe(location, options);
            let json = serde_json::to_string(&found)
                .map_err(|e| Error::invalid(format!("cannot encode the probe report: {e}")))?;
            let s = malloc_string(&json)?;
            // SAFETY: not NULL, writable per the contract.
            unsafe { report.write(s) };
            Ok(())
        },
        |_| {},
    )
}
