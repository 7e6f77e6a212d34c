//! The Docker engine backend (bollard): builds from the streamed context tar, pushes with the
//! registry credentials, and inspects, tags and lists local images.
//!
//! Builds go through BuildKit ([`super::buildkit_cli`]); the engine's classic builder, through
//! the API, is the fallback for engines older than 23.0 or when the user asks for it.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::names::ImageName;

mod stapel;

use bollard::errors::Error as DockerError;
use bollard::models::BuildInfo;
use bollard::query_parameters::{
    BuildImageOptions, BuilderVersion, ListImagesOptions, PushImageOptions, RemoveImageOptions,
    TagImageOptions,
};
use bollard::{API_DEFAULT_VERSION, ClientVersion, Docker};
use futures_util::StreamExt;

use super::capability::{self, Builder, DockerBuilderChoice};
use super::{Backend, BackendError, BuildRequest, Built, ImageInfo, LogSink};
use crate::secret::Credentials;

const DEFAULT_HOST: &str = "unix:///var/run/docker.sock";

const HINT: &str = "start the engine (`dockerd &` or `systemctl start docker`), or set \
                    DOCKER_HOST to a reachable engine (unix:///path/to/docker.sock or \
                    tcp://host:port)";

/// How long a request may wait for the engine's response headers. The classic builder answers
/// a build only once it has received the whole context, so this bounds the upload too.
const REQUEST_TIMEOUT_SECS: u64 = 3600;

/// How long connecting may take: a dead engine must fail the run quickly.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// Build output lines kept for the error message of a failed build.
const TAIL_LINES: usize = 15;

pub struct DockerBackend {
    client: Docker,
    address: String,
    /// The engine's version, as `/version` says.
    version: String,
    builder: Builder,
    /// The docker CLI that runs BuildKit builds.
    cli: PathBuf,
    /// The user's docker CLI plugins directory (buildx may be there).
    plugins: Option<PathBuf>,
    /// Where private client configurations are created.
    temp_dir: PathBuf,
}

impl DockerBackend {
    /// Connects to `docker_host` (`DOCKER_HOST`'s value) or the default socket, negotiates the
    /// API version and checks that the engine answers.
    pub async fn connect(docker_host: Option<&str>) -> Result<Self, BackendError> {
        let address = docker_host.unwrap_or(DEFAULT_HOST).to_owned();
        let unreachable = |reason: String| BackendError::Unreachable {
            address: address.clone(),
            reason,
            hint: HINT.to_owned(),
        };
        let connect: Box<Connector> = if let Some(path) = unix_path(&address) {
            if !Path::new(path).exists() {
                return Err(unreachable(format!("the socket {path} does not exist")));
            }
            let socket = format!("unix://{path}");
            Box::new(move |v| Docker::connect_with_unix(&socket, REQUEST_TIMEOUT_SECS, v))
        } else if address.starts_with("tcp://") || address.starts_with("http://") {
            let url = address.clone();
            Box::new(move |v| Docker::connect_with_http(&url, REQUEST_TIMEOUT_SECS, v))
        } else {
            return Err(unreachable(
                "slipway talks to unix://, tcp:// and http:// addresses only".to_owned(),
            ));
        };
        let client = within_timeout(negotiate(&*connect))
            .await
            .map_err(&unreachable)?;
        within_timeout(async { client.ping().await.map(|_| ()) })
            .await
            .map_err(&unreachable)?;
        let version = within_timeout(client.version())
            .await
            .map_err(&unreachable)?
            .version
            .unwrap_or_default();
        Ok(Self {
            client,
            address,
            builder: capability::docker_builder(&DockerBuilderChoice::Auto, &version),
            version,
            cli: PathBuf::from("docker"),
            plugins: None,
            temp_dir: std::env::temp_dir(),
        })
    }

    /// Builds with the builder `choice` gives on this engine.
    pub fn with_builder(mut self, choice: &DockerBuilderChoice) -> Self {
        self.builder = capability::docker_builder(choice, &self.version);
        self
    }

    /// Runs BuildKit builds with `cli` (a docker CLI with the buildx plugin), which finds
    /// plugins in `plugins` too, and keeps its private configurations in `temp_dir`.
    pub fn with_cli(mut self, cli: PathBuf, plugins: Option<PathBuf>, temp_dir: PathBuf) -> Self {
        self.cli = cli;
        self.plugins = plugins;
        self.temp_dir = temp_dir;
        self
    }

    /// The engine's address, as given or defaulted.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// The engine's version.
    pub fn version(&self) -> &str {
        &self.version
    }
}

/// Makes a client speaking one API version.
type Connector = dyn Fn(&ClientVersion) -> Result<Docker, DockerError> + Send + Sync;

fn unix_path(address: &str) -> Option<&str> {
    match address.strip_prefix("unix://") {
        Some(path) => Some(path),
        None if address.starts_with('/') => Some(address),
        None => None,
    }
}

/// bollard's own negotiation asks `/version` at its newest API version, which older engines
/// refuse ("client version 1.53 is too new. Maximum supported API version is 1.41"): then ask
/// again at the version the engine named.
async fn negotiate(connect: &Connector) -> Result<Docker, DockerError> {
    match connect(API_DEFAULT_VERSION)?.negotiate_version().await {
        Err(DockerError::DockerResponseServerError {
            status_code: 400,
            message,
        }) if max_version(&message).is_some() => {
            let version = max_version(&message).expect("checked by the guard");
            connect(&version)?.negotiate_version().await
        }
        other => other,
    }
}

fn max_version(message: &str) -> Option<ClientVersion> {
    let (_, rest) = message.split_once("Maximum supported API version is ")?;
    let (major, minor) = rest.trim().split_once('.')?;
    let digits = |s: &str| {
        s.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .ok()
    };
    Some(ClientVersion {
        major_version: digits(major)?,
        minor_version: digits(minor)?,
    })
}

async fn within_timeout<T>(
    future: impl Future<Output = Result<T, DockerError>>,
) -> Result<T, String> {
    match tokio::time::timeout(CONNECT_TIMEOUT, future).await {
        Ok(result) => result.map_err(|e| describe(&e)),
        Err(_) => Err(format!(
            "no answer within {} seconds",
            CONNECT_TIMEOUT.as_secs()
        )),
    }
}

/// The error's causes: bollard's and hyper's own wrappers ("Error in the hyper legacy client:
/// client error (Connect)") say nothing about why.
fn describe(e: &DockerError) -> String {
    if let DockerError::DockerResponseServerError {
        status_code,
        message,
    } = e
    {
        return if message.trim().is_empty() {
            format!("the engine answered HTTP {status_code}")
        } else {
            message.clone()
        };
    }
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        let text = cause.to_string();
        if text != "client error (Connect)" && !causes.contains(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    if causes.is_empty() {
        e.to_string()
    } else {
        causes.join(": ")
    }
}

fn engine(what: &str, e: &DockerError) -> BackendError {
    BackendError::Engine(format!("{what}: {}", describe(e)))
}

fn is_not_found(e: &DockerError) -> bool {
    matches!(
        e,
        DockerError::DockerResponseServerError {
            status_code: 404,
            ..
        }
    )
}

/// Splits `repo:tag` at the last ':' after the last '/' (a registry's port is not a tag);
/// `None` when there is no tag.
pub fn split_reference(reference: &str) -> (&str, Option<&str>) {
    let name_start = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[name_start..].rfind(':') {
        Some(i) => (
            &reference[..name_start + i],
            Some(&reference[name_start + i + 1..]),
        ),
        None => (reference, None),
    }
}

/// The registry of a repository, as the engine resolves it: the first component when it looks
/// like a host, else Docker Hub.
fn registry_of(repository: &str) -> &str {
    match repository.split_once('/') {
        Some((first, _)) if first.contains(['.', ':']) || first == "localhost" => first,
        _ => "docker.io",
    }
}

/// The engine takes `extrahosts` once per host, but bollard's options hold a single string:
/// the extra parameters are appended to the request's query.
fn with_extra_hosts(client: &Docker, hosts: &[String]) -> Docker {
    if hosts.is_empty() {
        return client.clone();
    }
    let query: String = hosts
        .iter()
        .map(|h| format!("&extrahosts={}", percent_encode(h)))
        .collect();
    client.clone().with_request_modifier(move |mut request| {
        let uri = request.uri().to_string();
        let joined = if uri.contains('?') {
            format!("{uri}{query}")
        } else {
            format!("{uri}?{}", &query[1..])
        };
        if let Ok(new) = joined.parse() {
            *request.uri_mut() = new;
        }
        request
    })
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The build output as lines: sends them to the log, keeps the last ones and the step the
/// classic builder is at (`Step N/M : …`).
struct Output {
    log: LogSink,
    partial: String,
    tail: VecDeque<String>,
    step: Option<usize>,
}

impl Output {
    fn new(log: LogSink) -> Self {
        Self {
            log,
            partial: String::new(),
            tail: VecDeque::with_capacity(TAIL_LINES + 1),
            step: None,
        }
    }

    fn info(&mut self, info: &BuildInfo) {
        if let Some(text) = &info.stream {
            // RUN output arrives in arbitrary pieces: only whole lines are logged.
            self.partial.push_str(text);
            while let Some(i) = self.partial.find('\n') {
                let line: String = self.partial.drain(..=i).collect();
                self.line(line.trim_end_matches(['\n', '\r']));
            }
        }
        if let Some(status) = &info.status {
            // Progress bars repeat for every chunk pulled: only the status changes are logged.
            let progress = info
                .progress_detail
                .as_ref()
                .is_some_and(|p| p.current.is_some());
            if !progress {
                match &info.id {
                    Some(id) => self.line(&format!("{id}: {status}")),
                    None => self.line(status),
                }
            }
        }
    }

    fn line(&mut self, line: &str) {
        if line.trim().is_empty() {
            return;
        }
        if let Some(step) = parse_step(line) {
            self.step = Some(step);
        }
        (self.log)(line);
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line.to_owned());
    }

    fn flush(&mut self) {
        let rest = std::mem::take(&mut self.partial);
        self.line(rest.trim_end_matches('\r'));
    }
}

/// N of the classic builder's `Step N/M : INSTRUCTION`.
fn parse_step(line: &str) -> Option<usize> {
    let rest = line.strip_prefix("Step ")?;
    let (n, rest) = rest.split_once('/')?;
    let (m, _) = rest.split_once(" : ")?;
    m.parse::<usize>().ok()?;
    n.parse().ok()
}

/// The Dockerfile location of step `step` (1-based, counting every instruction of the file).
fn location(display: &str, lines: &[usize], step: Option<usize>) -> String {
    match step.and_then(|n| lines.get(n.checked_sub(1)?)) {
        Some(line) => format!("{display}:{line}"),
        None => display.to_owned(),
    }
}

/// `sha256:…` from the engine's last push status, `<tag>: digest: sha256:… size: N`.
fn pushed_digest(status: &str) -> Option<&str> {
    let (_, rest) = status.split_once("digest: ")?;
    let digest = rest.split_whitespace().next()?;
    digest.starts_with("sha256:").then_some(digest)
}

impl DockerBackend {
    async fn built(&self, image: &ImageName, tag: &str) -> Result<Built, BackendError> {
        let info = self.inspect(tag).await?.ok_or_else(|| {
            BackendError::Engine(format!(
                "the build of image {image} ended without an image tagged {tag}"
            ))
        })?;
        Ok(Built {
            id: info.id,
            size: info.size,
        })
    }
}

impl Backend for DockerBackend {
    fn name(&self) -> &'static str {
        "docker"
    }

    async fn builder(&self) -> Result<Builder, BackendError> {
        Ok(self.builder.clone())
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
            cache_from,
            inline_cache,
            registry_credentials,
            tag,
        } = request;
        if self.builder == Builder::BuildKit {
            super::buildkit_cli::CliBuild {
                cli: &self.cli,
                address: &self.address,
                image: &image,
                dockerfile: &dockerfile,
                dockerfile_display: &dockerfile_display,
                target: target.as_deref(),
                build_args: &build_args,
                add_host: &add_host,
                network: network.as_deref(),
                labels: &labels,
                ssh: ssh.as_deref(),
                ssh_auth_sock: ssh_auth_sock.as_deref(),
                secrets: &secrets,
                registry_credentials: &registry_credentials,
                cache_from: cache_from.as_deref(),
                inline_cache,
                plugins: self.plugins.as_deref(),
                temp_dir: &self.temp_dir,
                tag: &tag,
            }
            .run(context, log)
            .await?;
            return self.built(&image, &tag).await;
        }
        let options = BuildImageOptions {
            dockerfile,
            t: Some(tag.clone()),
            target: target.unwrap_or_default(),
            buildargs: Some(build_args.into_iter().collect::<HashMap<_, _>>()),
            labels: Some(labels.into_iter().collect::<HashMap<_, _>>()),
            networkmode: network,
            rm: true,
            forcerm: true,
            version: BuilderVersion::BuilderV1,
            ..Default::default()
        };
        // A failing context read ends the upload; the engine then only sees a truncated tar,
        // so the real cause is kept here for the error message.
        let context_error: Arc<Mutex<Option<String>>> = Arc::default();
        let body = context.into_stream().inspect({
            let context_error = Arc::clone(&context_error);
            move |item| {
                if let Err(e) = item {
                    let mut slot = context_error.lock().unwrap_or_else(|p| p.into_inner());
                    slot.get_or_insert_with(|| e.to_string());
                }
            }
        });
        let client = with_extra_hosts(&self.client, &add_host);
        let credentials: HashMap<String, bollard::auth::DockerCredentials> = registry_credentials
            .into_iter()
            .map(|(host, c)| {
                let auth = bollard::auth::DockerCredentials {
                    username: Some(c.username),
                    password: Some(c.password.expose().to_owned()),
                    serveraddress: Some(host.clone()),
                    ..Default::default()
                };
                (host, auth)
            })
            .collect();
        let mut stream = client.build_image(
            options,
            (!credentials.is_empty()).then_some(credentials),
            Some(bollard::body_try_stream(body)),
        );
        let mut output = Output::new(log);
        while let Some(item) = stream.next().await {
            let failure = match item {
                Ok(info) => {
                    output.info(&info);
                    continue;
                }
                Err(e) => e,
            };
            output.flush();
            let context_error = context_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            if let Some(cause) = context_error {
                return Err(BackendError::Engine(format!(
                    "sending the build context of image {image} failed: {cause}"
                )));
            }
            return Err(match failure {
                DockerError::DockerStreamError { error } => BackendError::BuildFailed {
                    image,
                    location: location(&dockerfile_display, &instruction_lines, output.step),
                    message: error.trim_end().to_owned(),
                    tail: output.tail.into(),
                    explanations: Vec::new(),
                },
                // Refused before building (a missing Dockerfile, a bad option): no step ran.
                DockerError::DockerResponseServerError { message, .. } => {
                    BackendError::BuildFailed {
                        image,
                        location: dockerfile_display,
                        message: message.trim_end().to_owned(),
                        tail: output.tail.into(),
                        explanations: Vec::new(),
                    }
                }
                other => engine(&format!("building image {image}"), &other),
            });
        }
        output.flush();
        self.built(&image, &tag).await
    }

    async fn push(
        &self,
        reference: &str,
        credentials: Option<&Credentials>,
    ) -> Result<String, BackendError> {
        let (repository, tag) = split_reference(reference);
        // Without a tag the engine would push every tag of the repository.
        let tag = tag.unwrap_or("latest");
        let auth = credentials.map(|c| bollard::auth::DockerCredentials {
            username: Some(c.username.clone()),
            password: Some(c.password.expose().to_owned()),
            serveraddress: Some(registry_of(repository).to_owned()),
            ..Default::default()
        });
        let options = PushImageOptions {
            tag: Some(tag.to_owned()),
            ..Default::default()
        };
        let failed = |message: String| BackendError::Push {
            reference: reference.to_owned(),
            message,
        };
        let mut stream = self.client.push_image(repository, Some(options), auth);
        let mut digest = None;
        while let Some(item) = stream.next().await {
            let info = match item {
                Ok(info) => info,
                Err(DockerError::DockerStreamError { error }) => return Err(failed(error)),
                Err(e) => return Err(failed(describe(&e))),
            };
            let Some(status) = &info.status else { continue };
            if let Some(d) = pushed_digest(status) {
                digest = Some(d.to_owned());
            }
        }
        digest.ok_or_else(|| failed("the engine reported no manifest digest".to_owned()))
    }

    async fn inspect(&self, reference: &str) -> Result<Option<ImageInfo>, BackendError> {
        match self.client.inspect_image(reference).await {
            Ok(image) => Ok(Some(ImageInfo {
                id: image.id.unwrap_or_default(),
                size: image.size.unwrap_or(0).try_into().unwrap_or(0),
                repo_digests: image.repo_digests.unwrap_or_default(),
                labels: image
                    .config
                    .and_then(|c| c.labels)
                    .unwrap_or_default()
                    .into_iter()
                    .collect(),
            })),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(engine(&format!("inspecting {reference}"), &e)),
        }
    }

    async fn tag(&self, source: &str, target: &str) -> Result<(), BackendError> {
        let (repo, tag) = split_reference(target);
        let options = TagImageOptions {
            repo: Some(repo.to_owned()),
            tag: Some(tag.unwrap_or("latest").to_owned()),
        };
        self.client
            .tag_image(source, Some(options))
            .await
            .map_err(|e| engine(&format!("tagging {source} as {target}"), &e))
    }

    async fn local_tags(&self, repository: &str) -> Result<Vec<String>, BackendError> {
        let options = ListImagesOptions {
            filters: Some(HashMap::from([(
                "reference".to_owned(),
                vec![repository.to_owned()],
            )])),
            ..Default::default()
        };
        let images = self
            .client
            .list_images(Some(options))
            .await
            .map_err(|e| engine(&format!("listing the local images of {repository}"), &e))?;
        let mut tags: Vec<String> = images
            .iter()
            .flat_map(|i| &i.repo_tags)
            .filter_map(|r| match split_reference(r) {
                (repo, Some(tag)) if repo == repository => Some(tag.to_owned()),
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
        // Not forced, so a reference is removed but an image other references hold stays; and
        // no pruning, so the layers other local images share stay as well.
        let options = RemoveImageOptions {
            force: false,
            noprune: true,
            ..Default::default()
        };
        match self
            .client
            .remove_image(reference, Some(options), None)
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if is_not_found(&e) => Ok(()),
            Err(e) => Err(engine(&format!("removing {reference}"), &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_references() {
        assert_eq!(split_reference("a:b"), ("a", Some("b")));
        assert_eq!(
            split_reference("127.0.0.1:5000/x/y:t"),
            ("127.0.0.1:5000/x/y", Some("t"))
        );
        assert_eq!(
            split_reference("127.0.0.1:5000/x"),
            ("127.0.0.1:5000/x", None)
        );
        assert_eq!(split_reference("plain"), ("plain", None));
    }

    #[test]
    fn registries() {
        assert_eq!(registry_of("127.0.0.1:5000/x"), "127.0.0.1:5000");
        assert_eq!(registry_of("localhost/x"), "localhost");
        assert_eq!(registry_of("library/alpine"), "docker.io");
        assert_eq!(registry_of("alpine"), "docker.io");
    }

    #[test]
    fn steps_and_locations() {
        assert_eq!(parse_step("Step 3/7 : RUN exit 3"), Some(3));
        assert_eq!(parse_step("Step 3 of 7"), None);
        assert_eq!(parse_step(" ---> Running in abc"), None);
        assert_eq!(
            location("d/Dockerfile", &[1, 2, 5], Some(3)),
            "d/Dockerfile:5"
        );
        assert_eq!(location("d/Dockerfile", &[1], Some(3)), "d/Dockerfile");
        assert_eq!(location("d/Dockerfile", &[1], None), "d/Dockerfile");
    }

    #[test]
    fn versions_and_digests() {
        let v =
            max_version("client version 1.53 is too new. Maximum supported API version is 1.41")
                .unwrap();
        assert_eq!((v.major_version, v.minor_version), (1, 41));
        assert!(max_version("something else").is_none());
        assert_eq!(
            pushed_digest("t: digest: sha256:abc size: 528"),
            Some("sha256:abc")
        );
        assert_eq!(pushed_digest("Pushed"), None);
    }

    #[test]
    fn output_lines_and_tail() {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink: LogSink = {
            let lines = Arc::clone(&lines);
            Arc::new(move |l: &str| lines.lock().unwrap().push(l.to_owned()))
        };
        let mut out = Output::new(sink);
        for piece in [
            "Step 1/2 : FROM scratch\n",
            " ---> \nStep 2/2 : RUN x\nhal",
            "f\n\n",
            "end",
        ] {
            out.info(&BuildInfo {
                stream: Some(piece.to_owned()),
                ..Default::default()
            });
        }
        out.flush();
        let got = lines.lock().unwrap().clone();
        assert_eq!(
            got,
            [
                "Step 1/2 : FROM scratch",
                " ---> ",
                "Step 2/2 : RUN x",
                "half",
                "end"
            ]
        );
        assert_eq!(out.step, Some(2));
        assert_eq!(out.tail.len(), 5);
    }

    #[test]
    fn extra_hosts_are_encoded() {
        assert_eq!(percent_encode("db:10.0.0.1"), "db%3A10.0.0.1");
    }
}
