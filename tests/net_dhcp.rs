//! DHCP on behalf of a guest against a real dnsmasq.
//!
//! Each test makes two network namespaces joined by a veth pair: the server side runs
//! dnsmasq, the client side has only the interface (no address), as a dom0 bridge
//! port would. The test process stays in the root namespace, so the client runs by
//! re-executing this test binary inside the client namespace (`ip netns exec`) with
//! only the ignored test `inner_dhcp_client` selected; it takes its parameters from
//! an environment variable and prints the lease (or the error) as one JSON line that
//! the outer test checks. Namespaces and dnsmasq are removed by a guard, even when a
//! test fails; names carry the process id and a counter so runs never clash.

use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use xenboot::net::dhcp::{acquire, parse_mac, parse_uuid, DhcpOptions};

/// Carries the inner client's parameters: `MAC IFACE TIMEOUT_MS RETRANSMIT_MS [UUID]`.
const INNER_ENV: &str = "XENBOOT_TEST_DHCP_CLIENT";
/// The JSON line of the inner client starts with this.
const RESULT_TAG: &str = "DHCP-RESULT ";
const GUEST_MAC: &str = "52:54:00:12:34:56";
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Runs `ip ARGS`, panicking with its output on failure.
fn ip(args: &[&str]) {
    let out = Command::new("ip")
        .args(args)
        .env("PATH", PATH)
        .output()
        .unwrap_or_else(|e| panic!("cannot run ip (iproute2 installed?): {e}"));
    assert!(
        out.status.success(),
        "ip {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Two namespaces joined by a veth pair, and dnsmasq once started. Dropping it kills
/// dnsmasq and deletes the namespaces (which deletes the veth pair).
struct Net {
    server_ns: String,
    client_ns: String,
    server_if: String,
    client_if: String,
    dnsmasq: Option<Child>,
    dir: tempfile::TempDir,
}

impl Net {
    /// Server side 10.77.0.1/24; client side up, without an address.
    fn new() -> Net {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let id = format!(
            "{}n{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let net = Net {
            server_ns: format!("xbdhcp-s{id}"),
            client_ns: format!("xbdhcp-c{id}"),
            server_if: format!("xbs{id}"),
            client_if: format!("xbc{id}"),
            dnsmasq: None,
            dir: tempfile::tempdir().unwrap(),
        };
        ip(&["netns", "add", &net.server_ns]);
        ip(&["netns", "add", &net.client_ns]);
        ip(&[
            "link",
            "add",
            &net.server_if,
            "netns",
            &net.server_ns,
            "type",
            "veth",
            "peer",
            "name",
            &net.client_if,
            "netns",
            &net.client_ns,
        ]);
        ip(&[
            "-n",
            &net.server_ns,
            "addr",
            "add",
            "10.77.0.1/24",
            "dev",
            &net.server_if,
        ]);
        for (ns, dev) in [
            (&net.server_ns, &net.server_if),
            (&net.client_ns, &net.client_if),
        ] {
            ip(&["-n", ns, "link", "set", "lo", "up"]);
            ip(&["-n", ns, "link", "set", dev, "up"]);
        }
        net
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts dnsmasq (DHCP only, no DNS) on the server side with `extra` options and
    /// waits until it logs that DHCP is on.
    fn start_dnsmasq(&mut self, extra: &[&str]) {
        let log = self.path("dnsmasq.log");
        let mut args: Vec<String> = [
            "netns",
            "exec",
            &self.server_ns,
            "dnsmasq",
            "--no-daemon",
            "--conf-file=/dev/null",
            "--port=0",
            "--bind-interfaces",
            "--user=root",
            "--log-dhcp",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        args.push(format!("--interface={}", self.server_if));
        args.push(format!("--log-facility={}", log.display()));
        args.push(format!(
            "--dhcp-leasefile={}",
            self.path("leases").display()
        ));
        args.push(format!("--pid-file={}", self.path("pid").display()));
        args.extend(extra.iter().map(|s| s.to_string()));
        let child = Command::new("ip")
            .args(&args)
            .env("PATH", PATH)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start dnsmasq (dnsmasq-base installed?)");
        self.dnsmasq = Some(child);
        let start = Instant::now();
        loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains("DHCP, ") {
                return;
            }
            if let Some(status) = self.dnsmasq.as_mut().unwrap().try_wait().unwrap() {
                panic!("dnsmasq exited ({status}): {text}");
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "dnsmasq did not start: {text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn dnsmasq_log(&self) -> String {
        std::fs::read_to_string(self.path("dnsmasq.log")).unwrap_or_default()
    }

    /// Starts the client in the client namespace.
    fn spawn_client(&self, mac: &str, timeout_ms: u64, retransmit_ms: u64) -> Child {
        let exe = std::env::current_exe().unwrap();
        Command::new("ip")
            .args(["netns", "exec", &self.client_ns])
            .arg(exe)
            .args(["--exact", "inner_dhcp_client", "--ignored", "--nocapture"])
            .env("PATH", PATH)
            .env(
                INNER_ENV,
                format!(
                    "{mac} {} {timeout_ms} {retransmit_ms} 12345678-9abc-def0-0123-456789abcdef",
                    self.client_if
                ),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Waits for a client started by [`Net::spawn_client`]; returns its JSON result.
    fn client_result(&self, client: Child) -> Value {
        let out = client.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .find_map(|l| l.strip_prefix(RESULT_TAG))
            .unwrap_or_else(|| {
                panic!(
                    "no result from the client: {stdout}\n{}\ndnsmasq: {}",
                    String::from_utf8_lossy(&out.stderr),
                    self.dnsmasq_log()
                )
            });
        serde_json::from_str(line).unwrap()
    }

    /// Runs the client in the client namespace; returns its JSON result and the time
    /// the whole run took.
    fn run_client(&self, mac: &str, timeout_ms: u64, retransmit_ms: u64) -> (Value, Duration) {
        let start = Instant::now();
        let client = self.spawn_client(mac, timeout_ms, retransmit_ms);
        let result = self.client_result(client);
        (result, start.elapsed())
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        if let Some(mut child) = self.dnsmasq.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in [&self.server_ns, &self.client_ns] {
            let _ = Command::new("ip")
                .args(["netns", "del", ns])
                .env("PATH", PATH)
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// The client side, run by the outer tests inside the client namespace.
#[test]
#[ignore = "runs inside a network namespace, started by the other tests"]
fn inner_dhcp_client() {
    let Ok(params) = std::env::var(INNER_ENV) else {
        return;
    };
    let p: Vec<&str> = params.split(' ').collect();
    let opts = DhcpOptions {
        uuid: p.get(4).map(|u| parse_uuid(u).unwrap()),
        timeout: Duration::from_millis(p[2].parse().unwrap()),
        first_retransmit: Duration::from_millis(p[3].parse().unwrap()),
        ..DhcpOptions::default()
    };
    let start = Instant::now();
    let result = match acquire(parse_mac(p[0]).unwrap(), p[1], &opts) {
        Ok(lease) => json!({
            "lease": lease,
            "tftp_server": lease.tftp_server().to_string(),
            "pxe_path_prefix": lease.pxe_path_prefix(),
        }),
        Err(e) => json!({
            "error": e.to_string(),
            "kind": e.kind().name(),
            "elapsed_ms": start.elapsed().as_millis() as u64,
        }),
    };
    println!("{RESULT_TAG}{result}");
}

/// The lease of a dnsmasq that knows the guest's MAC: the fixed address from
/// `--dhcp-host`, the boot file and next server from `--dhcp-boot`, the TFTP server
/// from option 66 and the pxelinux options 209 and 210. (No server name in
/// `--dhcp-boot`: dnsmasq would send it as a second option 66, which RFC 3396 joins
/// with the first.)
#[test]
fn lease_for_the_guest_mac_from_dnsmasq() {
    let mut net = Net::new();
    net.start_dnsmasq(&[
        "--dhcp-range=10.77.0.50,10.77.0.99,255.255.255.0,1h",
        &format!("--dhcp-host={GUEST_MAC},10.77.0.42"),
        "--dhcp-boot=pxelinux/pxelinux.0,,10.77.0.5",
        "--dhcp-option=66,10.77.0.6",
        "--dhcp-option=209,pxelinux.cfg/guest-a",
        "--dhcp-option=210,/srv/tftp/",
        "--dhcp-option=3,10.77.0.254",
    ]);
    let (result, _) = net.run_client(GUEST_MAC, 15_000, 500);
    let lease = &result["lease"];
    assert!(lease.is_object(), "{result}\n{}", net.dnsmasq_log());
    assert_eq!(lease["client_ip"], "10.77.0.42");
    assert_eq!(lease["server_id"], "10.77.0.1");
    assert_eq!(lease["next_server"], "10.77.0.5");
    assert_eq!(lease["tftp_server_name"], "10.77.0.6");
    assert_eq!(lease["boot_file"], "pxelinux/pxelinux.0");
    assert_eq!(lease["config_file"], "pxelinux.cfg/guest-a");
    assert_eq!(lease["path_prefix"], "/srv/tftp/");
    assert_eq!(lease["subnet_mask"], "255.255.255.0");
    assert_eq!(lease["router"], "10.77.0.254");
    assert_eq!(result["tftp_server"], "10.77.0.6:69");
    assert_eq!(result["pxe_path_prefix"], "/srv/tftp/");
    // The server committed the lease: the REQUEST/ACK half happened.
    let leases = std::fs::read_to_string(net.path("leases")).unwrap();
    assert!(
        leases.contains(&format!("{GUEST_MAC} 10.77.0.42")),
        "{leases}"
    );
    // dnsmasq saw the PXE client: vendor class and architecture.
    let log = net.dnsmasq_log();
    assert!(log.contains("PXEClient:Arch:00000:UNDI:002001"), "{log}");
}

/// Without `--dhcp-boot`: the boot file comes from option 67, option 66 is a host
/// name (not resolved, so the TFTP server is the next server), the address comes
/// from the range, and the path prefix is the boot file's directory.
#[test]
fn boot_file_from_option_67_and_address_from_the_range() {
    let mut net = Net::new();
    net.start_dnsmasq(&[
        "--dhcp-range=10.77.0.50,10.77.0.99,255.255.255.0,1h",
        "--dhcp-option=66,tftp.example.org",
        "--dhcp-option=67,boot/x86/pxelinux.0",
    ]);
    let (result, _) = net.run_client("52-54-00-AB-CD-EF", 15_000, 500);
    let lease = &result["lease"];
    assert!(lease.is_object(), "{result}\n{}", net.dnsmasq_log());
    let ip: std::net::Ipv4Addr = lease["client_ip"].as_str().unwrap().parse().unwrap();
    let last = ip.octets()[3];
    assert!(
        ip.octets()[..3] == [10, 77, 0] && (50..=99).contains(&last),
        "{ip}"
    );
    assert_eq!(lease["tftp_server_name"], "tftp.example.org");
    assert_eq!(lease["boot_file"], "boot/x86/pxelinux.0");
    assert_eq!(lease["config_file"], Value::Null);
    assert_eq!(result["pxe_path_prefix"], "boot/x86/");
    let next = lease["next_server"].as_str().unwrap_or("10.77.0.1");
    assert_eq!(result["tftp_server"], format!("{next}:69"));
    let leases = std::fs::read_to_string(net.path("leases")).unwrap();
    assert!(
        leases.contains(&format!("52:54:00:ab:cd:ef {ip}")),
        "{leases}"
    );
}

/// Checks a timeout error: kind, what it names, and that it came within the budget.
fn assert_timeout(result: &Value, took: Duration, budget_ms: u64, client_if: &str) {
    assert_eq!(result["kind"], "network", "{result}");
    let msg = result["error"].as_str().unwrap();
    for want in [
        "no DHCPOFFER",
        client_if,
        "52:54:00:12:34:56",
        "after 3 DHCPDISCOVERs",
    ] {
        assert!(msg.contains(want), "{msg} lacks {want:?}");
    }
    let elapsed = result["elapsed_ms"].as_u64().unwrap();
    assert!(
        (budget_ms - 100..budget_ms + 1_000).contains(&elapsed),
        "{elapsed} ms for a {budget_ms} ms budget"
    );
    assert!(took < Duration::from_millis(budget_ms + 5_000), "{took:?}");
}

/// No server on the link: a clear timeout error within the budget that names the
/// interface, the MAC and how many DISCOVERs went out (0, 0.5 and 1.5 s).
#[test]
fn no_server_times_out_within_the_budget() {
    let net = Net::new();
    let (result, took) = net.run_client(GUEST_MAC, 3_000, 500);
    assert_timeout(&result, took, 3_000, &net.client_if);
    assert!(result["error"]
        .as_str()
        .unwrap()
        .contains("no other replies"));
}

/// A server that only serves known hosts ignores an unknown MAC: the same timeout.
#[test]
fn unknown_mac_gets_no_offer_from_a_static_only_server() {
    let mut net = Net::new();
    net.start_dnsmasq(&[
        "--dhcp-range=10.77.0.0,static",
        "--dhcp-host=52:54:00:99:99:99,10.77.0.42",
    ]);
    let (result, took) = net.run_client(GUEST_MAC, 3_000, 500);
    assert_timeout(&result, took, 3_000, &net.client_if);
    let log = net.dnsmasq_log();
    assert!(log.contains("52:54:00:12:34:56"), "{log}");
    assert!(log.contains("no address available"), "{log}");
}

/// Two guests' DHCP at once on one interface: both sockets share port 68 and see
/// each other's broadcast replies, which each must ignore (another xid and chaddr).
/// dnsmasq delays the first guest's offer by 2 s, so the second guest's offer
/// certainly reaches the first guest while it waits for its own.
#[test]
fn two_guests_at_once_each_get_their_own_lease() {
    let mut net = Net::new();
    net.start_dnsmasq(&[
        "--dhcp-range=10.77.0.0,static",
        &format!("--dhcp-host={GUEST_MAC},set:slow,10.77.0.42"),
        "--dhcp-host=52:54:00:00:00:07,10.77.0.7",
        "--dhcp-reply-delay=tag:slow,2",
        "--dhcp-option=67,pxelinux.0",
    ]);
    let first = net.spawn_client(GUEST_MAC, 15_000, 5_000);
    std::thread::sleep(Duration::from_millis(500));
    let second = net.spawn_client("52:54:00:00:00:07", 15_000, 5_000);
    let first = net.client_result(first);
    let second = net.client_result(second);
    let log = net.dnsmasq_log();
    assert_eq!(first["lease"]["client_ip"], "10.77.0.42", "{first}\n{log}");
    assert_eq!(second["lease"]["client_ip"], "10.77.0.7", "{second}\n{log}");
    assert_eq!(first["lease"]["boot_file"], "pxelinux.0");
}

/// pypxeboot's job end to end: `xenboot pxe --interface IF --mac MAC` asks DHCP (as
/// the guest's MAC) where to boot from, finds pxelinux.cfg/01-<MAC> on the TFTP
/// server DHCP named and extracts that entry's kernel and initrd, byte for byte. One
/// dnsmasq serves both DHCP and TFTP; the client side has an address of its own
/// (dom0's on the bridge) to reach the TFTP server from, but not the guest's.
#[test]
fn pxe_boot_through_dhcp_and_tftp() {
    let mut net = Net::new();
    ip(&[
        "-n",
        &net.client_ns,
        "addr",
        "add",
        "10.77.0.5/24",
        "dev",
        &net.client_if,
    ]);
    let root = net.path("tftp");
    std::fs::create_dir_all(root.join("boot/pxelinux.cfg")).unwrap();
    let kernel: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let initrd: Vec<u8> = (0..500_000u32).map(|i| (i * 13 + i / 97) as u8).collect();
    std::fs::write(root.join("boot/vmlinuz"), &kernel).unwrap();
    std::fs::write(root.join("boot/initrd.img"), &initrd).unwrap();
    std::fs::write(
        root.join("boot/pxelinux.cfg/default"),
        "DEFAULT other\nLABEL other\n  KERNEL vmlinuz\n  APPEND wrong=1\n",
    )
    .unwrap();
    std::fs::write(
        root.join("boot/pxelinux.cfg/01-52-54-00-12-34-56"),
        "DEFAULT guest\nLABEL guest\n  KERNEL vmlinuz\n  INITRD initrd.img\n  APPEND console=hvc0 marker=dhcp-pxe\n",
    )
    .unwrap();
    net.start_dnsmasq(&[
        "--dhcp-range=10.77.0.10,10.77.0.100,255.255.255.0",
        &format!("--dhcp-host={GUEST_MAC},10.77.0.42"),
        "--dhcp-boot=boot/pxelinux.0,,10.77.0.1",
        "--enable-tftp",
        &format!("--tftp-root={}", root.display()),
    ]);
    let out = net.path("out");
    std::fs::create_dir(&out).unwrap();
    let run = Command::new("ip")
        .args([
            "netns",
            "exec",
            &net.client_ns,
            env!("CARGO_BIN_EXE_xenboot"),
        ])
        .args(["pxe", "--interface", &net.client_if, "--mac", GUEST_MAC])
        .args(["--json", "--output-directory"])
        .arg(&out)
        .env("PATH", PATH)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "xenboot pxe failed: {stdout}\n{}\ndnsmasq: {}",
        String::from_utf8_lossy(&run.stderr),
        net.dnsmasq_log()
    );
    let v: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        v["args"], "console=hvc0 marker=dhcp-pxe initrd=initrd.img",
        "{v}"
    );
    let path = |k: &str| PathBuf::from(v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}")));
    assert_eq!(std::fs::read(path("kernel")).unwrap(), kernel);
    assert_eq!(std::fs::read(path("ramdisk")).unwrap(), initrd);
    // The lease went to the guest's MAC, with its fixed address.
    let leases = std::fs::read_to_string(net.path("leases")).unwrap();
    assert!(leases.contains("52:54:00:12:34:56 10.77.0.42"), "{leases}");
}
