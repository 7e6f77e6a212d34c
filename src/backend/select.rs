//! Picks the build engine from `--backend` and `WERF_BUILDAH_MODE` and hides which one it is
//! behind [`SelectedBackend`], so the CLI calls the generic build once for either.

use super::buildah::mode::{self, BackendChoice};
use super::buildah::{self, BuildahBackend, BuildahRequest};
use super::capability::{Builder, DockerBuilderChoice};
use super::docker::DockerBackend;
use super::{Backend, BackendError, BuildRequest, Built, ImageInfo, LogSink};
use crate::environment;
use crate::secret::Credentials;

/// The engine a run builds with.
pub enum SelectedBackend {
    Docker(DockerBackend),
    Buildah(BuildahBackend),
}

/// The backend `flag` (`--backend`) and `WERF_BUILDAH_MODE` ask for. buildah needs `repo`
/// (it has no local storage mode); the Docker engine is connected to and pinged, and builds
/// with the builder `docker_builder` gives on it.
pub async fn select(
    flag: Option<&str>,
    repo: Option<&str>,
    insecure: &[String],
    docker_builder: &DockerBuilderChoice,
) -> Result<SelectedBackend, BackendError> {
    let choice = mode::parse_backend(flag, environment::werf_buildah_mode().as_deref())
        .map_err(buildah::setup::SetupError::from)?;
    match choice {
        BackendChoice::Docker => Ok(SelectedBackend::Docker(
            DockerBackend::connect(environment::docker_host().as_deref())
                .await?
                .with_builder(docker_builder)
                .with_cli(
                    environment::docker_cli(),
                    environment::docker_config_dir().map(|d| d.join("cli-plugins")),
                    environment::temp_dir(),
                ),
        )),
        BackendChoice::Buildah(requested) => {
            mode::require_repo(repo).map_err(buildah::setup::SetupError::from)?;
            Ok(SelectedBackend::Buildah(buildah::from_environment(
                BuildahRequest {
                    mode: requested,
                    insecure: insecure.to_vec(),
                },
            )?))
        }
    }
}

/// The builder `plan` can check the images against without building: buildah's, asked for
/// its version, when `flag` or `WERF_BUILDAH_MODE` selects buildah; the classic builder when
/// it was forced. `None` when only the engine can tell (its version decides), which `build`
/// checks once it has connected.
pub async fn known_builder(
    flag: Option<&str>,
    docker_builder: &DockerBuilderChoice,
) -> Result<Option<Builder>, BackendError> {
    let choice = mode::parse_backend(flag, environment::werf_buildah_mode().as_deref())
        .map_err(buildah::setup::SetupError::from)?;
    match (choice, docker_builder) {
        (BackendChoice::Buildah(requested), _) => {
            let backend = buildah::from_environment(BuildahRequest {
                mode: requested,
                insecure: Vec::new(),
            })?;
            Ok(Some(backend.builder().await?))
        }
        (BackendChoice::Docker, DockerBuilderChoice::Classic(_)) => {
            Ok(Some(super::capability::docker_builder(docker_builder, "")))
        }
        (BackendChoice::Docker, _) => Ok(None),
    }
}

impl Backend for SelectedBackend {
    fn name(&self) -> &'static str {
        match self {
            SelectedBackend::Docker(b) => b.name(),
            SelectedBackend::Buildah(b) => b.name(),
        }
    }

    async fn builder(&self) -> Result<Builder, BackendError> {
        match self {
            SelectedBackend::Docker(b) => b.builder().await,
            SelectedBackend::Buildah(b) => b.builder().await,
        }
    }

    async fn build(&self, request: BuildRequest, log: LogSink) -> Result<Built, BackendError> {
        match self {
            SelectedBackend::Docker(b) => b.build(request, log).await,
            SelectedBackend::Buildah(b) => b.build(request, log).await,
        }
    }

    async fn push(
        &self,
        reference: &str,
        credentials: Option<&Credentials>,
    ) -> Result<String, BackendError> {
        match self {
            SelectedBackend::Docker(b) => b.push(reference, credentials).await,
            SelectedBackend::Buildah(b) => b.push(reference, credentials).await,
        }
    }

    async fn inspect(&self, reference: &str) -> Result<Option<ImageInfo>, BackendError> {
        match self {
            SelectedBackend::Docker(b) => b.inspect(reference).await,
            SelectedBackend::Buildah(b) => b.inspect(reference).await,
        }
    }

    async fn tag(&self, source: &str, target: &str) -> Result<(), BackendError> {
        match self {
            SelectedBackend::Docker(b) => b.tag(source, target).await,
            SelectedBackend::Buildah(b) => b.tag(source, target).await,
        }
    }

    async fn local_tags(&self, repository: &str) -> Result<Vec<String>, BackendError> {
        match self {
            SelectedBackend::Docker(b) => b.local_tags(repository).await,
            SelectedBackend::Buildah(b) => b.local_tags(repository).await,
        }
    }

    async fn run_stage(
        &self,
        request: crate::stapel::run::StageRun,
        log: LogSink,
    ) -> Result<Built, BackendError> {
        match self {
            SelectedBackend::Docker(b) => b.run_stage(request, log).await,
            SelectedBackend::Buildah(b) => b.run_stage(request, log).await,
        }
    }

    async fn untag(&self, reference: &str) -> Result<(), BackendError> {
        match self {
            SelectedBackend::Docker(b) => b.untag(reference).await,
            SelectedBackend::Buildah(b) => b.untag(reference).await,
        }
    }
}
