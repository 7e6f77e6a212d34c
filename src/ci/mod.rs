//! CI integration: which CI system runs slipway, and the pipeline facts (event, refs, commit,
//! URLs, registry and login) that GitHub Actions and GitLab CI both map onto [`PipelineInfo`].
//! Nothing here reads the process environment: callers pass the variables in as a [`CiEnv`].

pub mod api_report;
pub mod ci_env;
pub mod github;
pub mod github_api;
pub mod github_output;
pub mod gitlab;
pub mod gitlab_api;
pub mod gitlab_output;
pub mod log;
pub mod results;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::de::DeserializeOwned;

use crate::names::ProjectName;
use crate::secret::Credentials;

/// The CI systems slipway integrates with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CiProvider {
    GitHub,
    GitLab,
}

impl fmt::Display for CiProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CiProvider::GitHub => "GitHub Actions",
            CiProvider::GitLab => "GitLab CI",
        })
    }
}

/// What `--ci` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CiSelection {
    #[default]
    Auto,
    GitHub,
    GitLab,
    None,
}

impl FromStr for CiSelection {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(Self::Auto),
            "github" => Ok(Self::GitHub),
            "gitlab" => Ok(Self::GitLab),
            "none" => Ok(Self::None),
            other => Err(format!(
                "--ci {other:?}: expected auto, github, gitlab or none"
            )),
        }
    }
}

/// The environment variables a CI integration reads, as handed in by the caller (the CLI passes
/// `std::env::vars()`). Empty values count as unset, because CI systems export many variables
/// empty (GitHub's `GITHUB_HEAD_REF` outside pull requests, for one).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CiEnv(BTreeMap<String, String>);

impl CiEnv {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn is_set(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The non-empty variables, in the shape `envy::from_iter` takes.
    fn pairs(&self) -> impl Iterator<Item = (String, String)> + '_ {
        self.0
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| (k.clone(), v.clone()))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for CiEnv {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Self(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        )
    }
}

// The environment holds tokens; only the names are safe to show.
impl fmt::Debug for CiEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// Which provider `selection` means here: `auto` looks at `GITHUB_ACTIONS` and `GITLAB_CI`;
/// `None` when no CI integration applies.
pub fn detect(selection: CiSelection, env: &CiEnv) -> Option<CiProvider> {
    match selection {
        CiSelection::GitHub => Some(CiProvider::GitHub),
        CiSelection::GitLab => Some(CiProvider::GitLab),
        CiSelection::None => None,
        CiSelection::Auto => {
            if env.get("GITHUB_ACTIONS") == Some("true") {
                Some(CiProvider::GitHub)
            } else if env.get("GITLAB_CI") == Some("true") {
                Some(CiProvider::GitLab)
            } else {
                None
            }
        }
    }
}

/// Reads the pipeline facts of `provider` from `env` (GitHub also reads its event JSON file).
pub fn read_pipeline(provider: CiProvider, env: &CiEnv) -> Result<PipelineInfo, CiError> {
    match provider {
        CiProvider::GitHub => github::read(env),
        CiProvider::GitLab => gitlab::read(env),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CiError {
    #[error("{provider}: required variable {var} is not set")]
    Missing { provider: CiProvider, var: String },
    #[error("{provider}: variable {var} is malformed: {reason}")]
    Malformed {
        provider: CiProvider,
        var: String,
        reason: String,
    },
    #[error("GitHub event file {path} (GITHUB_EVENT_PATH): {reason}")]
    EventFile { path: PathBuf, reason: String },
}

/// Deserialises a provider's variables with envy, turning its errors into ones that name the
/// variable the way the user spells it.
fn from_env<T: DeserializeOwned>(provider: CiProvider, env: &CiEnv) -> Result<T, CiError> {
    envy::from_iter(env.pairs()).map_err(|e| match e {
        // envy lower-cases names to match fields; fields are the variable names lower-cased.
        envy::Error::MissingValue(field) => CiError::Missing {
            provider,
            var: field.to_uppercase(),
        },
        envy::Error::Custom(msg) => {
            // envy's text is "<why> while parsing value '<v>' provided by <VAR>".
            let (why, var) = match msg.rsplit_once(" provided by ") {
                Some((rest, var)) => (
                    rest.split(" while parsing value ").next().unwrap_or(rest),
                    var.to_owned(),
                ),
                None => (msg.as_str(), "(unknown)".to_owned()),
            };
            let value = env.get(&var).unwrap_or_default();
            CiError::Malformed {
                provider,
                reason: format!("{value:?}: {why}"),
                var,
            }
        }
    })
}

/// A git commit id: 40 (SHA-1) or 64 (SHA-256) lower-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CommitSha(String);

impl CommitSha {
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.to_ascii_lowercase();
        if (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(s))
        } else {
            Err(format!(
                "{s:?} is not a commit id (40 or 64 hex digits expected)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first `len` digits (all of them when `len` is larger).
    pub fn short(&self, len: usize) -> &str {
        &self.0[..len.min(self.0.len())]
    }
}

impl fmt::Display for CommitSha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A registry host with optional port (`ghcr.io`, `registry.example.com:5050`): the key of a
/// docker config `auths` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistryHost(String);

impl RegistryHost {
    pub fn new(host: impl Into<String>) -> Self {
        Self(host.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RegistryHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What started the pipeline, in terms both providers share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    BranchPush,
    Tag,
    /// A GitHub pull request or a GitLab merge request.
    PullRequest,
    /// A scheduled run; it still runs on a branch, which [`PipelineInfo::branch`] names.
    Schedule,
    Other,
}

/// The pipeline facts slipway needs, the same for GitHub and GitLab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineInfo {
    pub provider: CiProvider,
    pub event: EventKind,
    /// The provider's own name for the event (`push`, `pull_request`, `merge_request_event`…),
    /// for messages.
    pub event_name: String,
    /// The branch being built: set for pushes and schedules, not for PRs/MRs or tags.
    pub branch: Option<String>,
    pub tag: Option<String>,
    /// PR number (GitHub) or MR IID (GitLab).
    pub pr_number: Option<u64>,
    pub pr_source_branch: Option<String>,
    pub pr_target_branch: Option<String>,
    pub default_branch: Option<String>,
    /// The commit checked out: in PRs and merged-results pipelines a temporary merge commit.
    pub sha: CommitSha,
    /// The PR/MR head commit, when known.
    pub pr_head_sha: Option<CommitSha>,
    pub project_url: String,
    /// GitHub workflow run or GitLab pipeline.
    pub run_url: Option<String>,
    pub job_url: Option<String>,
    /// The CI system's own registry, when it has one enabled.
    pub registry: Option<RegistryHost>,
    /// Where this project's images go in that registry (GitHub: `ghcr.io/<owner>/<repo>`,
    /// lower-cased; GitLab: `$CI_REGISTRY_IMAGE`).
    pub registry_repo: Option<String>,
    /// The login for [`Self::registry`].
    pub credentials: Option<Credentials>,
    /// GitLab's `CI_ENVIRONMENT_SLUG` (werf's `WERF_ENV`).
    pub environment: Option<String>,
}

/// One deploy annotation werf's `ci-env` exports as `WERF_ADD_ANNOTATION_<suffix>=<key>=<value>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiAnnotation {
    pub env_suffix: &'static str,
    pub key: &'static str,
    pub value: String,
}

impl PipelineInfo {
    /// The primary repo werf's `ci-env` would set as `WERF_REPO`: GitHub appends the project.
    pub fn werf_repo(&self, project: &ProjectName) -> Option<String> {
        let base = self.registry_repo.as_deref()?;
        Some(match self.provider {
            CiProvider::GitHub => format!("{base}/{project}"),
            CiProvider::GitLab => base.to_owned(),
        })
    }

    /// What to tell the user when there is no registry login, e.g. a workflow that does not
    /// pass `GITHUB_TOKEN` to the step.
    pub fn login_hint(&self) -> Option<String> {
        if self.credentials.is_some() {
            return None;
        }
        Some(match self.provider {
            CiProvider::GitHub => "no login for ghcr.io: GITHUB_TOKEN is not in the environment; \
                 pass it with `env: GITHUB_TOKEN: ${{ github.token }}` (pushing needs \
                 `permissions: packages: write`)"
                .to_owned(),
            CiProvider::GitLab if self.registry.is_none() => {
                "no GitLab registry: CI_REGISTRY is not set (is the container registry \
                 enabled for this project?)"
                    .to_owned()
            }
            CiProvider::GitLab => {
                "no login for the GitLab registry: neither CI_REGISTRY_USER/CI_REGISTRY_PASSWORD \
                 nor CI_JOB_TOKEN is set"
                    .to_owned()
            }
        })
    }

    /// The commit `type=sha` tags name: the PR head when asked for and known.
    pub fn tag_sha(&self, use_pr_head: bool) -> &CommitSha {
        match (
            &self.pr_head_sha,
            use_pr_head && self.event == EventKind::PullRequest,
        ) {
            (Some(head), true) => head,
            _ => &self.sha,
        }
    }

    /// werf's CI annotations, in werf's order; absent facts are left out.
    pub fn annotations(&self) -> Vec<CiAnnotation> {
        let mut out = vec![
            CiAnnotation {
                env_suffix: "PROJECT_GIT",
                key: "project.werf.io/git",
                value: self.project_url.clone(),
            },
            CiAnnotation {
                env_suffix: "CI_COMMIT",
                key: "ci.werf.io/commit",
                value: self.sha.to_string(),
            },
        ];
        if let Some(tag) = &self.tag {
            out.push(CiAnnotation {
                env_suffix: "CI_TAG",
                key: "ci.werf.io/tag",
                value: tag.clone(),
            });
        }
        match self.provider {
            CiProvider::GitHub => {
                if let Some(url) = &self.run_url {
                    out.push(CiAnnotation {
                        env_suffix: "GITHUB_CI_WORKFLOW_RUN_URL",
                        key: "github.ci.werf.io/workflow-run-url",
                        value: url.clone(),
                    });
                }
            }
            CiProvider::GitLab => {
                if let Some(url) = &self.run_url {
                    out.push(CiAnnotation {
                        env_suffix: "GITLAB_CI_PIPELINE_URL",
                        key: "gitlab.ci.werf.io/pipeline-url",
                        value: url.clone(),
                    });
                }
                if let Some(url) = &self.job_url {
                    out.push(CiAnnotation {
                        env_suffix: "GITLAB_CI_JOB_URL",
                        key: "gitlab.ci.werf.io/job-url",
                        value: url.clone(),
                    });
                }
            }
        }
        out
    }
}

/// An image and the reference it was published as (`<repo>:<tag>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    pub name: crate::names::ImageName,
    pub reference: String,
}

/// An unguessable token for workflow-command stop tokens, heredoc delimiters and private
/// directory names: 16 random bytes from the OS, as 32 hex digits.
#[derive(Clone, PartialEq, Eq)]
pub struct RandomToken(String);

impl RandomToken {
    pub fn generate() -> Result<Self, std::io::Error> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
        Ok(Self::from_bytes(bytes))
    }

    /// A fixed token, for tests and for callers that bring their own randomness.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// Printing the token would let build output that sees the log guess it.
impl fmt::Debug for RandomToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RandomToken(***)")
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::CiEnv;

    pub const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
    pub const HEAD_SHA: &str = "fedcba9876543210fedcba9876543210fedcba98";

    pub fn env(pairs: &[(&str, &str)]) -> CiEnv {
        pairs.iter().map(|(k, v)| (*k, *v)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::env;
    use super::*;

    #[test]
    fn detection() {
        let gh = env(&[("GITHUB_ACTIONS", "true")]);
        let gl = env(&[("GITLAB_CI", "true")]);
        let both = env(&[("GITHUB_ACTIONS", "true"), ("GITLAB_CI", "true")]);
        let neither = env(&[("GITHUB_ACTIONS", "false"), ("CI", "true")]);
        assert_eq!(detect(CiSelection::Auto, &gh), Some(CiProvider::GitHub));
        assert_eq!(detect(CiSelection::Auto, &gl), Some(CiProvider::GitLab));
        assert_eq!(detect(CiSelection::Auto, &both), Some(CiProvider::GitHub));
        assert_eq!(detect(CiSelection::Auto, &neither), None);
        assert_eq!(detect(CiSelection::None, &gh), None);
        assert_eq!(
            detect(CiSelection::GitLab, &neither),
            Some(CiProvider::GitLab)
        );
        assert_eq!("gitlab".parse::<CiSelection>(), Ok(CiSelection::GitLab));
        assert_eq!(
            "travis".parse::<CiSelection>().unwrap_err(),
            "--ci \"travis\": expected auto, github, gitlab or none"
        );
    }

    #[test]
    fn env_debug_shows_names_only() {
        let e = env(&[("GITHUB_TOKEN", "ghs_secret")]);
        let shown = format!("{e:?}");
        assert!(shown.contains("GITHUB_TOKEN"));
        assert!(!shown.contains("ghs_secret"));
    }

    #[test]
    fn commit_sha() {
        assert!(CommitSha::parse(test_support::SHA).is_ok());
        assert_eq!(
            CommitSha::parse(&test_support::SHA.to_uppercase())
                .unwrap()
                .as_str(),
            test_support::SHA
        );
        assert!(CommitSha::parse("abc123").is_err());
        assert_eq!(
            CommitSha::parse(test_support::SHA).unwrap().short(7),
            "0123456"
        );
    }

    #[test]
    fn tokens() {
        let t = RandomToken::from_bytes([0xab; 16]);
        assert_eq!(t.as_str(), "ab".repeat(16));
        assert_eq!(format!("{t:?}"), "RandomToken(***)");
        let a = RandomToken::generate().unwrap();
        let b = RandomToken::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 32);
    }
}
