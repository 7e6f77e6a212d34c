//! Stage naming and lookup: a stage is published as `<digest>-<unix ms>` and never overwritten;
//! looking a digest up means listing a repo's tags once and picking the oldest publication.

use std::collections::HashMap;
use std::fmt;

use crate::names::Digest;

/// A stage's tag: its content digest and when it was published.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StageTag {
    pub digest: Digest,
    /// Unix time of publication in milliseconds (UTC).
    pub published_ms: u64,
}

impl StageTag {
    /// Parses `<56 hex>-<ms>`; anything else (custom tags, `-rejected` marks) is not a stage.
    pub fn parse(tag: &str) -> Option<Self> {
        let (digest, ms) = tag.split_once('-')?;
        let digest = Digest::parse(digest)?;
        if ms.is_empty() || !ms.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Self {
            digest,
            published_ms: ms.parse().ok()?,
        })
    }

    /// A new tag for `digest` published now.
    pub fn now(digest: Digest) -> Self {
        let published_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        Self {
            digest,
            published_ms,
        }
    }
}

impl fmt::Display for StageTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.digest, self.published_ms)
    }
}

/// The stages a repo holds, by digest: the oldest publication of each wins, as in werf.
#[derive(Debug, Clone, Default)]
pub struct StageIndex {
    by_digest: HashMap<Digest, StageTag>,
}

impl StageIndex {
    pub fn from_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> Self {
        let mut by_digest: HashMap<Digest, StageTag> = HashMap::new();
        for tag in tags {
            let Some(stage) = StageTag::parse(tag) else {
                continue;
            };
            by_digest
                .entry(stage.digest.clone())
                .and_modify(|old| {
                    if stage.published_ms < old.published_ms {
                        *old = stage.clone();
                    }
                })
                .or_insert(stage);
        }
        Self { by_digest }
    }

    pub fn get(&self, digest: &Digest) -> Option<&StageTag> {
        self.by_digest.get(digest)
    }

    /// Every digest's first publication, the most recently published first.
    pub fn newest_first(&self) -> Vec<&StageTag> {
        let mut stages: Vec<&StageTag> = self.by_digest.values().collect();
        stages.sort_by(|a, b| {
            b.published_ms
                .cmp(&a.published_ms)
                .then_with(|| a.digest.cmp(&b.digest))
        });
        stages
    }

    pub fn insert(&mut self, stage: StageTag) {
        self.by_digest.entry(stage.digest.clone()).or_insert(stage);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(byte: u8) -> Digest {
        Digest::from_sha256(&[byte; 32])
    }

    #[test]
    fn parses_stage_tags() {
        let digest = d(0xab).to_string();
        for (tag, want) in [
            (format!("{digest}-1700000000000"), Some(1_700_000_000_000)),
            (format!("{digest}-1700000000000-rejected"), None),
            (format!("{digest}-"), None),
            (digest.to_string(), None),
            ("latest".to_owned(), None),
            (format!("{}-1", &digest[..55]), None),
        ] {
            assert_eq!(StageTag::parse(&tag).map(|s| s.published_ms), want, "{tag}");
        }
        let now = StageTag::now(d(1));
        assert_eq!(StageTag::parse(&now.to_string()), Some(now));
    }

    #[test]
    fn oldest_publication_wins() {
        let a = d(1).to_string();
        let b = d(2).to_string();
        let tags = [
            format!("{a}-300"),
            format!("{a}-100"),
            format!("{a}-50-rejected"),
            format!("{a}-200"),
            format!("{b}-7"),
            "v1.2.3".to_owned(),
        ];
        let index = StageIndex::from_tags(tags.iter().map(String::as_str));
        assert_eq!(index.get(&d(1)).unwrap().published_ms, 100);
        assert_eq!(index.get(&d(2)).unwrap().published_ms, 7);
        assert_eq!(index.get(&d(3)), None);
        let newest: Vec<u64> = index
            .newest_first()
            .iter()
            .map(|s| s.published_ms)
            .collect();
        assert_eq!(newest, [100, 7]);
    }
}
