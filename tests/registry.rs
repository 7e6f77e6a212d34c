//! The registry client against the real registries `scripts/services` starts: 127.0.0.1:5000
//! (open) and 127.0.0.1:5001 (htpasswd). Images are pushed with curl so the client under test
//! only reads and copies them.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use sha2::{Digest as _, Sha256};
use slipway::registry::{
    ImageRef, RegistryClient, RegistryConfig, RegistryError, RemoteImage, RepoName, Tag,
};
use slipway::secret::{Credentials, Secret};

const OPEN: &str = "127.0.0.1:5000";
const AUTH: &str = "127.0.0.1:5001";
const USER: &str = "slipway";

fn password() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/e2e/registry-password"
    ))
    .unwrap()
    .trim()
    .to_owned()
}

/// Fails (never skips) when the registries are not up.
fn require_registries() {
    for registry in [OPEN, AUTH] {
        let code = curl(&[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("http://{registry}/v2/"),
        ]);
        assert!(
            code == "200" || code == "401",
            "registry {registry} is not running: start it with scripts/services"
        );
    }
}

fn curl(args: &[&str]) -> String {
    let out = Command::new("curl").args(args).output().expect("curl runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn curl_as(registry: &str, args: &[&str]) -> String {
    let login = format!("{USER}:{}", password());
    let mut all = vec!["-s"];
    if registry == AUTH {
        all.extend(["-u", &login]);
    }
    all.extend(args);
    curl(&all)
}

fn sha256(bytes: &[u8]) -> String {
    let h = Sha256::digest(bytes);
    format!(
        "sha256:{}",
        h.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn unique_repo(registry: &str, name: &str) -> RepoName {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    RepoName::parse(&format!(
        "{registry}/registry-test/{name}-{}-{n}-{nanos}",
        std::process::id()
    ))
    .unwrap()
}

fn tag(s: &str) -> Tag {
    Tag::parse(s).unwrap()
}

fn push_blob(repo: &RepoName, data: &[u8]) -> String {
    let digest = sha256(data);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("blob");
    std::fs::write(&file, data).unwrap();
    let registry = repo.registry();
    let headers = curl_as(
        registry,
        &[
            "-D",
            "-",
            "-o",
            "/dev/null",
            "-X",
            "POST",
            &format!("http://{registry}/v2/{}/blobs/uploads/", repo.path()),
        ],
    );
    let location = headers
        .lines()
        .find_map(|l| {
            l.strip_prefix("Location: ")
                .or_else(|| l.strip_prefix("location: "))
        })
        .unwrap_or_else(|| panic!("no upload location in {headers}"))
        .trim();
    let location = if location.starts_with('/') {
        format!("http://{registry}{location}")
    } else {
        location.to_owned()
    };
    let sep = if location.contains('?') { '&' } else { '?' };
    let code = curl_as(
        registry,
        &[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/octet-stream",
            "--data-binary",
            &format!("@{}", file.display()),
            &format!("{location}{sep}digest={digest}"),
        ],
    );
    assert_eq!(code, "201", "blob upload to {repo}");
    digest
}

fn put_manifest(repo: &RepoName, reference: &str, media_type: &str, body: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("manifest");
    std::fs::write(&file, body).unwrap();
    let registry = repo.registry();
    let code = curl_as(
        registry,
        &[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "PUT",
            "-H",
            &format!("Content-Type: {media_type}"),
            "--data-binary",
            &format!("@{}", file.display()),
            &format!("http://{registry}/v2/{}/manifests/{reference}", repo.path()),
        ],
    );
    assert_eq!(code, "201", "manifest upload to {repo}:{reference}");
}

/// A pushed image and what describe must say of it.
struct Pushed {
    manifest: Vec<u8>,
    expected: RemoteImage,
}

/// Pushes a config blob, one layer and a schema2 manifest under `tags`.
fn push_image(repo: &RepoName, tags: &[&str]) -> Pushed {
    let salt = format!("{repo}-{:?}", Instant::now());
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"salt":"{salt}"}}"#
    );
    // Big enough that uploads of it overlap in time.
    let layer = format!("layer of {salt}").repeat(20_000);
    let config_digest = push_blob(repo, config.as_bytes());
    let layer_digest = push_blob(repo, layer.as_bytes());
    let manifest = format!(
        r#"{{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {{"mediaType": "application/vnd.docker.container.image.v1+json", "size": {}, "digest": "{config_digest}"}},
   "layers": [{{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": {}, "digest": "{layer_digest}"}}]
}}"#,
        config.len(),
        layer.len()
    );
    for t in tags {
        put_manifest(
            repo,
            t,
            "application/vnd.docker.distribution.manifest.v2+json",
            manifest.as_bytes(),
        );
    }
    Pushed {
        expected: RemoteImage {
            digest: sha256(manifest.as_bytes()),
            image_id: config_digest,
            size: (config.len() + layer.len()) as u64,
        },
        manifest: manifest.into_bytes(),
    }
}

fn open_client() -> RegistryClient {
    RegistryClient::new(RegistryConfig::default())
}

/// A client whose Docker config logs in to the auth registry.
fn logged_in(dir: &Path) -> RegistryClient {
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{}", password()));
    std::fs::write(
        dir.join("config.json"),
        format!(r#"{{"auths":{{"http://{AUTH}/v1/":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
    RegistryClient::new(RegistryConfig {
        docker_config: Some(dir.to_path_buf()),
        ..RegistryConfig::default()
    })
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn lists_every_page_of_tags() {
    require_registries();
    let repo = unique_repo(OPEN, "pages");
    push_image(&repo, &["t1", "t2", "t3", "t4", "t5"]);
    let client = RegistryClient::new(RegistryConfig {
        page_size: 2,
        ..RegistryConfig::default()
    });
    rt().block_on(async {
        let mut tags: Vec<String> = client
            .list_tags(&repo)
            .await
            .unwrap()
            .iter()
            .map(|t| t.to_string())
            .collect();
        tags.sort();
        assert_eq!(tags, ["t1", "t2", "t3", "t4", "t5"]);
        let absent = unique_repo(OPEN, "never-pushed");
        assert_eq!(client.list_tags(&absent).await.unwrap(), Vec::<Tag>::new());
    });
}

#[test]
fn describes_and_tags_images() {
    require_registries();
    let repo = unique_repo(OPEN, "describe");
    let pushed = push_image(&repo, &["v1"]);
    let client = open_client();
    rt().block_on(async {
        let image = ImageRef::new(repo.clone(), tag("v1"));
        let described = client.describe(&image).await.unwrap();
        assert_eq!(described.as_ref(), Some(&pushed.expected));
        assert_eq!(
            client
                .describe(&ImageRef::new(repo.clone(), tag("nope")))
                .await
                .unwrap(),
            None
        );
        client.add_tag(&image, &tag("latest")).await.unwrap();
        let latest = client
            .describe(&ImageRef::new(repo.clone(), tag("latest")))
            .await
            .unwrap();
        assert_eq!(latest, Some(pushed.expected.clone()));
        // Same bytes under the new tag, so the same digest.
        let body = curl(&[
            "-s",
            "-H",
            "Accept: application/vnd.docker.distribution.manifest.v2+json",
            &format!("http://{OPEN}/v2/{}/manifests/latest", repo.path()),
        ]);
        assert_eq!(body.as_bytes(), pushed.manifest.as_slice());
    });
}

#[test]
fn copies_within_a_registry_and_across_registries() {
    require_registries();
    let from = unique_repo(OPEN, "copy-src");
    let same = unique_repo(OPEN, "copy-same");
    let other = unique_repo(AUTH, "copy-other");
    let pushed = push_image(&from, &["s1"]);
    let config = tempfile::tempdir().unwrap();
    let client = logged_in(config.path());
    rt().block_on(async {
        let src = ImageRef::new(from.clone(), tag("s1"));
        // Within the registry: the blobs are mounted.
        let to_same = ImageRef::new(same.clone(), tag("s1"));
        client.copy(&src, &to_same).await.unwrap();
        assert_eq!(
            client.describe(&to_same).await.unwrap(),
            Some(pushed.expected.clone())
        );
        // Across registries: the blobs go through this process.
        let to_other = ImageRef::new(other.clone(), tag("s1"));
        client.copy(&src, &to_other).await.unwrap();
        assert_eq!(
            client.describe(&to_other).await.unwrap(),
            Some(pushed.expected.clone())
        );
        assert_eq!(client.list_tags(&other).await.unwrap(), vec![tag("s1")]);
        // A second copy to another tag finds every blob there already.
        let again = ImageRef::new(other.clone(), tag("s2"));
        client.copy(&to_other, &again).await.unwrap();
        assert_eq!(
            client.describe(&again).await.unwrap(),
            Some(pushed.expected.clone())
        );
        let creds = client.credentials(AUTH).await.unwrap().unwrap();
        assert_eq!(creds.username, USER);
        assert_eq!(
            creds.source,
            format!(
                "docker config {}",
                config.path().join("config.json").display()
            )
        );
        assert_eq!(client.credentials(OPEN).await.unwrap(), None);
    });
}

/// Images copied at the same time share blobs: each blob is copied into the repo once, and
/// every manifest finds its blobs (docker-registry loses a blob's link when the same blob is
/// linked into a repo twice at once).
#[test]
fn concurrent_copies_sharing_blobs_all_land() {
    require_registries();
    let from = unique_repo(OPEN, "copy-shared-src");
    let pushed = push_image(&from, &["s1"]);
    let config = tempfile::tempdir().unwrap();
    let client = logged_in(config.path());
    rt().block_on(async {
        let src = ImageRef::new(from.clone(), tag("s1"));
        for round in 0..6 {
            let to = unique_repo(AUTH, &format!("copy-shared-{round}"));
            let targets: Vec<ImageRef> = (0..8)
                .map(|i| ImageRef::new(to.clone(), tag(&format!("t{i}"))))
                .collect();
            let copies = targets.iter().map(|t| client.copy(&src, t));
            for result in futures_util::future::join_all(copies).await {
                result.unwrap();
            }
            for t in &targets {
                assert_eq!(
                    client.describe(t).await.unwrap(),
                    Some(pushed.expected.clone())
                );
            }
        }
    });
}

#[test]
fn copies_an_image_index_with_its_children() {
    require_registries();
    let from = unique_repo(OPEN, "index-src");
    let to = unique_repo(AUTH, "index-dst");
    let a = push_image(&from, &["a"]);
    let b = push_image(&from, &["b"]);
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
{{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"{}","size":{},"platform":{{"architecture":"amd64","os":"linux"}}}},
{{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"{}","size":{},"platform":{{"architecture":"arm64","os":"linux"}}}}]}}"#,
        a.expected.digest,
        a.manifest.len(),
        b.expected.digest,
        b.manifest.len()
    );
    put_manifest(
        &from,
        "multi",
        "application/vnd.oci.image.index.v1+json",
        index.as_bytes(),
    );
    let config = tempfile::tempdir().unwrap();
    let client = logged_in(config.path());
    rt().block_on(async {
        let dst = ImageRef::new(to.clone(), tag("multi"));
        client
            .copy(&ImageRef::new(from.clone(), tag("multi")), &dst)
            .await
            .unwrap();
        let described = client.describe(&dst).await.unwrap().unwrap();
        assert_eq!(described.digest, sha256(index.as_bytes()));
        for child in [&a, &b] {
            let code = curl_as(
                AUTH,
                &[
                    "-o",
                    "/dev/null",
                    "-w",
                    "%{http_code}",
                    "-H",
                    "Accept: application/vnd.docker.distribution.manifest.v2+json",
                    &format!(
                        "http://{AUTH}/v2/{}/manifests/{}",
                        to.path(),
                        child.expected.digest
                    ),
                ],
            );
            assert_eq!(code, "200", "child {} copied", child.expected.digest);
        }
    });
}

#[test]
fn credential_helper_logs_in() {
    require_registries();
    let repo = unique_repo(AUTH, "helper");
    push_image(&repo, &["h1"]);
    let config = tempfile::tempdir().unwrap();
    let bin = tempfile::tempdir().unwrap();
    let helper = bin.path().join("docker-credential-fake");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread server\nif [ \"$server\" = {AUTH} ]; then\n  \
             echo '{{\"ServerURL\":\"{AUTH}\",\"Username\":\"{USER}\",\"Secret\":\"{}\"}}'\n\
             else\n  echo 'credentials not found in native keychain'; exit 1\nfi\n",
            password()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        config.path().join("config.json"),
        r#"{"auths":{},"credsStore":"fake"}"#,
    )
    .unwrap();
    let client = RegistryClient::new(RegistryConfig {
        docker_config: Some(config.path().to_path_buf()),
        helper_path: Some(vec![bin.path().to_path_buf()]),
        ..RegistryConfig::default()
    });
    rt().block_on(async {
        assert_eq!(client.list_tags(&repo).await.unwrap(), vec![tag("h1")]);
        let creds = client.credentials(AUTH).await.unwrap().unwrap();
        assert_eq!(creds.source, "credential helper docker-credential-fake");
        assert_eq!(client.credentials(OPEN).await.unwrap(), None);
    });
}

#[test]
fn unauthorized_says_how_to_log_in() {
    require_registries();
    let repo = unique_repo(AUTH, "anonymous");
    rt().block_on(async {
        let err = open_client().list_tags(&repo).await.unwrap_err();
        assert!(matches!(err, RegistryError::Unauthorized { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "registry {AUTH}: list tags of {repo}: unauthorized (401) with no credentials: \
                 anonymous access; log in with `docker login {AUTH}`, or set DOCKER_CONFIG to a \
                 config that has credentials for {AUTH}"
            )
        );
        let wrong = RegistryClient::new(RegistryConfig {
            credentials: vec![(
                AUTH.to_owned(),
                Credentials {
                    username: USER.to_owned(),
                    password: Secret::new("not-the-password"),
                    source: "the CI environment".to_owned(),
                },
            )],
            ..RegistryConfig::default()
        });
        let err = wrong
            .describe(&ImageRef::new(repo.clone(), tag("x")))
            .await
            .unwrap_err();
        let message = err.to_string();
        assert_eq!(
            message,
            format!(
                "registry {AUTH}: read manifest {repo}:x: unauthorized (401) with credentials of \
                 slipway from the CI environment; log in with `docker login {AUTH}`, or set \
                 DOCKER_CONFIG to a config that has credentials for {AUTH}"
            )
        );
        assert!(!format!("{err:?}").contains("not-the-password"));
    });
}

#[test]
fn refused_connection_names_the_registry() {
    let repo = RepoName::parse("127.0.0.1:5999/nothing/here").unwrap();
    rt().block_on(async {
        let err = open_client().list_tags(&repo).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "registry 127.0.0.1:5999: list tags of 127.0.0.1:5999/nothing/here: connection \
             refused at http://127.0.0.1:5999 with no credentials: anonymous access; nothing \
             listens there: check the host and port, and that the registry is running"
        );
    });
}

#[test]
fn warm_path_is_fast() {
    require_registries();
    let repo = unique_repo(AUTH, "warm");
    let tags: Vec<String> = (0..10).map(|i| format!("w{i}")).collect();
    let refs: Vec<&str> = tags.iter().map(String::as_str).collect();
    push_image(&repo, &refs);
    let config = tempfile::tempdir().unwrap();
    let client = logged_in(config.path());
    rt().block_on(async {
        let started = Instant::now();
        let listed = client.list_tags(&repo).await.unwrap();
        assert_eq!(listed.len(), 10);
        let described = futures_util::future::try_join_all(
            listed
                .iter()
                .map(|t| client.describe_owned(ImageRef::new(repo.clone(), t.clone()))),
        )
        .await
        .unwrap();
        assert!(described.iter().all(Option::is_some));
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(500),
            "listing and describing 10 images took {took:?}"
        );
    });
}

trait DescribeOwned {
    fn describe_owned(
        &self,
        image: ImageRef,
    ) -> impl Future<Output = Result<Option<RemoteImage>, RegistryError>>;
}

impl DescribeOwned for RegistryClient {
    async fn describe_owned(&self, image: ImageRef) -> Result<Option<RemoteImage>, RegistryError> {
        self.describe(&image).await
    }
}

/// A registry front that demands bearer tokens from its own token endpoint and paginates
/// tags/list with Link headers (the registry behind it returns every tag at once).
mod token_proxy {
    use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};

    pub const TOKEN: &str = "tok-for-the-test";

    /// Serves until the runtime stops; returns `127.0.0.1:PORT`.
    pub async fn start(upstream: &'static str, user: String, password: String) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let realm = format!("http://{addr}/token");
        let basic = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{user}:{password}"),
        );
        tokio::spawn(async move {
            loop {
                let (socket, _) = listener.accept().await.unwrap();
                let (realm, basic) = (realm.clone(), basic.clone());
                tokio::spawn(async move {
                    let mut conn = BufReader::new(socket);
                    while let Some(reply) = serve_one(&mut conn, upstream, &realm, &basic).await {
                        if conn.get_mut().write_all(&reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        addr
    }

    async fn serve_one(
        conn: &mut BufReader<tokio::net::TcpStream>,
        upstream: &str,
        realm: &str,
        basic: &str,
    ) -> Option<Vec<u8>> {
        let mut line = String::new();
        if conn.read_line(&mut line).await.ok()? == 0 {
            return None;
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (parts.next()?.to_owned(), parts.next()?.to_owned());
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            conn.read_line(&mut h).await.ok()?;
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (k, v) = h.split_once(':')?;
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        let len: usize = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        conn.read_exact(&mut body).await.ok()?;
        let auth = header("authorization").unwrap_or_default();
        if target.starts_with("/token") {
            return Some(if auth == format!("Basic {basic}") {
                reply(200, &[], format!(r#"{{"token":"{TOKEN}"}}"#).as_bytes())
            } else {
                reply(401, &[], b"{}")
            });
        }
        if auth != format!("Bearer {TOKEN}") {
            let challenge = format!(r#"Bearer realm="{realm}",service="test-proxy""#);
            return Some(reply(
                401,
                &[("WWW-Authenticate", challenge.as_str())],
                br#"{"errors":[{"code":"UNAUTHORIZED","message":"token required"}]}"#,
            ));
        }
        let (path, query) = target.split_once('?').unwrap_or((&target, ""));
        let client = reqwest::Client::new();
        let method: reqwest::Method = method.parse().ok()?;
        let mut req = client.request(method, format!("http://{upstream}{path}"));
        for name in ["accept", "content-type"] {
            if let Some(v) = header(name) {
                req = req.header(name, v);
            }
        }
        let res = req.body(body).send().await.ok()?;
        let status = res.status().as_u16();
        let mut out_headers: Vec<(String, String)> =
            ["content-type", "docker-content-digest", "location"]
                .iter()
                .filter_map(|n| {
                    res.headers()
                        .get(*n)
                        .map(|v| (n.to_string(), v.to_str().unwrap().to_owned()))
                })
                .collect();
        let mut bytes = res.bytes().await.ok()?.to_vec();
        if path.ends_with("/tags/list") && status == 200 {
            let param = |k: &str| {
                query
                    .split('&')
                    .find_map(|kv| kv.strip_prefix(&format!("{k}=")).map(str::to_owned))
            };
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            let mut tags: Vec<String> = v["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap().to_owned())
                .collect();
            tags.sort();
            if let Some(last) = param("last") {
                tags.retain(|t| *t > last);
            }
            if let Some(n) = param("n").and_then(|n| n.parse::<usize>().ok())
                && tags.len() > n
            {
                tags.truncate(n);
                out_headers.push((
                    "link".into(),
                    format!(r#"<{path}?n={n}&last={}>; rel="next""#, tags[n - 1]),
                ));
            }
            bytes =
                serde_json::to_vec(&serde_json::json!({"name": v["name"], "tags": tags})).unwrap();
        }
        let refs: Vec<(&str, &str)> = out_headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Some(reply(status, &refs, &bytes))
    }

    fn reply(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
        let mut out = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", body.len());
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str("\r\n");
        let mut out = out.into_bytes();
        out.extend_from_slice(body);
        out
    }
}

#[test]
fn bearer_tokens_and_link_pagination() {
    require_registries();
    let upstream = unique_repo(OPEN, "bearer");
    let pushed = push_image(&upstream, &["b1", "b2", "b3", "b4", "b5"]);
    rt().block_on(async {
        let addr = token_proxy::start(OPEN, USER.to_owned(), password()).await;
        let repo = RepoName::parse(&format!("{addr}/{}", upstream.path())).unwrap();
        let client = RegistryClient::new(RegistryConfig {
            page_size: 2,
            credentials: vec![(
                addr.clone(),
                Credentials {
                    username: USER.to_owned(),
                    password: Secret::new(password()),
                    source: "the test".to_owned(),
                },
            )],
            ..RegistryConfig::default()
        });
        let tags: Vec<String> = client
            .list_tags(&repo)
            .await
            .unwrap()
            .iter()
            .map(Tag::to_string)
            .collect();
        assert_eq!(tags, ["b1", "b2", "b3", "b4", "b5"]);
        let image = ImageRef::new(repo.clone(), tag("b1"));
        assert_eq!(
            client.describe(&image).await.unwrap(),
            Some(pushed.expected.clone())
        );
        client.add_tag(&image, &tag("b6")).await.unwrap();
        assert_eq!(
            client
                .describe(&ImageRef::new(repo.clone(), tag("b6")))
                .await
                .unwrap(),
            Some(pushed.expected.clone())
        );

        let wrong = RegistryClient::new(RegistryConfig {
            credentials: vec![(
                addr.clone(),
                Credentials {
                    username: USER.to_owned(),
                    password: Secret::new("wrong"),
                    source: "the test".to_owned(),
                },
            )],
            ..RegistryConfig::default()
        });
        let err = wrong.list_tags(&repo).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "registry {addr}: list tags of {repo}: unauthorized (401) with credentials of \
                 slipway from the test; log in with `docker login {addr}`, or set DOCKER_CONFIG \
                 to a config that has credentials for {addr}"
            )
        );
    });
}
