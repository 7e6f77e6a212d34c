//! Which engine builds, and in which buildah mode: `--backend` and werf's `WERF_BUILDAH_MODE` are
//! parsed into a request, then resolved against facts about the machine (passed in, so the rule is
//! testable without the machine).

/// The engine the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendChoice {
    Docker,
    Buildah(RequestedMode),
}

/// A buildah mode as werf names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestedMode {
    Auto,
    NativeChroot,
    NativeRootless,
}

impl RequestedMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestedMode::Auto => "auto",
            RequestedMode::NativeChroot => "native-chroot",
            RequestedMode::NativeRootless => "native-rootless",
        }
    }
}

/// buildah's `--isolation` value: how each `RUN` step is contained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isolation {
    /// A chroot with buildah's own namespaces; needs no OCI runtime.
    Chroot,
    /// An OCI runtime (runc/crun) started rootless.
    Rootless,
}

impl Isolation {
    pub fn as_str(self) -> &'static str {
        match self {
            Isolation::Chroot => "chroot",
            Isolation::Rootless => "rootless",
        }
    }
}

/// What the machine allows; gathered by the caller (see `doctor` for how each is read).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostFacts {
    pub uid: u32,
    /// `/.dockerenv`, `/run/.containerenv` or `WERF_CONTAINERIZED=yes`.
    pub in_container: bool,
    /// Unprivileged user namespaces can be created (`user.max_user_namespaces` > 0 and
    /// `kernel.unprivileged_userns_clone` = 1 where that sysctl exists).
    pub user_namespaces: bool,
    /// runc or crun is on PATH.
    pub oci_runtime: bool,
}

/// The mode slipway runs buildah in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolvedMode {
    pub requested: RequestedMode,
    pub isolation: Isolation,
    /// buildah runs in a user namespace of its own (slipway is not root), so storage needs
    /// overlay that works rootless, or fuse-overlayfs.
    pub rootless: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ModeError {
    #[error("unknown backend \"{value}\" (--backend): use docker or buildah")]
    UnknownBackend { value: String },
    #[error(
        "unknown WERF_BUILDAH_MODE \"{value}\": use auto, native-chroot or native-rootless for \
         buildah, or docker (the same as unset) for the Docker engine"
    )]
    UnknownMode { value: String },
    #[error(
        "WERF_BUILDAH_MODE=docker-with-fuse is not supported (werf removed it as well): set \
         WERF_BUILDAH_MODE=auto to run buildah directly, or unset it to build with the Docker engine"
    )]
    DockerWithFuse,
    #[error(
        "WERF_BUILDAH_MODE=native-rootless is refused inside a container: rootless isolation starts \
         every RUN step with an OCI runtime (runc/crun) that needs nested namespaces and cgroups a \
         container does not grant; use WERF_BUILDAH_MODE=auto (chroot isolation) instead"
    )]
    RootlessInContainer,
    #[error(
        "WERF_BUILDAH_MODE={mode}: slipway runs as uid {uid}, not root, so buildah needs a user \
         namespace, and this machine does not allow unprivileged user namespaces; run `slipway \
         doctor --backend buildah` for the sysctl settings, or run slipway as root"
    )]
    NoUserNamespaces { mode: &'static str, uid: u32 },
    #[error(
        "WERF_BUILDAH_MODE=native-rootless runs RUN steps with runc or crun, and neither is on \
         PATH; install one, or use WERF_BUILDAH_MODE=auto (chroot isolation needs neither)"
    )]
    NoOciRuntime,
    #[error(
        "the buildah backend has no local storage mode: it pushes every image straight to a \
         registry, so it needs --repo (or WERF_REPO); set one, or build with the Docker engine \
         (--backend docker)"
    )]
    RepoRequired,
}

/// The buildah backend's repo: buildah keeps no local image store slipway could look stages up
/// in between runs, so it always needs one.
pub fn require_repo(repo: Option<&str>) -> Result<&str, ModeError> {
    repo.map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or(ModeError::RepoRequired)
}

/// Reads the engine choice. `--backend` (`flag`) wins over `WERF_BUILDAH_MODE` (`werf_mode`):
/// `--backend docker` ignores the variable, `--backend buildah` uses its mode or `auto`.
/// Without the flag, an unset, empty or `docker` variable means the Docker engine.
pub fn parse_backend(
    flag: Option<&str>,
    werf_mode: Option<&str>,
) -> Result<BackendChoice, ModeError> {
    let mode = match werf_mode.map(str::trim) {
        None | Some("") | Some("docker") => None,
        Some("auto") => Some(RequestedMode::Auto),
        Some("native-chroot") => Some(RequestedMode::NativeChroot),
        Some("native-rootless") => Some(RequestedMode::NativeRootless),
        Some("docker-with-fuse") => return Err(ModeError::DockerWithFuse),
        Some(other) => {
            return Err(ModeError::UnknownMode {
                value: other.to_string(),
            });
        }
    };
    match flag.map(str::trim) {
        None => Ok(mode.map_or(BackendChoice::Docker, BackendChoice::Buildah)),
        Some("docker") => Ok(BackendChoice::Docker),
        Some("buildah") => Ok(BackendChoice::Buildah(mode.unwrap_or(RequestedMode::Auto))),
        Some(other) => Err(ModeError::UnknownBackend {
            value: other.to_string(),
        }),
    }
}

/// Resolves a requested mode on this machine.
///
/// The `auto` rule (werf's `auto` is `native-chroot` today, and so is slipway's): chroot
/// isolation, so no OCI runtime and no nested cgroups are needed, which is what works inside CI
/// containers. As root, buildah runs directly; as any other user it runs rootless, in a user
/// namespace mapped through /etc/subuid and /etc/subgid, which the machine must allow
/// (otherwise an error says how to allow it). `native-chroot` follows the same rule;
/// `native-rootless` uses rootless isolation with runc/crun and is refused inside a container.
pub fn resolve(requested: RequestedMode, facts: HostFacts) -> Result<ResolvedMode, ModeError> {
    let rootless = facts.uid != 0;
    let isolation = match requested {
        RequestedMode::Auto | RequestedMode::NativeChroot => Isolation::Chroot,
        RequestedMode::NativeRootless => {
            if facts.in_container {
                return Err(ModeError::RootlessInContainer);
            }
            if !facts.oci_runtime {
                return Err(ModeError::NoOciRuntime);
            }
            Isolation::Rootless
        }
    };
    if rootless && !facts.user_namespaces {
        return Err(ModeError::NoUserNamespaces {
            mode: requested.as_str(),
            uid: facts.uid,
        });
    }
    Ok(ResolvedMode {
        requested,
        isolation,
        rootless,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER: HostFacts = HostFacts {
        uid: 1000,
        in_container: false,
        user_namespaces: true,
        oci_runtime: true,
    };

    #[test]
    fn backend_choice_table() {
        use BackendChoice::*;
        use RequestedMode::*;
        let cases: &[(Option<&str>, Option<&str>, BackendChoice)] = &[
            (None, None, Docker),
            (None, Some(""), Docker),
            (None, Some("docker"), Docker),
            (None, Some("auto"), Buildah(Auto)),
            (None, Some("native-chroot"), Buildah(NativeChroot)),
            (None, Some("native-rootless"), Buildah(NativeRootless)),
            (Some("buildah"), None, Buildah(Auto)),
            (Some("buildah"), Some("docker"), Buildah(Auto)),
            (
                Some("buildah"),
                Some("native-chroot"),
                Buildah(NativeChroot),
            ),
            (Some("docker"), Some("auto"), Docker),
        ];
        for (flag, env, want) in cases {
            assert_eq!(parse_backend(*flag, *env), Ok(*want), "{flag:?} {env:?}");
        }
    }

    #[test]
    fn backend_errors_verbatim() {
        let cases: &[(Option<&str>, Option<&str>, &str)] = &[
            (
                Some("podman"),
                None,
                "unknown backend \"podman\" (--backend): use docker or buildah",
            ),
            (
                None,
                Some("chroot"),
                "unknown WERF_BUILDAH_MODE \"chroot\": use auto, native-chroot or native-rootless \
                 for buildah, or docker (the same as unset) for the Docker engine",
            ),
            (
                Some("buildah"),
                Some("docker-with-fuse"),
                "WERF_BUILDAH_MODE=docker-with-fuse is not supported (werf removed it as well): set \
                 WERF_BUILDAH_MODE=auto to run buildah directly, or unset it to build with the \
                 Docker engine",
            ),
        ];
        for (flag, env, want) in cases {
            let err = parse_backend(*flag, *env).unwrap_err();
            assert_eq!(err.to_string(), *want);
        }
    }

    #[test]
    fn repo_is_required() {
        assert_eq!(require_repo(Some("ghcr.io/o/p")), Ok("ghcr.io/o/p"));
        for missing in [None, Some(""), Some("  ")] {
            assert_eq!(
                require_repo(missing).unwrap_err().to_string(),
                "the buildah backend has no local storage mode: it pushes every image straight to \
                 a registry, so it needs --repo (or WERF_REPO); set one, or build with the Docker \
                 engine (--backend docker)"
            );
        }
    }

    #[test]
    fn auto_is_chroot_rootless_only_when_not_root() {
        let root = HostFacts { uid: 0, ..USER };
        for mode in [RequestedMode::Auto, RequestedMode::NativeChroot] {
            let r = resolve(mode, root).unwrap();
            assert_eq!((r.isolation, r.rootless), (Isolation::Chroot, false));
            let u = resolve(mode, USER).unwrap();
            assert_eq!((u.isolation, u.rootless), (Isolation::Chroot, true));
            // Inside a container chroot isolation is exactly what works.
            let c = resolve(
                mode,
                HostFacts {
                    in_container: true,
                    ..USER
                },
            )
            .unwrap();
            assert_eq!(c.isolation, Isolation::Chroot);
        }
        // Root needs no user namespace.
        let no_userns_root = HostFacts {
            uid: 0,
            user_namespaces: false,
            ..USER
        };
        assert!(resolve(RequestedMode::Auto, no_userns_root).is_ok());
    }

    #[test]
    fn resolve_errors_verbatim() {
        let in_container = HostFacts {
            in_container: true,
            ..USER
        };
        assert_eq!(
            resolve(RequestedMode::NativeRootless, in_container)
                .unwrap_err()
                .to_string(),
            "WERF_BUILDAH_MODE=native-rootless is refused inside a container: rootless isolation \
             starts every RUN step with an OCI runtime (runc/crun) that needs nested namespaces and \
             cgroups a container does not grant; use WERF_BUILDAH_MODE=auto (chroot isolation) \
             instead"
        );
        let no_runtime = HostFacts {
            oci_runtime: false,
            ..USER
        };
        assert_eq!(
            resolve(RequestedMode::NativeRootless, no_runtime)
                .unwrap_err()
                .to_string(),
            "WERF_BUILDAH_MODE=native-rootless runs RUN steps with runc or crun, and neither is on \
             PATH; install one, or use WERF_BUILDAH_MODE=auto (chroot isolation needs neither)"
        );
        let no_userns = HostFacts {
            user_namespaces: false,
            ..USER
        };
        assert_eq!(
            resolve(RequestedMode::Auto, no_userns).unwrap_err(),
            ModeError::NoUserNamespaces {
                mode: "auto",
                uid: 1000
            }
        );
        assert_eq!(
            resolve(RequestedMode::Auto, no_userns)
                .unwrap_err()
                .to_string(),
            "WERF_BUILDAH_MODE=auto: slipway runs as uid 1000, not root, so buildah needs a user \
             namespace, and this machine does not allow unprivileged user namespaces; run `slipway \
             doctor --backend buildah` for the sysctl settings, or run slipway as root"
        );
        let ok = resolve(RequestedMode::NativeRootless, USER).unwrap();
        assert_eq!((ok.isolation, ok.rootless), (Isolation::Rootless, true));
    }
}
