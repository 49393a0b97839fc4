//! Table tests for edit, multiedit and apply_patch: exact, whitespace- and
//! indentation-tolerant, ambiguous, CRLF, BOM and no-match cases, each run
//! through `zs-tool call` on a scratch file, checking the result and the
//! bytes left on disk.

use crate::common::Home;
use serde_json::{Value, json};

/// Runs one call in `home`'s folder and returns its result line.
fn call(home: &Home, name: &str, args: &Value) -> Value {
    let out = home
        .cmd("zs-tool")
        .args(["call", name, &args.to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = crate::common::ndjson(&out.stdout);
    assert_eq!(lines.len(), 1, "{lines:?}");
    lines[0].clone()
}

struct Row {
    name: &'static str,
    before: &'static [u8],
    old: &'static str,
    new: &'static str,
    replace_all: bool,
    /// The file afterwards; `None` means unchanged (the call fails).
    after: Option<&'static [u8]>,
    /// Text the result must contain.
    says: &'static str,
}

const EDITS: &[Row] = &[
    Row {
        name: "exact",
        before: b"a\nb\nc\n",
        old: "b",
        new: "B",
        replace_all: false,
        after: Some(b"a\nB\nc\n"),
        says: "1 replacement",
    },
    Row {
        name: "exact across lines",
        before: b"one\ntwo\nthree\n",
        old: "one\ntwo\n",
        new: "1\n2\n",
        replace_all: false,
        after: Some(b"1\n2\nthree\n"),
        says: "-one\n-two\n+1\n+2\n three",
    },
    Row {
        name: "trailing whitespace in the file",
        before: b"x = 1   \ny = 2\n",
        old: "x = 1\ny = 2",
        new: "x = 10\ny = 2",
        replace_all: false,
        after: Some(b"x = 10\ny = 2\n"),
        says: "matched ignoring trailing whitespace",
    },
    Row {
        name: "indentation differs (fuzzy)",
        before: b"fn f() {\n        if a {\n            b();\n        }\n}\n",
        old: "if a {\n    b();\n}",
        new: "if a {\n    b();\n    c();\n}",
        replace_all: false,
        after: Some(
            b"fn f() {\n        if a {\n            b();\n            c();\n        }\n}\n",
        ),
        says: "re-indented",
    },
    Row {
        name: "inner whitespace differs (fuzzy)",
        before: b"let  x =   compute( a,b );\n",
        old: "let x = compute( a,b );",
        new: "let x = compute(a, b);",
        replace_all: false,
        after: Some(b"let x = compute(a, b);\n"),
        says: "ignoring whitespace differences",
    },
    Row {
        name: "ambiguous",
        before: b"x\ny\nx\n",
        old: "x",
        new: "z",
        replace_all: false,
        after: None,
        says: "matches 2 places (lines 1, 3)",
    },
    Row {
        name: "ambiguous in the fuzzy step",
        before: b"  a\nb\n    a\n",
        old: "a ",
        new: "z",
        replace_all: false,
        after: None,
        says: "lines 1, 3",
    },
    Row {
        name: "replace_all",
        before: b"x\ny\nx\n",
        old: "x",
        new: "z",
        replace_all: true,
        after: Some(b"z\ny\nz\n"),
        says: "2 replacements",
    },
    Row {
        name: "no match shows the closest line",
        before: b"alpha\nlet total = sum(values);\nomega\n",
        old: "let totals = sum(value);",
        new: "x",
        replace_all: false,
        after: None,
        says: "at line 2 (",
    },
    Row {
        name: "no match and nothing similar",
        before: b"alpha\n",
        old: "zzzz",
        new: "x",
        replace_all: false,
        after: None,
        says: "nothing in the file is similar",
    },
    Row {
        name: "CRLF kept",
        before: b"a\r\nb\r\nc\r\n",
        old: "b\nc",
        new: "B\nC\nD",
        replace_all: false,
        after: Some(b"a\r\nB\r\nC\r\nD\r\n"),
        says: "1 replacement",
    },
    Row {
        name: "CRLF old_string on a CRLF file",
        before: b"a\r\nb\r\n",
        old: "a\r\nb",
        new: "x",
        replace_all: false,
        after: Some(b"x\r\n"),
        says: "1 replacement",
    },
    Row {
        name: "BOM kept",
        before: b"\xef\xbb\xbfhello\n",
        old: "hello",
        new: "bye",
        replace_all: false,
        after: Some(b"\xef\xbb\xbfbye\n"),
        says: "1 replacement",
    },
    Row {
        name: "deleting a line with its newline",
        before: b"keep\ndrop\nkeep too\n",
        old: "drop\n",
        new: "",
        replace_all: false,
        after: Some(b"keep\nkeep too\n"),
        says: "-drop",
    },
    Row {
        name: "same old and new",
        before: b"a\n",
        old: "a",
        new: "a",
        replace_all: false,
        after: None,
        says: "are the same",
    },
];

#[test]
fn edit_table() {
    for row in EDITS {
        let home = Home::new();
        let path = home.path().join("f.txt");
        std::fs::write(&path, row.before).unwrap();
        let r = call(
            &home,
            "edit",
            &json!({"path": "f.txt", "old_string": row.old, "new_string": row.new, "replace_all": row.replace_all}),
        );
        let content = r["content"].as_str().unwrap();
        assert!(
            content.contains(row.says),
            "{}: result does not say {:?}:\n{content}",
            row.name,
            row.says
        );
        let on_disk = std::fs::read(&path).unwrap();
        match row.after {
            Some(after) => {
                assert_eq!(r["is_error"], false, "{}: {content}", row.name);
                assert_eq!(
                    String::from_utf8_lossy(&on_disk),
                    String::from_utf8_lossy(after),
                    "{}",
                    row.name
                );
            }
            None => {
                assert_eq!(r["is_error"], true, "{}: {content}", row.name);
                assert_eq!(on_disk, row.before, "{}: the file changed", row.name);
            }
        }
    }
}

#[test]
fn multiedit_is_all_or_nothing() {
    let home = Home::new();
    let path = home.path().join("f.txt");
    std::fs::write(&path, "a\nb\nc\n").unwrap();
    let r = call(
        &home,
        "multiedit",
        &json!({"path": "f.txt", "edits": [
            {"old_string": "a", "new_string": "A"},
            {"old_string": "missing", "new_string": "x"},
        ]}),
    );
    assert_eq!(r["is_error"], true);
    assert!(
        r["content"].as_str().unwrap().starts_with("edit 2 of 2:"),
        "{r}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "a\nb\nc\n");
    // Later edits see the text as the earlier ones left it.
    let r = call(
        &home,
        "multiedit",
        &json!({"path": "f.txt", "edits": [
            {"old_string": "a", "new_string": "A"},
            {"old_string": "A\nb", "new_string": "A\nB"},
        ]}),
    );
    assert_eq!(r["is_error"], false, "{r}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "A\nB\nc\n");
}

/// Files expected after a patch: path and content, `None` for absent.
type Expected = &'static [(&'static str, Option<&'static [u8]>)];

struct PatchRow {
    name: &'static str,
    files: &'static [(&'static str, &'static [u8])],
    patch: &'static str,
    /// Files afterwards (path, content; `None` = absent), or `None` when
    /// the patch must fail and leave every file as it was.
    after: Option<Expected>,
    says: &'static str,
}

const PATCHES: &[PatchRow] = &[
    PatchRow {
        name: "exact update",
        files: &[("a.txt", b"one\ntwo\nthree\n")],
        patch: "*** Begin Patch\n*** Update File: a.txt\n@@\n one\n-two\n+2\n three\n*** End Patch",
        after: Some(&[("a.txt", Some(b"one\n2\nthree\n"))]),
        says: "M a.txt",
    },
    PatchRow {
        name: "fuzzy: trailing and leading whitespace",
        files: &[("a.py", b"def f():   \n    return 1\n")],
        patch: "*** Begin Patch\n*** Update File: a.py\n@@\n def f():\n-  return 1\n+    return 2\n*** End Patch",
        after: Some(&[("a.py", Some(b"def f():   \n    return 2\n"))]),
        says: "M a.py",
    },
    PatchRow {
        name: "context line picks the second of two equal blocks",
        files: &[("a.rs", b"fn a() {\n    x();\n}\nfn b() {\n    x();\n}\n")],
        patch: "*** Begin Patch\n*** Update File: a.rs\n@@ fn b() {\n-    x();\n+    y();\n*** End Patch",
        after: Some(&[(
            "a.rs",
            Some(b"fn a() {\n    x();\n}\nfn b() {\n    y();\n}\n"),
        )]),
        says: "M a.rs",
    },
    PatchRow {
        name: "CRLF file stays CRLF",
        files: &[("w.txt", b"a\r\nb\r\n")],
        patch: "*** Begin Patch\n*** Update File: w.txt\n@@\n a\n-b\n+c\n+d\n*** End Patch",
        after: Some(&[("w.txt", Some(b"a\r\nc\r\nd\r\n"))]),
        says: "M w.txt",
    },
    PatchRow {
        name: "CRLF patch text on an LF file",
        files: &[("u.txt", b"a\nb\n")],
        patch: "*** Begin Patch\r\n*** Update File: u.txt\r\n@@\r\n-b\r\n+c\r\n*** End Patch\r\n",
        after: Some(&[("u.txt", Some(b"a\nc\n"))]),
        says: "M u.txt",
    },
    PatchRow {
        name: "add, delete and move together",
        files: &[("old.txt", b"x\n"), ("gone.txt", b"bye\n")],
        patch: "*** Begin Patch\n*** Add File: dir/new.txt\n+hello\n*** Delete File: gone.txt\n*** Update File: old.txt\n*** Move to: moved.txt\n@@\n-x\n+y\n*** End Patch",
        after: Some(&[
            ("dir/new.txt", Some(b"hello\n")),
            ("gone.txt", None),
            ("old.txt", None),
            ("moved.txt", Some(b"y\n")),
        ]),
        says: "R old.txt -> moved.txt",
    },
    PatchRow {
        name: "no match: nothing written, not even the added file",
        files: &[("a.txt", b"one\n")],
        patch: "*** Begin Patch\n*** Add File: b.txt\n+new\n*** Update File: a.txt\n@@\n-two\n+2\n*** End Patch",
        after: None,
        says: "not found",
    },
    PatchRow {
        name: "ambiguous context takes the first match after the cursor, as Codex does",
        files: &[("a.txt", b"x\nx\n")],
        patch: "*** Begin Patch\n*** Update File: a.txt\n@@\n-x\n+y\n*** End Patch",
        after: Some(&[("a.txt", Some(b"y\nx\n"))]),
        says: "M a.txt",
    },
    PatchRow {
        name: "deleting a missing file fails",
        files: &[("a.txt", b"one\n")],
        patch: "*** Begin Patch\n*** Delete File: nope.txt\n*** Update File: a.txt\n@@\n-one\n+1\n*** End Patch",
        after: None,
        says: "file not found: 'nope.txt'",
    },
    PatchRow {
        name: "the same file twice is refused",
        files: &[("a.txt", b"one\n")],
        patch: "*** Begin Patch\n*** Update File: a.txt\n@@\n-one\n+1\n*** Update File: a.txt\n@@\n-1\n+2\n*** End Patch",
        after: None,
        says: "appears twice",
    },
    PatchRow {
        name: "no envelope",
        files: &[("a.txt", b"one\n")],
        patch: "--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-one\n+1\n",
        after: None,
        says: "*** Begin Patch",
    },
];

#[test]
fn apply_patch_table() {
    for row in PATCHES {
        let home = Home::new();
        for (p, content) in row.files {
            std::fs::write(home.path().join(p), content).unwrap();
        }
        let r = call(&home, "apply_patch", &json!({"patch": row.patch}));
        let content = r["content"].as_str().unwrap();
        assert!(
            content.contains(row.says),
            "{}: result does not say {:?}:\n{content}",
            row.name,
            row.says
        );
        match row.after {
            Some(after) => {
                assert_eq!(r["is_error"], false, "{}: {content}", row.name);
                for (p, want) in after {
                    let got = std::fs::read(home.path().join(p)).ok();
                    assert_eq!(got.as_deref(), *want, "{}: {p}", row.name);
                }
            }
            None => {
                assert_eq!(r["is_error"], true, "{}: {content}", row.name);
                for (p, before) in row.files {
                    assert_eq!(
                        std::fs::read(home.path().join(p)).unwrap(),
                        *before,
                        "{}: {p} changed",
                        row.name
                    );
                }
                let mut names: Vec<String> = std::fs::read_dir(home.path())
                    .unwrap()
                    .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|n| !["config", "data", "cache", "state"].contains(&n.as_str()))
                    .collect();
                names.sort();
                let mut want: Vec<String> = row.files.iter().map(|f| f.0.to_string()).collect();
                want.sort();
                assert_eq!(names, want, "{}: files were added", row.name);
            }
        }
    }
}
