//! The build plan: every image of werf.yaml with its digest, Dockerfile, target and
//! dependencies, layered into sets of independent builds. Pure data, computed without any
//! Docker engine; execution only ever reads it.

mod graph;
mod render;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::config::{
    self, BuildSecret, ConfigError, ImageConfig, ImportKind, LoadRequest, WerfConfig,
};
use crate::context::dockerignore::Dockerignore;
use crate::context::sources::select;
use crate::context::{
    self, BuildContext, Changes, ContextError, ContextFile, FileId, GitRepo, Source, clean, join,
};
use crate::digest::{self, DigestError, ImageInputs};
use crate::dockerfile::features::{self, Feature, FeatureUse};
use crate::dockerfile::parser::{self, Dockerfile, ParseError};
use crate::dockerfile::stages::{self, Analysis, Platform, StageError};
use crate::inputs::{Recorded, short_hash};
use crate::names::{Digest, ImageName, ProjectName};
use crate::stapel::git::{Git, GitError};
use crate::stapel::{PlannedStage, Resolved, StapelInputs};

pub use render::{render_plan_block, render_text};

/// What to plan.
#[derive(Debug, Clone)]
pub struct PlanRequest {
    /// The project directory (werf's `--dir`).
    pub dir: PathBuf,
    /// werf.yaml's path when not the default (werf's `--config`).
    pub config: Option<PathBuf>,
    /// Read contexts from the working tree instead of the HEAD commit.
    pub dev: bool,
    /// Restrict the plan to these images and what they depend on; empty means all.
    pub images: Vec<String>,
    /// At most this many images build at once; ≤ 0 means no limit.
    pub parallel_tasks_limit: i64,
    /// Plan another commit than HEAD (werf.yaml and contexts read from it); with `dev` unset.
    pub revision: Option<String>,
    /// What the werf.yaml template may read from outside the repository.
    pub template: config::TemplateInputs,
}

/// One image of the plan.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedImage {
    pub name: ImageName,
    pub digest: Digest,
    /// The Dockerfile's path relative to the project directory.
    pub dockerfile: String,
    /// The context directory relative to the project directory ("." for the project itself).
    pub context: String,
    pub target: Option<String>,
    #[serde(rename = "final")]
    pub is_final: bool,
    #[serde(rename = "dependsOn")]
    pub depends_on: Vec<ImageName>,
    /// A Stapel image's stages as built from scratch at this commit (the last one's digest is
    /// `digest`); empty for a Dockerfile image.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<PlannedStage>,
    /// A Stapel image's config and the inputs of its stage digests.
    #[serde(skip)]
    pub stapel: Option<Arc<StapelInputs>>,
    /// Where the image is in storage and the tags it will get; only when planned with a repo.
    #[serde(flatten)]
    pub storage: Option<Storage>,
    /// What executing the plan needs beyond what the JSON shows.
    #[serde(skip)]
    pub build: Arc<BuildSpec>,
}

/// What a plan with a repo says of one image: reused, copied or built, and every tag it will
/// carry.
#[derive(Debug, Clone, Serialize)]
pub struct Storage {
    /// "reuse", "copy" or "build".
    pub status: &'static str,
    /// `<repo>:<tag>` of the publication that is reused or copied.
    #[serde(rename = "existingTag")]
    pub existing_tag: Option<String>,
    /// Every `<repo>:<tag>` the image will have: its stage (`<digest>-<new>` when still to be
    /// built: the milliseconds are fixed at publication), the final-repo copy, custom tags.
    pub tags: Vec<String>,
    /// A Stapel image's stages as `build` will meet them at this commit (a later commit reuses
    /// stages of earlier ones and adds a patch stage), each reused or built.
    #[serde(skip)]
    pub stages: Option<Vec<crate::stapel::PlannedStage>>,
}

/// How to build one image: its context, Dockerfile and build settings.
#[derive(Debug, Clone)]
pub struct BuildSpec {
    /// The context directory relative to the project ("" for the project directory).
    pub context_dir: String,
    /// The files to send, after `.dockerignore`, `contextAddFiles` included.
    pub context: Arc<BuildContext>,
    /// The Dockerfile as read (from the commit, or the working tree with --dev).
    pub dockerfile: Arc<Vec<u8>>,
    /// Start line of every instruction of the Dockerfile, in order.
    pub instruction_lines: Vec<usize>,
    pub target: Option<String>,
    /// werf.yaml `args`; imported values are added at build time.
    pub args: BTreeMap<String, String>,
    /// `(image, kind, build arg)` for every werf.yaml import.
    pub imports: Vec<(ImageName, ImportKind, String)>,
    pub add_host: Vec<String>,
    pub network: Option<String>,
    pub ssh: Option<String>,
    /// What the digest was computed from, recorded on the image as a label.
    pub recorded: Recorded,
    /// werf.yaml `secrets` (not digest inputs: a secret's value never changes a tag).
    pub secrets: Vec<BuildSecret>,
    /// The line of the image's document in werf.yaml.
    pub config_line: usize,
    /// The features of the Dockerfile (in the stages the target needs) and of werf.yaml that
    /// not every builder runs, checked against the builder before anything is built.
    pub features: Vec<FeatureUse>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub project: ProjectName,
    #[serde(rename = "parallelTasksLimit")]
    pub parallel_tasks_limit: i64,
    /// Sorted by name.
    pub images: Vec<PlannedImage>,
    pub sets: Vec<Vec<ImageName>>,
    /// The commit contexts were read from.
    #[serde(skip)]
    pub commit: String,
    /// The werf.yaml the plan was made from.
    #[serde(skip)]
    pub config_path: PathBuf,
    /// The repository's working tree (committed files are read from its object store).
    #[serde(skip)]
    pub repo_dir: PathBuf,
    /// The project directory (working-tree files are relative to it).
    #[serde(skip)]
    pub project_dir: PathBuf,
    /// Things the user should know (uncommitted changes left out of a build).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl Plan {
    pub fn image(&self, name: &ImageName) -> Option<&PlannedImage> {
        self.images.iter().find(|i| &i.name == name)
    }

    /// The project directory relative to the repository's root, with '/' separators ("" when
    /// the project is the repository).
    pub fn project_prefix(&self) -> String {
        let relative = self
            .project_dir
            .strip_prefix(&self.repo_dir)
            .unwrap_or(Path::new(""));
        let parts: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        parts.join("/")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Config(#[from] Box<ConfigError>),
    #[error(transparent)]
    Context(#[from] ContextError),
    #[error("image {image}: {source}")]
    StapelGit { image: ImageName, source: GitError },
    #[error("{path}: image {image}: {hint}")]
    MissingDockerfile {
        image: ImageName,
        path: String,
        hint: String,
    },
    #[error("{path}: {source}")]
    Parse { path: String, source: ParseError },
    #[error("{path}: {source} (image {image})")]
    Stages {
        image: ImageName,
        path: String,
        source: Box<StageError>,
    },
    #[error(
        "{path}: line {line}: {file:?} is not in the build context of image {image} (context \
         {context:?}); commit it (slipway reads the context from git), check .dockerignore, or \
         pass --dev to build from the working tree"
    )]
    MissingSource {
        image: ImageName,
        path: String,
        context: String,
        line: usize,
        file: String,
    },
    #[error("{path}: {source} (image {image})")]
    Digest {
        image: ImageName,
        path: String,
        source: Box<DigestError>,
    },
    #[error("{path}: {source}")]
    Dockerignore {
        path: String,
        source: context::dockerignore::DockerignoreError,
    },
    #[error("commit {revision} has no {names}; pick a commit that has the project's werf.yaml")]
    NoConfigAt { revision: String, names: String },
    #[error("{config}: images depend on each other in a cycle: {cycle}; remove one of these dependencies", config = .config.display())]
    Cycle { config: PathBuf, cycle: String },
    #[error("image {name:?} is not in {config}; its images are: {known}", config = .config.display())]
    UnknownImage {
        name: String,
        config: PathBuf,
        known: String,
    },
}

/// Everything known about one image while planning.
struct Prepared {
    config: ImageConfig,
    parsed: Arc<Dockerfile>,
    dockerfile_bytes: Arc<Vec<u8>>,
    instruction_lines: Vec<usize>,
    context_dir: String,
    dockerfile: String,
    analysis: Analysis,
    target: usize,
    closure: Vec<usize>,
    features: Vec<FeatureUse>,
    context: Arc<BuildContext>,
    /// The context as committed (or in the working tree with --dev), before contextAddFiles.
    committed: Arc<BuildContext>,
    add_files: Vec<ContextFile>,
    ignore: Arc<Dockerignore>,
    stapel: Option<Arc<StapelInputs>>,
}

/// Caches shared between images: a Dockerfile is parsed and a context listed only once.
struct Reader<'a> {
    repo: &'a GitRepo,
    source: Source,
    dockerfiles: HashMap<String, (Arc<Dockerfile>, Arc<Vec<u8>>)>,
    ignores: HashMap<String, Arc<Dockerignore>>,
    contexts: HashMap<(String, String), Arc<BuildContext>>,
}

impl Reader<'_> {
    fn read(&self, path: &str) -> Result<Option<Vec<u8>>, ContextError> {
        match self.source {
            Source::Commit => self.repo.read_committed(path),
            Source::WorkTree => match std::fs::read(self.repo.project_dir().join(path)) {
                Ok(bytes) => Ok(Some(bytes)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(ContextError::Io(e)),
            },
        }
    }

    fn dockerfile(
        &mut self,
        image: &ImageName,
        path: &str,
    ) -> Result<(Arc<Dockerfile>, Arc<Vec<u8>>), PlanError> {
        if let Some(df) = self.dockerfiles.get(path) {
            return Ok(df.clone());
        }
        let Some(bytes) = self.read(path)? else {
            let in_worktree = self.repo.project_dir().join(path).is_file();
            let hint = match (self.source, in_worktree) {
                (Source::Commit, true) => format!(
                    "the Dockerfile is not committed (slipway reads it from commit {}); commit \
                     it, or pass --dev to build from the working tree",
                    short(&self.repo.commit())
                ),
                _ => "the Dockerfile does not exist; create it or fix `dockerfile`/`context` in \
                      werf.yaml"
                    .to_owned(),
            };
            return Err(PlanError::MissingDockerfile {
                image: image.clone(),
                path: path.to_owned(),
                hint,
            });
        };
        let text = String::from_utf8_lossy(&bytes);
        let df = Arc::new(parser::parse(&text).map_err(|source| PlanError::Parse {
            path: path.to_owned(),
            source,
        })?);
        let entry = (df, Arc::new(bytes));
        self.dockerfiles.insert(path.to_owned(), entry.clone());
        Ok(entry)
    }

    /// The .dockerignore for a Dockerfile: `<Dockerfile>.dockerignore` wins over the context's.
    fn dockerignore(
        &mut self,
        dockerfile: &str,
        context_dir: &str,
    ) -> Result<(String, Arc<Dockerignore>), PlanError> {
        for path in [
            format!("{dockerfile}.dockerignore"),
            join(context_dir, ".dockerignore"),
        ] {
            if let Some(ig) = self.ignores.get(&path) {
                return Ok((path, ig.clone()));
            }
            if let Some(bytes) = self.read(&path)? {
                let ig =
                    Dockerignore::parse(&String::from_utf8_lossy(&bytes)).map_err(|source| {
                        PlanError::Dockerignore {
                            path: path.clone(),
                            source,
                        }
                    })?;
                let ig = Arc::new(ig);
                self.ignores.insert(path.clone(), ig.clone());
                return Ok((path, ig));
            }
        }
        Ok((String::new(), Arc::new(Dockerignore::default())))
    }

    fn context(
        &mut self,
        dir: &str,
        ignore_path: &str,
        ignore: &Dockerignore,
    ) -> Result<Arc<BuildContext>, PlanError> {
        let key = (dir.to_owned(), ignore_path.to_owned());
        if let Some(c) = self.contexts.get(&key) {
            return Ok(c.clone());
        }
        let ctx = Arc::new(BuildContext::list(self.repo, self.source, dir, ignore)?);
        self.contexts.insert(key, ctx.clone());
        Ok(ctx)
    }
}

fn short(commit: &str) -> &str {
    &commit[..commit.len().min(12)]
}

/// Computes the plan for `request`.
pub fn plan(request: &PlanRequest) -> Result<Plan, PlanError> {
    // The working-tree check stats every file: it runs beside the tree walk, on its own
    // repository handle (libgit2 handles are not shared between threads).
    std::thread::scope(|s| {
        let check = (!request.dev && request.revision.is_none())
            .then(|| s.spawn(|| GitRepo::open(&request.dir).and_then(|repo| repo.changes())));
        let changes = move || {
            check
                .map(|handle| {
                    handle
                        .join()
                        .expect("the working-tree check does not panic")
                })
                .transpose()
        };
        plan_with(request, changes)
    })
}

fn plan_with(
    request: &PlanRequest,
    changes: impl FnOnce() -> Result<Option<Changes>, ContextError>,
) -> Result<Plan, PlanError> {
    let repo = GitRepo::open_at(&request.dir, request.revision.as_deref())?;
    let config = match &request.revision {
        None => config::load(&LoadRequest {
            dir: request.dir.clone(),
            config: request.config.clone(),
            dev: request.dev,
            template: request.template.clone(),
        })
        .map_err(Box::new)?,
        Some(rev) => committed_config(&repo, rev, request.config.as_deref())?,
    };
    let source = if request.dev {
        Source::WorkTree
    } else {
        Source::Commit
    };
    let platform = Platform::host();
    let mut reader = Reader {
        repo: &repo,
        source,
        dockerfiles: HashMap::new(),
        ignores: HashMap::new(),
        contexts: HashMap::new(),
    };
    let by_name: BTreeMap<&ImageName, usize> = config
        .images
        .iter()
        .enumerate()
        .map(|(i, img)| (&img.name, i))
        .collect();

    let mut prepared = Vec::with_capacity(config.images.len());
    let mut git: Option<Git> = None;
    for image in &config.images {
        prepared.push(match &image.stapel {
            Some(stapel) => {
                let git_error = |source| PlanError::StapelGit {
                    image: image.name.clone(),
                    source,
                };
                if git.is_none() {
                    git = Some(Git::open(repo.workdir(), &repo.commit()).map_err(git_error)?);
                }
                let git = git.as_ref().expect("opened above");
                let inputs =
                    StapelInputs::new((**stapel).clone(), config.build_cache_version.clone(), git)
                        .map_err(git_error)?;
                prepare_stapel(image, inputs)
            }
            None => prepare(&mut reader, image, &platform)?,
        });
    }

    let edges = dependency_edges(&prepared, &by_name);
    if let Some(cycle) = graph::find_cycle(&edges) {
        let mut names: Vec<String> = cycle
            .iter()
            .map(|&i| prepared[i].config.name.to_string())
            .collect();
        names.push(names[0].clone());
        return Err(PlanError::Cycle {
            config: config.path.clone(),
            cycle: names.join(" -> "),
        });
    }
    let roots = requested(&config, &request.images)?;
    let selected = graph::reachable(&edges, &roots);
    let sets = graph::layers(&edges, &selected, |i| prepared[i].config.name.clone());

    let mut digests: BTreeMap<usize, Digest> = BTreeMap::new();
    let mut stage_lists: BTreeMap<usize, Vec<PlannedStage>> = BTreeMap::new();
    let head = git2::Oid::from_str(&repo.commit()).map_err(|e| ContextError::Git {
        repo: repo.workdir().to_path_buf(),
        message: e.message().to_owned(),
    })?;
    let mut recorded: BTreeMap<usize, Recorded> = BTreeMap::new();
    for &i in sets.iter().flatten() {
        let p = &prepared[i];
        if let Some(inputs) = &p.stapel {
            let digest_of = |name: &ImageName| by_name.get(name).map(|&d| digests[&d].clone());
            let base = match &inputs.config.from {
                config::StapelBase::Config(name) => digest_of(name),
                _ => None,
            };
            let imports: BTreeMap<ImageName, Digest> = inputs
                .imported()
                .filter_map(|name| Some((name.clone(), digest_of(name)?)))
                .collect();
            let resolved = Resolved {
                base: base.as_ref(),
                imports: &imports,
            };
            let stages = crate::stapel::plan_stages(inputs, &resolved, head);
            let last = stages.last().expect("the from stage is never empty");
            digests.insert(i, last.digest.clone());
            stage_lists.insert(i, stages);
            continue;
        }
        let deps = edges[i]
            .iter()
            .map(|&d| {
                let name = &prepared[d].config.name;
                let imports = p
                    .config
                    .dependencies
                    .iter()
                    .filter(|dep| &dep.image == name)
                    .flat_map(|dep| &dep.imports)
                    .map(|i| format!("{}:{}", i.kind.as_str(), i.target))
                    .collect();
                (name.clone(), digests[&d].clone(), imports)
            })
            .collect();
        let (d, r) = image_digest(p, deps, config.build_cache_version.as_deref(), &platform)?;
        digests.insert(i, d);
        recorded.insert(i, r);
    }

    let warnings = match changes()? {
        Some(changes) => uncommitted_warnings(&repo.commit(), &changes, &prepared, &selected),
        None => Vec::new(),
    };

    let mut images: Vec<PlannedImage> = selected
        .iter()
        .map(|&i| {
            let p = &prepared[i];
            PlannedImage {
                name: p.config.name.clone(),
                digest: digests[&i].clone(),
                dockerfile: p.dockerfile.clone(),
                context: if p.context_dir.is_empty() {
                    ".".to_owned()
                } else {
                    p.context_dir.clone()
                },
                target: p.config.target.clone(),
                is_final: p.config.is_final,
                depends_on: edges[i]
                    .iter()
                    .map(|&d| prepared[d].config.name.clone())
                    .collect(),
                stages: stage_lists.get(&i).cloned().unwrap_or_default(),
                stapel: p.stapel.clone(),
                storage: None,
                build: Arc::new(BuildSpec {
                    context_dir: p.context_dir.clone(),
                    context: Arc::clone(&p.context),
                    dockerfile: Arc::clone(&p.dockerfile_bytes),
                    instruction_lines: p.instruction_lines.clone(),
                    target: p.config.target.clone(),
                    args: p.config.args.clone(),
                    imports: p
                        .config
                        .dependencies
                        .iter()
                        .flat_map(|d| {
                            d.imports
                                .iter()
                                .map(|i| (d.image.clone(), i.kind, i.target.clone()))
                        })
                        .collect(),
                    add_host: p.config.add_host.clone(),
                    network: p.config.network.clone(),
                    ssh: p.config.ssh.clone(),
                    recorded: recorded.remove(&i).unwrap_or_default(),
                    secrets: p.config.secrets.clone(),
                    config_line: p.config.line,
                    features: with_werf_features(&p.features, &p.config, &config.path),
                }),
            }
        })
        .collect();
    images.sort_by(|a, b| a.name.cmp(&b.name));
    for img in &mut images {
        img.depends_on.sort();
    }
    Ok(Plan {
        project: config.project.clone(),
        parallel_tasks_limit: request.parallel_tasks_limit,
        images,
        sets: sets
            .iter()
            .map(|s| s.iter().map(|&i| prepared[i].config.name.clone()).collect())
            .collect(),
        commit: repo.commit(),
        config_path: config.path.clone(),
        repo_dir: repo.workdir().to_path_buf(),
        project_dir: repo.project_dir(),
        warnings,
    })
}

/// werf.yaml as committed at `revision` (`werf.yaml`, else `werf.yml`, or `--config`).
fn committed_config(
    repo: &GitRepo,
    revision: &str,
    config: Option<&std::path::Path>,
) -> Result<WerfConfig, PlanError> {
    let candidates: Vec<String> = match config {
        Some(c) => vec![c.to_string_lossy().into_owned()],
        None => vec!["werf.yaml".to_owned(), "werf.yml".to_owned()],
    };
    for name in &candidates {
        if let Some(bytes) = repo.read_committed(name)? {
            let shown = PathBuf::from(format!("{revision}:{name}"));
            let text = String::from_utf8_lossy(&bytes);
            if text.contains("{{") {
                // Partials, .Files and .Commit would have to come from that commit too.
                return Err(PlanError::Config(Box::new(
                    config::ConfigError::TemplateFile {
                        path: shown,
                        message:
                            "a templated werf.yaml is rendered only at HEAD; compare against a \
                              commit whose werf.yaml has no template, or check that commit out"
                                .to_owned(),
                    },
                )));
            }
            return config::parse(&shown, &text).map_err(|e| PlanError::Config(Box::new(e)));
        }
    }
    Err(PlanError::NoConfigAt {
        revision: revision.to_owned(),
        names: candidates.join(" or "),
    })
}

fn prepare(
    reader: &mut Reader<'_>,
    image: &ImageConfig,
    platform: &Platform,
) -> Result<Prepared, PlanError> {
    let context_dir = clean(&image.context);
    let dockerfile_path = join(&context_dir, &image.dockerfile);
    let (dockerfile, dockerfile_bytes) = reader.dockerfile(&image.name, &dockerfile_path)?;
    let mut args = image.args.clone();
    // An imported value (another image's tag, id…) is only known at build time; the
    // dependency's digest stands for it in this image's digest.
    for dep in &image.dependencies {
        for import in &dep.imports {
            args.insert(
                import.target.clone(),
                format!("<{} of image {}>", import.kind.as_str(), dep.image),
            );
        }
    }
    let analysis =
        stages::analyze(&dockerfile, &args, platform).map_err(|source| PlanError::Stages {
            image: image.name.clone(),
            path: dockerfile_path.clone(),
            source: Box::new(source),
        })?;
    let target = analysis
        .target(image.target.as_deref())
        .map_err(|source| PlanError::Stages {
            image: image.name.clone(),
            path: dockerfile_path.clone(),
            source: Box::new(source),
        })?;
    let closure = analysis.closure(target);
    let features = features::uses(&dockerfile, &closure, &dockerfile_path);
    let (ignore_path, ignore) = reader.dockerignore(&dockerfile_path, &context_dir)?;
    let listed = reader.context(&context_dir, &ignore_path, &ignore)?;
    let add_files = context::read_add_files(
        &reader.repo.project_dir(),
        &context_dir,
        &image.context_add_files,
        &image.name.to_string(),
    )?;
    let context = listed.with_added(add_files.clone());
    Ok(Prepared {
        config: image.clone(),
        parsed: dockerfile.clone(),
        dockerfile_bytes,
        instruction_lines: dockerfile.nodes.iter().map(|n| n.start_line).collect(),
        context_dir,
        dockerfile: dockerfile_path,
        analysis,
        target,
        closure,
        features,
        context,
        committed: listed,
        add_files,
        ignore,
        stapel: None,
    })
}

/// A Stapel image: no Dockerfile and no context, its stages come from `inputs`.
fn prepare_stapel(image: &ImageConfig, inputs: StapelInputs) -> Prepared {
    let empty = Arc::new(BuildContext { files: Vec::new() });
    Prepared {
        config: image.clone(),
        dockerfile_bytes: Arc::new(Vec::new()),
        parsed: Arc::new(Dockerfile {
            directives: Default::default(),
            nodes: Vec::new(),
        }),
        instruction_lines: Vec::new(),
        context_dir: String::new(),
        dockerfile: String::new(),
        analysis: Analysis {
            syntax: None,
            stages: Vec::new(),
        },
        target: usize::MAX,
        closure: Vec::new(),
        context: Arc::clone(&empty),
        committed: empty,
        add_files: Vec::new(),
        ignore: Arc::new(Dockerignore::default()),
        features: Vec::new(),
        stapel: Some(Arc::new(inputs)),
    }
}

/// The Dockerfile's features plus werf.yaml's BuildKit-only keys, located at the image's
/// document.
fn with_werf_features(
    dockerfile: &[FeatureUse],
    image: &ImageConfig,
    config: &std::path::Path,
) -> Vec<FeatureUse> {
    let mut out = dockerfile.to_vec();
    let location = format!("{}:{}", config.display(), image.line);
    if let Some(ssh) = &image.ssh {
        out.push(FeatureUse {
            feature: Feature::WerfSsh,
            location,
            written: format!("ssh: {ssh}"),
        });
    }
    if !image.secrets.is_empty() {
        out.push(FeatureUse {
            feature: Feature::WerfSecrets,
            location: format!("{}:{}", config.display(), image.line),
            written: "secrets".to_owned(),
        });
    }
    out
}

/// B depends on A when werf.yaml says so, or when both use the same Dockerfile and B's target
/// needs A's (different) target stage.
fn dependency_edges(prepared: &[Prepared], by_name: &BTreeMap<&ImageName, usize>) -> graph::Edges {
    let mut edges: graph::Edges = vec![BTreeSet::new(); prepared.len()];
    for (b, pb) in prepared.iter().enumerate() {
        for dep in pb.config.needs() {
            if let Some(&a) = by_name.get(dep) {
                edges[b].insert(a);
            }
        }
        for (a, pa) in prepared.iter().enumerate() {
            if a != b
                && pb.stapel.is_none()
                && pa.dockerfile == pb.dockerfile
                && pa.target != pb.target
                && pb.closure.contains(&pa.target)
            {
                edges[b].insert(a);
            }
        }
    }
    edges
}

fn requested(config: &WerfConfig, names: &[String]) -> Result<Vec<usize>, PlanError> {
    if names.is_empty() {
        return Ok((0..config.images.len()).collect());
    }
    names
        .iter()
        .map(|n| {
            config
                .images
                .iter()
                .position(|img| img.name.as_str() == n)
                .ok_or_else(|| PlanError::UnknownImage {
                    name: n.clone(),
                    config: config.path.clone(),
                    known: config
                        .images
                        .iter()
                        .map(|img| img.name.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
        })
        .collect()
}

/// The image's digest and what it was computed from: the recorded inputs are taken from the
/// very values hashed, so the two never disagree.
fn image_digest(
    p: &Prepared,
    dependencies: Vec<(ImageName, Digest, Vec<String>)>,
    build_cache_version: Option<&str>,
    platform: &Platform,
) -> Result<(Digest, Recorded), PlanError> {
    let context_dir = if p.context_dir.is_empty() {
        "."
    } else {
        &p.context_dir
    };
    let (stage_digests, file_uses) = digest::stage_digests(&p.analysis, &p.closure, &p.context)
        .map_err(|e| match e {
            DigestError::Missing(m) => PlanError::MissingSource {
                image: p.config.name.clone(),
                path: p.dockerfile.clone(),
                context: context_dir.to_owned(),
                line: m.line,
                file: m.source,
            },
            source => PlanError::Digest {
                image: p.config.name.clone(),
                path: p.dockerfile.clone(),
                source: Box::new(source),
            },
        })?;
    let mut cache_versions = Vec::new();
    if let Some(v) = build_cache_version {
        cache_versions.push(format!("build:{v}"));
    }
    if let Some(v) = &p.config.cache_version {
        cache_versions.push(format!("image:{v}"));
    }
    let recorded = Recorded {
        file_uses,
        add_files: p.add_files.clone(),
        instructions: needed_instructions(p),
        args: counted_args(p),
        dependencies: dependencies
            .iter()
            .map(|(name, d, _)| (name.clone(), d.clone()))
            .collect(),
        cache_versions,
        add_host: p.config.add_host.clone(),
        syntax: p.analysis.syntax.clone(),
        platform: platform.to_string(),
        werf_section: werf_section_hash(&p.config),
        dockerfile_sha256: short_hash(&p.dockerfile_bytes),
    };
    let digest = digest::image_digest(
        &stage_digests[&p.target],
        &ImageInputs {
            syntax: recorded.syntax.as_deref(),
            platform: recorded.platform.clone(),
            add_host: recorded.add_host.clone(),
            cache_versions: recorded.cache_versions.clone(),
            add_files: recorded.add_files.clone(),
            dependencies: dependencies
                .into_iter()
                .map(|(_, d, imports)| (d, imports))
                .collect(),
        },
    );
    Ok((digest, recorded))
}

/// The instructions of the stages the target needs (each stage from its FROM to the next
/// FROM), and the global ARGs before the first FROM.
fn needed_instructions(p: &Prepared) -> Vec<(usize, String)> {
    let starts: Vec<usize> = p.analysis.stages.iter().map(|s| s.line).collect();
    let first = starts.first().copied().unwrap_or(usize::MAX);
    let needed = |line: usize| {
        line < first
            || p.closure
                .iter()
                .any(|&s| line >= starts[s] && starts.get(s + 1).is_none_or(|&next| line < next))
    };
    p.parsed
        .nodes
        .iter()
        .filter(|n| needed(n.start_line))
        .map(|n| (n.start_line, n.original.clone()))
        .collect()
}

/// werf.yaml args that an ARG of a needed stage (or a global ARG) declares; imported values
/// are not among them, the dependency's digest stands for those.
fn counted_args(p: &Prepared) -> BTreeMap<String, String> {
    let instructions = needed_instructions(p);
    let lines: BTreeSet<usize> = instructions.iter().map(|(l, _)| *l).collect();
    let declared: BTreeSet<&str> = p
        .parsed
        .nodes
        .iter()
        .filter(|n| n.keyword == "arg" && lines.contains(&n.start_line))
        .flat_map(|n| &n.args)
        .map(|a| a.split_once('=').map_or(a.as_str(), |(name, _)| name))
        .collect();
    p.config
        .args
        .iter()
        .filter(|(name, _)| declared.contains(name.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// A hash of the image's werf.yaml settings (not its name or position in the file).
fn werf_section_hash(c: &ImageConfig) -> String {
    let deps: Vec<String> = c
        .dependencies
        .iter()
        .map(|d| {
            let imports: Vec<String> = d
                .imports
                .iter()
                .map(|i| format!("{}:{}", i.kind.as_str(), i.target))
                .collect();
            format!("{}[{}]", d.image, imports.join(","))
        })
        .collect();
    let text = format!(
        "{:?}",
        (
            &c.dockerfile,
            &c.context,
            &c.target,
            &c.args,
            &c.add_host,
            &c.network,
            &c.ssh,
            &c.context_add_files,
            deps,
            &c.cache_version,
            c.is_final,
        )
    );
    short_hash(text.as_bytes())
}

/// One warning per image whose build would have used files that differ from the commit.
fn uncommitted_warnings(
    commit: &str,
    changes: &Changes,
    prepared: &[Prepared],
    selected: &BTreeSet<usize>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    for &i in selected {
        let p = &prepared[i];
        let mut hits: BTreeSet<String> = BTreeSet::new();
        let in_context: Vec<ContextFile> = changes
            .in_context(&p.context_dir, &p.committed.files, &p.ignore)
            .into_iter()
            .map(|path| ContextFile {
                path,
                mode: 0,
                id: FileId::Sha256([0; 32]),
            })
            .collect();
        for &s in &p.closure {
            for step in &p.analysis.stages[s].steps {
                for used in &step.context {
                    for source in &used.sources {
                        if let Ok(files) = select(&in_context, source, None) {
                            hits.extend(files.iter().map(|f| join(&p.context_dir, &f.path)));
                        }
                    }
                }
            }
        }
        if changes.worktree.binary_search(&p.dockerfile).is_ok() {
            hits.insert(p.dockerfile.clone());
        }
        if hits.is_empty() {
            continue;
        }
        let shown: Vec<&str> = hits.iter().take(10).map(String::as_str).collect();
        let more = match hits.len().saturating_sub(10) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        warnings.push(format!(
            "image {}: uncommitted changes are left out of its build (slipway reads the build \
             context from commit {}): {}{more}; commit them, or pass --dev to build from the \
             working tree",
            p.config.name,
            short(commit),
            shown.join(", "),
        ));
    }
    warnings
}
