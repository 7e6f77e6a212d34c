//! The opt-in GitLab API integrations: a commit status and a merge-request note with the build's
//! image table, through the `gitlab` crate. They need a user-supplied access token
//! (`GITLAB_TOKEN`), because GitLab refuses both to `CI_JOB_TOKEN`.

use std::fmt;
use std::time::Duration;

use gitlab::api::projects::merge_requests::notes::CreateMergeRequestNote;
use gitlab::api::projects::repository::commits::{CommitStatusState, CreateCommitStatus};
use gitlab::api::{self, ApiError, AsyncQuery};
use gitlab::{AsyncGitlab, GitlabBuilder, GitlabError, RestError};

use super::api_report::{
    BuildOutcome, Endpoint, error_chain, scrub, truncate_plain, truncate_with_note,
};
use super::{CiEnv, CommitSha, PipelineInfo};
use crate::secret::Secret;

/// `name`, `target_url` and `description` of a commit status are limited to 255 characters.
pub const STATUS_FIELD_LIMIT: usize = 255;
/// GitLab's limit on a note's body.
pub const NOTE_LIMIT: usize = 1_000_000;
/// The commit status's name when the caller has no better one.
pub const DEFAULT_STATUS_NAME: &str = "slipway";
const NOTE_TRUNCATION: &str =
    "\n\n_(note truncated to GitLab's size limit; the full report is in the job log)_\n";

/// Which project the requests are about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectRef {
    /// `CI_PROJECT_PATH` (`group/sub/project`); the crate URL-encodes it into one path segment.
    Path(String),
    /// `CI_PROJECT_ID`.
    Id(u64),
}

impl fmt::Display for ProjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // The form GitLab's URLs take, so the endpoint in a message is the one requested.
            ProjectRef::Path(p) => f.write_str(&p.replace('/', "%2F")),
            ProjectRef::Id(id) => write!(f, "{id}"),
        }
    }
}

/// Where and as whom to post.
#[derive(Debug, Clone)]
pub struct GitlabApiConfig {
    /// `CI_API_V4_URL` without a trailing `/` (for messages).
    pub api_url: String,
    /// `host[:port][/relative-root]`, what the crate's client builder takes.
    host: String,
    /// Plain HTTP (a self-managed instance without TLS, or the tests' server).
    insecure: bool,
    pub project: ProjectRef,
    /// `CI_PIPELINE_ID`: a commit status is attached to this pipeline, rather than to whichever
    /// pipeline GitLab picks for the commit.
    pub pipeline_id: Option<u64>,
    pub token: Secret,
    /// For each request, connection included.
    pub timeout: Duration,
}

impl GitlabApiConfig {
    /// Reads `GITLAB_TOKEN` (refusing when there is only `CI_JOB_TOKEN`), `CI_API_V4_URL` (or
    /// `CI_SERVER_URL`), `CI_PROJECT_PATH` (or `CI_PROJECT_ID`) and `CI_PIPELINE_ID`.
    pub fn from_env(env: &CiEnv) -> Result<Self, GitlabApiError> {
        let token = match env.get("GITLAB_TOKEN") {
            Some(t) => Secret::new(t),
            None if env.is_set("CI_JOB_TOKEN") => return Err(GitlabApiError::JobTokenOnly),
            None => return Err(GitlabApiError::MissingToken),
        };
        let api_url = match (env.get("CI_API_V4_URL"), env.get("CI_SERVER_URL")) {
            (Some(api), _) => api.trim_end_matches('/').to_owned(),
            (None, Some(server)) => format!("{}/api/v4", server.trim_end_matches('/')),
            (None, None) => {
                return Err(GitlabApiError::Config {
                    var: "CI_API_V4_URL",
                    reason: "not set (nor CI_SERVER_URL)".into(),
                });
            }
        };
        let (insecure, rest) = if let Some(rest) = api_url.strip_prefix("https://") {
            (false, rest)
        } else if let Some(rest) = api_url.strip_prefix("http://") {
            (true, rest)
        } else {
            return Err(GitlabApiError::Config {
                var: "CI_API_V4_URL",
                reason: format!("{api_url:?} is not an http(s) URL"),
            });
        };
        // The crate appends `/api/v4/` to the host itself.
        let host = rest
            .strip_suffix("/api/v4")
            .filter(|h| !h.is_empty())
            .ok_or_else(|| GitlabApiError::Config {
                var: "CI_API_V4_URL",
                reason: format!("{api_url:?} does not end in /api/v4"),
            })?
            .to_owned();
        let project = match (env.get("CI_PROJECT_PATH"), env.get("CI_PROJECT_ID")) {
            (Some(path), _) => ProjectRef::Path(path.to_owned()),
            (None, Some(id)) => ProjectRef::Id(id.parse().map_err(|_| GitlabApiError::Config {
                var: "CI_PROJECT_ID",
                reason: format!("{id:?} is not a number"),
            })?),
            (None, None) => {
                return Err(GitlabApiError::Config {
                    var: "CI_PROJECT_PATH",
                    reason: "not set (nor CI_PROJECT_ID)".into(),
                });
            }
        };
        let pipeline_id = env.get("CI_PIPELINE_ID").and_then(|v| v.parse().ok());
        Ok(Self {
            api_url,
            host,
            insecure,
            project,
            pipeline_id,
            token,
            timeout: Duration::from_secs(30),
        })
    }

    fn endpoint(&self, method: &'static str, path: String) -> Endpoint {
        Endpoint {
            method,
            url: format!("{}/{path}", self.api_url),
        }
    }
}

/// The commit status to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitStatusReport {
    /// The pipeline's commit (`CI_COMMIT_SHA`), which [`GitlabApiConfig::pipeline_id`] belongs
    /// to.
    pub sha: CommitSha,
    /// `success` or `failed`.
    pub success: bool,
    pub name: String,
    /// The job; left out when over 255 characters rather than failing the request.
    pub target_url: Option<String>,
    /// Cut to 255 characters.
    pub description: String,
}

impl CommitStatusReport {
    pub fn from_outcome(pipeline: &PipelineInfo, outcome: &BuildOutcome) -> Self {
        Self {
            sha: pipeline.sha.clone(),
            success: outcome.success,
            name: DEFAULT_STATUS_NAME.to_owned(),
            target_url: pipeline.job_url.clone(),
            description: outcome.headline(),
        }
    }
}

/// A note for a merge request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeRequestNote {
    /// `CI_MERGE_REQUEST_IID`.
    pub iid: u64,
    /// Markdown; cut to [`NOTE_LIMIT`] with a note.
    pub body: String,
}

impl MergeRequestNote {
    /// The image table as a note; `None` outside merge-request pipelines.
    pub fn from_outcome(pipeline: &PipelineInfo, outcome: &BuildOutcome) -> Option<Self> {
        let iid = pipeline.pr_number?;
        let mut body = outcome.markdown("slipway");
        let mut footer = vec![format!("commit `{}`", pipeline.sha.short(8))];
        if let Some(url) = &pipeline.job_url {
            footer.insert(0, format!("[job]({url})"));
        }
        body.push_str(&format!("\n{}\n", footer.join(" · ")));
        Some(Self { iid, body })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GitlabApiError {
    #[error(
        "GitLab commit statuses and merge request notes need an access token, but only \
         CI_JOB_TOKEN is available and GitLab does not accept a job token for them: create a \
         project access token (or a personal access token) with the `api` scope and at least \
         the Developer role, store it as a masked CI/CD variable named GITLAB_TOKEN, and run again"
    )]
    JobTokenOnly,
    #[error(
        "GitLab commit statuses and merge request notes need an access token with the `api` \
         scope in GITLAB_TOKEN (a project or personal access token stored as a masked CI/CD \
         variable)"
    )]
    MissingToken,
    #[error("GitLab API: {var}: {reason}")]
    Config { var: &'static str, reason: String },
    #[error(
        "{endpoint}: 401 Unauthorized ({message}): GitLab did not accept GITLAB_TOKEN; it is \
         invalid, expired or revoked"
    )]
    Unauthorized { endpoint: Endpoint, message: String },
    #[error(
        "{endpoint}: 403 Forbidden ({message}): GITLAB_TOKEN needs the `api` scope and at least \
         the Developer role in the project"
    )]
    Forbidden { endpoint: Endpoint, message: String },
    #[error(
        "{endpoint}: 404 Not Found ({message}): the project or merge request does not exist or \
         GITLAB_TOKEN's user cannot see it (check CI_PROJECT_PATH and the token's project)"
    )]
    NotFound { endpoint: Endpoint, message: String },
    #[error("{endpoint}: GitLab answered {status}: {message}")]
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

/// A connected client: building one checks the token with `GET /user`.
pub struct GitlabApi {
    cfg: GitlabApiConfig,
    client: AsyncGitlab,
}

impl fmt::Debug for GitlabApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitlabApi").field("cfg", &self.cfg).finish()
    }
}

impl GitlabApi {
    pub async fn connect(cfg: &GitlabApiConfig) -> Result<Self, GitlabApiError> {
        let endpoint = cfg.endpoint("GET", "user".into());
        let mut builder = GitlabBuilder::new(cfg.host.as_str(), cfg.token.expose());
        builder.user_agent(concat!("slipway/", env!("CARGO_PKG_VERSION")));
        if cfg.insecure {
            builder.insecure();
        }
        let client = with_timeout(cfg, &endpoint, builder.build_async())
            .await?
            .map_err(|e| map_client_error(&endpoint, e, &cfg.token))?;
        Ok(Self {
            cfg: cfg.clone(),
            client,
        })
    }

    /// `POST /projects/:id/statuses/:sha`.
    pub async fn commit_status(&self, status: &CommitStatusReport) -> Result<(), GitlabApiError> {
        let cfg = &self.cfg;
        let endpoint = cfg.endpoint(
            "POST",
            format!("projects/{}/statuses/{}", cfg.project, status.sha),
        );
        let mut b = CreateCommitStatus::builder();
        b.project(project(&cfg.project))
            .commit(status.sha.as_str())
            .state(if status.success {
                CommitStatusState::Success
            } else {
                CommitStatusState::Failed
            })
            .name(truncate_plain(&status.name, STATUS_FIELD_LIMIT))
            .description(truncate_plain(&status.description, STATUS_FIELD_LIMIT));
        if let Some(url) = status
            .target_url
            .as_deref()
            .filter(|u| u.len() <= STATUS_FIELD_LIMIT)
        {
            b.target_url(url);
        }
        if let Some(id) = cfg.pipeline_id {
            b.pipeline_id(id);
        }
        let request = b.build().map_err(|e| GitlabApiError::Transport {
            endpoint: endpoint.clone(),
            reason: e.to_string(),
        })?;
        self.send(&endpoint, request).await
    }

    /// `POST /projects/:id/merge_requests/:iid/notes`.
    pub async fn mr_note(&self, note: &MergeRequestNote) -> Result<(), GitlabApiError> {
        let cfg = &self.cfg;
        let endpoint = cfg.endpoint(
            "POST",
            format!("projects/{}/merge_requests/{}/notes", cfg.project, note.iid),
        );
        let request = CreateMergeRequestNote::builder()
            .project(project(&cfg.project))
            .merge_request(note.iid)
            .body(truncate_with_note(&note.body, NOTE_LIMIT, NOTE_TRUNCATION))
            .build()
            .map_err(|e| GitlabApiError::Transport {
                endpoint: endpoint.clone(),
                reason: e.to_string(),
            })?;
        self.send(&endpoint, request).await
    }

    async fn send<E>(&self, endpoint: &Endpoint, request: E) -> Result<(), GitlabApiError>
    where
        E: api::Endpoint + Sync,
    {
        with_timeout(
            &self.cfg,
            endpoint,
            api::ignore(request).query_async(&self.client),
        )
        .await?
        .map_err(|e| map_api_error(endpoint, e, &self.cfg.token))
    }
}

/// Connects and sets the commit status.
pub async fn post_commit_status(
    cfg: &GitlabApiConfig,
    status: &CommitStatusReport,
) -> Result<(), GitlabApiError> {
    GitlabApi::connect(cfg).await?.commit_status(status).await
}

/// Connects and adds the note.
pub async fn post_mr_note(
    cfg: &GitlabApiConfig,
    note: &MergeRequestNote,
) -> Result<(), GitlabApiError> {
    GitlabApi::connect(cfg).await?.mr_note(note).await
}

fn project(p: &ProjectRef) -> api::common::NameOrId<'_> {
    match p {
        ProjectRef::Path(path) => path.as_str().into(),
        ProjectRef::Id(id) => (*id).into(),
    }
}

async fn with_timeout<T>(
    cfg: &GitlabApiConfig,
    endpoint: &Endpoint,
    fut: impl Future<Output = T>,
) -> Result<T, GitlabApiError> {
    tokio::time::timeout(cfg.timeout, fut)
        .await
        .map_err(|_| GitlabApiError::Timeout {
            endpoint: endpoint.clone(),
            seconds: cfg.timeout.as_secs(),
        })
}

fn map_client_error(endpoint: &Endpoint, e: GitlabError, token: &Secret) -> GitlabApiError {
    match e {
        GitlabError::Api { source } => map_api_error(endpoint, source, token),
        GitlabError::Http { status } => from_status(endpoint, status.as_u16(), String::new()),
        other => GitlabApiError::Transport {
            endpoint: endpoint.clone(),
            reason: scrub(&error_chain(&other), token),
        },
    }
}

fn map_api_error(endpoint: &Endpoint, e: ApiError<RestError>, token: &Secret) -> GitlabApiError {
    let (status, message) = match e {
        ApiError::GitlabWithStatus { status, msg } => (status, msg),
        ApiError::GitlabObjectWithStatus { status, obj }
        | ApiError::GitlabUnrecognizedWithStatus { status, obj } => (status, message_of(&obj)),
        ApiError::GitlabService { status, data } => {
            (status, String::from_utf8_lossy(&data).trim().to_owned())
        }
        other => {
            return GitlabApiError::Transport {
                endpoint: endpoint.clone(),
                reason: scrub(&error_chain(&other), token),
            };
        }
    };
    from_status(endpoint, status.as_u16(), scrub(&message, token))
}

// GitLab's error bodies are `{"message": …}` or `{"error": …}`, the message a string or an
// object of field → reasons.
fn message_of(obj: &serde_json::Value) -> String {
    match obj.get("message").or_else(|| obj.get("error")) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => obj.to_string(),
    }
}

fn from_status(endpoint: &Endpoint, status: u16, message: String) -> GitlabApiError {
    let endpoint = endpoint.clone();
    match status {
        401 => GitlabApiError::Unauthorized { endpoint, message },
        403 => GitlabApiError::Forbidden { endpoint, message },
        404 => GitlabApiError::NotFound { endpoint, message },
        status => GitlabApiError::Status {
            endpoint,
            status,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ci::test_support::env;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("GITLAB_TOKEN", "glpat-x"),
            ("CI_API_V4_URL", "https://gitlab.example.com/gitlab/api/v4"),
            ("CI_PROJECT_PATH", "group/sub/project"),
            ("CI_PROJECT_ID", "42"),
            ("CI_PIPELINE_ID", "1001"),
        ]
    }

    #[test]
    fn config_from_env() {
        let cfg = GitlabApiConfig::from_env(&env(&base())).unwrap();
        assert_eq!(cfg.host, "gitlab.example.com/gitlab");
        assert!(!cfg.insecure);
        assert_eq!(cfg.project, ProjectRef::Path("group/sub/project".into()));
        assert_eq!(cfg.pipeline_id, Some(1001));
        assert_eq!(
            cfg.endpoint("POST", format!("projects/{}/statuses/abc", cfg.project))
                .to_string(),
            "POST https://gitlab.example.com/gitlab/api/v4/projects/group%2Fsub%2Fproject/statuses/abc"
        );

        let mut v = base();
        v.retain(|(k, _)| !matches!(*k, "CI_API_V4_URL" | "CI_PROJECT_PATH"));
        v.push(("CI_SERVER_URL", "http://127.0.0.1:8080/"));
        let cfg = GitlabApiConfig::from_env(&env(&v)).unwrap();
        assert_eq!(cfg.host, "127.0.0.1:8080");
        assert!(cfg.insecure);
        assert_eq!(cfg.project, ProjectRef::Id(42));
        assert_eq!(cfg.api_url, "http://127.0.0.1:8080/api/v4");
    }

    #[test]
    fn tokens() {
        let mut v = base();
        v.retain(|(k, _)| *k != "GITLAB_TOKEN");
        assert!(matches!(
            GitlabApiConfig::from_env(&env(&v)),
            Err(GitlabApiError::MissingToken)
        ));
        v.push(("CI_JOB_TOKEN", "job-secret"));
        let err = GitlabApiConfig::from_env(&env(&v)).unwrap_err();
        assert!(matches!(err, GitlabApiError::JobTokenOnly));
        assert!(!err.to_string().contains("job-secret"));

        let cfg = GitlabApiConfig::from_env(&env(&base())).unwrap();
        assert!(!format!("{cfg:?}").contains("glpat-x"));
    }

    #[test]
    fn bad_urls() {
        let mut v = base();
        v.retain(|(k, _)| *k != "CI_API_V4_URL");
        v.push(("CI_API_V4_URL", "https://gitlab.example.com/api"));
        let err = GitlabApiConfig::from_env(&env(&v)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "GitLab API: CI_API_V4_URL: \"https://gitlab.example.com/api\" does not end in /api/v4"
        );
    }
}
