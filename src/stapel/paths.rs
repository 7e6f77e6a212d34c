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

/// A glob an import cannot be matched with: werf (doublestar) rejects it too.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("glob {pattern:?}: {reason}; escape a literal `[`, `{{` or `\\` with a backslash")]
pub struct BadGlob {
    pub pattern: String,
    pub reason: &'static str,
}

/// A POSIX extended regular expression that `grep -E` matches against the lines `find .` prints
/// (`./a/b`) to pick the paths `patterns` select, as [`matches`] does in werf's way: the pattern
/// names the path or one of its parent directories; `**` spans any number of directories, `*`,
/// `?` and `[...]` stay within one name, `{a,b}` are alternatives, `\c` is a literal c, and
/// everything else is literal. No patterns, or one that takes in everything (`.`, `**`), give
/// a regex that matches every line but `.` itself. Built once here so that the script that
/// imports the files needs no glob matcher of its own, only `grep -E`.
pub fn find_ere(patterns: &[String]) -> Result<String, BadGlob> {
    let mut alternatives = Vec::new();
    for pattern in patterns {
        let trimmed = trim(pattern);
        if trimmed.is_empty() {
            return Ok(r"^\./".to_owned());
        }
        alternatives.push(glob_ere(&trimmed).map_err(|reason| BadGlob {
            pattern: pattern.clone(),
            reason,
        })?);
    }
    if alternatives.is_empty() {
        return Ok(r"^\./".to_owned());
    }
    Ok(format!(r"^\./({})(/|$)", alternatives.join("|")))
}

/// The pattern as werf compares it: cleaned of `.` and empty names, and of trailing names made
/// only of `*` (werf's `SafeTrimGlobsAndSlashesFromFilepath`): `assets/**` selects `assets`
/// itself and everything under it, `*` and `**` everything.
fn trim(pattern: &str) -> String {
    let mut names: Vec<&str> = pattern
        .split('/')
        .filter(|n| !n.is_empty() && *n != ".")
        .collect();
    while names.last().is_some_and(|n| n.chars().all(|c| c == '*')) {
        names.pop();
    }
    names.join("/")
}

/// One (trimmed, non-empty) glob as an ERE.
fn glob_ere(glob: &str) -> Result<String, &'static str> {
    let chars: Vec<char> = glob.chars().collect();
    let mut out = String::new();
    let mut braces = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' => {
                let start = i - 1;
                while chars.get(i) == Some(&'*') {
                    i += 1;
                }
                let whole_name = (start == 0 || chars[start - 1] == '/')
                    && matches!(chars.get(i), None | Some('/'));
                if i - start >= 2 && whole_name {
                    // `**/`: any number of whole names, each with its slash. A trailing `**`
                    // is trimmed away before this.
                    out.push_str("([^/]+/)*");
                    i += 1;
                } else {
                    out.push_str("[^/]*");
                }
            }
            '?' => out.push_str("[^/]"),
            '[' => i = class(&chars, i, &mut out)?,
            '{' => {
                braces += 1;
                out.push('(');
            }
            ',' if braces > 0 => out.push('|'),
            '}' if braces > 0 => {
                braces -= 1;
                out.push(')');
            }
            '\\' => {
                let Some(&next) = chars.get(i) else {
                    return Err("a `\\` at the end escapes nothing");
                };
                i += 1;
                literal(next, &mut out);
            }
            c => literal(c, &mut out),
        }
    }
    if braces > 0 {
        return Err("a `{` has no closing `}`");
    }
    Ok(out)
}

/// A character outside brackets, escaped when ERE gives it a meaning (`]` and `}` alone
/// have none, and POSIX leaves their escaped forms undefined).
fn literal(c: char, out: &mut String) {
    if "^.[$()|*+?{\\".contains(c) {
        out.push('\\');
    }
    out.push(c);
}

/// The class starting after the `[` at `chars[i - 1]`, as an ERE bracket expression; returns
/// the index after its `]`. A bracket expression has no escapes, so the characters ERE treats
/// specially there go where they are literal: `]` first, `^` not first, `[` just before the
/// end, `-` last. A negated class never matches `/`, since werf matches name by name.
fn class(chars: &[char], mut i: usize, out: &mut String) -> Result<usize, &'static str> {
    let negated = matches!(chars.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let (mut close, mut caret, mut open, mut dash) = (false, false, false, false);
    let mut body = String::new();
    let mut first = true;
    loop {
        let c = match chars.get(i) {
            None => return Err("a `[` has no closing `]`"),
            Some(']') if !first => break,
            Some('\\') => {
                i += 1;
                *chars.get(i).ok_or("a `\\` at the end escapes nothing")?
            }
            Some(&c) => c,
        };
        first = false;
        i += 1;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&n| n != ']') {
            let mut hi = chars[i + 1];
            i += 2;
            if hi == '\\' {
                hi = *chars.get(i).ok_or("a `\\` at the end escapes nothing")?;
                i += 1;
            }
            if hi < c {
                return Err("a range in `[...]` runs backwards");
            }
            body.push(c);
            body.push('-');
            body.push(hi);
            continue;
        }
        match c {
            ']' => close = true,
            '^' => caret = true,
            '[' => open = true,
            '-' => dash = true,
            c => body.push(c),
        }
    }
    if !negated && !close && body.is_empty() && !open {
        // Only `^` and `-`: `[^...]` would negate; both are literal outside brackets too.
        out.push_str(match (caret, dash) {
            (true, true) => "[-^]",
            (true, false) => r"\^",
            _ => "-",
        });
        return Ok(i + 1);
    }
    // With nothing else to lead, `[` goes before `^` so that `^` is not first.
    let open_first = open && !negated && !close && body.is_empty();
    out.push('[');
    if negated {
        out.push('^');
    }
    if close {
        out.push(']');
    }
    out.push_str(&body);
    if open_first {
        out.push('[');
    }
    if caret {
        out.push('^');
    }
    if open && !open_first {
        out.push('[');
    }
    if negated {
        out.push('/');
    }
    if dash {
        out.push('-');
    }
    out.push(']');
    Ok(i + 1)
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

    /// Which of `paths` the import script keeps: `find`'s `./path` lines through `grep -E` with
    /// the include regex, then `grep -v -E` with the exclude one, as the script runs them.
    fn grep_selects(include: &[&str], exclude: &[&str], path: &str) -> bool {
        let list = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let include = find_ere(&list(include)).unwrap();
        let mut script = "printf '%s\\n' \"$1\" | grep -E -e \"$2\"".to_owned();
        let mut args = vec![format!("./{path}"), include];
        if !exclude.is_empty() {
            script.push_str(" | grep -v -E -e \"$3\"");
            args.push(find_ere(&list(exclude)).unwrap());
        }
        let out = std::process::Command::new("sh")
            .args(["-c", &script, "sh"])
            .args(&args)
            .env("LC_ALL", "C")
            .output()
            .unwrap();
        assert!(out.status.code().unwrap() <= 1, "{args:?}: {out:?}");
        !out.stdout.is_empty()
    }

    #[test]
    fn import_regexes_select_as_werf_does() {
        for (include, exclude, path, expected) in [
            (&["*.js"][..], &[][..], "a.js", true),
            (&["*.js"], &[], "dir/a.js", false),
            (&["*.js"], &[], "a.json", false),
            (&["*.js"], &[], "lib.js/inner.txt", true),
            (&["assets/**"], &[], "assets", true),
            (&["assets/**"], &[], "assets/img/logo.png", true),
            (&["assets/**"], &[], "assets2/logo.png", false),
            (&["assets/*"], &[], "assets/img/logo.png", true),
            (&[], &["**/*.map"], "b.map", false),
            (&[], &["**/*.map"], "sub/deep/c.map", false),
            (&[], &["**/*.map"], "sub/c.txt", true),
            (&[], &["**/*.map"], "c.mapx", true),
            (&["a/**/z"], &[], "a/z", true),
            (&["a/**/z"], &[], "a/b/c/z/file", true),
            (&["a/**/z"], &[], "a/bz", false),
            (&["?.txt"], &[], "a.txt", true),
            (&["?.txt"], &[], "ab.txt", false),
            (&["a?b"], &[], "a/b", false),
            (&["[ab].txt"], &[], "b.txt", true),
            (&["[ab].txt"], &[], "c.txt", false),
            (&["[!ab].txt"], &[], "c.txt", true),
            (&["[!ab].txt"], &[], "a.txt", false),
            (&["x[!a]y"], &[], "x/y", false),
            (&["[a-c]"], &[], "b", true),
            (&["[]^[-]"], &[], "^", true),
            (&["[]^[-]"], &[], "-", true),
            (&["[^]]"], &[], "]", false),
            (&["[^]]"], &[], "^", true),
            (&["[\\]]"], &[], "]", true),
            (&["{a,b}.txt"], &[], "b.txt", true),
            (&["{a,b}.txt"], &[], "c.txt", false),
            (&["x\\*"], &[], "x*", true),
            (&["x\\*"], &[], "xy", false),
            // A directory takes in everything under it; an exclude wins over an include.
            (&["sub"], &[], "sub/deep/c.txt", true),
            (&["sub/"], &[], "subway", false),
            (&["sub"], &["sub/test"], "sub/test/x", false),
            (&["sub"], &["sub/test"], "sub/c.txt", true),
            (&["*.txt"], &["b*"], "b.txt", false),
            // Regex characters in names are literal.
            (&["a.b+c(1).txt"], &[], "a.b+c(1).txt", true),
            (&["a.b+c(1).txt"], &[], "aXb+c(1).txt", false),
            (&["a.b+c(1).txt"], &[], "a.bbc1.txt", false),
            (&["^$|}"], &[], "^$|}", true),
            // `.`, `*` and `**` take in everything; no include means everything.
            (&["."], &[], "any/thing", true),
            (&["*"], &[], "any/thing", true),
            (&["./**"], &[], ".hidden/thing", true),
            (&[], &[], "any/thing", true),
            (&["a"], &["**"], "a", false),
        ] {
            assert_eq!(
                grep_selects(include, exclude, path),
                expected,
                "include {include:?} exclude {exclude:?} path {path}"
            );
        }
    }

    #[test]
    fn import_regexes() {
        let list = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            find_ere(&list(&["*.js", "assets/**", "**/*.map"])).unwrap(),
            r"^\./([^/]*\.js|assets|([^/]+/)*[^/]*\.map)(/|$)"
        );
        assert_eq!(find_ere(&[]).unwrap(), r"^\./");
        for (pattern, reason) in [
            ("[ab", "a `[` has no closing `]`"),
            ("{a,b", "a `{` has no closing `}`"),
            ("a\\", "a `\\` at the end escapes nothing"),
            ("[z-a]", "a range in `[...]` runs backwards"),
        ] {
            assert_eq!(
                find_ere(&list(&[pattern])),
                Err(BadGlob {
                    pattern: pattern.to_owned(),
                    reason
                })
            );
        }
    }
}
