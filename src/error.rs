//! The library's top-level error and the exit code each kind of failure maps to.

use crate::build::BuildError;
use crate::ci::CiError;
use crate::ci::ci_env::CiEnvError;
use crate::ci::results::ResultsError;
use crate::config::ConfigError;
use crate::plan::PlanError;
use crate::tagrules::TagRuleError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Config(Box<ConfigError>),
    #[error(transparent)]
    Build(Box<BuildError>),
    #[error(transparent)]
    Ci(#[from] CiError),
    #[error(transparent)]
    TagRules(#[from] TagRuleError),
    #[error(transparent)]
    CiEnv(#[from] CiEnvError),
    #[error(transparent)]
    CiResults(ResultsError),
    /// The builder cannot run what the Dockerfiles use.
    #[error(transparent)]
    Unsupported(#[from] crate::backend::capability::Refused),
    /// Flags that do not go together, with how to fix them.
    #[error("{0}")]
    Usage(String),
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
            Error::Plan(_)
            | Error::Config(_)
            | Error::Ci(_)
            | Error::TagRules(_)
            | Error::Unsupported(_)
            | Error::Usage(_) => 2,
            Error::Build(e) if e.is_usage() => 2,
            Error::Build(_)
            | Error::CiEnv(_)
            | Error::CiResults(_)
            | Error::Output(_)
            | Error::ChecksFailed => 1,
        }
    }
}
