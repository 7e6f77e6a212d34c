//! Runs BuildKit's own word expansion conformance files (`shell/envVarTest` for `process_word`,
//! `shell/wordsTest` for `process_words`), read the way BuildKit's `lex_test.go` reads them.

use std::collections::BTreeMap;

use slipway::dockerfile::shell::Lexer;

#[path = "support/corpus.rs"]
mod corpus;

/// Fewer cases than this means the corpus was truncated or misread.
const MIN_ENV_VAR_CASES: usize = 228;
const MIN_WORDS_CASES: usize = 24;

/// The corpus file `name`, or None when the corpus is absent outside CI.
fn read(name: &str) -> Option<String> {
    let path = corpus::dir("buildkit/shell")?.join(name);
    Some(std::fs::read_to_string(&path).unwrap_or_else(|err| {
        panic!(
            "cannot read the BuildKit shell corpus file {}: {err}",
            path.display()
        )
    }))
}

/// BuildKit's `BuildEnvs`: `k=v` entries, a later one overriding an earlier one.
fn build_envs<'a>(entries: impl IntoIterator<Item = &'a str>) -> BTreeMap<String, String> {
    entries
        .into_iter()
        .map(|entry| match entry.split_once('=') {
            Some((k, v)) => (k.to_owned(), v.to_owned()),
            None => (entry.to_owned(), String::new()),
        })
        .collect()
}

fn report(file: &str, cases: usize, min: usize, failures: &[String]) {
    assert!(
        cases >= min,
        "{file}: only {cases} cases ran, expected at least {min}"
    );
    assert!(
        failures.is_empty(),
        "{file}: {} of {cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn env_var_test() {
    let Some(text) = read("envVarTest") else {
        return;
    };
    let vars = build_envs(["PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="]);
    let lexer = Lexer::new('\\');
    let mut cases = 0;
    let mut failures = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        if raw.starts_with('#') {
            continue;
        }
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('|').collect();
        let [platform, source, expected] = fields[..] else {
            failures.push(format!(
                "line {line_no}: expected 3 `|`-separated fields: {line:?}"
            ));
            continue;
        };
        let (platform, source, expected) = (platform.trim(), source.trim(), expected.trim());
        match platform {
            "A" | "U" => {}
            "W" => continue,
            other => {
                failures.push(format!("line {line_no}: invalid platform {other:?}"));
                continue;
            }
        }
        cases += 1;
        match (lexer.process_word(source, &vars), expected) {
            (Err(_), "error") => {}
            (Ok(got), "error") => failures.push(format!(
                "line {line_no}: {source:?} should fail but expanded to {got:?}"
            )),
            (Ok(got), _) if got == expected => {}
            (got, _) => failures.push(format!(
                "line {line_no}: {source:?} expected {expected:?}, got {got:?}"
            )),
        }
    }
    report("envVarTest", cases, MIN_ENV_VAR_CASES, &failures);
}

#[test]
fn words_test() {
    let Some(text) = read("wordsTest") else {
        return;
    };
    let lexer = Lexer::new('\\');
    let mut envs: Vec<&str> = Vec::new();
    let mut cases = 0;
    let mut failures = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        if line.starts_with('#') {
            continue;
        }
        if let Some(entry) = line.strip_prefix("ENV ") {
            envs.push(entry.trim_start_matches(' '));
            continue;
        }
        let fields: Vec<&str> = line.split('|').collect();
        let [test, expected] = fields[..] else {
            failures.push(format!(
                "line {line_no}: expected exactly one `|`: {line:?}"
            ));
            continue;
        };
        let test = test.trim();
        let expected: Vec<&str> = expected.trim_start_matches(' ').split(',').collect();
        cases += 1;
        let vars = build_envs(envs.iter().copied());
        let got = lexer
            .process_words(test, &vars)
            .unwrap_or_else(|_| vec!["error".to_owned()]);
        if got != expected {
            failures.push(format!(
                "line {line_no}: {test:?} expected {expected:?}, got {got:?}"
            ));
        }
    }
    report("wordsTest", cases, MIN_WORDS_CASES, &failures);
}
