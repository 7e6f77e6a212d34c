//! Access to the project's git repository: the HEAD commit's tree (the source of every build
//! context), single files from it, and the working-tree changes that a build will not see.

use std::path::{Path, PathBuf};
use std::sync::Once;

use git2::{ObjectType, Repository, StatusOptions, TreeWalkMode, TreeWalkResult};

use super::dockerignore::Dockerignore;
use super::worktree::Changes;
use super::{ContextError, ContextFile, FileId, join};

/// A repository opened at the project directory, pinned to the commit HEAD pointed at when opened.
pub struct GitRepo {
    repo: Repository,
    workdir: PathBuf,
    /// The project directory relative to the repository root, '/'-separated, "" at the root.
    prefix: String,
    commit: git2::Oid,
}

impl GitRepo {
    pub fn open(project_dir: &Path) -> Result<Self, ContextError> {
        Self::open_at(project_dir, None)
    }

    /// Opens the repository pinned to `revision` (anything `git rev-parse` takes) instead of HEAD.
    pub fn open_at(project_dir: &Path, revision: Option<&str>) -> Result<Self, ContextError> {
        static DISABLE_OWNER_CHECK: Once = Once::new();
        DISABLE_OWNER_CHECK.call_once(|| {
            // CI checkouts are often owned by another uid than the job's; git's "dubious
            // ownership" check would refuse them although nothing here is executed from the repo.
            // SAFETY: called once, before any repository is opened by this process.
            unsafe {
                let _ = git2::opts::set_verify_owner_validation(false);
            }
            // Re-hashing every tree read (with collision-detecting SHA-1) costs more than
            // reading it; slipway only reads objects that git itself wrote.
            git2::opts::strict_hash_verification(false);
        });
        let shown = fs_err::canonicalize(project_dir).unwrap_or_else(|_| project_dir.to_path_buf());
        let not_a_repo = || ContextError::NotARepository { dir: shown.clone() };
        let repo = Repository::discover(project_dir).map_err(|_| not_a_repo())?;
        let workdir = repo.workdir().ok_or_else(not_a_repo)?;
        let abs_workdir = fs_err::canonicalize(workdir).map_err(ContextError::Io)?;
        let commit = match revision {
            None => repo.head().and_then(|h| h.peel_to_commit()).map_err(|_| {
                ContextError::NoCommit {
                    repo: abs_workdir.clone(),
                }
            })?,
            Some(rev) => repo
                .revparse_single(rev)
                .and_then(|o| o.peel_to_commit())
                .map_err(|_| ContextError::UnknownRevision {
                    repo: abs_workdir.clone(),
                    revision: rev.to_owned(),
                })?,
        }
        .id();
        let prefix = shown
            .strip_prefix(&abs_workdir)
            .map_err(|_| not_a_repo())?
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/");
        Ok(Self {
            repo,
            workdir: abs_workdir,
            prefix,
            commit,
        })
    }

    /// The full id of the commit every context is read from.
    pub fn commit(&self) -> String {
        self.commit.to_string()
    }

    /// The commit's committer time: seconds since the epoch and the offset from UTC in minutes.
    pub fn commit_time(&self) -> Result<(i64, i32), ContextError> {
        let commit = self
            .repo
            .find_commit(self.commit)
            .map_err(|e| self.git_error(e))?;
        let when = commit.committer().when();
        Ok((when.seconds(), when.offset_minutes()))
    }

    /// The absolute path of the repository's working tree.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// The absolute path of the project directory in the working tree.
    pub fn project_dir(&self) -> PathBuf {
        if self.prefix.is_empty() {
            self.workdir.clone()
        } else {
            self.workdir.join(&self.prefix)
        }
    }

    fn repo_path(&self, project_path: &str) -> String {
        join(&self.prefix, project_path)
    }

    fn tree(&self) -> Result<git2::Tree<'_>, ContextError> {
        self.repo
            .find_commit(self.commit)
            .and_then(|c| c.tree())
            .map_err(|e| self.git_error(e))
    }

    fn git_error(&self, e: git2::Error) -> ContextError {
        ContextError::Git {
            repo: self.workdir.clone(),
            message: e.message().to_owned(),
        }
    }

    /// Reads a file of the commit, `project_path` being relative to the project directory.
    /// `Ok(None)` when the commit has no such file.
    pub fn read_committed(&self, project_path: &str) -> Result<Option<Vec<u8>>, ContextError> {
        let tree = self.tree()?;
        let entry = match tree.get_path(Path::new(&self.repo_path(project_path))) {
            Ok(entry) => entry,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) => return Err(self.git_error(e)),
        };
        if entry.kind() != Some(ObjectType::Blob) {
            return Ok(None);
        }
        let blob = self
            .repo
            .find_blob(entry.id())
            .map_err(|e| self.git_error(e))?;
        Ok(Some(blob.content().to_vec()))
    }

    /// Lists every file of the commit below `dir` (relative to the project directory), with paths
    /// relative to `dir`, sorted. Only trees are read, never file contents, which keeps listing
    /// a large repository as cheap as `git ls-tree -r`.
    pub fn list_committed(
        &self,
        dir: &str,
        ignore: &Dockerignore,
    ) -> Result<Vec<ContextFile>, ContextError> {
        let root = self.tree()?;
        let repo_dir = self.repo_path(dir);
        let subtree = if repo_dir.is_empty() {
            root
        } else {
            match root.get_path(Path::new(&repo_dir)) {
                Ok(entry) if entry.kind() == Some(ObjectType::Tree) => self
                    .repo
                    .find_tree(entry.id())
                    .map_err(|e| self.git_error(e))?,
                Ok(_) | Err(_) => {
                    return Err(ContextError::MissingContextDir {
                        dir: dir.to_owned(),
                        commit: self.commit(),
                    });
                }
            }
        };
        let mut files = Vec::new();
        subtree
            .walk(TreeWalkMode::PreOrder, |parent, entry| {
                let Ok(name) = std::str::from_utf8(entry.name_bytes()) else {
                    return TreeWalkResult::Ok;
                };
                let mut path = String::with_capacity(parent.len() + name.len());
                path.push_str(parent);
                path.push_str(name);
                if entry.kind() == Some(ObjectType::Tree) {
                    return if ignore.excludes_everything_under(&path) {
                        TreeWalkResult::Skip
                    } else {
                        TreeWalkResult::Ok
                    };
                }
                if !ignore.is_excluded(&path) {
                    files.push(ContextFile {
                        path,
                        mode: entry.filemode() as u32,
                        id: FileId::Blob(entry.id()),
                    });
                }
                TreeWalkResult::Ok
            })
            .map_err(|e| self.git_error(e))?;
        // git sorts a directory's name as if it ended in '/', so a pre-order walk yields full
        // paths in byte order already; the check guards against malformed trees.
        if !files.is_sorted_by(|a, b| a.path <= b.path) {
            files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        }
        Ok(files)
    }

    /// How the index and working tree differ from the commit below the project directory,
    /// with project-relative paths.
    pub fn changes(&self) -> Result<Changes, ContextError> {
        let strip = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        let relative = |p: String| p.strip_prefix(&strip).map(str::to_owned);
        let changes = super::worktree::changes(
            &self.repo,
            &self.workdir,
            &self.prefix,
            super::worktree::FULL_STAT_LIMIT,
        )
        .map_err(|e| self.git_error(e))?;
        Ok(Changes {
            index: changes
                .index
                .into_iter()
                .filter_map(|(p, id)| relative(p).map(|p| (p, id)))
                .collect(),
            worktree: changes.worktree.into_iter().filter_map(relative).collect(),
        })
    }

    /// Files of the working tree below `dir` that git tracks or could track (untracked and not
    /// ignored), relative to `dir`, sorted. Used by `--dev`.
    pub fn list_worktree(
        &self,
        dir: &str,
        ignore: &Dockerignore,
    ) -> Result<Vec<ContextFile>, ContextError> {
        let index = self.repo.index().map_err(|e| self.git_error(e))?;
        let mut repo_paths: Vec<String> = index
            .iter()
            .filter_map(|e| String::from_utf8(e.path).ok())
            .collect();
        let mut opts = StatusOptions::new();
        opts.include_untracked(true)
            .recurse_untracked_dirs(true)
            .include_ignored(false)
            .exclude_submodules(true);
        let statuses = self
            .repo
            .statuses(Some(&mut opts))
            .map_err(|e| self.git_error(e))?;
        repo_paths.extend(
            statuses
                .iter()
                .filter(|s| s.status().is_wt_new())
                .filter_map(|s| s.path().ok().map(str::to_owned)),
        );
        let dir_prefix = match self.repo_path(dir).as_str() {
            "" => String::new(),
            p => format!("{p}/"),
        };
        let mut files = Vec::new();
        for repo_path in repo_paths {
            let Some(rel) = repo_path.strip_prefix(&dir_prefix) else {
                continue;
            };
            if ignore.is_excluded(rel) {
                continue;
            }
            let abs = self.workdir.join(&repo_path);
            // Deleted in the working tree: not part of a --dev context.
            let Ok(meta) = std::fs::symlink_metadata(&abs) else {
                continue;
            };
            if meta.is_dir() {
                continue;
            }
            files.push(super::worktree_file(rel.to_owned(), &abs, &meta)?);
        }
        files.sort_unstable_by(|a, b| a.path.cmp(&b.path));
        files.dedup_by(|a, b| a.path == b.path);
        Ok(files)
    }
}
