//! Finds heredoc openers (`<<EOF`, `<<-EOF`, `<<"EOF"`, `3<<EOF`) in a RUN/COPY/ADD line the
//! way BuildKit does, with a port of the parts of BuildKit's shell lexer that detection uses.

use super::Heredoc;

/// Why a heredoc opener could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HeredocError {
    pub(super) word: String,
    pub(super) reason: String,
}

/// Returns the heredocs a line opens, in order, with empty content.
pub(super) fn heredocs_from_line(line: &str) -> Result<Vec<Heredoc>, HeredocError> {
    // BuildKit ignores lexing errors of the whole line: such a line simply has no heredocs.
    let words = Lexer::process_words(line, true, true).unwrap_or_default();
    let mut docs = Vec::new();
    for word in &words {
        if let Some(doc) = parse_heredoc(word)? {
            docs.push(doc);
        }
    }
    Ok(docs)
}

/// Reads one word as `^(\d*)<<(-?)([^<]*)$` and, when it matches, lexes the delimiter.
fn parse_heredoc(word: &str) -> Result<Option<Heredoc>, HeredocError> {
    let digits_end = word
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(word.len());
    let Some(after) = word[digits_end..].strip_prefix("<<") else {
        return Ok(None);
    };
    let (chomp, rest) = match after.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, after),
    };
    if rest.contains('<') || rest.is_empty() {
        return Ok(None);
    }
    // Go's ParseUint error is ignored: overflow saturates, an empty number is 0.
    let file_descriptor = word[..digits_end].bytes().fold(0u64, |acc, b| {
        acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
    });
    let error = |reason: String| HeredocError {
        word: word.to_owned(),
        reason,
    };
    // Lexing with and without quote removal tells whether any part of the delimiter is
    // quoted, which turns off expansion of the content.
    let words = Lexer::process_words(rest, false, false).map_err(error)?;
    let [name] = words.as_slice() else {
        return Ok(None);
    };
    let raw_words = Lexer::process_words(rest, true, false).map_err(error)?;
    if raw_words.len() != words.len() {
        return Err(error(format!(
            "internal lexing of heredoc produced inconsistent results: {rest}"
        )));
    }
    let quotes = |s: &str| s.chars().filter(|c| matches!(c, '\'' | '"')).count();
    Ok(Some(Heredoc {
        name: name.clone(),
        content: String::new(),
        expand: quotes(name) == quotes(&raw_words[0]),
        chomp,
        file_descriptor,
    }))
}

/// Heredoc detection always lexes with the default escape token, whatever `# escape=` says.
const ESCAPE: char = '\\';

/// Port of BuildKit's `shell.Lex` with `SkipUnsetEnv` and an empty environment, so every
/// variable reference is kept verbatim.
struct Lexer {
    chars: Vec<char>,
    pos: usize,
    raw_quotes: bool,
    raw_escapes: bool,
    /// BuildKit shares one word buffer between nested `${...}` scans; sharing it here keeps
    /// the same (odd) word splitting.
    words_buf: String,
}

#[derive(Default)]
struct Words {
    list: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, ch: char, buf: &mut String) {
        if ch.is_whitespace() {
            if self.in_word && !buf.is_empty() {
                self.list.push(std::mem::take(buf));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(ch, buf);
        }
    }

    fn add_raw_char(&mut self, ch: char, buf: &mut String) {
        buf.push(ch);
        self.in_word = true;
    }

    fn add_string(&mut self, s: &str, buf: &mut String) {
        for ch in s.chars() {
            self.add_char(ch, buf);
        }
    }

    fn add_raw_string(&mut self, s: &str, buf: &mut String) {
        buf.push_str(s);
        self.in_word = true;
    }

    fn finish(mut self, buf: &mut String) -> Vec<String> {
        if !buf.is_empty() {
            self.list.push(std::mem::take(buf));
        }
        self.list
    }
}

/// Go's `string(rune)` of a scanner result, where end of input (-1) prints as U+FFFD.
fn rune_text(ch: Option<char>) -> char {
    ch.unwrap_or('\u{FFFD}')
}

impl Lexer {
    fn process_words(
        src: &str,
        raw_quotes: bool,
        raw_escapes: bool,
    ) -> Result<Vec<String>, String> {
        let chars: Vec<char> = src.chars().collect();
        // Go's text/scanner drops a byte-order mark at the very start of its input.
        let pos = usize::from(chars.first() == Some(&'\u{feff}'));
        let mut lexer = Lexer {
            chars,
            pos,
            raw_quotes,
            raw_escapes,
            words_buf: String::new(),
        };
        lexer
            .process_stop_on(None, raw_escapes)
            .map(|(_, words)| words)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let ch = self.peek();
        if ch.is_some() {
            self.pos += 1;
        }
        ch
    }

    fn process_stop_on(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
    ) -> Result<(String, Vec<String>), String> {
        let saved = std::mem::replace(&mut self.raw_escapes, raw_escapes);
        let out = self.scan_until(stop);
        self.raw_escapes = saved;
        out
    }

    fn scan_until(&mut self, stop: Option<char>) -> Result<(String, Vec<String>), String> {
        let mut result = String::new();
        self.words_buf.clear();
        let mut words = Words::default();
        while let Some(ch) = self.peek() {
            if stop == Some(ch) {
                self.pos += 1;
                return Ok((result, words.finish(&mut self.words_buf)));
            }
            match ch {
                '$' => {
                    let value = self.process_dollar()?;
                    result.push_str(&value);
                    words.add_string(&value, &mut self.words_buf);
                }
                '\'' | '"' => {
                    let quoted = if ch == '\'' {
                        self.single_quote()?
                    } else {
                        self.double_quote()?
                    };
                    result.push_str(&quoted);
                    words.add_raw_string(&quoted, &mut self.words_buf);
                }
                _ => {
                    self.pos += 1;
                    let mut ch = ch;
                    if ch == ESCAPE {
                        if self.raw_escapes {
                            words.add_raw_char(ch, &mut self.words_buf);
                            result.push(ch);
                        }
                        match self.next() {
                            Some(escaped) => ch = escaped,
                            None => break,
                        }
                        words.add_raw_char(ch, &mut self.words_buf);
                    } else {
                        words.add_char(ch, &mut self.words_buf);
                    }
                    result.push(ch);
                }
            }
        }
        if let Some(stop) = stop {
            return Err(format!(
                "unexpected end of statement while looking for matching {stop}"
            ));
        }
        Ok((result, words.finish(&mut self.words_buf)))
    }

    fn single_quote(&mut self) -> Result<String, String> {
        let mut result = String::new();
        let open = self.next();
        if self.raw_quotes {
            result.extend(open);
        }
        loop {
            match self.next() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching single-quote"
                            .to_owned(),
                    );
                }
                Some('\'') => {
                    if self.raw_quotes {
                        result.push('\'');
                    }
                    return Ok(result);
                }
                Some(ch) => result.push(ch),
            }
        }
    }

    fn double_quote(&mut self) -> Result<String, String> {
        let mut result = String::new();
        let open = self.next();
        if self.raw_quotes {
            result.extend(open);
        }
        loop {
            match self.peek() {
                None => {
                    return Err(
                        "unexpected end of statement while looking for matching double-quote"
                            .to_owned(),
                    );
                }
                Some('"') => {
                    self.pos += 1;
                    if self.raw_quotes {
                        result.push('"');
                    }
                    return Ok(result);
                }
                Some('$') => {
                    let value = self.process_dollar()?;
                    result.push_str(&value);
                }
                Some(mut ch) => {
                    self.pos += 1;
                    if ch == ESCAPE {
                        if self.raw_escapes {
                            result.push(ch);
                        }
                        match self.peek() {
                            // The dangling escape is dropped; the next turn reports the open quote.
                            None => continue,
                            Some(next @ ('"' | '$' | ESCAPE)) => {
                                self.pos += 1;
                                ch = next;
                            }
                            Some(_) => {}
                        }
                    }
                    result.push(ch);
                }
            }
        }
    }

    /// Expands a `$` reference; with no variables set, BuildKit keeps the reference text.
    fn process_dollar(&mut self) -> Result<String, String> {
        self.pos += 1;
        if self.peek() != Some('{') {
            let name = self.process_name();
            return Ok(format!("${name}"));
        }
        self.pos += 1;
        match self.peek() {
            None => return Err("syntax error: missing '}'".to_owned()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".to_owned()),
            Some(_) => {}
        }
        let name = self.process_name();
        let ch = self.next();
        let mut modifier = String::from(rune_text(ch));
        match ch {
            Some('}') => Ok(format!("${{{name}}}")),
            Some(':' | '+' | '-' | '?' | '#' | '%') => {
                let mut op = ch;
                let null_is_unset = ch == Some(':');
                if null_is_unset {
                    op = self.next();
                    modifier.push(rune_text(op));
                }
                let raw = matches!(op, Some('#' | '%'));
                if null_is_unset && raw {
                    return Err(format!("unsupported modifier ({modifier}) in substitution"));
                }
                let word = self.nested('}', raw, "syntax error: missing '}'")?;
                Ok(format!("${{{name}{modifier}{word}}}"))
            }
            Some('/') => {
                if self.peek() == Some('/') {
                    self.pos += 1;
                }
                let pattern = self.nested('/', true, "syntax error: missing '/' in ${}")?;
                let replacement = self.nested('}', true, "syntax error: missing '}'")?;
                Ok(format!("${{{name}/{pattern}/{replacement}}}"))
            }
            _ => Err(format!("unsupported modifier ({modifier}) in substitution")),
        }
    }

    /// Scans a nested word up to `stop`, reporting `at_end` when the input ran out.
    fn nested(&mut self, stop: char, raw_escapes: bool, at_end: &str) -> Result<String, String> {
        match self.process_stop_on(Some(stop), raw_escapes) {
            Ok((word, _)) => Ok(word),
            Err(_) if self.peek().is_none() => Err(at_end.to_owned()),
            Err(err) => Err(err),
        }
    }

    fn process_name(&mut self) -> String {
        // Rust's Alphabetic/Numeric properties stand in for Go's unicode.IsLetter/IsDigit; they
        // agree on ASCII, and with no variables set the kept text is the same either way.
        let is_digit = |c: char| c.is_ascii_digit() || (!c.is_ascii() && c.is_numeric());
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && is_digit(ch) {
                while let Some(digit) = self.peek().filter(|c| is_digit(*c)) {
                    self.pos += 1;
                    name.push(digit);
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.pos += 1;
                return ch.to_string();
            }
            if !ch.is_alphabetic() && !is_digit(ch) && ch != '_' {
                break;
            }
            self.pos += 1;
            name.push(ch);
        }
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_heredoc_matches_buildkit_helpers() {
        for src in [
            "<<EOF",
            "<<'EOF'",
            "<<\"EOF\"",
            "<<-EOF",
            "<<-'EOF'",
            "<<-\"EOF\"",
        ] {
            let doc = parse_heredoc(src).expect(src).expect(src);
            assert_eq!(doc.name, "EOF", "{src}");
        }
        for src in ["<<'EOF", "<<\"EOF", "<<EOF'", "<<EOF\""] {
            assert!(parse_heredoc(src).is_err(), "{src} must be rejected");
        }
        for src in ["", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<''", "a<<EOF"] {
            assert_eq!(parse_heredoc(src), Ok(None), "{src} is not a heredoc");
        }
    }

    #[test]
    fn heredoc_attributes() {
        // (word, name, expand, chomp, file descriptor)
        let cases = [
            ("<<EOF", "EOF", true, false, 0),
            ("<<-EOF", "EOF", true, true, 0),
            ("<<'EOF'", "EOF", false, false, 0),
            ("<<-\"EOF\"", "EOF", false, true, 0),
            ("<<E'O'F", "EOF", false, false, 0),
            ("<<\\'EOF", "'EOF", true, false, 0),
            ("3<<EOF", "EOF", true, false, 3),
            ("99999999999999999999<<EOF", "EOF", true, false, u64::MAX),
            ("<<$X", "$X", true, false, 0),
            ("<<${X}", "${X}", true, false, 0),
            ("<<${X:-a}", "${X:-a}", true, false, 0),
            ("<<${X//a/b}", "${X/a/b}", true, false, 0),
            ("<<\u{feff}EOF", "EOF", true, false, 0),
        ];
        for (word, name, expand, chomp, fd) in cases {
            let doc = parse_heredoc(word).expect(word).expect(word);
            assert_eq!(
                (
                    doc.name.as_str(),
                    doc.expand,
                    doc.chomp,
                    doc.file_descriptor
                ),
                (name, expand, chomp, fd),
                "{word}"
            );
        }
        let err = parse_heredoc("<<${X:%a}").expect_err("bad modifier");
        assert_eq!(err.reason, "unsupported modifier (:%) in substitution");
    }

    #[test]
    fn heredocs_from_line_finds_every_opener() {
        let cases: [(&str, &[&str]); 12] = [
            ("RUN <<EOF", &["EOF"]),
            ("RUN <<-EOF", &["EOF"]),
            ("RUN <<'EOF'", &["EOF"]),
            ("RUN 4<<EOF", &["EOF"]),
            ("RUN <<EOF <<EOF2", &["EOF", "EOF2"]),
            ("COPY <<FILE1 <<FILE2 /dest", &["FILE1", "FILE2"]),
            ("RUN --mount=type=cache,target=/foo <<MOUNT", &["MOUNT"]),
            ("RUN cat <<EOF > /file", &["EOF"]),
            ("RUN '<<EOF'", &[]),
            ("RUN \"<<EOF\"", &[]),
            ("RUN <<EOF 'unterminated", &[]),
            ("RUN a<<EOF", &[]),
        ];
        for (line, names) in cases {
            let docs = heredocs_from_line(line).expect(line);
            let found: Vec<&str> = docs.iter().map(|d| d.name.as_str()).collect();
            assert_eq!(found, names, "{line}");
        }
    }

    #[test]
    fn lexer_words() {
        // (input, raw quotes, raw escapes, words)
        let cases: [(&str, bool, bool, &[&str]); 8] = [
            ("a  b\tc", false, false, &["a", "b", "c"]),
            ("'a b' \"c d\"", false, false, &["a b", "c d"]),
            ("'a b' \"c d\"", true, false, &["'a b'", "\"c d\""]),
            ("a\\ b", false, false, &["a b"]),
            ("a\\ b", false, true, &["a\\ b"]),
            ("\"a\\\"b\\n\"", false, false, &["a\"b\\n"]),
            ("$1x ${a:+b c}", false, false, &["$1x", "${a:+b", "c}"]),
            ("ab${x:-c}d", false, false, &["${x:-c}d"]),
        ];
        for (input, raw_quotes, raw_escapes, expected) in cases {
            let words = Lexer::process_words(input, raw_quotes, raw_escapes).expect(input);
            assert_eq!(words, expected, "{input}");
        }
    }
}
