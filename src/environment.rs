//! The process environment, read in one place: werf's prefixed `WERF_*` variables and the
//! Docker/SSH settings the build needs. Everything else in the library takes values as arguments.

use std::path::PathBuf;

/// Values of every variable named `<prefix><anything>` (werf's `WERF_SECONDARY_REPO_<ANY>`
/// style), ordered by variable name so runs are repeatable.
pub fn prefixed(prefix: &str) -> Vec<String> {
    let mut vars: Vec<(String, String)> = std::env::vars()
        .filter(|(k, v)| k.starts_with(prefix) && k.len() > prefix.len() && !v.is_empty())
        .collect();
    vars.sort();
    vars.into_iter().map(|(_, v)| v).collect()
}

/// `DOCKER_BUILDKIT`, when set (`0` asks for the engine's classic builder).
pub fn docker_buildkit() -> Option<String> {
    std::env::var("DOCKER_BUILDKIT").ok()
}

/// `DOCKER_HOST`, when set.
pub fn docker_host() -> Option<String> {
    std::env::var("DOCKER_HOST").ok().filter(|v| !v.is_empty())
}

/// The Docker client configuration directory: `DOCKER_CONFIG`, else `~/.docker`.
pub fn docker_config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".docker"))
}

/// The SSH agent socket to forward into builds that ask for it.
pub fn ssh_auth_sock() -> Option<PathBuf> {
    std::env::var_os("SSH_AUTH_SOCK")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Where `:local` synchronization keeps its lock files: shared by every slipway run of this
/// user on this host.
pub fn lock_dir() -> PathBuf {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let uid = rustix::process::getuid().as_raw();
    base.join(format!("slipway-{uid}")).join("locks")
}

/// werf's home (`WERF_HOME`, else `~/.werf`): Stapel `build_dir` mounts live in its
/// `shared_context/mounts/projects`, as werf keeps them.
pub fn stapel_shared_mounts() -> PathBuf {
    let home = non_empty("WERF_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map_or_else(
                    || temp_dir().join("werf"),
                    |h| PathBuf::from(h).join(".werf"),
                )
        });
    home.join("shared_context").join("mounts").join("projects")
}

/// Every variable of the process, for the CI integrations (which pick what they need).
pub fn vars() -> Vec<(String, String)> {
    std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect()
}

/// Where private temporary files go: the runner's temp dir in GitHub Actions, else TMPDIR.
pub fn temp_dir() -> PathBuf {
    std::env::var_os("RUNNER_TEMP")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir)
}

fn non_empty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// werf's `WERF_BUILDAH_MODE` (see `backend::buildah::mode::parse_backend`).
pub fn werf_buildah_mode() -> Option<String> {
    non_empty("WERF_BUILDAH_MODE")
}

/// werf's `WERF_BUILDAH_STORAGE_DRIVER` (`overlay` or `vfs`).
pub fn werf_buildah_storage_driver() -> Option<String> {
    non_empty("WERF_BUILDAH_STORAGE_DRIVER")
}

/// werf's `WERF_BUILDAH_ULIMIT` (comma-separated `type=soft[:hard]`).
pub fn werf_buildah_ulimit() -> Option<String> {
    non_empty("WERF_BUILDAH_ULIMIT")
}

/// `WERF_CONTAINERIZED` (`yes` when running in a container).
pub fn werf_containerized() -> Option<String> {
    non_empty("WERF_CONTAINERIZED")
}

/// `SLIPWAY_BUILDAH_ROOT`: a directory that holds buildah's image storage (`storage/`) and
/// runtime state (`run/`) instead of buildah's defaults, e.g. a volume, or a temporary
/// directory in tests.
pub fn slipway_buildah_root() -> Option<PathBuf> {
    std::env::var_os("SLIPWAY_BUILDAH_ROOT")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// `CONTAINERS_REGISTRIES_CONF`: the registries.conf buildah would read instead of the system's.
pub fn containers_registries_conf() -> Option<PathBuf> {
    std::env::var_os("CONTAINERS_REGISTRIES_CONF")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The directories of `PATH`, in order.
pub fn path_dirs() -> Vec<PathBuf> {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default()
}

/// The docker CLI for builds that forward an SSH agent: `SLIPWAY_DOCKER_CLI`, else `docker`.
pub fn docker_cli() -> PathBuf {
    std::env::var_os("SLIPWAY_DOCKER_CLI")
        .filter(|v| !v.is_empty())
        .map_or_else(|| PathBuf::from("docker"), PathBuf::from)
}
