//! grep on trees larger than its caps: the shown lines are the first ones
//! in path order, the count of what was left out is exact, and both are the
//! same on every run although files are searched in parallel.

use crate::common::Home;
use serde_json::json;

fn grep(home: &Home, args: serde_json::Value) -> String {
    let out = home
        .cmd("zs-tool")
        .args(["call", "grep", &args.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success());
    crate::common::ndjson(&out.stdout)[0]["content"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn many_matches_are_capped_in_path_order_with_an_exact_count() {
    let home = Home::new();
    // 10 results shown; lines are kept in memory up to 10 times that while
    // searching, so 60 files of 5 matches each go well past the budget.
    home.write_config(r#"{"tools": {"grep": {"max_results": 10}}}"#);
    let tree = home.path().join("tree");
    for d in 0..6 {
        for f in 0..10 {
            let dir = tree.join(format!("d{d}"));
            std::fs::create_dir_all(&dir).unwrap();
            let body: String = (1..=5).map(|i| format!("match {i}\nother\n")).collect();
            std::fs::write(dir.join(format!("f{f}.txt")), body).unwrap();
        }
    }
    let want: String = (0..2)
        .flat_map(|f| (1..=5).map(move |i| format!("tree/d0/f{f}.txt:{}:match {i}\n", 2 * i - 1)))
        .collect::<String>()
        + "[showing 10 of 300 matching lines (2 of 60 files); 290 more not shown; \
           narrow the pattern or the path, or use include]\n";
    for _ in 0..5 {
        assert_eq!(
            grep(&home, json!({"pattern": "^match", "path": "tree"})),
            want
        );
    }
}

#[test]
fn a_match_across_a_line_break_counts_only_if_its_line_matches_alone() {
    let home = Home::new();
    std::fs::write(home.path().join("a.txt"), "foo\nbar\nfoo bar\n").unwrap();
    assert_eq!(
        grep(&home, json!({"pattern": "foo\\s+bar", "path": "a.txt"})),
        "a.txt:3:foo bar\n"
    );
    assert_eq!(
        grep(&home, json!({"pattern": "^bar$", "path": "a.txt"})),
        "a.txt:2:bar\n"
    );
}

#[test]
fn crlf_files_match_at_line_ends_and_show_without_cr() {
    let home = Home::new();
    std::fs::write(home.path().join("w.txt"), "one\r\ntwo\r\n").unwrap();
    assert_eq!(
        grep(&home, json!({"pattern": "one$", "path": "w.txt"})),
        "w.txt:1:one\n"
    );
}
