//! Docker-backend builds with BuildKit, through the `docker` CLI and its buildx plugin
//! (`docker build --progress=plain -`): the context tar goes to its standard input, streamed
//! from git as for the engine API, and the CLI runs BuildKit's gRPC session (secrets, SSH agent
//! forwarding, registry logins for pulls and cache imports) that the engine API alone does not.
//! Its plain progress is logged line by line; a failure is located at the `Dockerfile:LINE`
//! BuildKit reports, with every log line of the failing step.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::path::Path;
use std::process::Stdio;
use std::sync::Mutex;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::buildah::command::{self, PrivateDir};
use super::{BackendError, LogSink};
use crate::config::{BuildSecret, SecretSource};
use crate::context::archive::ContextArchive;
use crate::names::ImageName;
use crate::secret::Credentials;

/// A BuildKit build of one image through the CLI.
pub struct CliBuild<'a> {
    pub cli: &'a Path,
    /// The engine the CLI talks to (`DOCKER_HOST` form).
    pub address: &'a str,
    pub image: &'a ImageName,
    pub dockerfile: &'a str,
    pub dockerfile_display: &'a str,
    pub target: Option<&'a str>,
    pub build_args: &'a BTreeMap<String, String>,
    pub add_host: &'a [String],
    pub network: Option<&'a str>,
    pub labels: &'a BTreeMap<String, String>,
    /// werf's `ssh` value, passed to `--ssh` (`default`, or `default=/path/to/socket`).
    pub ssh: Option<&'a str>,
    pub ssh_auth_sock: Option<&'a Path>,
    pub secrets: &'a [BuildSecret],
    /// Logins the build needs (base images, the cache image), by registry host.
    pub registry_credentials: &'a BTreeMap<String, Credentials>,
    /// An image whose inline layer cache this build may reuse.
    pub cache_from: Option<&'a str>,
    /// Embed the layer cache in the built image (`BUILDKIT_INLINE_CACHE=1`).
    pub inline_cache: bool,
    /// The user's `cli-plugins` directory (in `DOCKER_CONFIG`), where buildx may live.
    pub plugins: Option<&'a Path>,
    /// Where the private client configuration is created.
    pub temp_dir: &'a Path,
    pub tag: &'a str,
}

/// Build output lines kept for the error message when the failing step is not known.
const TAIL: usize = 15;

/// Lines kept per BuildKit step: enough for any real failure, bounded for runaway output.
const STEP_LINES: usize = 10_000;

/// The variable a `value:` secret reaches the CLI in (`--secret id=…,env=…`): never on the
/// command line, never on disk.
fn value_variable(index: usize) -> String {
    format!("SLIPWAY_BUILD_SECRET_{index}")
}

impl CliBuild<'_> {
    fn argv(&self) -> Vec<String> {
        let mut args = vec![
            "build".to_owned(),
            "--progress=plain".to_owned(),
            "-f".to_owned(),
            self.dockerfile.to_owned(),
            "-t".to_owned(),
            self.tag.to_owned(),
        ];
        if let Some(ssh) = self.ssh {
            args.push(format!("--ssh={ssh}"));
        }
        for (i, secret) in self.secrets.iter().enumerate() {
            let source = match &secret.source {
                SecretSource::Env(name) => format!("env={name}"),
                SecretSource::File(path) => format!("src={path}"),
                SecretSource::Value(_) => format!("env={}", value_variable(i)),
            };
            args.push(format!("--secret=id={},{source}", secret.id));
        }
        if let Some(t) = self.target {
            args.push(format!("--target={t}"));
        }
        for (k, v) in self.build_args {
            args.push(format!("--build-arg={k}={v}"));
        }
        if self.inline_cache {
            args.push("--build-arg=BUILDKIT_INLINE_CACHE=1".to_owned());
        }
        if let Some(from) = self.cache_from {
            args.push(format!("--cache-from={from}"));
        }
        for h in self.add_host {
            args.push(format!("--add-host={h}"));
        }
        if let Some(n) = self.network {
            args.push(format!("--network={n}"));
        }
        for (k, v) in self.labels {
            args.push(format!("--label={k}={v}"));
        }
        args.push("-".to_owned());
        args
    }

    /// A client configuration of its own: the run's logins, the default builder (a user's
    /// `docker buildx use` of another builder would build where the engine cannot see the
    /// image) and the user's plugins.
    fn client_config(&self) -> Result<PrivateDir, BackendError> {
        let fail = |e: String| {
            BackendError::Engine(format!(
                "preparing the docker CLI configuration for image {}: {e}",
                self.image
            ))
        };
        let dir = PrivateDir::create(self.temp_dir).map_err(|e| fail(e.to_string()))?;
        let auth = command::write_auth_file_for(
            &dir,
            self.registry_credentials
                .iter()
                .map(|(host, c)| (host.as_str(), c)),
        )
        .map_err(|e| fail(e.to_string()))?;
        std::fs::rename(&auth, dir.path().join("config.json")).map_err(|e| fail(e.to_string()))?;
        if let Some(plugins) = self.plugins.filter(|p| p.is_dir()) {
            std::os::unix::fs::symlink(plugins, dir.path().join("cli-plugins"))
                .map_err(|e| fail(e.to_string()))?;
        }
        Ok(dir)
    }

    /// Runs the build; output goes to `log` line by line.
    pub async fn run(self, context: ContextArchive, log: LogSink) -> Result<(), BackendError> {
        if let Some(ssh) = self.ssh
            && !ssh.contains('=')
            && self.ssh_auth_sock.is_none()
        {
            return Err(BackendError::SshAgentMissing {
                image: self.image.clone(),
                ssh: ssh.to_owned(),
            });
        }
        let config = self.client_config()?;
        let mut cmd = tokio::process::Command::new(self.cli);
        cmd.args(self.argv())
            .env("DOCKER_BUILDKIT", "1")
            .env("DOCKER_HOST", self.address)
            .env("DOCKER_CONFIG", config.path())
            .env_remove("BUILDX_BUILDER")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(sock) = self.ssh_auth_sock {
            cmd.env("SSH_AUTH_SOCK", sock);
        }
        for (i, secret) in self.secrets.iter().enumerate() {
            if let SecretSource::Value(value) = &secret.source {
                cmd.env(value_variable(i), value.expose());
            }
        }
        let mut child = cmd.spawn().map_err(|e| {
            BackendError::Engine(format!(
                "cannot run {} to build image {} with BuildKit: {e}; install the docker CLI \
                 with its buildx plugin (Debian: docker-cli and docker-buildx), or set \
                 SLIPWAY_DOCKER_CLI to its path",
                self.cli.display(),
                self.image
            ))
        })?;
        let stdin = child.stdin.take().expect("stdin is piped");
        let writer = tokio::task::spawn_blocking(move || {
            let stdin = stdin.into_owned_fd().map(std::fs::File::from);
            stdin.and_then(|f| context.write_to(std::io::BufWriter::new(f)).map(drop))
        });
        let stdout = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
        let stderr = BufReader::new(child.stderr.take().expect("stderr is piped")).lines();
        let progress = Mutex::new(Progress::default());
        tokio::join!(pump(stdout, &log, &progress), pump(stderr, &log, &progress));
        let status = child.wait().await.map_err(|e| {
            BackendError::Engine(format!("waiting for {}: {e}", self.cli.display()))
        })?;
        drop(config);
        // A context that could not be read ends the tar early, which may still be a valid
        // (smaller) context: the build's success must not hide it.
        let sent = writer.await.expect("the context writer does not panic");
        if let Err(e) = sent
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(BackendError::Engine(format!(
                "sending the build context of image {} failed: {e}",
                self.image
            )));
        }
        if status.success() {
            return Ok(());
        }
        let progress = progress.into_inner().unwrap_or_else(|p| p.into_inner());
        let failure = progress.failure(self.dockerfile, self.dockerfile_display);
        Err(BackendError::BuildFailed {
            image: self.image.clone(),
            location: failure.location,
            message: failure
                .message
                .unwrap_or_else(|| format!("{} build exited with {status}", self.cli.display())),
            tail: failure.lines,
            explanations: failure.explanations,
        })
    }
}

async fn pump<R: tokio::io::AsyncBufRead + Unpin>(
    mut lines: tokio::io::Lines<R>,
    log: &LogSink,
    progress: &Mutex<Progress>,
) {
    while let Ok(Some(line)) = lines.next_line().await {
        log(&line);
        progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .line(line);
    }
}

/// What BuildKit's plain progress has said so far: every step's lines (`#N …`), the steps
/// that failed, and the closing error block.
#[derive(Default)]
struct Progress {
    steps: HashMap<u64, Vec<String>>,
    failed: Vec<u64>,
    tail: VecDeque<String>,
    /// Lines after the progress ended (the source excerpt and `ERROR: failed to solve`).
    trailer: Vec<String>,
}

struct Failure {
    location: String,
    message: Option<String>,
    lines: Vec<String>,
    explanations: Vec<String>,
}

/// `N` and the rest of a `#N rest` progress line.
fn step_of(line: &str) -> Option<(u64, &str)> {
    let rest = line.strip_prefix('#')?;
    let end = rest.find(|c: char| !c.is_ascii_digit())?;
    let n = rest[..end].parse().ok()?;
    Some((n, rest[end..].trim_start()))
}

impl Progress {
    fn line(&mut self, line: String) {
        if let Some((n, rest)) = step_of(&line) {
            if rest.starts_with("ERROR") && !self.failed.contains(&n) {
                self.failed.push(n);
            }
            let lines = self.steps.entry(n).or_default();
            if lines.len() < STEP_LINES {
                lines.push(line.clone());
            }
        } else if !line.trim().is_empty() && !self.steps.is_empty() {
            self.trailer.push(line.clone());
        }
        self.tail.push_back(line);
        if self.tail.len() > TAIL {
            self.tail.pop_front();
        }
    }

    /// The failure as the user needs it: the instruction's line, BuildKit's error, and every
    /// line of the step that failed (else the last lines of output).
    fn failure(&self, dockerfile: &str, display: &str) -> Failure {
        let line = self.trailer.iter().find_map(|l| {
            let rest = l.strip_prefix(dockerfile)?.strip_prefix(':')?;
            rest.parse::<usize>().ok()
        });
        let location = match line {
            Some(n) => format!("{display}:{n}"),
            None => display.to_owned(),
        };
        let message = self
            .trailer
            .iter()
            .rev()
            .chain(self.tail.iter().rev())
            .find(|l| l.starts_with("ERROR") || l.starts_with("error"))
            .map(|l| l.trim_start_matches("ERROR: ").to_owned());
        let lines = match self.failed.first() {
            Some(n) => self.steps[n].clone(),
            None => self.tail.iter().cloned().collect(),
        };
        let mut explanations = Vec::new();
        if line == Some(1)
            && let Some(m) = &message
            && (m.contains("resolve source metadata") || m.contains("resolve image config"))
        {
            explanations.push(format!(
                "the `# syntax=` directive on {display}:1 names a frontend image that cannot be \
                 pulled; make it reachable (mirror it to a registry you use and name that \
                 reference), or remove the directive to build with the engine's built-in \
                 frontend"
            ));
        }
        Failure {
            location,
            message,
            lines,
            explanations,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    #[test]
    fn argv() {
        let args = BTreeMap::from([("A".to_owned(), "1".to_owned())]);
        let labels = BTreeMap::from([("werf".to_owned(), "demo".to_owned())]);
        let image = ImageName::parse("web").unwrap();
        let secrets = [
            BuildSecret {
                id: "a".to_owned(),
                source: SecretSource::Env("TOKEN".to_owned()),
            },
            BuildSecret {
                id: "b".to_owned(),
                source: SecretSource::File("/p/key".to_owned()),
            },
            BuildSecret {
                id: "c".to_owned(),
                source: SecretSource::Value(Secret::new("hunter2")),
            },
        ];
        let credentials = BTreeMap::new();
        let build = CliBuild {
            cli: Path::new("docker"),
            address: "unix:///var/run/docker.sock",
            image: &image,
            dockerfile: "web/Dockerfile",
            dockerfile_display: "web/Dockerfile",
            target: Some("app"),
            build_args: &args,
            add_host: &["db:10.0.0.1".to_owned()],
            network: Some("host"),
            labels: &labels,
            ssh: Some("default"),
            ssh_auth_sock: None,
            secrets: &secrets,
            registry_credentials: &credentials,
            cache_from: Some("r/buildcache:web"),
            inline_cache: true,
            plugins: None,
            temp_dir: Path::new("/tmp"),
            tag: "r:t",
        };
        let argv = build.argv();
        assert_eq!(
            argv,
            [
                "build",
                "--progress=plain",
                "-f",
                "web/Dockerfile",
                "-t",
                "r:t",
                "--ssh=default",
                "--secret=id=a,env=TOKEN",
                "--secret=id=b,src=/p/key",
                "--secret=id=c,env=SLIPWAY_BUILD_SECRET_2",
                "--target=app",
                "--build-arg=A=1",
                "--build-arg=BUILDKIT_INLINE_CACHE=1",
                "--cache-from=r/buildcache:web",
                "--add-host=db:10.0.0.1",
                "--network=host",
                "--label=werf=demo",
                "-"
            ]
        );
        assert!(!argv.iter().any(|a| a.contains("hunter2")));
    }

    fn progress(text: &str) -> Progress {
        let mut p = Progress::default();
        for line in text.lines() {
            p.line(line.to_owned());
        }
        p
    }

    #[test]
    fn failure_names_the_line_and_keeps_the_step() {
        let p = progress(
            "#5 [2/3] RUN echo one; exit 3\n\
             #5 0.101 one\n\
             #6 [1/3] COPY x /x\n\
             #6 DONE 0.1s\n\
             #5 ERROR: process \"/bin/sh -c echo one; exit 3\" did not complete successfully: exit code: 3\n\
             ------\n \
             > [2/3] RUN echo one; exit 3:\n\
             0.101 one\n\
             ------\n\
             d/x.Dockerfile:4\n\
             --------------------\n   \
             4 | >>> RUN echo one; exit 3\n\
             --------------------\n\
             ERROR: failed to solve: process \"/bin/sh -c echo one; exit 3\" did not complete successfully: exit code: 3\n",
        );
        let f = p.failure("d/x.Dockerfile", "app/d/x.Dockerfile");
        assert_eq!(f.location, "app/d/x.Dockerfile:4");
        assert_eq!(
            f.message.as_deref(),
            Some(
                "failed to solve: process \"/bin/sh -c echo one; exit 3\" did not complete \
                 successfully: exit code: 3"
            )
        );
        assert_eq!(
            f.lines[..2],
            ["#5 [2/3] RUN echo one; exit 3", "#5 0.101 one"]
        );
        assert_eq!(f.lines.len(), 3);
        assert!(f.explanations.is_empty());
    }

    #[test]
    fn unreachable_syntax_frontend_is_explained() {
        let p = progress(
            "#3 resolve image config for docker-image://docker.io/docker/dockerfile:1.7\n\
             #3 ERROR: failed to do request: Head \"https://registry-1.docker.io/\": no such host\n\
             Dockerfile:1\n\
             ERROR: failed to solve: failed to resolve source metadata for docker.io/docker/dockerfile:1.7: no such host\n",
        );
        let f = p.failure("Dockerfile", "Dockerfile");
        assert_eq!(f.location, "Dockerfile:1");
        assert_eq!(
            f.explanations,
            [
                "the `# syntax=` directive on Dockerfile:1 names a frontend image that cannot be \
              pulled; make it reachable (mirror it to a registry you use and name that \
              reference), or remove the directive to build with the engine's built-in frontend"
            ]
        );
    }
}
