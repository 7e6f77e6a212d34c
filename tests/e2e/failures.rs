//! Failures people meet: a failing instruction, a registry refusing credentials, no engine.

use crate::common::{AUTH, OPEN, Project, unique_repo};

#[test]
fn failing_instruction_names_the_dockerfile_line() {
    let project = Project::example();
    let df = std::fs::read_to_string(project.path().join("backend.Dockerfile")).unwrap();
    project.write(
        "backend.Dockerfile",
        &df.replace("COPY backend/ /app/", "COPY backend/ /app/\nRUN exit 3"),
    );
    project.commit();
    let repo = unique_repo(OPEN, "fail");
    let report = project.path().join("report.json");
    std::fs::write(&report, "previous report\n").unwrap();
    let run = project.slipway(
        &[
            "build",
            "--repo",
            &repo,
            "--report-path",
            report.to_str().unwrap(),
            "backend",
        ],
        &[],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .starts_with("error: image backend failed to build at backend.Dockerfile:5: "),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&report).unwrap(),
        "previous report\n",
        "no report replaces the old one"
    );
}

#[test]
fn registry_refusing_credentials() {
    let project = Project::example();
    let repo = unique_repo(AUTH, "noauth");
    let run = project.slipway(&["build", "--repo", &repo, "backend"], &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("127.0.0.1:5001"), "{}", run.stderr);
    assert!(
        run.stderr.contains("401") || run.stderr.to_lowercase().contains("unauthorized"),
        "{}",
        run.stderr
    );
}

#[test]
fn engine_down() {
    let project = Project::example();
    let run = project.slipway(
        &["build"],
        &[("DOCKER_HOST", "unix:///tmp/slipway-no-docker.sock")],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.starts_with(
            "error: cannot reach the Docker engine at unix:///tmp/slipway-no-docker.sock"
        ),
        "{}",
        run.stderr
    );
}
