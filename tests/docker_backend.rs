//! The Docker backend against the real engine (started by scripts/services): tiny images from
//! `FROM scratch` and the host's static busybox, since no public registry is reachable.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use slipway::backend::capability::{Builder, DockerBuilderChoice};
use slipway::backend::docker::DockerBackend;
use slipway::backend::{Backend, BackendError, BuildRequest, LogSink};
use slipway::context::archive::{ArchiveEntry, ContextArchive, EntrySource};
use slipway::names::ImageName;
use slipway::secret::{Credentials, Secret};

const OPEN: &str = "127.0.0.1:5000";
const AUTH: &str = "127.0.0.1:5001";

/// Fails (never skips) when the engine is not up.
fn require_engine() {
    let docker = Command::new("docker").arg("version").output();
    assert!(
        docker.is_ok_and(|o| o.status.success()),
        "the Docker engine is not running: start it with scripts/services"
    );
}

fn require_registry(registry: &str) {
    let out = Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}"])
        .arg(format!("http://{registry}/v2/"))
        .output()
        .expect("curl runs");
    let code = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        code == "200" || code == "401",
        "registry {registry} is not running: start it with scripts/services"
    );
}

/// The backend as `slipway build` sets it up on this engine (23.0 or later: BuildKit).
async fn backend() -> DockerBackend {
    require_engine();
    let backend = DockerBackend::connect(None)
        .await
        .expect("the engine answers")
        .with_cli(PathBuf::from("docker"), None, std::env::temp_dir());
    assert_eq!(
        backend.builder().await.unwrap(),
        Builder::BuildKit,
        "engine {} should build with BuildKit (scripts/setup installs one)",
        backend.version()
    );
    backend
}

/// The classic builder, which engines still serve (the fallback below 23.0).
async fn classic() -> DockerBackend {
    backend()
        .await
        .with_builder(&DockerBuilderChoice::Classic("test".to_owned()))
}

/// A repository name no other test (or run) uses.
fn unique(prefix: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}slipway-backend-test-{}-{}-{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

fn entry(path: &str, mode: u32, source: EntrySource) -> ArchiveEntry {
    ArchiveEntry {
        path: path.to_owned(),
        mode,
        source,
    }
}

/// A context with the Dockerfile at `sub/Dockerfile` and the host's busybox.
fn context(dockerfile: &str, extra: Vec<ArchiveEntry>) -> ContextArchive {
    let mut entries = vec![
        entry(
            "sub/Dockerfile",
            0o100644,
            EntrySource::Bytes(dockerfile.as_bytes().to_vec()),
        ),
        entry(
            "busybox",
            0o100755,
            EntrySource::File(PathBuf::from("/bin/busybox")),
        ),
    ];
    entries.extend(extra);
    ContextArchive::new(PathBuf::from("/nonexistent"), entries)
}

fn request(context: ContextArchive, instruction_lines: Vec<usize>, tag: &str) -> BuildRequest {
    BuildRequest {
        image: ImageName::parse("tiny").unwrap(),
        context,
        dockerfile: "sub/Dockerfile".to_owned(),
        dockerfile_display: "project/sub/Dockerfile".to_owned(),
        instruction_lines,
        target: None,
        build_args: BTreeMap::new(),
        add_host: Vec::new(),
        network: None,
        ssh: None,
        ssh_auth_sock: None,
        // A label of its own gives every test its own final image: untagging the last
        // reference deletes an image, which would break a concurrent test's cache hit on it.
        labels: BTreeMap::from([("slipway-test".to_owned(), tag.to_owned())]),
        secrets: Vec::new(),
        cache_from: None,
        inline_cache: false,
        registry_credentials: BTreeMap::new(),
        tag: tag.to_owned(),
    }
}

fn collecting_sink() -> (LogSink, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink: LogSink = {
        let lines = Arc::clone(&lines);
        Arc::new(move |l: &str| lines.lock().unwrap().push(l.to_owned()))
    };
    (sink, lines)
}

const TINY: &str = "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\",\"true\"]\n";

async fn build_tiny(backend: &DockerBackend, tag: &str) -> slipway::backend::Built {
    let (sink, _) = collecting_sink();
    backend
        .build(request(context(TINY, vec![]), vec![1, 2, 3], tag), sink)
        .await
        .expect("the tiny image builds")
}

#[tokio::test(flavor = "multi_thread")]
async fn builds_with_labels_args_hosts_long_paths_and_symlinks() {
    let lines = builds_with_labels_args_hosts_long_paths_and_symlinks_on(backend().await).await;
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("#") && l.ends_with("[1/8] COPY busybox /bin/busybox")),
        "{lines:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn classic_builder_builds_with_labels_args_hosts_long_paths_and_symlinks() {
    let lines = builds_with_labels_args_hosts_long_paths_and_symlinks_on(classic().await).await;
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("Step 1/11 : FROM scratch")),
        "{lines:#?}"
    );
}

async fn builds_with_labels_args_hosts_long_paths_and_symlinks_on(
    backend: DockerBackend,
) -> Vec<String> {
    let repo = unique("");
    let tag = format!("{repo}:t");
    let long = format!("deep/{}/file.txt", "d".repeat(120));
    let dockerfile = format!(
        "FROM scratch\n\
         ARG GREETING\n\
         COPY busybox /bin/busybox\n\
         COPY deep /deep\n\
         COPY links /links\n\
         RUN [\"/bin/busybox\", \"sh\", \"-c\", \"test \\\"$GREETING\\\" = hello\"]\n\
         RUN [\"/bin/busybox\", \"grep\", \"-q\", \"second.internal\", \"/etc/hosts\"]\n\
         RUN [\"/bin/busybox\", \"grep\", \"-q\", \"first.internal\", \"/etc/hosts\"]\n\
         RUN [\"/bin/busybox\", \"test\", \"-f\", \"/{long}\"]\n\
         RUN [\"/bin/busybox\", \"test\", \"-L\", \"/links/bb\"]\n"
    );
    let mut req = request(
        context(
            &dockerfile,
            vec![
                entry(&long, 0o100644, EntrySource::Bytes(b"x".to_vec())),
                // COPY follows a source that is itself a link: the link goes in a directory.
                entry(
                    "links/bb",
                    0o120000,
                    EntrySource::Bytes(b"../bin/busybox".to_vec()),
                ),
            ],
        ),
        (1..=10).collect(),
        &tag,
    );
    req.build_args = BTreeMap::from([("GREETING".to_owned(), "hello".to_owned())]);
    req.add_host = vec![
        "first.internal:10.0.0.1".to_owned(),
        "second.internal:10.0.0.2".to_owned(),
    ];
    let (sink, lines) = collecting_sink();
    let built = backend.build(req, sink).await.expect("builds");
    assert!(built.id.starts_with("sha256:"), "{built:?}");
    assert!(built.size > 1_000_000, "busybox is in the image: {built:?}");
    let info = backend.inspect(&tag).await.unwrap().expect("tagged");
    assert_eq!(info.id, built.id);
    assert_eq!(
        info.labels.get("slipway-test").map(String::as_str),
        Some(tag.as_str())
    );
    let lines = lines.lock().unwrap().clone();
    assert!(lines.iter().all(|l| !l.contains('\n')), "{lines:#?}");
    backend.untag(&tag).await.unwrap();
    lines
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_run_names_its_dockerfile_line() {
    let tail = failing_run_names_its_dockerfile_line_on(backend().await, "exit code: 3").await;
    // The failing step's lines, in full.
    assert!(
        tail.iter()
            .any(|l| l.starts_with('#') && l.ends_with(" about to fail")),
        "{tail:#?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn classic_builder_failing_run_names_its_dockerfile_line() {
    let tail =
        failing_run_names_its_dockerfile_line_on(classic().await, "returned a non-zero code: 3")
            .await;
    assert!(tail.iter().any(|l| l == "about to fail"), "{tail:#?}");
    assert!(tail.len() <= 15);
}

async fn failing_run_names_its_dockerfile_line_on(
    backend: DockerBackend,
    says: &str,
) -> Vec<String> {
    let tag = format!("{}:t", unique(""));
    let dockerfile = "# syntax comment\n\
                      FROM scratch\n\
                      \n\
                      COPY busybox /bin/busybox\n\
                      RUN [\"/bin/busybox\",\"true\"]\n\
                      # the failing one\n\
                      RUN [\"/bin/busybox\",\"sh\",\"-c\",\"echo about to fail; exit 3\"]\n\
                      RUN [\"/bin/busybox\",\"true\"]\n";
    let (sink, _) = collecting_sink();
    let err = backend
        .build(
            request(context(dockerfile, vec![]), vec![2, 4, 5, 7, 8], &tag),
            sink,
        )
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("image tiny failed to build at project/sub/Dockerfile:7: "),
        "{text}"
    );
    assert_eq!(backend.inspect(&tag).await.unwrap(), None);
    match err {
        BackendError::BuildFailed {
            location,
            message,
            tail,
            ..
        } => {
            assert_eq!(location, "project/sub/Dockerfile:7");
            assert!(message.contains(says), "{message}");
            tail
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tag_list_and_untag_round_trip() {
    let backend = backend().await;
    let repo = unique("");
    let built = build_tiny(&backend, &format!("{repo}:a")).await;
    backend
        .tag(&format!("{repo}:a"), &format!("{repo}:b"))
        .await
        .unwrap();
    assert_eq!(backend.local_tags(&repo).await.unwrap(), ["a", "b"]);
    backend.untag(&format!("{repo}:a")).await.unwrap();
    assert_eq!(backend.local_tags(&repo).await.unwrap(), ["b"]);
    assert_eq!(backend.inspect(&format!("{repo}:a")).await.unwrap(), None);
    let b = backend
        .inspect(&format!("{repo}:b"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        b.id, built.id,
        "the image stays while another reference holds it"
    );
    // Untagging what is gone is not an error.
    backend.untag(&format!("{repo}:a")).await.unwrap();
    backend.untag(&format!("{repo}:b")).await.unwrap();
    assert!(backend.local_tags(&repo).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn inspect_of_a_missing_image_is_none() {
    let backend = backend().await;
    let missing = format!("{}:nope", unique(""));
    assert_eq!(backend.inspect(&missing).await.unwrap(), None);
    assert!(backend.local_tags(&unique("")).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_engine_says_how_to_fix_it() {
    for address in [
        "unix:///tmp/slipway-no-docker.sock",
        "tcp://127.0.0.1:1",
        "ssh://somewhere",
    ] {
        let err = DockerBackend::connect(Some(address)).await.err().unwrap();
        assert!(matches!(err, BackendError::Unreachable { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!("cannot reach the Docker engine at {address}: ")),
            "{text}"
        );
        assert!(
            text.contains("`dockerd &` or `systemctl start docker`"),
            "{text}"
        );
        assert!(text.contains("DOCKER_HOST"), "{text}");
    }
}

/// An ssh-agent for one test, stopped on drop.
struct Agent {
    dir: tempfile::TempDir,
    child: std::process::Child,
}

impl Agent {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(dir.path().join("agent.sock"))
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("ssh-agent runs (scripts/setup installs openssh-client)");
        let agent = Self { dir, child };
        for _ in 0..100 {
            if agent.socket().exists() {
                return agent;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        panic!("ssh-agent did not start");
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("agent.sock")
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const SSH_DOCKERFILE: &str = "FROM scratch\nCOPY busybox /bin/busybox\nRUN --mount=type=ssh [\"/bin/busybox\", \"sh\", \"-c\", \"/bin/busybox test -S \\\"$SSH_AUTH_SOCK\\\" && /bin/busybox echo agent-forwarded\"]\n";

#[tokio::test(flavor = "multi_thread")]
async fn ssh_builds_forward_the_agent_through_buildkit() {
    let backend = backend().await;
    let agent = Agent::start();
    let tag = format!("{}:ssh", unique(""));
    let mut req = request(context(SSH_DOCKERFILE, vec![]), vec![1, 2, 3], &tag);
    req.ssh = Some("default".to_owned());
    req.ssh_auth_sock = Some(agent.socket());
    let (sink, lines) = collecting_sink();
    let built = backend.build(req, sink).await.unwrap();
    assert!(built.id.starts_with("sha256:"));
    let lines = lines.lock().unwrap().join("\n");
    assert!(lines.contains("agent-forwarded"), "{lines}");
    let info = backend.inspect(&tag).await.unwrap().unwrap();
    assert_eq!(info.labels["slipway-test"], tag, "labels reach the image");
    backend.untag(&tag).await.unwrap();

    // Without an agent the build is refused before it starts.
    let mut req = request(context(SSH_DOCKERFILE, vec![]), vec![1, 2, 3], &tag);
    req.ssh = Some("default".to_owned());
    let (sink, _) = collecting_sink();
    let err = backend.build(req, sink).await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("image tiny sets `ssh: default`, but SSH_AUTH_SOCK is not set: "),
        "{err}"
    );
}

/// The manifest digest the registry serves for `repo:tag`.
fn registry_digest(registry: &str, repo: &str, tag: &str, user: Option<(&str, &str)>) -> String {
    let mut cmd = Command::new("curl");
    cmd.args(["-sfI", "-H"])
        .arg("Accept: application/vnd.docker.distribution.manifest.v2+json");
    if let Some((u, p)) = user {
        cmd.arg("-u").arg(format!("{u}:{p}"));
    }
    let out = cmd
        .arg(format!("http://{registry}/v2/{repo}/manifests/{tag}"))
        .output()
        .expect("curl runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("docker-content-digest")
                .then(|| v.trim().to_owned())
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn push_to_the_open_registry_returns_the_manifest_digest() {
    let backend = backend().await;
    require_registry(OPEN);
    let path = unique("test/");
    let reference = format!("{OPEN}/{path}:t1");
    build_tiny(&backend, &reference).await;
    let digest = backend.push(&reference, None).await.expect("pushes");
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    assert_eq!(registry_digest(OPEN, &path, "t1", None), digest);
    backend.untag(&reference).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn push_with_credentials_and_refused_credentials() {
    let backend = backend().await;
    require_registry(AUTH);
    let password = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/e2e/registry-password"
    ))
    .unwrap()
    .trim()
    .to_owned();
    let path = unique("test/");
    let reference = format!("{AUTH}/{path}:t1");
    build_tiny(&backend, &reference).await;

    let wrong = Credentials {
        username: "slipway".to_owned(),
        password: Secret::new("not-the-password"),
        source: "test".to_owned(),
    };
    let err = backend.push(&reference, Some(&wrong)).await.unwrap_err();
    assert!(matches!(err, BackendError::Push { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!("pushing {reference} failed: ")),
        "{text}"
    );
    assert!(!text.contains("not-the-password"), "{text}");

    let right = Credentials {
        password: Secret::new(password.clone()),
        ..wrong
    };
    let digest = backend
        .push(&reference, Some(&right))
        .await
        .expect("pushes");
    assert_eq!(
        registry_digest(AUTH, &path, "t1", Some(("slipway", &password))),
        digest
    );
    backend.untag(&reference).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_context_read_error_is_reported_as_such() {
    let backend = backend().await;
    let tag = format!("{}:t", unique(""));
    let context = context(
        TINY,
        vec![entry(
            "zz-vanished",
            0o100644,
            EntrySource::File(PathBuf::from("/nonexistent/vanished")),
        )],
    );
    let (sink, _) = collecting_sink();
    let err = backend
        .build(request(context, vec![1, 2, 3], &tag), sink)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("Docker engine: sending the build context of image tiny failed: "),
        "{text}"
    );
    assert!(text.contains("/nonexistent/vanished"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn target_stops_at_the_named_stage() {
    let backend = backend().await;
    let tag = format!("{}:t", unique(""));
    let dockerfile = "FROM scratch AS base\n\
                      COPY busybox /bin/busybox\n\
                      FROM base AS broken\n\
                      RUN [\"/bin/busybox\",\"false\"]\n";
    let mut req = request(context(dockerfile, vec![]), vec![1, 2, 3, 4], &tag);
    req.target = Some("base".to_owned());
    let (sink, _) = collecting_sink();
    backend
        .build(req, sink)
        .await
        .expect("the broken stage is not built");
    backend.untag(&tag).await.unwrap();
}
