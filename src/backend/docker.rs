//! The Docker engine backend (bollard): builds from the streamed context tar, pushes with the
//! registry credentials, and inspects, tags and lists local images.

use super::{Backend, BackendError, BuildRequest, Built, ImageInfo, LogSink};
use crate::secret::Credentials;

pub struct DockerBackend {
    client: bollard::Docker,
    address: String,
}

impl DockerBackend {
    /// Connects to `docker_host` (`DOCKER_HOST`'s value) or the default socket and checks
    /// that the engine answers.
    pub async fn connect(docker_host: Option<&str>) -> Result<Self, BackendError> {
        let _ = docker_host;
        todo!()
    }
}

impl Backend for DockerBackend {
    fn name(&self) -> &'static str {
        "docker"
    }

    async fn build(&self, request: BuildRequest, log: LogSink) -> Result<Built, BackendError> {
        let _ = (request, log, &self.client, &self.address);
        todo!()
    }

    async fn push(
        &self,
        reference: &str,
        credentials: Option<&Credentials>,
    ) -> Result<String, BackendError> {
        let _ = (reference, credentials);
        todo!()
    }

    async fn inspect(&self, reference: &str) -> Result<Option<ImageInfo>, BackendError> {
        let _ = reference;
        todo!()
    }

    async fn tag(&self, source: &str, target: &str) -> Result<(), BackendError> {
        let _ = (source, target);
        todo!()
    }

    async fn local_tags(&self, repository: &str) -> Result<Vec<String>, BackendError> {
        let _ = repository;
        todo!()
    }

    async fn untag(&self, reference: &str) -> Result<(), BackendError> {
        let _ = reference;
        todo!()
    }
}
