//! sprig's `semver` and `semverCompare` with Masterminds/semver v3's version syntax and
//! constraint rules (`=`, `!=`, `>`, `<`, `>=`, `<=`, `~`, `^`, wildcards, ranges, `||`).

use std::cmp::Ordering;
use std::rc::Rc;

use super::conv::str_arg;
use crate::gotemplate::funcs::{FuncMap, Signature, Ty, sig};
use crate::gotemplate::value::{Object, Value};

pub fn register(m: &mut FuncMap) {
    m.insert("semver", sig(&[Ty::Str]), |_, a| {
        let v =
            Version::parse(str_arg(&a[0])).ok_or_else(|| "Invalid Semantic Version".to_owned())?;
        Ok(Value::Object(Rc::new(v)))
    });
    m.insert("semverCompare", sig(&[Ty::Str, Ty::Str]), |_, a| {
        let constraints = parse_constraints(str_arg(&a[0]))?;
        let v =
            Version::parse(str_arg(&a[1])).ok_or_else(|| "Invalid Semantic Version".to_owned())?;
        Ok(Value::Bool(
            constraints
                .iter()
                .any(|all| all.iter().all(|c| c.check(&v))),
        ))
    });
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
}

impl Version {
    pub fn parse(text: &str) -> Option<Version> {
        let s = text.strip_prefix('v').unwrap_or(text);
        let (s, metadata) = match s.split_once('+') {
            Some((a, b)) => (a, b.to_owned()),
            None => (s, String::new()),
        };
        let (core, pre) = match s.split_once('-') {
            Some((a, b)) => (a, b.to_owned()),
            None => (s, String::new()),
        };
        let ident_ok = |p: &str| {
            p.split('.').all(|part| {
                !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
        };
        if (!pre.is_empty() && !ident_ok(&pre)) || (!metadata.is_empty() && !ident_ok(&metadata)) {
            return None;
        }
        if (text.contains('-') && pre.is_empty() && !text.contains('+'))
            || (text.contains('+') && metadata.is_empty())
        {
            return None;
        }
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return None;
        }
        let num = |p: Option<&&str>| -> Option<u64> {
            match p {
                None => Some(0),
                Some(p) if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) => p.parse().ok(),
                _ => None,
            }
        };
        Some(Version {
            major: num(parts.first())?,
            minor: num(parts.get(1))?,
            patch: num(parts.get(2))?,
            pre,
            metadata,
            original: text.to_owned(),
        })
    }

    fn compare(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| compare_pre(&self.pre, &other.pre))
    }
}

fn compare_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for i in 0..pa.len().max(pb.len()) {
        let (x, y) = match (pa.get(i), pb.get(i)) {
            (Some(x), Some(y)) => (x, y),
            (Some(_), None) => return Ordering::Greater,
            (None, Some(_)) => return Ordering::Less,
            (None, None) => break,
        };
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            (Err(_), Err(_)) => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

impl Object for Version {
    fn type_name(&self) -> &'static str {
        "*semver.Version"
    }

    fn method(&self, name: &str) -> Option<Signature> {
        match name {
            "Major" | "Minor" | "Patch" | "Prerelease" | "Metadata" | "Original" | "String" => {
                Some(sig(&[]))
            }
            "Compare" | "LessThan" | "GreaterThan" | "Equal" => Some(sig(&[Ty::Any])),
            _ => None,
        }
    }

    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        if let Some(other) = args.first() {
            let Value::Object(o) = other else {
                return Err(format!(
                    "wrong type for value; expected *semver.Version; got {}",
                    other.type_name()
                ));
            };
            let Some(other) = Version::parse(&o.display()) else {
                return Err("Invalid Semantic Version".to_owned());
            };
            let ord = self.compare(&other);
            return Ok(match name {
                "Compare" => Value::Int(ord as i64),
                "LessThan" => Value::Bool(ord == Ordering::Less),
                "GreaterThan" => Value::Bool(ord == Ordering::Greater),
                _ => Value::Bool(ord == Ordering::Equal),
            });
        }
        Ok(match name {
            "Major" => Value::Int64(self.major as i64),
            "Minor" => Value::Int64(self.minor as i64),
            "Patch" => Value::Int64(self.patch as i64),
            "Prerelease" => Value::str(self.pre.as_str()),
            "Metadata" => Value::str(self.metadata.as_str()),
            "Original" => Value::str(self.original.as_str()),
            _ => Value::str(self.to_string()),
        })
    }

    fn display(&self) -> String {
        self.to_string()
    }
}

#[derive(Debug)]
struct Constraint {
    op: String,
    con: Version,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

fn invalid(text: &str) -> String {
    format!("improper constraint: {text}")
}

/// `A || B` of `C, D` (or space-separated) terms; a hyphen range becomes `>= a, <= b`.
fn parse_constraints(text: &str) -> Result<Vec<Vec<Constraint>>, String> {
    let mut out = Vec::new();
    for alternative in text.split("||") {
        let mut terms = Vec::new();
        let mut tokens: Vec<String> = Vec::new();
        for piece in alternative.split(',') {
            let words: Vec<&str> = piece.split_whitespace().collect();
            let mut i = 0;
            while i < words.len() {
                if i + 2 < words.len() && words[i + 1] == "-" {
                    tokens.push(format!(">={}", words[i]));
                    tokens.push(format!("<={}", words[i + 2]));
                    i += 3;
                    continue;
                }
                let w = words[i];
                let is_op = matches!(
                    w,
                    "=" | "!=" | ">" | "<" | ">=" | "=>" | "<=" | "=<" | "~" | "~>" | "^"
                );
                if is_op && i + 1 < words.len() {
                    tokens.push(format!("{w}{}", words[i + 1]));
                    i += 2;
                    continue;
                }
                tokens.push(w.to_owned());
                i += 1;
            }
        }
        if tokens.is_empty() {
            return Err(invalid(text));
        }
        for token in tokens {
            terms.push(parse_constraint(&token).ok_or_else(|| invalid(text))?);
        }
        out.push(terms);
    }
    Ok(out)
}

fn parse_constraint(token: &str) -> Option<Constraint> {
    let op_len = token
        .find(|c: char| c.is_ascii_alphanumeric() || c == '*')
        .unwrap_or(token.len());
    let (op, rest) = token.split_at(op_len);
    let op = match op {
        "" | "=" => "=",
        "!=" => "!=",
        ">" => ">",
        "<" => "<",
        ">=" | "=>" => ">=",
        "<=" | "=<" => "<=",
        "~" | "~>" => "~",
        "^" => "^",
        _ => return None,
    };
    let rest = rest.strip_prefix('v').unwrap_or(rest);
    let (core, tail) = match rest.find(['-', '+']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
    let text = if is_x(parts[0]) {
        dirty = true;
        format!("0.0.0{tail}")
    } else if parts.get(1).is_some_and(|p| is_x(p)) {
        dirty = true;
        minor_dirty = true;
        format!("{}.0.0{tail}", parts[0])
    } else if parts.get(2).is_some_and(|p| is_x(p)) {
        dirty = true;
        patch_dirty = true;
        format!("{}.{}.0{tail}", parts[0], parts[1])
    } else {
        rest.to_owned()
    };
    let con = Version::parse(&text)?;
    Some(Constraint {
        op: op.to_owned(),
        con,
        dirty,
        minor_dirty,
        patch_dirty,
    })
}

impl Constraint {
    fn check(&self, v: &Version) -> bool {
        let c = &self.con;
        if self.op == "!=" && !self.dirty {
            // The only operator that accepts prereleases the constraint does not mention.
            return v.compare(c) != Ordering::Equal;
        }
        if !v.pre.is_empty() && c.pre.is_empty() {
            return false;
        }
        match self.op.as_str() {
            "=" => {
                if self.dirty {
                    return self.tilde(v);
                }
                v.compare(c) == Ordering::Equal
            }
            "!=" => {
                if c.major != v.major {
                    return true;
                }
                if c.minor != v.minor && !self.minor_dirty {
                    return true;
                }
                if self.minor_dirty {
                    return false;
                }
                if c.patch != v.patch && !self.patch_dirty {
                    return true;
                }
                if self.patch_dirty {
                    return compare_pre(&v.pre, &c.pre) != Ordering::Equal;
                }
                v.compare(c) != Ordering::Equal
            }
            ">" => {
                if !self.dirty {
                    return v.compare(c) == Ordering::Greater;
                }
                if v.major != c.major {
                    return v.major > c.major;
                }
                if self.minor_dirty {
                    return false;
                }
                if self.patch_dirty {
                    return v.minor > c.minor;
                }
                false
            }
            "<" => v.compare(c) == Ordering::Less,
            ">=" => v.compare(c) != Ordering::Less,
            "<=" => {
                if !self.dirty {
                    return v.compare(c) != Ordering::Greater;
                }
                if v.major != c.major {
                    return v.major < c.major;
                }
                if self.minor_dirty {
                    return true;
                }
                if self.patch_dirty {
                    return v.minor <= c.minor;
                }
                true
            }
            "~" => self.tilde(v),
            _ => self.caret(v),
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if self.dirty && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        if v.minor != c.minor && !self.minor_dirty {
            return false;
        }
        true
    }

    fn caret(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.major == 0 && v.minor == c.minor;
        }
        v.major == 0 && v.minor == 0 && v.patch == c.patch
    }
}
