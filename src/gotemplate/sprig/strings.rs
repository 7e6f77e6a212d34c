//! sprig's string functions.

use super::conv::{int_arg, str_arg, strs, strslice, strval};
use crate::gotemplate::funcs::{FuncMap, Ty, sig, variadic};
use crate::gotemplate::strconv;
use crate::gotemplate::value::Value;

use Ty::{Any, Int, Str};

pub fn register(m: &mut FuncMap) {
    m.insert("abbrev", sig(&[Int, Str]), |_, a| {
        Ok(Value::str(abbrev(int_arg(&a[0]), str_arg(&a[1]))))
    });
    m.insert("abbrevboth", sig(&[Int, Int, Str]), |_, a| {
        Ok(Value::str(abbrevboth(
            int_arg(&a[0]),
            int_arg(&a[1]),
            str_arg(&a[2]),
        )))
    });
    m.insert("trunc", sig(&[Int, Str]), |_, a| {
        Ok(Value::str(trunc(int_arg(&a[0]), str_arg(&a[1]))))
    });
    m.insert("trim", sig(&[Str]), |_, a| {
        Ok(Value::str(str_arg(&a[0]).trim_matches(is_go_space)))
    });
    m.insert("upper", sig(&[Str]), |_, a| {
        Ok(Value::str(str_arg(&a[0]).to_uppercase()))
    });
    m.insert("lower", sig(&[Str]), |_, a| {
        Ok(Value::str(str_arg(&a[0]).to_lowercase()))
    });
    m.insert("title", sig(&[Str]), |_, a| {
        Ok(Value::str(title(str_arg(&a[0]))))
    });
    m.insert("untitle", sig(&[Str]), |_, a| {
        Ok(Value::str(untitle(str_arg(&a[0]))))
    });
    m.insert("substr", sig(&[Int, Int, Str]), |_, a| {
        substr(int_arg(&a[0]), int_arg(&a[1]), str_arg(&a[2]))
    });
    m.insert("repeat", sig(&[Int, Str]), |_, a| {
        let n = int_arg(&a[0]);
        if n < 0 {
            return Err("strings: negative Repeat count".to_owned());
        }
        Ok(Value::str(str_arg(&a[1]).repeat(n as usize)))
    });
    m.insert("trimall", sig(&[Str, Str]), |_, a| {
        Ok(Value::str(trim_set(str_arg(&a[1]), str_arg(&a[0]))))
    });
    m.insert("trimAll", sig(&[Str, Str]), |_, a| {
        Ok(Value::str(trim_set(str_arg(&a[1]), str_arg(&a[0]))))
    });
    m.insert("trimSuffix", sig(&[Str, Str]), |_, a| {
        let (suffix, s) = (str_arg(&a[0]), str_arg(&a[1]));
        Ok(Value::str(s.strip_suffix(suffix).unwrap_or(s)))
    });
    m.insert("trimPrefix", sig(&[Str, Str]), |_, a| {
        let (prefix, s) = (str_arg(&a[0]), str_arg(&a[1]));
        Ok(Value::str(s.strip_prefix(prefix).unwrap_or(s)))
    });
    m.insert("nospace", sig(&[Str]), |_, a| {
        Ok(Value::str(nospace(str_arg(&a[0]))))
    });
    m.insert("initials", sig(&[Str]), |_, a| {
        Ok(Value::str(initials(str_arg(&a[0]))))
    });
    m.insert("swapcase", sig(&[Str]), |_, a| {
        Ok(Value::str(swapcase(str_arg(&a[0]))))
    });
    m.insert("snakecase", sig(&[Str]), |_, a| {
        Ok(Value::str(snakecase(str_arg(&a[0]), '_')))
    });
    m.insert("kebabcase", sig(&[Str]), |_, a| {
        Ok(Value::str(snakecase(str_arg(&a[0]), '-')))
    });
    m.insert("camelcase", sig(&[Str]), |_, a| {
        Ok(Value::str(camelcase(str_arg(&a[0]))))
    });
    m.insert("wrap", sig(&[Int, Str]), |_, a| {
        Ok(Value::str(wrap(
            str_arg(&a[1]),
            int_arg(&a[0]),
            "\n",
            false,
        )))
    });
    m.insert("wrapWith", sig(&[Int, Str, Str]), |_, a| {
        Ok(Value::str(wrap(
            str_arg(&a[2]),
            int_arg(&a[0]),
            str_arg(&a[1]),
            true,
        )))
    });
    m.insert("contains", sig(&[Str, Str]), |_, a| {
        Ok(Value::Bool(str_arg(&a[1]).contains(str_arg(&a[0]))))
    });
    m.insert("hasPrefix", sig(&[Str, Str]), |_, a| {
        Ok(Value::Bool(str_arg(&a[1]).starts_with(str_arg(&a[0]))))
    });
    m.insert("hasSuffix", sig(&[Str, Str]), |_, a| {
        Ok(Value::Bool(str_arg(&a[1]).ends_with(str_arg(&a[0]))))
    });
    m.insert("quote", variadic(&[], Any), |_, a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| strconv::quote(&strval(v)))
            .collect();
        Ok(Value::str(parts.join(" ")))
    });
    m.insert("squote", variadic(&[], Any), |_, a| {
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(|v| format!("'{}'", strval(v)))
            .collect();
        Ok(Value::str(parts.join(" ")))
    });
    m.insert("cat", variadic(&[], Any), |_, a| {
        let parts: Vec<String> = a.iter().filter(|v| !v.is_nil()).map(strval).collect();
        Ok(Value::str(parts.join(" ")))
    });
    m.insert("indent", sig(&[Int, Str]), |_, a| {
        Ok(Value::str(indent(int_arg(&a[0]), str_arg(&a[1]))))
    });
    m.insert("nindent", sig(&[Int, Str]), |_, a| {
        Ok(Value::str(format!(
            "\n{}",
            indent(int_arg(&a[0]), str_arg(&a[1]))
        )))
    });
    m.insert("replace", sig(&[Str, Str, Str]), |_, a| {
        Ok(Value::str(go_replace(
            str_arg(&a[2]),
            str_arg(&a[0]),
            str_arg(&a[1]),
        )))
    });
    m.insert("plural", sig(&[Str, Str, Int]), |_, a| {
        Ok(if int_arg(&a[2]) == 1 {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    m.insert("toString", sig(&[Any]), |_, a| {
        Ok(Value::str(strval(&a[0])))
    });
    m.insert("toStrings", sig(&[Any]), |_, a| Ok(strs(strslice(&a[0]))));
    m.insert("join", sig(&[Str, Any]), |_, a| {
        Ok(Value::str(strslice(&a[1]).join(str_arg(&a[0]))))
    });
    m.insert("split", sig(&[Str, Str]), |_, a| {
        Ok(indexed(go_split(str_arg(&a[1]), str_arg(&a[0]), -1)))
    });
    m.insert("splitn", sig(&[Str, Int, Str]), |_, a| {
        Ok(indexed(go_split(
            str_arg(&a[2]),
            str_arg(&a[0]),
            int_arg(&a[1]),
        )))
    });
    m.insert("splitList", sig(&[Str, Str]), |_, a| {
        Ok(strs(go_split(str_arg(&a[1]), str_arg(&a[0]), -1)))
    });
    m.insert("sortAlpha", sig(&[Any]), |_, a| {
        let mut items = match &a[0] {
            Value::List(_) => strslice(&a[0]),
            other => vec![strval(other)],
        };
        items.sort();
        Ok(strs(items))
    });
}

fn indexed(parts: Vec<String>) -> Value {
    Value::map(
        parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| (format!("_{i}"), Value::str(p)))
            .collect(),
    )
}

fn is_go_space(c: char) -> bool {
    c.is_whitespace()
}

/// Go's `strings.Split`/`SplitN` (an empty separator splits into characters).
pub fn go_split(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<String> = s.chars().map(String::from).collect();
        if n > 0 && chars.len() > n as usize {
            let mut head: Vec<String> = chars[..n as usize - 1].to_vec();
            head.push(chars[n as usize - 1..].concat());
            return head;
        }
        return chars;
    }
    if n < 0 {
        return s.split(sep).map(str::to_owned).collect();
    }
    s.splitn(n as usize, sep).map(str::to_owned).collect()
}

/// Go's `strings.Replace(s, old, new, -1)` (an empty `old` inserts between characters).
fn go_replace(s: &str, old: &str, new: &str) -> String {
    if old.is_empty() {
        let mut out = String::from(new);
        for c in s.chars() {
            out.push(c);
            out.push_str(new);
        }
        return out;
    }
    s.replace(old, new)
}

fn trim_set(s: &str, set: &str) -> String {
    s.trim_matches(|c| set.contains(c)).to_owned()
}

/// sprig's `trunc` on bytes (a cut inside a character shows as U+FFFD).
fn trunc(c: i64, s: &str) -> String {
    let bytes = s.as_bytes();
    let len = bytes.len() as i64;
    let piece = if c < 0 && len + c > 0 {
        &bytes[(len + c) as usize..]
    } else if c >= 0 && len > c {
        &bytes[..c as usize]
    } else {
        bytes
    };
    String::from_utf8_lossy(piece).into_owned()
}

fn substr(start: i64, end: i64, s: &str) -> Result<Value, String> {
    let len = s.len() as i64;
    let out_of_range =
        |a: i64, b: i64| format!("runtime error: slice bounds out of range [{a}:{b}]");
    let bytes = s.as_bytes();
    let piece = |a: i64, b: i64| {
        Value::str(String::from_utf8_lossy(&bytes[a as usize..b as usize]).as_ref())
    };
    if start < 0 {
        if end < 0 || end > len {
            return Err(format!(
                "runtime error: slice bounds out of range [:{end}] with length {len}"
            ));
        }
        return Ok(piece(0, end));
    }
    if end < 0 || end > len {
        if start > len {
            return Err(out_of_range(start, len));
        }
        return Ok(piece(start, len));
    }
    if start > end {
        return Err(out_of_range(start, end));
    }
    Ok(piece(start, end))
}

/// goutils `Abbreviate`.
fn abbrev(width: i64, s: &str) -> String {
    if width < 4 {
        return s.to_owned();
    }
    abbreviate_full(s, 0, width)
}

fn abbrevboth(left: i64, right: i64, s: &str) -> String {
    if right < 4 || (left > 0 && right < 7) {
        return s.to_owned();
    }
    abbreviate_full(s, left, right)
}

/// goutils `AbbreviateFull` (byte offsets, as the Go code uses).
fn abbreviate_full(s: &str, offset: i64, max_width: i64) -> String {
    let len = s.len() as i64;
    if s.is_empty() || len <= max_width {
        return s.to_owned();
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    let sub = |a: i64, b: i64| {
        String::from_utf8_lossy(&s.as_bytes()[a as usize..b as usize]).into_owned()
    };
    if offset <= 4 {
        return sub(0, max_width - 3) + "...";
    }
    if offset + max_width - 3 < len {
        let rest = abbreviate_full(&sub(offset, len), 0, max_width - 3);
        return "...".to_owned() + &rest;
    }
    "...".to_owned() + &sub(len - (max_width - 3), len)
}

/// Go's (deprecated) `strings.Title`: upper-cases letters that follow a separator (any ASCII
/// character but letters, digits and `_`; outside ASCII, white space).
fn title(s: &str) -> String {
    let is_separator = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else {
            c.is_whitespace()
        }
    };
    let mut out = String::with_capacity(s.len());
    let mut prev = ' ';
    for c in s.chars() {
        if is_separator(prev) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

/// goutils `Uncapitalize`: the first letter of every space-separated word lower-cased.
fn untitle(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at_start = true;
    for c in s.chars() {
        if c.is_whitespace() {
            at_start = true;
            out.push(c);
        } else if at_start {
            out.extend(c.to_lowercase());
            at_start = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// goutils `DeleteWhiteSpace`, which walks bytes: unless nothing is removed, each byte becomes a
/// character of its own (non-ASCII text turns into its bytes read as Latin-1, as in Go).
fn nospace(s: &str) -> String {
    let is_space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | 0x85 | 0xA0);
    if !s.bytes().any(is_space) {
        return s.to_owned();
    }
    s.bytes()
        .filter(|&b| !is_space(b))
        .map(char::from)
        .collect()
}

/// goutils `Initials`, which walks bytes: a word's first byte becomes a character of its own
/// (so a non-ASCII initial shows as its first byte read as Latin-1, as in Go).
fn initials(s: &str) -> String {
    let mut out = String::new();
    let mut gap = true;
    for &b in s.as_bytes() {
        let c = char::from(b);
        if c.is_whitespace() || b == 0x85 || b == 0xA0 {
            gap = true;
        } else if gap {
            out.push(c);
            gap = false;
        }
    }
    out
}

/// goutils `SwapCase`: upper to lower, title/lower to upper (a lower letter after whitespace
/// becomes title case, which for ASCII is upper case too).
fn swapcase(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_uppercase() {
            out.extend(c.to_lowercase());
        } else if c.is_lowercase() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || c.is_whitespace()
}

/// Go's `unicode.IsPunct` (category P) for ASCII; other scripts' punctuation is rare in names.
fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation() && !"$+<=>^`|~".contains(c)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Word {
    Invalid,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

/// huandu/xstrings `nextWord`: the next run of one kind of character.
fn next_word(s: &str) -> (Word, &str, &str) {
    let mut chars = s.char_indices().peekable();
    let Some((_, r)) = chars.next() else {
        return (Word::Invalid, "", "");
    };
    let mut end = r.len_utf8();
    let take_while = |end: &mut usize, pred: &dyn Fn(char) -> bool| {
        for c in s[*end..].chars() {
            if !pred(c) {
                break;
            }
            *end += c.len_utf8();
        }
    };
    let kind = if is_connector(r) {
        take_while(&mut end, &is_connector);
        Word::Connector
    } else if is_punct(r) {
        take_while(&mut end, &is_punct);
        Word::Punct
    } else if r.is_uppercase() {
        if let Some(next) = s[end..].chars().next() {
            if next.is_uppercase() {
                let mut prev_size = next.len_utf8();
                end += prev_size;
                let mut last = next;
                for c in s[end..].chars() {
                    last = c;
                    if !c.is_uppercase() {
                        break;
                    }
                    prev_size = c.len_utf8();
                    end += prev_size;
                }
                // "HTTPStatus" splits into "HTTP" and "Status".
                if end < s.len() && last.is_alphabetic() {
                    end -= prev_size;
                }
            } else if next.is_alphabetic() {
                take_while(&mut end, &|c: char| c.is_alphabetic() && !c.is_uppercase());
            }
        }
        Word::Upper
    } else if r.is_alphabetic() {
        take_while(&mut end, &|c: char| c.is_alphabetic() && !c.is_uppercase());
        Word::Alphabet
    } else if r.is_numeric() {
        take_while(&mut end, &char::is_numeric);
        Word::Number
    } else {
        take_while(&mut end, &|c: char| {
            !(is_connector(c) || c.is_alphabetic() || c.is_numeric() || is_punct(c))
        });
        Word::Other
    };
    (kind, &s[..end], &s[end..])
}

fn to_lower(out: &mut String, kind: Word, word: &str, connector: char) {
    if kind != Word::Upper && kind != Word::Connector {
        out.push_str(word);
        return;
    }
    for c in word.chars() {
        if is_connector(c) {
            out.push(connector);
        } else {
            out.extend(c.to_lowercase());
        }
    }
}

/// huandu/xstrings `ToSnakeCase`/`ToKebabCase` (`camelCaseToLowerCase`), step for step.
fn snakecase(s: &str, connector: char) -> String {
    if s.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(s.len() + 4);
    let (mut wt, mut word, mut remaining) = next_word(s);
    while !remaining.is_empty() {
        if wt != Word::Connector {
            to_lower(&mut out, wt, word, connector);
        }
        let prev = wt;
        let last = word;
        (wt, word, remaining) = next_word(remaining);
        match prev {
            Word::Number => {
                while wt == Word::Alphabet || wt == Word::Number {
                    to_lower(&mut out, wt, word, connector);
                    (wt, word, remaining) = next_word(remaining);
                }
                if !matches!(wt, Word::Invalid | Word::Punct | Word::Connector) {
                    out.push(connector);
                }
            }
            Word::Connector => to_lower(&mut out, prev, last, connector),
            Word::Punct => {}
            _ => {
                if wt != Word::Number {
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                if remaining.is_empty() {
                    continue;
                }
                let last = word;
                (wt, word, remaining) = next_word(remaining);
                if wt != Word::Alphabet {
                    to_lower(&mut out, Word::Number, last, connector);
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                out.push(connector);
                to_lower(&mut out, Word::Number, last, connector);
                while wt == Word::Alphabet || wt == Word::Number {
                    to_lower(&mut out, wt, word, connector);
                    (wt, word, remaining) = next_word(remaining);
                }
                if !matches!(wt, Word::Invalid | Word::Connector | Word::Punct) {
                    out.push(connector);
                }
            }
        }
    }
    to_lower(&mut out, wt, word, connector);
    out
}

/// huandu/xstrings `ToCamelCase`: leading connectors kept, a letter after a connector
/// upper-cased (the connector dropped; of a run of them all but the last stay), other letters
/// lower-cased, the first upper-cased.
fn camelcase(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    let mut r0 = None;
    for c in chars.by_ref() {
        if !is_connector(c) {
            r0 = Some(c.to_uppercase().next().unwrap_or(c));
            break;
        }
        out.push(c);
    }
    let Some(mut r0) = r0 else {
        // Only connectors: xstrings writes the last one a second time.
        if let Some(last) = s.chars().last() {
            out.push(last);
        }
        return out;
    };
    for c in chars {
        let r1 = r0;
        r0 = c;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            r0 = r0.to_uppercase().next().unwrap_or(r0);
        } else {
            r0 = r0.to_lowercase().next().unwrap_or(r0);
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

fn indent(spaces: i64, v: &str) -> String {
    let pad = " ".repeat(spaces.max(0) as usize);
    format!("{pad}{}", v.replace('\n', &format!("\n{pad}")))
}

/// goutils `WrapCustom`: breaks lines at spaces so that each is at most `width` bytes (bytes,
/// as the Go code counts; a cut inside a character shows as U+FFFD, as Go's bytes would).
fn wrap(s: &str, width: i64, newline: &str, long_words: bool) -> String {
    let width = width.max(1) as usize;
    let bytes = s.as_bytes();
    let len = bytes.len();
    let mut out: Vec<u8> = Vec::new();
    let mut offset = 0;
    while len - offset > width {
        if bytes[offset] == b' ' {
            offset += 1;
            continue;
        }
        let window_end = (offset + width + 1).min(len);
        match bytes[offset..window_end].iter().rposition(|&b| b == b' ') {
            Some(space) if space > 0 => {
                out.extend_from_slice(&bytes[offset..offset + space]);
                out.extend_from_slice(newline.as_bytes());
                offset += space + 1;
            }
            _ if long_words => {
                out.extend_from_slice(&bytes[offset..offset + width]);
                out.extend_from_slice(newline.as_bytes());
                offset += width;
            }
            _ => match bytes[offset + width..].iter().position(|&b| b == b' ') {
                Some(space) => {
                    let end = offset + width + space;
                    out.extend_from_slice(&bytes[offset..end]);
                    out.extend_from_slice(newline.as_bytes());
                    offset = end + 1;
                }
                None => {
                    out.extend_from_slice(&bytes[offset..]);
                    offset = len;
                }
            },
        }
    }
    out.extend_from_slice(&bytes[offset..]);
    String::from_utf8_lossy(&out).into_owned()
}
