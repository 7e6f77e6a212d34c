//! buildah's storage driver: `WERF_BUILDAH_STORAGE_DRIVER` (overlay by default, or vfs) resolved
//! against the kernel, `/proc/filesystems` and fuse-overlayfs (facts passed in) into buildah's
//! global storage flags.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverRequest {
    Overlay,
    Vfs,
}

/// What buildah will use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageDriver {
    /// The kernel's overlay.
    Overlay,
    /// overlay through a FUSE mount program, for kernels without overlay for this case.
    FuseOverlay {
        mount_program: PathBuf,
    },
    Vfs,
}

impl StorageDriver {
    /// buildah's global flags for this driver (they go before the subcommand).
    pub fn global_flags(&self) -> Vec<OsString> {
        match self {
            StorageDriver::Overlay => vec!["--storage-driver=overlay".into()],
            StorageDriver::Vfs => vec!["--storage-driver=vfs".into()],
            StorageDriver::FuseOverlay { mount_program } => {
                let mut opt = OsString::from("overlay.mount_program=");
                opt.push(mount_program);
                vec![
                    "--storage-driver=overlay".into(),
                    "--storage-opt".into(),
                    opt,
                ]
            }
        }
    }
}

/// A kernel release's major and minor numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KernelVersion {
    pub major: u32,
    pub minor: u32,
}

impl KernelVersion {
    /// Reads `uname -r` / `/proc/sys/kernel/osrelease` text, e.g. `5.15.0-91-generic`.
    pub fn parse(release: &str) -> Option<KernelVersion> {
        let mut parts = release.trim().split(|c: char| !c.is_ascii_digit());
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some(KernelVersion { major, minor })
    }
}

impl std::fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// The first kernel with overlay mounts inside a user namespace that work everywhere.
pub const ROOTLESS_OVERLAY: KernelVersion = KernelVersion {
    major: 5,
    minor: 13,
};
/// Ubuntu and Debian patched the 5.13 fix into their 5.11 kernels.
pub const ROOTLESS_OVERLAY_PATCHED: KernelVersion = KernelVersion {
    major: 5,
    minor: 11,
};
/// `/etc/os-release` `ID`s of the distributions that carry the backport.
pub const PATCHED_DISTRIBUTIONS: [&str; 2] = ["ubuntu", "debian"];

/// Machine facts the choice depends on.
#[derive(Debug, Clone, Copy)]
pub struct StorageFacts<'a> {
    /// Kernel release text (`/proc/sys/kernel/osrelease`).
    pub kernel_release: &'a str,
    /// `/etc/os-release` `ID`, when known.
    pub os_id: Option<&'a str>,
    /// The content of `/proc/filesystems`.
    pub proc_filesystems: &'a str,
    /// fuse-overlayfs found on PATH.
    pub fuse_overlayfs: Option<&'a Path>,
    /// buildah runs in a user namespace (see `mode::ResolvedMode::rootless`).
    pub rootless: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StorageError {
    #[error("unknown WERF_BUILDAH_STORAGE_DRIVER \"{value}\": use overlay (the default) or vfs")]
    UnknownDriver { value: String },
    #[error(
        "the overlay storage driver cannot work here: {reason}, and fuse-overlayfs is not on PATH; \
         install fuse-overlayfs (and give the container /dev/fuse), or set \
         WERF_BUILDAH_STORAGE_DRIVER=vfs (slower)"
    )]
    NoOverlay { reason: String },
}

/// Reads `WERF_BUILDAH_STORAGE_DRIVER`; unset or empty means overlay.
pub fn parse_driver(value: Option<&str>) -> Result<DriverRequest, StorageError> {
    match value.map(str::trim) {
        None | Some("") | Some("overlay") => Ok(DriverRequest::Overlay),
        Some("vfs") => Ok(DriverRequest::Vfs),
        Some(other) => Err(StorageError::UnknownDriver {
            value: other.to_string(),
        }),
    }
}

/// Whether `/proc/filesystems` lists `overlay` (lines are `[nodev]\tNAME`).
pub fn kernel_has_overlay(proc_filesystems: &str) -> bool {
    proc_filesystems
        .lines()
        .any(|line| line.split_whitespace().last() == Some("overlay"))
}

/// `Ok(())` when the kernel's overlay serves this case, else why not.
pub fn native_overlay(facts: &StorageFacts<'_>) -> Result<(), String> {
    if !kernel_has_overlay(facts.proc_filesystems) {
        return Err("the kernel has no overlay filesystem (not in /proc/filesystems)".into());
    }
    if !facts.rootless {
        return Ok(());
    }
    let Some(version) = KernelVersion::parse(facts.kernel_release) else {
        return Err(format!(
            "kernel release \"{}\" is not a version, so overlay without root cannot be assumed",
            facts.kernel_release.trim()
        ));
    };
    let patched = facts
        .os_id
        .is_some_and(|id| PATCHED_DISTRIBUTIONS.contains(&id));
    let needed = if patched {
        ROOTLESS_OVERLAY_PATCHED
    } else {
        ROOTLESS_OVERLAY
    };
    if version >= needed {
        Ok(())
    } else {
        Err(format!(
            "kernel {version} has no overlay without root (needs {ROOTLESS_OVERLAY}, or \
             {ROOTLESS_OVERLAY_PATCHED} on Ubuntu/Debian)"
        ))
    }
}

/// Picks the driver: vfs when asked; overlay natively when the kernel serves this case, else
/// overlay through fuse-overlayfs when it is installed, else an error naming both ways out.
pub fn select_driver(
    request: DriverRequest,
    facts: &StorageFacts<'_>,
) -> Result<StorageDriver, StorageError> {
    if request == DriverRequest::Vfs {
        return Ok(StorageDriver::Vfs);
    }
    match native_overlay(facts) {
        Ok(()) => Ok(StorageDriver::Overlay),
        Err(reason) => match facts.fuse_overlayfs {
            Some(path) => Ok(StorageDriver::FuseOverlay {
                mount_program: path.to_path_buf(),
            }),
            None => Err(StorageError::NoOverlay { reason }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WITH_OVERLAY: &str = "nodev\tsysfs\nnodev\ttmpfs\n\text4\nnodev\toverlay\n";
    const WITHOUT_OVERLAY: &str = "nodev\tsysfs\n\text4\nnodev\tfuse\n";

    fn facts<'a>(
        kernel: &'a str,
        os: Option<&'a str>,
        fs: &'a str,
        rootless: bool,
    ) -> StorageFacts<'a> {
        StorageFacts {
            kernel_release: kernel,
            os_id: os,
            proc_filesystems: fs,
            fuse_overlayfs: None,
            rootless,
        }
    }

    #[test]
    fn parses_kernel_releases() {
        let v = |s| KernelVersion::parse(s);
        assert_eq!(
            v("5.15.0-91-generic"),
            Some(KernelVersion {
                major: 5,
                minor: 15
            })
        );
        assert_eq!(
            v("6.18.44-fc-v1045\n"),
            Some(KernelVersion {
                major: 6,
                minor: 18
            })
        );
        assert_eq!(
            v("5.11"),
            Some(KernelVersion {
                major: 5,
                minor: 11
            })
        );
        assert_eq!(v("garbage"), None);
        assert_eq!(v("5"), None);
    }

    #[test]
    fn driver_parse() {
        assert_eq!(parse_driver(None), Ok(DriverRequest::Overlay));
        assert_eq!(parse_driver(Some("overlay")), Ok(DriverRequest::Overlay));
        assert_eq!(parse_driver(Some("vfs")), Ok(DriverRequest::Vfs));
        assert_eq!(
            parse_driver(Some("btrfs")).unwrap_err().to_string(),
            "unknown WERF_BUILDAH_STORAGE_DRIVER \"btrfs\": use overlay (the default) or vfs"
        );
    }

    #[test]
    fn selection_table() {
        let fuse = Path::new("/usr/bin/fuse-overlayfs");
        let native = Ok(StorageDriver::Overlay);
        let via_fuse = Ok(StorageDriver::FuseOverlay {
            mount_program: fuse.to_path_buf(),
        });
        let cases: Vec<(StorageFacts<'_>, bool, Result<StorageDriver, ()>)> = vec![
            // Root: any kernel with overlay will do.
            (
                facts("4.19.0", None, WITH_OVERLAY, false),
                false,
                native.clone(),
            ),
            (
                facts("6.1.0", None, WITH_OVERLAY, true),
                false,
                native.clone(),
            ),
            (
                facts("5.13.0", Some("fedora"), WITH_OVERLAY, true),
                false,
                native.clone(),
            ),
            (
                facts("5.11.0-22-generic", Some("ubuntu"), WITH_OVERLAY, true),
                false,
                native.clone(),
            ),
            (
                facts("5.11.0", Some("debian"), WITH_OVERLAY, true),
                false,
                native.clone(),
            ),
            (
                facts("5.11.0", Some("fedora"), WITH_OVERLAY, true),
                true,
                via_fuse.clone(),
            ),
            (
                facts("5.10.0", Some("debian"), WITH_OVERLAY, true),
                true,
                via_fuse.clone(),
            ),
            (
                facts("6.1.0", None, WITHOUT_OVERLAY, false),
                true,
                via_fuse.clone(),
            ),
            (
                facts("5.10.0", Some("debian"), WITH_OVERLAY, true),
                false,
                Err(()),
            ),
        ];
        for (mut f, with_fuse, want) in cases {
            if with_fuse {
                f.fuse_overlayfs = Some(fuse);
            }
            let got = select_driver(DriverRequest::Overlay, &f).map_err(|_| ());
            assert_eq!(got, want, "{f:?}");
            assert_eq!(
                select_driver(DriverRequest::Vfs, &f),
                Ok(StorageDriver::Vfs)
            );
        }
    }

    #[test]
    fn errors_verbatim() {
        let old = facts("5.10.0-8-amd64", Some("debian"), WITH_OVERLAY, true);
        assert_eq!(
            select_driver(DriverRequest::Overlay, &old)
                .unwrap_err()
                .to_string(),
            "the overlay storage driver cannot work here: kernel 5.10 has no overlay without root \
             (needs 5.13, or 5.11 on Ubuntu/Debian), and fuse-overlayfs is not on PATH; install \
             fuse-overlayfs (and give the container /dev/fuse), or set \
             WERF_BUILDAH_STORAGE_DRIVER=vfs (slower)"
        );
        let none = facts("6.1.0", None, WITHOUT_OVERLAY, false);
        assert_eq!(
            select_driver(DriverRequest::Overlay, &none)
                .unwrap_err()
                .to_string(),
            "the overlay storage driver cannot work here: the kernel has no overlay filesystem (not \
             in /proc/filesystems), and fuse-overlayfs is not on PATH; install fuse-overlayfs (and \
             give the container /dev/fuse), or set WERF_BUILDAH_STORAGE_DRIVER=vfs (slower)"
        );
        let weird = facts("unknown", None, WITH_OVERLAY, true);
        assert_eq!(
            native_overlay(&weird).unwrap_err(),
            "kernel release \"unknown\" is not a version, so overlay without root cannot be assumed"
        );
    }

    #[test]
    fn flags() {
        let to_strings = |d: StorageDriver| -> Vec<String> {
            d.global_flags()
                .into_iter()
                .map(|s| s.into_string().unwrap())
                .collect()
        };
        assert_eq!(
            to_strings(StorageDriver::Overlay),
            ["--storage-driver=overlay"]
        );
        assert_eq!(to_strings(StorageDriver::Vfs), ["--storage-driver=vfs"]);
        assert_eq!(
            to_strings(StorageDriver::FuseOverlay {
                mount_program: "/usr/bin/fuse-overlayfs".into()
            }),
            [
                "--storage-driver=overlay",
                "--storage-opt",
                "overlay.mount_program=/usr/bin/fuse-overlayfs"
            ]
        );
    }
}
