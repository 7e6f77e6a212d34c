//! werf-compatible build reports: JSON (werf's v2 layout, tab-indented, werf's key order) and
//! envfile; written to a temporary file and renamed so no half-written report is ever seen.

use std::path::PathBuf;

use crate::names::ImageName;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    Json,
    Envfile,
}

/// Where and how to write the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTarget {
    pub path: PathBuf,
    pub format: ReportFormat,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write the report {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
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
}

#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub runtime: Runtime,
    /// In plan order (sorted by image name).
    pub images: Vec<ImageReport>,
}

/// Resolves werf 1.2's `--report-path/--report-format` and v2's
/// `--save-build-report/--build-report-path` into one target (None: no report).
pub fn resolve(
    report_path: Option<PathBuf>,
    report_format: Option<ReportFormat>,
    save_build_report: bool,
    build_report_path: Option<PathBuf>,
) -> Result<Option<ReportTarget>, ReportError> {
    let _ = (
        report_path,
        report_format,
        save_build_report,
        build_report_path,
    );
    todo!()
}

/// Writes `report` to `target` atomically.
pub fn write(target: &ReportTarget, report: &Report) -> Result<(), ReportError> {
    let _ = (target, report);
    todo!()
}

/// Now, as RFC 3339 UTC with seconds (`2026-12-02T07:20:54Z`), for OCI `created` labels.
pub fn rfc3339_now() -> String {
    todo!()
}
