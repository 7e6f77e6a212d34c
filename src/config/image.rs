//! Reads one image document of werf.yaml into an [`ImageConfig`] per name in `image:`, rejecting
//! unsupported keys and paths that leave the project directory; Stapel documents go to
//! [`super::stapel`].

use std::collections::BTreeMap;

use crate::names::ImageName;

use super::error::{ConfigError, Section};
use super::fields::{Fields, extend};
use super::keys::{IMPORT_TYPES, STAPEL};
use super::locate::{self, Pos, Step};
use super::node::Node;
use super::{BuildSecret, Dependency, ImageConfig, Import, ImportKind, SecretSource};

/// An image read from werf.yaml, with what is needed to point at its parts later.
pub(super) struct Parsed {
    pub config: ImageConfig,
    /// The document's index in the YAML stream.
    pub doc: usize,
    /// `Some(i)` when the name is the i-th item of `image: [..]`.
    pub name_index: Option<usize>,
    /// The key (`image` or `from`) that names each dependency.
    pub dependency_keys: Vec<&'static str>,
}

impl Parsed {
    /// The path of the node holding this image's name.
    pub(super) fn name_path(&self) -> Vec<Step<'static>> {
        match self.name_index {
            Some(i) => vec![Step::Key("image"), Step::Index(i)],
            None => vec![Step::Key("image")],
        }
    }

    /// The path of the node naming dependency `index`.
    pub(super) fn dependency_path(&self, index: usize) -> [Step<'static>; 3] {
        let key = self.dependency_keys.get(index).copied().unwrap_or("image");
        [
            Step::Key("dependencies"),
            Step::Index(index),
            Step::Key(key),
        ]
    }
}

/// Reads an image document; `line` is where its `image:` key is.
pub(super) fn read(
    fields: &mut Fields,
    entries: &[(String, Node)],
    line: usize,
) -> Result<Vec<Parsed>, ConfigError> {
    if get(entries, "dockerfile").is_none()
        && entries
            .iter()
            .any(|(key, _)| STAPEL.contains(&key.as_str()))
    {
        return read_stapel(fields, entries, line);
    }
    let names = read_names(fields, entries)?;
    fields.section = Section::Image(label(&names));
    fields.check_keys(entries, &[])?;

    let mut config = ImageConfig {
        name: ImageName::unnamed(),
        dockerfile: String::new(),
        context: String::new(),
        target: None,
        args: BTreeMap::new(),
        add_host: Vec::new(),
        network: None,
        ssh: None,
        secrets: Vec::new(),
        context_add_files: Vec::new(),
        dependencies: Vec::new(),
        cache_version: None,
        is_final: true,
        line,
        stapel: None,
    };
    let mut dockerfile = None;
    let mut context = None;
    let mut add_files: Option<&str> = None;
    let mut dependency_keys = Vec::new();
    for (key, node) in entries {
        let at = [Step::Key(key)];
        match key.as_str() {
            "final" => config.is_final = fields.boolean(node, &at)?.unwrap_or(true),
            "dockerfile" => dockerfile = fields.text(node, &at)?,
            "context" => context = fields.text(node, &at)?,
            "target" => config.target = fields.text(node, &at)?,
            "network" => config.network = fields.text(node, &at)?,
            "ssh" => config.ssh = fields.text(node, &at)?,
            "cacheVersion" => config.cache_version = fields.text(node, &at)?,
            "args" => config.args = read_args(fields, node)?,
            "addHost" => config.add_host = fields.strings(node, &at)?,
            "contextAddFiles" | "contextAddFile" => {
                let files = fields.strings(node, &at)?;
                if files.is_empty() {
                    continue;
                }
                if add_files.is_some() {
                    let Pos { line, column } = fields.key_pos(&at);
                    return Err(ConfigError::SameMeaning {
                        path: fields.file.to_owned(),
                        line,
                        column,
                        section: fields.section.clone(),
                        key: "contextAddFile",
                        other: "contextAddFiles",
                    });
                }
                add_files = Some(key);
                config.context_add_files = files;
            }
            "dependencies" => {
                (config.dependencies, dependency_keys) = read_dependencies(fields, node)?;
            }
            "secrets" => config.secrets = read_secrets(fields, node)?,
            _ => {}
        }
    }

    if let Some(context) = &context {
        check_path(fields, &[Step::Key("context")], context, "")?;
    }
    config.context = context.unwrap_or_else(|| ".".to_owned());
    if let Some(dockerfile) = &dockerfile {
        check_path(
            fields,
            &[Step::Key("dockerfile")],
            dockerfile,
            &config.context,
        )?;
    }
    config.dockerfile = dockerfile.unwrap_or_else(|| "Dockerfile".to_owned());
    if let Some(key) = add_files {
        let listed = matches!(get(entries, key), Some(Node::Seq(_)));
        for (i, file) in config.context_add_files.iter().enumerate() {
            let at = if listed {
                vec![Step::Key(key), Step::Index(i)]
            } else {
                vec![Step::Key(key)]
            };
            check_path(fields, &at, file, &config.context)?;
        }
    }
    check_build_args(fields, &config)?;

    let doc = fields.index;
    Ok(names
        .into_iter()
        .map(|(name, name_index)| Parsed {
            config: ImageConfig {
                name,
                ..config.clone()
            },
            doc,
            name_index,
            dependency_keys: dependency_keys.clone(),
        })
        .collect())
}

fn get<'n>(entries: &'n [(String, Node)], key: &str) -> Option<&'n Node> {
    entries.iter().find(|(k, _)| k == key).map(|(_, node)| node)
}

/// Reads a Stapel image or artifact document.
fn read_stapel(
    fields: &mut Fields,
    entries: &[(String, Node)],
    line: usize,
) -> Result<Vec<Parsed>, ConfigError> {
    let artifact = get(entries, "artifact").filter(|node| !matches!(node, Node::Null));
    let names = match artifact {
        Some(node) => {
            let at = [Step::Key("artifact")];
            if get(entries, "image").is_some() {
                let Pos { line, column } = fields.key_pos(&at);
                return Err(ConfigError::Stapel {
                    path: fields.file.to_owned(),
                    line,
                    column,
                    section: fields.section.clone(),
                    message: "unknown doc type: one and only one of `image: NAME` or `artifact:                               NAME` non-empty name required; keep one of them"
                        .to_owned(),
                });
            }
            if matches!(node, Node::Seq(_) | Node::Map(_)) {
                return Err(fields.wrong_type(node, &at, "a name"));
            }
            let text = fields.scalar(node, &at)?.unwrap_or_default();
            let name = parse_name(fields, &at, &text)?;
            fields.section = Section::Artifact(name.to_string().into());
            vec![(name, None)]
        }
        None => {
            let names = read_names(fields, entries)?;
            fields.section = Section::Stapel(label(&names).into());
            names
        }
    };
    fields.check_keys(entries, &[])?;
    let mut is_final = true;
    if let Some(node) = get(entries, "final") {
        let at = [Step::Key("final")];
        if artifact.is_some() {
            let Pos { line, column } = fields.key_pos(&at);
            return Err(ConfigError::Stapel {
                path: fields.file.to_owned(),
                line,
                column,
                section: fields.section.clone(),
                message: "`final` directive is not supported for artifact; remove it (an \
                          artifact is never final)"
                    .to_owned(),
            });
        }
        is_final = fields.boolean(node, &at)?.unwrap_or(true);
    }
    let image_names: Vec<ImageName> = names.iter().map(|(n, _)| n.clone()).collect();
    let (stapel, cache_version) = super::stapel::read(fields, entries, &image_names)?;
    let config = ImageConfig {
        name: ImageName::unnamed(),
        dockerfile: String::new(),
        context: String::new(),
        target: None,
        args: BTreeMap::new(),
        add_host: Vec::new(),
        network: None,
        ssh: None,
        context_add_files: Vec::new(),
        secrets: Vec::new(),
        dependencies: Vec::new(),
        cache_version,
        is_final: is_final && artifact.is_none(),
        line,
        stapel: Some(Box::new(stapel)),
    };
    let doc = fields.index;
    Ok(names
        .into_iter()
        .map(|(name, name_index)| Parsed {
            config: ImageConfig {
                name,
                ..config.clone()
            },
            doc,
            name_index,
            dependency_keys: Vec::new(),
        })
        .collect())
}

/// The names in `image:`, each with its index when `image:` is a list.
fn read_names(
    fields: &Fields,
    entries: &[(String, Node)],
) -> Result<Vec<(ImageName, Option<usize>)>, ConfigError> {
    let at = [Step::Key("image")];
    let Some(node) = get(entries, "image") else {
        return Err(fields.missing(fields.node_pos(&[]), "image".to_owned()));
    };
    match node {
        Node::Null => Ok(vec![(ImageName::unnamed(), None)]),
        Node::Map(_) => Err(fields.wrong_type(node, &at, "a name or a list of names")),
        Node::Seq(items) if items.is_empty() => {
            let Pos { line, column } = fields.node_pos(&at);
            Err(ConfigError::EmptyImageList {
                path: fields.file.to_owned(),
                line,
                column,
            })
        }
        Node::Seq(items) => {
            let mut names = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let at = [Step::Key("image"), Step::Index(i)];
                if matches!(item, Node::Seq(_) | Node::Map(_)) {
                    return Err(fields.wrong_type(item, &at, "a name"));
                }
                let text = fields.scalar(item, &at)?;
                names.push((parse_name(fields, &at, &text.unwrap_or_default())?, Some(i)));
            }
            Ok(names)
        }
        _ => {
            let text = fields.scalar(node, &at)?;
            Ok(vec![(
                parse_name(fields, &at, &text.unwrap_or_default())?,
                None,
            )])
        }
    }
}

fn parse_name(fields: &Fields, at: &[Step], text: &str) -> Result<ImageName, ConfigError> {
    ImageName::parse(text).map_err(|reason| {
        let Pos { line, column } = fields.node_pos(at);
        ConfigError::BadImageName {
            path: fields.file.to_owned(),
            line,
            column,
            section: fields.section.clone(),
            reason,
        }
    })
}

/// The names of an image document as messages show them.
fn label(names: &[(ImageName, Option<usize>)]) -> String {
    let names: Vec<String> = names.iter().map(|(name, _)| name.to_string()).collect();
    names.join(", ")
}

fn read_args(fields: &Fields, node: &Node) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut args = BTreeMap::new();
    for (name, value) in fields.mapping(node, &[Step::Key("args")])? {
        let at = [Step::Key("args"), Step::Key(name)];
        match fields.scalar(value, &at)? {
            Some(value) => args.insert(name.clone(), value),
            None => {
                let expected = "a string, number or boolean";
                return Err(fields.wrong_type(value, &at, expected));
            }
        };
    }
    Ok(args)
}

/// werf v2's `secrets`: each entry has exactly one of `env`, `src` and `value`; `id` defaults
/// to the variable's name (`env`) or the file's name (`src`), and `value` needs one.
fn read_secrets(fields: &Fields, node: &Node) -> Result<Vec<BuildSecret>, ConfigError> {
    let items = fields.list(node, &[Step::Key("secrets")])?;
    let mut secrets: Vec<BuildSecret> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = [Step::Key("secrets"), Step::Index(i)];
        let Node::Map(entries) = item else {
            return Err(fields.wrong_type(item, &at, "a mapping"));
        };
        fields.check_keys(entries, &at)?;
        let mut id = None;
        let mut sources = Vec::new();
        for (key, node) in entries {
            let key_at = extend(&at, Step::Key(key));
            let text = fields.text(node, &key_at)?;
            match (key.as_str(), text) {
                ("id", text) => id = text,
                (_, None) => {}
                ("env", Some(t)) => sources.push(SecretSource::Env(t)),
                ("src", Some(t)) => sources.push(SecretSource::File(t)),
                (_, Some(t)) => sources.push(SecretSource::Value(crate::secret::Secret::new(t))),
            }
        }
        let bad = |reason: String| {
            let Pos { line, column } = fields.node_pos(&at);
            ConfigError::BadSecret {
                path: fields.file.to_owned(),
                line,
                column,
                section: fields.section.clone(),
                reason,
            }
        };
        if sources.len() != 1 {
            return Err(bad(format!(
                "secrets[{i}] must have exactly one of `env`, `src` and `value` (it has {})",
                sources.len()
            )));
        }
        let source = sources.remove(0);
        let id = match (id, &source) {
            (Some(id), _) => id,
            (None, SecretSource::Env(name)) => name.clone(),
            (None, SecretSource::File(path)) => path.rsplit('/').next().unwrap_or(path).to_owned(),
            (None, SecretSource::Value(_)) => {
                return Err(bad(format!(
                    "secrets[{i}] has a `value` but no `id`; add `id: NAME` (the id that \
                     `RUN --mount=type=secret,id=NAME` uses)"
                )));
            }
        };
        if secrets.iter().any(|s| s.id == id) {
            return Err(bad(format!(
                "secrets[{i}]: the id {id:?} is used twice; give each secret its own `id`"
            )));
        }
        secrets.push(BuildSecret { id, source });
    }
    Ok(secrets)
}

fn read_dependencies(
    fields: &Fields,
    node: &Node,
) -> Result<(Vec<Dependency>, Vec<&'static str>), ConfigError> {
    let items = fields.list(node, &[Step::Key("dependencies")])?;
    let mut dependencies = Vec::with_capacity(items.len());
    let mut dependency_keys = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = [Step::Key("dependencies"), Step::Index(i)];
        let Node::Map(entries) = item else {
            return Err(fields.wrong_type(item, &at, "a mapping"));
        };
        fields.check_keys(entries, &at)?;
        let mut named: Option<(ImageName, &'static str)> = None;
        let mut imports = Vec::new();
        for (key, node) in entries {
            let key: &'static str = match key.as_str() {
                "image" => "image",
                "from" => "from",
                _ => {
                    if key == "imports" {
                        imports = read_imports(fields, node, i)?;
                    }
                    continue;
                }
            };
            let at = extend(&at, Step::Key(key));
            if named.is_some() {
                let Pos { line, column } = fields.key_pos(&at);
                return Err(ConfigError::SameMeaning {
                    path: fields.file.to_owned(),
                    line,
                    column,
                    section: fields.section.clone(),
                    key: "image",
                    other: "from",
                });
            }
            let Some(text) = fields.text(node, &at)? else {
                return Err(fields.missing(fields.key_pos(&at), locate::dotted(&at)));
            };
            named = Some((parse_name(fields, &at, &text)?, key));
        }
        let Some((image, key)) = named else {
            let key = format!("{}.image", locate::dotted(&at));
            return Err(fields.missing(fields.node_pos(&at), key));
        };
        dependencies.push(Dependency { image, imports });
        dependency_keys.push(key);
    }
    Ok((dependencies, dependency_keys))
}

fn read_imports(
    fields: &Fields,
    node: &Node,
    dependency: usize,
) -> Result<Vec<Import>, ConfigError> {
    let base = [
        Step::Key("dependencies"),
        Step::Index(dependency),
        Step::Key("imports"),
    ];
    let items = fields.list(node, &base)?;
    let mut imports = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = extend(&base, Step::Index(i));
        let Node::Map(entries) = item else {
            return Err(fields.wrong_type(item, &at, "a mapping"));
        };
        fields.check_keys(entries, &at)?;
        let mut kind = None;
        let mut target_build_arg = None;
        for (key, node) in entries {
            let key_at = extend(&at, Step::Key(key));
            match key.as_str() {
                "type" => {
                    let Some(text) = fields.text(node, &key_at)? else {
                        let pos = fields.key_pos(&key_at);
                        return Err(fields.missing(pos, locate::dotted(&key_at)));
                    };
                    kind = Some(import_kind(fields, &key_at, text)?);
                }
                "targetBuildArg" => {
                    let Some(text) = fields.text(node, &key_at)? else {
                        let pos = fields.key_pos(&key_at);
                        return Err(fields.missing(pos, locate::dotted(&key_at)));
                    };
                    target_build_arg = Some(text);
                }
                _ => {}
            }
        }
        let (kind, target_build_arg) = match (kind, target_build_arg) {
            (Some(kind), Some(arg)) => (kind, arg),
            (None, _) => {
                let key = format!("{}.type", locate::dotted(&at));
                return Err(fields.missing(fields.node_pos(&at), key));
            }
            (_, None) => {
                let key = format!("{}.targetBuildArg", locate::dotted(&at));
                return Err(fields.missing(fields.node_pos(&at), key));
            }
        };
        imports.push(Import {
            kind,
            target: target_build_arg,
        });
    }
    Ok(imports)
}

fn import_kind(fields: &Fields, at: &[Step], text: String) -> Result<ImportKind, ConfigError> {
    if let Some((_, kind)) = IMPORT_TYPES.iter().find(|(name, _)| *name == text) {
        return Ok(*kind);
    }
    let Pos { line, column } = fields.node_pos(at);
    Err(ConfigError::BadImportType {
        path: fields.file.to_owned(),
        line,
        column,
        section: fields.section.clone(),
        key: locate::dotted(at),
        found: text,
    })
}

/// Rejects an absolute `value`, or one that leaves the project when taken relative to `within`
/// (a directory relative to the project, already checked).
fn check_path(fields: &Fields, at: &[Step], value: &str, within: &str) -> Result<(), ConfigError> {
    let absolute = value.starts_with('/');
    if !absolute && !escapes(within, value) {
        return Ok(());
    }
    let Pos { line, column } = fields.node_pos(at);
    let (path, section, key, value) = (
        fields.file.to_owned(),
        fields.section.clone(),
        locate::dotted(at),
        value.to_owned(),
    );
    Err(if absolute {
        ConfigError::AbsolutePath {
            path,
            line,
            column,
            section,
            key,
            value,
        }
    } else {
        ConfigError::EscapingPath {
            path,
            line,
            column,
            section,
            key,
            value,
        }
    })
}

/// Whether `path`, taken relative to the directory `within`, climbs out of the project with `..`.
fn escapes(within: &str, path: &str) -> bool {
    let mut depth = 0usize;
    for part in within.split('/').chain(path.split('/')) {
        match part {
            "" | "." => {}
            ".." => match depth.checked_sub(1) {
                Some(up) => depth = up,
                None => return true,
            },
            _ => depth += 1,
        }
    }
    false
}

/// Rejects a build arg set twice: by `args` and an import, or by two imports.
fn check_build_args(fields: &Fields, config: &ImageConfig) -> Result<(), ConfigError> {
    let mut imported: Vec<(&str, usize, usize)> = Vec::new();
    for (d, dependency) in config.dependencies.iter().enumerate() {
        for (i, import) in dependency.imports.iter().enumerate() {
            let arg = import.target.as_str();
            let first_line = if config.args.contains_key(arg) {
                Some(fields.key_pos(&[Step::Key("args"), Step::Key(arg)]).line)
            } else {
                imported
                    .iter()
                    .find(|(earlier, _, _)| *earlier == arg)
                    .map(|&(_, d, i)| fields.node_pos(&target_arg_path(d, i)).line)
            };
            if let Some(first_line) = first_line {
                let Pos { line, column } = fields.node_pos(&target_arg_path(d, i));
                return Err(ConfigError::BuildArgTwice {
                    path: fields.file.to_owned(),
                    line,
                    column,
                    section: fields.section.clone(),
                    arg: arg.to_owned(),
                    first_line,
                });
            }
            imported.push((arg, d, i));
        }
    }
    Ok(())
}

fn target_arg_path(dependency: usize, import: usize) -> [Step<'static>; 5] {
    [
        Step::Key("dependencies"),
        Step::Index(dependency),
        Step::Key("imports"),
        Step::Index(import),
        Step::Key("targetBuildArg"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_paths() {
        for (within, path, expected) in [
            ("", ".", false),
            ("", "app", false),
            ("", "..", true),
            ("", "../x", true),
            ("", "a/../../x", true),
            ("", "a/../b", false),
            ("app", "../Dockerfile", false),
            ("app", "../../Dockerfile", true),
            ("./app/", "./../x", false),
            (".", "./x/./../..", true),
        ] {
            assert_eq!(escapes(within, path), expected, "{within:?} {path:?}");
        }
    }
}
