//! The glob dialect of permission rules, matched without regexes.
//!
//! Two dialects share one engine. In the path dialect `*` and `?` stop at
//! `/`, `**/` matches zero or more folders, a trailing `/**` matches the
//! folder itself and everything below it, and a lone `**` matches every path.
//! In the command dialect (shell commands, URLs, search queries, tool names)
//! `*` matches any run of characters, `/` included, because a command's
//! arguments are not paths to be walked. Both know `?`, `[abc]`, `[a-z]`,
//! `[!x]`, `{a,b}` and `\` as an escape. Matching is a dynamic programme over
//! (pattern position, text position), so it takes time proportional to their
//! product whatever the input: no backtracking blow-up on hostile text.

/// Which meaning `*` has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Path,
    Command,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Lit(char),
    /// `?`: one character (not `/` in the path dialect).
    One,
    /// `*` in the path dialect: a run of characters without `/`.
    Star,
    /// `*` in the command dialect, or a lone `**`: any run of characters.
    StarAll,
    /// `**/`: zero or more whole folders.
    DirStar,
    /// A trailing `/**`: nothing, or `/` and anything after it.
    SlashRest,
    Class {
        neg: bool,
        ranges: Vec<(char, char)>,
    },
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Glob {
    text: String,
    alts: Vec<Vec<Tok>>,
    dialect: Dialect,
}

/// Brace expansion may not produce more alternatives than this: a pattern is
/// written by a person, and a cap keeps a typo from costing memory.
const MAX_ALTERNATIVES: usize = 256;

impl Glob {
    /// Compiles `pattern`; the error says what is wrong with it.
    pub fn new(pattern: &str, dialect: Dialect) -> Result<Glob, String> {
        let mut alts = Vec::new();
        for alt in expand_braces(pattern)? {
            alts.push(tokenize(&alt, dialect));
        }
        Ok(Glob {
            text: pattern.to_string(),
            alts,
            dialect,
        })
    }

    /// The empty pattern, which matches only the empty text.
    pub fn empty(dialect: Dialect) -> Glob {
        Glob {
            text: String::new(),
            alts: vec![Vec::new()],
            dialect,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn matches(&self, text: &str) -> bool {
        let s: Vec<char> = text.chars().collect();
        self.alts.iter().any(|toks| run(toks, &s, self.dialect))
    }
}

/// Expands `{a,b}` (nested too) into the list of plain patterns.
fn expand_braces(pattern: &str) -> Result<Vec<String>, String> {
    let chars: Vec<char> = pattern.chars().collect();
    // Find the first top-level `{` that has a matching `}`.
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '{' if !in_class => {
                let mut depth = 0;
                let mut parts = Vec::new();
                let mut start = i + 1;
                let mut j = i;
                while j < chars.len() {
                    match chars[j] {
                        '\\' => j += 1,
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                parts.push(chars[start..j].iter().collect::<String>());
                                break;
                            }
                        }
                        ',' if depth == 1 => {
                            parts.push(chars[start..j].iter().collect::<String>());
                            start = j + 1;
                        }
                        _ => {}
                    }
                    j += 1;
                }
                if j >= chars.len() {
                    return Err(format!("unclosed '{{' in pattern \"{pattern}\""));
                }
                let prefix: String = chars[..i].iter().collect();
                let suffix: String = chars[j + 1..].iter().collect();
                let mut out = Vec::new();
                for p in parts {
                    for tail in expand_braces(&format!("{p}{suffix}"))? {
                        out.push(format!("{prefix}{tail}"));
                        if out.len() > MAX_ALTERNATIVES {
                            return Err(format!(
                                "pattern \"{pattern}\" expands to more than {MAX_ALTERNATIVES} alternatives"
                            ));
                        }
                    }
                }
                return Ok(out);
            }
            _ => {}
        }
        i += 1;
    }
    Ok(vec![pattern.to_string()])
}

fn tokenize(p: &str, dialect: Dialect) -> Vec<Tok> {
    let c: Vec<char> = p.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '\\' if i + 1 < c.len() => {
                out.push(Tok::Lit(c[i + 1]));
                i += 2;
                continue;
            }
            '*' => {
                let mut n = 0;
                while i + n < c.len() && c[i + n] == '*' {
                    n += 1;
                }
                if dialect == Dialect::Command {
                    out.push(Tok::StarAll);
                    i += n;
                    continue;
                }
                let at_start = i == 0 || c[i - 1] == '/';
                let next = c.get(i + n).copied();
                if n >= 2 && at_start && next == Some('/') {
                    out.push(Tok::DirStar);
                    i += n + 1;
                    continue;
                }
                if n >= 2 && at_start && next.is_none() {
                    if out.last() == Some(&Tok::Lit('/')) {
                        out.pop();
                        out.push(Tok::SlashRest);
                    } else {
                        out.push(Tok::StarAll);
                    }
                    i += n;
                    continue;
                }
                // `**` inside a segment is a plain `*`, as gitignore says.
                out.push(Tok::Star);
                i += n;
                continue;
            }
            '?' => out.push(Tok::One),
            '[' => {
                if let Some((tok, used)) = class(&c[i..]) {
                    out.push(tok);
                    i += used;
                    continue;
                }
                out.push(Tok::Lit('['));
            }
            ch => out.push(Tok::Lit(ch)),
        }
        i += 1;
    }
    out
}

/// Parses `[...]` at the start of `c`; `None` when it is not closed, in
/// which case the `[` is a literal.
fn class(c: &[char]) -> Option<(Tok, usize)> {
    let mut i = 1;
    let neg = matches!(c.get(1), Some('!') | Some('^'));
    if neg {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    while i < c.len() {
        let mut ch = c[i];
        if ch == ']' && !first {
            return Some((Tok::Class { neg, ranges }, i + 1));
        }
        first = false;
        if ch == '\\' && i + 1 < c.len() {
            i += 1;
            ch = c[i];
        }
        if i + 2 < c.len() && c[i + 1] == '-' && c[i + 2] != ']' {
            ranges.push((ch, c[i + 2]));
            i += 3;
        } else {
            ranges.push((ch, ch));
            i += 1;
        }
    }
    None
}

/// `dp[p][s]`: tokens `p..` match text `s..`. Rows are computed from the last
/// token back, each from the row after it, so only two rows live at once.
fn run(toks: &[Tok], s: &[char], dialect: Dialect) -> bool {
    let n = s.len();
    let path = dialect == Dialect::Path;
    let mut next = vec![false; n + 1];
    next[n] = true;
    let mut cur = vec![false; n + 1];
    // Index of the first `/` at or after each position, for `**/`.
    let mut slash_at = vec![n; n + 1];
    for i in (0..n).rev() {
        slash_at[i] = if s[i] == '/' { i } else { slash_at[i + 1] };
    }
    for tok in toks.iter().rev() {
        for i in (0..=n).rev() {
            let here = s.get(i).copied();
            cur[i] = match tok {
                Tok::Lit(c) => here == Some(*c) && next[i + 1],
                Tok::One => here.is_some_and(|h| !(path && h == '/')) && next[i + 1],
                Tok::Class { neg, ranges } => {
                    here.is_some_and(|h| {
                        !(path && h == '/') && ranges.iter().any(|&(a, b)| a <= h && h <= b) != *neg
                    }) && next[i + 1]
                }
                Tok::Star => next[i] || (here.is_some_and(|h| h != '/') && cur[i + 1]),
                Tok::StarAll => next[i] || (here.is_some() && cur[i + 1]),
                Tok::DirStar => next[i] || (slash_at[i] < n && cur[slash_at[i] + 1]),
                // Only ever the last token, so what follows is free.
                Tok::SlashRest => i == n || here == Some('/'),
            };
        }
        std::mem::swap(&mut cur, &mut next);
    }
    next[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(pat: &str, text: &str) -> bool {
        Glob::new(pat, Dialect::Path).unwrap().matches(text)
    }
    fn c(pat: &str, text: &str) -> bool {
        Glob::new(pat, Dialect::Command).unwrap().matches(text)
    }

    #[test]
    fn path_star_stays_in_one_segment() {
        assert!(p("*.rs", "main.rs"));
        assert!(!p("*.rs", "src/main.rs"));
        assert!(p("src/*.rs", "src/main.rs"));
        assert!(!p("src/?", "src/ab"));
        assert!(p("src/?", "src/a"));
    }

    #[test]
    fn double_star_crosses_folders() {
        assert!(p("**/*.rs", "main.rs"));
        assert!(p("**/*.rs", "a/b/c/main.rs"));
        assert!(p("**/*.rs", "/abs/main.rs"));
        assert!(!p("**/*.rs", "a/b/main.rsx"));
        assert!(p("**", "anything/at/all"));
        assert!(p("src/**", "src"));
        assert!(p("src/**", "src/a/b"));
        assert!(!p("src/**", "srcx/a"));
        assert!(p("/tmp/**", "/tmp/x/y"));
        assert!(p("a/**/b", "a/b"));
        assert!(p("a/**/b", "a/x/y/b"));
        assert!(!p("a/**/b", "a/x/yb"));
        assert!(p("PLAN*.md", "PLAN-2.md"));
    }

    #[test]
    fn classes_braces_and_escapes() {
        assert!(p("[abc].rs", "b.rs"));
        assert!(!p("[!abc].rs", "b.rs"));
        assert!(p("[a-z]x", "qx"));
        assert!(p("*.{rs,toml}", "Cargo.toml"));
        assert!(p("{src,tests}/**", "tests/a.rs"));
        assert!(!p("{src,tests}/**", "lib/a.rs"));
        assert!(p("a\\*b", "a*b"));
        assert!(!p("a\\*b", "axb"));
        assert!(Glob::new("{a,b", Dialect::Path).is_err());
    }

    #[test]
    fn command_star_crosses_slashes_and_spaces() {
        assert!(c("git *", "git add src/x.rs"));
        assert!(c("git *", "git "));
        assert!(!c("git *", "gitk"));
        assert!(c("cargo test*", "cargo test --all"));
        assert!(c("mcp__github__*", "mcp__github__create_issue"));
        assert!(!c("mcp__github__*", "mcp__gitlab__x"));
        assert!(c("https://docs.rs/*", "https://docs.rs/serde/latest"));
    }

    #[test]
    fn long_hostile_text_is_quick() {
        let text = "a".repeat(5000);
        assert!(!c("*a*a*a*a*a*a*a*b", &text));
        assert!(!p("**/*a*a*a*a*b", &text));
    }
}
