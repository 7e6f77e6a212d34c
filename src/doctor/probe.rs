//! [`RegistryProbe`] over the real registry client: reachability is a `/v2/` ping, and the
//! credentials are checked for push permission by starting a blob upload and cancelling it, so
//! nothing is pushed.

use super::{CredentialsOutcome, RegistryProbe};
use crate::registry::{RegistryClient, RepoName};

/// Blocks on the async client with a runtime of its own (the doctor's checks are synchronous).
pub struct ClientProbe {
    client: RegistryClient,
    runtime: tokio::runtime::Runtime,
}

impl ClientProbe {
    pub fn new(client: RegistryClient) -> std::io::Result<ClientProbe> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        Ok(ClientProbe { client, runtime })
    }
}

fn parse(repo: &str) -> Result<RepoName, String> {
    RepoName::parse(repo).map_err(|e| format!("not a repo: {e}"))
}

impl RegistryProbe for ClientProbe {
    fn reach(&self, repo: &str) -> Result<String, String> {
        let name = parse(repo)?;
        match self.runtime.block_on(self.client.ping(&name)) {
            Ok(200) => Ok(format!("{} answers /v2/ (open)", name.registry())),
            Ok(status) => Ok(format!(
                "{} answers /v2/ (HTTP {status}: asks for credentials)",
                name.registry()
            )),
            Err(e) => Err(e.to_string()),
        }
    }

    fn authenticate(&self, repo: &str) -> Result<CredentialsOutcome, String> {
        let name = parse(repo)?;
        match self.runtime.block_on(self.client.check_push(&name)) {
            Ok(Some(credentials)) => Ok(CredentialsOutcome::Accepted {
                source: format!("{}, user {}", credentials.source, credentials.username),
            }),
            Ok(None) => Ok(CredentialsOutcome::Anonymous),
            Err(e) => Err(e.to_string()),
        }
    }
}
