//! sprig's list functions (`list`, `append`, `first`, `uniq`, `has`, `concat`, …), with their
//! `must…` variants that return the error instead of panicking (a panic is an error to Go's
//! template engine too, so both forms fail alike here).

use super::conv::{empty, int_arg, items, kind_name, to_int64};
use crate::gotemplate::funcs::{FuncMap, Ty, sig, variadic};
use crate::gotemplate::value::Value;

use Ty::{Any, Int};

pub fn register(m: &mut FuncMap) {
    m.insert("list", variadic(&[], Any), |_, a| {
        Ok(Value::list_or_nil(a.to_vec()))
    });
    m.insert("tuple", variadic(&[], Any), |_, a| {
        Ok(Value::list_or_nil(a.to_vec()))
    });
    for name in ["append", "push", "mustAppend", "mustPush"] {
        m.insert(name, sig(&[Any, Any]), |_, a| {
            let mut l = items(&a[0], "push")?;
            l.push(a[1].clone());
            Ok(Value::list(l))
        });
    }
    for name in ["prepend", "mustPrepend"] {
        m.insert(name, sig(&[Any, Any]), |_, a| {
            let mut l = items(&a[0], "prepend")?;
            l.insert(0, a[1].clone());
            Ok(Value::list(l))
        });
    }
    for name in ["first", "mustFirst"] {
        m.insert(name, sig(&[Any]), |_, a| {
            Ok(items(&a[0], "find first")?
                .first()
                .cloned()
                .unwrap_or(Value::Nil))
        });
    }
    for name in ["last", "mustLast"] {
        m.insert(name, sig(&[Any]), |_, a| {
            Ok(items(&a[0], "find last")?
                .last()
                .cloned()
                .unwrap_or(Value::Nil))
        });
    }
    for name in ["rest", "mustRest"] {
        m.insert(name, sig(&[Any]), |_, a| {
            let l = items(&a[0], "find rest")?;
            if l.is_empty() {
                return Ok(Value::nil_list());
            }
            Ok(Value::list(l[1..].to_vec()))
        });
    }
    for name in ["initial", "mustInitial"] {
        m.insert(name, sig(&[Any]), |_, a| {
            let l = items(&a[0], "find initial")?;
            if l.is_empty() {
                return Ok(Value::nil_list());
            }
            Ok(Value::list(l[..l.len() - 1].to_vec()))
        });
    }
    for name in ["reverse", "mustReverse"] {
        m.insert(name, sig(&[Any]), |_, a| {
            let mut l = items(&a[0], "find reverse")?;
            l.reverse();
            Ok(Value::list(l))
        });
    }
    for name in ["compact", "mustCompact"] {
        m.insert(name, sig(&[Any]), |_, a| {
            Ok(Value::list(
                items(&a[0], "compact")?
                    .into_iter()
                    .filter(|v| !empty(v))
                    .collect(),
            ))
        });
    }
    for name in ["uniq", "mustUniq"] {
        m.insert(name, sig(&[Any]), |_, a| {
            let mut out: Vec<Value> = Vec::new();
            for item in items(&a[0], "find uniq")? {
                if !out.contains(&item) {
                    out.push(item);
                }
            }
            Ok(Value::list(out))
        });
    }
    for name in ["without", "mustWithout"] {
        m.insert(name, variadic(&[Any], Any), |_, a| {
            let omit = &a[1..];
            let l = items(&a[0], "find without")?;
            Ok(Value::list(
                l.into_iter().filter(|v| !omit.contains(v)).collect(),
            ))
        });
    }
    for name in ["has", "mustHas"] {
        m.insert(name, sig(&[Any, Any]), |_, a| {
            if a[1].is_nil() {
                return Ok(Value::Bool(false));
            }
            Ok(Value::Bool(items(&a[1], "find has")?.contains(&a[0])))
        });
    }
    for name in ["slice", "mustSlice"] {
        m.insert(name, variadic(&[Any], Any), |_, a| {
            let l = match &a[0] {
                Value::List(l) => l.to_vec(),
                v if v.is_nil() => {
                    return Err(
                        "runtime error: invalid memory address or nil pointer dereference"
                            .to_owned(),
                    );
                }
                other => {
                    return Err(format!(
                        "list should be type of slice or array but {}",
                        kind_name(other)
                    ));
                }
            };
            if l.is_empty() {
                return Ok(Value::Nil);
            }
            let start = a.get(1).map_or(0, to_int64);
            let end = a.get(2).map_or(l.len() as i64, to_int64);
            if start < 0 || end < start || end as usize > l.len() {
                return Err(format!("reflect: slice index out of range [{start}:{end}]"));
            }
            Ok(Value::list(l[start as usize..end as usize].to_vec()))
        });
    }
    m.insert("concat", variadic(&[], Any), |_, a| {
        let mut out = Vec::new();
        for list in a {
            match list {
                Value::List(l) => out.extend(l.iter().cloned()),
                v if v.is_nil() => {
                    return Err(
                        "runtime error: invalid memory address or nil pointer dereference"
                            .to_owned(),
                    );
                }
                other => return Err(format!("Cannot concat type {} as list", kind_name(other))),
            }
        }
        Ok(Value::list_or_nil(out))
    });
    for name in ["chunk", "mustChunk"] {
        m.insert(name, sig(&[Int, Any]), |_, a| {
            let size = int_arg(&a[0]);
            let l = items(&a[1], "chunk")?;
            if size <= 0 {
                return Err("runtime error: integer divide by zero".to_owned());
            }
            Ok(Value::list(
                l.chunks(size as usize)
                    .map(|c| Value::list(c.to_vec()))
                    .collect(),
            ))
        });
    }
    m.insert("until", sig(&[Int]), |_, a| {
        let count = int_arg(&a[0]);
        Ok(ints(until_step(0, count, if count < 0 { -1 } else { 1 })))
    });
    m.insert("untilStep", sig(&[Int, Int, Int]), |_, a| {
        Ok(ints(until_step(
            int_arg(&a[0]),
            int_arg(&a[1]),
            int_arg(&a[2]),
        )))
    });
    m.insert("seq", variadic(&[], Int), |_, a| {
        Ok(Value::str(seq(&a.iter().map(int_arg).collect::<Vec<_>>())))
    });
}

fn ints(v: Vec<i64>) -> Value {
    Value::list(v.into_iter().map(Value::Int).collect())
}

pub fn until_step(start: i64, stop: i64, step: i64) -> Vec<i64> {
    let mut v = Vec::new();
    if stop < start {
        if step >= 0 {
            return v;
        }
        let mut i = start;
        while i > stop {
            v.push(i);
            i += step;
        }
        return v;
    }
    if step <= 0 {
        return v;
    }
    let mut i = start;
    while i < stop {
        v.push(i);
        i += step;
    }
    v
}

fn seq(params: &[i64]) -> String {
    let join = |v: Vec<i64>| v.iter().map(i64::to_string).collect::<Vec<_>>().join(" ");
    match params {
        [end] => {
            let inc = if *end < 1 { -1 } else { 1 };
            join(until_step(1, end + inc, inc))
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            join(until_step(*start, end + step, step))
        }
        [start, step, end] => {
            let mut inc = 1;
            if end < start {
                inc = -1;
                if *step > 0 {
                    return String::new();
                }
            }
            join(until_step(*start, end + inc, *step))
        }
        _ => String::new(),
    }
}
