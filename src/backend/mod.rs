//! Build backends: what turns a build context and a Dockerfile into an image, pushes it and
//! describes it. The pipeline only sees [`Backend`]; the Docker engine is the first one.

pub mod buildah;
pub mod buildkit_cli;
pub mod capability;
pub mod docker;
mod select;

pub use select::{SelectedBackend, known_builder, select};

use std::collections::BTreeMap;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::BuildSecret;
use crate::context::archive::ContextArchive;
use crate::names::ImageName;
use crate::secret::Credentials;

/// Receives build output one line at a time (without the trailing newline).
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// Everything a backend needs to build one image.
pub struct BuildRequest {
    /// The werf image being built (for messages).
    pub image: ImageName,
    /// The context to send, streamed from git.
    pub context: ContextArchive,
    /// The Dockerfile's path inside the context archive.
    pub dockerfile: String,
    /// The Dockerfile's path as the user knows it (relative to the project), for messages.
    pub dockerfile_display: String,
    /// Start line of every instruction of the Dockerfile, in order (maps a failing step to a line).
    pub instruction_lines: Vec<usize>,
    pub target: Option<String>,
    pub build_args: BTreeMap<String, String>,
    pub add_host: Vec<String>,
    pub network: Option<String>,
    /// werf's `ssh` value; with `ssh_auth_sock` the agent socket to forward.
    pub ssh: Option<String>,
    pub ssh_auth_sock: Option<PathBuf>,
    pub labels: BTreeMap<String, String>,
    /// werf.yaml `secrets`, `src` paths made absolute.
    pub secrets: Vec<BuildSecret>,
    /// An image of this werf image's last published build whose inline layer cache the
    /// build may reuse (BuildKit only).
    pub cache_from: Option<String>,
    /// Embed the layer cache in the image, for the next build to import (BuildKit only).
    pub inline_cache: bool,
    /// Logins for the registries the build pulls base images from, by host (`dependencies`
    /// images in the primary repo are `FROM` bases of their dependents).
    pub registry_credentials: BTreeMap<String, Credentials>,
    /// The reference to give the built image (`<repo>:<tag>` or `<project>:<tag>`).
    pub tag: String,
}

/// What a build produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The image ID (`sha256:` + config digest).
    pub id: String,
    /// Size in bytes.
    pub size: u64,
}

/// What the engine knows of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    pub id: String,
    pub size: u64,
    /// `repo@sha256:…` entries for pushed images.
    pub repo_digests: Vec<String>,
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("cannot reach the Docker engine at {address}: {reason}; {hint}")]
    Unreachable {
        address: String,
        reason: String,
        hint: String,
    },
    #[error(
        "image {image} failed to build at {location}: {message}{tail}{explained}",
        tail = format_tail(.tail),
        explained = format_explanations(.explanations)
    )]
    BuildFailed {
        image: ImageName,
        /// `Dockerfile:LINE` when the failing instruction is known, else the Dockerfile path.
        location: String,
        message: String,
        /// The last lines of build output.
        tail: Vec<String>,
        /// Known causes found in the output, each with its fix (buildah's `explain`).
        explanations: Vec<String>,
    },
    #[error(
        "image {image} sets `ssh: {ssh}`, but SSH_AUTH_SOCK is not set: start an agent \
         (`eval $(ssh-agent)` and `ssh-add`, or webfactory/ssh-agent in GitHub Actions), or give \
         a socket or key path in werf.yaml (`ssh: default=/path`)"
    )]
    SshAgentMissing { image: ImageName, ssh: String },
    #[error("pushing {reference} failed: {message}")]
    Push { reference: String, message: String },
    #[error("Docker engine: {0}")]
    Engine(String),
    #[error("buildah: {0}")]
    Buildah(String),
    /// The buildah backend cannot be set up as asked (mode, storage driver, ulimits, repo).
    #[error(transparent)]
    Setup(#[from] buildah::setup::SetupError),
}

impl BackendError {
    /// Whether the user must change the invocation or the environment (exit 2).
    pub fn is_usage(&self) -> bool {
        matches!(self, BackendError::Setup(_))
    }
}

fn format_explanations(explanations: &[String]) -> String {
    explanations.iter().map(|e| format!("\n{e}")).collect()
}

fn format_tail(tail: &[String]) -> String {
    if tail.is_empty() {
        String::new()
    } else {
        format!("\nlast lines of the build output:\n  {}", tail.join("\n  "))
    }
}

/// A build engine. Futures are `Send` so builds of one set run concurrently.
pub trait Backend: Send + Sync {
    /// "docker" or "buildah", as the report's `Runtime.Backend` says.
    fn name(&self) -> &'static str;

    /// The builder that runs builds, for refusing what it cannot do before building.
    fn builder(&self) -> impl Future<Output = Result<capability::Builder, BackendError>> + Send;

    /// Builds the image and tags it `request.tag`; output goes to `log` line by line.
    fn build(
        &self,
        request: BuildRequest,
        log: LogSink,
    ) -> impl Future<Output = Result<Built, BackendError>> + Send;

    /// Pushes `reference` (`host/repo:tag`) and returns the manifest digest (`sha256:…`).
    fn push(
        &self,
        reference: &str,
        credentials: Option<&Credentials>,
    ) -> impl Future<Output = Result<String, BackendError>> + Send;

    /// Describes a local image, `None` when the engine does not have it.
    fn inspect(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<ImageInfo>, BackendError>> + Send;

    /// Gives a local image another reference.
    fn tag(
        &self,
        source: &str,
        target: &str,
    ) -> impl Future<Output = Result<(), BackendError>> + Send;

    /// Tags of local images in `repository` (local storage: `<project>:<digest>-<ms>`).
    fn local_tags(
        &self,
        repository: &str,
    ) -> impl Future<Output = Result<Vec<String>, BackendError>> + Send;

    /// Runs a Stapel shell stage in a container from `request.from` and commits the result as
    /// `request.tag`, keeping the image's `CMD` and `ENTRYPOINT`.
    fn run_stage(
        &self,
        request: crate::stapel::run::StageRun,
        log: LogSink,
    ) -> impl Future<Output = Result<Built, BackendError>> + Send;

    /// Removes a local reference (the image stays while other references hold it).
    fn untag(&self, reference: &str) -> impl Future<Output = Result<(), BackendError>> + Send;
}
