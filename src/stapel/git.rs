//! The git side of Stapel stages, read with libgit2 from the object store (never the working
//! tree): a mapping's files at a commit, the content behind `stageDependencies`, the patch
//! between two commits (changed, added and deleted files) and the ancestry rule for reuse.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};
use sha2::{Digest as _, Sha256};

use super::paths;
use crate::config::GitMapping;

/// git's mode of a submodule: a commit of another repository, nothing to add.
const GIT_SUBMODULE: i32 = 0o160000;

/// One file of a mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitFile {
    /// Relative to the mapping's `add`.
    pub path: String,
    pub mode: u32,
    pub oid: Oid,
}

/// What changed in a mapping between two commits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Patch {
    /// Added or changed files, with their new content.
    pub changed: Vec<GitFile>,
    /// Removed files, relative to `add`.
    pub deleted: Vec<String>,
    /// Bytes of new content (werf's patch size, for the `gitCache` threshold).
    pub size: u64,
}

impl Patch {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.deleted.is_empty()
    }

    /// A checksum of the patch's content: what the `gitLatestPatch` stage's digest depends on.
    pub fn checksum(&self) -> String {
        let mut h = Sha256::new();
        for f in &self.changed {
            h.update(format!("{}\0{:o}\0{}\n", f.path, f.mode, f.oid));
        }
        for d in &self.deleted {
            h.update(format!("-{d}\n"));
        }
        hex(&h.finalize())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("git repository {}: {message}", .repo.display())]
pub struct GitError {
    pub repo: PathBuf,
    pub message: String,
}

/// The project's repository, pinned to the commit being built. Behind a mutex (libgit2 handles
/// are not shared between threads) so that builds can hold it across await points.
pub struct Git {
    repo: std::sync::Mutex<Repository>,
    dir: PathBuf,
    head: Oid,
}

impl Git {
    pub fn open(repo_dir: &Path, head: &str) -> Result<Self, GitError> {
        let err = |message: String| GitError {
            repo: repo_dir.to_owned(),
            message,
        };
        let repo = Repository::open(repo_dir).map_err(|e| err(e.message().to_owned()))?;
        let head = Oid::from_str(head).map_err(|e| err(e.message().to_owned()))?;
        Ok(Self {
            repo: std::sync::Mutex::new(repo),
            dir: repo_dir.to_owned(),
            head,
        })
    }

    pub fn head(&self) -> Oid {
        self.head
    }

    /// HEAD's commit time, in Unix seconds.
    pub fn head_time(&self) -> u64 {
        self.repo()
            .find_commit(self.head)
            .map_or(0, |c| c.time().seconds().max(0) as u64)
    }

    fn repo(&self) -> std::sync::MutexGuard<'_, Repository> {
        self.repo.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn error(&self, e: git2::Error) -> GitError {
        GitError {
            repo: self.dir.clone(),
            message: e.message().to_owned(),
        }
    }

    /// Whether `commit` exists here and HEAD is it or descends from it: only such stages may be
    /// reused (a stage built on another branch's later commit would bring in foreign files).
    pub fn is_ancestor(&self, commit: Oid) -> bool {
        let repo = self.repo();
        commit == self.head
            || (repo.find_commit(commit).is_ok()
                && repo.graph_descendant_of(self.head, commit).unwrap_or(false))
    }

    /// The mapping's files at `commit`, sorted by path; submodules are left out.
    pub fn files(&self, commit: Oid, mapping: &GitMapping) -> Result<Vec<GitFile>, GitError> {
        let repo = self.repo();
        let tree = repo
            .find_commit(commit)
            .and_then(|c| c.tree())
            .map_err(|e| self.error(e))?;
        let add = mapping.add.trim_matches('/');
        let tree = if add.is_empty() {
            tree
        } else {
            match tree.get_path(Path::new(add)) {
                Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
                    repo.find_tree(entry.id()).map_err(|e| self.error(e))?
                }
                Ok(entry) => {
                    // `add` names a single file: it is the whole mapping, at `to` itself.
                    return Ok(vec![GitFile {
                        path: String::new(),
                        mode: entry.filemode() as u32,
                        oid: entry.id(),
                    }]);
                }
                Err(_) => return Ok(Vec::new()),
            }
        };
        let mut files = Vec::new();
        tree.walk(TreeWalkMode::PreOrder, |parent, entry| {
            if entry.kind() == Some(ObjectType::Tree) || entry.filemode() == GIT_SUBMODULE {
                return TreeWalkResult::Ok;
            }
            let Ok(name) = std::str::from_utf8(entry.name_bytes()) else {
                return TreeWalkResult::Ok;
            };
            let path = format!("{parent}{name}");
            if paths::selected(&path, &mapping.include_paths, &mapping.exclude_paths) {
                files.push(GitFile {
                    path,
                    mode: entry.filemode() as u32,
                    oid: entry.id(),
                });
            }
            TreeWalkResult::Ok
        })
        .map_err(|e| self.error(e))?;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// A checksum of the files at HEAD that `globs` select in the mapping (their paths, modes
    /// and content): a user stage reruns when it changes.
    pub fn checksum(&self, mapping: &GitMapping, globs: &[String]) -> Result<String, GitError> {
        let mut h = Sha256::new();
        for f in self.files(self.head, mapping)? {
            if globs.iter().any(|g| paths::matches(g, &f.path)) {
                h.update(format!("{}\0{:o}\0{}\n", f.path, f.mode, f.oid));
            }
        }
        Ok(hex(&h.finalize()))
    }

    /// How the mapping changed from `from` to HEAD.
    pub fn patch(&self, from: Oid, mapping: &GitMapping) -> Result<Patch, GitError> {
        if from == self.head {
            return Ok(Patch::default());
        }
        let old: BTreeMap<String, GitFile> = self
            .files(from, mapping)?
            .into_iter()
            .map(|f| (f.path.clone(), f))
            .collect();
        let mut patch = Patch::default();
        let mut seen = std::collections::BTreeSet::new();
        for f in self.files(self.head, mapping)? {
            seen.insert(f.path.clone());
            if old.get(&f.path) != Some(&f) {
                patch.size += self
                    .repo()
                    .find_blob(f.oid)
                    .map(|b| b.size() as u64)
                    .unwrap_or(0);
                patch.changed.push(f);
            }
        }
        patch.deleted = old.into_keys().filter(|p| !seen.contains(p)).collect();
        Ok(patch)
    }

    /// A blob's content (for the archives of git stages).
    pub fn blob(&self, oid: Oid) -> Result<Vec<u8>, GitError> {
        self.repo()
            .find_blob(oid)
            .map(|b| b.content().to_vec())
            .map_err(|e| self.error(e))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
