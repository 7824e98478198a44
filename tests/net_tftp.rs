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
        // A free port, found by binding and releasing it; if something else takes
        // it before in.tftpd binds it, the server exits and another port is tried.
        for _ in 0..5 {
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
            let mut server = Tftpd { child, addr };
            if server.wait_ready() {
                return server;
            }
        }
        panic!("in.tftpd could not serve {} on a free port", root.display());
    }

    /// Waits until the server answers a request (with "file not found"); false
    /// when it exited (its port was taken).
    fn wait_ready(&mut self) -> bool {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        s.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let mut buf = [0u8; 600];
        for _ in 0..100 {
            if self.child.try_wait().unwrap().is_some() {
                return false;
            }
            s.send_to(b"\x00\x01.ready-probe\x00octet\x00", self.addr)
                .unwrap();
            if s.recv_from(&mut buf).is_ok() {
                return true;
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

/// A scripted server (tftpd-hpa cannot be made to misbehave): it repeats a DATA
/// block as if the client's ACK had been lost, and a stranger sends a DATA packet
/// from another port. The client must acknowledge the repeat again without writing
/// it twice, and answer the stranger with ERROR 5.
#[test]
fn tftp_duplicate_data_is_acked_again_and_foreign_tids_get_error_5() {
    let listen = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = listen.local_addr().unwrap();
    let file = bytes(51, 700);
    let served = file.clone();
    let script = std::thread::spawn(move || {
        let timeout = Some(Duration::from_secs(5));
        listen.set_read_timeout(timeout).unwrap();
        let mut buf = [0u8; 2048];
        let (n, client) = listen.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..2], b"\x00\x01", "a read request");
        assert!(buf[..n].starts_with(b"\x00\x01file\x00octet\x00"));
        let tid = UdpSocket::bind("127.0.0.1:0").unwrap();
        tid.set_read_timeout(timeout).unwrap();
        let stranger = UdpSocket::bind("127.0.0.1:0").unwrap();
        stranger.set_read_timeout(timeout).unwrap();
        let data = |block: u8, bytes: &[u8]| [&[0, 3, 0, block][..], bytes].concat();
        let mut acks = Vec::new();
        let mut recv_ack = |acks: &mut Vec<Vec<u8>>| {
            let (n, from) = tid.recv_from(&mut buf).unwrap();
            assert_eq!(from, client);
            acks.push(buf[..n].to_vec());
        };
        // Options ignored: plain 512-byte blocks.
        tid.send_to(&data(1, &served[..512]), client).unwrap();
        recv_ack(&mut acks);
        stranger
            .send_to(&data(2, b"not from the server"), client)
            .unwrap();
        let mut sbuf = [0u8; 256];
        let (n, _) = stranger.recv_from(&mut sbuf).unwrap();
        let stranger_got = sbuf[..n].to_vec();
        tid.send_to(&data(1, &served[..512]), client).unwrap();
        recv_ack(&mut acks);
        tid.send_to(&data(2, &served[512..]), client).unwrap();
        recv_ack(&mut acks);
        (acks, stranger_got)
    });
    let client = Client::new(addr, Duration::from_secs(10));
    let got = download(&client, "file", u64::MAX).unwrap();
    let (acks, stranger_got) = script.join().unwrap();
    assert!(got == file, "{} bytes instead of {}", got.len(), file.len());
    assert_eq!(
        acks,
        vec![
            b"\x00\x04\x00\x01".to_vec(),
            b"\x00\x04\x00\x01".to_vec(),
            b"\x00\x04\x00\x02".to_vec()
        ]
    );
    assert_eq!(
        &stranger_got[..4],
        b"\x00\x05\x00\x05",
        "ERROR 5 to the stranger"
    );
}

/// A scripted server that sends a malformed datagram and then block 1, then keeps
/// repeating block 1 every 50 ms instead of sending block 2. The malformed datagram
/// is ignored (the transfer goes on); the repeats are acknowledged but do not hold
/// the transfer open: it ends after the retransmits of ACK 1, not after the budget.
#[test]
fn tftp_malformed_datagrams_are_ignored_and_stray_repeats_do_not_extend_waiting() {
    let listen = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = listen.local_addr().unwrap();
    let block = bytes(52, 512);
    let served = block.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = stop.clone();
    let script = std::thread::spawn(move || {
        listen
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0u8; 2048];
        let (_, client) = listen.recv_from(&mut buf).unwrap();
        let tid = UdpSocket::bind("127.0.0.1:0").unwrap();
        tid.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        tid.send_to(b"\x00\x09garbage", client).unwrap();
        let data = [&[0, 3, 0, 1][..], &served].concat();
        let mut acks = 0;
        while !flag.load(std::sync::atomic::Ordering::Relaxed) {
            tid.send_to(&data, client).unwrap();
            if tid.recv_from(&mut buf).is_ok() {
                acks += 1;
            }
        }
        acks
    });
    let mut client = Client::new(addr, Duration::from_secs(30));
    client.packet_timeout = Duration::from_millis(300);
    client.retries = 2;
    let started = Instant::now();
    let mut out = Vec::new();
    let err = client.download("file", &mut out, u64::MAX).unwrap_err();
    let took = started.elapsed();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let acks = script.join().unwrap();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.to_string().contains("no answer after 3 tries"), "{err}");
    assert!(out == block, "block 1 was delivered once");
    assert!(took < Duration::from_secs(3), "ended after {took:?}");
    assert!(acks >= 3, "the repeats were acknowledged ({acks})");
}

/// Before the server's first reply, a malformed datagram arrives from another port
/// of the server's address: it must not become the transfer ID (the real reply
/// would then be refused with ERROR 5).
#[test]
fn tftp_malformed_first_datagram_does_not_take_the_transfer_id() {
    let listen = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = listen.local_addr().unwrap();
    let file = bytes(53, 300);
    let served = file.clone();
    let script = std::thread::spawn(move || {
        listen
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut buf = [0u8; 2048];
        let (_, client) = listen.recv_from(&mut buf).unwrap();
        let noise = UdpSocket::bind("127.0.0.1:0").unwrap();
        noise.send_to(b"\x00", client).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        let tid = UdpSocket::bind("127.0.0.1:0").unwrap();
        tid.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        tid.send_to(&[&[0, 3, 0, 1][..], &served].concat(), client)
            .unwrap();
        let (n, _) = tid.recv_from(&mut buf).unwrap();
        buf[..n].to_vec()
    });
    let client = Client::new(addr, Duration::from_secs(10));
    let got = download(&client, "file", u64::MAX).unwrap();
    assert!(got == file);
    assert_eq!(
        script.join().unwrap(),
        b"\x00\x04\x00\x01",
        "ACK 1 to the real TID"
    );
}

// ---- PXE: pxelinux's configuration search, includes and extraction over TFTP ----

use xenboot::extract::Request;
use xenboot::net::pxe::{self, PxeParams};
use xenboot::{Boot, Options};

const MAC: [u8; 6] = [0x00, 0x16, 0x3e, 0x5a, 0x0b, 0xc1];
const MAC_FILE: &str = "pxe/pxelinux.cfg/01-00-16-3e-5a-0b-c1";

fn params(server: &Tftpd) -> PxeParams {
    PxeParams {
        server: server.addr,
        mac: MAC,
        client_ip: Some("192.168.10.42".parse().unwrap()),
        uuid: Some("B8945908-D6A6-41A9-611D-74A6AB80B83D".to_string()),
        path_prefix: Some("pxe/".to_string()),
        config_file: None,
    }
}

/// A configuration whose only label is `name`, booting `vmlinuz-name`.
fn single(name: &str) -> String {
    format!("DEFAULT {name}\nLABEL {name}\n  KERNEL vmlinuz-{name}\n  APPEND from={name}\n")
}

#[test]
fn pxe_search_order_mac_beats_ip_hex_beats_default() {
    let dir = scratch();
    let root = dir.path().join("root");
    let (mac, ip, default) = (single("mac"), single("ip"), single("default"));
    write_tree(
        &root,
        &[
            (MAC_FILE, mac.as_bytes()),
            ("pxe/pxelinux.cfg/C0A8", ip.as_bytes()),
            ("pxe/pxelinux.cfg/default", default.as_bytes()),
            // Outside the prefix: never looked at.
            ("pxelinux.cfg/default", single("wrong-prefix").as_bytes()),
        ],
    );
    let server = Tftpd::start(&root, &[]);
    let open = || Boot::open_pxe(&params(&server), Options::default()).unwrap();

    let boot = open();
    assert_eq!(boot.entries()[0].id.as_deref(), Some("mac"));
    assert_eq!(
        boot.entries()[0].kernel.as_deref(),
        Some("/pxe/vmlinuz-mac")
    );
    assert_eq!(
        boot.tried(),
        [
            format!(
                "tftp://{}/pxe/pxelinux.cfg/b8945908-d6a6-41a9-611d-74a6ab80b83d: not found",
                server.addr
            ),
            format!(
                "tftp://{}/{MAC_FILE}: found (syslinux, 1 entries)",
                server.addr
            ),
        ]
    );
    assert_eq!(boot.config().path, format!("/{MAC_FILE}"));

    std::fs::remove_file(root.join(MAC_FILE)).unwrap();
    let boot = open();
    assert_eq!(boot.entries()[0].id.as_deref(), Some("ip"));
    let tried: Vec<&str> = boot
        .tried()
        .iter()
        .map(|t| t.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        tried,
        [
            "b8945908-d6a6-41a9-611d-74a6ab80b83d: not found",
            "01-00-16-3e-5a-0b-c1: not found",
            "C0A80A2A: not found",
            "C0A80A2: not found",
            "C0A80A: not found",
            "C0A80: not found",
            "C0A8: found (syslinux, 1 entries)",
        ]
    );

    std::fs::remove_file(root.join("pxe/pxelinux.cfg/C0A8")).unwrap();
    let boot = open();
    assert_eq!(boot.entries()[0].id.as_deref(), Some("default"));
    assert_eq!(boot.tried().len(), 11);

    // Option 209 names the file: no search.
    let p = PxeParams {
        config_file: Some("pxelinux.cfg/C0A80A2A".into()),
        ..params(&server)
    };
    let err = Boot::open_pxe(&p, Options::default()).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::NoConfig);
    assert!(
        err.to_string()
            .contains("pxe/pxelinux.cfg/C0A80A2A: not found"),
        "{err}"
    );
    assert!(!err.to_string().contains("default"), "{err}");

    std::fs::remove_file(root.join("pxe/pxelinux.cfg/default")).unwrap();
    let err = Boot::open_pxe(&params(&server), Options::default())
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::NoConfig);
    let msg = err.to_string();
    assert!(
        msg.contains("no pxelinux configuration on TFTP server"),
        "{msg}"
    );
    assert_eq!(msg.matches(": not found").count(), 11, "{msg}");
}

#[test]
fn pxe_include_over_tftp_and_byte_identical_extraction() {
    let dir = scratch();
    let root = dir.path().join("root");
    let kernel = bytes(61, (5 << 20) + 17);
    let initrd = bytes(62, (7 << 20) + 3);
    let ucode = bytes(63, 40_000);
    let default = "UI menu.c32\nTIMEOUT 50\nDEFAULT install\nINCLUDE pxelinux.cfg/guests.inc\n\
                   LABEL local\n  MENU LABEL Boot from the disk\n  LOCALBOOT 0\n";
    let include = "LABEL rescue\n  KERNEL images/vmlinuz\n  APPEND rescue\n\
                   LABEL install\n  MENU LABEL ^Install\n  KERNEL images/vmlinuz\n\
                   INITRD images/ucode.img,images/initrd.img\n  APPEND console=hvc0\n";
    write_tree(
        &root,
        &[
            ("pxe/pxelinux.cfg/default", default.as_bytes()),
            ("pxe/pxelinux.cfg/guests.inc", include.as_bytes()),
            ("pxe/images/vmlinuz", &kernel),
            ("pxe/images/initrd.img", &initrd),
            ("pxe/images/ucode.img", &ucode),
        ],
    );
    let server = Tftpd::start(&root, &[]);
    let mut boot = Boot::open_pxe(&params(&server), Options::default()).unwrap();
    let titles: Vec<&str> = boot.entries().iter().map(|e| e.title.as_str()).collect();
    assert_eq!(titles, ["rescue", "Install", "Boot from the disk"]);
    assert!(pxe::is_localboot(&boot.entries()[2]));
    assert!(!pxe::is_localboot(&boot.entries()[1]));
    let index = boot.select(None).unwrap();
    assert_eq!(index, 1);
    let plan = boot.plan(index, &Request::default()).unwrap();
    assert_eq!(plan.kernel.path, "/pxe/images/vmlinuz");
    assert_eq!(plan.kernel.len, kernel.len() as u64);
    assert_eq!(plan.ramdisk_len(), (ucode.len() + initrd.len()) as u64);
    assert_eq!(
        plan.args,
        "console=hvc0 initrd=images/ucode.img,images/initrd.img"
    );
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();
    let out = boot.extract_to_dir(&plan, &out_dir).unwrap();
    assert!(std::fs::read(&out.kernel).unwrap() == kernel);
    let ramdisk = std::fs::read(out.ramdisk.unwrap()).unwrap();
    assert!(ramdisk == [ucode, initrd].concat());

    // A missing kernel names the server, the file and the server's message.
    let err = boot
        .plan(
            0,
            &Request {
                kernel: Some("/pxe/images/missing".into()),
                ..Request::default()
            },
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let msg = err.to_string();
    assert!(msg.contains("TFTP server 127.0.0.1"), "{msg}");
    assert!(msg.contains("pxe/images/missing"), "{msg}");
    assert!(msg.contains("File not found"), "{msg}");
}

#[test]
fn pxe_kernel_over_the_limit_is_refused_before_download() {
    let dir = scratch();
    let root = dir.path().join("root");
    let kernel = bytes(71, 3 << 20);
    write_tree(
        &root,
        &[
            ("pxe/pxelinux.cfg/default", single("big").as_bytes()),
            ("pxe/vmlinuz-big", &kernel),
        ],
    );
    let server = Tftpd::start(&root, &[]);
    let mut opts = Options::default();
    opts.limits.max_kernel = 1 << 20;
    let boot = Boot::open_pxe(&params(&server), opts).unwrap();
    let err = boot.plan(0, &Request::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Limit, "{err}");
    assert!(err.to_string().contains("3145728 bytes"), "{err}");
}

#[test]
fn pxe_silent_server_fails_within_the_network_time_budget() {
    let silent = Silent::start();
    let p = PxeParams {
        server: silent.addr,
        mac: MAC,
        client_ip: None,
        uuid: None,
        path_prefix: None,
        config_file: None,
    };
    let mut opts = Options::default();
    opts.limits.max_network_time = Duration::from_millis(1200);
    let started = Instant::now();
    let err = Boot::open_pxe(&p, opts).err().unwrap();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    let msg = err.to_string();
    assert!(msg.contains("time budget of 1200 ms"), "{msg}");
    assert!(msg.contains("pxelinux.cfg/01-00-16-3e-5a-0b-c1"), "{msg}");
    assert!(took < Duration::from_millis(1700), "took {took:?}");
}

// ---- `xenboot pxe` and libxl's bootloader protocol ----

use cli_support::{guest, only_file, show, xenboot, MENU_LST};

/// A TFTP root with a menu whose default is `default_label`: `linux` boots a
/// kernel and initrd from the server, `local` is LOCALBOOT.
fn pxe_root(dir: &Path, default_label: &str) -> (std::path::PathBuf, Vec<u8>, Vec<u8>) {
    let root = dir.join("root");
    let kernel = bytes(81, (4 << 20) + 5);
    let initrd = bytes(82, (3 << 20) + 9);
    let cfg = format!(
        "DEFAULT {default_label}\nLABEL linux\n  KERNEL vmlinuz\n  INITRD initrd.img\n  \
         APPEND console=hvc0\nLABEL local\n  LOCALBOOT 0\n"
    );
    write_tree(
        &root,
        &[
            (MAC_FILE, cfg.as_bytes()),
            ("pxe/vmlinuz", &kernel),
            ("pxe/initrd.img", &initrd),
        ],
    );
    (root, kernel, initrd)
}

fn pxe_args(server: &Tftpd) -> Vec<String> {
    vec![
        format!("--tftp-server={}", server.addr),
        "--mac=00:16:3e:5a:0b:c1".to_string(),
        "--path-prefix=pxe/".to_string(),
    ]
}

fn run_xenboot(args: &[String]) -> std::process::Output {
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    xenboot(&argv)
}

#[test]
fn cli_pxe_lists_and_extracts_from_tftp() {
    let dir = scratch();
    let (root, kernel, initrd) = pxe_root(dir.path(), "linux");
    let server = Tftpd::start(&root, &[]);
    let out_dir = dir.path().join("out");
    std::fs::create_dir(&out_dir).unwrap();

    let mut args = vec![
        "pxe".to_string(),
        "--list".to_string(),
        "--json".to_string(),
    ];
    args.extend(pxe_args(&server));
    let out = run_xenboot(&args);
    assert!(out.status.success(), "{}", show(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["default"], 0, "{v}");
    assert_eq!(v["entries"][1]["id"], "local");
    assert!(v["entries"][1]["not_bootable"]
        .as_str()
        .unwrap()
        .contains("LOCALBOOT"));

    let mut args = vec!["pxe".to_string(), "--json".to_string()];
    args.extend(pxe_args(&server));
    args.push(format!("--output-directory={}", out_dir.display()));
    let out = run_xenboot(&args);
    assert!(out.status.success(), "{}", show(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kernel_source"], "/pxe/vmlinuz");
    assert_eq!(v["args"], "console=hvc0 initrd=initrd.img");
    assert!(std::fs::read(v["kernel"].as_str().unwrap()).unwrap() == kernel);
    assert!(std::fs::read(v["ramdisk"].as_str().unwrap()).unwrap() == initrd);

    // A LOCALBOOT choice without a disk is a clear error.
    let mut args = vec!["pxe".to_string(), "--entry=local".to_string()];
    args.extend(pxe_args(&server));
    args.push(format!("--output-directory={}", out_dir.display()));
    let out = run_xenboot(&args);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("LOCALBOOT (boot from the local disk), but no DISK was given"),
        "{}",
        show(&out)
    );
}

#[test]
fn cli_pxe_localboot_boots_the_disk_as_extract_does() {
    let dir = scratch();
    let (root, _, _) = pxe_root(dir.path(), "local");
    let server = Tftpd::start(&root, &[]);
    let g = guest(&[("boot/grub/menu.lst", MENU_LST)]);

    let pxe_dir = g.out_dir("pxe");
    let mut args = vec!["pxe".to_string(), "--json".to_string()];
    args.extend(pxe_args(&server));
    args.push(format!("--output-directory={}", pxe_dir.display()));
    args.push(g.disk_str().to_string());
    let out = run_xenboot(&args);
    assert!(out.status.success(), "{}", show(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is LOCALBOOT: booting from the disk"),
        "{}",
        show(&out)
    );
    let via_pxe: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let disk_dir = g.out_dir("disk");
    let out = xenboot(&[
        "extract",
        "--json",
        &format!("--output-directory={}", disk_dir.display()),
        g.disk_str(),
    ]);
    assert!(out.status.success(), "{}", show(&out));
    let direct: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in ["title", "index", "args", "kernel_source", "ramdisk_sources"] {
        assert_eq!(via_pxe[key], direct[key], "{key}");
    }
    assert_eq!(via_pxe["title"], "Debian GNU/Linux, kernel 6.1");
    assert_eq!(
        std::fs::read(via_pxe["kernel"].as_str().unwrap()).unwrap(),
        g.file("/boot/vmlinuz-6.1")
    );
}

#[test]
fn cli_libxl_bootloader_args_with_tftp_server() {
    let dir = scratch();
    let g = guest(&[("boot/grub/menu.lst", MENU_LST)]);
    for (label, from_disk) in [("linux", false), ("local", true)] {
        let (root, kernel, initrd) = pxe_root(&dir.path().join(label), label);
        let server = Tftpd::start(&root, &[]);
        let out_dir = g.out_dir(label);
        let out_file = g.dir.path().join(format!("{label}.out"));
        std::fs::write(&out_file, b"").unwrap();
        // libxl: its own options first, then bootloader_args, the disk last.
        let mut args = vec![
            format!("--output={}", out_file.display()),
            "--output-format=simple0".to_string(),
            format!("--output-directory={}", out_dir.display()),
        ];
        args.extend(pxe_args(&server));
        args.push(g.disk_str().to_string());
        let out = run_xenboot(&args);
        assert!(out.status.success(), "{label}: {}", show(&out));
        assert!(out.stdout.is_empty(), "the result goes to --output only");
        let k = only_file(&out_dir, "boot_kernel.").unwrap();
        let r = only_file(&out_dir, "boot_ramdisk.").unwrap();
        let written = String::from_utf8(std::fs::read(&out_file).unwrap()).unwrap();
        let args_line = if from_disk {
            "root=/dev/xvda1 ro quiet"
        } else {
            // pygrub drops syslinux's initrd= words.
            "console=hvc0"
        };
        assert_eq!(
            written,
            format!(
                "kernel {}\0ramdisk {}\0args {args_line}\0\0",
                k.display(),
                r.display()
            )
        );
        let (want_k, want_r) = if from_disk {
            (g.file("/boot/vmlinuz-6.1"), g.file("/boot/initrd-6.1"))
        } else {
            (kernel, initrd)
        };
        assert!(std::fs::read(&k).unwrap() == want_k, "{label}");
        assert!(std::fs::read(&r).unwrap() == want_r, "{label}");
    }
}

#[test]
fn pxe_server_without_options_and_the_config_size_limit() {
    let dir = scratch();
    let root = dir.path().join("root");
    let kernel = bytes(91, 300_001);
    let initrd = bytes(92, 200_003);
    let mut cfg = "DEFAULT linux\nLABEL linux\n KERNEL vmlinuz\n INITRD initrd.img\n".to_string();
    let padded = format!("{cfg}{}", "# padding\n".repeat(300));
    cfg.push_str("# short\n");
    write_tree(
        &root,
        &[
            (MAC_FILE, padded.as_bytes()),
            ("pxe/pxelinux.cfg/default", cfg.as_bytes()),
            ("pxe/vmlinuz", &kernel),
            ("pxe/initrd.img", &initrd),
        ],
    );
    // Neither blksize nor tsize: 512-byte blocks, sizes known only by counting.
    let server = Tftpd::start(&root, &["-r", "blksize", "-r", "tsize"]);
    let mut opts = Options::default();
    opts.limits.max_config = 1024;
    let err = Boot::open_pxe(&params(&server), opts).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::Limit, "{err}");
    let msg = err.to_string();
    assert!(msg.contains("more than the limit of 1024 bytes"), "{msg}");
    assert!(msg.contains("01-00-16-3e-5a-0b-c1"), "{msg}");

    std::fs::remove_file(root.join(MAC_FILE)).unwrap();
    let boot = Boot::open_pxe(&params(&server), Options::default()).unwrap();
    let plan = boot.plan(0, &Request::default()).unwrap();
    assert_eq!(plan.kernel.len, kernel.len() as u64);
    let (k, r) = boot.extract_to_memory(&plan).unwrap();
    assert!(k == kernel);
    assert!(r.unwrap() == initrd);
}

/// dnsmasq's TFTP server as a second implementation. It listens on port 69 only, so
/// it runs (with `xenboot pxe`) in a network namespace of its own, where nothing
/// else can hold that port.
#[test]
fn cli_pxe_through_dnsmasq_in_a_network_namespace() {
    let dir = scratch();
    let (root, kernel, initrd) = pxe_root(dir.path(), "linux");
    for (name, extra) in [("default", ""), ("no-blocksize", "--tftp-no-blocksize")] {
        let out_dir = dir.path().join(name);
        std::fs::create_dir(&out_dir).unwrap();
        let script = format!(
            "ip link set lo up || exit 97
             dnsmasq --keep-in-foreground --port=0 --enable-tftp --tftp-root='{root}' \
                 --listen-address=127.0.0.1 --bind-interfaces --user=root \
                 --conf-file=/dev/null --pid-file='{out}/pid' --log-facility='{out}/log' \
                 {extra} &
             pid=$!
             i=0
             until ss -uln | grep -q '127.0.0.1:69 '; do
                 i=$((i + 1)); [ $i -lt 100 ] || exit 98; sleep 0.1
             done
             '{xenboot}' pxe --tftp-server 127.0.0.1 --mac 00:16:3e:5a:0b:c1 \
                 --path-prefix pxe/ --json --output-directory '{out}'
             rc=$?
             kill $pid
             exit $rc",
            root = root.display(),
            out = out_dir.display(),
            xenboot = env!("CARGO_BIN_EXE_xenboot"),
        );
        let out = Command::new("unshare")
            .args(["--net", "sh", "-c", &script])
            .output()
            .expect("cannot run unshare (util-linux)");
        assert!(
            out.status.success(),
            "{name}: {}\ndnsmasq log:\n{}",
            show(&out),
            std::fs::read_to_string(out_dir.join("log")).unwrap_or_default()
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["kernel_source"], "/pxe/vmlinuz", "{name}");
        assert!(std::fs::read(v["kernel"].as_str().unwrap()).unwrap() == kernel);
        assert!(std::fs::read(v["ramdisk"].as_str().unwrap()).unwrap() == initrd);
    }
}

/// A scripted server that lies: it announces more bytes (tsize) than it sends, or
/// sends a block larger than the block size it accepted. Both are errors, not a
/// short or overlong file handed on.
#[test]
fn tftp_lying_server_is_an_error() {
    for (lie, want) in [
        ("short", "announced 100 bytes (tsize) but sent 50"),
        ("long block", "more than the block size 512"),
    ] {
        let listen = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = listen.local_addr().unwrap();
        let script = std::thread::spawn(move || {
            listen
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut buf = [0u8; 2048];
            let (_, client) = listen.recv_from(&mut buf).unwrap();
            let tid = UdpSocket::bind("127.0.0.1:0").unwrap();
            tid.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            tid.send_to(b"\x00\x06blksize\x00512\x00tsize\x00100\x00", client)
                .unwrap();
            let (n, _) = tid.recv_from(&mut buf).unwrap();
            assert_eq!(&buf[..n], b"\x00\x04\x00\x00", "ACK 0 of the OACK");
            let len = if lie == "short" { 50 } else { 600 };
            let data = [&b"\x00\x03\x00\x01"[..], &vec![7u8; len]].concat();
            tid.send_to(&data, client).unwrap();
            // Whatever the client says last (ACK or ERROR), it ends the transfer.
            let _ = tid.recv_from(&mut buf);
        });
        let mut out = Vec::new();
        let err = Client::new(addr, Duration::from_secs(10))
            .download("f", &mut out, u64::MAX)
            .unwrap_err();
        script.join().unwrap();
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{lie}: {err}");
        assert!(err.to_string().contains(want), "{lie}: {err}");
        assert!(out.len() <= 50, "{lie}: {} bytes written", out.len());
    }
}
