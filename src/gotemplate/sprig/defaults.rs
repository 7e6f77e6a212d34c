//! sprig's defaults and flow helpers: `default`, `empty`, `coalesce`, `all`, `any`, `ternary`,
//! `fail`, and the reflection helpers (`typeOf`, `kindOf`, `deepEqual`, …) over template types.

use super::conv::{empty, kind_name};
use crate::gotemplate::funcs::{FuncMap, Ty, sig, variadic};
use crate::gotemplate::value::Value;

use Ty::{Any, Bool, Str};

pub fn register(m: &mut FuncMap) {
    m.insert("default", variadic(&[Any], Any), |_, a| {
        if a.len() < 2 || empty(&a[1]) {
            return Ok(a[0].clone());
        }
        Ok(a[1].clone())
    });
    m.insert("empty", sig(&[Any]), |_, a| Ok(Value::Bool(empty(&a[0]))));
    m.insert("coalesce", variadic(&[], Any), |_, a| {
        Ok(a.iter().find(|v| !empty(v)).cloned().unwrap_or(Value::Nil))
    });
    m.insert("all", variadic(&[], Any), |_, a| {
        Ok(Value::Bool(a.iter().all(|v| !empty(v))))
    });
    m.insert("any", variadic(&[], Any), |_, a| {
        Ok(Value::Bool(a.iter().any(|v| !empty(v))))
    });
    m.insert("ternary", sig(&[Any, Any, Bool]), |_, a| {
        Ok(if matches!(a[2], Value::Bool(true)) {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    m.insert("fail", sig(&[Str]), |_, a| {
        Err(a[0].as_str().unwrap_or_default().to_owned())
    });
    m.insert("typeOf", sig(&[Any]), |_, a| Ok(Value::str(type_of(&a[0]))));
    m.insert("typeIs", sig(&[Str, Any]), |_, a| {
        Ok(Value::Bool(a[0].as_str() == Some(type_of(&a[1]))))
    });
    m.insert("typeIsLike", sig(&[Str, Any]), |_, a| {
        let t = type_of(&a[1]);
        let want = a[0].as_str().unwrap_or_default();
        Ok(Value::Bool(want == t || want == format!("*{t}")))
    });
    m.insert("kindOf", sig(&[Any]), |_, a| {
        Ok(Value::str(kind_name(&a[0])))
    });
    m.insert("kindIs", sig(&[Str, Any]), |_, a| {
        Ok(Value::Bool(a[0].as_str() == Some(kind_name(&a[1]))))
    });
    m.insert("deepEqual", sig(&[Any, Any]), |_, a| {
        Ok(Value::Bool(a[0] == a[1]))
    });
}

fn type_of(v: &Value) -> &'static str {
    if v.is_nil() { "<nil>" } else { v.type_name() }
}
