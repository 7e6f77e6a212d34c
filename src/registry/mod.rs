//! Registry client over the OCI distribution API: tag listing with pagination, manifests, blob
//! copy between repos (cross-repo mount with fallback), and docker config.json credentials.

mod client;
mod credentials;
mod error;
mod manifest;
mod names;

use std::path::PathBuf;
use std::time::Duration;

use crate::secret::Credentials;

pub use client::RegistryClient;
pub(crate) use client::is_plain_http;
pub use error::{ANONYMOUS, RegistryError};
pub use names::{DOCKER_HUB, ImageRef, RepoName, Tag};

/// How to reach registries.
#[derive(Debug, Clone)]
pub struct RegistryConfig {
    /// The Docker client config directory (holds config.json); None: no stored credentials.
    pub docker_config: Option<PathBuf>,
    /// Registries reached over plain HTTP (besides localhost, 127.0.0.1 and [::1]), as
    /// `host[:port]`; a bare host covers every port.
    pub insecure: Vec<String>,
    /// Credentials given in-process (from the CI environment), by registry host; they win over
    /// the docker config.
    pub credentials: Vec<(String, Credentials)>,
    /// Where to look for `docker-credential-*` helpers; None: the process PATH (resolved by the
    /// OS when the helper starts, so the library reads no environment).
    pub helper_path: Option<Vec<PathBuf>>,
    /// Tags asked for per page when listing.
    pub page_size: usize,
    /// The longest a request may wait for the registry (per read while streaming blobs).
    pub timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            docker_config: None,
            insecure: Vec::new(),
            credentials: Vec::new(),
            helper_path: None,
            page_size: 1000,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
        }
    }
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
