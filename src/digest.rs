//! Stage content digests: SHA-256 over the target stage and every stage it needs (hashed as a
//! Merkle tree, so unrelated stages and stage names never count), the context files each
//! instruction really reads, and the image's own build settings.

use std::collections::BTreeMap;

use sha2::{Digest as _, Sha256};

use crate::context::dockerignore::Dockerignore;
use crate::context::sources::{has_wildcards, select};
use crate::context::{BuildContext, ContextFile, FileId, clean};
use crate::dockerfile::stages::{Analysis, Base};
use crate::names::Digest;

/// Bumped whenever the digest inputs or their encoding change, so old tags are not reused.
pub const FORMAT: &str = "slipway-stage-digest-v1";

/// Length-prefixed fields, so that no two different input lists hash alike.
struct Hasher(Sha256);

impl Hasher {
    fn new(kind: &str) -> Self {
        let mut h = Self(Sha256::new());
        h.field(kind);
        h
    }

    fn field(&mut self, value: &str) {
        self.0.update((value.len() as u64).to_le_bytes());
        self.0.update(value.as_bytes());
    }

    /// Raw bytes, no formatting: this runs once per context file (100,000 times for a large
    /// `COPY . .`).
    fn file(&mut self, f: &ContextFile) {
        self.field(&f.path);
        self.0.update(f.mode.to_le_bytes());
        match &f.id {
            FileId::Blob(oid) => {
                self.0.update(b"g");
                self.0.update(oid.as_bytes());
            }
            FileId::Sha256(bytes) => {
                self.0.update(b"s");
                self.0.update(bytes);
            }
        }
    }

    fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

/// A context source that selected nothing although it names a plain path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingSource {
    pub line: usize,
    pub source: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DigestError {
    #[error("line {line}: {source}")]
    BadPattern {
        line: usize,
        source: crate::context::glob::BadPattern,
    },
    #[error("line {line}: invalid --exclude pattern: {message}")]
    BadExclude { line: usize, message: String },
    #[error("line {}: {:?} is not in the build context", .0.line, .0.source)]
    Missing(MissingSource),
}

/// One context file hashed into a stage digest: recorded while hashing, so the digest inputs
/// recorded on an image list exactly the files its digest covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileUse {
    /// Index into the context's (sorted) file list.
    pub file: usize,
    /// Start line of the instruction that reads it.
    pub line: usize,
}

/// Stage index → digest, and every context file hashed (in hashing order).
pub type StageDigests = (BTreeMap<usize, [u8; 32]>, Vec<FileUse>);

/// Digests of the stages of one analysis, and every context file they read (in hashing order).
pub fn stage_digests(
    analysis: &Analysis,
    stages: &[usize],
    context: &BuildContext,
) -> Result<StageDigests, DigestError> {
    let mut done: BTreeMap<usize, [u8; 32]> = BTreeMap::new();
    let mut uses = Vec::new();
    let base = context.files.as_ptr().addr();
    let size = std::mem::size_of::<ContextFile>().max(1);
    // `stages` is sorted and every reference points to an earlier stage, so one pass suffices.
    for &i in stages {
        let stage = &analysis.stages[i];
        let mut h = Hasher::new("stage");
        match &stage.base {
            Base::Scratch => h.field("scratch"),
            Base::Image(image) => {
                h.field("image");
                h.field(image);
            }
            Base::Stage(b) => {
                h.field("stage");
                h.field(&hex(&done[b]));
            }
        }
        for step in &stage.steps {
            h.field("step");
            h.field(&step.text);
            for s in &step.stages {
                h.field(&hex(&done[s]));
            }
            for used in &step.context {
                let excludes = if used.excludes.is_empty() {
                    None
                } else {
                    Some(Dockerignore::parse(&used.excludes.join("\n")).map_err(|e| {
                        DigestError::BadExclude {
                            line: step.line,
                            message: e.to_string(),
                        }
                    })?)
                };
                for source in &used.sources {
                    let files =
                        select(&context.files, source, excludes.as_ref()).map_err(|source| {
                            DigestError::BadPattern {
                                line: step.line,
                                source,
                            }
                        })?;
                    if files.is_empty() && !has_wildcards(source) && !clean(source).is_empty() {
                        return Err(DigestError::Missing(MissingSource {
                            line: step.line,
                            source: source.clone(),
                        }));
                    }
                    h.field("files");
                    h.field(&files.len().to_string());
                    for f in files {
                        h.file(f);
                        // `select` hands out references into `context.files`.
                        uses.push(FileUse {
                            file: (std::ptr::from_ref(f).addr() - base) / size,
                            line: step.line,
                        });
                    }
                }
            }
        }
        done.insert(i, h.finish());
    }
    Ok((done, uses))
}

/// Everything besides the target stage that makes an image's content.
#[derive(Debug, Clone, Default)]
pub struct ImageInputs<'a> {
    pub syntax: Option<&'a str>,
    pub platform: String,
    pub add_host: Vec<String>,
    pub cache_versions: Vec<String>,
    /// Working-tree files added to the context (`contextAddFiles`).
    pub add_files: Vec<ContextFile>,
    /// Images this one depends on, with what it imports from each (`kind:targetBuildArg`).
    pub dependencies: Vec<(Digest, Vec<String>)>,
}

/// The digest of an image whose target stage hashes to `target`.
pub fn image_digest(target: &[u8; 32], inputs: &ImageInputs<'_>) -> Digest {
    let mut h = Hasher::new(FORMAT);
    h.field("syntax");
    h.field(inputs.syntax.unwrap_or(""));
    h.field("platform");
    h.field(&inputs.platform);
    h.field("target");
    h.field(&hex(target));
    let mut hosts = inputs.add_host.clone();
    hosts.sort();
    for host in &hosts {
        h.field("add-host");
        h.field(host);
    }
    for v in &inputs.cache_versions {
        h.field("cache-version");
        h.field(v);
    }
    for f in &inputs.add_files {
        h.field("add-file");
        h.file(f);
    }
    let mut deps = inputs.dependencies.clone();
    deps.sort();
    for (digest, imports) in &deps {
        h.field("dependency");
        h.field(digest.as_str());
        for import in imports {
            h.field(import);
        }
    }
    Digest::from_sha256(&h.finish())
}

pub fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
