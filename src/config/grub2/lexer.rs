//! The GRUB 2 script lexer: text → tokens, following GRUB 2.06's `yylex.l`.
//!
//! Words are split on blanks, newlines and the characters `{ } | & ; < >`. A word is
//! made of unquoted characters (a backslash quotes the next character, a
//! backslash-newline is removed), `'…'` (literal), `"…"` (with `\$ \\ \"` escapes,
//! backslash-newline removed and `$var` expanded), `$"…"` (treated as `"…"`) and
//! variable references `$name ${name} $1 ${12} $? $# $* $@`. A `#` where a token
//! starts comments out the rest of the line. Anything GRUB's lexer rejects becomes a
//! [`Tok::Bad`] token, which the parser reports as a syntax error.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char as ch, satisfy};
use nom::combinator::recognize;
use nom::sequence::{delimited, pair};
use nom::IResult;
use std::rc::Rc;

/// One piece of a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Unquoted text, backslash escapes already removed.
    Text(String),
    /// Quoted text (`'…'` or the literal pieces of `"…"`); even when empty it makes
    /// the word an argument.
    Quoted(String),
    /// An unquoted variable reference: its value is split into fields on blanks.
    Var(String),
    /// A variable reference inside double quotes: its value is kept whole.
    DqVar(String),
}

/// A word: the parts that are concatenated into one or more arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Word {
    /// The pieces, in order.
    pub parts: Vec<Part>,
    /// The word's text when it is made only of plain unquoted characters (no quotes,
    /// escapes or variables): only such words can be keywords or names.
    pub plain: Option<String>,
}

/// A token kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A word (possibly a keyword, see [`Word::plain`]); shared, since the parser
    /// hands the same word to the command it builds.
    Word(Rc<Word>),
    /// End of a line.
    Newline,
    /// `;`
    Semi,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// Something GRUB's grammar rejects (`|`, `&&`, `[[`, an unterminated quote, a
    /// lone `$`…), with a description.
    Bad(String),
}

/// A token with its place in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The kind and contents.
    pub tok: Tok,
    /// Byte offset where the token starts.
    pub start: usize,
    /// Byte offset just after the token.
    pub end: usize,
    /// 1-based line number where the token starts.
    pub line: usize,
}

/// The keywords of GRUB's grammar (reserved only as whole plain words).
pub const KEYWORDS: &[&str] = &[
    "case", "do", "done", "elif", "else", "esac", "fi", "for", "if", "in", "select", "then",
    "until", "while", "function",
];

/// True for the characters GRUB allows unquoted inside a word (`CHAR` in yylex.l).
pub(crate) fn is_word_char(c: char) -> bool {
    !matches!(
        c,
        '{' | '}' | '|' | '&' | '$' | ';' | '<' | '>' | ' ' | '\t' | '\n' | '\'' | '"' | '\\'
    )
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// True when `s` is a GRUB `NAME` (`[A-Za-z_][A-Za-z0-9_]*`).
pub fn is_name(s: &str) -> bool {
    let mut cs = s.chars();
    matches!(cs.next(), Some(c) if is_name_start(c)) && cs.all(is_name_char)
}

/// A variable name after `$`: a name, digits or one of `? # * @`.
fn var_name(i: &str) -> IResult<&str, &str> {
    alt((
        recognize(pair(satisfy(is_name_start), take_while(is_name_char))),
        take_while1(|c: char| c.is_ascii_digit()),
        recognize(satisfy(|c| matches!(c, '?' | '#' | '*' | '@'))),
    ))(i)
}

/// `$name` or `${name}`; returns the name.
fn variable(i: &str) -> IResult<&str, &str> {
    let (i, _) = ch('$')(i)?;
    alt((delimited(ch('{'), var_name, ch('}')), var_name))(i)
}

/// Symbols that are tokens of their own in GRUB's lexer but have no place in its
/// grammar.
fn bad_symbol(i: &str) -> IResult<&str, &str> {
    alt((
        tag("||"),
        tag("&&"),
        tag(";;"),
        tag("[["),
        tag("]]"),
        tag("|"),
        tag("&"),
        tag("<"),
        tag(">"),
    ))(i)
}

/// Splits `src` into tokens. Never fails: problems become [`Tok::Bad`] tokens.
pub fn tokenize(src: &str) -> Vec<Token> {
    let mut lx = Lexer {
        src,
        pos: 0,
        line: 1,
        out: Vec::new(),
    };
    lx.run();
    lx.out
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
    out: Vec<Token>,
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn advance(&mut self, n: usize) {
        let end = self.pos.saturating_add(n).min(self.src.len());
        let skipped = self.src.get(self.pos..end).unwrap_or("");
        self.line += skipped.matches('\n').count();
        self.pos = end;
    }

    fn push(&mut self, tok: Tok, start: usize, line: usize) {
        self.out.push(Token {
            tok,
            start,
            end: self.pos,
            line,
        });
    }

    fn run(&mut self) {
        loop {
            let rest = self.src.get(self.pos..).unwrap_or("");
            let Some(c) = rest.chars().next() else { break };
            let start = self.pos;
            let line = self.line;
            match c {
                ' ' | '\t' | '\r' => self.advance(1),
                '#' => {
                    let n = rest.find('\n').unwrap_or(rest.len());
                    self.advance(n);
                }
                '\n' => {
                    self.advance(1);
                    self.push(Tok::Newline, start, line);
                }
                '{' => {
                    self.advance(1);
                    self.push(Tok::LBrace, start, line);
                }
                '}' => {
                    self.advance(1);
                    self.push(Tok::RBrace, start, line);
                }
                ';' if !rest.starts_with(";;") => {
                    self.advance(1);
                    self.push(Tok::Semi, start, line);
                }
                _ => {
                    let after2 = rest.get(2..).and_then(|r| r.chars().next());
                    if (rest.starts_with("[[") || rest.starts_with("]]"))
                        && !after2.is_some_and(|c| {
                            is_word_char(c) || matches!(c, '\\' | '\'' | '"' | '$')
                        })
                    {
                        // `[[`/`]]` are tokens only where a token starts.
                        let sym = rest[..2].to_string();
                        self.advance(2);
                        self.push(Tok::Bad(format!("`{sym}'")), start, line);
                        continue;
                    }
                    if let Ok((after, sym)) = bad_symbol(rest) {
                        let n = rest.len() - after.len();
                        let sym = sym.to_string();
                        self.advance(n);
                        self.push(Tok::Bad(format!("`{sym}'")), start, line);
                        continue;
                    }
                    match self.word() {
                        Ok(w) => self.push(Tok::Word(Rc::new(w)), start, line),
                        Err(msg) => {
                            // Skip the rest of the line; the parser reports it.
                            let n = self.rest().find('\n').unwrap_or(self.rest().len());
                            self.advance(n);
                            self.push(Tok::Bad(msg), start, line);
                        }
                    }
                }
            }
        }
    }

    /// Reads one word at the current position.
    fn word(&mut self) -> Result<Word, String> {
        let mut parts: Vec<Part> = Vec::new();
        let mut plain = true;
        let mut text = String::new();
        let flush = |text: &mut String, parts: &mut Vec<Part>| {
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(text)));
            }
        };
        loop {
            let rest = self.rest();
            let Some(c) = rest.chars().next() else { break };
            if is_word_char(c) && c != '\r' {
                let run: IResult<&str, &str> =
                    take_while1(|c: char| is_word_char(c) && c != '\r')(rest);
                let Ok((_, run)) = run else { break };
                let n = run.len();
                text.push_str(run);
                self.advance(n);
                continue;
            }
            match c {
                '\\' => {
                    plain = false;
                    let mut it = rest.chars();
                    it.next();
                    match it.next() {
                        Some('\n') => self.advance(2),
                        Some(e) => {
                            text.push(e);
                            self.advance(1 + e.len_utf8());
                        }
                        None => self.advance(1),
                    }
                }
                '\'' => {
                    plain = false;
                    flush(&mut text, &mut parts);
                    let body = &rest[1..];
                    let Some(close) = body.find('\'') else {
                        return Err("unterminated '…' string".to_string());
                    };
                    parts.push(Part::Quoted(body[..close].to_string()));
                    self.advance(close + 2);
                }
                '"' => {
                    plain = false;
                    flush(&mut text, &mut parts);
                    self.advance(1);
                    self.dquote(&mut parts)?;
                }
                '$' => {
                    plain = false;
                    flush(&mut text, &mut parts);
                    if rest.starts_with("$\"") {
                        self.advance(2);
                        self.dquote(&mut parts)?;
                        continue;
                    }
                    match variable(rest) {
                        Ok((after, name)) => {
                            parts.push(Part::Var(name.to_string()));
                            let n = rest.len() - after.len();
                            self.advance(n);
                        }
                        Err(_) => return Err("`$' not followed by a variable name".into()),
                    }
                }
                _ => break,
            }
        }
        flush(&mut text, &mut parts);
        let plain = if plain {
            parts.iter().try_fold(String::new(), |mut acc, p| match p {
                Part::Text(t) => {
                    acc.push_str(t);
                    Some(acc)
                }
                _ => None,
            })
        } else {
            None
        };
        Ok(Word { parts, plain })
    }

    /// Reads the inside of a `"…"` string (the opening quote is consumed).
    fn dquote(&mut self, parts: &mut Vec<Part>) -> Result<(), String> {
        let mut text = String::new();
        // An empty "" still makes an argument.
        parts.push(Part::Quoted(String::new()));
        loop {
            let rest = self.rest();
            let mut it = rest.chars();
            let Some(c) = it.next() else {
                return Err("unterminated \"…\" string".to_string());
            };
            match c {
                '"' => {
                    self.advance(1);
                    break;
                }
                '\\' => match it.next() {
                    Some(e @ ('$' | '\\' | '"')) => {
                        text.push(e);
                        self.advance(2);
                    }
                    Some('\n') => self.advance(2),
                    _ => {
                        text.push('\\');
                        self.advance(1);
                    }
                },
                '$' => match variable(rest) {
                    Ok((after, name)) => {
                        if !text.is_empty() {
                            parts.push(Part::Quoted(std::mem::take(&mut text)));
                        }
                        parts.push(Part::DqVar(name.to_string()));
                        let n = rest.len() - after.len();
                        self.advance(n);
                    }
                    Err(_) => return Err("`$' not followed by a variable name".into()),
                },
                _ => {
                    text.push(c);
                    self.advance(c.len_utf8());
                }
            }
        }
        if !text.is_empty() {
            parts.push(Part::Quoted(text));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(src: &str) -> Vec<Tok> {
        tokenize(src).into_iter().map(|t| t.tok).collect()
    }

    fn text(s: &str) -> Part {
        Part::Text(s.into())
    }

    #[test]
    fn splits_words_and_symbols() {
        let t = words("menuentry 'a b' --id x {\n linux /vmlinuz; }\n");
        assert_eq!(t.len(), 11, "{t:?}");
        assert!(matches!(&t[0], Tok::Word(w) if w.plain.as_deref() == Some("menuentry")));
        assert!(matches!(&t[1], Tok::Word(w) if w.parts == vec![Part::Quoted("a b".into())]));
        assert_eq!(t[4], Tok::LBrace);
        assert_eq!(t[5], Tok::Newline);
        assert_eq!(t[8], Tok::Semi);
        assert_eq!(t[9], Tok::RBrace);
    }

    #[test]
    fn quotes_escapes_and_variables() {
        let t = words(r#"a\ b"x\$y\\\"$v"'$z'${w}c$1$#"#);
        let Tok::Word(w) = &t[0] else { panic!() };
        assert_eq!(
            w.parts,
            vec![
                text("a b"),
                Part::Quoted(String::new()),
                Part::Quoted("x$y\\\"".into()),
                Part::DqVar("v".into()),
                Part::Quoted("$z".into()),
                Part::Var("w".into()),
                text("c"),
                Part::Var("1".into()),
                Part::Var("#".into()),
            ]
        );
        assert_eq!(w.plain, None);
    }

    #[test]
    fn comments_continuations_and_bad_tokens() {
        let t = words("echo a#b # comment\nx \\\n y | z");
        assert!(matches!(&t[1], Tok::Word(w) if w.plain.as_deref() == Some("a#b")));
        assert_eq!(t[2], Tok::Newline);
        assert!(t.iter().any(|t| matches!(t, Tok::Bad(_))));
        let t = words("echo \"open\nstill\" $");
        assert!(matches!(&t[1], Tok::Word(w) if w.parts[1] == Part::Quoted("open\nstill".into())));
        assert!(matches!(t.last(), Some(Tok::Bad(_))));
        assert!(matches!(&words("echo 'x")[1], Tok::Bad(_)));
    }

    #[test]
    fn names() {
        assert!(is_name("load_video"));
        assert!(is_name("_a1"));
        assert!(!is_name("1a"));
        assert!(!is_name("a-b"));
        assert!(!is_name(""));
    }
}
