//! Test helpers: build guest disk images with the real tools (`mke2fs -d`,
//! `mkfs.vfat` + `mcopy`, `sfdisk`). Every helper panics with the tool's output when
//! the tool fails, so a broken image never passes silently.
#![allow(dead_code)]

pub mod btrfs;
pub mod iso;
pub mod qemu;

use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `cmd args…`, panicking with its output if it fails; returns stdout.
pub fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd}: {e} (is it installed?)"));
    assert!(
        out.status.success(),
        "{cmd} {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Deterministic pseudo-random bytes (so kernels and initrds differ and compare).
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407)
        | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Writes `files` (path relative to `root`, contents) under `root`, making parents.
pub fn write_tree(root: &Path, files: &[(&str, &[u8])]) {
    for (p, data) in files {
        let path = root.join(p.trim_start_matches('/'));
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, data).unwrap();
    }
}

/// Creates a symlink `root/link` → `target` (target kept as given).
pub fn symlink(root: &Path, link: &str, target: &str) {
    let path = root.join(link.trim_start_matches('/'));
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(target, path).unwrap();
}

/// Makes an ext2/ext3/ext4 image of `size_mib` MiB at `out`, populated from `tree`.
pub fn mkfs_ext(kind: &str, tree: &Path, size_mib: u64, out: &Path) {
    mkfs_ext_with(kind, &[], tree, size_mib, out);
}

/// `mke2fs -q -F -t KIND EXTRA… -d TREE OUT SIZE`: [`mkfs_ext`] with more options.
pub fn mkfs_ext_with(kind: &str, extra: &[&str], tree: &Path, size_mib: u64, out: &Path) {
    let _ = fs::remove_file(out);
    let mut args = vec!["-q", "-F", "-t", kind];
    args.extend_from_slice(extra);
    let size = format!("{size_mib}M");
    args.extend_from_slice(&["-d", tree.to_str().unwrap(), out.to_str().unwrap(), &size]);
    run("mke2fs", &args);
}

/// Makes a FAT image (`bits` = 12, 16 or 32) of `size_mib` MiB at `out` and copies
/// the contents of `tree` into it with `mcopy`.
pub fn mkfs_fat(bits: u32, tree: &Path, size_mib: u64, out: &Path) {
    let _ = fs::remove_file(out);
    run(
        "mkfs.vfat",
        &[
            "-F",
            &bits.to_string(),
            "-C",
            out.to_str().unwrap(),
            &(size_mib * 1024).to_string(),
        ],
    );
    for entry in fs::read_dir(tree).unwrap() {
        let p = entry.unwrap().path();
        run(
            "mcopy",
            &[
                "-s",
                "-i",
                out.to_str().unwrap(),
                p.to_str().unwrap(),
                "::/",
            ],
        );
    }
}

/// One partition of a disk built by [`mbr_disk`] or [`gpt_disk`].
pub struct Part {
    /// Filesystem image copied into the partition; `None` leaves it zeroed.
    pub image: Option<PathBuf>,
    /// Size in MiB (at least the image's size).
    pub size_mib: u64,
    /// sfdisk type: `83`, `c` (MBR) or a GPT type GUID / sfdisk alias.
    pub type_code: String,
    /// MBR only: a logical partition inside the extended partition.
    pub logical: bool,
}

impl Part {
    /// A partition holding `image`, sized to fit it.
    pub fn with_image(image: &Path, type_code: &str) -> Part {
        let len = fs::metadata(image).unwrap().len();
        Part {
            image: Some(image.to_path_buf()),
            size_mib: len.div_ceil(1 << 20),
            type_code: type_code.to_string(),
            logical: false,
        }
    }

    /// The same, as a logical partition.
    pub fn logical(mut self) -> Part {
        self.logical = true;
        self
    }

    /// An empty partition of `size_mib` MiB.
    pub fn empty(size_mib: u64, type_code: &str) -> Part {
        Part {
            image: None,
            size_mib,
            type_code: type_code.to_string(),
            logical: false,
        }
    }
}

const MIB_SECTORS: u64 = 2048;

fn place_images(out: &Path, placed: &[(u64, &Part)]) {
    let mut disk = fs::OpenOptions::new().write(true).open(out).unwrap();
    for (start_sector, part) in placed {
        if let Some(img) = &part.image {
            let mut src = fs::File::open(img).unwrap();
            disk.seek(SeekFrom::Start(start_sector * 512)).unwrap();
            std::io::copy(&mut src, &mut disk).unwrap();
        }
    }
}

/// Builds an MBR disk at `out`: primaries in order, then (if any part is logical)
/// an extended partition holding the logical ones. Returns each part's byte offset,
/// in the order given.
pub fn mbr_disk(parts: &[Part], out: &Path) -> Vec<u64> {
    let mut script = String::from("label: dos\n");
    let mut next = MIB_SECTORS;
    let mut placed = Vec::new();
    for p in parts.iter().filter(|p| !p.logical) {
        script += &format!(
            "start={next}, size={}, type={}\n",
            p.size_mib * MIB_SECTORS,
            p.type_code
        );
        placed.push((next, p));
        next += p.size_mib * MIB_SECTORS;
    }
    let logicals: Vec<&Part> = parts.iter().filter(|p| p.logical).collect();
    if !logicals.is_empty() {
        let ext_size: u64 = logicals
            .iter()
            .map(|p| (p.size_mib + 1) * MIB_SECTORS)
            .sum();
        script += &format!("start={next}, size={ext_size}, type=5\n");
        let mut l = next;
        for p in &logicals {
            l += MIB_SECTORS;
            script += &format!(
                "start={l}, size={}, type={}\n",
                p.size_mib * MIB_SECTORS,
                p.type_code
            );
            placed.push((l, *p));
            l += p.size_mib * MIB_SECTORS;
        }
        next += ext_size;
    }
    make_disk(out, next + MIB_SECTORS, &script);
    place_images(out, &placed);
    offsets_in_order(parts, &placed)
}

/// Builds a GPT disk (512-byte sectors) at `out` with `parts` in order. Returns each
/// part's byte offset.
pub fn gpt_disk(parts: &[Part], out: &Path) -> Vec<u64> {
    let mut script = String::from("label: gpt\n");
    let mut next = MIB_SECTORS;
    let mut placed = Vec::new();
    for p in parts {
        script += &format!(
            "start={next}, size={}, type={}\n",
            p.size_mib * MIB_SECTORS,
            p.type_code
        );
        placed.push((next, p));
        next += p.size_mib * MIB_SECTORS;
    }
    make_disk(out, next + MIB_SECTORS, &script);
    place_images(out, &placed);
    offsets_in_order(parts, &placed)
}

fn offsets_in_order(parts: &[Part], placed: &[(u64, &Part)]) -> Vec<u64> {
    parts
        .iter()
        .map(|p| {
            placed
                .iter()
                .find(|(_, q)| std::ptr::eq(*q, p))
                .map(|(s, _)| s * 512)
                .unwrap()
        })
        .collect()
}

fn make_disk(out: &Path, sectors: u64, script: &str) {
    let _ = fs::remove_file(out);
    let f = fs::File::create(out).unwrap();
    f.set_len(sectors * 512).unwrap();
    drop(f);
    let mut child = Command::new("sfdisk")
        .args([
            "--quiet",
            "--no-reread",
            "--no-tell-kernel",
            out.to_str().unwrap(),
        ])
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sfdisk (package fdisk) is needed");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sfdisk failed on script:\n{script}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A scratch directory removed at drop.
pub fn scratch() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// A streamed digest of a file's bytes (for "unchanged" checks without holding the
/// file in memory).
pub fn digest(path: &Path) -> u64 {
    use std::hash::Hasher;
    use std::io::Read;
    let mut f = fs::File::open(path).unwrap();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        h.write(&buf[..n]);
    }
    h.finish()
}

/// The shared configuration corpus beside the repository (`../shared/corpus`).
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
}

/// Serves the files of a host directory as a guest filesystem.
pub struct HostDir(pub PathBuf);

impl xenboot::config::FileAccess for HostDir {
    fn read(&self, path: &str) -> xenboot::Result<Vec<u8>> {
        fs::read(self.0.join(path.trim_start_matches('/')))
            .map_err(|e| xenboot::Error::io(format!("reading {path}"), &e))
    }
    fn exists(&self, path: &str) -> bool {
        self.0.join(path.trim_start_matches('/')).is_file()
    }
}

/// Parses `path` (absolute inside the host directory `root`) as `lang`; returns the
/// menu and the warnings.
pub fn parse_host(
    lang: xenboot::config::Language,
    root: &Path,
    path: &str,
) -> xenboot::Result<(xenboot::Menu, Vec<String>)> {
    use xenboot::config::FileAccess;
    let files = HostDir(root.to_path_buf());
    let text = xenboot::config::decode_text(&files.read(path)?);
    let limits = xenboot::Limits::default();
    let mut warnings = Vec::new();
    let mut ctx = xenboot::config::ParseContext {
        config_path: path,
        files: &files,
        limits: &limits,
        warnings: &mut warnings,
    };
    let menu = xenboot::config::parse(lang, &text, &mut ctx)?;
    Ok((menu, warnings))
}
