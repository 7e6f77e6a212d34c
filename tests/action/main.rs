//! The GitHub Action's steps run as a runner would run them: a simulated runner environment
//! (GITHUB_* and RUNNER_* variables, output files) and a local HTTP server for release archives.

mod build;
// Shared with the e2e tests; this suite uses only part of it.
#[allow(dead_code)]
#[path = "../e2e/common.rs"]
mod common;
mod install;
