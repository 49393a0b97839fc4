//! A line diff in unified format, for the results of edit, multiedit and
//! apply_patch: the model sees what changed, with a little context, and
//! can check its work without reading the file again.
//!
//! Myers' O(ND) algorithm on the part between the common prefix and suffix.
//! Past a bound on the edit distance the middle is shown as one replaced
//! block: still correct, only less minimal, and bounded in time and memory.

use std::fmt::Write;

/// Lines of context around each change.
const CONTEXT: usize = 3;
/// Beyond this many differences the middle is shown as replaced whole.
const MAX_D: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Equal,
    Delete,
    Insert,
}

/// A unified diff of `old` to `new` (LF text) under `--- a/NAME` and
/// `+++ b/NAME` headers, cut after `max_lines` lines. Empty when equal.
pub fn unified(name: &str, old: &str, new: &str, max_lines: usize) -> String {
    let a: Vec<&str> = split(old);
    let b: Vec<&str> = split(new);
    let ops = diff(&a, &b);
    if ops.iter().all(|(op, _, _)| *op == Op::Equal) {
        return String::new();
    }
    let mut lines: Vec<String> = vec![format!("--- a/{name}"), format!("+++ b/{name}")];
    for hunk in hunks(&ops) {
        let (a0, b0) = (hunk[0].1, hunk[0].2);
        let a_len = hunk.iter().filter(|h| h.0 != Op::Insert).count();
        let b_len = hunk.iter().filter(|h| h.0 != Op::Delete).count();
        lines.push(format!("@@ -{} +{} @@", range(a0, a_len), range(b0, b_len)));
        for &(op, i, j) in hunk {
            lines.push(match op {
                Op::Equal => format!(" {}", a[i]),
                Op::Delete => format!("-{}", a[i]),
                Op::Insert => format!("+{}", b[j]),
            });
        }
    }
    let mut out = String::new();
    let total = lines.len();
    for (n, l) in lines.iter().enumerate() {
        if n >= max_lines {
            let _ = writeln!(out, "... (diff cut: {} more lines)", total - n);
            break;
        }
        out.push_str(l);
        out.push('\n');
    }
    out
}

/// Lines without their terminators; a final newline adds no empty line.
fn split(s: &str) -> Vec<&str> {
    if s.is_empty() {
        return Vec::new();
    }
    s.strip_suffix('\n').unwrap_or(s).split('\n').collect()
}

/// `start,len` as unified diff writes it (1-based; `n,0` after line n).
fn range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}

/// Groups the ops into hunks with `CONTEXT` equal lines around changes.
fn hunks(ops: &[(Op, usize, usize)]) -> Vec<&[(Op, usize, usize)]> {
    let changes: Vec<usize> = ops
        .iter()
        .enumerate()
        .filter(|(_, o)| o.0 != Op::Equal)
        .map(|(i, _)| i)
        .collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < changes.len() {
        let start = changes[k].saturating_sub(CONTEXT);
        let mut end = changes[k];
        while k + 1 < changes.len() && changes[k + 1] - end <= 2 * CONTEXT {
            k += 1;
            end = changes[k];
        }
        let end = (end + CONTEXT + 1).min(ops.len());
        out.push(&ops[start..end]);
        k += 1;
    }
    out
}

/// The edit script: (op, index in a, index in b) for every line. For an
/// insert, the index in a is where it goes (the next line of a).
fn diff(a: &[&str], b: &[&str]) -> Vec<(Op, usize, usize)> {
    let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (am, bm) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut ops: Vec<(Op, usize, usize)> = (0..prefix).map(|i| (Op::Equal, i, i)).collect();
    let middle = myers(am, bm).unwrap_or_else(|| {
        let mut v = vec![Op::Delete; am.len()];
        v.extend(std::iter::repeat_n(Op::Insert, bm.len()));
        v
    });
    let (mut i, mut j) = (prefix, prefix);
    for op in middle {
        ops.push((op, i, j));
        match op {
            Op::Equal => {
                i += 1;
                j += 1;
            }
            Op::Delete => i += 1,
            Op::Insert => j += 1,
        }
    }
    for _ in 0..suffix {
        ops.push((Op::Equal, i, j));
        i += 1;
        j += 1;
    }
    ops
}

/// Myers' greedy shortest edit script, or `None` past `MAX_D`.
fn myers(a: &[&str], b: &[&str]) -> Option<Vec<Op>> {
    let (n, m) = (a.len() as isize, b.len() as isize);
    let max = (a.len() + b.len()).min(MAX_D) as isize;
    let off = max + 1;
    let mut v = vec![0isize; (2 * max + 3) as usize];
    // The v row before each round d, to walk back from the end.
    let mut trace: Vec<Vec<isize>> = Vec::new();
    for d in 0..=max {
        trace.push(v[(off - d) as usize..=(off + d) as usize].to_vec());
        let mut k = -d;
        while k <= d {
            let idx = (off + k) as usize;
            let mut x = if k == -d || (k != d && v[idx - 1] < v[idx + 1]) {
                v[idx + 1]
            } else {
                v[idx - 1] + 1
            };
            let mut y = x - k;
            while x < n && y < m && a[x as usize] == b[y as usize] {
                x += 1;
                y += 1;
            }
            v[idx] = x;
            if x >= n && y >= m {
                return Some(backtrack(&trace, n, m, d));
            }
            k += 2;
        }
    }
    None
}

fn backtrack(trace: &[Vec<isize>], n: isize, m: isize, d_end: isize) -> Vec<Op> {
    let mut ops = Vec::new();
    let (mut x, mut y) = (n, m);
    let mut d = d_end;
    while d > 0 {
        // trace[d] holds v before round d, for k in -(d)..=d shifted by d:
        // that is v after round d-1.
        let row = &trace[d as usize];
        let at = |k: isize| row[(k + d) as usize];
        let k = x - y;
        let prev_k = if k == -d || (k != d && at(k - 1) < at(k + 1)) {
            k + 1
        } else {
            k - 1
        };
        let prev_x = at(prev_k);
        let prev_y = prev_x - prev_k;
        while x > prev_x && y > prev_y {
            ops.push(Op::Equal);
            x -= 1;
            y -= 1;
        }
        if prev_k == k + 1 {
            ops.push(Op::Insert);
        } else {
            ops.push(Op::Delete);
        }
        x = prev_x;
        y = prev_y;
        d -= 1;
    }
    while x > 0 && y > 0 {
        ops.push(Op::Equal);
        x -= 1;
        y -= 1;
    }
    ops.reverse();
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_changed_line_in_the_middle() {
        let old = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let new = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        assert_eq!(
            unified("f", old, new, 100),
            "--- a/f\n+++ b/f\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
        );
    }

    #[test]
    fn far_apart_changes_make_two_hunks_and_inserts_count_right() {
        let old: String = (1..=20).map(|i| format!("{i}\n")).collect();
        let new = old.replacen("2\n", "2\nx\n", 1).replace("19\n", "");
        let d = unified("f", &old, &new, 100);
        assert!(
            d.contains("@@ -1,5 +1,6 @@\n 1\n 2\n+x\n 3\n 4\n 5\n"),
            "{d}"
        );
        assert!(
            d.contains("@@ -16,5 +17,4 @@\n 16\n 17\n 18\n-19\n 20\n"),
            "{d}"
        );
    }

    #[test]
    fn creation_and_deletion() {
        assert_eq!(
            unified("f", "", "a\n", 100),
            "--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+a\n"
        );
        assert_eq!(
            unified("f", "a\nb\n", "", 100),
            "--- a/f\n+++ b/f\n@@ -1,2 +0,0 @@\n-a\n-b\n"
        );
        assert_eq!(unified("f", "a\n", "a\n", 100), "");
    }

    #[test]
    fn interleaved_changes_are_minimal() {
        let ops = diff(
            &["a", "b", "c", "a", "b", "b", "a"],
            &["c", "b", "a", "b", "a", "c"],
        );
        let d = ops.iter().filter(|o| o.0 != Op::Equal).count();
        assert_eq!(d, 5);
    }

    #[test]
    fn long_diffs_are_cut() {
        let d = unified("f", "", "a\nb\nc\nd\n", 4);
        assert!(d.ends_with("+a\n... (diff cut: 3 more lines)\n"), "{d}");
    }
}
