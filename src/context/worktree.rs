//! Which working-tree files differ from the HEAD commit, found fast enough for 100,000-file
//! repositories: stats relative to directory handles, spread over the cores, and content hashed
//! only for files whose stat data changed (a plain status costs several times a tree listing).

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::path::Path;

use git2::{ObjectType, Oid, Repository};
use std::hash::{BuildHasherDefault, Hasher};
use std::mem::MaybeUninit;

use rustix::fs::{AtFlags, FileType, Mode, OFlags, RawDir};

use super::dockerignore::Dockerignore;
use super::index::{self, IndexEntry};
use super::{ContextFile, FileId};

/// How the working tree and index differ from the commit, below the project directory.
#[derive(Debug)]
pub struct Changes {
    /// The index's entries (project-relative paths, sorted): compared with a context's
    /// committed files, they show staged changes.
    pub index: Vec<(String, Oid)>,
    /// Project-relative paths whose working-tree file differs from the index, or which are
    /// untracked and not ignored.
    pub worktree: Vec<String>,
}

impl Changes {
    /// Paths (relative to the context directory `dir`) of a context's committed `files` (after
    /// `ignore`) that differ in the index or the working tree, or that would join the context.
    pub fn in_context(
        &self,
        dir: &str,
        files: &[ContextFile],
        ignore: &Dockerignore,
    ) -> Vec<String> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let staged_from = self
            .index
            .partition_point(|(p, _)| p.as_str() < prefix.as_str());
        let index = self.index[staged_from..]
            .iter()
            .take_while(|(p, _)| p.starts_with(&prefix))
            .map(|(p, id)| (&p[prefix.len()..], id));
        let mut out = Vec::new();
        // Both lists are sorted bytewise: one merge finds staged additions, removals and edits.
        let mut committed = files.iter().peekable();
        for (path, id) in index {
            while let Some(f) = committed.next_if(|f| f.path.as_str() < path) {
                out.push(f.path.clone());
            }
            match committed.next_if(|f| f.path == path) {
                Some(f) if f.id != FileId::Blob(*id) => out.push(f.path.clone()),
                Some(_) => {}
                None if !ignore.is_excluded(path) => out.push(path.to_owned()),
                None => {}
            }
        }
        out.extend(committed.map(|f| f.path.clone()));
        out.extend(
            self.worktree
                .iter()
                .filter_map(|p| p.strip_prefix(&prefix))
                .filter(|p| !ignore.is_excluded(p))
                .map(str::to_owned),
        );
        out.sort();
        out.dedup();
        out
    }
}

/// Up to this many tracked files, every one is stat'ed to find in-place modifications (about
/// 2 µs each); above it only directory listings run, which keeps `plan` near the cost of
/// listing the tree on very large repositories.
pub const FULL_STAT_LIMIT: usize = 20_000;

const GITLINK: u32 = 0o160000;
const SYMLINK: u32 = 0o120000;

/// The index entries and working-tree changes below `prefix` (a repository-relative directory,
/// "" for all), with repository-relative paths.
pub fn changes(
    repo: &Repository,
    workdir: &Path,
    prefix: &str,
    full_stat_limit: usize,
) -> Result<Changes, git2::Error> {
    let under = |p: &str| {
        prefix.is_empty()
            || (p.starts_with(prefix) && p.as_bytes().get(prefix.len()) == Some(&b'/'))
    };
    let tracked: Vec<IndexEntry> = index::read(repo)?
        .into_iter()
        .filter(|e| under(&e.path))
        .collect();
    // A file changed in the same second the index was written may look unchanged by its stat
    // data ("racy git"): such files are hashed.
    let index_mtime = std::fs::metadata(repo.path().join("index"))
        .ok()
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(i64::MAX, |d| d.as_secs() as i64);

    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(8);
    let mut worktree: Vec<String> = if tracked.len() <= full_stat_limit {
        let chunk = tracked.len().div_ceil(threads).max(1);
        std::thread::scope(|s| {
            let handles: Vec<_> = tracked
                .chunks(chunk)
                .map(|part| s.spawn(move || stat_changed(workdir, part, index_mtime)))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        })
    } else {
        Vec::new()
    };
    worktree.extend(listed_changes(repo, workdir, prefix, &tracked, threads)?);
    worktree.sort();
    worktree.dedup();
    let index = tracked.into_iter().map(|e| (e.path, e.id)).collect();
    Ok(Changes { index, worktree })
}

/// Tracked files of `part` whose working-tree file is gone or holds other content.
fn stat_changed(workdir: &Path, part: &[IndexEntry], index_mtime: i64) -> Vec<String> {
    let mut changed = Vec::new();
    let mut dir: Option<(&str, Option<OwnedFd>)> = None;
    for t in part {
        if t.mode == GITLINK || t.skip_worktree {
            continue;
        }
        if t.stage != 0 {
            changed.push(t.path.clone());
            continue;
        }
        let (parent, name) = match t.path.rsplit_once('/') {
            Some((p, n)) => (p, n),
            None => ("", t.path.as_str()),
        };
        if dir.as_ref().is_none_or(|(d, _)| *d != parent) {
            let fd = rustix::fs::open(
                workdir.join(parent),
                OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )
            .ok();
            dir = Some((parent, fd));
        }
        let Some((_, Some(fd))) = &dir else {
            changed.push(t.path.clone());
            continue;
        };
        let Ok(st) = rustix::fs::statat(fd, name, AtFlags::SYMLINK_NOFOLLOW) else {
            changed.push(t.path.clone());
            continue;
        };
        let kind = FileType::from_raw_mode(st.st_mode);
        let is_link = kind == FileType::Symlink;
        if is_link != (t.mode == SYMLINK) || !(is_link || kind == FileType::RegularFile) {
            changed.push(t.path.clone());
            continue;
        }
        let exec = st.st_mode & 0o111 != 0;
        if !is_link && exec != (t.mode & 0o111 != 0) {
            changed.push(t.path.clone());
            continue;
        }
        let same_stat = st.st_mtime == i64::from(t.mtime.0)
            && st.st_mtime_nsec as u32 == t.mtime.1
            && st.st_size as u32 == t.size
            && st.st_ino as u32 == t.ino;
        if same_stat && st.st_mtime < index_mtime {
            continue;
        }
        let full = workdir.join(&t.path);
        let id = if is_link {
            std::fs::read_link(&full).ok().and_then(|target| {
                Oid::hash_object(ObjectType::Blob, target.as_os_str().as_encoded_bytes()).ok()
            })
        } else {
            Oid::hash_file(ObjectType::Blob, &full).ok()
        };
        if id != Some(t.id) {
            changed.push(t.path.clone());
        }
    }
    changed
}

/// A fast non-cryptographic hash for the per-file maps (SipHash showed in profiles); the keys
/// are file names from the user's own repository, not adversarial input.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(word))
                .wrapping_mul(0x517c_c1b7_2722_0a95);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Fx = BuildHasherDefault<FxHasher>;

/// A path's parent directory ("" at the top) and name.
fn split(path: &str) -> (&str, &str) {
    path.rsplit_once('/').unwrap_or(("", path))
}

/// From directory listings alone: tracked files that are gone, and files below `prefix` that
/// git does not track and does not ignore.
fn listed_changes(
    repo: &Repository,
    workdir: &Path,
    prefix: &str,
    tracked: &[IndexEntry],
    threads: usize,
) -> Result<Vec<String>, git2::Error> {
    // Each directory with the names git knows in it (files and subdirectories) and the files
    // that must be there (not submodules, not skip-worktree).
    #[derive(Default)]
    struct Dir<'a> {
        /// Name → whether a file must be there.
        known: HashMap<&'a str, bool, Fx>,
        expected: Vec<&'a str>,
    }
    let mut dirs: HashMap<&str, Dir<'_>, Fx> = HashMap::default();
    dirs.entry(prefix).or_default();
    for t in tracked {
        let (mut parent, name) = split(&t.path);
        let dir = dirs.entry(parent).or_default();
        let expected = t.mode != GITLINK && !t.skip_worktree;
        dir.known.insert(name, expected);
        if expected {
            dir.expected.push(name);
        }
        while parent != prefix && !parent.is_empty() {
            let (up, dname) = split(parent);
            if dirs
                .entry(up)
                .or_default()
                .known
                .insert(dname, false)
                .is_some()
            {
                break;
            }
            parent = up;
        }
    }
    let mut dir_list: Vec<(&str, &Dir<'_>)> = dirs.iter().map(|(d, n)| (*d, n)).collect();
    dir_list.sort_unstable_by_key(|(d, _)| *d);
    let chunk = dir_list.len().div_ceil(threads).max(1);
    let (candidates, gone): (Vec<(String, bool)>, Vec<String>) = std::thread::scope(|s| {
        let handles: Vec<_> = dir_list
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let mut found = Vec::new();
                    let mut gone = Vec::new();
                    // getdents into one reused buffer: no allocation per directory entry.
                    let mut buf = vec![MaybeUninit::<u8>::uninit(); 64 * 1024];
                    for (dir, listed) in part {
                        let join = |name: &str| {
                            if dir.is_empty() {
                                name.to_owned()
                            } else {
                                format!("{dir}/{name}")
                            }
                        };
                        let Ok(fd) = rustix::fs::open(
                            workdir.join(dir),
                            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
                            Mode::empty(),
                        ) else {
                            gone.extend(listed.expected.iter().map(|n| join(n)));
                            continue;
                        };
                        let mut present = 0;
                        let mut raw = RawDir::new(&fd, &mut buf);
                        while let Some(Ok(entry)) = raw.next() {
                            let Ok(name) = std::str::from_utf8(entry.file_name().to_bytes()) else {
                                continue;
                            };
                            if name == "." || name == ".." || (dir.is_empty() && name == ".git") {
                                continue;
                            }
                            match listed.known.get(name) {
                                Some(true) => present += 1,
                                Some(false) => {}
                                None => {
                                    let path = join(name);
                                    let is_dir = match entry.file_type() {
                                        FileType::Directory => true,
                                        FileType::Unknown => workdir.join(&path).is_dir(),
                                        _ => false,
                                    };
                                    found.push((path, is_dir));
                                }
                            }
                        }
                        if present < listed.expected.len() {
                            gone.extend(
                                listed
                                    .expected
                                    .iter()
                                    .filter(|n| {
                                        rustix::fs::statat(&fd, **n, AtFlags::SYMLINK_NOFOLLOW)
                                            .is_err()
                                    })
                                    .map(|n| join(n)),
                            );
                        }
                    }
                    (found, gone)
                })
            })
            .collect();
        let mut found = Vec::new();
        let mut gone = Vec::new();
        for h in handles {
            let (f, g) = h.join().unwrap_or_default();
            found.extend(f);
            gone.extend(g);
        }
        (found, gone)
    });
    // Few files are untracked in practice, so the (slower) ignore rules run only on them.
    let mut out = gone;
    let mut stack = candidates;
    while let Some((path, is_dir)) = stack.pop() {
        let probe = if is_dir {
            format!("{path}/")
        } else {
            path.clone()
        };
        if repo.status_should_ignore(Path::new(&probe))? {
            continue;
        }
        if !is_dir {
            out.push(path);
            continue;
        }
        if let Ok(entries) = std::fs::read_dir(workdir.join(&path)) {
            for entry in entries.flatten() {
                if let Ok(name) = entry.file_name().into_string() {
                    let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
                    stack.push((format!("{path}/{name}"), is_dir));
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn git(dir: &Path, args: &[&str]) {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@t")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@t")
            .status()
            .expect("git runs")
            .success();
        assert!(ok, "git {args:?}");
    }

    fn write(dir: &Path, path: &str, content: &str) {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }

    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q"]);
        for (p, c) in [
            ("keep.txt", "k"),
            ("edit.txt", "e"),
            ("gone.txt", "g"),
            ("sub/deep/file.txt", "f"),
            (".gitignore", "*.log\nbuild/\n"),
        ] {
            write(dir.path(), p, c);
        }
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "-qm", "init"]);
        // Every file older than the index, so stat data alone decides.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        git(dir.path(), &["update-index", "--refresh"]);
        dir
    }

    #[test]
    fn finds_every_kind_of_change() {
        let dir = repo();
        let root = dir.path();
        write(root, "edit.txt", "changed in place");
        std::fs::remove_file(root.join("gone.txt")).unwrap();
        write(root, "new.txt", "n");
        write(root, "newdir/a/b.txt", "b");
        write(root, "debug.log", "ignored");
        write(root, "build/out.bin", "ignored");
        write(root, "sub/deep/other.txt", "o");
        let repo = Repository::open(root).unwrap();
        let got = changes(&repo, root, "", usize::MAX).unwrap().worktree;
        assert_eq!(
            got,
            [
                "edit.txt",
                "gone.txt",
                "new.txt",
                "newdir/a/b.txt",
                "sub/deep/other.txt"
            ]
        );
        // Above the limit, in-place edits are not looked for; the rest still is.
        let got = changes(&repo, root, "", 0).unwrap().worktree;
        assert_eq!(
            got,
            [
                "gone.txt",
                "new.txt",
                "newdir/a/b.txt",
                "sub/deep/other.txt"
            ]
        );
        // Limited to a subdirectory.
        let got = changes(&repo, root, "sub", usize::MAX).unwrap().worktree;
        assert_eq!(got, ["sub/deep/other.txt"]);
    }

    #[test]
    fn touched_but_unchanged_files_are_clean() {
        let dir = repo();
        write(dir.path(), "keep.txt", "k");
        let repo = Repository::open(dir.path()).unwrap();
        assert!(
            changes(&repo, dir.path(), "", usize::MAX)
                .unwrap()
                .worktree
                .is_empty()
        );
    }

    #[test]
    fn staged_changes_show_against_the_committed_context() {
        let dir = repo();
        let root = dir.path();
        write(root, "edit.txt", "staged");
        write(root, "added.txt", "a");
        git(root, &["add", "edit.txt", "added.txt"]);
        git(root, &["rm", "-q", "--cached", "gone.txt"]);
        let repo = Repository::open(root).unwrap();
        let c = changes(&repo, root, "", usize::MAX).unwrap();
        let head = repo.head().unwrap().peel_to_tree().unwrap();
        let mut files = Vec::new();
        head.walk(git2::TreeWalkMode::PreOrder, |parent, e| {
            if e.kind() == Some(ObjectType::Blob) {
                files.push(ContextFile {
                    path: format!("{parent}{}", e.name().unwrap()),
                    mode: e.filemode() as u32,
                    id: FileId::Blob(e.id()),
                });
            }
            git2::TreeWalkResult::Ok
        })
        .unwrap();
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let ignore = Dockerignore::parse("added.txt").unwrap();
        // gone.txt is untracked now (still on disk), so it shows as a change too.
        assert_eq!(
            c.in_context("", &files, &Dockerignore::default()),
            ["added.txt", "edit.txt", "gone.txt"]
        );
        assert_eq!(c.in_context("", &files, &ignore), ["edit.txt", "gone.txt"]);
        let sub: Vec<ContextFile> = files
            .iter()
            .filter_map(|f| {
                let path = f.path.strip_prefix("sub/")?.to_owned();
                Some(ContextFile { path, ..f.clone() })
            })
            .collect();
        assert_eq!(c.in_context("sub", &sub, &ignore), Vec::<String>::new());
    }
}
