//! Sets the buildah backend up from werf's variables and this machine: the mode, the storage
//! driver and the ulimits are resolved with the same facts `slipway doctor` reports, so a build
//! and the doctor never disagree.

use std::path::PathBuf;

use super::backend::{BuildahBackend, BuildahConfig, SYSTEM_REGISTRIES_CONF};
use super::command::GlobalSettings;
use super::mode::{self, ModeError, RequestedMode};
use super::storage::{self, StorageError};
use super::ulimit::{self, UlimitError};
use crate::doctor::{self, SystemRoot};
use crate::environment;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Mode(#[from] ModeError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Ulimit(#[from] UlimitError),
    #[error(
        "the buildah backend needs the `buildah` program, and it is not on PATH ({path}); install \
         it (`apt-get install buildah fuse-overlayfs uidmap`), or build with the Docker engine \
         (--backend docker)"
    )]
    BuildahMissing { path: String },
}

/// What the caller decided; the rest comes from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildahRequest {
    pub mode: RequestedMode,
    /// Registries reached over plain HTTP besides loopback (`--insecure-registry`).
    pub insecure: Vec<String>,
}

/// The backend for `request` on this machine, configured from `WERF_BUILDAH_STORAGE_DRIVER`,
/// `WERF_BUILDAH_ULIMIT` and `SLIPWAY_BUILDAH_ROOT`.
pub fn from_environment(request: BuildahRequest) -> Result<BuildahBackend, SetupError> {
    let system = SystemRoot::host();
    let resolved = mode::resolve(request.mode, doctor::host_facts(&system))?;
    let driver_request =
        storage::parse_driver(environment::werf_buildah_storage_driver().as_deref())?;
    let mut facts = doctor::storage_facts(&system);
    facts.rootless = resolved.rootless;
    let driver = storage::select_driver(driver_request, &facts.facts())?;
    let ulimits = ulimit::parse_ulimits(&environment::werf_buildah_ulimit().unwrap_or_default())?;
    let program = doctor::find_on_path(&system.path, "buildah").ok_or_else(|| {
        SetupError::BuildahMissing {
            path: system
                .path
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(":"),
        }
    })?;
    let root = environment::slipway_buildah_root();
    Ok(BuildahBackend::new(BuildahConfig {
        globals: GlobalSettings {
            driver,
            root: root.as_ref().map(|r| r.join("storage")),
            runroot: root.as_ref().map(|r| r.join("run")),
        },
        isolation: resolved.isolation,
        ulimits,
        temp_dir: environment::temp_dir(),
        insecure: request.insecure,
        registries_conf: environment::containers_registries_conf()
            .unwrap_or_else(|| PathBuf::from(SYSTEM_REGISTRIES_CONF)),
        program,
    }))
}
