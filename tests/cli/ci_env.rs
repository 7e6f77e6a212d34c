//! `slipway ci-env github|gitlab` and the CI flags of `slipway build`, through the binary.

use std::os::unix::fs::PermissionsExt;

use crate::common::Repo;

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

fn github(temp: &str, docker_config: &str) -> Vec<(String, String)> {
    [
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_REPOSITORY", "Acme/My-Repo"),
        ("GITHUB_SHA", SHA),
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_REF", "refs/heads/main"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_RUN_ID", "42"),
        ("GITHUB_ACTOR", "octocat"),
        ("GITHUB_TOKEN", "ghs_ciEnvSecret"),
        ("RUNNER_TEMP", temp),
        ("DOCKER_CONFIG", docker_config),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

fn refs(env: &[(String, String)]) -> Vec<(&str, &str)> {
    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

fn repo() -> Repo {
    Repo::new(&[("werf.yaml", "project: demo\nconfigVersion: 1\n")])
}

#[test]
fn github_ci_env_script() {
    let repo = repo();
    let temp = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    std::fs::write(
        config.path().join("config.json"),
        r#"{"auths":{"other.io":{"auth":"eDp5"}}}"#,
    )
    .unwrap();
    let mut env = github(
        temp.path().to_str().unwrap(),
        config.path().to_str().unwrap(),
    );
    env.push(("WERF_ADD_ANNOTATION_PROJECT_GIT".into(), "mine".into()));
    let run = repo.slipway(&["ci-env", "github"], &refs(&env)).ok();
    let lines: Vec<&str> = run.stdout.lines().collect();
    let private = lines[0]
        .strip_prefix("export DOCKER_CONFIG=\"")
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert_eq!(
        &lines[1..],
        [
            "export WERF_REPO=\"ghcr.io/acme/my-repo/demo\"",
            "# skip WERF_ADD_ANNOTATION_PROJECT_GIT (already set)",
            "export WERF_ADD_ANNOTATION_CI_COMMIT=\"ci.werf.io/commit=0123456789abcdef0123456789abcdef01234567\"",
            "export WERF_ADD_ANNOTATION_GITHUB_CI_WORKFLOW_RUN_URL=\"github.ci.werf.io/workflow-run-url=https://github.com/Acme/My-Repo/actions/runs/42\"",
        ]
    );
    assert!(
        private.starts_with(temp.path().to_str().unwrap()),
        "{private}"
    );
    let dir = std::path::Path::new(private);
    assert_eq!(dir.metadata().unwrap().permissions().mode() & 0o777, 0o700);
    let file = dir.join("config.json");
    assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    // "octocat:ghs_ciEnvSecret", and the existing login is kept.
    assert_eq!(
        json["auths"]["ghcr.io"]["auth"],
        "b2N0b2NhdDpnaHNfY2lFbnZTZWNyZXQ="
    );
    assert_eq!(json["auths"]["other.io"]["auth"], "eDp5");
    assert!(!run.stdout.contains("ghs_ciEnvSecret") && !run.stderr.contains("ghs_ciEnvSecret"));
}

#[test]
fn ci_env_as_files() {
    let repo = repo();
    let temp = tempfile::tempdir().unwrap();
    let config = tempfile::tempdir().unwrap();
    let env = github(
        temp.path().to_str().unwrap(),
        config.path().to_str().unwrap(),
    );
    let run = repo
        .slipway(&["ci-env", "github", "--as-file"], &refs(&env))
        .ok();
    let path = std::path::PathBuf::from(run.stdout.trim());
    assert!(path.starts_with(temp.path()), "{}", run.stdout);
    assert_eq!(path.metadata().unwrap().permissions().mode() & 0o777, 0o600);
    let script = std::fs::read_to_string(&path).unwrap();
    assert!(
        script.contains("export WERF_REPO=\"ghcr.io/acme/my-repo/demo\"\n"),
        "{script}"
    );
    // The script is what `. $(slipway ci-env github --as-file)` sources.
    let sourced = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(". {} && echo \"$WERF_REPO\"", path.display()))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&sourced.stdout),
        "ghcr.io/acme/my-repo/demo\n"
    );

    let out = temp.path().join("ci.env");
    let run = repo
        .slipway(
            &[
                "ci-env",
                "github",
                "--as-env-file",
                "-o",
                out.to_str().unwrap(),
            ],
            &refs(&env),
        )
        .ok();
    assert_eq!(run.stdout.trim(), out.to_str().unwrap());
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("\nWERF_REPO=ghcr.io/acme/my-repo/demo\n"),
        "{text}"
    );
}

#[test]
fn ci_env_names_a_missing_variable() {
    let repo = repo();
    let run = repo.slipway(&["ci-env", "gitlab"], &[("GITLAB_CI", "true")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: GitLab CI: required variable CI_COMMIT_SHA is not set\n"
    );
}

#[test]
fn ci_flags_without_a_pipeline() {
    let repo = repo();
    let run = repo.slipway(&["build", "--tag-rule", "type=sha"], &[]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: --tag-rule and --tag-flavor derive tags from a CI pipeline (GitHub Actions or GitLab CI), and none was detected; outside CI use --add-custom-tag, or pass --ci github|gitlab\n"
    );
    let run = repo.slipway(&["build", "--gitlab-dotenv", "x.env"], &[]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: --gitlab-dotenv and --gitlab-annotations need a GitLab CI job (GITLAB_CI=true, or --ci gitlab)\n"
    );
    let temp = tempfile::tempdir().unwrap();
    let env = github(temp.path().to_str().unwrap(), temp.path().to_str().unwrap());
    let run = repo.slipway(&["build", "--tag-rule", "type=bogus"], &refs(&env));
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: tag rule \"type=bogus\": type: "),
        "{}",
        run.stderr
    );
}

#[test]
fn gitlab_api_flags_refuse_the_job_token_before_building() {
    let repo = repo();
    let env = [
        ("GITLAB_CI", "true"),
        ("CI_COMMIT_SHA", SHA),
        ("CI_PROJECT_URL", "https://gitlab.example/acme/demo"),
        ("CI_PIPELINE_SOURCE", "push"),
        ("CI_COMMIT_BRANCH", "main"),
        ("CI_JOB_TOKEN", "glcbt-jobTokenSecret"),
    ];
    for flag in ["--gitlab-commit-status", "--gitlab-mr-note"] {
        let run = repo.slipway(&["build", flag], &env);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert_eq!(
            run.stderr,
            "error: GitLab commit statuses and merge request notes need an access token, but only CI_JOB_TOKEN is available and GitLab does not accept a job token for them: create a project access token (or a personal access token) with the `api` scope and at least the Developer role, store it as a masked CI/CD variable named GITLAB_TOKEN, and run again\n"
        );
        assert!(run.stdout.is_empty(), "nothing was built: {}", run.stdout);
        assert!(!run.stderr.contains("glcbt-jobTokenSecret"));
    }
    let run = repo.slipway(&["build", "--github-check-run"], &env);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: --github-check-run needs a GitHub Actions job (GITHUB_ACTIONS=true, or --ci github)\n"
    );
}
