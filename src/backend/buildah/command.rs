//! The exact `buildah` command lines for a build and a push, and the private auth file a push
//! reads its credentials from (so they never appear in an argv, an environment or a log).

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::mode::Isolation;
use super::storage::StorageDriver;
use super::ulimit::{Ulimit, ulimit_flags};
use crate::secret::Credentials;

/// Flags every buildah invocation of one run shares (they go before the subcommand), so build
/// and push see the same storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalSettings {
    pub driver: StorageDriver,
    /// `--root`: where images live (buildah's default when `None`).
    pub root: Option<PathBuf>,
    /// `--runroot`: buildah's runtime state.
    pub runroot: Option<PathBuf>,
}

impl GlobalSettings {
    pub fn argv(&self) -> Vec<OsString> {
        let mut argv = self.driver.global_flags();
        if let Some(root) = &self.root {
            argv.push("--root".into());
            argv.push(root.into());
        }
        if let Some(runroot) = &self.runroot {
            argv.push("--runroot".into());
            argv.push(runroot.into());
        }
        argv
    }
}

/// One image build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSettings {
    /// The context, already on disk.
    pub context_dir: PathBuf,
    pub dockerfile: PathBuf,
    pub target: Option<String>,
    pub build_args: BTreeMap<String, String>,
    pub add_host: Vec<String>,
    /// werf's `network`; `default` (Docker's name for the engine's default) is left to buildah.
    pub network: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub tag: String,
    pub isolation: Isolation,
    pub ulimits: Vec<Ulimit>,
    /// Logins for the registries base images are pulled from (a private file, see
    /// [`write_auth_file`]).
    pub authfile: Option<PathBuf>,
    /// buildah's `--ssh` value (`default=/path/to/agent.sock`).
    pub ssh: Option<String>,
    /// `--secret` values (`id=…,env=…` or `id=…,src=…`); never the secret itself.
    pub secrets: Vec<String>,
}

/// `buildah GLOBALS build …` as an argv (the program name first).
pub fn build_argv(globals: &GlobalSettings, build: &BuildSettings) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec!["buildah".into()];
    argv.extend(globals.argv());
    argv.push("build".into());
    argv.push(format!("--isolation={}", build.isolation.as_str()).into());
    // Docker format keeps HEALTHCHECK, SHELL and ONBUILD, which OCI image configs drop.
    argv.push("--format=docker".into());
    if let Some(authfile) = &build.authfile {
        argv.push("--authfile".into());
        argv.push(authfile.into());
    }
    if let Some(ssh) = &build.ssh {
        argv.push("--ssh".into());
        argv.push(ssh.into());
    }
    for secret in &build.secrets {
        argv.push("--secret".into());
        argv.push(secret.into());
    }
    argv.push("-f".into());
    argv.push(build.dockerfile.clone().into());
    if let Some(target) = &build.target {
        argv.push("--target".into());
        argv.push(target.into());
    }
    for (key, value) in &build.build_args {
        argv.push("--build-arg".into());
        argv.push(format!("{key}={value}").into());
    }
    for host in &build.add_host {
        argv.push("--add-host".into());
        argv.push(host.into());
    }
    if let Some(network) = build.network.as_deref().filter(|n| *n != "default") {
        argv.push("--network".into());
        argv.push(network.into());
    }
    for (key, value) in &build.labels {
        argv.push("--label".into());
        argv.push(format!("{key}={value}").into());
    }
    argv.extend(ulimit_flags(&build.ulimits));
    argv.push("-t".into());
    argv.push(build.tag.clone().into());
    argv.push(build.context_dir.clone().into());
    argv
}

/// One push of a local image to a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushSettings {
    /// The local image (`request.tag` of the build).
    pub image: String,
    /// The registry reference (`host/repo:tag`), without the `docker://` transport.
    pub destination: String,
    pub authfile: PathBuf,
    /// buildah writes the pushed manifest's digest here.
    pub digestfile: PathBuf,
    /// `false` only for registries the user marked insecure (plain HTTP or unverified TLS).
    pub tls_verify: bool,
}

/// `buildah GLOBALS push …` as an argv.
pub fn push_argv(globals: &GlobalSettings, push: &PushSettings) -> Vec<OsString> {
    let mut argv: Vec<OsString> = vec!["buildah".into()];
    argv.extend(globals.argv());
    argv.push("push".into());
    argv.push("--authfile".into());
    argv.push(push.authfile.clone().into());
    argv.push("--digestfile".into());
    argv.push(push.digestfile.clone().into());
    if !push.tls_verify {
        argv.push("--tls-verify=false".into());
    }
    argv.push(push.image.clone().into());
    argv.push(format!("docker://{}", push.destination).into());
    argv
}

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("cannot create a private directory in {parent}: {source}")]
    PrivateDir {
        parent: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the registry auth file {path}: {source}")]
    AuthFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read the digest buildah wrote to {path}: {source}")]
    DigestFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} does not hold a digest (sha256:…): \"{content}\"")]
    BadDigest { path: PathBuf, content: String },
}

/// A directory only this user can enter (0700), removed with everything in it when dropped.
#[derive(Debug)]
pub struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    /// Creates `slipway-buildah-…` under `parent` (usually `std::env::temp_dir()`).
    pub fn create(parent: &Path) -> Result<PrivateDir, CommandError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let mut attempt = 0;
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = parent.join(format!(
                "slipway-buildah-{}-{nanos:x}-{n}",
                std::process::id()
            ));
            // create (not create_all) fails on an existing path, so nobody can pre-plant it.
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(PrivateDir { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 16 => {
                    attempt += 1;
                }
                Err(source) => {
                    return Err(CommandError::PrivateDir {
                        parent: parent.to_path_buf(),
                        source,
                    });
                }
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The host key a reference's credentials are stored under: the first path component when it
/// looks like a host (has `.` or `:`, or is `localhost`), else Docker Hub.
pub fn registry_host(reference: &str) -> &str {
    match reference.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first,
        _ => "docker.io",
    }
}

/// Writes `{"auths":{HOST:{"auth":base64(user:password)}}}` (or no entry without credentials)
/// to `dir/auth.json` with mode 0600 and returns its path.
pub fn write_auth_file(
    dir: &PrivateDir,
    host: &str,
    credentials: Option<&Credentials>,
) -> Result<PathBuf, CommandError> {
    write_auth_file_for(dir, credentials.map(|c| (host, c)))
}

/// [`write_auth_file`] for any number of registries (a build may pull bases from several).
pub fn write_auth_file_for<'a>(
    dir: &PrivateDir,
    logins: impl IntoIterator<Item = (&'a str, &'a Credentials)>,
) -> Result<PathBuf, CommandError> {
    let path = dir.path().join("auth.json");
    let mut auths = serde_json::Map::new();
    for (host, c) in logins {
        let pair = format!("{}:{}", c.username, c.password.expose());
        auths.insert(
            host.to_string(),
            serde_json::json!({ "auth": base64(pair.as_bytes()) }),
        );
    }
    let body = serde_json::json!({ "auths": auths }).to_string();
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        file.write_all(body.as_bytes())?;
        file.sync_all()
    };
    write().map_err(|source| CommandError::AuthFile {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// Reads the digest `buildah push --digestfile` wrote.
pub fn read_digest_file(path: &Path) -> Result<String, CommandError> {
    let content = std::fs::read_to_string(path).map_err(|source| CommandError::DigestFile {
        path: path.to_path_buf(),
        source,
    })?;
    let digest = content.trim();
    let valid = digest
        .strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    if valid {
        Ok(digest.to_string())
    } else {
        Err(CommandError::BadDigest {
            path: path.to_path_buf(),
            content: digest.chars().take(100).collect(),
        })
    }
}

/// Standard base64 with padding (RFC 4648), which the auth file's `auth` field uses; written
/// here because this is its only use in the crate.
fn base64(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::buildah::ulimit::parse_ulimits;
    use crate::secret::Secret;
    use std::os::unix::fs::PermissionsExt;

    fn strings(argv: Vec<OsString>) -> Vec<String> {
        argv.into_iter().map(|a| a.into_string().unwrap()).collect()
    }

    fn minimal() -> BuildSettings {
        BuildSettings {
            context_dir: "/tmp/ctx".into(),
            dockerfile: "/tmp/ctx/Dockerfile".into(),
            target: None,
            build_args: BTreeMap::new(),
            add_host: vec![],
            network: None,
            labels: BTreeMap::new(),
            tag: "registry.example/app:abc-1".into(),
            isolation: Isolation::Chroot,
            ulimits: vec![],
            authfile: None,
            ssh: None,
            secrets: Vec::new(),
        }
    }

    fn overlay() -> GlobalSettings {
        GlobalSettings {
            driver: StorageDriver::Overlay,
            root: None,
            runroot: None,
        }
    }

    #[test]
    fn build_argv_table() {
        let full = BuildSettings {
            target: Some("app".into()),
            build_args: [("B".into(), "2".into()), ("A".into(), "x y".into())].into(),
            add_host: vec!["db:10.0.0.2".into(), "cache:10.0.0.3".into()],
            network: Some("host".into()),
            labels: [
                ("werf".into(), "demo".into()),
                ("werf-stage-content-digest".into(), "abc".into()),
            ]
            .into(),
            ulimits: parse_ulimits("nofile=1024:2048").unwrap(),
            authfile: Some("/tmp/p/auth.json".into()),
            ssh: Some("default=/run/agent.sock".into()),
            secrets: vec!["id=t,env=TOKEN".into()],
            ..minimal()
        };
        let fuse = GlobalSettings {
            driver: StorageDriver::FuseOverlay {
                mount_program: "/usr/bin/fuse-overlayfs".into(),
            },
            root: Some("/var/lib/b".into()),
            runroot: Some("/run/b".into()),
        };
        let cases: Vec<(GlobalSettings, BuildSettings, Vec<&str>)> = vec![
            (
                overlay(),
                minimal(),
                vec![
                    "buildah",
                    "--storage-driver=overlay",
                    "build",
                    "--isolation=chroot",
                    "--format=docker",
                    "-f",
                    "/tmp/ctx/Dockerfile",
                    "-t",
                    "registry.example/app:abc-1",
                    "/tmp/ctx",
                ],
            ),
            (
                fuse,
                BuildSettings {
                    isolation: Isolation::Rootless,
                    ..full.clone()
                },
                vec![
                    "buildah",
                    "--storage-driver=overlay",
                    "--storage-opt",
                    "overlay.mount_program=/usr/bin/fuse-overlayfs",
                    "--root",
                    "/var/lib/b",
                    "--runroot",
                    "/run/b",
                    "build",
                    "--isolation=rootless",
                    "--format=docker",
                    "--authfile",
                    "/tmp/p/auth.json",
                    "--ssh",
                    "default=/run/agent.sock",
                    "--secret",
                    "id=t,env=TOKEN",
                    "-f",
                    "/tmp/ctx/Dockerfile",
                    "--target",
                    "app",
                    "--build-arg",
                    "A=x y",
                    "--build-arg",
                    "B=2",
                    "--add-host",
                    "db:10.0.0.2",
                    "--add-host",
                    "cache:10.0.0.3",
                    "--network",
                    "host",
                    "--label",
                    "werf=demo",
                    "--label",
                    "werf-stage-content-digest=abc",
                    "--ulimit",
                    "nofile=1024:2048",
                    "-t",
                    "registry.example/app:abc-1",
                    "/tmp/ctx",
                ],
            ),
        ];
        for (globals, build, want) in cases {
            assert_eq!(strings(build_argv(&globals, &build)), want);
        }
    }

    #[test]
    fn default_network_is_left_to_buildah() {
        let build = BuildSettings {
            network: Some("default".into()),
            ..minimal()
        };
        assert!(!strings(build_argv(&overlay(), &build)).contains(&"--network".to_string()));
    }

    #[test]
    fn push_argv_table() {
        let push = PushSettings {
            image: "localhost:5000/app:abc-1".into(),
            destination: "localhost:5000/app:abc-1".into(),
            authfile: "/tmp/p/auth.json".into(),
            digestfile: "/tmp/p/digest".into(),
            tls_verify: true,
        };
        assert_eq!(
            strings(push_argv(&overlay(), &push)),
            [
                "buildah",
                "--storage-driver=overlay",
                "push",
                "--authfile",
                "/tmp/p/auth.json",
                "--digestfile",
                "/tmp/p/digest",
                "localhost:5000/app:abc-1",
                "docker://localhost:5000/app:abc-1"
            ]
        );
        let insecure = PushSettings {
            tls_verify: false,
            ..push
        };
        assert!(strings(push_argv(&overlay(), &insecure)).contains(&"--tls-verify=false".into()));
    }

    #[test]
    fn hosts() {
        for (reference, host) in [
            ("ghcr.io/org/app:t", "ghcr.io"),
            ("127.0.0.1:5000/app:t", "127.0.0.1:5000"),
            ("localhost/app", "localhost"),
            ("library/alpine:3", "docker.io"),
            ("alpine", "docker.io"),
        ] {
            assert_eq!(registry_host(reference), host);
        }
    }

    #[test]
    fn base64_vectors() {
        for (input, want) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            ("user:p@ss:wörd", "dXNlcjpwQHNzOnfDtnJk"),
        ] {
            assert_eq!(base64(input.as_bytes()), want, "{input}");
        }
    }

    #[test]
    fn auth_file_is_private_and_removed() {
        let parent = tempfile::tempdir().unwrap();
        let dir = PrivateDir::create(parent.path()).unwrap();
        let dir_path = dir.path().to_path_buf();
        assert_eq!(
            std::fs::metadata(&dir_path).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let credentials = Credentials {
            username: "ci".into(),
            password: Secret::new("hunter2"),
            source: "test".into(),
        };
        let path = write_auth_file(&dir, "ghcr.io", Some(&credentials)).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            r#"{"auths":{"ghcr.io":{"auth":"Y2k6aHVudGVyMg=="}}}"#
        );
        // A second write must not follow or reuse an existing file.
        assert!(write_auth_file(&dir, "ghcr.io", None).is_err());
        assert!(!format!("{dir:?}").contains("hunter2"));
        drop(dir);
        assert!(!dir_path.exists());
    }

    #[test]
    fn auth_file_for_several_registries() {
        let parent = tempfile::tempdir().unwrap();
        let dir = PrivateDir::create(parent.path()).unwrap();
        let login = |user: &str| Credentials {
            username: user.into(),
            password: Secret::new("pw"),
            source: "test".into(),
        };
        let (a, b) = (login("a"), login("b"));
        let path = write_auth_file_for(&dir, [("ghcr.io", &a), ("127.0.0.1:5001", &b)]).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            r#"{"auths":{"127.0.0.1:5001":{"auth":"Yjpwdw=="},"ghcr.io":{"auth":"YTpwdw=="}}}"#
        );
    }

    #[test]
    fn anonymous_auth_file() {
        let parent = tempfile::tempdir().unwrap();
        let dir = PrivateDir::create(parent.path()).unwrap();
        let path = write_auth_file(&dir, "ghcr.io", None).unwrap();
        assert_eq!(std::fs::read_to_string(path).unwrap(), r#"{"auths":{}}"#);
    }

    #[test]
    fn digest_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("digest");
        let digest = format!("sha256:{}", "ab".repeat(32));
        std::fs::write(&path, format!("{digest}\n")).unwrap();
        assert_eq!(read_digest_file(&path).unwrap(), digest);
        std::fs::write(&path, "nope").unwrap();
        assert_eq!(
            read_digest_file(&path).unwrap_err().to_string(),
            format!(
                "{} does not hold a digest (sha256:…): \"nope\"",
                path.display()
            )
        );
        let missing = dir.path().join("missing");
        assert!(
            read_digest_file(&missing)
                .unwrap_err()
                .to_string()
                .starts_with(&format!(
                    "cannot read the digest buildah wrote to {}: ",
                    missing.display()
                ))
        );
    }
}
