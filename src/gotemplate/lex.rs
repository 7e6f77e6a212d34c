//! The lexer: a port of Go's `text/template/parse` scanner (same tokens, same trim-marker and
//! comment rules, same error texts), producing tokens as the parser asks for them.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Error,
    Bool,
    Char,
    CharConstant,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    // Keywords (Go's `itemKeyword` and above).
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

impl Kind {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            Kind::Block
                | Kind::Break
                | Kind::Continue
                | Kind::Dot
                | Kind::Define
                | Kind::Else
                | Kind::End
                | Kind::If
                | Kind::Nil
                | Kind::Range
                | Kind::Template
                | Kind::With
        )
    }
}

/// A token: its kind and where its text is in the input (a line is counted from its offset
/// when a message needs one). Small enough to be passed around in registers, which matters at
/// tens of thousands of tokens per template; inputs are under 4 GiB (see [`MAX_INPUT`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    /// The offset in the low half, the length (0 for an error, whose message the lexer keeps:
    /// see [`Lexer::error_message`]) in the high half: one field, so that the token is stored
    /// and read back in one piece (as two, reading it just after storing it stalls the CPU).
    span: u64,
}

/// The largest input the lexer takes, so that offsets fit tokens.
pub const MAX_INPUT: usize = u32::MAX as usize;

impl Token {
    // Both fit in u32: the input is at most MAX_INPUT long.
    fn new(kind: Kind, pos: usize, len: usize) -> Token {
        Token {
            kind,
            span: pos as u64 | (len as u64) << 32,
        }
    }

    /// Byte offset of the token in the input.
    pub fn pos(&self) -> usize {
        (self.span & u64::from(u32::MAX)) as usize
    }

    /// Byte offset just past the token.
    pub fn end(&self) -> usize {
        self.pos() + (self.span >> 32) as usize
    }

    /// The token's text in `input`, the lexer's input.
    pub fn val<'a>(&self, input: &'a str) -> &'a str {
        &input[self.pos()..self.end()]
    }

    /// Go's `item.String()` of the token of `input`, used in "unexpected …" messages (not of
    /// errors: their text is the lexer's).
    pub fn describe(&self, input: &str) -> String {
        let val = self.val(input);
        match self.kind {
            Kind::Eof => "EOF".to_owned(),
            kind if kind.is_keyword() => format!("<{val}>"),
            _ if val.chars().count() > 10 => {
                let head: String = val.chars().take(10).collect();
                format!("{}...", super::strconv::quote(&head))
            }
            _ => super::strconv::quote(val),
        }
    }
}

/// The 1-based line of byte offset `pos` of `input`.
pub fn line_at(input: &str, pos: usize) -> usize {
    1 + input.as_bytes()[..pos]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";
const SPACE_CHARS: &[char] = &[' ', '\t', '\r', '\n'];

fn is_space(c: Option<char>) -> bool {
    matches!(c, Some(' ' | '\t' | '\r' | '\n'))
}

pub fn is_alnum(c: Option<char>) -> bool {
    matches!(c, Some(c) if c == '_' || c.is_alphabetic() || c.is_numeric())
}

fn has_left_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(Some(b[1] as char))
}

fn has_right_trim(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(Some(b[0] as char)) && b[1] == b'-'
}

/// Scans its input as the parser asks for tokens, as Go's lexer does, and keeps only those the
/// parser may still look at, so that a large template never has all its tokens in memory at
/// once; the last token is `Eof` or `Error`.
pub struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    paren_depth: usize,
    /// `None` once the final `Eof` or `Error` token is emitted.
    state: Option<State>,
    /// The tokens scanned and not forgotten, `tokens[0]` being token number `first`.
    tokens: Vec<Token>,
    first: usize,
    /// The message of the `Error` token.
    error: String,
}

#[derive(Clone, Copy)]
enum State {
    Text,
    LeftDelim,
    Comment,
    RightDelim,
    InsideAction,
    Space,
    Identifier,
    Field,
    Variable,
    Char,
    Number,
    Quote,
    RawQuote,
}

impl<'a> Lexer<'a> {
    /// A lexer of `input`, which must not be longer than [`MAX_INPUT`].
    pub fn new(input: &'a str) -> Lexer<'a> {
        assert!(input.len() <= MAX_INPUT, "template input too large");
        Lexer {
            input,
            pos: 0,
            start: 0,
            paren_depth: 0,
            state: Some(State::Text),
            tokens: Vec::new(),
            first: 0,
            error: String::new(),
        }
    }

    /// Token number `n`, counted from the start of the input: one not forgotten, and at most
    /// one past a token that is not final.
    // The parser asks for each token several times: the lookup is inlined, the scanning not.
    #[inline]
    pub fn token(&mut self, n: usize) -> Token {
        let i = n - self.first;
        match self.tokens.get(i) {
            Some(token) => *token,
            None => self.scan(i),
        }
    }

    #[inline(never)]
    fn scan(&mut self, i: usize) -> Token {
        while i >= self.tokens.len() {
            let state = self.state.expect("a token after a non-final one");
            self.state = self.step(state);
        }
        self.tokens[i]
    }

    /// Forgets the tokens before number `n`.
    pub fn forget_before(&mut self, n: usize) {
        self.tokens.drain(..n - self.first);
        self.first = n;
    }

    /// The message of the `Error` token, once it is returned.
    pub fn error_message(&self) -> &str {
        &self.error
    }

    fn rest(&self) -> &'a str {
        &self.input[self.pos..]
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn peek(&self) -> Option<char> {
        // Actions are ASCII but for their strings: decode only what is not.
        match *self.input.as_bytes().get(self.pos)? {
            b if b.is_ascii() => Some(char::from(b)),
            _ => self.rest().chars().next(),
        }
    }

    /// Steps back over `c`, the character `next` returned.
    fn backup(&mut self, c: Option<char>) {
        if let Some(c) = c {
            self.pos -= c.len_utf8();
        }
    }

    fn emit(&mut self, kind: Kind) {
        self.tokens
            .push(Token::new(kind, self.start, self.pos - self.start));
        self.start = self.pos;
    }

    fn ignore(&mut self) {
        self.start = self.pos;
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.next();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn error(&mut self, message: String) -> Option<State> {
        self.tokens.push(Token::new(Kind::Error, self.start, 0));
        self.error = message;
        None
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim(rest) && rest[2..].starts_with(RIGHT) {
            return (true, true);
        }
        (rest.starts_with(RIGHT), false)
    }

    fn at_terminator(&self) -> bool {
        let c = self.peek();
        if is_space(c) {
            return true;
        }
        match c {
            None | Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.rest().starts_with(RIGHT),
        }
    }

    fn step(&mut self, state: State) -> Option<State> {
        match state {
            State::Text => self.text(),
            State::LeftDelim => self.left_delim(),
            State::Comment => self.comment(),
            State::RightDelim => self.right_delim(),
            State::InsideAction => self.inside_action(),
            State::Space => self.space(),
            State::Identifier => self.identifier(),
            State::Field => self.field_or_variable(Kind::Field),
            State::Variable => {
                if self.at_terminator() {
                    self.emit(Kind::Variable);
                    return Some(State::InsideAction);
                }
                self.field_or_variable(Kind::Variable)
            }
            State::Char => self.quoted('\'', "unterminated character constant", Kind::CharConstant),
            State::Number => self.number(),
            State::Quote => self.quoted('"', "unterminated quoted string", Kind::String),
            State::RawQuote => self.raw_quote(),
        }
    }

    fn text(&mut self) -> Option<State> {
        if let Some(x) = find_left(self.rest()) {
            self.pos += x;
            let mut trim = 0;
            if has_left_trim(&self.input[self.pos + LEFT.len()..]) {
                let before = &self.input[self.start..self.pos];
                trim = before.len() - before.trim_end_matches(SPACE_CHARS).len();
            }
            self.pos -= trim;
            if self.pos > self.start {
                self.emit(Kind::Text);
            }
            self.pos += trim;
            self.ignore();
            return Some(State::LeftDelim);
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.emit(Kind::Text);
        }
        self.emit(Kind::Eof);
        None
    }

    fn left_delim(&mut self) -> Option<State> {
        self.pos += LEFT.len();
        let trim = has_left_trim(self.rest());
        let after = if trim { 2 } else { 0 };
        if self.rest()[after..].starts_with("/*") {
            self.pos += after;
            self.ignore();
            return Some(State::Comment);
        }
        self.emit(Kind::LeftDelim);
        self.pos += after;
        self.ignore();
        self.paren_depth = 0;
        Some(State::InsideAction)
    }

    fn comment(&mut self) -> Option<State> {
        self.pos += 2;
        let Some(i) = self.rest().find("*/") else {
            return self.error("unclosed comment".to_owned());
        };
        self.pos += i + 2;
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return self.error("comment ends before closing delimiter".to_owned());
        }
        if trim {
            self.pos += 2;
        }
        self.pos += RIGHT.len();
        if trim {
            let rest = self.rest();
            self.pos += rest.len() - rest.trim_start_matches(SPACE_CHARS).len();
        }
        self.ignore();
        Some(State::Text)
    }

    fn right_delim(&mut self) -> Option<State> {
        let trim = has_right_trim(self.rest());
        if trim {
            self.pos += 2;
            self.ignore();
        }
        self.pos += RIGHT.len();
        self.emit(Kind::RightDelim);
        if trim {
            let rest = self.rest();
            self.pos += rest.len() - rest.trim_start_matches(SPACE_CHARS).len();
            self.ignore();
        }
        Some(State::Text)
    }

    fn inside_action(&mut self) -> Option<State> {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return Some(State::RightDelim);
            }
            return self.error("unclosed left paren".to_owned());
        }
        let c = self.next();
        match c {
            None => return self.error("unclosed action".to_owned()),
            c if is_space(c) => {
                self.backup(c);
                return Some(State::Space);
            }
            Some('=') => self.emit(Kind::Assign),
            Some(':') => {
                if self.next() != Some('=') {
                    return self.error("expected :=".to_owned());
                }
                self.emit(Kind::Declare);
            }
            Some('|') => self.emit(Kind::Pipe),
            Some('"') => return Some(State::Quote),
            Some('`') => return Some(State::RawQuote),
            Some('$') => return Some(State::Variable),
            Some('\'') => return Some(State::Char),
            Some('.') if !matches!(self.peek(), Some('0'..='9')) && self.pos < self.input.len() => {
                return Some(State::Field);
            }
            Some('.' | '+' | '-' | '0'..='9') => {
                self.backup(c);
                return Some(State::Number);
            }
            c if is_alnum(c) => {
                self.backup(c);
                return Some(State::Identifier);
            }
            Some('(') => {
                self.emit(Kind::LeftParen);
                self.paren_depth += 1;
            }
            Some(')') => {
                self.emit(Kind::RightParen);
                if self.paren_depth == 0 {
                    return self.error(format!("unexpected right paren {}", go_unicode(')')));
                }
                self.paren_depth -= 1;
            }
            Some(c) if c.is_ascii() && !c.is_ascii_control() => self.emit(Kind::Char),
            Some(c) => {
                return self.error(format!(
                    "unrecognized character in action: {}",
                    go_unicode(c)
                ));
            }
        }
        Some(State::InsideAction)
    }

    fn space(&mut self) -> Option<State> {
        let mut count = 0;
        while is_space(self.peek()) {
            self.next();
            count += 1;
        }
        let from = self.pos - 1;
        if has_right_trim(&self.input[from..]) && self.input[from + 2..].starts_with(RIGHT) {
            let c = self.input[..self.pos].chars().next_back();
            self.backup(c);
            if count == 1 {
                return Some(State::RightDelim);
            }
        }
        self.emit(Kind::Space);
        Some(State::InsideAction)
    }

    fn identifier(&mut self) -> Option<State> {
        loop {
            let c = self.next();
            if is_alnum(c) {
                continue;
            }
            self.backup(c);
            let word = &self.input[self.start..self.pos];
            if !self.at_terminator() {
                return self.error(format!("bad character {}", go_unicode_opt(c)));
            }
            let kind = match word {
                "block" => Kind::Block,
                "break" => Kind::Break,
                "continue" => Kind::Continue,
                "define" => Kind::Define,
                "else" => Kind::Else,
                "end" => Kind::End,
                "if" => Kind::If,
                "range" => Kind::Range,
                "nil" => Kind::Nil,
                "template" => Kind::Template,
                "with" => Kind::With,
                "." => Kind::Dot,
                "true" | "false" => Kind::Bool,
                _ => Kind::Identifier,
            };
            self.emit(kind);
            return Some(State::InsideAction);
        }
    }

    fn field_or_variable(&mut self, kind: Kind) -> Option<State> {
        if self.at_terminator() {
            self.emit(if kind == Kind::Variable {
                Kind::Variable
            } else {
                Kind::Dot
            });
            return Some(State::InsideAction);
        }
        let mut c;
        loop {
            c = self.next();
            if !is_alnum(c) {
                self.backup(c);
                break;
            }
        }
        if !self.at_terminator() {
            return self.error(format!("bad character {}", go_unicode_opt(c)));
        }
        self.emit(kind);
        Some(State::InsideAction)
    }

    fn quoted(&mut self, quote: char, unterminated: &str, kind: Kind) -> Option<State> {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    None | Some('\n') => return self.error(unterminated.to_owned()),
                    _ => {}
                },
                None | Some('\n') => return self.error(unterminated.to_owned()),
                Some(c) if c == quote => break,
                _ => {}
            }
        }
        self.emit(kind);
        Some(State::InsideAction)
    }

    fn raw_quote(&mut self) -> Option<State> {
        loop {
            match self.next() {
                None => return self.error("unterminated raw quoted string".to_owned()),
                Some('`') => break,
                _ => {}
            }
        }
        self.emit(Kind::RawString);
        Some(State::InsideAction)
    }

    fn number(&mut self) -> Option<State> {
        if !self.scan_number() {
            let text = self.input[self.start..self.pos].to_owned();
            return self.error(format!(
                "bad number syntax: {}",
                super::strconv::quote(&text)
            ));
        }
        if matches!(self.peek(), Some('+' | '-')) {
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let text = self.input[self.start..self.pos].to_owned();
                return self.error(format!(
                    "bad number syntax: {}",
                    super::strconv::quote(&text)
                ));
            }
            self.emit(Kind::Complex);
        } else {
            self.emit(Kind::Number);
        }
        Some(State::InsideAction)
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if is_alnum(self.peek()) {
            self.next();
            return false;
        }
        true
    }
}

/// Where the first `{{` in `s` starts: `find` with a character scans with memchr, where a
/// string pattern would set up a two-way searcher for each text.
fn find_left(s: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = s[from..].find('{') {
        let at = from + i;
        if s[at + 1..].starts_with('{') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

/// Go's `%#U` of a character: `U+0029 ')'`.
pub fn go_unicode(c: char) -> String {
    format!("U+{:04X} '{c}'", c as u32)
}

fn go_unicode_opt(c: Option<char>) -> String {
    match c {
        Some(c) => go_unicode(c),
        None => "U+FFFFFFFF".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lex(lexer: &mut Lexer) -> Vec<Token> {
        let mut tokens = vec![lexer.token(0)];
        while !matches!(tokens[tokens.len() - 1].kind, Kind::Eof | Kind::Error) {
            tokens.push(lexer.token(tokens.len()));
        }
        tokens
    }

    fn kinds(input: &str) -> Vec<(Kind, String)> {
        lex(&mut Lexer::new(input))
            .into_iter()
            .map(|t| (t.kind, t.val(input).to_owned()))
            .collect()
    }

    fn error(input: &str) -> String {
        let mut lexer = Lexer::new(input);
        assert_eq!(lex(&mut lexer).last().unwrap().kind, Kind::Error);
        lexer.error_message().to_owned()
    }

    #[test]
    fn trims_and_tokens() {
        use Kind::*;
        assert_eq!(
            kinds("a  {{- .X | f 1 -}}  b"),
            vec![
                (Text, "a".into()),
                (LeftDelim, "{{".into()),
                (Field, ".X".into()),
                (Space, " ".into()),
                (Pipe, "|".into()),
                (Space, " ".into()),
                (Identifier, "f".into()),
                (Space, " ".into()),
                (Number, "1".into()),
                (RightDelim, "}}".into()),
                (Text, "b".into()),
                (Eof, "".into()),
            ]
        );
    }

    #[test]
    fn errors() {
        assert_eq!(error("{{\"abc"), "unterminated quoted string");
        assert_eq!(error("{{ 3x }}"), "bad number syntax: \"3x\"");
        assert_eq!(
            error("{{/* x */ a}}"),
            "comment ends before closing delimiter"
        );
    }
}
