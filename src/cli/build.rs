//! `slipway build`: flags and werf's variables, the settings the CI pipeline supplies, the plan,
//! the run, and the CI's own results (outputs, summary, annotations, dotenv).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};

use super::ProjectArgs;
use crate::Error;
use crate::build::{self, BuildLog, BuildOptions, PlainLog};
use crate::ci::github_api::{CheckRunReport, GithubApiConfig, publish_check_run};
use crate::ci::gitlab_api::{CommitStatusReport, GitlabApi, GitlabApiConfig, MergeRequestNote};
use crate::ci::log::{CiLog, Dialect};
use crate::ci::results::{self, CiResults};
use crate::ci::{self, CiEnv, CiProvider, CiSelection};
use crate::environment;
use crate::plan::{self, PlanRequest};
use crate::report::{self, ReportFormat};
use crate::secret::Secret;
use crate::sync::Synchronization;
use crate::tagrules::{EvalOptions, TagRules};

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormatArg {
    Json,
    Envfile,
}

#[derive(Debug, Args)]
pub(crate) struct BuildArgs {
    /// Only these images and the images they depend on (default: all).
    images: Vec<String>,
    #[command(flatten)]
    project: ProjectArgs,
    /// Primary repo for stages (default: the CI registry in a pipeline, else the engine's local
    /// storage).
    #[arg(long, env = "WERF_REPO")]
    repo: Option<String>,
    /// Read-only repo to copy existing stages from (repeatable; also WERF_SECONDARY_REPO_*).
    #[arg(long = "secondary-repo")]
    secondary_repo: Vec<String>,
    /// Read-write cache repo (repeatable; also WERF_CACHE_REPO_*).
    #[arg(long = "cache-repo")]
    cache_repo: Vec<String>,
    /// Repo that receives final images and custom tags; the report points there.
    #[arg(long, env = "WERF_FINAL_REPO")]
    final_repo: Option<String>,
    /// Custom tag template for final images (repeatable; also WERF_ADD_CUSTOM_TAG_*).
    #[arg(long = "add-custom-tag")]
    add_custom_tag: Vec<String>,
    /// Name this custom tag template's tag in the report and logs instead of the content tag.
    #[arg(long, env = "WERF_USE_CUSTOM_TAG")]
    use_custom_tag: Option<String>,
    /// Write werf's report here (werf 1.2 flag).
    #[arg(long, env = "WERF_REPORT_PATH")]
    report_path: Option<PathBuf>,
    /// Report format for --report-path.
    #[arg(long, env = "WERF_REPORT_FORMAT", value_enum)]
    report_format: Option<ReportFormatArg>,
    /// Write werf v2's build report (to --build-report-path or .werf-build-report.json).
    #[arg(long, env = "WERF_SAVE_BUILD_REPORT")]
    save_build_report: bool,
    /// werf v2's build report path; the extension (.json, .env) picks the format.
    #[arg(long, env = "WERF_BUILD_REPORT_PATH")]
    build_report_path: Option<PathBuf>,
    /// Build the images of a set concurrently.
    #[arg(long, env = "WERF_PARALLEL", default_value_t = true, action = clap::ArgAction::Set)]
    parallel: bool,
    /// At most this many images build at the same time; 0 or less means no limit.
    #[arg(
        long,
        env = "WERF_PARALLEL_TASKS_LIMIT",
        default_value_t = 5,
        allow_negative_numbers = true
    )]
    parallel_tasks_limit: i64,
    /// How concurrent runs agree on publishing a digest: `:local` (file locks on this host).
    #[arg(long, env = "WERF_SYNCHRONIZATION", default_value = ":local")]
    synchronization: String,
    /// Registry reached over plain HTTP (repeatable); localhost and 127.0.0.1 always are.
    #[arg(long = "insecure-registry")]
    insecure_registry: Vec<String>,
    /// The CI system to integrate with: auto (GITHUB_ACTIONS=true → github, GITLAB_CI=true →
    /// gitlab), github, gitlab or none.
    #[arg(long, env = "SLIPWAY_CI", default_value = "auto")]
    ci: CiSelection,
    #[command(flatten)]
    tags: TagRuleArgs,
    /// GitLab: write the dotenv report (`WERF_<IMAGE>_DOCKER_IMAGE_NAME`) here.
    #[arg(long)]
    gitlab_dotenv: Option<PathBuf>,
    /// GitLab: write the annotations report (a link per image) here.
    #[arg(long)]
    gitlab_annotations: Option<PathBuf>,
    /// GitHub: also create a check run with the results and annotations (needs GITHUB_TOKEN
    /// with `checks: write`).
    #[arg(long)]
    github_check_run: bool,
    /// GitLab: post a commit status (needs GITLAB_TOKEN: an access token with `api` scope).
    #[arg(long)]
    gitlab_commit_status: bool,
    /// GitLab: in merge request pipelines, post the results as a note (needs GITLAB_TOKEN).
    #[arg(long)]
    gitlab_mr_note: bool,
    /// Build engine: docker or buildah (default: WERF_BUILDAH_MODE decides, else docker).
    #[arg(long)]
    backend: Option<String>,
    #[command(flatten)]
    docker_builder: super::DockerBuilderArgs,
}

/// Runs `slipway build`.
pub(crate) fn run(args: BuildArgs) -> Result<(), Error> {
    let docker_builder = args.docker_builder.choice()?;
    let env: CiEnv = environment::vars().into_iter().collect();
    let provider = ci::detect(args.ci, &env);
    let pipeline = provider.map(|p| ci::read_pipeline(p, &env)).transpose()?;
    // GitHub masks a value only from the moment it is told to: before anything else.
    if let Some(info) = &pipeline
        && info.provider == CiProvider::GitHub
    {
        let secrets: Vec<&Secret> = info.credentials.iter().map(|c| &c.password).collect();
        print!("{}", ci::github_output::mask_all(secrets));
    }
    let use_gitlab_flags = args.gitlab_dotenv.is_some() || args.gitlab_annotations.is_some();
    if use_gitlab_flags && pipeline.as_ref().map(|p| p.provider) != Some(CiProvider::GitLab) {
        return Err(Error::Usage(
            "--gitlab-dotenv and --gitlab-annotations need a GitLab CI job (GITLAB_CI=true, or \
             --ci gitlab)"
                .to_owned(),
        ));
    }

    // API settings are checked before the build, so a wrong token never costs a long build.
    let provider_of = pipeline.as_ref().map(|p| p.provider);
    let github_api = match (args.github_check_run, provider_of) {
        (false, _) => None,
        (true, Some(CiProvider::GitHub)) => {
            Some(GithubApiConfig::from_env(&env).map_err(|e| Error::Usage(e.to_string()))?)
        }
        (true, _) => {
            return Err(Error::Usage(
                "--github-check-run needs a GitHub Actions job (GITHUB_ACTIONS=true, or --ci \
                 github)"
                    .to_owned(),
            ));
        }
    };
    let gitlab_api = match (
        args.gitlab_commit_status || args.gitlab_mr_note,
        provider_of,
    ) {
        (false, _) => None,
        (true, Some(CiProvider::GitLab)) => {
            Some(GitlabApiConfig::from_env(&env).map_err(|e| Error::Usage(e.to_string()))?)
        }
        (true, _) => {
            return Err(Error::Usage(
                "--gitlab-commit-status and --gitlab-mr-note need a GitLab CI job \
                 (GITLAB_CI=true, or --ci gitlab)"
                    .to_owned(),
            ));
        }
    };

    let plan = plan::plan(&PlanRequest {
        template: args.project.template_inputs(),
        dir: args.project.dir.clone(),
        config: args.project.config.clone(),
        dev: args.project.dev,
        images: args.images.clone(),
        parallel_tasks_limit: args.parallel_tasks_limit,
        revision: None,
    })?;

    let Settings {
        repo,
        custom_tags,
        registry_credentials,
        labels,
        from_pipeline,
        skipped_rules,
        tag_warnings,
    } = settings(
        pipeline.as_ref(),
        &plan.project,
        args.repo.clone(),
        with_env(args.add_custom_tag.clone(), "WERF_ADD_CUSTOM_TAG_"),
        &args.tags,
    )?;

    let report = report::resolve(
        args.report_path.clone(),
        args.report_format.map(|f| match f {
            ReportFormatArg::Json => ReportFormat::Json,
            ReportFormatArg::Envfile => ReportFormat::Envfile,
        }),
        args.save_build_report,
        args.build_report_path.clone(),
    )
    .map_err(|e| Error::Build(Box::new(e.into())))?;
    let options = BuildOptions {
        repo,
        secondary_repos: with_env(args.secondary_repo.clone(), "WERF_SECONDARY_REPO_"),
        cache_repos: with_env(args.cache_repo.clone(), "WERF_CACHE_REPO_"),
        final_repo: args.final_repo.clone(),
        custom_tags,
        use_custom_tag: args.use_custom_tag.clone(),
        report,
        parallel: args.parallel,
        synchronization: Synchronization::parse(&args.synchronization, environment::lock_dir())
            .map_err(|e| Error::Build(Box::new(e.into())))?,
        ssh_auth_sock: environment::ssh_auth_sock(),
        labels,
        in_container: crate::doctor::host_facts(&crate::doctor::SystemRoot::host()).in_container,
        stapel_dirs: crate::build::StapelDirs {
            shared: environment::stapel_shared_mounts(),
            temp: environment::temp_dir(),
        },
        secret_env: environment::vars().into_iter().map(|(k, _)| k).collect(),
    };
    let repo = options.repo.clone();
    let registry = super::registry_client(args.insecure_registry.clone(), registry_credentials);

    let ci_log = pipeline.as_ref().map(|info| {
        Arc::new(CiLog::new(match info.provider {
            CiProvider::GitHub => Dialect::Github,
            CiProvider::GitLab => Dialect::Gitlab,
        }))
    });
    let log: Arc<dyn BuildLog> = match &ci_log {
        Some(l) => Arc::clone(l) as Arc<dyn BuildLog>,
        None => Arc::new(PlainLog::default()),
    };
    if let Some(info) = &pipeline {
        log.info(&format!(
            "slipway: from {}: {}",
            info.provider,
            from_pipeline.join("; ")
        ));
    }
    for line in &skipped_rules {
        log.info(&format!("slipway: {line}"));
    }
    for warning in &tag_warnings {
        log.warning(warning);
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Output)?;
    let plan_block = plan::render_plan_block(&plan);
    let project_prefix = plan.project_prefix();
    let result = runtime.block_on(async {
        let backend = crate::backend::select(
            args.backend.as_deref(),
            repo.as_deref(),
            &args.insecure_registry,
            &docker_builder,
        )
        .await
        .map_err(|e| Box::new(e.into()))?;
        build::build(plan, options, Arc::new(backend), registry, Arc::clone(&log))
            .await
            .map_err(Box::new)
    });

    if let (Some(info), Some(ci_log)) = (&pipeline, &ci_log) {
        let ci_results = CiResults {
            plan_block,
            outcome: result.as_ref().ok(),
            failure: result.as_ref().err().map(|e| e.as_ref()),
            warnings: ci_log.warnings(),
            project_prefix,
        };
        let written = match info.provider {
            CiProvider::GitHub => results::github(&ci_results, &env),
            CiProvider::GitLab => results::gitlab(
                &ci_results,
                info,
                args.gitlab_dotenv.as_deref(),
                args.gitlab_annotations.as_deref(),
            ),
        };
        let api_warnings = runtime.block_on(post_to_apis(
            &ci_results,
            info,
            github_api.as_ref(),
            gitlab_api
                .as_ref()
                .map(|c| (c, args.gitlab_commit_status, args.gitlab_mr_note)),
        ));
        for w in api_warnings {
            log.warning(&w);
        }
        match written {
            Ok(warnings) => {
                for w in warnings {
                    log.warning(&w);
                }
            }
            // The build's own failure is what the user must see first.
            Err(e) if result.is_ok() => return Err(Error::CiResults(e)),
            Err(e) => log.warning(&e.to_string()),
        }
    }
    result.map(|_| ()).map_err(Error::Build)
}

/// Flags that turn the pipeline into tags (docker/metadata-action's rules).
#[derive(Debug, Args)]
pub(crate) struct TagRuleArgs {
    /// A tag rule in docker/metadata-action syntax, e.g. `type=ref,event=branch` (repeatable;
    /// one rule per line also works). Each tag goes to every final image.
    #[arg(long = "tag-rule")]
    pub(crate) tag_rule: Vec<String>,
    /// metadata-action's flavor: `latest=auto|true|false`, `prefix=`, `suffix=`.
    #[arg(long = "tag-flavor")]
    pub(crate) tag_flavor: Vec<String>,
    /// `type=sha` names the pull/merge request's head commit instead of the merge commit.
    #[arg(long)]
    pub(crate) tag_pr_head_sha: bool,
}

/// What the CI pipeline adds to the flags: the repo, a registry login, labels, tags.
pub(crate) struct Settings {
    pub(crate) repo: Option<String>,
    pub(crate) custom_tags: Vec<String>,
    pub(crate) registry_credentials: Vec<(String, crate::secret::Credentials)>,
    pub(crate) labels: BTreeMap<String, String>,
    /// What was taken from the pipeline, for the log.
    pub(crate) from_pipeline: Vec<String>,
    /// Tag rules that gave nothing or were adjusted, for the log.
    pub(crate) skipped_rules: Vec<String>,
    /// Tag rules skipped as unsupported, defaults used, and the like: warnings.
    pub(crate) tag_warnings: Vec<String>,
}

/// Resolves the repo, login, labels and tags from the flags and the pipeline; `build` and
/// `plan` both use it, so a plan names the repo and tags its build will use.
pub(crate) fn settings(
    pipeline: Option<&ci::PipelineInfo>,
    project: &crate::names::ProjectName,
    mut repo: Option<String>,
    mut custom_tags: Vec<String>,
    tags: &TagRuleArgs,
) -> Result<Settings, Error> {
    let mut from_pipeline = Vec::new();
    let mut registry_credentials = Vec::new();
    let mut labels = BTreeMap::new();
    let mut skipped_rules = Vec::new();
    let mut tag_warnings = Vec::new();
    if let Some(info) = pipeline {
        if repo.is_none()
            && let Some(r) = info.werf_repo(project)
        {
            from_pipeline.push(format!("repo {r}"));
            repo = Some(r);
        }
        match (&info.registry, &info.credentials) {
            (Some(host), Some(c)) => {
                from_pipeline.push(format!("registry login for {host} as {}", c.username));
                registry_credentials.push((host.as_str().to_owned(), c.clone()));
            }
            _ => {
                if let Some(hint) = info.login_hint() {
                    from_pipeline.push(format!("no registry login ({hint})"));
                }
            }
        }
        for a in info.annotations() {
            labels.insert(a.key.to_owned(), a.value);
        }
        from_pipeline.push("labels with the commit, project and run URLs".to_owned());
        if !tags.tag_rule.is_empty() || !tags.tag_flavor.is_empty() {
            let rules = TagRules::parse(&tags.tag_rule, &tags.tag_flavor)?;
            let mut options = EvalOptions::new(unix_now());
            options.pr_head_sha = tags.tag_pr_head_sha;
            let outcome = rules.evaluate(info, &options);
            from_pipeline.push(if outcome.tags.is_empty() {
                "no tags from the tag rules".to_owned()
            } else {
                format!("tags {}", outcome.tags.join(", "))
            });
            for s in &outcome.skipped {
                skipped_rules.push(format!("tag rule {:?} gives no tag: {}", s.rule, s.reason));
            }
            for a in &outcome.adjusted {
                skipped_rules.push(format!(
                    "tag rule {:?}: {:?} is not a valid Docker tag; using {:?}",
                    a.rule, a.original, a.tag
                ));
            }
            tag_warnings.extend(outcome.warnings);
            custom_tags.extend(outcome.tags);
        }
    } else if !tags.tag_rule.is_empty() || !tags.tag_flavor.is_empty() {
        return Err(Error::Usage(
            "--tag-rule and --tag-flavor derive tags from a CI pipeline (GitHub Actions or GitLab \
             CI), and none was detected; outside CI use --add-custom-tag, or pass --ci github|gitlab"
                .to_owned(),
        ));
    }

    Ok(Settings {
        repo,
        custom_tags,
        registry_credentials,
        labels,
        from_pipeline,
        skipped_rules,
        tag_warnings,
    })
}

/// Posts the results to the APIs the user opted into. Their failures are warnings: the images
/// are built and published whatever the API says.
async fn post_to_apis(
    results: &CiResults<'_>,
    info: &ci::PipelineInfo,
    github: Option<&GithubApiConfig>,
    gitlab: Option<(&GitlabApiConfig, bool, bool)>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    let outcome = results::api_outcome(results);
    if let Some(cfg) = github {
        let run = CheckRunReport::from_outcome(info, &outcome, results.annotations());
        match publish_check_run(cfg, &run).await {
            Ok(p) => println!(
                "slipway: check run {} created{}",
                p.id.0,
                p.html_url.map(|u| format!(": {u}")).unwrap_or_default()
            ),
            Err(e) => warnings.push(format!("the check run was not created: {e}")),
        }
    }
    if let Some((cfg, status, note)) = gitlab {
        match GitlabApi::connect(cfg).await {
            Err(e) => warnings.push(format!("GitLab API: {e}")),
            Ok(api) => {
                if status {
                    let report = CommitStatusReport::from_outcome(info, &outcome);
                    match api.commit_status(&report).await {
                        Ok(()) => println!("slipway: commit status posted"),
                        Err(e) => warnings.push(format!("the commit status was not posted: {e}")),
                    }
                }
                if note {
                    match MergeRequestNote::from_outcome(info, &outcome) {
                        None => println!(
                            "slipway: no merge request note: this is not a merge request pipeline"
                        ),
                        Some(n) => match api.mr_note(&n).await {
                            Ok(()) => println!("slipway: merge request note posted"),
                            Err(e) => {
                                warnings.push(format!("the merge request note was not posted: {e}"))
                            }
                        },
                    }
                }
            }
        }
    }
    warnings
}

pub(crate) fn with_env(mut flags: Vec<String>, prefix: &str) -> Vec<String> {
    flags.extend(environment::prefixed(prefix));
    flags
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
