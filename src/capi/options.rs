//! `xenboot_options`: how to open a boot source (limits, offset, `isconfig`, log
//! callback), in a struct that carries its own size so that it can grow.

use super::{c_string, non_null, xenboot_log_level, xenboot_status};
use crate::boot::{LogLevel, Options};
use crate::error::{Error, Result};
use crate::limits::Limits;
use std::ffi::{c_char, c_int, c_void};
use std::mem::{offset_of, size_of};

/// A log callback (NULL for none): `level` is a `xenboot_log_level`, `msg` a
/// NUL-terminated UTF-8 line valid only during the call.
#[allow(non_camel_case_types)]
pub type xenboot_log_fn =
    Option<unsafe extern "C" fn(ctx: *mut c_void, level: c_int, msg: *const c_char)>;

/// Options for `xenboot_open`. Fill with `xenboot_options_init` (which sets `size` and
/// the defaults), then change what you need. The library reads only the first `size`
/// bytes, so a program built against an older header keeps working; fields it does
/// not know keep their defaults. New fields are only ever added at the end.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug)]
pub struct xenboot_options {
    /// `sizeof(xenboot_options)` as the caller was compiled with.
    pub size: u32,
    /// The location is a boot configuration file on the host, not a disk (pygrub's
    /// `--isconfig`): entries can be listed, nothing can be extracted.
    pub isconfig: bool,
    /// Use `offset` instead of reading the partition table.
    pub has_offset: bool,
    /// Byte offset of the filesystem on the disk, when `has_offset`.
    pub offset: u64,
    /// Largest kernel extracted, in bytes (default 128 MiB).
    pub max_kernel: u64,
    /// Largest ramdisk (all initrds together), in bytes (default 1 GiB).
    pub max_ramdisk: u64,
    /// Largest configuration file read, in bytes (default 1 MiB).
    pub max_config: u64,
    /// Deepest nesting of included/sourced configuration files (default 8).
    pub max_include_depth: u64,
    /// Most symlinks followed while resolving one path (default 40).
    pub max_symlink_hops: u64,
    /// Most menu entries one configuration may produce (default 4096).
    pub max_entries: u64,
    /// Most partitions considered on one disk (default 128).
    pub max_partitions: u64,
    /// Most extended boot records followed (default 128).
    pub max_ebr_chain: u64,
    /// Most GPT partition entries read (default 1024).
    pub max_gpt_entries: u64,
    /// Most configuration lines or script steps interpreted (default 1000000).
    pub max_script_steps: u64,
    /// Most path components walked in one lookup (default 256).
    pub max_path_components: u64,
    /// Most entries read from one directory (default 65536).
    pub max_dir_entries: u64,
    /// Receives warnings (entries skipped, unknown commands) and errors; NULL for none.
    pub log: xenboot_log_fn,
    /// Passed as `ctx` to `log`.
    pub log_ctx: *mut c_void,
    /// Follow the backing file of a qcow2 image (default false: an image with a
    /// backing file is refused).
    pub allow_backing_file: bool,
}

/// Largest `size` accepted; anything bigger is taken for an uninitialised struct.
const MAX_OPTIONS_SIZE: u32 = 4096;

/// The defaults, as `xenboot_options_init` writes them.
fn defaults() -> xenboot_options {
    let l = Limits::default();
    let wide = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
    xenboot_options {
        size: size_of::<xenboot_options>() as u32,
        isconfig: false,
        has_offset: false,
        offset: 0,
        max_kernel: l.max_kernel,
        max_ramdisk: l.max_ramdisk,
        max_config: l.max_config,
        max_include_depth: u64::from(l.max_include_depth),
        max_symlink_hops: u64::from(l.max_symlink_hops),
        max_entries: wide(l.max_entries),
        max_partitions: wide(l.max_partitions),
        max_ebr_chain: wide(l.max_ebr_chain),
        max_gpt_entries: u64::from(l.max_gpt_entries),
        max_script_steps: l.max_script_steps,
        max_path_components: wide(l.max_path_components),
        max_dir_entries: wide(l.max_dir_entries),
        log: None,
        log_ctx: std::ptr::null_mut(),
        allow_backing_file: false,
    }
}

/// Fills `*opts` with the defaults and sets `opts->size`. Returns
/// `XENBOOT_E_INVALID` when `opts` is NULL.
///
/// # Safety
/// `opts` is NULL or points to writable memory for one `xenboot_options`.
#[no_mangle]
pub unsafe extern "C" fn xenboot_options_init(opts: *mut xenboot_options) -> xenboot_status {
    super::boundary(
        || {
            non_null(opts, "xenboot_options_init: opts")?;
            // SAFETY: not NULL; the caller provides room for one struct.
            unsafe { opts.write(defaults()) };
            Ok(())
        },
        |_| {},
    )
}

/// A caller's log function and its context.
#[derive(Clone, Copy)]
pub(crate) struct LogSink {
    f: unsafe extern "C" fn(*mut c_void, c_int, *const c_char),
    ctx: *mut c_void,
}

impl LogSink {
    /// Passes one message to the caller's function.
    pub(crate) fn emit(&self, level: xenboot_log_level, msg: &str) {
        let line = c_string(msg);
        // SAFETY: the caller gave this function and context for exactly this use; the
        // message lives until the call returns.
        unsafe { (self.f)(self.ctx, level as c_int, line.as_ptr()) }
    }
}

/// Reads `T` at `offset` in the caller's struct if it lies within `size` bytes.
///
/// # Safety
/// `base` points to at least `size` readable bytes; any bit pattern is a valid `T`.
unsafe fn field<T: Copy>(base: *const u8, size: usize, offset: usize, default: T) -> T {
    match offset.checked_add(size_of::<T>()) {
        // SAFETY: the field lies inside the caller's `size` bytes.
        Some(end) if end <= size => unsafe { base.add(offset).cast::<T>().read_unaligned() },
        _ => default,
    }
}

/// Overwrites `limits` with the limit fields of the caller's struct that lie within
/// `size` bytes.
///
/// # Safety
/// `base` points to at least `size` readable bytes of a `xenboot_options`.
unsafe fn read_limits(limits: &mut Limits, base: *const u8, size: usize) {
    macro_rules! get {
        ($f:ident, $default:expr) => {
            // SAFETY: base has `size` readable bytes; a u64 accepts any bit pattern.
            unsafe { field::<u64>(base, size, offset_of!(xenboot_options, $f), $default) }
        };
    }
    let clamp32 = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
    let clampz = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    let wide32 = u64::from;
    let widez = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
    limits.max_kernel = get!(max_kernel, limits.max_kernel);
    limits.max_ramdisk = get!(max_ramdisk, limits.max_ramdisk);
    limits.max_config = get!(max_config, limits.max_config);
    limits.max_include_depth = clamp32(get!(max_include_depth, wide32(limits.max_include_depth)));
    limits.max_symlink_hops = clamp32(get!(max_symlink_hops, wide32(limits.max_symlink_hops)));
    limits.max_entries = clampz(get!(max_entries, widez(limits.max_entries)));
    limits.max_partitions = clampz(get!(max_partitions, widez(limits.max_partitions)));
    limits.max_ebr_chain = clampz(get!(max_ebr_chain, widez(limits.max_ebr_chain)));
    limits.max_gpt_entries = clamp32(get!(max_gpt_entries, wide32(limits.max_gpt_entries)));
    limits.max_script_steps = get!(max_script_steps, limits.max_script_steps);
    limits.max_path_components =
        clampz(get!(max_path_components, widez(limits.max_path_components)));
    limits.max_dir_entries = clampz(get!(max_dir_entries, widez(limits.max_dir_entries)));
}

/// The options a C caller gave, converted; `opts` NULL means the defaults.
pub(crate) struct Converted {
    /// Options for [`crate::Boot::open`].
    pub options: Options,
    /// The log callback, kept to report errors after the open.
    pub log: Option<LogSink>,
}

/// Converts the caller's options, reading only the `size` bytes it declares.
///
/// # Safety
/// `opts` is NULL or points to at least `opts->size` readable bytes.
pub(crate) unsafe fn convert(opts: *const xenboot_options) -> Result<Converted> {
    if opts.is_null() {
        return Ok(Converted {
            options: Options::default(),
            log: None,
        });
    }
    let base = opts.cast::<u8>();
    // SAFETY: `size` is the first field; the caller's struct has at least it.
    let size = unsafe { base.cast::<u32>().read_unaligned() };
    if !(4..=MAX_OPTIONS_SIZE).contains(&size) {
        return Err(Error::invalid(format!(
            "xenboot_options.size is {size}: call xenboot_options_init first"
        )));
    }
    let size = size as usize;
    let known = size_of::<xenboot_options>();
    // Bytes of a newer, larger struct must be zero: a field this library does not
    // know must not be silently ignored.
    for i in known..size {
        // SAFETY: i < size, inside the caller's struct.
        if unsafe { base.add(i).read() } != 0 {
            return Err(Error::unsupported(format!(
                "xenboot_options has a field at byte {i} that libxenboot {} does not know",
                crate::VERSION
            )));
        }
    }
    macro_rules! get {
        ($f:ident, $t:ty, $default:expr) => {
            // SAFETY: base has `size` readable bytes; integers and the Option of a
            // function pointer accept any bit pattern (bools are read as bytes).
            unsafe { field::<$t>(base, size, offset_of!(xenboot_options, $f), $default) }
        };
    }
    // Start from the defaults: a limit added to `Limits` later keeps its default until
    // this struct grows a field for it.
    let mut limits = Limits::default();
    // SAFETY: forwarded from the caller.
    unsafe { read_limits(&mut limits, base, size) };
    let has_offset = get!(has_offset, u8, 0) != 0;
    let offset = get!(offset, u64, 0);
    let isconfig = get!(isconfig, u8, 0) != 0;
    let allow_backing_file = get!(allow_backing_file, u8, 0) != 0;
    let log_fn = get!(log, xenboot_log_fn, None);
    let log_ctx = get!(log_ctx, *mut c_void, std::ptr::null_mut());
    let sink = log_fn.map(|f| LogSink { f, ctx: log_ctx });
    let logger: Option<crate::Logger> = sink.map(|s| {
        Box::new(move |level: LogLevel, msg: &str| s.emit(level.into(), msg)) as crate::Logger
    });
    Ok(Converted {
        options: Options {
            limits,
            offset: has_offset.then_some(offset),
            isconfig,
            log: logger,
            allow_backing_file,
        },
        log: sink,
    })
}

impl From<LogLevel> for xenboot_log_level {
    fn from(level: LogLevel) -> Self {
        match level {
            LogLevel::Debug => xenboot_log_level::XENBOOT_LOG_DEBUG,
            LogLevel::Info => xenboot_log_level::XENBOOT_LOG_INFO,
            LogLevel::Warn => xenboot_log_level::XENBOOT_LOG_WARN,
            LogLevel::Error => xenboot_log_level::XENBOOT_LOG_ERROR,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use std::mem::MaybeUninit;

    fn init() -> xenboot_options {
        let mut o = MaybeUninit::<xenboot_options>::uninit();
        // SAFETY: room for one struct; init writes all of it.
        let st = unsafe { xenboot_options_init(o.as_mut_ptr()) };
        assert_eq!(st, xenboot_status::XENBOOT_OK);
        // SAFETY: written by xenboot_options_init.
        unsafe { o.assume_init() }
    }

    #[test]
    fn defaults_round_trip_to_the_rust_defaults() {
        let o = init();
        // SAFETY: a valid, initialised struct.
        let c = unsafe { convert(&o) }.unwrap();
        assert_eq!(c.options.limits, Limits::default());
        assert_eq!(c.options.offset, None);
        assert!(!c.options.isconfig);
        assert!(!c.options.allow_backing_file);
        assert!(c.log.is_none());
    }

    #[test]
    fn fields_are_read_and_a_short_struct_keeps_defaults() {
        let mut o = init();
        o.max_kernel = 4096;
        o.has_offset = true;
        o.offset = 1 << 20;
        o.max_path_components = 3;
        o.allow_backing_file = true;
        // SAFETY: valid struct.
        let c = unsafe { convert(&o) }.unwrap();
        assert!(c.options.allow_backing_file);
        assert_eq!(c.options.limits.max_kernel, 4096);
        assert_eq!(c.options.offset, Some(1 << 20));
        assert_eq!(c.options.limits.max_path_components, 3);
        // An older caller whose struct ends before max_ramdisk: later fields default.
        o.size = offset_of!(xenboot_options, max_ramdisk) as u32;
        o.max_config = 1;
        // SAFETY: the struct is larger than the declared size.
        let c = unsafe { convert(&o) }.unwrap();
        assert_eq!(c.options.limits.max_kernel, 4096);
        assert_eq!(c.options.limits.max_config, Limits::default().max_config);
        assert_eq!(c.options.limits.max_path_components, 256);
    }

    #[test]
    fn bad_sizes_are_refused() {
        let mut o = init();
        o.size = 0;
        // SAFETY: valid struct.
        let e = unsafe { convert(&o) }.err().unwrap();
        assert_eq!(e.kind(), ErrorKind::Invalid);
        o.size = 100_000;
        // SAFETY: refused before reading past the struct.
        assert!(unsafe { convert(&o) }.is_err());
        // A larger struct from a newer header: zero tail accepted, non-zero refused.
        let mut big = [0u8; size_of::<xenboot_options>() + 8];
        let mut o = init();
        o.size = big.len() as u32;
        // SAFETY: copies the struct's bytes into a buffer large enough.
        unsafe {
            std::ptr::copy_nonoverlapping(
                (&o as *const xenboot_options).cast::<u8>(),
                big.as_mut_ptr(),
                size_of::<xenboot_options>(),
            )
        };
        // SAFETY: `big` holds `size` bytes.
        assert!(unsafe { convert(big.as_ptr().cast()) }.is_ok());
        if let Some(last) = big.last_mut() {
            *last = 1;
        }
        // SAFETY: as above.
        let e = unsafe { convert(big.as_ptr().cast()) }.err().unwrap();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
    }
}
