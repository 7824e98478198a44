//! Boot Loader Specification entries: GRUB's `blscfg` command (Fedora/RHEL's
//! `blscfg.c`) and systemd-boot guests (`loader/loader.conf`, no `grub.cfg`).
//!
//! `blscfg` lists `$blsdir` (else `/loader/entries/`, falling back to
//! `/boot/loader/entries/`) on `$root`, reads every `*.conf`, orders the entries
//! newest first by an rpm-style comparison of the name-version-release split of the
//! file name, and adds for each a menu entry whose body is GRUB script — so
//! `$kernelopts`-style variables in `options` and `initrd` expand as on the guest.

use super::eval::{errno, Flow, Interp, Item};
use super::parser::Unit;
use super::GrubDisk;
use crate::error::Result;
use crate::limits::{Limits, BLS_LOOKUP_BUDGET};
use crate::menu::{Entry, Menu};
use std::cmp::Ordering;
use std::rc::Rc;

/// One BLS snippet: its file name without `.conf` and its keys in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlsEntry {
    /// File name without `.conf` (the entry's id).
    pub id: String,
    /// The snippet's text, carriage returns removed.
    text: String,
    /// Where each key and its value lie in `text` (key start, key end, value start,
    /// value end), in file order; keys may repeat. One string per snippet rather than
    /// two per key: listing 200 snippets made ~3,600 small strings.
    spans: Vec<[usize; 4]>,
}

impl BlsEntry {
    /// An entry known by its id only (no keys yet).
    pub fn named(id: String) -> BlsEntry {
        BlsEntry {
            id,
            text: String::new(),
            spans: Vec::new(),
        }
    }

    /// The `key value` pairs in file order.
    pub fn keys(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.spans.iter().map(|&[ks, ke, vs, ve]| {
            (
                self.text.get(ks..ke).unwrap_or_default(),
                self.text.get(vs..ve).unwrap_or_default(),
            )
        })
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.keys().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Every value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.keys()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v)
            .collect()
    }
}

/// Reads a snippet as `blscfg.c` does: blanks before a key are skipped, `#` lines
/// ignored, key and value split at the first space (else tab); a line with no
/// value — an empty line included — ends the file.
pub fn parse_entry(id: &str, text: &str) -> BlsEntry {
    parse_owned(id.to_string(), text.to_string())
}

/// [`parse_entry`] on strings the caller gives up.
fn parse_owned(id: String, text: String) -> BlsEntry {
    let text = match text.contains('\r') {
        true => text.replace('\r', ""),
        false => text,
    };
    let mut spans = Vec::new();
    let mut at = 0usize;
    for raw in text.split('\n') {
        let line_at = at;
        at += raw.len() + 1;
        let line = raw.trim_start_matches([' ', '\t']);
        if line.starts_with('#') {
            continue;
        }
        let sep = line.find(' ').or_else(|| line.find('\t'));
        let Some(sep) = sep.filter(|&s| s + 1 < line.len()) else {
            break;
        };
        let key_at = line_at + (raw.len() - line.len());
        let after = &line[sep + 1..];
        let value = after.trim_start_matches([' ', '\t']);
        let value_at = key_at + sep + 1 + (after.len() - value.len());
        spans.push([key_at, key_at + sep, value_at, key_at + line.len()]);
    }
    BlsEntry { id, text, spans }
}

/// rpm's `rpmvercmp` as blscfg.c has it: alphanumeric segments compared, numbers
/// numerically, `~` sorts before anything, `+` after the end.
pub fn vercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
    let (mut i, mut j) = (0usize, 0usize);
    while at(a, i) != 0 || at(b, j) != 0 {
        let skip = |c: u8| c != 0 && !c.is_ascii_alphanumeric() && c != b'~' && c != b'+';
        while skip(at(a, i)) {
            i += 1;
        }
        while skip(at(b, j)) {
            j += 1;
        }
        let (ca, cb) = (at(a, i), at(b, j));
        if ca == b'~' || cb == b'~' {
            if ca != b'~' {
                return Ordering::Greater;
            }
            if cb != b'~' {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == b'+' || cb == b'+' {
            if ca == 0 {
                return Ordering::Less;
            }
            if cb == 0 {
                return Ordering::Greater;
            }
            if ca != b'+' {
                return Ordering::Greater;
            }
            if cb != b'+' {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == 0 || cb == 0 {
            break;
        }
        let isnum = ca.is_ascii_digit();
        let seg = |s: &[u8], mut k: usize| {
            while at(s, k) != 0
                && (if isnum {
                    at(s, k).is_ascii_digit()
                } else {
                    at(s, k).is_ascii_alphabetic()
                })
            {
                k += 1;
            }
            k
        };
        let (ea, eb) = (seg(a, i), seg(b, j));
        if ea == i {
            return Ordering::Less;
        }
        if eb == j {
            return if isnum {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let (mut sa, mut sb) = (&a[i..ea], &b[j..eb]);
        if isnum {
            while sa.first() == Some(&b'0') {
                sa = &sa[1..];
            }
            while sb.first() == Some(&b'0') {
                sb = &sb[1..];
            }
            match sa.len().cmp(&sb.len()) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match sa.cmp(sb) {
            Ordering::Equal => {}
            o => return o,
        }
        i = ea;
        j = eb;
    }
    match (at(a, i) == 0, at(b, j) == 0) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// Splits `name-version-release` at the last two dashes (missing parts move up).
fn split_nvr(s: &str) -> (&str, &str, &str) {
    match s.rsplit_once('-') {
        None => (s, "", ""),
        Some((nv, r)) => match nv.rsplit_once('-') {
            None => (nv, r, ""),
            Some((n, v)) => (n, v, r),
        },
    }
}

/// blscfg's `bls_cmp`: newer first means `Greater`.
pub fn bls_cmp(a: &str, b: &str) -> Ordering {
    nvr_cmp(split_nvr(a), split_nvr(b))
}

/// [`bls_cmp`] on ids already split by [`split_nvr`].
fn nvr_cmp(a: (&str, &str, &str), b: (&str, &str, &str)) -> Ordering {
    vercmp(a.0, b.0)
        .then_with(|| vercmp(a.1, b.1))
        .then_with(|| vercmp(a.2, b.2))
}

/// Orders entries as blscfg's insertion does: newest first; an entry comparing
/// equal to one already there is dropped. The list is kept ordered, so the place
/// (the first entry older than the new one) is found by binary search: thousands
/// of entries cost n log n comparisons, and each id is split once, not at every
/// comparison.
pub fn sort_entries(entries: Vec<BlsEntry>) -> Vec<BlsEntry> {
    let order = {
        let keys: Vec<(&str, &str, &str)> = entries.iter().map(|e| split_nvr(&e.id)).collect();
        let key = |i: usize| keys.get(i).copied().unwrap_or_default();
        let mut order: Vec<usize> = Vec::new();
        for i in 0..keys.len() {
            let at = order.partition_point(|&have| nvr_cmp(key(i), key(have)) == Ordering::Less);
            let equal = order
                .get(at)
                .is_some_and(|&have| nvr_cmp(key(i), key(have)) == Ordering::Equal);
            if !equal {
                order.insert(at, i);
            }
        }
        order
    };
    let mut slots: Vec<Option<BlsEntry>> = entries.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect()
}

/// blscfg's `expand_val`: `$name` replaced by the variable's value plus a space
/// (nothing when unset); literal text kept. Reproduces GRUB's quirks (a one-byte
/// literal before `$`, or a one-letter variable at the very end, is dropped).
pub fn expand_val(value: &str, get: &dyn Fn(&str) -> Option<String>) -> String {
    let b = value.as_bytes();
    let mut buf = String::new();
    let (mut start, mut end) = (0usize, 0usize);
    let mut is_var = false;
    let append = |is_var: bool, s: usize, e: usize, buf: &mut String| {
        let field = value.get(s..=e).or_else(|| value.get(s..)).unwrap_or("");
        let field = if s > e { "" } else { field };
        if is_var {
            if let Some(v) = get(field) {
                buf.push_str(&v);
                buf.push(' ');
            }
        } else {
            buf.push_str(field);
        }
    };
    for (i, &c) in b.iter().enumerate() {
        if c == b'$' && b.get(end) != Some(&b'\\') {
            if start != end {
                append(is_var, start, end, &mut buf);
            }
            is_var = true;
            start = i + 1;
        } else if is_var && !(c.is_ascii_alphanumeric() || c == b'_') {
            append(is_var, start, end, &mut buf);
            is_var = false;
            start = i;
            if c == b' ' {
                start += 1;
            }
        }
        end = i;
    }
    if start != end {
        append(is_var, start, end, &mut buf);
    }
    buf
}

/// Reads the BLS entries of directory `dir` on `volume`, newest first (ordered by
/// file name with [`sort_entries`] before any is read). Each snippet is read by
/// name, which costs a scan of the directory where the filesystem keeps no index
/// (ext4 without htree), so at most [`BLS_LOOKUP_BUDGET`] / (listing length)
/// snippets are read, the newest; returns the entries and how many were left
/// unread.
fn read_entries(
    disk: &dyn GrubDisk,
    volume: usize,
    dir: &str,
    limits: &Limits,
) -> Result<(Vec<BlsEntry>, usize)> {
    let listing = disk.read_dir(volume, dir)?;
    let names = listing
        .iter()
        .take(limits.max_entries)
        .map(|e| e.name.as_str())
        .filter(|n| !n.starts_with('.') && n.len() > 5 && n.ends_with(".conf"))
        .map(|n| BlsEntry::named(n.strip_suffix(".conf").unwrap_or(n).to_string()))
        .collect();
    let sorted = sort_entries(names);
    let affordable = (BLS_LOOKUP_BUDGET / listing.len().max(1)).max(1);
    let unread = sorted.len().saturating_sub(affordable);
    let mut out = Vec::new();
    for e in sorted.into_iter().take(affordable) {
        let path = format!("{}/{}.conf", dir.trim_end_matches('/'), e.id);
        let Ok(bytes) = disk.read(volume, &path) else {
            continue;
        };
        out.push(parse_owned(e.id, crate::config::decode_text(&bytes)));
    }
    Ok((out, unread))
}

/// The warning for BLS snippets left unread by [`read_entries`].
fn unread_warning(dir: &str, unread: usize) -> String {
    format!(
        "{dir}: the {unread} oldest BLS entries were not read (a directory this large \
         costs a scan per entry read)"
    )
}

/// The `blscfg` command.
pub(crate) fn blscfg(it: &mut Interp<'_>, args: &[String]) -> Flow<i32> {
    it.fedora = true;
    let mut dev = it.get("root").unwrap_or_default().to_string();
    let mut dir: Option<String> = None;
    let (mut show_default, mut show_other, mut only_id) = (true, true, None);
    match args.first().map(String::as_str) {
        Some("default") => show_other = false,
        Some("non-default") => show_default = false,
        Some(p) if p.starts_with('(') => match p[1..].split_once(')') {
            Some((d, rest)) => {
                dev = d.to_string();
                dir = Some(rest.to_string());
            }
            None => {
                it.warn("blscfg: Filepath isn't correct");
                return Ok(errno::BAD_ARGUMENT);
            }
        },
        Some(id) => {
            only_id = Some(id.to_string());
            show_default = false;
            show_other = false;
        }
        None => {}
    }
    let Some(volume) = it.device_volume(&dev) else {
        it.warn(format!("blscfg: disk `{dev}' not found"));
        return Ok(errno::UNKNOWN_DEVICE);
    };
    let explicit = dir.is_some();
    let dir = dir.unwrap_or_else(|| {
        it.get("blsdir")
            .map_or_else(|| "/loader/entries/".to_string(), str::to_string)
    });
    let (entries, unread, read_dir) = match read_entries(it.disk, volume, &dir, it.limits) {
        Ok((e, unread)) => (e, unread, dir.as_str()),
        Err(_) if !explicit => {
            let fallback = "/boot/loader/entries/";
            let (e, unread) =
                read_entries(it.disk, volume, fallback, it.limits).unwrap_or_default();
            (e, unread, fallback)
        }
        Err(_) => (Vec::new(), 0, dir.as_str()),
    };
    if unread > 0 {
        it.warn(format!("blscfg: {}", unread_warning(read_dir, unread)));
    }
    let def = it.get("default").map(str::to_string);
    let prefix = EntryPrefix::new(it);
    for (idx, e) in entries.into_iter().enumerate() {
        let is_default = def.as_deref().is_some_and(|d| {
            d == e.id
                || e.get("title") == Some(d)
                || super::test_cmd::strtoul(d, 0)
                    .0
                    .is_some_and(|n| n as i32 as i64 == idx as i64)
        });
        let wanted = (show_default && is_default)
            || (show_other && !is_default)
            || only_id.as_deref() == Some(e.id.as_str());
        if wanted {
            if let Some(item) = make_item(it, &e, &prefix) {
                it.add_item(item)?;
            }
        }
    }
    Ok(0)
}

/// Builds the menu entry blscfg's `create_entry` makes for a snippet.
fn make_item(it: &Interp<'_>, e: &BlsEntry, prefix: &EntryPrefix) -> Option<Item> {
    let linux = e.get("linux")?;
    let get = |n: &str| it.get(n).map(str::to_string);
    let options = match e.get("options") {
        Some(o) => Some(expand_val(o, &get)),
        None => it.get("default_kernelopts").map(|d| expand_val(d, &get)),
    };
    let title = e.get("title").unwrap_or(linux).to_string();
    let initrds = e.all("initrd");
    let early: Vec<&str> = it
        .get("early_initrd")
        .map(|v| v.split(' ').collect())
        .unwrap_or_default();
    let mut rooted: Vec<String> = Vec::new();
    if !initrds.is_empty() || !early.is_empty() {
        let prefix_of = |p: &str| p.rfind('/').map_or("", |i| &p[..=i]).to_string();
        let prefix = prefix_of(initrds.first().copied().unwrap_or(linux));
        rooted.extend(early.iter().map(|x| format!("{prefix}{x}")));
        rooted.extend(initrds.iter().map(|x| x.to_string()));
    }
    let mut args = vec![title.clone()];
    args.extend(e.all("grub_arg").into_iter().map(str::to_string));
    let mut body = prefix.units.clone();
    // The fixed first lines are parsed once per blscfg ([`EntryPrefix`]); the rest
    // follows them, so line numbers stay those of the whole body.
    let (linux_line, initrd_line) = (prefix.lines + 1, prefix.lines + 2);
    let lines = direct_line("linux", &[linux], options.as_deref(), linux_line).and_then(|l| {
        match rooted.is_empty() {
            true => Some(vec![l]),
            false => Some(vec![l, direct_line("initrd", &rooted, None, initrd_line)?]),
        }
    });
    match lines {
        Some(lines) => body.extend(lines),
        None => {
            let mut src = "\n".repeat(prefix.lines);
            src.push_str(&format!("linux ($root){linux}"));
            if let Some(o) = &options {
                src.push(' ');
                src.push_str(o);
            }
            src.push('\n');
            if !rooted.is_empty() {
                src.push_str("initrd");
                for x in &rooted {
                    src.push_str(&format!(" ($root){x}"));
                }
                src.push('\n');
            }
            body.extend(super::parser::parse(&src));
        }
    }
    Some(Item {
        title,
        id: Some(e.id.clone()),
        args,
        body: Rc::new(body),
        submenu: false,
    })
}

/// The command `name ($root)PATH… OPTIONS` on line `line`, as GRUB's parser reads
/// it, built without the lexer: `None` unless every path and every blank-separated
/// option is plain text (no quote, escape, variable, comment, operator or keyword),
/// where the lexer's answer is known. Listing 200 BLS entries spent a sixth of its
/// time lexing these two generated lines.
fn direct_line<S: AsRef<str>>(
    name: &str,
    rooted: &[S],
    options: Option<&str>,
    line: usize,
) -> Option<Unit> {
    use super::lexer::{is_word_char, Part, Word, KEYWORDS};
    use super::parser::Cmd;
    let plain = |t: &str| t.chars().all(|c| is_word_char(c) && c != '\r');
    let text = |t: &str| {
        Rc::new(Word {
            parts: vec![Part::Text(t.to_string())],
            plain: Some(t.to_string()),
        })
    };
    let mut words = vec![text(name)];
    for p in rooted {
        let p = p.as_ref();
        if !plain(p) {
            return None;
        }
        words.push(Rc::new(Word {
            parts: vec![
                Part::Text("(".to_string()),
                Part::Var("root".to_string()),
                Part::Text(format!("){p}")),
            ],
            plain: None,
        }));
    }
    for t in options
        .unwrap_or_default()
        .split([' ', '\t'])
        .filter(|t| !t.is_empty())
    {
        let starts_token = t.starts_with('#') || t.starts_with("[[") || t.starts_with("]]");
        if !plain(t) || starts_token || KEYWORDS.contains(&t) {
            return None;
        }
        words.push(text(t));
    }
    Some(Ok(Rc::new(vec![Cmd::Simple {
        words,
        block: None,
        line,
    }])))
}

/// The lines blscfg's `create_entry` puts first in every entry, parsed once.
struct EntryPrefix {
    units: Vec<Unit>,
    lines: usize,
}

impl EntryPrefix {
    fn new(it: &Interp<'_>) -> EntryPrefix {
        let mut src = String::new();
        if it.get("save_default") == Some("true") {
            src.push_str("savedefault\n");
        }
        src.push_str("load_video\nset gfxpayload=keep\ninsmod gzio\n");
        EntryPrefix {
            units: super::parser::parse(&src),
            lines: src.lines().count(),
        }
    }
}

/// A systemd-boot configuration: `loader.conf` (`default` glob, `timeout`) and the
/// entries beside it in `entries/`. Paths in entries are relative to the
/// filesystem holding `loader/` (its `/boot` when that is `/boot/loader`).
pub fn systemd_boot(
    text: &str,
    config_path: &str,
    disk: &dyn GrubDisk,
    limits: &Limits,
    warnings: &mut Vec<String>,
) -> Result<Menu> {
    let mut default = None;
    let mut timeout = None;
    for line in text.lines().take(limits.max_script_steps as usize) {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let (k, v) = match line.split_once([' ', '\t']) {
            Some((k, v)) => (k, v.trim()),
            None => continue,
        };
        match k {
            "default" => default = Some(v.to_string()),
            "timeout" => timeout = v.parse::<u64>().ok(),
            _ => {}
        }
    }
    let loader_dir = config_path.trim_end_matches("/loader.conf");
    let base = loader_dir.trim_end_matches("loader").trim_end_matches('/');
    let volume = disk.config_volume();
    let entries_dir = format!("{loader_dir}/entries");
    let (entries, unread) = read_entries(disk, volume, &entries_dir, limits)
        .map_err(|e| e.context(format!("listing {entries_dir} for systemd-boot")))?;
    if unread > 0 {
        warnings.push(unread_warning(&entries_dir, unread));
    }
    let mut menu = Menu {
        timeout,
        ..Menu::default()
    };
    for (i, e) in entries.iter().enumerate() {
        let title = e
            .get("title")
            .map(str::to_string)
            .unwrap_or_else(|| e.id.clone());
        let mut entry = Entry {
            title,
            id: Some(e.id.clone()),
            position: vec![i],
            ..Entry::default()
        };
        match e.get("linux") {
            Some(k) => {
                entry.kernel = Some(format!("{base}{k}"));
                entry.initrds = e
                    .all("initrd")
                    .iter()
                    .map(|p| format!("{base}{p}"))
                    .collect();
                entry.args = e.all("options").join(" ");
            }
            None => {
                let what = if e.get("efi").is_some() {
                    "an EFI program"
                } else {
                    "no Linux kernel"
                };
                entry.not_bootable = Some(format!("the BLS entry names {what}"));
            }
        }
        menu.entries.push(entry);
    }
    menu.default = match &default {
        Some(pat) => {
            let found = entries
                .iter()
                .position(|e| glob(pat, &e.id) || glob(pat, &format!("{}.conf", e.id)));
            if found.is_none() && !entries.is_empty() {
                warnings.push(format!(
                    "{config_path}: default {pat:?} matches no entry; the first entry is used"
                ));
            }
            found.or(if entries.is_empty() { None } else { Some(0) })
        }
        None => (!entries.is_empty()).then_some(0),
    };
    Ok(menu)
}

/// Shell-style pattern match (`*`, `?`, `[…]`) as systemd-boot's `default` uses.
fn glob(pat: &str, s: &str) -> bool {
    let p: Vec<char> = pat.chars().collect();
    let t: Vec<char> = s.chars().collect();
    // Iterative matcher with one backtrack point for `*`.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        let step = match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
                continue;
            }
            Some('?') => Some(pi + 1),
            Some('[') => {
                let close = p.iter().skip(pi + 1).position(|&c| c == ']');
                match close {
                    Some(n) if n > 0 => {
                        let set: &[char] = &p[pi + 1..pi + 1 + n];
                        let (neg, set) = match set.first() {
                            Some('!') | Some('^') => (true, &set[1..]),
                            _ => (false, set),
                        };
                        let c = t[ti];
                        let mut hit = false;
                        let mut k = 0;
                        while k < set.len() {
                            if k + 2 < set.len() && set[k + 1] == '-' {
                                hit |= set[k] <= c && c <= set[k + 2];
                                k += 3;
                            } else {
                                hit |= set[k] == c;
                                k += 1;
                            }
                        }
                        (hit != neg).then_some(pi + n + 2)
                    }
                    _ => (t[ti] == '[').then_some(pi + 1),
                }
            }
            Some(&c) => (c == t[ti]).then_some(pi + 1),
            None => None,
        };
        match step {
            Some(np) => {
                pi = np;
                ti += 1;
            }
            None => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p.get(pi..).unwrap_or_default().iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpm_version_order() {
        assert_eq!(vercmp("5.14.0", "5.9.0"), Ordering::Greater);
        assert_eq!(vercmp("1.0~rc1", "1.0"), Ordering::Less);
        assert_eq!(vercmp("1.0+git", "1.0"), Ordering::Greater);
        assert_eq!(vercmp("1.0a", "1.0"), Ordering::Greater);
        assert_eq!(vercmp("010", "10"), Ordering::Equal);
        assert_eq!(vercmp("fc32", "fc32"), Ordering::Equal);
        assert_eq!(vercmp("a", "1"), Ordering::Less);
        let ids = [
            "abc-0-rescue",
            "abc-5.6.6-300.fc32.x86_64",
            "abc-5.10.1-100.fc32.x86_64",
            "abc-5.6.6-300.fc32.x86_64",
        ];
        let entries = ids.iter().map(|i| parse_entry(i, "linux /x\n")).collect();
        let sorted: Vec<String> = sort_entries(entries).into_iter().map(|e| e.id).collect();
        assert_eq!(
            sorted,
            vec![
                "abc-5.10.1-100.fc32.x86_64",
                "abc-5.6.6-300.fc32.x86_64",
                "abc-0-rescue"
            ]
        );
    }

    #[test]
    fn binary_insertion_orders_as_blscfg_linear_insertion() {
        // blscfg's own insertion: before the first entry the new one is newer than;
        // dropped when equal to one already there.
        fn linear(ids: &[String]) -> Vec<String> {
            let mut out: Vec<String> = Vec::new();
            'next: for id in ids {
                for (k, have) in out.iter().enumerate() {
                    match bls_cmp(id, have) {
                        Ordering::Equal => continue 'next,
                        Ordering::Greater => {
                            out.insert(k, id.clone());
                            continue 'next;
                        }
                        Ordering::Less => {}
                    }
                }
                out.push(id.clone());
            }
            out
        }
        let parts = [
            "0", "5", "10", "6.1", "6.10", "6.9~rc1", "6.9", "6.9+git", "a", "fc40",
        ];
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut ids = Vec::new();
        for _ in 0..300 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let p = |i: u64| parts[(x >> i) as usize % parts.len()];
            ids.push(format!("m-{}-{}.{}.x86_64", p(3), p(11), p(23)));
        }
        ids.push("m-0-rescue".to_string());
        let entries = ids.iter().map(|i| parse_entry(i, "")).collect();
        let sorted: Vec<String> = sort_entries(entries).into_iter().map(|e| e.id).collect();
        assert_eq!(sorted, linear(&ids));
        assert!(sorted.len() < ids.len(), "duplicates were dropped");
    }

    #[test]
    fn entries_parse_like_blscfg() {
        let e = parse_entry(
            "x",
            "title Fedora\n  # c\nlinux\t/vmlinuz\ninitrd /a\ninitrd /b\noptions a  b\n\nversion after-blank\n",
        );
        assert_eq!(e.get("title"), Some("Fedora"));
        assert_eq!(e.get("linux"), Some("/vmlinuz"));
        assert_eq!(e.all("initrd"), vec!["/a", "/b"]);
        assert_eq!(e.get("options"), Some("a  b"));
        assert_eq!(e.get("version"), None, "a blank line ends the snippet");
        let e = parse_entry("y", "\t title  A B\r\nlinux\t\t/v\r\n# x\r\n  k v \n");
        let keys: Vec<_> = e.keys().collect();
        assert_eq!(keys, vec![("title", "A B"), ("linux", "/v"), ("k", "v ")]);
    }

    #[test]
    fn options_expand_like_blscfg() {
        let get = |n: &str| match n {
            "kernelopts" => Some("root=/dev/xvda2 ro".to_string()),
            "x" => Some("X".to_string()),
            _ => None,
        };
        assert_eq!(expand_val("$kernelopts", &get), "root=/dev/xvda2 ro ");
        assert_eq!(
            expand_val("root=a $kernelopts $tuned_params quiet", &get),
            "root=a root=/dev/xvda2 ro quiet"
        );
        assert_eq!(expand_val("a\\$kernelopts", &get), "a\\$kernelopts");
        assert_eq!(expand_val("plain", &get), "plain");
    }

    #[test]
    fn generated_lines_build_as_the_parser_reads_them() {
        let cases: &[(&[&str], Option<&str>)] = &[
            (&["/vmlinuz-6.1"], Some("root=/dev/xvda1 ro  quiet\tx=(a)")),
            (&["/vmlinuz", "/boot/initrd.img"], None),
            (&[""], Some("")),
            (&["/a"], Some("ro then")), // a keyword
            (&["/a"], Some("ro #x")),   // a comment
            (&["/a"], Some("a=\"b c\"")),
            (&["/a"], Some("$kernelopts")),
            (&["/a b"], None),
            (&["/a"], Some("x;y")),
            (&["/a"], Some("[[ x")),
            (&["/a"], Some("x\r")),
            (&["/a"], Some("x\\y")),
        ];
        let mut direct = 0;
        for (paths, options) in cases {
            let mut src = "\n\n".to_string();
            src.push_str("linux");
            for p in *paths {
                src.push_str(&format!(" ($root){p}"));
            }
            if let Some(o) = options {
                src.push(' ');
                src.push_str(o);
            }
            src.push('\n');
            let parsed = crate::config::grub2::parser::parse(&src);
            if let Some(unit) = direct_line("linux", paths, *options, 3) {
                direct += 1;
                assert_eq!(parsed.len(), 1, "{src:?}");
                assert_eq!(format!("{unit:?}"), format!("{:?}", parsed[0]), "{src:?}");
            }
        }
        assert_eq!(
            direct, 3,
            "plain lines are built directly, the others are not"
        );
    }

    #[test]
    fn globs() {
        assert!(glob("fedora-*", "fedora-5.1"));
        assert!(glob("*", "x"));
        assert!(glob("a?c", "abc"));
        assert!(glob("[ab]c", "bc"));
        assert!(!glob("fedora-*", "debian"));
    }
}
