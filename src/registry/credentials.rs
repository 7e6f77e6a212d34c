//! Registry credentials from Docker's `config.json`: `auths` entries, `credHelpers` per registry
//! and the `credsStore` default, run as `docker-credential-<name> get` like the Docker CLI does.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use base64::Engine as _;
use serde::Deserialize;
use tokio::io::AsyncWriteExt as _;

use super::error::RegistryError;
use super::names::DOCKER_HUB;
use crate::secret::{Credentials, Secret};

/// The key Docker stores Docker Hub logins under (and hands to credential helpers).
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ConfigFile {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    auth: Option<String>,
    username: Option<String>,
    password: Option<String>,
    identitytoken: Option<String>,
}

/// The registry a config.json key names: `https://host/v1/`, `http://host`, `host` are the same,
/// and Docker Hub has several spellings.
pub(crate) fn key_host(key: &str) -> String {
    let rest = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = rest.split('/').next().unwrap_or(rest).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            DOCKER_HUB.to_owned()
        }
        _ => host,
    }
}

/// What a config.json says about one registry.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Lookup {
    Found(Credentials),
    Helper(String),
    None,
}

impl ConfigFile {
    pub fn parse(text: &str, path: &Path) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| {
            format!(
                "{} is not a valid Docker config: {e}; fix or remove it",
                path.display()
            )
        })
    }

    /// Docker's order: a registry's own helper, then a stored login, then the default store.
    pub fn lookup(&self, registry: &str, path: &Path) -> Result<Lookup, String> {
        let registry = key_host(registry);
        if let Some((_, helper)) = self
            .cred_helpers
            .iter()
            .find(|(k, _)| key_host(k) == registry)
        {
            return Ok(Lookup::Helper(helper.clone()));
        }
        let source = format!("docker config {}", path.display());
        // An exact key wins over a spelling variant, so that two entries never race.
        let mut entries: Vec<(&String, &AuthEntry)> = self
            .auths
            .iter()
            .filter(|(k, _)| key_host(k) == registry)
            .collect();
        entries.sort_by_key(|(k, _)| k.as_str() != registry);
        for (key, entry) in entries {
            if let Some(c) = entry.credentials(key, &source)? {
                return Ok(Lookup::Found(c));
            }
        }
        Ok(match &self.creds_store {
            Some(store) if !store.is_empty() => Lookup::Helper(store.clone()),
            _ => Lookup::None,
        })
    }
}

impl AuthEntry {
    fn credentials(&self, key: &str, source: &str) -> Result<Option<Credentials>, String> {
        let (username, password) = match &self.auth {
            Some(auth) if !auth.is_empty() => {
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(auth.trim())
                    .ok()
                    .and_then(|d| String::from_utf8(d).ok())
                    .ok_or_else(|| {
                        format!(
                            "the \"auth\" of {key:?} in {source} is not base64 of \"user:password\"; \
                             log in again with `docker login {}`",
                            key_host(key)
                        )
                    })?;
                let (u, p) = decoded.split_once(':').ok_or_else(|| {
                    format!(
                        "the \"auth\" of {key:?} in {source} has no ':' between user and password; \
                         log in again with `docker login {}`",
                        key_host(key)
                    )
                })?;
                (u.to_owned(), p.to_owned())
            }
            _ => (
                self.username.clone().unwrap_or_default(),
                self.password.clone().unwrap_or_default(),
            ),
        };
        // An identity token replaces the password (Docker stores "<token>" or the user as name).
        let (username, password) = match &self.identitytoken {
            Some(token) if !token.is_empty() && password.is_empty() => (
                if username.is_empty() {
                    "<token>".to_owned()
                } else {
                    username
                },
                token.clone(),
            ),
            _ => (username, password),
        };
        if username.is_empty() && password.is_empty() {
            return Ok(None);
        }
        Ok(Some(Credentials {
            username,
            password: Secret::new(password),
            source: source.to_owned(),
        }))
    }
}

/// The server name a helper is asked about: Docker Hub's legacy key, else the host.
fn helper_server(registry: &str) -> String {
    if key_host(registry) == DOCKER_HUB {
        DOCKER_HUB_KEY.to_owned()
    } else {
        registry.to_owned()
    }
}

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username")]
    username: String,
    #[serde(rename = "Secret")]
    secret: String,
}

/// Runs `docker-credential-<name> get`. `search` lists the directories to find it in; None lets
/// the OS look it up on the process PATH.
pub(crate) async fn run_helper(
    name: &str,
    registry: &str,
    search: Option<&[PathBuf]>,
) -> Result<Option<Credentials>, RegistryError> {
    let program = format!("docker-credential-{name}");
    let source = format!("credential helper {program}");
    let fail = |message: String| RegistryError::Credentials {
        registry: registry.to_owned(),
        origin: source.clone(),
        message,
    };
    let path = match search {
        Some(dirs) => dirs
            .iter()
            .map(|d| d.join(&program))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                fail(format!(
                    "{program} is not installed (searched {}): install it, or remove \
                     \"credsStore\"/\"credHelpers\" from the Docker config",
                    dirs.iter()
                        .map(|d| d.display().to_string())
                        .collect::<Vec<_>>()
                        .join(":")
                ))
            })?,
        None => PathBuf::from(&program),
    };
    let mut child = tokio::process::Command::new(&path)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                fail(format!(
                    "{program} is not installed (not found on PATH): install it, or remove \
                     \"credsStore\"/\"credHelpers\" from the Docker config"
                ))
            } else {
                fail(format!("cannot run {}: {e}", path.display()))
            }
        })?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // A helper that exits without reading its input makes this write fail; its exit status
    // and output then tell what went wrong.
    let _ = stdin.write_all(helper_server(registry).as_bytes()).await;
    drop(stdin);
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| fail(format!("cannot run {}: {e}", path.display())))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        if stdout.contains("credentials not found") {
            return Ok(None);
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let said = [stdout.trim(), stderr.trim()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        return Err(fail(format!(
            "`{program} get` failed ({}): {}",
            out.status,
            if said.is_empty() { "no output" } else { &said }
        )));
    }
    let answer: HelperAnswer = serde_json::from_str(&stdout).map_err(|e| {
        // Never echo the output: it holds the secret.
        fail(format!(
            "`{program} get` printed something other than {{\"Username\", \"Secret\"}} JSON: {}",
            json_problem(&e)
        ))
    })?;
    if answer.username.is_empty() && answer.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credentials {
        username: answer.username,
        password: Secret::new(answer.secret),
        source,
    }))
}

/// What kind of bad output a helper printed, without quoting it (it may hold the secret).
fn json_problem(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "an I/O error",
        serde_json::error::Category::Syntax => "invalid JSON",
        serde_json::error::Category::Data => "JSON without a string Username and Secret",
        serde_json::error::Category::Eof => "truncated JSON",
    }
}

/// The credentials for `registry` from the config directory, by Docker's rules.
pub(crate) async fn from_docker_config(
    dir: &Path,
    registry: &str,
    search: Option<&[PathBuf]>,
) -> Result<Option<Credentials>, RegistryError> {
    let path = dir.join("config.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(RegistryError::Credentials {
                registry: registry.to_owned(),
                origin: format!("docker config {}", path.display()),
                message: format!("cannot read it: {e}"),
            });
        }
    };
    let fail = |message: String| RegistryError::Credentials {
        registry: registry.to_owned(),
        origin: format!("docker config {}", path.display()),
        message,
    };
    let config = ConfigFile::parse(&text, &path).map_err(fail)?;
    match config.lookup(registry, &path).map_err(fail)? {
        Lookup::Found(c) => Ok(Some(c)),
        Lookup::Helper(name) => run_helper(&name, registry, search).await,
        Lookup::None => Ok(None),
    }
}
