//! Reads the meta section of werf.yaml: `project`, `configVersion` and `build.cacheVersion`.

use crate::names::ProjectName;

use super::error::ConfigError;
use super::fields::Fields;
use super::locate::{Pos, Step};
use super::node::Node;

pub(super) struct Meta {
    pub project: ProjectName,
    pub cache_version: Option<String>,
}

pub(super) fn read(fields: &Fields, entries: &[(String, Node)]) -> Result<Meta, ConfigError> {
    fields.check_keys(entries, &[])?;
    let mut project = None;
    let mut has_version = false;
    let mut cache_version = None;
    for (key, node) in entries {
        match key.as_str() {
            "configVersion" => {
                check_version(fields, node)?;
                has_version = true;
            }
            "project" => project = Some(read_project(fields, node)?),
            "build" => {
                let at = [Step::Key("build")];
                let build = fields.mapping(node, &at)?;
                fields.check_keys(build, &at)?;
                for (key, node) in build {
                    if key == "cacheVersion" {
                        let at = [Step::Key("build"), Step::Key("cacheVersion")];
                        cache_version = fields.text(node, &at)?;
                    }
                }
            }
            _ => {}
        }
    }
    if !has_version {
        return Err(missing(fields, "configVersion"));
    }
    match project {
        Some(project) => Ok(Meta {
            project,
            cache_version,
        }),
        None => Err(missing(fields, "project")),
    }
}

fn check_version(fields: &Fields, node: &Node) -> Result<(), ConfigError> {
    let at = [Step::Key("configVersion")];
    let found = match node {
        Node::Number(_) | Node::Bool(_) => {
            let raw = fields.scalar(node, &at)?.unwrap_or_default();
            if raw == "1" && matches!(node, Node::Number(_)) {
                return Ok(());
            }
            raw
        }
        Node::Str(s) => format!("{s:?}"),
        other => other.kind().to_owned(),
    };
    let Pos { line, column } = fields.node_pos(&at);
    Err(ConfigError::ConfigVersion {
        path: fields.file.to_owned(),
        line,
        column,
        found,
    })
}

fn read_project(fields: &Fields, node: &Node) -> Result<ProjectName, ConfigError> {
    let at = [Step::Key("project")];
    let Some(name) = fields.text(node, &at)? else {
        return Err(fields.missing(fields.key_pos(&at), "project".to_owned()));
    };
    ProjectName::parse(&name).map_err(|reason| {
        let Pos { line, column } = fields.node_pos(&at);
        ConfigError::BadProjectName {
            path: fields.file.to_owned(),
            line,
            column,
            reason,
        }
    })
}

/// A required key absent from the meta section, reported where the section starts.
fn missing(fields: &Fields, key: &str) -> ConfigError {
    fields.missing(fields.node_pos(&[]), key.to_owned())
}
