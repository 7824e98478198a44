//! Line-level lexing of syslinux configuration text, following the rules of
//! syslinux 6's `readconfig.c`: lines are read in chunks of at most
//! [`MAX_LINE`]` - 1` bytes, a line ends at its first CR or NUL, keywords are
//! case-insensitive and must be followed by white space or the end of the line, and
//! every byte up to and including the space character counts as white space.

/// syslinux reads lines with `fgets` into a buffer of this size; longer lines are
/// split into several lines of at most `MAX_LINE - 1` bytes.
pub const MAX_LINE: usize = 4096;

/// syslinux's `my_isspace`: every byte up to and including the space character.
pub fn is_space(c: char) -> bool {
    c <= ' '
}

/// Skips leading white space (syslinux `skipspace`).
pub fn skip_space(s: &str) -> &str {
    s.trim_start_matches(is_space)
}

/// Removes trailing white space.
pub fn trim_end(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// If `s` starts with the keyword `kw` (ASCII case-insensitive) followed by white
/// space or the end of the text, returns the text after the keyword.
pub fn looking_at<'s>(s: &'s str, kw: &str) -> Option<&'s str> {
    let head = s.get(..kw.len())?;
    if !head.eq_ignore_ascii_case(kw) {
        return None;
    }
    let rest = s.get(kw.len()..)?;
    match rest.chars().next() {
        None => Some(rest),
        Some(c) if is_space(c) => Some(rest),
        Some(_) => None,
    }
}

/// Like [`looking_at`] for the first of several keywords that matches.
pub fn looking_at_any<'s>(s: &'s str, kws: &[&str]) -> Option<&'s str> {
    kws.iter().find_map(|kw| looking_at(s, kw))
}

/// Splits off the first word: returns (word, rest after the word, not trimmed).
pub fn first_word(s: &str) -> (&str, &str) {
    let s = skip_space(s);
    match s.find(is_space) {
        Some(i) => (s.get(..i).unwrap_or(s), s.get(i..).unwrap_or("")),
        None => (s, ""),
    }
}

/// The white-space separated words of `s`.
pub fn words(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_space).filter(|w| !w.is_empty())
}

/// C `atoi`: optional white space and sign, then decimal digits up to the first
/// non-digit; saturates instead of overflowing. Text without digits is 0.
pub fn atoi(s: &str) -> i64 {
    let s = skip_space(s);
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..).unwrap_or("")),
        Some(b'+') => (false, s.get(1..).unwrap_or("")),
        _ => (false, s),
    };
    let mut n: i64 = 0;
    for b in digits.bytes().take_while(u8::is_ascii_digit) {
        n = n.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    if neg {
        -n
    } else {
        n
    }
}

/// Removes the hotkey markers `^` from a menu label, as the menu displays it.
pub fn strip_caret(s: &str) -> String {
    s.chars().filter(|&c| c != '^').collect()
}

/// Splits configuration text into the lines syslinux sees: physical lines cut into
/// chunks of at most `MAX_LINE - 1` bytes (on character boundaries), each chunk
/// ending at its first CR or NUL.
pub fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').flat_map(chunks).map(|chunk| {
        let end = chunk.find(['\r', '\0']).unwrap_or(chunk.len());
        chunk.get(..end).unwrap_or("")
    })
}

/// Cuts one physical line into chunks of at most `MAX_LINE - 1` bytes.
fn chunks(line: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(line);
    std::iter::from_fn(move || {
        let s = rest?;
        if s.len() < MAX_LINE {
            rest = None;
            return Some(s);
        }
        let mut cut = MAX_LINE - 1;
        while cut > 0 && !s.is_char_boundary(cut) {
            cut -= 1;
        }
        if cut == 0 {
            // Unreachable for UTF-8 (a character is at most 4 bytes); stay total.
            rest = None;
            return Some(s);
        }
        let (head, tail) = s.split_at(cut);
        rest = Some(tail);
        Some(head)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_need_a_word_boundary_and_ignore_case() {
        assert_eq!(looking_at("KERNEL vmlinuz", "kernel"), Some(" vmlinuz"));
        assert_eq!(looking_at("kernel", "kernel"), Some(""));
        assert_eq!(looking_at("kernel\tx", "kernel"), Some("\tx"));
        assert_eq!(looking_at("kernels x", "kernel"), None);
        assert_eq!(looking_at("ker", "kernel"), None);
        assert_eq!(looking_at("ké", "kernel"), None);
        assert_eq!(
            looking_at_any("SysAppend 1", &["ipappend", "sysappend"]),
            Some(" 1")
        );
    }

    #[test]
    fn atoi_is_like_c() {
        assert_eq!(atoi(" 50"), 50);
        assert_eq!(atoi("-7x"), -7);
        assert_eq!(atoi("0xffff"), 0);
        assert_eq!(atoi("junk"), 0);
        assert_eq!(atoi("99999999999999999999999"), i64::MAX);
    }

    #[test]
    fn lines_end_at_cr_or_nul_and_long_lines_split() {
        let v: Vec<&str> = lines("a\r\nb\0c\nd").collect();
        assert_eq!(v, vec!["a", "b", "d"]);
        let long = "x".repeat(MAX_LINE * 2 + 5);
        let v: Vec<&str> = lines(&long).collect();
        assert_eq!(v.len(), 3);
        assert_eq!(v[0].len(), MAX_LINE - 1);
        let multi = "é".repeat(MAX_LINE);
        assert!(lines(&multi).all(|l| l.len() < MAX_LINE));
    }

    #[test]
    fn words_and_carets() {
        assert_eq!(first_word("  a b  c"), ("a", " b  c"));
        assert_eq!(words(" a\t b ").collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(strip_caret("^Install ^x"), "Install x");
    }
}
