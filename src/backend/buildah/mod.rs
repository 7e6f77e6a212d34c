//! The buildah backend's pure parts: mode and storage selection, ulimits, the exact `buildah`
//! command lines and the private auth file, and the explanation of buildah's known failures.

pub mod command;
pub mod explain;
pub mod mode;
pub mod storage;
pub mod ulimit;
