//! Drives the real GRUB 2.06 (`grub-emu`, Debian package `grub-emu`) through a
//! pseudo-terminal — made by util-linux `script` — as a person would: it types
//! commands at the `grub>` prompt and reads the screen.
//!
//! Two runs per configuration, on the same disk image:
//! - run A sources the configuration, then sets `timeout=-1` so that the menu stays
//!   on screen: titles, order and the highlighted (`*`) default are read from it;
//! - run B sources it with `linux`/`initrd` redefined as functions that echo their
//!   words, then sets `timeout=0`: GRUB boots the default at once ("Booting `…'"),
//!   through submenus, and prints the words the loader would get.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// GRUB's module directory for grub-emu.
pub const MODULES: &str = "/usr/lib/grub/x86_64-emu";

/// Modules loaded before `prefix` is pointed into the guest (where no modules are).
const PRELOAD: &str = "insmod part_msdos; insmod part_gpt; insmod ext2; insmod fat; insmod test; insmod echo; insmod loadenv; insmod search; insmod search_fs_uuid; insmod search_label; insmod search_fs_file; insmod true; insmod probe; insmod configfile; insmod eval; insmod sleep; insmod keystatus";

/// Shell functions standing in for the loaders (grub-emu has none).
/// Like GRUB's loaders they fail when a file cannot be opened (`[ -f ]` looks the
/// path up on the device named or on `$root`).
pub const LOADER_FUNCTIONS: &str = r#"function linux {
  if [ -f "$1" ]; then echo "@@L"; for a in "$@"; do echo "@@A[$a]"; done; echo "@@E"; else echo "@@NOLINUX"; return 5; fi
}
function linux16 { linux "$@"; }
function linuxefi { linux "$@"; }
function initrd {
  for f in "$@"; do if ! [ -f "$f" ]; then echo "@@NOINITRD"; return 5; fi; done
  echo "@@I"; for a in "$@"; do echo "@@A[$a]"; done; echo "@@E"
}
function initrd16 { initrd "$@"; }
function initrdefi { initrd "$@"; }
"#;

/// Whether grub-emu can run here; `Err` says what is missing.
pub fn available() -> Result<(), String> {
    for p in ["/usr/bin/grub-emu", "/usr/bin/script"] {
        if !Path::new(p).exists() {
            return Err(format!("{p} is missing"));
        }
    }
    if !Path::new(MODULES).join("normal.mod").exists() {
        return Err(format!("{MODULES}/normal.mod is missing"));
    }
    Ok(())
}

/// What GRUB showed and booted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Observed {
    /// Titles of the top-level menu, in order.
    pub titles: Vec<String>,
    /// Index of the highlighted item.
    pub highlighted: Option<usize>,
    /// Title of the entry GRUB booted (the innermost "Booting `…'").
    pub booted: Option<String>,
    /// Words of the last `linux` call (kernel first), if any.
    pub linux: Option<Vec<String>>,
    /// Words of the last `initrd` call after it.
    pub initrd: Vec<String>,
}

/// Modules that would switch grub-emu to a graphical terminal (SDL/libcaca) when
/// a configuration runs `terminal_output gfxterm`: a Xen PV guest's GRUB has no such
/// terminal either, and the screen must stay readable.
const HIDDEN_MODULES: &[&str] = &[
    "sdl.mod",
    "gfxterm.mod",
    "gfxterm_background.mod",
    "gfxterm_menu.mod",
    "gfxmenu.mod",
    "all_video.mod",
    "video_fb.mod",
];

/// A copy of the module directory without [`HIDDEN_MODULES`].
fn module_dir() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("grub-emu-modules");
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        for e in std::fs::read_dir(MODULES).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            if !HIDDEN_MODULES.contains(&name.as_str()) {
                std::fs::copy(e.path(), d.join(&name)).unwrap();
            }
        }
        d
    })
    .clone()
}

struct Emu {
    child: Child,
    out: Arc<Mutex<Vec<u8>>>,
}

impl Emu {
    fn start(map: &Path, root: &str) -> Emu {
        let cmd = format!(
            "stty rows 100 cols 250 2>/dev/null; exec grub-emu -m {} -r {root} -d {}",
            map.display(),
            module_dir().display()
        );
        let mut child = Command::new("script")
            .args(["-qfec", &cmd, "/dev/null"])
            .env("TERM", "xterm")
            // No SDL video: `terminal_output gfxterm` then fails and the text screen stays.
            .env("SDL_VIDEODRIVER", "none")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start grub-emu through script");
        let mut stdout = child.stdout.take().unwrap();
        let out = Arc::new(Mutex::new(Vec::new()));
        let sink = out.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Emu { child, out }
    }

    fn len(&self) -> usize {
        self.out.lock().unwrap().len()
    }

    fn text_from(&self, from: usize) -> String {
        let o = self.out.lock().unwrap();
        String::from_utf8_lossy(&o[from.min(o.len())..]).into_owned()
    }

    fn wait_for(&self, from: usize, what: &[&str], secs: u64) -> bool {
        let end = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < end {
            let t = self.text_from(from);
            if what.iter().any(|w| t.contains(w)) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn send(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(line.as_bytes()).unwrap();
        stdin.write_all(b"\r").unwrap();
        stdin.flush().unwrap();
    }

    /// Types the preparation and `configfile HARNESS`; returns the output offset
    /// where the harness starts.
    fn run_harness(&mut self, root: &str, harness: &str) -> usize {
        assert!(
            self.wait_for(0, &["grub> "], 30),
            "grub-emu did not reach its prompt: {}",
            self.text_from(0)
        );
        self.send(PRELOAD);
        std::thread::sleep(Duration::from_millis(300));
        self.send(&format!("set prefix=({root})/boot/grub; set root={root}"));
        std::thread::sleep(Duration::from_millis(200));
        let at = self.len();
        self.send(&format!("configfile ({root})/boot/grub/{harness}"));
        at
    }
}

impl Drop for Emu {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Removes escape sequences and carriage returns.
pub fn plain(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == '\u{1b}' {
            if it.peek() == Some(&'[') {
                it.next();
                for d in it.by_ref() {
                    if d.is_ascii_alphabetic() || d == '~' {
                        break;
                    }
                }
                out.push('\n');
            } else {
                it.next();
            }
        } else if c != '\r' {
            out.push(c);
        }
    }
    out
}

/// Reads the menu rows (`ESC[row;3H` + marker + title) of a screen drawing.
fn menu_rows(raw: &str) -> (Vec<String>, Option<usize>) {
    let mut rows: std::collections::BTreeMap<usize, (bool, String)> = Default::default();
    let mut rest = raw;
    while let Some(i) = rest.find("\u{1b}[") {
        rest = &rest[i + 2..];
        let Some(h) = rest.find('H') else { break };
        let spec = &rest[..h];
        let Some((r, c)) = spec.split_once(';') else {
            continue;
        };
        if c != "3" || !r.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(row) = r.parse::<usize>() else {
            continue;
        };
        let after = &rest[h + 1..];
        let end = after.find('\u{1b}').unwrap_or(after.len());
        let text = &after[..end];
        let mut cs = text.chars();
        let marker = cs.next().unwrap_or(' ');
        rows.insert(row, (marker == '*', cs.as_str().trim_end().to_string()));
    }
    let mut titles = Vec::new();
    let mut highlighted = None;
    for (_, (hl, t)) in rows {
        if t.is_empty() {
            break;
        }
        if hl {
            highlighted = Some(titles.len());
        }
        titles.push(t);
    }
    (titles, highlighted)
}

/// Runs grub-emu twice on `disk` (`harness_a.cfg` and `harness_b.cfg` must be in
/// `/boot/grub/` of device `root`, e.g. `hd0,msdos1`) and reports what it did.
pub fn observe(dir: &Path, disk: &Path, root: &str) -> Observed {
    // GRUB writes the disk (`save_env`): each run gets its own copy, so that both
    // see the guest as it was.
    let map = dir.join("device.map");
    let map_b = dir.join("device_b.map");
    let disk_b = dir.join("disk_b.img");
    std::fs::copy(disk, &disk_b).unwrap();
    std::fs::write(&map, format!("(hd0) {}\n", disk.display())).unwrap();
    std::fs::write(&map_b, format!("(hd0) {}\n", disk_b.display())).unwrap();
    let mut seen = Observed::default();

    // Run A: the menu.
    let mut emu = Emu::start(&map, root);
    let at = emu.run_harness(root, "harness_a.cfg");
    // The menu's lower border, or a new prompt when the configuration has no menu.
    let drawn = emu.wait_for(at, &["\u{2517}", "Use the", "grub> "], 20);
    std::thread::sleep(Duration::from_millis(500));
    if let Some(d) = std::env::var_os("GRUB_EMU_DUMP") {
        let _ = std::fs::write(Path::new(&d).join("run_a.txt"), emu.text_from(0));
    }
    if drawn {
        let (titles, hl) = menu_rows(&emu.text_from(at));
        seen.titles = titles;
        seen.highlighted = hl;
    }
    drop(emu);

    // Run B: boot the default.
    let mut emu = Emu::start(&map_b, root);
    let at = emu.run_harness(root, "harness_b.cfg");
    // Errors make GRUB wait for a key before it falls back to the next entry.
    let mut from = at;
    for _ in 0..8 {
        if !emu.wait_for(from, &["Press any key to continue", "grub> "], 20) {
            break;
        }
        let t = emu.text_from(from);
        if t.contains("Failed to boot") || t.contains("grub> ") {
            break;
        }
        from = emu.len();
        emu.send("");
    }
    std::thread::sleep(Duration::from_millis(300));
    if let Some(d) = std::env::var_os("GRUB_EMU_DUMP") {
        let _ = std::fs::write(Path::new(&d).join("run_b.txt"), emu.text_from(0));
    }
    let text = plain(&emu.text_from(at));
    drop(emu);
    let mut words: Option<Vec<String>> = None;
    let mut in_call: Option<char> = None;
    let mut booting_done = false;
    for line in text.lines() {
        let line = line.trim_end();
        if let Some(t) = line.trim_start().strip_prefix("Falling back to `") {
            if seen.linux.is_some() {
                break;
            }
            // The previous entry loaded nothing: GRUB tries the next fallback.
            seen.booted = Some(t.strip_suffix('\'').unwrap_or(t).to_string());
            seen.initrd.clear();
            booting_done = false;
            continue;
        }
        if let Some(t) = line.trim_start().strip_prefix("Booting `") {
            if seen.linux.is_some() || booting_done {
                // A fallback entry: stop.
                break;
            }
            seen.booted = Some(t.strip_suffix('\'').unwrap_or(t).to_string());
            continue;
        }
        if line.contains("Failed to boot") {
            break;
        }
        let l = line.trim_start();
        match l {
            "@@L" => {
                in_call = Some('L');
                words = Some(Vec::new());
            }
            "@@NOLINUX" => {
                seen.linux = None;
                seen.initrd.clear();
                booting_done = true;
            }
            "@@NOINITRD" => booting_done = true,
            "@@I" => {
                in_call = Some('I');
                words = Some(Vec::new());
            }
            "@@E" => {
                let w = words.take().unwrap_or_default();
                match in_call.take() {
                    Some('L') => {
                        seen.linux = Some(w);
                        seen.initrd.clear();
                    }
                    Some('I') if seen.linux.is_some() => seen.initrd = w,
                    _ => {}
                }
                booting_done = true;
            }
            _ => {
                if let (Some(w), Some(a)) = (words.as_mut(), l.strip_prefix("@@A[")) {
                    if let Some(end) = a.rfind(']') {
                        w.push(a[..end].to_string());
                    }
                }
            }
        }
    }
    seen
}
