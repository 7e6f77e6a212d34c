//! slipway: builds the images a werf.yaml describes, from the git commit, as a CI step.
//! The data flows one way: environment + config → plan (pure data) → execution → report.

pub mod backend;
pub mod build;
pub mod ci;
pub mod cli;
pub mod config;
pub mod context;
pub mod digest;
pub mod dockerfile;
pub mod doctor;
pub mod environment;
pub mod error;
pub mod gotemplate;
pub mod inputs;
pub mod names;
pub mod plan;
pub mod registry;
pub mod report;
pub mod secret;
pub mod stapel;
pub mod storage;
pub mod sync;
pub mod tagrules;
pub mod tags;

pub use error::Error;
