//! The buildah backend: [`Backend`] over the `buildah` CLI. A build unpacks the streamed context
//! into a private directory, runs `buildah build` with [`command::build_argv`] and maps its
//! `STEP` lines back to Dockerfile lines; a push goes straight to the registry.

use std::collections::{BTreeMap, VecDeque};
use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};

use super::command::{
    self, BuildSettings, GlobalSettings, PrivateDir, PushSettings, registry_host,
};
use super::explain::KnownFailure;
use super::mode::Isolation;
use super::ulimit::Ulimit;
use crate::backend::capability::{self, Builder};
use crate::backend::docker::split_reference;
use crate::backend::{Backend, BackendError, BuildRequest, Built, ImageInfo, LogSink};
use crate::config::SecretSource;
use crate::context::archive::ContextArchive;
use crate::secret::Credentials;

mod stapel;

/// Build output lines kept for the error message of a failed build.
const TAIL_LINES: usize = 15;

/// The registries.conf buildah reads when `CONTAINERS_REGISTRIES_CONF` does not name another.
pub const SYSTEM_REGISTRIES_CONF: &str = "/etc/containers/registries.conf";

/// Everything the backend is built from (see `super::setup` for how it is resolved).
#[derive(Debug, Clone)]
pub struct BuildahConfig {
    pub globals: GlobalSettings,
    pub isolation: Isolation,
    pub ulimits: Vec<Ulimit>,
    /// Where private directories (context, auth file, digest file) are made.
    pub temp_dir: PathBuf,
    /// Registries reached over plain HTTP besides loopback (`--insecure-registry`).
    pub insecure: Vec<String>,
    /// The registries.conf to extend with the plain-HTTP registries.
    pub registries_conf: PathBuf,
    /// The `buildah` program (a name looked up on PATH, or a path).
    pub program: PathBuf,
}

pub struct BuildahBackend {
    config: BuildahConfig,
}

impl BuildahBackend {
    pub fn new(config: BuildahConfig) -> Self {
        Self { config }
    }

    pub fn config(&self) -> &BuildahConfig {
        &self.config
    }

    fn command(&self, argv: &[OsString]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(&self.config.program);
        // argv[0] is "buildah" by command.rs's convention; the program may be another path.
        cmd.args(&argv[1..])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    /// `buildah GLOBALS ARGS…` as an argv, for the subcommands command.rs does not cover.
    fn argv(&self, args: &[&str]) -> Vec<OsString> {
        let mut argv: Vec<OsString> = vec!["buildah".into()];
        argv.extend(self.config.globals.argv());
        argv.extend(args.iter().map(OsString::from));
        argv
    }

    /// Runs a short buildah command and returns (success, stdout, stderr).
    async fn run(&self, argv: &[OsString]) -> Result<(bool, String, String), BackendError> {
        let out = self.command(argv).output().await.map_err(|e| {
            BackendError::Buildah(format!("cannot run {}: {e}", self.config.program.display()))
        })?;
        Ok((
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ))
    }

    fn tls_verify(&self, host: &str) -> bool {
        !crate::registry::is_plain_http(host, &self.config.insecure)
    }

    /// A copy of the registries.conf in effect with every plain-HTTP registry marked insecure,
    /// so `FROM 127.0.0.1:5000/…` pulls work without switching TLS off for every registry.
    /// `None` keeps buildah's own (a v1-format file cannot be extended with v2 tables).
    fn registries_conf(&self, dir: &PrivateDir) -> Result<Option<PathBuf>, BackendError> {
        let base = std::fs::read_to_string(&self.config.registries_conf).unwrap_or_default();
        if base.contains("[registries.") {
            return Ok(None);
        }
        let mut text = base;
        let hosts = ["localhost", "127.0.0.1"]
            .into_iter()
            .map(str::to_owned)
            .chain(self.config.insecure.iter().map(|i| {
                i.trim_start_matches("http://")
                    .trim_start_matches("https://")
                    .trim_end_matches('/')
                    .to_owned()
            }));
        for host in hosts {
            // A location defined twice makes the whole file invalid.
            if host.is_empty() || text.contains(&format!("\"{host}\"")) {
                continue;
            }
            text.push_str(&format!(
                "\n[[registry]]\nlocation = \"{host}\"\ninsecure = true\n"
            ));
        }
        let path = dir.path().join("registries.conf");
        std::fs::write(&path, text)
            .map_err(|e| BackendError::Buildah(format!("cannot write {}: {e}", path.display())))?;
        Ok(Some(path))
    }
}

/// A private directory, as a backend error when it cannot be made.
fn private_dir(parent: &Path) -> Result<PrivateDir, BackendError> {
    PrivateDir::create(parent).map_err(|e| BackendError::Buildah(e.to_string()))
}

/// Unpacks the context tar into `dir` with `tar -x`, which keeps symlinks and modes as the
/// archive has them; the tar is streamed into it, never held whole.
fn unpack(context: &ContextArchive, dir: &Path) -> Result<(), String> {
    let mut child = std::process::Command::new("tar")
        .args(["-x", "-p", "-f", "-", "-C"])
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            format!(
                "cannot run tar to unpack the context into {}: {e}",
                dir.display()
            )
        })?;
    let stdin = child.stdin.take().expect("stdin is piped");
    let written = context.write_to(stdin).and_then(|mut s| s.flush());
    let out = child
        .wait_with_output()
        .map_err(|e| format!("tar did not finish: {e}"))?;
    written.map_err(|e| format!("reading the context failed: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "tar could not unpack the context into {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(())
}

/// Where buildah is in a build: `[S/T] STEP N/M: …` (multi-stage) or `STEP N/M: …`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    /// 1-based stage, counting every stage of the Dockerfile.
    pub stage: usize,
    /// 1-based instruction within the stage (1 is its FROM).
    pub instruction: usize,
}

pub fn parse_step(line: &str) -> Option<Step> {
    let (stage, rest) = match line.strip_prefix('[') {
        Some(rest) => {
            let (s, rest) = rest.split_once("] ")?;
            let (stage, total) = s.split_once('/')?;
            total.parse::<usize>().ok()?;
            (stage.parse().ok()?, rest)
        }
        None => (1, line),
    };
    let rest = rest.strip_prefix("STEP ")?;
    let (n, rest) = rest.split_once('/')?;
    let (m, _) = rest.split_once(": ")?;
    m.parse::<usize>().ok()?;
    Some(Step {
        stage,
        instruction: n.parse().ok()?,
    })
}

/// The index (0-based, among all instructions) of `step`, given which instructions are FROMs.
/// Steps past the stage's own instructions (buildah adds the `--label`s as steps) have none.
pub fn instruction_index(is_from: &[bool], step: Step) -> Option<usize> {
    let mut froms = is_from
        .iter()
        .enumerate()
        .filter(|(_, f)| **f)
        .map(|(i, _)| i)
        .skip(step.stage.checked_sub(1)?);
    let from = froms.next()?;
    let end = froms.next().unwrap_or(is_from.len());
    let index = from + step.instruction.checked_sub(1)?;
    (index < end).then_some(index)
}

/// The build output: logged line by line, with the tail, the current step and buildah's known
/// failures kept for the error.
struct Output {
    log: LogSink,
    tail: VecDeque<String>,
    step: Option<Step>,
    explanations: Vec<super::explain::Explanation>,
    /// buildah's own `Error: …` line, the most precise message of a failure.
    error: Option<String>,
}

impl Output {
    fn line(&mut self, line: &str) {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            return;
        }
        if let Some(step) = parse_step(line) {
            self.step = Some(step);
        }
        if let Some(message) = line.strip_prefix("Error: ") {
            self.error = Some(message.to_owned());
        }
        if let Some(failure) = KnownFailure::recognise(line)
            && !self.explanations.iter().any(|e| e.failure == failure)
        {
            self.explanations.push(super::explain::Explanation {
                failure,
                line: line.to_owned(),
            });
        }
        (self.log)(line);
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line.to_owned());
    }
}

async fn pump(reader: impl AsyncRead + Unpin, output: Arc<Mutex<Output>>) {
    let mut lines = BufReader::new(reader).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        output.lock().unwrap_or_else(|p| p.into_inner()).line(&line);
    }
}

/// Which instructions of the Dockerfile at `path` are FROMs; empty when it cannot be read
/// (the failure is then located at the file, not a line).
fn from_flags(path: &Path) -> Vec<bool> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| crate::dockerfile::parser::parse(&text).ok())
        .map(|df| df.nodes.iter().map(|n| n.keyword == "from").collect())
        .unwrap_or_default()
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Inspect {
    #[serde(rename = "FromImageID")]
    from_image_id: String,
    manifest: String,
    docker: Option<InspectDocker>,
}

#[derive(serde::Deserialize)]
struct InspectDocker {
    config: Option<InspectConfig>,
}

#[derive(serde::Deserialize)]
struct InspectConfig {
    #[serde(rename = "Labels")]
    labels: Option<BTreeMap<String, String>>,
}

#[derive(serde::Deserialize)]
struct ManifestSizes {
    config: Option<Sized>,
    #[serde(default)]
    layers: Vec<Sized>,
}

#[derive(serde::Deserialize)]
struct Sized {
    size: u64,
}

fn is_unknown_image(stderr: &str) -> bool {
    stderr.contains("image not known") || stderr.contains("identifier is not an image")
}

/// The variable a `value:` secret is passed in.
fn value_variable(index: usize) -> String {
    format!("SLIPWAY_BUILD_SECRET_{index}")
}

impl Backend for BuildahBackend {
    fn name(&self) -> &'static str {
        "buildah"
    }

    async fn builder(&self) -> Result<Builder, BackendError> {
        let (ok, stdout, stderr) = self.run(&self.argv(&["version"])).await?;
        match capability::buildah_version(&stdout) {
            Some(version) if ok => Ok(Builder::Buildah { version }),
            _ => Err(BackendError::Buildah(format!(
                "`{} version` did not print a version: {}",
                self.config.program.display(),
                stderr.trim()
            ))),
        }
    }

    async fn build(&self, request: BuildRequest, log: LogSink) -> Result<Built, BackendError> {
        let BuildRequest {
            image,
            context,
            dockerfile,
            dockerfile_display,
            instruction_lines,
            target,
            build_args,
            add_host,
            network,
            ssh,
            ssh_auth_sock,
            labels,
            secrets,
            // buildah has no inline cache: layers it reuses are the local ones.
            cache_from: _,
            inline_cache: _,
            registry_credentials,
            tag,
        } = request;
        let private = private_dir(&self.config.temp_dir)?;
        let context_dir = private.path().join("context");
        std::fs::create_dir(&context_dir).map_err(|e| {
            BackendError::Buildah(format!("cannot create {}: {e}", context_dir.display()))
        })?;
        let unpacked = {
            let dir = context_dir.clone();
            tokio::task::spawn_blocking(move || unpack(&context, &dir))
                .await
                .expect("unpacking does not panic")
        };
        unpacked.map_err(|cause| {
            BackendError::Buildah(format!(
                "preparing the build context of image {image} failed: {cause}"
            ))
        })?;
        let authfile = command::write_auth_file_for(
            &private,
            registry_credentials
                .iter()
                .map(|(host, c)| (host.as_str(), c)),
        )
        .map_err(|e| BackendError::Buildah(e.to_string()))?;
        let registries_conf = self.registries_conf(&private)?;
        let dockerfile_path = context_dir.join(&dockerfile);
        let ssh = ssh.map(|value| match (&ssh_auth_sock, value.as_str()) {
            (Some(sock), "default" | "") => format!("default={}", sock.display()),
            _ => value,
        });
        let settings = BuildSettings {
            context_dir: context_dir.clone(),
            dockerfile: dockerfile_path.clone(),
            target,
            build_args,
            add_host,
            network,
            labels,
            tag: tag.clone(),
            isolation: self.config.isolation,
            ulimits: self.config.ulimits.clone(),
            authfile: Some(authfile),
            ssh,
            secrets: secrets
                .iter()
                .enumerate()
                .map(|(i, s)| match &s.source {
                    SecretSource::Env(name) => format!("id={},env={name}", s.id),
                    SecretSource::File(path) => format!("id={},src={path}", s.id),
                    SecretSource::Value(_) => format!("id={},env={}", s.id, value_variable(i)),
                })
                .collect(),
        };
        let argv = command::build_argv(&self.config.globals, &settings);
        let mut cmd = self.command(&argv);
        // A `value:` secret reaches buildah in its environment: never on the command line.
        for (i, s) in secrets.iter().enumerate() {
            if let SecretSource::Value(value) = &s.source {
                cmd.env(value_variable(i), value.expose());
            }
        }
        if let Some(conf) = &registries_conf {
            cmd.env("CONTAINERS_REGISTRIES_CONF", conf);
        }
        let mut child = cmd.spawn().map_err(|e| {
            BackendError::Buildah(format!(
                "cannot run {} to build image {image}: {e}",
                self.config.program.display()
            ))
        })?;
        let output = Arc::new(Mutex::new(Output {
            log,
            tail: VecDeque::with_capacity(TAIL_LINES + 1),
            step: None,
            explanations: Vec::new(),
            error: None,
        }));
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        tokio::join!(
            pump(stdout, Arc::clone(&output)),
            pump(stderr, Arc::clone(&output))
        );
        let status = child.wait().await.map_err(|e| {
            BackendError::Buildah(format!("waiting for buildah to build image {image}: {e}"))
        })?;
        if !status.success() {
            // Both pumps have ended, so this is the only reference left.
            let out = Arc::into_inner(output)
                .expect("the output readers have finished")
                .into_inner()
                .unwrap_or_else(|p| p.into_inner());
            let line = out
                .step
                .and_then(|step| instruction_index(&from_flags(&dockerfile_path), step))
                .and_then(|i| instruction_lines.get(i));
            let location = match line {
                Some(line) => format!("{dockerfile_display}:{line}"),
                None => dockerfile_display,
            };
            return Err(BackendError::BuildFailed {
                image,
                location,
                message: out
                    .error
                    .unwrap_or_else(|| format!("buildah exited with {status}")),
                tail: out.tail.into(),
                explanations: out.explanations.iter().map(ToString::to_string).collect(),
            });
        }
        drop(private);
        let info = self.inspect(&tag).await?.ok_or_else(|| {
            BackendError::Buildah(format!(
                "the build of image {image} ended without an image tagged {tag}"
            ))
        })?;
        Ok(Built {
            id: info.id,
            size: info.size,
        })
    }

    async fn push(
        &self,
        reference: &str,
        credentials: Option<&Credentials>,
    ) -> Result<String, BackendError> {
        let failed = |message: String| BackendError::Push {
            reference: reference.to_owned(),
            message,
        };
        let host = registry_host(reference);
        let private = private_dir(&self.config.temp_dir)?;
        let authfile = command::write_auth_file(&private, host, credentials)
            .map_err(|e| failed(e.to_string()))?;
        let push = PushSettings {
            image: reference.to_owned(),
            destination: reference.to_owned(),
            authfile,
            digestfile: private.path().join("digest"),
            tls_verify: self.tls_verify(host),
        };
        let (ok, _, stderr) = self
            .run(&command::push_argv(&self.config.globals, &push))
            .await?;
        if !ok {
            let message = stderr
                .lines()
                .rev()
                .find_map(|l| l.strip_prefix("Error: "))
                .unwrap_or(stderr.trim())
                .to_owned();
            return Err(failed(message));
        }
        command::read_digest_file(&push.digestfile).map_err(|e| failed(e.to_string()))
    }

    async fn inspect(&self, reference: &str) -> Result<Option<ImageInfo>, BackendError> {
        let argv = self.argv(&["inspect", "--type", "image", reference]);
        let (ok, stdout, stderr) = self.run(&argv).await?;
        if !ok {
            if is_unknown_image(&stderr) {
                return Ok(None);
            }
            return Err(BackendError::Buildah(format!(
                "buildah inspect {reference}: {}",
                stderr.trim()
            )));
        }
        let inspect: Inspect = serde_json::from_str(&stdout).map_err(|e| {
            BackendError::Buildah(format!(
                "buildah inspect {reference}: unexpected output: {e}"
            ))
        })?;
        // Local storage keeps layers uncompressed, so the manifest's sizes are the image's
        // unpacked size, as Docker reports it.
        let size = serde_json::from_str::<ManifestSizes>(&inspect.manifest)
            .map(|m| m.config.map_or(0, |c| c.size) + m.layers.iter().map(|l| l.size).sum::<u64>())
            .unwrap_or(0);
        Ok(Some(ImageInfo {
            id: format!("sha256:{}", inspect.from_image_id),
            size,
            repo_digests: Vec::new(),
            labels: inspect
                .docker
                .and_then(|d| d.config)
                .and_then(|c| c.labels)
                .unwrap_or_default(),
        }))
    }

    async fn tag(&self, source: &str, target: &str) -> Result<(), BackendError> {
        let (ok, _, stderr) = self.run(&self.argv(&["tag", source, target])).await?;
        if ok {
            Ok(())
        } else {
            Err(BackendError::Buildah(format!(
                "buildah tag {source} {target}: {}",
                stderr.trim()
            )))
        }
    }

    async fn local_tags(&self, repository: &str) -> Result<Vec<String>, BackendError> {
        let (ok, stdout, stderr) = self.run(&self.argv(&["images", "--json"])).await?;
        if !ok {
            return Err(BackendError::Buildah(format!(
                "listing the local images of {repository}: {}",
                stderr.trim()
            )));
        }
        #[derive(serde::Deserialize)]
        struct Listed {
            #[serde(default)]
            names: Option<Vec<String>>,
        }
        let images: Vec<Listed> = serde_json::from_str(stdout.trim()).unwrap_or_default();
        // buildah qualifies short names with `localhost/`.
        let qualified = format!("localhost/{repository}");
        let mut tags: Vec<String> = images
            .iter()
            .flat_map(|i| i.names.iter().flatten())
            .filter_map(|name| match split_reference(name) {
                (repo, Some(tag)) if repo == repository || repo == qualified => {
                    Some(tag.to_owned())
                }
                _ => None,
            })
            .collect();
        tags.sort();
        tags.dedup();
        Ok(tags)
    }

    async fn run_stage(
        &self,
        request: crate::stapel::run::StageRun,
        log: LogSink,
    ) -> Result<Built, BackendError> {
        self.run_stapel_stage(request, log).await
    }

    async fn untag(&self, reference: &str) -> Result<(), BackendError> {
        // `rmi` of one name of an image with several only removes that name.
        let (ok, _, stderr) = self.run(&self.argv(&["rmi", reference])).await?;
        if ok || is_unknown_image(&stderr) {
            Ok(())
        } else {
            Err(BackendError::Buildah(format!(
                "buildah rmi {reference}: {}",
                stderr.trim()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_of_buildah_1_28() {
        // Lines as buildah 1.28 prints them, single- and multi-stage.
        assert_eq!(
            parse_step("STEP 5/5: RUN echo hi && exit 3"),
            Some(Step {
                stage: 1,
                instruction: 5
            })
        );
        assert_eq!(
            parse_step("[4/4] STEP 2/2: RUN echo x && exit 3"),
            Some(Step {
                stage: 4,
                instruction: 2
            })
        );
        assert_eq!(parse_step("[2/2] COMMIT localhost/x:2"), None);
        assert_eq!(parse_step("Getting image source signatures"), None);
        assert_eq!(parse_step("STEP x/2: RUN"), None);
    }

    #[test]
    fn steps_map_to_instructions() {
        // ARG X; FROM base; COPY; RUN; FROM app; LABEL; RUN; FROM other; RUN
        let is_from = [
            false, true, false, false, true, false, true, false, true, false,
        ];
        let at = |stage, instruction| instruction_index(&is_from, Step { stage, instruction });
        assert_eq!(at(1, 1), Some(1));
        assert_eq!(at(1, 3), Some(3));
        assert_eq!(at(2, 2), Some(5));
        assert_eq!(
            at(2, 3),
            None,
            "a label step after the stage's own instructions"
        );
        assert_eq!(at(4, 2), Some(9));
        assert_eq!(at(5, 1), None);
        assert_eq!(at(4, 3), None);
        assert_eq!(at(0, 1), None);
    }

    fn with_conf(dir: &Path, conf: &str, insecure: &[&str]) -> BuildahBackend {
        let path = dir.join("system.conf");
        std::fs::write(&path, conf).unwrap();
        BuildahBackend::new(BuildahConfig {
            globals: GlobalSettings {
                driver: super::super::storage::StorageDriver::Vfs,
                root: None,
                runroot: None,
            },
            isolation: Isolation::Chroot,
            ulimits: Vec::new(),
            temp_dir: dir.to_path_buf(),
            insecure: insecure.iter().map(|s| s.to_string()).collect(),
            registries_conf: path,
            program: "buildah".into(),
        })
    }

    #[test]
    fn registries_conf_marks_plain_http_registries() {
        let work = tempfile::tempdir().unwrap();
        let private = PrivateDir::create(work.path()).unwrap();
        let backend = with_conf(
            work.path(),
            "unqualified-search-registries = [\"docker.io\"]\n[[registry]]\nlocation = \"localhost\"\ninsecure = true\n",
            &["http://reg.internal:8080/"],
        );
        let path = backend.registries_conf(&private).unwrap().unwrap();
        assert_eq!(
            std::fs::read_to_string(path).unwrap(),
            "unqualified-search-registries = [\"docker.io\"]\n[[registry]]\nlocation = \"localhost\"\n\
             insecure = true\n\n[[registry]]\nlocation = \"127.0.0.1\"\ninsecure = true\n\n\
             [[registry]]\nlocation = \"reg.internal:8080\"\ninsecure = true\n"
        );
        // A v1 file cannot take v2 tables: buildah keeps its own.
        let private = PrivateDir::create(work.path()).unwrap();
        let v1 = with_conf(work.path(), "[registries.search]\nregistries = []\n", &[]);
        assert_eq!(v1.registries_conf(&private).unwrap(), None);
    }

    #[test]
    fn output_keeps_error_step_and_explanations() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink: LogSink = {
            let lines = Arc::clone(&lines);
            Arc::new(move |l: &str| lines.lock().unwrap().push(l.to_owned()))
        };
        let mut out = Output {
            log: sink,
            tail: VecDeque::new(),
            step: None,
            explanations: Vec::new(),
            error: None,
        };
        for line in [
            "STEP 1/2: FROM scratch",
            "",
            "STEP 2/2: RUN x",
            "fuse: device not found, try 'modprobe fuse' first",
            "Error: building at STEP \"RUN x\": exit status 3",
        ] {
            out.line(line);
        }
        assert_eq!(lines.lock().unwrap().len(), 4);
        assert_eq!(
            out.step,
            Some(Step {
                stage: 1,
                instruction: 2
            })
        );
        assert_eq!(
            out.error.as_deref(),
            Some("building at STEP \"RUN x\": exit status 3")
        );
        assert_eq!(out.explanations.len(), 1);
        assert_eq!(out.explanations[0].failure, KnownFailure::FuseDeviceMissing);
    }
}
