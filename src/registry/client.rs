//! The shared client: oci-client does authentication (basic, bearer challenge) and blob and
//! manifest pushes; raw reqwest requests cover what it hides (Link pagination, Content-Type).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt as _;
use oci_client::manifest::OciDescriptor;
use oci_client::secrets::RegistryAuth;
use oci_client::{Reference, RegistryOperation};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, LINK};

use super::error::{ANONYMOUS, Context, Failure, RegistryError};
use super::manifest::{self, Descriptor, RawManifest};
use super::names::{ImageRef, RepoName, Tag};
use super::{RegistryConfig, RemoteImage, credentials};
use crate::secret::{Credentials, Secret};

const USER_AGENT: &str = concat!("slipway/", env!("CARGO_PKG_VERSION"));

/// A registry client shared by a run (connections and tokens are reused).
#[derive(Clone)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: RegistryConfig,
    https: oci_client::Client,
    http: oci_client::Client,
    raw: reqwest::Client,
    sessions: Mutex<HashMap<String, Arc<Session>>>,
    /// Authorization for raw requests by (registry, repo, push).
    authz: Mutex<HashMap<(String, String, bool), Authz>>,
    /// One copy at a time of a blob into a repo, by (registry, repo, digest): images copied
    /// together share layers, and a registry that links the same blob into a repo twice at
    /// once can lose the link (docker-registry's filesystem storage rewrites the link file in
    /// place, and a manifest pushed meanwhile is refused with MANIFEST_BLOB_UNKNOWN).
    blob_copies: Mutex<HashMap<BlobInRepo, Arc<tokio::sync::Mutex<()>>>>,
}

/// (registry, repo path, digest).
type BlobInRepo = (String, String, String);

/// One registry as this run reaches it.
struct Session {
    registry: String,
    /// `scheme://host` (Docker Hub's API host for docker.io).
    base: String,
    credentials: Option<Credentials>,
    /// "credentials of USER from SOURCE", or [`ANONYMOUS`].
    auth_desc: String,
    oci_auth: RegistryAuth,
    oci: oci_client::Client,
}

#[derive(Clone)]
enum Authz {
    Anonymous,
    Basic(String, Secret),
    Bearer(Secret),
}

impl RegistryClient {
    pub fn new(config: RegistryConfig) -> Self {
        let oci = |protocol| {
            oci_client::Client::new(oci_client::client::ClientConfig {
                protocol,
                // Streams a blob in one PUT; the chunked mode sends one PATCH per network read.
                use_monolithic_push: true,
                read_timeout: Some(config.timeout),
                connect_timeout: Some(config.connect_timeout),
                user_agent: USER_AGENT,
                ..Default::default()
            })
        };
        let raw = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .build()
            .unwrap_or_default();
        Self {
            inner: Arc::new(Inner {
                https: oci(oci_client::client::ClientProtocol::Https),
                http: oci(oci_client::client::ClientProtocol::Http),
                raw,
                config,
                sessions: Mutex::default(),
                authz: Mutex::default(),
                blob_copies: Mutex::default(),
            }),
        }
    }

    /// Every tag of `repo` (all pages); an absent repo has none.
    pub async fn list_tags(&self, repo: &RepoName) -> Result<Vec<Tag>, RegistryError> {
        let s = self.session(repo.registry()).await?;
        let cx = self.context(&s, format!("list tags of {repo}"), repo, "pull");
        let page_size = self.inner.config.page_size.max(1);
        let first = format!("{}/v2/{}/tags/list?n={page_size}", s.base, repo.path());
        let mut url = first.clone();
        let mut tags = Vec::new();
        let mut seen = HashSet::new();
        loop {
            let res = self
                .send(&s, repo.path(), false, reqwest::Method::GET, &url, None)
                .await
                .map_err(|f| cx.error(f))?;
            let status = res.status().as_u16();
            // A repo nobody pushed to yet (NAME_UNKNOWN) simply has no tags.
            if status == 404 {
                return Ok(tags);
            }
            if !res.status().is_success() {
                return Err(cx.error(failure_of(res).await));
            }
            let next = next_link(res.headers().get(LINK), &s.base);
            let body = res.bytes().await.map_err(|e| cx.error(e.into()))?;
            let page: TagPage = serde_json::from_slice(&body).map_err(|e| {
                cx.error(Failure::Invalid(format!(
                    "the tag list is not valid JSON: {e}"
                )))
            })?;
            let page = page.tags.unwrap_or_default();
            let known = seen.len();
            for t in &page {
                if seen.insert(t.clone())
                    && let Ok(tag) = Tag::parse(t)
                {
                    tags.push(tag);
                }
            }
            // A registry that ignores `n` or `last` repeats itself: a page with nothing new
            // ends the listing instead of looping.
            if seen.len() == known {
                return Ok(tags);
            }
            url = match (next, page.last()) {
                (Some(next), _) => next,
                // No Link header, but a full page: continue after the last tag, as the
                // distribution spec allows.
                (None, Some(last)) if page.len() >= page_size => format!("{first}&last={last}"),
                _ => return Ok(tags),
            };
        }
    }

    /// Copies `from` to `to` registry-side (manifest and blobs; never through an engine).
    pub async fn copy(&self, from: &ImageRef, to: &ImageRef) -> Result<(), RegistryError> {
        let fs = self.session(from.repo.registry()).await?;
        let ts = self.session(to.repo.registry()).await?;
        let top = self
            .get_manifest(&fs, &from.repo, from.tag.as_str())
            .await?
            .ok_or_else(|| {
                self.context(&fs, format!("copy {from} to {to}"), &from.repo, "pull")
                    .error(Failure::Status(404, String::new()))
            })?;
        if top.is_index() {
            for child in top.parsed.manifests.as_deref().unwrap_or_default() {
                self.copy_by_digest(&fs, &ts, from, to, &child.digest)
                    .await?;
            }
        } else {
            self.copy_blobs(&fs, &ts, from, to, &top).await?;
        }
        self.put_manifest(&ts, &to.repo, to.tag.as_str(), &top)
            .await
    }

    /// Copies one child manifest of an index (and its blobs), addressed by digest.
    async fn copy_by_digest(
        &self,
        fs: &Session,
        ts: &Session,
        from: &ImageRef,
        to: &ImageRef,
        digest: &str,
    ) -> Result<(), RegistryError> {
        let child = self
            .get_manifest(fs, &from.repo, digest)
            .await?
            .ok_or_else(|| {
                self.context(
                    fs,
                    format!("copy {}@{digest} (listed in {from})", from.repo),
                    &from.repo,
                    "pull",
                )
                .error(Failure::Status(404, String::new()))
            })?;
        if child.is_index() {
            // Nested indexes are rare; recursing through a boxed future keeps them correct.
            for grandchild in child.parsed.manifests.as_deref().unwrap_or_default() {
                Box::pin(self.copy_by_digest(fs, ts, from, to, &grandchild.digest)).await?;
            }
        } else {
            self.copy_blobs(fs, ts, from, to, &child).await?;
        }
        self.put_manifest(ts, &to.repo, digest, &child).await
    }

    async fn copy_blobs(
        &self,
        fs: &Session,
        ts: &Session,
        from: &ImageRef,
        to: &ImageRef,
        m: &RawManifest,
    ) -> Result<(), RegistryError> {
        // Images have a handful of layers: copying them all at once needs no bound.
        futures_util::future::try_join_all(
            m.blobs()
                .into_iter()
                .map(|blob| self.copy_blob(fs, ts, from, to, blob)),
        )
        .await?;
        Ok(())
    }

    async fn copy_blob(
        &self,
        fs: &Session,
        ts: &Session,
        from: &ImageRef,
        to: &ImageRef,
        blob: &Descriptor,
    ) -> Result<(), RegistryError> {
        let digest = &blob.digest;
        let key = (
            ts.registry.clone(),
            to.repo.path().to_owned(),
            digest.clone(),
        );
        let copying = Arc::clone(lock(&self.inner.blob_copies).entry(key).or_default());
        // A copy that waited here finds the blob there.
        let _copying = copying.lock().await;
        let to_ref = reference(ts, &to.repo, to.tag.as_str());
        let from_ref = reference(fs, &from.repo, from.tag.as_str());
        let exists = ts.oci.blob_exists(&to_ref, digest).await.map_err(|e| {
            self.context(
                ts,
                format!("check blob {digest} in {}", to.repo),
                &to.repo,
                "pull",
            )
            .error(e.into())
        })?;
        if exists {
            return Ok(());
        }
        // A failed mount (202: the registry opened an upload instead, or no permission on the
        // source) is not an error: the blob is copied through this process instead.
        if fs.registry == ts.registry && ts.oci.mount_blob(&to_ref, &from_ref, digest).await.is_ok()
        {
            return Ok(());
        }
        let descriptor = OciDescriptor {
            media_type: blob.media_type.clone(),
            digest: digest.clone(),
            size: i64::try_from(blob.size).unwrap_or(i64::MAX),
            ..Default::default()
        };
        let pull = fs
            .oci
            .pull_blob_stream(&from_ref, &descriptor)
            .await
            .map_err(|e| {
                self.context(
                    fs,
                    format!("pull blob {digest} from {}", from.repo),
                    &from.repo,
                    "pull",
                )
                .error(e.into())
            })?;
        let stream = pull
            .stream
            .map_err(oci_client::errors::OciDistributionError::IoError);
        ts.oci
            .push_blob_stream(&to_ref, stream, digest, Some(blob.size))
            .await
            .map_err(|e| {
                self.context(
                    ts,
                    format!("push blob {digest} to {}", to.repo),
                    &to.repo,
                    "push",
                )
                .error(e.into())
            })?;
        Ok(())
    }

    /// Describes `image`; None when the tag does not exist.
    pub async fn describe(&self, image: &ImageRef) -> Result<Option<RemoteImage>, RegistryError> {
        let s = self.session(image.repo.registry()).await?;
        let Some((top, image_manifest, config)) = self.image_manifest(&s, image).await? else {
            return Ok(None);
        };
        let size = config.size
            + image_manifest
                .parsed
                .layers
                .iter()
                .map(|l| l.size)
                .sum::<u64>();
        Ok(Some(RemoteImage {
            digest: top.digest,
            image_id: config.digest.clone(),
            size,
        }))
    }

    /// The labels in `image`'s config (one manifest and one config blob fetched, no layers);
    /// None when the tag does not exist.
    pub async fn labels(
        &self,
        image: &ImageRef,
    ) -> Result<Option<std::collections::BTreeMap<String, String>>, RegistryError> {
        let s = self.session(image.repo.registry()).await?;
        let Some((_, _, config)) = self.image_manifest(&s, image).await? else {
            return Ok(None);
        };
        let cx = self.context(
            &s,
            format!("read the config of {image}"),
            &image.repo,
            "pull",
        );
        let url = format!(
            "{}/v2/{}/blobs/{}",
            s.base,
            image.repo.path(),
            config.digest
        );
        let res = self
            .send(
                &s,
                image.repo.path(),
                false,
                reqwest::Method::GET,
                &url,
                None,
            )
            .await
            .map_err(|f| cx.error(f))?;
        if !res.status().is_success() {
            return Err(cx.error(failure_of(res).await));
        }
        let body = res.bytes().await.map_err(|e| cx.error(e.into()))?;
        let config: ImageConfigBlob = serde_json::from_slice(&body).map_err(|e| {
            cx.error(Failure::Invalid(format!(
                "the image config is not valid JSON: {e}"
            )))
        })?;
        Ok(Some(
            config.config.and_then(|c| c.labels).unwrap_or_default(),
        ))
    }

    /// The tag's manifest, the image manifest (the host platform's child of an index) and its
    /// config descriptor.
    async fn image_manifest(
        &self,
        s: &Session,
        image: &ImageRef,
    ) -> Result<Option<(RawManifest, RawManifest, Descriptor)>, RegistryError> {
        let Some(top) = self
            .get_manifest(s, &image.repo, image.tag.as_str())
            .await?
        else {
            return Ok(None);
        };
        let image_manifest = if top.is_index() {
            // An index has no config of its own: the image is the host platform's child.
            let host = crate::dockerfile::stages::Platform::host();
            let platform = format!("{}/{}", host.os, host.arch);
            let Some(child) = top.child_for(&platform) else {
                return Err(RegistryError::Other {
                    registry: image.repo.registry().to_owned(),
                    message: format!("describe {image}: the image index lists no manifests"),
                });
            };
            let digest = child.digest.clone();
            self.get_manifest(s, &image.repo, &digest)
                .await?
                .ok_or_else(|| {
                    self.context(
                        s,
                        format!("describe {image} ({digest})"),
                        &image.repo,
                        "pull",
                    )
                    .error(Failure::Status(404, String::new()))
                })?
        } else {
            top.clone()
        };
        let Some(config) = image_manifest.parsed.config.clone() else {
            return Err(RegistryError::Other {
                registry: image.repo.registry().to_owned(),
                message: format!(
                    "describe {image}: the manifest ({}) has no config",
                    image_manifest.media_type
                ),
            });
        };
        Ok(Some((top, image_manifest, config)))
    }

    /// Puts `image`'s manifest under another tag of the same repo.
    pub async fn add_tag(&self, image: &ImageRef, tag: &Tag) -> Result<(), RegistryError> {
        let s = self.session(image.repo.registry()).await?;
        let m = self
            .get_manifest(&s, &image.repo, image.tag.as_str())
            .await?
            .ok_or_else(|| RegistryError::missing(image))?;
        self.put_manifest(&s, &image.repo, tag.as_str(), &m).await
    }

    /// The credentials for `registry` (host[:port]), None for anonymous access.
    pub async fn credentials(&self, registry: &str) -> Result<Option<Credentials>, RegistryError> {
        Ok(self.session(registry).await?.credentials.clone())
    }

    /// Asks the registry of `repo` for `GET /v2/` without credentials and returns the HTTP
    /// status: 200 (open) and 401 (asks for credentials) both mean it answers the API.
    pub async fn ping(&self, repo: &RepoName) -> Result<u16, RegistryError> {
        let s = self.session(repo.registry()).await?;
        let cx = Context {
            auth: ANONYMOUS,
            ..self.context(&s, "ping /v2/".to_owned(), repo, "pull")
        };
        let res = self
            .inner
            .raw
            .get(format!("{}/v2/", s.base))
            .send()
            .await
            .map_err(|e| cx.error(e.into()))?;
        match res.status().as_u16() {
            status @ (200 | 401) => Ok(status),
            _ => Err(cx.error(failure_of(res).await)),
        }
    }

    /// Checks push permission on `repo` without pushing anything: starts a blob upload
    /// (`POST /v2/<repo>/blobs/uploads/`) and cancels it with `DELETE` on its location.
    /// Returns the credentials it used (`None`: anonymous).
    pub async fn check_push(&self, repo: &RepoName) -> Result<Option<Credentials>, RegistryError> {
        let s = self.session(repo.registry()).await?;
        let cx = self.context(&s, format!("start a blob upload to {repo}"), repo, "push");
        let url = format!("{}/v2/{}/blobs/uploads/", s.base, repo.path());
        let res = self
            .send(&s, repo.path(), true, reqwest::Method::POST, &url, None)
            .await
            .map_err(|f| cx.error(f))?;
        if res.status() != reqwest::StatusCode::ACCEPTED {
            return Err(cx.error(failure_of(res).await));
        }
        let location = res
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| {
                if l.starts_with('/') {
                    format!("{}{l}", s.base)
                } else {
                    l.to_owned()
                }
            });
        // An upload left open expires on the registry by itself; cancelling is only tidiness,
        // so its failure does not fail the check.
        if let Some(location) = location {
            let _ = self
                .send(
                    &s,
                    repo.path(),
                    true,
                    reqwest::Method::DELETE,
                    &location,
                    None,
                )
                .await;
        }
        Ok(s.credentials.clone())
    }

    /// In-process credentials, then the Docker config (its helpers included).
    async fn resolve_credentials(
        &self,
        registry: &str,
    ) -> Result<Option<Credentials>, RegistryError> {
        let config = &self.inner.config;
        let host = credentials::key_host(registry);
        if let Some((_, c)) = config
            .credentials
            .iter()
            .find(|(k, _)| credentials::key_host(k) == host)
        {
            return Ok(Some(c.clone()));
        }
        match &config.docker_config {
            Some(dir) => {
                credentials::from_docker_config(dir, registry, config.helper_path.as_deref()).await
            }
            None => Ok(None),
        }
    }

    async fn session(&self, registry: &str) -> Result<Arc<Session>, RegistryError> {
        if let Some(s) = lock(&self.inner.sessions).get(registry) {
            return Ok(Arc::clone(s));
        }
        // Two tasks may resolve the same registry at once; that only runs a helper twice.
        let credentials = self.resolve_credentials(registry).await?;
        let plain = is_plain_http(registry, &self.inner.config.insecure);
        let (scheme, oci) = if plain {
            ("http", self.inner.http.clone())
        } else {
            ("https", self.inner.https.clone())
        };
        let probe = Reference::with_tag(registry.to_owned(), "x".into(), "latest".into());
        let host = probe.resolve_registry().to_owned();
        let oci_auth = match &credentials {
            Some(c) => RegistryAuth::Basic(c.username.clone(), c.password.expose().to_owned()),
            None => RegistryAuth::Anonymous,
        };
        oci.store_auth_if_needed(&host, &oci_auth).await;
        let auth_desc = match &credentials {
            Some(c) => format!("credentials of {} from {}", c.username, c.source),
            None => ANONYMOUS.to_owned(),
        };
        let session = Arc::new(Session {
            registry: registry.to_owned(),
            base: format!("{scheme}://{host}"),
            credentials,
            auth_desc,
            oci_auth,
            oci,
        });
        let mut sessions = lock(&self.inner.sessions);
        Ok(Arc::clone(
            sessions.entry(registry.to_owned()).or_insert(session),
        ))
    }

    fn context<'a>(
        &self,
        s: &'a Session,
        action: String,
        repo: &'a RepoName,
        permission: &'static str,
    ) -> Context<'a> {
        Context {
            registry: &s.registry,
            base: &s.base,
            action,
            auth: &s.auth_desc,
            repo: repo.as_str(),
            permission,
            timeout_seconds: self.inner.config.timeout.as_secs(),
        }
    }

    /// How raw requests to `repo` authenticate, asking oci-client (challenge, token) once.
    async fn authz(&self, s: &Session, repo: &str, push: bool) -> Result<Authz, Failure> {
        let key = (s.registry.clone(), repo.to_owned(), push);
        if let Some(a) = lock(&self.inner.authz).get(&key) {
            return Ok(a.clone());
        }
        let op = if push {
            RegistryOperation::Push
        } else {
            RegistryOperation::Pull
        };
        let reference = Reference::with_tag(s.registry.clone(), repo.to_owned(), "latest".into());
        let authz = match s.oci.auth(&reference, &s.oci_auth, op).await? {
            Some(token) => Authz::Bearer(Secret::new(token)),
            None => match &s.credentials {
                Some(c) => Authz::Basic(c.username.clone(), c.password.clone()),
                None => Authz::Anonymous,
            },
        };
        lock(&self.inner.authz).insert(key, authz.clone());
        Ok(authz)
    }

    /// Sends a raw request; a rejected cached token is renewed once (tokens expire mid-run).
    async fn send(
        &self,
        s: &Session,
        repo: &str,
        push: bool,
        method: reqwest::Method,
        url: &str,
        accept: Option<&str>,
    ) -> Result<reqwest::Response, Failure> {
        for attempt in 0..2 {
            let authz = self.authz(s, repo, push).await?;
            let mut req = self.inner.raw.request(method.clone(), url);
            if let Some(accept) = accept {
                req = req.header(ACCEPT, accept);
            }
            req = match &authz {
                Authz::Anonymous => req,
                Authz::Basic(user, password) => req.basic_auth(user, Some(password.expose())),
                Authz::Bearer(token) => {
                    let mut value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                        .map_err(|_| {
                            Failure::Invalid("the registry's token is not a valid header".into())
                        })?;
                    value.set_sensitive(true);
                    req.header(AUTHORIZATION, value)
                }
            };
            let res = req.send().await?;
            if res.status() == reqwest::StatusCode::UNAUTHORIZED
                && attempt == 0
                && matches!(authz, Authz::Bearer(_))
            {
                lock(&self.inner.authz).remove(&(s.registry.clone(), repo.to_owned(), push));
                continue;
            }
            return Ok(res);
        }
        unreachable!("the second attempt returns")
    }

    /// The manifest `reference` (a tag or a digest) of `repo`, bytes and media type as stored.
    async fn get_manifest(
        &self,
        s: &Session,
        repo: &RepoName,
        reference: &str,
    ) -> Result<Option<RawManifest>, RegistryError> {
        let sep = if reference.contains(':') { "@" } else { ":" };
        let cx = self.context(
            s,
            format!("read manifest {repo}{sep}{reference}"),
            repo,
            "pull",
        );
        let url = format!("{}/v2/{}/manifests/{reference}", s.base, repo.path());
        let res = self
            .send(
                s,
                repo.path(),
                false,
                reqwest::Method::GET,
                &url,
                Some(manifest::ACCEPT),
            )
            .await
            .map_err(|f| cx.error(f))?;
        if res.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !res.status().is_success() {
            return Err(cx.error(failure_of(res).await));
        }
        let content_type = res
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = res.bytes().await.map_err(|e| cx.error(e.into()))?;
        RawManifest::new(bytes.to_vec(), content_type.as_deref())
            .map(Some)
            .map_err(|e| cx.error(Failure::Invalid(e)))
    }

    /// PUTs `m`'s exact bytes under `reference` (a tag or a digest) with its media type.
    async fn put_manifest(
        &self,
        s: &Session,
        repo: &RepoName,
        reference: &str,
        m: &RawManifest,
    ) -> Result<(), RegistryError> {
        let sep = if reference.contains(':') { "@" } else { ":" };
        let cx = self.context(
            s,
            format!("push manifest {repo}{sep}{reference}"),
            repo,
            "push",
        );
        let target = if reference.contains(':') {
            Reference::with_digest(
                s.registry.clone(),
                repo.path().to_owned(),
                reference.to_owned(),
            )
        } else {
            self::reference(s, repo, reference)
        };
        let content_type = HeaderValue::from_str(&m.media_type).map_err(|_| {
            cx.error(Failure::Invalid(format!(
                "bad media type {:?}",
                m.media_type
            )))
        })?;
        s.oci
            .push_manifest_raw(&target, m.bytes.clone(), content_type)
            .await
            .map_err(|e| cx.error(e.into()))?;
        Ok(())
    }
}

fn reference(s: &Session, repo: &RepoName, tag: &str) -> Reference {
    Reference::with_tag(s.registry.clone(), repo.path().to_owned(), tag.to_owned())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The part of an image config blob slipway reads.
#[derive(serde::Deserialize)]
struct ImageConfigBlob {
    config: Option<ImageConfigLabels>,
}

#[derive(serde::Deserialize)]
struct ImageConfigLabels {
    #[serde(rename = "Labels")]
    labels: Option<std::collections::BTreeMap<String, String>>,
}

#[derive(serde::Deserialize)]
struct TagPage {
    tags: Option<Vec<String>>,
}

async fn failure_of(res: reqwest::Response) -> Failure {
    let status = res.status().as_u16();
    let body = res.text().await.unwrap_or_default();
    // Registries explain in an OCI error envelope; its first message is the useful part.
    let detail = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["errors"][0]["message"].as_str().map(str::to_owned))
        .unwrap_or(body);
    Failure::Status(status, detail.trim().chars().take(300).collect())
}

/// The `rel="next"` target of a Link header, made absolute against `base`.
pub(crate) fn next_link(header: Option<&HeaderValue>, base: &str) -> Option<String> {
    let header = header?.to_str().ok()?;
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim().replace(' ', "");
            p == "rel=\"next\"" || p == "rel=next"
        });
        if !is_next {
            return None;
        }
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        Some(if target.starts_with('/') {
            format!("{base}{target}")
        } else {
            target.to_owned()
        })
    })
}

/// Plain HTTP for loopback (any port) and the configured insecure registries.
pub(crate) fn is_plain_http(registry: &str, insecure: &[String]) -> bool {
    let host = match registry.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(rest),
        None => registry.split(':').next().unwrap_or(registry),
    };
    matches!(host, "localhost" | "127.0.0.1" | "::1")
        || insecure.iter().any(|i| {
            let i = i
                .trim_start_matches("http://")
                .trim_start_matches("https://")
                .trim_end_matches('/');
            i == registry || (!i.contains(':') && i == host)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers() {
        let base = "http://reg.io";
        let cases = [
            (
                r#"</v2/a/tags/list?last=t2&n=2>; rel="next""#,
                Some("http://reg.io/v2/a/tags/list?last=t2&n=2"),
            ),
            (
                r#"<https://other.io/v2/a/tags/list?last=x>; rel=next"#,
                Some("https://other.io/v2/a/tags/list?last=x"),
            ),
            (
                r#"</v2/a/tags/list?last=a>; rel="prev", </v2/a/tags/list?last=z>; rel="next""#,
                Some("http://reg.io/v2/a/tags/list?last=z"),
            ),
            (r#"</v2/a/tags/list?last=a>; rel="prev""#, None),
            ("garbage", None),
        ];
        for (header, next) in cases {
            let value = HeaderValue::from_str(header).unwrap();
            assert_eq!(next_link(Some(&value), base).as_deref(), next, "{header}");
        }
        assert_eq!(next_link(None, base), None);
    }

    #[test]
    fn plain_http() {
        let insecure = [
            "build.local:5000".to_owned(),
            "http://lab.internal".to_owned(),
        ];
        let cases = [
            ("localhost", true),
            ("localhost:5000", true),
            ("127.0.0.1:5001", true),
            ("[::1]:5000", true),
            ("build.local:5000", true),
            ("build.local:5001", false),
            ("lab.internal", true),
            ("lab.internal:8080", true),
            ("registry.example.com", false),
            ("docker.io", false),
            ("localhost.example.com", false),
        ];
        for (registry, plain) in cases {
            assert_eq!(is_plain_http(registry, &insecure), plain, "{registry}");
        }
    }

    #[tokio::test]
    async fn in_process_credentials_win() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            r#"{"auths":{"reg.io":{"username":"file","password":"x"}}}"#,
        )
        .unwrap();
        let client = RegistryClient::new(RegistryConfig {
            docker_config: Some(dir.path().to_path_buf()),
            credentials: vec![(
                "https://reg.io".to_owned(),
                Credentials {
                    username: "ci".into(),
                    password: Secret::new("y"),
                    source: "the CI environment".into(),
                },
            )],
            ..RegistryConfig::default()
        });
        let c = client.credentials("reg.io").await.unwrap().unwrap();
        assert_eq!(
            (c.username.as_str(), c.source.as_str()),
            ("ci", "the CI environment")
        );
        let c = client.credentials("reg.io:5000").await.unwrap();
        assert_eq!(c, None);
        let anonymous = RegistryClient::new(RegistryConfig::default());
        assert_eq!(anonymous.credentials("reg.io").await.unwrap(), None);
    }
}
