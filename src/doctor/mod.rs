//! `slipway doctor`: checks whether this machine (or container) can build with the chosen
//! backend, each check with a fix. Checks read a [`SystemRoot`] given as data, so tests run them
//! against fake roots; the registry check goes through [`RegistryProbe`], which the CLI supplies.

mod checks;
mod probe;
mod render;
#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use checks::{StorageFactsBuf, find_on_path, host_facts, storage_facts};
pub use probe::ClientProbe;
pub use render::{render_json, render_text};

use crate::backend::buildah::mode::{self, BackendChoice};

/// Where the checks look: the machine's `/proc`, `/sys`, `/dev` and `/` (or a fake tree), the
/// directories of `PATH`, and the environment facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemRoot {
    pub proc: PathBuf,
    pub sys: PathBuf,
    pub dev: PathBuf,
    /// The file system root: `/.dockerenv`, `/run/.containerenv`, `/etc/os-release`,
    /// `/var/run/docker.sock`.
    pub root: PathBuf,
    pub path: Vec<PathBuf>,
    pub env: EnvFacts,
}

/// The environment the checks depend on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvFacts {
    pub uid: u32,
    pub werf_containerized: Option<String>,
    pub werf_buildah_mode: Option<String>,
    pub werf_buildah_storage_driver: Option<String>,
    pub docker_host: Option<String>,
}

impl SystemRoot {
    /// This machine, as this process sees it.
    pub fn host() -> SystemRoot {
        use crate::environment;
        SystemRoot {
            proc: "/proc".into(),
            sys: "/sys".into(),
            dev: "/dev".into(),
            root: "/".into(),
            path: environment::path_dirs(),
            env: EnvFacts {
                uid: rustix::process::getuid().as_raw(),
                werf_containerized: environment::werf_containerized(),
                werf_buildah_mode: environment::werf_buildah_mode(),
                werf_buildah_storage_driver: environment::werf_buildah_storage_driver(),
                docker_host: environment::docker_host(),
            },
        }
    }

    /// A path below [`SystemRoot::root`] (`rel` without the leading `/`).
    fn under_root(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn proc_file(&self, rel: &str) -> PathBuf {
        self.proc.join(rel)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warn,
    Fail,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warn => "warn",
            Status::Fail => "fail",
        }
    }
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    pub status: Status,
    pub detail: String,
    /// What to change; `None` when there is nothing to do.
    pub fix: Option<String>,
}

impl Check {
    fn new(name: &str, status: Status, detail: impl Into<String>, fix: Option<String>) -> Check {
        Check {
            name: name.to_string(),
            status,
            detail: detail.into(),
            fix,
        }
    }

    fn ok(name: &str, detail: impl Into<String>) -> Check {
        Check::new(name, Status::Ok, detail, None)
    }
}

/// Which backend to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DoctorBackend {
    Docker,
    Buildah,
}

/// What the user asked `doctor` for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DoctorRequest {
    /// `--backend`; without it, `WERF_BUILDAH_MODE` decides as it does for builds.
    pub backend: Option<DoctorBackend>,
    /// `--repo`: also check the registry and the credentials for it.
    pub repo: Option<String>,
}

/// How credentials fared against the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialsOutcome {
    /// The registry accepted the credentials from `source` for pushing to the repo.
    Accepted { source: String },
    /// No credentials are configured for the registry; it was reached anonymously.
    Anonymous,
}

/// The registry part of `doctor --repo`, supplied by the CLI from the registry client (kept out
/// of this module so the checks stay synchronous and testable without a registry).
pub trait RegistryProbe {
    /// Reaches the registry of `repo`: `Ok(detail)` (e.g. what `/v2/` answered) or `Err(why not)`.
    fn reach(&self, repo: &str) -> Result<String, String>;
    /// Authenticates for pushing to `repo`; `Err` carries the registry's refusal, naming the
    /// credentials' source but never the secret.
    fn authenticate(&self, repo: &str) -> Result<CredentialsOutcome, String>;
}

/// Every check's result, in the order they ran.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    /// 1 when any check failed, else 0 (warnings do not fail).
    pub fn exit_code(&self) -> u8 {
        u8::from(self.checks.iter().any(|c| c.status == Status::Fail))
    }
}

/// Runs the checks for the requested backend (and the registry, with a repo and a probe).
pub fn run(
    system: &SystemRoot,
    request: &DoctorRequest,
    probe: Option<&dyn RegistryProbe>,
) -> Report {
    let mut checks = Vec::new();
    let flag = request.backend.map(|b| match b {
        DoctorBackend::Docker => "docker",
        DoctorBackend::Buildah => "buildah",
    });
    let choice = mode::parse_backend(flag, system.env.werf_buildah_mode.as_deref());
    match choice {
        Ok(BackendChoice::Docker) => {
            checks.push(Check::ok("backend", "docker (the Docker engine)"));
            checks.push(checks::container(system));
            checks.extend(checks::docker_engine(system));
        }
        Ok(BackendChoice::Buildah(requested)) => {
            checks.push(checks::backend(system, requested));
            checks.extend(checks::buildah(system));
        }
        Err(e) => {
            checks.push(Check::new(
                "backend",
                Status::Fail,
                e.to_string(),
                Some(
                    "set WERF_BUILDAH_MODE to auto, native-chroot or native-rootless, or unset it"
                        .into(),
                ),
            ));
            checks.extend(checks::buildah(system));
        }
    }
    if let Some(repo) = request.repo.as_deref() {
        checks.extend(checks::registry(repo, probe));
    }
    Report { checks }
}

/// Reads a small text file, `None` when it cannot be read (missing, or refused as
/// `/proc/self/attr/current` is without an LSM).
fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// `--output` of `slipway doctor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DoctorOutput {
    Text,
    Json,
}

/// `slipway doctor`'s arguments, for the CLI to flatten into its subcommand.
#[derive(Debug, Clone, clap::Args)]
pub struct DoctorArgs {
    /// The backend to check (default: WERF_BUILDAH_MODE decides, as for builds).
    #[arg(long, value_enum)]
    pub backend: Option<DoctorBackend>,
    /// Also check that this repo's registry answers and accepts the credentials.
    #[arg(long, env = "WERF_REPO")]
    pub repo: Option<String>,
    #[arg(long, value_enum, default_value = "text")]
    pub output: DoctorOutput,
}

/// Runs the checks on this machine, writes them to `out` and returns the exit code (1 when a
/// check failed). `probe` is the registry client's seam; `None` reports the registry unchecked.
pub fn main(
    args: &DoctorArgs,
    probe: Option<&dyn RegistryProbe>,
    out: &mut dyn std::io::Write,
) -> std::io::Result<u8> {
    let request = DoctorRequest {
        backend: args.backend,
        repo: args.repo.clone().filter(|r| !r.is_empty()),
    };
    let report = run(&SystemRoot::host(), &request, probe);
    let text = match args.output {
        DoctorOutput::Text => render_text(&report),
        DoctorOutput::Json => render_json(&report),
    };
    out.write_all(text.as_bytes())?;
    Ok(report.exit_code())
}

/// `slipway doctor` for the CLI: [`main`] on standard output with the real registry client
/// (credentials from `DOCKER_CONFIG` or `~/.docker`); a failed check is an error (exit 1).
pub fn run_cli(args: &DoctorArgs) -> Result<(), crate::Error> {
    use crate::registry::{RegistryClient, RegistryConfig};
    let probe = args
        .repo
        .as_ref()
        .map(|_| {
            ClientProbe::new(RegistryClient::new(RegistryConfig {
                docker_config: crate::environment::docker_config_dir(),
                ..RegistryConfig::default()
            }))
        })
        .transpose()
        .map_err(crate::Error::Output)?;
    let mut out = std::io::stdout().lock();
    let code = main(
        args,
        probe.as_ref().map(|p| p as &dyn RegistryProbe),
        &mut out,
    )
    .map_err(crate::Error::Output)?;
    if code == 0 {
        Ok(())
    } else {
        Err(crate::Error::ChecksFailed)
    }
}
