//! The GitHub Action's steps run as a runner would run them: a simulated runner environment
//! (GITHUB_* and RUNNER_* variables, output files) and a local HTTP server for release archives.

mod install;
