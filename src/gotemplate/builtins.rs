//! Go's built-in template functions (`and or not len index slice print printf println eq ne lt
//! le gt ge html js urlquery call`) with Go's comparison and indexing rules and error texts.

use super::exec::Exec;
use super::funcs::{Func, FuncMap, Imp, Ty, sig, variadic};
use super::printf;
use super::value::Value;

pub fn register(map: &mut FuncMap) {
    let and_or = variadic(&[Ty::Reflect], Ty::Reflect);
    map.insert_func(
        "and",
        Func {
            sig: and_or,
            imp: Imp::And,
        },
    );
    map.insert_func(
        "or",
        Func {
            sig: and_or,
            imp: Imp::Or,
        },
    );
    map.insert("not", sig(&[Ty::Reflect]), |_, a| {
        Ok(Value::Bool(!a[0].truth()))
    });
    map.insert("len", sig(&[Ty::Reflect]), length);
    map.insert("index", variadic(&[Ty::Reflect], Ty::Reflect), index);
    map.insert("slice", variadic(&[Ty::Reflect], Ty::Reflect), slice);
    map.insert("print", variadic(&[], Ty::Any), |_, a| {
        Ok(Value::str(printf::sprint(a)))
    });
    map.insert("println", variadic(&[], Ty::Any), |_, a| {
        Ok(Value::str(printf::sprintln(a)))
    });
    map.insert("printf", variadic(&[Ty::Str], Ty::Any), |_, a| {
        let format = a[0].as_str().unwrap_or_default().to_owned();
        Ok(Value::str(printf::sprintf(&format, &a[1..])))
    });
    map.insert("eq", variadic(&[Ty::Reflect], Ty::Reflect), eq);
    map.insert("ne", sig(&[Ty::Reflect, Ty::Reflect]), |e, a| {
        eq(e, a).map(|v| Value::Bool(!v.truth()))
    });
    map.insert("lt", sig(&[Ty::Reflect, Ty::Reflect]), |_, a| {
        lt(&a[0], &a[1]).map(Value::Bool)
    });
    map.insert("le", sig(&[Ty::Reflect, Ty::Reflect]), |_, a| {
        le(&a[0], &a[1]).map(Value::Bool)
    });
    map.insert("gt", sig(&[Ty::Reflect, Ty::Reflect]), |_, a| {
        le(&a[0], &a[1]).map(|v| Value::Bool(!v))
    });
    map.insert("ge", sig(&[Ty::Reflect, Ty::Reflect]), |_, a| {
        lt(&a[0], &a[1]).map(|v| Value::Bool(!v))
    });
    map.insert("html", variadic(&[], Ty::Any), |_, a| {
        Ok(Value::str(html_escape(&eval_args(a))))
    });
    map.insert("js", variadic(&[], Ty::Any), |_, a| {
        Ok(Value::str(js_escape(&eval_args(a))))
    });
    map.insert("urlquery", variadic(&[], Ty::Any), |_, a| {
        Ok(Value::str(query_escape(&eval_args(a))))
    });
    map.insert("call", variadic(&[Ty::Reflect], Ty::Reflect), |_, a| {
        Err(match &a[0] {
            v if v.is_nil() => "call of nil".to_owned(),
            v => format!("non-function of type {}", v.type_name()),
        })
    });
}

fn eval_args(args: &[Value]) -> String {
    if let [Value::Str(s)] = args {
        return s.to_string();
    }
    // Go prints nil arguments of these functions as the template prints a missing value.
    let args: Vec<Value> = args
        .iter()
        .map(|v| {
            if v.is_nil() {
                Value::str("<no value>")
            } else {
                v.clone()
            }
        })
        .collect();
    printf::sprint(&args)
}

fn length(_: &mut Exec<'_>, a: &[Value]) -> Result<Value, String> {
    let n = match &a[0] {
        Value::Str(s) => s.len(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.borrow().len(),
        Value::Nil | Value::Missing => return Err("len of nil pointer".to_owned()),
        other => return Err(format!("len of type {}", other.type_name())),
    };
    Ok(Value::Int(n as i64))
}

fn index_arg(index: &Value, cap: usize) -> Result<usize, String> {
    let x = match index {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Nil | Value::Missing => return Err("cannot index slice/array with nil".to_owned()),
        other => {
            return Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

fn index(_: &mut Exec<'_>, a: &[Value]) -> Result<Value, String> {
    let mut item = a[0].clone();
    if item.is_nil() {
        return Err("index of untyped nil".to_owned());
    }
    for index in &a[1..] {
        item = match &item {
            Value::Nil | Value::Missing => return Err("index of nil pointer".to_owned()),
            Value::List(l) => {
                let x = index_arg(index, l.len())?;
                l.get(x)
                    .cloned()
                    .ok_or_else(|| "reflect: slice index out of range".to_owned())?
            }
            Value::Str(s) => {
                let x = index_arg(index, s.len())?;
                let b = s
                    .as_bytes()
                    .get(x)
                    .ok_or_else(|| "reflect: string index out of range".to_owned())?;
                Value::Int(i64::from(*b))
            }
            Value::Map(m) => match index {
                Value::Str(k) => m.borrow().get(&**k).cloned().unwrap_or(Value::Nil),
                v if v.is_nil() => return Err("value is nil; should be of type string".to_owned()),
                v => {
                    return Err(format!(
                        "value has type {}; should be string",
                        v.type_name()
                    ));
                }
            },
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn slice(_: &mut Exec<'_>, a: &[Value]) -> Result<Value, String> {
    let item = &a[0];
    if item.is_nil() {
        return Err("slice of untyped nil".to_owned());
    }
    let indexes = &a[1..];
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let len = match item {
        Value::Str(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".to_owned());
            }
            s.len()
        }
        Value::List(l) => l.len(),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let mut idx = [0, len, len];
    for (i, index) in indexes.iter().enumerate() {
        idx[i] = index_arg(index, len)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(match item {
        Value::Str(s) => {
            Value::str(String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]]).as_ref())
        }
        Value::List(l) => Value::list(l[idx[0]..idx[1]].to_vec()),
        _ => Value::Missing,
    })
}

#[derive(PartialEq, Clone, Copy)]
enum Kind {
    Bool,
    Int,
    Float,
    Str,
    Invalid,
}

fn basic_kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Int64(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::Str(_) => Kind::Str,
        _ => Kind::Invalid,
    }
}

fn is_nil_ish(v: &Value) -> bool {
    v.is_nil() || v.is_nil_list()
}

const BAD_TYPE: &str = "invalid type for comparison";
const INCOMPATIBLE: &str = "incompatible types for comparison";

fn eq(_: &mut Exec<'_>, a: &[Value]) -> Result<Value, String> {
    let arg1 = &a[0];
    if a.len() < 2 {
        return Err("missing argument for comparison".to_owned());
    }
    let k1 = basic_kind(arg1);
    for arg in &a[1..] {
        let k2 = basic_kind(arg);
        let truth = if k1 != k2 {
            if !arg1.is_nil() && !arg.is_nil() {
                return Err(INCOMPATIBLE.to_owned());
            }
            false
        } else {
            match (arg1, arg) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::Str(x), Value::Str(y)) => x == y,
                // Go compares nil (and nil slices) by nil-ness alone.
                (x, y) if is_nil_ish(x) || is_nil_ish(y) => is_nil_ish(x) == is_nil_ish(y),
                (x, y) if x.type_name() != y.type_name() => {
                    return Err(format!(
                        "non-comparable types {}: {}, {}: {}",
                        printf::display(x),
                        x.type_name(),
                        y.type_name(),
                        printf::display(y)
                    ));
                }
                (_, y) => {
                    return Err(format!(
                        "non-comparable type {}: {}",
                        printf::display(y),
                        y.type_name()
                    ));
                }
            }
        };
        if truth {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn lt(a: &Value, b: &Value) -> Result<bool, String> {
    let (k1, k2) = (basic_kind(a), basic_kind(b));
    if k1 == Kind::Invalid || k2 == Kind::Invalid {
        return Err(BAD_TYPE.to_owned());
    }
    if k1 != k2 {
        return Err(INCOMPATIBLE.to_owned());
    }
    Ok(match (a, b) {
        (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x < y,
        (Value::Str(x), Value::Str(y)) => x < y,
        _ => return Err(BAD_TYPE.to_owned()),
    })
}

fn le(a: &Value, b: &Value) -> Result<bool, String> {
    if lt(a, b)? {
        return Ok(true);
    }
    let (k1, k2) = (basic_kind(a), basic_kind(b));
    if k1 != k2 {
        return Err(INCOMPATIBLE.to_owned());
    }
    Ok(a == b
        || matches!((a, b), (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) if x == y))
}

/// Go's `template.HTMLEscapeString`.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\0' => out.push('\u{FFFD}'),
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Go's `template.JSEscapeString`.
pub fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04X}", c as u32)),
            c if !c.is_ascii() && !super::strconv::is_print(c) => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
