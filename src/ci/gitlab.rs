//! GitLab CI: the `CI_*` variables (typed with envy) mapped onto [`PipelineInfo`].

use serde::Deserialize;

use super::{CiEnv, CiError, CiProvider, CommitSha, EventKind, PipelineInfo, RegistryHost};
use crate::secret::{Credentials, Secret};

/// The variables slipway reads on GitLab CI. Field names are the variable names lower-cased,
/// which is how envy matches them.
// No Debug: the registry password and job token are secrets until they are wrapped.
#[derive(Deserialize)]
pub struct GitlabEnv {
    pub ci_commit_sha: String,
    pub ci_project_url: String,
    pub ci_pipeline_source: String,
    #[serde(default)]
    pub ci_commit_branch: Option<String>,
    #[serde(default)]
    pub ci_commit_tag: Option<String>,
    #[serde(default)]
    pub ci_default_branch: Option<String>,
    #[serde(default)]
    pub ci_merge_request_iid: Option<u64>,
    #[serde(default)]
    pub ci_merge_request_source_branch_name: Option<String>,
    #[serde(default)]
    pub ci_merge_request_target_branch_name: Option<String>,
    #[serde(default)]
    pub ci_merge_request_source_branch_sha: Option<String>,
    #[serde(default)]
    pub ci_pipeline_url: Option<String>,
    #[serde(default)]
    pub ci_job_url: Option<String>,
    #[serde(default)]
    pub ci_registry: Option<String>,
    #[serde(default)]
    pub ci_registry_image: Option<String>,
    #[serde(default)]
    pub ci_registry_user: Option<String>,
    #[serde(default)]
    ci_registry_password: Option<String>,
    #[serde(default)]
    ci_job_token: Option<String>,
    #[serde(default)]
    pub ci_environment_slug: Option<String>,
}

impl GitlabEnv {
    pub fn from_env(env: &CiEnv) -> Result<Self, CiError> {
        super::from_env(CiProvider::GitLab, env)
    }
}

pub fn read(env: &CiEnv) -> Result<PipelineInfo, CiError> {
    pipeline_info(GitlabEnv::from_env(env)?)
}

pub fn pipeline_info(vars: GitlabEnv) -> Result<PipelineInfo, CiError> {
    let malformed = |var: &str, reason: String| CiError::Malformed {
        provider: CiProvider::GitLab,
        var: var.to_owned(),
        reason,
    };
    let sha = CommitSha::parse(&vars.ci_commit_sha).map_err(|r| malformed("CI_COMMIT_SHA", r))?;
    let source_sha = match &vars.ci_merge_request_source_branch_sha {
        Some(s) => Some(
            CommitSha::parse(s).map_err(|r| malformed("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", r))?,
        ),
        None => None,
    };
    let kind = if vars.ci_pipeline_source == "schedule" {
        EventKind::Schedule
    } else if vars.ci_commit_tag.is_some() {
        EventKind::Tag
    } else if vars.ci_merge_request_iid.is_some() {
        EventKind::PullRequest
    } else if vars.ci_commit_branch.is_some() {
        EventKind::BranchPush
    } else {
        EventKind::Other
    };
    // Outside merged-results pipelines CI_COMMIT_SHA already is the MR head.
    let pr_head_sha = match kind {
        EventKind::PullRequest => source_sha.or_else(|| Some(sha.clone())),
        _ => None,
    };
    let registry = vars.ci_registry.clone().map(RegistryHost::new);
    let credentials = match (
        &vars.ci_registry_user,
        &vars.ci_registry_password,
        &vars.ci_job_token,
    ) {
        (Some(user), Some(password), _) => Some(Credentials {
            username: user.clone(),
            password: Secret::new(password.clone()),
            source: "CI_REGISTRY_USER and CI_REGISTRY_PASSWORD".to_owned(),
        }),
        (_, _, Some(token)) => Some(Credentials {
            username: "gitlab-ci-token".to_owned(),
            password: Secret::new(token.clone()),
            source: "CI_JOB_TOKEN".to_owned(),
        }),
        _ => None,
    };
    Ok(PipelineInfo {
        provider: CiProvider::GitLab,
        event: kind,
        event_name: vars.ci_pipeline_source.clone(),
        branch: vars.ci_commit_branch.clone(),
        tag: vars.ci_commit_tag.clone(),
        pr_number: vars.ci_merge_request_iid,
        pr_source_branch: vars.ci_merge_request_source_branch_name.clone(),
        pr_target_branch: vars.ci_merge_request_target_branch_name.clone(),
        default_branch: vars.ci_default_branch.clone(),
        sha,
        pr_head_sha,
        project_url: vars.ci_project_url.trim_end_matches('/').to_owned(),
        run_url: vars.ci_pipeline_url.clone(),
        job_url: vars.ci_job_url.clone(),
        credentials: registry.as_ref().and(credentials),
        registry,
        registry_repo: vars.ci_registry_image.clone(),
        environment: vars.ci_environment_slug.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ci::test_support::{HEAD_SHA, SHA, env};
    use crate::names::ProjectName;

    pub(crate) fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("GITLAB_CI", "true"),
            ("CI_COMMIT_SHA", SHA),
            ("CI_PROJECT_URL", "https://gitlab.example.com/group/app"),
            ("CI_PIPELINE_SOURCE", "push"),
            ("CI_COMMIT_BRANCH", "main"),
            ("CI_DEFAULT_BRANCH", "main"),
            (
                "CI_PIPELINE_URL",
                "https://gitlab.example.com/group/app/-/pipelines/7",
            ),
            (
                "CI_JOB_URL",
                "https://gitlab.example.com/group/app/-/jobs/9",
            ),
            ("CI_REGISTRY", "registry.example.com:5050"),
            ("CI_REGISTRY_IMAGE", "registry.example.com:5050/group/app"),
            ("CI_REGISTRY_USER", "gitlab-ci-token"),
            ("CI_REGISTRY_PASSWORD", "glcbt-secret"),
            ("CI_JOB_TOKEN", "glcbt-secret"),
            ("CI_ENVIRONMENT_SLUG", "production"),
        ]
    }

    fn info(over: &[(&'static str, &'static str)], drop: &[&str]) -> PipelineInfo {
        let mut v = base();
        v.retain(|(k, _)| !drop.contains(k) && !over.iter().any(|(o, _)| o == k));
        v.extend_from_slice(over);
        pipeline_info(GitlabEnv::from_env(&env(&v)).unwrap()).unwrap()
    }

    #[test]
    fn branch_pipeline() {
        let i = info(&[], &[]);
        assert_eq!(i.event, EventKind::BranchPush);
        assert_eq!(i.branch.as_deref(), Some("main"));
        assert_eq!(
            i.werf_repo(&ProjectName::parse("demo").unwrap()).as_deref(),
            Some("registry.example.com:5050/group/app")
        );
        assert_eq!(i.environment.as_deref(), Some("production"));
        assert_eq!(i.credentials.as_ref().unwrap().username, "gitlab-ci-token");
        assert!(!format!("{i:?}").contains("glcbt-secret"));
        let keys: Vec<_> = i.annotations().iter().map(|a| a.env_suffix).collect();
        assert_eq!(
            keys,
            [
                "PROJECT_GIT",
                "CI_COMMIT",
                "GITLAB_CI_PIPELINE_URL",
                "GITLAB_CI_JOB_URL"
            ]
        );
    }

    #[test]
    fn merge_request_pipelines() {
        let i = info(
            &[
                ("CI_PIPELINE_SOURCE", "merge_request_event"),
                ("CI_MERGE_REQUEST_IID", "5"),
                ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feature/x"),
                ("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", HEAD_SHA),
            ],
            &["CI_COMMIT_BRANCH"],
        );
        assert_eq!(i.event, EventKind::PullRequest);
        assert_eq!(i.pr_number, Some(5));
        assert_eq!(i.tag_sha(true).as_str(), HEAD_SHA);
        // Not a merged-results pipeline: the commit is the head.
        let i = info(
            &[
                ("CI_PIPELINE_SOURCE", "merge_request_event"),
                ("CI_MERGE_REQUEST_IID", "5"),
                ("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", ""),
            ],
            &["CI_COMMIT_BRANCH"],
        );
        assert_eq!(i.tag_sha(true).as_str(), SHA);
    }

    #[test]
    fn tag_schedule_and_no_registry() {
        let i = info(&[("CI_COMMIT_TAG", "v1.2.3")], &["CI_COMMIT_BRANCH"]);
        assert_eq!(i.event, EventKind::Tag);
        let i = info(&[("CI_PIPELINE_SOURCE", "schedule")], &[]);
        assert_eq!(i.event, EventKind::Schedule);
        assert_eq!(i.branch.as_deref(), Some("main"));
        let i = info(&[], &["CI_REGISTRY", "CI_REGISTRY_IMAGE"]);
        assert!(i.registry.is_none() && i.credentials.is_none());
        assert_eq!(i.werf_repo(&ProjectName::parse("demo").unwrap()), None);
        let i = info(&[], &["CI_REGISTRY_USER", "CI_REGISTRY_PASSWORD"]);
        assert_eq!(i.credentials.unwrap().source, "CI_JOB_TOKEN");
    }

    #[test]
    fn errors_name_the_variable() {
        let mut v = base();
        v.retain(|(k, _)| *k != "CI_PIPELINE_SOURCE");
        assert_eq!(
            GitlabEnv::from_env(&env(&v)).err().unwrap().to_string(),
            "GitLab CI: required variable CI_PIPELINE_SOURCE is not set"
        );
        let mut v = base();
        v.push(("CI_MERGE_REQUEST_IID", "five"));
        assert_eq!(
            GitlabEnv::from_env(&env(&v)).err().unwrap().to_string(),
            "GitLab CI: variable CI_MERGE_REQUEST_IID is malformed: \"five\": invalid digit found in string"
        );
    }
}
