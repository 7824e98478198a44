//! GRUB 2 script tokenizer: words with GRUB's quoting, separators and braces.
//!
//! - `'…'` is literal; `"…"` keeps `$var` expansion and treats `\"`, `\\`, `\$` (and
//!   backslash-newline) as escapes, any other backslash stays literal;
//! - outside quotes a backslash escapes the next character, backslash-newline joins
//!   lines;
//! - `$name`, `${name}`, `$1`, `$?`, `$#`, `$@`, `$*` are variable references, kept
//!   unexpanded (expansion happens when the command runs);
//! - unquoted `{` and `}` are always tokens of their own; newline and `;` separate
//!   commands; `#` at the start of a word comments out the rest of the line.

/// A piece of a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Part {
    /// Literal text (from quoted or unquoted source).
    Lit(String),
    /// A variable reference; `quoted` when it appeared inside `"…"` (then its value
    /// is not split into several words).
    Var {
        /// The variable's name.
        name: String,
        /// Inside double quotes.
        quoted: bool,
    },
}

/// One word of a command, before expansion.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word {
    /// Its pieces, in order.
    pub parts: Vec<Part>,
    /// True when any part of the word was quoted or escaped (so it is never a
    /// keyword).
    pub quoted: bool,
}

impl Word {
    /// The word's text when it is a plain unquoted literal (keywords are only
    /// recognised in that form).
    pub fn bare(&self) -> Option<&str> {
        match self.parts.as_slice() {
            [Part::Lit(s)] if !self.quoted => Some(s),
            _ => None,
        }
    }

    fn push_char(&mut self, c: char) {
        if let Some(Part::Lit(s)) = self.parts.last_mut() {
            s.push(c);
        } else {
            self.parts.push(Part::Lit(c.to_string()));
        }
    }
}

/// A token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    /// A word.
    Word(Word),
    /// End of a command: newline or `;`.
    Sep,
    /// `{`.
    Open,
    /// `}`.
    Close,
}

/// A token with the line it starts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// The token.
    pub tok: Tok,
    /// 1-based line number.
    pub line: usize,
}

/// Splits `text` into tokens; problems (an unterminated quote) are pushed to
/// `warnings` and the text up to the end is kept.
pub fn tokenize(text: &str, warnings: &mut Vec<String>) -> Vec<Token> {
    let mut lx = Lexer {
        chars: text.chars().peekable(),
        line: 1,
        out: Vec::new(),
        word: None,
        word_line: 1,
    };
    lx.run(warnings);
    lx.out
}

struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
    line: usize,
    out: Vec<Token>,
    word: Option<Word>,
    word_line: usize,
}

impl Lexer<'_> {
    fn bump(&mut self) -> Option<char> {
        let c = self.chars.next()?;
        if c == '\n' {
            self.line = self.line.saturating_add(1);
        }
        Some(c)
    }

    /// The word being built, starting one if needed.
    fn word(&mut self) -> &mut Word {
        if self.word.is_none() {
            self.word_line = self.line;
        }
        self.word.get_or_insert_with(Word::default)
    }

    fn end_word(&mut self) {
        if let Some(w) = self.word.take() {
            self.out.push(Token {
                tok: Tok::Word(w),
                line: self.word_line,
            });
        }
    }

    fn push(&mut self, tok: Tok) {
        self.end_word();
        self.out.push(Token {
            tok,
            line: self.line,
        });
    }

    fn run(&mut self, warnings: &mut Vec<String>) {
        while let Some(c) = self.bump() {
            match c {
                ' ' | '\t' | '\r' => self.end_word(),
                '\n' => {
                    self.end_word();
                    self.out.push(Token {
                        tok: Tok::Sep,
                        line: self.line.saturating_sub(1),
                    });
                }
                ';' => self.push(Tok::Sep),
                '{' => self.push(Tok::Open),
                '}' => self.push(Tok::Close),
                '#' if self.word.is_none() => {
                    while let Some(&n) = self.chars.peek() {
                        if n == '\n' {
                            break;
                        }
                        self.bump();
                    }
                }
                '\\' => match self.bump() {
                    Some('\n') | None => {}
                    Some(n) => {
                        let w = self.word();
                        w.quoted = true;
                        w.push_char(n);
                    }
                },
                '\'' => self.single_quoted(warnings),
                '"' => self.double_quoted(warnings),
                '$' => self.variable(false),
                other => self.word().push_char(other),
            }
        }
        self.end_word();
    }

    fn single_quoted(&mut self, warnings: &mut Vec<String>) {
        let start = self.line;
        let w = self.word();
        w.quoted = true;
        if !matches!(w.parts.last(), Some(Part::Lit(_))) {
            w.parts.push(Part::Lit(String::new()));
        }
        loop {
            match self.bump() {
                None => {
                    warnings.push(format!("grub2 line {start}: unterminated '"));
                    return;
                }
                Some('\'') => return,
                Some(c) => self.word().push_char(c),
            }
        }
    }

    fn double_quoted(&mut self, warnings: &mut Vec<String>) {
        let start = self.line;
        let w = self.word();
        w.quoted = true;
        if !matches!(w.parts.last(), Some(Part::Lit(_))) {
            w.parts.push(Part::Lit(String::new()));
        }
        loop {
            match self.bump() {
                None => {
                    warnings.push(format!("grub2 line {start}: unterminated \""));
                    return;
                }
                Some('"') => return,
                Some('\\') => match self.chars.peek().copied() {
                    Some(n @ ('"' | '\\' | '$')) => {
                        self.bump();
                        self.word().push_char(n);
                    }
                    Some('\n') => {
                        self.bump();
                    }
                    _ => self.word().push_char('\\'),
                },
                Some('$') => self.variable(true),
                Some(c) => self.word().push_char(c),
            }
        }
    }

    /// Reads a variable reference after `$`.
    fn variable(&mut self, quoted: bool) {
        let mut name = String::new();
        match self.chars.peek().copied() {
            Some('{') => {
                self.bump();
                loop {
                    match self.bump() {
                        None | Some('}') => break,
                        Some(c) => name.push(c),
                    }
                }
            }
            Some(c @ ('?' | '#' | '@' | '*')) => {
                self.bump();
                name.push(c);
            }
            Some(c) if c.is_ascii_digit() => {
                while let Some(&d) = self.chars.peek() {
                    if !d.is_ascii_digit() {
                        break;
                    }
                    name.push(d);
                    self.bump();
                }
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                while let Some(&d) = self.chars.peek() {
                    if !(d.is_ascii_alphanumeric() || d == '_') {
                        break;
                    }
                    name.push(d);
                    self.bump();
                }
            }
            _ => {
                self.word().push_char('$');
                return;
            }
        }
        self.word().parts.push(Part::Var { name, quoted });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let mut w = Vec::new();
        tokenize(text, &mut w)
            .into_iter()
            .map(|t| match t.tok {
                Tok::Word(w) => w
                    .parts
                    .iter()
                    .map(|p| match p {
                        Part::Lit(s) => s.clone(),
                        Part::Var { name, quoted } => {
                            format!("<{}{name}>", if *quoted { "q:" } else { "" })
                        }
                    })
                    .collect::<String>(),
                Tok::Sep => ";".into(),
                Tok::Open => "{".into(),
                Tok::Close => "}".into(),
            })
            .collect()
    }

    #[test]
    fn quoting_and_escapes() {
        assert_eq!(
            words(r#"menuentry 'It'"'"'s {x}' --id "a \"b\" \\ \$c \d" {"#),
            vec!["menuentry", "It's {x}", "--id", r#"a "b" \ $c \d"#, "{"]
        );
        assert_eq!(words("echo a\\ b\\\nc"), vec!["echo", "a bc"]);
        assert_eq!(words("''"), vec![""]);
    }

    #[test]
    fn variables_separators_comments() {
        assert_eq!(
            words("set a=${x}y$z \"$1\" $? # c { }\nfi;}"),
            vec!["set", "a=<x>y<z>", "<q:1>", "<?>", ";", "fi", ";", "}"]
        );
        assert_eq!(words("a#b $ x"), vec!["a#b", "$", "x"]);
    }

    #[test]
    fn lines_and_unterminated_quotes() {
        let mut w = Vec::new();
        let toks = tokenize("a\n'b\nc'\n\"open", &mut w);
        let lines: Vec<usize> = toks.iter().map(|t| t.line).collect();
        assert_eq!(lines, vec![1, 1, 2, 3, 4]);
        assert_eq!(w.len(), 1);
        let t = &toks[2];
        assert!(matches!(&t.tok, Tok::Word(w) if w.parts == vec![Part::Lit("b\nc".into())]));
        assert!(Word::default().bare().is_none());
    }
}
