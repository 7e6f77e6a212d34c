//! sprig's conversions: `strval`, `strslice`, `empty`, and spf13/cast's `ToInt64`/`ToFloat64`,
//! which most sprig functions apply to their `interface{}` arguments.

use crate::gotemplate::printf;
use crate::gotemplate::value::Value;

/// sprig's `strval`: strings as they are, everything else as `%v` prints it.
pub fn strval(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        other => printf::display(other),
    }
}

/// sprig's `strslice`: a list's non-nil elements as strings; a scalar as a one-element list.
pub fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(items) => items.iter().filter(|i| !i.is_nil()).map(strval).collect(),
        v if v.is_nil() => Vec::new(),
        other => vec![strval(other)],
    }
}

/// sprig's `empty`: Go's zero values, empty collections and nil.
pub fn empty(v: &Value) -> bool {
    !v.truth()
}

/// Go's `reflect.Kind` name of a value, as sprig's "Cannot … on type X" errors print it.
pub fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Missing | Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Int64(_) => "int64",
        Value::Float(_) => "float64",
        Value::Str(_) => "string",
        Value::List(_) => "slice",
        Value::Map(_) => "map",
        Value::Object(_) => "ptr",
    }
}

/// The elements of a list argument; anything else fails as sprig's reflection would.
pub fn items(v: &Value, what: &str) -> Result<Vec<Value>, String> {
    match v {
        Value::List(items) => Ok(items.to_vec()),
        v if v.is_nil() => {
            Err("runtime error: invalid memory address or nil pointer dereference".to_owned())
        }
        other => Err(format!("Cannot {what} on type {}", kind_name(other))),
    }
}

/// spf13/cast `ToInt64` (errors become 0, as sprig ignores them).
pub fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Float(f) => *f as i64,
        Value::Bool(b) => i64::from(*b),
        Value::Str(s) => crate::gotemplate::strconv::parse_int(s).unwrap_or(0),
        _ => 0,
    }
}

/// spf13/cast `ToFloat64`.
pub fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Str(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|_| !s.trim().is_empty())
            .unwrap_or(0.0),
        _ => 0.0,
    }
}

pub fn str_arg(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

pub fn int_arg(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        _ => 0,
    }
}

pub fn strs(items: Vec<String>) -> Value {
    Value::list(items.into_iter().map(Value::str).collect())
}
