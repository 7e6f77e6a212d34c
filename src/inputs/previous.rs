//! Finding the inputs of an image's most recent published build: stage tags newest first,
//! each one's label read from its config (a manifest and a config blob, never layers).

use std::collections::HashMap;
use std::sync::Mutex;

use super::{DigestInputs, LABEL};
use crate::registry::{ImageRef, RegistryClient, RegistryError, RepoName, Tag};
use crate::storage::StageIndex;

/// How many of a repo's newest stages are read before giving up on finding an earlier build.
pub const LOOKBACK: usize = 30;

/// Where an earlier build was looked for, and what was found.
#[derive(Debug, Clone)]
pub enum Previous {
    Found {
        reference: String,
        inputs: Box<DigestInputs>,
    },
    /// No stage of the image among the newest `LOOKBACK` (or all) stages.
    NotFound { looked_at: usize, all: bool },
}

/// Labels already read in this run, by reference (several images scan the same tags).
#[derive(Default)]
pub struct LabelCache {
    read: Mutex<HashMap<String, Option<DigestInputs>>>,
}

impl LabelCache {
    /// The inputs recorded on `repo:tag`; None for images without slipway's label.
    pub async fn inputs(
        &self,
        registry: &RegistryClient,
        repo: &RepoName,
        tag: &Tag,
    ) -> Result<Option<DigestInputs>, RegistryError> {
        let image = ImageRef::new(repo.clone(), tag.clone());
        let key = image.to_string();
        if let Some(found) = self.lock().get(&key) {
            return Ok(found.clone());
        }
        let inputs = registry
            .labels(&image)
            .await?
            .and_then(|labels| labels.get(LABEL).and_then(|v| DigestInputs::from_label(v)));
        self.lock().insert(key, inputs.clone());
        Ok(inputs)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<DigestInputs>>> {
        self.read.lock().expect("the label cache is not poisoned")
    }
}

/// The newest stage in `index` whose recorded inputs belong to `image`.
pub async fn newest_build(
    registry: &RegistryClient,
    cache: &LabelCache,
    repo: &RepoName,
    index: &StageIndex,
    image: &str,
) -> Result<Previous, RegistryError> {
    let stages = index.newest_first();
    let all = stages.len() <= LOOKBACK;
    let mut looked_at = 0;
    for stage in stages.into_iter().take(LOOKBACK) {
        looked_at += 1;
        let Ok(tag) = Tag::parse(&stage.to_string()) else {
            continue;
        };
        if let Some(inputs) = cache.inputs(registry, repo, &tag).await?
            && inputs.image == image
        {
            return Ok(Previous::Found {
                reference: format!("{repo}:{tag}"),
                inputs: Box::new(inputs),
            });
        }
    }
    Ok(Previous::NotFound { looked_at, all })
}

/// The reasons for building `new`, given what was found earlier.
pub fn explain(previous: &Previous, new: &DigestInputs) -> Vec<String> {
    match previous {
        Previous::Found { inputs, .. } => super::reasons(Some(inputs), new),
        Previous::NotFound { all: true, .. } => super::reasons(None, new),
        Previous::NotFound { looked_at, .. } => vec![format!(
            "no earlier build of this image among the repo's {looked_at} most recent stages"
        )],
    }
}
