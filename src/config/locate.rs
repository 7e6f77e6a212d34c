//! Finds where a node of a werf.yaml document is, and the text of a scalar as written.
//! serde_yaml_ng reports positions only on errors, so a query re-reads the document and stops
//! with a marker error at the wanted node; the error's location is the node's exact position.

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_yaml_ng::Deserializer;

/// One step of a path from a document's root to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Pos {
    pub line: usize,
    pub column: usize,
}

/// Renders a path the way messages show it: `dependencies[0].imports[1].type`.
pub(super) fn dotted(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Where the node at `path` of document `doc` (its index in the YAML stream) starts. A node that
/// cannot be walked to (a key merged in with `<<`) is reported at its closest ancestor.
pub(super) fn node_pos(text: &str, doc: usize, path: &[Step]) -> Pos {
    for len in (0..=path.len()).rev() {
        if let Err(Some(pos)) = walk(text, doc, &path[..len], Goal::Node) {
            return pos;
        }
    }
    Pos { line: 1, column: 1 }
}

/// Where the key that ends `path` is written (for a path ending in an index: the node itself).
pub(super) fn key_pos(text: &str, doc: usize, path: &[Step]) -> Pos {
    match walk(text, doc, path, Goal::Key) {
        Err(Some(pos)) => pos,
        _ => node_pos(text, doc, path),
    }
}

/// The scalar at `path` exactly as written (`1.10` stays `1.10`), if the path can be walked.
pub(super) fn raw_scalar(text: &str, doc: usize, path: &[Step]) -> Option<String> {
    walk(text, doc, path, Goal::Raw).ok().flatten()
}

/// For every document of the stream, where its top-level `key` is written, if it has one.
pub(super) fn key_pos_in_each(text: &str, key: &str) -> Vec<Option<Pos>> {
    let path = [Step::Key(key)];
    Deserializer::from_str(text)
        .map(|document| match run(document, &path, Goal::Key) {
            Err(Some(pos)) => Some(pos),
            _ => None,
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Goal {
    Key,
    Node,
    Raw,
}

/// The marker that tells our stop apart from a real error; it ends up in the error's message.
const MARKER: &str = "slipway-locate-stop";

/// `Ok` carries a raw scalar (or nothing), `Err` the position of a stop (`None`: no stop happened).
fn walk(text: &str, doc: usize, path: &[Step], goal: Goal) -> Result<Option<String>, Option<Pos>> {
    match Deserializer::from_str(text).nth(doc) {
        Some(document) => run(document, path, goal),
        None => Err(None),
    }
}

fn run(document: Deserializer, path: &[Step], goal: Goal) -> Result<Option<String>, Option<Pos>> {
    match (Walk { path, goal }).deserialize(document) {
        Ok(raw) => Ok(raw),
        Err(err) if err.to_string().contains(MARKER) => Err(err.location().map(|location| Pos {
            line: location.line(),
            column: location.column(),
        })),
        Err(_) => Err(None),
    }
}

struct Walk<'p> {
    path: &'p [Step<'p>],
    goal: Goal,
}

impl<'de> DeserializeSeed<'de> for Walk<'_> {
    type Value = Option<String>;

    fn deserialize<D: de::Deserializer<'de>>(self, de: D) -> Result<Self::Value, D::Error> {
        match self.path.split_first() {
            None if self.goal == Goal::Raw => de.deserialize_str(RawText).map(Some),
            None => de.deserialize_any(Stop).map(|()| None),
            Some((Step::Key(key), rest)) => de.deserialize_map(InMap {
                key,
                rest,
                goal: self.goal,
            }),
            Some((Step::Index(index), rest)) => de.deserialize_seq(InSeq {
                index: *index,
                rest,
                goal: self.goal,
            }),
        }
    }
}

/// Fails on whatever node it is given: serde's invalid-type error quotes `expecting`, so the
/// marker reaches the message, and serde_yaml_ng stamps the node's position on it.
struct Stop;

impl Visitor<'_> for Stop {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(MARKER)
    }
}

struct RawText;

impl Visitor<'_> for RawText {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a scalar")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
}

struct InMap<'p> {
    key: &'p str,
    rest: &'p [Step<'p>],
    goal: Goal,
}

impl<'de> Visitor<'de> for InMap<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let stop_at_key = self.rest.is_empty() && self.goal == Goal::Key;
        let mut found = None;
        while let Some(hit) = map.next_key_seed(KeyMatch {
            key: self.key,
            stop: stop_at_key,
        })? {
            if hit {
                found = map.next_value_seed(Walk {
                    path: self.rest,
                    goal: self.goal,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }
}

struct InSeq<'p> {
    index: usize,
    rest: &'p [Step<'p>],
    goal: Goal,
}

impl<'de> Visitor<'de> for InSeq<'_> {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        let mut index = 0;
        loop {
            if index == self.index {
                match seq.next_element_seed(Walk {
                    path: self.rest,
                    goal: self.goal,
                })? {
                    Some(raw) => found = raw,
                    None => break,
                }
            } else if seq.next_element::<IgnoredAny>()?.is_none() {
                break;
            }
            index += 1;
        }
        Ok(found)
    }
}

/// Reads a mapping key: `true` when it is the wanted one, or a stop there when `stop` is set.
struct KeyMatch<'p> {
    key: &'p str,
    stop: bool,
}

impl<'de> DeserializeSeed<'de> for KeyMatch<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, de: D) -> Result<bool, D::Error> {
        de.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeyMatch<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping key")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
        if v != self.key {
            Ok(false)
        } else if self.stop {
            Err(E::custom(MARKER))
        } else {
            Ok(true)
        }
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }

    fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
        Ok(false)
    }
}
