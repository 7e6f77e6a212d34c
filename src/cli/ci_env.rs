//! `slipway ci-env github|gitlab`: werf's `ci-env` — a private Docker config with the CI
//! registry login, and `WERF_REPO`, `WERF_ENV` and the annotation variables, for `source`.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::ProjectArgs;
use crate::Error;
use crate::ci::ci_env::{self, CiEnvFormat};
use crate::ci::{self, CiEnv, CiProvider, RandomToken};
use crate::config;
use crate::environment;

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Provider {
    Github,
    Gitlab,
}

#[derive(Debug, Args)]
pub(crate) struct CiEnvArgs {
    /// The CI system whose environment to read.
    #[arg(value_enum)]
    provider: Provider,
    #[command(flatten)]
    project: ProjectArgs,
    /// Write `export KEY="VALUE"` lines to a file and print its path (for
    /// `. $(slipway ci-env gitlab --as-file)`).
    #[arg(long, conflicts_with = "as_env_file")]
    as_file: bool,
    /// Write `KEY=VALUE` lines to a file and print its path.
    #[arg(long)]
    as_env_file: bool,
    /// The file to write (default: a new file in the temporary directory).
    #[arg(short = 'o', long = "output-file-path")]
    output: Option<PathBuf>,
}

pub(crate) fn run(args: CiEnvArgs) -> Result<(), Error> {
    let env: CiEnv = environment::vars().into_iter().collect();
    let provider = match args.provider {
        Provider::Github => CiProvider::GitHub,
        Provider::Gitlab => CiProvider::GitLab,
    };
    let info = ci::read_pipeline(provider, &env)?;
    // GitHub's WERF_REPO names the project; without a werf.yaml it is left unset.
    let project = match config::load(&args.project.load_request()) {
        Ok(c) => Some(c.project),
        Err(_) if args.project.config.is_none() && provider == CiProvider::GitLab => None,
        Err(e) => return Err(Error::Config(Box::new(e))),
    };
    let temp = environment::temp_dir();
    let token = RandomToken::generate().map_err(Error::Output)?;
    let login = info.registry.as_ref().zip(info.credentials.as_ref());
    let docker_config = ci_env::create_private_docker_config(
        environment::docker_config_dir().as_deref(),
        &temp,
        &token,
        login,
    )?;
    for w in &docker_config.warnings {
        eprintln!("warning: {w}");
    }
    let entries = ci_env::entries(&info, project.as_ref(), &docker_config.dir, &env);
    let format = if args.as_env_file {
        CiEnvFormat::EnvFile
    } else {
        CiEnvFormat::Export
    };
    let content = ci_env::render(&entries, format)?;
    if !(args.as_file || args.as_env_file || args.output.is_some()) {
        print!("{content}");
        return Ok(());
    }
    let path = args.output.unwrap_or_else(|| {
        let ext = if args.as_env_file { "env" } else { "sh" };
        temp.join(format!("slipway-ci-env-{}.{ext}", token.as_str()))
    });
    ci_env::write_file(&path, &content).map_err(Error::Output)?;
    println!("{}", path.display());
    Ok(())
}
