//! Evaluating parsed rules against the pipeline, following docker/metadata-action: rules in
//! priority order, the first value decides `latest` under `latest=auto`, duplicates dropped.

use std::fmt;

use super::sanitize::{self, Adjustment};
use super::semver::Version;
use super::template::{Expr, Template, format_date};
use super::{Enable, Latest, RefEvent, RuleKind, ShaFormat, TagRule, TagRules};
use crate::ci::{EventKind, PipelineInfo};

/// What evaluation needs besides the pipeline; `now_unix` feeds `{{date}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalOptions {
    pub now_unix: i64,
    /// `--tag-pr-head-sha`: `type=sha` and `{{sha}}` name the PR head, not the merge commit.
    pub pr_head_sha: bool,
    pub short_sha_length: usize,
}

impl EvalOptions {
    pub fn new(now_unix: i64) -> Self {
        Self {
            now_unix,
            pr_head_sha: false,
            short_sha_length: 7,
        }
    }
}

/// Why a rule gave no tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SkipReason {
    Disabled,
    EnableNotBoolean { value: String },
    NotBranch { event: String },
    NotTag { event: String },
    NotPullRequest { event: String },
    NotSchedule { event: String },
    NotEdgeBranch { branch: String, edge_branch: String },
    DefaultBranchUnknown,
    NotSemver { value: String },
    NoMatch { pattern: String, value: String },
    GroupUnset { group: usize },
    EmptyValue,
    NothingValid { value: String },
    Duplicate { tag: String },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::Disabled => write!(f, "disabled (enable=false)"),
            SkipReason::EnableNotBoolean { value } => {
                write!(f, "enable rendered to \"{value}\", not true or false")
            }
            SkipReason::NotBranch { event } => write!(f, "not a branch build (event {event})"),
            SkipReason::NotTag { event } => write!(f, "not a tag build (event {event})"),
            SkipReason::NotPullRequest { event } => {
                write!(f, "not a pull/merge request build (event {event})")
            }
            SkipReason::NotSchedule { event } => {
                write!(f, "not a scheduled build (event {event})")
            }
            SkipReason::NotEdgeBranch {
                branch,
                edge_branch,
            } => write!(
                f,
                "branch \"{branch}\" is not the edge branch \"{edge_branch}\""
            ),
            SkipReason::DefaultBranchUnknown => write!(
                f,
                "the default branch is unknown here; name it with branch="
            ),
            SkipReason::NotSemver { value } => {
                write!(f, "\"{value}\" is not a semantic version")
            }
            SkipReason::NoMatch { pattern, value } => {
                write!(f, "pattern {pattern} does not match \"{value}\"")
            }
            SkipReason::GroupUnset { group } => {
                write!(f, "group {group} did not take part in the match")
            }
            SkipReason::EmptyValue => write!(f, "the value is empty"),
            SkipReason::NothingValid { value } => {
                write!(f, "\"{value}\" has no character allowed in a tag")
            }
            SkipReason::Duplicate { tag } => {
                write!(f, "\"{tag}\" is already given by a rule of higher priority")
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRule {
    pub rule: String,
    pub reason: SkipReason,
}

/// A value that had to change to become a valid tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdjustedTag {
    pub rule: String,
    pub original: String,
    pub tag: String,
    pub adjustments: Vec<Adjustment>,
}

/// The tags (highest priority first, `latest` last) and what the CLI should log about the rest.
/// Tags may hold `%image%`; render them per image with [`super::render_for_image`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TagOutcome {
    pub tags: Vec<String>,
    pub latest: bool,
    pub skipped: Vec<SkippedRule>,
    pub adjusted: Vec<AdjustedTag>,
    pub warnings: Vec<String>,
}

struct Ctx<'a> {
    info: &'a PipelineInfo,
    opts: &'a EvalOptions,
    sha: String,
}

impl Ctx<'_> {
    fn global(&self, t: &Template) -> String {
        let info = self.info;
        t.render(&|e| match e {
            Expr::Branch => info.branch.clone().unwrap_or_default(),
            Expr::Tag => info.tag.clone().unwrap_or_default(),
            Expr::Sha => self.sha.chars().take(self.opts.short_sha_length).collect(),
            Expr::BaseRef => match info.event {
                EventKind::PullRequest => info.pr_target_branch.clone().unwrap_or_default(),
                _ => String::new(),
            },
            Expr::IsDefaultBranch => {
                let default = info.branch.is_some() && info.branch == info.default_branch;
                // metadata-action: scheduled runs are always on the default branch.
                (default || info.event == EventKind::Schedule).to_string()
            }
            Expr::Date(parts) => format_date(parts, self.opts.now_unix),
            // Only semver patterns use these, and they are rendered elsewhere.
            Expr::Raw | Expr::Version | Expr::Major | Expr::Minor | Expr::Patch => String::new(),
        })
    }

    fn event(&self) -> String {
        self.info.event_name.clone()
    }

    /// The rule's value, and whether `latest=auto` would add `latest` for it.
    fn value(&self, rule: &TagRule) -> Result<(String, bool), SkipReason> {
        let info = self.info;
        match &rule.kind {
            RuleKind::Schedule { pattern } => {
                if info.event != EventKind::Schedule {
                    return Err(SkipReason::NotSchedule {
                        event: self.event(),
                    });
                }
                Ok((self.global(pattern), false))
            }
            RuleKind::Semver { pattern, value } => {
                let raw = match (value, &info.tag) {
                    (Some(v), _) => self.global(v),
                    (None, Some(tag)) => tag.replace('/', "-"),
                    (None, None) => {
                        return Err(SkipReason::NotTag {
                            event: self.event(),
                        });
                    }
                };
                let version =
                    Version::parse(&raw).ok_or(SkipReason::NotSemver { value: raw.clone() })?;
                let render = |t: &Template| {
                    t.render(&|e| match e {
                        Expr::Raw => version.raw.clone(),
                        Expr::Version => version.version(),
                        Expr::Major => version.major.to_string(),
                        Expr::Minor => version.minor.to_string(),
                        Expr::Patch => version.patch.to_string(),
                        _ => String::new(),
                    })
                };
                // A pre-release only ever gets its full version (or {{raw}}), never
                // major/minor aliases or latest: they move too often to alias.
                if version.prerelease.is_some() {
                    if pattern.is_raw_statement() {
                        Ok((render(pattern), false))
                    } else {
                        Ok((version.version(), false))
                    }
                } else {
                    Ok((render(pattern), true))
                }
            }
            RuleKind::Match {
                pattern,
                group,
                value,
            } => {
                let subject = match (value, &info.tag) {
                    (Some(v), _) => self.global(v),
                    (None, Some(tag)) => tag.clone(),
                    (None, None) => {
                        return Err(SkipReason::NotTag {
                            event: self.event(),
                        });
                    }
                };
                let caps = pattern
                    .regex
                    .captures(&subject)
                    .ok_or_else(|| SkipReason::NoMatch {
                        pattern: pattern.source.clone(),
                        value: subject.clone(),
                    })?;
                let m = caps
                    .get(*group)
                    .ok_or(SkipReason::GroupUnset { group: *group })?;
                Ok((m.as_str().to_owned(), true))
            }
            RuleKind::Edge { branch } => {
                let Some(current) = &info.branch else {
                    return Err(SkipReason::NotBranch {
                        event: self.event(),
                    });
                };
                let edge = branch
                    .clone()
                    .or_else(|| info.default_branch.clone())
                    .ok_or(SkipReason::DefaultBranchUnknown)?;
                if *current != edge {
                    return Err(SkipReason::NotEdgeBranch {
                        branch: current.clone(),
                        edge_branch: edge,
                    });
                }
                Ok(("edge".to_owned(), false))
            }
            RuleKind::Ref { event } => match event {
                RefEvent::Branch => {
                    info.branch
                        .clone()
                        .map(|b| (b, false))
                        .ok_or(SkipReason::NotBranch {
                            event: self.event(),
                        })
                }
                RefEvent::Tag => info
                    .tag
                    .clone()
                    .map(|t| (t, true))
                    .ok_or(SkipReason::NotTag {
                        event: self.event(),
                    }),
                RefEvent::Pr => match (info.event, info.pr_number) {
                    (EventKind::PullRequest, Some(n)) => Ok((n.to_string(), false)),
                    _ => Err(SkipReason::NotPullRequest {
                        event: self.event(),
                    }),
                },
            },
            RuleKind::Raw { value } => Ok((self.global(value), false)),
            RuleKind::Sha { format } => Ok((
                match format {
                    ShaFormat::Long => self.sha.clone(),
                    ShaFormat::Short => self.sha.chars().take(self.opts.short_sha_length).collect(),
                },
                false,
            )),
        }
    }

    fn affixed(&self, rules: &TagRules, rule: &TagRule, value: &str) -> String {
        let prefix = match &rule.prefix {
            Some(p) => self.global(p),
            None => self.global(&rules.flavor.prefix),
        };
        let suffix = match &rule.suffix {
            Some(s) => self.global(s),
            None => self.global(&rules.flavor.suffix),
        };
        format!("{prefix}{value}{suffix}")
    }
}

impl TagRules {
    pub fn evaluate(&self, info: &PipelineInfo, opts: &EvalOptions) -> TagOutcome {
        let mut out = TagOutcome {
            warnings: self.notices.clone(),
            ..TagOutcome::default()
        };
        let use_head = opts.pr_head_sha && info.event == EventKind::PullRequest;
        if use_head && info.pr_head_sha.is_none() {
            out.warnings.push(
                "the pull/merge request head commit is unknown; sha tags name the checked-out \
                 commit"
                    .to_owned(),
            );
        }
        let ctx = Ctx {
            info,
            opts,
            sha: info.tag_sha(opts.pr_head_sha).to_string(),
        };
        let mut latest: Option<bool> = None;
        for rule in &self.rules {
            let skip = |out: &mut TagOutcome, reason| {
                out.skipped.push(SkippedRule {
                    rule: rule.source.clone(),
                    reason,
                })
            };
            match &rule.enable {
                Enable::Literal(true) => {}
                Enable::Literal(false) => {
                    skip(&mut out, SkipReason::Disabled);
                    continue;
                }
                Enable::Expr(t) => match ctx.global(t).as_str() {
                    "true" => {}
                    "false" => {
                        skip(&mut out, SkipReason::Disabled);
                        continue;
                    }
                    other => {
                        skip(
                            &mut out,
                            SkipReason::EnableNotBoolean {
                                value: other.to_owned(),
                            },
                        );
                        continue;
                    }
                },
            }
            let (value, auto_latest) = match ctx.value(rule) {
                Ok(v) => v,
                Err(reason) => {
                    skip(&mut out, reason);
                    continue;
                }
            };
            let full = ctx.affixed(self, rule, &value);
            if full.is_empty() {
                skip(&mut out, SkipReason::EmptyValue);
                continue;
            }
            let (tag, adjustments) = sanitize::make_valid(&full);
            let Some(tag) = tag else {
                skip(&mut out, SkipReason::NothingValid { value: full });
                continue;
            };
            if !adjustments.is_empty() {
                out.adjusted.push(AdjustedTag {
                    rule: rule.source.clone(),
                    original: full,
                    tag: tag.clone(),
                    adjustments,
                });
            }
            if out.tags.contains(&tag) {
                skip(&mut out, SkipReason::Duplicate { tag });
                continue;
            }
            latest.get_or_insert(match self.flavor.latest {
                Latest::Auto => auto_latest,
                Latest::Always => true,
                Latest::Never => false,
            });
            out.tags.push(tag);
        }
        if latest == Some(true) {
            let f = &self.flavor;
            let prefix = if f.prefix_on_latest {
                ctx.global(&f.prefix)
            } else {
                String::new()
            };
            let suffix = if f.suffix_on_latest {
                ctx.global(&f.suffix)
            } else {
                String::new()
            };
            if let (Some(tag), _) = sanitize::make_valid(&format!("{prefix}latest{suffix}"))
                && !out.tags.contains(&tag)
            {
                out.tags.push(tag);
            }
            out.latest = true;
        }
        out
    }
}
