//! Dockerfile syntax parser that reproduces BuildKit's `frontend/dockerfile/parser`: parser
//! directives, comments, line continuations, heredocs, flags and per-instruction arguments.

mod heredoc;
mod instruction;
mod json;

/// The parser directives found at the top of the file (`# syntax=`, `# escape=`, `# check=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directives {
    /// The escape and line-continuation character: `\` (default) or `` ` ``.
    pub escape: char,
    pub syntax: Option<String>,
    pub check: Option<String>,
}

impl Default for Directives {
    fn default() -> Self {
        Self {
            escape: '\\',
            syntax: None,
            check: None,
        }
    }
}

/// A here-document attached to a RUN, COPY or ADD instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heredoc {
    /// The delimiter word, quotes removed.
    pub name: String,
    /// The body lines exactly as written, line endings included; leading tabs are kept even
    /// for `<<-` (stripping them is left to the consumer, as in BuildKit).
    pub content: String,
    /// False when any part of the delimiter was quoted (`<<'EOF'`): no variable expansion.
    pub expand: bool,
    /// Written as `<<-`: leading tabs are stripped from the body and the terminator.
    pub chomp: bool,
    /// The file descriptor prefix of `3<<EOF`, 0 when absent.
    pub file_descriptor: u64,
}

/// One instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Lower-cased instruction keyword, e.g. `copy`.
    pub keyword: String,
    /// The instruction line as written, continuations joined (BuildKit's `Original`).
    pub original: String,
    /// Leading `--name[=value]` flags, quotes removed.
    pub flags: Vec<String>,
    /// The arguments; ENV and LABEL hold (key, value, separator) triples.
    pub args: Vec<String>,
    /// Written in JSON (exec) form.
    pub json: bool,
    pub heredocs: Vec<Heredoc>,
    /// ONBUILD's nested instruction.
    pub onbuild: Option<Box<Node>>,
    /// First line of the instruction, 1-based.
    pub start_line: usize,
    /// Last line of the instruction, heredoc bodies included.
    pub end_line: usize,
}

/// A parsed Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dockerfile {
    pub directives: Directives,
    pub nodes: Vec<Node>,
}

/// Why a Dockerfile could not be parsed; every variant carries the 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error(
        "line {line}: only one {name} parser directive can be used; remove the repeated `# {name}=` line"
    )]
    DuplicateDirective { line: usize, name: String },
    #[error(
        "line {line}: invalid escape token '{token}' does not match ` or \\; set the escape directive to a backslash or a backtick"
    )]
    InvalidEscapeToken { line: usize, token: String },
    #[error(
        "line {line}: {instruction} must have two arguments; write `{instruction} name=value` (or `{instruction} name value`)"
    )]
    MissingValue { line: usize, instruction: String },
    #[error(
        "line {line}: can't find = in {word:?}; write every {instruction} argument as name=value"
    )]
    MissingEquals {
        line: usize,
        instruction: String,
        word: String,
    },
    #[error(
        "line {line}: {instruction} uses JSON array syntax but not every element is a string; quote each element or use the shell form"
    )]
    NonStringJsonArray { line: usize, instruction: String },
    #[error(
        "line {line}: ONBUILD is nested more than {limit} levels deep; chaining ONBUILD is not allowed, remove the extra ONBUILD keywords"
    )]
    OnbuildTooDeep { line: usize, limit: usize },
    #[error(
        "line {line}: invalid heredoc {word:?}: {reason}; fix the quoting of the heredoc delimiter"
    )]
    InvalidHeredoc {
        line: usize,
        word: String,
        reason: String,
    },
    #[error("line {line}: unterminated heredoc {name:?}; end it with a line holding only `{name}`")]
    UnterminatedHeredoc { line: usize, name: String },
    #[error("line {line}: file with no instructions; add at least a FROM instruction")]
    NoInstructions { line: usize },
    #[error(
        "line {line}: dockerfile line greater than max allowed size of {max}; split it with line continuations"
    )]
    LineTooLong { line: usize, max: usize },
}

/// Go's `bufio.MaxScanTokenSize`: BuildKit cannot read a longer line.
const MAX_LINE_BYTES: usize = 64 * 1024;

/// Parses a whole Dockerfile exactly as BuildKit's `parser.Parse` does.
pub fn parse(source: &str) -> Result<Dockerfile, ParseError> {
    let mut directives = DirectiveScanner::default();
    let mut lines = LineScanner {
        rest: source,
        read: 0,
        too_long: false,
    };
    let mut current_line = 0;
    let mut nodes = Vec::new();
    let mut joined = String::new();
    while let Some(raw) = lines.next_line() {
        let raw = if current_line == 0 {
            raw.strip_prefix('\u{feff}').unwrap_or(raw)
        } else {
            raw
        };
        let token = trim_newline(raw).trim_start();
        directives.observe(token, current_line + 1)?;
        current_line += 1;
        let start_line = current_line;
        let escape = directives.value.escape;
        let token = if is_comment(token) { "" } else { token };
        let (first, mut continues) = trim_continuation(token, escape);
        if !continues && first.is_empty() {
            continue;
        }
        joined.clear();
        joined.push_str(first);
        while continues {
            let Some(raw) = lines.next_line() else { break };
            current_line += 1;
            let token = trim_newline(raw);
            // Comment and blank lines inside a continuation are dropped entirely.
            if is_comment(token) || token.trim_start().is_empty() {
                continue;
            }
            let (part, more) = trim_continuation(token, escape);
            joined.push_str(part);
            continues = more;
        }
        let mut node = instruction::node_from_line(&joined, escape, start_line)?;
        if can_contain_heredoc(&node) && joined.contains("<<") {
            let docs =
                heredoc::heredocs_from_line(&joined).map_err(|err| ParseError::InvalidHeredoc {
                    line: start_line,
                    word: err.word,
                    reason: err.reason,
                })?;
            for mut doc in docs {
                let mut terminated = false;
                while let Some(raw) = lines.next_line() {
                    current_line += 1;
                    let mut candidate = trim_newline(raw);
                    if doc.chomp {
                        candidate = candidate.trim_start_matches('\t');
                    }
                    if candidate == doc.name {
                        terminated = true;
                        break;
                    }
                    doc.content.push_str(raw);
                }
                if !terminated {
                    return Err(ParseError::UnterminatedHeredoc {
                        line: start_line,
                        name: doc.name,
                    });
                }
                node.heredocs.push(doc);
            }
        }
        set_lines(&mut node, start_line, current_line);
        nodes.push(node);
    }
    if nodes.is_empty() {
        return Err(ParseError::NoInstructions {
            line: current_line.max(1),
        });
    }
    if lines.too_long {
        return Err(ParseError::LineTooLong {
            line: lines.read + 1,
            max: MAX_LINE_BYTES - 1,
        });
    }
    Ok(Dockerfile {
        directives: directives.value,
        nodes,
    })
}

fn set_lines(node: &mut Node, start: usize, end: usize) {
    node.start_line = start;
    node.end_line = end;
    if let Some(child) = node.onbuild.as_deref_mut() {
        set_lines(child, start, end);
    }
}

/// Heredocs are only read for shell-form RUN/COPY/ADD, also behind ONBUILD.
fn can_contain_heredoc(node: &Node) -> bool {
    let target = match (&node.onbuild, node.keyword.as_str()) {
        (Some(child), "onbuild") => child,
        _ => node,
    };
    matches!(target.keyword.as_str(), "run" | "copy" | "add") && !target.json
}

/// Splits the source into lines that keep their `\n`, like BuildKit's scanner, and stops
/// (remembering why) at a line longer than BuildKit can read.
struct LineScanner<'a> {
    rest: &'a str,
    read: usize,
    too_long: bool,
}

impl<'a> LineScanner<'a> {
    fn next_line(&mut self) -> Option<&'a str> {
        if self.too_long || self.rest.is_empty() {
            return None;
        }
        let (len, fits) = match self.rest.find('\n') {
            Some(newline) => (newline + 1, newline < MAX_LINE_BYTES),
            // Without a newline the scanner's buffer must keep one free byte to see the end.
            None => (self.rest.len(), self.rest.len() < MAX_LINE_BYTES),
        };
        if !fits {
            self.too_long = true;
            return None;
        }
        let (line, rest) = self.rest.split_at(len);
        self.rest = rest;
        self.read += 1;
        Some(line)
    }
}

/// Go's `bytes.TrimRight(line, "\r\n")`.
fn trim_newline(line: &str) -> &str {
    line.trim_end_matches(['\r', '\n'])
}

fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Applies BuildKit's continuation regex `([^E])E[ \t]*$|^E[ \t]*$` (E = escape): returns the
/// line without the escape and whether the instruction continues on the next line.
fn trim_continuation(line: &str, escape: char) -> (&str, bool) {
    let body = line.trim_end_matches([' ', '\t']);
    let Some(before) = body.strip_suffix(escape) else {
        return (line, false);
    };
    // An escaped escape (`\\`) at the end is not a continuation.
    if before.ends_with(escape) {
        return (line, false);
    }
    (before, true)
}

/// Port of BuildKit's `DirectiveParser`: directives are only read until the first line that
/// is not a `# key=value` comment naming a known directive.
#[derive(Default)]
struct DirectiveScanner {
    value: Directives,
    escape_seen: bool,
    done: bool,
}

impl DirectiveScanner {
    fn observe(&mut self, token: &str, line: usize) -> Result<(), ParseError> {
        if self.done {
            return Ok(());
        }
        let Some((name, value)) = token
            .strip_prefix('#')
            .and_then(|rest| directive(rest.trim_start()))
        else {
            self.done = true;
            return Ok(());
        };
        let name = name.to_ascii_lowercase();
        let seen = match name.as_str() {
            "escape" => self.escape_seen,
            "syntax" => self.value.syntax.is_some(),
            "check" => self.value.check.is_some(),
            _ => {
                self.done = true;
                return Ok(());
            }
        };
        if seen {
            return Err(ParseError::DuplicateDirective { line, name });
        }
        match name.as_str() {
            "escape" => {
                self.escape_seen = true;
                self.value.escape = match value {
                    "\\" => '\\',
                    "`" => '`',
                    _ => {
                        return Err(ParseError::InvalidEscapeToken {
                            line,
                            token: value.to_owned(),
                        });
                    }
                };
            }
            "syntax" => self.value.syntax = Some(value.to_owned()),
            _ => self.value.check = Some(value.to_owned()),
        }
        Ok(())
    }
}

/// Matches `^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$` (Go's `\s` is `[\t\n\f\r ]`).
fn directive(text: &str) -> Option<(&str, &str)> {
    let is_space = |c: char| matches!(c, '\t' | '\n' | '\u{c}' | '\r' | ' ');
    if !text.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let name_end = text
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(text.len());
    let rest = text[name_end..]
        .trim_start_matches(is_space)
        .strip_prefix('=')?;
    let value = rest.trim_start_matches(is_space).trim_end_matches(is_space);
    if !value.is_empty() {
        return Some((&text[..name_end], value));
    }
    // All blank: the lazy group still takes one character, the last blank.
    let last = rest.chars().next_back()?;
    Some((&text[..name_end], &rest[rest.len() - last.len_utf8()..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(items: &[String]) -> Vec<&str> {
        items.iter().map(String::as_str).collect()
    }

    fn parsed(source: &str) -> Dockerfile {
        parse(source).unwrap_or_else(|err| panic!("{source:?}: {err}"))
    }

    #[test]
    fn directives() {
        // (source, escape, syntax, check)
        let cases: [(&str, char, Option<&str>, Option<&str>); 11] = [
            ("FROM a", '\\', None, None),
            (
                "# syntax=docker/dockerfile:1\n# escape=`\n# check=skip=all\nFROM a",
                '`',
                Some("docker/dockerfile:1"),
                Some("skip=all"),
            ),
            ("#escape=\\\nFROM a", '\\', None, None),
            ("  #  ESCAPE  =  `  \nFROM a", '`', None, None),
            ("# Syntax = a b \nFROM a", '\\', Some("a b"), None),
            ("\u{feff}# escape=`\nFROM a", '`', None, None),
            ("FROM a\n# escape=`\nRUN b", '\\', None, None),
            ("# comment\n# escape=`\nFROM a", '\\', None, None),
            ("\n# escape=`\nFROM a", '\\', None, None),
            (
                "# syntax=a\n# other=b\n# escape=`\nFROM a",
                '\\',
                Some("a"),
                None,
            ),
            ("# escape=`\n# escape\nFROM a", '`', None, None),
        ];
        for (source, escape, syntax, check) in cases {
            let d = parsed(source).directives;
            assert_eq!(
                (d.escape, d.syntax.as_deref(), d.check.as_deref()),
                (escape, syntax, check),
                "{source:?}"
            );
        }
    }

    #[test]
    fn directive_regex_edge_cases() {
        let cases = [
            ("escape=`", Some(("escape", "`"))),
            ("escape = ` \t", Some(("escape", "`"))),
            ("escape=  ", Some(("escape", " "))),
            ("escape=", None),
            ("1escape=`", None),
            ("esc ape=`", None),
            ("escape:`", None),
        ];
        for (text, expected) in cases {
            assert_eq!(directive(text), expected, "{text:?}");
        }
    }

    #[test]
    fn errors_carry_lines() {
        let cases: [(&str, ParseError); 12] = [
            ("", ParseError::NoInstructions { line: 1 }),
            ("# a\n\n# b\n", ParseError::NoInstructions { line: 3 }),
            (
                "# escape=x\nFROM a",
                ParseError::InvalidEscapeToken {
                    line: 1,
                    token: "x".into(),
                },
            ),
            (
                "# escape=\\\\\nFROM a",
                ParseError::InvalidEscapeToken {
                    line: 1,
                    token: "\\\\".into(),
                },
            ),
            (
                "# syntax=a\n# SYNTAX=b\nFROM a",
                ParseError::DuplicateDirective {
                    line: 2,
                    name: "syntax".into(),
                },
            ),
            (
                "FROM a\n\nENV PATH",
                ParseError::MissingValue {
                    line: 3,
                    instruction: "ENV".into(),
                },
            ),
            (
                "FROM a\nLABEL a=b c",
                ParseError::MissingEquals {
                    line: 2,
                    instruction: "LABEL".into(),
                    word: "c".into(),
                },
            ),
            (
                "FROM a\nCMD [ \"echo\", [ \"nested json\" ] ]",
                ParseError::NonStringJsonArray {
                    line: 2,
                    instruction: "CMD".into(),
                },
            ),
            (
                "FROM a\nONBUILD ENV x",
                ParseError::MissingValue {
                    line: 2,
                    instruction: "ENV".into(),
                },
            ),
            (
                "FROM a\nRUN <<EOF\necho\n",
                ParseError::UnterminatedHeredoc {
                    line: 2,
                    name: "EOF".into(),
                },
            ),
            (
                &format!("FROM a\nRUN {}", "x".repeat(MAX_LINE_BYTES)),
                ParseError::LineTooLong {
                    line: 2,
                    max: MAX_LINE_BYTES - 1,
                },
            ),
            (
                &format!("RUN {}", "x".repeat(MAX_LINE_BYTES)),
                ParseError::NoInstructions { line: 1 },
            ),
        ];
        for (source, expected) in cases {
            let err = parse(source).expect_err(&source[..source.len().min(40)]);
            assert_eq!(err, expected, "{:?}", &source[..source.len().min(40)]);
            assert!(err.to_string().starts_with("line "), "{err}");
            assert!(err.to_string().contains("; "), "{err}");
        }
    }

    #[test]
    fn line_length_limit_matches_go_scanner() {
        // (length of the RUN line without newline, newline present, accepted)
        let cases = [
            (MAX_LINE_BYTES - 1, true, true),
            (MAX_LINE_BYTES - 1, false, true),
            (MAX_LINE_BYTES, false, false),
            (MAX_LINE_BYTES, true, false),
        ];
        for (len, newline, accepted) in cases {
            let mut source = format!("FROM a\nRUN {}", "x".repeat(len - 4));
            if newline {
                source.push('\n');
            }
            assert_eq!(parse(&source).is_ok(), accepted, "{len} {newline}");
        }
    }

    #[test]
    fn continuations() {
        // (source, original of the last instruction, its args, start line, end line)
        let cases: [(&str, &str, &[&str], usize, usize); 11] = [
            ("RUN a \\\n  b", "RUN a   b", &["a   b"], 1, 2),
            ("RUN a \\  \t\n  b", "RUN a   b", &["a   b"], 1, 2),
            ("RUN a \\\n# c\n\n   \n b", "RUN a  b", &["a  b"], 1, 5),
            (
                "RUN a \\\n  # indented comment\n b",
                "RUN a  b",
                &["a  b"],
                1,
                3,
            ),
            ("RUN a \\\n\\\n b", "RUN a  b", &["a  b"], 1, 3),
            ("RUN a\\\\\nRUN b", "RUN b", &["b"], 2, 2),
            ("RUN a \\", "RUN a ", &["a"], 1, 1),
            ("RUN a \\\n", "RUN a ", &["a"], 1, 1),
            ("RUN a \\\r\n b\r\n", "RUN a  b", &["a  b"], 1, 2),
            (
                "# escape=`\nRUN a `\n b \\\n",
                "RUN a  b \\",
                &["a  b \\"],
                2,
                3,
            ),
            (
                "\n\n   RUN   a # not a comment",
                "RUN   a # not a comment",
                &["a # not a comment"],
                3,
                3,
            ),
        ];
        for (source, original, args, start, end) in cases {
            let df = parsed(source);
            let node = df.nodes.last().expect("one node");
            assert_eq!(
                (
                    node.original.as_str(),
                    strs(&node.args).as_slice(),
                    node.start_line,
                    node.end_line
                ),
                (original, args, start, end),
                "{source:?}"
            );
        }
    }

    #[test]
    fn heredocs() {
        type Doc<'a> = (&'a str, &'a str, bool, bool);
        let cases: [(&str, &[Doc]); 10] = [
            (
                "RUN <<EOF\necho hi\nEOF\n",
                &[("EOF", "echo hi\n", true, false)],
            ),
            ("RUN <<EMPTY\nEMPTY", &[("EMPTY", "", true, false)]),
            (
                "RUN <<-EOF\n\tbaz\n\tquux\n\tEOF\n",
                &[("EOF", "\tbaz\n\tquux\n", true, true)],
            ),
            (
                "RUN <<EOF\n\tEOF\nEOF\n",
                &[("EOF", "\tEOF\n", true, false)],
            ),
            (
                "RUN <<'EOF'\nno $expand\nEOF",
                &[("EOF", "no $expand\n", false, false)],
            ),
            ("RUN <<\"EOF\"\nx\nEOF", &[("EOF", "x\n", false, false)]),
            (
                "COPY <<FILE1 <<FILE2 /dest\ncontent 1\nFILE1\ncontent 2\nFILE2\n",
                &[
                    ("FILE1", "content 1\n", true, false),
                    ("FILE2", "content 2\n", true, false),
                ],
            ),
            (
                "COPY <<X <<Y /dest\nY\nX\nX\nY\n",
                &[("X", "Y\n", true, false), ("Y", "X\n", true, false)],
            ),
            (
                "RUN <<EOF\r\n# not a comment\r\nEOF\r\n",
                &[("EOF", "# not a comment\r\n", true, false)],
            ),
            ("ONBUILD RUN <<EOF\nx\nEOF", &[("EOF", "x\n", true, false)]),
        ];
        for (source, expected) in cases {
            let df = parsed(source);
            assert_eq!(df.nodes.len(), 1, "{source:?}");
            let got: Vec<Doc> = df.nodes[0]
                .heredocs
                .iter()
                .map(|d| (d.name.as_str(), d.content.as_str(), d.expand, d.chomp))
                .collect();
            assert_eq!(got, expected, "{source:?}");
        }
    }

    #[test]
    fn heredocs_only_for_shell_form_run_copy_add() {
        let source = "FROM a\nUSER <<INVALID\nINVALID\nRUN [\"<<EOF\"]\nRUN \"<<NO\"\nRUN a \\\n <<EOF\nbody\nEOF\nRUN x";
        let df = parsed(source);
        let summary: Vec<(&str, usize, usize, usize)> = df
            .nodes
            .iter()
            .map(|n| {
                (
                    n.keyword.as_str(),
                    n.heredocs.len(),
                    n.start_line,
                    n.end_line,
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("from", 0, 1, 1),
                ("user", 0, 2, 2),
                ("invalid", 0, 3, 3),
                ("run", 0, 4, 4),
                ("run", 0, 5, 5),
                ("run", 1, 6, 9),
                ("run", 0, 10, 10),
            ]
        );
    }

    #[test]
    fn exec_form_and_fallback() {
        // (line, args, json)
        let cases: [(&str, &[&str], bool); 11] = [
            ("CMD [\"a\", \"b\"]", &["a", "b"], true),
            ("CMD []", &[], true),
            ("CMD ['a']", &["['a']"], false),
            ("CMD [\"a\"", &["[\"a\""], false),
            ("CMD [\"a\"] b", &["[\"a\"] b"], false),
            ("RUN [\"a\"]", &["a"], true),
            ("SHELL [\"sh\", \"-c\"]", &["sh", "-c"], true),
            ("ENTRYPOINT echo [1]", &["echo [1]"], false),
            ("COPY [\"a b\", \"c\"]", &["a b", "c"], true),
            ("VOLUME /a  /b", &["/a", "/b"], false),
            ("HEALTHCHECK --interval=5s CMD [\"x\"]", &["CMD", "x"], true),
        ];
        for (line, args, json) in cases {
            let node = &parsed(line).nodes[0];
            assert_eq!(
                (strs(&node.args).as_slice(), node.json),
                (args, json),
                "{line}"
            );
        }
    }

    #[test]
    fn instruction_arguments() {
        // (line, keyword, flags, args)
        let cases: [(&str, &str, &[&str], &[&str]); 15] = [
            (
                "from --platform=$P a AS b",
                "from",
                &["--platform=$P"],
                &["a", "AS", "b"],
            ),
            ("RuN echo", "run", &[], &["echo"]),
            (
                "COPY --from=a --chown=x --chmod=755 --link s d",
                "copy",
                &["--from=a", "--chown=x", "--chmod=755", "--link"],
                &["s", "d"],
            ),
            (
                "ADD --checksum=sha256:x --keep-git-dir=true u /d",
                "add",
                &["--checksum=sha256:x", "--keep-git-dir=true"],
                &["u", "/d"],
            ),
            (
                "COPY --parents --exclude=*.md . /d",
                "copy",
                &["--parents", "--exclude=*.md"],
                &[".", "/d"],
            ),
            (
                "RUN --mount=type=secret,id=a --network=none --security=insecure x",
                "run",
                &[
                    "--mount=type=secret,id=a",
                    "--network=none",
                    "--security=insecure",
                ],
                &["x"],
            ),
            ("ENV a b c", "env", &[], &["a", "b c", ""]),
            (
                "ENV a=1 b=\"2 3\"",
                "env",
                &[],
                &["a", "1", "=", "b", "\"2 3\"", "="],
            ),
            ("LABEL \"k\"=v", "label", &[], &["\"k\"", "v", "="]),
            ("ARG a b=c", "arg", &[], &["a", "b=c"]),
            ("MAINTAINER  Jo  Doe ", "maintainer", &[], &["Jo  Doe"]),
            ("HEALTHCHECK NONE", "healthcheck", &[], &["NONE"]),
            ("STOPSIGNAL SIGKILL", "stopsignal", &[], &["SIGKILL"]),
            ("FOO bar", "foo", &[], &[""]),
            ("ONBUILD", "onbuild", &[], &[]),
        ];
        for (line, keyword, flags, args) in cases {
            let node = &parsed(line).nodes[0];
            assert_eq!(
                (
                    node.keyword.as_str(),
                    strs(&node.flags).as_slice(),
                    strs(&node.args).as_slice()
                ),
                (keyword, flags, args),
                "{line}"
            );
        }
    }

    #[test]
    fn onbuild_nests_the_trigger() {
        let node = &parsed("FROM a\nonbuild --x COPY --from=b c d").nodes[1];
        assert_eq!(
            (node.keyword.as_str(), node.flags.as_slice()),
            ("onbuild", &["--x".to_owned()][..])
        );
        let child = node.onbuild.as_deref().expect("trigger");
        assert_eq!(child.keyword, "copy");
        assert_eq!(child.original, "COPY --from=b c d");
        assert_eq!(child.flags, ["--from=b"]);
        assert_eq!(child.args, ["c", "d"]);
        assert_eq!((child.start_line, child.end_line), (2, 2));

        let deep = format!("{}RUN x", "ONBUILD ".repeat(200));
        assert_eq!(
            parse(&deep),
            Err(ParseError::OnbuildTooDeep { line: 1, limit: 64 })
        );
    }
}
