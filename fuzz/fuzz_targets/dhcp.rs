//! Fuzzes the DHCP reply parser, which reads datagrams from the network on behalf of
//! a guest: any input must end in a reply or a clear error, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use xenboot::net::dhcp::parse_reply;

fuzz_target!(|data: &[u8]| {
    if let Ok(reply) = parse_reply(data) {
        let _ = reply.is_for(reply.xid, &[0x52, 0x54, 0, 0x12, 0x34, 0x56]);
        let _ = reply.boot_file();
        let _ = reply.tftp_server_name();
    }
});
