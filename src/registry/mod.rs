//! Registry client over the OCI distribution API: tag listing with pagination, manifests, blob
//! copy between repos (cross-repo mount with fallback), and docker config.json credentials.

use std::fmt;
use std::path::PathBuf;

use crate::secret::Credentials;

/// A repository: `host[:port]/path` (Docker Hub names are expanded to `docker.io/...`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoName {
    registry: String,
    path: String,
    full: String,
}

impl RepoName {
    pub fn parse(s: &str) -> Result<Self, String> {
        let _ = s;
        todo!()
    }

    /// The whole name as the user wrote it (normalized).
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// `host[:port]`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The path inside the registry.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

/// A valid Docker tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    pub fn parse(s: &str) -> Result<Self, String> {
        let _ = s;
        todo!()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `<repo>:<tag>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    pub repo: RepoName,
    pub tag: Tag,
}

impl ImageRef {
    pub fn new(repo: RepoName, tag: Tag) -> Self {
        Self { repo, tag }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.repo, self.tag)
    }
}

/// How to reach registries.
#[derive(Debug, Clone, Default)]
pub struct RegistryConfig {
    /// The Docker client config directory (holds config.json); None: no stored credentials.
    pub docker_config: Option<PathBuf>,
    /// Registries reached over plain HTTP (besides localhost and 127.0.0.1).
    pub insecure: Vec<String>,
    /// Credentials given in-process (from the CI environment), by registry host; they win over
    /// the docker config.
    pub credentials: Vec<(String, Credentials)>,
}

/// What the registry says of an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteImage {
    /// The manifest digest (`sha256:…`).
    pub digest: String,
    /// The config digest (`sha256:…`), i.e. the image ID.
    pub image_id: String,
    /// Config plus layer sizes, in bytes.
    pub size: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("registry {registry}: {message}")]
    Other { registry: String, message: String },
}

impl RegistryError {
    /// The image the run just published or found is not there.
    pub fn missing(image: &ImageRef) -> Self {
        let _ = image;
        todo!()
    }
}

/// A registry client shared by a run (connections and tokens are reused).
#[derive(Clone)]
pub struct RegistryClient {
    config: RegistryConfig,
}

impl RegistryClient {
    pub fn new(config: RegistryConfig) -> Self {
        Self { config }
    }

    /// Every tag of `repo` (all pages); an absent repo has none.
    pub async fn list_tags(&self, repo: &RepoName) -> Result<Vec<Tag>, RegistryError> {
        let _ = (repo, &self.config);
        todo!()
    }

    /// Copies `from` to `to` registry-side (manifest and blobs; never through an engine).
    pub async fn copy(&self, from: &ImageRef, to: &ImageRef) -> Result<(), RegistryError> {
        let _ = (from, to);
        todo!()
    }

    /// Describes `image`; None when the tag does not exist.
    pub async fn describe(&self, image: &ImageRef) -> Result<Option<RemoteImage>, RegistryError> {
        let _ = image;
        todo!()
    }

    /// Puts `image`'s manifest under another tag of the same repo.
    pub async fn add_tag(&self, image: &ImageRef, tag: &Tag) -> Result<(), RegistryError> {
        let _ = (image, tag);
        todo!()
    }

    /// The credentials for `registry` (host[:port]), None for anonymous access.
    pub async fn credentials(&self, registry: &str) -> Result<Option<Credentials>, RegistryError> {
        let _ = registry;
        todo!()
    }
}
