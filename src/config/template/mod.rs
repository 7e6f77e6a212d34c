//! Renders werf.yaml as werf does before reading it: a Go template (slipway's own engine) with
//! sprig, werf's functions, `.Files`, `.Env` and `.Commit`, and the partials of `.werf/**/*.tmpl`;
//! keeps a map from rendered lines back to source lines for later YAML errors.

mod files;
mod funcs;
pub mod giterminism;

use std::collections::BTreeMap;
use std::path::Path;

use crate::context::GitRepo;
use crate::gotemplate::{Engine, Error, Span, Value};

use super::ConfigError;
use files::{Files, ProjectFiles};
use giterminism::Giterminism;

/// What a werf.yaml template may see from outside the repository; the CLI fills it in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateInputs {
    /// The environment variables `env` can read (subject to giterminism).
    pub env: BTreeMap<String, String>,
    /// `.Env`: werf's `--env` / `WERF_ENV`.
    pub werf_env: String,
    /// `--loose-giterminism` / `WERF_LOOSE_GITERMINISM`: no giterminism rules.
    pub loose_giterminism: bool,
}

/// The rendered text and, per rendered line, the 1-based source line it came from.
#[derive(Debug)]
pub struct Rendered {
    pub text: String,
    lines: Vec<usize>,
}

impl Rendered {
    /// The source line of 1-based rendered line `line`.
    pub fn source_line(&self, line: usize) -> usize {
        self.lines
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(line)
    }

    /// Without a template: every line is its own source.
    pub fn plain(text: &str) -> Rendered {
        Rendered {
            text: text.to_owned(),
            lines: Vec::new(),
        }
    }
}

/// Renders `text` (the config at `path`) for the project in `dir`.
pub fn render(
    path: &Path,
    text: &str,
    dir: &Path,
    dev: bool,
    inputs: &TemplateInputs,
) -> Result<Rendered, ConfigError> {
    let repo = GitRepo::open(dir).ok();
    let loose = inputs.loose_giterminism;
    let giterminism = read_giterminism(repo.as_ref(), dir, dev)?;

    let mut engine = Engine::new(funcs::werf_funcs());
    let partials = ProjectFiles::new(
        GitRepo::open(dir).ok(),
        dir.to_path_buf(),
        dev || loose,
        giterminism.uncommitted_templates.clone(),
        "config.allowUncommittedTemplates",
    );
    let templates_dir = Path::new(".werf");
    let partial_names: Vec<String> = partials
        .list()
        .unwrap_or_default()
        .into_iter()
        .filter(|p| p.starts_with(".werf/") && p.ends_with(".tmpl"))
        .collect();
    for file in &partial_names {
        let name = &file[".werf/".len()..];
        let shown = dir.join(templates_dir).join(name);
        let content = partials
            .read(file)
            .map_err(|message| ConfigError::TemplateFile {
                path: shown.clone(),
                message,
            })?
            .unwrap_or_default();
        let content = String::from_utf8_lossy(&content);
        engine
            .parse(name, &content)
            .map_err(|e| ConfigError::TemplateSyntax {
                path: shown.clone(),
                line: e.line,
                message: e.message.clone(),
            })?;
    }

    let name = path.file_name().map_or_else(
        || "werf.yaml".to_owned(),
        |n| n.to_string_lossy().into_owned(),
    );
    engine
        .parse(&name, text)
        .map_err(|e| ConfigError::TemplateSyntax {
            path: if e.name == name {
                path.to_owned()
            } else {
                Path::new(&e.name).to_owned()
            },
            line: e.line,
            message: e.message.clone(),
        })?;

    let mut data = BTreeMap::new();
    if let Some(repo) = &repo {
        let (seconds, offset) = repo.commit_time().map_err(|e| ConfigError::TemplateFile {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        let date = BTreeMap::from([
            (
                "Human".to_owned(),
                Value::str(go_time_string(seconds, offset)),
            ),
            ("Unix".to_owned(), Value::str(seconds.to_string())),
        ]);
        data.insert(
            "Commit".to_owned(),
            Value::map(BTreeMap::from([
                ("Hash".to_owned(), Value::str(repo.commit())),
                ("Date".to_owned(), Value::map(date)),
            ])),
        );
    }
    data.insert("Env".to_owned(), Value::str(inputs.werf_env.as_str()));
    let files = ProjectFiles::new(
        repo,
        dir.to_path_buf(),
        dev || loose,
        giterminism.uncommitted_files.clone(),
        "config.goTemplateRendering.allowUncommittedFiles",
    );
    data.insert(
        "Files".to_owned(),
        Value::Object(std::rc::Rc::new(Files(files))),
    );
    engine.host = Some(Box::new(funcs::Host {
        env: inputs.env.clone(),
        giterminism,
        loose,
    }));

    let (out, spans) =
        engine
            .execute_traced(&name, &Value::map(data))
            .map_err(|err| match err {
                Error::Exec(e) => {
                    let (line, column) = match &e.location {
                        Some((_, line, col)) => (*line, *col + 1),
                        None => (1, 1),
                    };
                    let prefix = e
                        .location
                        .as_ref()
                        .map(|(n, l, c)| format!("template: {n}:{l}:{c}: "))
                        .unwrap_or_default();
                    ConfigError::TemplateRender {
                        path: path.to_owned(),
                        line,
                        column,
                        message: e
                            .message
                            .strip_prefix(&prefix)
                            .unwrap_or(&e.message)
                            .to_owned(),
                    }
                }
                Error::Parse(e) => ConfigError::TemplateSyntax {
                    path: path.to_owned(),
                    line: e.line,
                    message: e.message,
                },
            })?;
    let lines = line_map(text, &out, &spans);
    Ok(Rendered { text: out, lines })
}

fn read_giterminism(
    repo: Option<&GitRepo>,
    dir: &Path,
    dev: bool,
) -> Result<Giterminism, ConfigError> {
    let shown = dir.join(giterminism::FILE);
    let text = match repo {
        Some(repo) if !dev => {
            repo.read_committed(giterminism::FILE)
                .map_err(|e| ConfigError::TemplateFile {
                    path: shown.clone(),
                    message: e.to_string(),
                })?
        }
        _ => std::fs::read(&shown).ok(),
    };
    let Some(text) = text else {
        return Ok(Giterminism::default());
    };
    Giterminism::parse(&String::from_utf8_lossy(&text)).map_err(|message| {
        ConfigError::TemplateFile {
            path: shown,
            message,
        }
    })
}

/// For each rendered line, the source line it came from: literal text keeps its own lines,
/// everything an action printed belongs to the action's line.
fn line_map(source: &str, rendered: &str, spans: &[Span]) -> Vec<usize> {
    let newlines: Vec<usize> = source.match_indices('\n').map(|(i, _)| i).collect();
    let src_line = |pos: usize| 1 + newlines.partition_point(|&n| n < pos);
    let mut lines = Vec::new();
    let mut span = 0;
    // Lines into the current text span, counted as we go (not recounted per line).
    let mut into_span: Option<(usize, usize)> = None;
    let starts = std::iter::once(0).chain(rendered.match_indices('\n').map(|(i, _)| i + 1));
    for start in starts {
        while span + 1 < spans.len() && spans[span + 1].out <= start {
            span += 1;
            into_span = None;
        }
        let line = match spans.get(span) {
            None => 1,
            Some(s) if s.out > start || !s.text => src_line(s.src),
            Some(s) => {
                let offset = match into_span {
                    Some((index, count)) if index == span => count + 1,
                    _ => rendered[s.out..start].matches('\n').count(),
                };
                into_span = Some((span, offset));
                src_line(s.src) + offset
            }
        };
        lines.push(line);
    }
    lines
}

/// Go's `time.Time.String()` for a commit time in its own fixed zone (which has no name, so Go
/// prints the offset twice): `2024-05-01 12:00:00 +0200 +0200`.
fn go_time_string(seconds: i64, offset_minutes: i32) -> String {
    let local = seconds + i64::from(offset_minutes) * 60;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    let (y, m, d) = crate::report::civil_from_days(days);
    let sign = if offset_minutes < 0 { '-' } else { '+' };
    let off = offset_minutes.abs();
    let zone = format!("{sign}{:02}{:02}", off / 60, off % 60);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} {zone} {zone}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_time_like_go() {
        assert_eq!(go_time_string(0, 0), "1970-01-01 00:00:00 +0000 +0000");
        assert_eq!(
            go_time_string(1_700_000_000, 120),
            "2023-11-15 00:13:20 +0200 +0200"
        );
    }

    #[test]
    fn line_map_follows_text_and_actions() {
        let engine = Engine::new(Engine::with_sprig());
        let source = "a: 1\n{{- range list 1 2 }}\nb{{ . }}: x\n{{- end }}\nc: 3\n";
        engine.parse("t", source).unwrap();
        let (out, spans) = engine.execute_traced("t", &Value::Missing).unwrap();
        assert_eq!(out, "a: 1\nb1: x\nb2: x\nc: 3\n");
        assert_eq!(line_map(source, &out, &spans), vec![1, 3, 3, 5, 6]);
    }
}
