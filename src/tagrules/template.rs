//! The small Handlebars subset docker/metadata-action's rules use (`{{branch}}`, `{{version}}`,
//! `{{date 'YYYYMMDD'}}`…), parsed once so that an unknown expression is a parse error, not a
//! surprise at tag time.

/// Which expressions a field may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// `prefix`, `suffix`, `value`, `enable`: the global expressions.
    Global,
    /// `type=semver,pattern=`.
    Semver,
    /// `type=schedule,pattern=`.
    Schedule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Expr {
    Branch,
    Tag,
    Sha,
    BaseRef,
    IsDefaultBranch,
    Date(Vec<DatePart>),
    Raw,
    Version,
    Major,
    Minor,
    Patch,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Lit(String),
    Expr(Expr),
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    pub(crate) fn parse(s: &str, scope: Scope) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = s;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Lit(rest[..start].to_owned()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| "unterminated \"{{\"".to_owned())?;
            parts.push(Part::Expr(parse_expr(&after[..end], scope)?));
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Lit(rest.to_owned()));
        }
        Ok(Self { parts })
    }

    pub(crate) fn literal(s: &str) -> Self {
        Self {
            parts: vec![Part::Lit(s.to_owned())],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.parts
            .iter()
            .all(|p| matches!(p, Part::Lit(l) if l.is_empty()))
    }

    /// Whether this is exactly `{{raw}}` (metadata-action keeps such a semver pattern for
    /// pre-releases instead of falling back to `{{version}}`).
    pub(crate) fn is_raw_statement(&self) -> bool {
        matches!(self.parts.as_slice(), [Part::Expr(Expr::Raw)])
    }

    pub(crate) fn render(&self, value: &dyn Fn(&Expr) -> String) -> String {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Lit(l) => l.clone(),
                Part::Expr(e) => value(e),
            })
            .collect()
    }
}

fn parse_expr(inner: &str, scope: Scope) -> Result<Expr, String> {
    let words = split_words(inner)?;
    let Some((name, args)) = words.split_first() else {
        return Err("empty expression {{}}".to_owned());
    };
    let simple = |e: Expr| {
        if args.is_empty() {
            Ok(e)
        } else {
            Err(format!("{{{{{name}}}}} takes no arguments"))
        }
    };
    let allowed = match scope {
        Scope::Global => "branch, tag, sha, base_ref, is_default_branch, date",
        Scope::Semver => "raw, version, major, minor, patch",
        Scope::Schedule => "date",
    };
    let unknown = || {
        Err(format!(
            "unknown expression {{{{{}}}}} (expected {allowed})",
            inner.trim()
        ))
    };
    match (scope, name.as_str()) {
        (Scope::Global, "branch") => simple(Expr::Branch),
        (Scope::Global, "tag") => simple(Expr::Tag),
        (Scope::Global, "sha") => simple(Expr::Sha),
        (Scope::Global, "base_ref") => simple(Expr::BaseRef),
        (Scope::Global, "is_default_branch") => simple(Expr::IsDefaultBranch),
        (Scope::Global | Scope::Schedule, "date") => parse_date(args),
        (Scope::Semver, "raw") => simple(Expr::Raw),
        (Scope::Semver, "version") => simple(Expr::Version),
        (Scope::Semver, "major") => simple(Expr::Major),
        (Scope::Semver, "minor") => simple(Expr::Minor),
        (Scope::Semver, "patch") => simple(Expr::Patch),
        _ => unknown(),
    }
}

/// Splits `date 'YYYY MM' tz='UTC'` into words, unquoting quoted ones.
fn split_words(s: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = s.trim().chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                break;
            }
            chars.next();
            if c == '\'' || c == '"' {
                let mut closed = false;
                for q in chars.by_ref() {
                    if q == c {
                        closed = true;
                        break;
                    }
                    word.push(q);
                }
                if !closed {
                    return Err(format!("unterminated quote {c} in {{{{{}}}}}", s.trim()));
                }
            } else {
                word.push(c);
            }
        }
        words.push(word);
    }
    Ok(words)
}

fn parse_date(args: &[String]) -> Result<Expr, String> {
    let mut format = None;
    for arg in args {
        match arg.split_once('=') {
            Some(("tz", tz)) => {
                // Only UTC: slipway carries no time zone database.
                if !matches!(tz, "UTC" | "Etc/UTC" | "GMT") {
                    return Err(format!(
                        "unsupported time zone {tz:?} in {{{{date}}}} (only UTC)"
                    ));
                }
            }
            Some((key, _)) => return Err(format!("unknown {{{{date}}}} attribute {key:?}")),
            None if format.is_none() => format = Some(arg.as_str()),
            None => return Err("{{date}} takes one format".to_owned()),
        }
    }
    let format =
        format.ok_or_else(|| "{{date}} needs a format, e.g. {{date 'YYYYMMDD'}}".to_owned())?;
    Ok(Expr::Date(parse_date_format(format)))
}

/// One piece of a moment.js-style date format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DatePart {
    Lit(String),
    Year4,
    Year2,
    Month2,
    Month,
    Day2,
    Day,
    Hour2,
    Hour,
    Hour12Pad,
    Hour12,
    Minute2,
    Minute,
    Second2,
    Second,
    Unix,
}

fn parse_date_format(f: &str) -> Vec<DatePart> {
    const TOKENS: &[(&str, DatePart)] = &[
        ("YYYY", DatePart::Year4),
        ("YY", DatePart::Year2),
        ("MM", DatePart::Month2),
        ("M", DatePart::Month),
        ("DD", DatePart::Day2),
        ("D", DatePart::Day),
        ("HH", DatePart::Hour2),
        ("H", DatePart::Hour),
        ("hh", DatePart::Hour12Pad),
        ("h", DatePart::Hour12),
        ("mm", DatePart::Minute2),
        ("m", DatePart::Minute),
        ("ss", DatePart::Second2),
        ("s", DatePart::Second),
        ("X", DatePart::Unix),
    ];
    let mut out = Vec::new();
    let mut rest = f;
    'outer: while !rest.is_empty() {
        // moment's escape: [literal text].
        if let Some(after) = rest.strip_prefix('[')
            && let Some(end) = after.find(']')
        {
            out.push(DatePart::Lit(after[..end].to_owned()));
            rest = &after[end + 1..];
            continue;
        }
        for (tok, part) in TOKENS {
            if let Some(after) = rest.strip_prefix(tok) {
                out.push(part.clone());
                rest = after;
                continue 'outer;
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(DatePart::Lit(c.to_string()));
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Renders a date format for `unix` seconds, in UTC.
pub(crate) fn format_date(parts: &[DatePart], unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let secs = unix.rem_euclid(86_400);
    let (y, mo, d) = crate::report::civil_from_days(days);
    let (h, mi, s) = (secs / 3600, secs % 3600 / 60, secs % 60);
    let h12 = if h % 12 == 0 { 12 } else { h % 12 };
    parts
        .iter()
        .map(|p| match p {
            DatePart::Lit(l) => l.clone(),
            DatePart::Year4 => format!("{y:04}"),
            DatePart::Year2 => format!("{:02}", y.rem_euclid(100)),
            DatePart::Month2 => format!("{mo:02}"),
            DatePart::Month => mo.to_string(),
            DatePart::Day2 => format!("{d:02}"),
            DatePart::Day => d.to_string(),
            DatePart::Hour2 => format!("{h:02}"),
            DatePart::Hour => h.to_string(),
            DatePart::Hour12Pad => format!("{h12:02}"),
            DatePart::Hour12 => h12.to_string(),
            DatePart::Minute2 => format!("{mi:02}"),
            DatePart::Minute => mi.to_string(),
            DatePart::Second2 => format!("{s:02}"),
            DatePart::Second => s.to_string(),
            DatePart::Unix => unix.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        // 2020-01-10 09:30:00 UTC
        let t = 1_578_648_600;
        let f = |s: &str| format_date(&parse_date_format(s), t);
        assert_eq!(f("YYYYMMDD"), "20200110");
        assert_eq!(f("YYYYMMDD-HHmmss"), "20200110-093000");
        assert_eq!(f("YY.M.D h[h]"), "20.1.10 9h");
        assert_eq!(
            format_date(&parse_date_format("YYYY-MM-DD"), 0),
            "1970-01-01"
        );
        assert_eq!(
            format_date(&parse_date_format("YYYY-MM-DD"), 951_782_400),
            "2000-02-29"
        );
    }

    #[test]
    fn parse_errors() {
        assert_eq!(
            Template::parse("{{foo}}", Scope::Global).unwrap_err(),
            "unknown expression {{foo}} (expected branch, tag, sha, base_ref, is_default_branch, date)"
        );
        assert_eq!(
            Template::parse("a{{branch", Scope::Global).unwrap_err(),
            "unterminated \"{{\""
        );
        assert_eq!(
            Template::parse("{{date 'YYYY' tz='Asia/Tokyo'}}", Scope::Schedule).unwrap_err(),
            "unsupported time zone \"Asia/Tokyo\" in {{date}} (only UTC)"
        );
        assert!(
            Template::parse("{{ raw }}", Scope::Semver)
                .unwrap()
                .is_raw_statement()
        );
        assert!(
            !Template::parse("v{{raw}}", Scope::Semver)
                .unwrap()
                .is_raw_statement()
        );
    }
}
