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

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    fn lookup(json: &str, registry: &str) -> Result<Lookup, String> {
        let path = Path::new("/cfg/config.json");
        ConfigFile::parse(json, path)?.lookup(registry, path)
    }

    fn found(user: &str, password: &str) -> Lookup {
        Lookup::Found(Credentials {
            username: user.into(),
            password: Secret::new(password),
            source: "docker config /cfg/config.json".into(),
        })
    }

    #[test]
    fn key_hosts() {
        let cases = [
            ("reg.io", "reg.io"),
            ("https://reg.io", "reg.io"),
            ("http://reg.io:5000/v1/", "reg.io:5000"),
            ("https://index.docker.io/v1/", "docker.io"),
            ("registry-1.docker.io", "docker.io"),
            ("docker.io", "docker.io"),
            ("REG.io", "reg.io"),
        ];
        for (key, host) in cases {
            assert_eq!(key_host(key), host, "{key}");
        }
    }

    #[test]
    fn config_lookups() {
        let auth = b64("u:p:with:colons");
        let cases: Vec<(String, &str, Lookup)> = vec![
            (
                format!(r#"{{"auths":{{"reg.io":{{"auth":"{auth}"}}}}}}"#),
                "reg.io",
                found("u", "p:with:colons"),
            ),
            (
                format!(r#"{{"auths":{{"https://reg.io/v1/":{{"auth":"{auth}"}}}}}}"#),
                "reg.io",
                found("u", "p:with:colons"),
            ),
            (
                r#"{"auths":{"reg.io":{"username":"a","password":"b"}}}"#.into(),
                "reg.io",
                found("a", "b"),
            ),
            (
                r#"{"auths":{"reg.io":{"identitytoken":"tok"}}}"#.into(),
                "reg.io",
                found("<token>", "tok"),
            ),
            (
                format!(
                    r#"{{"auths":{{"https://index.docker.io/v1/":{{"auth":"{}"}}}}}}"#,
                    b64("hub:pw")
                ),
                "docker.io",
                found("hub", "pw"),
            ),
            (
                format!(r#"{{"auths":{{"reg.io:5000":{{"auth":"{auth}"}}}}}}"#),
                "reg.io",
                Lookup::None,
            ),
            (
                r#"{"auths":{"reg.io":{}},"credsStore":"desktop"}"#.into(),
                "reg.io",
                Lookup::Helper("desktop".into()),
            ),
            (
                format!(
                    r#"{{"auths":{{"reg.io":{{"auth":"{auth}"}}}},"credHelpers":{{"reg.io":"ecr-login"}},"credsStore":"desktop"}}"#
                ),
                "reg.io",
                Lookup::Helper("ecr-login".into()),
            ),
            (
                format!(r#"{{"auths":{{"reg.io":{{"auth":"{auth}"}}}},"credsStore":"desktop"}}"#),
                "reg.io",
                found("u", "p:with:colons"),
            ),
            (
                r#"{"credHelpers":{"other.io":"x"}}"#.into(),
                "reg.io",
                Lookup::None,
            ),
            ("{}".into(), "reg.io", Lookup::None),
            (
                r#"{"auths":{},"credsStore":""}"#.into(),
                "reg.io",
                Lookup::None,
            ),
        ];
        for (json, registry, expected) in cases {
            assert_eq!(lookup(&json, registry).unwrap(), expected, "{json}");
        }
    }

    #[test]
    fn exact_key_wins() {
        let json = format!(
            r#"{{"auths":{{"https://reg.io":{{"auth":"{}"}},"reg.io":{{"auth":"{}"}}}}}}"#,
            b64("variant:1"),
            b64("exact:2")
        );
        assert_eq!(lookup(&json, "reg.io").unwrap(), found("exact", "2"));
    }

    #[test]
    fn bad_configs() {
        let cases = [
            (
                r#"{"auths":{"reg.io":{"auth":"!!!"}}}"#.to_owned(),
                "the \"auth\" of \"reg.io\" in docker config /cfg/config.json is not base64 of \
                 \"user:password\"; log in again with `docker login reg.io`",
            ),
            (
                format!(
                    r#"{{"auths":{{"reg.io":{{"auth":"{}"}}}}}}"#,
                    b64("nocolon")
                ),
                "the \"auth\" of \"reg.io\" in docker config /cfg/config.json has no ':' between \
                 user and password; log in again with `docker login reg.io`",
            ),
            (
                "{".to_owned(),
                "/cfg/config.json is not a valid Docker config: EOF while parsing an object at \
                 line 1 column 1; fix or remove it",
            ),
        ];
        for (json, message) in cases {
            assert_eq!(lookup(&json, "reg.io").unwrap_err(), message, "{json}");
        }
    }

    fn helper(dir: &Path, name: &str, script: &str) {
        use std::os::unix::fs::PermissionsExt as _;
        let path = dir.join(format!("docker-credential-{name}"));
        std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[tokio::test]
    async fn credential_helpers() {
        let bin = tempfile::tempdir().unwrap();
        // Answers with the server it was asked about, so the test sees what it was given.
        helper(
            bin.path(),
            "echo",
            r#"read s; printf '{"ServerURL":"%s","Username":"%s","Secret":"hunter2"}' "$s" "$s""#,
        );
        helper(
            bin.path(),
            "none",
            "echo 'credentials not found in native keychain'; exit 1",
        );
        helper(bin.path(), "broken", "echo 'keychain locked' >&2; exit 3");
        helper(bin.path(), "garbage", "echo 'secret=hunter2'");
        let search = [bin.path().to_path_buf()];
        let search = Some(&search[..]);

        let c = run_helper("echo", "reg.io:5000", search)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.username, "reg.io:5000");
        assert_eq!(c.password.expose(), "hunter2");
        assert_eq!(c.source, "credential helper docker-credential-echo");
        let hub = run_helper("echo", "docker.io", search)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(hub.username, "https://index.docker.io/v1/");

        assert_eq!(run_helper("none", "reg.io", search).await.unwrap(), None);

        let err = run_helper("broken", "reg.io", search).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "registry reg.io: credentials from credential helper docker-credential-broken: \
             `docker-credential-broken get` failed (exit status: 3): keychain locked"
        );
        let err = run_helper("garbage", "reg.io", search).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "registry reg.io: credentials from credential helper docker-credential-garbage: \
             `docker-credential-garbage get` printed something other than {\"Username\", \
             \"Secret\"} JSON: invalid JSON"
        );
        let err = run_helper("missing", "reg.io", search).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "registry reg.io: credentials from credential helper docker-credential-missing: \
                 docker-credential-missing is not installed (searched {}): install it, or remove \
                 \"credsStore\"/\"credHelpers\" from the Docker config",
                bin.path().display()
            )
        );
    }

    #[tokio::test]
    async fn docker_config_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            from_docker_config(dir.path(), "reg.io", None)
                .await
                .unwrap(),
            None
        );
        std::fs::write(
            dir.path().join("config.json"),
            format!(r#"{{"auths":{{"reg.io":{{"auth":"{}"}}}}}}"#, b64("me:pw")),
        )
        .unwrap();
        let c = from_docker_config(dir.path(), "reg.io", None)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c.username, "me");
        assert_eq!(
            c.source,
            format!("docker config {}", dir.path().join("config.json").display())
        );
        assert!(!format!("{c:?}").contains("pw\""));
    }
}
