//! Stapel images: werf's stage pipeline (`from` … `dockerInstructions`), each stage's
//! dependencies and digest, chained through the previous stage's digest and, after a git stage,
//! the commit that stage holds. Executing the stages lives in `build::stapel`.

pub mod git;
pub mod paths;
pub mod recipe;
pub mod run;

use std::collections::BTreeMap;
use std::fmt;

use git2::Oid;
use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::config::{
    ImportAt, StapelBase, StapelConfig, StapelDependency, StapelImport, UserStage,
};
use crate::names::{Digest, ImageName};
use git::{Git, GitError, Patch};

/// Bumped whenever a stage's inputs or their encoding change, so old stages are not reused.
const FORMAT: &str = "slipway-stapel-stage-v1";

/// werf's `gitCache` threshold: a patch of this many bytes or more gets its own stage, so that
/// `gitLatestPatch` stays small.
pub const PATCH_SIZE_STEP: u64 = 1024 * 1024;

/// The stages of a Stapel image, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum StageName {
    From,
    BeforeInstall,
    DependenciesBeforeInstall,
    GitArchive,
    Install,
    DependenciesAfterInstall,
    BeforeSetup,
    DependenciesBeforeSetup,
    Setup,
    DependenciesAfterSetup,
    GitCache,
    GitLatestPatch,
    DockerInstructions,
}

impl StageName {
    pub const ALL: [StageName; 13] = [
        StageName::From,
        StageName::BeforeInstall,
        StageName::DependenciesBeforeInstall,
        StageName::GitArchive,
        StageName::Install,
        StageName::DependenciesAfterInstall,
        StageName::BeforeSetup,
        StageName::DependenciesBeforeSetup,
        StageName::Setup,
        StageName::DependenciesAfterSetup,
        StageName::GitCache,
        StageName::GitLatestPatch,
        StageName::DockerInstructions,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            StageName::From => "from",
            StageName::BeforeInstall => "beforeInstall",
            StageName::DependenciesBeforeInstall => "dependenciesBeforeInstall",
            StageName::GitArchive => "gitArchive",
            StageName::Install => "install",
            StageName::DependenciesAfterInstall => "dependenciesAfterInstall",
            StageName::BeforeSetup => "beforeSetup",
            StageName::DependenciesBeforeSetup => "dependenciesBeforeSetup",
            StageName::Setup => "setup",
            StageName::DependenciesAfterSetup => "dependenciesAfterSetup",
            StageName::GitCache => "gitCache",
            StageName::GitLatestPatch => "gitLatestPatch",
            StageName::DockerInstructions => "dockerInstructions",
        }
    }

    /// The user stage whose shell commands this stage runs.
    pub fn user_stage(self) -> Option<UserStage> {
        match self {
            StageName::BeforeInstall => Some(UserStage::BeforeInstall),
            StageName::Install => Some(UserStage::Install),
            StageName::BeforeSetup => Some(UserStage::BeforeSetup),
            StageName::Setup => Some(UserStage::Setup),
            _ => None,
        }
    }

    /// Where the imports this stage copies arrive.
    pub fn import_point(self) -> Option<ImportAt> {
        match self {
            StageName::DependenciesBeforeInstall => Some(ImportAt::Before(UserStage::Install)),
            StageName::DependenciesAfterInstall => Some(ImportAt::After(UserStage::Install)),
            StageName::DependenciesBeforeSetup => Some(ImportAt::Before(UserStage::Setup)),
            StageName::DependenciesAfterSetup => Some(ImportAt::After(UserStage::Setup)),
            _ => None,
        }
    }

    /// Whether the stage brings the image's git files up to HEAD when it is built (so the commit
    /// it holds counts in the next stage's digest).
    pub fn is_git(self, has_git: bool) -> bool {
        has_git
            && matches!(
                self,
                StageName::GitArchive
                    | StageName::Install
                    | StageName::BeforeSetup
                    | StageName::Setup
                    | StageName::GitCache
                    | StageName::GitLatestPatch
            )
    }
}

impl fmt::Display for StageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One stage of a Stapel image as planned or built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedStage {
    pub name: StageName,
    pub digest: Digest,
    /// With a repo: "reuse" (the stage is in storage) or "build".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'static str>,
    /// With a repo: `<repo>:<tag>` of the stored stage that is reused.
    #[serde(rename = "existingTag", skip_serializing_if = "Option::is_none")]
    pub existing_tag: Option<String>,
}

/// What the digests of one Stapel image depend on beside its own config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StapelInputs {
    pub config: StapelConfig,
    /// `build.cacheVersion` of the meta section.
    pub build_cache_version: Option<String>,
    /// Checksums of the `stageDependencies` files at HEAD, per user stage.
    pub stage_dependencies: BTreeMap<UserStage, String>,
}

impl StapelInputs {
    /// Reads the `stageDependencies` content at HEAD.
    pub fn new(
        config: StapelConfig,
        build_cache_version: Option<String>,
        git: &Git,
    ) -> Result<Self, GitError> {
        let mut stage_dependencies = BTreeMap::new();
        for stage in UserStage::ALL {
            let mut parts = Vec::new();
            for mapping in &config.git {
                if let Some(globs) = mapping.stage_dependencies.get(&stage) {
                    parts.push(git.checksum(mapping, globs)?);
                }
            }
            if !parts.is_empty() {
                stage_dependencies.insert(stage, parts.join(","));
            }
        }
        Ok(Self {
            config,
            build_cache_version,
            stage_dependencies,
        })
    }

    pub fn has_git(&self) -> bool {
        !self.config.git.is_empty()
    }

    /// The images whose final stages this image's dependencies stages depend on (by name):
    /// those it imports files from and its `dependencies`.
    pub fn imported(&self) -> impl Iterator<Item = &ImageName> {
        let imports = self.config.imports.iter().map(|i| &i.image);
        imports.chain(self.config.dependencies.iter().map(|d| &d.image))
    }
}

/// The state of the pipeline after a stage: its digest and the commit its git files are at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct After {
    pub digest: Digest,
    pub commit: Option<Oid>,
    pub git: bool,
}

/// The other images a stage's dependencies name, resolved to what their final stage is.
pub struct Resolved<'a> {
    /// For `fromImage`/`fromArtifact`: the base image's final stage digest.
    pub base: Option<&'a Digest>,
    /// Imported images' and `dependencies`' final stage digests.
    pub imports: &'a BTreeMap<ImageName, Digest>,
}

/// The dependencies of `stage` given the previous stage, or `None` when the stage is empty and
/// skipped. `patch` answers for the git patch from the previous stage's commit to HEAD.
pub fn dependencies(
    stage: StageName,
    inputs: &StapelInputs,
    resolved: &Resolved<'_>,
    patch: Option<&Patch>,
) -> Option<String> {
    let config = &inputs.config;
    let mut h = Fields::default();
    match stage {
        StageName::From => {
            match &config.from {
                StapelBase::Image(reference) => h.add("image", reference),
                StapelBase::Config(name) => {
                    h.add("config", name.as_str());
                    h.add("digest", resolved.base.map_or("", Digest::as_str));
                }
                StapelBase::Missing => {}
            }
            h.add("from-cache-version", opt(&config.from_cache_version));
            h.add("build-cache-version", opt(&inputs.build_cache_version));
        }
        StageName::GitArchive => {
            if config.git.is_empty() {
                return None;
            }
            for m in &config.git {
                h.add("add", &m.add);
                h.add("to", &m.to);
                h.list("include", &m.include_paths);
                h.list("exclude", &m.exclude_paths);
                h.add("owner", opt(&m.owner));
                h.add("group", opt(&m.group));
            }
        }
        StageName::GitCache => {
            let size = patch?.size;
            if size < PATCH_SIZE_STEP {
                return None;
            }
            h.add("size-steps", &(size / PATCH_SIZE_STEP).to_string());
        }
        StageName::GitLatestPatch => {
            let patch = patch.filter(|p| !p.is_empty())?;
            h.add("patch", &patch.checksum());
        }
        StageName::DockerInstructions => {
            let d = &config.docker;
            if d.is_empty() {
                return None;
            }
            h.add("docker", &format!("{d:?}"));
        }
        _ => {
            if let Some(user) = stage.user_stage() {
                let commands = config.shell.commands.get(&user)?;
                h.list("commands", commands);
                h.add("cache-version", opt(&config.shell.cache_version));
                h.add(
                    "stage-cache-version",
                    config
                        .shell
                        .stage_cache_versions
                        .get(&user)
                        .map_or("", String::as_str),
                );
                h.add(
                    "stage-dependencies",
                    inputs
                        .stage_dependencies
                        .get(&user)
                        .map_or("", String::as_str),
                );
                h.list(
                    "mounts",
                    &config
                        .mounts
                        .iter()
                        .map(|m| format!("{:?}:{}", m.from, m.to))
                        .collect::<Vec<_>>(),
                );
            } else {
                let point = stage.import_point()?;
                let imports: Vec<&StapelImport> =
                    config.imports.iter().filter(|i| i.at == point).collect();
                let deps: Vec<&StapelDependency> = config
                    .dependencies
                    .iter()
                    .filter(|d| d.at == point)
                    .collect();
                if imports.is_empty() && deps.is_empty() {
                    return None;
                }
                for i in imports {
                    h.add("image", i.image.as_str());
                    h.add(
                        "digest",
                        resolved.imports.get(&i.image).map_or("", Digest::as_str),
                    );
                    h.add("add", &i.add);
                    h.add("to", &i.to);
                    h.list("include", &i.include_paths);
                    h.list("exclude", &i.exclude_paths);
                    h.add("owner", opt(&i.owner));
                    h.add("group", opt(&i.group));
                }
                // As werf: the dependency's final stage stands for its name, tag, id… (their
                // values are only known once it is published); each variable counts by name.
                // Nothing is added without dependencies, so import-only stages keep their digests.
                for d in deps {
                    h.add("dependency", d.image.as_str());
                    h.add(
                        "digest",
                        resolved.imports.get(&d.image).map_or("", Digest::as_str),
                    );
                    for i in &d.imports {
                        h.add("type", i.kind.as_str());
                        h.add("env", &i.target);
                    }
                }
            }
        }
    }
    Some(h.finish())
}

/// A stage's digest: its dependencies, the previous stage's digest and, when the previous stage
/// is a git stage, the commit it holds.
pub fn stage_digest(stage: StageName, dependencies: &str, prev: Option<&After>) -> Digest {
    let mut h = Fields::default();
    h.add("format", FORMAT);
    h.add("stage", stage.as_str());
    h.add("dependencies", dependencies);
    h.add("prev", prev.map_or("", |p| p.digest.as_str()));
    let commit = prev
        .filter(|p| p.git)
        .and_then(|p| p.commit)
        .map(|c| c.to_string());
    h.add("prev-commit", commit.as_deref().unwrap_or(""));
    Digest::from_sha256(&Sha256::digest(h.finish().as_bytes()))
}

/// Length-prefixed fields, so that no two different input lists encode alike.
#[derive(Default)]
struct Fields(String);

impl Fields {
    fn add(&mut self, key: &str, value: &str) {
        self.0
            .push_str(&format!("{}:{key}={}:{value};", key.len(), value.len()));
    }

    fn list(&mut self, key: &str, values: &[String]) {
        self.add(key, &values.len().to_string());
        for v in values {
            self.add(key, v);
        }
    }

    fn finish(self) -> String {
        self.0
    }
}

fn opt(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// The stages of an image built from scratch at HEAD (nothing in storage): what `slipway plan`
/// shows. Patch stages are empty then, so they never appear here.
pub fn plan_stages(inputs: &StapelInputs, resolved: &Resolved<'_>, head: Oid) -> Vec<PlannedStage> {
    let mut stages = Vec::new();
    let mut prev: Option<After> = None;
    for stage in StageName::ALL {
        let empty = Patch::default();
        let Some(deps) = dependencies(stage, inputs, resolved, Some(&empty)) else {
            continue;
        };
        let digest = stage_digest(stage, &deps, prev.as_ref());
        let git = stage.is_git(inputs.has_git());
        let commit = if git {
            Some(head)
        } else {
            prev.as_ref().and_then(|p| p.commit)
        };
        stages.push(PlannedStage {
            name: stage,
            digest: digest.clone(),
            status: None,
            existing_tag: None,
        });
        prev = Some(After {
            digest,
            commit,
            git,
        });
    }
    stages
}
