//! Choosing an entry: by flattened index, exact title, id, or a GRUB-style path.

use crate::error::{Error, ErrorKind, Result};
use crate::menu::Menu;

/// Resolves `selector` to an index into `menu.entries`. Tried in order:
/// 1. a decimal number: the flattened index (as pygrub numbers entries);
/// 2. an exact entry title;
/// 3. an entry id (GRUB 2 `--id`, syslinux or LILO label);
/// 4. a GRUB path `a>b>c` whose components are positions, titles or ids at each
///    submenu level (`>>` stands for a literal `>`).
pub fn resolve(menu: &Menu, selector: &str) -> Result<usize> {
    let n = menu.entries.len();
    if !selector.is_empty() && selector.bytes().all(|b| b.is_ascii_digit()) {
        return match selector.parse::<usize>() {
            Ok(i) if i < n => Ok(i),
            _ => Err(Error::new(
                ErrorKind::NoEntry,
                format!(
                    "entry {selector} is out of range: the menu has {n} entries (0 to {})",
                    n.saturating_sub(1)
                ),
            )),
        };
    }
    if let Some(i) = menu.entries.iter().position(|e| e.title == selector) {
        return Ok(i);
    }
    if let Some(i) = menu
        .entries
        .iter()
        .position(|e| e.id.as_deref() == Some(selector))
    {
        return Ok(i);
    }
    let parts = split_path(selector);
    if parts.len() > 1 {
        if let Some(i) = resolve_path(menu, &parts) {
            return Ok(i);
        }
    }
    let titles: Vec<String> = menu
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| format!("{i}: {}", e.title))
        .collect();
    Err(Error::new(
        ErrorKind::NoEntry,
        format!(
            "no entry matches {selector:?} (by index, title, id or path); entries are: {}",
            titles.join(", ")
        ),
    ))
}

/// Splits a GRUB menu path on `>`, where `>>` is a literal `>`.
pub fn split_path(path: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = path.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '>' {
            if chars.peek() == Some(&'>') {
                chars.next();
                if let Some(last) = parts.last_mut() {
                    last.push('>');
                }
            } else {
                parts.push(String::new());
            }
        } else if let Some(last) = parts.last_mut() {
            last.push(c);
        }
    }
    parts
}

/// Walks `parts` down the submenu tree; returns the flattened index of the entry.
fn resolve_path(menu: &Menu, parts: &[String]) -> Option<usize> {
    let mut prefix: Vec<usize> = Vec::new();
    for (depth, part) in parts.iter().enumerate() {
        let last = depth + 1 == parts.len();
        let at_level = |pos: &[usize]| pos.len() == depth + 1 && pos.starts_with(&prefix);
        let pos = if let Ok(k) = part.parse::<usize>() {
            k
        } else if last {
            let e = menu.entries.iter().find(|e| {
                at_level(&e.position) && (e.title == *part || e.id.as_deref() == Some(part))
            })?;
            *e.position.last()?
        } else {
            let s = menu.submenus.iter().find(|s| {
                at_level(&s.position) && (s.title == *part || s.id.as_deref() == Some(part))
            })?;
            *s.position.last()?
        };
        prefix.push(pos);
    }
    menu.entries.iter().position(|e| e.position == prefix)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::menu::{Entry, Submenu};

    fn menu() -> Menu {
        let e = |title: &str, id: Option<&str>, pos: Vec<usize>| Entry {
            title: title.into(),
            id: id.map(str::to_string),
            position: pos,
            kernel: Some("/vmlinuz".into()),
            ..Entry::default()
        };
        Menu {
            entries: vec![
                e("Debian", Some("gnulinux-simple"), vec![0]),
                e("Debian, 6.1", Some("gnulinux-6.1"), vec![1, 0]),
                e("Debian, 6.1 (recovery)", None, vec![1, 1]),
                e("a>b", None, vec![2]),
            ],
            submenus: vec![Submenu {
                title: "Advanced options".into(),
                id: Some("gnulinux-advanced".into()),
                position: vec![1],
            }],
            default: Some(0),
            timeout: None,
        }
    }

    #[test]
    fn by_index_title_id_and_path() {
        let m = menu();
        assert_eq!(resolve(&m, "2").unwrap(), 2);
        assert_eq!(resolve(&m, "Debian, 6.1").unwrap(), 1);
        assert_eq!(resolve(&m, "gnulinux-6.1").unwrap(), 1);
        assert_eq!(resolve(&m, "1>1").unwrap(), 2);
        assert_eq!(resolve(&m, "gnulinux-advanced>gnulinux-6.1").unwrap(), 1);
        assert_eq!(
            resolve(&m, "Advanced options>Debian, 6.1 (recovery)").unwrap(),
            2
        );
        assert_eq!(resolve(&m, "a>b").unwrap(), 3);
    }

    #[test]
    fn misses_are_no_entry_errors() {
        let m = menu();
        assert_eq!(resolve(&m, "9").unwrap_err().kind(), ErrorKind::NoEntry);
        assert_eq!(
            resolve(&m, "99999999999999999999999").unwrap_err().kind(),
            ErrorKind::NoEntry
        );
        let e = resolve(&m, "Nope").unwrap_err();
        assert!(e.to_string().contains("0: Debian"));
        assert!(resolve(&m, "1>7").is_err());
    }

    #[test]
    fn split_path_handles_literal_gt() {
        assert_eq!(
            split_path("a>>b>c"),
            vec!["a>b".to_string(), "c".to_string()]
        );
    }
}
