//! sprig's path functions (Go's `path` and, on Linux, `path/filepath`, which agree).

use super::conv::str_arg;
use crate::gotemplate::funcs::{FuncMap, Ty, sig};
use crate::gotemplate::value::Value;

pub fn register(m: &mut FuncMap) {
    for name in ["base", "osBase"] {
        m.insert(name, sig(&[Ty::Str]), |_, a| {
            Ok(Value::str(base(str_arg(&a[0]))))
        });
    }
    for name in ["dir", "osDir"] {
        m.insert(name, sig(&[Ty::Str]), |_, a| {
            Ok(Value::str(dir(str_arg(&a[0]))))
        });
    }
    for name in ["clean", "osClean"] {
        m.insert(name, sig(&[Ty::Str]), |_, a| {
            Ok(Value::str(clean(str_arg(&a[0]))))
        });
    }
    for name in ["ext", "osExt"] {
        m.insert(name, sig(&[Ty::Str]), |_, a| {
            Ok(Value::str(ext(str_arg(&a[0]))))
        });
    }
    for name in ["isAbs", "osIsAbs"] {
        m.insert(name, sig(&[Ty::Str]), |_, a| {
            Ok(Value::Bool(str_arg(&a[0]).starts_with('/')))
        });
    }
}

/// Go's `path.Clean`.
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_owned();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".to_owned();
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_owned();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_owned()
}

fn dir(p: &str) -> String {
    let cut = p.rfind('/').map_or(0, |i| i + 1);
    clean(&p[..cut])
}

fn ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        if c == '/' {
            break;
        }
        if c == '.' {
            return p[i..].to_owned();
        }
    }
    String::new()
}
