//! The keys werf.yaml may contain, per mapping, sorted by what slipway does with them, and the
//! "did you mean" suggestion for a misspelt key or name.

/// The keys of one kind of mapping.
pub(super) struct Keys {
    /// Keys slipway reads.
    pub supported: &'static [&'static str],
    /// werf keys that do not change the built images, accepted and ignored.
    pub ignored: &'static [&'static str],
    /// werf keys that change the built images and that slipway cannot honour yet.
    pub unsupported: &'static [&'static str],
    /// werf keys that only Stapel images have.
    pub stapel_only: &'static [&'static str],
}

/// The meta section. `deploy`, `cleanup` and `gitWorktree` steer werf's Helm deployment, registry
/// cleanup and git clone handling; none of them changes what an image contains.
pub(super) const META: Keys = Keys {
    supported: &["project", "configVersion", "build"],
    ignored: &["deploy", "cleanup", "gitWorktree"],
    unsupported: &[],
    stapel_only: &[],
};

/// `build:` of the meta section. `staged` only chooses how werf caches Dockerfile layers in the
/// registry, not what the image contains; `platform` and `imageSpec` do change the images.
pub(super) const BUILD: Keys = Keys {
    supported: &["cacheVersion"],
    ignored: &["staged"],
    unsupported: &["platform", "imageSpec"],
    stapel_only: &[],
};

/// A Dockerfile image. `staged` is ignored as in `build:`. `contextAddFile` is werf's older
/// spelling of `contextAddFiles`.
pub(super) const IMAGE: Keys = Keys {
    supported: &[
        "image",
        "final",
        "dockerfile",
        "context",
        "target",
        "args",
        "addHost",
        "network",
        "ssh",
        "contextAddFiles",
        "contextAddFile",
        "dependencies",
        "cacheVersion",
    ],
    ignored: &["staged"],
    unsupported: &["platform", "secrets", "imageSpec"],
    stapel_only: STAPEL,
};

/// Keys that make a document a Stapel image (or artifact) in werf.
pub(super) const STAPEL: &[&str] = &[
    "artifact",
    "from",
    "fromLatest",
    "fromImage",
    "fromArtifact",
    "fromImageArtifact",
    "fromCacheVersion",
    "disableGitAfterPatch",
    "git",
    "shell",
    "ansible",
    "mount",
    "docker",
    "import",
];

/// One entry of `dependencies:`. werf's newer spelling of `image` is `from`.
pub(super) const DEPENDENCY: Keys = Keys {
    supported: &["image", "from", "imports"],
    ignored: &[],
    unsupported: &[],
    stapel_only: &["before", "after"],
};

/// One entry of `imports:` of a dependency.
pub(super) const IMPORT: Keys = Keys {
    supported: &["type", "targetBuildArg"],
    ignored: &[],
    unsupported: &[],
    stapel_only: &["targetEnv"],
};

impl Keys {
    pub(super) fn all(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.supported.iter().chain(self.ignored).chain(self.unsupported).copied()
    }
}

/// The candidate closest to `word` (ignoring case), if it is close enough to be a likely typo.
pub(super) fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        let distance = edit_distance(&word, &candidate.to_ascii_lowercase());
        let close = distance <= 2 && distance * 3 <= candidate.len().max(word.len());
        if close && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        for (word, expected) in [
            ("dockerFile", Some("dockerfile")),
            ("contxt", Some("context")),
            ("arg", Some("args")),
            ("dependecies", Some("dependencies")),
            ("targte", Some("target")),
            ("xyz", None),
            ("labels", None),
        ] {
            assert_eq!(suggest(word, IMAGE.all()), expected, "{word}");
        }
    }

    #[test]
    fn distances() {
        for (a, b, d) in [("", "", 0), ("a", "", 1), ("kitten", "sitting", 3), ("ab", "ba", 2)] {
            assert_eq!(edit_distance(a, b), d, "{a} {b}");
        }
    }
}
