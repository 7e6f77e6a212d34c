//! Registry errors: each failure people meet (401, 403, 404, timeout, refused connection) has a
//! message naming the registry, the operation, the credentials used, and how to fix it.

use oci_client::errors::{OciDistributionError, OciErrorCode};

use super::names::ImageRef;

/// What "with …" says when no credentials were found.
pub const ANONYMOUS: &str = "no credentials: anonymous access";

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error(
        "registry {registry}: {action}: unauthorized (401) with {auth}; log in with `docker login \
         {registry}`, or set DOCKER_CONFIG to a config that has credentials for {registry}"
    )]
    Unauthorized {
        registry: String,
        action: String,
        auth: String,
    },
    #[error(
        "registry {registry}: {action}: denied (403) with {auth}; these credentials lack \
         {permission} permission on {repo}: grant it in the registry, or use credentials that \
         have it"
    )]
    Forbidden {
        registry: String,
        action: String,
        auth: String,
        permission: &'static str,
        repo: String,
    },
    #[error(
        "registry {registry}: {action}: not found (404) with {auth}; check that {repo} is the \
         right repo and that the registry serves it at this path"
    )]
    NotFound {
        registry: String,
        action: String,
        auth: String,
        repo: String,
    },
    #[error(
        "registry {registry}: {action}: no answer within {seconds} s with {auth}; check that the \
         registry is up and reachable from this host, then retry"
    )]
    Timeout {
        registry: String,
        action: String,
        auth: String,
        seconds: u64,
    },
    #[error(
        "registry {registry}: {action}: connection refused at {url} with {auth}; nothing listens \
         there: check the host and port, and that the registry is running"
    )]
    ConnectionRefused {
        registry: String,
        action: String,
        auth: String,
        url: String,
    },
    #[error(
        "registry {registry}: {action}: cannot connect to {url} with {auth}: {detail}; check the \
         host name and the network (and pass --insecure-registry {registry} if it serves plain \
         HTTP)"
    )]
    Connect {
        registry: String,
        action: String,
        auth: String,
        url: String,
        detail: String,
    },
    #[error("registry {registry}: {action}: HTTP {status} with {auth}: {detail}")]
    Status {
        registry: String,
        action: String,
        auth: String,
        status: u16,
        detail: String,
    },
    #[error(
        "image {image} is not in the registry although this run just published or found it; \
         something deleted it meanwhile: run the build again"
    )]
    Missing { image: String },
    #[error("registry {registry}: credentials from {origin}: {message}")]
    Credentials {
        registry: String,
        origin: String,
        message: String,
    },
    #[error("registry {registry}: {message}")]
    Other { registry: String, message: String },
}

impl RegistryError {
    /// The image the run just published or found is not there.
    pub fn missing(image: &ImageRef) -> Self {
        RegistryError::Missing {
            image: image.to_string(),
        }
    }
}

/// A failed request before it is put in context.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The registry answered with this status and (trimmed) body.
    Status(u16, String),
    Transport(reqwest::Error),
    /// The registry answered something this client cannot use.
    Invalid(String),
}

impl From<reqwest::Error> for Failure {
    fn from(e: reqwest::Error) -> Self {
        match e.status() {
            Some(s) => Failure::Status(s.as_u16(), String::new()),
            None => Failure::Transport(e),
        }
    }
}

impl From<OciDistributionError> for Failure {
    fn from(e: OciDistributionError) -> Self {
        match e {
            OciDistributionError::UnauthorizedError { .. } => Failure::Status(401, String::new()),
            // The token endpoint refused the credentials.
            OciDistributionError::AuthenticationFailure(reason) => {
                Failure::Status(401, trim(&reason))
            }
            OciDistributionError::RegistryError { envelope, .. } => {
                let first = envelope.errors.first();
                let code = match first.map(|e| &e.code) {
                    Some(OciErrorCode::Unauthorized) => 401,
                    Some(OciErrorCode::Denied) => 403,
                    Some(
                        OciErrorCode::NameUnknown
                        | OciErrorCode::ManifestUnknown
                        | OciErrorCode::BlobUnknown
                        | OciErrorCode::NotFound,
                    ) => 404,
                    Some(OciErrorCode::Toomanyrequests) => 429,
                    _ => 400,
                };
                Failure::Status(
                    code,
                    trim(&first.map(|e| e.message.clone()).unwrap_or_default()),
                )
            }
            OciDistributionError::ServerError { code, message, .. } => {
                Failure::Status(code, trim(&message))
            }
            OciDistributionError::RequestError(e) => e.into(),
            other => Failure::Invalid(other.to_string()),
        }
    }
}

fn trim(body: &str) -> String {
    let body = body.trim();
    match body.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &body[..i]),
        None => body.to_owned(),
    }
}

/// Where a request went and why, to turn a [`Failure`] into a [`RegistryError`].
pub(crate) struct Context<'a> {
    pub registry: &'a str,
    /// The registry's base URL (`http://host:port`).
    pub base: &'a str,
    pub action: String,
    pub auth: &'a str,
    pub repo: &'a str,
    pub permission: &'static str,
    pub timeout_seconds: u64,
}

impl Context<'_> {
    pub fn error(&self, failure: Failure) -> RegistryError {
        let registry = self.registry.to_owned();
        let action = self.action.clone();
        let auth = self.auth.to_owned();
        match failure {
            Failure::Status(401, _) => RegistryError::Unauthorized {
                registry,
                action,
                auth,
            },
            Failure::Status(403, _) => RegistryError::Forbidden {
                registry,
                action,
                auth,
                permission: self.permission,
                repo: self.repo.to_owned(),
            },
            Failure::Status(404, _) => RegistryError::NotFound {
                registry,
                action,
                auth,
                repo: self.repo.to_owned(),
            },
            Failure::Status(status, detail) => RegistryError::Status {
                registry,
                action,
                auth,
                status,
                detail: if detail.is_empty() {
                    "the registry gave no reason".to_owned()
                } else {
                    detail
                },
            },
            Failure::Transport(e) if e.is_timeout() => RegistryError::Timeout {
                registry,
                action,
                auth,
                seconds: self.timeout_seconds,
            },
            Failure::Transport(e) if is_refused(&e) => RegistryError::ConnectionRefused {
                registry,
                action,
                auth,
                url: self.base.to_owned(),
            },
            Failure::Transport(e) => RegistryError::Connect {
                registry,
                action,
                auth,
                url: self.base.to_owned(),
                detail: innermost(&e),
            },
            Failure::Invalid(message) => RegistryError::Other {
                registry,
                message: format!("{action}: {message}"),
            },
        }
    }
}

fn is_refused(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// The root cause, which says more than reqwest's "error sending request".
fn innermost(e: &reqwest::Error) -> String {
    let mut last: &dyn std::error::Error = e;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cx() -> Context<'static> {
        Context {
            registry: "reg.io",
            base: "https://reg.io",
            action: "list tags of reg.io/team/app".to_owned(),
            auth: "credentials of ci from the CI environment",
            repo: "reg.io/team/app",
            permission: "push",
            timeout_seconds: 60,
        }
    }

    #[test]
    fn messages() {
        let cases = [
            (
                Failure::Status(401, String::new()),
                "registry reg.io: list tags of reg.io/team/app: unauthorized (401) with \
                 credentials of ci from the CI environment; log in with `docker login reg.io`, \
                 or set DOCKER_CONFIG to a config that has credentials for reg.io",
            ),
            (
                Failure::Status(403, "denied".into()),
                "registry reg.io: list tags of reg.io/team/app: denied (403) with credentials of \
                 ci from the CI environment; these credentials lack push permission on \
                 reg.io/team/app: grant it in the registry, or use credentials that have it",
            ),
            (
                Failure::Status(404, String::new()),
                "registry reg.io: list tags of reg.io/team/app: not found (404) with credentials \
                 of ci from the CI environment; check that reg.io/team/app is the right repo and \
                 that the registry serves it at this path",
            ),
            (
                Failure::Status(500, String::new()),
                "registry reg.io: list tags of reg.io/team/app: HTTP 500 with credentials of ci \
                 from the CI environment: the registry gave no reason",
            ),
            (
                Failure::Status(429, "slow down".into()),
                "registry reg.io: list tags of reg.io/team/app: HTTP 429 with credentials of ci \
                 from the CI environment: slow down",
            ),
            (
                Failure::Invalid("the tag list is not valid JSON".into()),
                "registry reg.io: list tags of reg.io/team/app: the tag list is not valid JSON",
            ),
        ];
        for (failure, message) in cases {
            assert_eq!(cx().error(failure).to_string(), message);
        }
    }

    #[test]
    fn transport_messages() {
        let timeout = RegistryError::Timeout {
            registry: "reg.io".into(),
            action: "read manifest reg.io/a:b".into(),
            auth: ANONYMOUS.into(),
            seconds: 60,
        };
        assert_eq!(
            timeout.to_string(),
            "registry reg.io: read manifest reg.io/a:b: no answer within 60 s with no \
             credentials: anonymous access; check that the registry is up and reachable from \
             this host, then retry"
        );
        let connect = RegistryError::Connect {
            registry: "reg.io".into(),
            action: "read manifest reg.io/a:b".into(),
            auth: ANONYMOUS.into(),
            url: "https://reg.io".into(),
            detail: "dns error".into(),
        };
        assert_eq!(
            connect.to_string(),
            "registry reg.io: read manifest reg.io/a:b: cannot connect to https://reg.io with no \
             credentials: anonymous access: dns error; check the host name and the network (and \
             pass --insecure-registry reg.io if it serves plain HTTP)"
        );
        let image = ImageRef::new(
            crate::registry::RepoName::parse("reg.io/a").unwrap(),
            crate::registry::Tag::parse("t").unwrap(),
        );
        assert_eq!(
            RegistryError::missing(&image).to_string(),
            "image reg.io/a:t is not in the registry although this run just published or found \
             it; something deleted it meanwhile: run the build again"
        );
    }

    /// A real timeout and a real refused connection, classified from reqwest's errors.
    #[tokio::test]
    async fn classifies_transport_errors() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        // Accepts and never answers.
        let server = tokio::spawn(async move {
            let (_socket, _) = listener.accept().await.unwrap();
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        });
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_millis(200))
            .build()
            .unwrap();
        let e = client
            .get(format!("http://{addr}/v2/"))
            .send()
            .await
            .unwrap_err();
        assert!(matches!(
            cx().error(e.into()),
            RegistryError::Timeout { .. }
        ));
        server.abort();

        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let e = client
            .get(format!("http://127.0.0.1:{port}/v2/"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            cx().error(e.into()).to_string(),
            "registry reg.io: list tags of reg.io/team/app: connection refused at \
             https://reg.io with credentials of ci from the CI environment; nothing listens \
             there: check the host and port, and that the registry is running"
        );
    }

    #[test]
    fn oci_errors() {
        let envelope = |code: &str| {
            serde_json::from_str(&format!(
                r#"{{"errors":[{{"code":"{code}","message":"m"}}]}}"#
            ))
            .unwrap()
        };
        let cases = [
            (
                OciDistributionError::UnauthorizedError { url: "u".into() },
                401,
            ),
            (
                OciDistributionError::AuthenticationFailure("bad".into()),
                401,
            ),
            (
                OciDistributionError::RegistryError {
                    envelope: envelope("DENIED"),
                    url: "u".into(),
                },
                403,
            ),
            (
                OciDistributionError::RegistryError {
                    envelope: envelope("NAME_UNKNOWN"),
                    url: "u".into(),
                },
                404,
            ),
            (
                OciDistributionError::RegistryError {
                    envelope: envelope("BLOB_UNKNOWN"),
                    url: "u".into(),
                },
                404,
            ),
            (
                OciDistributionError::ServerError {
                    code: 403,
                    url: "u".into(),
                    message: String::new(),
                },
                403,
            ),
        ];
        for (e, status) in cases {
            let shown = e.to_string();
            match Failure::from(e) {
                Failure::Status(s, _) => assert_eq!(s, status, "{shown}"),
                other => panic!("{shown}: {other:?}"),
            }
        }
    }
}
