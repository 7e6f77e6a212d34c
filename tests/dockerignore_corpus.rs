//! Runs the shared .dockerignore conformance corpus (cases taken from moby/patternmatcher's
//! tests) through `Dockerignore::parse` and `is_excluded`, reporting every failing case.
//!
//! A path with a trailing '/' (e.g. `dir/file/`) is passed through unchanged, as moby's
//! TestMatches passes it to `MatchesOrParentMatches`: the pattern is tried against the whole
//! string, '/' included, and against each parent from `filepath.Dir`, which drops the '/'. So
//! `**/dir2/*` excludes `dir/dir2/file/` only through its parent `dir/dir2/file`.

use slipway::context::dockerignore::Dockerignore;

#[path = "support/corpus.rs"]
mod corpus;

struct Case {
    origin: String,
    patterns: Vec<String>,
    path: String,
    excluded: bool,
}

/// Reads one corpus file: tab-separated patterns…, path, expected result; `#` lines are comments.
fn read_cases(corpus: &std::path::Path, name: &str) -> Result<Vec<Case>, String> {
    let file = corpus.join(name);
    let text = std::fs::read_to_string(&file)
        .map_err(|e| format!("cannot read the corpus file {}: {e}", file.display()))?;
    let mut cases = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let origin = format!("{name}:{}", index + 1);
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let columns: Vec<&str> = line.split('\t').collect();
        let [patterns @ .., path, expected] = columns.as_slice() else {
            return Err(format!("{origin}: too few columns in {line:?}"));
        };
        if patterns.is_empty() {
            return Err(format!("{origin}: no pattern in {line:?}"));
        }
        let excluded = match *expected {
            "true" => true,
            "false" => false,
            other => return Err(format!("{origin}: expected true or false, got {other:?}")),
        };
        cases.push(Case {
            origin,
            patterns: patterns.iter().map(|p| (*p).to_owned()).collect(),
            path: (*path).to_owned(),
            excluded,
        });
    }
    if cases.is_empty() {
        return Err(format!("the corpus file {} holds no case", file.display()));
    }
    Ok(cases)
}

#[test]
fn dockerignore_corpus() {
    let Some(corpus) = corpus::dir("dockerignore") else {
        return;
    };
    let mut failures = Vec::new();
    let mut total = 0;
    for name in ["single-pattern.tsv", "multi-pattern.tsv"] {
        let cases = read_cases(&corpus, name).unwrap_or_else(|e| panic!("{e}"));
        total += cases.len();
        for case in cases {
            let text = case.patterns.join("\n");
            match Dockerignore::parse(&text) {
                Err(e) => failures.push(format!(
                    "{}: patterns {:?} do not parse: {e}",
                    case.origin, case.patterns
                )),
                Ok(ignore) => {
                    let got = ignore.is_excluded(&case.path);
                    if got != case.excluded {
                        failures.push(format!(
                            "{}: patterns {:?}, path {:?}: excluded = {got}, want {}",
                            case.origin, case.patterns, case.path, case.excluded
                        ));
                    }
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} corpus cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
