//! Extraction: copying the chosen kernel and initrd(s) out of the guest, streaming
//! and bounded, into files, memory or any writer.

use crate::boot::Boot;
use crate::config::Language;
use crate::disk::Scheme;
use crate::error::{Error, ErrorKind, Result};
use crate::fs::{FileKind, FileReader, HostRuns};
use crate::limits::COPY_CHUNK;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// Caller overrides of what the entry says (pygrub's `--kernel`, `--ramdisk`,
/// `--args`, libxl's domain kernel/ramdisk/cmdline).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// Extract this kernel path instead of the entry's.
    pub kernel: Option<String>,
    /// Extract these initrds instead of the entry's (empty: no ramdisk).
    pub ramdisks: Option<Vec<String>>,
    /// Use this command line instead of the entry's.
    pub args: Option<String>,
}

/// A file to copy: where it lives and how large it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileRef {
    /// Index of the volume (into [`Boot::volumes`]).
    pub volume: usize,
    /// Resolved absolute path on that volume's filesystem.
    pub path: String,
    /// Size in bytes.
    pub len: u64,
}

/// Everything needed to hand a kernel to Xen, resolved and size-checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Index of the entry.
    pub index: usize,
    /// Its title.
    pub title: String,
    /// The kernel.
    pub kernel: FileRef,
    /// The initrds, concatenated in this order into one ramdisk.
    pub ramdisks: Vec<FileRef>,
    /// The command line.
    pub args: String,
}

impl Plan {
    /// Size of the ramdisk: the sum of all initrds.
    pub fn ramdisk_len(&self) -> u64 {
        self.ramdisks.iter().map(|r| r.len).sum()
    }
}

/// A file's bytes as ranges of the host file, with a handle of its own on that file
/// (see [`Boot::host_runs_of`]).
#[derive(Debug)]
pub struct ImageRanges {
    /// The disk image or block device holding the bytes.
    pub image: File,
    /// `(byte offset in image, length)` ranges, in file order, covering the file.
    pub runs: Vec<(u64, u64)>,
}

/// Paths of the files written by [`Boot::extract_to_dir`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extracted {
    /// The kernel file.
    pub kernel: PathBuf,
    /// The ramdisk file, when the entry has initrds.
    pub ramdisk: Option<PathBuf>,
}

impl Boot {
    /// Resolves entry `index` (with the caller's overrides) into a [`Plan`]: finds the
    /// files, checks they are regular files and within the size limits.
    pub fn plan(&self, index: usize, req: &Request) -> Result<Plan> {
        let entry = self.menu.entries.get(index).ok_or_else(|| {
            Error::new(
                ErrorKind::NoEntry,
                format!(
                    "entry {index} is out of range: the menu has {} entries",
                    self.menu.entries.len()
                ),
            )
        })?;
        if self.volumes.is_empty() {
            return Err(Error::unsupported(
                "no disk to extract from: the source is a configuration file on the host",
            ));
        }
        let kernel_path = match (&req.kernel, &entry.kernel) {
            (Some(k), _) => k.clone(),
            (None, Some(k)) if entry.not_bootable.is_none() => k.clone(),
            _ => {
                let why = entry
                    .not_bootable
                    .clone()
                    .unwrap_or_else(|| "it names no kernel".to_string());
                return Err(Error::new(
                    ErrorKind::NoEntry,
                    format!("entry {index} ({:?}) cannot be booted: {why}", entry.title),
                ));
            }
        };
        let volume = self.entry_volume(entry.partition);
        let limits = &self.options.limits;
        let kernel = self
            .locate(volume, &kernel_path)
            .map_err(|e| e.context(format!("kernel of entry {index} ({:?})", entry.title)))?;
        if kernel.len > limits.max_kernel {
            return Err(Error::limit(format!(
                "kernel {} is {} bytes, more than the limit of {} bytes",
                kernel.path, kernel.len, limits.max_kernel
            )));
        }
        let initrds = req.ramdisks.as_ref().unwrap_or(&entry.initrds);
        let mut ramdisks = Vec::with_capacity(initrds.len());
        let mut total: u64 = 0;
        for p in initrds {
            let r = self
                .locate(volume, p)
                .map_err(|e| e.context(format!("initrd of entry {index} ({:?})", entry.title)))?;
            total = total.saturating_add(r.len);
            if total > limits.max_ramdisk {
                return Err(Error::limit(format!(
                    "ramdisk ({}) is more than the limit of {} bytes",
                    initrds.join(" "),
                    limits.max_ramdisk
                )));
            }
            ramdisks.push(r);
        }
        Ok(Plan {
            index,
            title: entry.title.clone(),
            kernel,
            ramdisks,
            args: req.args.clone().unwrap_or_else(|| entry.args.clone()),
        })
    }

    /// The volume an entry's files are on: the partition it names when that exists
    /// and has a filesystem, else the configuration's volume.
    fn entry_volume(&self, partition: Option<u32>) -> usize {
        let config_volume = self.config.volume.unwrap_or(0);
        let Some(number) = partition else {
            return config_volume;
        };
        self.volumes
            .iter()
            .position(|v| {
                matches!(v.volume.scheme, Scheme::Msdos | Scheme::Gpt)
                    && v.volume.number == number
                    && v.fs.is_some()
            })
            .unwrap_or(config_volume)
    }

    /// Finds `path` on `volume`, trying the spellings a separate `/boot` partition
    /// makes necessary; the error names every path tried.
    fn locate(&self, volume: usize, path: &str) -> Result<FileRef> {
        let fs = self.filesystem(volume).ok_or_else(|| {
            Error::not_found(format!("volume {volume} has no readable filesystem"))
        })?;
        let mut candidates = vec![path.to_string()];
        if let Some(rest) = path.strip_prefix("/boot/") {
            candidates.push(format!("/{rest}"));
        } else if self.config.path.starts_with("/boot/") && self.config.language != Language::Lilo {
            candidates.push(format!("/boot{path}"));
        }
        let mut tried = Vec::new();
        for c in &candidates {
            match fs.stat(c) {
                Ok(st) if st.kind == FileKind::File => {
                    return Ok(FileRef {
                        volume,
                        path: c.clone(),
                        len: st.len,
                    })
                }
                Ok(st) => tried.push(format!("{c} ({:?}, not a regular file)", st.kind)),
                Err(e) => tried.push(format!("{c} ({e})")),
            }
        }
        let vdesc = self
            .volumes
            .get(volume)
            .map(|v| v.volume.describe())
            .unwrap_or_default();
        Err(Error::not_found(format!(
            "{path} not found on {vdesc} ({}); tried {}",
            fs.kind(),
            tried.join(", ")
        )))
    }

    /// Streams one file into `out`; returns the bytes written. Fails if the file's
    /// size differs from what the plan recorded.
    pub fn copy_file(&self, file: &FileRef, out: &mut dyn Write) -> Result<u64> {
        let fs = self
            .filesystem(file.volume)
            .ok_or_else(|| Error::not_found("volume has no filesystem"))?;
        let mut reader = fs.open(&file.path)?;
        stream(reader.as_mut(), file, out)
    }

    /// Copies one file into the host file `out` (from its current position): with
    /// `copy_file_range` (std's `io::copy` between files: zero-copy, reflink where the
    /// host filesystem shares blocks) when the filesystem maps the file to plain
    /// ranges of the disk image, else streamed as by [`Boot::copy_file`].
    pub fn copy_file_to_file(&self, file: &FileRef, out: &mut File) -> Result<u64> {
        let fs = self
            .filesystem(file.volume)
            .ok_or_else(|| Error::not_found("volume has no filesystem"))?;
        let mut reader = fs.open(&file.path)?;
        match reader.host_runs() {
            Some(host) if reader.len() == file.len => {
                return copy_ranges(host, file, out);
            }
            _ => {}
        }
        stream(reader.as_mut(), file, out)
    }

    /// Streams the kernel into `out`.
    pub fn write_kernel(&self, plan: &Plan, out: &mut dyn Write) -> Result<u64> {
        self.copy_file(&plan.kernel, out)
    }

    /// Streams every initrd, in order, into `out` (one concatenated ramdisk).
    pub fn write_ramdisk(&self, plan: &Plan, out: &mut dyn Write) -> Result<u64> {
        let mut total = 0u64;
        for r in &plan.ramdisks {
            total = total.saturating_add(self.copy_file(r, out)?);
        }
        Ok(total)
    }

    /// Opens `file`, which must still have the size the plan recorded.
    fn open_recorded(&self, file: &FileRef) -> Result<Box<dyn FileReader + '_>> {
        let fs = self
            .filesystem(file.volume)
            .ok_or_else(|| Error::not_found("volume has no filesystem"))?;
        let reader = fs.open(&file.path)?;
        if reader.len() != file.len {
            return Err(Error::corrupt(format!(
                "{} is now {} bytes, not the {} recorded",
                file.path,
                reader.len(),
                file.len
            )));
        }
        Ok(reader)
    }

    /// Reads one file into `dst`, which must be exactly as long as the plan recorded.
    /// Reads straight into `dst`, with no buffer between: when the filesystem maps
    /// the file to plain ranges of the disk image, one `pread` per range; otherwise
    /// through the filesystem's reader.
    pub fn read_file_into(&self, file: &FileRef, dst: &mut [u8]) -> Result<()> {
        if dst.len() as u64 != file.len {
            return Err(Error::invalid(format!(
                "{}: a buffer of {} bytes for a file of {}",
                file.path,
                dst.len(),
                file.len
            )));
        }
        let mut reader = self.open_recorded(file)?;
        if let Some(host) = reader.host_runs() {
            let mut rest = &mut *dst;
            for (at, len) in host.runs {
                let n = usize::try_from(len)
                    .ok()
                    .filter(|&n| n <= rest.len())
                    .ok_or_else(|| Error::corrupt(format!("{} maps too many bytes", file.path)))?;
                let (here, tail) = rest.split_at_mut(n);
                host.file
                    .read_exact_at(here, at)
                    .map_err(|e| Error::io(format!("reading {} at {at}", file.path), &e))?;
                rest = tail;
            }
            if !rest.is_empty() {
                return Err(Error::corrupt(format!(
                    "{} maps {} of its {} bytes",
                    file.path,
                    file.len - rest.len() as u64,
                    file.len
                )));
            }
            return Ok(());
        }
        let mut done = 0;
        while let Some(rest) = dst.get_mut(done..).filter(|r| !r.is_empty()) {
            let n = reader.read(rest)?;
            if n == 0 {
                return Err(Error::corrupt(format!(
                    "{} ended after {done} of {} bytes",
                    file.path, file.len
                )));
            }
            done += n;
        }
        Ok(())
    }

    /// Where `file`'s bytes lie in the host file (a raw disk image or block device);
    /// `None` when the filesystem cannot map it to plain ranges.
    pub fn host_runs_of(&self, file: &FileRef) -> Result<Option<ImageRanges>> {
        let reader = self.open_recorded(file)?;
        let Some(host) = reader.host_runs() else {
            return Ok(None);
        };
        let image = host.file.try_clone().map_err(|e| {
            Error::io(
                format!("duplicating the image handle for {}", file.path),
                &e,
            )
        })?;
        Ok(Some(ImageRanges {
            image,
            runs: host.runs,
        }))
    }

    /// Reads the kernel into `dst` (exactly `plan.kernel.len` bytes).
    pub fn read_kernel_into(&self, plan: &Plan, dst: &mut [u8]) -> Result<()> {
        self.read_file_into(&plan.kernel, dst)
    }

    /// Reads every initrd, in order, into `dst` (exactly [`Plan::ramdisk_len`] bytes).
    pub fn read_ramdisk_into(&self, plan: &Plan, dst: &mut [u8]) -> Result<()> {
        let mut rest = dst;
        for r in &plan.ramdisks {
            let n = usize::try_from(r.len)
                .ok()
                .filter(|&n| n <= rest.len())
                .ok_or_else(|| Error::invalid("the ramdisk buffer is too small"))?;
            let (here, tail) = rest.split_at_mut(n);
            self.read_file_into(r, here)?;
            rest = tail;
        }
        if !rest.is_empty() {
            return Err(Error::invalid("the ramdisk buffer is too large"));
        }
        Ok(())
    }

    /// Extracts into memory. Holds the whole kernel and ramdisk: use a directory or a
    /// writer when memory matters.
    pub fn extract_to_memory(&self, plan: &Plan) -> Result<(Vec<u8>, Option<Vec<u8>>)> {
        let mut kernel = zeroed(plan.kernel.len, "kernel")?;
        self.read_kernel_into(plan, &mut kernel)?;
        let ramdisk = if plan.ramdisks.is_empty() {
            None
        } else {
            let mut r = zeroed(plan.ramdisk_len(), "ramdisk")?;
            self.read_ramdisk_into(plan, &mut r)?;
            Some(r)
        };
        Ok((kernel, ramdisk))
    }

    /// Extracts into `dir` as `boot_kernel.XXXXXXXX` and `boot_ramdisk.XXXXXXXX`
    /// (mode 0600, created exclusively, as pygrub names them). On failure nothing is
    /// left behind. The files are not fsync'd: they are transient (libxl reads and
    /// unlinks them at once, as with pygrub, which does not sync either), and a sync
    /// cost ~150 ms per 62 MiB on a disk-backed directory.
    pub fn extract_to_dir(&self, plan: &Plan, dir: &Path) -> Result<Extracted> {
        let (kpath, mut kfile) = create_unique(dir, "boot_kernel.")?;
        let cleanup = |paths: &[&Path]| {
            for p in paths {
                let _ = std::fs::remove_file(p);
            }
        };
        if let Err(e) = self.copy_file_to_file(&plan.kernel, &mut kfile) {
            cleanup(&[&kpath]);
            return Err(e);
        }
        if plan.ramdisks.is_empty() {
            return Ok(Extracted {
                kernel: kpath,
                ramdisk: None,
            });
        }
        let (rpath, mut rfile) = match create_unique(dir, "boot_ramdisk.") {
            Ok(x) => x,
            Err(e) => {
                cleanup(&[&kpath]);
                return Err(e);
            }
        };
        if let Err(e) = plan
            .ramdisks
            .iter()
            .try_for_each(|r| self.copy_file_to_file(r, &mut rfile).map(drop))
        {
            cleanup(&[&kpath, &rpath]);
            return Err(e);
        }
        Ok(Extracted {
            kernel: kpath,
            ramdisk: Some(rpath),
        })
    }
}

/// Streams what `reader` gives into `out`, checking it against the recorded size.
fn stream(reader: &mut dyn FileReader, file: &FileRef, out: &mut dyn Write) -> Result<u64> {
    let mut buf = vec![0u8; COPY_CHUNK];
    let mut done: u64 = 0;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        done = done.saturating_add(n as u64);
        if done > file.len {
            return Err(Error::corrupt(format!(
                "{} grew beyond its recorded size of {} bytes",
                file.path, file.len
            )));
        }
        let chunk = buf
            .get(..n)
            .ok_or_else(|| Error::corrupt("reader overran its buffer"))?;
        out.write_all(chunk)
            .map_err(|e| Error::io(format!("writing {}", file.path), &e))?;
    }
    if done != file.len {
        return Err(Error::corrupt(format!(
            "{} ended after {done} of {} bytes",
            file.path, file.len
        )));
    }
    Ok(done)
}

/// Copies the ranges of the host file holding `file` into `out` with `io::copy`.
fn copy_ranges(host: HostRuns<'_>, file: &FileRef, out: &mut File) -> Result<u64> {
    let mut done: u64 = 0;
    for (at, len) in host.runs {
        let mut src = host.file;
        src.seek(SeekFrom::Start(at))
            .map_err(|e| Error::io(format!("seeking to {at} for {}", file.path), &e))?;
        let n = std::io::copy(&mut src.take(len), out)
            .map_err(|e| Error::io(format!("copying {}", file.path), &e))?;
        if n != len {
            return Err(Error::corrupt(format!(
                "{}: the disk image ended inside the file ({n} of {len} bytes at {at})",
                file.path
            )));
        }
        done = done.saturating_add(n);
    }
    if done != file.len {
        return Err(Error::corrupt(format!(
            "{} maps {done} of its {} bytes",
            file.path, file.len
        )));
    }
    Ok(done)
}

/// A zeroed buffer of `len` bytes (the allocator maps large ones lazily).
fn zeroed(len: u64, what: &str) -> Result<Vec<u8>> {
    let len = usize::try_from(len)
        .map_err(|_| Error::limit(format!("a {what} of {len} bytes does not fit in memory")))?;
    Ok(vec![0u8; len])
}

/// Creates `dir/PREFIX` + 8 random characters exclusively with mode 0600.
pub fn create_unique(dir: &Path, prefix: &str) -> Result<(PathBuf, File)> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
    let mut seed = [0u8; 8 * 16];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .map_err(|e| Error::io("reading /dev/urandom", &e))?;
    for attempt in seed.chunks(8) {
        let suffix: String = attempt
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
            .collect();
        let path = dir.join(format!("{prefix}{suffix}"));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(Error::io(
                    format!("cannot create a file in {}", dir.display()),
                    &e,
                ))
            }
        }
    }
    Err(Error::new(
        ErrorKind::Io,
        format!(
            "could not create a unique {prefix}XXXXXXXX in {}",
            dir.display()
        ),
    ))
}
