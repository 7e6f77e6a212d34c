//! Digest inputs: what an image's digest was computed from (context file paths and blob ids,
//! instruction hashes, build args, dependencies' digests), recorded on every published image as
//! the `slipway.digest-inputs` label so a later build can say why it rebuilt. Paths, ids and
//! hashes only: never a file's content.

pub mod previous;
mod reasons;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::context::{ContextFile, FileId, join};
use crate::digest::FileUse;
use crate::names::{Digest, ImageName};
use crate::plan::PlannedImage;

pub use reasons::{FIRST_BUILD, reasons};

/// The image label that carries the inputs.
pub const LABEL: &str = "slipway.digest-inputs";

/// Above this many bytes the per-file list is left out of the label (only its hash stays):
/// buildah passes labels as command-line arguments, which Linux caps at 128 KiB each, and the
/// Docker engine API takes them in the request's query string.
pub const MAX_LABEL_BYTES: usize = 60_000;

/// What planning keeps of an image's digest inputs: cheap to collect (indices into the
/// context, no per-file strings), expanded into [`DigestInputs`] only for images that build or
/// are explained.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// Every context file the digest hashed, with the instruction that reads it.
    pub file_uses: Vec<FileUse>,
    /// `contextAddFiles`, hashed on their own.
    pub add_files: Vec<ContextFile>,
    /// `(start line, text as written)` of the instructions of the stages the target needs,
    /// global `ARG`s included.
    pub instructions: Vec<(usize, String)>,
    /// werf.yaml args that an `ARG` of a needed stage declares.
    pub args: BTreeMap<String, String>,
    pub dependencies: BTreeMap<ImageName, Digest>,
    pub cache_versions: Vec<String>,
    pub add_host: Vec<String>,
    pub syntax: Option<String>,
    pub platform: String,
    /// Hash of the image's werf.yaml settings.
    pub werf_section: String,
    /// Hash of the whole Dockerfile as read.
    pub dockerfile_sha256: String,
}

/// The recorded inputs of one image, as stored in its label.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DigestInputs {
    /// slipway's digest format version.
    pub format: String,
    pub image: String,
    pub dockerfile: String,
    pub dockerfile_sha256: String,
    #[serde(default)]
    pub target: Option<String>,
    /// `(start line, hash of the text)` per instruction of the needed stages.
    #[serde(default)]
    pub instructions: Vec<(usize, String)>,
    #[serde(default)]
    pub args: BTreeMap<String, String>,
    /// Project-relative path → short blob id (`:mode` appended unless 100644); left out when
    /// too large for a label, `files_digest` still tells whether any changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub files_digest: String,
    #[serde(default)]
    pub file_count: usize,
    #[serde(default)]
    pub werf_section: String,
    /// Image name → digest.
    #[serde(default)]
    pub dependencies: BTreeMap<String, String>,
    #[serde(default)]
    pub cache_versions: Vec<String>,
    #[serde(default)]
    pub add_host: Vec<String>,
    #[serde(default)]
    pub platform: String,
    #[serde(default)]
    pub syntax: Option<String>,
    /// Local only: which instruction (start line) first reads each file.
    #[serde(skip)]
    pub used_by: BTreeMap<String, usize>,
    /// Local only: the text of each instruction, by start line.
    #[serde(skip)]
    pub instruction_text: BTreeMap<usize, String>,
}

impl DigestInputs {
    /// The inputs of a planned image, from exactly what its digest hashed.
    pub fn of(image: &PlannedImage) -> Self {
        let spec = &image.build;
        let r = &spec.recorded;
        let mut files = BTreeMap::new();
        let mut used_by = BTreeMap::new();
        for u in &r.file_uses {
            let f = &spec.context.files[u.file];
            let path = join(&spec.context_dir, &f.path);
            used_by.entry(path.clone()).or_insert(u.line);
            files.entry(path).or_insert_with(|| file_id(f));
        }
        for f in &r.add_files {
            files.insert(join(&spec.context_dir, &f.path), file_id(f));
        }
        let mut h = Sha256::new();
        for (path, id) in &files {
            h.update(path.as_bytes());
            h.update([0]);
            h.update(id.as_bytes());
            h.update([0]);
        }
        Self {
            format: crate::digest::FORMAT.to_owned(),
            image: image.name.to_string(),
            dockerfile: image.dockerfile.clone(),
            dockerfile_sha256: r.dockerfile_sha256.clone(),
            target: spec.target.clone(),
            instructions: r
                .instructions
                .iter()
                .map(|(line, text)| (*line, short_hash(text.as_bytes())))
                .collect(),
            args: r.args.clone(),
            file_count: files.len(),
            files_digest: crate::digest::hex(&h.finalize().into())[..16].to_owned(),
            files: Some(files),
            werf_section: r.werf_section.clone(),
            dependencies: r
                .dependencies
                .iter()
                .map(|(n, d)| (n.to_string(), d.to_string()))
                .collect(),
            cache_versions: r.cache_versions.clone(),
            add_host: r.add_host.clone(),
            platform: r.platform.clone(),
            syntax: r.syntax.clone(),
            used_by,
            instruction_text: r.instructions.iter().cloned().collect(),
        }
    }

    /// The label value: compact JSON, without the per-file list when that would not fit.
    pub fn to_label(&self) -> String {
        let full = serde_json::to_string(self).expect("digest inputs serialize");
        if full.len() <= MAX_LABEL_BYTES {
            return full;
        }
        let mut small = self.clone();
        small.files = None;
        serde_json::to_string(&small).expect("digest inputs serialize")
    }

    /// Reads a label value; None when it is not slipway's.
    pub fn from_label(value: &str) -> Option<Self> {
        serde_json::from_str(value).ok()
    }
}

/// `abcdef012345` (12 hex of the blob id or SHA-256), `:100755` appended for other modes.
fn file_id(f: &ContextFile) -> String {
    let id = match &f.id {
        FileId::Blob(oid) => oid.to_string()[..12].to_owned(),
        FileId::Sha256(bytes) => crate::digest::hex(bytes)[..12].to_owned(),
    };
    if f.mode == 0o100644 {
        id
    } else {
        format!("{id}:{:o}", f.mode)
    }
}

/// 16 hex of SHA-256: enough to tell two versions apart, short enough for a label.
pub fn short_hash(bytes: &[u8]) -> String {
    let digest: [u8; 32] = Sha256::digest(bytes).into();
    crate::digest::hex(&digest)[..16].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_files(n: usize) -> DigestInputs {
        DigestInputs {
            format: crate::digest::FORMAT.to_owned(),
            image: "app".to_owned(),
            files: Some(
                (0..n)
                    .map(|i| (format!("src/file-{i:06}.txt"), "0123456789ab".to_owned()))
                    .collect(),
            ),
            files_digest: "f00d".to_owned(),
            file_count: n,
            ..DigestInputs::default()
        }
    }

    #[test]
    fn label_round_trip_and_size_cap() {
        let small = with_files(3);
        let label = small.to_label();
        assert_eq!(DigestInputs::from_label(&label), Some(small));
        assert!(
            label.contains("\"src/file-000001.txt\":\"0123456789ab\""),
            "{label}"
        );

        // 100,000 files do not fit: only their count and hash stay.
        let large = with_files(100_000);
        let label = large.to_label();
        assert!(label.len() <= MAX_LABEL_BYTES, "{}", label.len());
        let read = DigestInputs::from_label(&label).unwrap();
        assert_eq!(read.files, None);
        assert_eq!(read.file_count, 100_000);
        assert_eq!(read.files_digest, "f00d");
        assert_eq!(DigestInputs::from_label("not json"), None);
    }

    #[test]
    fn file_ids_are_short_with_unusual_modes() {
        let oid = git2::Oid::from_str("1a2b3c4d5e6f708192a3b4c5d6e7f80912345678").unwrap();
        let file = |mode| ContextFile {
            path: "a".to_owned(),
            mode,
            id: FileId::Blob(oid),
        };
        assert_eq!(file_id(&file(0o100644)), "1a2b3c4d5e6f");
        assert_eq!(file_id(&file(0o100755)), "1a2b3c4d5e6f:100755");
        assert_eq!(file_id(&file(0o120000)), "1a2b3c4d5e6f:120000");
    }
}
