//! GRUB's environment block (`grubenv`): a file (normally 1024 bytes) that starts
//! with `# GRUB Environment Block`, then `name=value` lines (a backslash escapes the
//! next character, so values may hold `\` and newlines), padded with `#`.

/// The signature line every environment block starts with.
const SIGNATURE: &str = "# GRUB Environment Block\n";

/// Parses an environment block into `(name, value)` pairs, in file order.
/// `Err` when the signature is missing (GRUB refuses such a file).
pub fn parse(bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
    let text = super::super::decode_text(bytes);
    let Some(body) = text.strip_prefix(SIGNATURE) else {
        return Err("no `# GRUB Environment Block` signature".to_string());
    };
    let mut vars = Vec::new();
    let mut chars = body.chars();
    let mut line = String::new();
    let mut eq: Option<usize> = None;
    loop {
        let c = chars.next();
        match c {
            None | Some('\n') => {
                if let Some(at) = eq.filter(|_| !line.starts_with('#')) {
                    if let (Some(name), Some(value)) = (line.get(..at), line.get(at..)) {
                        vars.push((name.to_string(), value.to_string()));
                    }
                }
                if c.is_none() {
                    break;
                }
                line.clear();
                eq = None;
            }
            Some('\\') => {
                if let Some(n) = chars.next() {
                    line.push(n);
                }
            }
            Some('=') if eq.is_none() => eq = Some(line.len()),
            Some(c) => line.push(c),
        }
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_with_padding_and_escapes() {
        let mut block =
            b"# GRUB Environment Block\nsaved_entry=Debian>x\nnext_entry=\na\\=b=c\\\\d\n".to_vec();
        block.resize(1024, b'#');
        let vars = parse(&block).unwrap();
        assert_eq!(
            vars,
            vec![
                ("saved_entry".into(), "Debian>x".into()),
                ("next_entry".into(), String::new()),
                ("a=b".into(), "c\\d".into()),
            ]
        );
        assert!(parse(b"saved_entry=1\n").is_err());
        assert_eq!(parse(SIGNATURE.as_bytes()).unwrap(), vec![]);
    }
}
