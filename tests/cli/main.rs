//! The slipway binary, run on temporary git repositories.

mod ci_env;
mod common;
mod explain;
mod plan_digest;
mod plan_errors;
mod plan_output;
mod plan_stapel;
mod templates;
