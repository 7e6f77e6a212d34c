//! Build contexts read from the git commit (or, with `--dev`, the working tree): which files a
//! context holds after `.dockerignore`, identified by git blob id or SHA-256, never by reading
//! committed file contents.

pub mod archive;
pub mod dockerignore;
mod git;
pub mod glob;
mod index;
pub mod sources;
mod worktree;

use std::collections::BTreeMap;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest as _, Sha256};

pub use git::GitRepo;
pub use worktree::Changes;

use dockerignore::Dockerignore;

/// How a file's content is identified in digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileId {
    /// A committed file: its git blob id (known from the tree, so the blob is never read).
    Blob(git2::Oid),
    /// A working-tree file: the SHA-256 of its content (or of its link target).
    Sha256([u8; 32]),
}

/// One file of a build context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextFile {
    /// Relative to the context directory, '/'-separated.
    pub path: String,
    /// git's file mode: 0o100644, 0o100755, 0o120000 (symlink) or 0o160000 (submodule).
    pub mode: u32,
    pub id: FileId,
}

/// Where contexts are read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The HEAD commit: uncommitted changes never reach a build.
    Commit,
    /// The working tree (`--dev`): tracked and untracked files that git does not ignore.
    WorkTree,
}

#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    #[error(
        "{dir} is not inside a git repository; slipway reads the build context from the git \
         commit, so run `git init && git add -A && git commit -m init` in the project (or point \
         --dir at a git checkout)"
    )]
    NotARepository { dir: PathBuf },
    #[error(
        "the git repository {repo} has no commit yet; slipway reads the build context from the \
         HEAD commit, so commit the project first (`git add -A && git commit -m init`)"
    )]
    NoCommit { repo: PathBuf },
    #[error(
        "git repository {repo}: {revision:?} names no commit; give a commit id, branch, tag or \
         an expression such as HEAD~1 (a shallow clone may lack older commits: fetch them with \
         `git fetch --deepen=N`)"
    )]
    UnknownRevision { repo: PathBuf, revision: String },
    #[error("git repository {repo}: {message}")]
    Git { repo: PathBuf, message: String },
    #[error(
        "the context directory {dir:?} is not in commit {commit}; commit it, or fix `context` in \
         werf.yaml"
    )]
    MissingContextDir { dir: String, commit: String },
    #[error("{path}: {source}")]
    Dockerignore {
        path: String,
        source: dockerignore::DockerignoreError,
    },
    #[error(
        "contextAddFiles entry {file:?} of image {image} does not exist in the working tree \
         (looked for {abs}); create it before running slipway, or remove it from werf.yaml",
        abs = .abs.display()
    )]
    MissingAddFile {
        image: String,
        file: String,
        abs: PathBuf,
    },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Cleans a '/'-separated relative path: drops "." and empty components, resolves ".." without
/// ever leaving the root (as BuildKit does for context paths), no leading or trailing '/'.
pub fn clean(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Joins two relative paths and cleans the result.
pub fn join(base: &str, rel: &str) -> String {
    clean(&format!("{base}/{rel}"))
}

/// A context file read from the working tree, identified by SHA-256.
fn worktree_file(path: String, abs: &Path, meta: &Metadata) -> Result<ContextFile, ContextError> {
    use std::os::unix::fs::PermissionsExt;
    let (mode, bytes) = if meta.file_type().is_symlink() {
        let target = fs_err::read_link(abs)?;
        (0o120000, target.to_string_lossy().into_owned().into_bytes())
    } else {
        let exec = meta.permissions().mode() & 0o111 != 0;
        (if exec { 0o100755 } else { 0o100644 }, fs_err::read(abs)?)
    };
    Ok(ContextFile {
        path,
        mode,
        id: FileId::Sha256(Sha256::digest(&bytes).into()),
    })
}

/// Reads the contextAddFiles of an image from the working tree: files, or directories walked
/// recursively. Paths in the result are relative to the context directory.
pub fn read_add_files(
    project_dir: &Path,
    context_dir: &str,
    entries: &[String],
    image: &str,
) -> Result<Vec<ContextFile>, ContextError> {
    let mut out = BTreeMap::new();
    for entry in entries {
        let rel = clean(entry);
        let abs = project_dir.join(join(context_dir, &rel));
        let meta = std::fs::symlink_metadata(&abs).map_err(|_| ContextError::MissingAddFile {
            image: image.to_owned(),
            file: entry.clone(),
            abs: abs.clone(),
        })?;
        let mut stack = vec![(rel, abs, meta)];
        while let Some((rel, abs, meta)) = stack.pop() {
            if meta.is_dir() {
                for child in fs_err::read_dir(&abs)? {
                    let child = child?;
                    let name = child.file_name().to_string_lossy().into_owned();
                    let child_meta = fs_err::symlink_metadata(child.path())?;
                    stack.push((join(&rel, &name), child.path(), child_meta));
                }
            } else {
                let file = worktree_file(rel.clone(), &abs, &meta)?;
                out.insert(rel, file);
            }
        }
    }
    Ok(out.into_values().collect())
}

/// The files of one build context, sorted by path.
#[derive(Debug, Clone)]
pub struct BuildContext {
    pub files: Vec<ContextFile>,
}

impl BuildContext {
    /// Lists the context `dir` (relative to the project directory) from `source`, minus the
    /// paths `ignore` excludes.
    pub fn list(
        repo: &GitRepo,
        source: Source,
        dir: &str,
        ignore: &Dockerignore,
    ) -> Result<Self, ContextError> {
        let files = match source {
            Source::Commit => repo.list_committed(dir, ignore)?,
            Source::WorkTree => repo.list_worktree(dir, ignore)?,
        };
        Ok(Self { files })
    }

    /// Adds (or replaces) files, keeping the list sorted; shares `self` when nothing is added.
    pub fn with_added(self: &Arc<Self>, added: Vec<ContextFile>) -> Arc<Self> {
        if added.is_empty() {
            return Arc::clone(self);
        }
        let mut by_path: BTreeMap<String, ContextFile> = self
            .files
            .iter()
            .map(|f| (f.path.clone(), f.clone()))
            .collect();
        for f in added {
            by_path.insert(f.path.clone(), f);
        }
        Arc::new(Self {
            files: by_path.into_values().collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn cleans_paths() {
        for (input, want) in [
            ("", ""),
            (".", ""),
            ("/", ""),
            ("./a/b/", "a/b"),
            ("a//b", "a/b"),
            ("a/../b", "b"),
            ("../../a", "a"),
            ("/abs/path", "abs/path"),
        ] {
            assert_eq!(clean(input), want, "{input:?}");
        }
    }
}
