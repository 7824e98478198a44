//! The GRUB 2 script evaluator (GRUB 2.06 `script/execute.c`, `kern/env.c`,
//! `normal/main.c`); [`super::entries`] turns its result into a menu.
//!
//! Semantics kept from GRUB: `$?` is the last command's error number (an unknown
//! command prints an error but leaves `$?` at 0, as GRUB's does); unquoted variables
//! are split into fields, quoted ones are not, and an empty unquoted expansion
//! vanishes; environment contexts — `submenu` and `configfile` open a fresh one into
//! which only exported variables are copied; functions are global and get their own
//! positional parameters; `break N`, `continue N` and `return` work through the same
//! counters as GRUB's.

use super::lexer::{Part, Word};
use super::parser::{self, Cmd, Unit};
use super::{GrubDisk, GrubVolume};
use crate::error::Error;
use crate::limits::Limits;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// GRUB error numbers (`include/grub/err.h`) that scripts can observe in `$?`.
pub(crate) mod errno {
    pub const TEST_FAILURE: i32 = 1;
    pub const BAD_FILE_TYPE: i32 = 4;
    pub const FILE_NOT_FOUND: i32 = 5;
    pub const BAD_FILENAME: i32 = 7;
    pub const UNKNOWN_FS: i32 = 8;
    pub const UNKNOWN_DEVICE: i32 = 12;
    pub const INVALID_COMMAND: i32 = 17;
    pub const BAD_ARGUMENT: i32 = 18;
    pub const BAD_OS: i32 = 21;
}

/// Most arguments one command may expand to.
const MAX_ARGS: usize = 65_536;
/// Deepest nesting of function calls (GRUB itself only has its stack).
const MAX_CALL_DEPTH: u32 = 64;
/// Total bytes all variables of one context may hold, in units of
/// `Limits::max_config`.
const ENV_SIZE_FACTOR: usize = 16;
/// Why an entry that loaded nothing cannot boot.
pub(crate) const NO_KERNEL: &str = "the entry loads no kernel";
/// The disk name GRUB gives the guest disk (`xen/xvda`-style names are accepted too).
pub(crate) const DISK: &str = "hd0";

/// A variable.
#[derive(Clone, Debug)]
pub(crate) struct Var {
    /// Shared, so that copying a context for each entry copies no strings.
    pub value: Rc<str>,
    pub exported: bool,
}

/// A menu item (entry or submenu) as `menuentry`/`submenu` registered it.
#[derive(Clone, Debug)]
pub(crate) struct Item {
    pub title: String,
    pub id: Option<String>,
    /// Positional parameters of the body: the title, then the extra arguments.
    pub args: Vec<String>,
    pub body: Rc<Vec<Unit>>,
    pub submenu: bool,
}

impl Item {
    /// GRUB's id of the item: `--id`, else the title.
    pub(crate) fn grub_id(&self) -> &str {
        self.id.as_deref().unwrap_or(&self.title)
    }
}

/// One environment context: its variables and its menu.
#[derive(Clone, Debug, Default)]
pub(crate) struct Context {
    pub vars: BTreeMap<Rc<str>, Var>,
    pub menu: Vec<Item>,
    bytes: usize,
}

impl Context {
    /// The context an entry body runs in: the variables of `parent` (GRUB runs a
    /// chosen entry in the context that defined it), without its menu, which the
    /// body cannot see; copying the menu made listing quadratic in its length.
    pub(crate) fn for_entry(parent: &Context) -> Context {
        Context {
            vars: parent.vars.clone(),
            menu: Vec::new(),
            bytes: parent.bytes,
        }
    }

    /// A fresh context holding the exported variables of `parent`.
    pub(crate) fn child_of(parent: &Context) -> Context {
        let vars: BTreeMap<Rc<str>, Var> = parent
            .vars
            .iter()
            .filter(|(_, v)| v.exported)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let bytes = vars.iter().map(|(k, v)| k.len() + v.value.len()).sum();
        Context {
            vars,
            menu: Vec::new(),
            bytes,
        }
    }
}

/// `$?` for an exit status, without allocating for the usual ones.
fn status_text(ret: i32) -> std::borrow::Cow<'static, str> {
    match ret {
        0 => "0".into(),
        1 => "1".into(),
        n => n.to_string().into(),
    }
}

/// True for the references to the entry's or function's arguments (`$1`, `$#`,
/// `$*`, `$@`) rather than to a variable.
fn is_special(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_digit()) || matches!(name, "#" | "*" | "@")
}

/// Why evaluation stops early.
pub(crate) enum Abort {
    /// A bound of [`Limits`] was exceeded.
    Limit(Error),
    /// `configfile` loaded a menu: GRUB shows it at once (held in `Interp::shown`).
    Shown,
}

pub(crate) type Flow<T> = std::result::Result<T, Abort>;

/// What an entry's commands loaded.
#[derive(Clone, Debug, Default)]
pub(crate) enum Loaded {
    /// Nothing yet.
    #[default]
    Nothing,
    /// A Linux kernel: volume, path, command-line words.
    Linux {
        volume: usize,
        path: String,
        args: Vec<String>,
    },
    /// Something that is not a PV kernel, with the reason.
    Other(String),
}

/// The loader state of the entry being run.
#[derive(Clone, Debug, Default)]
pub(crate) struct EntryRun {
    pub loaded: Loaded,
    pub initrds: Vec<(usize, String)>,
}

/// The interpreter.
pub(crate) struct Interp<'a> {
    pub disk: &'a dyn GrubDisk,
    pub limits: &'a Limits,
    warnings: &'a mut Vec<String>,
    pub volumes: Vec<GrubVolume>,
    pub ctxs: Vec<Context>,
    pub functions: HashMap<String, Rc<Vec<Cmd>>>,
    /// Positional parameters (`None` outside functions and entry bodies).
    pub scope: Option<Vec<String>>,
    pub(crate) active_loops: u64,
    pub(crate) active_breaks: u64,
    is_continue: bool,
    pub(crate) function_return: bool,
    steps: u64,
    pub include_depth: u32,
    call_depth: u32,
    /// `blscfg` ran: this is Fedora/RHEL's GRUB (id-first default matching).
    pub fedora: bool,
    /// Set while an entry body runs.
    pub entry: Option<EntryRun>,
    /// The context whose menu `configfile` showed.
    pub shown: Option<Context>,
    /// Where warnings come from (file and line, or entry title).
    pub origin: String,
    pub line: usize,
    /// Original line numbers of the lines of the file being read (GRUB drops
    /// lines starting with `#` before parsing).
    line_map: Vec<usize>,
}

impl<'a> Interp<'a> {
    pub(crate) fn new(
        disk: &'a dyn GrubDisk,
        limits: &'a Limits,
        warnings: &'a mut Vec<String>,
    ) -> Self {
        Interp {
            disk,
            limits,
            warnings,
            volumes: disk.volumes(),
            ctxs: vec![Context::default()],
            functions: HashMap::new(),
            scope: None,
            active_loops: 0,
            active_breaks: 0,
            is_continue: false,
            function_return: false,
            steps: 0,
            include_depth: 0,
            call_depth: 0,
            fedora: false,
            entry: None,
            shown: None,
            origin: String::new(),
            line: 0,
            line_map: Vec::new(),
        }
    }

    /// Records a non-fatal problem (duplicates are dropped).
    pub(crate) fn warn(&mut self, msg: impl AsRef<str>) {
        let w = if self.origin.is_empty() {
            msg.as_ref().to_string()
        } else if self.line > 0 && self.entry.is_none() {
            let line = self
                .line_map
                .get(self.line - 1)
                .copied()
                .unwrap_or(self.line);
            format!("{}:{}: {}", self.origin, line, msg.as_ref())
        } else {
            format!("{}: {}", self.origin, msg.as_ref())
        };
        if !self.warnings.contains(&w) && self.warnings.len() < 1000 {
            self.warnings.push(w);
        }
    }

    fn ctx(&mut self) -> &mut Context {
        if self.ctxs.is_empty() {
            self.ctxs.push(Context::default());
        }
        // Never empty here: the index is in bounds.
        let last = self.ctxs.len() - 1;
        &mut self.ctxs[last]
    }

    /// The value of a variable in the current context.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.ctxs
            .last()
            .and_then(|c| c.vars.get(name))
            .map(|v| &*v.value)
    }

    /// Sets a variable (GRUB's `grub_env_set`, with the `root` hook that strips
    /// parentheses).
    pub(crate) fn set(&mut self, name: &str, value: &str) -> Flow<()> {
        let mut value = value;
        if name == "root" && value.len() >= 2 && value.starts_with('(') && value.ends_with(')') {
            value = &value[1..value.len() - 1];
        }
        let max = usize::try_from(self.limits.max_config).unwrap_or(usize::MAX);
        if value.len() > max || name.len() > max {
            return Err(limit(format!(
                "variable `{name}' would hold {} bytes, more than the limit of {max}",
                value.len()
            )));
        }
        let total_max = max.saturating_mul(ENV_SIZE_FACTOR);
        let ctx = self.ctx();
        if ctx.vars.get(name).is_some_and(|v| &*v.value == value) {
            // Unchanged (`$?` after almost every command): nothing to allocate.
            return Ok(());
        }
        let old = ctx.vars.get(name).map_or(0, |v| v.value.len() + name.len());
        let bytes = ctx.bytes.saturating_sub(old) + name.len() + value.len();
        if bytes > total_max {
            return Err(limit(format!(
                "the variables would hold {bytes} bytes, more than the limit of {total_max}"
            )));
        }
        ctx.bytes = bytes;
        match ctx.vars.get_mut(name) {
            Some(v) => v.value = Rc::from(value),
            None => {
                ctx.vars.insert(
                    Rc::from(name),
                    Var {
                        value: Rc::from(value),
                        exported: false,
                    },
                );
            }
        }
        Ok(())
    }

    /// Removes a variable.
    pub(crate) fn unset(&mut self, name: &str) {
        let ctx = self.ctx();
        if let Some(v) = ctx.vars.remove(name) {
            ctx.bytes = ctx.bytes.saturating_sub(name.len() + v.value.len());
        }
    }

    /// Marks a variable exported, creating it empty if needed.
    pub(crate) fn export(&mut self, name: &str) -> Flow<()> {
        if self.get(name).is_none() {
            self.set(name, "")?;
        }
        if let Some(v) = self.ctx().vars.get_mut(name) {
            v.exported = true;
        }
        Ok(())
    }

    fn step(&mut self) -> Flow<()> {
        self.steps += 1;
        if self.steps > self.limits.max_script_steps {
            return Err(limit(format!(
                "the configuration ran more than {} script steps (an endless loop?)",
                self.limits.max_script_steps
            )));
        }
        Ok(())
    }

    // ---- expansion -------------------------------------------------------------

    /// Splits a value into fields as `grub_script_argv_split_append` does: a
    /// leading blank yields an empty first field.
    fn split_fields(s: &str, out: &mut Vec<String>) {
        let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
        let mut rest = s;
        while !rest.is_empty() {
            let end = rest.find(is_space).unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = rest[end..].trim_start_matches(is_space);
        }
    }

    /// The values a variable reference expands to (`grub_script_env_get`).
    fn var_values(&self, name: &str, split: bool) -> Vec<String> {
        let mut out = Vec::new();
        if !is_special(name) {
            if let Some(v) = self.get(name).filter(|v| !v.is_empty()) {
                if split {
                    Self::split_fields(v, &mut out);
                } else {
                    out.push(v.to_string());
                }
            }
            return out;
        }
        let Some(args) = &self.scope else {
            return out;
        };
        match name {
            "#" => out.push(args.len().to_string()),
            "*" if !split => out.push(args.join(" ")),
            "*" | "@" => {
                for a in args {
                    if split {
                        Self::split_fields(a, &mut out);
                    } else {
                        out.push(a.clone());
                    }
                }
            }
            _ => {
                let n = name.parse::<usize>().unwrap_or(0);
                if let Some(a) = n.checked_sub(1).and_then(|i| args.get(i)) {
                    if split {
                        Self::split_fields(a, &mut out);
                    } else {
                        out.push(a.clone());
                    }
                }
            }
        }
        out
    }

    /// The value of an ordinary variable reference that expands to at most one field
    /// whatever it is next to (quoted, or without a blank to split on; `""` when
    /// unset); `None` for the other references, which [`Interp::var_values`] expands.
    fn one_field(&self, name: &str, split: bool) -> Option<&str> {
        if is_special(name) {
            return None;
        }
        let value = self.get(name).unwrap_or_default();
        (!split || !value.contains([' ', '\t', '\n', '\r'])).then_some(value)
    }

    /// Expands words into arguments (`grub_script_arglist_to_argv`).
    pub(crate) fn expand(&self, words: &[Rc<Word>]) -> Flow<Vec<String>> {
        let max = usize::try_from(self.limits.max_config).unwrap_or(usize::MAX);
        let too_long = || limit(format!("an argument grew beyond the limit of {max} bytes"));
        let too_many = || {
            limit(format!(
                "a command expanded to more than {MAX_ARGS} arguments"
            ))
        };
        let mut out: Vec<String> = Vec::with_capacity(words.len());
        for w in words {
            if let Some(plain) = w.plain.as_deref().filter(|p| !p.is_empty()) {
                out.push(plain.to_string());
                if out.len() > MAX_ARGS {
                    return Err(too_many());
                }
                continue;
            }
            let mut cur: Option<String> = None;
            for part in &w.parts {
                match part {
                    Part::Text(t) => {
                        if !t.is_empty() {
                            cur.get_or_insert_with(String::new).push_str(t);
                        }
                    }
                    Part::Quoted(t) => cur.get_or_insert_with(String::new).push_str(t),
                    Part::Var(n) | Part::DqVar(n) => {
                        let split = matches!(part, Part::Var(_));
                        // One field (the usual case) needs no list of values.
                        if let Some(v) = self.one_field(n, split) {
                            if !v.is_empty() {
                                let c = cur.get_or_insert_with(String::new);
                                c.push_str(v);
                                if c.len() > max {
                                    return Err(too_long());
                                }
                            }
                            continue;
                        }
                        for (i, v) in self.var_values(n, split).iter().enumerate() {
                            if i != 0 {
                                if let Some(c) = cur.take() {
                                    out.push(c);
                                }
                            }
                            cur.get_or_insert_with(String::new).push_str(v);
                            if cur.as_ref().is_some_and(|c| c.len() > max) {
                                return Err(too_long());
                            }
                        }
                    }
                }
                if out.len() > MAX_ARGS {
                    return Err(too_many());
                }
            }
            if let Some(c) = cur {
                out.push(c);
            }
        }
        Ok(out)
    }

    // ---- execution -------------------------------------------------------------

    /// Runs parsed units in the current context (`grub_script_execute` of each).
    pub(crate) fn exec_units(&mut self, units: &[Unit]) -> Flow<i32> {
        let mut ret = 0;
        for u in units {
            match u {
                Ok(cmds) => {
                    ret = self.exec_block(cmds)?;
                }
                Err(e) => {
                    self.line = e.line;
                    self.warn(&e.message);
                }
            }
        }
        Ok(ret)
    }

    /// Runs a command list and sets `$?` (GRUB's `grub_script_execute_cmd` on a
    /// list).
    pub(crate) fn exec_block(&mut self, cmds: &[Cmd]) -> Flow<i32> {
        let ret = self.exec_list(cmds)?;
        self.set("?", &status_text(ret))?;
        Ok(ret)
    }

    fn exec_list(&mut self, cmds: &[Cmd]) -> Flow<i32> {
        let mut ret = 0;
        for cmd in cmds {
            if self.active_breaks > 0 {
                break;
            }
            ret = self.exec_cmd(cmd)?;
            self.set("?", &status_text(ret))?;
            if self.function_return {
                break;
            }
        }
        Ok(ret)
    }

    fn exec_cmd(&mut self, cmd: &Cmd) -> Flow<i32> {
        self.step()?;
        match cmd {
            Cmd::Simple { words, block, line } => {
                if self.entry.is_none() {
                    self.line = *line;
                }
                self.exec_simple(words, block.as_ref())
            }
            Cmd::If {
                cond,
                then,
                otherwise,
            } => {
                let ret = self.exec_block(cond)?;
                if self.function_return {
                    return Ok(ret);
                }
                if self.get("?") == Some("0") {
                    self.exec_block(then)
                } else if otherwise.is_empty() {
                    Ok(0)
                } else {
                    self.exec_block(otherwise)
                }
            }
            Cmd::For { var, words, body } => {
                let items = self.expand(words)?;
                self.active_loops += 1;
                let mut result = 0;
                for item in &items {
                    if self.is_continue && self.active_breaks == 1 {
                        self.active_breaks = 0;
                    }
                    if self.active_breaks == 0 {
                        self.set_script_var(var, item)?;
                        result = self.exec_block(body)?;
                        if self.function_return {
                            break;
                        }
                    }
                }
                if self.active_breaks > 0 {
                    self.active_breaks -= 1;
                }
                self.active_loops -= 1;
                Ok(result)
            }
            Cmd::While { cond, body, until } => {
                self.active_loops += 1;
                let mut result;
                loop {
                    self.step()?;
                    result = self.exec_block(cond)?;
                    if self.function_return {
                        break;
                    }
                    if if *until { result == 0 } else { result != 0 } {
                        break;
                    }
                    result = self.exec_block(body)?;
                    if self.function_return {
                        break;
                    }
                    if self.active_breaks == 1 && self.is_continue {
                        self.active_breaks = 0;
                    }
                    if self.active_breaks > 0 {
                        break;
                    }
                }
                if self.active_breaks > 0 {
                    self.active_breaks -= 1;
                }
                self.active_loops -= 1;
                Ok(result)
            }
            Cmd::Function { name, body } => {
                self.functions.insert(name.clone(), body.clone());
                Ok(0)
            }
        }
    }

    /// `grub_script_env_set`: positional names cannot be assigned.
    fn set_script_var(&mut self, name: &str, value: &str) -> Flow<i32> {
        if name.starts_with(|c: char| c.is_ascii_digit()) || matches!(name, "#" | "*" | "@") {
            self.warn(format!("invalid variable name `{name}'"));
            return Ok(errno::BAD_ARGUMENT);
        }
        self.set(name, value)?;
        Ok(0)
    }

    fn exec_simple(&mut self, words: &[Rc<Word>], block: Option<&parser::Block>) -> Flow<i32> {
        let mut args = self.expand(words)?;
        if args.is_empty() {
            return Ok(0);
        }
        let invert = args.first().is_some_and(|f| f == "!");
        if invert {
            args.remove(0);
            if args.is_empty() {
                self.warn("no command is specified");
                return Ok(errno::BAD_ARGUMENT);
            }
        }
        let name = args.remove(0);
        let ret = if let Some(r) = self.builtin(&name, &args, block) {
            r?
        } else if let Some(body) = self.functions.get(&name).cloned() {
            self.call_function(&name, &body, args)?
        } else if let Some((var, value)) = name.split_once('=') {
            self.set_script_var(var, value)?;
            return Ok(0);
        } else {
            self.warn(format!("can't find command `{name}'"));
            return Ok(0);
        };
        if invert {
            return Ok(match ret {
                errno::TEST_FAILURE => 0,
                0 => errno::TEST_FAILURE,
                _ => 0,
            });
        }
        Ok(ret)
    }

    fn call_function(&mut self, name: &str, body: &Rc<Vec<Cmd>>, args: Vec<String>) -> Flow<i32> {
        if self.call_depth >= MAX_CALL_DEPTH {
            return Err(limit(format!(
                "function `{name}' nested deeper than {MAX_CALL_DEPTH} calls (endless recursion?)"
            )));
        }
        self.call_depth += 1;
        let loops = std::mem::take(&mut self.active_loops);
        let old_scope = self.scope.replace(args);
        let ret = self.exec_block(body);
        self.function_return = false;
        self.active_loops = loops;
        self.scope = old_scope;
        self.call_depth -= 1;
        ret
    }

    // ---- control-flow builtins ---------------------------------------------------

    pub(crate) fn cmd_break(&mut self, name: &str, args: &[String]) -> i32 {
        let count = match args {
            [] => 1,
            [n] => match n.parse::<u64>() {
                Ok(0) => {
                    self.warn("can't break 0 loops");
                    return errno::BAD_ARGUMENT;
                }
                Ok(c) => c,
                Err(_) => {
                    self.warn("unrecognized number");
                    return errno::BAD_ARGUMENT;
                }
            },
            _ => {
                self.warn("one argument expected");
                return errno::BAD_ARGUMENT;
            }
        };
        self.is_continue = name != "break";
        self.active_breaks = count.min(self.active_loops);
        0
    }

    pub(crate) fn cmd_return(&mut self, args: &[String]) -> i32 {
        if self.scope.is_none() || args.len() > 1 {
            self.warn("return: not in function body");
            return errno::BAD_ARGUMENT;
        }
        match args.first() {
            None => {
                self.function_return = true;
                self.get("?")
                    .map_or(0, |v| super::test_cmd::strtoul(v, 10).0.unwrap_or(0) as i32)
            }
            Some(n) => match n.parse::<u64>() {
                Ok(v) => {
                    self.function_return = true;
                    v as i32
                }
                Err(_) => {
                    self.warn("return: unrecognized number");
                    errno::BAD_ARGUMENT
                }
            },
        }
    }

    pub(crate) fn cmd_shift(&mut self, args: &[String]) -> i32 {
        let Some(scope) = &mut self.scope else {
            return 0;
        };
        let n = match args {
            [] => 1,
            [n] => match n.parse::<usize>() {
                Ok(n) => n,
                Err(_) => return errno::BAD_ARGUMENT,
            },
            _ => return errno::BAD_ARGUMENT,
        };
        if n > scope.len() {
            return errno::BAD_ARGUMENT;
        }
        scope.drain(..n);
        0
    }

    pub(crate) fn cmd_setparams(&mut self, args: &[String]) -> i32 {
        match &mut self.scope {
            None => errno::INVALID_COMMAND,
            Some(s) => {
                *s = args.to_vec();
                0
            }
        }
    }

    /// Parses and runs a script text in the current context (`eval`, `source`).
    pub(crate) fn run_text(&mut self, text: &str) -> Flow<i32> {
        let units = parser::parse(text);
        self.exec_units(&units)
    }

    // ---- devices and paths -----------------------------------------------------

    /// GRUB's device name for volume `index` (`hd0,msdos1`, or `hd0`).
    pub(crate) fn device_name(&self, index: usize) -> String {
        match self.volumes.get(index) {
            Some(v) if !v.name.is_empty() => format!("{DISK},{}", v.name),
            _ => DISK.to_string(),
        }
    }

    /// The volume a GRUB device name (without parentheses) names.
    pub(crate) fn device_volume(&self, dev: &str) -> Option<usize> {
        let (disk, part) = match dev.split_once(',') {
            Some((d, p)) => (d, Some(p)),
            None => (dev, None),
        };
        if disk != DISK && !disk.starts_with("xen/") {
            return None;
        }
        // A disk seen as a single volume (no partition table known): every
        // partition name leads to it.
        if self.volumes.len() == 1 && self.volumes.first().is_some_and(|v| v.name.is_empty()) {
            return Some(0);
        }
        match part {
            None => self.volumes.iter().position(|v| v.name.is_empty()),
            Some(p) => {
                if p.contains(',') {
                    return None;
                }
                let digits_at = p.find(|c: char| c.is_ascii_digit())?;
                let (scheme, num) = p.split_at(digits_at);
                let num: u32 = num.parse().ok()?;
                self.volumes.iter().position(|v| {
                    let vd = v.name.find(|c: char| c.is_ascii_digit());
                    match vd {
                        Some(i) => {
                            let (vs, vn) = v.name.split_at(i);
                            vn.parse::<u32>().ok() == Some(num)
                                && (scheme.is_empty() || scheme == vs)
                        }
                        None => false,
                    }
                })
            }
        }
    }

    /// Splits a GRUB path into its volume and the path on it: `(dev)/p`, or `/p` on
    /// `$root`.
    pub(crate) fn resolve(
        &self,
        path: &str,
    ) -> std::result::Result<(usize, String), (i32, String)> {
        let (dev, rest) = match path.strip_prefix('(') {
            Some(r) => match r.find(')') {
                Some(close) => (r[..close].to_string(), r[close + 1..].to_string()),
                None => {
                    return Err((errno::BAD_FILENAME, format!("missing `)' in {path}")));
                }
            },
            None => (
                self.get("root").unwrap_or_default().to_string(),
                path.to_string(),
            ),
        };
        let Some(vol) = self.device_volume(&dev) else {
            return Err((errno::UNKNOWN_DEVICE, format!("disk `{dev}' not found")));
        };
        if self.volumes.get(vol).is_some_and(|v| v.fs.is_none()) {
            return Err((errno::UNKNOWN_FS, format!("unknown filesystem on `{dev}'")));
        }
        if rest.is_empty() {
            return Ok((vol, "/".to_string()));
        }
        if !rest.starts_with('/') {
            return Err((errno::BAD_FILENAME, format!("invalid file name `{path}'")));
        }
        Ok((vol, rest))
    }

    /// Reads a file named by a GRUB path.
    pub(crate) fn read_path(&mut self, path: &str) -> std::result::Result<Vec<u8>, (i32, String)> {
        let (vol, p) = self.resolve(path)?;
        self.disk
            .read(vol, &p)
            .map_err(|e| (errno::FILE_NOT_FOUND, format!("{path}: {e}")))
    }

    // ---- configuration files ---------------------------------------------------

    /// Runs a configuration file's text as GRUB's `read_config_file` does: lines
    /// starting with `#` are skipped, `config_file`/`config_directory` name it while
    /// it runs.
    pub(crate) fn run_config(&mut self, text: &str, full_path: &str) -> Flow<i32> {
        // GRUB's getline drops carriage returns, and the config reader drops lines
        // starting with `#`.
        let text = text.replace('\r', "");
        let mut filtered = String::new();
        let mut line_map = Vec::new();
        for (i, l) in text.split_inclusive('\n').enumerate() {
            if !l.starts_with('#') {
                filtered.push_str(l);
                line_map.push(i + 1);
            }
        }
        let old_map = std::mem::replace(&mut self.line_map, line_map);
        let old_file = self.get("config_file").map(str::to_string);
        let old_dir = self.get("config_directory").map(str::to_string);
        let old_origin = std::mem::replace(&mut self.origin, full_path.to_string());
        let dir = match full_path.rfind('/') {
            Some(i) => &full_path[..i],
            None => full_path,
        };
        self.set("config_file", full_path)?;
        self.export("config_file")?;
        self.set("config_directory", dir)?;
        self.export("config_directory")?;
        let units = parser::parse(&filtered);
        let r = self.exec_units(&units);
        if matches!(r, Err(Abort::Shown)) {
            return r;
        }
        for (name, old) in [("config_file", old_file), ("config_directory", old_dir)] {
            match old {
                Some(v) => self.set(name, &v)?,
                None => self.unset(name),
            }
        }
        self.origin = old_origin;
        self.line_map = old_map;
        r
    }

    /// `source FILE` / `configfile FILE`.
    pub(crate) fn include(&mut self, path: &str, new_context: bool) -> Flow<i32> {
        if self.include_depth >= self.limits.max_include_depth {
            return Err(limit(format!(
                "{path}: source/configfile nested deeper than {} (a file including itself?)",
                self.limits.max_include_depth
            )));
        }
        let bytes = match self.read_path(path) {
            Ok(b) => b,
            Err((code, msg)) => {
                self.warn(msg);
                return Ok(code);
            }
        };
        let text = crate::config::decode_text(&bytes);
        let full = match path.strip_prefix('(') {
            Some(_) => path.to_string(),
            None => format!("({}){path}", self.get("root").unwrap_or_default()),
        };
        self.include_depth += 1;
        if new_context {
            let child = Context::child_of(self.ctxs.last().unwrap_or(&Context::default()));
            self.ctxs.push(child);
        }
        let saved_line = self.line;
        let r = self.run_config(&text, &full);
        self.line = saved_line;
        self.include_depth -= 1;
        if new_context {
            if let Err(Abort::Shown) = r {
                return r;
            }
            let ctx = self.ctxs.pop().unwrap_or_default();
            r?;
            if !ctx.menu.is_empty() {
                self.shown = Some(ctx);
                return Err(Abort::Shown);
            }
            return Ok(0);
        }
        r
    }

    /// Sets the variables GRUB 2.06 on Xen PV has when it reads `config_path`.
    pub(crate) fn predefine(&mut self, config_path: &str) -> Flow<()> {
        let cv = self.disk.config_volume();
        let dev = self.device_name(cv);
        let dir = match config_path.rfind('/') {
            Some(0) | None => "",
            Some(i) => &config_path[..i],
        };
        let prefix = format!("({dev}){dir}");
        let vars: [(&str, &str, bool); 9] = [
            ("root", &dev, true),
            ("prefix", &prefix, true),
            ("cmdpath", &prefix, false),
            ("grub_platform", "xen", true),
            ("grub_cpu", "x86_64", true),
            ("color_normal", "light-gray/black", true),
            ("color_highlight", "black/light-gray", true),
            ("lang", "", true),
            ("pager", "", false),
        ];
        for (k, v, exported) in vars {
            self.set(k, v)?;
            if exported {
                self.export(k)?;
            }
        }
        for f in [
            "feature_200_final",
            "feature_all_video_module",
            "feature_chainloader_bpb",
            "feature_default_font_path",
            "feature_menuentry_id",
            "feature_menuentry_options",
            "feature_nativedisk_cmd",
            "feature_ntldr",
            "feature_platform_search_hint",
            "feature_timeout_style",
        ] {
            self.set(f, "y")?;
            self.export(f)?;
        }
        Ok(())
    }
}

pub(crate) fn limit(msg: String) -> Abort {
    Abort::Limit(Error::limit(msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_split_like_grub() {
        let mut out = Vec::new();
        Interp::split_fields(" a  b ", &mut out);
        assert_eq!(out, vec!["", "a", "b"]);
        out.clear();
        Interp::split_fields("  ", &mut out);
        assert_eq!(out, vec![""]);
    }
}
