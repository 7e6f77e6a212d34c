//! The opt-in GitHub check run (`--github-check-run`): one completed check run with the build's
//! summary and annotations, created through octocrab against `GITHUB_API_URL` (so GitHub
//! Enterprise works). Annotations past the API's 50 per request are appended with PATCHes.

use std::fmt;
use std::time::Duration;

use octocrab::params::checks::{
    CheckRunConclusion, CheckRunOutput, CheckRunOutputAnnotation, CheckRunOutputAnnotationLevel,
    CheckRunStatus,
};
use serde::{Deserialize, Serialize};

use super::api_report::{
    BuildOutcome, Endpoint, error_chain, one_line, scrub, truncate_plain, truncate_with_note,
};
use super::github_output::{Annotation, Severity};
use super::{CiEnv, CommitSha, PipelineInfo};
use crate::secret::Secret;

/// The Checks API takes at most this many annotations per request; later PATCHes append.
pub const ANNOTATIONS_PER_REQUEST: usize = 50;
/// `output.summary` and `output.text` limit.
pub const SUMMARY_LIMIT: usize = 65_535;
/// Annotation `message` limit (64 KB).
pub const MESSAGE_LIMIT: usize = 64 * 1024;
/// Annotation `title` limit.
pub const TITLE_LIMIT: usize = 255;
/// The check run's name when the caller has no better one.
pub const DEFAULT_CHECK_NAME: &str = "slipway build";
const DEFAULT_API_URL: &str = "https://api.github.com";
/// The REST API version the request bodies follow.
const API_VERSION: &str = "2022-11-28";
const TRUNCATION_NOTE: &str = "\n\n_(summary truncated to GitHub's 65,535-character limit; the full report is in the \
     workflow run's job summary)_\n";

/// Where and as whom to create the check run.
#[derive(Debug, Clone)]
pub struct GithubApiConfig {
    /// `GITHUB_API_URL`, without a trailing `/` (`https://api.github.com`,
    /// `https://ghe.example.com/api/v3`).
    pub api_url: String,
    pub owner: String,
    pub repo: String,
    pub token: Secret,
    /// For each request, connection included.
    pub timeout: Duration,
}

impl GithubApiConfig {
    /// Reads `GITHUB_API_URL` (default `https://api.github.com`), `GITHUB_REPOSITORY` and
    /// `GITHUB_TOKEN`.
    pub fn from_env(env: &CiEnv) -> Result<Self, GithubApiError> {
        let token = env
            .get("GITHUB_TOKEN")
            .map(Secret::new)
            .ok_or(GithubApiError::MissingToken)?;
        let repository = env
            .get("GITHUB_REPOSITORY")
            .ok_or_else(|| GithubApiError::Config {
                var: "GITHUB_REPOSITORY",
                reason: "not set".into(),
            })?;
        let (owner, repo) = split_repository(repository)?;
        let api_url = env.get("GITHUB_API_URL").unwrap_or(DEFAULT_API_URL);
        if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
            return Err(GithubApiError::Config {
                var: "GITHUB_API_URL",
                reason: format!("{api_url:?} is not an http(s) URL"),
            });
        }
        Ok(Self {
            api_url: api_url.trim_end_matches('/').to_owned(),
            owner,
            repo,
            token,
            timeout: Duration::from_secs(30),
        })
    }

    fn create_endpoint(&self) -> Endpoint {
        Endpoint {
            method: "POST",
            url: format!(
                "{}/repos/{}/{}/check-runs",
                self.api_url, self.owner, self.repo
            ),
        }
    }

    fn update_endpoint(&self, id: CheckRunId) -> Endpoint {
        Endpoint {
            method: "PATCH",
            url: format!(
                "{}/repos/{}/{}/check-runs/{id}",
                self.api_url, self.owner, self.repo
            ),
        }
    }
}

fn split_repository(repository: &str) -> Result<(String, String), GithubApiError> {
    let valid = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    match repository.split_once('/') {
        Some((o, r)) if valid(o) && valid(r) => Ok((o.to_owned(), r.to_owned())),
        _ => Err(GithubApiError::Config {
            var: "GITHUB_REPOSITORY",
            reason: format!("{repository:?} is not owner/repo"),
        }),
    }
}

/// What the check run shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRunReport {
    pub name: String,
    /// The commit the run is attached to; see [`check_run_sha`].
    pub head_sha: CommitSha,
    /// `conclusion`: `success` or `failure`.
    pub success: bool,
    pub title: String,
    /// Markdown; cut to [`SUMMARY_LIMIT`] with a note.
    pub summary: String,
    /// The workflow run, linked from the check run.
    pub details_url: Option<String>,
    /// Sent most important (lowest `rank`) first. Annotations without a file cannot be
    /// annotations in the Checks API (`path` is required); they are listed in the summary.
    pub annotations: Vec<Annotation>,
}

impl CheckRunReport {
    /// A report whose title is the outcome's headline and whose summary is its image table.
    pub fn from_outcome(
        pipeline: &PipelineInfo,
        outcome: &BuildOutcome,
        annotations: Vec<Annotation>,
    ) -> Self {
        Self {
            name: DEFAULT_CHECK_NAME.to_owned(),
            head_sha: check_run_sha(pipeline).clone(),
            success: outcome.success,
            title: outcome.headline(),
            summary: outcome.markdown("slipway"),
            details_url: pipeline.run_url.clone(),
            annotations,
        }
    }
}

/// The commit a check run belongs on: on pull requests the PR head, because GitHub shows a
/// PR the check runs of its head commit, not of the temporary merge commit that was built.
pub fn check_run_sha(pipeline: &PipelineInfo) -> &CommitSha {
    pipeline.pr_head_sha.as_ref().unwrap_or(&pipeline.sha)
}

/// A check run's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CheckRunId(pub u64);

impl fmt::Display for CheckRunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The created check run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedCheckRun {
    pub id: CheckRunId,
    /// Its page, for a log line.
    pub html_url: Option<String>,
    /// Requests made: one POST and a PATCH per further batch of annotations.
    pub requests: usize,
    pub annotations_sent: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum GithubApiError {
    #[error(
        "--github-check-run needs GITHUB_TOKEN: pass it to the step with \
         `env: GITHUB_TOKEN: ${{{{ github.token }}}}` and give the job `permissions: checks: write`"
    )]
    MissingToken,
    #[error("--github-check-run: {var}: {reason}")]
    Config { var: &'static str, reason: String },
    #[error(
        "{endpoint}: 401 Unauthorized ({message}): GitHub did not accept GITHUB_TOKEN; it is \
         invalid or expired — pass the job's token (`${{{{ github.token }}}}`) or a valid token"
    )]
    Unauthorized { endpoint: Endpoint, message: String },
    #[error(
        "{endpoint}: 403 Forbidden ({message}): GITHUB_TOKEN may not create check runs; it needs \
         `checks: write` (add `permissions: checks: write` to the job). A token from a fork's \
         pull request is read-only. Note that GitHub may attach the check run to another \
         workflow's check suite"
    )]
    Forbidden { endpoint: Endpoint, message: String },
    #[error(
        "{endpoint}: 404 Not Found ({message}): the repository does not exist at this API URL or \
         GITHUB_TOKEN cannot see it (check GITHUB_REPOSITORY and GITHUB_API_URL)"
    )]
    NotFound { endpoint: Endpoint, message: String },
    #[error("{endpoint}: 422 Unprocessable Entity: GitHub rejected the check run: {message}")]
    Rejected { endpoint: Endpoint, message: String },
    #[error("{endpoint}: GitHub answered {status}: {message}")]
    Status {
        endpoint: Endpoint,
        status: u16,
        message: String,
    },
    #[error("{endpoint}: no answer within {seconds} s")]
    Timeout { endpoint: Endpoint, seconds: u64 },
    #[error("{endpoint}: {reason}")]
    Transport { endpoint: Endpoint, reason: String },
}

#[derive(Serialize)]
struct CreateBody<'a> {
    name: &'a str,
    head_sha: &'a str,
    status: CheckRunStatus,
    conclusion: CheckRunConclusion,
    #[serde(skip_serializing_if = "Option::is_none")]
    details_url: Option<&'a str>,
    output: CheckRunOutput,
}

#[derive(Serialize)]
struct UpdateBody {
    output: CheckRunOutput,
}

#[derive(Deserialize)]
struct CreatedRun {
    id: u64,
    #[serde(default)]
    html_url: Option<String>,
}

/// Creates the completed check run and appends the annotations past the first 50.
pub async fn publish_check_run(
    cfg: &GithubApiConfig,
    run: &CheckRunReport,
) -> Result<PublishedCheckRun, GithubApiError> {
    let create = cfg.create_endpoint();
    let crab = client(cfg).map_err(|e| GithubApiError::Transport {
        endpoint: create.clone(),
        reason: scrub(&error_chain(e.as_ref()), &cfg.token),
    })?;
    let (located, unlocated) = check_annotations(&run.annotations);
    let summary = summary_with(&run.summary, &unlocated);
    let title = truncate_plain(&run.title, TITLE_LIMIT);
    let output = |annotations: &[CheckRunOutputAnnotation]| CheckRunOutput {
        title: title.clone(),
        summary: summary.clone(),
        text: None,
        annotations: annotations.iter().map(clone_annotation).collect(),
        images: Vec::new(),
    };
    let mut batches = located.chunks(ANNOTATIONS_PER_REQUEST);
    let first = batches.next().unwrap_or(&[]);
    let body = CreateBody {
        name: &run.name,
        head_sha: run.head_sha.as_str(),
        status: CheckRunStatus::Completed,
        conclusion: if run.success {
            CheckRunConclusion::Success
        } else {
            CheckRunConclusion::Failure
        },
        details_url: run.details_url.as_deref(),
        output: output(first),
    };
    let route = format!("/repos/{}/{}/check-runs", cfg.owner, cfg.repo);
    let created: CreatedRun = send(cfg, &create, crab.post(&route, Some(&body))).await?;
    let id = CheckRunId(created.id);
    let mut published = PublishedCheckRun {
        id,
        html_url: created.html_url,
        requests: 1,
        annotations_sent: first.len(),
    };
    let update = cfg.update_endpoint(id);
    let route = format!("{route}/{id}");
    for batch in batches {
        let body = UpdateBody {
            output: output(batch),
        };
        let _: serde_json::Value = send(cfg, &update, crab.patch(&route, Some(&body))).await?;
        published.requests += 1;
        published.annotations_sent += batch.len();
    }
    Ok(published)
}

fn client(cfg: &GithubApiConfig) -> Result<octocrab::Octocrab, Box<dyn std::error::Error>> {
    // reqwest (already slipway's HTTP client, with rustls) honours HTTPS_PROXY, which
    // self-hosted runners often need, and gives per-request timeouts.
    let http = reqwest::Client::builder()
        .connect_timeout(cfg.timeout)
        .timeout(cfg.timeout)
        .user_agent(concat!("slipway/", env!("CARGO_PKG_VERSION")))
        .build()?;
    Ok(octocrab::Octocrab::builder()
        .base_uri(cfg.api_url.as_str())?
        .personal_token(cfg.token.expose().to_owned())
        .add_header(
            reqwest::header::ACCEPT,
            "application/vnd.github+json".to_owned(),
        )
        .add_header(
            reqwest::header::HeaderName::from_static("x-github-api-version"),
            API_VERSION.to_owned(),
        )
        .build_with_reqwest(http)?)
}

async fn send<T>(
    cfg: &GithubApiConfig,
    endpoint: &Endpoint,
    request: impl Future<Output = octocrab::Result<T>>,
) -> Result<T, GithubApiError> {
    // reqwest's own timeout covers each request; this one also covers octocrab's layers.
    let limit = cfg.timeout + Duration::from_secs(5);
    match tokio::time::timeout(limit, request).await {
        Err(_) => Err(GithubApiError::Timeout {
            endpoint: endpoint.clone(),
            seconds: limit.as_secs(),
        }),
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(map_error(endpoint, e, &cfg.token)),
    }
}

fn map_error(endpoint: &Endpoint, e: octocrab::Error, token: &Secret) -> GithubApiError {
    let endpoint = endpoint.clone();
    let octocrab::Error::GitHub { source, .. } = e else {
        return GithubApiError::Transport {
            endpoint,
            reason: scrub(&error_chain(&e), token),
        };
    };
    let mut message = source.message.clone();
    if let Some(errors) = source.errors.as_ref().filter(|e| !e.is_empty()) {
        let details: Vec<String> = errors.iter().map(|v| v.to_string()).collect();
        message = format!("{message} ({})", details.join(", "));
    }
    let message = scrub(&message, token);
    match source.status_code.as_u16() {
        401 => GithubApiError::Unauthorized { endpoint, message },
        403 => GithubApiError::Forbidden { endpoint, message },
        404 => GithubApiError::NotFound { endpoint, message },
        422 => GithubApiError::Rejected { endpoint, message },
        status => GithubApiError::Status {
            endpoint,
            status,
            message,
        },
    }
}

/// The annotations the Checks API can take, most important first, and the ones without a file.
fn check_annotations(all: &[Annotation]) -> (Vec<CheckRunOutputAnnotation>, Vec<&Annotation>) {
    let mut sorted: Vec<&Annotation> = all.iter().collect();
    sorted.sort_by_key(|a| a.rank);
    let mut located = Vec::new();
    let mut unlocated = Vec::new();
    for a in sorted {
        let Some(path) = a.file.as_deref().filter(|p| !p.is_empty()) else {
            unlocated.push(a);
            continue;
        };
        let start_line = a.line.unwrap_or(1).max(1);
        let end_line = a.end_line.unwrap_or(start_line).max(start_line);
        // GitHub takes columns only on one-line annotations.
        let column = a.col.filter(|_| start_line == end_line);
        located.push(CheckRunOutputAnnotation {
            path: path.to_owned(),
            start_line,
            end_line,
            start_column: column,
            end_column: column,
            annotation_level: level(a.severity),
            message: truncate_plain(&a.message, MESSAGE_LIMIT),
            title: a.title.as_deref().map(|t| truncate_plain(t, TITLE_LIMIT)),
            raw_details: None,
        });
    }
    (located, unlocated)
}

fn level(s: Severity) -> CheckRunOutputAnnotationLevel {
    match s {
        Severity::Error => CheckRunOutputAnnotationLevel::Failure,
        Severity::Warning => CheckRunOutputAnnotationLevel::Warning,
        Severity::Notice => CheckRunOutputAnnotationLevel::Notice,
    }
}

// octocrab's parameter types are not Clone, and every batch needs its own output object.
fn clone_annotation(a: &CheckRunOutputAnnotation) -> CheckRunOutputAnnotation {
    CheckRunOutputAnnotation {
        path: a.path.clone(),
        start_line: a.start_line,
        end_line: a.end_line,
        start_column: a.start_column,
        end_column: a.end_column,
        annotation_level: a.annotation_level,
        message: a.message.clone(),
        title: a.title.clone(),
        raw_details: a.raw_details.clone(),
    }
}

/// The summary with the file-less messages appended, cut to the limit.
fn summary_with(summary: &str, unlocated: &[&Annotation]) -> String {
    let mut out = summary.to_owned();
    if !unlocated.is_empty() {
        out.push_str("\n\n### Messages\n\n");
        for a in unlocated {
            let title = a
                .title
                .as_deref()
                .map(|t| format!("{}: ", one_line(t)))
                .unwrap_or_default();
            out.push_str(&format!(
                "- **{}** {title}{}\n",
                a.severity.command(),
                one_line(&a.message)
            ));
        }
    }
    truncate_with_note(&out, SUMMARY_LIMIT, TRUNCATION_NOTE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ci::test_support::env;

    #[test]
    fn config_from_env() {
        let cfg = GithubApiConfig::from_env(&env(&[
            ("GITHUB_TOKEN", "ghs_x"),
            ("GITHUB_REPOSITORY", "Octo-Org/my.repo"),
            ("GITHUB_API_URL", "https://ghe.example.com/api/v3/"),
        ]))
        .unwrap();
        assert_eq!(cfg.api_url, "https://ghe.example.com/api/v3");
        assert_eq!(
            (cfg.owner.as_str(), cfg.repo.as_str()),
            ("Octo-Org", "my.repo")
        );
        assert_eq!(
            cfg.create_endpoint().to_string(),
            "POST https://ghe.example.com/api/v3/repos/Octo-Org/my.repo/check-runs"
        );
        let dflt =
            GithubApiConfig::from_env(&env(&[("GITHUB_TOKEN", "t"), ("GITHUB_REPOSITORY", "o/r")]))
                .unwrap();
        assert_eq!(dflt.api_url, "https://api.github.com");
        let missing = GithubApiConfig::from_env(&env(&[("GITHUB_REPOSITORY", "o/r")]));
        assert!(matches!(missing, Err(GithubApiError::MissingToken)));
        assert_eq!(
            GithubApiError::MissingToken.to_string(),
            "--github-check-run needs GITHUB_TOKEN: pass it to the step with \
             `env: GITHUB_TOKEN: ${{ github.token }}` and give the job `permissions: checks: write`"
        );
        let bad = GithubApiConfig::from_env(&env(&[
            ("GITHUB_TOKEN", "t"),
            ("GITHUB_REPOSITORY", "o/r/x"),
        ]));
        assert!(matches!(
            bad,
            Err(GithubApiError::Config {
                var: "GITHUB_REPOSITORY",
                ..
            })
        ));
    }

    #[test]
    fn annotations_map_to_checks_fields() {
        let mut a = Annotation::new(Severity::Error, "boom");
        a.file = Some("Dockerfile".into());
        a.line = Some(3);
        a.col = Some(5);
        a.rank = 2;
        let mut b = Annotation::new(Severity::Warning, "multi");
        b.file = Some("werf.yaml".into());
        b.line = Some(4);
        b.end_line = Some(6);
        b.col = Some(1);
        b.rank = 1;
        let c = Annotation::new(Severity::Notice, "no file\nhere");
        let all = [a, b, c];
        let (located, unlocated) = check_annotations(&all);
        let json = serde_json::to_value(&located).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"path": "werf.yaml", "start_line": 4, "end_line": 6,
                 "annotation_level": "warning", "message": "multi"},
                {"path": "Dockerfile", "start_line": 3, "end_line": 3, "start_column": 5,
                 "end_column": 5, "annotation_level": "failure", "message": "boom"},
            ])
        );
        assert_eq!(unlocated.len(), 1);
        let s = summary_with("sum", &unlocated);
        assert_eq!(s, "sum\n\n### Messages\n\n- **notice** no file here\n");
    }

    #[test]
    fn summary_cut_with_note() {
        let long = "| a | b |\n".repeat(10_000);
        let s = summary_with(&long, &[]);
        assert!(s.len() <= SUMMARY_LIMIT);
        assert!(s.ends_with(TRUNCATION_NOTE));
    }
}
