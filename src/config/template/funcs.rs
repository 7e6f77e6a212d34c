//! werf's own template functions (pkg/config/parser.go): `env` (guarded by giterminism),
//! `required`, `include`, `tpl`, and the `…_debug` variants, on top of sprig without
//! `expandenv`.

use std::collections::BTreeMap;

use super::giterminism::{FILE, Giterminism};
use crate::gotemplate::exec::Exec;
use crate::gotemplate::funcs::{FuncMap, Ty, sig, variadic};
use crate::gotemplate::{Engine, Value, printf, sprig};

/// What werf's functions read, kept in the engine.
pub struct Host {
    pub env: BTreeMap<String, String>,
    pub giterminism: Giterminism,
    pub loose: bool,
}

fn host<'a>(exec: &'a Exec<'_>) -> &'a Host {
    exec.engine
        .host
        .as_ref()
        .and_then(|h| h.downcast_ref::<Host>())
        .expect("werf's functions run in an engine made by werf_funcs")
}

pub fn werf_funcs() -> FuncMap {
    let mut m = Engine::with_sprig();
    m.remove("expandenv");
    m.insert("env", variadic(&[Ty::Any], Ty::Str), env);
    m.insert("required", sig(&[Ty::Str, Ty::Any]), |_, a| match &a[1] {
        v if v.is_nil() => Err(a[0].as_str().unwrap_or_default().to_owned()),
        Value::Str(s) if s.is_empty() => Err(a[0].as_str().unwrap_or_default().to_owned()),
        v => Ok(v.clone()),
    });
    m.insert("include", sig(&[Ty::Str, Ty::Any]), include);
    m.insert("include_debug", sig(&[Ty::Str, Ty::Any]), include);
    m.insert("tpl", sig(&[Ty::Str, Ty::Any]), tpl);
    m.insert("tpl_debug", sig(&[Ty::Str, Ty::Any]), tpl);
    m.insert("printf_debug", variadic(&[Ty::Str], Ty::Any), |_, _| {
        Ok(Value::str(""))
    });
    m.insert("dump_debug", sig(&[Ty::Any]), |_, _| Ok(Value::str("")));
    m
}

fn env(exec: &mut Exec<'_>, a: &[Value]) -> Result<Value, String> {
    if a.len() > 2 {
        return Err("more than 1 optional argument prohibited".to_owned());
    }
    let name = printf::sprint(&a[..1]);
    let host = host(exec);
    if !host.loose && !host.giterminism.env_allowed(&name) {
        return Err(format!(
            "env name {name:?} not allowed by giterminism (the value would make image digests depend on the machine); \
             allow it in {FILE} with config.goTemplateRendering.allowEnvVariables: [{name}] (a name or a /regex/), \
             or use --loose-giterminism"
        ));
    }
    let fallback = a.get(1).map(|v| v.as_str().unwrap_or_default().to_owned());
    match host.env.get(&name) {
        None => match fallback {
            Some(d) => Ok(Value::str(d)),
            None if !host.loose => Err(format!(
                "the environment variable {name:?} must be set or default must be provided"
            )),
            None => Ok(Value::str("")),
        },
        Some(v) if v.is_empty() && fallback.is_some() => {
            Ok(Value::str(fallback.unwrap_or_default()))
        }
        Some(v) => Ok(Value::str(v.as_str())),
    }
}

fn include(exec: &mut Exec<'_>, a: &[Value]) -> Result<Value, String> {
    let name = a[0].as_str().unwrap_or_default();
    exec.execute_nested(name, a[1].clone()).map(Value::str)
}

fn tpl(exec: &mut Exec<'_>, a: &[Value]) -> Result<Value, String> {
    let content = a[0].as_str().unwrap_or_default();
    let name = format!("tpl-{}", sprig::adler32(content.as_bytes()));
    exec.engine
        .parse(&name, content)
        .map_err(|e| e.to_string())?;
    exec.execute_nested(&name, a[1].clone()).map(Value::str)
}
