//! The keys werf.yaml may contain, per mapping, sorted by what slipway does with them, and the
//! "did you mean" suggestion for a misspelt key or name.

use super::ImportKind;
use super::error::Section;

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
        "secrets",
    ],
    ignored: &["staged"],
    unsupported: &["platform", "imageSpec"],
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

/// A Stapel image or artifact. `ansible` and werf's other builders' keys are refused with a
/// "not supported yet" message.
pub(super) const STAPEL_IMAGE: Keys = Keys {
    supported: &[
        "image",
        "artifact",
        "final",
        "from",
        "fromImage",
        "fromArtifact",
        "fromLatest",
        "fromCacheVersion",
        "cacheVersion",
        "git",
        "shell",
        "import",
        "dependencies",
        "mount",
        "docker",
    ],
    ignored: &["staged"],
    unsupported: &[
        "ansible",
        "fromImageArtifact",
        "disableGitAfterPatch",
        "platform",
        "secrets",
        "imageSpec",
        "network",
    ],
    stapel_only: &[],
};

/// A `git:` entry; remote repositories are refused for now.
pub(super) const STAPEL_GIT: Keys = Keys {
    supported: &[
        "add",
        "to",
        "includePaths",
        "excludePaths",
        "owner",
        "group",
        "stageDependencies",
    ],
    ignored: &[],
    unsupported: &["url", "branch", "tag", "commit", "basicAuth"],
    stapel_only: &[],
};

pub(super) const STAPEL_STAGE_DEPENDENCIES: Keys = Keys {
    supported: &["install", "beforeSetup", "setup"],
    ignored: &[],
    unsupported: &[],
    stapel_only: &[],
};

pub(super) const STAPEL_SHELL: Keys = Keys {
    supported: &[
        "beforeInstall",
        "install",
        "beforeSetup",
        "setup",
        "cacheVersion",
        "beforeInstallCacheVersion",
        "installCacheVersion",
        "beforeSetupCacheVersion",
        "setupCacheVersion",
    ],
    ignored: &[],
    unsupported: &[],
    stapel_only: &[],
};

pub(super) const STAPEL_IMPORT: Keys = Keys {
    supported: &[
        "image",
        "from",
        "artifact",
        "before",
        "after",
        "stage",
        "add",
        "to",
        "includePaths",
        "excludePaths",
        "owner",
        "group",
    ],
    ignored: &[],
    unsupported: &[],
    stapel_only: &[],
};

/// One entry of a Stapel image's `dependencies:` (werf names the image only with `image`).
pub(super) const STAPEL_DEPENDENCY: Keys = Keys {
    supported: &["image", "before", "after", "imports"],
    ignored: &[],
    unsupported: &[],
    stapel_only: &[],
};

/// One entry of `imports:` of a Stapel image's dependency: the value goes to an environment
/// variable.
pub(super) const STAPEL_DEPENDENCY_IMPORT: Keys = Keys {
    supported: &["type", "targetEnv"],
    ignored: &[],
    unsupported: &[],
    stapel_only: &[],
};

pub(super) const STAPEL_MOUNT: Keys = Keys {
    supported: &["from", "fromPath", "to"],
    ignored: &[],
    unsupported: &[],
    stapel_only: &[],
};

pub(super) const STAPEL_DOCKER: Keys = Keys {
    supported: &[
        "ENV",
        "LABEL",
        "EXPOSE",
        "VOLUME",
        "WORKDIR",
        "USER",
        "CMD",
        "ENTRYPOINT",
        "HEALTHCHECK",
        "STOPSIGNAL",
    ],
    ignored: &[],
    unsupported: &["exactValues"],
    stapel_only: &[],
};

/// One entry of `dependencies:`. werf's newer spelling of `image` is `from`.
pub(super) const DEPENDENCY: Keys = Keys {
    supported: &["image", "from", "imports"],
    ignored: &[],
    unsupported: &[],
    stapel_only: &["before", "after"],
};

/// One entry of `secrets:` (werf v2): an `id` and one source.
pub(super) const SECRET: Keys = Keys {
    supported: &["id", "env", "src", "value"],
    ignored: &[],
    unsupported: &[],
    stapel_only: &[],
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
        self.supported
            .iter()
            .chain(self.ignored)
            .chain(self.unsupported)
            .copied()
    }

    /// Whether slipway reads or deliberately ignores `key`.
    pub(super) fn accepts(&self, key: &str) -> bool {
        self.supported.contains(&key) || self.ignored.contains(&key)
    }
}

/// The keys of the mapping at YAML path `parent` of `section`.
pub(super) fn table(section: &Section, parent: &str) -> &'static Keys {
    match section {
        Section::Meta if parent.is_empty() => &META,
        Section::Meta => &BUILD,
        Section::Stapel(_) | Section::Artifact(_) => stapel_table(parent),
        _ if parent.contains(".imports[") => &IMPORT,
        _ if parent.starts_with("dependencies[") => &DEPENDENCY,
        _ if parent.starts_with("secrets[") => &SECRET,
        _ => &IMAGE,
    }
}

/// The Stapel table of the mapping at `parent`, list indexes ignored (`git[0].stageDependencies`).
fn stapel_table(parent: &str) -> &'static Keys {
    let mut plain = String::with_capacity(parent.len());
    let mut in_index = false;
    for c in parent.chars() {
        match c {
            '[' => in_index = true,
            ']' => in_index = false,
            c if !in_index => plain.push(c),
            _ => {}
        }
    }
    match plain.as_str() {
        "git" => &STAPEL_GIT,
        "git.stageDependencies" => &STAPEL_STAGE_DEPENDENCIES,
        "shell" => &STAPEL_SHELL,
        "import" => &STAPEL_IMPORT,
        "dependencies" => &STAPEL_DEPENDENCY,
        "dependencies.imports" => &STAPEL_DEPENDENCY_IMPORT,
        "mount" => &STAPEL_MOUNT,
        "docker" => &STAPEL_DOCKER,
        _ => &STAPEL_IMAGE,
    }
}

/// How to fix an unknown `key` in the mapping at `parent` of `section`.
pub(super) fn unknown_key_hint(section: &Section, parent: &str, key: &str) -> String {
    let known = table(section, parent);
    if known.stapel_only.contains(&key) {
        format!("`{key}` applies only to Stapel images; remove it")
    } else if let Some(similar) = suggest(key, known.all()) {
        format!("did you mean {similar:?}?")
    } else {
        let names: Vec<&str> = known
            .supported
            .iter()
            .chain(known.ignored)
            .copied()
            .collect();
        format!("remove it (the keys here are: {})", names.join(", "))
    }
}

/// werf's names of dependency import types.
pub(super) const IMPORT_TYPES: [(&str, ImportKind); 5] = [
    ("ImageName", ImportKind::ImageName),
    ("ImageTag", ImportKind::ImageTag),
    ("ImageRepo", ImportKind::ImageRepo),
    ("ImageID", ImportKind::ImageId),
    ("ImageDigest", ImportKind::ImageDigest),
];

/// How to fix an unknown import type.
pub(super) fn import_type_hint(found: &str) -> String {
    let names = IMPORT_TYPES.iter().map(|(name, _)| *name);
    match suggest(found, names.clone()) {
        Some(similar) => format!("did you mean {similar:?}?"),
        None => format!("use one of {}", names.collect::<Vec<_>>().join(", ")),
    }
}

/// The candidate closest to `word` (ignoring case), if it is close enough to be a likely typo.
pub(super) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
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

/// Edit distance over characters where swapping two neighbours counts as one edit (optimal
/// string alignment), so that `buidl` is one edit from `build`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut before: Vec<usize> = Vec::new();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut current = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            current[j] = (previous[j - 1] + cost)
                .min(previous[j] + 1)
                .min(current[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                current[j] = current[j].min(before[j - 2] + 1);
            }
        }
        before = std::mem::replace(&mut previous, current);
    }
    previous[b.len()]
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
        for (a, b, d) in [
            ("", "", 0),
            ("a", "", 1),
            ("", "ab", 2),
            ("kitten", "sitting", 3),
            ("ab", "ba", 1),
            ("buidl", "build", 1),
        ] {
            assert_eq!(edit_distance(a, b), d, "{a} {b}");
        }
    }
}
