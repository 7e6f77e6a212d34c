//! Recognises buildah's known failures in its output (werf's troubleshooting list) and explains
//! each with its fix, so a failed build says what to change in the CI job rather than only what
//! the kernel refused.

use std::fmt;

/// A failure whose cause and fix are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KnownFailure {
    /// fuse-overlayfs found no `/dev/fuse`.
    FuseDeviceMissing,
    /// A mount buildah's storage needs was refused (`flags: 0x1000` is `MS_BIND`).
    MountPermissionDenied,
    /// Creating a user namespace was refused by a security profile.
    UnshareNotPermitted,
    /// The kernel has unprivileged user namespaces switched off.
    UserNamespacesDisabled,
}

const UNCONFINED_FIX: &str = "disable seccomp and AppArmor for the container that runs slipway: \
     `docker run --security-opt seccomp=unconfined --security-opt apparmor=unconfined …`, or in a \
     Pod the annotation `container.apparmor.security.beta.kubernetes.io/<container>: unconfined` \
     and `securityContext.seccompProfile.type: Unconfined`; or run it privileged (`docker run \
     --privileged`, `securityContext.privileged: true`)";

impl KnownFailure {
    /// Every known failure, in the order they are looked for.
    pub const ALL: [KnownFailure; 4] = [
        KnownFailure::FuseDeviceMissing,
        KnownFailure::MountPermissionDenied,
        KnownFailure::UnshareNotPermitted,
        KnownFailure::UserNamespacesDisabled,
    ];

    /// The text (matched case-insensitively) that identifies the failure in an output line.
    pub fn pattern(self) -> &'static str {
        match self {
            KnownFailure::FuseDeviceMissing => "fuse: device not found",
            KnownFailure::MountPermissionDenied => "flags: 0x1000: permission denied",
            KnownFailure::UnshareNotPermitted => "unshare(clone_newuser): operation not permitted",
            // containers/storage's re-exec prints this after a failed clone, naming the sysctl.
            KnownFailure::UserNamespacesDisabled => "user namespaces are not enabled in",
        }
    }

    /// The failure in one output line, if it is a known one.
    pub fn recognise(line: &str) -> Option<KnownFailure> {
        let lower = line.to_ascii_lowercase();
        Self::ALL.into_iter().find(|f| lower.contains(f.pattern()))
    }

    pub fn cause(self) -> &'static str {
        match self {
            KnownFailure::FuseDeviceMissing => {
                "fuse-overlayfs cannot mount the build's layers: the container has no /dev/fuse"
            }
            KnownFailure::MountPermissionDenied => {
                "the container's seccomp or AppArmor profile refuses the bind mount buildah's \
                 storage needs"
            }
            KnownFailure::UnshareNotPermitted => {
                "the kernel refused to create the user namespace buildah needs; in a container \
                 that is its seccomp or AppArmor profile"
            }
            KnownFailure::UserNamespacesDisabled => {
                "the kernel does not allow unprivileged user namespaces, which buildah needs when \
                 it does not run as root"
            }
        }
    }

    pub fn fix(self) -> &'static str {
        match self {
            KnownFailure::FuseDeviceMissing => {
                "give the container the FUSE device: `docker run --device /dev/fuse …`, or in \
                 Kubernetes a fuse device plugin resource in the container's `resources.limits`; \
                 with a kernel that has rootless overlay (5.13, or 5.11 on Ubuntu/Debian) \
                 fuse-overlayfs is not needed at all"
            }
            KnownFailure::MountPermissionDenied | KnownFailure::UnshareNotPermitted => {
                UNCONFINED_FIX
            }
            KnownFailure::UserNamespacesDisabled => {
                "allow them on the host (the node, for Kubernetes): `sysctl -w \
                 kernel.unprivileged_userns_clone=1` (where that sysctl exists) and `sysctl -w \
                 user.max_user_namespaces=15000`, kept across reboots in /etc/sysctl.d/; or run \
                 slipway as root"
            }
        }
    }
}

/// A known failure with the output line that showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub failure: KnownFailure,
    pub line: String,
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (buildah: \"{}\")\nfix: {}",
            self.failure.cause(),
            self.line.trim(),
            self.failure.fix()
        )
    }
}

/// The known failures in buildah's output, each once, in the order they first appear.
pub fn explain<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<Explanation> {
    let mut found: Vec<Explanation> = Vec::new();
    for line in lines {
        if let Some(failure) = KnownFailure::recognise(line)
            && !found.iter().any(|e| e.failure == failure)
        {
            found.push(Explanation {
                failure,
                line: line.to_string(),
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    // Captured from buildah 1.28 on this project's CI machine (samples/*.txt, timestamps fixed):
    // `buildah mount` with fuse-overlayfs in a mount namespace without /dev/fuse; `buildah from`
    // as uid 1000 in a user namespace whose `user.max_user_namespaces` was set to 0; and as uid
    // 1000 inside a chroot, where the kernel refuses CLONE_NEWUSER with the same EPERM a
    // container's seccomp profile gives.
    const FUSE_CAPTURED: &str = include_str!("samples/fuse-device-not-found.txt");
    const USERNS_CAPTURED: &str = include_str!("samples/userns-disabled.txt");
    const UNSHARE_CAPTURED: &str = include_str!("samples/unshare-not-permitted.txt");

    /// The samples in werf's troubleshooting docs (werf embeds buildah, so its lines are buildah's).
    const MOUNT_DENIED: &str = "\
time=\"2021-12-06T11:23:23Z\" level=debug msg=\"unable to create kernel-style whiteout: operation not permitted\"
time=\"2021-12-06T11:23:23Z\" level=debug msg=\"[graphdriver] trying provided driver \\\"overlay\\\"\"
time=\"2021-12-06T11:23:23Z\" level=debug msg=\"overlay: mount_program=/usr/bin/fuse-overlayfs\"
Error: unable to get buildah client: unable to create new Buildah instance with mode \"native-rootless\": unable to get storage: mount /home/build/.local/share/containers/storage/overlay:/home/build/.local/share/containers/storage/overlay, flags: 0x1000: permission denied
time=\"2021-12-06T11:23:23Z\" level=error msg=\"exit status 1\"";

    const UNSHARE_DENIED: &str = "\
Error during unshare(CLONE_NEWUSER): Operation not permitted
ERRO[0000] error parsing PID \"\": strconv.Atoi: parsing \"\": invalid syntax
ERRO[0000] (unable to determine exit status)";

    /// buildah run as a user on a machine with `user.max_user_namespaces=0`.
    const USERNS_DISABLED: &str = "\
Error during unshare(CLONE_NEWUSER): Invalid argument
User namespaces are not enabled in /proc/sys/user/max_user_namespaces.
ERRO error parsing PID \"\": strconv.Atoi: parsing \"\": invalid syntax";

    const DEBIAN_USERNS_DISABLED: &str = "\
cannot clone: Operation not permitted
user namespaces are not enabled in /proc/sys/kernel/unprivileged_userns_clone";

    #[test]
    fn recognises_recorded_samples() {
        let cases: &[(&str, KnownFailure, &str)] = &[
            (
                FUSE_CAPTURED,
                KnownFailure::FuseDeviceMissing,
                "fuse: device not found, try 'modprobe fuse' first",
            ),
            (
                USERNS_CAPTURED,
                KnownFailure::UserNamespacesDisabled,
                "User namespaces are not enabled in /proc/sys/user/max_user_namespaces.",
            ),
            (
                UNSHARE_CAPTURED,
                KnownFailure::UnshareNotPermitted,
                "Error during unshare(CLONE_NEWUSER): Operation not permitted",
            ),
            (
                MOUNT_DENIED,
                KnownFailure::MountPermissionDenied,
                "Error: unable to get buildah client: unable to create new Buildah instance with \
                 mode \"native-rootless\": unable to get storage: mount \
                 /home/build/.local/share/containers/storage/overlay:/home/build/.local/share/\
                 containers/storage/overlay, flags: 0x1000: permission denied",
            ),
            (
                UNSHARE_DENIED,
                KnownFailure::UnshareNotPermitted,
                "Error during unshare(CLONE_NEWUSER): Operation not permitted",
            ),
            (
                USERNS_DISABLED,
                KnownFailure::UserNamespacesDisabled,
                "User namespaces are not enabled in /proc/sys/user/max_user_namespaces.",
            ),
            (
                DEBIAN_USERNS_DISABLED,
                KnownFailure::UserNamespacesDisabled,
                "user namespaces are not enabled in /proc/sys/kernel/unprivileged_userns_clone",
            ),
        ];
        for (sample, failure, line) in cases {
            let found = explain(sample.lines());
            assert_eq!(
                found,
                [Explanation {
                    failure: *failure,
                    line: line.to_string()
                }],
                "{sample}"
            );
        }
    }

    #[test]
    fn unrelated_output_explains_nothing() {
        let out = "STEP 1/3: FROM scratch\nError: building at STEP \"RUN make\": exit status 2\n";
        assert!(explain(out.lines()).is_empty());
    }

    #[test]
    fn each_failure_once_in_order() {
        let out = format!("{UNSHARE_DENIED}\n{FUSE_CAPTURED}\n{UNSHARE_DENIED}");
        let found: Vec<KnownFailure> = explain(out.lines()).iter().map(|e| e.failure).collect();
        assert_eq!(
            found,
            [
                KnownFailure::UnshareNotPermitted,
                KnownFailure::FuseDeviceMissing
            ]
        );
    }

    #[test]
    fn fixes_name_the_exact_settings() {
        let fix = |f: KnownFailure| f.fix();
        assert!(fix(KnownFailure::FuseDeviceMissing).contains("--device /dev/fuse"));
        for f in [
            KnownFailure::MountPermissionDenied,
            KnownFailure::UnshareNotPermitted,
        ] {
            for needle in [
                "--security-opt seccomp=unconfined --security-opt apparmor=unconfined",
                "container.apparmor.security.beta.kubernetes.io/<container>: unconfined",
                "seccompProfile.type: Unconfined",
                "--privileged",
            ] {
                assert!(fix(f).contains(needle), "{f:?} {needle}");
            }
        }
        let userns = fix(KnownFailure::UserNamespacesDisabled);
        assert!(userns.contains("sysctl -w kernel.unprivileged_userns_clone=1"));
        assert!(userns.contains("sysctl -w user.max_user_namespaces=15000"));
    }

    #[test]
    fn display() {
        let e = Explanation {
            failure: KnownFailure::FuseDeviceMissing,
            line: "fuse: device not found, try 'modprobe fuse' first\n".into(),
        };
        let text = e.to_string();
        assert!(text.starts_with(
            "fuse-overlayfs cannot mount the build's layers: the container has no /dev/fuse \
             (buildah: \"fuse: device not found, try 'modprobe fuse' first\")\nfix: give the \
             container the FUSE device"
        ));
    }
}
