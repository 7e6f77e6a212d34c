//! The stages that only add files or change the image config, as a generated Dockerfile and
//! its context (git blobs streamed from the object store): both backends build them as they
//! build any Dockerfile, so they need nothing inside the image but, for deletions, `rm`.

use crate::config::{Command, DockerInstructions, GitMapping, StapelImport};
use crate::context::archive::{ArchiveEntry, EntrySource};

use super::git::{GitFile, Patch};
use super::paths;

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

/// Why an import cannot be done.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("import of {add} from {image}: {reason}")]
pub struct ImportUnsupported {
    pub image: String,
    pub add: String,
    pub reason: String,
}

/// A `dependencies…` stage: each import copied from its source image's last stage. Plain
/// `includePaths` (or none) are `COPY --from`s; globs or `excludePaths` need the source's file
/// list, so a script run by the image's own shell picks the files (see [`filtered_copy`]).
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
        if !import.exclude_paths.is_empty()
            || import
                .include_paths
                .iter()
                .any(|p| p.contains(['*', '?', '[', '{', '\\']))
        {
            dockerfile.push_str(&filtered_copy(i, import)?);
            continue;
        }
        let chown = chown(import.owner.as_deref(), import.group.as_deref());
        let pairs: Vec<(String, String)> = if import.include_paths.is_empty() {
            vec![(import.add.clone(), import.to.clone())]
        } else {
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

/// `s` as one single-quoted shell word.
fn shell_word(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The import of `add` as a `RUN` that binds `add` of stage `import{i}` and copies what werf's
/// include/exclude rules select (see [`paths::find_ere`]) into `to`: `find` lists the paths,
/// `grep -E` keeps the included ones and `grep -v -E` drops the excluded ones, so nothing
/// excluded is ever written (no copy-then-delete). Files and symlinks are copied with `cp -a`
/// (mode, owner, symlinks kept); a selected directory is created even when empty; parent
/// directories are created by `mkdir` (as `COPY` creates them). The image needs `find`, `grep`,
/// `cp`, `mkdir` (and `chown` for `owner`/`group`), which busybox and coreutils/findutils have;
/// the script names the first one missing. A name containing a newline is not supported.
fn filtered_copy(i: usize, import: &StapelImport) -> Result<String, ImportUnsupported> {
    let unsupported = |reason: String| ImportUnsupported {
        image: import.image.to_string(),
        add: import.add.clone(),
        reason,
    };
    if import.add.contains([',', '"']) || import.add.contains(char::is_whitespace) {
        return Err(unsupported(
            "with includePaths globs or excludePaths, `add` is bound into the build with \
             `RUN --mount`, which cannot name a path containing a comma, a quote or a space; \
             import its parent directory and select it with includePaths"
                .to_owned(),
        ));
    }
    let include = paths::find_ere(&import.include_paths)
        .map_err(|e| unsupported(format!("includePaths: {e}")))?;
    let exclude = if import.exclude_paths.is_empty() {
        String::new()
    } else {
        let ere = paths::find_ere(&import.exclude_paths)
            .map_err(|e| unsupported(format!("excludePaths: {e}")))?;
        format!(" | grep -v -E -e {}", shell_word(&ere))
    };
    // Like `COPY --chown`: a group alone goes with root; an owner alone keeps the files'
    // group, as werf's `rsync --chown=OWNER:` does.
    let chown = match (import.owner.as_deref(), import.group.as_deref()) {
        (None, None) => None,
        (Some(o), None) => Some(o.to_owned()),
        (o, Some(g)) => Some(format!("{}:{g}", o.unwrap_or("0"))),
    };
    let (tools, chown_dir, chown_file) = match &chown {
        Some(spec) => (
            "find grep cp mkdir chown",
            format!("; chown -h {} \"$1\"", shell_word(spec)),
            format!("; chown -h {} \"$d\"", shell_word(spec)),
        ),
        None => ("find grep cp mkdir", String::new(), String::new()),
    };
    let mount = format!("/.slipway-import{i}");
    let script = format!(
        "set -e\nexport LC_ALL=C\n\
         for tool in {tools}; do command -v \"$tool\" >/dev/null || {{ printf 'slipway: the \
         import of %s from %s with includePaths globs or excludePaths runs `%s` in this image, \
         which has none: install it (busybox has it) or list plain includePaths without \
         excludePaths\\n' {add} {image} \"$tool\" >&2; exit 127; }}; done\n\
         cd {mount} 2>/dev/null || {{ printf 'slipway: %s in %s is not a directory: \
         includePaths and excludePaths select paths under a directory\\n' {add} {image} >&2; \
         exit 1; }}\n\
         mk() {{ [ -z \"$1\" ] || [ -d \"$1\" ] || {{ mk \"${{1%/*}}\"; mkdir \"$1\"{chown_dir}; }}; }}\n\
         find . | grep -E -e {include}{exclude} | while IFS= read -r p; do\n\
         d={to}/\"${{p#./}}\"\n\
         if [ -d \"$p\" ] && [ ! -L \"$p\" ]; then mk \"$d\"; \
         else mk \"${{d%/*}}\"; cp -a \"$p\" \"$d\"{chown_file}; fi\n\
         done\n",
        add = shell_word(&import.add),
        image = shell_word(import.image.as_str()),
        include = shell_word(&include),
        to = shell_word(import.to.trim_end_matches('/')),
    );
    Ok(format!(
        "RUN --mount=type=bind,from=import{i},source={},target={mount} {}\n",
        import.add,
        json(&["/bin/sh", "-c", &script])
    ))
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

    fn import(add: &str, include: &[&str], exclude: &[&str]) -> StapelImport {
        StapelImport {
            image: crate::names::ImageName::parse("builder").unwrap(),
            add: add.into(),
            to: "/srv".into(),
            include_paths: include.iter().map(|p| (*p).to_owned()).collect(),
            exclude_paths: exclude.iter().map(|p| (*p).to_owned()).collect(),
            owner: None,
            group: None,
            at: crate::config::ImportAt::After(crate::config::UserStage::Install),
        }
    }

    #[test]
    fn imports_with_globs_run_a_filtering_copy() {
        let plain = import("/bin", &["tool"], &[]);
        let mut globs = import("/app", &["*.js", "assets/**"], &["**/*.map"]);
        globs.owner = Some("app".into());
        let r = imports(
            "prev:1",
            &[(&plain, "src:1".into()), (&globs, "src:2".into())],
        )
        .unwrap();
        let (head, run) = r.dockerfile.split_once("RUN ").unwrap();
        assert_eq!(
            head,
            "FROM src:1 AS import0\nFROM src:2 AS import1\nFROM prev:1\n\
             COPY --from=import0 [\"/bin/tool\",\"/srv/tool\"]\n"
        );
        let (mount, argv) = run.split_once(' ').unwrap();
        assert_eq!(
            mount,
            "--mount=type=bind,from=import1,source=/app,target=/.slipway-import1"
        );
        let argv: Vec<String> = serde_json::from_str(argv.trim_end()).unwrap();
        assert_eq!(argv[..2], ["/bin/sh", "-c"]);
        assert_eq!(
            argv[2],
            "set -e\nexport LC_ALL=C\n\
             for tool in find grep cp mkdir chown; do command -v \"$tool\" >/dev/null || { \
             printf 'slipway: the import of %s from %s with includePaths globs or excludePaths \
             runs `%s` in this image, which has none: install it (busybox has it) or list plain \
             includePaths without excludePaths\\n' '/app' 'builder' \"$tool\" >&2; exit 127; }; \
             done\n\
             cd /.slipway-import1 2>/dev/null || { printf 'slipway: %s in %s is not a directory: \
             includePaths and excludePaths select paths under a directory\\n' '/app' 'builder' \
             >&2; exit 1; }\n\
             mk() { [ -z \"$1\" ] || [ -d \"$1\" ] || { mk \"${1%/*}\"; mkdir \"$1\"; \
             chown -h 'app' \"$1\"; }; }\n\
             find . | grep -E -e '^\\./([^/]*\\.js|assets)(/|$)' \
             | grep -v -E -e '^\\./(([^/]+/)*[^/]*\\.map)(/|$)' | while IFS= read -r p; do\n\
             d='/srv'/\"${p#./}\"\n\
             if [ -d \"$p\" ] && [ ! -L \"$p\" ]; then mk \"$d\"; else mk \"${d%/*}\"; \
             cp -a \"$p\" \"$d\"; chown -h 'app' \"$d\"; fi\n\
             done\n"
        );
        // A path the mount flag cannot carry, and a malformed glob, are named.
        let comma = import("/a,b", &[], &["x"]);
        assert_eq!(
            imports("prev:1", &[(&comma, "src:1".into())])
                .unwrap_err()
                .to_string(),
            "import of /a,b from builder: with includePaths globs or excludePaths, `add` is \
             bound into the build with `RUN --mount`, which cannot name a path containing a \
             comma, a quote or a space; import its parent directory and select it with \
             includePaths"
        );
        let bad = import("/app", &["[ab"], &[]);
        assert_eq!(
            imports("prev:1", &[(&bad, "src:1".into())])
                .unwrap_err()
                .to_string(),
            "import of /app from builder: includePaths: glob \"[ab\": a `[` has no closing `]`; \
             escape a literal `[`, `{` or `\\` with a backslash"
        );
    }
}
