//! The tar stream of one image's build context, produced from git blobs, working-tree files and
//! in-memory files while it is sent, never held whole in memory.

use std::path::PathBuf;

/// Where an entry's content comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntrySource {
    /// A committed file, read from the repository's object store.
    Blob(git2::Oid),
    /// A working-tree file (`contextAddFiles`, `--dev`).
    File(PathBuf),
    /// Content already in memory (the Dockerfile as planned).
    Bytes(Vec<u8>),
}

/// One file of the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveEntry {
    /// Relative to the context root, '/'-separated.
    pub path: String,
    /// git's file mode (0o100644, 0o100755, 0o120000 symlink).
    pub mode: u32,
    pub source: EntrySource,
}

/// A build context to send: its entries, sorted by path, and where to read blobs from.
#[derive(Debug, Clone)]
pub struct ContextArchive {
    repo_dir: PathBuf,
    entries: Vec<ArchiveEntry>,
}

impl ContextArchive {
    pub fn new(repo_dir: PathBuf, entries: Vec<ArchiveEntry>) -> Self {
        Self { repo_dir, entries }
    }

    pub fn entries(&self) -> &[ArchiveEntry] {
        &self.entries
    }

    pub fn repo_dir(&self) -> &std::path::Path {
        &self.repo_dir
    }
}
