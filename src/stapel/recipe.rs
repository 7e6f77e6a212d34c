//! The stages that only add files or change the image config, as a generated Dockerfile and
//! its context (git blobs streamed from the object store): both backends build them as they
//! build any Dockerfile, so they need nothing inside the image but, for deletions, `rm`.

use crate::config::{Command, DockerInstructions, GitMapping, StapelImport};
use crate::context::archive::{ArchiveEntry, EntrySource};

use super::git::{GitFile, Patch};

/// A Dockerfile and the files its `COPY`s read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipe {
    pub dockerfile: String,
    pub entries: Vec<ArchiveEntry>,
    /// The files' modification time (0, or a patch's commit time: see
    /// [`crate::context::archive::ContextArchive::with_mtime`]).
    pub mtime: u64,
}

fn json(items: &[&str]) -> String {
    serde_json::to_string(items).expect("strings serialize")
}

fn chown(owner: Option<&str>, group: Option<&str>) -> String {
    match (owner, group) {
        (None, None) => String::new(),
        (Some(o), None) => format!("--chown={o} "),
        (o, Some(g)) => format!("--chown={}:{g} ", o.unwrap_or("0")),
    }
}

/// `to` joined with a path relative to it.
fn under(to: &str, rel: &str) -> String {
    match (to.trim_end_matches('/'), rel) {
        (base, "") => base.to_owned(),
        ("", rel) => format!("/{rel}"),
        (base, rel) => format!("{base}/{rel}"),
    }
}

/// `FROM base`: the `from` stage.
pub fn from_image(base: &str) -> Recipe {
    Recipe {
        dockerfile: format!("FROM {base}\n"),
        entries: Vec::new(),
        mtime: 0,
    }
}

/// Adds each mapping's files, from directory `dir{i}/` of the context.
fn add_files(
    dockerfile: &mut String,
    entries: &mut Vec<ArchiveEntry>,
    dir: &str,
    i: usize,
    mapping: &GitMapping,
    files: &[GitFile],
) {
    if files.is_empty() {
        return;
    }
    let prefix = format!("{dir}{i}");
    let single = files.len() == 1 && files[0].path.is_empty();
    for f in files {
        entries.push(ArchiveEntry {
            path: if single {
                format!("{prefix}/file")
            } else {
                format!("{prefix}/{}", f.path)
            },
            mode: f.mode,
            source: EntrySource::Blob(f.oid),
        });
    }
    let (source, target) = if single {
        (format!("{prefix}/file"), mapping.to.clone())
    } else {
        (
            format!("{prefix}/"),
            format!("{}/", mapping.to.trim_end_matches('/')),
        )
    };
    dockerfile.push_str(&format!(
        "COPY {}{}\n",
        chown(mapping.owner.as_deref(), mapping.group.as_deref()),
        json(&[&source, &target])
    ));
}

/// `gitArchive`: every mapping's files at the commit.
pub fn git_archive(from: &str, mappings: &[(&GitMapping, Vec<GitFile>)]) -> Recipe {
    let mut dockerfile = format!("FROM {from}\n");
    let mut entries = Vec::new();
    for (i, (mapping, files)) in mappings.iter().enumerate() {
        add_files(&mut dockerfile, &mut entries, "git", i, mapping, files);
    }
    Recipe {
        dockerfile,
        entries,
        mtime: 0,
    }
}

/// A git patch: deleted files removed, changed and added files copied over, dated `mtime`
/// (the commit's time) so that a same-size change is still a change.
pub fn patch(from: &str, patches: &[(&GitMapping, Patch)], mtime: u64) -> Recipe {
    let mut dockerfile = format!("FROM {from}\n");
    let deleted: Vec<String> = patches
        .iter()
        .flat_map(|(m, p)| p.deleted.iter().map(|d| under(&m.to, d)))
        .collect();
    if !deleted.is_empty() {
        let mut argv: Vec<&str> = vec!["rm", "-rf", "--"];
        argv.extend(deleted.iter().map(String::as_str));
        dockerfile.push_str(&format!("RUN {}\n", json(&argv)));
    }
    let mut entries = Vec::new();
    for (i, (mapping, patch)) in patches.iter().enumerate() {
        add_files(
            &mut dockerfile,
            &mut entries,
            "patch",
            i,
            mapping,
            &patch.changed,
        );
    }
    Recipe {
        dockerfile,
        entries,
        mtime,
    }
}

/// Why an import cannot be done yet.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("import of {add} from {image}: {reason}")]
pub struct ImportUnsupported {
    pub image: String,
    pub add: String,
    pub reason: &'static str,
}

/// A `dependencies…` stage: each import copied from its source image's last stage.
pub fn imports(
    from: &str,
    imports: &[(&StapelImport, String)],
) -> Result<Recipe, ImportUnsupported> {
    let mut dockerfile = String::new();
    for (i, (_, source)) in imports.iter().enumerate() {
        dockerfile.push_str(&format!("FROM {source} AS import{i}\n"));
    }
    dockerfile.push_str(&format!("FROM {from}\n"));
    for (i, (import, _)) in imports.iter().enumerate() {
        let unsupported = |reason| ImportUnsupported {
            image: import.image.to_string(),
            add: import.add.clone(),
            reason,
        };
        if !import.exclude_paths.is_empty() {
            return Err(unsupported(
                "`excludePaths` in imports is not supported yet; list what to copy in `includePaths` instead",
            ));
        }
        let chown = chown(import.owner.as_deref(), import.group.as_deref());
        let pairs: Vec<(String, String)> = if import.include_paths.is_empty() {
            vec![(import.add.clone(), import.to.clone())]
        } else {
            if import
                .include_paths
                .iter()
                .any(|p| p.contains(['*', '?', '[']))
            {
                return Err(unsupported(
                    "glob patterns in an import's `includePaths` are not supported yet; list plain paths",
                ));
            }
            import
                .include_paths
                .iter()
                .map(|p| (under(&import.add, p), under(&import.to, p)))
                .collect()
        };
        for (source, target) in pairs {
            dockerfile.push_str(&format!(
                "COPY --from=import{i} {chown}{}\n",
                json(&[&source, &target])
            ));
        }
    }
    Ok(Recipe {
        dockerfile,
        entries: Vec::new(),
        mtime: 0,
    })
}

/// A dependencies stage's `dependencies`: an `ENV` line per imported value, to add after the
/// stage's imports.
pub fn dependency_env(values: &[(&str, String)]) -> String {
    values
        .iter()
        .map(|(name, value)| format!("ENV {name}={}\n", quoted(value)))
        .collect()
}

fn quoted(value: &str) -> String {
    serde_json::to_string(value).expect("strings serialize")
}

fn command(keyword: &str, command: &Command) -> String {
    match command {
        Command::Shell(text) => format!("{keyword} {text}\n"),
        Command::Exec(argv) => {
            let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
            format!("{keyword} {}\n", json(&argv))
        }
    }
}

/// `dockerInstructions`: the `docker:` section as Dockerfile instructions.
pub fn docker_instructions(from: &str, d: &DockerInstructions) -> Recipe {
    let mut out = format!("FROM {from}\n");
    for (k, v) in &d.env {
        out.push_str(&format!("ENV {k}={}\n", quoted(v)));
    }
    for (k, v) in &d.label {
        out.push_str(&format!("LABEL {}={}\n", quoted(k), quoted(v)));
    }
    for port in &d.expose {
        out.push_str(&format!("EXPOSE {port}\n"));
    }
    if !d.volume.is_empty() {
        let volumes: Vec<&str> = d.volume.iter().map(String::as_str).collect();
        out.push_str(&format!("VOLUME {}\n", json(&volumes)));
    }
    if let Some(w) = &d.workdir {
        out.push_str(&format!("WORKDIR {w}\n"));
    }
    if let Some(u) = &d.user {
        out.push_str(&format!("USER {u}\n"));
    }
    // ENTRYPOINT first: in a Dockerfile it clears a CMD set before it.
    if let Some(e) = &d.entrypoint {
        out.push_str(&command("ENTRYPOINT", e));
    }
    if let Some(c) = &d.cmd {
        out.push_str(&command("CMD", c));
    }
    if let Some(h) = &d.healthcheck {
        out.push_str(&format!("HEALTHCHECK {h}\n"));
    }
    if let Some(s) = &d.stopsignal {
        out.push_str(&format!("STOPSIGNAL {s}\n"));
    }
    Recipe {
        dockerfile: out,
        entries: Vec::new(),
        mtime: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(to: &str) -> GitMapping {
        GitMapping {
            add: "/".into(),
            to: to.into(),
            include_paths: Vec::new(),
            exclude_paths: Vec::new(),
            owner: Some("app".into()),
            group: None,
            stage_dependencies: Default::default(),
        }
    }

    #[test]
    fn patches_delete_then_copy() {
        let m = mapping("/app");
        let oid = git2::Oid::ZERO_SHA1;
        let p = Patch {
            changed: vec![GitFile {
                path: "a/b.txt".into(),
                mode: 0o100644,
                oid,
            }],
            deleted: vec!["gone.txt".into()],
            size: 3,
        };
        let r = patch("base:1", &[(&m, p)], 7);
        assert_eq!(
            r.dockerfile,
            "FROM base:1\nRUN [\"rm\",\"-rf\",\"--\",\"/app/gone.txt\"]\nCOPY --chown=app [\"patch0/\",\"/app/\"]\n"
        );
        assert_eq!(r.entries[0].path, "patch0/a/b.txt");
    }

    #[test]
    fn dependency_values_are_quoted_env_lines() {
        let values = [
            ("DEP_NAME", "repo:abc-1".to_owned()),
            ("EMPTY", String::new()),
        ];
        assert_eq!(
            dependency_env(&values),
            "ENV DEP_NAME=\"repo:abc-1\"\nENV EMPTY=\"\"\n"
        );
    }

    #[test]
    fn docker_section() {
        let d = DockerInstructions {
            env: [("A".to_owned(), "b c".to_owned())].into(),
            expose: vec!["80".into()],
            cmd: Some(Command::Exec(vec!["sh".into()])),
            entrypoint: Some(Command::Shell("/run.sh".into())),
            ..Default::default()
        };
        assert_eq!(
            docker_instructions("x", &d).dockerfile,
            "FROM x\nENV A=\"b c\"\nEXPOSE 80\nENTRYPOINT /run.sh\nCMD [\"sh\"]\n"
        );
    }
}
