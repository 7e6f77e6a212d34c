//! GitHub Actions output: workflow commands (masks, groups, stop-commands, annotations, with
//! GitHub's escaping), the `GITHUB_OUTPUT` file and the `GITHUB_STEP_SUMMARY` markdown. All of
//! it is built as strings; the CLI prints or appends them.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

pub use super::ImageRef;
use super::RandomToken;
use crate::names::ImageName;
use crate::secret::Secret;

/// GitHub shows at most this many annotations of each severity per step and drops the rest.
pub const ANNOTATIONS_PER_SEVERITY: usize = 10;
/// `GITHUB_STEP_SUMMARY` limit per step.
pub const SUMMARY_LIMIT: usize = 1024 * 1024;
/// Outputs limit per job.
pub const OUTPUTS_LIMIT: usize = 1_000_000;

/// Escapes a command's data (the part after `::`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property value (`file=`, `title=`…).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::add-mask::` lines for a secret, to print before anything else. GitHub masks line by
/// line, so a multi-line secret gets one command per line.
pub fn add_mask(secret: &Secret) -> String {
    secret
        .expose()
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .map(|l| format!("::add-mask::{}\n", escape_data(l)))
        .collect()
}

/// The masks for every secret, to print before anything else.
pub fn mask_all<'a>(secrets: impl IntoIterator<Item = &'a Secret>) -> String {
    secrets.into_iter().map(add_mask).collect()
}

pub fn group(title: &str) -> String {
    format!("::group::{}\n", escape_data(title))
}

pub fn endgroup() -> &'static str {
    "::endgroup::\n"
}

/// Wraps untrusted output (a Dockerfile's `RUN` lines) so it cannot issue workflow commands.
/// The token must be unguessable by that output, hence random per run.
#[derive(Debug, Clone)]
pub struct StopCommands {
    token: RandomToken,
}

impl StopCommands {
    pub fn new(token: RandomToken) -> Self {
        Self { token }
    }

    pub fn begin(&self) -> String {
        format!("::stop-commands::{}\n", self.token.as_str())
    }

    pub fn end(&self) -> String {
        format!("::{}::\n", self.token.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Notice,
}

impl Severity {
    pub fn command(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Notice => "notice",
        }
    }

    fn plural(self, n: usize) -> String {
        let word = self.command();
        if n == 1 {
            format!("1 more {word}")
        } else {
            format!("{n} more {word}s")
        }
    }
}

/// A message to show on the run page, optionally at a file position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub severity: Severity,
    pub message: String,
    pub title: Option<String>,
    pub file: Option<String>,
    pub line: Option<u32>,
    pub end_line: Option<u32>,
    pub col: Option<u32>,
    /// Lower is more important; decides which ones fit in GitHub's limit.
    pub rank: u32,
}

impl Annotation {
    pub fn new(severity: Severity, message: impl Into<String>) -> Self {
        Self {
            severity,
            message: message.into(),
            title: None,
            file: None,
            line: None,
            end_line: None,
            col: None,
            rank: 0,
        }
    }

    /// The workflow command line.
    pub fn command(&self) -> String {
        let mut props = Vec::new();
        if let Some(f) = &self.file {
            props.push(format!("file={}", escape_property(f)));
        }
        if let Some(l) = self.line {
            props.push(format!("line={l}"));
        }
        if let Some(l) = self.end_line {
            props.push(format!("endLine={l}"));
        }
        if let Some(c) = self.col {
            props.push(format!("col={c}"));
        }
        if let Some(t) = &self.title {
            props.push(format!("title={}", escape_property(t)));
        }
        let sep = if props.is_empty() { "" } else { " " };
        format!(
            "::{}{sep}{}::{}\n",
            self.severity.command(),
            props.join(","),
            escape_data(&self.message)
        )
    }
}

/// Which annotations go out as commands and which only into the summary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AnnotationPlan {
    pub shown: Vec<Annotation>,
    pub omitted: Vec<Annotation>,
    /// The notice that says how many were left out, when any were.
    pub overflow_notice: Option<Annotation>,
}

impl AnnotationPlan {
    /// Ranks (stable, by `rank`) and keeps at most ten per severity; when some are left out,
    /// one notice slot is kept for saying so.
    pub fn new(mut all: Vec<Annotation>) -> Self {
        all.sort_by_key(|a| a.rank);
        let count = |s: Severity| all.iter().filter(|a| a.severity == s).count();
        let over = |s: Severity, cap: usize| count(s).saturating_sub(cap);
        let overflow =
            over(Severity::Error, 10) + over(Severity::Warning, 10) + over(Severity::Notice, 10)
                > 0;
        let cap = |s: Severity| match (s, overflow) {
            (Severity::Notice, true) => ANNOTATIONS_PER_SEVERITY - 1,
            _ => ANNOTATIONS_PER_SEVERITY,
        };
        let mut plan = AnnotationPlan::default();
        let mut taken: BTreeMap<Severity, usize> = BTreeMap::new();
        for a in all {
            let n = taken.entry(a.severity).or_default();
            if *n < cap(a.severity) {
                *n += 1;
                plan.shown.push(a);
            } else {
                plan.omitted.push(a);
            }
        }
        if !plan.omitted.is_empty() {
            let parts: Vec<String> = [Severity::Error, Severity::Warning, Severity::Notice]
                .into_iter()
                .filter_map(|s| {
                    let n = plan.omitted.iter().filter(|a| a.severity == s).count();
                    (n > 0).then(|| s.plural(n))
                })
                .collect();
            let mut notice = Annotation::new(
                Severity::Notice,
                format!("{} are listed in the job summary", join_words(&parts)),
            );
            notice.title = Some("More messages".to_owned());
            plan.overflow_notice = Some(notice);
        }
        plan
    }

    /// The commands to print, most important first.
    pub fn commands(&self) -> String {
        self.shown
            .iter()
            .chain(self.overflow_notice.iter())
            .map(Annotation::command)
            .collect()
    }
}

fn join_words(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GithubOutputError {
    #[error("output name {0:?} is invalid (it must be non-empty, without '=', '<' or line breaks)")]
    InvalidName(String),
    #[error("output {0:?} contains the random delimiter; refusing to write it")]
    DelimiterInValue(String),
}

/// One `GITHUB_OUTPUT` entry. Every value uses the `name<<DELIMITER` form, so no value (a
/// multi-line report, a `=` in a reference) can change how the file is read.
pub fn output_entry(
    name: &str,
    value: &str,
    delimiter: &RandomToken,
) -> Result<String, GithubOutputError> {
    if name.is_empty() || name.contains(['=', '<', '\n', '\r']) {
        return Err(GithubOutputError::InvalidName(name.to_owned()));
    }
    let delim = format!("ghadelimiter_{}", delimiter.as_str());
    if value.contains(&delim) {
        return Err(GithubOutputError::DelimiterInValue(name.to_owned()));
    }
    Ok(format!("{name}<<{delim}\n{value}\n{delim}\n"))
}

/// The output name for an image: `image-<name>` with characters GitHub expressions cannot
/// reach as `steps.x.outputs.<id>` made `_`; the unnamed image is `image`.
pub fn image_output_name(name: &ImageName) -> String {
    if name.is_unnamed() {
        return "image".to_owned();
    }
    let safe: String = name
        .as_str()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("image-{safe}")
}

/// The `GITHUB_OUTPUT` content and anything left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outputs {
    pub content: String,
    pub warnings: Vec<String>,
}

/// `report` (the build report), `images` (a JSON map name → reference) and `image-<name>` per
/// image. The report is left out, with a warning, when it would push the outputs over 1 MB.
pub fn outputs(
    report: &str,
    images: &[ImageRef],
    delimiter: &RandomToken,
) -> Result<Outputs, GithubOutputError> {
    let map: BTreeMap<&str, &str> = images
        .iter()
        .map(|i| (i.name.as_str(), i.reference.as_str()))
        .collect();
    let images_json = serde_json::to_string(&map).unwrap_or_else(|_| "{}".to_owned());
    let mut rest = output_entry("images", &images_json, delimiter)?;
    let mut sorted: Vec<&ImageRef> = images.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    for i in sorted {
        rest.push_str(&output_entry(
            &image_output_name(&i.name),
            &i.reference,
            delimiter,
        )?);
    }
    let report_entry = output_entry("report", report, delimiter)?;
    let mut warnings = Vec::new();
    let content = if report_entry.len() + rest.len() > OUTPUTS_LIMIT {
        warnings.push(format!(
            "the report output is left out: {} bytes would exceed GitHub's 1 MB outputs limit",
            report.len()
        ));
        rest
    } else {
        report_entry + &rest
    };
    Ok(Outputs { content, warnings })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildOutcome {
    Built,
    Reused,
}

/// One row of the summary table.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub image: ImageName,
    pub reference: String,
    pub outcome: BuildOutcome,
    pub seconds: f64,
    pub digest: Option<String>,
    /// Why the image was built (empty when reused).
    pub reasons: Vec<String>,
}

/// Text safe in a GFM table cell.
fn cell(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\r', '\n'], " ")
}

fn code_cell(s: &str) -> String {
    if s.is_empty() {
        "-".to_owned()
    } else if s.contains(['`', '|', '\n', '\r']) {
        cell(s)
    } else {
        format!("`{s}`")
    }
}

/// The step summary: title, the plan in a code block, the image table and the messages that
/// did not fit in the annotations. Rows that would pass 1 MiB are replaced by a count.
pub fn step_summary(
    title: &str,
    plan: &str,
    rows: &[SummaryRow],
    messages: &[Annotation],
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## {}\n", cell(title));
    // The plan is one line per image; a quarter of the limit leaves room for the table.
    let plan = if plan.len() > SUMMARY_LIMIT / 4 {
        let mut cut = SUMMARY_LIMIT / 4;
        while !plan.is_char_boundary(cut) {
            cut -= 1;
        }
        format!("{}\n… (plan cut at GitHub's summary limit)", &plan[..cut])
    } else {
        plan.to_owned()
    };
    // A fence longer than any backtick run inside keeps the plan verbatim.
    let longest = plan.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let _ = writeln!(out, "{fence}text\n{}\n{fence}\n", plan.trim_end());
    let mut tail = String::new();
    if !messages.is_empty() {
        tail.push_str("\n### Messages\n\n");
        for m in messages {
            let place = match (&m.file, m.line) {
                (Some(f), Some(l)) => format!(" {}", code_cell(&format!("{f}:{l}"))),
                (Some(f), None) => format!(" {}", code_cell(f)),
                _ => String::new(),
            };
            let title = m
                .title
                .as_deref()
                .map(|t| format!(" {}:", cell(t)))
                .unwrap_or_default();
            let _ = writeln!(
                tail,
                "- **{}**{place}{title} {}",
                m.severity.command(),
                cell(&m.message)
            );
        }
    }
    out.push_str(
        "| image | reference | result | seconds | digest | why built |\n|---|---|---|---:|---|---|\n",
    );
    // Room for the omission line and the messages.
    let budget = SUMMARY_LIMIT.saturating_sub(tail.len().min(SUMMARY_LIMIT / 2) + 200);
    for (i, r) in rows.iter().enumerate() {
        let name = if r.image.is_unnamed() {
            "(unnamed)"
        } else {
            r.image.as_str()
        };
        let line = format!(
            "| {} | {} | {} | {:.2} | {} | {} |\n",
            cell(name),
            code_cell(&r.reference),
            match r.outcome {
                BuildOutcome::Built => "built",
                BuildOutcome::Reused => "reused",
            },
            r.seconds,
            code_cell(r.digest.as_deref().unwrap_or_default()),
            if r.reasons.is_empty() {
                "-".to_owned()
            } else {
                r.reasons
                    .iter()
                    .map(|r| cell(r))
                    .collect::<Vec<_>>()
                    .join("<br>")
            }
        );
        if out.len() + line.len() > budget {
            let _ = writeln!(
                out,
                "\n{} more images are not listed (GitHub's 1 MiB summary limit).",
                rows.len() - i
            );
            break;
        }
        out.push_str(&line);
    }
    if out.len() + tail.len() > SUMMARY_LIMIT {
        let _ = writeln!(
            out,
            "\n{} messages are not listed (GitHub's 1 MiB summary limit).",
            messages.len()
        );
    } else {
        out.push_str(&tail);
    }
    out
}

/// The plan's part of the step summary: per image what happens (`reuse <ref>`, `copy <ref>`,
/// `build`) and every tag it will get.
pub fn plan_summary(rows: &[(String, String, Vec<String>)]) -> String {
    let mut out = String::from("## slipway plan\n\n| image | plan | tags |\n|---|---|---|\n");
    for (name, status, tags) in rows {
        let name = if name.is_empty() { "(unnamed)" } else { name };
        let tags: Vec<String> = tags.iter().map(|t| code_cell(t)).collect();
        let line = format!(
            "| {} | {} | {} |\n",
            cell(name),
            cell(status),
            tags.join("<br>")
        );
        if out.len() + line.len() > SUMMARY_LIMIT - 100 {
            out.push_str("\nMore images are not listed (GitHub's 1 MiB summary limit).\n");
            break;
        }
        out.push_str(&line);
    }
    out.push('\n');
    out
}

/// Appends to a GitHub file command (`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_ENV`),
/// which other steps also write: never truncate.
pub fn append(path: &Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut f = fs_err::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(content.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_table() {
        let data: &[(&str, &str)] = &[
            ("plain", "plain"),
            ("100%", "100%25"),
            ("a\nb", "a%0Ab"),
            ("a\r\nb", "a%0D%0Ab"),
            ("%0A", "%250A"),
            ("::error::x", "::error::x"),
            ("a,b:c", "a,b:c"),
        ];
        for (i, want) in data {
            assert_eq!(escape_data(i), *want, "{i:?}");
        }
        let props: &[(&str, &str)] = &[
            ("src/main.rs", "src/main.rs"),
            ("a,b", "a%2Cb"),
            ("C:\\x", "C%3A\\x"),
            ("t: 50%\n", "t%3A 50%25%0A"),
        ];
        for (i, want) in props {
            assert_eq!(escape_property(i), *want, "{i:?}");
        }
    }

    #[test]
    fn commands() {
        assert_eq!(
            add_mask(&Secret::new("line1\nline%2\n")),
            "::add-mask::line1\n::add-mask::line%252\n"
        );
        assert_eq!(
            group("Building backend\n"),
            "::group::Building backend%0A\n"
        );
        let s = StopCommands::new(RandomToken::from_bytes([1; 16]));
        assert_eq!(s.begin(), format!("::stop-commands::{}\n", "01".repeat(16)));
        assert_eq!(s.end(), format!("::{}::\n", "01".repeat(16)));
        let mut a = Annotation::new(Severity::Error, "COPY failed:\nno such file, 100%");
        a.file = Some("backend.Dockerfile".into());
        a.line = Some(3);
        a.title = Some("image backend: build failed".into());
        assert_eq!(
            a.command(),
            "::error file=backend.Dockerfile,line=3,title=image backend%3A build failed::COPY failed:%0Ano such file, 100%25\n"
        );
        assert_eq!(
            Annotation::new(Severity::Notice, "hi").command(),
            "::notice::hi\n"
        );
    }

    #[test]
    fn annotation_limit() {
        let mut all = Vec::new();
        for i in 0..12 {
            let mut a = Annotation::new(Severity::Error, format!("e{i}"));
            a.rank = 100 - i;
            all.push(a);
        }
        for i in 0..3 {
            all.push(Annotation::new(Severity::Warning, format!("w{i}")));
        }
        for i in 0..10 {
            all.push(Annotation::new(Severity::Notice, format!("n{i}")));
        }
        let plan = AnnotationPlan::new(all);
        let errors: Vec<_> = plan
            .shown
            .iter()
            .filter(|a| a.severity == Severity::Error)
            .map(|a| a.message.as_str())
            .collect();
        // Highest-ranked (lowest rank value) first.
        assert_eq!(errors[0], "e11");
        assert_eq!(errors.len(), 10);
        assert_eq!(
            plan.shown
                .iter()
                .filter(|a| a.severity == Severity::Notice)
                .count(),
            9
        );
        assert_eq!(plan.omitted.len(), 3);
        assert_eq!(
            plan.overflow_notice.as_ref().unwrap().command(),
            "::notice title=More messages::2 more errors and 1 more notice are listed in the job summary\n"
        );
        let cmds = plan.commands();
        assert_eq!(cmds.lines().count(), 10 + 3 + 9 + 1);
        let none = AnnotationPlan::new(vec![Annotation::new(Severity::Warning, "w")]);
        assert!(none.overflow_notice.is_none());
    }

    #[test]
    fn github_output_file() {
        let d = RandomToken::from_bytes([0xcd; 16]);
        let delim = format!("ghadelimiter_{}", "cd".repeat(16));
        let images = vec![
            ImageRef {
                name: ImageName::parse("frontend/app").unwrap(),
                reference: "ghcr.io/o/r/demo:abc-1".into(),
            },
            ImageRef {
                name: ImageName::parse("backend").unwrap(),
                reference: "ghcr.io/o/r/demo:def-2".into(),
            },
        ];
        let out = outputs("{\n\t\"Images\": {}\n}", &images, &d).unwrap();
        assert_eq!(
            out.content,
            format!(
                "report<<{delim}\n{{\n\t\"Images\": {{}}\n}}\n{delim}\n\
                 images<<{delim}\n{{\"backend\":\"ghcr.io/o/r/demo:def-2\",\"frontend/app\":\"ghcr.io/o/r/demo:abc-1\"}}\n{delim}\n\
                 image-backend<<{delim}\nghcr.io/o/r/demo:def-2\n{delim}\n\
                 image-frontend_app<<{delim}\nghcr.io/o/r/demo:abc-1\n{delim}\n"
            )
        );
        assert!(out.warnings.is_empty());
        assert_eq!(
            output_entry("x", &format!("a\n{delim}\nb"), &d),
            Err(GithubOutputError::DelimiterInValue("x".into()))
        );
        assert!(output_entry("a=b", "v", &d).is_err());
        let big = "x".repeat(OUTPUTS_LIMIT);
        let out = outputs(&big, &images, &d).unwrap();
        assert!(!out.content.contains("report<<"));
        assert_eq!(out.warnings.len(), 1);
        assert_eq!(image_output_name(&ImageName::unnamed()), "image");
    }

    #[test]
    fn summary() {
        let rows = vec![
            SummaryRow {
                image: ImageName::parse("backend").unwrap(),
                reference: "ghcr.io/o/r/demo:abc-1".into(),
                outcome: BuildOutcome::Built,
                seconds: 12.345,
                digest: Some("sha256:aa".into()),
                reasons: vec![
                    "a.js changed (blob 1a2b3c → 4d5e6f)".into(),
                    "ARG V: \"1\" → \"2\"".into(),
                ],
            },
            SummaryRow {
                image: ImageName::parse("a|b").unwrap_or_else(|_| ImageName::unnamed()),
                reference: "r:t".into(),
                outcome: BuildOutcome::Reused,
                seconds: 0.0,
                digest: None,
                reasons: Vec::new(),
            },
        ];
        let mut msg = Annotation::new(Severity::Error, "bad | thing");
        msg.file = Some("werf.yaml".into());
        msg.line = Some(4);
        let s = step_summary("slipway build", "plan ``` text", &rows, &[msg]);
        assert_eq!(
            s,
            "## slipway build\n\n````text\nplan ``` text\n````\n\n\
             | image | reference | result | seconds | digest | why built |\n|---|---|---|---:|---|---|\n\
             | backend | `ghcr.io/o/r/demo:abc-1` | built | 12.35 | `sha256:aa` | a.js changed (blob 1a2b3c → 4d5e6f)<br>ARG V: \"1\" → \"2\" |\n\
             | (unnamed) | `r:t` | reused | 0.00 | - | - |\n\
             \n### Messages\n\n- **error** `werf.yaml:4` bad \\| thing\n"
        );
        let many: Vec<SummaryRow> = (0..20_000)
            .map(|i| SummaryRow {
                image: ImageName::parse(&format!("image-{i}")).unwrap(),
                reference: format!("ghcr.io/o/r/demo:{}", "a".repeat(70)),
                outcome: BuildOutcome::Built,
                seconds: 1.0,
                digest: Some(format!("sha256:{}", "b".repeat(64))),
                reasons: Vec::new(),
            })
            .collect();
        let s = step_summary("t", &"plan line\n".repeat(200_000), &many, &[]);
        assert!(s.len() <= SUMMARY_LIMIT);
        assert!(s.contains("(plan cut at GitHub's summary limit)"));
        assert!(s.contains("more images are not listed"));
    }

    #[test]
    fn append_keeps_existing_content() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out");
        append(&p, "a\n").unwrap();
        append(&p, "b\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "a\nb\n");
    }
}
