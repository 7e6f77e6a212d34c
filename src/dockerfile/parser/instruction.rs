//! Turns one logical Dockerfile line into a [`Node`]: keyword, leading `--flags`, and the
//! arguments shaped by BuildKit's per-instruction line parsers (exec form, ENV pairs, ...).

use super::json::{ExecForm, parse_exec_form};
use super::{Node, ParseError};

/// BuildKit nests ONBUILD without limit but rejects any chaining later; the cap keeps
/// hostile input from exhausting the stack.
const MAX_ONBUILD_DEPTH: usize = 64;

/// Parses `line` (continuations already joined) as BuildKit's `newNodeFromLine` does.
pub(super) fn node_from_line(line: &str, escape: char, line_no: usize) -> Result<Node, ParseError> {
    node_at_depth(line, escape, line_no, 0)
}

fn node_at_depth(
    line: &str,
    escape: char,
    line_no: usize,
    depth: usize,
) -> Result<Node, ParseError> {
    let (cmd, flags, args) = split_command(line);
    let mut node = Node {
        keyword: go_lowercase(cmd),
        original: line.to_owned(),
        flags,
        args: Vec::new(),
        json: false,
        heredocs: Vec::new(),
        onbuild: None,
        start_line: line_no,
        end_line: line_no,
    };
    let args = args.as_str();
    match node.keyword.as_str() {
        "add" | "copy" | "volume" => {
            (node.args, node.json) = maybe_json_to_list(args, &node.keyword, line_no)?;
        }
        "cmd" | "entrypoint" | "run" | "shell" => {
            (node.args, node.json) = maybe_json(args, &node.keyword, line_no)?;
        }
        "arg" => node.args = parse_words(args, escape),
        "env" => node.args = name_value_pairs(args, "ENV", escape, line_no)?,
        "label" => node.args = name_value_pairs(args, "LABEL", escape, line_no)?,
        "expose" | "from" => node.args = whitespace_delimited(args),
        "healthcheck" => (node.args, node.json) = health_config(args, line_no)?,
        "maintainer" | "stopsignal" | "user" | "workdir" => {
            node.args = (!args.is_empty())
                .then(|| args.to_owned())
                .into_iter()
                .collect();
        }
        "onbuild" if !args.is_empty() => {
            if depth >= MAX_ONBUILD_DEPTH {
                return Err(ParseError::OnbuildTooDeep {
                    line: line_no,
                    limit: MAX_ONBUILD_DEPTH,
                });
            }
            node.onbuild = Some(Box::new(node_at_depth(args, escape, line_no, depth + 1)?));
        }
        "onbuild" => {}
        // BuildKit keeps unknown instructions with one empty argument; the next stage
        // reports them.
        _ => node.args = vec![String::new()],
    }
    Ok(node)
}

/// Go's `strings.ToLower`: per-character simple lower-casing.
fn go_lowercase(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\u{130}' {
            out.push('i');
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The `[\t\v\f\r ]` class BuildKit splits on (no newline, ASCII only).
fn is_split_space(b: u8) -> bool {
    matches!(b, b'\t' | 0x0b | 0x0c | b'\r' | b' ')
}

/// Go's `unicode.IsSpace` applied to a single byte, as BuildKit's byte-wise scanners do.
fn is_go_space_byte(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ' | 0x85 | 0xA0)
}

/// Go's `regexp.Split` for `[\t\v\f\r ]+` with limit `n` (0 = no limit).
fn split_spaces(s: &str, n: usize) -> Vec<&str> {
    if s.is_empty() {
        return vec![""];
    }
    let bytes = s.as_bytes();
    let mut parts = Vec::new();
    let (mut beg, mut end, mut i) = (0, 0, 0);
    while i < bytes.len() {
        if !is_split_space(bytes[i]) {
            i += 1;
            continue;
        }
        if n > 0 && parts.len() == n - 1 {
            break;
        }
        let start = i;
        while i < bytes.len() && is_split_space(bytes[i]) {
            i += 1;
        }
        end = start;
        parts.push(&s[beg..end]);
        beg = i;
    }
    if end != s.len() {
        parts.push(&s[beg..]);
    }
    parts
}

/// A byte slice as text; BuildKit can cut inside a UTF-8 sequence, which Rust strings cannot hold.
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Splits the keyword off and extracts the leading `--flags`; returns the trimmed arguments.
fn split_command(line: &str) -> (&str, Vec<String>, String) {
    let line = line.trim();
    let parts = split_spaces(line, 2);
    match parts.as_slice() {
        [cmd, rest] => {
            let (args, flags) = extract_builder_flags(rest);
            (cmd, flags, args.trim().to_owned())
        }
        _ => (line, Vec::new(), String::new()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Spaces,
    Word,
    Quote,
}

/// Port of BuildKit's `extractBuilderFlags`. It walks bytes, not characters, so non-ASCII
/// bytes in flags become Latin-1 characters exactly as in BuildKit.
fn extract_builder_flags(line: &str) -> (String, Vec<String>) {
    let bytes = line.as_bytes();
    let len = bytes.len();
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut quote = 0u8;
    let mut blank_ok = false;
    let mut pos = 0;
    while pos <= len {
        let mut ch = bytes.get(pos).copied().unwrap_or(0);
        if phase == Phase::Spaces {
            if pos == len {
                break;
            }
            if is_go_space_byte(ch) {
                pos += 1;
                continue;
            }
            if ch != b'-' || pos + 1 == len || bytes[pos + 1] != b'-' {
                return (lossy(&bytes[pos..]), words);
            }
            phase = Phase::Word;
        }
        if pos == len {
            if word != "--" && (blank_ok || !word.is_empty()) {
                words.push(word);
            }
            break;
        }
        if phase == Phase::Word {
            if is_go_space_byte(ch) {
                phase = Phase::Spaces;
                if word == "--" {
                    return (lossy(&bytes[pos..]), words);
                }
                if blank_ok || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                word.clear();
                blank_ok = false;
                pos += 1;
                continue;
            }
            if ch == b'\'' || ch == b'"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                pos += 1;
                continue;
            }
            if ch == b'\\' {
                if pos + 1 == len {
                    pos += 1;
                    continue;
                }
                pos += 1;
                ch = bytes[pos];
            }
            word.push(char::from(ch));
            pos += 1;
            continue;
        }
        if ch == quote {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        if ch == b'\\' {
            if pos + 1 == len {
                phase = Phase::Word;
                pos += 1;
                continue;
            }
            pos += 1;
            ch = bytes[pos];
        }
        word.push(char::from(ch));
        pos += 1;
    }
    (String::new(), words)
}

/// Port of BuildKit's `parseWords`: splits on whitespace, keeping quotes and escapes.
pub(super) fn parse_words(rest: &str, escape: char) -> Vec<String> {
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut word = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(ch) = chars.next() {
        let at_last = chars.peek().is_none();
        if phase == Phase::Spaces {
            if ch.is_whitespace() {
                continue;
            }
            phase = Phase::Word;
        }
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if blank_ok || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                blank_ok = false;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
            if ch == escape {
                if at_last {
                    continue;
                }
                // Outside quotes the escape and the next character are both kept, even a quote.
                word.push(ch);
                word.extend(chars.next());
                continue;
            }
            word.push(ch);
            continue;
        }
        if ch == quote {
            phase = Phase::Word;
        }
        if ch == escape && quote != '\'' {
            if at_last {
                phase = Phase::Word;
                continue;
            }
            word.push(ch);
            word.extend(chars.next());
            continue;
        }
        word.push(ch);
    }
    if phase != Phase::Spaces && (blank_ok || !word.is_empty()) {
        words.push(word);
    }
    words
}

/// ENV and LABEL: `key value` (old form) or `k=v ...`, as (key, value, separator) triples.
fn name_value_pairs(
    rest: &str,
    instruction: &str,
    escape: char,
    line_no: usize,
) -> Result<Vec<String>, ParseError> {
    let words = parse_words(rest, escape);
    let Some(first) = words.first() else {
        return Ok(Vec::new());
    };
    if !first.contains('=') {
        return match split_spaces(rest, 2).as_slice() {
            [key, value] => Ok(vec![(*key).to_owned(), (*value).to_owned(), String::new()]),
            _ => Err(ParseError::MissingValue {
                line: line_no,
                instruction: instruction.to_owned(),
            }),
        };
    }
    let mut args = Vec::with_capacity(words.len() * 3);
    for word in &words {
        let Some((key, value)) = word.split_once('=') else {
            return Err(ParseError::MissingEquals {
                line: line_no,
                instruction: instruction.to_owned(),
                word: word.clone(),
            });
        };
        args.extend([key.to_owned(), value.to_owned(), "=".to_owned()]);
    }
    Ok(args)
}

fn whitespace_delimited(rest: &str) -> Vec<String> {
    if rest.is_empty() {
        return Vec::new();
    }
    split_spaces(rest, 0)
        .into_iter()
        .map(str::to_owned)
        .collect()
}

fn not_strings(keyword: &str, line_no: usize) -> ParseError {
    ParseError::NonStringJsonArray {
        line: line_no,
        instruction: keyword.to_uppercase(),
    }
}

/// RUN/CMD/ENTRYPOINT/SHELL: exec form, or the whole text as one shell-form argument.
fn maybe_json(
    rest: &str,
    keyword: &str,
    line_no: usize,
) -> Result<(Vec<String>, bool), ParseError> {
    if rest.is_empty() {
        return Ok((Vec::new(), false));
    }
    match parse_exec_form(rest) {
        ExecForm::Strings(items) => Ok((items, true)),
        ExecForm::NotStrings => Err(not_strings(keyword, line_no)),
        ExecForm::NotJson => Ok((vec![rest.to_owned()], false)),
    }
}

/// ADD/COPY/VOLUME: exec form, or whitespace-separated arguments.
fn maybe_json_to_list(
    rest: &str,
    keyword: &str,
    line_no: usize,
) -> Result<(Vec<String>, bool), ParseError> {
    match parse_exec_form(rest) {
        ExecForm::Strings(items) => Ok((items, true)),
        ExecForm::NotStrings => Err(not_strings(keyword, line_no)),
        ExecForm::NotJson => Ok((whitespace_delimited(rest), false)),
    }
}

/// HEALTHCHECK: the type word (`CMD`, `NONE`, ...) then the command like [`maybe_json`].
fn health_config(rest: &str, line_no: usize) -> Result<(Vec<String>, bool), ParseError> {
    let bytes = rest.as_bytes();
    let sep = bytes
        .iter()
        .position(|&b| is_go_space_byte(b))
        .unwrap_or(bytes.len());
    if sep == 0 {
        return Ok((Vec::new(), false));
    }
    let next = bytes[sep..]
        .iter()
        .position(|&b| !is_go_space_byte(b))
        .map_or(bytes.len(), |offset| sep + offset);
    let (command, json) = maybe_json(&lossy(&bytes[next..]), "healthcheck", line_no)?;
    let mut args = Vec::with_capacity(command.len() + 1);
    args.push(lossy(&bytes[..sep]));
    args.extend(command);
    Ok((args, json))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(items: &[String]) -> Vec<&str> {
        items.iter().map(String::as_str).collect()
    }

    #[test]
    fn parse_words_matches_buildkit() {
        let cases: [(&str, char, &[&str]); 13] = [
            ("foo", '\\', &["foo"]),
            ("foo bar", '\\', &["foo", "bar"]),
            ("foo\\ bar", '\\', &["foo\\ bar"]),
            ("foo=bar", '\\', &["foo=bar"]),
            ("foo bar 'abc xyz'", '\\', &["foo", "bar", "'abc xyz'"]),
            ("foo bar \"abc xyz\"", '\\', &["foo", "bar", "\"abc xyz\""]),
            ("àöû", '\\', &["àöû"]),
            ("föo bàr \"âbc xÿz\"", '\\', &["föo", "bàr", "\"âbc xÿz\""]),
            ("a=\"\" b", '\\', &["a=\"\"", "b"]),
            ("\"\"", '\\', &["\"\""]),
            ("a\\", '\\', &["a"]),
            ("a`  b", '`', &["a` ", "b"]),
            ("'a\\'b''", '\\', &["'a\\'b''"]),
        ];
        for (input, escape, expected) in cases {
            assert_eq!(parse_words(input, escape), expected, "{input}");
        }
    }

    #[test]
    fn split_command_extracts_flags() {
        // (line, keyword, flags, args)
        let cases: [(&str, &str, &[&str], &str); 11] = [
            ("FROM  a", "FROM", &[], "a"),
            ("  RUN\t", "RUN", &[], ""),
            (
                "COPY --from=a --chown=x y z",
                "COPY",
                &["--from=a", "--chown=x"],
                "y z",
            ),
            (
                "COPY --link --parents a b",
                "COPY",
                &["--link", "--parents"],
                "a b",
            ),
            (
                "COPY --doit=true -- foo /tmp/",
                "COPY",
                &["--doit=true"],
                "foo /tmp/",
            ),
            ("COPY -- foo", "COPY", &[], "foo"),
            ("CMD --doit --", "CMD", &["--doit"], ""),
            (
                "RUN --mount=\"type=cache,a b\" x",
                "RUN",
                &["--mount=type=cache,a b"],
                "x",
            ),
            ("RUN --a=\\\"b x", "RUN", &["--a=\"b"], "x"),
            ("RUN -x --y", "RUN", &[], "-x --y"),
            ("COPY --chown=José a", "COPY", &["--chown=JosÃ\u{a9}"], "a"),
        ];
        for (line, keyword, flags, args) in cases {
            let (cmd, got_flags, got_args) = split_command(line);
            assert_eq!(
                (cmd, strs(&got_flags).as_slice(), got_args.as_str()),
                (keyword, flags, args),
                "{line}"
            );
        }
    }

    #[test]
    fn go_regexp_split() {
        let cases: [(&str, usize, &[&str]); 6] = [
            ("", 0, &[""]),
            ("a b\t\tc", 0, &["a", "b", "c"]),
            ("a b c", 2, &["a", "b c"]),
            ("  a", 0, &["", "a"]),
            ("a  ", 0, &["a", ""]),
            ("a\u{a0}b", 0, &["a\u{a0}b"]),
        ];
        for (input, n, expected) in cases {
            assert_eq!(split_spaces(input, n), expected, "{input:?}");
        }
    }
}
