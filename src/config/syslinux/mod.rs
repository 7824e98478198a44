//! The syslinux family: `syslinux.cfg`, `extlinux.conf`, `isolinux.cfg` and
//! pxelinux files, read with the semantics of syslinux 6 (its `ldlinux` command-line
//! interface and the `menu.c32`/`vesamenu.c32` menu).
//!
//! What an [`Entry`](crate::menu::Entry) holds for a `LABEL`:
//!
//! * `id`: the `LABEL` text; `title`: its `MENU LABEL` with the hotkey markers `^`
//!   removed, else the label.
//! * `kernel`: the first word of the label's `KERNEL`/`LINUX` line (a label without
//!   one boots the file named like the label), resolved against the directory of the
//!   configuration file (`ctx.config_path`; for a file in `pxelinux.cfg/`, its
//!   parent), with `.`, `..` and doubled slashes normalised; absolute names (and
//!   pxelinux `::name`) are on the configuration's filesystem.
//!   Images that are not Linux kernels — `LOCALBOOT`, `BOOT`, `BSS`, `PXE`, `FDIMAGE`,
//!   `COMBOOT`, `COM32`, `CONFIG`, and `KERNEL` names ending in `.c32`, `.img`, `.bs`,
//!   `.bin`, `.bss`, `.0`, `.com`, `.cbt`, or MEMDISK — are listed with the reason in
//!   `not_bootable`. `MENU GOTO`/`EXIT`/`QUIT`/`HELP`/`DISABLE` labels are listed
//!   the same way.
//! * `args`: the argument words of the command line syslinux builds, joined by single
//!   spaces: further words of the `KERNEL` line, then the label's `APPEND` (or, when
//!   the label has none, the global `APPEND`; `APPEND -` means none), then
//!   `initrd=<value>` when the label has an `INITRD` line. The `initrd=` words stay,
//!   since syslinux hands the line to the kernel as it is. Left out: the
//!   `BOOT_IMAGE=<kernel>` that syslinux puts in front, and the `IPAPPEND`/`SYSAPPEND`
//!   strings, which exist only on the booting machine (a warning says so).
//! * `initrds`: the comma-separated list after the first `initrd=` of those words (as
//!   syslinux 6 finds it), resolved like the kernel. With both an `APPEND initrd=` and
//!   an `INITRD` line, the `APPEND` one comes first and wins (a warning says so).
//! * `submenu`/`position`: `MENU BEGIN [tag]` … `MENU END` and `INCLUDE file heading`
//!   open submenus, recorded in `Menu::submenus` (title from `MENU LABEL`/`MENU TITLE`,
//!   id = tag). Positions count the entries (hidden ones too) and submenus of each
//!   menu, not separators.
//! * `hidden`: `MENU HIDE`.
//!
//! `Menu::default` is the entry syslinux boots when nobody touches the keyboard:
//!
//! * menu interface (`UI …` anywhere, or a last `DEFAULT` naming `menu.c32` or
//!   `vesamenu.c32`): `ONTIMEOUT` when a timeout (`TIMEOUT`/`TOTALTIMEOUT`) is set;
//!   otherwise the highlighted item — with `UI`, the non-hidden label named by
//!   `DEFAULT`; else the last `MENU DEFAULT` of the opening menu (`MENU START`, else
//!   the top level); else its first item;
//! * command-line interface (otherwise): `DEFAULT` (with `PROMPT 1` and a timeout,
//!   `ONTIMEOUT` if set); without `DEFAULT`, `ONTIMEOUT` with a timeout, else none.
//!
//! A `DEFAULT`/`ONTIMEOUT` command line that is not exactly a label (a kernel and its
//! options, or a label followed by extra options) becomes an entry of its own,
//! appended at the end. Labels match by exact text; a label containing spaces also
//! matches a `DEFAULT` that repeats it whole (as pygrub and U-Boot read such files;
//! syslinux 6 compares only the first word, so it would never match them).
//! `Menu::timeout` is the timeout that boots the default, in
//! seconds rounded up (`Some(0)` when the command line boots at once, `None` when the
//! menu or prompt waits). The details and their sources are in `default.rs`.
//!
//! `INCLUDE`/`MENU INCLUDE` files are read through the context's `FileAccess`; the
//! parser state carries over as if the files were concatenated. A file that cannot
//! be read, an include of a file that is already being read (a cycle, including
//! `INCLUDE ~` in the main file) and includes nested deeper than
//! `Limits::max_include_depth` are skipped with a warning — syslinux also ignores
//! includes it cannot open and carries on. `MENU BEGIN` nesting is bounded by the
//! same limit (an error), lines (with includes) by `Limits::max_script_steps`, entries
//! plus submenus by `Limits::max_entries`. Unknown keywords are warned about; display
//! and console directives are accepted silently.

mod command;
mod default;
mod lexer;
mod parser;
mod paths;

use crate::config::ParseContext;
use crate::error::Result;
use crate::menu::Menu;

/// Parses a syslinux/extlinux/isolinux/pxelinux configuration into a menu.
pub fn parse(text: &str, ctx: &mut ParseContext<'_>) -> Result<Menu> {
    let dir = paths::base_directory(ctx.config_path);
    let main = paths::normalize(ctx.config_path);
    let mut p = parser::Parser::new(ctx, dir);
    p.parse_text(&main, text)?;
    p.record()?;
    p.fill_titles();
    let outcome = p.resolve_default()?;
    p.flush_warnings();
    let mut menu = std::mem::take(&mut p.menu);
    menu.default = outcome.default;
    menu.timeout = outcome.timeout;
    Ok(menu)
}

#[cfg(test)]
mod tests;
