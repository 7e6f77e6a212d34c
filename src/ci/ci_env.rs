//! `slipway ci-env github|gitlab`, werf's way: a private copy of the Docker config with the CI
//! registry login, and `WERF_REPO`, `WERF_ENV` and `WERF_ADD_ANNOTATION_*` as a shell script
//! (`export KEY="VALUE"`) or an env file (`KEY=VALUE`), never overriding what is already set.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{CiEnv, CiProvider, PipelineInfo, RandomToken, RegistryHost};
use crate::names::ProjectName;
use crate::secret::Credentials;

/// `--as-file` (and standard output) versus `--as-env-file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiEnvFormat {
    /// `export KEY="VALUE"` lines, for `. $(slipway ci-env gitlab --as-file)`.
    Export,
    /// `KEY=VALUE` lines.
    EnvFile,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryValue {
    Set(String),
    /// Already set in the environment: left alone, as werf does.
    Skip,
    /// Nothing to set (werf writes the line commented out).
    Empty,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CiEnvEntry {
    pub key: String,
    pub value: EntryValue,
}

/// The variables to export. `DOCKER_CONFIG` always points at the private copy (that is the
/// point of it); the rest are skipped when `existing` already has them. `project` is needed
/// for GitHub's `WERF_REPO`.
pub fn entries(
    info: &PipelineInfo,
    project: Option<&ProjectName>,
    docker_config: &Path,
    existing: &CiEnv,
) -> Vec<CiEnvEntry> {
    let entry = |key: &str, value: Option<String>| CiEnvEntry {
        key: key.to_owned(),
        value: if existing.is_set(key) {
            EntryValue::Skip
        } else {
            match value.filter(|v| !v.is_empty()) {
                Some(v) => EntryValue::Set(v),
                None => EntryValue::Empty,
            }
        },
    };
    let mut out = vec![CiEnvEntry {
        key: "DOCKER_CONFIG".to_owned(),
        value: EntryValue::Set(docker_config.display().to_string()),
    }];
    let repo = match (info.provider, project) {
        (CiProvider::GitHub, None) => None,
        (_, Some(p)) => info.werf_repo(p),
        (CiProvider::GitLab, None) => info.registry_repo.clone(),
    };
    out.push(entry("WERF_REPO", repo));
    if info.provider == CiProvider::GitLab {
        out.push(entry("WERF_ENV", info.environment.clone()));
    }
    for a in info.annotations() {
        out.push(entry(
            &format!("WERF_ADD_ANNOTATION_{}", a.env_suffix),
            Some(format!("{}={}", a.key, a.value)),
        ));
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum CiEnvError {
    #[error("{key}: the value has a line break, which an env file cannot hold")]
    MultiLineValue { key: String },
    #[error("cannot create the private docker config {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot copy the docker config {from} to {to}: {source}")]
    Copy {
        from: PathBuf,
        to: PathBuf,
        source: std::io::Error,
    },
    #[error("docker config {path} is not a JSON object: {reason}")]
    BadConfig { path: PathBuf, reason: String },
}

/// Double-quoted for POSIX sh: inside `"…"` only `\`, `"`, `$` and `` ` `` are special.
pub fn shell_double_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The file content in `format`.
pub fn render(entries: &[CiEnvEntry], format: CiEnvFormat) -> Result<String, CiEnvError> {
    let mut out = String::new();
    for e in entries {
        let line = match (&e.value, format) {
            (EntryValue::Skip, _) => format!("# skip {} (already set)", e.key),
            (EntryValue::Empty, CiEnvFormat::Export) => format!("# export {}=\"\"", e.key),
            (EntryValue::Empty, CiEnvFormat::EnvFile) => format!("# {}=", e.key),
            (EntryValue::Set(v), CiEnvFormat::Export) => {
                format!("export {}={}", e.key, shell_double_quote(v))
            }
            (EntryValue::Set(v), CiEnvFormat::EnvFile) => {
                if v.contains(['\n', '\r']) {
                    return Err(CiEnvError::MultiLineValue { key: e.key.clone() });
                }
                format!("{}={v}", e.key)
            }
        };
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// Writes the ci-env file (`-o PATH` or a temporary path the CLI picked), readable by the
/// owner only since it names the private config.
pub fn write_file(path: &Path, content: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
    f.write_all(content.as_bytes())
}

/// A private Docker config directory and what the caller should warn about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateDockerConfig {
    pub dir: PathBuf,
    pub warnings: Vec<String>,
}

/// Creates `<parent>/slipway-docker-config-<token>` (0700; it must not exist yet, so nobody
/// can have prepared it), copies `source` (the current `DOCKER_CONFIG` or `~/.docker`, when it
/// exists) into it, and adds `login` for `registry` to its `config.json` (0600) as a base64
/// `auth` entry, so parallel jobs never write to each other's config.
pub fn create_private_docker_config(
    source: Option<&Path>,
    parent: &Path,
    token: &RandomToken,
    login: Option<(&RegistryHost, &Credentials)>,
) -> Result<PrivateDockerConfig, CiEnvError> {
    let dir = parent.join(format!("slipway-docker-config-{}", token.as_str()));
    let create = |source| CiEnvError::Create {
        path: dir.clone(),
        source,
    };
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(&dir)
        .map_err(create)?;
    if let Some(src) = source.filter(|s| s.is_dir()) {
        copy_tree(src, &dir).map_err(|source| CiEnvError::Copy {
            from: src.to_owned(),
            to: dir.clone(),
            source,
        })?;
    }
    let config_path = dir.join("config.json");
    let mut config: Map<String, Value> = match std::fs::read_to_string(&config_path) {
        Ok(text) if !text.trim().is_empty() => match serde_json::from_str(&text) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                return Err(CiEnvError::BadConfig {
                    path: config_path,
                    reason: "not an object".into(),
                });
            }
            Err(e) => {
                return Err(CiEnvError::BadConfig {
                    path: config_path,
                    reason: e.to_string(),
                });
            }
        },
        _ => Map::new(),
    };
    let mut warnings = Vec::new();
    if let Some((registry, creds)) = login {
        let host = registry.as_str();
        // Docker asks a credential helper before `auths`, which would hide this login.
        if let Some(Value::Object(helpers)) = config.get_mut("credHelpers") {
            helpers.remove(host);
        }
        if let Some(store) = config.remove("credsStore") {
            warnings.push(format!(
                "the private docker config drops credsStore {store}: logins kept in that store \
                 are not available to this job"
            ));
        }
        let auth = base64(format!("{}:{}", creds.username, creds.password.expose()).as_bytes());
        let auths = config
            .entry("auths")
            .or_insert_with(|| Value::Object(Map::new()));
        if !auths.is_object() {
            *auths = Value::Object(Map::new());
        }
        if let Value::Object(auths) = auths {
            auths.insert(host.to_owned(), serde_json::json!({ "auth": auth }));
        }
    }
    let text = serde_json::to_string_pretty(&Value::Object(config)).unwrap_or_default();
    let _ = std::fs::remove_file(&config_path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&config_path)
        .map_err(create)?;
    f.write_all(text.as_bytes()).map_err(create)?;
    Ok(PrivateDockerConfig { dir, warnings })
}

/// Copies a directory tree: symlinks as symlinks, regular files with group/other access removed
/// (the copy may hold credentials), anything else (sockets, pipes) skipped.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    for entry in fs_err::read_dir(from)? {
        let entry = entry?;
        let src = entry.path();
        let dst = to.join(entry.file_name());
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            std::os::unix::fs::symlink(fs_err::read_link(&src)?, &dst)?;
        } else if kind.is_dir() {
            std::fs::DirBuilder::new().mode(0o700).create(&dst)?;
            copy_tree(&src, &dst)?;
        } else if kind.is_file() {
            fs_err::copy(&src, &dst)?;
            let mode = fs_err::metadata(&src)?.permissions().mode() & 0o700;
            fs_err::set_permissions(&dst, std::fs::Permissions::from_mode(mode | 0o600))?;
        }
    }
    Ok(())
}

/// Standard base64 with padding, as Docker's `auth` field holds it.
pub fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(T[(n >> 18) as usize & 63] as char);
        out.push(T[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            T[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            T[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ci::test_support::{SHA, env};
    use crate::ci::{github, gitlab};
    use crate::secret::Secret;

    fn gitlab_info() -> PipelineInfo {
        let e = env(&[
            ("CI_COMMIT_SHA", SHA),
            ("CI_PROJECT_URL", "https://gitlab.example.com/g/app"),
            ("CI_PIPELINE_SOURCE", "push"),
            ("CI_COMMIT_BRANCH", "main"),
            (
                "CI_PIPELINE_URL",
                "https://gitlab.example.com/g/app/-/pipelines/7",
            ),
            ("CI_JOB_URL", "https://gitlab.example.com/g/app/-/jobs/9"),
            ("CI_REGISTRY", "registry.example.com"),
            ("CI_REGISTRY_IMAGE", "registry.example.com/g/app"),
            ("CI_REGISTRY_USER", "gitlab-ci-token"),
            ("CI_REGISTRY_PASSWORD", "glcbt-SECRET-1"),
            ("CI_ENVIRONMENT_SLUG", "review-x"),
        ]);
        gitlab::read(&e).unwrap()
    }

    fn github_info() -> PipelineInfo {
        let e = env(&[
            ("GITHUB_REPOSITORY", "Octo/App"),
            ("GITHUB_SHA", SHA),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_REF", "refs/tags/v1.0.0"),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_ACTOR", "octocat"),
            ("GITHUB_TOKEN", "ghs_SECRET_2"),
        ]);
        github::read(&e).unwrap()
    }

    #[test]
    fn gitlab_script_like_werf() {
        let existing = env(&[("WERF_ENV", "staging")]);
        let e = entries(&gitlab_info(), None, Path::new("/tmp/dc"), &existing);
        assert_eq!(
            render(&e, CiEnvFormat::Export).unwrap(),
            "export DOCKER_CONFIG=\"/tmp/dc\"\n\
             export WERF_REPO=\"registry.example.com/g/app\"\n\
             # skip WERF_ENV (already set)\n\
             export WERF_ADD_ANNOTATION_PROJECT_GIT=\"project.werf.io/git=https://gitlab.example.com/g/app\"\n\
             export WERF_ADD_ANNOTATION_CI_COMMIT=\"ci.werf.io/commit=0123456789abcdef0123456789abcdef01234567\"\n\
             export WERF_ADD_ANNOTATION_GITLAB_CI_PIPELINE_URL=\"gitlab.ci.werf.io/pipeline-url=https://gitlab.example.com/g/app/-/pipelines/7\"\n\
             export WERF_ADD_ANNOTATION_GITLAB_CI_JOB_URL=\"gitlab.ci.werf.io/job-url=https://gitlab.example.com/g/app/-/jobs/9\"\n"
        );
    }

    #[test]
    fn github_env_file() {
        let project = ProjectName::parse("demo").unwrap();
        let e = entries(
            &github_info(),
            Some(&project),
            Path::new("/tmp/dc"),
            &env(&[]),
        );
        assert_eq!(
            render(&e, CiEnvFormat::EnvFile).unwrap(),
            "DOCKER_CONFIG=/tmp/dc\n\
             WERF_REPO=ghcr.io/octo/app/demo\n\
             WERF_ADD_ANNOTATION_PROJECT_GIT=project.werf.io/git=https://github.com/Octo/App\n\
             WERF_ADD_ANNOTATION_CI_COMMIT=ci.werf.io/commit=0123456789abcdef0123456789abcdef01234567\n\
             WERF_ADD_ANNOTATION_CI_TAG=ci.werf.io/tag=v1.0.0\n\
             WERF_ADD_ANNOTATION_GITHUB_CI_WORKFLOW_RUN_URL=github.ci.werf.io/workflow-run-url=https://github.com/Octo/App/actions/runs/42\n"
        );
        // Without the project GitHub's repo is unknown: commented out, like werf's empty values.
        let e = entries(&github_info(), None, Path::new("/tmp/dc"), &env(&[]));
        assert!(
            render(&e, CiEnvFormat::Export)
                .unwrap()
                .contains("# export WERF_REPO=\"\"\n")
        );
        let multi = [CiEnvEntry {
            key: "K".into(),
            value: EntryValue::Set("a\nb".into()),
        }];
        assert_eq!(
            render(&multi, CiEnvFormat::EnvFile)
                .unwrap_err()
                .to_string(),
            "K: the value has a line break, which an env file cannot hold"
        );
    }

    #[test]
    fn shell_quoting_round_trips_through_sh() {
        let values = [
            "plain",
            "with space",
            "q\"uote",
            "$HOME",
            "`id`",
            "back\\slash",
            "multi\nline",
            "it's",
            "!bang",
        ];
        let entries: Vec<CiEnvEntry> = values
            .iter()
            .enumerate()
            .map(|(i, v)| CiEnvEntry {
                key: format!("V{i}"),
                value: EntryValue::Set((*v).to_owned()),
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("env.sh");
        write_file(&path, &render(&entries, CiEnvFormat::Export).unwrap()).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        for (i, v) in values.iter().enumerate() {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(format!(". '{}' && printf %s \"$V{i}\"", path.display()))
                .output()
                .unwrap();
            assert_eq!(String::from_utf8(out.stdout).unwrap(), *v);
        }
    }

    #[test]
    fn private_docker_config() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src");
        std::fs::create_dir_all(src.join("cli-plugins")).unwrap();
        std::fs::write(
            src.join("config.json"),
            r#"{"auths":{"other.io":{"auth":"eDp5"}},"credsStore":"pass","credHelpers":{"registry.example.com":"ecr","x.io":"y"}}"#,
        )
        .unwrap();
        std::fs::write(src.join("cli-plugins/docker-buildx"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(
            src.join("cli-plugins/docker-buildx"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        let info = gitlab_info();
        let creds = info.credentials.as_ref().unwrap();
        let registry = info.registry.as_ref().unwrap();
        let token = RandomToken::from_bytes([7; 16]);
        let made =
            create_private_docker_config(Some(&src), tmp.path(), &token, Some((registry, creds)))
                .unwrap();
        assert_eq!(
            made.dir,
            tmp.path()
                .join(format!("slipway-docker-config-{}", "07".repeat(16)))
        );
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&made.dir), 0o700);
        assert_eq!(mode(&made.dir.join("config.json")), 0o600);
        assert_eq!(mode(&made.dir.join("cli-plugins/docker-buildx")), 0o700);
        let config: Value =
            serde_json::from_str(&std::fs::read_to_string(made.dir.join("config.json")).unwrap())
                .unwrap();
        assert_eq!(
            config["auths"]["registry.example.com"]["auth"],
            base64(b"gitlab-ci-token:glcbt-SECRET-1")
        );
        assert_eq!(config["auths"]["other.io"]["auth"], "eDp5");
        assert_eq!(config["credHelpers"], serde_json::json!({"x.io": "y"}));
        assert!(config.get("credsStore").is_none());
        assert_eq!(made.warnings.len(), 1);
        // The same token again: the directory exists, so it is refused.
        assert!(create_private_docker_config(None, tmp.path(), &token, None).is_err());
        // No source config at all.
        let fresh = create_private_docker_config(
            Some(&tmp.path().join("missing")),
            tmp.path(),
            &RandomToken::from_bytes([8; 16]),
            Some((registry, creds)),
        )
        .unwrap();
        assert!(
            std::fs::read_to_string(fresh.dir.join("config.json"))
                .unwrap()
                .contains("auths")
        );
    }

    #[test]
    fn base64_table() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("user:pa55", "dXNlcjpwYTU1"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    /// Secrets appear only in the private docker config (base64) and, by design, in the
    /// `::add-mask::` command that hides them; nowhere else.
    #[test]
    fn secrets_stay_secret() {
        use crate::ci::github_output::{self, ImageRef};
        use crate::ci::gitlab_output;
        use crate::names::ImageName;
        use crate::tagrules::{EvalOptions, TagRules};

        let tmp = tempfile::tempdir().unwrap();
        let rules = TagRules::parse(
            &[
                "type=ref,event=branch",
                "type=ref,event=tag",
                "type=sha",
                "type=raw,value={{branch}}{{tag}}",
            ],
            &[] as &[&str],
        )
        .unwrap();
        for (info, secret) in [
            (gitlab_info(), "glcbt-SECRET-1"),
            (github_info(), "ghs_SECRET_2"),
        ] {
            let mut seen: Vec<String> =
                vec![format!("{info:?}"), format!("{:?}", info.credentials)];
            let project = ProjectName::parse("demo").unwrap();
            let e = entries(&info, Some(&project), tmp.path(), &env(&[]));
            seen.push(render(&e, CiEnvFormat::Export).unwrap());
            seen.push(render(&e, CiEnvFormat::EnvFile).unwrap());
            seen.push(format!("{e:?}"));
            let outcome = rules.evaluate(&info, &EvalOptions::new(0));
            seen.push(format!("{outcome:?}"));
            let images = vec![ImageRef {
                name: ImageName::parse("backend").unwrap(),
                reference: format!("{}:{}", info.werf_repo(&project).unwrap(), outcome.tags[0]),
            }];
            let token = RandomToken::generate().unwrap();
            seen.push(
                github_output::outputs("{}", &images, &token)
                    .unwrap()
                    .content,
            );
            seen.push(gitlab_output::image_dotenv(&images).unwrap().content);
            seen.push(
                gitlab_output::image_annotations(
                    &images,
                    info.registry.as_ref(),
                    &info.project_url,
                )
                .unwrap(),
            );
            let made = create_private_docker_config(
                None,
                tmp.path(),
                &token,
                Some((
                    info.registry.as_ref().unwrap(),
                    info.credentials.as_ref().unwrap(),
                )),
            )
            .unwrap();
            seen.push(format!("{made:?}"));
            for text in &seen {
                assert!(!text.contains(secret), "secret leaked into {text}");
            }
            let config = std::fs::read_to_string(made.dir.join("config.json")).unwrap();
            assert!(!config.contains(secret));
            let user = &info.credentials.as_ref().unwrap().username;
            assert!(config.contains(&base64(format!("{user}:{secret}").as_bytes())));
            let mask = github_output::add_mask(&Secret::new(secret));
            assert_eq!(mask, format!("::add-mask::{secret}\n"));
        }
    }
}
