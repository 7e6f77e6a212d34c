//! The Dockerfile features a build uses that not every builder runs (BuildKit's instruction
//! flags, mount types, heredocs, predefined platform ARGs), found while planning so that a
//! builder lacking one is refused before anything is built.

use super::parser::{Dockerfile, Node};

/// A feature some builders lack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Feature {
    /// `RUN --mount=type=…`.
    Mount(MountType),
    /// `RUN --network`, `--security`, `--device`.
    RunFlag(&'static str),
    /// A here-document on RUN, COPY or ADD.
    Heredoc,
    /// `COPY`/`ADD` flags: `--chmod`, `--link`, `--parents`, `--exclude`, `--checksum`,
    /// `--keep-git-dir`, `--unpack`.
    CopyFlag(&'static str),
    /// `ARG TARGETPLATFORM` and the other predefined platform ARGs, without a default.
    PlatformArg,
    /// werf.yaml's `ssh` (BuildKit's SSH agent forwarding).
    WerfSsh,
    /// werf.yaml's `secrets` (BuildKit's secret mounts).
    WerfSecrets,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MountType {
    Bind,
    Cache,
    Tmpfs,
    Secret,
    Ssh,
}

impl MountType {
    fn parse(value: &str) -> Option<Self> {
        Some(match value {
            "bind" => MountType::Bind,
            "cache" => MountType::Cache,
            "tmpfs" => MountType::Tmpfs,
            "secret" => MountType::Secret,
            "ssh" => MountType::Ssh,
            _ => return None,
        })
    }
}

/// One use of a feature: where, and how it is written there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureUse {
    pub feature: Feature,
    /// `path:LINE` of the Dockerfile (or werf.yaml for werf keys).
    pub location: String,
    /// The instruction and flag as written, e.g. `RUN --mount=type=cache`.
    pub written: String,
}

const RUN_FLAGS: [&str; 3] = ["network", "security", "device"];
const COPY_FLAGS: [&str; 7] = [
    "chmod",
    "link",
    "parents",
    "exclude",
    "checksum",
    "keep-git-dir",
    "unpack",
];
const PLATFORM_ARGS: [&str; 8] = [
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
];

/// The features used by the instructions of `stages` (indexes of FROM instructions, as the
/// stage analysis numbers them) and by the global ARGs before the first FROM; `path` names
/// the Dockerfile in locations.
pub fn uses(dockerfile: &Dockerfile, stages: &[usize], path: &str) -> Vec<FeatureUse> {
    let mut out = Vec::new();
    let mut stage: Option<usize> = None;
    for node in &dockerfile.nodes {
        if node.keyword == "from" {
            stage = Some(stage.map_or(0, |s| s + 1));
        }
        if stage.is_some_and(|s| !stages.contains(&s)) {
            continue;
        }
        node_uses(node, path, &mut out);
    }
    out
}

fn node_uses(node: &Node, path: &str, out: &mut Vec<FeatureUse>) {
    let keyword = node.keyword.to_uppercase();
    let mut add = |feature, written: String| {
        out.push(FeatureUse {
            feature,
            location: format!("{path}:{}", node.start_line),
            written,
        })
    };
    for flag in &node.flags {
        let body = flag.trim_start_matches('-');
        let (name, value) = body.split_once('=').unwrap_or((body, ""));
        match (node.keyword.as_str(), name) {
            ("run", "mount") => {
                let kind = value
                    .split(',')
                    .find_map(|field| field.strip_prefix("type="))
                    .unwrap_or("bind");
                if let Some(t) = MountType::parse(kind) {
                    add(Feature::Mount(t), format!("{keyword} --mount=type={kind}"));
                }
            }
            ("run", _) => {
                if let Some(f) = RUN_FLAGS.iter().find(|f| **f == name) {
                    add(Feature::RunFlag(f), format!("{keyword} --{name}"));
                }
            }
            ("copy" | "add", _) => {
                if let Some(f) = COPY_FLAGS.iter().find(|f| **f == name) {
                    add(Feature::CopyFlag(f), format!("{keyword} --{name}"));
                }
            }
            _ => {}
        }
    }
    if !node.heredocs.is_empty() {
        add(
            Feature::Heredoc,
            format!("{keyword} <<{}", node.heredocs[0].name),
        );
    }
    if node.keyword == "arg" {
        for arg in &node.args {
            if PLATFORM_ARGS.contains(&arg.as_str()) {
                add(Feature::PlatformArg, format!("ARG {arg}"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::parser::parse;

    fn written(source: &str, stages: &[usize]) -> Vec<(String, String)> {
        uses(&parse(source).unwrap(), stages, "Dockerfile")
            .into_iter()
            .map(|u| (u.location, u.written))
            .collect()
    }

    #[test]
    fn finds_buildkit_features_in_the_stages_asked_for() {
        let source = "ARG TARGETARCH\n\
                      FROM scratch AS a\n\
                      RUN --mount=type=cache,target=/c --mount=target=/b,source=x true\n\
                      RUN --network=none <<EOF\n\
                      true\n\
                      EOF\n\
                      COPY --link --chmod=755 --chown=1 x /x\n\
                      FROM scratch AS b\n\
                      ADD --checksum=sha256:00 x /x\n\
                      ARG BUILDPLATFORM=linux/amd64\n\
                      ARG TARGETPLATFORM\n";
        let at = |line: usize, w: &str| (format!("Dockerfile:{line}"), w.to_owned());
        assert_eq!(
            written(source, &[0]),
            [
                at(1, "ARG TARGETARCH"),
                at(3, "RUN --mount=type=cache"),
                at(3, "RUN --mount=type=bind"),
                at(4, "RUN --network"),
                at(4, "RUN <<EOF"),
                at(7, "COPY --link"),
                at(7, "COPY --chmod"),
            ]
        );
        assert_eq!(
            written(source, &[1]),
            [
                at(1, "ARG TARGETARCH"),
                at(9, "ADD --checksum"),
                at(11, "ARG TARGETPLATFORM")
            ]
        );
        assert_eq!(written("FROM scratch\nCOPY x /x\n", &[0]), []);
    }
}
