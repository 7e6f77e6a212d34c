//! werf's `toYaml`/`fromYaml`, which use gopkg.in/yaml.v2: block style, sorted keys, sequences
//! not indented under their key, strings quoted only where a plain scalar would read otherwise.

use std::collections::BTreeMap;

use crate::gotemplate::printf;
use crate::gotemplate::value::Value;

/// yaml.v2's `Marshal`.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    match v {
        Value::Map(m) if !m.borrow().is_empty() => write_map(&mut out, &m.borrow(), 0),
        Value::List(l) if !l.is_empty() => write_list(&mut out, l, 0),
        other => {
            out.push_str(&scalar(other, 0));
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn write_map(out: &mut String, m: &BTreeMap<String, Value>, indent: usize) {
    let mut first = true;
    for (k, v) in m {
        if !first {
            pad(out, indent);
        }
        first = false;
        out.push_str(&string_scalar(k, indent));
        out.push(':');
        match v {
            Value::Map(sub) if !sub.borrow().is_empty() => {
                out.push('\n');
                pad(out, indent + 2);
                write_map(out, &sub.borrow(), indent + 2);
            }
            Value::List(l) if !l.is_empty() => {
                out.push('\n');
                pad(out, indent);
                write_list(out, l, indent);
            }
            other => {
                out.push(' ');
                out.push_str(&scalar(other, indent + 2));
                out.push('\n');
            }
        }
    }
}

fn write_list(out: &mut String, l: &[Value], indent: usize) {
    let mut first = true;
    for v in l {
        if !first {
            pad(out, indent);
        }
        first = false;
        out.push_str("- ");
        match v {
            Value::Map(sub) if !sub.borrow().is_empty() => {
                write_map(out, &sub.borrow(), indent + 2)
            }
            Value::List(sub) if !sub.is_empty() => write_list(out, sub, indent + 2),
            other => {
                out.push_str(&scalar(other, indent + 2));
                out.push('\n');
            }
        }
    }
}

fn scalar(v: &Value, indent: usize) -> String {
    match v {
        Value::Missing | Value::Nil => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) | Value::Int64(i) => i.to_string(),
        Value::Float(f) => {
            if f.is_nan() {
                ".nan".to_owned()
            } else if f.is_infinite() {
                if *f > 0.0 {
                    "+.inf".to_owned()
                } else {
                    "-.inf".to_owned()
                }
            } else {
                printf::format_float_g(*f, None, false)
            }
        }
        Value::Str(s) => string_scalar(s, indent),
        Value::List(_) => "[]".to_owned(),
        Value::Map(_) => "{}".to_owned(),
        Value::Object(o) => string_scalar(&o.display(), indent),
    }
}

/// Whether a plain scalar `s` would be read back as something other than this string.
fn resolves_to_non_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE", "yes",
        "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "y", "Y", "n", "N",
        ".inf", ".Inf", ".INF", "+.inf", "-.inf", ".nan", ".NaN", ".NAN", "<<",
    ];
    if SPECIAL.contains(&s) {
        return true;
    }
    let t = s.replace('_', "");
    let t = t.as_str();
    if t.parse::<f64>().is_ok() && !t.contains(['i', 'I', 'n', 'N']) {
        return true;
    }
    let body = t.trim_start_matches(['+', '-']);
    body.starts_with("0x") && i64::from_str_radix(&body[2..], 16).is_ok()
        || body.starts_with("0b") && i64::from_str_radix(&body[2..], 2).is_ok()
}

fn plain_allowed(s: &str) -> bool {
    let bytes = s.as_bytes();
    let first = bytes[0];
    if matches!(
        first,
        b'#' | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    ) {
        return false;
    }
    if matches!(first, b'-' | b'?' | b':') && (bytes.len() == 1 || matches!(bytes[1], b' ' | b'\t'))
    {
        return false;
    }
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    if s.starts_with(' ') || s.ends_with(' ') || s.ends_with(':') {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.contains(":\t") || s.contains('\t') {
        return false;
    }
    s.chars().all(|c| !c.is_control())
}

fn string_scalar(s: &str, indent: usize) -> String {
    if s.contains('\n') {
        return literal(s, indent);
    }
    if resolves_to_non_string(s) {
        return double_quoted(s);
    }
    if plain_allowed(s) {
        return s.to_owned();
    }
    if s.chars().any(|c| c.is_control()) {
        return double_quoted(s);
    }
    format!("'{}'", s.replace('\'', "''"))
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn literal(s: &str, indent: usize) -> String {
    let trailing = s.len() - s.trim_end_matches('\n').len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let mut out = String::from("|");
    if s.starts_with(' ') {
        out.push('2');
    }
    out.push_str(chomp);
    let body = if trailing == 1 { &s[..s.len() - 1] } else { s };
    let pad: String = " ".repeat(indent.max(2));
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    if trailing > 1 {
        out.truncate(out.trim_end_matches('\n').len());
        for _ in 0..trailing - 1 {
            out.push('\n');
        }
    }
    out
}

/// yaml.v2's `Unmarshal` into `map[string]interface{}`.
pub fn from_yaml(text: &str) -> Result<Value, String> {
    let yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|e| format!("yaml: {e}"))?;
    match yaml {
        serde_yaml_ng::Value::Null => Ok(Value::map(BTreeMap::new())),
        serde_yaml_ng::Value::Mapping(_) => Ok(convert(&yaml)),
        other => Err(format!(
            "yaml: unmarshal errors:\n  line 1: cannot unmarshal !!{} into map[string]interface {{}}",
            match other {
                serde_yaml_ng::Value::Sequence(_) => "seq",
                serde_yaml_ng::Value::String(_) => "str",
                serde_yaml_ng::Value::Bool(_) => "bool",
                serde_yaml_ng::Value::Number(n) if n.is_f64() => "float",
                _ => "int",
            }
        )),
    }
}

fn convert(yaml: &serde_yaml_ng::Value) -> Value {
    use serde_yaml_ng::Value as Y;
    match yaml {
        Y::Null => Value::Nil,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        Y::String(s) => Value::str(s.as_str()),
        Y::Sequence(items) => Value::list(items.iter().map(convert).collect()),
        Y::Mapping(m) => Value::map(
            m.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Y::String(s) => s.clone(),
                        other => printf::display(&convert(other)),
                    };
                    (key, convert(v))
                })
                .collect(),
        ),
        Y::Tagged(t) => convert(&t.value),
    }
}
