//! sprig's dict functions (`dict`, `get`, `set`, `unset`, `hasKey`, `pluck`, `keys`, `pick`,
//! `omit`, `merge`, `mergeOverwrite`, `values`, `dig`, `deepCopy`); `set` and `unset` change the
//! map itself, as they do in Go.

use std::collections::BTreeMap;

use super::conv::{str_arg, strs, strval};
use crate::gotemplate::funcs::{FuncMap, Ty, sig, variadic};
use crate::gotemplate::value::Value;

use Ty::{Any, Map, Str};

pub fn register(m: &mut FuncMap) {
    m.insert("dict", variadic(&[], Any), |_, a| {
        let mut d = BTreeMap::new();
        for pair in a.chunks(2) {
            let value = pair.get(1).cloned().unwrap_or_else(|| Value::str(""));
            d.insert(strval(&pair[0]), value);
        }
        Ok(Value::map(d))
    });
    m.insert("get", sig(&[Map, Str]), |_, a| {
        Ok(with_map(&a[0], |d| d.get(str_arg(&a[1])).cloned())
            .flatten()
            .unwrap_or_else(|| Value::str("")))
    });
    m.insert("set", sig(&[Map, Str, Any]), |_, a| {
        let Value::Map(d) = &a[0] else {
            return Err("assignment to entry in nil map".to_owned());
        };
        d.borrow_mut()
            .insert(str_arg(&a[1]).to_owned(), a[2].clone());
        Ok(a[0].clone())
    });
    m.insert("unset", sig(&[Map, Str]), |_, a| {
        if let Value::Map(d) = &a[0] {
            d.borrow_mut().remove(str_arg(&a[1]));
        }
        Ok(a[0].clone())
    });
    m.insert("hasKey", sig(&[Map, Str]), |_, a| {
        Ok(Value::Bool(
            with_map(&a[0], |d| d.contains_key(str_arg(&a[1]))).unwrap_or(false),
        ))
    });
    m.insert("pluck", variadic(&[Str], Map), |_, a| {
        let key = str_arg(&a[0]);
        let found = a[1..]
            .iter()
            .filter_map(|d| with_map(d, |d| d.get(key).cloned()).flatten())
            .collect();
        Ok(Value::list(found))
    });
    m.insert("keys", variadic(&[], Map), |_, a| {
        let mut keys = Vec::new();
        for d in a {
            with_map(d, |d| keys.extend(d.keys().cloned()));
        }
        Ok(strs(keys))
    });
    m.insert("values", sig(&[Map]), |_, a| {
        Ok(Value::list(
            with_map(&a[0], |d| d.values().cloned().collect()).unwrap_or_default(),
        ))
    });
    m.insert("pick", variadic(&[Map], Str), |_, a| {
        let mut out = BTreeMap::new();
        with_map(&a[0], |d| {
            for k in &a[1..] {
                if let Some(v) = d.get(str_arg(k)) {
                    out.insert(str_arg(k).to_owned(), v.clone());
                }
            }
        });
        Ok(Value::map(out))
    });
    m.insert("omit", variadic(&[Map], Str), |_, a| {
        let omit: Vec<&str> = a[1..].iter().map(str_arg).collect();
        let out = with_map(&a[0], |d| {
            d.iter()
                .filter(|(k, _)| !omit.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        });
        Ok(Value::map(out.unwrap_or_default()))
    });
    for name in ["merge", "mustMerge"] {
        m.insert(name, variadic(&[Map], Map), |_, a| merge(a, false));
    }
    for name in ["mergeOverwrite", "mustMergeOverwrite"] {
        m.insert(name, variadic(&[Map], Map), |_, a| merge(a, true));
    }
    m.insert("dig", variadic(&[Any], Any), |_, a| {
        if a.len() < 3 {
            return Err(format!(
                "reflect: Call with too few input arguments; got {}",
                a.len()
            ));
        }
        let (keys, default, dict) = (&a[..a.len() - 2], &a[a.len() - 2], &a[a.len() - 1]);
        let mut current = dict.clone();
        for key in keys {
            let Value::Str(key) = key else {
                return Err(format!(
                    "interface conversion: interface {{}} is {}, not string",
                    key.type_name()
                ));
            };
            let Value::Map(d) = &current else {
                return Err(format!(
                    "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                    current.type_name()
                ));
            };
            let next = d.borrow().get(&**key).cloned();
            match next {
                Some(v) => current = v,
                None => return Ok(default.clone()),
            }
        }
        Ok(current)
    });
    for name in ["deepCopy", "mustDeepCopy"] {
        m.insert(name, sig(&[Any]), |_, a| Ok(deep_copy(&a[0])));
    }
}

fn with_map<T>(v: &Value, f: impl FnOnce(&BTreeMap<String, Value>) -> T) -> Option<T> {
    match v {
        Value::Map(d) => Some(f(&d.borrow())),
        _ => None,
    }
}

pub fn deep_copy(v: &Value) -> Value {
    match v {
        Value::Map(d) => Value::map(
            d.borrow()
                .iter()
                .map(|(k, v)| (k.clone(), deep_copy(v)))
                .collect(),
        ),
        Value::List(l) => Value::list(l.iter().map(deep_copy).collect()),
        other => other.clone(),
    }
}

/// mergo's `Merge` (fill empty destination values, recursing into maps) and `WithOverride`.
fn merge(a: &[Value], overwrite: bool) -> Result<Value, String> {
    let Value::Map(dst) = &a[0] else {
        return Ok(Value::str(""));
    };
    for src in &a[1..] {
        let Value::Map(src) = src else { continue };
        if std::rc::Rc::ptr_eq(dst, src) {
            continue;
        }
        let src = src.borrow().clone();
        merge_into(&mut dst.borrow_mut(), &src, overwrite);
    }
    Ok(a[0].clone())
}

/// mergo's `deepMerge` for `map[string]interface{}` values, rule by rule: nil sources only
/// overwrite; map sources merge into a map destination and replace only an empty one; list
/// sources replace an empty destination (or any with overwrite); other values replace an empty
/// destination (or any with overwrite).
fn merge_into(dst: &mut BTreeMap<String, Value>, src: &BTreeMap<String, Value>, overwrite: bool) {
    for (k, sv) in src {
        let dv = dst.get(k).cloned();
        let dst_full = dv.as_ref().is_some_and(Value::truth);
        match sv {
            Value::Nil | Value::Missing => {
                if overwrite {
                    dst.insert(k.clone(), Value::Nil);
                }
            }
            Value::Map(sm) => {
                if let Some(Value::Map(dm)) = &dv
                    && !std::rc::Rc::ptr_eq(dm, sm)
                {
                    let sm = sm.borrow().clone();
                    merge_into(&mut dm.borrow_mut(), &sm, overwrite);
                }
                if !dst_full {
                    dst.insert(k.clone(), sv.clone());
                }
            }
            Value::List(_) => {
                if overwrite || !dst_full {
                    dst.insert(k.clone(), sv.clone());
                }
            }
            _ => {
                if overwrite || !dst_full {
                    dst.insert(k.clone(), sv.clone());
                }
            }
        }
    }
}
