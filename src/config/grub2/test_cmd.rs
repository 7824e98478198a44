//! GRUB's `test` / `[` command (GRUB 2.06 `commands/test.c`) and its number
//! parsing (`grub_strtoul`).
//!
//! Operators: strings `= == != < <= > >=`, numbers `-eq -ne -lt -le -gt -ge` (C-style
//! base prefixes: `0x` hex, leading `0` octal), `-pgt -plt` (numbers after a common
//! prefix), files `-e -f -d -s -nt -ot`, `-n -z`, `!`, `-a`, `-o`, `( )`; a lone word
//! is true when non-empty. As in GRUB, `-a` binds like a no-op and `-o` splits the
//! expression into alternatives.

/// What a file test learns about a path (GRUB looks the name up in its directory,
/// so a symlink is neither a file nor a directory to `-d`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileInfo {
    /// The name is a directory.
    pub dir: bool,
}

/// Access to the guest's files for the file tests.
pub trait FileTests {
    /// Looks `path` up (device prefix allowed); `None` when it does not exist.
    fn info(&mut self, path: &str) -> Option<FileInfo>;
    /// True when `path` opens as a regular file with a non-zero size (`-s`).
    fn nonempty(&mut self, path: &str) -> bool;
}

/// `grub_strtoull`: skips blanks, guesses the base (`0x` → 16, `0` + octal digit →
/// 8) when `base` is 0, and returns the value and the number of bytes used; `None`
/// when no digit was found. Overflow yields `u64::MAX` (GRUB also flags an error).
pub fn strtoul(s: &str, base: u32) -> (Option<u64>, usize, bool) {
    let b = s.as_bytes();
    let mut i = 0;
    while matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        i += 1;
    }
    let mut base = base;
    if b.get(i) == Some(&b'0') {
        if b.get(i + 1) == Some(&b'x') {
            if base == 0 || base == 16 {
                base = 16;
                i += 2;
            }
        } else if base == 0 && matches!(b.get(i + 1), Some(b'0'..=b'7')) {
            base = 8;
        }
    }
    if base == 0 {
        base = 10;
    }
    let mut num: u64 = 0;
    let mut found = false;
    while let Some(&c) = b.get(i) {
        let digit = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'a'..=b'z' => u32::from(c - b'a') + 10,
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => break,
        };
        if digit >= base {
            break;
        }
        found = true;
        match num
            .checked_mul(u64::from(base))
            .and_then(|n| n.checked_add(u64::from(digit)))
        {
            Some(n) => num = n,
            None => return (Some(u64::MAX), i, true),
        }
        i += 1;
    }
    if found {
        (Some(num), i, false)
    } else {
        (None, i, false)
    }
}

/// GRUB's `grub_strtosl` as `test` uses it: a leading `-` negates, the result is
/// truncated to a C `int`; an unparsable number is 0.
fn strtosl(s: &str) -> i32 {
    let (neg, rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let v = strtoul(rest, 0).0.unwrap_or(0);
    let v = if neg { v.wrapping_neg() } else { v };
    v as i32
}

fn strtoul0(s: &str) -> u64 {
    strtoul(s, 0).0.unwrap_or(0)
}

struct Ctx {
    invert: bool,
    or: bool,
    and: bool,
}

impl Ctx {
    fn update(&mut self, val: bool) {
        self.and = self.and && (if self.invert { !val } else { val });
        self.invert = false;
    }
}

/// Evaluates `test ARGS…` (a trailing `]` is dropped, as for `[`). True = status 0.
pub fn test(args: &[String], files: &mut dyn FileTests) -> bool {
    let mut argc = args.len();
    if args.last().map(String::as_str) == Some("]") {
        argc -= 1;
    }
    let args = args.get(..argc).unwrap_or_default();
    let mut argn = 0;
    parse(args, &mut argn, files, 0)
}

fn parse(args: &[String], argn: &mut usize, files: &mut dyn FileTests, depth: usize) -> bool {
    let mut ctx = Ctx {
        invert: false,
        or: false,
        and: true,
    };
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let argc = args.len();
    while *argn < argc {
        let a = arg(*argn);
        if *argn + 2 < argc {
            let op = arg(*argn + 1);
            let b = arg(*argn + 2);
            let val = match op {
                "=" | "==" => Some(a == b),
                "!=" => Some(a != b),
                "<" => Some(a.as_bytes() < b.as_bytes()),
                "<=" => Some(a.as_bytes() <= b.as_bytes()),
                ">" => Some(a.as_bytes() > b.as_bytes()),
                ">=" => Some(a.as_bytes() >= b.as_bytes()),
                "-eq" => Some(strtosl(a) == strtosl(b)),
                "-ge" => Some(strtosl(a) >= strtosl(b)),
                "-gt" => Some(strtosl(a) > strtosl(b)),
                "-le" => Some(strtosl(a) <= strtosl(b)),
                "-lt" => Some(strtosl(a) < strtosl(b)),
                "-ne" => Some(strtosl(a) != strtosl(b)),
                "-pgt" | "-plt" => {
                    let (ab, bb) = (a.as_bytes(), b.as_bytes());
                    let mut i = ab.iter().zip(bb).take_while(|(x, y)| x == y).count() as isize;
                    i -= 1;
                    while i > 0 && ab.get(i as usize).is_some_and(u8::is_ascii_digit) {
                        i -= 1;
                    }
                    i += 1;
                    let i = i.max(0) as usize;
                    let x = strtoul0(a.get(i..).unwrap_or(""));
                    let y = strtoul0(b.get(i..).unwrap_or(""));
                    Some(if op == "-pgt" { x > y } else { x < y })
                }
                _ if op.starts_with("-nt") || op.starts_with("-ot") => {
                    // Modification times are not known; GRUB then decides by
                    // existence alone.
                    let e1 = files.info(a).is_some();
                    let e2 = files.info(b).is_some();
                    Some(if op.starts_with("-nt") {
                        e1 && !e2
                    } else {
                        !e1 && e2
                    })
                }
                _ => None,
            };
            if let Some(v) = val {
                ctx.update(v);
                *argn += 3;
                continue;
            }
        }
        if *argn + 1 < argc {
            let b = arg(*argn + 1);
            let val = match a {
                "-d" => Some(files.info(b).is_some_and(|i| i.dir)),
                "-e" => Some(files.info(b).is_some()),
                "-f" => Some(files.info(b).is_some_and(|i| !i.dir)),
                "-s" => Some(files.nonempty(b)),
                "-n" => Some(!b.is_empty()),
                "-z" => Some(b.is_empty()),
                _ => None,
            };
            if let Some(v) = val {
                ctx.update(v);
                *argn += 2;
                continue;
            }
        }
        match a {
            ")" => {
                *argn += 1;
                return ctx.or || ctx.and;
            }
            "(" => {
                *argn += 1;
                // Nesting is bounded by the number of arguments; cap it anyway.
                let v = depth < 256 && parse(args, argn, files, depth + 1);
                ctx.update(v);
            }
            "!" => {
                ctx.invert = !ctx.invert;
                *argn += 1;
            }
            "-a" => *argn += 1,
            "-o" => {
                ctx.or = ctx.or || ctx.and;
                ctx.and = true;
                *argn += 1;
            }
            _ => {
                ctx.update(!a.is_empty());
                *argn += 1;
            }
        }
    }
    ctx.or || ctx.and
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Files;
    impl FileTests for Files {
        fn info(&mut self, path: &str) -> Option<FileInfo> {
            match path {
                "/boot" | "(hd0,msdos1)/boot/" => Some(FileInfo { dir: true }),
                "/boot/vmlinuz" => Some(FileInfo { dir: false }),
                _ => None,
            }
        }
        fn nonempty(&mut self, path: &str) -> bool {
            path == "/boot/grub/grubenv"
        }
    }

    fn t(s: &str) -> bool {
        let args: Vec<String> = s.split(' ').map(str::to_string).collect();
        test(&args, &mut Files)
    }

    #[test]
    fn strings_numbers_and_logic() {
        assert!(t("a = a"));
        assert!(t("a == a ]"));
        assert!(!t("a != a"));
        assert!(t("abc < abd"));
        assert!(t("10 -gt 9"));
        assert!(!t("010 -gt 9"), "leading 0 is octal, as in GRUB");
        assert!(t("0x10 -eq 16"));
        assert!(t("-3 -lt 2"));
        assert!(t("vmlinuz-2 -plt vmlinuz-11"));
        assert!(t("! a = b"));
        assert!(t("a = b -o c = c"));
        assert!(!t("a = b -a c = c"));
        assert!(t("( a = b -o x ) -a -n y"));
        assert!(!t("-z y"));
        assert!(t("word"));
        assert!(!test(&[String::new(), "]".into()], &mut Files));
        assert!(test(&[], &mut Files));
    }

    #[test]
    fn file_tests() {
        assert!(t("-d /boot"));
        assert!(t("-d (hd0,msdos1)/boot/"));
        assert!(t("-f /boot/vmlinuz"));
        assert!(!t("-f /boot"));
        assert!(t("-e /boot/vmlinuz"));
        assert!(!t("-e /nope"));
        assert!(t("-s /boot/grub/grubenv"));
        assert!(t("/boot/vmlinuz -nt /nope"));
    }

    #[test]
    fn numbers_like_grub() {
        assert_eq!(strtoul("  42abc", 0), (Some(42), 4, false));
        assert_eq!(strtoul("x", 0).0, None);
        assert_eq!(strtoul("0x1f", 0).0, Some(31));
        assert_eq!(strtoul("017", 0).0, Some(15));
        assert_eq!(strtoul("08", 0).0, Some(8));
        assert_eq!(strtoul("99999999999999999999999", 0).0, Some(u64::MAX));
        assert_eq!(strtoul("1>2", 0), (Some(1), 1, false));
    }
}
