//! The buildah backend: [`BuildahBackend`] over the `buildah` CLI, set up from werf's variables
//! by [`setup`]; its pure parts are mode and storage selection, ulimits, the exact `buildah`
//! command lines and the private auth file, and the explanation of buildah's known failures.

mod backend;
pub mod command;
pub mod explain;
pub mod mode;
pub mod setup;
pub mod storage;
pub mod ulimit;

pub use backend::{BuildahBackend, BuildahConfig, Step, instruction_index, parse_step};
pub use setup::{BuildahRequest, from_environment};
