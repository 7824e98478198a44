//! GRUB 2 `grub.cfg` — a first cut: a tokenizer with GRUB's quoting ([`lexer`]), a
//! parser of its block structure ([`parser`]) and a small evaluator ([`eval`]) that
//! runs the script far enough to build the menu the way GRUB would.
//!
//! Menu entries are flattened in document order; each keeps its submenu path and
//! its position as GRUB numbers it (a submenu is one item of its menu). The default
//! is the final value of `default`, resolved as GRUB does: a number is a position
//! among the top-level items, a title or an `--id` matches an item, and `a>b` walks
//! into submenus (`>>` is a literal `>`); an empty or unset `default` is item 0; a
//! default that names a submenu boots the submenu's first entry; anything unusable
//! falls back to entry 0 with a warning.
//!
//! # The grubenv heuristic
//!
//! Generated configurations read the saved default with
//! `if [ -s $prefix/grubenv ]; then load_env; fi` followed by
//! `set default="${saved_entry}"` or `if [ "${next_entry}" ]; then
//! set default="${next_entry}" …`. Rather than treating every file test as false,
//! this parser answers `-e`/`-f`/`-s` from the guest filesystem (with `$prefix` set to
//! the configuration's directory) and runs `load_env` for real (read only), so
//! `saved_entry`/`next_entry` come from the `grubenv` block beside `grub.cfg` exactly
//! when GRUB would load it. `save_env` never writes, so a `next_entry` is honoured on
//! every parse, as on the boot that consumes it. `-d` is always false.
//!
//! # What this first cut does not do
//!
//! `configfile`, `blscfg` (BLS entries), `eval`, regular expressions, wildcards,
//! `search --set` (the variable keeps its value), `-d` and `-nt`/`-ot` tests,
//! hotkeys and passwords are not followed; entry bodies run when the entry is
//! defined, with every variable set so far (GRUB runs them at boot time with the
//! exported ones only).

pub mod eval;
pub mod grubenv;
pub mod lexer;
pub mod parser;

use super::ParseContext;
use crate::error::Result;
use crate::menu::Menu;
use crate::select::split_path;

/// Parses a GRUB 2 configuration into a menu.
pub fn parse(text: &str, ctx: &mut ParseContext<'_>) -> Result<Menu> {
    let (mut menu, default, timeout) = {
        let mut interp = eval::Interp::new(ctx);
        interp.run(text)?;
        interp.finish()
    };
    menu.timeout = timeout.and_then(|t| t.trim().parse::<u64>().ok());
    menu.default = resolve_default(&menu, default.as_deref().unwrap_or(""), ctx.warnings);
    Ok(menu)
}

/// Resolves GRUB's `default` against the menu (see the module documentation).
pub fn resolve_default(menu: &Menu, spec: &str, warnings: &mut Vec<String>) -> Option<usize> {
    if menu.entries.is_empty() {
        return None;
    }
    let found = if spec.is_empty() {
        walk(menu, &["0".to_string()])
    } else {
        walk(menu, &split_path(spec))
    };
    if found.is_none() {
        warnings.push(format!(
            "grub2: default {spec:?} matches no menu entry, using entry 0"
        ));
    }
    Some(found.unwrap_or(0))
}

/// Follows a default path level by level; the flattened index of the entry.
fn walk(menu: &Menu, parts: &[String]) -> Option<usize> {
    let mut prefix: Vec<usize> = Vec::new();
    for part in parts {
        let at_level = |pos: &[usize]| pos.len() == prefix.len() + 1 && pos.starts_with(&prefix);
        let pos = match grub_number(part) {
            Some(n) => n,
            None => {
                let entries = menu.entries.iter().filter(|e| {
                    at_level(&e.position) && (e.title == *part || e.id.as_deref() == Some(part))
                });
                let subs = menu.submenus.iter().filter(|s| {
                    at_level(&s.position) && (s.title == *part || s.id.as_deref() == Some(part))
                });
                entries
                    .map(|e| &e.position)
                    .chain(subs.map(|s| &s.position))
                    .filter_map(|p| p.last().copied())
                    .min()?
            }
        };
        prefix.push(pos);
        if let Some(i) = menu.entries.iter().position(|e| e.position == prefix) {
            return Some(i); // an entry: the rest of the path is not used
        }
    }
    // A submenu: GRUB opens it on its first item.
    menu.entries
        .iter()
        .position(|e| e.position.starts_with(&prefix) && e.position.len() > prefix.len())
}

/// A number as GRUB's `grub_strtoul(…, 0)` reads a whole default: decimal, `0x` hex
/// or leading-`0` octal; `None` when the text is not entirely a number.
fn grub_number(s: &str) -> Option<usize> {
    if s.is_empty() {
        return None;
    }
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return usize::from_str_radix(hex, 16).ok();
    }
    if s.len() > 1 && s.starts_with('0') {
        return usize::from_str_radix(s.get(1..)?, 8).ok();
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok();
    }
    None
}

#[cfg(test)]
mod tests;
