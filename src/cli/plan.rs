//! `slipway plan`: the plan offline, or with a repo (flag, `WERF_REPO` or the CI pipeline's, as
//! `build` resolves it) also what each image will be — reused, copied or built — and its tags.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use clap::Args;

use super::build::{Settings, TagRuleArgs, settings, with_env};
use super::{DockerBuilderArgs, Output, ProjectArgs};
use crate::Error;
use crate::backend::capability;
use crate::build::{self, BuildLog, BuildOptions, PlainLog};
use crate::ci::{self, CiEnv, CiProvider, CiSelection};
use crate::environment;
use crate::plan::{self, Plan, PlanRequest};
use crate::sync::Synchronization;

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// Only these images and the images they depend on (default: all).
    images: Vec<String>,
    #[command(flatten)]
    project: ProjectArgs,
    /// Build engine whose limits the images are checked against: docker or buildah (default:
    /// WERF_BUILDAH_MODE decides, else docker).
    #[arg(long)]
    backend: Option<String>,
    #[command(flatten)]
    docker_builder: DockerBuilderArgs,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    output: Output,
    /// At most this many images build at the same time; 0 or less means no limit.
    #[arg(
        long,
        env = "WERF_PARALLEL_TASKS_LIMIT",
        default_value_t = 5,
        allow_negative_numbers = true
    )]
    parallel_tasks_limit: i64,
    /// Look the digests up in this repo (default: the CI registry in a pipeline) and show
    /// whether each image is reused or built, with every tag it will get.
    #[arg(long, env = "WERF_REPO")]
    repo: Option<String>,
    /// Read-only repo a missing stage would be copied from (repeatable).
    #[arg(long = "secondary-repo")]
    secondary_repo: Vec<String>,
    /// Cache repo a missing stage would be copied from (repeatable).
    #[arg(long = "cache-repo")]
    cache_repo: Vec<String>,
    /// Repo that would receive final images and custom tags.
    #[arg(long, env = "WERF_FINAL_REPO")]
    final_repo: Option<String>,
    /// Custom tag template for final images (repeatable; also WERF_ADD_CUSTOM_TAG_*).
    #[arg(long = "add-custom-tag")]
    add_custom_tag: Vec<String>,
    /// Registry reached over plain HTTP (repeatable); localhost and 127.0.0.1 always are.
    #[arg(long = "insecure-registry")]
    insecure_registry: Vec<String>,
    /// The CI system whose repo and tags to use: auto, github, gitlab or none.
    #[arg(long, env = "SLIPWAY_CI", default_value = "auto")]
    ci: CiSelection,
    #[command(flatten)]
    tags: TagRuleArgs,
}

pub(crate) fn run(args: PlanArgs) -> Result<(), Error> {
    let choice = args.docker_builder.choice()?;
    let env: CiEnv = environment::vars().into_iter().collect();
    let provider = ci::detect(args.ci, &env);
    let pipeline = provider.map(|p| ci::read_pipeline(p, &env)).transpose()?;
    let mut plan = plan::plan(&PlanRequest {
        template: args.project.template_inputs(),
        dir: args.project.dir,
        config: args.project.config,
        dev: args.project.dev,
        images: args.images,
        parallel_tasks_limit: args.parallel_tasks_limit,
        revision: None,
    })?;
    for w in &plan.warnings {
        eprintln!("warning: {w}");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Output)?;
    // `build` checks again against the engine it gets: only it knows the engine's version.
    let builder = runtime
        .block_on(crate::backend::known_builder(
            args.backend.as_deref(),
            &choice,
        ))
        .map_err(|e| Error::Build(Box::new(e.into())))?;
    if let Some(builder) = builder {
        capability::check(&plan, &builder)?;
    }
    let Settings {
        repo,
        custom_tags,
        registry_credentials,
        skipped_rules,
        tag_warnings,
        ..
    } = settings(
        pipeline.as_ref(),
        &plan.project,
        args.repo,
        with_env(args.add_custom_tag, "WERF_ADD_CUSTOM_TAG_"),
        &args.tags,
    )?;
    for line in &skipped_rules {
        eprintln!("slipway: {line}");
    }
    for w in &tag_warnings {
        eprintln!("warning: {w}");
    }
    if let Some(repo) = repo {
        let options = BuildOptions {
            repo: Some(repo),
            secondary_repos: with_env(args.secondary_repo, "WERF_SECONDARY_REPO_"),
            cache_repos: with_env(args.cache_repo, "WERF_CACHE_REPO_"),
            final_repo: args.final_repo,
            custom_tags,
            use_custom_tag: None,
            report: None,
            parallel: true,
            synchronization: Synchronization::parse(":local", environment::lock_dir())
                .map_err(|e| Error::Build(Box::new(e.into())))?,
            ssh_auth_sock: None,
            labels: BTreeMap::new(),
            in_container: false,
            stapel_dirs: crate::build::StapelDirs {
                shared: environment::stapel_shared_mounts(),
                temp: environment::temp_dir(),
            },
            // Nothing is built: which secrets are set does not matter here.
            secret_env: Default::default(),
        };
        let registry = super::registry_client(args.insecure_registry, registry_credentials);
        let log: Arc<dyn BuildLog> = Arc::new(PlainLog::default());
        let mut found = runtime
            .block_on(build::lookup(&plan, &options, registry, log))
            .map_err(|e| Error::Build(Box::new(e)))?;
        for image in &mut plan.images {
            image.storage = found.remove(&image.name);
            if let Some(stages) = image.storage.as_mut().and_then(|s| s.stages.take()) {
                image.stages = stages;
            }
        }
    }
    let text = match args.output {
        Output::Text => format!("{}{}", plan::render_text(&plan), render_storage(&plan)),
        Output::Json => {
            let mut s = serde_json::to_string_pretty(&plan).expect("the plan serializes to JSON");
            s.push('\n');
            s
        }
    };
    let text = match pipeline.as_ref().map(|p| p.provider) {
        Some(CiProvider::GitLab) if has_storage(&plan) => {
            let now = unix_now();
            format!(
                "{}{text}{}",
                ci::gitlab_output::section_start("slipway-plan", "slipway plan", false, now),
                ci::gitlab_output::section_end("slipway-plan", now)
            )
        }
        _ => text,
    };
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(Error::Output)?;
    if let Some(CiProvider::GitHub) = pipeline.as_ref().map(|p| p.provider)
        && has_storage(&plan)
        && let Some(path) = env.get("GITHUB_STEP_SUMMARY")
    {
        let summary = ci::github_output::plan_summary(&plan_rows(&plan));
        ci::github_output::append(Path::new(path), &summary).map_err(|source| {
            Error::CiResults(ci::results::ResultsError::Write {
                what: "GITHUB_STEP_SUMMARY",
                path: path.into(),
                source,
            })
        })?;
    }
    Ok(())
}

fn has_storage(plan: &Plan) -> bool {
    plan.images.iter().any(|i| i.storage.is_some())
}

/// `(image, status, tags)` per image with a storage lookup.
fn plan_rows(plan: &Plan) -> Vec<(String, String, Vec<String>)> {
    plan.images
        .iter()
        .filter_map(|i| {
            let s = i.storage.as_ref()?;
            Some((i.name.to_string(), status_text(s), s.tags.clone()))
        })
        .collect()
}

fn status_text(s: &plan::Storage) -> String {
    match &s.existing_tag {
        Some(tag) => format!("{} {tag}", s.status),
        None => s.status.to_owned(),
    }
}

/// One block per image: `backend: reuse <repo>:<tag>` or `backend: build`, then its tags.
fn render_storage(plan: &Plan) -> String {
    if !has_storage(plan) {
        return String::new();
    }
    let mut out = String::from("\n");
    for (name, status, tags) in plan_rows(plan) {
        let name = if name.is_empty() { "(unnamed)" } else { &name };
        out.push_str(&format!("{name}: {status}\n"));
        for t in tags {
            out.push_str(&format!("  {t}\n"));
        }
    }
    out
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
