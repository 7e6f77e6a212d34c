//! `.dockerignore` with Docker's exact semantics: read like moby/patternmatcher's
//! `ignorefile.ReadAll` + `patternmatcher.New`, matched like `MatchesOrParentMatches` (the last
//! matching pattern wins; a pattern matches a path or any of its parent directories).

use super::glob::path_match;

/// A parsed `.dockerignore`, its patterns compiled once for fast matching.
#[derive(Debug, Clone, Default)]
pub struct Dockerignore {
    patterns: Vec<Pattern>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DockerignoreError {
    #[error(
        "line {line}: a lone `!` re-includes nothing and Docker rejects it; write the path to \
         re-include after it (`!path`) or delete the line"
    )]
    LoneExclamation { line: usize },
    #[error(
        "line {line}: pattern `{pattern}` is malformed: every `[` needs a closing `]` with at \
         least one character inside, a `-` inside `[...]` must join two characters, and a `\\` \
         must be followed by the character it escapes; escape a literal `[`, `]`, `-` or `\\` \
         with a backslash"
    )]
    Syntax { line: usize, pattern: String },
    #[error(
        "line {line}: pattern `{pattern}` has the range `{lo}-{hi}` whose ends are reversed, \
         which Docker rejects; write it as `{hi}-{lo}`"
    )]
    ReversedRange {
        line: usize,
        pattern: String,
        lo: char,
        hi: char,
    },
    #[error(
        "line {line}: pattern `{pattern}` escapes `{escaped}`, which Docker hands to its \
         regular-expression engine as `\\{escaped}` (a character class, an anchor or an error) \
         instead of matching `{escaped}` itself; drop the backslash"
    )]
    UnsupportedEscape {
        line: usize,
        pattern: String,
        escaped: char,
    },
    #[error(
        "line {line}: pattern `{pattern}` has `{wildcard}` inside `[...]`, which Docker \
         mistranslates into a broken regular expression; escape it as `\\{wildcard}` or move it \
         out of the brackets"
    )]
    WildcardInClass {
        line: usize,
        pattern: String,
        wildcard: char,
    },
    #[error(
        "line {line}: pattern `{pattern}` uses a POSIX class such as `[[:alpha:]]`, which is \
         not supported; list the characters or ranges instead (e.g. `[a-zA-Z]`)"
    )]
    PosixClass { line: usize, pattern: String },
}

#[derive(Debug, Clone)]
struct Pattern {
    /// A `!` pattern: a match re-includes the path.
    exclusion: bool,
    matcher: Matcher,
}

/// moby/patternmatcher picks one of four strategies per pattern; which one decides some
/// answers (e.g. `**file` is a plain suffix test, so it matches `myfile`), so they are kept.
#[derive(Debug, Clone)]
enum Matcher {
    /// No wildcard: the whole path equals the pattern.
    Exact(Box<str>),
    /// `text**` with no other wildcard: the path starts with `text`.
    Prefix(Box<str>),
    /// `**text` with no other wildcard: the path ends with `text` (or is `text` minus its '/').
    Suffix(Box<str>),
    /// Everything else, which Docker turns into a regular expression; these tokens mean the
    /// same as the pieces of that expression.
    Tokens(Box<[Token]>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(Box<str>),
    /// `?`, regex `[^/]`.
    AnyChar,
    /// `[...]`, one character.
    Class(Class),
    /// `*`, regex `[^/]*`.
    Star,
    /// `**` (and `**/`) not at the end, regex `(.*/)?`: nothing, or anything up to a '/'.
    AnyDirs,
    /// `**` at the end after other wildcards, regex `.*`.
    Rest,
    /// A bare `^`, which Docker leaves in its regex as a start-of-path anchor.
    Start,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Class {
    negated: bool,
    ranges: Box<[(char, char)]>,
}

impl Class {
    fn matches(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated
    }
}

impl Dockerignore {
    /// Parses a .dockerignore file's text.
    pub fn parse(text: &str) -> Result<Self, DockerignoreError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut patterns = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            // ignorefile.ReadAll: comments are recognised before trimming.
            if raw.starts_with('#') {
                continue;
            }
            let trimmed = raw.trim();
            if trimmed.is_empty() {
                continue;
            }
            let (invert, body) = match trimmed.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, trimmed),
            };
            let mut body = if body.is_empty() {
                String::new()
            } else {
                go_clean(body)
            };
            if body.len() > 1 && body.starts_with('/') {
                body.remove(0);
            }
            let read = if invert { format!("!{body}") } else { body };
            // patternmatcher.New trims and cleans again, '!' included: that turns `!/` into a
            // lone `!` and `!./ x` into an exclusion of " x".
            let cleaned = read.trim();
            if cleaned.is_empty() {
                continue;
            }
            let cleaned = go_clean(cleaned);
            let (exclusion, text) = match cleaned.strip_prefix('!') {
                Some("") => return Err(DockerignoreError::LoneExclamation { line }),
                Some(rest) => (true, rest),
                None => (false, cleaned.as_str()),
            };
            if path_match(text, ".").is_err() {
                return Err(DockerignoreError::Syntax {
                    line,
                    pattern: trimmed.to_owned(),
                });
            }
            let matcher = compile(text).map_err(|problem| problem.at(line, trimmed))?;
            patterns.push(Pattern { exclusion, matcher });
        }
        Ok(Self { patterns })
    }

    /// Whether the file holds no pattern (only comments and blank lines, or nothing).
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether `path` (relative to the context, '/'-separated, no leading "./") is excluded
    /// from the context. Allocation-free for clean paths up to 1023 bytes.
    pub fn is_excluded(&self, path: &str) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        let targets = Targets::of(path);
        self.patterns
            .iter()
            .rev()
            .find(|p| targets.matched_by(&p.matcher))
            .is_some_and(|p| !p.exclusion)
    }

    /// Whether every path strictly below the directory `dir` (relative, '/'-separated, no
    /// trailing '/') is excluded, so a walker may skip the directory without listing it. It
    /// answers false whenever a `!` pattern might re-include something below `dir`, and for
    /// the context root ("") or an unclean `dir`.
    pub fn excludes_everything_under(&self, dir: &str) -> bool {
        if self.patterns.is_empty() || dir.is_empty() || !is_clean_dir(dir) {
            return false;
        }
        let mut below = None;
        for pattern in self.patterns.iter().rev() {
            let hits_dir = pattern.matcher.matches_with_dir_prefixes(dir);
            if pattern.exclusion {
                // A `!` pattern matching `dir` or an ancestor also matches every path below it.
                if hits_dir || pattern.matcher.may_match_below(dir, &mut below) {
                    return false;
                }
            } else if hits_dir {
                // This pattern matches every path below `dir` (through `dir`), and no later
                // pattern can re-include any of them.
                return true;
            }
        }
        false
    }
}

/// What a pattern is tried against for one path, as MatchesOrParentMatches does: the path
/// itself, then the prefixes of `filepath.Dir(path)` that end at a directory.
enum Targets<'a> {
    /// The path's directory part is already clean, so `filepath.Dir` is a prefix of the path
    /// and the candidates are the path and its prefixes that end before a '/'.
    Clean(&'a str),
    /// Anything else (a leading '/', "//", "." or ".." components): Go cleans the directory.
    Unclean { path: &'a str, dir: String },
}

impl<'a> Targets<'a> {
    fn of(path: &'a str) -> Self {
        let Some(last) = path.rfind('/') else {
            return Targets::Clean(path);
        };
        if is_clean_dir(&path[..last]) {
            Targets::Clean(path)
        } else {
            Targets::Unclean {
                path,
                dir: go_clean(&path[..=last]),
            }
        }
    }

    fn matched_by(&self, matcher: &Matcher) -> bool {
        match self {
            Targets::Clean(path) => matcher.matches_with_dir_prefixes(path),
            Targets::Unclean { path, dir } => {
                matcher.matches(path) || (dir != "." && matcher.matches_with_dir_prefixes(dir))
            }
        }
    }
}

/// Whether `dir` has only real components: no empty, "." or ".." ones.
fn is_clean_dir(dir: &str) -> bool {
    dir.split('/')
        .all(|part| !part.is_empty() && part != "." && part != "..")
}

impl Matcher {
    /// Whether the pattern matches `path` itself.
    fn matches(&self, path: &str) -> bool {
        match self {
            Matcher::Exact(text) => path == &**text,
            Matcher::Prefix(prefix) => path.starts_with(&**prefix),
            Matcher::Suffix(suffix) => suffix_matches(path, suffix),
            Matcher::Tokens(tokens) => matches_tokens(tokens, path, |end| end.contains(path.len())),
        }
    }

    /// Whether the pattern matches `path` or one of its prefixes that end just before a '/'.
    fn matches_with_dir_prefixes(&self, path: &str) -> bool {
        match self {
            Matcher::Exact(text) => {
                path.starts_with(&**text)
                    && (path.len() == text.len() || path.as_bytes()[text.len()] == b'/')
            }
            // Every candidate is a prefix of `path`, so `path` is the best one.
            Matcher::Prefix(prefix) => path.starts_with(&**prefix),
            Matcher::Suffix(suffix) => {
                suffix_matches(path, suffix)
                    || slashes(path).any(|end| suffix_matches(&path[..end], suffix))
            }
            // One run over the whole path serves every prefix: matching a prefix that ends
            // before a '/' goes exactly as the first steps of matching the whole path.
            Matcher::Tokens(tokens) => matches_tokens(tokens, path, |end| {
                end.contains(path.len()) || slashes(path).any(|at| end.contains(at))
            }),
        }
    }

    /// Whether the pattern might match some path strictly below `dir`. May say yes wrongly,
    /// never no wrongly. `below` caches "dir/".
    fn may_match_below(&self, dir: &str, below: &mut Option<String>) -> bool {
        match self {
            Matcher::Exact(text) => {
                text.len() > dir.len() + 1
                    && text.starts_with(dir)
                    && text.as_bytes()[dir.len()] == b'/'
            }
            Matcher::Prefix(prefix) => {
                let below = below.get_or_insert_with(|| format!("{dir}/"));
                below.starts_with(&**prefix) || prefix.starts_with(below.as_str())
            }
            // Some name below `dir` always ends with the suffix.
            Matcher::Suffix(_) => true,
            Matcher::Tokens(tokens) => {
                let below = below.get_or_insert_with(|| format!("{dir}/"));
                may_match_with_prefix(tokens, below)
            }
        }
    }
}

/// moby's suffix strategy: `**/foo` also matches "foo" itself.
fn suffix_matches(path: &str, suffix: &str) -> bool {
    path.ends_with(suffix) || suffix.strip_prefix('/').is_some_and(|rest| path == rest)
}

/// Byte offsets of the '/' in `path`.
fn slashes(path: &str) -> impl Iterator<Item = usize> + '_ {
    path.bytes()
        .enumerate()
        .filter(|&(_, b)| b == b'/')
        .map(|(at, _)| at)
}

/// Why a pattern cannot be compiled; the caller adds the line and the pattern.
enum Problem {
    ReversedRange(char, char),
    UnsupportedEscape(char),
    WildcardInClass(char),
    PosixClass,
    /// Unreachable after `path_match` accepted the pattern; kept so no input can panic.
    Syntax,
}

impl Problem {
    fn at(self, line: usize, pattern: &str) -> DockerignoreError {
        let pattern = pattern.to_owned();
        match self {
            Problem::ReversedRange(lo, hi) => DockerignoreError::ReversedRange {
                line,
                pattern,
                lo,
                hi,
            },
            Problem::UnsupportedEscape(escaped) => DockerignoreError::UnsupportedEscape {
                line,
                pattern,
                escaped,
            },
            Problem::WildcardInClass(wildcard) => DockerignoreError::WildcardInClass {
                line,
                pattern,
                wildcard,
            },
            Problem::PosixClass => DockerignoreError::PosixClass { line, pattern },
            Problem::Syntax => DockerignoreError::Syntax { line, pattern },
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Exact,
    Prefix,
    Suffix,
    Tokens,
}

/// Compiles a cleaned, syntax-checked pattern the way moby's `Pattern.compile` does, character
/// by character, including its choice of strategy.
fn compile(text: &str) -> Result<Matcher, Problem> {
    let chars: Vec<char> = text.chars().collect();
    let mut strategy = Strategy::Exact;
    let mut tokens = Vec::new();
    let mut literal = String::new();
    let mut pos = 0;
    let mut first = true;
    while let Some(&c) = chars.get(pos) {
        pos += 1;
        let token = match c {
            '*' if chars.get(pos) == Some(&'*') => {
                pos += 1;
                if chars.get(pos) == Some(&'/') {
                    pos += 1;
                }
                let token = if pos == chars.len() {
                    if strategy == Strategy::Exact {
                        strategy = Strategy::Prefix;
                    } else {
                        strategy = Strategy::Tokens;
                    }
                    Token::Rest
                } else {
                    strategy = Strategy::Tokens;
                    Token::AnyDirs
                };
                if first {
                    strategy = Strategy::Suffix;
                }
                Some(token)
            }
            '*' => {
                strategy = Strategy::Tokens;
                Some(Token::Star)
            }
            '?' => {
                strategy = Strategy::Tokens;
                Some(Token::AnyChar)
            }
            '\\' => match chars.get(pos) {
                Some(&escaped) => {
                    pos += 1;
                    strategy = Strategy::Tokens;
                    literal.push(regex_escape(escaped)?);
                    None
                }
                None => {
                    literal.push('\\');
                    None
                }
            },
            '[' => {
                strategy = Strategy::Tokens;
                let (class, next) = parse_class(&chars, pos)?;
                pos = next;
                Some(Token::Class(class))
            }
            ']' => {
                strategy = Strategy::Tokens;
                literal.push(']');
                None
            }
            '^' => Some(Token::Start),
            c => {
                literal.push(c);
                None
            }
        };
        first = false;
        if let Some(token) = token {
            if !literal.is_empty() {
                tokens.push(Token::Literal(std::mem::take(&mut literal).into()));
            }
            // `(.*/)?(.*/)?` means the same as `(.*/)?`.
            if !(token == Token::AnyDirs && tokens.last() == Some(&Token::AnyDirs)) {
                tokens.push(token);
            }
        }
    }
    if !literal.is_empty() {
        tokens.push(Token::Literal(literal.into()));
    }
    Ok(match strategy {
        Strategy::Exact => Matcher::Exact(text.into()),
        Strategy::Prefix => Matcher::Prefix(text[..text.len() - 2].into()),
        Strategy::Suffix => Matcher::Suffix(text[2..].into()),
        Strategy::Tokens => Matcher::Tokens(tokens.into()),
    })
}

/// What Go's regexp makes of `\c`: ASCII punctuation stands for itself; letters and digits
/// are classes, anchors or errors, and anything else is an error.
fn regex_escape(c: char) -> Result<char, Problem> {
    if c.is_ascii() && !c.is_ascii_alphanumeric() {
        Ok(c)
    } else {
        Err(Problem::UnsupportedEscape(c))
    }
}

/// Parses a class starting after its `[`, as Go's regexp reads what Docker makes of it.
/// Returns the class and the position after its `]`.
fn parse_class(chars: &[char], mut pos: usize) -> Result<(Class, usize), Problem> {
    let negated = chars.get(pos) == Some(&'^');
    if negated {
        pos += 1;
    }
    let mut ranges = Vec::new();
    loop {
        if chars.get(pos) == Some(&']') && !ranges.is_empty() {
            pos += 1;
            break;
        }
        let lo = class_char(chars, &mut pos)?;
        let mut hi = lo;
        if chars.get(pos) == Some(&'-') {
            pos += 1;
            hi = class_char(chars, &mut pos)?;
        }
        if lo > hi {
            return Err(Problem::ReversedRange(lo, hi));
        }
        ranges.push((lo, hi));
    }
    Ok((
        Class {
            negated,
            ranges: ranges.into(),
        },
        pos,
    ))
}

fn class_char(chars: &[char], pos: &mut usize) -> Result<char, Problem> {
    let c = match chars.get(*pos) {
        None | Some('-' | ']') => return Err(Problem::Syntax),
        Some('\\') => {
            *pos += 1;
            regex_escape(*chars.get(*pos).ok_or(Problem::Syntax)?)?
        }
        Some(&c @ ('*' | '?')) => return Err(Problem::WildcardInClass(c)),
        Some('[') if chars.get(*pos + 1) == Some(&':') => return Err(Problem::PosixClass),
        Some(&c) => c,
    };
    *pos += 1;
    Ok(c)
}

/// A set of positions (byte offsets 0..=len) in a string.
struct Positions<'a>(&'a mut [u64]);

impl Positions<'_> {
    fn clear(&mut self) {
        self.0.fill(0);
    }

    fn insert(&mut self, at: usize) {
        self.0[at / 64] |= 1 << (at % 64);
    }

    fn contains(&self, at: usize) -> bool {
        self.0[at / 64] & (1 << (at % 64)) != 0
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|&word| word == 0)
    }

    /// The positions in increasing order.
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(index, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    index * 64 + bit
                })
            })
        })
    }
}

/// Strings up to this many bytes are matched without allocating.
const INLINE_WORDS: usize = 16;

/// Calls `f` with two empty position sets able to hold `positions` positions.
fn with_scratch<R>(
    positions: usize,
    f: impl for<'a> FnOnce(Positions<'a>, Positions<'a>) -> R,
) -> R {
    let words = positions.div_ceil(64);
    if words <= INLINE_WORDS {
        let mut a = [0; INLINE_WORDS];
        let mut b = [0; INLINE_WORDS];
        f(Positions(&mut a[..words]), Positions(&mut b[..words]))
    } else {
        f(
            Positions(&mut vec![0; words]),
            Positions(&mut vec![0; words]),
        )
    }
}

/// Runs `tokens` from the start of `s` and asks `check` about the positions where a match of
/// all of them can end (false when there are none). Equivalent to Docker's regex, but it
/// tracks every way of matching at once, so it never backtracks.
fn matches_tokens(tokens: &[Token], s: &str, check: impl FnOnce(&Positions) -> bool) -> bool {
    with_scratch(s.len() + 1, |mut cur, mut next| {
        cur.insert(0);
        for token in tokens {
            step(token, s, &cur, &mut next);
            std::mem::swap(&mut cur, &mut next);
            if cur.is_empty() {
                return false;
            }
        }
        check(&cur)
    })
}

/// Whether some string starting with `prefix` (which ends with '/') might match `tokens`:
/// true as soon as some way of matching uses up the prefix, since the rest of the pattern is
/// assumed to fit whatever follows.
fn may_match_with_prefix(tokens: &[Token], prefix: &str) -> bool {
    let end = prefix.len();
    let tail = |at: usize| prefix.as_bytes().get(at..).unwrap_or_default();
    with_scratch(end + 1, |mut cur, mut next| {
        cur.insert(0);
        for token in tokens {
            if cur.contains(end) {
                return true;
            }
            if let Token::Literal(text) = token
                && cur
                    .iter()
                    .any(|at| at < end && text.as_bytes().starts_with(tail(at)))
            {
                return true;
            }
            step(token, prefix, &cur, &mut next);
            std::mem::swap(&mut cur, &mut next);
            if cur.is_empty() {
                return false;
            }
        }
        cur.contains(end)
    })
}

/// Moves every position of `cur` over one token into `next`.
fn step(token: &Token, s: &str, cur: &Positions, next: &mut Positions) {
    let bytes = s.as_bytes();
    let len = bytes.len();
    let char_at = |at: usize| s.get(at..).and_then(|rest| rest.chars().next());
    next.clear();
    match token {
        Token::Literal(text) => {
            for at in cur.iter() {
                if bytes[at..].starts_with(text.as_bytes()) {
                    next.insert(at + text.len());
                }
            }
        }
        Token::AnyChar => {
            for at in cur.iter() {
                if let Some(c) = char_at(at)
                    && c != '/'
                {
                    next.insert(at + c.len_utf8());
                }
            }
        }
        Token::Class(class) => {
            for at in cur.iter() {
                if let Some(c) = char_at(at)
                    && class.matches(c)
                {
                    next.insert(at + c.len_utf8());
                }
            }
        }
        Token::Star => {
            // A run from a position already covered by an earlier run ends at the same '/'.
            let mut covered = None;
            for at in cur.iter() {
                if covered.is_some_and(|end| at <= end) {
                    continue;
                }
                let mut end = at;
                next.insert(end);
                while let Some(c) = char_at(end)
                    && c != '/'
                {
                    end += c.len_utf8();
                    next.insert(end);
                }
                covered = Some(end);
            }
        }
        // Regex `(.*/)?` and `.*`: '.' matches anything but a newline.
        Token::AnyDirs | Token::Rest => {
            let Some(start) = cur.iter().next() else {
                return;
            };
            let any_end = *token == Token::Rest;
            let mut active = false;
            for (at, &byte) in bytes.iter().enumerate().skip(start) {
                if cur.contains(at) {
                    active = true;
                    next.insert(at);
                }
                match byte {
                    b'\n' => active = false,
                    b'/' if active => next.insert(at + 1),
                    _ if active && any_end && s.is_char_boundary(at + 1) => next.insert(at + 1),
                    _ => {}
                }
            }
            if cur.contains(len) {
                next.insert(len);
            }
        }
        Token::Start => {
            if cur.contains(0) {
                next.insert(0);
            }
        }
    }
}

/// Go's `path.Clean`: the shortest equivalent path, "." for an empty result.
fn go_clean(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&last) if last != ".." => {
                    parts.pop();
                }
                // ".." cannot climb above the root, but piles up on a relative path.
                _ if rooted => {}
                _ => parts.push(".."),
            },
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::{Dockerignore, DockerignoreError, Matcher, Token, go_clean};

    fn excluded(patterns: &str, path: &str) -> bool {
        Dockerignore::parse(patterns)
            .unwrap_or_else(|e| panic!("{patterns:?}: {e}"))
            .is_excluded(path)
    }

    #[test]
    fn matches_like_docker() {
        let table: &[(&str, &str, bool)] = &[
            // moby's strategies: `**` first with no other wildcard is a plain suffix test.
            ("**file", "myfile", true),
            ("**/foo", "xfoo", false),
            ("**/foo", "foo", true),
            ("**.go", "a/b.go", true),
            ("a**", "abc/d", true),
            ("abc/**", "abc", false),
            ("abc/**", "abc/d", true),
            // `**` inside a regex pattern is `(.*/)?`: nothing, or anything up to a '/'.
            ("a**b", "ab", true),
            ("a**b", "axb", false),
            ("a**b", "ax/b", true),
            ("a/**/b", "a/b", true),
            ("a/**/b", "a/x/y/b", true),
            ("a/**/b", "a/xb", false),
            ("**/x*", "ab/xy", true),
            // '.' in Docker's regex does not match a newline; suffix tests do not care.
            ("**/x*", "a\nb/xy", false),
            ("**", "a\nb", true),
            // `^` is literal in an exact pattern, an anchor in a regex one.
            ("a^b", "a^b", true),
            ("a?^b", "ax^b", false),
            ("^a?", "ab", true),
            // A class may match '/', as in Go.
            ("x[^a]y", "x/y", true),
            ("[a-c]x", "bx", true),
            ("[a-c]x", "dx", false),
            ("a\\ b", "a b", true),
            ("\\#x", "#x", true),
            ("é?", "éa", true),
            ("?é", "éé", true),
            // Parents: a pattern matching a directory excludes everything below it.
            ("*", "a/b", true),
            ("*.go", "dir/x.go", false),
            ("dir", "dir/sub/file", true),
            ("dir", "dirx", false),
            ("dir/", "dir/file", true),
            ("/dir", "dir", true),
            ("./dir/../other", "other/x", true),
            ("a/b", "a", false),
            // Paths Go would clean before taking their parents.
            ("a", "./a/b", true),
            ("x/a", "x//a/b", true),
            ("**", "/", true),
            // Comments only at the very start of a line.
            ("#x", "#x", false),
            (" #x", "#x", true),
            // The last matching pattern wins.
            ("*\n!important.txt", "important.txt", false),
            ("*\n!important.txt", "other.txt", true),
            ("dir\n!dir/keep\ndir/keep/x", "dir/keep/x", true),
            ("dir\n!dir/keep\ndir/keep/x", "dir/keep/y", false),
            ("!a/b\na", "a/b", true),
            // patternmatcher.New cleans "!./ x" into an exclusion of " x".
            ("*\n!./ x", " x", false),
            ("*\n!./ x", "x", true),
        ];
        let mut failures = Vec::new();
        for &(patterns, path, want) in table {
            let got = excluded(patterns, path);
            if got != want {
                failures.push(format!("{patterns:?} on {path:?}: {got}, want {want}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn matches_paths_longer_than_the_inline_scratch() {
        let deep = format!("{}x.log", "d/".repeat(800));
        assert!(excluded("**/*.log", &deep));
        assert!(!excluded("**/*.txt", &deep));
        assert!(excluded("d/d/?", &deep));
        assert!(!excluded("d/e*", &deep));
    }

    #[test]
    fn reads_like_ignorefile_read_all() {
        // moby/patternmatcher's ignorefile test content, minus its lone `!` lines.
        let text = "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n\
                    ! /inverted/abs/path\n";
        let ignore = Dockerignore::parse(text).unwrap();
        for path in ["test1", "test2", "a/file/here", "lastfile", "lastfile/x"] {
            assert!(ignore.is_excluded(path), "{path}");
        }
        for path in [
            "# this is a comment",
            "inverted/abs/path",
            "test3",
            "a/file",
        ] {
            assert!(!ignore.is_excluded(path), "{path}");
        }
        // A BOM is dropped before the comment test; CRLF line ends are fine.
        let ignore = Dockerignore::parse("\u{feff}#c\r\nx\r\n").unwrap();
        assert!(ignore.is_excluded("x"));
        assert!(!ignore.is_excluded("#c"));
        assert!(Dockerignore::parse("").unwrap().is_empty());
        assert!(Dockerignore::parse("# only\n\n  \n").unwrap().is_empty());
        assert!(!Dockerignore::parse("a").unwrap().is_empty());
    }

    #[test]
    fn cleans_like_go() {
        for (path, want) in [
            ("", "."),
            (".", "."),
            ("/", "/"),
            ("//a//b/", "/a/b"),
            ("a/./b/../c", "a/c"),
            ("../a", "../a"),
            ("a/../..", ".."),
            ("/../a", "/a"),
            ("!/", "!"),
        ] {
            assert_eq!(go_clean(path), want, "{path:?}");
        }
    }

    #[test]
    fn rejects_what_docker_rejects_or_misreads() {
        let pattern = |p: &str| p.to_owned();
        let table: &[(&str, DockerignoreError)] = &[
            ("a\n\n!\n", DockerignoreError::LoneExclamation { line: 3 }),
            ("! ", DockerignoreError::LoneExclamation { line: 1 }),
            ("x\n!/", DockerignoreError::LoneExclamation { line: 2 }),
            (
                "ok\n[",
                DockerignoreError::Syntax {
                    line: 2,
                    pattern: pattern("["),
                },
            ),
            (
                "a\\",
                DockerignoreError::Syntax {
                    line: 1,
                    pattern: pattern("a\\"),
                },
            ),
            (
                "  !x[-a]  ",
                DockerignoreError::Syntax {
                    line: 1,
                    pattern: pattern("!x[-a]"),
                },
            ),
            (
                "[z-a]",
                DockerignoreError::ReversedRange {
                    line: 1,
                    pattern: pattern("[z-a]"),
                    lo: 'z',
                    hi: 'a',
                },
            ),
            (
                "a\\d",
                DockerignoreError::UnsupportedEscape {
                    line: 1,
                    pattern: pattern("a\\d"),
                    escaped: 'd',
                },
            ),
            (
                "[\\w]",
                DockerignoreError::UnsupportedEscape {
                    line: 1,
                    pattern: pattern("[\\w]"),
                    escaped: 'w',
                },
            ),
            (
                "\\é",
                DockerignoreError::UnsupportedEscape {
                    line: 1,
                    pattern: pattern("\\é"),
                    escaped: 'é',
                },
            ),
            (
                "[*]",
                DockerignoreError::WildcardInClass {
                    line: 1,
                    pattern: pattern("[*]"),
                    wildcard: '*',
                },
            ),
            (
                "[a?]",
                DockerignoreError::WildcardInClass {
                    line: 1,
                    pattern: pattern("[a?]"),
                    wildcard: '?',
                },
            ),
            (
                "[[:alpha:]]",
                DockerignoreError::PosixClass {
                    line: 1,
                    pattern: pattern("[[:alpha:]]"),
                },
            ),
        ];
        for (text, want) in table {
            assert_eq!(Dockerignore::parse(text).unwrap_err(), *want, "{text:?}");
        }
        let message = Dockerignore::parse("a\n[z-a]").unwrap_err().to_string();
        assert!(
            message.contains("line 2") && message.contains("write it as `a-z`"),
            "{message}"
        );
    }

    #[test]
    fn knows_when_a_directory_can_be_skipped() {
        let table: &[(&str, &str, bool)] = &[
            ("node_modules", "node_modules", true),
            ("node_modules", "src", false),
            ("docs\n!docs/README.md", "docs", false),
            ("docs\n!src", "docs", true),
            ("*\n!*/keep", "a", false),
            ("*\n!*/keep", "a/b", true),
            ("build\n!build", "build", false),
            ("!a/b\na", "a", true),
            ("a\n!a/b/**", "a", false),
            ("a\n!a/b/**", "a/c", true),
            ("a\n!**/keep", "a", false),
            ("a\n!a", "a/b", false),
            ("**/*.log", "logs", false),
            ("**", "x", true),
            ("**", "", false),
        ];
        for &(patterns, dir, want) in table {
            let ignore = Dockerignore::parse(patterns).unwrap();
            assert_eq!(
                ignore.excludes_everything_under(dir),
                want,
                "{patterns:?} under {dir:?}"
            );
        }
    }

    /// A small deterministic generator, so the cross-checks need no extra crate.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn string(&mut self, pieces: &[&str], max: usize) -> String {
            let count = 1 + self.below(max);
            (0..count)
                .map(|_| pieces[self.below(pieces.len())])
                .collect()
        }
    }

    const PATTERN_PIECES: &[&str] = &[
        "a", "b", "ab", "/", "*", "**", "**/", "?", "[ab]", "[^a]", "\\*", ".", "^", "é",
    ];
    const PATH_PIECES: &[&str] = &["a", "b", "ab", "/", "*", ".", "\n", "é", "b/a"];

    /// A backtracking matcher over the same tokens, written from the regex pieces they stand
    /// for: `[^/]`, `[^/]*`, `(.*/)?`, `.*` and `^`.
    fn reference(tokens: &[Token], s: &str, at: usize) -> bool {
        let Some((token, rest)) = tokens.split_first() else {
            return at == s.len();
        };
        let tail = &s[at..];
        let first = tail.chars().next();
        match token {
            Token::Literal(text) => {
                tail.starts_with(&**text) && reference(rest, s, at + text.len())
            }
            Token::AnyChar => {
                first.is_some_and(|c| c != '/' && reference(rest, s, at + c.len_utf8()))
            }
            Token::Class(class) => {
                first.is_some_and(|c| class.matches(c) && reference(rest, s, at + c.len_utf8()))
            }
            Token::Star => {
                let run = tail.find('/').unwrap_or(tail.len());
                (0..=run)
                    .filter(|&n| tail.is_char_boundary(n))
                    .any(|n| reference(rest, s, at + n))
            }
            Token::AnyDirs => {
                let line = tail.find('\n').unwrap_or(tail.len());
                reference(rest, s, at)
                    || tail[..line]
                        .match_indices('/')
                        .any(|(i, _)| reference(rest, s, at + i + 1))
            }
            Token::Rest => {
                let line = tail.find('\n').unwrap_or(tail.len());
                (0..=line)
                    .filter(|&n| tail.is_char_boundary(n))
                    .any(|n| reference(rest, s, at + n))
            }
            Token::Start => at == 0 && reference(rest, s, at),
        }
    }

    fn reference_matches(matcher: &Matcher, s: &str) -> bool {
        match matcher {
            Matcher::Tokens(tokens) => reference(tokens, s, 0),
            other => other.matches(s),
        }
    }

    /// moby's MatchesOrParentMatches loop, literally: the path, then the prefixes of its
    /// cleaned directory, with the skip rule for patterns that cannot change the answer.
    fn reference_excluded(ignore: &Dockerignore, path: &str) -> bool {
        let dir = match path.rfind('/') {
            Some(last) => go_clean(&path[..=last]),
            None => ".".to_owned(),
        };
        let parts: Vec<&str> = dir.split('/').collect();
        let mut matched = false;
        for pattern in &ignore.patterns {
            if pattern.exclusion != matched {
                continue;
            }
            let mut hit = reference_matches(&pattern.matcher, path);
            if !hit && dir != "." {
                hit = (1..=parts.len())
                    .any(|n| reference_matches(&pattern.matcher, &parts[..n].join("/")));
            }
            if hit {
                matched = !pattern.exclusion;
            }
        }
        matched
    }

    #[test]
    fn agrees_with_a_literal_port_of_moby() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut compared = 0;
        let mut mismatches = Vec::new();
        for _ in 0..3000 {
            let count = 1 + rng.below(3);
            let text: Vec<String> = (0..count)
                .map(|_| {
                    let bang = if rng.below(3) == 0 { "!" } else { "" };
                    format!("{bang}{}", rng.string(PATTERN_PIECES, 6))
                })
                .collect();
            let text = text.join("\n");
            let Ok(ignore) = Dockerignore::parse(&text) else {
                continue;
            };
            for _ in 0..20 {
                let path = rng.string(PATH_PIECES, 6);
                compared += 1;
                let want = reference_excluded(&ignore, &path);
                if ignore.is_excluded(&path) != want && mismatches.len() < 20 {
                    mismatches.push(format!("{text:?} on {path:?}: want {want}"));
                }
            }
        }
        assert!(compared > 20_000, "only {compared} comparisons");
        assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    }

    #[test]
    fn skipping_a_directory_never_loses_a_file() {
        let names = ["a", "b", "ab"];
        let mut universe = Vec::new();
        for x in names {
            universe.push(x.to_owned());
            for y in names {
                universe.push(format!("{x}/{y}"));
                for z in names {
                    universe.push(format!("{x}/{y}/{z}"));
                }
            }
        }
        let pieces = &["a", "b", "ab", "/", "*", "**", "**/", "?", "[ab]"];
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut skipped = 0;
        for _ in 0..3000 {
            let count = 1 + rng.below(4);
            let text: Vec<String> = (0..count)
                .map(|_| {
                    let bang = if rng.below(2) == 0 { "!" } else { "" };
                    format!("{bang}{}", rng.string(pieces, 5))
                })
                .collect();
            let text = text.join("\n");
            let Ok(ignore) = Dockerignore::parse(&text) else {
                continue;
            };
            for dir in universe.iter().filter(|p| p.matches('/').count() < 2) {
                if !ignore.excludes_everything_under(dir) {
                    continue;
                }
                skipped += 1;
                let below = format!("{dir}/");
                for path in universe.iter().filter(|p| p.starts_with(&below)) {
                    assert!(
                        ignore.is_excluded(path),
                        "{text:?}: skipping {dir:?} would lose {path:?}"
                    );
                }
            }
        }
        assert!(skipped > 1000, "only {skipped} directories skipped");
    }
}
