//! Command-line interface: turns arguments (and werf's `WERF_*` variables) into request structs,
//! runs them, prints results, and maps errors to exit codes.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::Error;
use crate::plan::{self, PlanRequest};

#[derive(Debug, Parser)]
#[command(
    name = "slipway",
    version,
    about = "Builds the images of a werf.yaml from the git commit, as a CI step"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Show every image's digest and the concurrent build plan, without building anything.
    Plan(PlanArgs),
    /// Build and publish every image whose digest is not in storage yet, then report.
    Build(Box<BuildArgs>),
    /// Check whether this machine can build with the chosen backend (and reach the repo).
    Doctor(crate::doctor::DoctorArgs),
}

/// Where the project is and how to read it.
#[derive(Debug, Args)]
struct ProjectArgs {
    /// Project directory (holds werf.yaml).
    #[arg(long, env = "WERF_DIR", default_value = ".")]
    dir: PathBuf,
    /// werf.yaml path, relative to --dir (default: werf.yaml or werf.yml in --dir).
    #[arg(long, env = "WERF_CONFIG")]
    config: Option<PathBuf>,
    /// Read build contexts from the working tree (tracked and untracked, not git-ignored)
    /// instead of the HEAD commit.
    #[arg(long, env = "WERF_DEV")]
    dev: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Output {
    Text,
    Json,
}

#[derive(Debug, Args)]
struct PlanArgs {
    /// Only these images and the images they depend on (default: all).
    images: Vec<String>,
    #[command(flatten)]
    project: ProjectArgs,
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
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ReportFormatArg {
    Json,
    Envfile,
}

#[derive(Debug, Args)]
struct BuildArgs {
    /// Only these images and the images they depend on (default: all).
    images: Vec<String>,
    #[command(flatten)]
    project: ProjectArgs,
    /// Primary repo for stages (default: the engine's local storage).
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
    /// Build engine: docker or buildah (default: WERF_BUILDAH_MODE decides, else docker).
    #[arg(long)]
    backend: Option<String>,
}

/// Runs slipway with `args` (the program name first) and returns the process exit code.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn execute(cli: Cli) -> Result<(), Error> {
    match cli.command {
        Command::Build(args) => build(*args),
        Command::Doctor(args) => crate::doctor::run_cli(&args),
        Command::Plan(args) => {
            let plan = plan::plan(&PlanRequest {
                dir: args.project.dir,
                config: args.project.config,
                dev: args.project.dev,
                images: args.images,
                parallel_tasks_limit: args.parallel_tasks_limit,
            })?;
            for w in &plan.warnings {
                eprintln!("warning: {w}");
            }
            let text = match args.output {
                Output::Text => plan::render_text(&plan),
                Output::Json => {
                    let mut s =
                        serde_json::to_string_pretty(&plan).expect("the plan serializes to JSON");
                    s.push('\n');
                    s
                }
            };
            std::io::stdout()
                .write_all(text.as_bytes())
                .map_err(Error::Output)
        }
    }
}

fn build(args: BuildArgs) -> Result<(), Error> {
    use crate::build::{self, BuildOptions};
    use crate::environment;
    use crate::registry::{RegistryClient, RegistryConfig};
    use crate::report::{self, ReportFormat};
    use crate::sync::Synchronization;

    let with_env = |mut flags: Vec<String>, prefix: &str| {
        flags.extend(environment::prefixed(prefix));
        flags
    };
    let report = report::resolve(
        args.report_path,
        args.report_format.map(|f| match f {
            ReportFormatArg::Json => ReportFormat::Json,
            ReportFormatArg::Envfile => ReportFormat::Envfile,
        }),
        args.save_build_report,
        args.build_report_path,
    )
    .map_err(|e| Error::Build(Box::new(e.into())))?;
    let options = BuildOptions {
        plan: PlanRequest {
            dir: args.project.dir,
            config: args.project.config,
            dev: args.project.dev,
            images: args.images,
            parallel_tasks_limit: args.parallel_tasks_limit,
        },
        repo: args.repo,
        secondary_repos: with_env(args.secondary_repo, "WERF_SECONDARY_REPO_"),
        cache_repos: with_env(args.cache_repo, "WERF_CACHE_REPO_"),
        final_repo: args.final_repo,
        custom_tags: with_env(args.add_custom_tag, "WERF_ADD_CUSTOM_TAG_"),
        use_custom_tag: args.use_custom_tag,
        report,
        parallel: args.parallel,
        synchronization: Synchronization::parse(&args.synchronization, environment::lock_dir())
            .map_err(|e| Error::Build(Box::new(e.into())))?,
        ssh_auth_sock: environment::ssh_auth_sock(),
    };
    let repo = options.repo.clone();
    let registry = RegistryClient::new(RegistryConfig {
        docker_config: environment::docker_config_dir(),
        insecure: args.insecure_registry.clone(),
        ..RegistryConfig::default()
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Output)?;
    runtime.block_on(async {
        let backend = crate::backend::select(
            args.backend.as_deref(),
            repo.as_deref(),
            &args.insecure_registry,
        )
        .await
        .map_err(|e| Error::Build(Box::new(e.into())))?;
        let log: Arc<dyn Fn(&str) + Send + Sync> = Arc::new(|line: &str| println!("{line}"));
        build::build(options, Arc::new(backend), registry, log)
            .await
            .map_err(|e| Error::Build(Box::new(e)))?;
        Ok(())
    })
}
