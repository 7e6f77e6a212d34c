//! A Stapel image's way into storage, stage by stage: each stage's digest is resolved against
//! what the previous stage turned out to be, an existing stage is reused (for git stages only
//! one whose commit is an ancestor of HEAD), and a missing one is built from the previous stage
//! and published as `<repo>:<stage digest>-<ms>`, oldest wins, never overwritten.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use git2::Oid;

use super::{BuildError, Kind, Outcome, Store, stage_tag};
use crate::backend::{Backend, BackendError, BuildRequest, LogSink};
use crate::build::BuildLog;
use crate::config::{GitMapping, MountFrom, StapelBase};
use crate::context::archive::{ArchiveEntry, ContextArchive, EntrySource};
use crate::names::{Digest, ImageName};
use crate::plan::{Plan, PlannedImage};
use crate::registry::{ImageRef, RepoName};
use crate::stapel::git::{Git, Patch};
use crate::stapel::recipe::{self, Recipe};
use crate::stapel::run::StageRun;
use crate::stapel::{
    After, PlannedStage, Resolved, StageName, StapelInputs, dependencies, stage_digest,
};
use crate::storage::StageTag;

use super::Published;

/// The label that records the commit a git stage's files are at.
pub const COMMIT_LABEL: &str = "slipway-stapel-git-commit";

/// Where Stapel mounts live on this host.
#[derive(Debug, Clone)]
pub struct StapelDirs {
    /// `build_dir` mounts: kept between builds (werf's `~/.werf/shared_context/mounts`).
    pub shared: PathBuf,
    /// `tmp_dir` mounts: a fresh directory per stage below this one.
    pub temp: PathBuf,
}

/// A stage as it ended up: reused or built, and where.
struct Done {
    after: After,
    tag: StageTag,
    reference: String,
}

/// One stage as a build meets it (see [`Store::step`]).
struct Step<'c> {
    digest: Digest,
    is_git: bool,
    /// The commit the previous stage holds.
    prev_commit: Option<Oid>,
    /// The git patches of a patch stage, per mapping.
    patches: Option<Vec<(&'c GitMapping, Patch)>>,
    /// The oldest stored stage it may reuse, with the commit that stage holds.
    found: Option<(StageTag, Option<Oid>)>,
}

/// The base image's and the imported images' final stage digests, as `digest_of` gives them.
fn resolved_inputs(
    inputs: &StapelInputs,
    digest_of: impl Fn(&ImageName) -> Option<Digest>,
) -> (Option<Digest>, BTreeMap<ImageName, Digest>) {
    let base = match &inputs.config.from {
        StapelBase::Config(name) => digest_of(name),
        _ => None,
    };
    let imports = inputs
        .imported()
        .filter_map(|n| Some((n.clone(), digest_of(n)?)))
        .collect();
    (base, imports)
}

/// The backend that reads local storage; only a build, which has one, uses local storage.
fn local<B: Backend>(backend: Option<&B>) -> &B {
    backend.expect("local storage is read through the build's backend")
}

fn stapel_error(image: &ImageName, message: String) -> BuildError {
    BuildError::Backend(BackendError::BuildFailed {
        image: image.clone(),
        location: "werf.yaml".to_owned(),
        message,
        tail: Vec::new(),
        explanations: Vec::new(),
    })
}

impl Store {
    /// Every stage tag of the storage, oldest first per digest.
    async fn stage_tags<B: Backend>(
        &self,
        backend: Option<&B>,
    ) -> Result<HashMap<Digest, Vec<StageTag>>, BuildError> {
        let tags: Vec<String> = match &self.kind {
            Kind::Local { project } => local(backend).local_tags(project).await?,
            Kind::Repo { repos, .. } => self
                .registry
                .list_tags(&repos.primary)
                .await?
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
        };
        let mut out: HashMap<Digest, Vec<StageTag>> = HashMap::new();
        for t in tags.iter().filter_map(|t| StageTag::parse(t)) {
            out.entry(t.digest.clone()).or_default().push(t);
        }
        for list in out.values_mut() {
            list.sort_by_key(|t| t.published_ms);
        }
        Ok(out)
    }

    fn reference(&self, tag: &StageTag) -> String {
        match &self.kind {
            Kind::Local { project } => format!("{project}:{tag}"),
            Kind::Repo { repos, .. } => format!("{}:{tag}", repos.primary),
        }
    }

    /// The commit label of a stored stage.
    async fn stored_commit<B: Backend>(
        &self,
        backend: Option<&B>,
        tag: &StageTag,
    ) -> Result<Option<Oid>, BuildError> {
        let labels = match &self.kind {
            Kind::Local { .. } => local(backend)
                .inspect(&self.reference(tag))
                .await?
                .map(|i| i.labels),
            Kind::Repo { repos, .. } => {
                let image = ImageRef::new(repos.primary.clone(), stage_tag(tag)?);
                self.registry.labels(&image).await?
            }
        };
        Ok(labels
            .and_then(|l| l.get(COMMIT_LABEL).cloned())
            .and_then(|c| Oid::from_str(&c).ok()))
    }

    /// The oldest stored stage of `digest` this build may use.
    async fn find_stage<B: Backend>(
        &self,
        backend: Option<&B>,
        stored: &HashMap<Digest, Vec<StageTag>>,
        git: &Git,
        digest: &Digest,
        is_git: bool,
        prev_commit: Option<Oid>,
    ) -> Result<Option<(StageTag, Option<Oid>)>, BuildError> {
        for tag in stored.get(digest).into_iter().flatten() {
            if !is_git {
                return Ok(Some((tag.clone(), prev_commit)));
            }
            if let Some(commit) = self.stored_commit(backend, tag).await?
                && git.is_ancestor(commit)
            {
                return Ok(Some((tag.clone(), Some(commit))));
            }
        }
        Ok(None)
    }

    /// The stage `stage` of `image` after `prev`: its digest, the patches of a patch stage, and
    /// the stored stage it may reuse; `None` when the stage is empty and skipped.
    #[allow(clippy::too_many_arguments)]
    async fn step<'c, B: Backend>(
        &self,
        backend: Option<&B>,
        stored: &HashMap<Digest, Vec<StageTag>>,
        git: &Git,
        image: &ImageName,
        inputs: &'c StapelInputs,
        resolved: &Resolved<'_>,
        stage: StageName,
        prev: Option<&After>,
    ) -> Result<Option<Step<'c>>, BuildError> {
        let git_error = |e: crate::stapel::git::GitError| stapel_error(image, e.to_string());
        let prev_commit = prev.and_then(|p| p.commit);
        let patches: Option<Vec<(&GitMapping, Patch)>> = match (stage, prev_commit) {
            (StageName::GitCache | StageName::GitLatestPatch, Some(from)) => Some(
                inputs
                    .config
                    .git
                    .iter()
                    .map(|m| Ok((m, git.patch(from, m)?)))
                    .collect::<Result<_, _>>()
                    .map_err(git_error)?,
            ),
            _ => None,
        };
        let combined = patches.as_ref().map(|list| combine(list));
        let Some(deps_text) = dependencies(stage, inputs, resolved, combined.as_ref()) else {
            return Ok(None);
        };
        let digest = stage_digest(stage, &deps_text, prev);
        let is_git = stage.is_git(inputs.has_git());
        let found = self
            .find_stage(backend, stored, git, &digest, is_git, prev_commit)
            .await?;
        Ok(Some(Step {
            digest,
            is_git,
            prev_commit,
            patches,
            found,
        }))
    }

    /// The stages `build` would go through for `image` and which of them are in storage, without
    /// building anything; `digests` holds the final stage digest of every image it depends on.
    /// With them the stored last stage when every stage is stored (nothing would be built).
    pub async fn resolve_stapel(
        &self,
        plan: &Plan,
        image: &PlannedImage,
        digests: &BTreeMap<ImageName, Digest>,
    ) -> Result<(Vec<PlannedStage>, Option<StageTag>), BuildError> {
        let inputs = image.stapel.as_deref().expect("a Stapel image");
        let git = Git::open(&plan.repo_dir, &plan.commit)
            .map_err(|e| stapel_error(&image.name, e.to_string()))?;
        let (base, imports) = resolved_inputs(inputs, |name| digests.get(name).cloned());
        let resolved = Resolved {
            base: base.as_ref(),
            imports: &imports,
        };
        // Only a repo is looked up here (plan has no engine): local storage needs none.
        let none = None::<&crate::backend::SelectedBackend>;
        let stored = self.stage_tags(none).await?;
        let mut prev: Option<After> = None;
        let mut stages = Vec::new();
        let mut all_stored = true;
        let mut last_tag = None;
        for stage in StageName::ALL {
            let Some(step) = self
                .step(
                    none,
                    &stored,
                    &git,
                    &image.name,
                    inputs,
                    &resolved,
                    stage,
                    prev.as_ref(),
                )
                .await?
            else {
                continue;
            };
            all_stored &= step.found.is_some();
            let (commit, existing) = match &step.found {
                Some((tag, commit)) => (*commit, Some(self.reference(tag))),
                None if step.is_git => (Some(git.head()), None),
                None => (step.prev_commit, None),
            };
            last_tag = step.found.map(|(tag, _)| tag);
            stages.push(PlannedStage {
                name: stage,
                digest: step.digest.clone(),
                status: Some(if existing.is_some() { "reuse" } else { "build" }),
                existing_tag: existing,
            });
            prev = Some(After {
                digest: step.digest,
                commit,
                git: step.is_git,
            });
        }
        Ok((stages, last_tag.filter(|_| all_stored)))
    }

    /// Builds, reuses and publishes every stage of a Stapel image.
    pub(super) async fn publish_stapel<B: Backend>(
        &self,
        plan: &Plan,
        image: &PlannedImage,
        deps: &BTreeMap<ImageName, Published>,
        backend: &B,
        log: &Arc<dyn BuildLog>,
    ) -> Result<(StageTag, Outcome), BuildError> {
        let inputs = image.stapel.as_deref().expect("a Stapel image");
        let git = Git::open(&plan.repo_dir, &plan.commit)
            .map_err(|e| stapel_error(&image.name, e.to_string()))?;
        let (base, imports) = resolved_inputs(inputs, |name| {
            deps.get(name).map(|p| p.stage.digest.clone())
        });
        let resolved = Resolved {
            base: base.as_ref(),
            imports: &imports,
        };
        let mut stored = self.stage_tags(Some(backend)).await?;
        let mut prev: Option<Done> = None;
        let mut built_any = false;
        for stage in StageName::ALL {
            let Some(step) = self
                .step(
                    Some(backend),
                    &stored,
                    &git,
                    &image.name,
                    inputs,
                    &resolved,
                    stage,
                    prev.as_ref().map(|p| &p.after),
                )
                .await?
            else {
                continue;
            };
            let Step {
                digest,
                is_git,
                prev_commit,
                patches,
                found,
            } = step;
            let done = match found {
                Some((tag, commit)) => {
                    log.info(&format!(
                        "⛵ image {}: stage {stage} reused {}",
                        image.name,
                        self.reference(&tag)
                    ));
                    Done {
                        after: After {
                            digest,
                            commit,
                            git: is_git,
                        },
                        reference: self.reference(&tag),
                        tag,
                    }
                }
                None => {
                    built_any = true;
                    let commit = if is_git {
                        Some(git.head())
                    } else {
                        prev_commit
                    };
                    let tag = StageTag::now(digest.clone());
                    let reference = self.reference(&tag);
                    let job = StageJob {
                        plan,
                        image,
                        inputs,
                        deps,
                        git: &git,
                        stage,
                        prev: prev.as_ref().map(|p| p.reference.as_str()),
                        prev_commit,
                        patches: patches.unwrap_or_default(),
                        commit,
                        digest: &digest,
                    };
                    self.build_stage(backend, &job, &reference).await?;
                    self.push_stage(backend, &reference).await?;
                    log.info(&format!(
                        "⛵ image {}: stage {stage} built and published as {reference}",
                        image.name
                    ));
                    stored.entry(digest.clone()).or_default().push(tag.clone());
                    Done {
                        after: After {
                            digest,
                            commit,
                            git: is_git,
                        },
                        tag,
                        reference,
                    }
                }
            };
            prev = Some(done);
        }
        let last = prev.expect("the from stage is never empty");
        let outcome = if built_any {
            Outcome::Built
        } else {
            Outcome::Reused
        };
        Ok((last.tag, outcome))
    }

    async fn push_stage<B: Backend>(&self, backend: &B, reference: &str) -> Result<(), BuildError> {
        let Kind::Repo { repos, primary, .. } = &self.kind else {
            return Ok(());
        };
        let credentials = self.registry.credentials(repos.primary.registry()).await?;
        backend.push(reference, credentials.as_ref()).await?;
        if let Some(stage) = reference
            .rsplit_once(':')
            .and_then(|(_, t)| StageTag::parse(t))
        {
            super::lock(primary).insert(stage);
        }
        Ok(())
    }

    async fn credentials_for(
        &self,
        references: &[&str],
    ) -> Result<BTreeMap<String, crate::secret::Credentials>, BuildError> {
        let mut out = BTreeMap::new();
        for r in references {
            let repo = r.rsplit_once(':').map_or(*r, |(repo, _)| repo);
            let Ok(repo) = RepoName::parse(repo) else {
                continue;
            };
            let host = repo.registry().to_owned();
            if out.contains_key(&host) {
                continue;
            }
            if let Some(c) = self.registry.credentials(&host).await? {
                out.insert(host, c);
            }
        }
        Ok(out)
    }

    fn stage_labels(&self, job: &StageJob<'_>) -> BTreeMap<String, String> {
        let mut labels = self.labels.clone();
        labels.extend([
            ("werf".to_owned(), job.plan.project.to_string()),
            (
                "werf-stage-content-digest".to_owned(),
                job.digest.to_string(),
            ),
            (
                "werf-project-repo-commit".to_owned(),
                job.plan.commit.clone(),
            ),
            (
                "org.opencontainers.image.revision".to_owned(),
                job.plan.commit.clone(),
            ),
            ("slipway-stapel-stage".to_owned(), job.stage.to_string()),
        ]);
        if let Some(commit) = job.commit {
            labels.insert(COMMIT_LABEL.to_owned(), commit.to_string());
        }
        labels
    }

    async fn build_stage<B: Backend>(
        &self,
        backend: &B,
        job: &StageJob<'_>,
        tag: &str,
    ) -> Result<(), BuildError> {
        let config = &job.inputs.config;
        let name = &job.image.name;
        let prev = job.prev.unwrap_or_default();
        let log = Arc::clone(&self.log);
        let sink_name = name.clone();
        let sink: LogSink = Arc::new(move |line: &str| log.build_line(&sink_name, line));
        let recipe = match job.stage {
            StageName::From => {
                let base = match &config.from {
                    StapelBase::Image(reference) => reference.clone(),
                    StapelBase::Config(base) => job
                        .deps
                        .get(base)
                        .map(|p| p.primary.clone())
                        .ok_or_else(|| stapel_error(name, format!("image {base} was not built")))?,
                    StapelBase::Missing => unreachable!("config checks the base"),
                };
                recipe::from_image(&base)
            }
            StageName::GitArchive => {
                let mut mappings = Vec::new();
                for m in &config.git {
                    let files = job
                        .git
                        .files(job.git.head(), m)
                        .map_err(|e| stapel_error(name, e.to_string()))?;
                    mappings.push((m, files));
                }
                recipe::git_archive(prev, &mappings)
            }
            StageName::GitCache | StageName::GitLatestPatch => {
                recipe::patch(prev, &job.patches, job.git.head_time())
            }
            StageName::DockerInstructions => recipe::docker_instructions(prev, &config.docker),
            stage => {
                if let Some(user) = stage.user_stage() {
                    return self.run_user_stage(backend, job, user, tag, sink).await;
                }
                let point = stage.import_point().expect("the other stages import");
                let mut list = Vec::new();
                for import in config.imports.iter().filter(|i| i.at == point) {
                    let source = job.deps.get(&import.image).ok_or_else(|| {
                        stapel_error(name, format!("image {} was not built", import.image))
                    })?;
                    list.push((import, source.primary.clone()));
                }
                let mut recipe =
                    recipe::imports(prev, &list).map_err(|e| stapel_error(name, e.to_string()))?;
                let mut values = Vec::new();
                for dep in config.dependencies.iter().filter(|d| d.at == point) {
                    let published = job.deps.get(&dep.image).ok_or_else(|| {
                        stapel_error(name, format!("image {} was not built", dep.image))
                    })?;
                    for import in &dep.imports {
                        values.push((import.target.as_str(), published.import_value(import.kind)));
                    }
                }
                recipe.dockerfile.push_str(&recipe::dependency_env(&values));
                recipe
            }
        };
        self.build_recipe(backend, job, recipe, tag, sink).await
    }

    async fn build_recipe<B: Backend>(
        &self,
        backend: &B,
        job: &StageJob<'_>,
        recipe: Recipe,
        tag: &str,
        sink: LogSink,
    ) -> Result<(), BuildError> {
        let froms: Vec<&str> = recipe
            .dockerfile
            .lines()
            .filter_map(|l| l.strip_prefix("FROM "))
            .map(|l| l.split(' ').next().unwrap_or(l))
            .collect();
        let registry_credentials = self.credentials_for(&froms).await?;
        let mtime = recipe.mtime;
        let mut entries = recipe.entries;
        entries.push(ArchiveEntry {
            path: "Dockerfile".to_owned(),
            mode: 0o100644,
            source: EntrySource::Bytes(recipe.dockerfile.into_bytes()),
        });
        let result = backend
            .build(
                BuildRequest {
                    image: job.image.name.clone(),
                    context: ContextArchive::new(job.plan.repo_dir.clone(), entries)
                        .with_mtime(mtime),
                    dockerfile: "Dockerfile".to_owned(),
                    dockerfile_display: format!("stage {}", job.stage),
                    instruction_lines: Vec::new(),
                    target: None,
                    build_args: BTreeMap::new(),
                    add_host: Vec::new(),
                    network: None,
                    ssh: None,
                    ssh_auth_sock: None,
                    labels: self.stage_labels(job),
                    // werf's `secrets` are a Dockerfile-image key; stages reuse whole stored
                    // stages instead of a layer cache.
                    secrets: Vec::new(),
                    cache_from: None,
                    inline_cache: false,
                    registry_credentials,
                    tag: tag.to_owned(),
                },
                sink,
            )
            .await;
        self.log.build_finished(&job.image.name, result.is_ok());
        result?;
        Ok(())
    }

    /// A shell stage; after `gitArchive`, the git patch up to HEAD comes first so the commands
    /// see the files of this commit.
    async fn run_user_stage<B: Backend>(
        &self,
        backend: &B,
        job: &StageJob<'_>,
        user: crate::config::UserStage,
        tag: &str,
        sink: LogSink,
    ) -> Result<(), BuildError> {
        let config = &job.inputs.config;
        let mut from = job.prev.unwrap_or_default().to_owned();
        let mut scratch = None;
        if job.stage.is_git(job.inputs.has_git())
            && let Some(prev_commit) = job.prev_commit
            && prev_commit != job.git.head()
        {
            let patches: Vec<(&GitMapping, Patch)> = config
                .git
                .iter()
                .map(|m| Ok((m, job.git.patch(prev_commit, m)?)))
                .collect::<Result<_, crate::stapel::git::GitError>>()
                .map_err(|e| stapel_error(&job.image.name, e.to_string()))?;
            if patches.iter().any(|(_, p)| !p.is_empty()) {
                let patched = format!("{tag}-patch-{}", std::process::id());
                let recipe = recipe::patch(&from, &patches, job.git.head_time());
                self.build_recipe(backend, job, recipe, &patched, Arc::clone(&sink))
                    .await?;
                from = patched.clone();
                scratch = Some(patched);
            }
        }
        let mut mounts = Vec::new();
        let mut temp_dirs = Vec::new();
        for m in &config.mounts {
            let host = match &m.from {
                MountFrom::BuildDir => self
                    .stapel_dirs
                    .shared
                    .join(job.plan.project.to_string())
                    .join(slug(&m.to)),
                MountFrom::TmpDir => {
                    let dir = self.stapel_dirs.temp.join(format!(
                        "slipway-tmp-{}-{}-{}",
                        std::process::id(),
                        job.stage,
                        slug(&m.to)
                    ));
                    temp_dirs.push(dir.clone());
                    dir
                }
                MountFrom::Path(path) => job.plan.project_dir.join(path),
            };
            std::fs::create_dir_all(&host).map_err(|e| {
                stapel_error(
                    &job.image.name,
                    format!("cannot create mount directory {}: {e}", host.display()),
                )
            })?;
            mounts.push((host, m.to.clone()));
        }
        let from_refs = [from.as_str()];
        let registry_credentials = self.credentials_for(&from_refs).await?;
        let result = backend
            .run_stage(
                StageRun {
                    image: job.image.name.clone(),
                    stage: job.stage,
                    from: from.clone(),
                    commands: config
                        .shell
                        .commands
                        .get(&user)
                        .cloned()
                        .unwrap_or_default(),
                    mounts,
                    labels: self.stage_labels(job),
                    registry_credentials,
                    tag: tag.to_owned(),
                },
                sink,
            )
            .await;
        for dir in temp_dirs {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(scratch) = scratch {
            let _ = backend.untag(&scratch).await;
        }
        self.log.build_finished(&job.image.name, result.is_ok());
        result?;
        Ok(())
    }
}

/// Everything one stage's build needs.
struct StageJob<'a> {
    plan: &'a Plan,
    image: &'a PlannedImage,
    inputs: &'a StapelInputs,
    deps: &'a BTreeMap<ImageName, Published>,
    git: &'a Git,
    stage: StageName,
    /// The previous stage's reference (none for `from`).
    prev: Option<&'a str>,
    prev_commit: Option<Oid>,
    patches: Vec<(&'a GitMapping, Patch)>,
    /// The commit the stage's git files will be at.
    commit: Option<Oid>,
    digest: &'a Digest,
}

/// All mappings' patches as one, for the patch stages' dependencies.
fn combine(list: &[(&GitMapping, Patch)]) -> Patch {
    let mut out = Patch::default();
    for (m, p) in list {
        out.size += p.size;
        out.changed
            .extend(p.changed.iter().map(|f| crate::stapel::git::GitFile {
                path: format!("{}:{}", m.to, f.path),
                ..f.clone()
            }));
        out.deleted
            .extend(p.deleted.iter().map(|d| format!("{}:{d}", m.to)));
    }
    out
}

/// A mount path as a directory name (`/root/.cache` → `root-.cache`).
fn slug(path: &str) -> String {
    let s: String = path
        .trim_matches('/')
        .chars()
        .map(|c| if c == '/' { '-' } else { c })
        .collect();
    if s.is_empty() { "root".to_owned() } else { s }
}
