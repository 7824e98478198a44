//! A small GNU-getopt style argument parser, behaving like Python's
//! `getopt.gnu_getopt` (which pygrub uses): `--name=value`, `--name value`, unique
//! prefixes of long names, clustered short options (`-qn`), a short option's value
//! attached or in the next argument, operands anywhere, and `--` ending options.

/// One option the parser accepts.
#[derive(Clone, Copy, Debug)]
pub struct Spec {
    /// The long name, without `--`; also the name reported for the short form.
    pub long: &'static str,
    /// The short letter, if any.
    pub short: Option<char>,
    /// Whether the option takes a value.
    pub value: bool,
}

impl Spec {
    /// An option without a value.
    pub const fn flag(long: &'static str, short: Option<char>) -> Spec {
        Spec {
            long,
            short,
            value: false,
        }
    }

    /// An option that takes a value.
    pub const fn value(long: &'static str, short: Option<char>) -> Spec {
        Spec {
            long,
            short,
            value: true,
        }
    }
}

/// The result of parsing: options in command-line order, then operands.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    /// `(long name, value)` in the order given.
    pub opts: Vec<(&'static str, Option<String>)>,
    /// Non-option arguments, in order.
    pub operands: Vec<String>,
}

impl Parsed {
    /// True when the flag `name` was given.
    pub fn has(&self, name: &str) -> bool {
        self.opts.iter().any(|(n, _)| *n == name)
    }

    /// The last value given for `name`.
    pub fn last(&self, name: &str) -> Option<&str> {
        self.opts
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// Every value given for `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.opts
            .iter()
            .filter(|(n, _)| *n == name)
            .filter_map(|(_, v)| v.as_deref())
            .collect()
    }
}

/// Finds the long option `name` names: an exact name, else the only spec it is a
/// prefix of.
fn find_long<'a>(specs: &'a [Spec], name: &str) -> Result<&'a Spec, String> {
    if let Some(s) = specs.iter().find(|s| s.long == name) {
        return Ok(s);
    }
    let matches: Vec<&Spec> = specs.iter().filter(|s| s.long.starts_with(name)).collect();
    match matches.as_slice() {
        [one] if !name.is_empty() => Ok(one),
        [] | [_] => Err(format!("option --{name} not recognized")),
        many => Err(format!(
            "option --{name} is ambiguous (could be {})",
            many.iter()
                .map(|s| format!("--{}", s.long))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Parses `args` (without the program name) against `specs`.
pub fn parse(args: &[String], specs: &[Spec]) -> Result<Parsed, String> {
    let mut out = Parsed::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--" {
            out.operands.extend(it.by_ref().cloned());
            break;
        }
        if let Some(body) = arg.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let spec = find_long(specs, name)?;
            let value = match (spec.value, inline) {
                (true, Some(v)) => Some(v),
                (true, None) => Some(
                    it.next()
                        .cloned()
                        .ok_or_else(|| format!("option --{} requires a value", spec.long))?,
                ),
                (false, Some(_)) => {
                    return Err(format!("option --{} does not take a value", spec.long))
                }
                (false, None) => None,
            };
            out.opts.push((spec.long, value));
        } else if arg.len() > 1 && arg.starts_with('-') {
            let cluster: Vec<char> = arg.chars().skip(1).collect();
            let mut i = 0;
            while let Some(&c) = cluster.get(i) {
                let spec = specs
                    .iter()
                    .find(|s| s.short == Some(c))
                    .ok_or_else(|| format!("option -{c} not recognized"))?;
                if spec.value {
                    let rest: String = cluster.iter().skip(i + 1).collect();
                    let value = if rest.is_empty() {
                        it.next()
                            .cloned()
                            .ok_or_else(|| format!("option -{c} requires a value"))?
                    } else {
                        rest
                    };
                    out.opts.push((spec.long, Some(value)));
                    break;
                }
                out.opts.push((spec.long, None));
                i += 1;
            }
        } else {
            out.operands.push(arg.clone());
        }
    }
    Ok(out)
}

/// Parses a byte size: a decimal number with an optional binary suffix
/// `K`, `M`, `G` or `T` (also `KiB`, `MB`, …; case-insensitive).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits_end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, suffix) = t.split_at(digits_end);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a size (a number with K, M or G)"))?;
    let shift = match suffix.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        _ => return Err(format!("{text:?}: unknown size suffix {suffix:?}")),
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("size {text:?} is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPECS: &[Spec] = &[
        Spec::flag("quiet", Some('q')),
        Spec::flag("not-really", Some('n')),
        Spec::flag("isconfig", None),
        Spec::value("output", None),
        Spec::value("output-format", None),
        Spec::value("output-directory", None),
        Spec::value("entry", None),
        Spec::value("offset", Some('o')),
    ];

    fn p(args: &[&str]) -> Result<Parsed, String> {
        let v: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse(&v, SPECS)
    }

    #[test]
    fn libxl_argv() {
        let r = p(&[
            "--output=/var/lib/xen/bootloader.3.out",
            "--output-format=simple0",
            "--output-directory=/var/lib/xen/bootloader.3.d",
            "--entry=1",
            "/dev/vg/guest",
        ])
        .unwrap();
        assert_eq!(r.last("output"), Some("/var/lib/xen/bootloader.3.out"));
        assert_eq!(r.last("output-format"), Some("simple0"));
        assert_eq!(
            r.last("output-directory"),
            Some("/var/lib/xen/bootloader.3.d")
        );
        assert_eq!(r.last("entry"), Some("1"));
        assert_eq!(r.operands, vec!["/dev/vg/guest"]);
    }

    #[test]
    fn separate_values_clusters_prefixes_and_permutation() {
        let r = p(&["img", "-qn", "--ent", "Debian", "--isc", "--output", "-"]).unwrap();
        assert!(r.has("quiet") && r.has("not-really") && r.has("isconfig"));
        assert_eq!(r.last("entry"), Some("Debian"));
        assert_eq!(r.last("output"), Some("-"));
        assert_eq!(r.operands, vec!["img"]);
        let r = p(&["-qo512", "img"]).unwrap();
        assert_eq!(r.last("offset"), Some("512"));
        let r = p(&["-o", "512", "img"]).unwrap();
        assert_eq!(r.last("offset"), Some("512"));
    }

    #[test]
    fn empty_values_and_double_dash() {
        let r = p(&["--entry=", "--", "-q"]).unwrap();
        assert_eq!(r.last("entry"), Some(""));
        assert_eq!(r.operands, vec!["-q"]);
        let r = p(&["-", "x"]).unwrap();
        assert_eq!(r.operands, vec!["-", "x"]);
    }

    #[test]
    fn errors_like_getopt() {
        assert!(p(&["--out=x", "img"]).unwrap_err().contains("ambiguous"));
        assert!(p(&["--quiet=1"]).unwrap_err().contains("does not take"));
        assert!(p(&["--entry"]).unwrap_err().contains("requires a value"));
        assert!(p(&["-x"]).unwrap_err().contains("-x not recognized"));
        assert!(p(&["--bogus"]).unwrap_err().contains("--bogus"));
        assert!(p(&["-qo"]).unwrap_err().contains("requires a value"));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096").unwrap(), 4096);
        assert_eq!(parse_size("16K").unwrap(), 16 << 10);
        assert_eq!(parse_size("128M").unwrap(), 128 << 20);
        assert_eq!(parse_size("2g").unwrap(), 2 << 30);
        assert_eq!(parse_size("1MiB").unwrap(), 1 << 20);
        assert!(parse_size("").is_err());
        assert!(parse_size("12Q").is_err());
        assert!(parse_size("-1").is_err());
        assert!(parse_size("99999999999T").is_err());
    }
}
