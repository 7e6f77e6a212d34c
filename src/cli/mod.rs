//! Command-line interface: turns arguments (and werf's `WERF_*` variables) into request structs,
//! runs them, prints results, and maps errors to exit codes.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

mod build;
mod ci_env;
mod explain;
mod plan;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::Error;

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
    /// Show every image's digest and the concurrent build plan, without building anything;
    /// with a repo also whether each image is reused or built, and every tag it will get.
    Plan(Box<plan::PlanArgs>),
    /// Say why an image's digest differs from its most recent published build (or a tag, or
    /// another commit).
    Explain(Box<explain::ExplainArgs>),
    /// Build and publish every image whose digest is not in storage yet, then report.
    Build(Box<build::BuildArgs>),
    /// Print werf's CI environment (repo, private Docker config with the CI registry login,
    /// annotations) as a script to source or an env file.
    CiEnv(ci_env::CiEnvArgs),
    /// Check whether this machine can build with the chosen backend (and reach the repo).
    Doctor(crate::doctor::DoctorArgs),
    /// Show werf.yaml as slipway reads it (werf's `config render` and `config list`).
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print werf.yaml rendered (templates, partials, `.Files`, `env`), as werf does.
    Render {
        #[command(flatten)]
        project: ProjectArgs,
    },
    /// Print the names of the images werf.yaml defines, one per line.
    List {
        #[command(flatten)]
        project: ProjectArgs,
    },
}

/// Where the project is and how to read it.
#[derive(Debug, Args)]
pub(crate) struct ProjectArgs {
    /// Project directory (holds werf.yaml).
    #[arg(long, env = "WERF_DIR", default_value = ".")]
    pub(crate) dir: PathBuf,
    /// werf.yaml path, relative to --dir (default: werf.yaml or werf.yml in --dir).
    #[arg(long, env = "WERF_CONFIG")]
    pub(crate) config: Option<PathBuf>,
    /// Read build contexts from the working tree (tracked and untracked, not git-ignored)
    /// instead of the HEAD commit.
    #[arg(long, env = "WERF_DEV")]
    pub(crate) dev: bool,
    /// The environment werf.yaml templates see as `.Env` (e.g. production).
    #[arg(long = "env", env = "WERF_ENV", default_value = "")]
    pub(crate) werf_env: String,
    /// Lift werf-giterminism.yaml's rules: templates may read any environment variable and
    /// uncommitted files.
    #[arg(
        long,
        env = "WERF_LOOSE_GITERMINISM",
        action = clap::ArgAction::SetTrue,
        value_parser = clap::builder::BoolishValueParser::new()
    )]
    pub(crate) loose_giterminism: bool,
}

impl ProjectArgs {
    /// What werf.yaml templates may read from outside the repository: the process environment
    /// (for `env`, limited by giterminism), `--env` and the giterminism switch.
    pub(crate) fn template_inputs(&self) -> crate::config::TemplateInputs {
        crate::config::TemplateInputs {
            env: crate::environment::vars().into_iter().collect(),
            werf_env: self.werf_env.clone(),
            loose_giterminism: self.loose_giterminism,
        }
    }

    pub(crate) fn load_request(&self) -> crate::config::LoadRequest {
        crate::config::LoadRequest {
            dir: self.dir.clone(),
            config: self.config.clone(),
            dev: self.dev,
            template: self.template_inputs(),
        }
    }
}

/// Which builder of the Docker engine builds.
#[derive(Debug, Args)]
pub(crate) struct DockerBuilderArgs {
    /// The Docker engine's builder: auto (BuildKit on engines 23.0 and later, else the classic
    /// builder), buildkit or classic (default: DOCKER_BUILDKIT=0 means classic, else auto).
    #[arg(long = "docker-builder")]
    pub(crate) docker_builder: Option<String>,
}

impl DockerBuilderArgs {
    pub(crate) fn choice(&self) -> Result<crate::backend::capability::DockerBuilderChoice, Error> {
        crate::backend::capability::docker_builder_choice(
            self.docker_builder.as_deref(),
            crate::environment::docker_buildkit().as_deref(),
        )
        .map_err(Error::Usage)
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum Output {
    Text,
    Json,
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
        Command::Build(args) => build::run(*args),
        Command::CiEnv(args) => ci_env::run(args),
        Command::Doctor(args) => crate::doctor::run_cli(&args),
        Command::Config(ConfigCommand::Render { project }) => {
            let (_, rendered) = crate::config::render(&project.load_request())
                .map_err(|e| Error::Config(Box::new(e)))?;
            print_out(&rendered.text)
        }
        Command::Config(ConfigCommand::List { project }) => {
            let config = crate::config::load(&project.load_request())
                .map_err(|e| Error::Config(Box::new(e)))?;
            let names: String = config
                .images
                .iter()
                .map(|i| format!("{}\n", i.name))
                .collect();
            print_out(&names)
        }
        Command::Plan(args) => plan::run(*args),
        Command::Explain(args) => explain::run(*args),
    }
}

fn print_out(text: &str) -> Result<(), Error> {
    use std::io::Write;
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(Error::Output)
}

/// The registry client of a command: the user's Docker config, `--insecure-registry` hosts and
/// the logins the pipeline provides.
pub(crate) fn registry_client(
    insecure: Vec<String>,
    credentials: Vec<(String, crate::secret::Credentials)>,
) -> crate::registry::RegistryClient {
    crate::registry::RegistryClient::new(crate::registry::RegistryConfig {
        docker_config: crate::environment::docker_config_dir(),
        insecure,
        credentials,
        ..crate::registry::RegistryConfig::default()
    })
}
