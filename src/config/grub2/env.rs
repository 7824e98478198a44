//! GRUB's environment block (`grubenv`): a file that starts with
//! `# GRUB Environment Block\n`, holds `name=value` lines (a backslash quotes the next
//! byte) and is padded with `#` to 1024 bytes. Only ever read: `save_env` is a no-op.

/// The signature every environment block starts with.
pub const SIGNATURE: &str = "# GRUB Environment Block\n";

/// Parses an environment block as GRUB 2.06's `grub_envblk_iterate` does: lines
/// starting with `#` are skipped, a line without `=` or without its final newline
/// ends the parse. Returns `None` when the signature is missing (GRUB's "invalid
/// environment block").
pub fn parse(bytes: &[u8]) -> Option<Vec<(String, String)>> {
    let body = bytes.strip_prefix(SIGNATURE.as_bytes())?;
    let mut vars = Vec::new();
    let mut p = 0usize;
    let end = body.len();
    while p < end {
        if body.get(p) != Some(&b'#') {
            let name_start = p;
            while p < end && body.get(p) != Some(&b'=') {
                p += 1;
            }
            if p >= end {
                break;
            }
            let name_end = p;
            p += 1;
            let mut value = Vec::new();
            let mut complete = false;
            while p < end {
                match body.get(p) {
                    Some(b'\n') => {
                        complete = true;
                        break;
                    }
                    Some(b'\\') => {
                        if let Some(&c) = body.get(p + 1) {
                            value.push(c);
                        }
                        p += 2;
                    }
                    Some(&c) => {
                        value.push(c);
                        p += 1;
                    }
                    None => break,
                }
            }
            if !complete {
                break;
            }
            let name = body.get(name_start..name_end).unwrap_or_default();
            vars.push((
                super::super::decode_text(name),
                super::super::decode_text(&value),
            ));
        }
        // Next line.
        while p < end && body.get(p) != Some(&b'\n') {
            p += 1;
        }
        p += 1;
    }
    Some(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(lines: &str) -> Vec<u8> {
        let mut b = format!("{SIGNATURE}{lines}").into_bytes();
        b.resize(1024, b'#');
        b
    }

    #[test]
    fn reads_variables_and_escapes() {
        let vars = parse(&block(
            "saved_entry=gnulinux-advanced>gnulinux-6.1\nkernelopts=root=/dev/xvda1 ro a\\\\b\n",
        ))
        .unwrap();
        assert_eq!(
            vars,
            vec![
                (
                    "saved_entry".to_string(),
                    "gnulinux-advanced>gnulinux-6.1".to_string()
                ),
                (
                    "kernelopts".to_string(),
                    "root=/dev/xvda1 ro a\\b".to_string()
                ),
            ]
        );
    }

    #[test]
    fn rejects_bad_blocks_and_stops_at_broken_lines() {
        assert!(parse(b"saved_entry=1\n").is_none());
        let vars = parse(format!("{SIGNATURE}a=1\nbroken").as_bytes()).unwrap();
        assert_eq!(vars, vec![("a".to_string(), "1".to_string())]);
        let vars = parse(format!("{SIGNATURE}a=1\nb=2").as_bytes()).unwrap();
        assert_eq!(vars.len(), 1);
    }

    #[test]
    fn corpus_grubenv_files_parse() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../shared/corpus/grubby/grub2-support_files"
        );
        let mut n = 0;
        for i in 0..5 {
            let Ok(b) = std::fs::read(format!("{dir}/grubenv.{i}")) else {
                continue;
            };
            let vars = parse(&b).unwrap();
            assert_eq!(
                vars.iter().any(|(k, _)| k == "saved_entry"),
                i > 0,
                "grubenv.{i}"
            );
            n += 1;
        }
        assert!(n == 5, "corpus grubenv files missing");
    }
}
