//! Reads the YAML documents of werf.yaml into plain trees with string keys in file order,
//! rejecting what werf.yaml never needs (duplicate keys, non-string keys, tags) at its position.

use std::cell::Cell;
use std::fmt;
use std::path::Path;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_yaml_ng::Deserializer;

use super::error::ConfigError;

/// A YAML node. Numbers keep serde's rendering only as a fallback: callers that need the text as
/// written ask [`super::locate::raw_scalar`].
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node {
    Null,
    Bool(bool),
    Number(String),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    /// How messages describe the kind of this node.
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Node::Null => "empty",
            Node::Bool(_) => "a boolean",
            Node::Number(_) => "a number",
            Node::Str(_) => "a string",
            Node::Seq(_) => "a list",
            Node::Map(_) => "a mapping",
        }
    }
}

/// A non-empty document and its index in the YAML stream (empty documents count too).
#[derive(Debug)]
pub(super) struct Document {
    pub index: usize,
    pub node: Node,
}

/// Reads every document; empty ones (nothing but comments, or `~`) are left out.
pub(super) fn read_documents(path: &Path, text: &str) -> Result<Vec<Document>, ConfigError> {
    let mut documents = Vec::new();
    for (index, document) in Deserializer::from_str(text).enumerate() {
        let problem = Cell::new(None);
        let seed = NodeSeed {
            problem: &problem,
            at: String::new(),
        };
        match seed.deserialize(document) {
            Ok(Node::Null) => {}
            Ok(node) => documents.push(Document { index, node }),
            Err(err) => return Err(to_config_error(path, &err, problem.take())),
        }
    }
    Ok(documents)
}

/// What our visitors rejected; the serde error only carries the position.
#[derive(Debug)]
enum Problem {
    DuplicateKey { key: String, parent: String },
    NonStringKey { parent: String },
    Tag,
    BadMerge,
}

fn to_config_error(
    path: &Path,
    err: &serde_yaml_ng::Error,
    problem: Option<Problem>,
) -> ConfigError {
    let (line, column) = err.location().map_or((1, 1), |l| (l.line(), l.column()));
    let path = path.to_owned();
    match problem {
        Some(Problem::DuplicateKey { key, parent }) => ConfigError::DuplicateKey {
            path,
            line,
            column,
            key,
            parent,
        },
        Some(Problem::NonStringKey { parent }) => ConfigError::NonStringKey {
            path,
            line,
            column,
            parent,
        },
        Some(Problem::Tag) => ConfigError::Tag { path, line, column },
        Some(Problem::BadMerge) => ConfigError::BadMerge { path, line, column },
        None => {
            // The position goes in front of our message, so drop serde_yaml_ng's copy of it.
            let message =
                err.to_string()
                    .replacen(&format!(" at line {line} column {column}"), "", 1);
            ConfigError::Syntax {
                path,
                line,
                column,
                message,
            }
        }
    }
}

struct NodeSeed<'p> {
    problem: &'p Cell<Option<Problem>>,
    /// The YAML path of this node, for messages.
    at: String,
}

impl NodeSeed<'_> {
    fn fail<E: de::Error>(&self, problem: Problem) -> E {
        self.problem.set(Some(problem));
        E::custom("rejected by slipway")
    }

    fn child(&self, step: fmt::Arguments) -> NodeSeed<'_> {
        NodeSeed {
            problem: self.problem,
            at: format!("{}{step}", self.at),
        }
    }
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Node;

    fn deserialize<D: de::Deserializer<'de>>(self, de: D) -> Result<Node, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    /// An empty stream reads as a document with no node at all.
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<Node, A::Error> {
        Err(self.fail(Problem::Tag))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) =
            seq.next_element_seed(self.child(format_args!("[{}]", items.len())))?
        {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries: Vec<(String, Node)> = Vec::new();
        let mut merges = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed {
            seed: &self,
            entries: &entries,
        })? {
            let separator = if self.at.is_empty() { "" } else { "." };
            let value = map.next_value_seed(self.child(format_args!("{separator}{key}")))?;
            if key == "<<" {
                merges.push(value);
            } else {
                entries.push((key, value));
            }
        }
        // YAML merge keys (which werf's YAML library honours): explicit keys win, then earlier
        // merge sources over later ones.
        for merge in merges {
            let sources = match merge {
                Node::Map(source) => vec![source],
                Node::Seq(items) => {
                    let mut sources = Vec::new();
                    for item in items {
                        match item {
                            Node::Map(source) => sources.push(source),
                            _ => return Err(self.fail(Problem::BadMerge)),
                        }
                    }
                    sources
                }
                _ => return Err(self.fail(Problem::BadMerge)),
            };
            for (key, value) in sources.into_iter().flatten() {
                if !entries.iter().any(|(existing, _)| *existing == key) {
                    entries.push((key, value));
                }
            }
        }
        Ok(Node::Map(entries))
    }
}

/// Reads a mapping key, rejecting non-strings and keys already seen in this mapping.
struct KeySeed<'s, 'p> {
    seed: &'s NodeSeed<'p>,
    entries: &'s [(String, Node)],
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_, '_> {
    type Value = String;

    fn deserialize<D: de::Deserializer<'de>>(self, de: D) -> Result<String, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_, '_> {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        if self.entries.iter().any(|(key, _)| key == v) {
            let parent = self.seed.at.clone();
            return Err(self.seed.fail(Problem::DuplicateKey {
                key: v.to_owned(),
                parent,
            }));
        }
        Ok(v.to_owned())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<String, E> {
        Err(self.non_string())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<String, E> {
        Err(self.non_string())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<String, E> {
        Err(self.non_string())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<String, E> {
        Err(self.non_string())
    }

    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Err(self.non_string())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(self.non_string())
    }

    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(self.non_string())
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<String, A::Error> {
        Err(self.seed.fail(Problem::Tag))
    }
}

impl KeySeed<'_, '_> {
    fn non_string<E: de::Error>(&self) -> E {
        self.seed.fail(Problem::NonStringKey {
            parent: self.seed.at.clone(),
        })
    }
}
