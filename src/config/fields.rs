//! Typed reads of the nodes of one werf.yaml document, turning a wrong type or an unknown key into
//! a [`ConfigError`] at the node's position.

use std::path::Path;

use super::error::{ConfigError, Section};
use super::keys;
use super::locate::{self, Pos, Step};
use super::node::Node;

/// One document being read, and the section errors are reported in.
pub(super) struct Fields<'a> {
    pub file: &'a Path,
    pub text: &'a str,
    /// The document's index in the YAML stream.
    pub index: usize,
    pub section: Section,
}

impl Fields<'_> {
    pub(super) fn node_pos(&self, at: &[Step]) -> Pos {
        locate::node_pos(self.text, self.index, at)
    }

    pub(super) fn key_pos(&self, at: &[Step]) -> Pos {
        locate::key_pos(self.text, self.index, at)
    }

    /// A scalar as text, as werf reads string fields: numbers and booleans as written, `~` or
    /// nothing as `None`.
    pub(super) fn scalar(&self, node: &Node, at: &[Step]) -> Result<Option<String>, ConfigError> {
        match node {
            Node::Null => Ok(None),
            Node::Str(s) => Ok(Some(s.clone())),
            Node::Number(fallback) => Ok(Some(
                locate::raw_scalar(self.text, self.index, at).unwrap_or_else(|| fallback.clone()),
            )),
            Node::Bool(b) => Ok(Some(
                locate::raw_scalar(self.text, self.index, at).unwrap_or_else(|| b.to_string()),
            )),
            Node::Seq(_) | Node::Map(_) => Err(self.wrong_type(node, at, "a single value")),
        }
    }

    /// A non-empty scalar, or `None` when it is absent, `~` or `""`.
    pub(super) fn text(&self, node: &Node, at: &[Step]) -> Result<Option<String>, ConfigError> {
        Ok(self.scalar(node, at)?.filter(|s| !s.is_empty()))
    }

    pub(super) fn boolean(&self, node: &Node, at: &[Step]) -> Result<Option<bool>, ConfigError> {
        match node {
            Node::Null => Ok(None),
            Node::Bool(b) => Ok(Some(*b)),
            _ => Err(self.wrong_type(node, at, "true or false")),
        }
    }

    /// The entries of a mapping; `~` or nothing reads as an empty mapping.
    pub(super) fn mapping<'n>(
        &self,
        node: &'n Node,
        at: &[Step],
    ) -> Result<&'n [(String, Node)], ConfigError> {
        match node {
            Node::Null => Ok(&[]),
            Node::Map(entries) => Ok(entries),
            _ => Err(self.wrong_type(node, at, "a mapping")),
        }
    }

    /// The items of a list; `~` or nothing reads as an empty list.
    pub(super) fn list<'n>(&self, node: &'n Node, at: &[Step]) -> Result<&'n [Node], ConfigError> {
        match node {
            Node::Null => Ok(&[]),
            Node::Seq(items) => Ok(items),
            _ => Err(self.wrong_type(node, at, "a list")),
        }
    }

    /// A list of strings, or a single string standing for a list of one (as werf allows).
    pub(super) fn strings(&self, node: &Node, at: &[Step]) -> Result<Vec<String>, ConfigError> {
        let expected = "a string or a list of strings";
        let Node::Seq(items) = node else {
            return match node {
                Node::Map(_) => Err(self.wrong_type(node, at, expected)),
                _ => Ok(self.scalar(node, at)?.into_iter().collect()),
            };
        };
        let mut out = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let item_at = extend(at, Step::Index(i));
            match self.scalar(item, &item_at) {
                Ok(Some(s)) => out.push(s),
                _ => return Err(self.wrong_type(item, &item_at, "a string")),
            }
        }
        Ok(out)
    }

    /// A required key that is absent or empty, reported at `pos`.
    pub(super) fn missing(&self, pos: Pos, key: String) -> ConfigError {
        ConfigError::MissingKey {
            path: self.file.to_owned(),
            line: pos.line,
            column: pos.column,
            section: self.section.clone(),
            key,
        }
    }

    pub(super) fn wrong_type(
        &self,
        node: &Node,
        at: &[Step],
        expected: &'static str,
    ) -> ConfigError {
        let Pos { line, column } = self.node_pos(at);
        ConfigError::WrongType {
            path: self.file.to_owned(),
            line,
            column,
            section: self.section.clone(),
            key: locate::dotted(at),
            expected,
            found: node.kind(),
        }
    }

    /// Rejects keys that are unknown, Stapel-only or not supported by slipway, in file order.
    pub(super) fn check_keys(
        &self,
        entries: &[(String, Node)],
        at: &[Step],
    ) -> Result<(), ConfigError> {
        let parent = locate::dotted(at);
        let known = keys::table(&self.section, &parent);
        let Some((key, _)) = entries.iter().find(|(key, _)| !known.accepts(key)) else {
            return Ok(());
        };
        let key_at = extend(at, Step::Key(key));
        let Pos { line, column } = self.key_pos(&key_at);
        let (path, section) = (self.file.to_owned(), self.section.clone());
        Err(if known.unsupported.contains(&key.as_str()) {
            let key = locate::dotted(&key_at);
            ConfigError::Unsupported {
                path,
                line,
                column,
                section,
                key,
            }
        } else {
            ConfigError::UnknownKey {
                path,
                line,
                column,
                section,
                parent,
                key: key.clone(),
            }
        })
    }
}

/// `at` with one more step.
pub(super) fn extend<'a>(at: &[Step<'a>], step: Step<'a>) -> Vec<Step<'a>> {
    let mut out = Vec::with_capacity(at.len() + 1);
    out.extend_from_slice(at);
    out.push(step);
    out
}
