//! werf-compatible build reports: JSON (werf's v2 layout, tab-indented, werf's key order) and
//! envfile; written to a temporary file and renamed so no half-written report is ever seen.

mod atomic;
mod envfile;
mod json;
mod target;
mod time;

use std::fmt;
use std::path::PathBuf;

use crate::names::ImageName;

pub use envfile::{to_envfile, variable_prefix};
pub use json::to_json;
pub use target::{DEFAULT_BUILD_REPORT_PATH, resolve};
pub(crate) use time::civil_from_days;
pub use time::{rfc3339_from_unix, rfc3339_now};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    Envfile,
}

impl fmt::Display for ReportFormat {
    /// The spelling of werf's `--report-format` values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ReportFormat::Json => "json",
            ReportFormat::Envfile => "envfile",
        })
    }
}

/// Where and how to write the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTarget {
    pub path: PathBuf,
    pub format: ReportFormat,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(
        "cannot write the report {}: {source}; check that its directory is writable and has free \
         space, or choose another path (--report-path or --build-report-path)",
        path.display()
    )]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot create the directory {} for the report {}: {source}; create it yourself or choose \
         another path (--report-path or --build-report-path)",
        dir.display(),
        path.display()
    )]
    CreateDir {
        dir: PathBuf,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the report path {} names a directory, not a file; pass a file path such as {}",
        path.display(),
        path.join(DEFAULT_BUILD_REPORT_PATH).display()
    )]
    NotAFile { path: PathBuf },
    #[error(
        "--build-report-path {}: the extension {extension:?} picks no report format; use .json \
         for JSON or .env for an envfile (without an extension .json is appended), e.g. {}",
        path.display(),
        path.with_extension("json").display()
    )]
    UnknownExtension { path: PathBuf, extension: String },
    #[error(
        "--report-path {} ({legacy_format}, werf 1.2) and --save-build-report with \
         --build-report-path {} ({v2_format}, werf v2) ask for different reports; use only \
         --save-build-report with --build-report-path (werf v2 rejects the 1.2 flags next to \
         them), or point both at the same file with the same format \
         (also check WERF_REPORT_PATH, WERF_REPORT_FORMAT and WERF_BUILD_REPORT_PATH)",
        legacy_path.display(),
        v2_path.display()
    )]
    Conflict {
        legacy_path: PathBuf,
        legacy_format: ReportFormat,
        v2_path: PathBuf,
        v2_format: ReportFormat,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Runtime {
    pub backend: String,
    pub in_container: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StageReport {
    pub name: String,
    pub docker_image_name: String,
    pub docker_tag: String,
    pub docker_image_id: String,
    pub docker_image_digest: String,
    pub created_at_ns: u128,
    pub size: u64,
    pub source_type: String,
    pub base_image_pulled: bool,
    pub rebuilt: bool,
    pub build_time_seconds: f64,
    pub commit: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImageReport {
    pub werf_image_name: ImageName,
    pub docker_repo: String,
    pub docker_tag: String,
    pub docker_image_id: String,
    pub docker_image_digest: String,
    pub docker_image_name: String,
    pub target_platform: String,
    pub rebuilt: bool,
    pub is_final: bool,
    pub size: u64,
    pub build_time_seconds: f64,
    pub commit: String,
    pub stages: Vec<StageReport>,
    /// Why the image was built (slipway's addition; empty when it was not built).
    pub rebuild_reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub runtime: Runtime,
    /// In plan order (sorted by image name).
    pub images: Vec<ImageReport>,
}

impl Report {
    /// The report's bytes in `format`.
    pub fn render(&self, format: ReportFormat) -> String {
        match format {
            ReportFormat::Json => to_json(self),
            ReportFormat::Envfile => to_envfile(self),
        }
    }
}

/// Writes `report` to `target` atomically: a reader sees the old report or the new one, never a
/// part, and a failed write leaves the old report in place. A missing parent directory is created.
pub fn write(target: &ReportTarget, report: &Report) -> Result<(), ReportError> {
    atomic::write_atomically(&target.path, report.render(target.format).as_bytes())
}

#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// Two images as a run against a registry reports them; `first` may be the unnamed image.
    pub fn two_images(first: ImageName) -> Report {
        let stage = |name: &str, tag: &str, rebuilt: bool| StageReport {
            name: name.to_owned(),
            docker_image_name: format!("localhost:5000/demo:{tag}"),
            docker_tag: tag.to_owned(),
            docker_image_id: "sha256:1111".to_owned(),
            docker_image_digest: "sha256:2222".to_owned(),
            created_at_ns: 1_700_000_000_123_000_000,
            size: 20_960_980,
            source_type: if rebuilt { "" } else { "repo" }.to_owned(),
            base_image_pulled: false,
            rebuilt,
            build_time_seconds: 1.23456,
            commit: "0123abc".to_owned(),
        };
        let image = |name: ImageName, tag: &str, rebuilt: bool, is_final: bool| ImageReport {
            stages: vec![stage(&name.to_string(), tag, rebuilt)],
            werf_image_name: name,
            docker_repo: "localhost:5000/demo".to_owned(),
            docker_tag: tag.to_owned(),
            docker_image_id: "sha256:1111".to_owned(),
            docker_image_digest: "sha256:2222".to_owned(),
            docker_image_name: format!("localhost:5000/demo:{tag}"),
            target_platform: "linux/amd64".to_owned(),
            rebuilt,
            is_final,
            size: 20_960_980,
            build_time_seconds: if rebuilt { 1.23456 } else { 0.0 },
            commit: "0123abc".to_owned(),
            rebuild_reasons: Vec::new(),
        };
        Report {
            runtime: Runtime {
                backend: "docker".to_owned(),
                in_container: false,
            },
            images: vec![
                image(first, "aaaa-1700000000123", true, true),
                image(
                    ImageName::parse("frontend/assets.v2").unwrap(),
                    "bbbb-1700000000456",
                    false,
                    false,
                ),
            ],
        }
    }
}
