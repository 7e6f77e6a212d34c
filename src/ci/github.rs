//! GitHub Actions: the `GITHUB_*` variables (typed with envy) and the event JSON at
//! `GITHUB_EVENT_PATH`, mapped onto [`PipelineInfo`].

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{CiEnv, CiError, CiProvider, CommitSha, EventKind, PipelineInfo, RegistryHost};
use crate::secret::{Credentials, Secret};

/// GitHub's container registry; GitHub Enterprise users override the repo explicitly.
pub const GHCR: &str = "ghcr.io";

/// The variables slipway reads on GitHub Actions. Field names are the variable names
/// lower-cased, which is how envy matches them.
// No Debug: `github_token` is a secret until it is wrapped.
#[derive(Deserialize)]
pub struct GithubEnv {
    pub github_repository: String,
    pub github_sha: String,
    pub github_event_name: String,
    #[serde(default)]
    pub github_ref: Option<String>,
    #[serde(default)]
    pub github_head_ref: Option<String>,
    #[serde(default)]
    pub github_base_ref: Option<String>,
    #[serde(default = "default_server_url")]
    pub github_server_url: String,
    #[serde(default)]
    pub github_run_id: Option<u64>,
    #[serde(default)]
    pub github_run_attempt: Option<u32>,
    #[serde(default)]
    pub github_event_path: Option<PathBuf>,
    #[serde(default)]
    pub github_actor: Option<String>,
    #[serde(default)]
    github_token: Option<String>,
}

fn default_server_url() -> String {
    "https://github.com".to_owned()
}

impl GithubEnv {
    pub fn from_env(env: &CiEnv) -> Result<Self, CiError> {
        super::from_env(CiProvider::GitHub, env)
    }
}

/// The parts of the event payload slipway uses.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct GithubEvent {
    #[serde(default)]
    pub pull_request: Option<EventPullRequest>,
    #[serde(default)]
    pub repository: Option<EventRepository>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct EventPullRequest {
    pub number: u64,
    pub head: EventCommitRef,
    pub base: EventCommitRef,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct EventCommitRef {
    pub sha: String,
    #[serde(rename = "ref")]
    pub git_ref: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct EventRepository {
    #[serde(default)]
    pub default_branch: Option<String>,
}

impl GithubEvent {
    pub fn parse(json: &str) -> Result<Self, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    pub fn read(path: &Path) -> Result<Self, CiError> {
        let err = |reason: String| CiError::EventFile {
            path: path.to_owned(),
            reason,
        };
        let text = fs_err::read_to_string(path).map_err(|e| err(e.to_string()))?;
        Self::parse(&text).map_err(err)
    }
}

/// Reads the variables and, when `GITHUB_EVENT_PATH` is set, the event file.
pub fn read(env: &CiEnv) -> Result<PipelineInfo, CiError> {
    let vars = GithubEnv::from_env(env)?;
    let event = match &vars.github_event_path {
        Some(path) => Some(GithubEvent::read(path)?),
        None => None,
    };
    pipeline_info(vars, event.as_ref())
}

/// Maps the variables and event payload onto [`PipelineInfo`]. Like docker/metadata-action, the
/// ref decides branch/tag/PR (so `pull_request_target`, which runs on the base branch, is a
/// branch build); `schedule` is recognised by the event name.
pub fn pipeline_info(
    vars: GithubEnv,
    event: Option<&GithubEvent>,
) -> Result<PipelineInfo, CiError> {
    let malformed = |var: &str, reason: String| CiError::Malformed {
        provider: CiProvider::GitHub,
        var: var.to_owned(),
        reason,
    };
    let sha = CommitSha::parse(&vars.github_sha).map_err(|r| malformed("GITHUB_SHA", r))?;
    if vars.github_repository.split('/').count() != 2 {
        return Err(malformed(
            "GITHUB_REPOSITORY",
            format!("{:?} is not owner/repo", vars.github_repository),
        ));
    }
    let git_ref = vars.github_ref.clone().unwrap_or_default();
    let mut branch = git_ref.strip_prefix("refs/heads/").map(str::to_owned);
    let tag = git_ref.strip_prefix("refs/tags/").map(str::to_owned);
    let ref_pr_number = match git_ref.strip_prefix("refs/pull/") {
        Some(rest) => {
            let number = rest.split('/').next().unwrap_or_default();
            Some(
                number
                    .parse::<u64>()
                    .map_err(|_| malformed("GITHUB_REF", format!("{git_ref:?}: no PR number")))?,
            )
        }
        None => None,
    };
    let event_pr = event.and_then(|e| e.pull_request.as_ref());
    let kind = if vars.github_event_name == "schedule" {
        EventKind::Schedule
    } else if tag.is_some() {
        EventKind::Tag
    } else if ref_pr_number.is_some() {
        EventKind::PullRequest
    } else if branch.is_some() {
        EventKind::BranchPush
    } else {
        EventKind::Other
    };
    if kind == EventKind::PullRequest {
        branch = None;
    }
    let pr_head_sha = match event_pr {
        Some(pr) => Some(
            CommitSha::parse(&pr.head.sha).map_err(|r| CiError::EventFile {
                path: vars.github_event_path.clone().unwrap_or_default(),
                reason: format!("pull_request.head.sha: {r}"),
            })?,
        ),
        None => None,
    };
    let server = vars.github_server_url.trim_end_matches('/');
    let project_url = format!("{server}/{}", vars.github_repository);
    let run_url = vars.github_run_id.map(|id| match vars.github_run_attempt {
        Some(attempt) if attempt > 1 => {
            format!("{project_url}/actions/runs/{id}/attempts/{attempt}")
        }
        _ => format!("{project_url}/actions/runs/{id}"),
    });
    let credentials = match (&vars.github_actor, &vars.github_token) {
        (Some(actor), Some(token)) => Some(Credentials {
            username: actor.clone(),
            password: Secret::new(token.clone()),
            source: "GITHUB_ACTOR and GITHUB_TOKEN".to_owned(),
        }),
        _ => None,
    };
    Ok(PipelineInfo {
        provider: CiProvider::GitHub,
        event: kind,
        event_name: vars.github_event_name.clone(),
        branch,
        tag,
        pr_number: ref_pr_number.or(event_pr.map(|pr| pr.number)),
        pr_source_branch: vars
            .github_head_ref
            .clone()
            .or(event_pr.map(|pr| pr.head.git_ref.clone())),
        pr_target_branch: vars
            .github_base_ref
            .clone()
            .or(event_pr.map(|pr| pr.base.git_ref.clone())),
        default_branch: event
            .and_then(|e| e.repository.as_ref())
            .and_then(|r| r.default_branch.clone()),
        sha,
        pr_head_sha,
        project_url,
        run_url,
        job_url: None,
        registry: Some(RegistryHost::new(GHCR)),
        // Registry paths must be lower case; GITHUB_REPOSITORY keeps the owner's spelling.
        registry_repo: Some(format!("{GHCR}/{}", vars.github_repository.to_lowercase())),
        credentials,
        environment: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ci::test_support::{HEAD_SHA, SHA, env};
    use crate::names::ProjectName;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "Octo-Org/My-Repo"),
            ("GITHUB_SHA", SHA),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_RUN_ATTEMPT", "1"),
            ("GITHUB_HEAD_REF", ""),
            ("GITHUB_ACTOR", "octocat"),
            ("GITHUB_TOKEN", "ghs_topsecret"),
        ]
    }

    fn info(pairs: &[(&str, &str)], event: Option<&str>) -> PipelineInfo {
        let vars = GithubEnv::from_env(&env(pairs)).unwrap();
        let event = event.map(|j| GithubEvent::parse(j).unwrap());
        pipeline_info(vars, event.as_ref()).unwrap()
    }

    fn with(over: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut v = base();
        for (k, val) in over {
            v.retain(|(kk, _)| kk != k);
            v.push((k, val));
        }
        v
    }

    #[test]
    fn branch_push() {
        let i = info(&base(), Some(r#"{"repository":{"default_branch":"main"}}"#));
        assert_eq!(i.event, EventKind::BranchPush);
        assert_eq!(i.branch.as_deref(), Some("main"));
        assert_eq!(i.default_branch.as_deref(), Some("main"));
        assert_eq!(i.registry_repo.as_deref(), Some("ghcr.io/octo-org/my-repo"));
        assert_eq!(
            i.werf_repo(&ProjectName::parse("demo").unwrap()).as_deref(),
            Some("ghcr.io/octo-org/my-repo/demo")
        );
        assert_eq!(i.project_url, "https://github.com/Octo-Org/My-Repo");
        assert_eq!(
            i.run_url.as_deref(),
            Some("https://github.com/Octo-Org/My-Repo/actions/runs/42")
        );
        let c = i.credentials.as_ref().unwrap();
        assert_eq!(c.username, "octocat");
        assert_eq!(c.password.expose(), "ghs_topsecret");
        assert!(!format!("{i:?}").contains("ghs_topsecret"));
        // An empty GITHUB_HEAD_REF is unset.
        assert_eq!(i.pr_source_branch, None);
    }

    #[test]
    fn pull_request_uses_event_head() {
        let pairs = with(&[
            ("GITHUB_EVENT_NAME", "pull_request"),
            ("GITHUB_REF", "refs/pull/17/merge"),
            ("GITHUB_HEAD_REF", "feature/x"),
            ("GITHUB_BASE_REF", "main"),
        ]);
        let event = format!(
            r#"{{"pull_request":{{"number":17,"head":{{"sha":"{HEAD_SHA}","ref":"feature/x"}},"base":{{"sha":"{SHA}","ref":"main"}}}}}}"#
        );
        let i = info(&pairs, Some(&event));
        assert_eq!(i.event, EventKind::PullRequest);
        assert_eq!(i.pr_number, Some(17));
        assert_eq!(i.branch, None);
        assert_eq!(i.pr_source_branch.as_deref(), Some("feature/x"));
        assert_eq!(i.pr_head_sha.as_ref().unwrap().as_str(), HEAD_SHA);
        assert_eq!(i.tag_sha(true).as_str(), HEAD_SHA);
        assert_eq!(i.tag_sha(false).as_str(), SHA);
    }

    #[test]
    fn tag_and_schedule_and_other() {
        let i = info(&with(&[("GITHUB_REF", "refs/tags/v1.2.3")]), None);
        assert_eq!(i.event, EventKind::Tag);
        assert_eq!(i.tag.as_deref(), Some("v1.2.3"));
        assert!(i.annotations().iter().any(|a| a.key == "ci.werf.io/tag"));
        let i = info(&with(&[("GITHUB_EVENT_NAME", "schedule")]), None);
        assert_eq!(i.event, EventKind::Schedule);
        assert_eq!(i.branch.as_deref(), Some("main"));
        let i = info(&with(&[("GITHUB_REF", "")]), None);
        assert_eq!(i.event, EventKind::Other);
    }

    #[test]
    fn errors_name_the_variable() {
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "GITHUB_SHA");
        let err = GithubEnv::from_env(&env(&pairs)).err().unwrap();
        assert_eq!(
            err.to_string(),
            "GitHub Actions: required variable GITHUB_SHA is not set"
        );
        let err = GithubEnv::from_env(&env(&with(&[("GITHUB_RUN_ID", "abc")])))
            .err()
            .unwrap();
        assert_eq!(
            err.to_string(),
            "GitHub Actions: variable GITHUB_RUN_ID is malformed: \"abc\": invalid digit found in string"
        );
        let vars = GithubEnv::from_env(&env(&with(&[("GITHUB_SHA", "nope")]))).unwrap();
        assert_eq!(
            pipeline_info(vars, None).err().unwrap().to_string(),
            "GitHub Actions: variable GITHUB_SHA is malformed: \"nope\" is not a commit id (40 or 64 hex digits expected)"
        );
        let missing = std::path::Path::new("/nonexistent/event.json");
        assert!(
            GithubEvent::read(missing)
                .err()
                .unwrap()
                .to_string()
                .starts_with("GitHub event file /nonexistent/event.json (GITHUB_EVENT_PATH): ")
        );
    }

    #[test]
    fn no_token_no_credentials() {
        let mut pairs = base();
        pairs.retain(|(k, _)| *k != "GITHUB_TOKEN");
        let i = info(&pairs, None);
        assert!(i.credentials.is_none());
        assert!(
            i.login_hint()
                .unwrap()
                .contains("GITHUB_TOKEN is not in the environment")
        );
        assert_eq!(info(&base(), None).login_hint(), None);
    }
}
