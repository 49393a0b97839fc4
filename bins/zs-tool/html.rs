//! HTML to readable Markdown or plain text, for webfetch.
//!
//! Not a full HTML parser: a forgiving tag scanner that is enough for
//! reading pages. Scripts, styles and other non-content elements are
//! dropped with their content; block elements become line breaks; headings,
//! lists, links, emphasis, code and preformatted blocks become Markdown
//! (or plain text); entities are decoded; whitespace is collapsed outside
//! `<pre>`. Malformed markup degrades to text, never to an error.

/// Elements dropped with everything inside them.
const SKIP: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "iframe", "object", "canvas", "select",
    "button",
];

/// Elements that start and end a block (a line of their own).
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "header",
    "main",
    "nav",
    "ol",
    "section",
    "summary",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "ul",
];

/// Converts `html` to Markdown (`markdown` true) or plain text. The page
/// title, if any, comes first as a heading.
pub fn convert(html: &str, markdown: bool) -> String {
    let mut o = Out::new(markdown);
    let b = html.as_bytes();
    let mut i = 0;
    let mut text_start = 0;
    while i < b.len() {
        if b[i] != b'<' {
            i += 1;
            continue;
        }
        o.text(&html[text_start..i]);
        // Comment, doctype, processing instruction.
        if html[i..].starts_with("<!--") {
            i = html[i + 4..].find("-->").map_or(b.len(), |e| i + 4 + e + 3);
            text_start = i;
            continue;
        }
        if b.get(i + 1).is_some_and(|&c| c == b'!' || c == b'?') {
            i = html[i..].find('>').map_or(b.len(), |e| i + e + 1);
            text_start = i;
            continue;
        }
        let Some(tag) = Tag::parse(&html[i..]) else {
            // A '<' that starts no tag is text.
            o.text("<");
            i += 1;
            text_start = i;
            continue;
        };
        i += tag.len;
        if !tag.closing && SKIP.contains(&tag.name.as_str()) {
            i = skip_element(html, i, &tag.name);
        } else if !tag.closing && tag.name == "title" {
            let end = find_ci(html, i, "</title").unwrap_or(b.len());
            if o.title.is_none() {
                o.title = Some(collapse(&decode(&html[i..end])));
            }
            i = html[end..].find('>').map_or(b.len(), |e| end + e + 1);
        } else {
            o.tag(&tag);
        }
        text_start = i;
    }
    o.text(&html[text_start..]);
    o.finish()
}

/// Index after the end tag of `name` (or the end of input).
fn skip_element(html: &str, from: usize, name: &str) -> usize {
    match find_ci(html, from, &format!("</{name}")) {
        Some(e) => html[e..].find('>').map_or(html.len(), |g| e + g + 1),
        None => html.len(),
    }
}

/// Case-insensitive find of ASCII `needle` from `from`.
fn find_ci(hay: &str, from: usize, needle: &str) -> Option<usize> {
    let h = hay.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || h.len() < n.len() {
        return None;
    }
    (from..=h.len() - n.len()).find(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
}

struct Tag {
    name: String,
    closing: bool,
    href: Option<String>,
    alt: Option<String>,
    src: Option<String>,
    /// Bytes from '<' through '>'.
    len: usize,
}

impl Tag {
    /// Parses a tag at the start of `s` (which starts with '<').
    fn parse(s: &str) -> Option<Tag> {
        let b = s.as_bytes();
        let mut i = 1;
        let closing = b.get(i) == Some(&b'/');
        if closing {
            i += 1;
        }
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'-') {
            i += 1;
        }
        if i == start || !b[start].is_ascii_alphabetic() {
            return None;
        }
        let name = s[start..i].to_ascii_lowercase();
        let mut tag = Tag {
            name,
            closing,
            href: None,
            alt: None,
            src: None,
            len: 0,
        };
        // Attributes, up to '>' outside quotes.
        loop {
            while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
                i += 1;
            }
            if i >= b.len() {
                return None;
            }
            if b[i] == b'>' {
                tag.len = i + 1;
                return Some(tag);
            }
            let an = i;
            while i < b.len() && !b[i].is_ascii_whitespace() && !matches!(b[i], b'=' | b'>' | b'/')
            {
                i += 1;
            }
            let attr = s[an..i].to_ascii_lowercase();
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            let mut value = None;
            if b.get(i) == Some(&b'=') {
                i += 1;
                while i < b.len() && b[i].is_ascii_whitespace() {
                    i += 1;
                }
                match b.get(i) {
                    Some(&q @ (b'"' | b'\'')) => {
                        let vs = i + 1;
                        let ve = s[vs..].find(q as char).map(|e| vs + e)?;
                        value = Some(&s[vs..ve]);
                        i = ve + 1;
                    }
                    Some(_) => {
                        let vs = i;
                        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'>' {
                            i += 1;
                        }
                        value = Some(&s[vs..i]);
                    }
                    None => return None,
                }
            }
            if let Some(v) = value {
                let v = decode(v);
                match attr.as_str() {
                    "href" => tag.href = Some(v),
                    "alt" => tag.alt = Some(v),
                    "src" => tag.src = Some(v),
                    _ => {}
                }
            }
            if i == an {
                // No progress: a stray character; skip it.
                i += 1;
            }
        }
    }
}

/// The text being built.
struct Out {
    md: bool,
    buf: String,
    title: Option<String>,
    /// Line breaks owed before the next text (1 or 2).
    breaks: usize,
    space: bool,
    /// Open lists: `Some(n)` for an ordered list at item n.
    lists: Vec<Option<usize>>,
    pre: usize,
    /// Open links: where their text starts, and the target.
    links: Vec<(usize, Option<String>)>,
    cells: usize,
}

impl Out {
    fn new(md: bool) -> Out {
        Out {
            md,
            buf: String::new(),
            title: None,
            breaks: 0,
            space: false,
            lists: Vec::new(),
            pre: 0,
            links: Vec::new(),
            cells: 0,
        }
    }

    fn block(&mut self, n: usize) {
        self.breaks = self.breaks.max(n);
        self.space = false;
    }

    /// Writes what is owed before new content.
    fn flush(&mut self) {
        if self.buf.is_empty() {
            self.breaks = 0;
            self.space = false;
            return;
        }
        if self.breaks > 0 {
            while self.buf.ends_with(' ') {
                self.buf.pop();
            }
            let have = self.buf.len() - self.buf.trim_end_matches('\n').len();
            for _ in have..self.breaks {
                self.buf.push('\n');
            }
            self.breaks = 0;
            self.space = false;
        } else if self.space {
            if !self.buf.ends_with([' ', '\n']) {
                self.buf.push(' ');
            }
            self.space = false;
        }
    }

    fn raw(&mut self, s: &str) {
        self.flush();
        self.buf.push_str(s);
    }

    fn text(&mut self, s: &str) {
        if s.is_empty() {
            return;
        }
        let s = decode(s);
        if self.pre > 0 {
            self.flush();
            self.buf.push_str(&s);
            return;
        }
        for (n, word) in s.split(|c: char| c.is_whitespace()).enumerate() {
            if n > 0 {
                self.space = true;
            }
            if !word.is_empty() {
                self.flush();
                self.buf.push_str(word);
            }
        }
    }

    fn tag(&mut self, t: &Tag) {
        let name = t.name.as_str();
        match (name, t.closing) {
            ("br", _) => {
                if self.pre > 0 {
                    self.buf.push('\n');
                } else {
                    self.block(1);
                }
            }
            ("p", _) => self.block(2),
            ("hr", _) => {
                self.block(2);
                self.raw(if self.md { "---" } else { "----------" });
                self.block(2);
            }
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", false) => {
                self.block(2);
                if self.md {
                    let level = name[1..].parse::<usize>().unwrap_or(1);
                    self.raw(&format!("{} ", "#".repeat(level)));
                }
            }
            ("h1" | "h2" | "h3" | "h4" | "h5" | "h6", true) => self.block(2),
            ("ul", false) => {
                self.lists.push(None);
                self.block(1);
            }
            ("ol", false) => {
                self.lists.push(Some(0));
                self.block(1);
            }
            ("ul" | "ol", true) => {
                self.lists.pop();
                self.block(if self.lists.is_empty() { 2 } else { 1 });
            }
            ("li", false) => {
                self.block(1);
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{n}. ")
                    }
                    _ => "- ".to_string(),
                };
                self.raw(&format!("{}{marker}", "  ".repeat(depth)));
            }
            ("li", true) => self.block(1),
            ("pre", false) => {
                self.block(2);
                if self.md {
                    self.raw("```");
                    self.buf.push('\n');
                }
                self.pre += 1;
            }
            ("pre", true) => {
                self.pre = self.pre.saturating_sub(1);
                if self.md {
                    if !self.buf.ends_with('\n') {
                        self.buf.push('\n');
                    }
                    self.buf.push_str("```");
                }
                self.block(2);
            }
            ("code", _) if self.pre == 0 && self.md => self.raw("`"),
            ("strong" | "b", _) if self.md => self.raw("**"),
            ("em" | "i", _) if self.md => self.raw("*"),
            ("a", false) => {
                let href = t
                    .href
                    .clone()
                    .filter(|h| !h.starts_with('#') && !h.starts_with("javascript:"));
                if self.md && href.is_some() {
                    self.raw("[");
                }
                self.links.push((self.buf.len(), href));
            }
            ("a", true) => {
                if let Some((at, Some(href))) = self.links.pop()
                    && self.md
                {
                    if self.buf[at..].trim().is_empty() {
                        // A link with no text (an icon): drop it.
                        self.buf.truncate(at.saturating_sub(1));
                    } else {
                        self.buf.push_str(&format!("]({href})"));
                    }
                }
            }
            ("img", _) => {
                if let (true, Some(alt), Some(src)) = (self.md, &t.alt, &t.src)
                    && !alt.trim().is_empty()
                    && !src.starts_with("data:")
                {
                    self.raw(&format!("![{}]({src})", collapse(alt)));
                }
            }
            ("td" | "th", false) => {
                if self.cells > 0 {
                    self.raw(" | ");
                }
                self.cells += 1;
            }
            ("tr", _) => {
                self.cells = 0;
                self.block(1);
            }
            ("blockquote", false) => {
                self.block(2);
                if self.md {
                    self.raw("> ");
                }
            }
            (n, _) if BLOCK.contains(&n) => self.block(1),
            _ => {}
        }
    }

    fn finish(self) -> String {
        let mut out = String::new();
        if let Some(t) = self.title.filter(|t| !t.is_empty()) {
            out.push_str(if self.md { "# " } else { "" });
            out.push_str(&t);
            out.push_str("\n\n");
        }
        // Trailing spaces off each line; at most one blank line in a row.
        let mut blank = 0;
        for line in self.buf.lines() {
            let l = line.trim_end();
            if l.is_empty() {
                blank += 1;
                if blank > 1 {
                    continue;
                }
            } else {
                blank = 0;
            }
            out.push_str(l);
            out.push('\n');
        }
        let trimmed = out.trim();
        let mut s = trimmed.to_string();
        s.push('\n');
        s
    }
}

/// Whitespace runs as one space, ends trimmed.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Decodes character references: named (the common ones) and numeric.
pub fn decode(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..]
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '#')
            .map_or(rest.len(), |e| e + 1);
        let name = &rest[1..end];
        let decoded = if let Some(num) = name.strip_prefix('#') {
            let n = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => num.parse::<u32>().ok(),
            };
            n.and_then(char::from_u32)
                .map(|c| if c == '\0' { '\u{fffd}' } else { c })
        } else {
            named(name)
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[end..];
                if rest.starts_with(';') {
                    rest = &rest[1..];
                }
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn named(name: &str) -> Option<char> {
    Some(match name {
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "hellip" => '…',
        "mdash" => '—',
        "ndash" => '–',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "bull" => '•',
        "middot" => '·',
        "deg" => '°',
        "times" => '×',
        "divide" => '÷',
        "euro" => '€',
        "pound" => '£',
        "yen" => '¥',
        "cent" => '¢',
        "sect" => '§',
        "para" => '¶',
        "larr" => '←',
        "rarr" => '→',
        "uarr" => '↑',
        "darr" => '↓',
        "check" => '✓',
        "shy" | "zwj" | "zwnj" => '\u{200b}',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_becomes_markdown() {
        let html = r#"<!DOCTYPE html><html><head><title>The &amp; Page</title>
            <style>body{color:red}</style><script>alert("x<p>")</script></head>
            <body><nav><a href="/">Home</a></nav>
            <h1>Hello   world</h1><p>Some <b>bold</b> and <a href="https://e.com/x">a link</a>.</p>
            <ul><li>one</li><li>two<ol><li>inner</li></ol></li></ul>
            <pre>let x = 1;
  indented</pre><p>caf&eacute; &#233; &#x1F600; &copy;</p><!-- gone --></body></html>"#;
        let md = convert(html, true);
        assert_eq!(
            md,
            "# The & Page\n\n[Home](/)\n\n# Hello world\n\nSome **bold** and [a link](https://e.com/x).\n\n\
             - one\n- two\n  1. inner\n\n```\nlet x = 1;\n  indented\n```\n\ncaf&eacute; é 😀 ©\n"
        );
    }

    #[test]
    fn text_mode_has_no_markup() {
        let t = convert("<h2>T</h2><p>a <a href='u'>b</a> <em>c</em></p>", false);
        assert_eq!(t, "T\n\na b c\n");
    }

    #[test]
    fn broken_markup_degrades_to_text() {
        assert_eq!(
            convert("a < b and <unclosed", true),
            "a < b and <unclosed\n"
        );
        assert_eq!(convert("<p>x<script>never closed", true), "x\n");
        assert_eq!(
            convert("<a href=\"#top\"><img src=i.png></a>y", true),
            "y\n"
        );
    }

    #[test]
    fn entities() {
        assert_eq!(
            decode("&lt;a&gt; &amp;amp; &#38; &bogus; & x"),
            "<a> &amp; & &bogus; & x"
        );
    }
}
