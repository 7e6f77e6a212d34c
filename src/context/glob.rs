//! Go's `path.Match` (and `filepath.Match` on Unix) for '/'-separated paths, answer for answer:
//! BuildKit matches COPY sources with it and Docker validates `.dockerignore` patterns with it.
//! As in Go, `[!...]` is not a negation (only `[^...]` is), and the whole pattern is checked
//! for syntax errors even when the answer is known early.

/// A malformed pattern (Go's `path.ErrBadPattern`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "syntax error in pattern {pattern:?}: every `[` needs a closing `]` with at least one \
     character inside, a `-` inside `[...]` must join two characters, and a `\\` must be followed \
     by the character it escapes; escape a literal `[`, `]`, `-` or `\\` with a backslash"
)]
pub struct BadPattern {
    pub pattern: String,
}

/// Reports whether `name` matches the shell pattern `pattern` in full, exactly as Go's
/// `path.Match` does: `*` matches any run of non-'/' characters, `?` one non-'/' character,
/// `[...]` one character of a class (ranges `a-z`, negation `[^...]`), and `\c` the character c.
pub fn path_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    match_bytes(pattern.as_bytes(), name.as_bytes()).map_err(|Malformed| BadPattern {
        pattern: pattern.to_owned(),
    })
}

/// The pattern is malformed; the public error adds the pattern text.
struct Malformed;

/// What Go's `utf8.DecodeRune` returns for an invalid encoding.
const RUNE_ERROR: u32 = 0xFFFD;

fn match_bytes(mut pattern: &[u8], mut name: &[u8]) -> Result<bool, Malformed> {
    'pattern: while !pattern.is_empty() {
        let (star, chunk, rest) = scan_chunk(pattern);
        pattern = rest;
        if star && chunk.is_empty() {
            // A trailing star matches the rest of the name unless it crosses a '/'.
            return Ok(!name.contains(&b'/'));
        }
        // On the last chunk the name must be used up, or a star could still do better.
        if let Some(rest) = match_chunk(chunk, name)?
            && (rest.is_empty() || !pattern.is_empty())
        {
            name = rest;
            continue;
        }
        if star {
            // Let the star swallow one more byte at a time, never a '/'.
            let mut i = 0;
            while i < name.len() && name[i] != b'/' {
                if let Some(rest) = match_chunk(chunk, &name[i + 1..])? {
                    if pattern.is_empty() && !rest.is_empty() {
                        i += 1;
                        continue;
                    }
                    name = rest;
                    continue 'pattern;
                }
                i += 1;
            }
        }
        // Go reports a malformed remainder even though the answer is already "no".
        while !pattern.is_empty() {
            let (_, chunk, rest) = scan_chunk(pattern);
            pattern = rest;
            match_chunk(chunk, b"")?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

/// Splits off the next chunk: an optional run of stars, then everything up to the next star
/// that is outside a class.
fn scan_chunk(mut pattern: &[u8]) -> (bool, &[u8], &[u8]) {
    let mut star = false;
    while let Some((b'*', rest)) = pattern.split_first() {
        pattern = rest;
        star = true;
    }
    let mut in_range = false;
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            // A trailing backslash is reported by match_chunk.
            b'\\' if i + 1 < pattern.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => return (star, &pattern[..i], &pattern[i..]),
            _ => {}
        }
        i += 1;
    }
    (star, pattern, &[])
}

/// Matches a star-free chunk against the start of `s`, returning what is left of `s`. Once the
/// match has failed the rest of the chunk is still parsed, so syntax errors surface.
fn match_chunk<'a>(mut chunk: &[u8], mut s: &'a [u8]) -> Result<Option<&'a [u8]>, Malformed> {
    let mut failed = false;
    while let Some(&c) = chunk.first() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match c {
            b'[' => {
                let mut r = 0;
                if !failed {
                    let (decoded, width) = decode_rune(s);
                    r = decoded;
                    s = &s[width..];
                }
                chunk = &chunk[1..];
                let negated = chunk.first() == Some(&b'^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut ranges = 0;
                loop {
                    if ranges > 0
                        && let Some((b']', rest)) = chunk.split_first()
                    {
                        chunk = rest;
                        break;
                    }
                    let (lo, rest) = get_esc(chunk)?;
                    chunk = rest;
                    let mut hi = lo;
                    if let Some((b'-', rest)) = chunk.split_first() {
                        let (h, rest) = get_esc(rest)?;
                        hi = h;
                        chunk = rest;
                    }
                    if lo <= r && r <= hi {
                        matched = true;
                    }
                    ranges += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            b'?' => {
                if !failed {
                    if s[0] == b'/' {
                        failed = true;
                    }
                    let (_, width) = decode_rune(s);
                    s = &s[width..];
                }
                chunk = &chunk[1..];
            }
            _ => {
                if c == b'\\' {
                    chunk = &chunk[1..];
                    if chunk.is_empty() {
                        return Err(Malformed);
                    }
                }
                if !failed {
                    if chunk[0] != s[0] {
                        failed = true;
                    }
                    s = &s[1..];
                }
                chunk = &chunk[1..];
            }
        }
    }
    Ok(if failed { None } else { Some(s) })
}

/// Reads one possibly escaped character of a class; it must be followed by more of the class.
fn get_esc(chunk: &[u8]) -> Result<(u32, &[u8]), Malformed> {
    let chunk = match chunk.split_first() {
        None | Some((b'-' | b']', _)) => return Err(Malformed),
        Some((b'\\', [])) => return Err(Malformed),
        Some((b'\\', rest)) => rest,
        Some(_) => chunk,
    };
    let (r, width) = decode_rune(chunk);
    if r == RUNE_ERROR && width == 1 {
        return Err(Malformed);
    }
    let rest = &chunk[width..];
    if rest.is_empty() {
        return Err(Malformed);
    }
    Ok((r, rest))
}

/// Decodes the first UTF-8 character of a non-empty `s` as Go does: an invalid encoding reads
/// as U+FFFD, one byte wide.
fn decode_rune(s: &[u8]) -> (u32, usize) {
    let window = &s[..s.len().min(4)];
    match window.utf8_chunks().next() {
        Some(chunk) => match chunk.valid().chars().next() {
            Some(c) => (u32::from(c), c.len_utf8()),
            None => (RUNE_ERROR, 1),
        },
        None => (RUNE_ERROR, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::{BadPattern, path_match};

    /// Go's src/path/match_test.go `matchTests`, plus a few cases of our own at the end.
    #[test]
    fn matches_like_go() {
        let table: &[(&str, &str, bool, bool)] = &[
            // (pattern, name, matched, bad pattern)
            ("abc", "abc", true, false),
            ("*", "abc", true, false),
            ("*c", "abc", true, false),
            ("a*", "a", true, false),
            ("a*", "abc", true, false),
            ("a*", "ab/c", false, false),
            ("a*/b", "abc/b", true, false),
            ("a*/b", "a/c/b", false, false),
            ("a*b*c*d*e*/f", "axbxcxdxe/f", true, false),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true, false),
            ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false, false),
            ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false, false),
            ("a*b?c*x", "abxbbxdbxebxczzx", true, false),
            ("a*b?c*x", "abxbbxdbxebxczzy", false, false),
            ("ab[c]", "abc", true, false),
            ("ab[b-d]", "abc", true, false),
            ("ab[e-g]", "abc", false, false),
            ("ab[^c]", "abc", false, false),
            ("ab[^b-d]", "abc", false, false),
            ("ab[^e-g]", "abc", true, false),
            ("a\\*b", "a*b", true, false),
            ("a\\*b", "ab", false, false),
            ("a?b", "a☺b", true, false),
            ("a[^a]b", "a☺b", true, false),
            ("a???b", "a☺b", false, false),
            ("a[^a][^a][^a]b", "a☺b", false, false),
            ("[a-ζ]*", "α", true, false),
            ("*[a-ζ]", "A", false, false),
            ("a?b", "a/b", false, false),
            ("a*b", "a/b", false, false),
            ("[\\]a]", "]", true, false),
            ("[\\-]", "-", true, false),
            ("[x\\-]", "x", true, false),
            ("[x\\-]", "-", true, false),
            ("[x\\-]", "z", false, false),
            ("[\\-x]", "x", true, false),
            ("[\\-x]", "-", true, false),
            ("[\\-x]", "a", false, false),
            ("[]a]", "]", false, true),
            ("[-]", "-", false, true),
            ("[x-]", "x", false, true),
            ("[x-]", "-", false, true),
            ("[x-]", "z", false, true),
            ("[-x]", "x", false, true),
            ("[-x]", "-", false, true),
            ("[-x]", "a", false, true),
            ("\\", "a", false, true),
            ("[a-b-c]", "a", false, true),
            ("[", "a", false, true),
            ("[^", "a", false, true),
            ("[^bc", "a", false, true),
            ("a[", "a", false, true),
            ("a[", "ab", false, true),
            ("a[", "x", false, true),
            ("a/b[", "x", false, true),
            ("*x", "xxx", true, false),
            // Ours: `!` is an ordinary class member, classes may match '/', errors after a
            // decided mismatch, reversed ranges are accepted (and match nothing).
            ("[!a]", "!", true, false),
            ("[!a]", "b", false, false),
            ("a[^x]b", "a/b", true, false),
            ("x*[", "abc", false, true),
            ("*.go", "dir/x.go", false, false),
            ("*/*.go", "dir/x.go", true, false),
            ("[z-a]", "m", false, false),
            ("", "", true, false),
            ("", "a", false, false),
            ("a\\", "a", false, true),
        ];
        let mut failures = Vec::new();
        for &(pattern, name, matched, bad) in table {
            let want = if bad {
                Err(BadPattern {
                    pattern: pattern.to_owned(),
                })
            } else {
                Ok(matched)
            };
            let got = path_match(pattern, name);
            if got != want {
                failures.push(format!(
                    "path_match({pattern:?}, {name:?}) = {got:?}, want {want:?}"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn error_names_the_pattern_and_the_fix() {
        let err = path_match("src/[a", "x").unwrap_err();
        let message = err.to_string();
        assert!(message.contains("\"src/[a\""), "{message}");
        assert!(message.contains("closing `]`"), "{message}");
    }
}
