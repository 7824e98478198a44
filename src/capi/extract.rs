//! Extraction through the C ABI: into anonymous memory the caller may `munmap`, into
//! a directory, or into caller file descriptors.

use super::handle::{with_handle, xenboot};
use super::{arg_str, malloc_string, non_null, opt_str, xenboot_status};
use crate::error::{Error, ErrorKind, Result};
use crate::extract::{Plan, Request};
use std::ffi::{c_char, c_int, c_void};
use std::io::Write;
use std::mem::{offset_of, size_of};
use std::path::Path;
use std::ptr;

/// Overrides for one extraction (pygrub's `--entry`, `--kernel`, `--ramdisk`,
/// `--args`; libxl's domain kernel/ramdisk/cmdline). Fill with
/// `xenboot_extract_options_init`; NULL options mean no overrides. Only the first
/// `size` bytes are read; new fields are added at the end.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug)]
pub struct xenboot_extract_options {
    /// `sizeof(xenboot_extract_options)` as the caller was compiled with.
    pub size: u32,
    /// Entry selector as for `xenboot_select`; NULL: the selected entry (the last
    /// `xenboot_select`, else the default). Does not change the selection.
    pub entry: *const c_char,
    /// Kernel path on the guest filesystem instead of the entry's; NULL: the entry's.
    pub kernel: *const c_char,
    /// Initrd paths instead of the entry's, concatenated in order; NULL: the entry's.
    /// Non-NULL with `n_ramdisks` 0 means no ramdisk.
    pub ramdisks: *const *const c_char,
    /// Number of paths in `ramdisks`.
    pub n_ramdisks: usize,
    /// Command line instead of the entry's; NULL: the entry's.
    pub args: *const c_char,
    /// `xenboot_extract` only. Nonzero: where the kernel (or the one initrd) lies in
    /// page-aligned ranges of a raw disk image (XFS, ext4 extents), its blob maps
    /// those pages of the image privately instead of copying them — no copy at all
    /// (the blob is still private and writable; the image is never written). The
    /// caller must then keep the image file from being truncated while the blob is
    /// mapped (reading a page cut off by truncation raises SIGBUS), and writes to
    /// the image by others show through until the caller writes to that page.
    /// Other files are copied as with 0.
    pub map_image: c_int,
    /// Must be 0 (keeps the struct free of padding, so every byte is checked).
    pub reserved: c_int,
}

/// Most ramdisk paths accepted in `xenboot_extract_options.ramdisks`.
const MAX_RAMDISK_OVERRIDES: usize = 1024;

/// Largest `size` accepted; bigger is taken for an uninitialised struct.
const MAX_EXTRACT_OPTIONS_SIZE: u32 = 4096;

/// Fills `*opts` with no overrides and sets `opts->size`.
///
/// # Safety
/// `opts` is NULL or points to writable memory for one `xenboot_extract_options`.
#[no_mangle]
pub unsafe extern "C" fn xenboot_extract_options_init(
    opts: *mut xenboot_extract_options,
) -> xenboot_status {
    super::boundary(
        || {
            non_null(opts, "xenboot_extract_options_init: opts")?;
            // SAFETY: not NULL; the caller provides room for one struct.
            unsafe {
                opts.write(xenboot_extract_options {
                    size: size_of::<xenboot_extract_options>() as u32,
                    entry: ptr::null(),
                    kernel: ptr::null(),
                    ramdisks: ptr::null(),
                    n_ramdisks: 0,
                    args: ptr::null(),
                    map_image: 0,
                    reserved: 0,
                })
            };
            Ok(())
        },
        |_| {},
    )
}

/// Memory handed to the caller: `size` bytes at `data`, mapped with `mmap`
/// (private, read/write; anonymous, or pages of the image with `map_image`). Release with `xenboot_blob_free` or
/// `munmap(data, size)`. An empty blob has `data` NULL and `size` 0.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug)]
pub struct xenboot_blob {
    /// Start of the mapping; NULL when `size` is 0.
    pub data: *mut c_void,
    /// Length in bytes.
    pub size: usize,
}

/// The caller's overrides, converted.
struct Overrides<'a> {
    entry: Option<&'a str>,
    request: Request,
    map_image: bool,
}

/// Reads `T` at `offset` in the caller's struct when it lies within `size` bytes.
///
/// # Safety
/// `base` points to at least `size` readable bytes; any bit pattern is a valid `T`.
unsafe fn field<T: Copy>(base: *const u8, size: usize, offset: usize) -> Option<T> {
    let end = offset.checked_add(size_of::<T>())?;
    // SAFETY: the field lies inside the caller's `size` bytes.
    (end <= size).then(|| unsafe { base.add(offset).cast::<T>().read_unaligned() })
}

/// Converts the caller's extract options (NULL: no overrides).
///
/// # Safety
/// `opts` is NULL or points to `opts->size` readable bytes whose pointers are NULL or
/// valid as documented on [`xenboot_extract_options`].
unsafe fn overrides<'a>(opts: *const xenboot_extract_options) -> Result<Overrides<'a>> {
    let mut out = Overrides {
        entry: None,
        request: Request::default(),
        map_image: false,
    };
    if opts.is_null() {
        return Ok(out);
    }
    let base = opts.cast::<u8>();
    // SAFETY: `size` is the first field.
    let size = unsafe { base.cast::<u32>().read_unaligned() };
    if !(4..=MAX_EXTRACT_OPTIONS_SIZE).contains(&size) {
        return Err(Error::invalid(format!(
            "xenboot_extract_options.size is {size}: call xenboot_extract_options_init first"
        )));
    }
    let size = size as usize;
    for i in size_of::<xenboot_extract_options>()..size {
        // SAFETY: inside the caller's `size` bytes.
        if unsafe { base.add(i).read() } != 0 {
            return Err(Error::unsupported(format!(
                "xenboot_extract_options has a field at byte {i} that libxenboot {} does not know",
                crate::VERSION
            )));
        }
    }
    macro_rules! ptr_field {
        ($f:ident, $t:ty) => {
            // SAFETY: `size` readable bytes; pointers accept any bit pattern.
            unsafe { field::<$t>(base, size, offset_of!(xenboot_extract_options, $f)) }
                .unwrap_or(ptr::null())
        };
    }
    let (entry, kernel, args) = (
        ptr_field!(entry, *const c_char),
        ptr_field!(kernel, *const c_char),
        ptr_field!(args, *const c_char),
    );
    // SAFETY (each): strings the caller vouches for, see the function's contract.
    out.entry = unsafe { opt_str(entry, "extract options: entry") }?;
    out.request.kernel = unsafe { opt_str(kernel, "extract options: kernel") }?.map(str::to_string);
    out.request.args = unsafe { opt_str(args, "extract options: args") }?.map(str::to_string);
    // SAFETY: `size` readable bytes; any int is valid.
    out.map_image =
        unsafe { field::<c_int>(base, size, offset_of!(xenboot_extract_options, map_image)) }
            .is_some_and(|v| v != 0);
    // SAFETY: as above.
    let reserved =
        unsafe { field::<c_int>(base, size, offset_of!(xenboot_extract_options, reserved)) };
    if reserved.is_some_and(|v| v != 0) {
        return Err(Error::unsupported(format!(
            "xenboot_extract_options.reserved is not 0: a field libxenboot {} does not know",
            crate::VERSION
        )));
    }
    let ramdisks = ptr_field!(ramdisks, *const *const c_char);
    if !ramdisks.is_null() {
        // SAFETY: as above.
        let n =
            unsafe { field::<usize>(base, size, offset_of!(xenboot_extract_options, n_ramdisks)) }
                .unwrap_or(0);
        if n > MAX_RAMDISK_OVERRIDES {
            return Err(Error::limit(format!(
                "{n} ramdisk paths given; at most {MAX_RAMDISK_OVERRIDES} are accepted"
            )));
        }
        let mut list = Vec::with_capacity(n);
        for i in 0..n {
            // SAFETY: the caller's array has `n_ramdisks` elements.
            let p = unsafe { ramdisks.add(i).read() };
            // SAFETY: each element is a string per the contract (NULL is refused).
            list.push(
                unsafe { arg_str(p, &format!("extract options: ramdisks[{i}]")) }?.to_string(),
            );
        }
        out.request.ramdisks = Some(list);
    }
    Ok(out)
}

/// Resolves the entry and the overrides into a plan.
fn plan(x: &xenboot, o: &Overrides<'_>) -> Result<Plan> {
    let index = match o.entry {
        Some(sel) => crate::select::resolve(x.boot.menu(), sel)?,
        None => x.boot.selected().ok_or_else(|| {
            Error::new(
                ErrorKind::NoEntry,
                format!("{} has no menu entries", x.boot.location()),
            )
        })?,
    };
    x.boot.plan(index, &o.request)
}

/// An anonymous mapping being filled; unmapped on drop unless handed over.
struct Mapping {
    data: *mut u8,
    len: usize,
}

/// Most ranges of the image one blob maps (see `map_image`); a more fragmented file
/// is copied.
const MAX_MAPPED_RUNS: usize = 256;

/// Mappings from this size on ask for transparent huge pages: filling 62 MiB of
/// fresh 4 KiB pages costs more page faults than the copy itself.
const HUGE_PAGE: usize = 2 << 20;

impl Mapping {
    fn new(len: u64, what: &str) -> Result<Mapping> {
        let len = usize::try_from(len)
            .map_err(|_| Error::limit(format!("{what} of {len} bytes does not fit in memory")))?;
        if len == 0 {
            return Ok(Mapping {
                data: ptr::null_mut(),
                len: 0,
            });
        }
        // SAFETY: a fresh private anonymous mapping; no existing memory is touched.
        let p = unsafe {
            libc::mmap(
                ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(Error::io(
                format!("cannot map {len} bytes for the {what}"),
                &std::io::Error::last_os_error(),
            ));
        }
        if len >= HUGE_PAGE {
            // SAFETY: advice on our own mapping; failure (no THP) changes nothing.
            unsafe { libc::madvise(p, len, libc::MADV_HUGEPAGE) };
        }
        Ok(Mapping {
            data: p.cast(),
            len,
        })
    }

    /// The mapping's bytes, to be filled.
    fn bytes(&mut self) -> &mut [u8] {
        if self.data.is_null() {
            return &mut [];
        }
        // SAFETY: our own read/write mapping of `len` bytes, borrowed mutably once.
        unsafe { std::slice::from_raw_parts_mut(self.data, self.len) }
    }

    /// Replaces the whole mapping by private mappings of the disk image where `file`
    /// lies, when every range starts on a page boundary of the image, all but the
    /// last are whole pages and there are at most [`MAX_MAPPED_RUNS`] (each is a
    /// mapping of its own in the caller's process). Returns false when the file is
    /// not so laid out or the system refuses a mapping (an image on a filesystem
    /// without mmap): the mapping is then anonymous and writable again, to be filled
    /// by copying.
    fn map_image_of(&mut self, x: &xenboot, file: &crate::extract::FileRef) -> Result<bool> {
        let Some(crate::extract::ImageRanges { image, runs }) = x.boot.host_runs_of(file)? else {
            return Ok(false);
        };
        // SAFETY: sysconf has no preconditions.
        let page = u64::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(0);
        let last = runs.len().saturating_sub(1);
        let aligned = page > 0
            && !self.data.is_null()
            && runs.len() <= MAX_MAPPED_RUNS
            && runs
                .iter()
                .enumerate()
                .all(|(i, &(at, n))| at % page == 0 && (i == last || n % page == 0));
        if !aligned {
            return Ok(false);
        }
        let mut dest = 0usize;
        for (at, n) in runs {
            let (Ok(n), Ok(at)) = (usize::try_from(n), libc::off_t::try_from(at)) else {
                return self.make_anonymous().map(|()| false);
            };
            if dest.checked_add(n).is_none_or(|end| end > self.len) {
                return Err(Error::corrupt("the file maps more bytes than it has"));
            }
            // SAFETY: replaces pages [dest, dest + n) of our own mapping (MAP_FIXED
            // inside it); the image is mapped private, so nothing is written to it.
            // Populated read-only (a writable MAP_POPULATE would copy every page),
            // then made writable: a write copies only the page written.
            let p = unsafe {
                let p = libc::mmap(
                    self.data.add(dest).cast(),
                    n,
                    libc::PROT_READ,
                    libc::MAP_PRIVATE | libc::MAP_FIXED | libc::MAP_POPULATE,
                    std::os::fd::AsRawFd::as_raw_fd(&image),
                    at,
                );
                if p != libc::MAP_FAILED
                    && libc::mprotect(p, n, libc::PROT_READ | libc::PROT_WRITE) != 0
                {
                    libc::MAP_FAILED
                } else {
                    p
                }
            };
            if p == libc::MAP_FAILED {
                return self.make_anonymous().map(|()| false);
            }
            dest += n;
        }
        if dest != self.len {
            return self.make_anonymous().map(|()| false);
        }
        Ok(true)
    }

    /// Makes the whole mapping fresh anonymous read/write memory again.
    fn make_anonymous(&mut self) -> Result<()> {
        // SAFETY: replaces our own mapping of `len` bytes in place (MAP_FIXED).
        let p = unsafe {
            libc::mmap(
                self.data.cast(),
                self.len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(Error::io(
                format!("cannot remap {} bytes as memory", self.len),
                &std::io::Error::last_os_error(),
            ));
        }
        Ok(())
    }

    /// Hands the mapping to the caller; it is no longer unmapped here.
    fn into_blob(self) -> xenboot_blob {
        let blob = xenboot_blob {
            data: self.data.cast(),
            size: self.len,
        };
        std::mem::forget(self);
        blob
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        if !self.data.is_null() {
            // SAFETY: our own mapping of `len` bytes, not handed over.
            unsafe { libc::munmap(self.data.cast(), self.len) };
        }
    }
}

/// Writes to a caller's file descriptor without taking ownership of it.
struct FdWriter(c_int);

impl Write for FdWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // SAFETY: writes from a valid buffer; a bad fd gives EBADF, nothing else.
        let n = unsafe { libc::write(self.0, buf.as_ptr().cast(), buf.len()) };
        usize::try_from(n).map_err(|_| std::io::Error::last_os_error())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Extracts the selected entry (or `opts->entry`) into memory: `*kernel` and
/// `*ramdisk` receive anonymous mappings (see `xenboot_blob`; the ramdisk blob is
/// empty when the entry has no initrd; several initrds are concatenated) and
/// `*cmdline` a string to free with `xenboot_string_free`. `opts` may be NULL. On
/// failure nothing is allocated and nothing is written.
///
/// # Safety
/// `h` is NULL or a live handle; `opts` as for `xenboot_extract_options`; the out
/// pointers are NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn xenboot_extract(
    h: *mut xenboot,
    opts: *const xenboot_extract_options,
    kernel: *mut xenboot_blob,
    ramdisk: *mut xenboot_blob,
    cmdline: *mut *mut c_char,
) -> xenboot_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        with_handle(h, "xenboot_extract: handle", |x| {
            non_null(kernel, "xenboot_extract: kernel")?;
            non_null(ramdisk, "xenboot_extract: ramdisk")?;
            non_null(cmdline, "xenboot_extract: cmdline")?;
            let o = overrides(opts)?;
            let plan = plan(x, &o)?;
            let mut k = Mapping::new(plan.kernel.len, "kernel")?;
            if !(o.map_image && k.map_image_of(x, &plan.kernel)?) {
                x.boot.read_kernel_into(&plan, k.bytes())?;
            }
            let mut r = Mapping::new(plan.ramdisk_len(), "ramdisk")?;
            let one = match plan.ramdisks.as_slice() {
                [one] => Some(one),
                _ => None,
            };
            let mapped = match one {
                Some(f) if o.map_image => r.map_image_of(x, f)?,
                _ => false,
            };
            if !mapped {
                x.boot.read_ramdisk_into(&plan, r.bytes())?;
            }
            let line = malloc_string(&plan.args)?;
            kernel.write(k.into_blob());
            ramdisk.write(r.into_blob());
            cmdline.write(line);
            Ok(())
        })
    }
}

/// Unmaps a blob from `xenboot_extract` and sets it empty. NULL and empty blobs are
/// ignored. (`munmap(blob->data, blob->size)` does the same.)
///
/// # Safety
/// `blob` is NULL or points to a blob filled by `xenboot_extract`, not yet released.
#[no_mangle]
pub unsafe extern "C" fn xenboot_blob_free(blob: *mut xenboot_blob) {
    if blob.is_null() {
        return;
    }
    // SAFETY: the caller's blob, from xenboot_extract.
    let b = unsafe { &mut *blob };
    if !b.data.is_null() && b.size > 0 {
        // SAFETY: a mapping of `size` bytes made by `Mapping::new`.
        unsafe { libc::munmap(b.data, b.size) };
    }
    b.data = ptr::null_mut();
    b.size = 0;
}

/// Extracts into directory `dir` as `boot_kernel.XXXXXXXX` and (when the entry has
/// initrds) `boot_ramdisk.XXXXXXXX`, created exclusively with mode 0600. `*kernel_path`,
/// `*ramdisk_path` (NULL when there is no ramdisk) and `*cmdline` are strings to free
/// with `xenboot_string_free`. On failure no file is left behind.
///
/// # Safety
/// `h` is NULL or a live handle; `dir` NULL or a string; the out pointers NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn xenboot_extract_to_dir(
    h: *mut xenboot,
    opts: *const xenboot_extract_options,
    dir: *const c_char,
    kernel_path: *mut *mut c_char,
    ramdisk_path: *mut *mut c_char,
    cmdline: *mut *mut c_char,
) -> xenboot_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        with_handle(h, "xenboot_extract_to_dir: handle", |x| {
            let dir = arg_str(dir, "xenboot_extract_to_dir: dir")?;
            non_null(kernel_path, "xenboot_extract_to_dir: kernel_path")?;
            non_null(ramdisk_path, "xenboot_extract_to_dir: ramdisk_path")?;
            non_null(cmdline, "xenboot_extract_to_dir: cmdline")?;
            let o = overrides(opts)?;
            let plan = plan(x, &o)?;
            let files = x.boot.extract_to_dir(&plan, Path::new(dir))?;
            let remove = || {
                let _ = std::fs::remove_file(&files.kernel);
                if let Some(r) = &files.ramdisk {
                    let _ = std::fs::remove_file(r);
                }
            };
            let strings = (|| {
                let k = malloc_string(&files.kernel.to_string_lossy())?;
                let r = match &files.ramdisk {
                    None => ptr::null_mut(),
                    Some(p) => malloc_string(&p.to_string_lossy()).inspect_err(|_| {
                        libc::free(k.cast());
                    })?,
                };
                let c = malloc_string(&plan.args).inspect_err(|_| {
                    libc::free(k.cast());
                    libc::free(r.cast());
                })?;
                Ok((k, r, c))
            })();
            let (k, r, c) = strings.inspect_err(|_| remove())?;
            kernel_path.write(k);
            ramdisk_path.write(r);
            cmdline.write(c);
            Ok(())
        })
    }
}

/// Extracts into the caller's file descriptors: the kernel is written to `kernel_fd`,
/// the ramdisk (all initrds in order) to `ramdisk_fd` from their current positions;
/// pipes work. `ramdisk_fd` may be -1 when the entry has no initrd (and is then not
/// touched either way). `*cmdline` is a string to free with `xenboot_string_free`.
/// The descriptors stay open. On failure `*cmdline` is not written, but some bytes may
/// already have been written to the descriptors.
///
/// # Safety
/// `h` is NULL or a live handle; `cmdline` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn xenboot_extract_to_fds(
    h: *mut xenboot,
    opts: *const xenboot_extract_options,
    kernel_fd: c_int,
    ramdisk_fd: c_int,
    cmdline: *mut *mut c_char,
) -> xenboot_status {
    // SAFETY: forwarded from the caller.
    unsafe {
        with_handle(h, "xenboot_extract_to_fds: handle", |x| {
            non_null(cmdline, "xenboot_extract_to_fds: cmdline")?;
            if kernel_fd < 0 {
                return Err(Error::invalid(format!(
                    "xenboot_extract_to_fds: kernel_fd is {kernel_fd}"
                )));
            }
            let o = overrides(opts)?;
            let plan = plan(x, &o)?;
            if !plan.ramdisks.is_empty() && ramdisk_fd < 0 {
                return Err(Error::invalid(format!(
                    "xenboot_extract_to_fds: entry {} has a ramdisk but ramdisk_fd is {ramdisk_fd}",
                    plan.index
                )));
            }
            x.boot.write_kernel(&plan, &mut FdWriter(kernel_fd))?;
            if !plan.ramdisks.is_empty() {
                x.boot.write_ramdisk(&plan, &mut FdWriter(ramdisk_fd))?;
            }
            cmdline.write(malloc_string(&plan.args)?);
            Ok(())
        })
    }
}
