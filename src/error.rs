//! The library's top-level error and the exit code each kind of failure maps to.

use crate::build::BuildError;
use crate::plan::PlanError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Build(Box<BuildError>),
    #[error("cannot write to standard output: {0}")]
    Output(std::io::Error),
    #[error("some checks failed (the lines starting with \"fail\" above say how to fix them)")]
    ChecksFailed,
}

impl Error {
    /// 2 for problems the user fixes in the configuration or the invocation, 1 for failures
    /// while doing the work.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Plan(_) => 2,
            Error::Build(e) if e.is_usage() => 2,
            Error::Build(_) => 1,
            Error::Output(_) | Error::ChecksFailed => 1,
        }
    }
}
