//! Which builder runs a build and what it cannot do: the Dockerfile features each image uses
//! (found while planning) are checked against it before anything is built, so a build never
//! fails halfway on an instruction its builder does not know.

use crate::dockerfile::features::{Feature, FeatureUse, MountType};
use crate::names::ImageName;
use crate::plan::Plan;

/// The builder behind a backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Builder {
    /// The Docker engine's BuildKit: runs everything the planner accepts.
    BuildKit,
    /// The Docker engine's classic builder, and why it is the one used.
    Classic(ClassicReason),
    /// The buildah CLI, with its version as `buildah version` prints it.
    Buildah { version: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClassicReason {
    /// `DOCKER_BUILDKIT=0` or `--docker-builder classic`, as written.
    Forced(String),
    /// The engine's version (older than 23.0, which builds with BuildKit by default).
    OldEngine(String),
}

/// Engines from this major version on build with BuildKit by default.
pub const BUILDKIT_ENGINE_MAJOR: u64 = 23;

/// Which builder of the Docker engine was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerBuilderChoice {
    /// BuildKit when the engine is 23.0 or later, else the classic builder.
    Auto,
    BuildKit,
    /// The classic builder, with how it was asked for.
    Classic(String),
}

/// The choice of `--docker-builder` (`auto`, `buildkit`, `classic`), else of `DOCKER_BUILDKIT`
/// (`0`/`false` classic, `1`/`true` BuildKit), as the docker CLI reads it.
pub fn docker_builder_choice(
    flag: Option<&str>,
    docker_buildkit: Option<&str>,
) -> Result<DockerBuilderChoice, String> {
    match flag {
        Some("auto") => return Ok(DockerBuilderChoice::Auto),
        Some("buildkit") => return Ok(DockerBuilderChoice::BuildKit),
        Some("classic") => {
            return Ok(DockerBuilderChoice::Classic(
                "--docker-builder classic".to_owned(),
            ));
        }
        Some(other) => {
            return Err(format!(
                "--docker-builder {other:?} is not a builder; use auto, buildkit or classic"
            ));
        }
        None => {}
    }
    match docker_buildkit.map(str::trim) {
        None | Some("") => Ok(DockerBuilderChoice::Auto),
        Some(v) if ["0", "false"].contains(&v.to_lowercase().as_str()) => {
            Ok(DockerBuilderChoice::Classic(format!("DOCKER_BUILDKIT={v}")))
        }
        Some(v) if ["1", "true"].contains(&v.to_lowercase().as_str()) => {
            Ok(DockerBuilderChoice::BuildKit)
        }
        Some(v) => Err(format!(
            "DOCKER_BUILDKIT={v:?} is neither 0 nor 1; set DOCKER_BUILDKIT=0 for the classic \
             builder, or unset it"
        )),
    }
}

/// The builder `choice` gives on an engine of `version` (`/version`'s `Version`).
pub fn docker_builder(choice: &DockerBuilderChoice, version: &str) -> Builder {
    match choice {
        DockerBuilderChoice::BuildKit => Builder::BuildKit,
        DockerBuilderChoice::Classic(how) => Builder::Classic(ClassicReason::Forced(how.clone())),
        DockerBuilderChoice::Auto => {
            let major = version
                .split('.')
                .next()
                .and_then(|m| m.trim_start_matches('v').parse::<u64>().ok());
            match major {
                Some(m) if m < BUILDKIT_ENGINE_MAJOR => {
                    Builder::Classic(ClassicReason::OldEngine(version.to_owned()))
                }
                _ => Builder::BuildKit,
            }
        }
    }
}

/// The version in `buildah version`'s output (`Version:         1.28.2`).
pub fn buildah_version(output: &str) -> Option<String> {
    output.lines().find_map(|l| {
        let v = l.strip_prefix("Version:")?.trim();
        (!v.is_empty()).then(|| v.to_owned())
    })
}

impl Builder {
    /// Whether this builder runs `feature`.
    fn runs(&self, feature: Feature) -> bool {
        match self {
            Builder::BuildKit => true,
            Builder::Classic(_) => false,
            // Tried on buildah 1.28: RUN accepts only --mount (every type), COPY only
            // --chmod/--chown/--from, ADD only --chmod/--chown, and heredocs are read as
            // instructions. Later versions may accept more; slipway does not guess which.
            Builder::Buildah { .. } => matches!(
                feature,
                Feature::Mount(_)
                    | Feature::CopyFlag("chmod")
                    | Feature::PlatformArg
                    | Feature::WerfSsh
                    | Feature::WerfSecrets
            ),
        }
    }

    fn refusal(&self, image: &ImageName, used: &FeatureUse) -> String {
        let what = describe(used);
        match self {
            Builder::BuildKit => unreachable!("BuildKit runs every feature"),
            Builder::Classic(reason) => {
                let (why, fix) = match reason {
                    ClassicReason::Forced(how) => (
                        format!("the classic builder was asked for ({how})"),
                        "unset DOCKER_BUILDKIT (or pass --docker-builder buildkit)".to_owned(),
                    ),
                    ClassicReason::OldEngine(version) => (
                        format!(
                            "engine {version} is older than {BUILDKIT_ENGINE_MAJOR}.0, so slipway \
                             builds with its classic builder"
                        ),
                        format!("upgrade the engine to {BUILDKIT_ENGINE_MAJOR}.0 or later"),
                    ),
                };
                format!(
                    "{}: image {image}: {what} needs BuildKit: {why}; {fix}, or use the buildah \
                     backend (--backend buildah)",
                    used.location
                )
            }
            Builder::Buildah { version } => format!(
                "{}: image {image}: {what} is not supported by buildah {version}; build this \
                 image with the Docker engine (--backend docker, BuildKit), or use a buildah \
                 that supports it",
                used.location
            ),
        }
    }
}

fn describe(used: &FeatureUse) -> String {
    let what = match used.feature {
        Feature::Mount(MountType::Cache) => "a cache mount",
        Feature::Mount(MountType::Bind) => "a bind mount",
        Feature::Mount(MountType::Tmpfs) => "a tmpfs mount",
        Feature::Mount(MountType::Secret) => "a secret mount",
        Feature::Mount(MountType::Ssh) => "an SSH agent mount",
        Feature::RunFlag(_) | Feature::CopyFlag(_) => "",
        Feature::Heredoc => "a heredoc",
        Feature::PlatformArg => "a predefined platform ARG, which only BuildKit sets",
        Feature::WerfSsh => "SSH agent forwarding",
        Feature::WerfSecrets => "build secrets",
    };
    if what.is_empty() {
        format!("`{}`", used.written)
    } else {
        format!("`{}` ({what})", used.written)
    }
}

/// Every refused feature use of the images of `plan`, one message per use.
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.join("\n"))]
pub struct Refused(pub Vec<String>);

/// Refuses `plan` when `builder` cannot run a feature one of its images uses.
pub fn check(plan: &Plan, builder: &Builder) -> Result<(), Refused> {
    let refused: Vec<String> = plan
        .images
        .iter()
        .flat_map(|image| {
            image
                .build
                .features
                .iter()
                .filter(|u| !builder.runs(u.feature))
                .map(|u| builder.refusal(&image.name, u))
        })
        .collect();
    if refused.is_empty() {
        Ok(())
    } else {
        Err(Refused(refused))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(builder: &Builder, feature: Feature, written: &str) -> Option<String> {
        let used = FeatureUse {
            feature,
            location: "app/Dockerfile:3".to_owned(),
            written: written.to_owned(),
        };
        (!builder.runs(feature)).then(|| builder.refusal(&ImageName::parse("web").unwrap(), &used))
    }

    #[test]
    fn choices() {
        use DockerBuilderChoice::*;
        let choice = docker_builder_choice;
        assert_eq!(choice(None, None), Ok(Auto));
        assert_eq!(choice(None, Some("")), Ok(Auto));
        assert_eq!(
            choice(None, Some("0")),
            Ok(Classic("DOCKER_BUILDKIT=0".to_owned()))
        );
        assert_eq!(choice(None, Some("true")), Ok(BuildKit));
        assert_eq!(choice(Some("buildkit"), Some("0")), Ok(BuildKit));
        assert_eq!(
            choice(Some("classic"), None),
            Ok(Classic("--docker-builder classic".to_owned()))
        );
        assert_eq!(
            choice(None, Some("yes")).unwrap_err(),
            "DOCKER_BUILDKIT=\"yes\" is neither 0 nor 1; set DOCKER_BUILDKIT=0 for the classic \
             builder, or unset it"
        );
        assert!(choice(Some("x"), None).is_err());
        assert_eq!(docker_builder(&Auto, "26.1.5"), Builder::BuildKit);
        assert_eq!(
            docker_builder(&Auto, "20.10.24+dfsg1"),
            Builder::Classic(ClassicReason::OldEngine("20.10.24+dfsg1".to_owned()))
        );
        assert_eq!(docker_builder(&BuildKit, "20.10.24"), Builder::BuildKit);
        assert_eq!(
            buildah_version("Version:         1.28.2\nGo Version:      go1.19.8\n"),
            Some("1.28.2".to_owned())
        );
    }

    #[test]
    fn messages() {
        let forced = Builder::Classic(ClassicReason::Forced("DOCKER_BUILDKIT=0".to_owned()));
        assert_eq!(
            refusal(
                &forced,
                Feature::Mount(MountType::Cache),
                "RUN --mount=type=cache"
            )
            .unwrap(),
            "app/Dockerfile:3: image web: `RUN --mount=type=cache` (a cache mount) needs \
             BuildKit: the classic builder was asked for (DOCKER_BUILDKIT=0); unset \
             DOCKER_BUILDKIT (or pass --docker-builder buildkit), or use the buildah backend \
             (--backend buildah)"
        );
        let old = Builder::Classic(ClassicReason::OldEngine("20.10.24".to_owned()));
        assert_eq!(
            refusal(&old, Feature::CopyFlag("chmod"), "COPY --chmod").unwrap(),
            "app/Dockerfile:3: image web: `COPY --chmod` needs BuildKit: engine 20.10.24 is \
             older than 23.0, so slipway builds with its classic builder; upgrade the engine to \
             23.0 or later, or use the buildah backend (--backend buildah)"
        );
        let buildah = Builder::Buildah {
            version: "1.28.2".to_owned(),
        };
        assert_eq!(
            refusal(&buildah, Feature::Heredoc, "RUN <<EOF").unwrap(),
            "app/Dockerfile:3: image web: `RUN <<EOF` (a heredoc) is not supported by buildah \
             1.28.2; build this image with the Docker engine (--backend docker, BuildKit), or \
             use a buildah that supports it"
        );
        assert_eq!(
            refusal(
                &buildah,
                Feature::Mount(MountType::Cache),
                "RUN --mount=type=cache"
            ),
            None
        );
        assert_eq!(
            refusal(&Builder::BuildKit, Feature::Heredoc, "RUN <<EOF"),
            None
        );
    }
}
