//! Loads werf.yaml, werf's build config (Dockerfile and Stapel images): finds the file, reads its
//! YAML documents and validates them into a [`WerfConfig`], with `path:line:column` errors.

mod error;
mod fields;
mod image;
mod keys;
mod locate;
mod meta;
mod node;
mod stapel;
pub mod template;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

pub use error::{ConfigError, Section};
pub use stapel::{
    Command, DockerInstructions, GitMapping, ImportAt, Mount, MountFrom, Shell, StapelBase,
    StapelConfig, StapelDependency, StapelImport, UserStage,
};
pub use template::TemplateInputs;

use crate::names::{ImageName, ProjectName};
use fields::Fields;
use image::Parsed;
use locate::{Pos, Step};
use node::Node;

/// Where to find werf.yaml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadRequest {
    /// The project directory.
    pub dir: PathBuf,
    /// An explicit config file, relative to `dir` unless absolute; otherwise `werf.yaml` or
    /// `werf.yml` in `dir`.
    pub config: Option<PathBuf>,
    /// Templates read `.Files` and partials from the working tree instead of the commit.
    pub dev: bool,
    /// What the werf.yaml template may read from outside the repository.
    pub template: TemplateInputs,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WerfConfig {
    /// The config file, as found or given (not canonicalized).
    pub path: PathBuf,
    pub project: ProjectName,
    /// `build.cacheVersion` of the meta section.
    pub build_cache_version: Option<String>,
    /// In file order, one per name (`image: [a, b]` gives two images).
    pub images: Vec<ImageConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageConfig {
    pub name: ImageName,
    /// Relative to `context` (as in werf); "Dockerfile" when not given.
    pub dockerfile: String,
    /// Relative to the project directory; "." when not given.
    pub context: String,
    pub target: Option<String>,
    /// Build args; numbers and booleans keep their text as written (`1.10` stays `1.10`).
    pub args: BTreeMap<String, String>,
    pub add_host: Vec<String>,
    pub network: Option<String>,
    pub ssh: Option<String>,
    /// werf v2's `secrets`, for `RUN --mount=type=secret`; never digest inputs.
    pub secrets: Vec<BuildSecret>,
    /// Relative to `context`.
    pub context_add_files: Vec<String>,
    pub dependencies: Vec<Dependency>,
    pub cache_version: Option<String>,
    pub is_final: bool,
    /// The 1-based line of the document's `image:` key.
    pub line: usize,
    /// A Stapel image's sections; `None` for a Dockerfile image (whose Dockerfile fields are
    /// then meaningful).
    pub stapel: Option<Box<StapelConfig>>,
}

impl ImageConfig {
    /// The images of werf.yaml this image's content comes from: `dependencies`, and for a
    /// Stapel image `fromImage`/`fromArtifact`, every `import` and its `dependencies`.
    pub fn needs(&self) -> Vec<&ImageName> {
        let mut out: Vec<&ImageName> = self.dependencies.iter().map(|d| &d.image).collect();
        if let Some(stapel) = &self.stapel {
            if let StapelBase::Config(base) = &stapel.from {
                out.push(base);
            }
            out.extend(stapel.imports.iter().map(|i| &i.image));
            out.extend(stapel.dependencies.iter().map(|d| &d.image));
        }
        out
    }
}

/// A build secret: the `id` a `RUN --mount=type=secret,id=…` names, and where its value is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildSecret {
    pub id: String,
    pub source: SecretSource,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// An environment variable of slipway's process (`env:`).
    Env(String),
    /// A file (`src:`), relative to the project directory unless absolute; resolved before
    /// building.
    File(String),
    /// The value itself (`value:`), never printed.
    Value(crate::secret::Secret),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub image: ImageName,
    pub imports: Vec<Import>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    pub kind: ImportKind,
    /// What receives the value: a build arg (`targetBuildArg`, Dockerfile images) or an
    /// environment variable (`targetEnv`, Stapel images).
    pub target: String,
}

/// What a dependency import passes on (werf's `ImageName`, …, `ImageDigest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    ImageName,
    ImageTag,
    ImageRepo,
    ImageId,
    ImageDigest,
}

impl ImportKind {
    /// werf's name of the type, as werf.yaml writes it.
    pub fn as_str(self) -> &'static str {
        keys::IMPORT_TYPES
            .iter()
            .find(|(_, kind)| *kind == self)
            .map_or("", |(name, _)| name)
    }
}

/// Finds and reads the config file named by `request`, rendering it as werf does first.
pub fn load(request: &LoadRequest) -> Result<WerfConfig, ConfigError> {
    let (path, rendered) = render(request)?;
    parse(&path, &rendered.text).map_err(|e| e.remap_lines(&|line| rendered.source_line(line)))
}

/// Finds the config file named by `request` and renders its template; returns the path and
/// the rendered text (`slipway config render`).
pub fn render(request: &LoadRequest) -> Result<(PathBuf, template::Rendered), ConfigError> {
    let path = match &request.config {
        Some(config) => in_dir(&request.dir, config),
        None => find(&request.dir)?,
    };
    let text = fs_err::read_to_string(&path).map_err(|err| ConfigError::Read {
        path: path.clone(),
        reason: read_failure(&err),
    })?;
    // Text without an action renders to itself; skipping the engine keeps plain configs
    // independent of git and giterminism.
    if !text.contains("{{") {
        return Ok((path, template::Rendered::plain(&text)));
    }
    let rendered = template::render(&path, &text, &request.dir, request.dev, &request.template)?;
    Ok((path, rendered))
}

/// Parses the text of a config file (already rendered); `path` is only used in messages and
/// [`WerfConfig::path`].
pub fn parse(path: &Path, text: &str) -> Result<WerfConfig, ConfigError> {
    let documents = node::read_documents(path, text)?;
    let image_keys = locate::key_pos_in_each(text, "image");
    let mut meta: Option<(meta::Meta, usize)> = None;
    let mut images: Vec<Parsed> = Vec::new();
    for document in &documents {
        let mut fields = Fields {
            file: path,
            text,
            index: document.index,
            section: Section::Document,
        };
        let Node::Map(entries) = &document.node else {
            let Pos { line, column } = fields.node_pos(&[]);
            let found = document.node.kind();
            return Err(ConfigError::NotMapping {
                path: path.to_owned(),
                line,
                column,
                found,
            });
        };
        let has = |keys: &[&str]| entries.iter().any(|(key, _)| keys.contains(&key.as_str()));
        if has(&["image", "dockerfile"]) || has(keys::STAPEL) {
            let line = image_keys
                .get(document.index)
                .copied()
                .flatten()
                .map_or_else(|| fields.node_pos(&[]).line, |pos| pos.line);
            images.extend(image::read(&mut fields, entries, line)?);
        } else if has(keys::META.supported) || has(keys::META.ignored) {
            fields.section = Section::Meta;
            let Pos { line, column } = fields.node_pos(&[]);
            if let Some((_, first_line)) = meta {
                return Err(ConfigError::DuplicateMeta {
                    path: path.to_owned(),
                    line,
                    column,
                    first_line,
                });
            }
            meta = Some((meta::read(&fields, entries)?, line));
        } else {
            let Pos { line, column } = fields.node_pos(&[]);
            return Err(ConfigError::UnknownDocument {
                path: path.to_owned(),
                line,
                column,
            });
        }
    }
    let Some((meta, _)) = meta else {
        return Err(ConfigError::NoMeta {
            path: path.to_owned(),
        });
    };
    check_images(path, text, &images)?;
    Ok(WerfConfig {
        path: path.to_owned(),
        project: meta.project,
        build_cache_version: meta.cache_version,
        images: images.into_iter().map(|parsed| parsed.config).collect(),
    })
}

/// `dir/path`, without a leading "./" when `dir` is the current directory, so messages show
/// paths the way the user would type them.
fn in_dir(dir: &Path, path: &Path) -> PathBuf {
    if dir == Path::new(".") {
        path.to_path_buf()
    } else {
        dir.join(path)
    }
}

fn find(dir: &Path) -> Result<PathBuf, ConfigError> {
    let yaml = in_dir(dir, Path::new("werf.yaml"));
    let yml = in_dir(dir, Path::new("werf.yml"));
    match (yaml.is_file(), yml.is_file()) {
        (true, true) => Err(ConfigError::BothFound { yaml, yml }),
        (true, false) => Ok(yaml),
        (false, true) => Ok(yml),
        (false, false) => Err(ConfigError::NotFound {
            dir: dir.to_owned(),
        }),
    }
}

/// Why the config file could not be read, in words that do not repeat its path.
fn read_failure(err: &std::io::Error) -> String {
    match err.kind() {
        ErrorKind::NotFound => "it does not exist".to_owned(),
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        ErrorKind::IsADirectory => "it is a directory".to_owned(),
        ErrorKind::InvalidData => "it is not UTF-8 text".to_owned(),
        _ => err.to_string(),
    }
}

/// The checks across images: unique names, an unnamed image only alone, dependencies that exist
/// and do not form a cycle.
fn check_images(path: &Path, text: &str, images: &[Parsed]) -> Result<(), ConfigError> {
    let name_pos = |image: &Parsed| locate::node_pos(text, image.doc, &image.name_path());
    if images.len() > 1
        && let Some(unnamed) = images.iter().find(|image| image.config.name.is_unnamed())
    {
        let Pos { line, column } = locate::key_pos(text, unnamed.doc, &[Step::Key("image")]);
        let count = images.len();
        return Err(ConfigError::UnnamedAmongMany {
            path: path.to_owned(),
            line,
            column,
            count,
        });
    }

    let mut by_name: HashMap<&ImageName, usize> = HashMap::with_capacity(images.len());
    for (index, image) in images.iter().enumerate() {
        if let Some(&first) = by_name.get(&image.config.name) {
            let first = name_pos(&images[first]);
            let Pos { line, column } = name_pos(image);
            return Err(ConfigError::DuplicateImage {
                path: path.to_owned(),
                line,
                column,
                image: image.config.name.clone(),
                first_line: first.line,
                first_column: first.column,
            });
        }
        by_name.insert(&image.config.name, index);
    }

    for image in images {
        for (index, dependency) in image.config.dependencies.iter().enumerate() {
            if by_name.contains_key(&dependency.image) {
                continue;
            }
            let names = images.iter().map(|image| image.config.name.as_str());
            let hint = match keys::suggest(dependency.image.as_str(), names) {
                Some(similar) => format!("did you mean \"{similar}\"?"),
                None => format!(
                    "define an image named \"{}\" or remove the dependency",
                    dependency.image
                ),
            };
            let Pos { line, column } =
                locate::node_pos(text, image.doc, &image.dependency_path(index));
            return Err(ConfigError::MissingDependency {
                path: path.to_owned(),
                line,
                column,
                section: Section::Image(image.config.name.to_string()),
                dependency: dependency.image.clone(),
                hint,
            });
        }
    }

    for image in images {
        let Some(stapel) = &image.config.stapel else {
            continue;
        };
        let mut refs: Vec<(Vec<Step>, &ImageName)> = Vec::new();
        if let StapelBase::Config(base) = &stapel.from {
            let key = if locate::raw_scalar(text, image.doc, &[Step::Key("fromImage")]).is_some() {
                "fromImage"
            } else {
                "fromArtifact"
            };
            refs.push((vec![Step::Key(key)], base));
        }
        for (i, import) in stapel.imports.iter().enumerate() {
            refs.push((vec![Step::Key("import"), Step::Index(i)], &import.image));
        }
        for (i, dependency) in stapel.dependencies.iter().enumerate() {
            let at = vec![
                Step::Key("dependencies"),
                Step::Index(i),
                Step::Key("image"),
            ];
            refs.push((at, &dependency.image));
        }
        for (at, name) in refs {
            if by_name.contains_key(name) {
                continue;
            }
            let names = images.iter().map(|image| image.config.name.as_str());
            let hint = match keys::suggest(name.as_str(), names) {
                Some(similar) => format!("did you mean \"{similar}\"?"),
                None => format!("define an image or artifact named \"{name}\""),
            };
            let Pos { line, column } = locate::node_pos(text, image.doc, &at);
            return Err(ConfigError::MissingDependency {
                path: path.to_owned(),
                line,
                column,
                section: Section::Stapel(image.config.name.to_string().into()),
                dependency: name.clone(),
                hint,
            });
        }
    }

    let mut state = vec![Visit::New; images.len()];
    let mut stack = Vec::new();
    for start in 0..images.len() {
        if state[start] != Visit::New {
            continue;
        }
        if let Some((image, dependency, cycle)) =
            find_cycle(start, images, &by_name, &mut state, &mut stack)
        {
            let parsed = &images[image];
            let Pos { line, column } =
                locate::node_pos(text, parsed.doc, &parsed.dependency_path(dependency));
            let names: Vec<&str> = cycle
                .iter()
                .map(|&i| images[i].config.name.as_str())
                .collect();
            return Err(ConfigError::DependencyCycle {
                path: path.to_owned(),
                line,
                column,
                image: parsed.config.name.clone(),
                cycle: names.join(" -> "),
            });
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    InProgress,
    Done,
}

/// Depth-first search from `image`; on a cycle returns the image and dependency index that
/// close it, and the images around it (the first repeated at the end).
fn find_cycle(
    image: usize,
    images: &[Parsed],
    by_name: &HashMap<&ImageName, usize>,
    state: &mut [Visit],
    stack: &mut Vec<usize>,
) -> Option<(usize, usize, Vec<usize>)> {
    state[image] = Visit::InProgress;
    stack.push(image);
    for (index, dependency) in images[image].config.dependencies.iter().enumerate() {
        let Some(&next) = by_name.get(&dependency.image) else {
            continue;
        };
        match state[next] {
            Visit::InProgress => {
                let start = stack.iter().position(|&i| i == next).unwrap_or(0);
                let mut cycle = stack[start..].to_vec();
                cycle.push(next);
                return Some((image, index, cycle));
            }
            Visit::New => {
                if let Some(found) = find_cycle(next, images, by_name, state, stack) {
                    return Some(found);
                }
            }
            Visit::Done => {}
        }
    }
    stack.pop();
    state[image] = Visit::Done;
    None
}
