//! sprig's encodings: base64/base32, JSON as Go's encoding/json writes it (sorted keys, HTML
//! escaping unless raw), and YAML as werf's `toYaml`/`fromYaml` (gopkg.in/yaml.v2) do.

use std::collections::BTreeMap;

use base64::Engine as _;

use super::conv::str_arg;
use crate::gotemplate::funcs::{FuncMap, Ty, sig};
use crate::gotemplate::printf;
use crate::gotemplate::value::Value;

use Ty::{Any, Str};

pub fn register(m: &mut FuncMap) {
    m.insert("b64enc", sig(&[Str]), |_, a| {
        Ok(Value::str(
            base64::engine::general_purpose::STANDARD.encode(str_arg(&a[0])),
        ))
    });
    m.insert("b64dec", sig(&[Str]), |_, a| {
        Ok(Value::str(
            match base64::engine::general_purpose::STANDARD.decode(str_arg(&a[0])) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(err) => go_base64_error(&err),
            },
        ))
    });
    m.insert("b32enc", sig(&[Str]), |_, a| {
        Ok(Value::str(base32_encode(str_arg(&a[0]).as_bytes())))
    });
    m.insert("b32dec", sig(&[Str]), |_, a| {
        Ok(Value::str(match base32_decode(str_arg(&a[0])) {
            Some(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            None => "illegal base32 data at input byte 0".to_owned(),
        }))
    });
    m.insert("toJson", sig(&[Any]), |_, a| {
        Ok(Value::str(to_json(&a[0], true, None).unwrap_or_default()))
    });
    m.insert("mustToJson", sig(&[Any]), |_, a| {
        Ok(Value::str(to_json(&a[0], true, None)?))
    });
    m.insert("toPrettyJson", sig(&[Any]), |_, a| {
        Ok(Value::str(
            to_json(&a[0], true, Some("  ")).unwrap_or_default(),
        ))
    });
    m.insert("mustToPrettyJson", sig(&[Any]), |_, a| {
        Ok(Value::str(to_json(&a[0], true, Some("  "))?))
    });
    m.insert("toRawJson", sig(&[Any]), |_, a| {
        Ok(Value::str(to_json(&a[0], false, None)?))
    });
    m.insert("mustToRawJson", sig(&[Any]), |_, a| {
        Ok(Value::str(to_json(&a[0], false, None)?))
    });
    m.insert("fromJson", sig(&[Str]), |_, a| {
        Ok(from_json(str_arg(&a[0])).unwrap_or(Value::Nil))
    });
    m.insert("mustFromJson", sig(&[Str]), |_, a| {
        from_json(str_arg(&a[0]))
    });
    m.insert("toYaml", sig(&[Any]), |_, a| {
        let mut text = super::yaml::to_yaml(&a[0]);
        if text.ends_with('\n') {
            text.pop();
        }
        Ok(Value::str(text))
    });
    m.insert("fromYaml", sig(&[Str]), |_, a| {
        super::yaml::from_yaml(str_arg(&a[0]))
    });
}

fn go_base64_error(err: &base64::DecodeError) -> String {
    let offset = match err {
        base64::DecodeError::InvalidByte(offset, _) => *offset,
        base64::DecodeError::InvalidLength(len) => *len,
        base64::DecodeError::InvalidLastSymbol(offset, _) => *offset,
        base64::DecodeError::InvalidPadding => 0,
    };
    format!("illegal base64 data at input byte {offset}")
}

const B32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn base32_encode(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(B32[((bits >> (35 - i * 5)) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut bits: u64 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes() {
        let v = B32.iter().position(|&b| b == c)? as u64;
        bits = (bits << 5) | v;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

/// Go's `json.Unmarshal` into `interface{}`: numbers become float64.
pub fn from_json(text: &str) -> Result<Value, String> {
    let json: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    Ok(floats(&json))
}

fn floats(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::Array(items) => Value::list(items.iter().map(floats).collect()),
        serde_json::Value::Object(entries) => Value::map(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), floats(v)))
                .collect::<BTreeMap<_, _>>(),
        ),
        other => Value::from_json(other),
    }
}

/// Go's `json.Marshal` (or `MarshalIndent` with `indent`); `html` escapes <, > and &.
pub fn to_json(v: &Value, html: bool, indent: Option<&str>) -> Result<String, String> {
    let mut out = String::new();
    write_json(&mut out, v, html, indent, 0)?;
    Ok(out)
}

fn write_json(
    out: &mut String,
    v: &Value,
    html: bool,
    indent: Option<&str>,
    depth: usize,
) -> Result<(), String> {
    let newline = |out: &mut String, depth: usize| {
        if let Some(ind) = indent {
            out.push('\n');
            for _ in 0..depth {
                out.push_str(ind);
            }
        }
    };
    match v {
        Value::Missing | Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(format!("json: unsupported value: {}", printf::display(v)));
            }
            out.push_str(&json_float(*f));
        }
        Value::Str(s) => json_string(out, s, html),
        Value::List(_) if v.is_nil_list() => out.push_str("null"),
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                write_json(out, item, html, indent, depth + 1)?;
            }
            if !items.is_empty() {
                newline(out, depth);
            }
            out.push(']');
        }
        Value::Map(entries) => {
            let entries = entries.borrow();
            out.push('{');
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, depth + 1);
                json_string(out, k, html);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(out, item, html, indent, depth + 1)?;
            }
            if !entries.is_empty() {
                newline(out, depth);
            }
            out.push('}');
        }
        Value::Object(o) => json_string(out, &o.display(), html),
    }
    Ok(())
}

/// encoding/json's float format: shortest digits, exponent only for tiny or huge values.
fn json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        let digits = exp.abs();
        return if digits < 10 {
            format!("{mantissa}e{sign}0{digits}")
                .replace("e-0", "e-")
                .replace("e+0", "e+")
        } else {
            format!("{mantissa}e{sign}{digits}")
        };
    }
    let s = format!("{f}");
    s
}

fn json_string(out: &mut String, s: &str, html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}
