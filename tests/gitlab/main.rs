//! The GitLab CI component in a real pipeline: `gitlab-ci-local` (shell executor) runs a
//! project that includes `ci-templates/templates/build.yml` locally; the build job publishes
//! the example to the local registry and a downstream deploy job runs the image named by the
//! dotenv report.

// Shared with the e2e tests; this suite uses only part of it.
#[allow(dead_code)]
#[path = "../e2e/common.rs"]
mod common;

use std::process::Command;

use common::{OPEN, Project, tags, unique_repo};

#[test]
fn pipeline_builds_and_a_deploy_job_runs_the_image() {
    let project = Project::example();
    let templates = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ci-templates/templates");
    let target = project.path().join("ci-templates/templates");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::copy(templates.join("build.yml"), target.join("build.yml")).unwrap();
    let repo = unique_repo(OPEN, "gitlab");
    project.write(
        ".gitlab-ci.yml",
        &format!(
            r#"stages: [build, deploy]
include:
  - local: ci-templates/templates/build.yml
    inputs:
      stage: build
      repo: {repo}
      report-format: envfile
      tags: |
        type=ref,event=branch,prefix=%image%-
        type=sha,prefix=%image%-sha-
      slipway: {bin}
deploy:
  stage: deploy
  needs: [slipway-build]
  script:
    - echo "deploying $WERF_BACKEND_DOCKER_IMAGE_NAME"
    - docker run --rm "$WERF_BACKEND_DOCKER_IMAGE_NAME"
"#,
            bin = env!("CARGO_BIN_EXE_slipway"),
        ),
    );
    project.commit();
    let secret = "glcbt-slipwaySecretJobToken42";
    let out = Command::new("gitlab-ci-local")
        .args(["--variable", &format!("CI_REGISTRY_PASSWORD={secret}")])
        .args(["--variable", &format!("CI_JOB_TOKEN={secret}")])
        .args(["--variable", "CI_REGISTRY_USER=gitlab-ci-token"])
        .current_dir(project.path())
        .env("HOME", project.path())
        .env("DOCKER_CONFIG", project.docker_config.path())
        .output()
        .expect("gitlab-ci-local runs (scripts/setup installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("slipway-build > slipway: from GitLab CI: "),
        "the build says which settings came from the pipeline:\n{stdout}"
    );
    assert!(
        stdout.contains("deploy        > backend: hello from slipway's example"),
        "{stdout}"
    );
    assert!(stdout.contains(" PASS  deploy"), "{stdout}");
    assert!(
        stdout.contains("registry login for local-registry.gitlab.com as gitlab-ci-token"),
        "{stdout}"
    );
    assert!(!stdout.contains(secret), "the job token is never printed");
    assert!(!String::from_utf8_lossy(&out.stderr).contains(secret));

    let dotenv = std::fs::read_to_string(project.path().join("slipway.env")).unwrap();
    let lines: Vec<&str> = dotenv.lines().collect();
    assert_eq!(lines.len(), 3, "{dotenv}");
    for (line, image) in lines.iter().zip(["BACKEND", "FRONTEND", "FRONTEND_ASSETS"]) {
        let value = line
            .strip_prefix(&format!("WERF_{image}_DOCKER_IMAGE_NAME="))
            .unwrap_or_else(|| panic!("{line}"));
        assert!(value.starts_with(&format!("{repo}:")), "{line}");
        assert!(!value.contains([' ', '"', '\'']), "{line}");
    }
    let annotations: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(project.path().join("slipway-annotations.json")).unwrap(),
    )
    .unwrap();
    let links = annotations["slipway images"].as_array().unwrap();
    assert_eq!(links.len(), 3);
    assert_eq!(links[0]["external_link"]["label"], "backend");
    assert!(project.path().join("slipway-report.env").is_file());

    let sha = common::git(project.path(), &["rev-parse", "--short=7", "HEAD"]);
    let published = tags(&repo);
    for expected in [
        "backend-main".to_owned(),
        "frontend-assets-main".to_owned(),
        format!("frontend-sha-{}", sha.trim()),
    ] {
        assert!(
            published.contains(&expected),
            "{expected} not in {published:?}"
        );
    }
    // Collapsible sections, one per image.
    assert!(stdout.contains("build_backend took"), "{stdout}");
}
