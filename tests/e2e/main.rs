//! `slipway build` end to end: the real Docker engine and the registries `scripts/services`
//! starts (127.0.0.1:5000 open, 127.0.0.1:5001 with htpasswd). A missing service fails the test.

mod build_local;
mod build_repo;
mod buildah;
mod buildkit;
mod common;
mod explain;
mod failures;
mod stapel;
mod werf_features;
