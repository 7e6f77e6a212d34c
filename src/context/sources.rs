//! Which context files a COPY/ADD source (or a bind mount's `source=`) really uses, following
//! BuildKit: a plain path names a file or a whole directory, a wildcard path is matched per
//! component with Go's `path.Match`, and a matched directory brings everything below it.

use super::dockerignore::Dockerignore;
use super::glob::{BadPattern, path_match};
use super::{ContextFile, clean};

/// Whether BuildKit treats `source` as a wildcard pattern.
pub fn has_wildcards(source: &str) -> bool {
    source.contains(['*', '?', '['])
}

/// The files of `files` (sorted by path) that `source` selects, minus those `exclude`
/// (COPY --exclude patterns) rules out.
pub fn select<'a>(
    files: &'a [ContextFile],
    source: &str,
    exclude: Option<&Dockerignore>,
) -> Result<Vec<&'a ContextFile>, BadPattern> {
    let cleaned = clean(source);
    let excluded = |f: &ContextFile| exclude.is_some_and(|ex| ex.is_excluded(&f.path));
    if cleaned.is_empty() {
        return Ok(files.iter().filter(|f| !excluded(f)).collect());
    }
    if !has_wildcards(&cleaned) {
        return Ok(under(files, &cleaned).filter(|f| !excluded(f)).collect());
    }
    let depth = cleaned.split('/').count();
    // Validate the pattern once, so a malformed one fails even on an empty context.
    path_match(&cleaned, "")?;
    let mut out = Vec::new();
    for f in files {
        let Some(prefix) = first_components(&f.path, depth) else {
            continue;
        };
        if path_match(&cleaned, prefix)? && !excluded(f) {
            out.push(f);
        }
    }
    Ok(out)
}

/// The file at `path` and every file below the directory `path`, by binary search. Siblings
/// such as "a.txt" sort between "a" and "a/", so the two ranges are looked up separately.
fn under<'a>(files: &'a [ContextFile], path: &str) -> impl Iterator<Item = &'a ContextFile> {
    let exact = files.partition_point(|f| f.path.as_str() < path);
    let exact = &files[exact..files.len().min(exact + 1)];
    let exact = exact.iter().filter(move |f| f.path == path);
    let dir = format!("{path}/");
    // '0' is the byte after '/': every path starting with "path/" sorts before "path0".
    let dir_end = format!("{path}0");
    let start = files.partition_point(|f| f.path < dir);
    let end = files.partition_point(|f| f.path < dir_end);
    exact.chain(files[start..end].iter())
}

/// The first `n` '/'-separated components of `path`, or `None` if it has fewer.
fn first_components(path: &str, n: usize) -> Option<&str> {
    let mut seen = 0;
    for (i, b) in path.bytes().enumerate() {
        if b == b'/' {
            seen += 1;
            if seen == n {
                return Some(&path[..i]);
            }
        }
    }
    (seen + 1 == n).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::FileId;

    fn files(paths: &[&str]) -> Vec<ContextFile> {
        let mut v: Vec<ContextFile> = paths
            .iter()
            .map(|p| ContextFile {
                path: p.to_string(),
                mode: 0o100644,
                id: FileId::Sha256([0; 32]),
            })
            .collect();
        v.sort_by(|a, b| a.path.cmp(&b.path));
        v
    }

    #[test]
    fn selects_sources() {
        let ctx = files(&[
            "a",
            "a.txt",
            "a/b.txt",
            "a/c/d.txt",
            "ab/x",
            "b.go",
            "src/main.go",
            "src/util/u.go",
            "z",
        ]);
        for (source, want) in [
            (
                ".",
                vec![
                    "a",
                    "a.txt",
                    "a/b.txt",
                    "a/c/d.txt",
                    "ab/x",
                    "b.go",
                    "src/main.go",
                    "src/util/u.go",
                    "z",
                ],
            ),
            (
                "/",
                vec![
                    "a",
                    "a.txt",
                    "a/b.txt",
                    "a/c/d.txt",
                    "ab/x",
                    "b.go",
                    "src/main.go",
                    "src/util/u.go",
                    "z",
                ],
            ),
            ("a", vec!["a", "a/b.txt", "a/c/d.txt"]),
            ("./a/", vec!["a", "a/b.txt", "a/c/d.txt"]),
            ("a/c", vec!["a/c/d.txt"]),
            ("src", vec!["src/main.go", "src/util/u.go"]),
            ("missing", vec![]),
            ("*.go", vec!["b.go"]),
            ("a*", vec!["a", "a.txt", "a/b.txt", "a/c/d.txt", "ab/x"]),
            ("src/*", vec!["src/main.go", "src/util/u.go"]),
            ("*/*.go", vec!["src/main.go"]),
            ("?", vec!["a", "a/b.txt", "a/c/d.txt", "z"]),
            ("[ab].go", vec!["b.go"]),
        ] {
            let got: Vec<&str> = select(&ctx, source, None)
                .unwrap()
                .iter()
                .map(|f| f.path.as_str())
                .collect();
            assert_eq!(got, want, "source {source:?}");
        }
    }

    #[test]
    fn excludes_apply_after_selection() {
        let ctx = files(&["src/a.go", "src/a_test.go", "src/b.go"]);
        let ex = Dockerignore::parse("**/*_test.go").unwrap();
        let got: Vec<&str> = select(&ctx, "src", Some(&ex))
            .unwrap()
            .iter()
            .map(|f| f.path.as_str())
            .collect();
        assert_eq!(got, vec!["src/a.go", "src/b.go"]);
    }

    #[test]
    fn bad_pattern_is_an_error() {
        assert!(select(&files(&[]), "[", None).is_err());
    }
}
