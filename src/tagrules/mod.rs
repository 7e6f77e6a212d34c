//! Tags from the pipeline: docker/metadata-action's `--tag-rule` / `--tag-flavor` syntax, parsed
//! into rules, evaluated against a [`PipelineInfo`](crate::ci::PipelineInfo) the same way on
//! GitHub and GitLab, with every result a valid Docker tag and every empty rule explained.

mod eval;
pub mod sanitize;
mod semver;
mod template;
#[cfg(test)]
mod tests;

use std::fmt;

use regex::Regex;

pub use eval::{AdjustedTag, EvalOptions, SkipReason, SkippedRule, TagOutcome};
pub use sanitize::{IMAGE_PLACEHOLDER, MAX_TAG_LEN, is_valid_tag, render_for_image};
use template::Scope;
pub use template::Template;

/// An invalid `--tag-rule` or `--tag-flavor`; the message names the input and the bad field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TagRuleError {
    #[error("tag rule \"{rule}\": {field}: {problem}")]
    Rule {
        rule: String,
        field: String,
        problem: String,
    },
    /// A rule metadata-action knows that slipway does not implement: skipped with a warning,
    /// not an error, so a workflow written for metadata-action still builds.
    #[error("tag rule \"{rule}\": type={kind} is not supported yet; the rule is skipped ({hint})")]
    Unsupported {
        rule: String,
        kind: String,
        hint: String,
    },
    #[error("tag flavor \"{entry}\": {field}: {problem}")]
    Flavor {
        entry: String,
        field: String,
        problem: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefEvent {
    Branch,
    Tag,
    Pr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShaFormat {
    Short,
    Long,
}

/// A `type=match` regular expression, kept with its source for messages.
#[derive(Debug, Clone)]
pub struct MatchPattern {
    pub source: String,
    regex: Regex,
}

impl PartialEq for MatchPattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for MatchPattern {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleKind {
    Schedule {
        pattern: Template,
    },
    Semver {
        pattern: Template,
        value: Option<Template>,
    },
    Match {
        pattern: MatchPattern,
        group: usize,
        value: Option<Template>,
    },
    Edge {
        branch: Option<String>,
    },
    Ref {
        event: RefEvent,
    },
    Raw {
        value: Template,
    },
    Sha {
        format: ShaFormat,
    },
}

impl RuleKind {
    fn default_priority(&self) -> i64 {
        match self {
            RuleKind::Schedule { .. } => 1000,
            RuleKind::Semver { .. } => 900,
            RuleKind::Match { .. } => 800,
            RuleKind::Edge { .. } => 700,
            RuleKind::Ref { .. } => 600,
            RuleKind::Raw { .. } => 200,
            RuleKind::Sha { .. } => 100,
        }
    }
}

/// `enable=`: usually a literal, but metadata-action users write `enable={{is_default_branch}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enable {
    Literal(bool),
    Expr(Template),
}

/// One parsed `--tag-rule`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRule {
    /// The rule as written, for messages.
    pub source: String,
    pub kind: RuleKind,
    pub enable: Enable,
    pub priority: i64,
    /// `None`: the flavor's prefix applies. `type=sha` and `type=ref,event=pr` default to
    /// `sha-` and `pr-`, which (as in metadata-action) also means the flavor's is not added.
    pub prefix: Option<Template>,
    pub suffix: Option<Template>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Latest {
    #[default]
    Auto,
    Always,
    Never,
}

/// The parsed `--tag-flavor` entries.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Flavor {
    pub latest: Latest,
    pub prefix: Template,
    pub prefix_on_latest: bool,
    pub suffix: Template,
    pub suffix_on_latest: bool,
}

/// The rules (sorted by priority, highest first; equal priorities keep their order) and flavor.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagRules {
    pub rules: Vec<TagRule>,
    pub flavor: Flavor,
    /// What parsing decided on the user's behalf (defaults used, unsupported rules skipped).
    pub notices: Vec<String>,
}

/// metadata-action's rules when its `tags` input is empty.
const DEFAULT_RULES: [&str; 4] = [
    "type=schedule",
    "type=ref,event=branch",
    "type=ref,event=tag",
    "type=ref,event=pr",
];

/// Each argument may hold several rules, one a line (the form a GitHub Action input has);
/// blank lines and `#` comments are skipped.
fn lines<S: AsRef<str>>(args: &[S]) -> impl Iterator<Item = &str> {
    args.iter()
        .flat_map(|a| a.as_ref().lines())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

impl TagRules {
    /// Parses the rules and flavor. No rule at all (only a flavor, or blank input) means
    /// metadata-action's default rules, as in metadata-action.
    pub fn parse<R: AsRef<str>, F: AsRef<str>>(
        rules: &[R],
        flavor: &[F],
    ) -> Result<Self, TagRuleError> {
        let mut notices = Vec::new();
        let mut given: Vec<&str> = lines(rules).collect();
        if given.is_empty() {
            given = DEFAULT_RULES.to_vec();
            notices.push(format!(
                "no tag rule given: using docker/metadata-action's defaults ({})",
                DEFAULT_RULES.join("; ")
            ));
        }
        let mut parsed = Vec::new();
        for line in given {
            match TagRule::parse(line) {
                Ok(rule) => parsed.push(rule),
                Err(e @ TagRuleError::Unsupported { .. }) => notices.push(e.to_string()),
                Err(e) => return Err(e),
            }
        }
        parsed.sort_by_key(|r| std::cmp::Reverse(r.priority));
        let flavor = Flavor::parse(&lines(flavor).collect::<Vec<_>>())?;
        Ok(Self {
            rules: parsed,
            flavor,
            notices,
        })
    }

    /// metadata-action's rules when its `tags` input is empty.
    pub fn metadata_action_defaults() -> Self {
        Self::parse(&[] as &[&str], &[] as &[&str]).unwrap_or_default()
    }
}

/// Splits a rule at commas outside double quotes (CSV, as metadata-action reads rules), so a
/// pattern with a comma can be written `"pattern=\d{1,3}"`.
fn split_fields(s: &str) -> Result<Vec<String>, String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                push_char(&mut fields, '"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            c => push_char(&mut fields, c),
        }
    }
    if quoted {
        return Err("unterminated double quote".to_owned());
    }
    Ok(fields)
}

fn push_char(fields: &mut [String], c: char) {
    if let Some(f) = fields.last_mut() {
        f.push(c);
    }
}

const TYPES: &str = "schedule, semver, match, edge, ref, raw or sha";

impl TagRule {
    pub fn parse(source: &str) -> Result<Self, TagRuleError> {
        let source = source.trim();
        let err = |field: &str, problem: String| TagRuleError::Rule {
            rule: source.to_owned(),
            field: field.to_owned(),
            problem,
        };
        if source.is_empty() {
            return Err(err("type", "empty rule".to_owned()));
        }
        let fields = split_fields(source).map_err(|p| err("rule", p))?;
        let mut kind_name: Option<String> = None;
        let mut attrs: Vec<(String, String)> = Vec::new();
        for field in fields {
            let (key, value) = match field.split_once('=') {
                Some((k, v)) => (k.trim().to_lowercase(), v.trim().to_owned()),
                // metadata-action: a bare field is the value (`type=raw,foo` or just `foo`).
                None => ("value".to_owned(), field.trim().to_owned()),
            };
            if key == "value" && value.is_empty() && !field.contains('=') {
                continue;
            }
            if key == "type" {
                if kind_name.is_some() {
                    return Err(err("type", "given twice".to_owned()));
                }
                kind_name = Some(value);
                continue;
            }
            if attrs.iter().any(|(k, _)| *k == key) {
                return Err(err(&key, "given twice".to_owned()));
            }
            attrs.push((key, value));
        }
        let kind_name = kind_name.unwrap_or_else(|| "raw".to_owned());
        let allowed: &[&str] = match kind_name.as_str() {
            "schedule" => &["pattern"],
            "semver" => &["pattern", "value"],
            "match" => &["pattern", "group", "value"],
            "edge" => &["branch"],
            "ref" => &["event"],
            "raw" => &["value"],
            "sha" => &["format"],
            "pep440" => {
                return Err(TagRuleError::Unsupported {
                    rule: source.to_owned(),
                    kind: kind_name,
                    hint: "use type=semver or type=match for version tags".to_owned(),
                });
            }
            other => {
                return Err(err(
                    "type",
                    format!("unknown type \"{other}\" (expected {TYPES})"),
                ));
            }
        };
        const COMMON: &[&str] = &["enable", "priority", "prefix", "suffix"];
        for (key, _) in &attrs {
            if !allowed.contains(&key.as_str()) && !COMMON.contains(&key.as_str()) {
                let mut all: Vec<&str> = allowed.to_vec();
                all.extend_from_slice(COMMON);
                return Err(err(
                    key,
                    format!(
                        "unknown attribute for type={kind_name} (allowed: {})",
                        all.join(", ")
                    ),
                ));
            }
        }
        let get = |key: &str| {
            attrs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
        };
        let template = |key: &str, scope: Scope| -> Result<Option<Template>, TagRuleError> {
            get(key)
                .map(|v| Template::parse(v, scope).map_err(|p| err(key, p)))
                .transpose()
        };
        let kind = match kind_name.as_str() {
            "schedule" => RuleKind::Schedule {
                pattern: template("pattern", Scope::Schedule)?
                    .unwrap_or_else(|| Template::literal("nightly")),
            },
            "semver" => RuleKind::Semver {
                pattern: template("pattern", Scope::Semver)?.ok_or_else(|| {
                    err("pattern", "missing (e.g. pattern={{version}})".to_owned())
                })?,
                value: template("value", Scope::Global)?.filter(|t| !t.is_empty()),
            },
            "match" => {
                let source_pattern = get("pattern").ok_or_else(|| {
                    err(
                        "pattern",
                        "missing (a regular expression, e.g. pattern=v(.*))".to_owned(),
                    )
                })?;
                let regex = compile_match(source_pattern).map_err(|p| err("pattern", p))?;
                let group = match get("group") {
                    None => 0,
                    Some(g) => g.parse::<usize>().map_err(|_| {
                        err(
                            "group",
                            format!("invalid value \"{g}\" (expected a non-negative integer)"),
                        )
                    })?,
                };
                let groups = regex.captures_len() - 1;
                if group > groups {
                    return Err(err(
                        "group",
                        format!("the pattern has no group {group} (it has {groups})"),
                    ));
                }
                RuleKind::Match {
                    pattern: MatchPattern {
                        source: source_pattern.to_owned(),
                        regex,
                    },
                    group,
                    value: template("value", Scope::Global)?.filter(|t| !t.is_empty()),
                }
            }
            "edge" => RuleKind::Edge {
                branch: get("branch").filter(|b| !b.is_empty()).map(str::to_owned),
            },
            "ref" => {
                let event = match get("event") {
                    Some("branch") => RefEvent::Branch,
                    Some("tag") => RefEvent::Tag,
                    Some("pr") => RefEvent::Pr,
                    Some(other) => {
                        return Err(err(
                            "event",
                            format!("invalid value \"{other}\" (expected branch, tag or pr)"),
                        ));
                    }
                    None => {
                        return Err(err(
                            "event",
                            "missing (expected branch, tag or pr)".to_owned(),
                        ));
                    }
                };
                RuleKind::Ref { event }
            }
            "raw" => RuleKind::Raw {
                value: template("value", Scope::Global)?
                    .ok_or_else(|| err("value", "missing (e.g. type=raw,value=foo)".to_owned()))?,
            },
            _ => RuleKind::Sha {
                format: match get("format") {
                    None | Some("short") => ShaFormat::Short,
                    Some("long") => ShaFormat::Long,
                    Some(other) => {
                        return Err(err(
                            "format",
                            format!("invalid value \"{other}\" (expected short or long)"),
                        ));
                    }
                },
            },
        };
        let enable = match get("enable") {
            None | Some("true") => Enable::Literal(true),
            Some("false") => Enable::Literal(false),
            Some(v) if v.contains("{{") => {
                Enable::Expr(Template::parse(v, Scope::Global).map_err(|p| err("enable", p))?)
            }
            Some(v) => {
                return Err(err(
                    "enable",
                    format!("invalid value \"{v}\" (expected true or false)"),
                ));
            }
        };
        let priority = match get("priority") {
            None => kind.default_priority(),
            Some(p) => p.parse::<i64>().map_err(|_| {
                err(
                    "priority",
                    format!("invalid value \"{p}\" (expected an integer)"),
                )
            })?,
        };
        let default_prefix = match &kind {
            RuleKind::Sha { .. } => Some(Template::literal("sha-")),
            RuleKind::Ref {
                event: RefEvent::Pr,
            } => Some(Template::literal("pr-")),
            _ => None,
        };
        Ok(Self {
            source: source.to_owned(),
            prefix: template("prefix", Scope::Global)?.or(default_prefix),
            suffix: template("suffix", Scope::Global)?,
            kind,
            enable,
            priority,
        })
    }
}

/// metadata-action takes a plain pattern, or `/pattern/flags` like a JavaScript literal.
fn compile_match(pattern: &str) -> Result<Regex, String> {
    let (body, flags) = match pattern.strip_prefix('/').and_then(|p| p.rsplit_once('/')) {
        Some((body, flags)) if !body.is_empty() => (body, flags),
        _ => (pattern, ""),
    };
    let mut inline = String::new();
    for f in flags.chars() {
        match f {
            'i' | 'm' | 's' => inline.push(f),
            // Rust regexes are Unicode-aware already.
            'u' => {}
            other => return Err(format!("flag {other:?} is not supported (use i, m or s)")),
        }
    }
    let full = if inline.is_empty() {
        body.to_owned()
    } else {
        format!("(?{inline}){body}")
    };
    Regex::new(&full).map_err(|e| {
        let text = e.to_string();
        let last = text.lines().last().unwrap_or_default().trim().to_owned();
        format!("invalid regular expression: {last}")
    })
}

impl Flavor {
    fn parse(entries: &[&str]) -> Result<Self, TagRuleError> {
        let mut flavor = Flavor::default();
        for entry in entries {
            let err = |field: &str, problem: String| TagRuleError::Flavor {
                entry: (*entry).to_owned(),
                field: field.to_owned(),
                problem,
            };
            let fields = split_fields(entry).map_err(|p| err("flavor", p))?;
            // `onlatest=` qualifies the prefix or suffix just before it.
            let mut last: Option<&str> = None;
            for field in &fields {
                let Some((key, value)) = field.split_once('=') else {
                    return Err(err(field.trim(), "expected key=value".to_owned()));
                };
                let (key, value) = (key.trim().to_lowercase(), value.trim());
                match key.as_str() {
                    "latest" => {
                        flavor.latest = match value {
                            "auto" => Latest::Auto,
                            "true" => Latest::Always,
                            "false" => Latest::Never,
                            other => {
                                return Err(err(
                                    "latest",
                                    format!(
                                        "invalid value \"{other}\" (expected auto, true or false)"
                                    ),
                                ));
                            }
                        };
                        last = None;
                    }
                    "prefix" => {
                        flavor.prefix =
                            Template::parse(value, Scope::Global).map_err(|p| err("prefix", p))?;
                        last = Some("prefix");
                    }
                    "suffix" => {
                        flavor.suffix =
                            Template::parse(value, Scope::Global).map_err(|p| err("suffix", p))?;
                        last = Some("suffix");
                    }
                    "onlatest" => {
                        let on = match value {
                            "true" => true,
                            "false" => false,
                            other => {
                                return Err(err(
                                    "onlatest",
                                    format!("invalid value \"{other}\" (expected true or false)"),
                                ));
                            }
                        };
                        match last {
                            Some("prefix") => flavor.prefix_on_latest = on,
                            Some(_) => flavor.suffix_on_latest = on,
                            None => {
                                return Err(err(
                                    "onlatest",
                                    "must follow prefix= or suffix=".to_owned(),
                                ));
                            }
                        }
                    }
                    other => {
                        return Err(err(
                            other,
                            "unknown flavor attribute (expected latest, prefix, suffix or onlatest)"
                                .to_owned(),
                        ));
                    }
                }
            }
        }
        Ok(flavor)
    }
}

impl fmt::Display for TagRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}
