//! A shell-word parser for the `bash` tool's command, enough to find every
//! simple command a script would run.
//!
//! It knows quotes (`'…'`, `"…"`, `$'…'`), backslash escapes and line
//! continuations, the operators `;` `&` `&&` `||` `|` `|&` and newlines,
//! subshells and `{ …; }` groups, `$(…)`, backticks, `${…}`, `$((…))`,
//! process substitution `<(…)` `>(…)`, redirections (with fd numbers,
//! `&>`, `>&`, here-strings and here-documents, whose bodies are scanned for
//! substitutions unless the delimiter was quoted), comments, assignments,
//! `if`/`for`/`while`/`case`/function definitions. It does not evaluate
//! anything: control flow is flattened, so every command that could run is
//! listed. Whatever it cannot read is an error, and the caller treats an
//! unreadable command as one it cannot vouch for.
//!
//! The result is a tree of [`Node`]s: commands in the order they would run,
//! and scopes (subshells, substitutions, pipeline members) that a `cd`
//! inside does not leave.

/// How deep substitutions and subshells may nest before the parser gives up:
/// a script a person writes never comes near, and a cap bounds the stack.
const MAX_DEPTH: usize = 48;

/// One shell word after quote removal. Expansions stay as written (`$HOME`)
/// and mark the word dynamic: its value is only known at run time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    /// Holds a `$…` or backtick expansion.
    pub dynamic: bool,
    /// Holds an unquoted `*`, `?`, `[` or `{`: the shell may expand it to
    /// several names.
    pub glob: bool,
    /// Starts with an unquoted `~`.
    pub tilde: bool,
    /// Any part of it was quoted or escaped (so it is never a keyword).
    pub quoted: bool,
    /// How many characters at its start are plain (unquoted, unexpanded):
    /// an assignment's `NAME=` must be.
    pub plain: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirKind {
    /// `<`
    In,
    /// `>`, `>|`, `&>`
    Out,
    /// `>>`, `&>>`
    Append,
    /// `<>`
    InOut,
    /// `>&N`, `<&N`, `>&-`: a copy of another descriptor.
    Dup,
    /// `<<`, `<<-`
    HereDoc,
    /// `<<<`
    HereString,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redir {
    pub kind: RedirKind,
    pub target: Word,
}

/// A simple command: assignments, words, redirections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Simple {
    pub assigns: Vec<Word>,
    pub words: Vec<Word>,
    pub redirs: Vec<Redir>,
    /// Its standard input is a pipe from the command before it (or the
    /// whole subshell it is in is fed by one).
    pub piped_in: bool,
}

impl Simple {
    /// Standard input comes from somewhere other than the terminal: a pipe,
    /// a here-document or here-string, or a file.
    pub fn stdin_fed(&self) -> bool {
        self.piped_in
            || self.redirs.iter().any(|r| {
                matches!(
                    r.kind,
                    RedirKind::In | RedirKind::HereDoc | RedirKind::HereString | RedirKind::InOut
                )
            })
    }

    /// Words joined by single spaces: the command as rules see it.
    pub fn text(&self) -> String {
        let mut s = String::new();
        for w in &self.words {
            if !s.is_empty() {
                s.push(' ');
            }
            s.push_str(&w.text);
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Cmd(Simple),
    /// Runs in its own scope: a `cd` inside does not change what follows.
    Scope(Vec<Node>),
}

/// Parses a whole command string.
pub fn parse(src: &str) -> Result<Vec<Node>, String> {
    parse_at(src, 0)
}

fn parse_at(src: &str, depth: usize) -> Result<Vec<Node>, String> {
    let mut p = Parser::new(src, depth)?;
    let mut out = Vec::new();
    p.list(&mut out, End::Eof)?;
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    Eof,
    /// A `)` closes the list (subshell, `$(…)`, `<(…)`).
    Paren,
    /// `;;`, `;&`, `;;&` or `esac` closes the list (a `case` item).
    CaseItem,
}

struct Pending {
    delim: String,
    strip_tabs: bool,
    expand: bool,
}

struct Parser {
    c: Vec<char>,
    i: usize,
    depth: usize,
    heredocs: Vec<Pending>,
    /// The scope being parsed is fed by a pipe (a pipeline member that is a
    /// subshell or group).
    piped: bool,
}

fn is_meta(ch: char) -> bool {
    matches!(
        ch,
        ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')'
    )
}

const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}", "time",
    "esac", "coproc",
];

impl Parser {
    /// A parser over `src` at nesting `depth`; too deep is an error, so a
    /// hostile command cannot recurse without bound.
    fn new(src: &str, depth: usize) -> Result<Parser, String> {
        if depth > MAX_DEPTH {
            return Err("commands nested too deep".into());
        }
        Ok(Parser {
            c: src.chars().collect(),
            i: 0,
            depth,
            heredocs: Vec::new(),
            piped: false,
        })
    }

    fn peek(&self) -> Option<char> {
        self.c.get(self.i).copied()
    }
    fn peek_at(&self, n: usize) -> Option<char> {
        self.c.get(self.i + n).copied()
    }
    fn starts(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(k, ch)| self.peek_at(k) == Some(ch))
    }

    /// Skips blanks, line continuations and comments (not newlines).
    fn blanks(&mut self) {
        loop {
            match self.peek() {
                Some(' ' | '\t' | '\r') => self.i += 1,
                Some('\\') if self.peek_at(1) == Some('\n') => self.i += 2,
                Some('#') => {
                    while let Some(ch) = self.peek() {
                        if ch == '\n' {
                            break;
                        }
                        self.i += 1;
                    }
                }
                _ => return,
            }
        }
    }

    /// Consumes a newline, then any here-document bodies it starts.
    fn newline(&mut self, out: &mut Vec<Node>) -> Result<(), String> {
        self.i += 1;
        let pending = std::mem::take(&mut self.heredocs);
        for h in pending {
            let mut body = String::new();
            loop {
                if self.i >= self.c.len() {
                    break;
                }
                let start = self.i;
                while self.i < self.c.len() && self.c[self.i] != '\n' {
                    self.i += 1;
                }
                let line: String = self.c[start..self.i].iter().collect();
                if self.i < self.c.len() {
                    self.i += 1;
                }
                let cmp = if h.strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    &line
                };
                if cmp == h.delim {
                    break;
                }
                body.push_str(&line);
                body.push('\n');
            }
            if h.expand {
                out.extend(scan_expansions(&body, self.depth + 1)?);
            }
        }
        Ok(())
    }

    /// A list: pipelines joined by `;`, `&`, `&&`, `||` and newlines.
    fn list(&mut self, out: &mut Vec<Node>, end: End) -> Result<(), String> {
        loop {
            self.blanks();
            match self.peek() {
                None => {
                    return if end == End::Eof {
                        Ok(())
                    } else {
                        Err("unexpected end of command (a closing ')' or 'esac' is missing)".into())
                    };
                }
                Some(')') => {
                    if end == End::Paren {
                        self.i += 1;
                        return Ok(());
                    }
                    if end == End::CaseItem {
                        return Ok(());
                    }
                    return Err("unexpected ')'".into());
                }
                Some('\n') => self.newline(out)?,
                Some(';') => {
                    if matches!(self.peek_at(1), Some(';') | Some('&')) {
                        if end == End::CaseItem {
                            return Ok(());
                        }
                        return Err("unexpected ';;' outside a case".into());
                    }
                    self.i += 1;
                }
                Some('&') | Some('|') => self.i += 1,
                Some(_) => {
                    if end == End::CaseItem && self.at_word("esac") {
                        return Ok(());
                    }
                    self.pipeline(out)?;
                }
            }
        }
    }

    /// A word starts here (so [`Parser::word`] will consume something).
    fn at_word_start(&self) -> bool {
        match self.peek() {
            None => false,
            Some('<' | '>') => self.peek_at(1) == Some('('),
            Some(c) => !is_meta(c),
        }
    }

    /// The next word is exactly `w` (unquoted, followed by a delimiter).
    fn at_word(&self, w: &str) -> bool {
        self.starts(w)
            && self
                .peek_at(w.chars().count())
                .is_none_or(|ch| is_meta(ch) || ch == '\r')
    }

    fn pipeline(&mut self, out: &mut Vec<Node>) -> Result<(), String> {
        let mut members: Vec<Vec<Node>> = Vec::new();
        let mut piped = false;
        loop {
            let mut m = Vec::new();
            self.command(&mut m, piped)?;
            members.push(m);
            self.blanks();
            if self.peek() == Some('|') && self.peek_at(1) != Some('|') {
                self.i += 1;
                if self.peek() == Some('&') {
                    self.i += 1;
                }
                // A newline may follow a pipe.
                loop {
                    self.blanks();
                    if self.peek() == Some('\n') {
                        self.newline(out)?;
                    } else {
                        break;
                    }
                }
                piped = true;
                continue;
            }
            break;
        }
        if members.len() == 1 {
            out.extend(members.into_iter().flatten());
        } else {
            // Every member of a pipeline runs in a subshell.
            out.extend(members.into_iter().map(Node::Scope));
        }
        Ok(())
    }

    /// One command: a subshell, an arithmetic command, or a simple command
    /// (keywords of compound commands are stepped over).
    fn command(&mut self, out: &mut Vec<Node>, piped_in: bool) -> Result<(), String> {
        self.blanks();
        if self.peek() == Some('(') {
            if self.peek_at(1) == Some('(') {
                self.i += 2;
                self.arith()?;
                return self.trailing_redirs(out, piped_in);
            }
            self.i += 1;
            let mut inner = Vec::new();
            self.nested(&mut inner, End::Paren, piped_in)?;
            out.push(Node::Scope(inner));
            return self.trailing_redirs(out, piped_in);
        }
        let mut cmd = Simple {
            piped_in: piped_in || self.piped,
            ..Simple::default()
        };
        let mut subs = Vec::new();
        loop {
            self.blanks();
            let Some(ch) = self.peek() else { break };
            match ch {
                '\n' | ';' | '|' | ')' => break,
                '&' if self.peek_at(1) != Some('>') => break,
                '&' => {
                    // &> and &>>
                    self.i += 1;
                    self.redirect(&mut cmd, &mut subs)?;
                }
                '<' | '>' if self.peek_at(1) == Some('(') => {
                    let w = self.word(&mut subs)?;
                    cmd.words.push(w);
                }
                '<' | '>' => self.redirect(&mut cmd, &mut subs)?,
                '0'..='9' if self.fd_redirect() => {
                    while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        self.i += 1;
                    }
                    self.redirect(&mut cmd, &mut subs)?;
                }
                '(' => {
                    // `name()`: a function definition; its body follows as
                    // ordinary commands.
                    if cmd.words.len() == 1 && self.peek_at(1) == Some(')') {
                        self.i += 2;
                        cmd.words.clear();
                        break;
                    }
                    if cmd.words.is_empty() && cmd.assigns.is_empty() {
                        self.i += 1;
                        let mut inner = Vec::new();
                        self.nested(&mut inner, End::Paren, cmd.piped_in)?;
                        out.push(Node::Scope(inner));
                        continue;
                    }
                    return Err("unexpected '('".into());
                }
                _ => {
                    let w = self.word(&mut subs)?;
                    if cmd.words.is_empty() && !w.quoted && !w.dynamic && cmd.assigns.is_empty() {
                        if KEYWORDS.contains(&w.text.as_str()) {
                            continue;
                        }
                        if self.compound(&w.text, out, &mut subs)? {
                            out.append(&mut subs);
                            return Ok(());
                        }
                    }
                    if cmd.words.is_empty() && is_assignment(&w) {
                        // NAME=(a b c): an array.
                        if w.text.ends_with('=') && self.peek() == Some('(') {
                            self.i += 1;
                            let mut arr = Vec::new();
                            self.array(&mut arr)?;
                            subs.append(&mut arr);
                        }
                        cmd.assigns.push(w);
                        continue;
                    }
                    if cmd
                        .words
                        .first()
                        .is_some_and(|f| f.text == "[[" && !f.quoted)
                    {
                        cmd.words.push(w);
                        self.test_words(&mut cmd, &mut subs)?;
                        continue;
                    }
                    cmd.words.push(w);
                }
            }
        }
        out.append(&mut subs);
        if !(cmd.words.is_empty() && cmd.redirs.is_empty() && cmd.assigns.is_empty()) {
            out.push(Node::Cmd(cmd));
        }
        Ok(())
    }

    /// Parses a nested list in its own scope, with depth accounting.
    fn nested(&mut self, out: &mut Vec<Node>, end: End, piped: bool) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("commands nested too deep".into());
        }
        let saved = std::mem::replace(&mut self.piped, piped);
        let r = self.list(out, end);
        self.piped = saved;
        self.depth -= 1;
        r
    }

    /// Redirections after a subshell or arithmetic command, kept as a
    /// command without words.
    fn trailing_redirs(&mut self, out: &mut Vec<Node>, piped_in: bool) -> Result<(), String> {
        let mut cmd = Simple {
            piped_in,
            ..Simple::default()
        };
        let mut subs = Vec::new();
        loop {
            self.blanks();
            match self.peek() {
                Some('<' | '>') if self.peek_at(1) != Some('(') => {
                    self.redirect(&mut cmd, &mut subs)?
                }
                Some('&') if self.peek_at(1) == Some('>') => {
                    self.i += 1;
                    self.redirect(&mut cmd, &mut subs)?;
                }
                Some('0'..='9') if self.fd_redirect() => {
                    while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        self.i += 1;
                    }
                    self.redirect(&mut cmd, &mut subs)?;
                }
                _ => break,
            }
        }
        out.append(&mut subs);
        if !cmd.redirs.is_empty() {
            out.push(Node::Cmd(cmd));
        }
        Ok(())
    }

    /// Digits followed by `<` or `>`: a redirection of that descriptor.
    fn fd_redirect(&self) -> bool {
        let mut k = 0;
        while self.peek_at(k).is_some_and(|c| c.is_ascii_digit()) {
            k += 1;
        }
        matches!(self.peek_at(k), Some('<' | '>')) && self.peek_at(k + 1) != Some('(')
    }

    /// At `<` or `>` (after any fd number or `&`).
    fn redirect(&mut self, cmd: &mut Simple, subs: &mut Vec<Node>) -> Result<(), String> {
        let kind = if self.starts("<<<") {
            self.i += 3;
            RedirKind::HereString
        } else if self.starts("<<") {
            self.i += 2;
            let strip_tabs = self.peek() == Some('-');
            if strip_tabs {
                self.i += 1;
            }
            self.blanks();
            let delim = self.word(&mut Vec::new())?;
            if delim.text.is_empty() && !delim.quoted {
                return Err("a here-document needs a delimiter".into());
            }
            self.heredocs.push(Pending {
                delim: delim.text.clone(),
                strip_tabs,
                expand: !delim.quoted,
            });
            cmd.redirs.push(Redir {
                kind: RedirKind::HereDoc,
                target: delim,
            });
            return Ok(());
        } else if self.starts("<>") {
            self.i += 2;
            RedirKind::InOut
        } else if self.starts("<&") || self.starts(">&") {
            self.i += 2;
            self.blanks();
            let target = self.word(subs)?;
            let kind = if target.text == "-"
                || (!target.text.is_empty() && target.text.chars().all(|c| c.is_ascii_digit()))
            {
                RedirKind::Dup
            } else {
                // `>& file` writes the file, like `&>`.
                RedirKind::Out
            };
            cmd.redirs.push(Redir { kind, target });
            return Ok(());
        } else if self.starts(">>") {
            self.i += 2;
            RedirKind::Append
        } else if self.starts(">|") {
            self.i += 2;
            RedirKind::Out
        } else if self.starts(">") {
            self.i += 1;
            RedirKind::Out
        } else {
            self.i += 1;
            RedirKind::In
        };
        self.blanks();
        match self.peek() {
            None | Some('\n' | ';' | '&' | '|' | ')') => {
                return Err("a redirection has no target".into());
            }
            _ => {}
        }
        let target = self.word(subs)?;
        cmd.redirs.push(Redir { kind, target });
        Ok(())
    }

    /// Handles `for`, `select`, `case` and `function` at command position.
    /// Returns false when `w` is none of them.
    fn compound(
        &mut self,
        w: &str,
        out: &mut Vec<Node>,
        subs: &mut Vec<Node>,
    ) -> Result<bool, String> {
        match w {
            "for" | "select" => {
                self.blanks();
                if self.starts("((") {
                    self.i += 2;
                    self.arith()?;
                    return Ok(true);
                }
                self.word(subs)?;
                // `in` and the words to loop over, up to `;` or a newline;
                // their substitutions run.
                loop {
                    self.blanks();
                    if !self.at_word_start() {
                        break;
                    }
                    self.word(subs)?;
                }
                Ok(true)
            }
            "function" => {
                self.blanks();
                self.word(subs)?;
                self.blanks();
                if self.starts("()") {
                    self.i += 2;
                }
                Ok(true)
            }
            "case" => {
                self.blanks();
                self.word(subs)?;
                self.blanks();
                while self.peek() == Some('\n') {
                    self.newline(out)?;
                    self.blanks();
                }
                if !self.at_word("in") {
                    return Err("'case' without 'in'".into());
                }
                self.i += 2;
                loop {
                    loop {
                        self.blanks();
                        if self.peek() == Some('\n') {
                            self.newline(out)?;
                        } else {
                            break;
                        }
                    }
                    if self.peek().is_none() {
                        return Err("'case' without 'esac'".into());
                    }
                    if self.at_word("esac") {
                        self.i += 4;
                        return Ok(true);
                    }
                    if self.peek() == Some('(') {
                        self.i += 1;
                    }
                    // Patterns, separated by `|`, up to `)`.
                    loop {
                        self.blanks();
                        match self.peek() {
                            Some(')') => {
                                self.i += 1;
                                break;
                            }
                            Some('|') => self.i += 1,
                            _ if self.at_word_start() => {
                                self.word(subs)?;
                            }
                            _ => return Err("a 'case' pattern without ')'".into()),
                        }
                    }
                    self.list(out, End::CaseItem)?;
                    if self.starts(";;&") {
                        self.i += 3;
                    } else if self.starts(";;") || self.starts(";&") {
                        self.i += 2;
                    }
                }
            }
            _ => Ok(false),
        }
    }

    /// The words of `[[ … ]]`, where `<`, `>`, `&&`, `(` are operands.
    fn test_words(&mut self, cmd: &mut Simple, subs: &mut Vec<Node>) -> Result<(), String> {
        loop {
            self.blanks();
            match self.peek() {
                None | Some('\n') => return Err("'[[' without ']]'".into()),
                Some(ch) if is_meta(ch) => {
                    let mut t = String::new();
                    while let Some(ch) = self.peek() {
                        if !matches!(ch, '&' | '|' | '<' | '>' | '(' | ')' | ';') {
                            break;
                        }
                        t.push(ch);
                        self.i += 1;
                    }
                    cmd.words.push(Word {
                        text: t,
                        ..Word::default()
                    });
                }
                Some(_) => {
                    let w = self.word(subs)?;
                    let done = w.text == "]]" && !w.quoted;
                    cmd.words.push(w);
                    if done {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// The elements of `NAME=( … )`, after the `(`.
    fn array(&mut self, subs: &mut Vec<Node>) -> Result<(), String> {
        loop {
            self.blanks();
            match self.peek() {
                None => return Err("an array without ')'".into()),
                Some(')') => {
                    self.i += 1;
                    return Ok(());
                }
                Some('\n') => self.i += 1,
                _ if self.at_word_start() => {
                    self.word(subs)?;
                }
                Some(c) => return Err(format!("unexpected '{c}' in an array")),
            }
        }
    }

    /// Skips an arithmetic expression after `((` or `$((`, up to `))`.
    /// Substitutions inside one are refused rather than half understood.
    fn arith(&mut self) -> Result<(), String> {
        let mut depth = 0usize;
        while let Some(ch) = self.peek() {
            match ch {
                '$' if self.peek_at(1) == Some('(') && self.peek_at(2) != Some('(') => {
                    return Err("a command substitution inside arithmetic".into());
                }
                '`' => return Err("a command substitution inside arithmetic".into()),
                '(' => depth += 1,
                ')' if depth == 0 => {
                    if self.peek_at(1) == Some(')') {
                        self.i += 2;
                        return Ok(());
                    }
                    return Err("an arithmetic expression without '))'".into());
                }
                ')' => depth -= 1,
                _ => {}
            }
            self.i += 1;
        }
        Err("an arithmetic expression without '))'".into())
    }

    /// One word at the current position. Substitutions inside it are parsed
    /// and appended to `subs`.
    fn word(&mut self, subs: &mut Vec<Node>) -> Result<Word, String> {
        let mut w = Word::default();
        let start = self.i;
        let mut plain = true;
        while let Some(ch) = self.peek() {
            if plain && !matches!(ch, '\\' | '\'' | '"' | '$' | '`' | '*' | '?' | '[' | '{') {
                w.plain += 1;
            } else {
                plain = false;
            }
            match ch {
                '<' | '>' if self.peek_at(1) == Some('(') => {
                    // Process substitution: `>(cmd)` feeds cmd through a pipe.
                    let feeds = ch == '>';
                    self.i += 2;
                    let mut inner = Vec::new();
                    self.nested(&mut inner, End::Paren, feeds)?;
                    subs.push(Node::Scope(inner));
                    w.text.push_str("/dev/fd/63");
                    w.dynamic = true;
                }
                c if is_meta(c) => break,
                '\\' => {
                    match self.peek_at(1) {
                        Some('\n') => {}
                        Some(n) => {
                            w.text.push(n);
                            w.quoted = true;
                        }
                        None => w.text.push('\\'),
                    }
                    self.i += 2;
                }
                '\'' => {
                    self.i += 1;
                    w.quoted = true;
                    loop {
                        match self.peek() {
                            None => return Err("unterminated single quote".into()),
                            Some('\'') => {
                                self.i += 1;
                                break;
                            }
                            Some(c) => {
                                w.text.push(c);
                                self.i += 1;
                            }
                        }
                    }
                }
                '"' => {
                    self.i += 1;
                    w.quoted = true;
                    self.dquote(&mut w, subs)?;
                }
                '$' if self.peek_at(1) == Some('\'') => {
                    self.i += 2;
                    w.quoted = true;
                    self.ansi_c(&mut w)?;
                }
                '$' if self.peek_at(1) == Some('"') => {
                    self.i += 2;
                    w.quoted = true;
                    self.dquote(&mut w, subs)?;
                }
                '$' => self.dollar(&mut w, subs)?,
                '`' => self.backtick(&mut w, subs)?,
                '*' | '?' | '[' | '{' => {
                    w.glob = true;
                    w.text.push(ch);
                    self.i += 1;
                }
                '~' if self.i == start => {
                    w.tilde = true;
                    w.text.push(ch);
                    self.i += 1;
                }
                _ => {
                    w.text.push(ch);
                    self.i += 1;
                }
            }
        }
        Ok(w)
    }

    /// The inside of `"…"`, after the opening quote.
    fn dquote(&mut self, w: &mut Word, subs: &mut Vec<Node>) -> Result<(), String> {
        loop {
            match self.peek() {
                None => return Err("unterminated double quote".into()),
                Some('"') => {
                    self.i += 1;
                    return Ok(());
                }
                Some('\\') => {
                    match self.peek_at(1) {
                        Some('\n') => {}
                        Some(c @ ('$' | '`' | '"' | '\\')) => w.text.push(c),
                        Some(c) => {
                            w.text.push('\\');
                            w.text.push(c);
                        }
                        None => return Err("unterminated double quote".into()),
                    }
                    self.i += 2;
                }
                Some('$') => self.dollar(w, subs)?,
                Some('`') => self.backtick(w, subs)?,
                Some(c) => {
                    w.text.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// The inside of `$'…'`, decoded as bash does: a command name spelled
    /// `$'\x72m'` is `rm`, and must be judged as `rm`.
    fn ansi_c(&mut self, w: &mut Word) -> Result<(), String> {
        loop {
            match self.peek() {
                None => return Err("unterminated $'…' quote".into()),
                Some('\'') => {
                    self.i += 1;
                    return Ok(());
                }
                Some('\\') => {
                    let e = self.peek_at(1).ok_or("unterminated $'…' quote")?;
                    self.i += 2;
                    let simple = match e {
                        'n' => Some('\n'),
                        't' => Some('\t'),
                        'r' => Some('\r'),
                        'e' | 'E' => Some('\u{1b}'),
                        'a' => Some('\u{7}'),
                        'b' => Some('\u{8}'),
                        'f' => Some('\u{c}'),
                        'v' => Some('\u{b}'),
                        '\\' | '\'' | '"' | '?' => Some(e),
                        _ => None,
                    };
                    if let Some(c) = simple {
                        w.text.push(c);
                        continue;
                    }
                    let (radix, max) = match e {
                        'x' => (16, 2),
                        'u' => (16, 4),
                        'U' => (16, 8),
                        '0'..='7' => {
                            // The first digit is part of the number.
                            self.i -= 1;
                            (8, 3)
                        }
                        'c' => {
                            let c = self.peek().ok_or("unterminated $'…' quote")?;
                            self.i += 1;
                            w.text
                                .push(char::from_u32(u32::from(c) & 0x1f).unwrap_or('?'));
                            continue;
                        }
                        other => {
                            w.text.push('\\');
                            w.text.push(other);
                            continue;
                        }
                    };
                    let mut n: u32 = 0;
                    let mut digits = 0;
                    while digits < max {
                        match self.peek().and_then(|c| c.to_digit(radix)) {
                            Some(d) => {
                                n = n.saturating_mul(radix).saturating_add(d);
                                self.i += 1;
                                digits += 1;
                            }
                            None => break,
                        }
                    }
                    if digits == 0 {
                        w.text.push('\\');
                        w.text.push(e);
                    } else {
                        w.text.push(char::from_u32(n).unwrap_or('\u{fffd}'));
                    }
                }
                Some(c) => {
                    w.text.push(c);
                    self.i += 1;
                }
            }
        }
    }

    /// At `$`: a parameter, `${…}`, `$(…)` or `$((…))`.
    fn dollar(&mut self, w: &mut Word, subs: &mut Vec<Node>) -> Result<(), String> {
        let start = self.i;
        match self.peek_at(1) {
            Some('(') if self.peek_at(2) == Some('(') => {
                self.i += 3;
                self.arith()?;
                w.dynamic = true;
            }
            Some('(') => {
                self.i += 2;
                let mut inner = Vec::new();
                self.nested(&mut inner, End::Paren, false)?;
                subs.push(Node::Scope(inner));
                w.dynamic = true;
            }
            Some('{') => {
                self.i += 2;
                self.braced(subs)?;
                w.dynamic = true;
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                self.i += 1;
                while self
                    .peek()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    self.i += 1;
                }
                w.dynamic = true;
            }
            Some(c) if c.is_ascii_digit() || "@*#?$!-".contains(c) => {
                self.i += 2;
                w.dynamic = true;
            }
            _ => {
                w.text.push('$');
                self.i += 1;
                return Ok(());
            }
        }
        w.text.extend(&self.c[start..self.i]);
        Ok(())
    }

    /// The inside of `${…}`, after `${`: nested quotes, braces and
    /// substitutions (`${x:-$(cmd)}` runs cmd).
    fn braced(&mut self, subs: &mut Vec<Node>) -> Result<(), String> {
        let mut scratch = Word::default();
        loop {
            match self.peek() {
                None => return Err("unterminated ${…}".into()),
                Some('}') => {
                    self.i += 1;
                    return Ok(());
                }
                Some('\\') => self.i += 2,
                Some('\'') => {
                    self.i += 1;
                    while let Some(c) = self.peek() {
                        self.i += 1;
                        if c == '\'' {
                            break;
                        }
                    }
                }
                Some('"') => {
                    self.i += 1;
                    self.dquote(&mut scratch, subs)?;
                }
                Some('$') => self.dollar(&mut scratch, subs)?,
                Some('`') => self.backtick(&mut scratch, subs)?,
                Some(_) => self.i += 1,
            }
        }
    }

    /// At a backtick: the old form of `$(…)`. Its body is unescaped and
    /// parsed on its own.
    fn backtick(&mut self, w: &mut Word, subs: &mut Vec<Node>) -> Result<(), String> {
        let start = self.i;
        self.i += 1;
        let mut body = String::new();
        loop {
            match self.peek() {
                None => return Err("unterminated backtick".into()),
                Some('`') => {
                    self.i += 1;
                    break;
                }
                Some('\\') => {
                    match self.peek_at(1) {
                        Some(c @ ('`' | '\\' | '$')) => body.push(c),
                        Some(c) => {
                            body.push('\\');
                            body.push(c);
                        }
                        None => return Err("unterminated backtick".into()),
                    }
                    self.i += 2;
                }
                Some(c) => {
                    body.push(c);
                    self.i += 1;
                }
            }
        }
        subs.push(Node::Scope(parse_at(&body, self.depth + 1)?));
        w.text.extend(&self.c[start..self.i]);
        w.dynamic = true;
        Ok(())
    }
}

/// Substitutions in an unquoted here-document body: `$(…)`, `${…}` and
/// backticks run when the document is read.
fn scan_expansions(body: &str, depth: usize) -> Result<Vec<Node>, String> {
    let mut p = Parser::new(body, depth)?;
    let mut subs = Vec::new();
    let mut scratch = Word::default();
    while let Some(ch) = p.peek() {
        match ch {
            '\\' => p.i += 2,
            '$' => p.dollar(&mut scratch, &mut subs)?,
            '`' => p.backtick(&mut scratch, &mut subs)?,
            _ => p.i += 1,
        }
    }
    Ok(subs)
}

/// `NAME=value` or `NAME+=value` with a valid shell name.
fn is_assignment(w: &Word) -> bool {
    let text = &w.text;
    let Some(eq) = text.find('=') else {
        return false;
    };
    if text[..eq].chars().count() >= w.plain {
        return false;
    }
    let name = text[..eq].strip_suffix('+').unwrap_or(&text[..eq]);
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every simple command in `nodes`, depth first, in run order.
#[cfg(test)]
pub fn flatten(nodes: &[Node]) -> Vec<&Simple> {
    let mut out = Vec::new();
    fn walk<'a>(nodes: &'a [Node], out: &mut Vec<&'a Simple>) {
        for n in nodes {
            match n {
                Node::Cmd(c) => out.push(c),
                Node::Scope(inner) => walk(inner, out),
            }
        }
    }
    walk(nodes, &mut out);
    out
}

/// Random shell-like texts from a fixed seed, for no-panic tests here and
/// in the command classifier.
#[cfg(test)]
pub fn random_scripts(n: usize) -> impl Iterator<Item = String> {
    const PIECES: &[&str] = &[
        " ", "\n", ";", ";;", "&", "&&", "|", "||", "|&", "(", ")", "((", "))", "{", "}", "<", ">",
        ">>", "<<", "<<-", "<<<", "<(", ">(", "2>&1", ">&", "&>", "$", "$(", "${", "$((", "`", "'",
        "\"", "$'", "\\", "#", "*", "?", "[", "]", "=", "x=", "~", "a", "echo", "rm", "-rf", "/",
        "..", "if", "then", "fi", "for", "in", "do", "done", "case", "esac", "function", "[[",
        "]]", "EOF", "!", "-c", "sh", "eval", "sudo", "cd", "git", "push", "-f", "find", "-exec",
        "xargs",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    (0..n).map(move |_| {
        let len = (next() % 24) as usize;
        (0..len)
            .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmds(src: &str) -> Vec<String> {
        let nodes = parse(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
        flatten(&nodes).iter().map(|c| c.text()).collect()
    }

    #[test]
    fn separators_split_commands() {
        assert_eq!(cmds("ls; rm -rf build"), ["ls", "rm -rf build"]);
        assert_eq!(cmds("a && b || c & d\ne"), ["a", "b", "c", "d", "e"]);
        assert_eq!(cmds("cat x | sh"), ["cat x", "sh"]);
        assert_eq!(cmds("a |& b"), ["a", "b"]);
    }

    #[test]
    fn quoted_separators_stay_in_words() {
        assert_eq!(cmds("echo 'a; rm -rf /'"), ["echo a; rm -rf /"]);
        assert_eq!(cmds("echo \"a && b\" c\\;d"), ["echo a && b c;d"]);
        assert_eq!(cmds("grep -e 'x|y' f"), ["grep -e x|y f"]);
    }

    #[test]
    fn substitutions_are_commands_too() {
        assert_eq!(cmds("echo $(rm -rf ~)"), ["rm -rf ~", "echo $(rm -rf ~)"]);
        assert_eq!(cmds("echo `id`"), ["id", "echo `id`"]);
        assert_eq!(cmds("echo \"$(whoami)\""), ["whoami", "echo $(whoami)"]);
        assert_eq!(cmds("echo ${x:-$(date)}"), ["date", "echo ${x:-$(date)}"]);
        assert_eq!(
            cmds("diff <(ls a) <(ls b)"),
            ["ls a", "ls b", "diff /dev/fd/63 /dev/fd/63"]
        );
        assert_eq!(cmds("echo $((1+2))"), ["echo $((1+2))"]);
        assert_eq!(
            cmds("echo `echo \\`id\\``"),
            ["id", "echo `id`", "echo `echo \\`id\\``"]
        );
    }

    #[test]
    fn pipes_mark_the_reader() {
        let nodes = parse("curl x | sh").unwrap();
        let f = flatten(&nodes);
        assert!(!f[0].piped_in);
        assert!(f[1].piped_in);
        let nodes = parse("cat x | (cd y; bash)").unwrap();
        assert!(flatten(&nodes)[2].piped_in);
    }

    #[test]
    fn heredocs_are_skipped_and_scanned() {
        assert_eq!(
            cmds("cat <<EOF > out.txt\nrm -rf /\n$(id)\nEOF\nls"),
            ["cat", "id", "ls"]
        );
        assert_eq!(cmds("cat <<'EOF'\n$(id)\nEOF\nls"), ["cat", "ls"]);
        assert_eq!(cmds("cat <<-EOF\n\tx\n\tEOF\necho"), ["cat", "echo"]);
        assert_eq!(cmds("python3 <<EOF\nprint(1)\nEOF"), ["python3"]);
    }

    #[test]
    fn compound_commands_are_flattened() {
        assert_eq!(
            cmds("if test -f x; then rm -rf y; else echo z; fi"),
            ["test -f x", "rm -rf y", "echo z"]
        );
        assert_eq!(cmds("for f in $(ls); do rm $f; done"), ["ls", "rm $f"]);
        assert_eq!(cmds("while true; do sleep 1; done"), ["true", "sleep 1"]);
        assert_eq!(
            cmds("case $x in a|b) rm -rf a;; *) ls;; esac"),
            ["rm -rf a", "ls"]
        );
        assert_eq!(cmds("f() { rm -rf /; }; f"), ["rm -rf /", "f"]);
        assert_eq!(cmds("function g { id; }"), ["id"]);
        assert_eq!(cmds("{ ls; pwd; } > out"), ["ls", "pwd", ""]);
        assert_eq!(cmds("(cd /tmp && rm -rf x)"), ["cd /tmp", "rm -rf x"]);
        assert_eq!(
            cmds("[[ -f x && $y > 2 ]] && ls"),
            ["[[ -f x && $y > 2 ]]", "ls"]
        );
        assert_eq!(cmds("! grep x f"), ["grep x f"]);
    }

    #[test]
    fn redirections_and_assignments() {
        let nodes = parse("FOO=1 BAR=$(id) cmd arg 2>&1 >> /etc/x < in").unwrap();
        let f = flatten(&nodes);
        assert_eq!(f[0].text(), "id");
        let c = f[1];
        assert_eq!(c.text(), "cmd arg");
        assert_eq!(c.assigns.len(), 2);
        let kinds: Vec<_> = c
            .redirs
            .iter()
            .map(|r| (r.kind, r.target.text.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (RedirKind::Dup, "1"),
                (RedirKind::Append, "/etc/x"),
                (RedirKind::In, "in")
            ]
        );
        let nodes = parse("echo hi &> /tmp/x").unwrap();
        assert_eq!(flatten(&nodes)[0].redirs[0].kind, RedirKind::Out);
        let nodes = parse("x=(a $(id) c)").unwrap();
        assert_eq!(flatten(&nodes).len(), 2);
    }

    #[test]
    fn ansi_c_quotes_are_decoded() {
        assert_eq!(cmds(r"$'\x72m' -rf /"), ["rm -rf /"]);
        assert_eq!(cmds(r"$'\162\155' x"), ["rm x"]);
        assert_eq!(cmds(r"$'\u0072m' $'a\'b' $'\q'"), ["rm a'b \\q"]);
    }

    #[test]
    fn words_know_their_expansions() {
        let nodes = parse("rm -rf ~/x \"$HOME\" *.o '*'").unwrap();
        let w = &flatten(&nodes)[0].words;
        assert!(w[2].tilde && !w[2].dynamic);
        assert!(w[3].dynamic);
        assert!(w[4].glob);
        assert!(!w[5].glob && w[5].quoted);
    }

    /// Random shell-like text: every input ends (no loop without
    /// progress) with a tree or an error, never a panic.
    #[test]
    fn random_input_always_ends() {
        for s in random_scripts(20_000) {
            let _ = parse(&s);
        }
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        for src in [
            "echo 'x",
            "echo \"x",
            "echo $(ls",
            "echo `ls",
            "(ls",
            "ls )",
            "echo ${x",
            "cat <",
            "case x in a) ls",
            "echo $((1+$(id)))",
            "[[ -f x",
        ] {
            assert!(parse(src).is_err(), "{src:?} parsed");
        }
        let deep = "$(".repeat(200) + &")".repeat(200);
        assert!(parse(&deep).is_err());
        let deep = "( ".repeat(200) + &")".repeat(200);
        assert!(parse(&deep).is_err());
        // Odd but valid input parses.
        for src in ["", "   ", "# only a comment", "\\", "echo \\\n x", "a;;"] {
            let _ = parse(src);
        }
    }
}
