//! One shell stage as a backend runs it: a container from the previous stage running the
//! commands with `/bin/sh -ec`, the mounts bound in, committed with the image's own
//! `CMD`/`ENTRYPOINT`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::StageName;
use crate::backend::BackendError;
use crate::names::ImageName;
use crate::secret::Credentials;

pub struct StageRun {
    pub image: ImageName,
    pub stage: StageName,
    /// The image to run in (the previous stage).
    pub from: String,
    pub commands: Vec<String>,
    /// Host directory and container path of every mount.
    pub mounts: Vec<(PathBuf, String)>,
    pub labels: BTreeMap<String, String>,
    /// Logins for pulling `from`, by registry host.
    pub registry_credentials: BTreeMap<String, Credentials>,
    /// The reference to give the result.
    pub tag: String,
}

impl StageRun {
    /// The commands as one script; `sh -e` stops at the first failing one.
    pub fn script(&self) -> String {
        self.commands.join("\n")
    }

    /// The commands failed: `code` is the shell's exit status, `tail` the last output lines.
    pub fn failed(&self, message: String, tail: Vec<String>) -> BackendError {
        BackendError::BuildFailed {
            image: self.image.clone(),
            location: format!("stage {}", self.stage),
            message,
            tail,
            explanations: Vec::new(),
        }
    }

    /// The image has no POSIX shell to run the commands with.
    pub fn no_shell(&self) -> BackendError {
        self.failed(
            format!(
                "{} has no /bin/sh: slipway runs Stapel shell stages with the image's own POSIX \
                 shell (it does not mount werf's stapel toolchain); use a base image that has \
                 /bin/sh, or install one in it",
                self.from
            ),
            Vec::new(),
        )
    }
}
