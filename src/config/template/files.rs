//! `.Files` for werf.yaml templates: project files read from the git commit (as werf does under
//! giterminism), from the working tree in `--dev` or with `--loose-giterminism`, or where
//! werf-giterminism.yaml allows uncommitted files.

use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::path::PathBuf;

use super::giterminism::{FILE, glob_match, glob_match_exact};
use crate::context::GitRepo;
use crate::context::dockerignore::Dockerignore;
use crate::gotemplate::funcs::{Signature, Ty, sig};
use crate::gotemplate::{Object, Value};

pub struct ProjectFiles {
    pub repo: Option<GitRepo>,
    pub project_dir: PathBuf,
    /// `--dev` or loose giterminism: the working tree is the source.
    pub from_worktree: bool,
    /// `allowUncommittedFiles` (or `allowUncommittedTemplates`) patterns.
    pub allow_uncommitted: Vec<String>,
    /// The key that would allow an uncommitted file, for messages.
    pub allow_key: &'static str,
    committed: OnceCell<Result<Vec<String>, String>>,
    worktree: OnceCell<Result<Vec<String>, String>>,
}

impl std::fmt::Debug for ProjectFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProjectFiles")
            .field("project_dir", &self.project_dir)
            .finish()
    }
}

/// A project-relative path, cleaned; `..` beyond the project directory is refused.
pub fn project_path(path: &str) -> Result<String, String> {
    let mut depth: i64 = 0;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => depth -= 1,
            _ => depth += 1,
        }
        if depth < 0 {
            return Err(format!(
                "the path {path:?} is outside the project directory"
            ));
        }
    }
    Ok(crate::context::clean(path))
}

impl ProjectFiles {
    pub fn new(
        repo: Option<GitRepo>,
        project_dir: PathBuf,
        from_worktree: bool,
        allow_uncommitted: Vec<String>,
        allow_key: &'static str,
    ) -> ProjectFiles {
        ProjectFiles {
            repo,
            project_dir,
            from_worktree,
            allow_uncommitted,
            allow_key,
            committed: OnceCell::new(),
            worktree: OnceCell::new(),
        }
    }

    fn repo(&self) -> Result<&GitRepo, String> {
        self.repo.as_ref().ok_or_else(|| {
            format!(
                "{} is not inside a git repository, and werf.yaml templates read files from the commit",
                self.project_dir.display()
            )
        })
    }

    fn worktree_source(&self, path: &str) -> bool {
        self.from_worktree || self.allow_uncommitted.iter().any(|p| glob_match(p, path))
    }

    fn committed_files(&self) -> Result<&Vec<String>, String> {
        self.committed
            .get_or_init(|| {
                let repo = self.repo()?;
                let files = repo
                    .list_committed("", &Dockerignore::default())
                    .map_err(|e| e.to_string())?;
                Ok(files.into_iter().map(|f| f.path).collect())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn worktree_files(&self) -> Result<&Vec<String>, String> {
        self.worktree
            .get_or_init(|| {
                let repo = self.repo()?;
                let files = repo
                    .list_worktree("", &Dockerignore::default())
                    .map_err(|e| e.to_string())?;
                Ok(files.into_iter().map(|f| f.path).collect())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The file's content, `None` when it does not exist where it is read from.
    pub fn read(&self, path: &str) -> Result<Option<Vec<u8>>, String> {
        let path = project_path(path)?;
        let worktree = std::fs::read(self.project_dir.join(&path)).ok();
        if self.worktree_source(&path) {
            return Ok(worktree);
        }
        let committed = self
            .repo()?
            .read_committed(&path)
            .map_err(|e| e.to_string())?;
        match (&committed, &worktree) {
            (Some(c), Some(w)) if c != w => Err(format!(
                "the file {path:?} has uncommitted changes; commit them, or allow the file with {} in {FILE} (or use --dev)",
                self.allow_key
            )),
            (None, Some(_)) => Err(format!(
                "the file {path:?} is not committed; commit it, or allow it with {} in {FILE} (or use --dev)",
                self.allow_key
            )),
            _ => Ok(committed),
        }
    }

    /// Every readable file, project-relative and sorted.
    pub fn list(&self) -> Result<Vec<String>, String> {
        let mut files: Vec<String> = if self.from_worktree {
            self.worktree_files()?.clone()
        } else {
            let mut files = self.committed_files()?.clone();
            if !self.allow_uncommitted.is_empty() {
                files.extend(
                    self.worktree_files()?
                        .iter()
                        .filter(|p| self.worktree_source(p))
                        .cloned(),
                );
            }
            files
        };
        files.sort();
        files.dedup();
        Ok(files)
    }

    pub fn is_dir(&self, path: &str) -> Result<bool, String> {
        let path = project_path(path)?;
        if path.is_empty() {
            return Ok(true);
        }
        let prefix = format!("{path}/");
        Ok(self.list()?.iter().any(|p| p.starts_with(&prefix)))
    }

    pub fn exists(&self, path: &str) -> Result<bool, String> {
        let path = project_path(path)?;
        Ok(self.list()?.contains(&path) || self.is_dir(&path)?)
    }
}

/// The `.Files` value.
#[derive(Debug)]
pub struct Files(pub ProjectFiles);

impl Object for Files {
    fn type_name(&self) -> &'static str {
        "config.files"
    }

    fn method(&self, name: &str) -> Option<Signature> {
        matches!(name, "Get" | "Glob" | "Exists" | "IsDir" | "ReadDir").then(|| sig(&[Ty::Str]))
    }

    fn call(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let arg = args[0].as_str().unwrap_or_default();
        let wrap = |e: String| {
            format!(
                "{{{{ .Files.{name} {} }}}}: {e}",
                crate::gotemplate::strconv::quote(arg)
            )
        };
        match name {
            "Get" => match self.0.read(arg).map_err(wrap)? {
                Some(bytes) => Ok(Value::str(String::from_utf8_lossy(&bytes).as_ref())),
                None => Err(wrap(format!(
                    "the file {arg:?} does not exist in the project repository (read from the commit unless --dev)"
                ))),
            },
            "Glob" => {
                let mut out = BTreeMap::new();
                for path in self.0.list().map_err(wrap)? {
                    if glob_match_exact(arg, &path)
                        && let Some(bytes) = self.0.read(&path).map_err(wrap)?
                    {
                        out.insert(path, Value::str(String::from_utf8_lossy(&bytes).as_ref()));
                    }
                }
                Ok(Value::map(out))
            }
            "Exists" => Ok(Value::Bool(self.0.exists(arg).map_err(wrap)?)),
            "IsDir" => Ok(Value::Bool(self.0.is_dir(arg).map_err(wrap)?)),
            _ => {
                let dir = project_path(arg).map_err(wrap)?;
                let prefix = if dir.is_empty() {
                    String::new()
                } else {
                    format!("{dir}/")
                };
                let mut names: Vec<String> = self
                    .0
                    .list()
                    .map_err(wrap)?
                    .iter()
                    .filter_map(|p| p.strip_prefix(&prefix))
                    .map(|rest| rest.split('/').next().unwrap_or(rest).to_owned())
                    .collect();
                names.dedup();
                Ok(Value::list(names.into_iter().map(Value::str).collect()))
            }
        }
    }

    fn display(&self) -> String {
        "{}".to_owned()
    }
}
