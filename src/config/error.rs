//! The errors of loading werf.yaml. Each names the file, the 1-based line and column, what is wrong
//! and how to fix it, in the form `<path>:<line>:<column>: <what>; <how>`.

use std::fmt;
use std::path::PathBuf;

use crate::names::ImageName;

use super::keys;

/// The part of werf.yaml an error is about, as messages name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Section {
    /// The document with `project` and `configVersion`.
    Meta,
    /// An image document; the names as written, joined by ", " for `image: [a, b]`, `~` when unnamed.
    Image(String),
    /// A Stapel image document, named as [`Section::Image`] (boxed: keeps errors small).
    Stapel(Box<str>),
    /// A Stapel `artifact:` document (werf 1.2).
    Artifact(Box<str>),
    /// A document whose kind or name is not known yet.
    Document,
}

impl fmt::Display for Section {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Section::Meta => f.write_str("the meta section"),
            Section::Image(name) if name == "~" => f.write_str("the unnamed image"),
            Section::Stapel(name) if &**name == "~" => f.write_str("the unnamed image"),
            Section::Image(name) => write!(f, "image \"{name}\""),
            Section::Stapel(name) => write!(f, "image \"{name}\""),
            Section::Artifact(name) => write!(f, "artifact \"{name}\""),
            Section::Document => f.write_str("this document"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "{}: looked for werf.yaml and werf.yml in this directory, but neither exists; create \
         werf.yaml there or pass --config PATH",
        .dir.display()
    )]
    NotFound { dir: PathBuf },

    #[error(
        "{} and {} both exist; delete one of them or choose one with --config PATH",
        .yaml.display(),
        .yml.display()
    )]
    BothFound { yaml: PathBuf, yml: PathBuf },

    #[error(
        "{}: cannot read the config file ({reason}); check that the path is right and the file is \
         readable UTF-8 text",
        .path.display()
    )]
    Read { path: PathBuf, reason: String },

    #[error(
        "{}:{line}: {message}; fix the template syntax (werf.yaml is a Go template, rendered before \
         it is read)",
        .path.display()
    )]
    TemplateSyntax {
        path: PathBuf,
        line: usize,
        message: String,
    },

    #[error("{}:{line}:{column}: {message}", .path.display())]
    TemplateRender {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    #[error("{}: {message}", .path.display())]
    TemplateFile { path: PathBuf, message: String },

    #[error("{}:{line}:{column}: invalid YAML: {message}; fix the YAML syntax here", .path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    #[error(
        "{}:{line}:{column}: key {key:?} appears twice in {}; keep only one of them",
        .path.display(),
        place(.parent)
    )]
    DuplicateKey {
        path: PathBuf,
        line: usize,
        column: usize,
        key: String,
        parent: String,
    },

    #[error(
        "{}:{line}:{column}: a key in {} is not a plain string; use names like `dockerfile:` as keys",
        .path.display(),
        place(.parent)
    )]
    NonStringKey {
        path: PathBuf,
        line: usize,
        column: usize,
        parent: String,
    },

    #[error(
        "{}:{line}:{column}: YAML tags (`!name`) are not supported; remove the tag",
        .path.display()
    )]
    Tag {
        path: PathBuf,
        line: usize,
        column: usize,
    },

    #[error(
        "{}:{line}:{column}: `<<` must merge a mapping or a list of mappings; point it at a \
         mapping, e.g. `<<: *defaults`",
        .path.display()
    )]
    BadMerge {
        path: PathBuf,
        line: usize,
        column: usize,
    },

    #[error(
        "{}:{line}:{column}: this document is {found}, not a mapping; write `key: value` lines \
         (`project:` and `configVersion:` for the meta section, `image:` and `dockerfile:` for an \
         image)",
        .path.display()
    )]
    NotMapping {
        path: PathBuf,
        line: usize,
        column: usize,
        found: &'static str,
    },

    #[error(
        "{}:{line}:{column}: this document is neither the meta section nor an image; start an \
         image with `image: NAME`, or give the meta section `project: NAME` and `configVersion: 1`",
        .path.display()
    )]
    UnknownDocument {
        path: PathBuf,
        line: usize,
        column: usize,
    },

    #[error(
        "{}:{line}:{column}: a second meta section (the first starts at line {first_line}); keep \
         project, configVersion and build in one document",
        .path.display()
    )]
    DuplicateMeta {
        path: PathBuf,
        line: usize,
        column: usize,
        first_line: usize,
    },

    #[error(
        "{}:1:1: there is no meta section with `project`; start the file with `project: NAME` and \
         `configVersion: 1`, then `---` before the images",
        .path.display()
    )]
    NoMeta { path: PathBuf },

    #[error(
        "{}:{line}:{column}: {key:?} is missing or empty in {section}; add `{}`",
        .path.display(),
        example(.key)
    )]
    MissingKey {
        path: PathBuf,
        line: usize,
        column: usize,
        section: Section,
        key: String,
    },

    #[error(
        "{}:{line}:{column}: configVersion must be 1, not {found}; set `configVersion: 1`",
        .path.display()
    )]
    ConfigVersion {
        path: PathBuf,
        line: usize,
        column: usize,
        found: String,
    },

    #[error("{}:{line}:{column}: {reason} (in {section})", .path.display())]
    BadSecret {
        path: PathBuf,
        line: usize,
        column: usize,
        section: Section,
        reason: String,
    },

    #[error("{}:{line}:{column}: {reason}", .path.display())]
    BadProjectName {
        path: PathBuf,
        line: usize,
        column: usize,
        reason: String,
    },

    #[error("{}:{line}:{column}: {reason}", .path.display())]
    BadImageName {
        path: PathBuf,
        line: usize,
        column: usize,
        section: Section,
        reason: String,
    },

    #[error(
        "{}:{line}:{column}: unknown key {key:?} in {}; {}",
        .path.display(),
        nested(.parent, .section),
        keys::unknown_key_hint(.section, .parent, .key)
    )]
    UnknownKey {
        path: PathBuf,
        line: usize,
        column: usize,
        section: Section,
        /// The YAML path of the mapping holding the key; empty at the top of the document.
        parent: String,
        key: String,
    },

    #[error(
        "{}:{line}:{column}: slipway does not support `{key}` yet (in {section}); remove it, or \
         keep building this project with werf",
        .path.display()
    )]
    Unsupported {
        path: PathBuf,
        line: usize,
        column: usize,
        section: Section,
        key: String,
    },

    #[error(
        "{}:{line}:{column}: {key:?} in {section} must be {expected}, not {found}; write it as \
         `{}`",
        .path.display(),
        example(.key)
    )]
    WrongType {
        path: PathBuf,
        line: usize,
        column: usize,
        section: Section,
        key: String,
        expected: &'static str,
        found: &'static str,
    },

    #[error("{}:{line}:{column}: {section}: {message}", .path.display())]
    Stapel {
        path: PathBuf,
        line: usize,
        column: usize,
        section: Section,
        /// werf's statement of the problem, then how to fix it.
        message: String,
    },

    #[error(
        "{}:{line}:{column}: {key:?} and {other:?} in {section} mean the same; keep only one of them",
        .path.display()
    )]
    SameMeaning {
        path: PathBuf,
        line: usize,
        column: usize,
        section: Section,
        key: &'static str,
        other: &'static str,
    },

    #[error(
        "{}:{line}:{column}: `image: []` names no image; list at least one name",
        .path.display()
    )]
    EmptyImageList {
        path: PathBuf,
        line: usize,
        column: usize,
    },

    #[error(
        "{}:{line}:{column}: image \"{image}\" is defined twice (first at line {first_line}, \
         column {first_column}); rename or remove one of them",
        .path.display()
    )]
    DuplicateImage {
        path: PathBuf,
        line: usize,
        column: usize,
        image: ImageName,
        first_line: usize,
        first_column: usize,
    },

    #[error(
        "{}:{line}:{column}: the unnamed image (`image: ~`) must be the only image, but there are \
         {count}; give it a name",
        .path.display()
    )]
    UnnamedAmongMany {
        path: PathBuf,
        line: usize,
        column: usize,
        count: usize,
    },

    #[error(
        "{}:{line}:{column}: {section} depends on \"{dependency}\", which is not defined; {hint}",
        .path.display()
    )]
    MissingDependency {
        path: PathBuf,
        line: usize,
        column: usize,
        section: Section,
        dependency: ImageName,
        hint: String,
    },

    #[error(
        "{}:{line}:{column}: images depend on each other in a cycle ({cycle}); remove one of these \
         dependencies",
        .path.display()
    )]
    DependencyCycle {
        path: PathBuf,
        line: usize,
        column: usize,
        image: ImageName,
        cycle: String,
    },

    #[error(
        "{}:{line}:{column}: unknown import type {found:?} at {key} of {section}; {}",
        .path.display(),
        keys::import_type_hint(.found)
    )]
    BadImportType {
        path: PathBuf,
        line: usize,
        column: usize,
        section: Section,
        key: String,
        found: String,
    },

    #[error(
        "{}:{line}:{column}: build arg {arg:?} is set twice in {section} (also at line \
         {first_line}); give one of them another name",
        .path.display()
    )]
    BuildArgTwice {
        path: PathBuf,
        line: usize,
        column: usize,
        section: Section,
        arg: String,
        first_line: usize,
    },

    #[error(
        "{}:{line}:{column}: {key:?} in {section} is an absolute path ({value:?}); write it \
         relative to the {} directory",
        .path.display(),
        if .key == "context" { "project" } else { "context" }
    )]
    AbsolutePath {
        path: PathBuf,
        line: usize,
        column: usize,
        section: Section,
        key: String,
        value: String,
    },

    #[error(
        "{}:{line}:{column}: {key:?} in {section} ({value:?}) points outside the project \
         directory; slipway reads only files inside the project, so keep the path inside it",
        .path.display()
    )]
    EscapingPath {
        path: PathBuf,
        line: usize,
        column: usize,
        section: Section,
        key: String,
        value: String,
    },
}

/// Names a mapping by its YAML path for messages about keys.
fn place(parent: &str) -> String {
    if parent.is_empty() {
        "this document".to_owned()
    } else {
        format!("\"{parent}\"")
    }
}

/// Names a mapping inside a section, e.g. `dependencies[0] of image "backend"`.
fn nested(parent: &str, section: &Section) -> String {
    if parent.is_empty() {
        section.to_string()
    } else {
        format!("{parent} of {section}")
    }
}

/// A correct way to write the key at YAML path `key`, for messages.
fn example(key: &str) -> &'static str {
    if key.starts_with("args.") {
        return "NAME: value";
    }
    let leaf = key.rsplit('.').next().unwrap_or(key);
    let item = leaf.ends_with(']');
    match (leaf.split('[').next().unwrap_or(leaf), item) {
        ("image", false) => "image: backend",
        ("image", true) => "image: [backend, worker]",
        ("dependencies", false) => "dependencies: [{image: backend}]",
        ("dependencies", true) => "- image: backend",
        ("imports", false) => "imports: [{type: ImageName, targetBuildArg: BASE_IMAGE}]",
        ("imports", true) => "- type: ImageName",
        ("from", _) => "from: backend",
        ("type", _) => "type: ImageName",
        ("targetBuildArg", _) => "targetBuildArg: BASE_IMAGE",
        ("targetEnv", _) => "targetEnv: BASE_IMAGE",
        ("args", _) => "args: {NAME: value}",
        ("addHost", _) => "addHost: [\"db:10.0.0.2\"]",
        ("contextAddFiles" | "contextAddFile", _) => "contextAddFiles: [.env]",
        ("final", _) => "final: false",
        ("dockerfile", _) => "dockerfile: Dockerfile",
        ("context", _) => "context: app",
        ("target", _) => "target: builder",
        ("network", _) => "network: host",
        ("ssh", _) => "ssh: default",
        ("cacheVersion", _) => "cacheVersion: \"1\"",
        ("project", _) => "project: my-app",
        ("configVersion", _) => "configVersion: 1",
        ("build", _) => "build: {cacheVersion: \"1\"}",
        _ => "key: value",
    }
}

impl ConfigError {
    /// Points an error found in the rendered werf.yaml at the template's own lines.
    pub(crate) fn remap_lines(mut self, source_line: &dyn Fn(usize) -> usize) -> ConfigError {
        if let Some(line) = self.line_mut() {
            *line = source_line(*line);
        }
        if let ConfigError::DuplicateMeta { first_line, .. }
        | ConfigError::DuplicateImage { first_line, .. } = &mut self
        {
            *first_line = source_line(*first_line);
        }
        self
    }

    fn line_mut(&mut self) -> Option<&mut usize> {
        use ConfigError as E;
        match self {
            E::Syntax { line, .. }
            | E::DuplicateKey { line, .. }
            | E::NonStringKey { line, .. }
            | E::Tag { line, .. }
            | E::BadMerge { line, .. }
            | E::NotMapping { line, .. }
            | E::UnknownDocument { line, .. }
            | E::DuplicateMeta { line, .. }
            | E::DuplicateImage { line, .. }
            | E::UnnamedAmongMany { line, .. }
            | E::MissingDependency { line, .. }
            | E::DependencyCycle { line, .. }
            | E::MissingKey { line, .. }
            | E::ConfigVersion { line, .. }
            | E::BadProjectName { line, .. }
            | E::BadImageName { line, .. }
            | E::UnknownKey { line, .. }
            | E::Unsupported { line, .. }
            | E::WrongType { line, .. }
            | E::Stapel { line, .. }
            | E::SameMeaning { line, .. }
            | E::EmptyImageList { line, .. }
            | E::BadImportType { line, .. }
            | E::BuildArgTwice { line, .. }
            | E::AbsolutePath { line, .. }
            | E::EscapingPath { line, .. } => Some(line),
            // Errors of the template itself already point at source lines.
            _ => None,
        }
    }
}
