//! Conformance test against BuildKit's own parser test data: every `testfiles` case must dump
//! byte for byte like BuildKit's `Node.Dump`, every `testfiles-negative` case must be rejected,
//! and `testfile-line` must carry BuildKit's line ranges.

use std::fs;
use std::path::{Path, PathBuf};

use slipway::dockerfile::parser::{Node, parse};

#[path = "support/corpus.rs"]
mod corpus;

const EXPECTED_CASES: usize = 33;
const EXPECTED_NEGATIVE_CASES: usize = 4;

fn case_dirs(corpus: &Path, sub: &str) -> Vec<PathBuf> {
    let dir = corpus.join(sub);
    let entries =
        fs::read_dir(&dir).unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()));
    let mut dirs: Vec<PathBuf> = entries
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

/// BuildKit's `Node.Dump` for the whole file, plus the newline its test appends.
fn dump(nodes: &[Node]) -> String {
    let mut out = String::new();
    for node in nodes {
        out.push('(');
        out.push_str(&dump_node(node));
        out.push_str(")\n");
    }
    out
}

fn dump_node(node: &Node) -> String {
    let mut out = node.keyword.clone();
    if !node.flags.is_empty() {
        let flags: Vec<String> = node.flags.iter().map(|f| go_quote(f)).collect();
        out.push_str(&format!(" [{}]", flags.join(" ")));
    }
    if let Some(child) = &node.onbuild {
        out.push_str(&format!(" ({})", dump_node(child)));
    }
    for arg in &node.args {
        out.push(' ');
        out.push_str(&go_quote(arg));
    }
    out.trim().to_owned()
}

/// Go's `strconv.Quote`. Printability follows Go's `unicode.IsPrint` closely enough for the
/// corpus: controls, separators other than the space and common format characters are escaped.
fn go_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_go_printable(c) => out.push(c),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", u32::from(c)));
            }
            c if u32::from(c) < 0x10000 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push_str(&format!("\\U{:08x}", u32::from(c))),
        }
    }
    out.push('"');
    out
}

fn is_go_printable(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    let format_char = matches!(
        u32::from(c),
        0xAD | 0x600..=0x605
            | 0x61C
            | 0x6DD
            | 0x70F
            | 0x180E
            | 0x200B..=0x200F
            | 0x202A..=0x202E
            | 0x2060..=0x206F
            | 0xE000..=0xF8FF
            | 0xFEFF
            | 0xFFF9..=0xFFFB
            | 0xE0001..=0xE007F
    );
    !c.is_whitespace() && !c.is_control() && !format_char
}

#[test]
fn dumps_match_buildkit_results() {
    let Some(corpus) = corpus::dir("buildkit/parser") else {
        return;
    };
    let dirs = case_dirs(&corpus, "testfiles");
    assert!(
        dirs.len() >= EXPECTED_CASES,
        "expected {EXPECTED_CASES} cases in {}/testfiles, found {}",
        corpus.display(),
        dirs.len()
    );
    let mut failures = Vec::new();
    let mut passed = 0;
    for dir in &dirs {
        let name = dir.file_name().expect("case name").to_string_lossy();
        let source = read(&dir.join("Dockerfile"));
        let expected = read(&dir.join("result"));
        match parse(&source) {
            Ok(df) => {
                let got = dump(&df.nodes);
                if got == expected {
                    passed += 1;
                } else {
                    failures.push(format!("{name}:\n--- expected\n{expected}--- got\n{got}"));
                }
            }
            Err(err) => failures.push(format!("{name}: unexpected error: {err}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from BuildKit:\n{}",
        failures.len(),
        dirs.len(),
        failures.join("\n")
    );
    assert_eq!(passed, dirs.len());
}

#[test]
fn negative_cases_are_rejected() {
    let Some(corpus) = corpus::dir("buildkit/parser") else {
        return;
    };
    let dirs = case_dirs(&corpus, "testfiles-negative");
    assert_eq!(
        dirs.len(),
        EXPECTED_NEGATIVE_CASES,
        "negative cases in {}/testfiles-negative",
        corpus.display()
    );
    let accepted: Vec<String> = dirs
        .iter()
        .filter(|dir| parse(&read(&dir.join("Dockerfile"))).is_ok())
        .map(|dir| dir.display().to_string())
        .collect();
    assert!(
        accepted.is_empty(),
        "accepted invalid Dockerfiles: {accepted:?}"
    );
}

#[test]
fn line_numbers_match_buildkit() {
    let Some(corpus) = corpus::dir("buildkit/parser") else {
        return;
    };
    let source = read(&corpus.join("testfile-line/Dockerfile"));
    let df = parse(&source).expect("testfile-line parses");
    let lines: Vec<(usize, usize)> = df
        .nodes
        .iter()
        .map(|node| (node.start_line, node.end_line))
        .collect();
    assert_eq!(lines, [(5, 5), (11, 12), (17, 31)]);
}

#[test]
fn go_quote_matches_strconv_quote() {
    let cases = [
        ("a b", r#""a b""#),
        (
            "\" \\ / \u{8} \u{c} \n \r \t \0",
            r#""\" \\ / \b \f \n \r \t \x00""#,
        ),
        ("♥☃é", "\"♥☃é\""),
        ("\u{a0}\u{7f}\u{85}\u{200b}", r#""\u00a0\x7f\u0085\u200b""#),
    ];
    for (input, quoted) in cases {
        assert_eq!(go_quote(input), quoted, "{input:?}");
    }
}
