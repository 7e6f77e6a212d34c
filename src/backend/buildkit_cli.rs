//! Builds that forward an SSH agent (werf's `ssh`): BuildKit through the `docker` CLI, since the
//! engine API serves BuildKit's SSH forwarding only over a gRPC session. The context tar goes
//! to the CLI's standard input (`docker build -`), streamed from git as for the API.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader};

use super::{BackendError, LogSink};
use crate::context::archive::ContextArchive;
use crate::names::ImageName;

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
    pub ssh: &'a str,
    pub ssh_auth_sock: Option<&'a Path>,
    pub tag: &'a str,
}

const TAIL: usize = 15;

impl CliBuild<'_> {
    fn argv(&self) -> Vec<String> {
        let mut args = vec![
            "build".to_owned(),
            "--progress=plain".to_owned(),
            format!("--ssh={}", self.ssh),
            "-f".to_owned(),
            self.dockerfile.to_owned(),
            "-t".to_owned(),
            self.tag.to_owned(),
        ];
        if let Some(t) = self.target {
            args.push(format!("--target={t}"));
        }
        for (k, v) in self.build_args {
            args.push(format!("--build-arg={k}={v}"));
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

    /// Runs the build; output goes to `log` line by line.
    pub async fn run(self, context: ContextArchive, log: LogSink) -> Result<(), BackendError> {
        let uses_agent = !self.ssh.contains('=');
        if uses_agent && self.ssh_auth_sock.is_none() {
            return Err(BackendError::SshAgentMissing {
                image: self.image.clone(),
                ssh: self.ssh.to_owned(),
            });
        }
        let mut cmd = tokio::process::Command::new(self.cli);
        cmd.args(self.argv())
            .env("DOCKER_BUILDKIT", "1")
            .env("DOCKER_HOST", self.address)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(sock) = self.ssh_auth_sock {
            cmd.env("SSH_AUTH_SOCK", sock);
        }
        let mut child = cmd.spawn().map_err(|e| {
            BackendError::Engine(format!(
                "cannot run {} for image {} (its `ssh` build needs the docker CLI with BuildKit): \
             {e}; install the docker CLI or set SLIPWAY_DOCKER_CLI to its path",
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
        let tail = std::sync::Mutex::new(std::collections::VecDeque::new());
        tokio::join!(pump(stdout, &log, &tail), pump(stderr, &log, &tail));
        let status = child.wait().await.map_err(|e| {
            BackendError::Engine(format!("waiting for {}: {e}", self.cli.display()))
        })?;
        let sent = writer.await.expect("the context writer does not panic");
        if status.success() {
            return Ok(());
        }
        let tail: Vec<String> = tail.into_inner().unwrap_or_else(|p| p.into_inner()).into();
        if let Err(e) = sent
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(BackendError::Engine(format!(
                "sending the build context of image {} failed: {e}",
                self.image
            )));
        }
        let message = tail
            .iter()
            .rev()
            .find(|l| {
                l.contains("ERROR") || l.starts_with("error") || l.contains("failed to solve")
            })
            .cloned()
            .unwrap_or_else(|| format!("{} build exited with {status}", self.cli.display()));
        Err(BackendError::BuildFailed {
            image: self.image.clone(),
            location: location(self.dockerfile_display, &tail),
            message,
            tail,
            explanations: Vec::new(),
        })
    }
}

async fn pump<R: tokio::io::AsyncBufRead + Unpin>(
    mut lines: tokio::io::Lines<R>,
    log: &LogSink,
    tail: &std::sync::Mutex<std::collections::VecDeque<String>>,
) {
    while let Ok(Some(line)) = lines.next_line().await {
        log(&line);
        let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
        t.push_back(line);
        if t.len() > TAIL {
            t.pop_front();
        }
    }
}

/// BuildKit names the failing instruction as ` > [stage n/m] RUN …` and, in newer versions,
/// `Dockerfile:LINE`; the line is used when it is there.
fn location(dockerfile: &str, tail: &[String]) -> String {
    let line = tail.iter().find_map(|l| {
        let (_, rest) = l.split_once("Dockerfile:")?;
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<usize>().ok()
    });
    match line {
        Some(n) => format!("{dockerfile}:{n}"),
        None => dockerfile.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv_and_location() {
        let args = BTreeMap::from([("A".to_owned(), "1".to_owned())]);
        let labels = BTreeMap::from([("werf".to_owned(), "demo".to_owned())]);
        let image = ImageName::parse("web").unwrap();
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
            ssh: "default",
            ssh_auth_sock: None,
            tag: "r:t",
        };
        assert_eq!(
            build.argv(),
            [
                "build",
                "--progress=plain",
                "--ssh=default",
                "-f",
                "web/Dockerfile",
                "-t",
                "r:t",
                "--target=app",
                "--build-arg=A=1",
                "--add-host=db:10.0.0.1",
                "--network=host",
                "--label=werf=demo",
                "-"
            ]
        );
        assert_eq!(
            location("web/Dockerfile", &["Dockerfile:7".to_owned()]),
            "web/Dockerfile:7"
        );
        assert_eq!(
            location("web/Dockerfile", &["x".to_owned()]),
            "web/Dockerfile"
        );
    }
}
