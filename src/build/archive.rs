//! The context archive of one image: committed files as git blobs, working-tree files
//! (`contextAddFiles`, `--dev`) from disk, and the Dockerfile as read at planning time.

use std::path::Path;

use crate::context::archive::{ArchiveEntry, ContextArchive, EntrySource};
use crate::context::{FileId, join};
use crate::plan::BuildSpec;

/// Where the Dockerfile goes when it is not inside the context (or is ignored by it).
const OUTSIDE_DOCKERFILE: &str = ".slipway/Dockerfile";

/// The archive to send and the Dockerfile's path inside it.
pub fn context_archive(
    repo_dir: &Path,
    project_dir: &Path,
    spec: &BuildSpec,
    dockerfile: &str,
) -> (ContextArchive, String) {
    let mut entries: Vec<ArchiveEntry> = spec
        .context
        .files
        .iter()
        .map(|f| ArchiveEntry {
            path: f.path.clone(),
            mode: f.mode,
            source: match &f.id {
                FileId::Blob(oid) => EntrySource::Blob(*oid),
                FileId::Sha256(_) => {
                    EntrySource::File(project_dir.join(join(&spec.context_dir, &f.path)))
                }
            },
        })
        .collect();
    // The Dockerfile as planned (its digest counted this content), even when the context
    // holds another version of it or .dockerignore leaves it out.
    let in_context = match spec.context_dir.as_str() {
        "" => Some(dockerfile),
        dir => dockerfile
            .strip_prefix(dir)
            .and_then(|rest| rest.strip_prefix('/')),
    };
    let path = match in_context {
        Some(rel) => rel.to_owned(),
        None => OUTSIDE_DOCKERFILE.to_owned(),
    };
    entries.retain(|e| e.path != path);
    entries.push(ArchiveEntry {
        path: path.clone(),
        mode: 0o100644,
        source: EntrySource::Bytes(spec.dockerfile.as_ref().clone()),
    });
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    (ContextArchive::new(repo_dir.to_path_buf(), entries), path)
}
