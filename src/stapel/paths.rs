//! werf's path filters for git mappings and imports: `includePaths`, `excludePaths` and
//! `stageDependencies` globs, relative to `add`, where `**` spans directories and a pattern that
//! names a directory takes in everything below it.

use crate::context::glob::path_match;

/// Whether `path` (relative to `add`) passes `include` (everything when empty) and `exclude`.
pub fn selected(path: &str, include: &[String], exclude: &[String]) -> bool {
    (include.is_empty() || include.iter().any(|p| matches(p, path)))
        && !exclude.iter().any(|p| matches(p, path))
}

/// Whether `pattern` matches `path` or one of its parent directories.
pub fn matches(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
    if pattern.is_empty() || pattern == "." {
        return true;
    }
    let pattern: Vec<&str> = pattern.split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    (1..=path.len()).any(|len| segments(&pattern, &path[..len]))
}

fn segments(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| segments(rest, &path[skip..])),
        Some((first, rest)) => match path.split_first() {
            Some((name, tail)) => path_match(first, name).unwrap_or(false) && segments(rest, tail),
            None => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        for (pattern, path, expected) in [
            ("src", "src/main.go", true),
            ("src/", "src/a/b.go", true),
            ("src", "srcs/main.go", false),
            ("*.go", "main.go", true),
            ("*.go", "pkg/main.go", false),
            ("**/*.go", "pkg/a/main.go", true),
            ("**/*.go", "main.go", true),
            ("go.mod", "go.mod", true),
            ("pkg/**", "pkg/a/b", true),
            ("app/*/x", "app/1/x/y", true),
            (".", "anything/at/all", true),
        ] {
            assert_eq!(matches(pattern, path), expected, "{pattern} {path}");
        }
        let list = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert!(selected("a/b", &[], &[]));
        assert!(!selected("a/b", &list(&["c"]), &[]));
        assert!(!selected("a/b", &list(&["a"]), &list(&["a/b"])));
    }
}
