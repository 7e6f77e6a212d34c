//! sprig's regular-expression functions over Rust's `regex` (RE2 syntax, like Go's regexp).

use regex::Regex;

use super::conv::{int_arg, str_arg, strs};
use crate::gotemplate::funcs::{FuncMap, Ty, sig};
use crate::gotemplate::value::Value;

use Ty::{Int, Str};

fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| format!("error parsing regexp: {e}"))
}

pub fn register(m: &mut FuncMap) {
    for name in ["regexMatch", "mustRegexMatch"] {
        m.insert(name, sig(&[Str, Str]), |_, a| {
            Ok(Value::Bool(
                compile(str_arg(&a[0]))?.is_match(str_arg(&a[1])),
            ))
        });
    }
    for name in ["regexFindAll", "mustRegexFindAll"] {
        m.insert(name, sig(&[Str, Str, Int]), |_, a| {
            let re = compile(str_arg(&a[0]))?;
            let n = int_arg(&a[2]);
            let found = re.find_iter(str_arg(&a[1])).map(|m| m.as_str().to_owned());
            let found: Vec<String> = if n < 0 {
                found.collect()
            } else {
                found.take(n as usize).collect()
            };
            if found.is_empty() {
                // Go's FindAllString gives a nil slice.
                return Ok(Value::nil_list());
            }
            Ok(strs(found))
        });
    }
    for name in ["regexFind", "mustRegexFind"] {
        m.insert(name, sig(&[Str, Str]), |_, a| {
            let re = compile(str_arg(&a[0]))?;
            Ok(Value::str(
                re.find(str_arg(&a[1])).map_or("", |m| m.as_str()),
            ))
        });
    }
    for name in ["regexReplaceAll", "mustRegexReplaceAll"] {
        m.insert(name, sig(&[Str, Str, Str]), |_, a| {
            let re = compile(str_arg(&a[0]))?;
            Ok(Value::str(
                re.replace_all(str_arg(&a[1]), go_template(str_arg(&a[2])).as_str())
                    .as_ref(),
            ))
        });
    }
    for name in ["regexReplaceAllLiteral", "mustRegexReplaceAllLiteral"] {
        m.insert(name, sig(&[Str, Str, Str]), |_, a| {
            let re = compile(str_arg(&a[0]))?;
            Ok(Value::str(
                re.replace_all(str_arg(&a[1]), regex::NoExpand(str_arg(&a[2])))
                    .as_ref(),
            ))
        });
    }
    for name in ["regexSplit", "mustRegexSplit"] {
        m.insert(name, sig(&[Str, Str, Int]), |_, a| {
            let re = compile(str_arg(&a[0]))?;
            let n = int_arg(&a[2]);
            let s = str_arg(&a[1]);
            let parts: Vec<String> = match n {
                0 => Vec::new(),
                n if n < 0 => re.split(s).map(str::to_owned).collect(),
                n => re.splitn(s, n as usize).map(str::to_owned).collect(),
            };
            Ok(strs(parts))
        });
    }
    m.insert("regexQuoteMeta", sig(&[Str]), |_, a| {
        // Go's QuoteMeta escapes fewer characters than Rust's `regex::escape`.
        let mut out = String::new();
        for c in str_arg(&a[0]).chars() {
            if "\\.+*?()|[]{}^$".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
        Ok(Value::str(out))
    });
}

/// Go's `Expand` template syntax (`$1`, `${name}`) in Rust's: Go takes the longest name after
/// `$`, which Rust's syntax needs braces for.
fn go_template(t: &str) -> String {
    let mut out = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '$' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('$') => {
                chars.next();
                out.push_str("$$");
            }
            Some('{') => out.push('$'),
            Some(&n) if n.is_alphanumeric() || n == '_' => {
                let mut name = String::new();
                while let Some(&n) = chars.peek() {
                    if n.is_alphanumeric() || n == '_' {
                        name.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push_str(&format!("${{{name}}}"));
            }
            _ => out.push_str("$$"),
        }
    }
    out
}
