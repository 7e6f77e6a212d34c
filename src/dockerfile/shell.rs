//! Shell-style word expansion for Dockerfile instructions, ported from BuildKit's
//! `frontend/dockerfile/shell/lex.go`: quotes, the escape token, `$VAR` and `${VAR…}`
//! substitutions, and word splitting, with Unix (case-sensitive) variable names.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

/// Variables visible to an expansion.
pub trait Vars {
    /// The value of `name`, or `None` when it is unset (an empty value is still set).
    fn get(&self, name: &str) -> Option<&str>;
}

impl Vars for BTreeMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        BTreeMap::get(self, name).map(String::as_str)
    }
}

impl<S: BuildHasher> Vars for HashMap<String, String, S> {
    fn get(&self, name: &str) -> Option<&str> {
        HashMap::get(self, name).map(String::as_str)
    }
}

/// Why a word could not be expanded. `column` is the 1-based character position in `word` of the
/// quote or `$` that starts the faulty construct.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ExpandError {
    #[error(
        "cannot expand {word:?}: the {quote} at column {column} opens a quote that is never \
         closed; add the closing {quote} or escape the opening one"
    )]
    UnterminatedQuote {
        word: String,
        column: usize,
        quote: char,
    },
    #[error(
        "cannot expand {word:?}: the `${{` at column {column} is never closed; add the missing `}}`"
    )]
    MissingBrace { word: String, column: usize },
    #[error(
        "cannot expand {word:?}: bad substitution at column {column}; `${{` must be followed by a \
         variable name as in `${{NAME}}` (write `\\$` for a literal `$`)"
    )]
    BadSubstitution { word: String, column: usize },
    #[error(
        "cannot expand {word:?}: unsupported modifier `{modifier}` after variable {name:?} at \
         column {column}; use one of `:-` `-` `:+` `+` `:?` `?` `#` `##` `%` `%%` `/` `//`"
    )]
    UnsupportedModifier {
        word: String,
        column: usize,
        name: String,
        modifier: String,
    },
    #[error("cannot expand {word:?}: {name}: {message}")]
    UnsetVariable {
        word: String,
        column: usize,
        name: String,
        message: String,
    },
    #[error("cannot expand {word:?}: {name}: {message}")]
    EmptyVariable {
        word: String,
        column: usize,
        name: String,
        message: String,
    },
    #[error(
        "cannot expand {word:?}: the substitution of {name:?} at column {column} needs a second \
         `/`; write `${{{name}/pattern/replacement}}`"
    )]
    MissingSlash {
        word: String,
        column: usize,
        name: String,
    },
    #[error(
        "cannot expand {word:?}: invalid pattern {pattern:?} for {name:?} at column {column}; in a \
         pattern `\\` may only escape `*`, `?`, `\\`, `}}` or `/` (write `\\\\` for a backslash)"
    )]
    InvalidPattern {
        word: String,
        column: usize,
        name: String,
        pattern: String,
    },
}

/// Expands words the way BuildKit's `shell.Lex` does with its default options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lexer {
    escape: char,
}

impl Lexer {
    /// A lexer whose escape token is `escape` (`\` by default, `` ` `` after `# escape=``).
    pub fn new(escape: char) -> Self {
        Self { escape }
    }

    /// Expands `word` into one string: quotes are removed, escapes applied and variables
    /// substituted, with no word splitting.
    pub fn process_word(&self, word: &str, vars: &dyn Vars) -> Result<String, ExpandError> {
        Expander::new(word, self.escape, vars)
            .scan(None, false, &mut ())
            .map(|(text, _)| text)
    }

    /// Expands `word` and splits it on unquoted, unescaped whitespace, including whitespace that
    /// comes from unquoted variable values.
    pub fn process_words(&self, word: &str, vars: &dyn Vars) -> Result<Vec<String>, ExpandError> {
        let mut words = Words::default();
        Expander::new(word, self.escape, vars).scan(None, false, &mut words)?;
        Ok(words.finish())
    }
}

/// Receives the pieces of the top-level word so `process_words` can split it; nested
/// substitution words use `()` and skip that work.
trait Sink {
    /// A literal character that splits words when it is whitespace.
    fn plain(&mut self, ch: char);
    /// An escaped character, which never splits.
    fn raw_char(&mut self, ch: char);
    /// The value of a substitution, split on its whitespace.
    fn expanded(&mut self, text: &str);
    /// The contents of a quoted string, which never splits and always makes a word.
    fn quoted(&mut self, text: &str);
}

impl Sink for () {
    fn plain(&mut self, _: char) {}
    fn raw_char(&mut self, _: char) {}
    fn expanded(&mut self, _: &str) {}
    fn quoted(&mut self, _: &str) {}
}

/// Word splitting state of BuildKit's `wordsStruct`.
#[derive(Default)]
struct Words {
    done: Vec<String>,
    current: String,
    // Set by quotes even when they are empty, so `""` alone stays in a word but yields none.
    in_word: bool,
}

impl Words {
    fn finish(mut self) -> Vec<String> {
        if !self.current.is_empty() {
            self.done.push(self.current);
        }
        self.done
    }
}

impl Sink for Words {
    fn plain(&mut self, ch: char) {
        if !ch.is_whitespace() {
            self.raw_char(ch);
        } else if self.in_word && !self.current.is_empty() {
            self.done.push(std::mem::take(&mut self.current));
            self.in_word = false;
        }
    }

    fn raw_char(&mut self, ch: char) {
        self.current.push(ch);
        self.in_word = true;
    }

    fn expanded(&mut self, text: &str) {
        text.chars().for_each(|ch| self.plain(ch));
    }

    fn quoted(&mut self, text: &str) {
        self.current.push_str(text);
        self.in_word = true;
    }
}

/// One expansion of one word: a cursor over it plus what it needs to resolve substitutions.
struct Expander<'a> {
    word: &'a str,
    pos: usize,
    escape: char,
    vars: &'a dyn Vars,
}

impl<'a> Expander<'a> {
    fn new(word: &'a str, escape: char, vars: &'a dyn Vars) -> Self {
        // Go's text/scanner, which BuildKit reads words with, skips a leading byte order mark.
        let pos = if word.starts_with('\u{feff}') { 3 } else { 0 };
        Self {
            word,
            pos,
            escape,
            vars,
        }
    }

    fn peek(&self) -> Option<char> {
        self.word[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let ch = self.peek()?;
        self.pos += ch.len_utf8();
        Some(ch)
    }

    fn column(&self, byte: usize) -> usize {
        self.word[..byte].chars().count() + 1
    }

    /// Processes up to `stop` (consumed) or the end of the word; the flag says whether `stop` was
    /// found. With `raw`, escape tokens are kept in the result: patterns need them.
    fn scan(
        &mut self,
        stop: Option<char>,
        raw: bool,
        sink: &mut impl Sink,
    ) -> Result<(String, bool), ExpandError> {
        let mut text = String::new();
        while let Some(ch) = self.peek() {
            if Some(ch) == stop {
                self.pos += ch.len_utf8();
                return Ok((text, true));
            }
            match ch {
                '$' => {
                    let value = self.dollar()?;
                    sink.expanded(&value);
                    text.push_str(&value);
                }
                '\'' | '"' => {
                    let quoted = if ch == '\'' {
                        self.single_quote()?
                    } else {
                        self.double_quote(raw)?
                    };
                    sink.quoted(&quoted);
                    text.push_str(&quoted);
                }
                _ => {
                    self.pos += ch.len_utf8();
                    if ch != self.escape {
                        sink.plain(ch);
                        text.push(ch);
                        continue;
                    }
                    if raw {
                        sink.raw_char(ch);
                        text.push(ch);
                    }
                    // An escape token at the very end escapes nothing and is dropped.
                    let Some(escaped) = self.bump() else { break };
                    sink.raw_char(escaped);
                    text.push(escaped);
                }
            }
        }
        Ok((text, false))
    }

    /// The word of a `${NAME…}` substitution up to `stop`; `dollar` is where the `$` was.
    fn nested(
        &mut self,
        stop: char,
        raw: bool,
        dollar: usize,
        name: &str,
    ) -> Result<String, ExpandError> {
        match self.scan(Some(stop), raw, &mut ()) {
            Ok((text, true)) => Ok(text),
            Err(err) if self.peek().is_some() => Err(err),
            // BuildKit reports any failure that ran into the end of the word as the missing closer.
            _ if stop == '/' => Err(ExpandError::MissingSlash {
                word: self.word.to_owned(),
                column: self.column(dollar),
                name: name.to_owned(),
            }),
            _ => Err(self.missing_brace(dollar)),
        }
    }

    fn missing_brace(&self, dollar: usize) -> ExpandError {
        ExpandError::MissingBrace {
            word: self.word.to_owned(),
            column: self.column(dollar),
        }
    }

    fn unterminated(&self, start: usize, quote: char) -> ExpandError {
        ExpandError::UnterminatedQuote {
            word: self.word.to_owned(),
            column: self.column(start),
            quote,
        }
    }

    /// Everything up to the next `'` is literal; nothing can be escaped inside.
    fn single_quote(&mut self) -> Result<String, ExpandError> {
        let start = self.pos;
        self.pos += 1;
        let rest = &self.word[self.pos..];
        let Some(len) = rest.find('\'') else {
            return Err(self.unterminated(start, '\''));
        };
        self.pos += len + 1;
        Ok(rest[..len].to_owned())
    }

    /// Substitutions are expanded; the escape token only escapes `"`, `$` and itself and is kept
    /// literally before anything else.
    fn double_quote(&mut self, raw: bool) -> Result<String, ExpandError> {
        let start = self.pos;
        self.pos += 1;
        let mut text = String::new();
        loop {
            match self.peek() {
                None => return Err(self.unterminated(start, '"')),
                Some('"') => {
                    self.pos += 1;
                    return Ok(text);
                }
                Some('$') => text.push_str(&self.dollar()?),
                Some(mut ch) => {
                    self.pos += ch.len_utf8();
                    if ch == self.escape {
                        if raw {
                            text.push(ch);
                        }
                        match self.peek() {
                            None => continue,
                            Some(next) if next == '"' || next == '$' || next == self.escape => {
                                self.pos += next.len_utf8();
                                ch = next;
                            }
                            Some(_) => {}
                        }
                    }
                    text.push(ch);
                }
            }
        }
    }

    /// Reads a variable name: a run of digits (positional), one special parameter character, or
    /// letters, digits and underscores.
    fn name(&mut self) -> &'a str {
        let word = self.word;
        let start = self.pos;
        while let Some(ch) = self.peek() {
            if self.pos == start && is_digit(ch) {
                while let Some(digit) = self.peek().filter(|&c| is_digit(c)) {
                    self.pos += digit.len_utf8();
                }
                break;
            }
            if self.pos == start && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.pos += 1;
                break;
            }
            if !is_letter(ch) && !is_digit(ch) && ch != '_' {
                break;
            }
            self.pos += ch.len_utf8();
        }
        &word[start..self.pos]
    }

    /// Expands the substitution starting at the `$` under the cursor.
    fn dollar(&mut self) -> Result<Cow<'a, str>, ExpandError> {
        let vars = self.vars;
        let start = self.pos;
        self.pos += 1;
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok(Cow::Borrowed("$"));
            }
            return Ok(Cow::Borrowed(vars.get(name).unwrap_or_default()));
        }
        self.pos += 1;
        match self.peek() {
            None => return Err(self.missing_brace(start)),
            Some('{' | '}' | ':') => {
                return Err(ExpandError::BadSubstitution {
                    word: self.word.to_owned(),
                    column: self.column(start),
                });
            }
            Some(_) => {}
        }
        let name = self.name();
        match self.bump() {
            None => Err(self.missing_brace(start)),
            Some('}') => Ok(Cow::Borrowed(vars.get(name).unwrap_or_default())),
            Some(op @ (':' | '+' | '-' | '?' | '#' | '%')) => self.modifier(start, name, op),
            Some('/') => self.substitute(start, name),
            Some(op) => Err(self.unsupported(start, name, op.to_string())),
        }
    }

    fn unsupported(&self, dollar: usize, name: &str, modifier: String) -> ExpandError {
        ExpandError::UnsupportedModifier {
            word: self.word.to_owned(),
            column: self.column(dollar),
            name: name.to_owned(),
            modifier,
        }
    }

    /// `${NAME<op>word}` for the defaulting, checking and trimming operators; `op` is `:` when the
    /// real operator follows it (then an empty value counts as unset).
    fn modifier(
        &mut self,
        dollar: usize,
        name: &'a str,
        op: char,
    ) -> Result<Cow<'a, str>, ExpandError> {
        let (null_is_unset, op) = if op == ':' {
            (true, self.bump())
        } else {
            (false, Some(op))
        };
        let word = self.nested('}', matches!(op, Some('#' | '%')), dollar, name)?;
        let value = self.vars.get(name);
        let unset = value.is_none_or(|v| null_is_unset && v.is_empty());
        let column = self.column(dollar);
        match op {
            Some('-') if unset => Ok(Cow::Owned(word)),
            Some('-') => Ok(Cow::Borrowed(value.unwrap_or_default())),
            Some('+') if unset => Ok(Cow::Borrowed("")),
            Some('+') => Ok(Cow::Owned(word)),
            Some('?') => match value {
                None => Err(ExpandError::UnsetVariable {
                    word: self.word.to_owned(),
                    column,
                    name: name.to_owned(),
                    message: message_or(
                        word,
                        "is not allowed to be unset; define it with ARG or ENV before this line",
                    ),
                }),
                Some("") if null_is_unset => Err(ExpandError::EmptyVariable {
                    word: self.word.to_owned(),
                    column,
                    name: name.to_owned(),
                    message: message_or(
                        word,
                        "is not allowed to be empty; give it a non-empty value",
                    ),
                }),
                Some(v) => Ok(Cow::Borrowed(v)),
            },
            Some(op @ ('#' | '%')) => {
                // `##` and `%%` remove the longest match, `#` and `%` the shortest.
                let (greedy, pattern) = match word.strip_prefix(op) {
                    Some(pattern) => (true, pattern),
                    None => (false, word.as_str()),
                };
                let value = value.unwrap_or_default();
                trim(value, pattern, op == '%', greedy)
                    .map(Cow::Owned)
                    .ok_or_else(|| ExpandError::InvalidPattern {
                        word: self.word.to_owned(),
                        column,
                        name: name.to_owned(),
                        pattern: pattern.to_owned(),
                    })
            }
            _ => {
                let mut modifier = String::from(if null_is_unset { ":" } else { "" });
                modifier.extend(op);
                Err(self.unsupported(dollar, name, modifier))
            }
        }
    }

    /// `${NAME/pattern/replacement}` and `${NAME//pattern/replacement}` (every match).
    fn substitute(&mut self, dollar: usize, name: &'a str) -> Result<Cow<'a, str>, ExpandError> {
        let all = self.peek() == Some('/');
        if all {
            self.pos += 1;
        }
        let pattern = self.nested('/', true, dollar, name)?;
        let replacement = self.nested('}', true, dollar, name)?;
        let value = self.vars.get(name).unwrap_or_default();
        let Some(tokens) = compile(&pattern) else {
            return Err(ExpandError::InvalidPattern {
                word: self.word.to_owned(),
                column: self.column(dollar),
                name: name.to_owned(),
                pattern,
            });
        };
        let mut matcher = Matcher::new(&tokens);
        if all {
            return Ok(Cow::Owned(replace_all(&mut matcher, value, &replacement)));
        }
        Ok(match matcher.find(value, 0, false, true) {
            Some((start, end)) => {
                Cow::Owned([&value[..start], &replacement, &value[end..]].concat())
            }
            None => Cow::Borrowed(value),
        })
    }
}

fn message_or(custom: String, default: &str) -> String {
    if custom.is_empty() {
        default.to_owned()
    } else {
        custom
    }
}

// Go's unicode.IsLetter and unicode.IsDigit are the Unicode categories L and Nd; std only offers
// the wider Alphabetic and Numeric properties, which agree for every ASCII, Latin, CJK and Hangul
// name and differ only on rare marks and number forms such as `²`.
fn is_letter(ch: char) -> bool {
    ch.is_alphabetic()
}

fn is_digit(ch: char) -> bool {
    ch.is_numeric()
}

/// One element of a shell pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `?`: one character other than a newline (Go's `.`).
    Any,
    /// `*`: any run of characters other than newlines (Go's `.*` or `.*?`).
    Star,
}

/// Parses a pattern as BuildKit's `convertShellPatternToRegex` does, or `None` for an invalid
/// escape. Patterns always use `\` to escape, whatever the Dockerfile's escape token is.
fn compile(pattern: &str) -> Option<Vec<Token>> {
    let mut tokens = Vec::with_capacity(pattern.len());
    let mut chars = pattern.chars().peekable();
    while let Some(ch) = chars.next() {
        tokens.push(match ch {
            '*' => Token::Star,
            '?' => Token::Any,
            '\\' => {
                // This escape only kept `}` or `/` from ending the substitution; the character
                // itself is then an ordinary literal.
                if matches!(chars.peek(), Some('}' | '/')) {
                    continue;
                }
                match chars.next() {
                    Some(escaped @ ('*' | '?' | '\\')) => Token::Literal(escaped),
                    _ => return None,
                }
            }
            literal => Token::Literal(literal),
        });
    }
    Some(tokens)
}

/// Reverses a pattern but keeps each `\x` pair in order (`a\*c` → `c\*a`), like BuildKit's
/// `reversePattern`: a lone trailing `\` moves to the front.
fn reverse_pattern(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = vec!['\0'; chars.len()];
    let mut i = 0;
    while i < chars.len() {
        let at = chars.len() - 1 - i;
        if chars[i] == '\\' && i + 1 < chars.len() {
            out[at - 1] = '\\';
            out[at] = chars[i + 1];
            i += 2;
        } else {
            out[at] = chars[i];
            i += 1;
        }
    }
    out.into_iter().collect()
}

/// `${VAR#pattern}` (prefix) or `${VAR%pattern}` (suffix); `None` for an invalid pattern.
fn trim(value: &str, pattern: &str, suffix: bool, greedy: bool) -> Option<String> {
    if !suffix {
        let tokens = compile(pattern)?;
        let end = Matcher::new(&tokens)
            .find(value, 0, true, greedy)
            .map_or(0, |(_, end)| end);
        return Some(value[end..].to_owned());
    }
    // BuildKit turns the suffix search into a prefix search on both strings reversed, and its
    // pattern reversal decides what a trailing `\` escapes, so this does the same.
    let tokens = compile(&reverse_pattern(pattern))?;
    let reversed: String = value.chars().rev().collect();
    let len = Matcher::new(&tokens)
        .find(&reversed, 0, true, greedy)
        .map_or(0, |(_, end)| end);
    Some(value[..value.len() - len].to_owned())
}

/// Go's `Regexp.ReplaceAllString` for a compiled pattern, including its rules for empty matches.
fn replace_all(matcher: &mut Matcher<'_>, value: &str, template: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut last_end = 0;
    let mut search = 0;
    while search <= value.len() {
        let Some((start, end)) = matcher.find(value, search, false, true) else {
            break;
        };
        out.push_str(&value[last_end..start]);
        // An empty match right after the previous match is not replaced again.
        if end > last_end || start == 0 {
            expand_template(&mut out, template, &value[start..end]);
        }
        last_end = end;
        let width = value[search..].chars().next().map_or(0, char::len_utf8);
        search = if search + width > end {
            search + width
        } else if search + 1 > end {
            search + 1
        } else {
            end
        };
    }
    out.push_str(&value[last_end..]);
    out
}

/// Go's `Regexp.Expand` of a replacement for a pattern without groups: `$$` is `$`, `$0` and
/// `${0}` are the match, other well-formed references are empty and malformed ones literal.
fn expand_template(out: &mut String, template: &str, matched: &str) {
    let mut rest = template;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        rest = &rest[at + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
            continue;
        }
        let (braced, body) = match rest.strip_prefix('{') {
            Some(body) => (true, body),
            None => (false, rest),
        };
        let len = body
            .char_indices()
            .find(|&(_, ch)| !is_letter(ch) && !is_digit(ch) && ch != '_')
            .map_or(body.len(), |(i, _)| i);
        let after = if braced {
            body[len..].strip_prefix('}')
        } else {
            Some(&body[len..])
        };
        match after {
            Some(after) if len > 0 => {
                if &body[..len] == "0" {
                    out.push_str(matched);
                }
                rest = after;
            }
            _ => out.push('$'),
        }
    }
    out.push_str(rest);
}

const UNREACHED: usize = usize::MAX;

/// Finds pattern matches by tracking, for every position of the value, the leftmost start from
/// which the tokens so far can reach it: linear per token, with no backtracking blow-up.
///
/// Go's leftmost-first regexp picks, at the leftmost start, the match a backtracking engine finds
/// first. With only literals, `?` and stars of one greediness that is the longest (greedy) or the
/// shortest (lazy) match from that start, because a star can absorb any earlier choice.
struct Matcher<'t> {
    tokens: &'t [Token],
    reach: Vec<usize>,
    next: Vec<usize>,
}

impl<'t> Matcher<'t> {
    fn new(tokens: &'t [Token]) -> Self {
        Self {
            tokens,
            reach: Vec::new(),
            next: Vec::new(),
        }
    }

    /// The byte range of the match starting leftmost at or after `from` (exactly at `from` when
    /// `anchored`). `from` must be a character boundary of `value`.
    fn find(
        &mut self,
        value: &str,
        from: usize,
        anchored: bool,
        greedy: bool,
    ) -> Option<(usize, usize)> {
        let len = value.len();
        self.reach.clear();
        self.reach.resize(len + 1, UNREACHED);
        if anchored {
            self.reach[from] = from;
        } else {
            for (i, _) in value[from..].char_indices() {
                self.reach[from + i] = from + i;
            }
            self.reach[len] = len;
        }
        for &token in self.tokens {
            if token == Token::Star {
                for (i, ch) in value.char_indices() {
                    let start = self.reach[i];
                    if start != UNREACHED && ch != '\n' {
                        let to = &mut self.reach[i + ch.len_utf8()];
                        *to = (*to).min(start);
                    }
                }
                continue;
            }
            self.next.clear();
            self.next.resize(len + 1, UNREACHED);
            let mut alive = false;
            for (i, ch) in value.char_indices() {
                let start = self.reach[i];
                let fits = match token {
                    Token::Literal(literal) => literal == ch,
                    _ => ch != '\n',
                };
                if start != UNREACHED && fits {
                    self.next[i + ch.len_utf8()] = start;
                    alive = true;
                }
            }
            if !alive {
                return None;
            }
            std::mem::swap(&mut self.reach, &mut self.next);
        }
        let mut best: Option<(usize, usize)> = None;
        for (end, &start) in self.reach.iter().enumerate() {
            if start == UNREACHED {
                continue;
            }
            best = match best {
                Some((s, _)) if s < start || (s == start && !greedy) => best,
                _ => Some((start, end)),
            };
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Variables written as `K=V;K2=V2` to keep the tables on one line each.
    fn env(spec: &str) -> BTreeMap<String, String> {
        spec.split(';')
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                let (k, v) = entry.split_once('=').unwrap_or((entry, ""));
                (k.to_owned(), v.to_owned())
            })
            .collect()
    }

    fn word(input: &str, spec: &str) -> Result<String, ExpandError> {
        Lexer::new('\\').process_word(input, &env(spec))
    }

    #[test]
    fn expands_operators() {
        let release = "v-${V}.${OS}-${ARCH}${VARIANT:+-${VARIANT}}.tgz";
        let cases = [
            ("x", "", "x"),
            ("x ${UNUSED}", "", "x "),
            ("$FOO$BAR", "FOO=a;BAR=b", "ab"),
            (
                "${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}",
                "FOO=xxx;BAR=",
                "xxx  ccc",
            ),
            (
                "${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}",
                "FOO=xxx;BAR=",
                "xxx bbb ccc",
            ),
            ("${FOO:-}", "FOO=xxx", "xxx"),
            ("${FOO:-}", "", ""),
            (
                "${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}",
                "FOO=xxx;BAR=",
                "aaa bbb ",
            ),
            (
                "${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}",
                "FOO=xxx;BAR=",
                "aaa  ",
            ),
            ("${FOO?aaa}", "FOO=xxx", "xxx"),
            ("${BAR?bbb}", "BAR=", ""),
            ("${FOO:?aaa}", "FOO=xxx", "xxx"),
            ("${VAR:?message here$ARG}", "VAR=plain;ARG=x", "plain"),
            // Special characters of regular expressions are literal in patterns.
            (r"${FOO#()[]{\}^$.\*\?|\\}", r"FOO=()[]{}^$.*?|\x", "x"),
            (r"${FOO%%\**}", "FOO=xx**", "xx"),
            ("${FOO#*x*y}", "FOO=xxyy", "y"),
            ("${FOO##*x*y}", "FOO=xxyy", ""),
            ("${FOO#*}", "FOO=xxyy", "xxyy"),
            ("${FOO##*}", "FOO=xxyy", ""),
            ("${FOO#$BAR}", "FOO=xxyy;BAR=x", "xyy"),
            ("${FOO#$BAR}", "FOO=xxyy;BAR=", "xxyy"),
            ("${FOO#}", "FOO=xxyy", "xxyy"),
            ("${FOO##*x}", "FOO=xxyy", "yy"),
            ("${FOO##}", "FOO=xxyy", "xxyy"),
            (r"${FOO#?\?}", "FOO=???y", "?y"),
            ("${FOO#nomatch}", "FOO=xxyy", "xxyy"),
            ("${ABC:-.}${FOO%x}${ABC:-.}", "FOO=xxyy", ".xxyy."),
            (r"${FOO%%\**\*}", "FOO=a***yy*", "a"),
            ("${FOO%*y}", "FOO=xxyy", "xxy"),
            ("${FOO%%y*}", "FOO=xxyy", "xx"),
            ("${FOO%}", "FOO=xxyy", "xxyy"),
            ("${FOO%%$BAR}", "FOO=xxyy;BAR=", "xxyy"),
            ("${FOO%.*}", "FOO=file.tar.gz", "file.tar"),
            ("${FOO%%.*}", "FOO=file.tar.gz", "file"),
            ("${FOO##*/}", "FOO=/usr/local/bin", "bin"),
            ("${FOO:#x}", "FOO=xy", "y"),
            ("${UNSET#x}${UNSET%x}", "", ""),
            // `*` and `?` never match a newline, like Go's `.`.
            ("${FOO#*b}", "FOO=a\nb", "a\nb"),
            ("${FOO#a?b}", "FOO=a\nb", "a\nb"),
            ("${FOO#a\nb}", "FOO=a\nbc", "c"),
            ("${FOO%%b*}", "FOO=ab\nb", "ab\n"),
            // A lone trailing `\` escapes the last character once the pattern is reversed.
            ("${FOO%$BAR}", r"FOO=a/b/;BAR=/\", "a/b"),
            ("${FOO%$BAR}", r"FOO=ab\;BAR=\*\", "ab"),
            (
                "${FOO/$N/.} - ${FOO//$N/.}",
                r"FOO=/foo*/*/*.txt;N=\*/",
                "/foo.*/*.txt - /foo..*.txt",
            ),
            (
                "${FOO/$N/} - ${FOO//$N/}",
                "FOO=/tmp/tmp/bar.txt;N=/tmp",
                "/tmp/bar.txt - /bar.txt",
            ),
            (
                "${FOO/$N/$R} - ${FOO//$N/$R}",
                "FOO=/a/foo/b/c.txt;N=/?/;R=/",
                "/foo/b/c.txt - /foo/c.txt",
            ),
            (
                "${FOO/$N/$R}",
                "FOO=http://google.de;N=http://;R=https://",
                "https://google.de",
            ),
            (r"${FOO//\//\/}", "FOO=/tmp/foo.txt", r"\/tmp\/foo.txt"),
            ("${FOO/$BAR/ww}", "FOO=xxyy;BAR=", "wwxxyy"),
            ("${FOO///}", "FOO=xxyy", "xxyy"),
            ("${FOO///}", "", ""),
            ("${FOO/y*/z}", "FOO=xxyy", "xxz"),
            ("${FOO/*/z}", "FOO=ab", "z"),
            ("${FOO//*/z}", "FOO=ab", "z"),
            ("${FOO//*/z}", "FOO=a\nb", "z\nz"),
            ("${FOO///-}", "FOO=ab", "-a-b-"),
            ("${FOO/?/-}", "FOO=한국", "-국"),
            // Only `//` expands `$0` (the match) and `$$` in the replacement, as Go's ReplaceAll.
            ("${FOO//o/'<$0>'}", "FOO=foo", "f<o><o>"),
            ("${FOO//o/'${0}$$$1$x$'}", "FOO=fo", "fo$$"),
            ("${FOO/o/'<$0>'}", "FOO=foo", "f<$0>o"),
            ("${UNSET/x/y}", "", ""),
            // Positional and special parameters are looked up like any name.
            ("$1x${10}y$@", "", "xy"),
            ("${+x}", "", ""),
            ("$١٢x${٣:-y}", "", "xy"),
            (
                release,
                "V=1;OS=linux;ARCH=arm;VARIANT=v7",
                "v-1.linux-arm-v7.tgz",
            ),
            (
                release,
                "V=1;OS=linux;ARCH=arm64;VARIANT=",
                "v-1.linux-arm64.tgz",
            ),
            (release, "V=1;OS=linux;ARCH=arm64", "v-1.linux-arm64.tgz"),
            ("\u{feff}$FOO", "FOO=bom", "bom"),
        ];
        for (input, spec, expected) in cases {
            assert_eq!(
                word(input, spec).as_deref(),
                Ok(expected),
                "input {input:?}"
            );
        }
    }

    /// The variant, column and the detail each variant carries, checking that `word` is the input.
    fn summary(input: &str, err: &ExpandError) -> (&'static str, usize, String) {
        let (kind, word, column, detail) = match err {
            ExpandError::UnterminatedQuote {
                word,
                column,
                quote,
            } => ("quote", word, column, quote.to_string()),
            ExpandError::MissingBrace { word, column } => ("brace", word, column, String::new()),
            ExpandError::BadSubstitution { word, column } => ("bad", word, column, String::new()),
            ExpandError::UnsupportedModifier {
                word,
                column,
                name,
                modifier,
            } => ("modifier", word, column, format!("{name} {modifier}")),
            ExpandError::UnsetVariable {
                word,
                column,
                name,
                message,
            } => ("unset", word, column, format!("{name} {message}")),
            ExpandError::EmptyVariable {
                word,
                column,
                name,
                message,
            } => ("empty", word, column, format!("{name} {message}")),
            ExpandError::MissingSlash { word, column, name } => {
                ("slash", word, column, name.clone())
            }
            ExpandError::InvalidPattern {
                word,
                column,
                name,
                pattern,
            } => ("pattern", word, column, format!("{name} {pattern}")),
        };
        assert_eq!(word, input, "the error names the word");
        (kind, *column, detail)
    }

    #[test]
    fn reports_errors() {
        const UNSET: &str =
            "is not allowed to be unset; define it with ARG or ENV before this line";
        const EMPTY: &str = "is not allowed to be empty; give it a non-empty value";
        let cases = [
            ("ab'cd", "", "quote", 3, "'".to_owned()),
            (r#""ab\""#, "", "quote", 1, "\"".to_owned()),
            ("x${", "", "brace", 2, String::new()),
            ("${PWD", "", "brace", 1, String::new()),
            (r#"${a:-"b}"#, "", "brace", 1, String::new()),
            ("${a:-${b?}", "", "brace", 1, String::new()),
            ("${}", "", "bad", 1, String::new()),
            ("${:-x}", "", "bad", 1, String::new()),
            ("${{a}", "", "bad", 1, String::new()),
            ("${a:=x}", "", "modifier", 1, "a :=".to_owned()),
            ("${a=x}", "", "modifier", 1, "a =".to_owned()),
            ("${#a}", "", "modifier", 1, "# a".to_owned()),
            ("${a:}b}", "", "modifier", 1, "a :}".to_owned()),
            ("x${a?}", "", "unset", 2, format!("a {UNSET}")),
            ("${a:?}", "a=", "empty", 1, format!("a {EMPTY}")),
            ("${a:?need $b}", "b=x", "unset", 1, "a need x".to_owned()),
            ("${a?need $b}", "b=x", "unset", 1, "a need x".to_owned()),
            ("${a:?need $b}", "a=;b=x", "empty", 1, "a need x".to_owned()),
            ("${a:-${b?}}", "a=set", "unset", 6, format!("b {UNSET}")),
            ("${a//}", "", "slash", 1, "a".to_owned()),
            ("${a//ww}", "", "slash", 1, "a".to_owned()),
            ("${a/x/y", "", "brace", 1, String::new()),
            (r"${a#\x}", "", "pattern", 1, r"a \x".to_owned()),
            ("${a%%$p}", r"p=a\", "pattern", 1, r"a a\".to_owned()),
            (r#"${a/"\$"/x}"#, "", "pattern", 1, r"a \$".to_owned()),
        ];
        for (input, spec, kind, column, detail) in cases {
            let err = word(input, spec).expect_err(input);
            assert_eq!(
                summary(input, &err),
                (kind, column, detail),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn error_messages_name_the_word_and_the_fix() {
        let cases = [
            (
                "${a:?}",
                "a: is not allowed to be unset; define it with ARG or ENV",
            ),
            (
                "x'y",
                "the ' at column 2 opens a quote that is never closed; add the closing '",
            ),
            (
                "${a/b",
                "needs a second `/`; write `${a/pattern/replacement}`",
            ),
            (
                "${a",
                "the `${` at column 1 is never closed; add the missing `}`",
            ),
            (
                "${}",
                "`${` must be followed by a variable name as in `${NAME}`",
            ),
        ];
        for (input, needle) in cases {
            let message = word(input, "").expect_err(input).to_string();
            assert!(
                message.starts_with(&format!("cannot expand {input:?}: ")),
                "{message}"
            );
            assert!(message.contains(needle), "{message}");
        }
    }

    #[test]
    fn quotes_and_escape_tokens() {
        let vars = env("A=1");
        let cases = [
            ('\\', r"a\ b", "a b"),
            ('\\', r#""a\b\"\$A\\""#, r#"a\b"$A\"#),
            ('\\', r"'a\b$A'", r"a\b$A"),
            ('\\', "a`$A", "a`1"),
            ('\\', "trail\\", "trail"),
            ('`', "a` b", "a b"),
            ('`', r"C:\dir\$A", r"C:\dir\1"),
            ('`', r#""a\b`"`$A``""#, r#"a\b"$A`"#),
            ('`', "${X:-a`}b}", "a}b"),
            ('`', "${A#`1}", "1"),
            ('\\', r"${A:-\}}", "1"),
            ('\\', r"${X:-\}}", "}"),
        ];
        for (escape, input, expected) in cases {
            let got = Lexer::new(escape).process_word(input, &vars);
            assert_eq!(
                got.as_deref(),
                Ok(expected),
                "escape {escape:?} input {input:?}"
            );
        }
    }

    #[test]
    fn splits_words() {
        let vars = env("SP= x  y ;E=");
        let cases: [(&str, &[&str]); 11] = [
            ("a b", &["a", "b"]),
            ("  a   b  ", &["a", "b"]),
            ("$SP", &["x", "y"]),
            ("a$SP", &["a", "x", "y"]),
            ("a\"$SP\"b", &["a x  y b"]),
            (r"a\ b", &["a b"]),
            ("'a b' c", &["a b", "c"]),
            ("\"\"", &[]),
            ("\"\" a", &["a"]),
            ("$E", &[]),
            ("x${SP:+$SP}z", &["x", "x", "y", "z"]),
        ];
        let lexer = Lexer::new('\\');
        for (input, expected) in cases {
            let got = lexer.process_words(input, &vars).expect(input);
            assert_eq!(got, expected, "input {input:?}");
        }
        assert_eq!(lexer.process_word("$SP", &vars).as_deref(), Ok(" x  y "));
        assert!(lexer.process_words("a 'b", &vars).is_err());
    }

    #[test]
    fn hash_map_vars() {
        let vars: HashMap<String, String> = [("K".to_owned(), "v".to_owned())].into();
        let got = Lexer::new('\\').process_word("$K${k:-lower}", &vars);
        assert_eq!(got.as_deref(), Ok("vlower"));
    }

    #[test]
    fn compiles_patterns() {
        use Token::{Any, Literal as L, Star};
        let cases: [(&str, Option<&[Token]>); 8] = [
            ("*", Some(&[Star])),
            ("?", Some(&[Any])),
            (r"\*", Some(&[L('*')])),
            (r"a\}\/", Some(&[L('a'), L('}'), L('/')])),
            (r"\\?", Some(&[L('\\'), Any])),
            (r"\", None),
            (r"\x", None),
            (r"\\\", None),
        ];
        for (pattern, expected) in cases {
            assert_eq!(compile(pattern).as_deref(), expected, "pattern {pattern:?}");
        }
    }

    #[test]
    fn reverses_patterns() {
        let cases = [
            (r"a\*c", r"c\*a"),
            (r"\\\ab", r"b\a\\"),
            (r"ab\", r"\ba"),
            (r"👽\🚀🖖", r"🖖\🚀👽"),
            (r"\\b", r"b\\"),
            ("", ""),
        ];
        for (pattern, expected) in cases {
            assert_eq!(reverse_pattern(pattern), expected, "pattern {pattern:?}");
        }
    }

    #[test]
    fn expands_replacement_templates() {
        let cases = [
            ("x", "x"),
            ("$0", "M"),
            ("${0}", "M"),
            ("$$0", "$0"),
            ("$00$1$name${x}", ""),
            ("$", "$"),
            ("${0", "${0"),
            ("a$-b", "a$-b"),
            ("$0é", ""),
        ];
        for (template, expected) in cases {
            let mut out = String::new();
            expand_template(&mut out, template, "M");
            assert_eq!(out, expected, "template {template:?}");
        }
    }

    #[test]
    fn finds_leftmost_matches() {
        let cases = [
            ("a*b", "xxaybyb", false, true, Some((2, 7))),
            ("a*b", "xxaybyb", false, false, Some((2, 5))),
            ("a*b", "xxaybyb", true, true, None),
            ("*", "", true, false, Some((0, 0))),
            ("?", "", false, true, None),
            ("b", "aab", false, true, Some((2, 3))),
            (
                "a*a*a*a*a*a*a*a*b",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                false,
                true,
                None,
            ),
        ];
        for (pattern, value, anchored, greedy, expected) in cases {
            let tokens = compile(pattern).unwrap_or_default();
            let found = Matcher::new(&tokens).find(value, 0, anchored, greedy);
            assert_eq!(found, expected, "pattern {pattern:?} on {value:?}");
        }
    }
}
