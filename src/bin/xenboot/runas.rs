//! Restricted mode (`--runas=UID`, set by libxl under `LIBXL_BOOTLOADER_RESTRICT`):
//! the guest's data is parsed by a copy of this program running as `UID`.
//!
//! The parent (root) opens the disk and the output files. It re-executes itself as
//! [`CHILD_FLAG`] `UID ARGS…` with uid and gid `UID` (std's `CommandExt::uid`, which
//! also clears the supplementary groups when the caller is root) and the opened disk
//! as stdin. The child checks that it really runs deprivileged, parses the disk,
//! selects the entry and answers on stdout: one JSON [`Header`] line, then exactly
//! `kernel_len` kernel bytes and `ramdisk_len` ramdisk bytes. The parent checks
//! every length against its own limits and streams the bytes into the files.

use crate::Failure;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

/// First argument of the hidden child mode.
pub const CHILD_FLAG: &str = "--xenboot-runas-child";

/// Largest header line accepted from the child (the command line is in it).
const MAX_HEADER: u64 = 4 << 20;

/// Most bytes of the child's stderr kept for messages.
const MAX_STDERR: u64 = 64 << 10;

/// What the child found, sent before the file bytes.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Header {
    /// Index of the entry booted.
    pub index: usize,
    /// Its title.
    pub title: String,
    /// The command line to report.
    pub args: String,
    /// Bytes of kernel that follow.
    pub kernel_len: u64,
    /// Bytes of ramdisk that follow the kernel; `None` when the entry has no initrd.
    pub ramdisk_len: Option<u64>,
}

/// The user id of `--runas=VALUE` as pygrub reads it (Python `int()`): `None` for
/// 0, which pygrub treats as "do not drop privileges".
pub fn parse_uid(value: &str) -> Result<Option<u32>, Failure> {
    match crate::pygrub::py_int(value) {
        None => Err(crate::pygrub::usage_error(
            "runas value must be an integer user id",
        )),
        Some(Some(0)) => Ok(None),
        Some(n) => n
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n != u32::MAX)
            .map(Some)
            .ok_or_else(|| Failure::failed(format!("--runas={value} is not a valid user id"))),
    }
}

/// Checks the lengths the child announced against the parent's own limits.
fn check_lengths(header: &Header, max_kernel: u64, max_ramdisk: u64) -> Result<(), String> {
    if header.kernel_len > max_kernel {
        return Err(format!(
            "announced a kernel of {} bytes, more than the limit of {max_kernel}",
            header.kernel_len
        ));
    }
    match header.ramdisk_len {
        Some(len) if len > max_ramdisk => Err(format!(
            "announced a ramdisk of {len} bytes, more than the limit of {max_ramdisk}"
        )),
        _ => Ok(()),
    }
}

/// A running deprivileged child.
pub struct Worker {
    child: Child,
    stdout: BufReader<ChildStdout>,
    stderr: Option<JoinHandle<String>>,
    uid: u32,
}

/// Starts this program as `uid` in child mode with `args` (pygrub options without
/// the image, output or runas) plus `name` as the image operand, reading `disk`.
pub fn spawn(uid: u32, disk: File, args: &[String], name: &str) -> Result<Worker, Failure> {
    // /proc/self/exe is resolved by the forked process itself, so it works even
    // when the directories above the binary are closed to `uid`.
    let exe = if Path::new("/proc/self/exe").exists() {
        Path::new("/proc/self/exe").to_path_buf()
    } else {
        std::env::current_exe()
            .map_err(|e| Failure::failed(format!("--runas: cannot find this program: {e}")))?
    };
    let mut child = Command::new(exe)
        .arg0("xenboot")
        .arg(CHILD_FLAG)
        .arg(uid.to_string())
        .args(args)
        .arg("--")
        .arg(name)
        .env_clear()
        .current_dir("/")
        .uid(uid)
        .gid(uid)
        .stdin(Stdio::from(disk))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            Failure::failed(format!(
                "--runas={uid}: cannot start the deprivileged child: {e}"
            ))
        })?;
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Failure::failed("--runas: the child has no stdout"))?;
    let stderr = child.stderr.take().map(|s| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let mut s = s;
            let _ = s.by_ref().take(MAX_STDERR).read_to_end(&mut text);
            // Drain the rest so the child never blocks on a full pipe.
            let _ = std::io::copy(&mut s, &mut std::io::sink());
            String::from_utf8_lossy(&text).into_owned()
        })
    });
    Ok(Worker {
        child,
        stdout: BufReader::new(stdout),
        stderr,
        uid,
    })
}

impl Worker {
    /// Reads and checks the header: lengths within `max_kernel` / `max_ramdisk`.
    pub fn header(&mut self, max_kernel: u64, max_ramdisk: u64) -> Result<Header, Failure> {
        let mut line = Vec::new();
        let read = (&mut self.stdout)
            .take(MAX_HEADER)
            .read_until(b'\n', &mut line);
        if read.is_err() || line.last() != Some(&b'\n') {
            return Err(self.fail("sent no complete header"));
        }
        let header: Header = match serde_json::from_slice(&line) {
            Ok(h) => h,
            Err(e) => return Err(self.fail(&format!("sent a malformed header ({e})"))),
        };
        match check_lengths(&header, max_kernel, max_ramdisk) {
            Ok(()) => Ok(header),
            Err(e) => Err(self.fail(&e)),
        }
    }

    /// Copies exactly `len` bytes of the child's answer into `out`.
    pub fn copy(&mut self, len: u64, out: &mut File, what: &str) -> Result<(), Failure> {
        match std::io::copy(&mut (&mut self.stdout).take(len), out) {
            Ok(n) if n == len => Ok(()),
            Ok(n) => Err(self.fail(&format!("sent {n} of the {len} bytes of the {what}"))),
            Err(e) => Err(self.fail(&format!("copying the {what}: {e}"))),
        }
    }

    /// Checks that the child sent nothing more and exited successfully; returns what
    /// it wrote on stderr (warnings).
    pub fn finish(mut self) -> Result<String, Failure> {
        let mut extra = [0u8; 1];
        if !matches!(self.stdout.read(&mut extra), Ok(0)) {
            return Err(self.fail("sent more bytes than it announced"));
        }
        let status = self.child.wait();
        let stderr = self.stderr_text();
        match status {
            Ok(s) if s.success() => Ok(stderr),
            Ok(s) => Err(self.message(&format!("failed ({s})"), &stderr)),
            Err(e) => Err(self.message(&format!("could not be waited for ({e})"), &stderr)),
        }
    }

    /// Stops the child and builds the failure for `what` went wrong.
    fn fail(&mut self, what: &str) -> Failure {
        let _ = self.child.kill();
        let status = self.child.wait();
        let stderr = self.stderr_text();
        // A child that failed explains itself better than the protocol error.
        match status {
            Ok(s) if !s.success() && !stderr.trim().is_empty() => {
                self.message(&format!("failed ({s})"), &stderr)
            }
            _ => self.message(what, &stderr),
        }
    }

    fn stderr_text(&mut self) -> String {
        self.stderr
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }

    fn message(&self, what: &str, stderr: &str) -> Failure {
        let mut msg = format!("the deprivileged child (--runas={}) {what}", self.uid);
        let stderr = stderr.trim();
        if !stderr.is_empty() {
            msg.push_str(":\n");
            msg.push_str(stderr);
        }
        Failure::failed(msg)
    }
}

/// In the child: refuses to touch guest data unless the real, effective, saved and
/// filesystem uids and gids are all `uid` and no other group is held.
pub fn check_deprivileged(uid: u32) -> Result<(), Failure> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| {
        Failure::failed(format!(
            "--runas child: cannot verify its credentials: /proc/self/status: {e}"
        ))
    })?;
    let ids = |key: &str| -> Vec<String> {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|rest| rest.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default()
    };
    let want = uid.to_string();
    let (uids, gids, groups) = (ids("Uid:"), ids("Gid:"), ids("Groups:"));
    let ok = uids.len() == 4
        && gids.len() == 4
        && uids.iter().chain(&gids).all(|v| *v == want)
        && groups.iter().all(|g| *g == want);
    if ok {
        Ok(())
    } else {
        Err(Failure::failed(format!(
            "--runas child: not deprivileged to {uid} (uids {uids:?}, gids {gids:?}, \
             groups {groups:?}); refusing to read guest data"
        )))
    }
}

/// The disk the parent passed as stdin, as a file of its own.
pub fn stdin_file() -> Result<File, Failure> {
    use std::os::fd::AsFd;
    std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map(File::from)
        .map_err(|e| Failure::failed(format!("--runas child: no disk on stdin: {e}")))
}

/// Writes the header line to the child's stdout.
pub fn send_header(out: &mut dyn Write, header: &Header) -> Result<(), Failure> {
    let mut line = serde_json::to_vec(header)
        .map_err(|e| Failure::failed(format!("--runas child: encoding the header: {e}")))?;
    line.push(b'\n');
    out.write_all(&line)
        .map_err(|e| Failure::failed(format!("--runas child: writing the header: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_values_as_pygrub_reads_them() {
        assert_eq!(parse_uid("65534").unwrap(), Some(65534));
        assert_eq!(parse_uid(" 1_000 ").unwrap(), Some(1000));
        assert_eq!(parse_uid("0").unwrap(), None);
        assert_eq!(parse_uid("nobody").unwrap_err().code, 1);
        assert!(parse_uid("nobody")
            .unwrap_err()
            .message
            .contains("runas value must be an integer user id"));
        assert!(parse_uid("-1").is_err());
        assert!(parse_uid("4294967295").is_err());
        assert!(parse_uid("99999999999999999999").is_err());
    }

    #[test]
    fn announced_lengths_are_bounded_by_the_parent() {
        let mut h = Header {
            index: 0,
            title: String::new(),
            args: String::new(),
            kernel_len: 100,
            ramdisk_len: Some(50),
        };
        assert!(check_lengths(&h, 100, 50).is_ok());
        assert!(check_lengths(&h, 99, 50)
            .unwrap_err()
            .contains("kernel of 100"));
        assert!(check_lengths(&h, 100, 49)
            .unwrap_err()
            .contains("ramdisk of 50"));
        h.ramdisk_len = None;
        assert!(check_lengths(&h, 100, 0).is_ok());
        assert!(serde_json::from_str::<Header>(
            r#"{"index":0,"title":"","args":"","kernel_len":-1,"ramdisk_len":null}"#
        )
        .is_err());
    }

    #[test]
    fn header_round_trip() {
        let h = Header {
            index: 1,
            title: "Debian \"B\"\n".into(),
            args: "ro quiet".into(),
            kernel_len: 10,
            ramdisk_len: None,
        };
        let mut buf = Vec::new();
        send_header(&mut buf, &h).unwrap();
        assert_eq!(buf.iter().filter(|b| **b == b'\n').count(), 1);
        assert_eq!(serde_json::from_slice::<Header>(&buf).unwrap(), h);
    }
}
