//! The TFTP client and PXE boot against a real TFTP server: tftpd-hpa (`in.tftpd`),
//! started by each test on a free loopback port and killed afterwards.

mod cli_support;
mod common;

use common::*;
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use xenboot::net::tftp::Client;
use xenboot::ErrorKind;

/// A tftpd-hpa serving a directory on 127.0.0.1, killed at drop.
struct Tftpd {
    child: Child,
    addr: SocketAddr,
}

impl Tftpd {
    /// Serves `root` (made readable by the `tftp` user the server drops to), with
    /// extra `in.tftpd` arguments (`-r blksize` …).
    fn start(root: &Path, extra: &[&str]) -> Tftpd {
        run("chmod", &["-R", "a+rX", root.to_str().unwrap()]);
        // The scratch directory's parents must be searchable too (tempdirs are 0700).
        if let Some(parent) = root.parent() {
            run("chmod", &["a+x", parent.to_str().unwrap()]);
        }
        let port = {
            let s = UdpSocket::bind("127.0.0.1:0").unwrap();
            s.local_addr().unwrap().port()
        };
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let child = Command::new("/usr/sbin/in.tftpd")
            .args(["-L", "-a", &addr.to_string(), "-s", root.to_str().unwrap()])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot run /usr/sbin/in.tftpd (Debian package tftpd-hpa)");
        let server = Tftpd { child, addr };
        server.wait_ready();
        server
    }

    /// Waits until the server answers a request (with "file not found").
    fn wait_ready(&self) {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let mut buf = [0u8; 600];
        for _ in 0..100 {
            s.send_to(b"\x00\x01.ready-probe\x00octet\x00", self.addr)
                .unwrap();
            if s.recv_from(&mut buf).is_ok() {
                return;
            }
        }
        panic!("in.tftpd on {} never answered", self.addr);
    }

    fn client(&self) -> Client {
        Client::new(self.addr, Duration::from_secs(60))
    }
}

impl Drop for Tftpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A UDP socket that reads every packet and never answers; stops at drop.
struct Silent {
    addr: SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<usize>>,
}

impl Silent {
    fn start() -> Silent {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
        let addr = s.local_addr().unwrap();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let mut seen = 0;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                if s.recv_from(&mut buf).is_ok() {
                    seen += 1;
                }
            }
            seen
        });
        Silent {
            addr,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops and returns how many packets were received.
    fn finish(mut self) -> usize {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for Silent {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn download(client: &Client, name: &str, max: u64) -> xenboot::Result<Vec<u8>> {
    let mut out = Vec::new();
    client.download(name, &mut out, max)?;
    Ok(out)
}

#[test]
fn tftp_negotiated_blksize_gives_byte_identical_files() {
    let dir = scratch();
    let root = dir.path().join("root");
    let kernel = bytes(11, (6 << 20) + 1234);
    let initrd = bytes(12, (9 << 20) + 7);
    // A file that is an exact number of blocks ends with an empty DATA block.
    let exact = bytes(13, 1468 * 100);
    write_tree(
        &root,
        &[
            ("pxe/vmlinuz", &kernel),
            ("pxe/initrd.img", &initrd),
            ("exact", &exact),
            ("empty", b""),
        ],
    );
    let server = Tftpd::start(&root, &[]);
    let client = server.client();

    let t = client.open("pxe/vmlinuz", u64::MAX).unwrap();
    assert_eq!(t.block_size(), 1468, "blksize negotiated");
    assert_eq!(t.size(), Some(kernel.len() as u64), "tsize answered");
    drop(t);

    let started = Instant::now();
    assert!(download(&client, "pxe/vmlinuz", u64::MAX).unwrap() == kernel);
    assert!(download(&client, "pxe/initrd.img", u64::MAX).unwrap() == initrd);
    eprintln!("15 MiB over TFTP (blksize 1468) in {:?}", started.elapsed());
    assert!(download(&client, "exact", u64::MAX).unwrap() == exact);
    assert!(download(&client, "empty", u64::MAX).unwrap().is_empty());
    assert_eq!(
        client.size("pxe/initrd.img", 1).unwrap(),
        initrd.len() as u64
    );
}

#[test]
fn tftp_server_ignoring_options_falls_back_to_512_byte_blocks_and_wraps_block_numbers() {
    let dir = scratch();
    let root = dir.path().join("root");
    // More than 65535 blocks of 512 bytes: the block number wraps to 0.
    let big = bytes(21, (33 << 20) + 99);
    let small = bytes(22, 5000);
    write_tree(&root, &[("big", &big), ("small", &small)]);
    let server = Tftpd::start(&root, &["-r", "blksize", "-r", "tsize"]);
    let client = server.client();

    let t = client.open("small", u64::MAX).unwrap();
    assert_eq!(t.block_size(), 512);
    assert_eq!(t.size(), None);
    drop(t);
    assert!(download(&client, "small", u64::MAX).unwrap() == small);
    // Without tsize the size is counted by a transfer, bounded by the cap.
    assert_eq!(client.size("small", 1 << 20).unwrap(), 5000);
    assert_eq!(client.size("small", 1000).unwrap(), 1001);
    let started = Instant::now();
    let got = download(&client, "big", u64::MAX).unwrap();
    eprintln!("33 MiB in 512-byte blocks in {:?}", started.elapsed());
    assert_eq!(got.len(), big.len());
    assert!(got == big);
}

#[test]
fn tftp_client_without_options_reads_plain_rfc1350() {
    let dir = scratch();
    let root = dir.path().join("root");
    let data = bytes(31, 100_000);
    write_tree(&root, &[("f", &data)]);
    let server = Tftpd::start(&root, &[]);
    let mut client = server.client();
    client.use_options = false;
    let t = client.open("f", u64::MAX).unwrap();
    assert_eq!((t.block_size(), t.size()), (512, None));
    drop(t);
    assert!(download(&client, "f", u64::MAX).unwrap() == data);
}

#[test]
fn tftp_missing_file_names_server_file_and_message() {
    let dir = scratch();
    let root = dir.path().join("root");
    write_tree(&root, &[("present", b"x")]);
    let server = Tftpd::start(&root, &[]);
    let err = download(&server.client(), "pxe/nope-vmlinuz", u64::MAX).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let msg = err.to_string();
    assert!(msg.contains(&server.addr.to_string()), "{msg}");
    assert!(msg.contains("pxe/nope-vmlinuz"), "{msg}");
    assert!(msg.contains("File not found"), "{msg}");
    assert!(msg.contains("file not found"), "{msg}");
}

#[test]
fn tftp_size_cap_stops_a_transfer_with_and_without_tsize() {
    let dir = scratch();
    let root = dir.path().join("root");
    let data = bytes(41, 2 << 20);
    write_tree(&root, &[("big", &data)]);
    let server = Tftpd::start(&root, &[]);
    let err = download(&server.client(), "big", 1 << 20).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Limit, "{err}");
    assert!(err.to_string().contains("2097152 bytes"), "{err}");
    drop(server);

    let server = Tftpd::start(&root, &["-r", "tsize"]);
    let mut out = Vec::new();
    let err = server
        .client()
        .download("big", &mut out, 1 << 20)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Limit, "{err}");
    assert!(
        out.len() <= 1 << 20,
        "wrote {} bytes past the cap",
        out.len()
    );
}

#[test]
fn tftp_silent_server_ends_within_the_time_budget() {
    let silent = Silent::start();
    let budget = Duration::from_millis(1500);
    let client = Client::new(silent.addr, budget);
    let started = Instant::now();
    let err = download(&client, "pxelinux.cfg/default", u64::MAX).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.to_string().contains("time budget of 1500 ms"), "{err}");
    assert!(err.to_string().contains("pxelinux.cfg/default"), "{err}");
    assert!(
        took >= budget && took < budget + Duration::from_millis(500),
        "took {took:?}"
    );
    // The budget is for the whole client: a second transfer fails at once.
    let again = Instant::now();
    assert!(download(&client, "other", u64::MAX).is_err());
    assert!(again.elapsed() < Duration::from_millis(200));
    // The request was sent again after each per-packet timeout (1 s).
    assert!(silent.finish() >= 2);
}

#[test]
fn tftp_silent_server_exhausts_the_retransmits() {
    let silent = Silent::start();
    let mut client = Client::new(silent.addr, Duration::from_secs(60));
    client.packet_timeout = Duration::from_millis(100);
    client.retries = 3;
    let started = Instant::now();
    let err = download(&client, "vmlinuz", u64::MAX).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(err.kind(), ErrorKind::Network);
    assert!(err.to_string().contains("no answer after 4 tries"), "{err}");
    assert_eq!(silent.finish(), 4, "the request and 3 retransmits");
}
