//! Which entry syslinux boots when nobody touches the keyboard, and after how long.
//!
//! The rules come from syslinux 6 (`com32/elflink/ldlinux` for the command-line
//! interface, `com32/menu` for `menu.c32`/`vesamenu.c32`):
//!
//! * **Menu interface** — a `UI` directive (whatever its position; it overrides
//!   `DEFAULT` and `PROMPT`), or, old style, a last `DEFAULT` that names
//!   `menu.c32`/`vesamenu.c32`. The menu opens on the `MENU START` menu (else the top
//!   level) with its default item highlighted: the label carrying `MENU DEFAULT`
//!   (the last one in that menu), else the first item. Only with `UI`, a `DEFAULT`
//!   naming a label that is not hidden overrides that: the menu opens on the label's
//!   own (sub)menu with it highlighted. When the menu's timeout runs out
//!   (`TIMEOUT`, or `TOTALTIMEOUT`, whichever is set and shorter), `ONTIMEOUT` runs
//!   if the menu has one, else the highlighted item. Without any timeout the menu
//!   waits, and Enter boots the highlighted item: that is the default then.
//!   A highlighted submenu (or `MENU GOTO`) is followed into that menu's default —
//!   what Enter would do (syslinux's own timeout would leave the menu instead).
//!   A highlighted separator gives way to the next selectable item.
//! * **Command-line interface** — otherwise. With `PROMPT 0` (the default) syslinux
//!   runs the `DEFAULT` command line at once. With `PROMPT 1` it waits at `boot:`
//!   and, when a timeout is set and runs out, runs `ONTIMEOUT` (if any) instead of
//!   `DEFAULT`. With no `DEFAULT` at all it stops at `boot:`; only an `ONTIMEOUT`
//!   with a timeout boots then.
//!
//! A command line (`DEFAULT`, `ONTIMEOUT`) whose first word is a label runs that
//! label, with any further words appended to its arguments; such a combination, and
//! a command line naming no label (a kernel and its options, allowed unless
//! `IMPLICIT 0`), becomes an entry of its own at the end of the top-level menu.
//! Labels are matched by exact, case-sensitive text; a label containing spaces is
//! also matched by the whole command line (pygrub and U-Boot do this; syslinux 6
//! itself compares only the first word, so such labels never match there).

use super::command::Command;
use super::lexer::{first_word, skip_space, trim_end, words};
use super::parser::{quote, Item, Kind, Parser};
use crate::error::Result;
use crate::menu::Entry;

/// The default entry and timeout, as [`Parser::resolve_default`] decides them.
pub struct Outcome {
    /// Index into the entries.
    pub default: Option<usize>,
    /// Timeout in seconds, rounded up.
    pub timeout: Option<u64>,
}

/// Menu modules that read the same configuration and show its labels.
fn is_menu_module(cmdline: &str) -> bool {
    let (image, _) = first_word(cmdline);
    let base = image
        .rsplit('/')
        .next()
        .unwrap_or(image)
        .to_ascii_lowercase();
    let base = base.strip_suffix(".c32").unwrap_or(&base);
    base == "menu" || base == "vesamenu"
}

/// Tenths of a second to whole seconds, rounded up.
fn seconds(tenths: i64) -> u64 {
    u64::try_from(tenths).map_or(0, |t| t.div_ceil(10))
}

impl Parser<'_, '_> {
    /// The first timeout that fires: the smaller of `timeout` and `TOTALTIMEOUT`
    /// among those that are set (positive), in tenths of a second.
    fn auto_timeout(&self, timeout: i64) -> Option<i64> {
        [timeout, self.total_timeout]
            .into_iter()
            .filter(|&t| t > 0)
            .min()
    }

    /// Finds the label a command line starts with: the whole text, else its first
    /// word. Returns the entry index and the remaining words.
    fn find_label<'c>(&self, cmdline: &'c str) -> Option<(usize, &'c str)> {
        let text = trim_end(skip_space(cmdline));
        if let Some(i) = self
            .infos
            .iter()
            .position(|x| x.findable() && x.label == text)
        {
            return Some((i, ""));
        }
        let (word, rest) = first_word(text);
        self.infos
            .iter()
            .position(|x| x.findable() && x.label == word)
            .map(|i| (i, rest))
    }

    /// The entry a command line boots, adding one when no label describes it.
    fn command_entry(&mut self, cmdline: &str) -> Result<Option<usize>> {
        let text = trim_end(skip_space(cmdline)).to_string();
        if text.is_empty() {
            return Ok(None);
        }
        if let Some((i, rest)) = self.find_label(&text) {
            let extra: Vec<String> = words(rest).map(str::to_string).collect();
            let Some(Kind::Cmd(c)) = self.infos.get(i).map(|x| &x.kind) else {
                return Ok(Some(i));
            };
            if extra.is_empty() {
                return Ok(Some(i));
            }
            let mut c = c.clone();
            c.args.extend(extra);
            let entry = self.entry_for(&Kind::Cmd(c), text, None);
            return self.push_synthetic(entry).map(Some);
        }
        let entry = if self.implicit {
            let mut c = Command::implicit(&text);
            if !self.allow_options {
                c.args.clear();
            }
            self.entry_for(&Kind::Cmd(c), text, None)
        } else {
            Entry {
                not_bootable: Some(format!(
                    "IMPLICIT 0: {} names no label, and only labels may be booted",
                    quote(&text)
                )),
                title: text,
                ..Entry::default()
            }
        };
        self.push_synthetic(entry).map(Some)
    }

    /// Follows the highlighted item of menu `frame` to an entry.
    fn menu_entry(&mut self, mut frame: usize) -> Option<usize> {
        for _ in 0..=self.frames.len() {
            let f = self.frames.get(frame)?;
            let Some(item) = f
                .items
                .iter()
                .skip(f.defentry)
                .find(|i| **i != Item::Separator)
                .copied()
            else {
                self.warn("the menu that opens first has nothing to select");
                return None;
            };
            match item {
                Item::Submenu(s) => frame = s,
                Item::Entry(e) => match self.infos.get(e).map(|x| &x.kind) {
                    Some(Kind::Goto(tag)) => {
                        let tag = tag.clone();
                        match self
                            .frames
                            .iter()
                            .position(|m| m.parent.is_some() && m.tag == tag)
                        {
                            Some(m) => frame = m,
                            None => return Some(e),
                        }
                    }
                    _ => return Some(e),
                },
                Item::Separator => return None,
            }
        }
        None
    }

    /// Decides the default entry and the timeout (see the module documentation).
    pub fn resolve_default(&mut self) -> Result<Outcome> {
        let has_ui = self.ui.is_some();
        let menu_mode = has_ui || self.default.as_deref().is_some_and(is_menu_module);
        if menu_mode {
            let mut frame = self.start;
            if has_ui {
                if let Some(d) = self.default.clone() {
                    let found = self.find_label(&d).and_then(|(i, _)| self.infos.get(i));
                    if let Some((f, item)) = found.and_then(|x| x.item.map(|it| (x.frame, it))) {
                        frame = f;
                        if let Some(m) = self.frames.get_mut(f) {
                            m.defentry = item;
                        }
                    }
                }
            }
            let (timeout, ontimeout) = self
                .frames
                .get(frame)
                .map_or((0, None), |f| (f.timeout, f.ontimeout.clone()));
            let fires = self.auto_timeout(timeout);
            let default = match (fires, ontimeout) {
                (Some(_), Some(cmd)) => self.command_entry(&cmd)?,
                _ => self.menu_entry(frame),
            };
            return Ok(Outcome {
                default,
                timeout: fires.map(seconds),
            });
        }
        let fires = self.auto_timeout(self.timeout);
        let cmd = match (&self.default, &self.ontimeout, fires) {
            (_, Some(ot), Some(_)) if self.prompt => Some(ot.clone()),
            (Some(d), _, _) => Some(d.clone()),
            (None, Some(ot), Some(_)) => Some(ot.clone()),
            _ => None,
        };
        let Some(cmd) = cmd else {
            if !self.menu.entries.is_empty() {
                self.warn(
                    "no DEFAULT or UI: syslinux would stop at its boot: prompt without \
                     booting anything",
                );
            }
            return Ok(Outcome {
                default: None,
                timeout: fires.map(seconds),
            });
        };
        let timeout = if !self.prompt && self.default.is_some() {
            Some(0)
        } else {
            fires.map(seconds)
        };
        Ok(Outcome {
            default: self.command_entry(&cmd)?,
            timeout,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn menu_modules_and_rounding() {
        assert!(is_menu_module("vesamenu.c32"));
        assert!(is_menu_module("/isolinux/MENU.C32 x"));
        assert!(is_menu_module("menu"));
        assert!(!is_menu_module("chain.c32"));
        assert!(!is_menu_module("linux"));
        assert_eq!(seconds(50), 5);
        assert_eq!(seconds(51), 6);
        assert_eq!(seconds(1), 1);
        assert_eq!(seconds(-3), 0);
    }
}
