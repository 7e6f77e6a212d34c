//! What a finished run leaves in the CI: on GitHub the step outputs, the job summary and the
//! annotations; on GitLab the dotenv and annotations reports later jobs and the job page read.

use std::path::{Path, PathBuf};

use super::github_output::{self, Annotation, AnnotationPlan, Severity, SummaryRow};
use super::gitlab_output;
use super::{CiEnv, ImageRef, PipelineInfo, RandomToken};
use crate::backend::BackendError;
use crate::build::{BuildError, BuildOutcome, Outcome, Published};
use crate::plan::PlannedImage;
use crate::report;

/// A finished run, as the CI integrations see it.
pub struct CiResults<'a> {
    /// werf's "Concurrent builds plan" block.
    pub plan_block: String,
    pub outcome: Option<&'a BuildOutcome>,
    pub failure: Option<&'a BuildError>,
    /// Warnings logged during the run.
    pub warnings: Vec<Annotation>,
    /// The project directory relative to the repository's root ("" at the root): CI systems
    /// place annotations by repository paths, and Dockerfile paths are the project's.
    pub project_prefix: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error("cannot write {what} {path}: {source}; check that the path is writable")]
    Write {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("GitHub step outputs: {0}")]
    Outputs(#[from] github_output::GithubOutputError),
    #[error("GitLab dotenv report: {0}")]
    Dotenv(#[from] gitlab_output::DotenvError),
    #[error("GitLab annotations report: {0}")]
    Annotations(#[from] gitlab_output::AnnotationsError),
    #[error("cannot make a random delimiter for GITHUB_OUTPUT: {0}")]
    Random(std::io::Error),
}

impl CiResults<'_> {
    /// The published images of a successful run, in plan order (sorted by name).
    fn published(&self) -> impl Iterator<Item = (&PlannedImage, &Published)> {
        self.outcome.into_iter().flat_map(|o| {
            o.plan
                .images
                .iter()
                .filter_map(|i| Some((i, o.published.get(&i.name)?)))
        })
    }

    fn images(&self) -> Vec<ImageRef> {
        self.published()
            .map(|(i, p)| ImageRef {
                name: i.name.clone(),
                reference: p.reference(),
            })
            .collect()
    }

    /// Errors first (the failing Dockerfile line), then the run's warnings.
    pub fn annotations(&self) -> Vec<Annotation> {
        let mut out = Vec::new();
        if let Some(e) = self.failure {
            failure_annotations(e, &mut out);
            for a in &mut out {
                if let Some(file) = &mut a.file
                    && !self.project_prefix.is_empty()
                {
                    *file = format!("{}/{file}", self.project_prefix);
                }
            }
        }
        out.extend(self.warnings.iter().cloned());
        out
    }
}

/// The errors a failed run shows, at the failing instruction when it is known.
fn failure_annotations(error: &BuildError, out: &mut Vec<Annotation>) {
    match error {
        BuildError::Shared(inner) => failure_annotations(inner, out),
        BuildError::Several(all) => {
            for e in all {
                failure_annotations(e, out);
            }
        }
        BuildError::Backend(BackendError::BuildFailed {
            image,
            location,
            message,
            ..
        }) => {
            let mut a = Annotation::new(Severity::Error, message.clone());
            a.title = Some(format!("image {image} failed to build"));
            let (file, line) = match location.rsplit_once(':') {
                Some((file, line)) if line.parse::<u32>().is_ok() => (file, line.parse().ok()),
                _ => (location.as_str(), None),
            };
            a.file = Some(file.to_owned());
            a.line = line;
            out.push(a);
        }
        other => {
            let mut a = Annotation::new(Severity::Error, other.to_string());
            a.title = Some("slipway build failed".to_owned());
            out.push(a);
        }
    }
}

fn append(what: &'static str, path: &Path, content: &str) -> Result<(), ResultsError> {
    github_output::append(path, content).map_err(|source| ResultsError::Write {
        what,
        path: path.to_owned(),
        source,
    })
}

/// Prints the annotations and appends the outputs and the job summary. Returns warnings.
pub fn github(results: &CiResults<'_>, env: &CiEnv) -> Result<Vec<String>, ResultsError> {
    let mut warnings = Vec::new();
    let plan = AnnotationPlan::new(results.annotations());
    print!("{}", plan.commands());

    let images = results.images();
    if let Some(outcome) = results.outcome {
        match env.get("GITHUB_OUTPUT") {
            Some(path) => {
                let delimiter = RandomToken::generate().map_err(ResultsError::Random)?;
                let outputs =
                    github_output::outputs(&report::to_json(&outcome.report), &images, &delimiter)?;
                warnings.extend(outputs.warnings);
                append("GITHUB_OUTPUT", Path::new(path), &outputs.content)?;
            }
            None => warnings.push(
                "GITHUB_OUTPUT is not set: the step outputs (report, images) are not written"
                    .to_owned(),
            ),
        }
    }
    if let Some(path) = env.get("GITHUB_STEP_SUMMARY") {
        let rows: Vec<SummaryRow> = results
            .published()
            .map(|(i, p)| SummaryRow {
                image: i.name.clone(),
                reference: p.reference(),
                outcome: match p.outcome {
                    Outcome::Built => github_output::BuildOutcome::Built,
                    Outcome::Reused | Outcome::Copied(_) => github_output::BuildOutcome::Reused,
                },
                seconds: p.seconds,
                digest: Some(i.digest.to_string()),
                reasons: p.rebuild_reasons.clone(),
            })
            .collect();
        let title = match results.outcome {
            Some(_) => format!("slipway build: {} images", rows.len()),
            None => "slipway build failed".to_owned(),
        };
        let mut messages = plan.omitted.clone();
        if results.outcome.is_none() {
            messages = plan.shown.iter().chain(&plan.omitted).cloned().collect();
        }
        let summary = github_output::step_summary(&title, &results.plan_block, &rows, &messages);
        append("GITHUB_STEP_SUMMARY", Path::new(path), &summary)?;
    }
    Ok(warnings)
}

/// Writes the dotenv and annotations reports asked for. Returns warnings.
pub fn gitlab(
    results: &CiResults<'_>,
    info: &PipelineInfo,
    dotenv: Option<&Path>,
    annotations: Option<&Path>,
) -> Result<Vec<String>, ResultsError> {
    let mut warnings = Vec::new();
    if results.outcome.is_none() {
        if let Some(path) = annotations {
            let errors: Vec<Annotation> = results
                .annotations()
                .into_iter()
                .filter(|a| a.severity == Severity::Error)
                .collect();
            let json = gitlab_output::failure_annotations(&errors, info)?;
            write("GitLab annotations report", path, &json)?;
        }
        return Ok(warnings);
    }
    let images = results.images();
    if let Some(path) = dotenv {
        let d = gitlab_output::image_dotenv(&images)?;
        warnings.extend(d.warnings);
        write("GitLab dotenv report", path, &d.content)?;
    }
    if let Some(path) = annotations {
        let reasons: Vec<(crate::names::ImageName, Vec<String>)> = results
            .published()
            .filter(|(_, p)| !p.rebuild_reasons.is_empty())
            .map(|(i, p)| (i.name.clone(), p.rebuild_reasons.clone()))
            .collect();
        let json = gitlab_output::annotations_with_reasons(
            &images,
            &reasons,
            info.registry.as_ref(),
            &info.project_url,
        )?;
        write("GitLab annotations report", path, &json)?;
    }
    Ok(warnings)
}

fn write(what: &'static str, path: &Path, content: &str) -> Result<(), ResultsError> {
    std::fs::write(path, content).map_err(|source| ResultsError::Write {
        what,
        path: path.to_owned(),
        source,
    })
}

/// The run as the API integrations (check run, commit status, MR note) describe it.
pub fn api_outcome(results: &CiResults<'_>) -> super::api_report::BuildOutcome {
    let images = results
        .published()
        .map(|(i, p)| super::api_report::ImageRow {
            name: i.name.to_string(),
            reference: Some(p.reference()),
            result: p.outcome.word().to_owned(),
            seconds: Some(p.seconds),
            digest: Some(i.digest.to_string()),
        })
        .collect();
    super::api_report::BuildOutcome {
        success: results.failure.is_none(),
        images,
        failure: results
            .failure
            .map(|e| e.to_string().lines().next().unwrap_or_default().to_owned()),
    }
}
