//! Fuzzes the TFTP packet decoder and the OACK option checks (what a TFTP server,
//! or anyone on the network, can send the client).
#![no_main]
use libfuzzer_sys::fuzz_target;
use xenboot::net::tftp::{client, parse_options, parse_packet, Packet};

fuzz_target!(|data: &[u8]| {
    match parse_packet(data) {
        Ok(Packet::Data { data: payload, .. }) => {
            assert_eq!(payload.len() + 4, data.len());
        }
        Ok(Packet::Oack { options }) => {
            assert!(options.len() <= xenboot::net::tftp::packet::MAX_OPTIONS);
            if let Ok((blksize, _)) = client::negotiated(&options) {
                assert!((8..=client::BLKSIZE).contains(&blksize));
            }
        }
        _ => {}
    }
    if let Ok(options) = parse_options(data) {
        let _ = client::negotiated(&options);
    }
});
