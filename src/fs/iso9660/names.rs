//! File identifiers: plain ISO 9660 names and Joliet (UCS-2 big-endian) names.

/// Drops a `;N` version suffix and then a trailing `.` (an empty extension).
fn strip_version(name: &str) -> &str {
    let base = match name.rsplit_once(';') {
        Some((base, ver)) if ver.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => name,
    };
    match base.strip_suffix('.') {
        Some(b) if !b.is_empty() => b,
        _ => base,
    }
}

/// A plain ISO 9660 name as Linux shows it with `map=normal`: version suffix and
/// trailing `.` removed, lower case.
pub(super) fn plain(raw: &[u8]) -> String {
    strip_version(&String::from_utf8_lossy(raw)).to_ascii_lowercase()
}

/// A Joliet name: UCS-2 big-endian (a trailing odd byte is ignored), version suffix
/// and trailing `.` removed.
pub(super) fn joliet(raw: &[u8]) -> String {
    let units = raw.chunks_exact(2).map(|c| {
        u16::from_be_bytes([
            c.first().copied().unwrap_or(0),
            c.get(1).copied().unwrap_or(0),
        ])
    });
    let name: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    strip_version(&name).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_names() {
        assert_eq!(plain(b"VMLINUZ.;1"), "vmlinuz");
        assert_eq!(plain(b"INITRD.GZ;1"), "initrd.gz");
        assert_eq!(plain(b"ISOLINUX"), "isolinux");
        assert_eq!(plain(b"A;B"), "a;b");
    }

    #[test]
    fn joliet_names() {
        let raw: Vec<u8> = "Long Name.txt;1"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(joliet(&raw), "Long Name.txt");
    }
}
