//! `slipway build`: executes a plan set by set — looks every digest up, reuses, copies or
//! builds it, publishes without ever overwriting a tag, adds custom tags, and reports.

mod archive;
mod log;
mod publish;
mod summary;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{OnceCell, Semaphore};

use crate::backend::{Backend, BackendError};
use crate::names::{Digest, ImageName};
use crate::plan::{self, Plan, PlanError, PlannedImage};
use crate::registry::{RegistryClient, RegistryError, RepoName};
use crate::report::{self, Report, ReportError, ReportTarget};
use crate::sync::{SyncError, Synchronization};
use crate::tags::{TagError, TagTemplate};

pub use log::{BuildLog, PlainLog};
pub use publish::{Outcome, Published, StapelDirs};
pub use summary::render_summary;

/// Everything `slipway build` was asked to do, beside the plan it executes.
pub struct BuildOptions {
    /// Primary repo; None keeps images in the engine's local storage.
    pub repo: Option<String>,
    pub secondary_repos: Vec<String>,
    pub cache_repos: Vec<String>,
    pub final_repo: Option<String>,
    pub custom_tags: Vec<String>,
    /// A template whose rendered tag the report and logs name instead of the content tag.
    pub use_custom_tag: Option<String>,
    pub report: Option<ReportTarget>,
    /// false builds one image at a time.
    pub parallel: bool,
    pub synchronization: Synchronization,
    /// The `SSH_AUTH_SOCK` to forward to images that set `ssh`.
    pub ssh_auth_sock: Option<PathBuf>,
    /// Labels for every built image beside werf's own (the CI commit, project and run URLs).
    pub labels: BTreeMap<String, String>,
    /// Whether slipway runs in a container (the report's `Runtime.InContainer`).
    pub in_container: bool,
    /// Where Stapel `mount:` directories live.
    pub stapel_dirs: StapelDirs,
    /// The names of the environment variables that are set, for `env` secrets (only names:
    /// the values stay in the environment, where the builder reads them).
    pub secret_env: std::collections::BTreeSet<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Plan(#[from] Box<PlanError>),
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Sync(#[from] SyncError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Tags(#[from] TagError),
    #[error("invalid {what} {value:?}: {reason}")]
    BadRepo {
        what: &'static str,
        value: String,
        reason: String,
    },
    #[error(
        "custom tags need a repo: pass --repo (or WERF_REPO) so slipway can publish the images \
         the tags point to"
    )]
    CustomTagsWithoutRepo,
    #[error(transparent)]
    Unsupported(#[from] crate::backend::capability::Refused),
    #[error(
        "{config}:{line}: image {image}: the secret {id:?} {problem}",
        config = .config.display()
    )]
    Secret {
        config: PathBuf,
        line: usize,
        image: ImageName,
        id: String,
        problem: String,
    },
    #[error("{} images failed to build", .0.len())]
    Several(Vec<Arc<BuildError>>),
    #[error(transparent)]
    Shared(Arc<BuildError>),
}

impl BuildError {
    /// Whether the user must fix the invocation or configuration (exit 2) rather than a build.
    pub fn is_usage(&self) -> bool {
        match self {
            BuildError::Plan(_)
            | BuildError::Sync(SyncError::Unsupported { .. } | SyncError::Invalid { .. })
            | BuildError::Tags(_)
            | BuildError::BadRepo { .. }
            | BuildError::Unsupported(_)
            | BuildError::Secret { .. }
            | BuildError::CustomTagsWithoutRepo => true,
            BuildError::Shared(inner) => inner.is_usage(),
            BuildError::Backend(e) => e.is_usage(),
            _ => false,
        }
    }
}

/// Every `env` secret must be set (`secret_env` holds the names that are) and every `src`
/// secret must be a readable file.
fn check_secrets(
    plan: &Plan,
    secret_env: &std::collections::BTreeSet<String>,
) -> Result<(), BuildError> {
    for image in &plan.images {
        for secret in &image.build.secrets {
            let problem = match &secret.source {
                crate::config::SecretSource::Env(name) if !secret_env.contains(name) => {
                    format!("comes from the environment variable {name}, which is not set; set it")
                }
                crate::config::SecretSource::File(path) => {
                    let full = plan.project_dir.join(path);
                    match std::fs::File::open(&full) {
                        Ok(_) if full.is_file() => continue,
                        Ok(_) => format!("comes from {}, which is not a file", full.display()),
                        Err(e) => format!(
                            "comes from {}, which cannot be read: {e}; create it or fix `src`",
                            full.display()
                        ),
                    }
                }
                _ => continue,
            };
            return Err(BuildError::Secret {
                config: plan.config_path.clone(),
                line: image.build.config_line,
                image: image.name.clone(),
                id: secret.id.clone(),
                problem,
            });
        }
    }
    Ok(())
}

/// The result of a build run.
pub struct BuildOutcome {
    pub plan: Plan,
    pub published: BTreeMap<ImageName, Published>,
    pub report: Report,
}

/// Where stages are kept, resolved from the options.
pub(crate) struct Repos {
    pub primary: RepoName,
    pub secondary: Vec<RepoName>,
    pub cache: Vec<RepoName>,
    pub final_repo: Option<RepoName>,
}

fn parse_repo(what: &'static str, value: &str) -> Result<RepoName, BuildError> {
    RepoName::parse(value).map_err(|e| BuildError::BadRepo {
        what,
        value: value.to_owned(),
        reason: e.to_string(),
    })
}

/// One digest's publication, shared by every image of the run with that digest.
type DigestCell = OnceCell<Result<Published, Arc<BuildError>>>;

/// Executes `plan` with `backend` and `registry`; `log` receives every event meant for people.
pub async fn build<B: Backend + 'static>(
    plan: Plan,
    options: BuildOptions,
    backend: Arc<B>,
    registry: RegistryClient,
    log: Arc<dyn BuildLog>,
) -> Result<BuildOutcome, BuildError> {
    let repos = repos_of(&options)?;
    let templates: Vec<TagTemplate> = options
        .custom_tags
        .iter()
        .chain(options.use_custom_tag.iter())
        .map(|t| TagTemplate::parse(t))
        .collect::<Result<_, _>>()?;
    let use_custom = options
        .use_custom_tag
        .as_deref()
        .map(TagTemplate::parse)
        .transpose()?;
    check_custom_tags(&plan, &templates)?;

    for warning in &plan.warnings {
        log.warning(warning);
    }
    // Before anything is built: a builder that lacks a feature an image uses, or a secret
    // that is not there, would otherwise fail halfway through the plan.
    crate::backend::capability::check(&plan, &backend.builder().await?)?;
    check_secrets(&plan, &options.secret_env)?;
    log.info(plan::render_plan_block(&plan).trim_end());

    let store = Arc::new(
        publish::Store::open(
            repos,
            plan.project.to_string(),
            registry,
            options.synchronization.clone(),
            options.labels.clone(),
            Arc::clone(&log),
            options.stapel_dirs.clone(),
        )
        .await?,
    );
    let started = Instant::now();
    let limit = match (options.parallel, plan.parallel_tasks_limit) {
        (false, _) => 1,
        (true, n) if n <= 0 => Semaphore::MAX_PERMITS,
        (true, n) => n as usize,
    };
    let semaphore = Arc::new(Semaphore::new(limit));
    let by_digest: Arc<std::sync::Mutex<HashMap<Digest, Arc<DigestCell>>>> = Arc::default();
    let plan = Arc::new(plan);
    let ssh_auth_sock = options.ssh_auth_sock.clone();
    let mut published: BTreeMap<ImageName, Published> = BTreeMap::new();

    for set in &plan.sets {
        let mut tasks = Vec::new();
        for name in set {
            let image: PlannedImage = plan
                .images
                .iter()
                .find(|i| &i.name == name)
                .expect("every set member is a planned image")
                .clone();
            let deps: BTreeMap<ImageName, Published> = image
                .depends_on
                .iter()
                .filter_map(|d| published.get(d).map(|p| (d.clone(), p.clone())))
                .collect();
            let cell = Arc::clone(
                by_digest
                    .lock()
                    .expect("the digest map is not poisoned")
                    .entry(image.digest.clone())
                    .or_default(),
            );
            let (store, backend, plan, semaphore, log, ssh) = (
                Arc::clone(&store),
                Arc::clone(&backend),
                Arc::clone(&plan),
                Arc::clone(&semaphore),
                Arc::clone(&log),
                ssh_auth_sock.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let result = cell
                    .get_or_init(|| async {
                        let _permit = semaphore.acquire().await.expect("never closed");
                        store
                            .publish(&plan, &image, &deps, backend.as_ref(), ssh.as_deref(), &log)
                            .await
                            .map_err(Arc::new)
                    })
                    .await
                    .clone();
                (image.name.clone(), result)
            }));
        }
        let mut failures = Vec::new();
        for task in tasks {
            let (name, result) = task.await.expect("image tasks do not panic");
            match result {
                Ok(p) => {
                    published.insert(name, p);
                }
                Err(e) => failures.push(e),
            }
        }
        match failures.len() {
            0 => {}
            1 => return Err(BuildError::Shared(failures.remove(0))),
            _ => return Err(BuildError::Several(failures)),
        }
    }

    store
        .agree_on_oldest(&plan, &mut published, backend.as_ref())
        .await?;
    let finals: Vec<&PlannedImage> = plan.images.iter().filter(|i| i.is_final).collect();
    let custom = store
        .add_custom_tags(&templates, use_custom.as_ref(), &finals, &mut published)
        .await?;
    for line in custom {
        log.info(&line);
    }
    let report = publish::report(&plan, &published, backend.name(), options.in_container);
    if let Some(target) = &options.report {
        report::write(target, &report)?;
    }
    log.info(render_summary(&plan, &published, started.elapsed()).trim_end());
    let plan = Arc::try_unwrap(plan).unwrap_or_else(|p| (*p).clone());
    Ok(BuildOutcome {
        plan,
        published,
        report,
    })
}

/// The repos of the options, parsed; None keeps stages in local storage.
fn repos_of(options: &BuildOptions) -> Result<Option<Repos>, BuildError> {
    Ok(match &options.repo {
        None => {
            if !options.custom_tags.is_empty() || options.use_custom_tag.is_some() {
                return Err(BuildError::CustomTagsWithoutRepo);
            }
            None
        }
        Some(primary) => Some(Repos {
            primary: parse_repo("--repo", primary)?,
            secondary: options
                .secondary_repos
                .iter()
                .map(|r| parse_repo("--secondary-repo", r))
                .collect::<Result<_, _>>()?,
            cache: options
                .cache_repos
                .iter()
                .map(|r| parse_repo("--cache-repo", r))
                .collect::<Result<_, _>>()?,
            final_repo: options
                .final_repo
                .as_deref()
                .map(|r| parse_repo("--final-repo", r))
                .transpose()?,
        }),
    })
}

/// Tags that collide or are invalid fail the run before anything is built or pushed; the stage
/// tags are not known yet, but their digests already tell images apart.
fn check_custom_tags(plan: &Plan, templates: &[TagTemplate]) -> Result<(), BuildError> {
    let provisional: Vec<(ImageName, String)> = plan
        .images
        .iter()
        .filter(|i| i.is_final)
        .map(|i| (i.name.clone(), format!("{}-0", i.digest)))
        .collect();
    crate::tags::plan_custom_tags(templates, &provisional)?;
    Ok(())
}

/// Looks every planned digest up in storage (one tag listing per repo, the same lookup
/// `build` does; nothing is pulled) and lists the tags each image will get. The millisecond
/// part of a stage that is still to be built is shown as `<new>`.
pub async fn lookup(
    plan: &Plan,
    options: &BuildOptions,
    registry: RegistryClient,
    log: Arc<dyn BuildLog>,
) -> Result<BTreeMap<ImageName, plan::Storage>, BuildError> {
    let Some(repos) = repos_of(options)? else {
        return Ok(BTreeMap::new());
    };
    let templates: Vec<TagTemplate> = options
        .custom_tags
        .iter()
        .map(|t| TagTemplate::parse(t))
        .collect::<Result<_, _>>()?;
    check_custom_tags(plan, &templates)?;
    let primary = repos.primary.clone();
    let final_repo = repos.final_repo.clone();
    let store = publish::Store::open(
        Some(repos),
        plan.project.to_string(),
        registry,
        options.synchronization.clone(),
        BTreeMap::new(),
        log,
        options.stapel_dirs.clone(),
    )
    .await?;
    // Stapel images in dependency order: an image's stages depend on the final stages its base
    // and imports resolve to.
    let mut digests: BTreeMap<ImageName, Digest> = plan
        .images
        .iter()
        .map(|i| (i.name.clone(), i.digest.clone()))
        .collect();
    let mut stapel = BTreeMap::new();
    for image in plan.sets.iter().flatten().filter_map(|n| plan.image(n)) {
        if image.stapel.is_none() {
            continue;
        }
        let (stages, stored) = store.resolve_stapel(plan, image, &digests).await?;
        let last = stages.last().expect("the from stage is never empty");
        digests.insert(image.name.clone(), last.digest.clone());
        stapel.insert(image.name.clone(), (stages, stored));
    }
    let mut out = BTreeMap::new();
    for image in &plan.images {
        let (status, existing, stage, stages) = match stapel.remove(&image.name) {
            Some((stages, Some(tag))) => (
                "reuse",
                Some(format!("{primary}:{tag}")),
                tag.to_string(),
                Some(stages),
            ),
            Some((stages, None)) => (
                "build",
                None,
                format!("{}-<new>", digests[&image.name]),
                Some(stages),
            ),
            None => match store
                .locate(&image.digest)
                .expect("a store with repos locates")
            {
                publish::Located::Primary(s) => {
                    ("reuse", Some(format!("{primary}:{s}")), s.to_string(), None)
                }
                publish::Located::Elsewhere { repo, stage, .. } => (
                    "copy",
                    Some(format!("{repo}:{stage}")),
                    stage.to_string(),
                    None,
                ),
                publish::Located::Missing => {
                    ("build", None, format!("{}-<new>", image.digest), None)
                }
            },
        };
        let mut tags = vec![format!("{primary}:{stage}")];
        let target = match (&final_repo, image.is_final) {
            (Some(f), true) => {
                tags.push(format!("{f}:{stage}"));
                f
            }
            _ => &primary,
        };
        if image.is_final {
            for t in &templates {
                tags.push(format!("{target}:{}", t.render(&image.name, &stage)));
            }
        }
        out.insert(
            image.name.clone(),
            plan::Storage {
                status,
                existing_tag: existing,
                tags,
                stages,
            },
        );
    }
    Ok(out)
}
