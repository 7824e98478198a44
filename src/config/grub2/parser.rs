//! GRUB 2 script parser: tokens → statements (`if`, `for`, `while`/`until`,
//! `function`, `menuentry`/`submenu` blocks and simple commands).
//!
//! Errors are reported as warnings and parsing goes on, as GRUB carries on after a
//! syntax error: a stray keyword or brace is skipped, a block left open at the end of
//! the file is dropped. Nesting is bounded by [`MAX_NESTING`].

use super::lexer::{Tok, Token, Word};
use std::rc::Rc;

/// Deepest nesting of blocks accepted (guards the recursive parser's stack against
/// hostile input; real configurations nest a handful of levels).
pub const MAX_NESTING: usize = 64;

/// A statement.
#[derive(Debug)]
pub enum Stmt {
    /// A simple command.
    Cmd {
        /// Its words, unexpanded.
        words: Vec<Word>,
        /// Line of its first word.
        line: usize,
    },
    /// `if … then … [elif … then …]… [else …] fi`.
    If {
        /// Condition and body of the `if` and each `elif`.
        arms: Vec<(Vec<Stmt>, Vec<Stmt>)>,
        /// The `else` body.
        otherwise: Option<Vec<Stmt>>,
    },
    /// `for NAME in WORDS; do … done`.
    For {
        /// Loop variable.
        var: String,
        /// The words iterated over, unexpanded.
        items: Vec<Word>,
        /// Loop body.
        body: Vec<Stmt>,
    },
    /// `while`/`until COND; do … done`.
    While {
        /// `until` rather than `while`.
        until: bool,
        /// Condition.
        cond: Vec<Stmt>,
        /// Body.
        body: Vec<Stmt>,
    },
    /// `function NAME { … }`.
    Function {
        /// The function's name.
        name: String,
        /// Its body.
        body: Rc<Vec<Stmt>>,
    },
    /// `menuentry`/`submenu ARGS { … }`.
    Menu {
        /// `submenu` rather than `menuentry`.
        submenu: bool,
        /// The arguments (title and options), unexpanded.
        args: Vec<Word>,
        /// The body.
        body: Rc<Vec<Stmt>>,
        /// Line of the keyword.
        line: usize,
    },
}

/// Parses tokens into statements.
pub fn parse(tokens: &[Token], warnings: &mut Vec<String>) -> Vec<Stmt> {
    let mut p = Parser {
        toks: tokens,
        pos: 0,
        warnings,
    };
    let mut out = Vec::new();
    loop {
        let (mut stmts, end) = p.list(&[], false, 0);
        out.append(&mut stmts);
        match end {
            End::Eof => break,
            End::Keyword(k, line) | End::Unexpected(k, line) => {
                p.warnings.push(format!(
                    "grub2 line {line}: syntax error: unexpected `{k}`, skipped"
                ));
            }
        }
    }
    out
}

/// Why a statement list ended.
enum End {
    /// End of tokens.
    Eof,
    /// One of the awaited keywords (or `}`), consumed.
    Keyword(String, usize),
    /// A keyword or `}` that nothing awaited, consumed.
    Unexpected(String, usize),
}

struct Parser<'t, 'w> {
    toks: &'t [Token],
    pos: usize,
    warnings: &'w mut Vec<String>,
}

/// Keywords that end a statement list somewhere.
const TERMINATORS: &[&str] = &["then", "elif", "else", "fi", "do", "done"];

impl Parser<'_, '_> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }

    fn skip_seps(&mut self) {
        while matches!(self.peek(), Some(Token { tok: Tok::Sep, .. })) {
            self.pos += 1;
        }
    }

    fn line(&self) -> usize {
        self.peek()
            .or_else(|| self.toks.last())
            .map_or(0, |t| t.line)
    }

    /// Parses statements until one of `until` (or `}` when `brace`) starts a
    /// command, or a keyword or brace that does not belong there.
    fn list(&mut self, until: &[&str], brace: bool, depth: usize) -> (Vec<Stmt>, End) {
        let mut out = Vec::new();
        let end = loop {
            self.skip_seps();
            let Some(tok) = self.peek() else {
                break End::Eof;
            };
            let line = tok.line;
            match &tok.tok {
                Tok::Close => {
                    self.pos += 1;
                    if brace {
                        break End::Keyword("}".into(), line);
                    }
                    break End::Unexpected("}".into(), line);
                }
                Tok::Open => {
                    self.pos += 1;
                    break End::Unexpected("{".into(), line);
                }
                Tok::Word(w) => {
                    if let Some(k) = w.bare() {
                        if until.contains(&k) {
                            let k = k.to_string();
                            self.pos += 1;
                            break End::Keyword(k, line);
                        }
                        if TERMINATORS.contains(&k) {
                            let k = k.to_string();
                            self.pos += 1;
                            break End::Unexpected(k, line);
                        }
                    }
                }
                Tok::Sep => {}
            }
            if let Some(stmt) = self.statement(depth) {
                out.push(stmt);
            }
        };
        (out, end)
    }
}

impl Parser<'_, '_> {
    /// Parses a nested list that must end with one of `until`; `None` (with a
    /// warning) when the file ends first or nesting is too deep.
    fn block(&mut self, until: &[&str], brace: bool, depth: usize) -> Option<(Vec<Stmt>, String)> {
        if depth >= MAX_NESTING {
            let line = self.line();
            self.warnings.push(format!(
                "grub2 line {line}: blocks nested deeper than {MAX_NESTING}, rest of file skipped"
            ));
            self.pos = self.toks.len();
            return None;
        }
        let start = self.line();
        let mut stmts = Vec::new();
        loop {
            let (mut more, end) = self.list(until, brace, depth + 1);
            stmts.append(&mut more);
            match end {
                End::Keyword(k, _) => return Some((stmts, k)),
                End::Eof => {
                    let want = if brace {
                        "}".to_string()
                    } else {
                        until.join("/")
                    };
                    self.warnings.push(format!(
                        "grub2 line {start}: block not closed by `{want}` before the end, dropped"
                    ));
                    return None;
                }
                End::Unexpected(k, line) => self.warnings.push(format!(
                    "grub2 line {line}: syntax error: unexpected `{k}`, skipped"
                )),
            }
        }
    }

    /// Collects the words of a simple command up to a separator or brace.
    fn words(&mut self) -> Vec<Word> {
        let mut words = Vec::new();
        while let Some(Token {
            tok: Tok::Word(w), ..
        }) = self.peek()
        {
            words.push(w.clone());
            self.pos += 1;
        }
        words
    }

    /// Expects `{` (possibly after line breaks).
    fn open_brace(&mut self) -> bool {
        let save = self.pos;
        self.skip_seps();
        if matches!(self.peek(), Some(Token { tok: Tok::Open, .. })) {
            self.pos += 1;
            true
        } else {
            self.pos = save;
            false
        }
    }

    fn statement(&mut self, depth: usize) -> Option<Stmt> {
        let line = self.line();
        let first = match self.peek() {
            Some(Token {
                tok: Tok::Word(w), ..
            }) => w.bare().map(str::to_string),
            _ => None,
        };
        match first.as_deref() {
            Some("if") => {
                self.pos += 1;
                self.if_stmt(depth)
            }
            Some(k @ ("while" | "until")) => {
                let until = k == "until";
                self.pos += 1;
                let (cond, _) = self.block(&["do"], false, depth)?;
                let (body, _) = self.block(&["done"], false, depth)?;
                Some(Stmt::While { until, cond, body })
            }
            Some("for") => {
                self.pos += 1;
                self.for_stmt(line, depth)
            }
            Some("function") => {
                self.pos += 1;
                let name = self.words();
                let name = match name.as_slice() {
                    [w] => w.bare().map(str::to_string),
                    _ => None,
                };
                let Some(name) = name.filter(|_| self.open_brace()) else {
                    self.warnings.push(format!(
                        "grub2 line {line}: syntax error in function definition"
                    ));
                    return None;
                };
                let (body, _) = self.block(&[], true, depth)?;
                Some(Stmt::Function {
                    name,
                    body: Rc::new(body),
                })
            }
            Some(k @ ("menuentry" | "submenu")) => {
                let submenu = k == "submenu";
                self.pos += 1;
                let args = self.words();
                if !self.open_brace() {
                    self.warnings.push(format!(
                        "grub2 line {line}: syntax error: {k} without a {{ body }}"
                    ));
                    return None;
                }
                let (body, _) = self.block(&[], true, depth)?;
                Some(Stmt::Menu {
                    submenu,
                    args,
                    body: Rc::new(body),
                    line,
                })
            }
            _ => {
                let words = self.words();
                if words.is_empty() {
                    // A stray brace: let the caller report it.
                    return None;
                }
                Some(Stmt::Cmd { words, line })
            }
        }
    }

    fn if_stmt(&mut self, depth: usize) -> Option<Stmt> {
        let mut arms = Vec::new();
        let mut otherwise = None;
        let (mut cond, _) = self.block(&["then"], false, depth)?;
        loop {
            let (body, k) = self.block(&["elif", "else", "fi"], false, depth)?;
            arms.push((cond, body));
            match k.as_str() {
                "elif" => {
                    let (c, _) = self.block(&["then"], false, depth)?;
                    cond = c;
                }
                "else" => {
                    let (body, _) = self.block(&["fi"], false, depth)?;
                    otherwise = Some(body);
                    break;
                }
                _ => break,
            }
        }
        Some(Stmt::If { arms, otherwise })
    }

    fn for_stmt(&mut self, line: usize, depth: usize) -> Option<Stmt> {
        let mut words = self.words();
        let var = words.first().and_then(Word::bare).map(str::to_string);
        let has_in = words.get(1).and_then(Word::bare) == Some("in");
        let (Some(var), true) = (var, has_in) else {
            self.warnings
                .push(format!("grub2 line {line}: syntax error in `for`"));
            return None;
        };
        let items = words.split_off(2);
        self.skip_seps();
        let Some(Token {
            tok: Tok::Word(w), ..
        }) = self.peek()
        else {
            return None;
        };
        if w.bare() != Some("do") {
            self.warnings
                .push(format!("grub2 line {line}: `for` without `do`"));
            return None;
        }
        self.pos += 1;
        let (body, _) = self.block(&["done"], false, depth)?;
        Some(Stmt::For { var, items, body })
    }
}
