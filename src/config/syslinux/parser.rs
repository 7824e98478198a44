//! The line-by-line reader: keeps syslinux's parser state (the pending `LABEL`, the
//! global `APPEND`, the current menu) across the main file and its `INCLUDE`s, exactly
//! as if the files had been concatenated, and records entries and submenus.

use super::command::{Command, KernelType, KERNEL_KEYWORDS};
use super::lexer::{
    atoi, first_word, lines, looking_at, looking_at_any, skip_space, strip_caret, trim_end,
};
use super::paths::{normalize, resolve};
use crate::config::{decode_text, ParseContext};
use crate::error::{Error, Result};
use crate::menu::{Entry, Menu, Submenu};

/// Most warnings kept for one configuration; the rest are counted, not stored, so a
/// hostile file cannot grow the warning list without bound.
const MAX_WARNINGS: usize = 100;

/// Longest piece of configuration text quoted in a warning, in characters.
const MAX_QUOTE: usize = 80;

/// Top-level keywords syslinux accepts that change nothing a Xen boot needs
/// (display, keyboard, console and prompt behaviour).
const SILENT: &[&str] = &[
    "display",
    "font",
    "kbdmap",
    "console",
    "serial",
    "noescape",
    "nocomplete",
    "nohalt",
    "onerror",
    "say",
    "path",
    "sendcookies",
];

/// `MENU` sub-directives that only change how the menu looks or behaves
/// interactively.
const MENU_SILENT: &[&str] = &[
    "indent",
    "passwd",
    "master",
    "background",
    "color",
    "colour",
    "msgcolor",
    "msgcolour",
    "hidden",
    "hiddenkey",
    "clear",
    "shiftkey",
    "nosave",
    "immediate",
    "noimmediate",
    "onerror",
    "resolution",
    "autoboot",
    "tabmsg",
    "notabmsg",
    "passprompt",
    "width",
    "margin",
    "passwordmargin",
    "rows",
    "tabmsgrow",
    "cmdlinerow",
    "endrow",
    "passwordrow",
    "timeoutrow",
    "helpmsgrow",
    "helpmsgendrow",
    "hshift",
    "vshift",
    "hiddenrow",
];

/// What selecting a label does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Runs a command line.
    Cmd(Command),
    /// `MENU GOTO tag`: opens the submenu with that tag.
    Goto(String),
    /// `MENU EXIT [tag]`: leaves the submenu.
    Exit,
    /// `MENU QUIT`: leaves the menu system.
    Quit,
    /// `MENU HELP`: shows a help file.
    Help,
    /// `MENU DISABLE`: shown but not selectable, and not found by its label.
    Disabled,
}

/// What the parser keeps about each recorded entry besides the [`Entry`] itself.
#[derive(Clone, Debug)]
pub struct Info {
    /// The `LABEL` text.
    pub label: String,
    /// What selecting it does.
    pub kind: Kind,
    /// The menu (index into `frames`) the label was declared in.
    pub frame: usize,
    /// Its index among that menu's items; `None` for hidden labels (which syslinux
    /// keeps out of every menu).
    pub item: Option<usize>,
}

impl Info {
    /// True when syslinux can find the entry by its label.
    pub fn findable(&self) -> bool {
        self.kind != Kind::Disabled
    }
}

/// One item of a syslinux menu, numbered as syslinux numbers `defentry`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    /// A label (index into the entries).
    Entry(usize),
    /// A submenu (index into `frames`).
    Submenu(usize),
    /// `MENU SEPARATOR`.
    Separator,
}

/// One syslinux menu: the top level or a `MENU BEGIN` / `INCLUDE … heading` block.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The enclosing menu.
    pub parent: Option<usize>,
    /// Index into `Menu::submenus` (`None` for the top level).
    pub submenu: Option<usize>,
    /// The `MENU BEGIN` tag (what `MENU GOTO` names).
    pub tag: String,
    /// The text shown for the submenu in its parent (tag, `MENU LABEL` or
    /// `MENU TITLE`).
    pub display: String,
    /// True while `display` is still the tag.
    display_is_tag: bool,
    /// `MENU TITLE`.
    title: String,
    /// The items, in order.
    pub items: Vec<Item>,
    /// The item selected when the menu opens (`MENU DEFAULT`).
    pub defentry: usize,
    /// `TIMEOUT` in tenths of a second, inherited from the parent at `MENU BEGIN`.
    pub timeout: i64,
    /// `ONTIMEOUT`, inherited from the parent at `MENU BEGIN`.
    pub ontimeout: Option<String>,
    /// The menu's position, as `Entry::position`.
    position: Vec<usize>,
    /// The next position number inside this menu.
    next_pos: usize,
    /// Its index among the parent's items.
    pub item_in_parent: usize,
}

impl Frame {
    fn top() -> Frame {
        Frame {
            parent: None,
            submenu: None,
            tag: String::new(),
            display: String::new(),
            display_is_tag: true,
            title: String::new(),
            items: Vec::new(),
            defentry: 0,
            timeout: 0,
            ontimeout: None,
            position: Vec::new(),
            next_pos: 0,
            item_in_parent: 0,
        }
    }
}

/// The label being read (syslinux's `struct labeldata`).
#[derive(Clone, Debug)]
struct Pending {
    name: String,
    image: String,
    ktype: KernelType,
    append: Option<String>,
    initrd: Option<String>,
    menu_label: Option<String>,
    action: Action,
    menu_default: bool,
    hide: bool,
    disabled: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Action {
    Cmd,
    Goto(String),
    Exit,
    Quit,
    Help,
}

/// The parser state, shared by the main file and every included file.
pub struct Parser<'p, 'a> {
    pub ctx: &'p mut ParseContext<'a>,
    /// Directory relative names are resolved against.
    pub dir: String,
    pub menu: Menu,
    pub infos: Vec<Info>,
    pub frames: Vec<Frame>,
    cur: usize,
    /// `MENU START`: the menu shown first.
    pub start: usize,
    pending: Option<Pending>,
    global_append: Option<String>,
    /// The last `DEFAULT` command line.
    pub default: Option<String>,
    /// The last `UI` module command line.
    pub ui: Option<String>,
    /// The last `ONTIMEOUT` (the command-line interface has one, global).
    pub ontimeout: Option<String>,
    /// The last `TIMEOUT`, in tenths of a second.
    pub timeout: i64,
    /// `TOTALTIMEOUT`, in tenths of a second.
    pub total_timeout: i64,
    /// `PROMPT` is non-zero.
    pub prompt: bool,
    /// `IMPLICIT` is non-zero (the default).
    pub implicit: bool,
    /// `ALLOWOPTIONS` is non-zero (the default).
    pub allow_options: bool,
    steps: u64,
    stack: Vec<String>,
    file: String,
    line: usize,
    warned_sysappend: bool,
    warned_save: bool,
    warnings: usize,
}

impl<'p, 'a> Parser<'p, 'a> {
    /// A parser for the configuration `ctx.config_path`.
    pub fn new(ctx: &'p mut ParseContext<'a>, dir: String) -> Self {
        let main = normalize(ctx.config_path);
        Parser {
            ctx,
            dir,
            menu: Menu::default(),
            infos: Vec::new(),
            frames: vec![Frame::top()],
            cur: 0,
            start: 0,
            pending: None,
            global_append: None,
            default: None,
            ui: None,
            ontimeout: None,
            timeout: 0,
            total_timeout: 0,
            prompt: false,
            implicit: true,
            allow_options: true,
            steps: 0,
            stack: vec![main.clone()],
            file: main,
            line: 0,
            warned_sysappend: false,
            warned_save: false,
            warnings: 0,
        }
    }

    /// Pushes a warning naming the file and line, up to [`MAX_WARNINGS`].
    pub fn warn(&mut self, msg: impl AsRef<str>) {
        self.warnings = self.warnings.saturating_add(1);
        if self.warnings <= MAX_WARNINGS {
            let at = if self.line > 0 {
                format!("{}:{}", self.file, self.line)
            } else {
                self.file.clone()
            };
            self.ctx.warnings.push(format!("{at}: {}", msg.as_ref()));
        }
    }

    /// Adds a final note when warnings were dropped.
    pub fn flush_warnings(&mut self) {
        if self.warnings > MAX_WARNINGS {
            let more = self.warnings - MAX_WARNINGS;
            self.ctx.warnings.push(format!(
                "{}: {more} more warnings not shown",
                self.stack_root()
            ));
        }
    }

    fn stack_root(&self) -> String {
        self.stack.first().cloned().unwrap_or_default()
    }

    /// Reads every line of `text` (the file `path`).
    pub fn parse_text(&mut self, path: &str, text: &str) -> Result<()> {
        let saved = (
            std::mem::replace(&mut self.file, path.to_string()),
            self.line,
        );
        let mut in_text = false;
        for (n, line) in lines(text).enumerate() {
            self.steps = self.steps.saturating_add(1);
            if self.steps > self.ctx.limits.max_script_steps {
                return Err(Error::limit(format!(
                    "{path}:{}: more than {} configuration lines (with includes)",
                    n.saturating_add(1),
                    self.ctx.limits.max_script_steps
                )));
            }
            self.line = n.saturating_add(1);
            let p = skip_space(line);
            if in_text {
                in_text = looking_at(p, "endtext").is_none();
                continue;
            }
            in_text = self.directive(p)?;
        }
        self.file = saved.0;
        self.line = saved.1;
        Ok(())
    }

    /// Handles one line; returns true when a `TEXT` block starts.
    fn directive(&mut self, p: &str) -> Result<bool> {
        if p.is_empty() || p.starts_with('#') {
            return Ok(false);
        }
        if let Some(r) = looking_at(p, "menu") {
            self.menu_directive(skip_space(r))?;
            return Ok(false);
        }
        if looking_at(p, "text").is_some() {
            return Ok(true);
        }
        if is_fkey(p) {
            return Ok(false);
        }
        let arg = |r: &str| trim_end(skip_space(r)).to_string();
        if let Some(r) = looking_at(p, "include") {
            self.include(r)?;
        } else if let Some(r) = looking_at(p, "append") {
            match &mut self.pending {
                Some(l) => l.append = Some(arg(r)),
                None => self.global_append = Some(arg(r)),
            }
        } else if let Some(r) = looking_at(p, "initrd") {
            match &mut self.pending {
                Some(l) => l.initrd = Some(arg(r)),
                None => self.warn("INITRD outside a LABEL is ignored (as syslinux does)"),
            }
        } else if let Some(r) = looking_at(p, "label") {
            self.record()?;
            let name = arg(r);
            self.pending = Some(Pending {
                image: name.clone(),
                name,
                ktype: KernelType::Kernel,
                append: None,
                initrd: None,
                menu_label: None,
                action: Action::Cmd,
                menu_default: false,
                hide: false,
                disabled: false,
            });
        } else if let Some((r, ktype)) = KERNEL_KEYWORDS
            .iter()
            .find_map(|&(kw, t)| looking_at(p, kw).map(|r| (r, t)))
        {
            match &mut self.pending {
                Some(l) => {
                    l.image = arg(r);
                    l.ktype = ktype;
                }
                None => self.warn(format!(
                    "{} outside a LABEL is ignored (as syslinux does)",
                    keyword(p)
                )),
            }
        } else if let Some(r) = looking_at(p, "timeout") {
            let t = atoi(r);
            self.timeout = t;
            if let Some(f) = self.frames.get_mut(self.cur) {
                f.timeout = t;
            }
        } else if let Some(r) = looking_at(p, "totaltimeout") {
            self.total_timeout = atoi(r);
        } else if let Some(r) = looking_at(p, "ontimeout") {
            let cmd = arg(r);
            self.ontimeout = Some(cmd.clone());
            if let Some(f) = self.frames.get_mut(self.cur) {
                f.ontimeout = Some(cmd);
            }
        } else if let Some(r) = looking_at(p, "allowoptions") {
            self.allow_options = atoi(r) != 0;
        } else if looking_at_any(p, &["ipappend", "sysappend"]).is_some() {
            if !self.warned_sysappend {
                self.warned_sysappend = true;
                self.warn(
                    "IPAPPEND/SYSAPPEND ignored: the network and system strings syslinux \
                     would add exist only on the booting machine",
                );
            }
        } else if let Some(r) = looking_at(p, "default") {
            self.default = Some(arg(r));
        } else if let Some(r) = looking_at(p, "ui") {
            self.ui = Some(arg(r));
        } else if let Some(r) = looking_at(p, "implicit") {
            self.implicit = atoi(r) != 0;
        } else if let Some(r) = looking_at(p, "prompt") {
            self.prompt = atoi(r) != 0;
        } else if looking_at_any(p, SILENT).is_none() {
            self.warn(format!("unknown keyword {} ignored", quote(keyword(p))));
        }
        Ok(false)
    }

    /// Handles `MENU …`; `p` is the text after `MENU`.
    fn menu_directive(&mut self, p: &str) -> Result<()> {
        let arg = |r: &str| trim_end(skip_space(r)).to_string();
        let cur = self.cur;
        if let Some(r) = looking_at(p, "label") {
            if let Some(l) = &mut self.pending {
                l.menu_label = Some(arg(r));
            } else if let Some(f) = self.frames.get_mut(cur).filter(|f| f.parent.is_some()) {
                f.display = arg(r);
                f.display_is_tag = false;
                if f.title.is_empty() {
                    f.title = strip_caret(&f.display);
                }
            }
        } else if let Some(r) = looking_at(p, "title") {
            if let Some(f) = self.frames.get_mut(cur) {
                f.title = arg(r);
                if f.parent.is_some() && f.display_is_tag {
                    f.display = f.title.clone();
                    f.display_is_tag = false;
                }
            }
        } else if looking_at(p, "default").is_some() {
            if let Some(l) = &mut self.pending {
                l.menu_default = true;
            } else if let Some(f) = self.frames.get(cur) {
                if let Some(parent) = f.parent {
                    let item = f.item_in_parent;
                    if let Some(pf) = self.frames.get_mut(parent) {
                        pf.defentry = item;
                    }
                }
            }
        } else if looking_at(p, "hide").is_some() {
            if let Some(l) = &mut self.pending {
                l.hide = true;
            }
        } else if looking_at_any(p, &["disable", "disabled"]).is_some() {
            if let Some(l) = &mut self.pending {
                l.disabled = true;
            }
        } else if looking_at(p, "separator").is_some() {
            self.record()?;
            if let Some(f) = self.frames.get_mut(cur) {
                f.items.push(Item::Separator);
            }
        } else if let Some(r) = looking_at(p, "begin") {
            self.begin_submenu(&arg(r))?;
        } else if looking_at(p, "end").is_some() {
            self.end_submenu()?;
        } else if let Some(r) = looking_at(p, "goto") {
            if let Some(l) = &mut self.pending {
                l.action = Action::Goto(arg(r));
            }
        } else if looking_at(p, "exit").is_some() {
            let in_submenu = self.frames.get(cur).is_some_and(|f| f.parent.is_some());
            if let Some(l) = self.pending.as_mut().filter(|_| in_submenu) {
                l.action = Action::Exit;
            }
        } else if looking_at(p, "quit").is_some() {
            if let Some(l) = &mut self.pending {
                l.action = Action::Quit;
            }
        } else if looking_at(p, "help").is_some() {
            if let Some(l) = &mut self.pending {
                l.action = Action::Help;
            }
        } else if looking_at(p, "start").is_some() {
            self.start = cur;
        } else if let Some(r) = looking_at(p, "include") {
            self.include(r)?;
        } else if looking_at(p, "save").is_some() {
            if !self.warned_save {
                self.warned_save = true;
                self.warn(
                    "MENU SAVE ignored: the remembered choice lives in syslinux's \
                     auxiliary data vector, which is not read",
                );
            }
        } else if looking_at_any(p, MENU_SILENT).is_none() {
            self.warn(format!(
                "unknown MENU directive {} ignored",
                quote(keyword(p))
            ));
        }
        Ok(())
    }

    /// `INCLUDE file [heading]` / `MENU INCLUDE file [heading]`.
    fn include(&mut self, rest: &str) -> Result<()> {
        let (file, heading) = first_word(rest);
        let heading = trim_end(skip_space(heading)).to_string();
        if file.is_empty() {
            self.warn("INCLUDE without a file name ignored");
            return Ok(());
        }
        let path = if file == "~" {
            normalize(self.ctx.config_path)
        } else {
            resolve(&self.dir, file)
        };
        if self.stack.contains(&path) {
            self.warn(format!(
                "INCLUDE {path} skipped: the file is already being read (an include \
                 cycle; syslinux would recurse until it runs out of memory)"
            ));
            return Ok(());
        }
        let depth = self.stack.len().saturating_sub(1);
        if depth >= self.ctx.limits.max_include_depth as usize {
            self.warn(format!(
                "INCLUDE {path} skipped: includes nest deeper than {} levels",
                self.ctx.limits.max_include_depth
            ));
            return Ok(());
        }
        let bytes = match self.ctx.files.read(&path) {
            Ok(b) => b,
            Err(e) => {
                self.warn(format!(
                    "INCLUDE {path} skipped (syslinux ignores files it cannot open): {e}"
                ));
                return Ok(());
            }
        };
        let text = decode_text(&bytes);
        if !heading.is_empty() {
            self.begin_submenu(&heading)?;
        }
        self.stack.push(path.clone());
        let result = self.parse_text(&path, &text);
        self.stack.pop();
        result?;
        if !heading.is_empty() {
            self.end_submenu()?;
        }
        Ok(())
    }

    fn check_room(&self) -> Result<()> {
        let used = self
            .menu
            .entries
            .len()
            .saturating_add(self.menu.submenus.len());
        if used >= self.ctx.limits.max_entries {
            return Err(Error::limit(format!(
                "{}:{}: more than {} menu entries and submenus",
                self.file, self.line, self.ctx.limits.max_entries
            )));
        }
        Ok(())
    }

    /// The next position in the current menu.
    fn next_position(&mut self, frame: usize) -> Vec<usize> {
        match self.frames.get_mut(frame) {
            Some(f) => {
                let mut pos = f.position.clone();
                pos.push(f.next_pos);
                f.next_pos = f.next_pos.saturating_add(1);
                pos
            }
            None => Vec::new(),
        }
    }

    /// `MENU BEGIN [tag]`: closes the pending label and opens a submenu.
    fn begin_submenu(&mut self, tag: &str) -> Result<()> {
        self.record()?;
        self.check_room()?;
        let cur = self.cur;
        let depth = self.frames.get(cur).map_or(0, |f| f.position.len());
        if depth >= self.ctx.limits.max_include_depth as usize {
            return Err(Error::limit(format!(
                "{}:{}: menus nest deeper than {} levels",
                self.file, self.line, self.ctx.limits.max_include_depth
            )));
        }
        let position = self.next_position(cur);
        let sub = self.menu.submenus.len();
        self.menu.submenus.push(Submenu {
            title: strip_caret(tag),
            id: (!tag.is_empty()).then(|| tag.to_string()),
            position: position.clone(),
        });
        let new = self.frames.len();
        let (timeout, ontimeout, item_in_parent) = match self.frames.get_mut(cur) {
            Some(f) => {
                f.items.push(Item::Submenu(new));
                (
                    f.timeout,
                    f.ontimeout.clone(),
                    f.items.len().saturating_sub(1),
                )
            }
            None => (0, None, 0),
        };
        self.frames.push(Frame {
            parent: Some(cur),
            submenu: Some(sub),
            tag: tag.to_string(),
            display: tag.to_string(),
            display_is_tag: true,
            title: String::new(),
            items: Vec::new(),
            defentry: 0,
            timeout,
            ontimeout,
            position,
            next_pos: 0,
            item_in_parent,
        });
        self.cur = new;
        Ok(())
    }

    /// `MENU END`: closes the pending label and returns to the parent menu.
    fn end_submenu(&mut self) -> Result<()> {
        self.record()?;
        match self.frames.get(self.cur).and_then(|f| f.parent) {
            Some(parent) => self.cur = parent,
            None => self.warn("MENU END outside a submenu ignored"),
        }
        Ok(())
    }

    /// Records the pending label as an entry (syslinux's `record`).
    pub fn record(&mut self) -> Result<()> {
        let Some(l) = self.pending.take() else {
            return Ok(());
        };
        if l.name.is_empty() {
            self.warn("LABEL without a name ignored");
            return Ok(());
        }
        self.check_room()?;
        let kind = if l.disabled {
            Kind::Disabled
        } else {
            match &l.action {
                Action::Cmd => {
                    let append = l
                        .append
                        .as_deref()
                        .or(self.global_append.as_deref())
                        .filter(|a| *a != "-");
                    Kind::Cmd(Command::from_label(
                        l.ktype,
                        &l.image,
                        append,
                        l.initrd.as_deref(),
                    ))
                }
                Action::Goto(t) => Kind::Goto(t.clone()),
                Action::Exit => Kind::Exit,
                Action::Quit => Kind::Quit,
                Action::Help => Kind::Help,
            }
        };
        if let Kind::Cmd(c) = &kind {
            if c.initrd_line_shadowed() {
                self.warn(format!(
                    "label {}: both APPEND initrd= and INITRD are given; syslinux loads \
                     the first initrd= of the command line, the one in APPEND",
                    quote(&l.name)
                ));
            }
        }
        let title = strip_caret(l.menu_label.as_deref().unwrap_or(&l.name));
        let mut entry = self.entry_for(&kind, title, Some(l.name.clone()));
        let frame = self.cur;
        entry.position = self.next_position(frame);
        entry.hidden = l.hide;
        let index = self.menu.entries.len();
        let item = if l.hide {
            None
        } else {
            self.frames.get_mut(frame).map(|f| {
                f.items.push(Item::Entry(index));
                f.items.len().saturating_sub(1)
            })
        };
        if l.menu_default && matches!(kind, Kind::Cmd(_) | Kind::Goto(_)) {
            if let (Some(item), Some(f)) = (item, self.frames.get_mut(frame)) {
                f.defentry = item;
            }
        }
        self.menu.entries.push(entry);
        self.infos.push(Info {
            label: l.name,
            kind,
            frame,
            item,
        });
        Ok(())
    }

    /// The entry for a label or command of `kind` (without position).
    pub fn entry_for(&self, kind: &Kind, title: String, id: Option<String>) -> Entry {
        let mut e = Entry {
            title,
            id,
            ..Entry::default()
        };
        match kind {
            Kind::Cmd(c) => self.fill_command(&mut e, c),
            Kind::Goto(t) => {
                e.not_bootable = Some(format!("MENU GOTO {t}: opens another menu"));
            }
            Kind::Exit => e.not_bootable = Some("MENU EXIT: leaves the submenu".into()),
            Kind::Quit => e.not_bootable = Some("MENU QUIT: leaves the menu".into()),
            Kind::Help => e.not_bootable = Some("MENU HELP: shows a help text".into()),
            Kind::Disabled => {
                e.not_bootable = Some("MENU DISABLE: the entry cannot be selected".into());
            }
        }
        e
    }

    /// Sets kernel, initrds, args and bootability from a command line.
    fn fill_command(&self, e: &mut Entry, c: &Command) {
        e.args = c.args_text();
        e.not_bootable = c.not_bootable();
        if c.ktype != KernelType::LocalBoot && !c.image.is_empty() {
            e.kernel = Some(resolve(&self.dir, &c.image));
        }
        if e.not_bootable.is_none() {
            e.initrds = c
                .initrd_names()
                .iter()
                .map(|n| resolve(&self.dir, n))
                .collect();
        }
    }

    /// Fills each entry's submenu titles and each submenu's title, once all
    /// `MENU LABEL`/`MENU TITLE` lines are known.
    pub fn fill_titles(&mut self) {
        for f in &self.frames {
            if let Some(s) = f.submenu.and_then(|s| self.menu.submenus.get_mut(s)) {
                s.title = strip_caret(&f.display);
            }
        }
        for (i, info) in self.infos.iter().enumerate() {
            let mut chain = Vec::new();
            let mut frame = Some(info.frame);
            while let Some(fi) = frame {
                let Some(f) = self.frames.get(fi) else { break };
                if let Some(s) = f.submenu.and_then(|s| self.menu.submenus.get(s)) {
                    chain.push(s.title.clone());
                }
                frame = f.parent;
            }
            chain.reverse();
            if let Some(e) = self.menu.entries.get_mut(i) {
                e.submenu = chain;
            }
        }
    }

    /// Appends an entry that no label describes (a `DEFAULT`/`ONTIMEOUT` command
    /// line) at the end of the top-level menu; returns its index.
    pub fn push_synthetic(&mut self, mut entry: Entry) -> Result<usize> {
        self.check_room()?;
        entry.position = self.next_position(0);
        self.menu.entries.push(entry);
        Ok(self.menu.entries.len().saturating_sub(1))
    }
}

/// `F1`…`F12` (and `F0`, which is F10): help-screen keys.
fn is_fkey(p: &str) -> bool {
    let Some(rest) = p.strip_prefix(['f', 'F']) else {
        return false;
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = rest.get(digits.len()..).unwrap_or("");
    !digits.is_empty()
        && digits.len() <= 2
        && digits.parse::<u32>().is_ok_and(|n| n <= 12)
        && after.chars().next().is_none_or(super::lexer::is_space)
}

/// The first word of a line (the keyword), for messages.
fn keyword(p: &str) -> &str {
    first_word(p).0
}

/// Quotes configuration text for a warning, shortened to [`MAX_QUOTE`] characters.
pub fn quote(s: &str) -> String {
    if s.chars().count() > MAX_QUOTE {
        let short: String = s.chars().take(MAX_QUOTE).collect();
        format!("{short:?}…")
    } else {
        format!("{s:?}")
    }
}
