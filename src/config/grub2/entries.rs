//! Turning an evaluated configuration into a [`Menu`]: every menu level is walked,
//! each entry body run as if chosen (in the context GRUB would have: the variables
//! at the end of the configuration, the entry's arguments as positional
//! parameters), each submenu opened in a fresh context, and the default followed
//! down `>` paths, with GRUB's fallback when the default loads nothing.

use super::default::{self, ItemName};
use super::eval::{limit, Abort, Context, EntryRun, Flow, Interp, Item, Loaded, NO_KERNEL};
use super::{GrubDisk, GrubVolume};
use crate::limits::Limits;
use crate::menu::{Entry, Menu, Submenu};

impl Interp<'_> {
    /// Runs an item's body in a copy of `ctx` (or, for a submenu, in a fresh child
    /// context) and returns the context afterwards.
    fn run_item(
        &mut self,
        ctx: &Context,
        item: &Item,
        chosen: &str,
        default: Option<&str>,
    ) -> Flow<(Context, EntryRun)> {
        let c = if item.submenu {
            Context::child_of(ctx)
        } else {
            Context::for_entry(ctx)
        };
        let stack = self.ctxs.len();
        self.ctxs.push(c);
        self.set("chosen", chosen)?;
        self.export("chosen")?;
        match default {
            Some(d) => self.set("default", d)?,
            None => self.unset("default"),
        }
        if item.submenu {
            self.set("timeout", "0")?;
        }
        let old_scope = self.scope.replace(item.args.clone());
        let old_entry = self.entry.replace(EntryRun::default());
        let old_origin = std::mem::replace(&mut self.origin, format!("entry '{}'", item.title));
        self.active_loops = 0;
        self.active_breaks = 0;
        self.function_return = false;
        let r = self.exec_units(&item.body);
        self.origin = old_origin;
        self.scope = old_scope;
        let run = std::mem::replace(&mut self.entry, old_entry).unwrap_or_default();
        self.ctxs.truncate(stack + 1);
        let c = self.ctxs.pop().unwrap_or_default();
        match r {
            Ok(_) => Ok((c, run)),
            Err(Abort::Shown) => {
                // `configfile` inside an entry: that entry shows another menu.
                let mut run = run;
                run.loaded = Loaded::Other("the entry loads another GRUB configuration".into());
                self.shown = None;
                Ok((c, run))
            }
            Err(e) => Err(e),
        }
    }

    /// Adds the items of `ctx` (one menu level) to `menu`; returns the flattened
    /// index of the entry GRUB boots from this level, if any.
    fn build_level(
        &mut self,
        ctx: &Context,
        path: &[String],
        position: &[usize],
        chosen: Option<&str>,
        menu: &mut Menu,
        depth: u32,
    ) -> Flow<Option<usize>> {
        let default_value = ctx.vars.get("default").map(|v| v.value.to_string());
        let names: Vec<ItemName<'_>> = ctx
            .menu
            .iter()
            .map(|i| ItemName {
                title: &i.title,
                id: i.grub_id(),
            })
            .collect();
        let chosen_index = match &default_value {
            None => 0,
            Some(v) => match default::entry_number(&names, v, self.fedora) {
                Some(i) => i,
                None => {
                    if !ctx.menu.is_empty() && !v.is_empty() {
                        let where_ = if path.is_empty() {
                            String::new()
                        } else {
                            format!(" in submenu '{}'", path.join(">"))
                        };
                        self.warn(format!(
                            "default entry {v:?}{where_} matches no menu entry; GRUB boots entry 0"
                        ));
                    }
                    0
                }
            },
        };
        let rest = default_value
            .as_deref()
            .and_then(default::rest_of_path)
            .map(str::to_string);
        let mut result = None;
        for (i, item) in ctx.menu.iter().enumerate() {
            let mut pos = position.to_vec();
            pos.push(i);
            let mut id_escaped = item.grub_id().replace('>', ">>");
            if let Some(c) = chosen {
                id_escaped = format!("{c}>{id_escaped}");
            }
            let sub_default = if i == chosen_index {
                rest.as_deref()
            } else {
                None
            };
            let (sub_ctx, run) = self.run_item(ctx, item, &id_escaped, sub_default)?;
            if item.submenu {
                if depth >= self.limits.max_include_depth {
                    return Err(limit(format!(
                        "submenus nested deeper than {}",
                        self.limits.max_include_depth
                    )));
                }
                menu.submenus.push(Submenu {
                    title: item.title.clone(),
                    id: item.id.clone(),
                    position: pos.clone(),
                });
                let mut sub_path = path.to_vec();
                sub_path.push(item.title.clone());
                let d = self.build_level(
                    &sub_ctx,
                    &sub_path,
                    &pos,
                    Some(&id_escaped),
                    menu,
                    depth + 1,
                )?;
                if i == chosen_index {
                    result = d;
                }
            } else {
                if menu.entries.len() >= self.limits.max_entries {
                    return Err(limit(format!(
                        "the menu has more than {} entries",
                        self.limits.max_entries
                    )));
                }
                let entry = self.make_entry(item, run, path, pos);
                if i == chosen_index {
                    result = Some(menu.entries.len());
                }
                menu.entries.push(entry);
            }
        }
        Ok(self.fallback(ctx, menu, position, result))
    }

    /// GRUB's fallback: when the default entry returns without booting (here: it
    /// loaded no kernel — a missing file, say), GRUB runs the entries listed in
    /// `fallback` in turn (GRUB 2.06: numbers of this menu level, separated by
    /// blanks; Fedora's GRUB also accepts titles and ids).
    fn fallback(
        &mut self,
        ctx: &Context,
        menu: &Menu,
        position: &[usize],
        result: Option<usize>,
    ) -> Option<usize> {
        let failed = |i: usize| {
            menu.entries
                .get(i)
                .is_some_and(|e| e.not_bootable.as_deref() == Some(NO_KERNEL))
        };
        let r = result?;
        if !failed(r) {
            return result;
        }
        let list = ctx.vars.get("fallback")?.value.to_string();
        let names: Vec<ItemName<'_>> = ctx
            .menu
            .iter()
            .map(|i| ItemName {
                title: &i.title,
                id: i.grub_id(),
            })
            .collect();
        for word in list.split_whitespace() {
            let n = if self.fedora {
                default::entry_number(&names, word, true)
            } else {
                match super::test_cmd::strtoul(word, 0) {
                    (Some(v), _, false) => usize::try_from(v).ok(),
                    _ => None,
                }
            };
            let Some(n) = n else { break };
            let mut pos = position.to_vec();
            pos.push(n);
            if let Some(i) = menu.entries.iter().position(|e| e.position == pos) {
                if !failed(i) {
                    let title = |k: usize| menu.entries.get(k).map_or("", |e| e.title.as_str());
                    self.warn(format!(
                        "the default entry '{}' loads no kernel; GRUB falls back to '{}'",
                        title(r),
                        title(i)
                    ));
                    return Some(i);
                }
            }
        }
        result
    }

    fn make_entry(
        &mut self,
        item: &Item,
        run: EntryRun,
        path: &[String],
        pos: Vec<usize>,
    ) -> Entry {
        let mut e = Entry {
            title: item.title.clone(),
            id: item.id.clone(),
            submenu: path.to_vec(),
            position: pos,
            ..Entry::default()
        };
        let cv = self.disk.config_volume();
        let part_of = |vol: usize, vols: &[GrubVolume]| -> Option<u32> {
            if vol == cv {
                return None;
            }
            let name = &vols.get(vol)?.name;
            let digits: String = name.chars().filter(char::is_ascii_digit).collect();
            digits.parse().ok()
        };
        match run.loaded {
            Loaded::Linux { volume, path, args } => {
                e.kernel = Some(path);
                e.args = cmdline(&args);
                e.partition = part_of(volume, &self.volumes);
                for (v, p) in run.initrds {
                    if v != volume {
                        self.warn(format!(
                            "entry '{}': initrd {p} is on another partition than the kernel",
                            item.title
                        ));
                    }
                    e.initrds.push(p);
                }
            }
            Loaded::Other(reason) => e.not_bootable = Some(reason),
            Loaded::Nothing => {
                e.not_bootable = Some(NO_KERNEL.to_string());
            }
        }
        e
    }
}

/// Builds a kernel command line from words as GRUB's loaders do
/// (`grub_create_loader_cmdline`, GRUB 2.06): `\`, `'` and `"` are escaped with a
/// backslash, a word holding a space is put in double quotes, words are joined by
/// single spaces.
pub fn cmdline(words: &[String]) -> String {
    let mut out = String::new();
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let quote = w.contains(' ');
        if quote {
            out.push('"');
        }
        for c in w.chars() {
            if matches!(c, '\\' | '\'' | '"') {
                out.push('\\');
            }
            out.push(c);
        }
        if quote {
            out.push('"');
        }
    }
    out
}

/// Evaluates a `grub.cfg` into a menu (see [`super::evaluate`]).
pub(crate) fn run(
    text: &str,
    config_path: &str,
    disk: &dyn GrubDisk,
    limits: &Limits,
    warnings: &mut Vec<String>,
) -> crate::error::Result<Menu> {
    let mut it = Interp::new(disk, limits, warnings);
    let ctx = match it.predefine(config_path).and_then(|()| {
        let dev = it.device_name(disk.config_volume());
        let full = format!("({dev}){config_path}");
        it.run_config(text, &full)
    }) {
        Ok(_) => it.ctxs.pop().unwrap_or_default(),
        Err(Abort::Shown) => it.shown.take().unwrap_or_default(),
        Err(Abort::Limit(e)) => return Err(e.context(format!("evaluating {config_path}"))),
    };
    it.origin.clear();
    let mut menu = Menu::default();
    let default = match it.build_level(&ctx, &[], &[], None, &mut menu, 0) {
        Ok(d) => d,
        Err(Abort::Limit(e)) => return Err(e.context(format!("evaluating {config_path}"))),
        Err(Abort::Shown) => None,
    };
    menu.default = default.or(if menu.entries.is_empty() {
        None
    } else {
        Some(0)
    });
    menu.timeout = ctx
        .vars
        .get("timeout")
        .and_then(|v| v.value.trim().parse::<u64>().ok());
    Ok(menu)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_are_rebuilt_like_grub() {
        let w = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            cmdline(&w(&["root=/dev/xvda1", "ro"])),
            "root=/dev/xvda1 ro"
        );
        assert_eq!(
            cmdline(&w(&["a b", "c\"d", "e\\f"])),
            "\"a b\" c\\\"d e\\\\f"
        );
        assert_eq!(cmdline(&[]), "");
    }
}
