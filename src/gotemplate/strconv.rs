//! The parts of Go's `strconv` the engine needs: quoting and unquoting string and character
//! literals, and parsing numbers with Go's base prefixes and digit separators.

use std::borrow::Cow;

/// Go's `strconv.Quote`.
pub fn quote(s: &str) -> String {
    quote_with(s, '"', false)
}

/// Go's `strconv.QuoteToASCII`.
pub fn quote_ascii(s: &str) -> String {
    quote_with(s, '"', true)
}

/// Go's `strconv.QuoteRune`.
pub fn quote_rune(c: char) -> String {
    let mut buf = [0u8; 4];
    quote_with(c.encode_utf8(&mut buf), '\'', false)
}

fn quote_with(s: &str, quote: char, ascii: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            _ if c == quote || c == '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            _ if (ascii && !c.is_ascii()) || !is_print(c) => {
                let code = c as u32;
                if code < 0x20 || code == 0x7f {
                    out.push_str(&format!("\\x{code:02x}"));
                } else if code < 0x10000 {
                    out.push_str(&format!("\\u{code:04x}"));
                } else {
                    out.push_str(&format!("\\U{code:08x}"));
                }
            }
            _ => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// An approximation of Go's `strconv.IsPrint`: letters, marks, numbers, punctuation, symbols
/// and the ASCII space.
pub fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c as u32, 0xad | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x206f | 0xfeff | 0xfff9..=0xfffb | 0xe000..=0xf8ff | 0xf0000..)
}

/// Go's `strconv.Unquote` for "…", `…` and '…' literals.
pub fn unquote(s: &str) -> Result<Cow<'_, str>, String> {
    let invalid = || "invalid syntax".to_owned();
    let bytes = s.as_bytes();
    if bytes.len() < 2 {
        return Err(invalid());
    }
    let quote = bytes[0];
    if quote != bytes[bytes.len() - 1] {
        return Err(invalid());
    }
    let inner = &s[1..s.len() - 1];
    match quote {
        b'`' => {
            if inner.contains('`') {
                return Err(invalid());
            }
            if !inner.contains('\r') {
                return Ok(Cow::Borrowed(inner));
            }
            Ok(Cow::Owned(inner.replace('\r', "")))
        }
        // Without escapes the text is the inner text (a stray quote is refused below).
        b'"' if !inner.contains(['\\', '"']) => Ok(Cow::Borrowed(inner)),
        b'"' | b'\'' => {
            let q = quote as char;
            let mut out = String::new();
            let mut rest = inner;
            while !rest.is_empty() {
                let (c, tail) = unquote_char(rest, q).map_err(|_| invalid())?;
                out.push(c);
                rest = tail;
                if q == '\'' && !rest.is_empty() {
                    return Err(invalid());
                }
            }
            if q == '\'' && out.is_empty() {
                return Err(invalid());
            }
            Ok(Cow::Owned(out))
        }
        _ => Err(invalid()),
    }
}

/// Go's `strconv.UnquoteChar`: the first character of `s` (an escape or itself) and the rest.
pub fn unquote_char(s: &str, quote: char) -> Result<(char, &str), String> {
    let invalid = || "invalid syntax".to_owned();
    let mut chars = s.chars();
    let c = chars.next().ok_or_else(invalid)?;
    if c == quote && (quote == '\'' || quote == '"') {
        return Err(invalid());
    }
    if c != '\\' {
        return Ok((c, chars.as_str()));
    }
    let e = chars.next().ok_or_else(invalid)?;
    let rest = chars.as_str();
    let simple = match e {
        'a' => Some('\x07'),
        'b' => Some('\x08'),
        'f' => Some('\x0c'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\x0b'),
        '\\' => Some('\\'),
        '\'' | '"' => {
            if e != quote {
                return Err(invalid());
            }
            Some(e)
        }
        _ => None,
    };
    if let Some(c) = simple {
        return Ok((c, rest));
    }
    let (len, radix) = match e {
        'x' => (2, 16),
        'u' => (4, 16),
        'U' => (8, 16),
        '0'..='7' => (2, 8),
        _ => return Err(invalid()),
    };
    let digits = if radix == 8 {
        s.get(1..4).ok_or_else(invalid)?
    } else {
        rest.get(..len).ok_or_else(invalid)?
    };
    let value = u32::from_str_radix(digits, radix).map_err(|_| invalid())?;
    let tail = if radix == 8 { &s[4..] } else { &rest[len..] };
    if radix == 8 && value > 255 {
        return Err(invalid());
    }
    if e == 'x' || radix == 8 {
        // A byte escape; only ASCII bytes form a character on their own here.
        return char::from_u32(value).map(|c| (c, tail)).ok_or_else(invalid);
    }
    let c = char::from_u32(value).ok_or_else(invalid)?;
    Ok((c, tail))
}

/// Removes Go digit separators, refusing misplaced ones (`_` must sit between digits or after a
/// base prefix).
fn strip_underscores(s: &str) -> Option<Cow<'_, str>> {
    if !s.contains('_') {
        return Some(Cow::Borrowed(s));
    }
    let body = s.trim_start_matches(['+', '-']);
    let prefixed = body.len() >= 2
        && body.starts_with('0')
        && matches!(body.as_bytes()[1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B');
    let bytes = body.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'_' {
            continue;
        }
        let before_ok = i > 0 && (bytes[i - 1].is_ascii_hexdigit() || (prefixed && i == 2));
        let after_ok = i + 1 < bytes.len() && bytes[i + 1].is_ascii_hexdigit();
        if !before_ok || !after_ok {
            return None;
        }
    }
    Some(Cow::Owned(s.replace('_', "")))
}

/// Splits a sign and Go base prefix off an integer literal without digit separators:
/// (negative, radix, digits).
fn int_parts(s: &str) -> Option<(bool, u32, &str)> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits) = match body.as_bytes() {
        [b'0', b'x' | b'X', ..] => (16, &body[2..]),
        [b'0', b'o' | b'O', ..] => (8, &body[2..]),
        [b'0', b'b' | b'B', ..] => (2, &body[2..]),
        [b'0', _, ..] => (8, &body[1..]),
        _ => (10, body),
    };
    if digits.is_empty() || digits.starts_with(['+', '-']) {
        return None;
    }
    Some((neg, radix, digits))
}

/// Go's `strconv.ParseUint(s, 0, 64)`.
pub fn parse_uint(s: &str) -> Option<u64> {
    let stripped = strip_underscores(s)?;
    let (neg, radix, digits) = int_parts(&stripped)?;
    if neg || s.starts_with('+') {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
pub fn parse_int(s: &str) -> Option<i64> {
    let stripped = strip_underscores(s)?;
    let (neg, radix, digits) = int_parts(&stripped)?;
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if neg {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseFloat(s, 64)` for decimal literals (hexadecimal floats are refused).
pub fn parse_float(s: &str) -> Option<f64> {
    let s = strip_underscores(s)?;
    let body = s.trim_start_matches(['+', '-']);
    if let Some(hex) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        let value = parse_hex_float(hex)?;
        return Some(if s.starts_with('-') { -value } else { value });
    }
    if body.is_empty() {
        return None;
    }
    if !body
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    s.parse::<f64>().ok()
}

/// The part of a hexadecimal float after `0x`: hex digits, an optional point, then `p` and a
/// binary exponent (required, as Go requires).
fn parse_hex_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let (mantissa, exp) = lower.split_once('p')?;
    let exp: i32 = exp.parse().ok()?;
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut value = 0f64;
    for c in int.chars() {
        value = value * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac.chars() {
        value += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(value * 2f64.powi(exp))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\n\u{1}é"), "\"a\\\"b\\n\\x01é\"");
        assert_eq!(unquote("\"a\\tb\\u00e9\"").unwrap(), "a\tbé");
        assert_eq!(unquote("`raw\\n`").unwrap(), "raw\\n");
        assert_eq!(unquote_char("\\101x", '\'').unwrap(), ('A', "x"));
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_int("0x1F"), Some(31));
        assert_eq!(parse_int("0777"), Some(511));
        assert_eq!(parse_int("1_000"), Some(1000));
        assert_eq!(parse_int("089"), None);
        assert_eq!(parse_uint("-1"), None);
        assert_eq!(parse_float("1e3"), Some(1000.0));
    }
}
