//! Decodes the JSON exec form (`["a", "b"]`) with the rules of Go's `encoding/json`, so the
//! choice between exec form, shell-form fallback and hard error matches BuildKit exactly.

/// How the arguments of an instruction read as a JSON exec form.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum ExecForm {
    /// A valid JSON array whose elements are all strings.
    Strings(Vec<String>),
    /// A valid JSON array with a non-string element: BuildKit rejects the instruction.
    NotStrings,
    /// Not a JSON array at all: BuildKit falls back to the shell form.
    NotJson,
}

/// Go's decoder refuses documents nested deeper than this.
const MAX_DEPTH: usize = 10_000;

/// Reads `rest` as BuildKit's `parseJSON` does (leading Unicode whitespace ignored).
pub(super) fn parse_exec_form(rest: &str) -> ExecForm {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return ExecForm::NotJson;
    }
    match (Scanner { src: rest, pos: 0 }).array_of_strings() {
        Ok(Some(items)) => ExecForm::Strings(items),
        Ok(None) => ExecForm::NotStrings,
        Err(Invalid) => ExecForm::NotJson,
    }
}

/// Any reason Go's `json.Unmarshal` would fail before the element types are looked at.
struct Invalid;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    FirstOrClose,
    Value,
    Key,
    CommaOrClose,
}

struct Scanner<'a> {
    src: &'a str,
    pos: usize,
}

impl Scanner<'_> {
    /// Validates the whole document first (as Go does) and decodes only the top-level strings;
    /// `Ok(None)` means valid JSON with a non-string top-level element.
    fn array_of_strings(&mut self) -> Result<Option<Vec<String>>, Invalid> {
        // Containers are tracked on an explicit stack so hostile nesting cannot overflow ours.
        let mut stack: Vec<u8> = Vec::new();
        let mut items = Vec::new();
        let mut all_strings = true;
        let mut number_overflow = false;
        self.skip_ws();
        self.expect(b'[')?;
        stack.push(b']');
        let mut want = Want::FirstOrClose;
        loop {
            self.skip_ws();
            let close = *stack.last().ok_or(Invalid)?;
            match want {
                Want::FirstOrClose => {
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        stack.pop();
                        if stack.is_empty() {
                            break;
                        }
                        want = Want::CommaOrClose;
                    } else if close == b']' {
                        want = Want::Value;
                    } else {
                        want = Want::Key;
                    }
                }
                Want::Key => {
                    if self.peek() != Some(b'"') {
                        return Err(Invalid);
                    }
                    self.string()?;
                    self.skip_ws();
                    self.expect(b':')?;
                    want = Want::Value;
                }
                Want::Value => {
                    let top_level = stack.len() == 1;
                    match self.peek().ok_or(Invalid)? {
                        b'"' => {
                            let s = self.string()?;
                            if top_level {
                                items.push(s);
                            }
                            want = Want::CommaOrClose;
                        }
                        open @ (b'[' | b'{') => {
                            all_strings &= !top_level;
                            self.pos += 1;
                            stack.push(if open == b'[' { b']' } else { b'}' });
                            if stack.len() > MAX_DEPTH {
                                return Err(Invalid);
                            }
                            want = Want::FirstOrClose;
                        }
                        b't' => self.literal("true", top_level, &mut all_strings, &mut want)?,
                        b'f' => self.literal("false", top_level, &mut all_strings, &mut want)?,
                        b'n' => self.literal("null", top_level, &mut all_strings, &mut want)?,
                        b'-' | b'0'..=b'9' => {
                            number_overflow |= self.number()?;
                            all_strings &= !top_level;
                            want = Want::CommaOrClose;
                        }
                        _ => return Err(Invalid),
                    }
                }
                Want::CommaOrClose => match self.peek() {
                    Some(b',') => {
                        self.pos += 1;
                        want = if close == b']' {
                            Want::Value
                        } else {
                            Want::Key
                        };
                    }
                    Some(c) if c == close => {
                        self.pos += 1;
                        stack.pop();
                        if stack.is_empty() {
                            break;
                        }
                    }
                    _ => return Err(Invalid),
                },
            }
        }
        self.skip_ws();
        // Go reports an out-of-range number as a decode error, which BuildKit treats as
        // "not JSON" rather than as a non-string element.
        if self.pos != self.src.len() || number_overflow {
            return Err(Invalid);
        }
        Ok(all_strings.then_some(items))
    }

    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), Invalid> {
        if self.peek() != Some(byte) {
            return Err(Invalid);
        }
        self.pos += 1;
        Ok(())
    }

    fn literal(
        &mut self,
        word: &str,
        top_level: bool,
        all_strings: &mut bool,
        want: &mut Want,
    ) -> Result<(), Invalid> {
        if !self.src[self.pos..].starts_with(word) {
            return Err(Invalid);
        }
        self.pos += word.len();
        *all_strings &= !top_level;
        *want = Want::CommaOrClose;
        Ok(())
    }

    /// Scans a number with JSON's grammar; returns whether it overflows a float64.
    fn number(&mut self) -> Result<bool, Invalid> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(Invalid),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.required_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            self.required_digits()?;
        }
        let value: f64 = self.src[start..self.pos].parse().map_err(|_| Invalid)?;
        Ok(value.is_infinite())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn required_digits(&mut self) -> Result<(), Invalid> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(Invalid);
        }
        self.digits();
        Ok(())
    }

    /// Decodes a string starting at its opening quote.
    fn string(&mut self) -> Result<String, Invalid> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = &self.src[self.pos..];
            let plain = rest
                .bytes()
                .position(|b| b == b'"' || b == b'\\' || b < 0x20)
                .ok_or(Invalid)?;
            out.push_str(&rest[..plain]);
            self.pos += plain;
            match self.peek().ok_or(Invalid)? {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let escaped = self.peek().ok_or(Invalid)?;
                    self.pos += 1;
                    match escaped {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return Err(Invalid),
                    }
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// Decodes the `XXXX` of `\uXXXX`, pairing surrogates and replacing lone ones with
    /// U+FFFD like Go does (instead of failing like most JSON libraries).
    fn unicode_escape(&mut self) -> Result<char, Invalid> {
        let first = self.hex4(self.pos).ok_or(Invalid)?;
        self.pos += 4;
        if !(0xD800..0xE000).contains(&first) {
            return char::from_u32(first).ok_or(Invalid);
        }
        let bytes = self.src.as_bytes();
        let second = (bytes.get(self.pos) == Some(&b'\\')
            && bytes.get(self.pos + 1) == Some(&b'u'))
        .then(|| self.hex4(self.pos + 2))
        .flatten();
        match second {
            Some(low) if first < 0xDC00 && (0xDC00..0xE000).contains(&low) => {
                self.pos += 6;
                char::from_u32(0x10000 + ((first - 0xD800) << 10) + (low - 0xDC00)).ok_or(Invalid)
            }
            _ => Ok('\u{FFFD}'),
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.src.get(at..at + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(items: &[&str]) -> ExecForm {
        ExecForm::Strings(items.iter().map(|s| (*s).to_owned()).collect())
    }

    #[test]
    fn exec_form_follows_go_encoding_json() {
        let deep_ok = format!("[{}{}]", "[".repeat(9_999), "]".repeat(9_999));
        let too_deep = format!("[{}{}]", "[".repeat(10_000), "]".repeat(10_000));
        let cases: Vec<(&str, &str, ExecForm)> = vec![
            ("empty array", "[]", strings(&[])),
            ("spaces", " [ \"a\" ,\t\"b\" ] ", strings(&["a", "b"])),
            ("not an array", "echo [a]", ExecForm::NotJson),
            ("single quotes", "['a']", ExecForm::NotJson),
            ("unterminated", "[\"a\"", ExecForm::NotJson),
            ("trailing comma", "[\"a\",]", ExecForm::NotJson),
            ("trailing garbage", "[\"a\"] b", ExecForm::NotJson),
            ("two arrays", "[\"a\"][\"b\"]", ExecForm::NotJson),
            ("nested array", "[\"a\", [\"b\"]]", ExecForm::NotStrings),
            ("number", "[1]", ExecForm::NotStrings),
            ("null", "[null]", ExecForm::NotStrings),
            ("bool", "[\"a\", true]", ExecForm::NotStrings),
            ("object", "[{\"k\": [1, {}]}]", ExecForm::NotStrings),
            ("invalid nested", "[\"a\", {\"k\" 1}]", ExecForm::NotJson),
            ("leading zero", "[01]", ExecForm::NotJson),
            ("overflow wins over type", "[1e400]", ExecForm::NotJson),
            ("underflow is fine", "[1e-400]", ExecForm::NotStrings),
            ("bad escape", "[\"\\x\"]", ExecForm::NotJson),
            ("raw control char", "[\"a\tb\"]", ExecForm::NotJson),
            (
                "escapes",
                r#"["\" \\ \/ \b \f \n \r \t \u0000 \u00e9"]"#,
                strings(&["\" \\ / \u{8} \u{c} \n \r \t \0 é"]),
            ),
            ("surrogate pair", r#"["\ud83d\ude00"]"#, strings(&["😀"])),
            (
                "lone high surrogate",
                r#"["\ud83dx"]"#,
                strings(&["\u{FFFD}x"]),
            ),
            (
                "lone low surrogate",
                r#"["\ude00"]"#,
                strings(&["\u{FFFD}"]),
            ),
            (
                "high then non-low",
                r#"["\ud83d\u0041"]"#,
                strings(&["\u{FFFD}A"]),
            ),
            ("unicode kept", "[\"♥\", \"☃\"]", strings(&["♥", "☃"])),
            ("max depth accepted", &deep_ok, ExecForm::NotStrings),
            ("too deep", &too_deep, ExecForm::NotJson),
        ];
        for (name, input, expected) in cases {
            assert_eq!(parse_exec_form(input), expected, "case {name}");
        }
    }
}
