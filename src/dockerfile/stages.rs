//! The meaning of a parsed Dockerfile for one set of build args: its stages, their bases, each
//! instruction expanded as BuildKit expands it (global ARGs in FROM, stage ARG/ENV scoping), the
//! stages each instruction reads from, and the context paths it reads.

use std::collections::BTreeMap;

use super::parser::{Dockerfile, Heredoc, Node};
use super::shell::{ExpandError, Lexer, Vars};

/// The platform images are built for; it fills BuildKit's predefined platform ARGs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Platform {
    pub os: String,
    pub arch: String,
    pub variant: Option<String>,
}

impl Platform {
    /// The platform of the machine slipway was built for (the default target, as in BuildKit).
    pub fn host() -> Self {
        let arch = match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "x86" => "386",
            "powerpc64" => "ppc64le",
            other => other,
        };
        Self {
            os: "linux".to_owned(),
            arch: arch.to_owned(),
            variant: None,
        }
    }

    fn args(&self) -> Vec<(String, String)> {
        let full = self.to_string();
        let variant = self.variant.clone().unwrap_or_default();
        let mut out = Vec::new();
        for prefix in ["TARGET", "BUILD"] {
            out.push((format!("{prefix}PLATFORM"), full.clone()));
            out.push((format!("{prefix}OS"), self.os.clone()));
            out.push((format!("{prefix}ARCH"), self.arch.clone()));
            out.push((format!("{prefix}VARIANT"), variant.clone()));
        }
        out
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// What a stage starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base {
    Scratch,
    /// An image reference, as written after expansion.
    Image(String),
    /// An earlier stage, by index.
    Stage(usize),
}

/// A set of context paths one instruction reads (a COPY/ADD's sources, a bind mount's source).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextUse {
    /// Expanded source paths, relative to the context root.
    pub sources: Vec<String>,
    /// `COPY --exclude` patterns.
    pub excludes: Vec<String>,
}

/// One instruction of a stage, reduced to what determines its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub line: usize,
    /// A canonical JSON rendering: keyword, sorted flags, expanded arguments, heredocs. Layout,
    /// comments and keyword case never reach it. Stage references appear as `@stage` and are
    /// listed, in order, in `stages`.
    pub text: String,
    pub stages: Vec<usize>,
    pub context: Vec<ContextUse>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// Lower-cased `AS` name.
    pub name: Option<String>,
    pub line: usize,
    pub base: Base,
    pub steps: Vec<Step>,
}

/// A Dockerfile understood for one set of build args.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    /// The `# syntax=` frontend, which changes how the file is built.
    pub syntax: Option<String>,
    pub stages: Vec<Stage>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StageError {
    #[error("the Dockerfile has no FROM instruction; add one (e.g. `FROM scratch`)")]
    NoStages,
    #[error(
        "line {line}: {keyword} comes before the first FROM; only ARG may precede FROM, so move \
         it into a stage"
    )]
    BeforeFrom { line: usize, keyword: String },
    #[error("line {line}: unknown instruction {keyword}; {hint}")]
    UnknownInstruction {
        line: usize,
        keyword: String,
        hint: String,
    },
    #[error(
        "line {line}: FROM takes an image and an optional `AS name`, e.g. `FROM alpine AS build`"
    )]
    FromSyntax { line: usize },
    #[error(
        "line {line}: invalid stage name {name:?}; a stage name starts with a letter and holds \
         only letters, digits, '-', '_' and '.'"
    )]
    BadStageName { line: usize, name: String },
    #[error(
        "line {line}: duplicate stage name {name:?} (first defined on line {first}); rename one"
    )]
    DuplicateStage {
        line: usize,
        name: String,
        first: usize,
    },
    #[error("line {line}: {source}")]
    Expand { line: usize, source: ExpandError },
    #[error("line {line}: {keyword} requires at least {min} arguments")]
    TooFewArgs {
        line: usize,
        keyword: String,
        min: usize,
    },
    #[error("line {line}: unknown flag {flag} for {keyword}; remove it")]
    UnknownFlag {
        line: usize,
        keyword: String,
        flag: String,
    },
    #[error(
        "line {line}: --from={value} refers to stage {value}, which is not an earlier stage; \
         stages can only use stages defined above them"
    )]
    FutureStage { line: usize, value: String },
    #[error("line {line}: invalid --mount {mount:?}: {reason}")]
    BadMount {
        line: usize,
        mount: String,
        reason: String,
    },
    #[error("target stage {target:?} is not in the Dockerfile; its stages are: {known}")]
    UnknownTarget { target: String, known: String },
}

const KEYWORDS: &[&str] = &[
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

/// Flags each instruction accepts, as BuildKit's instruction parser does.
fn known_flags(keyword: &str) -> &'static [&'static str] {
    match keyword {
        "from" => &["platform"],
        "copy" => &["from", "chown", "chmod", "link", "parents", "exclude"],
        "add" => &[
            "chown",
            "chmod",
            "link",
            "keep-git-dir",
            "checksum",
            "exclude",
            "unpack",
        ],
        "run" => &["mount", "network", "security", "device"],
        "healthcheck" => &[
            "interval",
            "timeout",
            "start-period",
            "start-interval",
            "retries",
        ],
        _ => &[],
    }
}

/// Variables visible to an expansion: ENV wins over ARG of the same name, as in BuildKit.
struct Scope<'a> {
    env: &'a BTreeMap<String, String>,
    args: &'a BTreeMap<String, String>,
}

impl Vars for Scope<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.env
            .get(name)
            .or_else(|| self.args.get(name))
            .map(String::as_str)
    }
}

struct Flag<'a> {
    name: &'a str,
    value: Option<&'a str>,
}

fn split_flag(flag: &str) -> Flag<'_> {
    let body = flag.trim_start_matches('-');
    match body.split_once('=') {
        Some((name, value)) => Flag {
            name,
            value: Some(value),
        },
        None => Flag {
            name: body,
            value: None,
        },
    }
}

/// Collapses whitespace outside quotes in a shell-form command: equivalent for the shell, and it
/// keeps continuation layout out of digests.
fn normalize_shell(cmd: &str) -> String {
    let mut out = String::with_capacity(cmd.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut pending_space = false;
    for c in cmd.chars() {
        if quote.is_none() && !escaped && c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
        if escaped {
            escaped = false;
            continue;
        }
        match (quote, c) {
            (Some('\''), '\'') => quote = None,
            (Some('\''), _) => {}
            (_, '\\') => escaped = true,
            (None, '\'' | '"') => quote = Some(c),
            (Some('"'), '"') => quote = None,
            _ => {}
        }
    }
    out
}

fn is_remote(source: &str) -> bool {
    source.starts_with("http://")
        || source.starts_with("https://")
        || source.starts_with("git@")
        || source.starts_with("git://")
}

fn heredoc_name(word: &str) -> Option<&str> {
    let rest = word.strip_prefix("<<")?;
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    Some(rest.trim_matches(|c| c == '"' || c == '\''))
}

fn heredoc_json(h: &Heredoc) -> serde_json::Value {
    serde_json::json!({
        "name": h.name,
        "content": h.content,
        "expand": h.expand,
        "chomp": h.chomp,
        "fd": h.file_descriptor,
    })
}

struct Analyzer<'a> {
    lexer: Lexer,
    build_args: &'a BTreeMap<String, String>,
    platform_args: BTreeMap<String, String>,
    /// Global ARGs (before the first FROM), resolved; with the platform args, FROM's scope.
    meta: BTreeMap<String, String>,
    stages: Vec<Stage>,
    names: BTreeMap<String, (usize, usize)>,
    /// Final ENV of each stage, inherited by stages built on it.
    stage_env: Vec<BTreeMap<String, String>>,
}

/// Understands `dockerfile` for `build_args` (werf.yaml `args`) on `platform`.
pub fn analyze(
    dockerfile: &Dockerfile,
    build_args: &BTreeMap<String, String>,
    platform: &Platform,
) -> Result<Analysis, StageError> {
    let platform_args: BTreeMap<String, String> = platform.args().into_iter().collect();
    let mut a = Analyzer {
        lexer: Lexer::new(dockerfile.directives.escape),
        build_args,
        meta: platform_args.clone(),
        platform_args,
        stages: Vec::new(),
        names: BTreeMap::new(),
        stage_env: Vec::new(),
    };
    let mut env = BTreeMap::new();
    let mut args = BTreeMap::new();
    for node in &dockerfile.nodes {
        if !KEYWORDS.contains(&node.keyword.as_str()) {
            return Err(unknown_instruction(node));
        }
        for flag in &node.flags {
            let name = split_flag(flag).name;
            if !known_flags(&node.keyword).contains(&name) {
                return Err(StageError::UnknownFlag {
                    line: node.start_line,
                    keyword: node.keyword.to_uppercase(),
                    flag: flag.clone(),
                });
            }
        }
        if node.keyword == "from" {
            if let Some(prev) = a.stages.len().checked_sub(1) {
                a.stage_env[prev] = std::mem::take(&mut env);
            }
            env = a.from(node)?;
            args.clear();
            continue;
        }
        if a.stages.is_empty() {
            if node.keyword != "arg" {
                return Err(StageError::BeforeFrom {
                    line: node.start_line,
                    keyword: node.keyword.to_uppercase(),
                });
            }
            let mut meta = std::mem::take(&mut a.meta);
            a.arg(node, &BTreeMap::new(), &mut meta, true)?;
            a.meta = meta;
            continue;
        }
        let step = a.step(node, &mut env, &mut args)?;
        a.stages
            .last_mut()
            .expect("a stage exists")
            .steps
            .push(step);
    }
    if a.stages.is_empty() {
        return Err(StageError::NoStages);
    }
    Ok(Analysis {
        syntax: dockerfile.directives.syntax.clone(),
        stages: a.stages,
    })
}

fn unknown_instruction(node: &Node) -> StageError {
    let keyword = node.keyword.to_uppercase();
    let close = KEYWORDS
        .iter()
        .find(|k| edit_distance(k, &node.keyword) <= 2)
        .map(|k| format!("did you mean {}?", k.to_uppercase()));
    StageError::UnknownInstruction {
        line: node.start_line,
        hint: close
            .unwrap_or_else(|| "check the spelling against the Dockerfile reference".to_owned()),
        keyword,
    }
}

/// Levenshtein distance, for "did you mean" hints.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

impl Analyzer<'_> {
    fn expand(&self, word: &str, vars: &dyn Vars, line: usize) -> Result<String, StageError> {
        self.lexer
            .process_word(word, vars)
            .map_err(|source| StageError::Expand { line, source })
    }

    /// Resolves a stage reference (`FROM x`, `--from=x`): an earlier stage's name or index.
    fn stage_ref(
        &self,
        value: &str,
        allow_index: bool,
        line: usize,
    ) -> Result<Option<usize>, StageError> {
        if let Some(&(idx, _)) = self.names.get(&value.to_lowercase()) {
            return Ok(Some(idx));
        }
        if allow_index && !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
            return match value.parse::<usize>() {
                Ok(idx) if idx < self.stages.len() - 1 => Ok(Some(idx)),
                _ => Err(StageError::FutureStage {
                    line,
                    value: value.to_owned(),
                }),
            };
        }
        Ok(None)
    }

    fn from(&mut self, node: &Node) -> Result<BTreeMap<String, String>, StageError> {
        let line = node.start_line;
        let (image, name) = match node.args.as_slice() {
            [image] => (image, None),
            [image, as_kw, name] if as_kw.eq_ignore_ascii_case("as") => (image, Some(name)),
            _ => return Err(StageError::FromSyntax { line }),
        };
        let empty = BTreeMap::new();
        let scope = Scope {
            env: &empty,
            args: &self.meta,
        };
        let image = self.expand(image, &scope, line)?;
        let mut flags = Vec::new();
        for flag in &node.flags {
            let f = split_flag(flag);
            let value = self.expand(f.value.unwrap_or_default(), &scope, line)?;
            flags.push(format!("--{}={value}", f.name));
        }
        let name = match name {
            Some(n) => {
                let lower = n.to_lowercase();
                let valid = lower.starts_with(|c: char| c.is_ascii_lowercase())
                    && lower
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c));
                if !valid {
                    return Err(StageError::BadStageName {
                        line,
                        name: n.clone(),
                    });
                }
                if let Some(&(_, first)) = self.names.get(&lower) {
                    return Err(StageError::DuplicateStage {
                        line,
                        name: lower,
                        first,
                    });
                }
                Some(lower)
            }
            None => None,
        };
        let (base, env) = match self.names.get(&image.to_lowercase()) {
            Some(&(idx, _)) => (Base::Stage(idx), self.stage_env[idx].clone()),
            None if image.eq_ignore_ascii_case("scratch") => (Base::Scratch, BTreeMap::new()),
            None => (Base::Image(image), BTreeMap::new()),
        };
        let index = self.stages.len();
        if let Some(n) = &name {
            self.names.insert(n.clone(), (index, line));
        }
        flags.sort();
        let text = serde_json::to_string(&(["from"], flags)).expect("strings serialize");
        self.stages.push(Stage {
            name,
            line,
            base,
            steps: vec![Step {
                line,
                text,
                stages: Vec::new(),
                context: Vec::new(),
            }],
        });
        self.stage_env.push(BTreeMap::new());
        Ok(env)
    }

    /// Declares ARGs into `args`, returning the canonical `name=value` list.
    fn arg(
        &self,
        node: &Node,
        env: &BTreeMap<String, String>,
        args: &mut BTreeMap<String, String>,
        global: bool,
    ) -> Result<Vec<String>, StageError> {
        let line = node.start_line;
        if node.args.is_empty() {
            return Err(StageError::TooFewArgs {
                line,
                keyword: "ARG".to_owned(),
                min: 1,
            });
        }
        let mut out = Vec::new();
        for decl in &node.args {
            let (name, default) = match decl.split_once('=') {
                Some((n, d)) => (n, Some(d)),
                None => (decl.as_str(), None),
            };
            let value = if let Some(v) = self.build_args.get(name) {
                Some(v.clone())
            } else if let Some(d) = default {
                let scope = Scope { env, args };
                Some(self.expand(d, &scope, line)?)
            } else if global {
                self.platform_args.get(name).cloned()
            } else {
                self.meta
                    .get(name)
                    .or_else(|| self.platform_args.get(name))
                    .cloned()
            };
            match value {
                Some(v) => {
                    out.push(format!("{name}={v}"));
                    args.insert(name.to_owned(), v);
                }
                None => {
                    out.push(name.to_owned());
                    args.remove(name);
                }
            }
        }
        Ok(out)
    }

    fn step(
        &self,
        node: &Node,
        env: &mut BTreeMap<String, String>,
        args: &mut BTreeMap<String, String>,
    ) -> Result<Step, StageError> {
        let line = node.start_line;
        let keyword = node.keyword.as_str();
        let mut stages = Vec::new();
        let mut context = Vec::new();
        let mut flags: Vec<String> = Vec::new();
        let values: Vec<String> = match keyword {
            "arg" => self.arg(node, env, args, false)?,
            "env" | "label" => {
                let scope = Scope { env, args };
                let mut pairs = Vec::new();
                for triple in node.args.chunks(3) {
                    let key = self.expand(&triple[0], &scope, line)?;
                    let value =
                        self.expand(triple.get(1).map_or("", String::as_str), &scope, line)?;
                    pairs.push((key, value));
                }
                let mut out = Vec::new();
                for (key, value) in pairs {
                    if keyword == "env" {
                        env.insert(key.clone(), value.clone());
                    }
                    out.push(key);
                    out.push(value);
                }
                out
            }
            "copy" | "add" => {
                let min = 2;
                if node.args.len() < min {
                    return Err(StageError::TooFewArgs {
                        line,
                        keyword: keyword.to_uppercase(),
                        min,
                    });
                }
                let scope = Scope { env, args };
                let meta_scope = Scope {
                    env: &BTreeMap::new(),
                    args: &self.meta,
                };
                let mut from_stage = false;
                let mut from_image = false;
                let mut excludes = Vec::new();
                for flag in &node.flags {
                    let f = split_flag(flag);
                    let raw = f.value.unwrap_or_default();
                    match f.name {
                        // BuildKit expands --from with global ARGs only: stage-local values
                        // would hide the dependency between stages.
                        "from" => {
                            let v = self.expand(raw, &meta_scope, line)?;
                            match self.stage_ref(&v, true, line)? {
                                Some(idx) => {
                                    stages.push(idx);
                                    from_stage = true;
                                    flags.push("--from=@stage".to_owned());
                                }
                                None => {
                                    from_image = true;
                                    flags.push(format!("--from={v}"));
                                }
                            }
                        }
                        name => {
                            let v = match f.value {
                                Some(_) => Some(self.expand(raw, &scope, line)?),
                                None => None,
                            };
                            if name == "exclude" {
                                excludes.push(v.clone().unwrap_or_default());
                            }
                            flags.push(match v {
                                Some(v) => format!("--{name}={v}"),
                                None => format!("--{name}"),
                            });
                        }
                    }
                }
                let mut expanded = Vec::new();
                let mut sources = Vec::new();
                let last = node.args.len() - 1;
                for (i, word) in node.args.iter().enumerate() {
                    let is_heredoc = i < last
                        && heredoc_name(word)
                            .is_some_and(|n| node.heredocs.iter().any(|h| h.name == n));
                    if is_heredoc {
                        expanded.push(word.clone());
                        continue;
                    }
                    let v = self.expand(word, &scope, line)?;
                    if i < last && !from_stage && !from_image && !is_remote(&v) {
                        sources.push(v.clone());
                    }
                    expanded.push(v);
                }
                if !sources.is_empty() {
                    context.push(ContextUse { sources, excludes });
                }
                expanded
            }
            "run" => {
                let scope = Scope { env, args };
                for flag in &node.flags {
                    let f = split_flag(flag);
                    if f.name == "mount" {
                        let (canonical, used_stage, used_context) =
                            self.mount(f.value.unwrap_or_default(), &scope, line)?;
                        if let Some(idx) = used_stage {
                            stages.push(idx);
                        }
                        if let Some(source) = used_context {
                            context.push(ContextUse {
                                sources: vec![source],
                                excludes: Vec::new(),
                            });
                        }
                        flags.push(format!("--mount={canonical}"));
                    } else {
                        flags.push(flag.clone());
                    }
                }
                if node.json {
                    node.args.clone()
                } else {
                    node.args.iter().map(|a| normalize_shell(a)).collect()
                }
            }
            "cmd" | "entrypoint" | "shell" if !node.json => {
                node.args.iter().map(|a| normalize_shell(a)).collect()
            }
            "expose" | "stopsignal" | "user" | "volume" | "workdir" => {
                let scope = Scope { env, args };
                node.args
                    .iter()
                    .map(|a| self.expand(a, &scope, line))
                    .collect::<Result<_, _>>()?
            }
            "onbuild" => match &node.onbuild {
                Some(inner) => {
                    let mut v = vec![inner.keyword.clone()];
                    v.extend(inner.flags.iter().cloned());
                    v.extend(inner.args.iter().cloned());
                    v
                }
                None => node.args.clone(),
            },
            _ => {
                flags.extend(node.flags.iter().cloned());
                node.args.clone()
            }
        };
        flags.sort();
        let heredocs: Vec<serde_json::Value> = node.heredocs.iter().map(heredoc_json).collect();
        let text = serde_json::to_string(&serde_json::json!([
            keyword, node.json, flags, values, heredocs
        ]))
        .expect("JSON values serialize");
        Ok(Step {
            line,
            text,
            stages,
            context,
        })
    }

    /// Parses a `--mount` value: the canonical form, the stage it reads (`from=`), and the
    /// context path a bind mount without `from=` reads.
    fn mount(
        &self,
        value: &str,
        scope: &Scope<'_>,
        line: usize,
    ) -> Result<(String, Option<usize>, Option<String>), StageError> {
        let bad = |reason: &str| StageError::BadMount {
            line,
            mount: value.to_owned(),
            reason: reason.to_owned(),
        };
        let mut fields: BTreeMap<String, String> = BTreeMap::new();
        for part in value.split(',') {
            let (k, v) = match part.split_once('=') {
                Some((k, v)) => (k.trim().to_lowercase(), v.trim().to_owned()),
                None => (part.trim().to_lowercase(), String::new()),
            };
            let v = if k == "from" {
                if v.contains('$') {
                    return Err(bad(
                        "`from` does not support variable expansion; define an alias stage \
                         (`FROM ${IMAGE} AS src`) and mount from it",
                    ));
                }
                v
            } else {
                self.expand(&v, scope, line)?
            };
            let k = match k.as_str() {
                "src" => "source".to_owned(),
                "dst" | "destination" => "target".to_owned(),
                _ => k,
            };
            fields.insert(k, v);
        }
        let kind = fields.get("type").map_or("bind", String::as_str).to_owned();
        if !["bind", "cache", "tmpfs", "secret", "ssh"].contains(&kind.as_str()) {
            return Err(bad("type must be bind, cache, tmpfs, secret or ssh"));
        }
        let mut used_stage = None;
        if let Some(from) = fields.get("from").cloned()
            && let Some(idx) = self.stage_ref(&from, true, line)?
        {
            used_stage = Some(idx);
            fields.insert("from".to_owned(), "@stage".to_owned());
        }
        let used_context = (kind == "bind" && !fields.contains_key("from"))
            .then(|| fields.get("source").cloned().unwrap_or_default());
        let canonical = fields
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",");
        Ok((canonical, used_stage, used_context))
    }
}

impl Analysis {
    /// The index of the stage a build targets: the named one, or the last.
    pub fn target(&self, target: Option<&str>) -> Result<usize, StageError> {
        match target {
            None => Ok(self.stages.len() - 1),
            Some(t) => self
                .stages
                .iter()
                .position(|s| s.name.as_deref() == Some(t.to_lowercase().as_str()))
                .ok_or_else(|| StageError::UnknownTarget {
                    target: t.to_owned(),
                    known: self.stage_list(),
                }),
        }
    }

    fn stage_list(&self) -> String {
        self.stages
            .iter()
            .enumerate()
            .map(|(i, s)| match &s.name {
                Some(n) => format!("{n} (line {})", s.line),
                None => format!("#{i} (unnamed, line {})", s.line),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The stages `target` needs (itself, its bases, stages it copies or mounts from), sorted.
    pub fn closure(&self, target: usize) -> Vec<usize> {
        let mut seen = vec![false; self.stages.len()];
        let mut stack = vec![target];
        while let Some(i) = stack.pop() {
            if std::mem::replace(&mut seen[i], true) {
                continue;
            }
            let stage = &self.stages[i];
            if let Base::Stage(b) = stage.base {
                stack.push(b);
            }
            for step in &stage.steps {
                stack.extend(step.stages.iter().copied());
            }
        }
        (0..seen.len()).filter(|&i| seen[i]).collect()
    }
}

#[cfg(test)]
mod tests;
