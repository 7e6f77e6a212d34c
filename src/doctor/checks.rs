//! The individual checks, each a function of the [`SystemRoot`] alone, plus the machine facts the
//! buildah backend resolves its mode and storage driver from (the same reading, so `doctor` and a
//! build never disagree).

use std::io::{Read, Write};
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Check, CredentialsOutcome, RegistryProbe, Status, SystemRoot, read};
use crate::backend::buildah::mode::{self, HostFacts, RequestedMode};
use crate::backend::buildah::storage::{
    self, KernelVersion, ROOTLESS_OVERLAY, ROOTLESS_OVERLAY_PATCHED, StorageDriver, StorageFacts,
};

const USERNS_CLONE: &str = "sys/kernel/unprivileged_userns_clone";
const MAX_USERNS: &str = "sys/user/max_user_namespaces";
/// werf's recommendation for `user.max_user_namespaces`.
pub const MAX_USERNS_WANTED: u64 = 15000;

const SECCOMP_FIX: &str = "run the container with `--security-opt seccomp=unconfined` (Kubernetes: \
     `securityContext.seccompProfile.type: Unconfined`), or privileged (`--privileged`)";
const APPARMOR_FIX: &str = "run the container with `--security-opt apparmor=unconfined` \
     (Kubernetes: the Pod annotation \
     `container.apparmor.security.beta.kubernetes.io/<container>: unconfined`), or privileged \
     (`--privileged`)";

/// The first executable file called `name` in the PATH directories.
pub fn find_on_path(path: &[PathBuf], name: &str) -> Option<PathBuf> {
    path.iter().map(|dir| dir.join(name)).find(|candidate| {
        std::fs::metadata(candidate)
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    })
}

fn container_markers(system: &SystemRoot) -> Vec<String> {
    let mut markers = Vec::new();
    for rel in [".dockerenv", "run/.containerenv"] {
        if system.under_root(rel).exists() {
            markers.push(format!("/{rel}"));
        }
    }
    if let Some(v) = system.env.werf_containerized.as_deref()
        && matches!(v.to_ascii_lowercase().as_str(), "yes" | "true" | "1")
    {
        markers.push(format!("WERF_CONTAINERIZED={v}"));
    }
    markers
}

fn read_number(path: &Path) -> Option<u64> {
    read(path)?.trim().parse().ok()
}

/// What the buildah mode depends on, read from `system`.
pub fn host_facts(system: &SystemRoot) -> HostFacts {
    // An unreadable sysctl proves nothing, so only a readable 0 counts against user namespaces.
    let max = read_number(&system.proc_file(MAX_USERNS));
    let clone = read_number(&system.proc_file(USERNS_CLONE));
    HostFacts {
        uid: system.env.uid,
        in_container: !container_markers(system).is_empty(),
        user_namespaces: max != Some(0) && clone != Some(0),
        oci_runtime: find_on_path(&system.path, "runc").is_some()
            || find_on_path(&system.path, "crun").is_some(),
    }
}

/// Owned storage facts, read from `system`; [`StorageFactsBuf::facts`] borrows them for
/// `storage::select_driver`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageFactsBuf {
    pub kernel_release: String,
    pub os_id: Option<String>,
    pub proc_filesystems: String,
    pub fuse_overlayfs: Option<PathBuf>,
    pub rootless: bool,
}

impl StorageFactsBuf {
    pub fn facts(&self) -> StorageFacts<'_> {
        StorageFacts {
            kernel_release: &self.kernel_release,
            os_id: self.os_id.as_deref(),
            proc_filesystems: &self.proc_filesystems,
            fuse_overlayfs: self.fuse_overlayfs.as_deref(),
            rootless: self.rootless,
        }
    }
}

fn os_id(system: &SystemRoot) -> Option<String> {
    let text = read(&system.under_root("etc/os-release"))?;
    text.lines().find_map(|line| {
        let value = line.strip_prefix("ID=")?;
        Some(value.trim().trim_matches(['"', '\'']).to_string())
    })
}

pub fn storage_facts(system: &SystemRoot) -> StorageFactsBuf {
    StorageFactsBuf {
        kernel_release: read(&system.proc_file("sys/kernel/osrelease"))
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
        os_id: os_id(system),
        proc_filesystems: read(&system.proc_file("filesystems")).unwrap_or_default(),
        fuse_overlayfs: find_on_path(&system.path, "fuse-overlayfs"),
        rootless: system.env.uid != 0,
    }
}

pub(super) fn backend(system: &SystemRoot, requested: RequestedMode) -> Check {
    match mode::resolve(requested, host_facts(system)) {
        Ok(resolved) => Check::ok(
            "backend",
            format!(
                "buildah, mode {} ({} isolation, {})",
                requested.as_str(),
                resolved.isolation.as_str(),
                if resolved.rootless {
                    "rootless: slipway is not root"
                } else {
                    "as root"
                }
            ),
        ),
        Err(e) => Check::new(
            "backend",
            Status::Fail,
            e.to_string(),
            Some("follow the advice above; the checks below show what this machine allows".into()),
        ),
    }
}

/// The buildah backend's checks, in the order a reader fixes them.
pub(super) fn buildah(system: &SystemRoot) -> Vec<Check> {
    let facts = storage_facts(system);
    vec![
        kernel(system, &facts),
        overlay(system, &facts),
        fuse(system, &facts),
        storage_driver(system, &facts),
        userns_clone(system),
        max_user_namespaces(system),
        container(system),
        seccomp(system),
        apparmor(system),
        program(
            system,
            "buildah",
            Status::Fail,
            "install buildah (Debian/Ubuntu: `apt-get install buildah`)",
        ),
        oci_runtime(system),
    ]
}

fn kernel(system: &SystemRoot, facts: &StorageFactsBuf) -> Check {
    let path = system.proc_file("sys/kernel/osrelease");
    let release = facts.kernel_release.as_str();
    let Some(version) = KernelVersion::parse(release) else {
        return Check::new(
            "kernel",
            Status::Warn,
            format!("cannot read a kernel version from {}", path.display()),
            Some("check that /proc is mounted".into()),
        );
    };
    if !facts.rootless {
        return Check::ok(
            "kernel",
            format!("{release}: as root, the kernel's overlay works on any version"),
        );
    }
    match storage::native_overlay(&StorageFacts {
        // Only the version matters here; overlay's presence is the next check.
        proc_filesystems: "nodev\toverlay\n",
        ..facts.facts()
    }) {
        Ok(()) => Check::ok(
            "kernel",
            format!("{release}: overlay works without root ({version})"),
        ),
        Err(_) => Check::new(
            "kernel",
            Status::Warn,
            format!(
                "{release}: overlay without root needs {ROOTLESS_OVERLAY} ({ROOTLESS_OVERLAY_PATCHED} \
                 on Ubuntu/Debian, which patched it), so fuse-overlayfs is used instead"
            ),
            Some(format!(
                "use a kernel ≥ {ROOTLESS_OVERLAY} (≥ {ROOTLESS_OVERLAY_PATCHED} on Ubuntu/Debian), \
                 or keep fuse-overlayfs and /dev/fuse available"
            )),
        ),
    }
}

fn overlay(system: &SystemRoot, facts: &StorageFactsBuf) -> Check {
    let path = system.proc_file("filesystems");
    if storage::kernel_has_overlay(&facts.proc_filesystems) {
        Check::ok("overlay", format!("overlay is in {}", path.display()))
    } else {
        Check::new(
            "overlay",
            Status::Warn,
            format!("overlay is not in {}", path.display()),
            Some(
                "load it on the host (`modprobe overlay`), or use fuse-overlayfs with /dev/fuse, or \
                 WERF_BUILDAH_STORAGE_DRIVER=vfs"
                    .into(),
            ),
        )
    }
}

fn fuse(system: &SystemRoot, facts: &StorageFactsBuf) -> Check {
    let device = system.dev.join("fuse");
    let has_device = std::fs::metadata(&device).is_ok_and(|m| m.file_type().is_char_device());
    let program = facts.fuse_overlayfs.as_deref();
    let needed = storage::native_overlay(&facts.facts()).is_err()
        && storage::parse_driver(system.env.werf_buildah_storage_driver.as_deref())
            == Ok(storage::DriverRequest::Overlay);
    let state = format!(
        "{}: {}, fuse-overlayfs: {}",
        device.display(),
        if has_device { "present" } else { "missing" },
        program.map_or_else(|| "not on PATH".to_string(), |p| p.display().to_string())
    );
    if has_device && program.is_some() {
        return Check::ok("fuse", state);
    }
    let mut fixes = Vec::new();
    if !has_device {
        // The module being loaded means the kernel has FUSE and only the device is withheld.
        let kernel_has_fuse = system.sys.join("module/fuse").exists();
        fixes.push(format!(
            "give the container /dev/fuse (`docker run --device /dev/fuse`, or a fuse device \
             plugin resource in Kubernetes){}",
            if kernel_has_fuse {
                ""
            } else {
                " after `modprobe fuse` on the host"
            }
        ));
    }
    if program.is_none() {
        fixes.push("install fuse-overlayfs (`apt-get install fuse-overlayfs`)".into());
    }
    let fix = Some(fixes.join("; "));
    if needed {
        Check::new(
            "fuse",
            Status::Fail,
            format!("{state}; needed, the kernel's overlay does not serve this case"),
            fix,
        )
    } else {
        Check::new(
            "fuse",
            Status::Ok,
            format!("{state}; not needed, the kernel's overlay serves this case"),
            None,
        )
    }
}

fn storage_driver(system: &SystemRoot, facts: &StorageFactsBuf) -> Check {
    let name = "storage driver";
    let request = match storage::parse_driver(system.env.werf_buildah_storage_driver.as_deref()) {
        Ok(r) => r,
        Err(e) => {
            return Check::new(
                name,
                Status::Fail,
                e.to_string(),
                Some("set WERF_BUILDAH_STORAGE_DRIVER to overlay or vfs, or unset it".into()),
            );
        }
    };
    match storage::select_driver(request, &facts.facts()) {
        Ok(StorageDriver::Overlay) => Check::ok(name, "overlay, the kernel's"),
        Ok(StorageDriver::FuseOverlay { mount_program }) => Check::ok(
            name,
            format!("overlay through {}", mount_program.display()),
        ),
        Ok(StorageDriver::Vfs) => Check::new(
            name,
            Status::Warn,
            "vfs (WERF_BUILDAH_STORAGE_DRIVER): every layer is a full copy, which is slow",
            Some("prefer overlay (unset WERF_BUILDAH_STORAGE_DRIVER) where the checks above pass".into()),
        ),
        Err(e) => Check::new(
            name,
            Status::Fail,
            e.to_string(),
            Some("install fuse-overlayfs and give the container /dev/fuse, or set WERF_BUILDAH_STORAGE_DRIVER=vfs".into()),
        ),
    }
}

fn userns_clone(system: &SystemRoot) -> Check {
    let name = "kernel.unprivileged_userns_clone";
    let path = system.proc_file(USERNS_CLONE);
    let fix = Some("on the host: `sysctl -w kernel.unprivileged_userns_clone=1` (and in /etc/sysctl.d/ to keep it)".to_string());
    match read(&path).map(|s| s.trim().to_string()) {
        None => Check::ok(
            name,
            "not on this kernel, so unprivileged user namespaces are not switched off by it",
        ),
        Some(v) if v == "1" => Check::ok(name, "1"),
        Some(v) if system.env.uid == 0 => Check::new(
            name,
            Status::Warn,
            format!("{v}: root does not need it, any other user would"),
            fix,
        ),
        Some(v) => Check::new(
            name,
            Status::Fail,
            format!(
                "{v}: buildah cannot create a user namespace as uid {}",
                system.env.uid
            ),
            fix,
        ),
    }
}

fn max_user_namespaces(system: &SystemRoot) -> Check {
    let name = "user.max_user_namespaces";
    let path = system.proc_file(MAX_USERNS);
    let fix = Some(format!(
        "on the host: `sysctl -w user.max_user_namespaces={MAX_USERNS_WANTED}` (and in /etc/sysctl.d/ to keep it)"
    ));
    match read_number(&path) {
        None => Check::new(
            name,
            Status::Warn,
            format!("cannot read {}", path.display()),
            None,
        ),
        Some(n) if n >= MAX_USERNS_WANTED => Check::ok(name, n.to_string()),
        Some(0) if system.env.uid != 0 => Check::new(
            name,
            Status::Fail,
            format!(
                "0: user namespaces are switched off, and buildah needs one as uid {}",
                system.env.uid
            ),
            fix,
        ),
        Some(n) => Check::new(
            name,
            Status::Warn,
            format!("{n}: below {MAX_USERNS_WANTED}, parallel builds may run out"),
            fix,
        ),
    }
}

pub(super) fn container(system: &SystemRoot) -> Check {
    let markers = container_markers(system);
    if markers.is_empty() {
        Check::ok(
            "container",
            "no (no /.dockerenv, /run/.containerenv or WERF_CONTAINERIZED=yes)",
        )
    } else {
        Check::ok("container", format!("yes ({})", markers.join(", ")))
    }
}

fn seccomp(system: &SystemRoot) -> Check {
    let path = system.proc_file("self/status");
    let mode = read(&path).and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("Seccomp:").map(|v| v.trim().to_string()))
    });
    match mode.as_deref() {
        None => Check::new(
            "seccomp",
            Status::Warn,
            format!("no Seccomp: line in {}", path.display()),
            None,
        ),
        Some("0") => Check::ok("seccomp", "disabled (mode 0)"),
        Some("2") => Check::new(
            "seccomp",
            Status::Warn,
            "filtering (mode 2): a container's default profile refuses the unshare and mount calls buildah makes",
            Some(SECCOMP_FIX.into()),
        ),
        Some(m) => Check::new(
            "seccomp",
            Status::Fail,
            format!("mode {m} (strict): nothing but read, write and exit is allowed"),
            Some(SECCOMP_FIX.into()),
        ),
    }
}

fn apparmor(system: &SystemRoot) -> Check {
    // Kernels with stacked LSMs expose AppArmor's own file; older ones only the shared one.
    let label = ["self/attr/apparmor/current", "self/attr/current"]
        .iter()
        .find_map(|rel| read(&system.proc_file(rel)))
        .map(|s| s.trim_end_matches(['\0', '\n']).trim().to_string());
    match label.as_deref() {
        None | Some("") => Check::ok("apparmor", "not in use"),
        Some("unconfined") => Check::ok("apparmor", "unconfined"),
        Some(l) if l.ends_with("(complain)") => Check::ok("apparmor", format!("{l}: only logs")),
        Some(l) => Check::new(
            "apparmor",
            Status::Warn,
            format!("profile {l}: it refuses the mounts buildah makes"),
            Some(APPARMOR_FIX.into()),
        ),
    }
}

fn program(system: &SystemRoot, name: &str, missing: Status, fix: &str) -> Check {
    match find_on_path(&system.path, name) {
        Some(p) => Check::ok(name, p.display().to_string()),
        None => Check::new(name, missing, "not on PATH", Some(fix.into())),
    }
}

fn oci_runtime(system: &SystemRoot) -> Check {
    let found: Vec<String> = ["runc", "crun"]
        .iter()
        .filter_map(|n| find_on_path(&system.path, n))
        .map(|p| p.display().to_string())
        .collect();
    if found.is_empty() {
        Check::new(
            "oci runtime",
            Status::Warn,
            "neither runc nor crun is on PATH: chroot isolation (auto, native-chroot) does not need one, native-rootless does",
            Some("install runc or crun (`apt-get install runc`)".into()),
        )
    } else {
        Check::ok("oci runtime", found.join(", "))
    }
}

/// Where the Docker engine listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DockerAddress {
    Unix(PathBuf),
    Tcp(String),
    Unsupported(String),
}

pub(super) fn docker_address(system: &SystemRoot) -> DockerAddress {
    match system.env.docker_host.as_deref() {
        None => DockerAddress::Unix(system.under_root("var/run/docker.sock")),
        Some(h) => {
            if let Some(p) = h.strip_prefix("unix://") {
                DockerAddress::Unix(p.into())
            } else if let Some(a) = h.strip_prefix("tcp://") {
                DockerAddress::Tcp(a.trim_end_matches('/').to_string())
            } else {
                DockerAddress::Unsupported(h.to_string())
            }
        }
    }
}

const PING_TIMEOUT: Duration = Duration::from_secs(3);

/// `GET /_ping` over an open connection; `Ok` carries the API version when the engine sends it.
pub(super) fn ping<S: Read + Write>(mut stream: S) -> Result<Option<String>, String> {
    stream
        .write_all(b"GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("sending GET /_ping: {e}"))?;
    let mut response = Vec::new();
    stream
        .take(64 * 1024)
        .read_to_end(&mut response)
        .map_err(|e| format!("reading the answer to GET /_ping: {e}"))?;
    let text = String::from_utf8_lossy(&response);
    let status = text.lines().next().unwrap_or("").trim();
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(format!("GET /_ping answered \"{status}\""));
    }
    Ok(text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case("api-version")
            .then(|| v.trim().to_string())
    }))
}

/// A connection to the engine at `address`, with timeouts.
fn connect(address: &DockerAddress) -> Result<Box<dyn ReadWrite>, String> {
    match address {
        DockerAddress::Unix(path) => std::os::unix::net::UnixStream::connect(path)
            .map_err(|e| format!("cannot connect: {e}"))
            .map(|s| {
                let _ = s.set_read_timeout(Some(PING_TIMEOUT));
                let _ = s.set_write_timeout(Some(PING_TIMEOUT));
                Box::new(s) as Box<dyn ReadWrite>
            }),
        DockerAddress::Tcp(addr) => std::net::ToSocketAddrs::to_socket_addrs(addr.as_str())
            .map_err(|e| format!("cannot resolve: {e}"))
            .and_then(|mut addrs| addrs.next().ok_or_else(|| "no address".to_string()))
            .and_then(|a| {
                std::net::TcpStream::connect_timeout(&a, PING_TIMEOUT)
                    .map_err(|e| format!("cannot connect: {e}"))
            })
            .map(|s| {
                let _ = s.set_read_timeout(Some(PING_TIMEOUT));
                let _ = s.set_write_timeout(Some(PING_TIMEOUT));
                Box::new(s) as Box<dyn ReadWrite>
            }),
        DockerAddress::Unsupported(h) => Err(format!("{h} is not checked")),
    }
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// The engine's version, from `GET /version`.
fn engine_version<S: Read + Write>(mut stream: S) -> Result<String, String> {
    stream
        .write_all(b"GET /version HTTP/1.0\r\nHost: docker\r\n\r\n")
        .map_err(|e| format!("sending GET /version: {e}"))?;
    let mut response = Vec::new();
    stream
        .take(256 * 1024)
        .read_to_end(&mut response)
        .map_err(|e| format!("reading the answer to GET /version: {e}"))?;
    let text = String::from_utf8_lossy(&response);
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    #[derive(serde::Deserialize)]
    struct Version {
        #[serde(rename = "Version")]
        version: String,
    }
    serde_json::from_str::<Version>(body.trim())
        .map(|v| v.version)
        .map_err(|e| format!("GET /version answered no version: {e}"))
}

/// Whether builds get BuildKit: an engine of 23.0 or later and a docker CLI with buildx
/// (`buildx` is `docker buildx version`'s output, or why it failed).
pub(super) fn buildkit(version: &str, buildx: Result<String, String>) -> Check {
    let name = "buildkit";
    match crate::backend::capability::docker_builder(
        &crate::backend::capability::DockerBuilderChoice::Auto,
        version,
    ) {
        crate::backend::capability::Builder::BuildKit => match buildx {
            Ok(buildx) => Check::ok(
                name,
                format!("engine {version}: builds use BuildKit, through {buildx}"),
            ),
            Err(e) => Check::new(
                name,
                Status::Fail,
                format!("engine {version} has BuildKit, but the docker CLI cannot drive it: {e}"),
                Some(
                    "install the docker CLI and its buildx plugin (Debian: docker-cli and \
                     docker-buildx; scripts/setup does this), or set SLIPWAY_DOCKER_CLI"
                        .to_string(),
                ),
            ),
        },
        _ => Check::new(
            name,
            Status::Warn,
            format!(
                "engine {version} is older than 23.0: builds use the classic builder, which \
                 refuses BuildKit-only Dockerfile features (cache mounts, heredocs, COPY \
                 --chmod, secrets, …)"
            ),
            Some(
                "upgrade the engine to 23.0 or later (Debian 12: scripts/setup installs Debian \
                 13's docker.io), or use the buildah backend"
                    .to_string(),
            ),
        ),
    }
}

/// `docker buildx version`'s first line, or why it failed.
fn buildx_version(system: &SystemRoot) -> Result<String, String> {
    let docker =
        find_on_path(&system.path, "docker").ok_or_else(|| "no `docker` on PATH".to_string())?;
    let out = std::process::Command::new(&docker)
        .args(["buildx", "version"])
        .output()
        .map_err(|e| format!("{}: {e}", docker.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.lines().next() {
        Some(line) if out.status.success() => Ok(format!("{} ({line})", docker.display())),
        _ => Err(format!(
            "`{} buildx version` failed: {}",
            docker.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

pub(super) fn docker_engine(system: &SystemRoot) -> Vec<Check> {
    let engine = docker_engine_ping(system);
    if engine.status != Status::Ok {
        return vec![engine];
    }
    let address = docker_address(system);
    let check = match connect(&address).and_then(engine_version) {
        Ok(version) => buildkit(&version, buildx_version(system)),
        Err(e) => Check::new(
            "buildkit",
            Status::Warn,
            format!("cannot ask the engine for its version: {e}"),
            None,
        ),
    };
    vec![engine, check]
}

fn docker_engine_ping(system: &SystemRoot) -> Check {
    let name = "docker engine";
    let fix = Some(
        "start the Docker engine or set DOCKER_HOST to where it listens (in a container: mount \
         the socket, `-v /var/run/docker.sock:/var/run/docker.sock`); or build without it: \
         WERF_BUILDAH_MODE=auto"
            .to_string(),
    );
    let (shown, result) = match docker_address(system) {
        DockerAddress::Unix(path) => (
            format!("unix://{}", path.display()),
            std::os::unix::net::UnixStream::connect(&path)
                .map_err(|e| format!("cannot connect: {e}"))
                .and_then(|s| {
                    let _ = s.set_read_timeout(Some(PING_TIMEOUT));
                    let _ = s.set_write_timeout(Some(PING_TIMEOUT));
                    ping(s)
                }),
        ),
        DockerAddress::Tcp(addr) => (
            format!("tcp://{addr}"),
            std::net::ToSocketAddrs::to_socket_addrs(addr.as_str())
                .map_err(|e| format!("cannot resolve: {e}"))
                .and_then(|mut addrs| addrs.next().ok_or_else(|| "no address".to_string()))
                .and_then(|a| {
                    std::net::TcpStream::connect_timeout(&a, PING_TIMEOUT)
                        .map_err(|e| format!("cannot connect: {e}"))
                })
                .and_then(|s| {
                    let _ = s.set_read_timeout(Some(PING_TIMEOUT));
                    let _ = s.set_write_timeout(Some(PING_TIMEOUT));
                    ping(s)
                }),
        ),
        DockerAddress::Unsupported(h) => {
            return Check::new(
                name,
                Status::Warn,
                format!("DOCKER_HOST={h}: only unix:// and tcp:// are checked"),
                None,
            );
        }
    };
    match result {
        Ok(Some(api)) => Check::ok(name, format!("{shown} answers (API {api})")),
        Ok(None) => Check::ok(name, format!("{shown} answers")),
        Err(e) => Check::new(name, Status::Fail, format!("{shown}: {e}"), fix),
    }
}

pub(super) fn registry(repo: &str, probe: Option<&dyn RegistryProbe>) -> Vec<Check> {
    let Some(probe) = probe else {
        return vec![Check::new(
            "registry",
            Status::Warn,
            format!("{repo}: not checked, this slipway has no registry client"),
            None,
        )];
    };
    let reach = match probe.reach(repo) {
        Ok(detail) => Check::ok("registry", format!("{repo}: {detail}")),
        Err(e) => {
            return vec![
                Check::new(
                    "registry",
                    Status::Fail,
                    format!("{repo}: {e}"),
                    Some("check the repo's host name, the network and any proxy; for a plain-HTTP registry mark it insecure".into()),
                ),
                Check::new("registry credentials", Status::Warn, "not checked: the registry cannot be reached", None),
            ];
        }
    };
    let credentials = match probe.authenticate(repo) {
        Ok(CredentialsOutcome::Accepted { source }) => Check::ok(
            "registry credentials",
            format!("accepted for pushing to {repo} (from {source})"),
        ),
        // The push check got through without a login: the registry takes anonymous pushes.
        Ok(CredentialsOutcome::Anonymous) => Check::ok(
            "registry credentials",
            format!("none configured; {repo} accepts anonymous pushes"),
        ),
        Err(e) => {
            let fix = if e.contains(crate::registry::ANONYMOUS) {
                "log in (`docker login HOST`, or `slipway ci-env` in CI), or set DOCKER_CONFIG to \
                 a config that has credentials for this registry"
            } else {
                "renew the token or password, and check it may push to this repo"
            };
            Check::new("registry credentials", Status::Fail, e, Some(fix.into()))
        }
    };
    vec![reach, credentials]
}
