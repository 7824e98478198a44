//! A small GRUB 2 script evaluator: enough of GRUB's semantics to build the menu of
//! the configurations distributions generate (first cut; the full engine is a later
//! issue).
//!
//! What it runs: `set`/`unset`/`NAME=value`, `$var`/`${var}` expansion (unquoted
//! values split into words as GRUB does), `if`/`elif`/`else`, `for`, `while`/`until`,
//! functions with positional parameters, `return`/`break`/`continue`/`shift`/
//! `setparams`, `[`/`test`, `load_env` (read-only; `save_env` never writes), `source`,
//! `menuentry` and `submenu`. Entry bodies run when the entry is defined, with the
//! variables set so far (GRUB runs them when the entry boots); `linux`/`initrd` and
//! friends record what the entry boots instead of loading anything.
//!
//! The environment starts as GRUB's Xen PV image (`grub_platform=xen`) would have it:
//! the `feature_*` variables of GRUB 2.02+ are `y`, `prefix` and `config_directory`
//! are the configuration's directory, `root` is unset (the partition holding the
//! configuration). Commands that probe hardware (`search`, `loadfont`, `keystatus`)
//! leave variables alone.

use super::grubenv;
use super::lexer::{self, Part, Word};
use super::parser::{self, Stmt};
use crate::config::{decode_text, device_partition, split_device, ParseContext};
use crate::error::{Error, Result};
use crate::menu::{Entry, Menu, Submenu};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

/// Deepest nesting of function calls and `source` (guards the evaluator's stack; the
/// configurations GRUB generates call at most two or three levels deep).
const MAX_CALL_DEPTH: u32 = 16;

/// Deepest nesting of statement lists being run at once (blocks inside function
/// calls inside blocks…); bounds the evaluator's recursion, whatever mix of nesting
/// and calls a hostile script uses.
const MAX_RUN_NESTING: u32 = 64;

/// Why a multiboot entry cannot be booted.
const WHY_MULTIBOOT: &str = "multiboot entry: boots a hypervisor such as Xen (with its dom0 \
     kernel as a module), not a PV kernel";
/// Why a chainloading entry cannot be booted.
const WHY_CHAINLOADER: &str = "chainloader: hands control to another boot loader, not a PV kernel";

/// Commands that are accepted without a warning and succeed; they only affect the
/// console, modules or the machine, not what a PV guest boots.
const QUIET_OK: &[&str] = &[
    "insmod",
    "rmmod",
    "echo",
    "export",
    "save_env",
    "terminal_input",
    "terminal_output",
    "terminal",
    "terminfo",
    "serial",
    "background_image",
    "background_color",
    "clear",
    "sleep",
    "play",
    "lsmod",
    "ls",
    "cat",
    "probe",
    "smbios",
    "hwmatch",
    "videoinfo",
    "boot",
    "fwsetup",
    "nativedisk",
    "password",
    "password_pbkdf2",
    "gettext",
    "parttool",
    "drivemap",
    "acpi",
    "search",
    "search.fs_uuid",
    "search.fs_label",
    "search.file",
    "loopback",
    "cutmem",
    "badram",
    "true",
    "cryptomount",
    "tpm_measure",
    "gfxmode",
    "devicetree",
    "reboot",
    "halt",
];

/// Commands accepted without a warning that report failure (no font, no key).
const QUIET_FAIL: &[&str] = &["loadfont", "keystatus", "false"];

/// Commands that this first cut does not follow (warned once).
const UNSUPPORTED: &[&str] = &[
    "configfile",
    "normal",
    "blscfg",
    "bls_import",
    "extract_entries_configfile",
    "extract_entries_source",
    "eval",
];

/// What running a statement asks of the enclosing code.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flow {
    Next,
    Return,
    Break,
    Continue,
}

/// What an entry body loaded.
#[derive(Default)]
struct EntryState {
    kernel: Option<String>,
    args: String,
    initrds: Vec<String>,
    partition: Option<u32>,
    not_bootable: Option<String>,
}

/// Saved scope, restored after a submenu or entry body.
struct Scope {
    vars: HashMap<String, String>,
    positional: Vec<String>,
}

/// The evaluator.
pub struct Interp<'c, 'a> {
    ctx: &'c mut ParseContext<'a>,
    vars: HashMap<String, String>,
    functions: HashMap<String, Rc<Vec<Stmt>>>,
    positional: Vec<String>,
    status: bool,
    steps: u64,
    depth: u32,
    nesting: u32,
    menu: Menu,
    prefix: Vec<usize>,
    counter: usize,
    path: Vec<String>,
    entry: Option<EntryState>,
    warned: HashSet<String>,
}

impl<'c, 'a> Interp<'c, 'a> {
    /// A fresh evaluator for the configuration `ctx.config_path`.
    pub fn new(ctx: &'c mut ParseContext<'a>) -> Self {
        let dir = match ctx.config_path.rsplit_once('/') {
            Some((d, _)) if !d.is_empty() => d.to_string(),
            _ => "/".to_string(),
        };
        let mut vars = HashMap::new();
        for feature in [
            "feature_menuentry_id",
            "feature_menuentry_options",
            "feature_all_video_module",
            "feature_default_font_path",
            "feature_timeout_style",
            "feature_platform_search_hint",
            "feature_nativedisk_cmd",
            "feature_chainloader_bpb",
            "feature_ntldr",
            "feature_200_final",
        ] {
            vars.insert(feature.to_string(), "y".to_string());
        }
        vars.insert("grub_platform".into(), "xen".into());
        vars.insert("grub_cpu".into(), "x86_64".into());
        vars.insert("prefix".into(), dir.clone());
        vars.insert("config_directory".into(), dir);
        vars.insert("config_file".into(), ctx.config_path.to_string());
        Interp {
            ctx,
            vars,
            functions: HashMap::new(),
            positional: Vec::new(),
            status: true,
            steps: 0,
            depth: 0,
            nesting: 0,
            menu: Menu::default(),
            prefix: Vec::new(),
            counter: 0,
            path: Vec::new(),
            entry: None,
            warned: HashSet::new(),
        }
    }

    /// Runs a script text (the configuration or a `source`d file).
    pub fn run(&mut self, text: &str) -> Result<()> {
        let tokens = lexer::tokenize(text, self.ctx.warnings);
        let stmts = parser::parse(&tokens, self.ctx.warnings);
        self.exec_list(&stmts)?;
        Ok(())
    }

    /// The menu built, with the final values of `default` and `timeout`.
    pub fn finish(self) -> (Menu, Option<String>, Option<String>) {
        let default = self.vars.get("default").cloned();
        let timeout = self.vars.get("timeout").cloned();
        (self.menu, default, timeout)
    }

    fn warn_once(&mut self, key: &str, msg: String) {
        if self.warned.insert(key.to_string()) {
            self.ctx.warnings.push(msg);
        }
    }

    fn exec_list(&mut self, stmts: &[Stmt]) -> Result<Flow> {
        if self.nesting >= MAX_RUN_NESTING {
            self.warn_once(
                "run-nesting",
                format!("grub2: blocks and calls nested deeper than {MAX_RUN_NESTING}, inner part skipped"),
            );
            self.status = false;
            return Ok(Flow::Next);
        }
        self.nesting += 1;
        let mut result = Ok(Flow::Next);
        for s in stmts {
            match self.exec(s) {
                Ok(Flow::Next) => {}
                other => {
                    result = other;
                    break;
                }
            }
        }
        self.nesting -= 1;
        result
    }

    fn step(&mut self) -> Result<()> {
        self.steps = self.steps.saturating_add(1);
        if self.steps > self.ctx.limits.max_script_steps {
            return Err(Error::limit(format!(
                "grub2: more than {} script steps (a loop that does not end?)",
                self.ctx.limits.max_script_steps
            )));
        }
        Ok(())
    }

    fn exec(&mut self, stmt: &Stmt) -> Result<Flow> {
        self.step()?;
        match stmt {
            Stmt::Cmd { words, line } => self.simple(words, *line),
            Stmt::If { arms, otherwise } => {
                for (cond, body) in arms {
                    let flow = self.exec_list(cond)?;
                    if flow != Flow::Next {
                        return Ok(flow);
                    }
                    if self.status {
                        return self.exec_list(body);
                    }
                }
                match otherwise {
                    Some(body) => self.exec_list(body),
                    None => {
                        self.status = true;
                        Ok(Flow::Next)
                    }
                }
            }
            Stmt::For { var, items, body } => {
                for item in self.expand(items) {
                    self.step()?;
                    self.vars.insert(var.clone(), item);
                    match self.exec_list(body)? {
                        Flow::Break => break,
                        Flow::Return => return Ok(Flow::Return),
                        Flow::Next | Flow::Continue => {}
                    }
                }
                Ok(Flow::Next)
            }
            Stmt::While { until, cond, body } => {
                loop {
                    self.step()?;
                    if self.exec_list(cond)? == Flow::Return {
                        return Ok(Flow::Return);
                    }
                    if self.status == *until {
                        break;
                    }
                    match self.exec_list(body)? {
                        Flow::Break => break,
                        Flow::Return => return Ok(Flow::Return),
                        Flow::Next | Flow::Continue => {}
                    }
                }
                Ok(Flow::Next)
            }
            Stmt::Function { name, body } => {
                self.functions.insert(name.clone(), Rc::clone(body));
                self.status = true;
                Ok(Flow::Next)
            }
            Stmt::Menu {
                submenu,
                args,
                body,
                line,
            } => {
                self.menu_item(*submenu, args, body, *line)?;
                Ok(Flow::Next)
            }
        }
    }

    /// The value of a variable reference.
    fn var(&self, name: &str) -> String {
        match name {
            "?" => if self.status { "0" } else { "1" }.to_string(),
            "#" => self.positional.len().to_string(),
            "@" | "*" => self.positional.join(" "),
            n if n.bytes().all(|b| b.is_ascii_digit()) => n
                .parse::<usize>()
                .ok()
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| self.positional.get(i))
                .cloned()
                .unwrap_or_default(),
            n => self.vars.get(n).cloned().unwrap_or_default(),
        }
    }

    /// Expands words into arguments: variables replaced, unquoted values split on
    /// blanks, words that expand to nothing unquoted dropped.
    fn expand(&self, words: &[Word]) -> Vec<String> {
        let mut out = Vec::new();
        for w in words {
            let mut cur = String::new();
            let mut have = false;
            for part in &w.parts {
                match part {
                    Part::Lit(s) => {
                        cur.push_str(s);
                        have = true;
                    }
                    Part::Var { name, quoted: true } => {
                        cur.push_str(&self.var(name));
                        have = true;
                    }
                    Part::Var {
                        name,
                        quoted: false,
                    } => {
                        let value = self.var(name);
                        let blank = |c: char| c == ' ' || c == '\t' || c == '\n';
                        if value.starts_with(blank) && have {
                            out.push(std::mem::take(&mut cur));
                            have = false;
                        }
                        for (i, piece) in value.split(blank).filter(|p| !p.is_empty()).enumerate() {
                            if i > 0 {
                                out.push(std::mem::take(&mut cur));
                            }
                            cur.push_str(piece);
                            have = true;
                        }
                        if value.ends_with(blank) && have {
                            out.push(std::mem::take(&mut cur));
                            have = false;
                        }
                    }
                }
            }
            if have {
                out.push(cur);
            }
        }
        out
    }

    /// Expands one word without splitting (the value of an assignment).
    fn expand_joined(&self, w: &Word) -> String {
        w.parts
            .iter()
            .map(|p| match p {
                Part::Lit(s) => s.clone(),
                Part::Var { name, .. } => self.var(name),
            })
            .collect()
    }

    fn simple(&mut self, words: &[Word], line: usize) -> Result<Flow> {
        if let [w] = words {
            if let Some(Part::Lit(first)) = w.parts.first() {
                if let Some((name, _)) = first.split_once('=') {
                    if is_name(name) {
                        let value = self.expand_joined(w);
                        let value = value.get(name.len() + 1..).unwrap_or("").to_string();
                        self.vars.insert(name.to_string(), value);
                        self.status = true;
                        return Ok(Flow::Next);
                    }
                }
            }
        }
        let argv = self.expand(words);
        let Some((name, args)) = argv.split_first() else {
            self.status = true;
            return Ok(Flow::Next);
        };
        if let Some(body) = self.functions.get(name).cloned() {
            return self.call(&body, args.to_vec(), line);
        }
        let ok = match name.as_str() {
            "set" => self.set(args),
            "unset" => {
                for a in args {
                    self.vars.remove(a);
                }
                true
            }
            "[" => match args.split_last() {
                Some((last, inner)) if last == "]" => self.test(inner),
                _ => {
                    self.ctx
                        .warnings
                        .push(format!("grub2 line {line}: `[` without `]`"));
                    false
                }
            },
            "test" => self.test(args),
            "return" | "exit" => return Ok(Flow::Return),
            "break" => return Ok(Flow::Break),
            "continue" => return Ok(Flow::Continue),
            "shift" => {
                if self.positional.is_empty() {
                    false
                } else {
                    self.positional.remove(0);
                    true
                }
            }
            "setparams" => {
                self.positional = args.to_vec();
                true
            }
            "load_env" => self.load_env(args, line),
            "source" | "." => self.source(args, line)?,
            n if self.entry_command(n, args, line) => true,
            n if QUIET_OK.contains(&n) => true,
            n if QUIET_FAIL.contains(&n) => false,
            n if UNSUPPORTED.contains(&n) => {
                self.warn_once(
                    n,
                    format!(
                        "grub2 line {line}: `{n}` is not followed by this first-cut GRUB 2 parser"
                    ),
                );
                false
            }
            n => {
                self.warn_once(
                    n,
                    format!("grub2 line {line}: unknown command `{n}`, ignored"),
                );
                false
            }
        };
        self.status = ok;
        Ok(Flow::Next)
    }

    fn set(&mut self, args: &[String]) -> bool {
        let Some(arg) = args.first() else {
            return true;
        };
        match arg.split_once('=') {
            Some((name, value)) if !name.is_empty() => {
                self.vars.insert(name.to_string(), value.to_string());
                true
            }
            _ => false,
        }
    }

    fn call(&mut self, body: &Rc<Vec<Stmt>>, args: Vec<String>, line: usize) -> Result<Flow> {
        if self.depth >= MAX_CALL_DEPTH {
            self.ctx.warnings.push(format!(
                "grub2 line {line}: function calls nested deeper than {MAX_CALL_DEPTH}, call skipped"
            ));
            self.status = false;
            return Ok(Flow::Next);
        }
        let saved = std::mem::replace(&mut self.positional, args);
        self.depth += 1;
        let result = self.exec_list(body);
        self.depth -= 1;
        self.positional = saved;
        result?;
        Ok(Flow::Next)
    }

    /// Records the kernel-loading commands of a menu entry; false when `name` is
    /// not one of them.
    fn entry_command(&mut self, name: &str, args: &[String], line: usize) -> bool {
        let why = match name {
            "linux" | "linux16" | "linuxefi" | "initrd" | "initrd16" | "initrdefi" => None,
            "multiboot" | "multiboot2" | "module" | "module2" | "xen_hypervisor" | "xen_module" => {
                Some(WHY_MULTIBOOT.to_string())
            }
            "chainloader" => Some(WHY_CHAINLOADER.to_string()),
            "kfreebsd" | "knetbsd" | "kopenbsd" | "ntldr" | "appleloader" => {
                Some(format!("{name}: not a Linux kernel"))
            }
            _ => return false,
        };
        let root = self.root_partition();
        let Some(entry) = self.entry.as_mut() else {
            self.warn_once(
                &format!("outside:{name}"),
                format!("grub2 line {line}: `{name}` outside a menu entry, ignored"),
            );
            return true;
        };
        if let Some(why) = why {
            entry.not_bootable.get_or_insert(why);
            return true;
        }
        if name.starts_with("linux") {
            let Some((path, rest)) = args.split_first() else {
                self.ctx
                    .warnings
                    .push(format!("grub2 line {line}: `{name}` without a kernel"));
                return true;
            };
            let (file, dev) = split_device(path);
            entry.kernel = Some(file.to_string());
            entry.partition = match dev {
                Some(d) => device_partition(d, false),
                None => root,
            };
            entry.args = rest.join(" ");
        } else {
            entry.initrds = args
                .iter()
                .filter(|a| !a.starts_with("--"))
                .map(|a| split_device(a).0.to_string())
                .collect();
        }
        true
    }

    /// The partition named by the `root` variable (`hd0,msdos1`, `(hd0,gpt2)`).
    fn root_partition(&self) -> Option<u32> {
        let root = self.vars.get("root")?;
        let dev = root.trim().trim_start_matches('(').trim_end_matches(')');
        device_partition(dev, false)
    }

    /// `load_env [-f FILE] [--skip-sig] [NAME…]`: reads the environment block
    /// (default `$prefix/grubenv`), setting all its variables or only the names given.
    fn load_env(&mut self, args: &[String], line: usize) -> bool {
        let mut file = None;
        let mut names = Vec::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if a == "-f" || a == "--file" {
                file = it.next().cloned();
            } else if let Some(f) = a.strip_prefix("--file=") {
                file = Some(f.to_string());
            } else if a == "-s" || a == "--skip-sig" {
            } else {
                names.push(a.clone());
            }
        }
        let file = file.unwrap_or_else(|| format!("{}/grubenv", self.var("prefix")));
        let path = split_device(&file).0.to_string();
        let parsed = self
            .ctx
            .files
            .read(&path)
            .map_err(|e| e.to_string())
            .and_then(|b| grubenv::parse(&b));
        match parsed {
            Ok(vars) => {
                for (k, v) in vars {
                    if names.is_empty() || names.contains(&k) {
                        self.vars.insert(k, v);
                    }
                }
                true
            }
            Err(e) => {
                self.ctx.warnings.push(format!(
                    "grub2 line {line}: load_env: cannot use {path}: {e}"
                ));
                false
            }
        }
    }

    /// `source FILE`: runs another file in the same scope.
    fn source(&mut self, args: &[String], line: usize) -> Result<bool> {
        let Some(file) = args.first() else {
            return Ok(false);
        };
        let path = split_device(file).0.to_string();
        if self.depth >= MAX_CALL_DEPTH || self.depth >= self.ctx.limits.max_include_depth {
            self.ctx.warnings.push(format!(
                "grub2 line {line}: source {path}: nested too deeply, skipped"
            ));
            return Ok(false);
        }
        let text = match self.ctx.files.read(&path) {
            Ok(b) => decode_text(&b),
            Err(e) => {
                self.ctx
                    .warnings
                    .push(format!("grub2 line {line}: source {path}: {e}"));
                return Ok(false);
            }
        };
        self.depth += 1;
        let r = self.run(&text);
        self.depth -= 1;
        r.map_err(|e| e.context(format!("in {path} sourced at line {line}")))?;
        Ok(true)
    }

    fn save_scope(&mut self, positional: Vec<String>) -> Scope {
        Scope {
            vars: self.vars.clone(),
            positional: std::mem::replace(&mut self.positional, positional),
        }
    }

    fn restore_scope(&mut self, s: Scope) {
        self.vars = s.vars;
        self.positional = s.positional;
    }

    /// Defines a `menuentry` (running its body to see what it loads) or a `submenu`
    /// (running its body to define its entries).
    fn menu_item(
        &mut self,
        submenu: bool,
        args: &[Word],
        body: &[Stmt],
        line: usize,
    ) -> Result<()> {
        let kind = if submenu { "submenu" } else { "menuentry" };
        if self.entry.is_some() {
            self.warn_once(
                "nested-menu",
                format!("grub2 line {line}: {kind} inside a menu entry is defined only when the entry boots, ignored"),
            );
            return Ok(());
        }
        let argv = self.expand(args);
        let opts = MenuArgs::parse(&argv);
        let Some(title) = opts.title else {
            self.ctx.warnings.push(format!(
                "grub2 line {line}: {kind} without a title, ignored"
            ));
            return Ok(());
        };
        let items = self
            .menu
            .entries
            .len()
            .saturating_add(self.menu.submenus.len());
        if items >= self.ctx.limits.max_entries {
            return Err(Error::limit(format!(
                "grub2 line {line}: more than {} menu entries",
                self.ctx.limits.max_entries
            )));
        }
        // The body sees the title as `$1` and the extra arguments after it.
        let mut params = vec![title.clone()];
        params.extend(opts.extra);
        let mut position = self.prefix.clone();
        position.push(self.counter);
        self.counter = self.counter.saturating_add(1);
        if submenu {
            self.menu.submenus.push(Submenu {
                title: title.clone(),
                id: opts.id,
                position: position.clone(),
            });
            let scope = self.save_scope(params);
            let saved_prefix = std::mem::replace(&mut self.prefix, position);
            let saved_counter = std::mem::replace(&mut self.counter, 0);
            self.path.push(title);
            let r = self.exec_list(body);
            self.path.pop();
            self.prefix = saved_prefix;
            self.counter = saved_counter;
            self.restore_scope(scope);
            r?;
            return Ok(());
        }
        let scope = self.save_scope(params);
        self.entry = Some(EntryState::default());
        let r = self.exec_list(body);
        let state = self.entry.take().unwrap_or_default();
        self.restore_scope(scope);
        r?;
        let not_bootable = state.not_bootable.or_else(|| {
            state
                .kernel
                .is_none()
                .then(|| "no linux command".to_string())
        });
        self.menu.entries.push(Entry {
            title,
            id: opts.id,
            submenu: self.path.clone(),
            position,
            kernel: state.kernel,
            initrds: state.initrds,
            args: state.args,
            partition: state.partition,
            not_bootable,
            hidden: false,
        });
        self.status = true;
        Ok(())
    }

    /// GRUB's `test`.
    fn test(&self, args: &[String]) -> bool {
        let mut t = Test {
            args,
            pos: 0,
            interp: self,
            depth: 0,
        };
        !args.is_empty() && t.or()
    }
}

/// True for a valid variable name.
fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The expanded arguments of `menuentry`/`submenu`.
struct MenuArgs {
    title: Option<String>,
    id: Option<String>,
    extra: Vec<String>,
}

impl MenuArgs {
    fn parse(argv: &[String]) -> MenuArgs {
        let mut out = MenuArgs {
            title: None,
            id: None,
            extra: Vec::new(),
        };
        let mut it = argv.iter();
        let mut options = true;
        while let Some(a) = it.next() {
            if options && a.starts_with("--") {
                let (opt, inline) = match a.split_once('=') {
                    Some((o, v)) => (o, Some(v.to_string())),
                    None => (a.as_str(), None),
                };
                match opt {
                    "--" => options = false,
                    "--unrestricted" | "--hidden" => {}
                    "--class" | "--users" | "--hotkey" | "--source" | "--id" => {
                        let v = inline.or_else(|| it.next().cloned());
                        if opt == "--id" {
                            out.id = v;
                        }
                    }
                    _ => {}
                }
                continue;
            }
            if out.title.is_none() {
                out.title = Some(a.clone());
            } else {
                out.extra.push(a.clone());
            }
        }
        out
    }
}

/// Deepest nesting of `!` and `(` in one test expression.
const MAX_TEST_DEPTH: usize = 32;

/// A `test` expression being evaluated.
struct Test<'x, 'c, 'a> {
    args: &'x [String],
    pos: usize,
    interp: &'x Interp<'c, 'a>,
    depth: usize,
}

impl Test<'_, '_, '_> {
    fn peek(&self) -> Option<&str> {
        self.args.get(self.pos).map(String::as_str)
    }

    fn next(&mut self) -> Option<&str> {
        let a = self.args.get(self.pos)?;
        self.pos += 1;
        Some(a)
    }

    fn or(&mut self) -> bool {
        let mut v = self.and();
        while self.peek() == Some("-o") {
            self.pos += 1;
            let r = self.and();
            v = v || r;
        }
        v
    }

    fn and(&mut self) -> bool {
        let mut v = self.not();
        while self.peek() == Some("-a") {
            self.pos += 1;
            let r = self.not();
            v = v && r;
        }
        v
    }

    fn not(&mut self) -> bool {
        if self.peek() == Some("!") && self.pos + 1 < self.args.len() && self.depth < MAX_TEST_DEPTH
        {
            self.pos += 1;
            self.depth += 1;
            let v = !self.not();
            self.depth -= 1;
            return v;
        }
        self.primary()
    }

    fn primary(&mut self) -> bool {
        let Some(a) = self.next().map(str::to_string) else {
            return false;
        };
        if a == "(" && self.depth < MAX_TEST_DEPTH {
            self.depth += 1;
            let v = self.or();
            self.depth -= 1;
            if self.peek() == Some(")") {
                self.pos += 1;
            }
            return v;
        }
        if let Some(op) = self.peek().filter(|op| is_binary(op)).map(str::to_string) {
            if self.pos + 1 < self.args.len() {
                self.pos += 1;
                let b = self.next().unwrap_or_default().to_string();
                return binary(&a, &op, &b);
            }
        }
        if is_unary(&a) {
            if let Some(b) = self.next().map(str::to_string) {
                return self.unary(&a, &b);
            }
        }
        !a.is_empty()
    }

    fn unary(&self, op: &str, arg: &str) -> bool {
        let path = split_device(arg).0;
        let files = self.interp.ctx.files;
        match op {
            "-n" => !arg.is_empty(),
            "-z" => arg.is_empty(),
            "-e" | "-f" => files.exists(path),
            "-s" => files.read(path).is_ok_and(|b| !b.is_empty()),
            _ => false, // -d: directories cannot be checked through FileAccess
        }
    }
}

fn is_binary(op: &str) -> bool {
    matches!(
        op,
        "=" | "=="
            | "!="
            | "<"
            | "<="
            | ">"
            | ">="
            | "-eq"
            | "-ne"
            | "-lt"
            | "-le"
            | "-gt"
            | "-ge"
            | "-pgt"
            | "-plt"
            | "-nt"
            | "-ot"
    )
}

fn is_unary(op: &str) -> bool {
    matches!(op, "-n" | "-z" | "-e" | "-f" | "-s" | "-d")
}

/// GRUB's number parsing in `test`: an optional sign and leading digits, else 0.
fn number(s: &str) -> i64 {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let n: i64 = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |acc, d| {
            acc.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    if neg {
        -n
    } else {
        n
    }
}

fn binary(a: &str, op: &str, b: &str) -> bool {
    let skip = |s: &str| number(s.trim_start_matches(|c: char| !c.is_ascii_digit()));
    match op {
        "=" | "==" => a == b,
        "!=" => a != b,
        "<" => a < b,
        "<=" => a <= b,
        ">" => a > b,
        ">=" => a >= b,
        "-eq" => number(a) == number(b),
        "-ne" => number(a) != number(b),
        "-lt" => number(a) < number(b),
        "-le" => number(a) <= number(b),
        "-gt" => number(a) > number(b),
        "-ge" => number(a) >= number(b),
        "-pgt" => skip(a) > skip(b),
        "-plt" => skip(a) < skip(b),
        _ => false, // -nt/-ot: file times are not known
    }
}
