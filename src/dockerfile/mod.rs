//! Dockerfiles: slipway's own BuildKit-compatible syntax parser, word expansion, and the stage
//! graph with ARG scoping that digests and dependencies are computed from.

pub mod features;
pub mod parser;
pub mod shell;
pub mod stages;
