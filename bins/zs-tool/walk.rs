//! Walking the user's tree: the `find_files` and `list_dir` tools, and the
//! file list `grep` searches.
//!
//! Walks follow ripgrep's rules through the `ignore` crate: .gitignore,
//! .ignore and git's exclude files are honoured (also outside a git
//! repository, since a .gitignore there still says what is noise), hidden
//! files are skipped by find_files and grep, and symlinks are not followed.
//! Output is sorted, so the same tree always gives the same answer.

use crate::call::{Ctx, Outcome, args};
use crate::file::human_size;
use ignore::{ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// A walker over `root` with the shared rules. `hidden` true skips hidden
/// entries.
pub fn builder(root: &Path, hidden: bool) -> WalkBuilder {
    let mut b = WalkBuilder::new(root);
    b.hidden(hidden)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git");
    b
}

/// Threads for walking and searching.
pub fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(8)
}

/// Calls `visit` on every regular file under `b`'s roots, on the walker's
/// threads, and collects what it returns, in no particular order. Each
/// thread gets its own scratch buffer, handed to `visit`.
pub fn each_file<T: Send>(
    b: &mut WalkBuilder,
    ctx: &Ctx,
    visit: impl Fn(&mut Vec<u8>, ignore::DirEntry) -> Option<T> + Sync,
) -> Vec<T> {
    let found = Mutex::new(Vec::new());
    b.threads(threads()).build_parallel().visit(&mut Visitors {
        found: &found,
        cancel: &ctx.env.cancel,
        visit: &visit,
    });
    found.into_inner().unwrap_or_else(|p| p.into_inner())
}

type VisitFn<'a, T> = &'a (dyn Fn(&mut Vec<u8>, ignore::DirEntry) -> Option<T> + Sync);

struct Visitors<'a, T> {
    found: &'a Mutex<Vec<T>>,
    cancel: &'a AtomicBool,
    visit: VisitFn<'a, T>,
}

impl<'s, T: Send> ParallelVisitorBuilder<'s> for Visitors<'s, T> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Visitor {
            found: self.found,
            cancel: self.cancel,
            visit: self.visit,
            buf: Vec::new(),
            local: Vec::new(),
        })
    }
}

/// One walker thread. What it collects is handed over in batches and when
/// the thread ends, so the shared list is locked rarely.
struct Visitor<'a, T> {
    found: &'a Mutex<Vec<T>>,
    cancel: &'a AtomicBool,
    visit: VisitFn<'a, T>,
    buf: Vec<u8>,
    local: Vec<T>,
}

impl<T> Visitor<'_, T> {
    fn flush(&mut self) {
        let mut f = self.found.lock().unwrap_or_else(|p| p.into_inner());
        f.append(&mut self.local);
    }
}

impl<T: Send> ParallelVisitor for Visitor<'_, T> {
    fn visit(&mut self, entry: Result<ignore::DirEntry, ignore::Error>) -> WalkState {
        if self.cancel.load(Ordering::Relaxed) {
            return WalkState::Quit;
        }
        if let Ok(e) = entry
            && e.file_type().is_some_and(|t| t.is_file())
            && let Some(v) = (self.visit)(&mut self.buf, e)
        {
            self.local.push(v);
            if self.local.len() >= 256 {
                self.flush();
            }
        }
        WalkState::Continue
    }
}

impl<T> Drop for Visitor<'_, T> {
    fn drop(&mut self) {
        self.flush();
    }
}

/// A path as shown to the model: relative to the working directory when
/// under it.
pub fn display(ctx: &Ctx, p: &Path) -> String {
    match p.strip_prefix(&ctx.env.cwd) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().into_owned(),
        Ok(_) => ".".into(),
        Err(_) => p.to_string_lossy().into_owned(),
    }
}

/// The folder a call names (default: the working directory), which must
/// exist.
pub fn root(ctx: &Ctx, path: Option<&str>) -> Result<(PathBuf, String), String> {
    let shown = path.unwrap_or(".").to_string();
    let p = ctx.path(&shown);
    match std::fs::metadata(&p) {
        Ok(_) => Ok((p, shown)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(format!("path not found: '{shown}'"))
        }
        Err(e) => Err(format!("cannot open '{shown}': {e}")),
    }
}

/// A glob as find_files and grep's `include` take it: without a `/` it
/// matches file names anywhere; with one, paths relative to the root.
pub struct Glob {
    matcher: globset::GlobMatcher,
    by_path: bool,
}

impl Glob {
    pub fn new(pattern: &str) -> Result<Glob, String> {
        let pattern = pattern.trim_start_matches("./");
        let matcher = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("invalid glob pattern: {e}"))?
            .compile_matcher();
        Ok(Glob {
            matcher,
            by_path: pattern.contains('/'),
        })
    }

    pub fn is_match(&self, root: &Path, file: &Path) -> bool {
        if self.by_path {
            file.strip_prefix(root)
                .is_ok_and(|r| self.matcher.is_match(r))
        } else {
            file.file_name().is_some_and(|n| self.matcher.is_match(n))
        }
    }
}

#[derive(Deserialize)]
struct FindArgs {
    pattern: String,
    path: Option<String>,
}

pub fn run_find(v: Value, ctx: &Ctx) -> Result<Outcome, String> {
    let a: FindArgs = args(v)?;
    let (root, shown) = root(ctx, a.path.as_deref())?;
    if !root.is_dir() {
        return Err(format!("'{shown}' is not a folder"));
    }
    let glob = Glob::new(&a.pattern)?;
    if ctx.env.dry_run {
        return Ok(Outcome::dry_run(format!(
            "would list files matching '{}' under '{shown}'",
            a.pattern
        )));
    }
    let mut b = builder(&root, true);
    let files = each_file(&mut b, ctx, |_, e| Some(e.into_path()));
    let mut hits: Vec<String> = files
        .iter()
        .filter(|p| glob.is_match(&root, p))
        .map(|p| display(ctx, p))
        .collect();
    hits.sort();
    if hits.is_empty() {
        return Ok(Outcome::ok(format!(
            "no files match '{}' under '{shown}'",
            a.pattern
        )));
    }
    let max = ctx.settings().find_files.max_results;
    let total = hits.len();
    let mut out = String::new();
    for h in hits.iter().take(max) {
        out.push_str(h);
        out.push('\n');
    }
    if total > max {
        let _ = writeln!(
            out,
            "[showing {max} of {total} files; {} more not shown; narrow the pattern or the path]",
            total - max
        );
    }
    Ok(Outcome::ok(out))
}

#[derive(Deserialize)]
struct ListArgs {
    path: Option<String>,
    depth: Option<u64>,
}

/// A folder as a tree of what the walk saw.
#[derive(Default)]
struct Node {
    dirs: BTreeMap<String, Node>,
    /// Name and how it is shown after the name (size, link target).
    files: BTreeMap<String, String>,
    /// Entries seen one level below the listing's depth.
    hidden_children: usize,
}

pub fn run_list(v: Value, ctx: &Ctx) -> Result<Outcome, String> {
    let a: ListArgs = args(v)?;
    let (root, shown) = root(ctx, a.path.as_deref())?;
    if !root.is_dir() {
        return Err(format!(
            "'{shown}' is a file, not a folder; use read to see it"
        ));
    }
    let s = &ctx.settings().list_dir;
    let mut note = String::new();
    let mut depth = a.depth.unwrap_or(1).max(1) as usize;
    if depth > s.max_depth {
        note = format!("[depth lowered to the maximum of {}]\n", s.max_depth);
        depth = s.max_depth;
    }
    if ctx.env.dry_run {
        return Ok(Outcome::dry_run(format!("would list '{shown}'")));
    }
    // One level deeper than shown, to count what the last level holds.
    let mut b = builder(&root, false);
    b.max_depth(Some(depth + 1)).threads(1);
    let mut tree = Node::default();
    let cap = s.max_entries.saturating_mul(20);
    let mut seen = 0usize;
    let mut walk_cut = false;
    for entry in b.build().flatten() {
        let d = entry.depth();
        if d == 0 {
            continue;
        }
        seen += 1;
        if seen > cap {
            walk_cut = true;
            break;
        }
        let Ok(rel) = entry.path().strip_prefix(&root) else {
            continue;
        };
        let parts: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        let Some((name, parents)) = parts.split_last() else {
            continue;
        };
        let mut node = &mut tree;
        for p in parents {
            node = node.dirs.entry(p.clone()).or_default();
        }
        if d > depth {
            node.hidden_children += 1;
            continue;
        }
        let ft = entry.file_type();
        if ft.is_some_and(|t| t.is_dir()) {
            node.dirs.entry(name.clone()).or_default();
        } else if ft.is_some_and(|t| t.is_symlink()) {
            let target = std::fs::read_link(entry.path())
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default();
            node.files.insert(name.clone(), format!(" -> {target}"));
        } else {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            node.files
                .insert(name.clone(), format!("  ({})", human_size(size)));
        }
    }
    let mut lines = Vec::new();
    render(&tree, 0, depth, &mut lines);
    if lines.is_empty() {
        return Ok(Outcome::ok(format!("{note}'{shown}' is empty")));
    }
    let total = lines.len();
    let mut out = note;
    for l in lines.iter().take(s.max_entries) {
        out.push_str(l);
        out.push('\n');
    }
    if total > s.max_entries || walk_cut {
        let _ = writeln!(
            out,
            "[listing cut at {} entries; list a subfolder or use a smaller depth]",
            s.max_entries.min(total)
        );
    }
    Ok(Outcome::ok(out))
}

/// Folders first, then files, each sorted by name, two spaces per level.
fn render(node: &Node, level: usize, depth: usize, out: &mut Vec<String>) {
    let pad = "  ".repeat(level);
    for (name, child) in &node.dirs {
        if level + 1 == depth {
            let n = child.hidden_children;
            out.push(format!(
                "{pad}{name}/  ({n} entr{})",
                if n == 1 { "y" } else { "ies" }
            ));
        } else {
            out.push(format!("{pad}{name}/"));
            render(child, level + 1, depth, out);
        }
    }
    for (name, what) in &node.files {
        out.push(format!("{pad}{name}{what}"));
    }
}
