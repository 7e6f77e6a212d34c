//! One image's way into storage: reuse a published digest, copy it from a cache or secondary
//! repo, or build it and publish it under the digest's lock without overwriting anything.

mod stapel;

pub use stapel::StapelDirs;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{BuildError, BuildLog, Repos, archive};
use crate::backend::{Backend, BuildRequest, LogSink};
use crate::config::{BuildSecret, ImportKind, SecretSource};
use crate::inputs::DigestInputs;
use crate::inputs::previous::{self, LabelCache};
use crate::names::{Digest, ImageName};
use crate::plan::{Plan, PlannedImage};
use crate::registry::{ImageRef, RegistryClient, RepoName, Tag};
use crate::report::{ImageReport, Report, Runtime, StageReport};
use crate::storage::{StageIndex, StageTag};
use crate::sync::Synchronization;
use crate::tags::{self, TagTemplate};

/// Where the layer cache of `image`'s last published build is kept: a tag per werf image in
/// `<repo>/buildcache`, a repository of its own so the repo's tag list holds only stages.
fn layer_cache_ref(repo: &RepoName, image: &ImageName) -> Option<ImageRef> {
    let cache = RepoName::parse(&format!("{repo}/buildcache")).ok()?;
    let name = match image.to_string().as_str() {
        "~" | "" => "unnamed".to_owned(),
        other => tags::safe_slug(other),
    };
    Some(ImageRef::new(cache, Tag::parse(&name).ok()?))
}

/// How an image got into storage in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Built,
    Reused,
    /// Copied from a secondary or cache repo.
    Copied(&'static str),
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Built => "built",
            Outcome::Reused => "reused",
            Outcome::Copied(_) => "copied",
        }
    }
}

/// Where a digest is before the run builds anything.
#[derive(Debug, Clone)]
pub enum Located {
    /// Published in the primary repo.
    Primary(StageTag),
    /// In a cache (`kind` "cache-repo") or secondary repo: it would be copied.
    Elsewhere {
        repo: RepoName,
        stage: StageTag,
        kind: &'static str,
    },
    Missing,
}

/// Where an image ended up, with what the report says about it.
#[derive(Debug, Clone)]
pub struct Published {
    pub stage: StageTag,
    /// The repo the report points to (final repo, primary repo, or the project in local storage).
    pub repo: String,
    /// The tag the report names: the stage tag, or the custom tag with --use-custom-tag.
    pub tag: String,
    /// The stage in the primary repo (what dependent images import).
    pub primary: String,
    pub image_id: String,
    /// Manifest digest in the repo; empty in local storage.
    pub manifest_digest: String,
    pub size: u64,
    pub outcome: Outcome,
    pub seconds: f64,
    /// Why the image was built (empty when it was not).
    pub rebuild_reasons: Vec<String>,
}

impl Published {
    pub fn reference(&self) -> String {
        format!("{}:{}", self.repo, self.tag)
    }

    /// What a dependency import of this image passes on: its stage in the primary repo (as
    /// werf passes the stage image), or a part of it.
    pub fn import_value(&self, kind: ImportKind) -> String {
        let (repo, tag) = self.primary.rsplit_once(':').unwrap_or((&self.primary, ""));
        match kind {
            ImportKind::ImageName => self.primary.clone(),
            ImportKind::ImageTag => tag.to_owned(),
            ImportKind::ImageRepo => repo.to_owned(),
            ImportKind::ImageId => self.image_id.clone(),
            ImportKind::ImageDigest => self.manifest_digest.clone(),
        }
    }
}

enum Kind {
    Local {
        project: String,
    },
    Repo {
        repos: Box<Repos>,
        primary: Mutex<StageIndex>,
        secondary: Vec<StageIndex>,
        cache: Vec<StageIndex>,
        final_index: Option<Mutex<StageIndex>>,
    },
}

/// The storage of one run: repo indexes listed once, the registry client and the locks.
pub struct Store {
    kind: Kind,
    /// Labels every built image gets beside werf's own (CI commit, project and run URLs).
    labels: BTreeMap<String, String>,
    registry: RegistryClient,
    sync: Synchronization,
    log: Arc<dyn BuildLog>,
    stapel_dirs: StapelDirs,
    /// The longest time one of this run's pushes took from choosing its tag to the tag being
    /// visible; zero when the run pushed nothing. (Copies keep the source's older tag.)
    slowest_publication: Mutex<Duration>,
    /// Digest inputs read from published images, for rebuild reasons.
    inputs: LabelCache,
}

/// The cap on waiting for other builders' publications to become visible.
const MAX_SETTLE: Duration = Duration::from_secs(5);

impl Store {
    /// Lists every repo's tags once (concurrently); local storage needs no listing up front.
    pub async fn open(
        repos: Option<Repos>,
        project: String,
        registry: RegistryClient,
        sync: Synchronization,
        labels: BTreeMap<String, String>,
        log: Arc<dyn BuildLog>,
        stapel_dirs: StapelDirs,
    ) -> Result<Self, BuildError> {
        let kind = match repos {
            None => Kind::Local { project },
            Some(repos) => {
                let primary = index_of(&registry, &repos.primary);
                let secondary = futures_util::future::try_join_all(
                    repos.secondary.iter().map(|r| index_of(&registry, r)),
                );
                let (registry_ref, log_ref) = (&registry, &log);
                let cache =
                    futures_util::future::join_all(repos.cache.iter().map(|r| async move {
                        // A cache repo can be deleted at any time: failing to read it is a warning.
                        index_of(registry_ref, r).await.unwrap_or_else(|e| {
                            log_ref.warning(&format!("cache repo {r} is skipped: {e}"));
                            StageIndex::default()
                        })
                    }));
                let final_index = async {
                    match &repos.final_repo {
                        Some(r) => index_of(&registry, r).await.map(Some),
                        None => Ok(None),
                    }
                };
                let (primary, secondary, cache, final_index) =
                    tokio::join!(primary, secondary, cache, final_index);
                Kind::Repo {
                    primary: Mutex::new(primary?),
                    secondary: secondary?,
                    cache,
                    final_index: final_index?.map(Mutex::new),
                    repos: Box::new(repos),
                }
            }
        };
        Ok(Self {
            kind,
            labels,
            registry,
            sync,
            log,
            stapel_dirs,
            slowest_publication: Mutex::default(),
            inputs: LabelCache::default(),
        })
    }

    fn published_in(&self, took: Duration) {
        let mut slowest = self
            .slowest_publication
            .lock()
            .expect("the publication clock is not poisoned");
        *slowest = (*slowest).max(took);
    }

    /// Makes every image name the oldest `<digest>-<ms>` tag of its digest in the primary repo,
    /// werf's rule, so that builders on other runners (which no local lock reaches) that
    /// published the same digest at the same time all report one tag. Runs once, after every
    /// image is published and before custom tags are added.
    pub async fn agree_on_oldest<B: Backend>(
        &self,
        plan: &Plan,
        published: &mut BTreeMap<ImageName, Published>,
        backend: &B,
    ) -> Result<(), BuildError> {
        let Kind::Repo { repos, .. } = &self.kind else {
            return Ok(());
        };
        let slowest = *self
            .slowest_publication
            .lock()
            .expect("the publication clock is not poisoned");
        if !slowest.is_zero() {
            // A concurrent builder whose tag is older than ours chose it before we chose ours,
            // so its push started earlier; it is visible by now unless it takes longer than
            // ours did. Half our push again (capped) absorbs that difference.
            tokio::time::sleep((slowest / 2).min(MAX_SETTLE)).await;
        }
        let fresh = index_of(&self.registry, &repos.primary).await?;
        for image in &plan.images {
            let Some(p) = published.get_mut(&image.name) else {
                continue;
            };
            let Some(oldest) = fresh.get(&p.stage.digest) else {
                continue;
            };
            if oldest.published_ms >= p.stage.published_ms {
                continue;
            }
            self.log.warning(&format!(
                "image {}: another builder published {}:{oldest} before {}:{}; using the oldest                  tag of the digest, as werf does (the newer tag is left unused)",
                image.name, repos.primary, repos.primary, p.stage
            ));
            let mut adopted = self.describe(image, oldest, p.outcome, backend).await?;
            adopted.seconds = p.seconds;
            adopted.rebuild_reasons = std::mem::take(&mut p.rebuild_reasons);
            *p = adopted;
        }
        Ok(())
    }

    /// Makes `image` available in storage and describes it.
    pub async fn publish<B: Backend>(
        &self,
        plan: &Plan,
        image: &PlannedImage,
        deps: &BTreeMap<ImageName, Published>,
        backend: &B,
        ssh_auth_sock: Option<&Path>,
        log: &Arc<dyn BuildLog>,
    ) -> Result<Published, BuildError> {
        let started = Instant::now();
        let digest = &image.digest;
        let mut reasons = Vec::new();
        let (stage, outcome) = match &self.kind {
            _ if image.stapel.is_some() => {
                self.publish_stapel(plan, image, deps, backend, log).await?
            }
            Kind::Local { project } => {
                let _lock = self.sync.lock(project, digest).await?;
                let local = StageIndex::from_tags(
                    backend
                        .local_tags(project)
                        .await?
                        .iter()
                        .map(String::as_str),
                );
                match local.get(digest) {
                    Some(stage) => (stage.clone(), Outcome::Reused),
                    None => {
                        reasons = self.local_reasons(image, project, &local, backend).await?;
                        self.log_reasons(image, &reasons);
                        let stage = StageTag::now(digest.clone());
                        let tag = format!("{project}:{stage}");
                        self.build(plan, image, deps, backend, ssh_auth_sock, &tag, None)
                            .await?;
                        (stage, Outcome::Built)
                    }
                }
            }
            Kind::Repo { repos, primary, .. } => {
                match self.locate(digest).expect("a store with repos locates") {
                    Located::Primary(stage) => (stage, Outcome::Reused),
                    located => match located {
                        Located::Elsewhere { repo, stage, kind } => {
                            self.copy_into_primary(repos, primary, &repo, &stage, kind)
                                .await?
                        }
                        _ => {
                            let index = lock(primary).clone();
                            reasons = self.repo_reasons(image, &repos.primary, &index).await;
                            self.log_reasons(image, &reasons);
                            self.build_and_push(
                                plan,
                                image,
                                deps,
                                backend,
                                ssh_auth_sock,
                                repos,
                                primary,
                            )
                            .await?
                        }
                    },
                }
            }
        };
        let mut published = self.describe(image, &stage, outcome, backend).await?;
        published.seconds = started.elapsed().as_secs_f64();
        if outcome == Outcome::Built {
            published.rebuild_reasons = reasons;
        }
        let verb = match outcome {
            Outcome::Built => "built and published as".to_owned(),
            Outcome::Reused => "reused".to_owned(),
            Outcome::Copied(from) => format!("copied from the {from} to"),
        };
        log.info(&format!(
            "⛵ image {}: {verb} {} ({:.2} s)",
            image.name,
            published.reference(),
            published.seconds
        ));
        Ok(published)
    }

    /// Where `digest` is in the repos as listed when the run started; None in local storage.
    pub fn locate(&self, digest: &Digest) -> Option<Located> {
        let Kind::Repo {
            repos,
            primary,
            secondary,
            cache,
            ..
        } = &self.kind
        else {
            return None;
        };
        if let Some(stage) = lock(primary).get(digest) {
            return Some(Located::Primary(stage.clone()));
        }
        let elsewhere = cache
            .iter()
            .zip(&repos.cache)
            .map(|(idx, r)| (idx, r, "cache-repo"))
            .chain(
                secondary
                    .iter()
                    .zip(&repos.secondary)
                    .map(|(idx, r)| (idx, r, "secondary")),
            )
            .find_map(|(idx, r, kind)| {
                idx.get(digest).map(|t| Located::Elsewhere {
                    repo: r.clone(),
                    stage: t.clone(),
                    kind,
                })
            });
        Some(elsewhere.unwrap_or(Located::Missing))
    }

    /// Why `image` builds: its inputs against those of its newest build in the primary repo.
    /// Reading them is best effort: a failure is a warning, never a failed build.
    async fn repo_reasons(
        &self,
        image: &PlannedImage,
        repo: &RepoName,
        index: &StageIndex,
    ) -> Vec<String> {
        let new = DigestInputs::of(image);
        let name = image.name.to_string();
        match previous::newest_build(&self.registry, &self.inputs, repo, index, &name).await {
            Ok(found) => previous::explain(&found, &new),
            Err(e) => {
                self.log.warning(&format!(
                    "image {}: the inputs of its earlier builds could not be read, so the \
                     rebuild reasons are unknown: {e}",
                    image.name
                ));
                Vec::new()
            }
        }
    }

    /// Why `image` builds in local storage: against its newest build in the engine.
    async fn local_reasons<B: Backend>(
        &self,
        image: &PlannedImage,
        project: &str,
        local: &StageIndex,
        backend: &B,
    ) -> Result<Vec<String>, BuildError> {
        let new = DigestInputs::of(image);
        let stages = local.newest_first();
        let all = stages.len() <= previous::LOOKBACK;
        for stage in stages.iter().take(previous::LOOKBACK) {
            let Some(info) = backend.inspect(&format!("{project}:{stage}")).await? else {
                continue;
            };
            if let Some(old) = info
                .labels
                .get(crate::inputs::LABEL)
                .and_then(|v| DigestInputs::from_label(v))
                && old.image == new.image
            {
                return Ok(crate::inputs::reasons(Some(&old), &new));
            }
        }
        Ok(previous::explain(
            &previous::Previous::NotFound {
                looked_at: stages.len().min(previous::LOOKBACK),
                all,
            },
            &new,
        ))
    }

    fn log_reasons(&self, image: &PlannedImage, reasons: &[String]) {
        if reasons.is_empty() {
            return;
        }
        let mut text = format!("⛵ image {}: building, because:", image.name);
        for r in reasons {
            text.push_str("\n  - ");
            text.push_str(r);
        }
        self.log.info(&text);
    }

    /// Copies a stage found in a cache or secondary repo into the primary, unless another
    /// builder published the digest meanwhile.
    async fn copy_into_primary(
        &self,
        repos: &Repos,
        primary: &Mutex<StageIndex>,
        from: &RepoName,
        stage: &StageTag,
        kind: &'static str,
    ) -> Result<(StageTag, Outcome), BuildError> {
        let _lock = self
            .sync
            .lock(repos.primary.as_str(), &stage.digest)
            .await?;
        if let Some(existing) = self.relist(&repos.primary, primary, &stage.digest).await? {
            return Ok((existing, Outcome::Reused));
        }
        let tag = stage_tag(stage)?;
        self.registry
            .copy(
                &ImageRef::new(from.clone(), tag.clone()),
                &ImageRef::new(repos.primary.clone(), tag.clone()),
            )
            .await?;
        lock(primary).insert(stage.clone());
        if kind == "secondary" {
            self.fill_caches(repos, &tag).await;
        }
        Ok((stage.clone(), Outcome::Copied(kind)))
    }

    /// Lists the primary again (under the digest's lock): another builder may have published.
    async fn relist(
        &self,
        repo: &RepoName,
        index: &Mutex<StageIndex>,
        digest: &Digest,
    ) -> Result<Option<StageTag>, BuildError> {
        let fresh = index_of(&self.registry, repo).await?;
        let found = fresh.get(digest).cloned();
        *lock(index) = fresh;
        Ok(found)
    }

    #[allow(clippy::too_many_arguments)]
    async fn build_and_push<B: Backend>(
        &self,
        plan: &Plan,
        image: &PlannedImage,
        deps: &BTreeMap<ImageName, Published>,
        backend: &B,
        ssh_auth_sock: Option<&Path>,
        repos: &Repos,
        primary: &Mutex<StageIndex>,
    ) -> Result<(StageTag, Outcome), BuildError> {
        let digest = &image.digest;
        // Per process: concurrent runs on one engine must not retag each other's build.
        let building = format!("{}:{digest}-building-{}", repos.primary, std::process::id());
        let layer_cache = layer_cache_ref(&repos.primary, &image.name);
        self.build(
            plan,
            image,
            deps,
            backend,
            ssh_auth_sock,
            &building,
            layer_cache.as_ref(),
        )
        .await?;
        let _lock = self.sync.lock(repos.primary.as_str(), digest).await?;
        if let Some(existing) = self.relist(&repos.primary, primary, digest).await? {
            self.log.info(&format!(
                "image {}: another builder published {existing} meanwhile; using it and \
                 dropping this build",
                image.name
            ));
            backend.untag(&building).await?;
            return Ok((existing, Outcome::Reused));
        }
        let started = Instant::now();
        let stage = StageTag::now(digest.clone());
        let tag = stage_tag(&stage)?;
        let reference = format!("{}:{stage}", repos.primary);
        backend.tag(&building, &reference).await?;
        backend.untag(&building).await?;
        let credentials = self.registry.credentials(repos.primary.registry()).await?;
        backend.push(&reference, credentials.as_ref()).await?;
        self.published_in(started.elapsed());
        lock(primary).insert(stage.clone());
        self.fill_caches(repos, &tag).await;
        if let Some(to) = &layer_cache {
            let from = ImageRef::new(repos.primary.clone(), tag.clone());
            if let Err(e) = self.registry.copy(&from, to).await {
                self.log.info(&format!(
                    "warning: image {}: the layer cache {to} was not updated (the next build \
                     on a fresh runner rebuilds every layer): {e}",
                    image.name
                ));
            }
        }
        Ok((stage, Outcome::Built))
    }

    /// Writes a new or copied stage to every cache repo; failures there are warnings.
    async fn fill_caches(&self, repos: &Repos, tag: &Tag) {
        for cache in &repos.cache {
            let from = ImageRef::new(repos.primary.clone(), tag.clone());
            let to = ImageRef::new(cache.clone(), tag.clone());
            if let Err(e) = self.registry.copy(&from, &to).await {
                self.log
                    .info(&format!("warning: cache repo {cache} was not updated: {e}"));
            }
        }
    }

    /// Builds `image` as `tag`; with `layer_cache` (a repo is in use) the image embeds its
    /// layer cache, and the cache of this image's last published build is imported.
    #[allow(clippy::too_many_arguments)]
    async fn build<B: Backend>(
        &self,
        plan: &Plan,
        image: &PlannedImage,
        deps: &BTreeMap<ImageName, Published>,
        backend: &B,
        ssh_auth_sock: Option<&Path>,
        tag: &str,
        layer_cache: Option<&ImageRef>,
    ) -> Result<(), BuildError> {
        let spec = &image.build;
        let mut build_args = spec.args.clone();
        for (dep, kind, arg) in &spec.imports {
            if let Some(p) = deps.get(dep) {
                build_args.insert(arg.clone(), p.import_value(*kind));
            }
        }
        let mut registry_credentials = BTreeMap::new();
        let pulled_from = deps
            .values()
            .filter_map(|p| {
                RepoName::parse(p.primary.rsplit_once(':').map_or(&p.primary, |(r, _)| r)).ok()
            })
            .map(|r| r.registry().to_owned());
        let cache_host = layer_cache.map(|r| r.repo.registry().to_owned());
        for host in pulled_from
            .chain(cache_host)
            .collect::<std::collections::BTreeSet<_>>()
        {
            if let Some(c) = self.registry.credentials(&host).await? {
                registry_credentials.insert(host, c);
            }
        }
        let (context, dockerfile) =
            archive::context_archive(&plan.repo_dir, &plan.project_dir, spec, &image.dockerfile);
        let created = crate::report::rfc3339_now();
        let mut labels = self.labels.clone();
        labels.extend([
            ("werf".to_owned(), plan.project.to_string()),
            (
                "werf-stage-content-digest".to_owned(),
                image.digest.to_string(),
            ),
            ("werf-project-repo-commit".to_owned(), plan.commit.clone()),
            (
                "org.opencontainers.image.revision".to_owned(),
                plan.commit.clone(),
            ),
            ("org.opencontainers.image.created".to_owned(), created),
            (
                crate::inputs::LABEL.to_owned(),
                DigestInputs::of(image).to_label(),
            ),
        ]);
        let cache_from = match layer_cache {
            Some(r) => match self.registry.describe(r).await {
                Ok(Some(_)) => {
                    self.log.info(&format!(
                        "image {}: importing the layer cache of its last published build ({r})",
                        image.name
                    ));
                    Some(r.to_string())
                }
                Ok(None) => None,
                Err(e) => {
                    self.log.info(&format!(
                        "warning: image {}: the layer cache {r} cannot be read, building \
                         without it: {e}",
                        image.name
                    ));
                    None
                }
            },
            None => None,
        };
        let secrets = spec
            .secrets
            .iter()
            .map(|s| match &s.source {
                SecretSource::File(path) => BuildSecret {
                    id: s.id.clone(),
                    source: SecretSource::File(
                        plan.project_dir.join(path).to_string_lossy().into_owned(),
                    ),
                },
                _ => s.clone(),
            })
            .collect();
        let log = Arc::clone(&self.log);
        let name = image.name.clone();
        let sink: LogSink = Arc::new(move |line: &str| log.build_line(&name, line));
        let result = backend
            .build(
                BuildRequest {
                    image: image.name.clone(),
                    context,
                    dockerfile,
                    dockerfile_display: image.dockerfile.clone(),
                    instruction_lines: spec.instruction_lines.clone(),
                    target: spec.target.clone(),
                    build_args,
                    add_host: spec.add_host.clone(),
                    network: spec.network.clone(),
                    ssh: spec.ssh.clone(),
                    ssh_auth_sock: ssh_auth_sock.map(Path::to_path_buf),
                    labels,
                    secrets,
                    cache_from,
                    inline_cache: layer_cache.is_some(),
                    registry_credentials,
                    tag: tag.to_owned(),
                },
                sink,
            )
            .await;
        self.log.build_finished(&image.name, result.is_ok());
        result?;
        Ok(())
    }

    /// Reads back what the report needs, from where the report points.
    async fn describe<B: Backend>(
        &self,
        image: &PlannedImage,
        stage: &StageTag,
        outcome: Outcome,
        backend: &B,
    ) -> Result<Published, BuildError> {
        match &self.kind {
            Kind::Local { project } => {
                let reference = format!("{project}:{stage}");
                let info = backend.inspect(&reference).await?.ok_or_else(|| {
                    BuildError::Backend(crate::backend::BackendError::Engine(format!(
                        "image {reference} vanished from the engine while building"
                    )))
                })?;
                Ok(Published {
                    stage: stage.clone(),
                    repo: project.clone(),
                    tag: stage.to_string(),
                    primary: reference,
                    image_id: info.id,
                    manifest_digest: String::new(),
                    size: info.size,
                    outcome,
                    seconds: 0.0,
                    rebuild_reasons: Vec::new(),
                })
            }
            Kind::Repo {
                repos, final_index, ..
            } => {
                let tag = stage_tag(stage)?;
                let primary = ImageRef::new(repos.primary.clone(), tag.clone());
                let target = match (&repos.final_repo, final_index, image.is_final) {
                    (Some(final_repo), Some(index), true) => {
                        let existing = lock(index).get(&stage.digest).cloned();
                        let final_tag = match existing {
                            Some(t) => stage_tag(&t)?,
                            None => {
                                let to = ImageRef::new(final_repo.clone(), tag.clone());
                                self.registry.copy(&primary, &to).await?;
                                lock(index).insert(stage.clone());
                                tag.clone()
                            }
                        };
                        ImageRef::new(final_repo.clone(), final_tag)
                    }
                    _ => primary.clone(),
                };
                let remote = self.registry.describe(&target).await?.ok_or_else(|| {
                    BuildError::Registry(crate::registry::RegistryError::missing(&target))
                })?;
                Ok(Published {
                    stage: stage.clone(),
                    repo: target.repo.to_string(),
                    tag: target.tag.to_string(),
                    primary: primary.to_string(),
                    image_id: remote.image_id,
                    manifest_digest: remote.digest,
                    size: remote.size,
                    outcome,
                    seconds: 0.0,
                    rebuild_reasons: Vec::new(),
                })
            }
        }
    }

    /// Renders the custom tags of final images and puts them in the repo the report points to.
    /// Returns the log lines to print.
    pub async fn add_custom_tags(
        &self,
        templates: &[TagTemplate],
        use_custom: Option<&TagTemplate>,
        finals: &[&PlannedImage],
        published: &mut BTreeMap<ImageName, Published>,
    ) -> Result<Vec<String>, BuildError> {
        if templates.is_empty() {
            return Ok(Vec::new());
        }
        let images: Vec<(ImageName, String)> = finals
            .iter()
            .filter_map(|i| {
                published
                    .get(&i.name)
                    .map(|p| (i.name.clone(), p.stage.to_string()))
            })
            .collect();
        let planned = tags::plan_custom_tags(templates, &images)?;
        let mut lines = Vec::new();
        for (name, custom) in planned {
            let p = published
                .get_mut(&name)
                .expect("planned from published images");
            let repo = RepoName::parse(&p.repo).map_err(|e| BuildError::BadRepo {
                what: "repo",
                value: p.repo.clone(),
                reason: e.to_string(),
            })?;
            let image = ImageRef::new(repo, stage_tag(&p.stage)?);
            for tag in &custom {
                let tag = Tag::parse(tag).map_err(|e| BuildError::BadRepo {
                    what: "custom tag",
                    value: tag.clone(),
                    reason: e.to_string(),
                })?;
                self.registry.add_tag(&image, &tag).await?;
                lines.push(format!("⛵ image {name}: tagged {}:{tag}", p.repo));
            }
            if let Some(template) = use_custom {
                p.tag = template.render(&name, &p.stage.to_string());
            }
        }
        Ok(lines)
    }
}

fn lock(index: &Mutex<StageIndex>) -> std::sync::MutexGuard<'_, StageIndex> {
    index.lock().expect("the stage index is not poisoned")
}

fn stage_tag(stage: &StageTag) -> Result<Tag, BuildError> {
    Tag::parse(&stage.to_string()).map_err(|e| BuildError::BadRepo {
        what: "stage tag",
        value: stage.to_string(),
        reason: e.to_string(),
    })
}

async fn index_of(registry: &RegistryClient, repo: &RepoName) -> Result<StageIndex, BuildError> {
    let tags = registry.list_tags(repo).await?;
    Ok(StageIndex::from_tags(tags.iter().map(Tag::as_str)))
}

/// werf's report of a finished run.
pub fn report(
    plan: &Plan,
    published: &BTreeMap<ImageName, Published>,
    backend: &str,
    in_container: bool,
) -> Report {
    let platform = crate::dockerfile::stages::Platform::host().to_string();
    let images = plan
        .images
        .iter()
        .filter_map(|img| {
            let p = published.get(&img.name)?;
            let rebuilt = p.outcome == Outcome::Built;
            let source_type = match p.outcome {
                Outcome::Built => "",
                Outcome::Reused => "repo",
                Outcome::Copied(kind) => kind,
            };
            let name = p.reference();
            Some(ImageReport {
                werf_image_name: img.name.clone(),
                docker_repo: p.repo.clone(),
                docker_tag: p.tag.clone(),
                docker_image_id: p.image_id.clone(),
                docker_image_digest: p.manifest_digest.clone(),
                docker_image_name: name.clone(),
                target_platform: platform.clone(),
                rebuilt,
                is_final: img.is_final,
                size: p.size,
                build_time_seconds: p.seconds,
                commit: plan.commit.clone(),
                stages: vec![StageReport {
                    name: img.name.to_string(),
                    docker_image_name: name,
                    docker_tag: p.stage.to_string(),
                    docker_image_id: p.image_id.clone(),
                    docker_image_digest: p.manifest_digest.clone(),
                    created_at_ns: u128::from(p.stage.published_ms) * 1_000_000,
                    size: p.size,
                    source_type: source_type.to_owned(),
                    base_image_pulled: false,
                    rebuilt,
                    build_time_seconds: p.seconds,
                    commit: plan.commit.clone(),
                }],
                rebuild_reasons: p.rebuild_reasons.clone(),
            })
        })
        .collect();
    Report {
        runtime: Runtime {
            backend: backend.to_owned(),
            in_container,
        },
        images,
    }
}
