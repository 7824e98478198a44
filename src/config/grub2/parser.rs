//! The GRUB 2 script parser: tokens → commands, following the grammar of GRUB 2.06's
//! `parser.y`.
//!
//! GRUB reads a configuration line by line: each line (plus the lines an open `if`,
//! loop, block or quote needs) is parsed and run before the next is read, and a
//! syntax error drops only that piece. [`parse`] therefore returns a list of
//! [`Unit`]s, each either the commands of one such piece or its syntax error.

use super::lexer::{is_name, tokenize, Tok, Token, Word, KEYWORDS};
use std::rc::Rc;

/// Deepest nesting of `if`/loops/blocks accepted (guards the parser's recursion).
const MAX_NESTING: usize = 128;

/// One command.
#[derive(Clone, Debug)]
pub enum Cmd {
    /// A command line: its words and an optional `{ … }` block argument.
    Simple {
        /// The words (the command name first).
        words: Vec<Rc<Word>>,
        /// The block argument (`menuentry`, `submenu`).
        block: Option<Block>,
        /// Line where the command starts.
        line: usize,
    },
    /// `if … then … [elif …|else …] fi`; an `elif` is a nested `If` in `otherwise`.
    If {
        /// The condition commands (the last one's status decides).
        cond: Vec<Cmd>,
        /// Run when the condition succeeded.
        then: Vec<Cmd>,
        /// Run otherwise.
        otherwise: Vec<Cmd>,
    },
    /// `for NAME in WORDS; do …; done`.
    For {
        /// The loop variable.
        var: String,
        /// The words iterated over.
        words: Vec<Rc<Word>>,
        /// The loop body.
        body: Vec<Cmd>,
    },
    /// `while …; do …; done` or `until …`.
    While {
        /// The condition commands.
        cond: Vec<Cmd>,
        /// The loop body.
        body: Vec<Cmd>,
        /// `until` instead of `while`.
        until: bool,
    },
    /// `function NAME { … }`.
    Function {
        /// The function's name.
        name: String,
        /// Its body.
        body: Rc<Vec<Cmd>>,
    },
}

/// A `{ … }` block argument: its source text (GRUB keeps the text of a menu entry)
/// and its parsed commands.
#[derive(Clone, Debug)]
pub struct Block {
    /// The text between the braces.
    pub source: String,
    /// The commands.
    pub body: Rc<Vec<Cmd>>,
}

/// A syntax error and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    /// 1-based line of the offending token.
    pub line: usize,
    /// What was wrong.
    pub message: String,
}

/// One piece of a script as GRUB parses it: commands, or the error that made GRUB
/// drop the piece.
pub type Unit = std::result::Result<Rc<Vec<Cmd>>, SyntaxError>;

/// Parses a whole script into units.
pub fn parse(src: &str) -> Vec<Unit> {
    let toks = tokenize(src);
    let mut p = Parser {
        src,
        toks: &toks,
        pos: 0,
        nesting: 0,
    };
    let mut units = Vec::new();
    loop {
        p.skip_newlines();
        if p.peek().is_none() {
            break;
        }
        let start = p.pos;
        match p.unit() {
            Ok(cmds) => units.push(Ok(Rc::new(cmds))),
            Err(e) => {
                units.push(Err(e.clone()));
                // Drop the rest of the line holding the offending token.
                p.nesting = 0;
                while let Some(t) = p.peek() {
                    if t.line > e.line || (t.line == e.line && t.tok == Tok::Newline) {
                        break;
                    }
                    p.pos += 1;
                }
                if p.pos == start {
                    p.pos += 1;
                }
            }
        }
    }
    units
}

struct Parser<'a> {
    src: &'a str,
    toks: &'a [Token],
    pos: usize,
    nesting: usize,
}

type PResult<T> = std::result::Result<T, SyntaxError>;

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&'a Token> {
        self.toks.get(self.pos)
    }

    fn keyword(&self) -> Option<&'a str> {
        match &self.peek()?.tok {
            Tok::Word(w) => w.plain.as_deref().filter(|p| KEYWORDS.contains(p)),
            _ => None,
        }
    }

    fn error(&self, what: &str) -> SyntaxError {
        match self.peek() {
            Some(t) => SyntaxError {
                line: t.line,
                message: format!("syntax error: {what}, found {}", describe(&t.tok)),
            },
            None => SyntaxError {
                line: self.toks.last().map_or(1, |t| t.line),
                message: format!("syntax error: {what}, found end of file"),
            },
        }
    }

    fn skip_newlines(&mut self) {
        while matches!(self.peek(), Some(t) if t.tok == Tok::Newline) {
            self.pos += 1;
        }
    }

    fn expect_keyword(&mut self, kw: &str) -> PResult<()> {
        if self.keyword() == Some(kw) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected `{kw}'")))
        }
    }

    /// One line's worth of statements (`script statement delimiter …` until the
    /// newline that ends the line at nesting level 0).
    fn unit(&mut self) -> PResult<Vec<Cmd>> {
        let mut cmds = Vec::new();
        loop {
            match self.peek().map(|t| &t.tok) {
                None => return Ok(cmds),
                Some(Tok::Newline) => {
                    self.pos += 1;
                    return Ok(cmds);
                }
                _ => {}
            }
            let cmd = if self.keyword() == Some("function") {
                self.function()?
            } else {
                self.command()?
            };
            cmds.push(cmd);
            match self.peek().map(|t| &t.tok) {
                None => return Ok(cmds),
                Some(Tok::Newline) => {
                    self.pos += 1;
                    return Ok(cmds);
                }
                Some(Tok::Semi) => self.pos += 1,
                _ => return Err(self.error("expected `;' or a new line")),
            }
        }
    }

    /// Consumes at least one delimiter (`;` or newline) and any newlines after it.
    fn delimiters1(&mut self) -> PResult<()> {
        match self.peek().map(|t| &t.tok) {
            Some(Tok::Semi) | Some(Tok::Newline) => {
                self.pos += 1;
                self.skip_newlines();
                Ok(())
            }
            _ => Err(self.error("expected `;' or a new line")),
        }
    }

    /// `commands1 delimiters1`, ending before one of `stops`.
    fn commands_until(&mut self, stops: &[&str]) -> PResult<Vec<Cmd>> {
        self.skip_newlines();
        let mut cmds = vec![self.command()?];
        loop {
            self.delimiters1()?;
            if let Some(k) = self.keyword() {
                if stops.contains(&k) {
                    return Ok(cmds);
                }
            }
            cmds.push(self.command()?);
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(self.error(&format!("nesting deeper than {MAX_NESTING}")));
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Cmd> {
        self.enter()?;
        let cmd = match self.keyword() {
            Some("if") => {
                self.pos += 1;
                self.if_clause()
            }
            Some("for") => self.for_loop(),
            Some("while") => self.while_loop(false),
            Some("until") => self.while_loop(true),
            Some(_) => Err(self.error("expected a command")),
            None => self.simple(),
        }?;
        self.nesting -= 1;
        Ok(cmd)
    }

    /// After `if` or `elif`: `commands1 delimiters1 then commands1 delimiters1 …`.
    fn if_clause(&mut self) -> PResult<Cmd> {
        let cond = self.commands_until(&["then"])?;
        self.expect_keyword("then")?;
        let then = self.commands_until(&["fi", "else", "elif"])?;
        let otherwise = match self.keyword() {
            Some("fi") => {
                self.pos += 1;
                Vec::new()
            }
            Some("else") => {
                self.pos += 1;
                let e = self.commands_until(&["fi"])?;
                self.expect_keyword("fi")?;
                e
            }
            _ => {
                self.expect_keyword("elif")?;
                self.enter()?;
                let nested = self.if_clause()?;
                self.nesting -= 1;
                vec![nested]
            }
        };
        Ok(Cmd::If {
            cond,
            then,
            otherwise,
        })
    }

    fn for_loop(&mut self) -> PResult<Cmd> {
        self.expect_keyword("for")?;
        let var = match self.peek().map(|t| &t.tok) {
            Some(Tok::Word(w)) => match &w.plain {
                Some(n) if is_name(n) && !KEYWORDS.contains(&n.as_str()) => n.clone(),
                _ => return Err(self.error("expected a variable name after `for'")),
            },
            _ => return Err(self.error("expected a variable name after `for'")),
        };
        self.pos += 1;
        self.expect_keyword("in")?;
        let words = self.arguments();
        self.delimiters1()?;
        self.expect_keyword("do")?;
        let body = self.commands_until(&["done"])?;
        self.expect_keyword("done")?;
        Ok(Cmd::For { var, words, body })
    }

    fn while_loop(&mut self, until: bool) -> PResult<Cmd> {
        self.pos += 1;
        let cond = self.commands_until(&["do"])?;
        self.expect_keyword("do")?;
        let body = self.commands_until(&["done"])?;
        self.expect_keyword("done")?;
        Ok(Cmd::While { cond, body, until })
    }

    /// `arguments0`: every following word, keywords included.
    fn arguments(&mut self) -> Vec<Rc<Word>> {
        let mut words = Vec::new();
        while let Some(Token {
            tok: Tok::Word(w), ..
        }) = self.peek()
        {
            words.push(Rc::clone(w));
            self.pos += 1;
        }
        words
    }

    fn simple(&mut self) -> PResult<Cmd> {
        let Some(Token {
            tok: Tok::Word(_),
            line,
            ..
        }) = self.peek()
        else {
            return Err(self.error("expected a command"));
        };
        let line = *line;
        let words = self.arguments();
        let block = if matches!(self.peek(), Some(t) if t.tok == Tok::LBrace) {
            Some(self.block()?)
        } else {
            None
        };
        Ok(Cmd::Simple { words, block, line })
    }

    /// `{ commands1 delimiters0 }`.
    fn block(&mut self) -> PResult<Block> {
        let open_end = self.peek().map_or(0, |t| t.end);
        self.pos += 1;
        self.skip_newlines();
        let mut cmds = vec![self.command()?];
        loop {
            if matches!(self.peek(), Some(t) if t.tok == Tok::RBrace) {
                break;
            }
            self.delimiters1()?;
            if matches!(self.peek(), Some(t) if t.tok == Tok::RBrace) {
                break;
            }
            cmds.push(self.command()?);
        }
        let close_start = self.peek().map_or(open_end, |t| t.start);
        self.pos += 1;
        let source = self
            .src
            .get(open_end..close_start)
            .unwrap_or_default()
            .to_string();
        Ok(Block {
            source,
            body: Rc::new(cmds),
        })
    }

    /// `function NAME newlines0 { commands1 delimiters1 }`.
    fn function(&mut self) -> PResult<Cmd> {
        self.pos += 1;
        let name = match self.peek().map(|t| &t.tok) {
            Some(Tok::Word(w)) => match &w.plain {
                Some(n) if is_name(n) && !KEYWORDS.contains(&n.as_str()) => n.clone(),
                _ => return Err(self.error("expected a function name")),
            },
            _ => return Err(self.error("expected a function name")),
        };
        self.pos += 1;
        self.skip_newlines();
        if !matches!(self.peek(), Some(t) if t.tok == Tok::LBrace) {
            return Err(self.error("expected `{' after the function name"));
        }
        self.pos += 1;
        self.enter()?;
        self.skip_newlines();
        let mut cmds = vec![self.command()?];
        loop {
            self.delimiters1()?;
            if matches!(self.peek(), Some(t) if t.tok == Tok::RBrace) {
                break;
            }
            cmds.push(self.command()?);
        }
        self.pos += 1;
        self.nesting -= 1;
        Ok(Cmd::Function {
            name,
            body: Rc::new(cmds),
        })
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => match &w.plain {
            Some(p) => format!("`{p}'"),
            None => "a word".to_string(),
        },
        Tok::Newline => "a new line".to_string(),
        Tok::Semi => "`;'".to_string(),
        Tok::LBrace => "`{'".to_string(),
        Tok::RBrace => "`}'".to_string(),
        Tok::Bad(b) => b.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(src: &str) -> Vec<Cmd> {
        let units = parse(src);
        let mut all = Vec::new();
        for u in units {
            all.extend(
                u.unwrap_or_else(|e| panic!("{src:?}: {e:?}"))
                    .iter()
                    .cloned(),
            );
        }
        all
    }

    #[test]
    fn statements_and_blocks() {
        let c = ok("set a=1; set b=2\nmenuentry 'x' --id y {\n  linux /k a\n  initrd /i\n}\n");
        assert_eq!(c.len(), 3);
        let Cmd::Simple { words, block, .. } = &c[2] else {
            panic!()
        };
        assert_eq!(words.len(), 4);
        let b = block.as_ref().unwrap();
        assert_eq!(b.body.len(), 2);
        assert_eq!(b.source, "\n  linux /k a\n  initrd /i\n");
    }

    #[test]
    fn control_flow() {
        let c = ok("if [ a ]; then echo fi; elif true; then x; else y; fi\nfor i in 1 2 do; do echo $i; done\nwhile false; do break; done\nfunction f { echo; }\n");
        assert_eq!(c.len(), 4);
        let Cmd::If { otherwise, .. } = &c[0] else {
            panic!()
        };
        assert!(matches!(otherwise[0], Cmd::If { .. }));
        let Cmd::For { words, .. } = &c[1] else {
            panic!()
        };
        assert_eq!(words.len(), 3);
        assert!(matches!(&c[3], Cmd::Function { name, .. } if name == "f"));
    }

    #[test]
    fn errors_drop_only_their_line() {
        let units = parse(
            "echo one\necho two }\necho three\nmenuentry x { }\nfunction g { echo x }\necho four\n",
        );
        let oks: Vec<bool> = units.iter().map(|u| u.is_ok()).collect();
        assert_eq!(oks, vec![true, false, true, false, false, true]);
        // A function may not be defined inside `if`.
        assert!(parse("if true; then\nfunction f { echo; }\nfi\n")[0].is_err());
        // Deep nesting is an error, not a stack overflow.
        let deep = "if true; then ".repeat(10_000);
        assert!(parse(&deep)[0].is_err());
    }
}
