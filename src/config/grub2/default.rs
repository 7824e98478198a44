//! Which entry GRUB boots: the value of `default` matched against one menu level,
//! as GRUB's menu code does it (`normal/menu.c`).
//!
//! GRUB 2.06 reads a number first (`grub_strtoul`: C base prefixes, trailing text
//! ignored, so `1>2` is item 1), and only when no digit starts the value compares it
//! with each item's title and id (an id defaults to the title), where a `>` ends the
//! first path component and `>>` stands for a literal `>`. Fedora/RHEL's GRUB (the one
//! with `blscfg`) tries ids first (up to the first blank), then titles, then a number
//! that must be the whole value. When the chosen item is a submenu, the part after
//! the first `>` becomes `default` inside it. A value that matches nothing — or a
//! number out of range — makes GRUB boot item 0.

use super::test_cmd::strtoul;

/// Title and id of one item of a menu level.
pub struct ItemName<'a> {
    /// The title.
    pub title: &'a str,
    /// The id (`--id`, else the title).
    pub id: &'a str,
}

/// GRUB 2.06's `menuentry_eq`: does `spec` (up to its first lone `>`) equal `id`?
fn eq_206(id: &[u8], spec: &[u8]) -> bool {
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let (mut p1, mut p2) = (0usize, 0usize);
    loop {
        let (c1, c2, c2n) = (at(id, p1), at(spec, p2), at(spec, p2 + 1));
        if c2 == b'>' && c2n != b'>' {
            return c1 == 0;
        }
        if c2 == b'>' {
            p2 += 1;
        }
        if at(id, p1) != at(spec, p2) {
            return false;
        }
        if at(id, p1) == 0 {
            return true;
        }
        p1 += 1;
        p2 += 1;
    }
}

/// Fedora's `menuentry_eq` with a length limit (`None` = -1): nonzero = match.
fn eq_fedora(id: &[u8], spec: &[u8], limit: Option<usize>) -> bool {
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let (mut p1, mut p2) = (0usize, 0usize);
    while limit.is_none_or(|l| p1 <= l) {
        let (c1, c2, c2n) = (at(id, p1), at(spec, p2), at(spec, p2 + 1));
        if c2 == b'>' && c2n != b'>' {
            return c1 == 0 && p2 != 0;
        }
        if c2 == b'>' {
            p2 += 1;
        }
        if at(id, p1) != at(spec, p2) {
            // `ptr1 - id - 1` is nonzero unless the id is one byte long.
            return limit == Some(p1) && at(id, p1) == 0 && is_space(at(spec, p2)) && p1 != 1;
        }
        if at(id, p1) == 0 {
            return p1 != 0;
        }
        p1 += 1;
        p2 += 1;
    }
    false
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// The item `value` selects among `items`, or `None` when GRUB would fall back to
/// item 0 (no match, or a number out of range).
pub fn entry_number(items: &[ItemName<'_>], value: &str, fedora: bool) -> Option<usize> {
    let n = if fedora {
        fedora_number(items, value)?
    } else {
        match strtoul(value, 0) {
            (Some(v), _, false) => i64::from(v as i32),
            (Some(_), _, true) => return None,
            (None, _, _) => {
                let spec = value.as_bytes();
                let i = items.iter().position(|it| {
                    eq_206(it.title.as_bytes(), spec) || eq_206(it.id.as_bytes(), spec)
                })?;
                i as i64
            }
        }
    };
    usize::try_from(n).ok().filter(|&i| i < items.len())
}

fn fedora_number(items: &[ItemName<'_>], value: &str) -> Option<i64> {
    let spec = value.as_bytes();
    let l = spec.iter().take_while(|&&c| c != 0 && !is_space(c)).count();
    if let Some(i) = items
        .iter()
        .position(|it| eq_fedora(it.id.as_bytes(), spec, Some(l)))
    {
        // The id matched up to `l`; anything after it makes `default` invalid.
        return if l == spec.len() {
            Some(i as i64)
        } else {
            None
        };
    }
    if let Some(i) = items
        .iter()
        .position(|it| eq_fedora(it.title.as_bytes(), spec, None))
    {
        return Some(i as i64);
    }
    match strtoul(value, 0) {
        (Some(v), used, false) if used == value.len() => Some(i64::from(v as i32)),
        _ => None,
    }
}

/// What `default` becomes inside a chosen submenu: the text after the first `>`
/// that is not part of `>>`; `None` when there is none (GRUB unsets `default`).
pub fn rest_of_path(value: &str) -> Option<&str> {
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'>' {
            if b.get(i + 1) == Some(&b'>') {
                i += 2;
                continue;
            }
            return value.get(i + 1..).filter(|r| !r.is_empty());
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items() -> Vec<(&'static str, &'static str)> {
        vec![
            ("Debian GNU/Linux", "gnulinux-simple-1234"),
            ("Advanced options for Debian", "gnulinux-advanced-1234"),
            ("3 things", "3 things"),
            ("a>b", "a>b"),
            (
                "9af7b02ac08149d985841c07c8ff366e-5.18.0",
                "9af7b02ac08149d985841c07c8ff366e-5.18.0",
            ),
        ]
    }

    fn num(v: &str, fedora: bool) -> Option<usize> {
        let owned = items();
        let it: Vec<ItemName<'_>> = owned
            .iter()
            .map(|(t, i)| ItemName { title: t, id: i })
            .collect();
        entry_number(&it, v, fedora)
    }

    #[test]
    fn upstream_rules() {
        assert_eq!(num("1", false), Some(1));
        assert_eq!(num("1>2", false), Some(1));
        assert_eq!(num("0x2", false), Some(2));
        assert_eq!(num("7", false), None);
        assert_eq!(num("-1", false), None);
        assert_eq!(num("Debian GNU/Linux", false), Some(0));
        assert_eq!(num("gnulinux-advanced-1234>gnulinux-5", false), Some(1));
        assert_eq!(num("a>>b", false), Some(3));
        assert_eq!(
            num("3 things", false),
            Some(3),
            "a leading digit is a number"
        );
        assert_eq!(
            num("9af7b02ac08149d985841c07c8ff366e-5.18.0", false),
            None,
            "9 is out of range"
        );
        assert_eq!(num("nothing", false), None);
    }

    #[test]
    fn fedora_rules() {
        assert_eq!(
            num("9af7b02ac08149d985841c07c8ff366e-5.18.0", true),
            Some(4)
        );
        assert_eq!(num("3 things", true), Some(2), "title before number");
        assert_eq!(num("gnulinux-advanced-1234>gnulinux-5", true), Some(1));
        assert_eq!(num("1", true), Some(1));
        assert_eq!(num("1>2", true), None);
        assert_eq!(num("gnulinux-simple-1234 other", true), None);
    }

    #[test]
    fn paths() {
        assert_eq!(rest_of_path("a>b>c"), Some("b>c"));
        assert_eq!(rest_of_path("a>>b>c"), Some("c"));
        assert_eq!(rest_of_path("a>>b"), None);
        assert_eq!(rest_of_path("a>"), None);
    }
}
