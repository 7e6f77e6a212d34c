//! Stapel image and artifact documents of werf.yaml (werf 1.2 and v2 keys): the base image, local
//! git mappings, shell stages, imports, mounts and `docker:` instructions, checked as werf checks
//! them, with werf's messages and a fix.

use std::collections::BTreeMap;

use crate::names::ImageName;

use super::Import;
use super::error::{ConfigError, Section};
use super::fields::{Fields, extend};
use super::keys::{IMPORT_TYPES, suggest};
use super::locate::{self, Pos, Step};
use super::node::Node;

/// A Stapel image (or artifact) as werf.yaml describes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StapelConfig {
    pub from: StapelBase,
    /// `fromLatest: true`: the base image's current registry digest counts in the digest.
    pub from_latest: bool,
    pub from_cache_version: Option<String>,
    /// `artifact: NAME` (werf 1.2): never final, no `docker:`.
    pub artifact: bool,
    pub git: Vec<GitMapping>,
    pub shell: Shell,
    pub imports: Vec<StapelImport>,
    pub dependencies: Vec<StapelDependency>,
    pub mounts: Vec<Mount>,
    pub docker: DockerInstructions,
}

/// What the `from` stage starts from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StapelBase {
    /// `from: REFERENCE`.
    Image(String),
    /// `fromImage: NAME` or `fromArtifact: NAME`: another image of werf.yaml.
    Config(ImageName),
    /// Not read yet (only while parsing).
    #[default]
    Missing,
}

/// The user stages that run shell commands, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum UserStage {
    BeforeInstall,
    Install,
    BeforeSetup,
    Setup,
}

impl UserStage {
    pub const ALL: [UserStage; 4] = [
        UserStage::BeforeInstall,
        UserStage::Install,
        UserStage::BeforeSetup,
        UserStage::Setup,
    ];

    pub fn name(self) -> &'static str {
        match self {
            UserStage::BeforeInstall => "beforeInstall",
            UserStage::Install => "install",
            UserStage::BeforeSetup => "beforeSetup",
            UserStage::Setup => "setup",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// `shell:`: each stage's commands (run by `/bin/sh -e`), and the cache versions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shell {
    pub commands: BTreeMap<UserStage, Vec<String>>,
    /// `shell.cacheVersion` (or the image's `cacheVersion`): counts in every user stage.
    pub cache_version: Option<String>,
    /// `…CacheVersion`, per stage.
    pub stage_cache_versions: BTreeMap<UserStage, String>,
}

/// One `git:` entry of the project's own repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitMapping {
    /// Absolute path in the repository ("/" for all of it).
    pub add: String,
    /// Absolute path in the image.
    pub to: String,
    pub include_paths: Vec<String>,
    pub exclude_paths: Vec<String>,
    pub owner: Option<String>,
    pub group: Option<String>,
    /// Globs (relative to `add`) whose content counts in a user stage's digest.
    pub stage_dependencies: BTreeMap<UserStage, Vec<String>>,
}

/// One `import:` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StapelImport {
    pub image: ImageName,
    /// Absolute path in the source image.
    pub add: String,
    /// Absolute path in this image (`add` when not given).
    pub to: String,
    pub include_paths: Vec<String>,
    pub exclude_paths: Vec<String>,
    pub owner: Option<String>,
    pub group: Option<String>,
    /// Where the files arrive: before or after a user stage.
    pub at: ImportAt,
}

/// One `dependencies:` entry: another image's name, tag, id… as environment variables of this
/// image from a dependencies stage on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StapelDependency {
    pub image: ImageName,
    /// The dependencies stage that sets the variables (as for imports).
    pub at: ImportAt,
    /// Each import's `target` is an environment variable.
    pub imports: Vec<Import>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportAt {
    Before(UserStage),
    After(UserStage),
}

/// A `mount:` entry: a host directory bound into every shell stage's container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    pub from: MountFrom,
    /// Absolute path in the container.
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MountFrom {
    /// A fresh directory for each build.
    TmpDir,
    /// A directory kept between builds of the project on this host.
    BuildDir,
    /// `fromPath: PATH`, a host path.
    Path(String),
}

/// `docker:` instructions, applied to the last stage.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DockerInstructions {
    pub env: BTreeMap<String, String>,
    pub label: BTreeMap<String, String>,
    pub expose: Vec<String>,
    pub volume: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    /// A string is the shell form, a list the exec form (as in a Dockerfile).
    pub cmd: Option<Command>,
    pub entrypoint: Option<Command>,
    pub healthcheck: Option<String>,
    pub stopsignal: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Shell(String),
    Exec(Vec<String>),
}

impl DockerInstructions {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// The fields of a Stapel document beside its names, `final` and `dependencies`.
pub(super) fn read(
    fields: &Fields,
    entries: &[(String, Node)],
    name: &[ImageName],
) -> Result<(StapelConfig, Option<String>), ConfigError> {
    let mut config = StapelConfig {
        artifact: matches!(fields.section, Section::Artifact(_)),
        ..StapelConfig::default()
    };
    let mut cache_version = None;
    let mut base_key: Option<&str> = None;
    for (key, node) in entries {
        let at = [Step::Key(key)];
        match key.as_str() {
            "from" | "fromImage" | "fromArtifact" => {
                let Some(text) = fields.text(node, &at)? else {
                    continue;
                };
                if let Some(first) = base_key {
                    let message = format!(
                        "conflict between `{first}` and `{key}` directives; keep only one of \
                         `from`, `fromImage` and `fromArtifact`"
                    );
                    return Err(invalid(fields, &at, message));
                }
                base_key = Some(key);
                config.from = if key == "from" {
                    StapelBase::Image(text)
                } else {
                    let image = ImageName::parse(&text)
                        .map_err(|reason| invalid(fields, &at, format!("`{key}`: {reason}")))?;
                    if name.contains(&image) {
                        let message = format!(
                            "conflict between `{key}` and image name: image cannot reference \
                             itself; name another image of werf.yaml or use `from: IMAGE`"
                        );
                        return Err(invalid(fields, &at, message));
                    }
                    StapelBase::Config(image)
                };
            }
            "fromLatest" => config.from_latest = fields.boolean(node, &at)?.unwrap_or(false),
            "fromCacheVersion" => config.from_cache_version = fields.text(node, &at)?,
            "cacheVersion" => cache_version = fields.text(node, &at)?,
            "git" => config.git = read_git(fields, node)?,
            "shell" => config.shell = read_shell(fields, node)?,
            "import" => config.imports = read_imports(fields, node)?,
            "dependencies" => {
                if config.artifact {
                    let message = "`dependencies` directive is not supported for artifact; \
                                   make it an image with `final: false` to use them";
                    return Err(invalid(fields, &at, message.to_owned()));
                }
                config.dependencies = read_dependencies(fields, node)?;
            }
            "mount" => config.mounts = read_mounts(fields, node)?,
            "docker" => {
                if config.artifact {
                    let message = "`docker` section is not supported for artifact; move the \
                                   instructions to the image that imports from it";
                    return Err(invalid(fields, &at, message.to_owned()));
                }
                config.docker = read_docker(fields, node)?;
            }
            _ => {}
        }
    }
    if config.from == StapelBase::Missing {
        let message = "`from: DOCKER_IMAGE`, `fromImage: IMAGE_NAME` or `fromArtifact: \
                       IMAGE_ARTIFACT_NAME` required; add a base image, e.g. `from: alpine:3.20`";
        return Err(invalid(fields, &[], message.to_owned()));
    }
    if let Some(v) = &cache_version {
        config.shell.cache_version.get_or_insert_with(|| v.clone());
    }
    let mut seen = BTreeMap::new();
    for (i, mount) in config.mounts.iter().enumerate() {
        if let Some(first) = seen.insert(mount.to.clone(), i) {
            let at = [Step::Key("mount"), Step::Index(i), Step::Key("to")];
            let message = format!(
                "conflict between mounts: mount[{first}] and mount[{i}] both mount {}; give each \
                 mount its own `to`",
                mount.to
            );
            return Err(invalid(fields, &at, message));
        }
    }
    Ok((config, cache_version))
}

fn invalid(fields: &Fields, at: &[Step], message: String) -> ConfigError {
    let Pos { line, column } = if at.is_empty() {
        fields.node_pos(at)
    } else {
        fields.key_pos(at)
    };
    ConfigError::Stapel {
        path: fields.file.to_owned(),
        line,
        column,
        section: fields.section.clone(),
        message,
    }
}

/// A list entry that is a mapping: its path and its entries.
type Item<'n> = (Vec<Step<'static>>, &'n [(String, Node)]);

fn items<'n>(
    fields: &Fields,
    node: &'n Node,
    key: &'static str,
) -> Result<Vec<Item<'n>>, ConfigError> {
    let list = fields.list(node, &[Step::Key(key)])?;
    let mut out = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let at = vec![Step::Key(key), Step::Index(i)];
        let Node::Map(entries) = item else {
            return Err(fields.wrong_type(item, &at, "a mapping"));
        };
        fields.check_keys(entries, &at)?;
        out.push((at, entries.as_slice()));
    }
    Ok(out)
}

fn absolute(fields: &Fields, at: &[Step], value: &str, what: &str) -> Result<(), ConfigError> {
    if value.starts_with('/') {
        return Ok(());
    }
    let key = locate::dotted(&at[at.len() - 1..]);
    let message = format!("`{key}: PATH` absolute path required for {what}; write it as /{value}");
    Err(invalid(fields, at, message))
}

fn relative_all(fields: &Fields, at: &[Step], paths: &[String]) -> Result<(), ConfigError> {
    if let Some(bad) = paths.iter().find(|p| p.starts_with('/')) {
        let key = locate::dotted(&at[at.len() - 1..]);
        let message = format!(
            "`{key}: [PATH, ...]|PATH` should be relative paths (relative to `add`), not {bad:?}"
        );
        return Err(invalid(fields, at, message));
    }
    Ok(())
}

/// The optional fields every export has: `includePaths`, `excludePaths`, `owner`, `group`.
struct Export {
    include_paths: Vec<String>,
    exclude_paths: Vec<String>,
    owner: Option<String>,
    group: Option<String>,
}

fn read_export(
    fields: &Fields,
    at: &[Step],
    entries: &[(String, Node)],
) -> Result<Export, ConfigError> {
    let mut export = Export {
        include_paths: Vec::new(),
        exclude_paths: Vec::new(),
        owner: None,
        group: None,
    };
    for (key, node) in entries {
        let key_at = extend(at, Step::Key(key));
        match key.as_str() {
            "includePaths" => {
                export.include_paths = fields.strings(node, &key_at)?;
                relative_all(fields, &key_at, &export.include_paths)?;
            }
            "excludePaths" => {
                export.exclude_paths = fields.strings(node, &key_at)?;
                relative_all(fields, &key_at, &export.exclude_paths)?;
            }
            "owner" => export.owner = fields.text(node, &key_at)?,
            "group" => export.group = fields.text(node, &key_at)?,
            _ => {}
        }
    }
    Ok(export)
}

fn text_at(
    fields: &Fields,
    entries: &[(String, Node)],
    at: &[Step],
    key: &'static str,
) -> Result<Option<String>, ConfigError> {
    match entries.iter().find(|(k, _)| k == key) {
        Some((_, node)) => fields.text(node, &extend(at, Step::Key(key))),
        None => Ok(None),
    }
}

fn read_git(fields: &Fields, node: &Node) -> Result<Vec<GitMapping>, ConfigError> {
    let mut mappings = Vec::new();
    for (at, entries) in items(fields, node, "git")? {
        let add = text_at(fields, entries, &at, "add")?.unwrap_or_else(|| "/".to_owned());
        absolute(fields, &extend(&at, Step::Key("add")), &add, "git")?;
        let Some(to) = text_at(fields, entries, &at, "to")? else {
            let message = "`to: PATH` absolute path required for git; add where the files go in \
                           the image, e.g. `to: /app`";
            return Err(invalid(fields, &at, message.to_owned()));
        };
        absolute(fields, &extend(&at, Step::Key("to")), &to, "git")?;
        let export = read_export(fields, &at, entries)?;
        let mut stage_dependencies = BTreeMap::new();
        if let Some((_, deps)) = entries.iter().find(|(k, _)| k == "stageDependencies") {
            let deps_at = extend(&at, Step::Key("stageDependencies"));
            let deps = fields.mapping(deps, &deps_at)?;
            fields.check_keys(deps, &deps_at)?;
            for (key, node) in deps {
                let key_at = extend(&deps_at, Step::Key(key));
                let stage = UserStage::parse(key).expect("check_keys allows only user stages");
                let globs = fields.strings(node, &key_at)?;
                relative_all(fields, &key_at, &globs)?;
                stage_dependencies.insert(stage, globs);
            }
        }
        mappings.push(GitMapping {
            add,
            to,
            include_paths: export.include_paths,
            exclude_paths: export.exclude_paths,
            owner: export.owner,
            group: export.group,
            stage_dependencies,
        });
    }
    Ok(mappings)
}

fn read_shell(fields: &Fields, node: &Node) -> Result<Shell, ConfigError> {
    let base = [Step::Key("shell")];
    let entries = fields.mapping(node, &base)?;
    fields.check_keys(entries, &base)?;
    let mut shell = Shell::default();
    for (key, node) in entries {
        let at = extend(&base, Step::Key(key));
        if key == "cacheVersion" {
            shell.cache_version = fields.text(node, &at)?;
        } else if let Some(stage) = key.strip_suffix("CacheVersion").and_then(UserStage::parse) {
            if let Some(v) = fields.text(node, &at)? {
                shell.stage_cache_versions.insert(stage, v);
            }
        } else if let Some(stage) = UserStage::parse(key) {
            let commands = fields.strings(node, &at)?;
            if !commands.is_empty() {
                shell.commands.insert(stage, commands);
            }
        }
    }
    Ok(shell)
}

fn read_imports(fields: &Fields, node: &Node) -> Result<Vec<StapelImport>, ConfigError> {
    let mut imports = Vec::new();
    for (at, entries) in items(fields, node, "import")? {
        let named: Vec<(&str, String)> = ["image", "from", "artifact"]
            .into_iter()
            .filter_map(|key| {
                text_at(fields, entries, &at, key)
                    .transpose()
                    .map(|t| t.map(|t| (key, t)))
            })
            .collect::<Result<_, _>>()?;
        let (key, name) = match named.as_slice() {
            [] => {
                let message = "artifact name `artifact: NAME` or image name `image: NAME` \
                               required for import; name the image to copy from";
                return Err(invalid(fields, &at, message.to_owned()));
            }
            [one] => one.clone(),
            [_, (second, _), ..] => {
                let message = "specify only one artifact name using `artifact: NAME` or image \
                               name using `image: NAME` for import; remove one of them";
                return Err(invalid(
                    fields,
                    &extend(&at, Step::Key(second)),
                    message.to_owned(),
                ));
            }
        };
        let name_at = extend(&at, Step::Key(key));
        let image = ImageName::parse(&name)
            .map_err(|reason| invalid(fields, &name_at, format!("`{key}`: {reason}")))?;
        let Some(add) = text_at(fields, entries, &at, "add")? else {
            let message = "`add: PATH` absolute path required for import; name the path to copy \
                           from the source image";
            return Err(invalid(fields, &at, message.to_owned()));
        };
        absolute(fields, &extend(&at, Step::Key("add")), &add, "import")?;
        let to = text_at(fields, entries, &at, "to")?.unwrap_or_else(|| add.clone());
        absolute(fields, &extend(&at, Step::Key("to")), &to, "import")?;
        let export = read_export(fields, &at, entries)?;
        // The import's filter is compiled when its stage is built; a malformed glob is the
        // config's mistake, so it is refused here, at its line, before anything is built.
        for (key, patterns) in [
            ("includePaths", &export.include_paths),
            ("excludePaths", &export.exclude_paths),
        ] {
            if let Err(e) = crate::stapel::paths::find_ere(patterns) {
                return Err(invalid(
                    fields,
                    &extend(&at, Step::Key(key)),
                    format!("`{key}`: {e}"),
                ));
            }
        }
        if add == "/" && export.include_paths.is_empty() {
            let message = "`add: '/'` requires not empty includePaths to interpret copy sources \
                           unambiguously; list the paths to copy in `includePaths`";
            return Err(invalid(
                fields,
                &extend(&at, Step::Key("add")),
                message.to_owned(),
            ));
        }
        let before = text_at(fields, entries, &at, "before")?;
        let after = text_at(fields, entries, &at, "after")?;
        let stage = text_at(fields, entries, &at, "stage")?;
        let at_stage = match (before, after, stage) {
            (Some(b), None, None) => ImportAt::Before(import_stage(fields, &at, "before", &b)?),
            (None, Some(a), None) => ImportAt::After(import_stage(fields, &at, "after", &a)?),
            (None, None, Some(s)) => match UserStage::parse(&s) {
                // werf v2's `stage: X` puts the files in right before stage X.
                Some(stage) => ImportAt::Before(stage),
                None => {
                    let message = format!(
                        "invalid stage `stage: {s}` for import: expected beforeInstall, install, \
                         beforeSetup or setup"
                    );
                    return Err(invalid(fields, &extend(&at, Step::Key("stage")), message));
                }
            },
            (None, None, None) => {
                let message = "artifact stage is not specified with `before: install|setup` or \
                               `after: install|setup` for import; add one, e.g. `after: install`";
                return Err(invalid(fields, &at, message.to_owned()));
            }
            _ => {
                let message = "specify only one artifact stage using `before: install|setup` or \
                               `after: install|setup` for import; keep one of them";
                return Err(invalid(fields, &at, message.to_owned()));
            }
        };
        imports.push(StapelImport {
            image,
            add,
            to,
            include_paths: export.include_paths,
            exclude_paths: export.exclude_paths,
            owner: export.owner,
            group: export.group,
            at: at_stage,
        });
    }
    Ok(imports)
}

fn import_stage(
    fields: &Fields,
    at: &[Step],
    key: &'static str,
    value: &str,
) -> Result<UserStage, ConfigError> {
    match value {
        "install" => Ok(UserStage::Install),
        "setup" => Ok(UserStage::Setup),
        _ => {
            let message = format!(
                "invalid artifact stage `{key}: {value}` for import: expected install or setup"
            );
            Err(invalid(fields, &extend(at, Step::Key(key)), message))
        }
    }
}

/// `dependencies:` as werf reads a Stapel image's: `image`, exactly one of `before`/`after`
/// (no default), and imports that each need a `targetEnv`, unique within the dependency.
fn read_dependencies(fields: &Fields, node: &Node) -> Result<Vec<StapelDependency>, ConfigError> {
    let mut dependencies = Vec::new();
    for (at, entries) in items(fields, node, "dependencies")? {
        let name_at = extend(&at, Step::Key("image"));
        let Some(name) = text_at(fields, entries, &at, "image")? else {
            let message = "image name is not specified for dependency; add `image: NAME`, an \
                           image of werf.yaml";
            return Err(invalid(fields, &at, message.to_owned()));
        };
        let image = ImageName::parse(&name)
            .map_err(|reason| invalid(fields, &name_at, format!("`image`: {reason}")))?;
        let before = text_at(fields, entries, &at, "before")?;
        let after = text_at(fields, entries, &at, "after")?;
        let stage = match (before, after) {
            (Some(b), None) => ImportAt::Before(dependency_stage(fields, &at, "before", &b)?),
            (None, Some(a)) => ImportAt::After(dependency_stage(fields, &at, "after", &a)?),
            (None, None) => {
                let message = "dependency stage is not specified with `before: install|setup` \
                               or `after: install|setup`; add one, e.g. `after: install`";
                return Err(invalid(fields, &at, message.to_owned()));
            }
            (Some(_), Some(_)) => {
                let message = "only one dependency stage can be specified with `before: \
                               install|setup` or `after: install|setup`, but not both; keep one \
                               of them";
                return Err(invalid(fields, &at, message.to_owned()));
            }
        };
        let imports = match entries.iter().find(|(k, _)| k == "imports") {
            Some((_, node)) => read_dependency_imports(fields, &at, node)?,
            None => Vec::new(),
        };
        dependencies.push(StapelDependency {
            image,
            at: stage,
            imports,
        });
    }
    Ok(dependencies)
}

fn dependency_stage(
    fields: &Fields,
    at: &[Step],
    key: &'static str,
    value: &str,
) -> Result<UserStage, ConfigError> {
    match value {
        "install" => Ok(UserStage::Install),
        "setup" => Ok(UserStage::Setup),
        _ => {
            let message =
                format!("invalid dependency stage `{key}: {value}`: expected install or setup");
            Err(invalid(fields, &extend(at, Step::Key(key)), message))
        }
    }
}

/// The `imports` of dependency `at`: werf checks the type first, then `targetEnv`.
fn read_dependency_imports(
    fields: &Fields,
    at: &[Step<'static>],
    node: &Node,
) -> Result<Vec<Import>, ConfigError> {
    let base = extend(at, Step::Key("imports"));
    let mut imports: Vec<Import> = Vec::new();
    for (i, item) in fields.list(node, &base)?.iter().enumerate() {
        let item_at = extend(&base, Step::Index(i));
        let Node::Map(entries) = item else {
            return Err(fields.wrong_type(item, &item_at, "a mapping"));
        };
        fields.check_keys(entries, &item_at)?;
        let text = text_at(fields, entries, &item_at, "type")?.unwrap_or_default();
        let Some(&(_, kind)) = IMPORT_TYPES.iter().find(|(name, _)| *name == text) else {
            let names: Vec<&str> = IMPORT_TYPES.iter().map(|(name, _)| *name).collect();
            let fix = match suggest(&text, names.iter().copied()) {
                Some(similar) => format!("did you mean {similar:?}?"),
                None => "write one of them".to_owned(),
            };
            let message = format!(
                "invalid `type: {text}` for dependency import, expected one of: {}; {fix}",
                names.join(", ")
            );
            let type_at = extend(&item_at, Step::Key("type"));
            let at = if entries.iter().any(|(k, _)| k == "type") {
                &type_at
            } else {
                &item_at
            };
            return Err(invalid(fields, at, message));
        };
        let Some(target) = text_at(fields, entries, &item_at, "targetEnv")? else {
            let message = "targetEnv directive cannot be empty for a Stapel image; add \
                           `targetEnv: NAME`, the environment variable that receives the value";
            return Err(invalid(fields, &item_at, message.to_owned()));
        };
        if imports.iter().any(|import| import.target == target) {
            let message = format!(
                "each targetEnv for dependency import should be unique, but found duplicates \
                 for: {target}; give each import its own variable"
            );
            return Err(invalid(
                fields,
                &extend(&item_at, Step::Key("targetEnv")),
                message,
            ));
        }
        imports.push(Import { kind, target });
    }
    Ok(imports)
}

fn read_mounts(fields: &Fields, node: &Node) -> Result<Vec<Mount>, ConfigError> {
    let mut mounts = Vec::new();
    for (at, entries) in items(fields, node, "mount")? {
        let from = text_at(fields, entries, &at, "from")?;
        let from_path = text_at(fields, entries, &at, "fromPath")?;
        let from = match (from, from_path) {
            (Some(from), Some(path)) => {
                let message = format!(
                    "cannot use `from: {from}` and `fromPath: {path}` at the same time for \
                     mount; keep one of them"
                );
                return Err(invalid(fields, &at, message));
            }
            (Some(from), None) => match from.as_str() {
                "tmp_dir" => MountFrom::TmpDir,
                "build_dir" => MountFrom::BuildDir,
                _ => {
                    let message = format!(
                        "invalid `from: {from}` for mount: expected `tmp_dir` or `build_dir`"
                    );
                    return Err(invalid(fields, &extend(&at, Step::Key("from")), message));
                }
            },
            (None, Some(path)) => MountFrom::Path(path),
            (None, None) => {
                let message = "`fromPath: PATH` absolute or relative path required for mount; \
                               or use `from: tmp_dir|build_dir`";
                return Err(invalid(fields, &at, message.to_owned()));
            }
        };
        let Some(to) = text_at(fields, entries, &at, "to")? else {
            let message = "`to: PATH` absolute path required for mount; add where the directory \
                           appears in the container";
            return Err(invalid(fields, &at, message.to_owned()));
        };
        absolute(fields, &extend(&at, Step::Key("to")), &to, "mount")?;
        mounts.push(Mount { from, to });
    }
    Ok(mounts)
}

fn read_docker(fields: &Fields, node: &Node) -> Result<DockerInstructions, ConfigError> {
    let base = [Step::Key("docker")];
    let entries = fields.mapping(node, &base)?;
    fields.check_keys(entries, &base)?;
    let mut docker = DockerInstructions::default();
    for (key, node) in entries {
        let at = extend(&base, Step::Key(key));
        match key.as_str() {
            "ENV" | "LABEL" => {
                let mut map = BTreeMap::new();
                for (name, value) in fields.mapping(node, &at)? {
                    let value_at = extend(&at, Step::Key(name));
                    map.insert(
                        name.clone(),
                        fields.scalar(value, &value_at)?.unwrap_or_default(),
                    );
                }
                if key == "ENV" {
                    docker.env = map;
                } else {
                    docker.label = map;
                }
            }
            "EXPOSE" => docker.expose = fields.strings(node, &at)?,
            "VOLUME" => docker.volume = fields.strings(node, &at)?,
            "WORKDIR" => docker.workdir = fields.text(node, &at)?,
            "USER" => docker.user = fields.text(node, &at)?,
            "HEALTHCHECK" => docker.healthcheck = fields.text(node, &at)?,
            "STOPSIGNAL" => docker.stopsignal = fields.text(node, &at)?,
            "CMD" | "ENTRYPOINT" => {
                let command = match node {
                    Node::Map(_) => {
                        return Err(fields.wrong_type(node, &at, "a string or a list of strings"));
                    }
                    Node::Seq(_) => Some(Command::Exec(fields.strings(node, &at)?)),
                    _ => fields.text(node, &at)?.map(Command::Shell),
                };
                if key == "CMD" {
                    docker.cmd = command;
                } else {
                    docker.entrypoint = command;
                }
            }
            _ => {}
        }
    }
    Ok(docker)
}
