//! `slipway explain IMAGE`: why the image's digest differs from its most recent published build
//! (or from a given tag, or from another commit computed locally), most relevant change first.

use clap::Args;

use super::ProjectArgs;
use super::build::{Settings, TagRuleArgs, settings};
use crate::Error;
use crate::build::BuildError;
use crate::ci::{self, CiEnv, CiSelection};
use crate::environment;
use crate::inputs::previous::{self, LabelCache, Previous};
use crate::inputs::{DigestInputs, LABEL, reasons};
use crate::plan::{self, PlanError, PlanRequest, PlannedImage};
use crate::registry::{ImageRef, RegistryClient, RegistryError, RepoName, Tag};
use crate::storage::{StageIndex, StageTag};

#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    /// The image of werf.yaml to explain.
    image: String,
    #[command(flatten)]
    project: ProjectArgs,
    /// Compare with this tag of the repo instead of the image's most recent published build.
    #[arg(long, conflicts_with = "against_commit")]
    against: Option<String>,
    /// Compare with the inputs computed locally at this commit (e.g. HEAD~1); no registry.
    #[arg(long)]
    against_commit: Option<String>,
    /// The repo to find published builds in (default: the CI registry in a pipeline).
    #[arg(long, env = "WERF_REPO")]
    repo: Option<String>,
    /// Registry reached over plain HTTP (repeatable); localhost and 127.0.0.1 always are.
    #[arg(long = "insecure-registry")]
    insecure_registry: Vec<String>,
    /// The CI system whose repo to use: auto, github, gitlab or none.
    #[arg(long, env = "SLIPWAY_CI", default_value = "auto")]
    ci: CiSelection,
}

pub(crate) fn run(args: ExplainArgs) -> Result<(), Error> {
    let request = |revision: Option<String>| PlanRequest {
        template: args.project.template_inputs(),
        dir: args.project.dir.clone(),
        config: args.project.config.clone(),
        dev: args.project.dev && revision.is_none(),
        images: vec![args.image.clone()],
        parallel_tasks_limit: 0,
        revision,
    };
    let current = plan::plan(&request(None))?;
    for w in &current.warnings {
        eprintln!("warning: {w}");
    }
    let image = find(&current.images, &args.image);
    let new = DigestInputs::of(image);

    let (against, found) = match &args.against_commit {
        Some(rev) => {
            let against = format!("commit {rev}");
            match plan::plan(&request(Some(rev.clone()))) {
                Ok(old_plan) => {
                    let against = format!("commit {rev} ({})", &old_plan.commit[..12]);
                    let old = find(&old_plan.images, &args.image);
                    if old.digest == image.digest {
                        (against, None)
                    } else {
                        (against, Some(reasons(Some(&DigestInputs::of(old)), &new)))
                    }
                }
                Err(PlanError::UnknownImage { .. }) => (
                    against,
                    Some(vec![format!(
                        "image {} is not in werf.yaml at {rev}",
                        image.name
                    )]),
                ),
                Err(e) => return Err(e.into()),
            }
        }
        None => {
            let env: CiEnv = environment::vars().into_iter().collect();
            let pipeline = ci::detect(args.ci, &env)
                .map(|p| ci::read_pipeline(p, &env))
                .transpose()?;
            let no_rules = TagRuleArgs {
                tag_rule: Vec::new(),
                tag_flavor: Vec::new(),
                tag_pr_head_sha: false,
            };
            let Settings {
                repo,
                registry_credentials,
                ..
            } = settings(
                pipeline.as_ref(),
                &current.project,
                args.repo.clone(),
                Vec::new(),
                &no_rules,
            )?;
            let Some(repo) = repo else {
                return Err(Error::Usage(
                    "slipway explain compares with the image's published builds, and no repo is \
                     known: pass --repo (or set WERF_REPO), or compare with another commit \
                     locally with --against-commit REV"
                        .to_owned(),
                ));
            };
            let repo = RepoName::parse(&repo).map_err(|reason| bad_repo(&repo, reason))?;
            let registry =
                super::registry_client(args.insecure_registry.clone(), registry_credentials);
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(Error::Output)?;
            runtime
                .block_on(against_repo(
                    &registry,
                    &repo,
                    args.against.as_deref(),
                    image,
                    &new,
                ))
                .map_err(|e| Error::Build(Box::new(e)))?
        }
    };
    let name = if image.name.is_unnamed() {
        "(unnamed)".to_owned()
    } else {
        image.name.to_string()
    };
    match found {
        None => println!(
            "image {name}: the digest {} is the same as at {against}: nothing to rebuild",
            image.digest
        ),
        Some(reasons) => {
            println!("image {name}: digest {} against {against}:", image.digest);
            for r in reasons {
                println!("- {r}");
            }
        }
    }
    Ok(())
}

/// `(what was compared with, reasons)`; no reasons when the digest is already published.
async fn against_repo(
    registry: &RegistryClient,
    repo: &RepoName,
    against: Option<&str>,
    image: &PlannedImage,
    new: &DigestInputs,
) -> Result<(String, Option<Vec<String>>), BuildError> {
    if let Some(tag) = against {
        let tag = Tag::parse(tag).map_err(|reason| BuildError::BadRepo {
            what: "--against tag",
            value: tag.to_owned(),
            reason,
        })?;
        let reference = ImageRef::new(repo.clone(), tag.clone());
        if StageTag::parse(tag.as_str()).is_some_and(|s| s.digest == image.digest) {
            return Ok((reference.to_string(), None));
        }
        let labels = registry
            .labels(&reference)
            .await?
            .ok_or_else(|| RegistryError::missing(&reference))?;
        let Some(old) = labels.get(LABEL).and_then(|v| DigestInputs::from_label(v)) else {
            return Err(BuildError::BadRepo {
                what: "--against tag",
                value: reference.to_string(),
                reason: format!(
                    "the image has no {LABEL} label (it was not built by a slipway that records \
                     digest inputs); compare with a newer tag, or with --against-commit REV"
                ),
            });
        };
        return Ok((reference.to_string(), Some(reasons(Some(&old), new))));
    }
    let tags = registry.list_tags(repo).await?;
    let index = StageIndex::from_tags(tags.iter().map(Tag::as_str));
    if let Some(stage) = index.get(&image.digest) {
        return Ok((format!("{repo}:{stage}"), None));
    }
    let cache = LabelCache::default();
    let found = previous::newest_build(registry, &cache, repo, &index, image.name.as_str()).await?;
    let against = match &found {
        Previous::Found { reference, .. } => reference.clone(),
        Previous::NotFound { .. } => format!("the builds in {repo}"),
    };
    Ok((against, Some(previous::explain(&found, new))))
}

fn find<'a>(images: &'a [PlannedImage], name: &str) -> &'a PlannedImage {
    images
        .iter()
        .find(|i| i.name.as_str() == name)
        .expect("a plan of one image holds it")
}

fn bad_repo(repo: &str, reason: String) -> Error {
    Error::Build(Box::new(BuildError::BadRepo {
        what: "--repo",
        value: repo.to_owned(),
        reason,
    }))
}
