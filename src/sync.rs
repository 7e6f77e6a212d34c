//! Synchronization between slipway runs that may publish the same digest at once. `:local`
//! takes an exclusive file lock per repo and digest on this host; werf's other kinds (HTTP lock
//! server, Kubernetes) are recognised and refused with the alternative.

use std::fs::File;
use std::path::PathBuf;

use rustix::fs::FlockOperation;
use sha2::{Digest as _, Sha256};

use crate::names::Digest;

/// How concurrent publications of one digest are serialized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Synchronization {
    /// File locks in `dir`: every slipway process on this host that shares `dir` agrees.
    Local { dir: PathBuf },
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(
        "synchronization {value:?} is not supported yet: only `:local` (file locks on this \
         host) is; run the builds that share a repo on one host, or drop --synchronization"
    )]
    Unsupported { value: String },
    #[error(
        "invalid synchronization {value:?}: use `:local`, `http(s)://host:port` or \
         `kubernetes://NAMESPACE`"
    )]
    Invalid { value: String },
    #[error("cannot take the lock {path}: {source}; check that the directory is writable")]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Held while a digest is being published; released when dropped.
#[derive(Debug)]
pub struct LockGuard {
    _file: File,
}

impl Synchronization {
    /// Reads werf's `--synchronization` value; `lock_dir` is where `:local` keeps its locks.
    pub fn parse(value: &str, lock_dir: PathBuf) -> Result<Self, SyncError> {
        match value {
            ":local" => Ok(Self::Local { dir: lock_dir }),
            v if v.starts_with("http://")
                || v.starts_with("https://")
                || v.starts_with("kubernetes://") =>
            {
                Err(SyncError::Unsupported {
                    value: v.to_owned(),
                })
            }
            v => Err(SyncError::Invalid {
                value: v.to_owned(),
            }),
        }
    }

    /// Waits for and takes the lock of `digest` in `repo`.
    pub async fn lock(&self, repo: &str, digest: &Digest) -> Result<LockGuard, SyncError> {
        let Self::Local { dir } = self;
        let name: String = Sha256::digest(format!("{repo}\0{digest}").as_bytes())[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let path = dir.join(format!("{name}.lock"));
        let fail = |source| SyncError::Lock {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(fail)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(fail)?;
        // flock blocks: keep it off the async workers.
        let file = tokio::task::spawn_blocking(move || {
            rustix::fs::flock(&file, FlockOperation::LockExclusive).map(|()| file)
        })
        .await
        .expect("the lock task does not panic")
        .map_err(|e| fail(e.into()))?;
        Ok(LockGuard { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn parses_werf_values() {
        let dir = PathBuf::from("/locks");
        assert_eq!(
            Synchronization::parse(":local", dir.clone()).unwrap(),
            Synchronization::Local { dir: dir.clone() }
        );
        for (value, want) in [
            (
                "http://sync:55581",
                "synchronization \"http://sync:55581\" is not supported yet: only `:local` (file locks on this host) is; run the builds that share a repo on one host, or drop --synchronization",
            ),
            (
                "kubernetes://werf-sync",
                "synchronization \"kubernetes://werf-sync\" is not supported yet: only `:local` (file locks on this host) is; run the builds that share a repo on one host, or drop --synchronization",
            ),
            (
                "local",
                "invalid synchronization \"local\": use `:local`, `http(s)://host:port` or `kubernetes://NAMESPACE`",
            ),
        ] {
            let err = Synchronization::parse(value, dir.clone()).unwrap_err();
            assert_eq!(err.to_string(), want);
        }
    }

    #[tokio::test]
    async fn one_holder_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let sync = Synchronization::Local {
            dir: dir.path().to_path_buf(),
        };
        let digest = Digest::from_sha256(&[1; 32]);
        let first = sync.lock("repo", &digest).await.unwrap();
        // Another digest is independent.
        let other = sync
            .lock("repo", &Digest::from_sha256(&[2; 32]))
            .await
            .unwrap();
        drop(other);
        let second = {
            let sync = sync.clone();
            let digest = digest.clone();
            tokio::spawn(async move { sync.lock("repo", &digest).await })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!second.is_finished(), "the second lock waits for the first");
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("the second lock is granted once the first is released")
            .unwrap()
            .unwrap();
    }
}
