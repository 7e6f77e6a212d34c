//! werf features end to end: dependency imports pulled from an authenticated repo, identical
//! images sharing one build, and `--use-custom-tag` in the report.

use std::process::Command;

use crate::common::{AUTH, OPEN, Project, json_file, tags, unique_repo};

const BASE: &str = "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n";

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn imports_pull_the_dependency_from_an_authenticated_repo() {
    let werf = "project: deps\nconfigVersion: 1\n---\nimage: base\ndockerfile: base.Dockerfile\n---\nimage: app\ndockerfile: app.Dockerfile\ndependencies:\n- image: base\n  imports:\n  - type: ImageName\n    targetBuildArg: BASE\n  - type: ImageTag\n    targetBuildArg: BASE_TAG\n";
    let app = "ARG BASE\nFROM $BASE\nARG BASE_TAG\nRUN echo \"$BASE_TAG\" > /base-tag\nCMD [\"cat\", \"/base-tag\"]\n";
    let project = Project::with_files(&[
        ("werf.yaml", werf),
        ("base.Dockerfile", BASE),
        ("app.Dockerfile", app),
    ]);
    project.login();
    let repo = unique_repo(AUTH, "deps");
    let first = project
        .slipway(&["build", "--repo", &repo, "base"], &[])
        .ok();
    assert_eq!(first.result_of("base"), "built");
    // The engine no longer has the base image: building app pulls it from the repo, which
    // needs the login.
    let base_tag = tags(&repo).pop().unwrap();
    // Without pruning: the base's parent layers are cached steps other tests are building on.
    docker(&["rmi", "--no-prune", &format!("{repo}:{base_tag}")]);
    let report = project.path().join("report.json");
    let run = project
        .slipway(
            &[
                "build",
                "--repo",
                &repo,
                "--report-path",
                report.to_str().unwrap(),
            ],
            &[],
        )
        .ok();
    assert_eq!(run.result_of("base"), "reused");
    assert_eq!(run.result_of("app"), "built");
    let v = json_file(&report);
    let app_ref = v["Images"]["app"]["DockerImageName"].as_str().unwrap();
    let printed = docker(&["run", "--rm", app_ref]);
    assert_eq!(
        printed,
        format!("{base_tag}\n"),
        "ImageTag was imported as a build arg"
    );
}

#[test]
fn identical_images_share_one_build() {
    let werf =
        "project: twins\nconfigVersion: 1\n---\nimage: [left, right]\ndockerfile: Dockerfile\n";
    let project = Project::with_files(&[("werf.yaml", werf), ("Dockerfile", BASE)]);
    let repo = unique_repo(OPEN, "twins");
    let report = project.path().join("r.env");
    let run = project
        .slipway(
            &[
                "build",
                "--repo",
                &repo,
                "--report-path",
                report.to_str().unwrap(),
                "--report-format",
                "envfile",
            ],
            &[],
        )
        .ok();
    let built_once = run.stdout.matches("#0 building with ").count();
    assert_eq!(built_once, 1, "one build for both names:\n{}", run.stdout);
    assert_eq!(tags(&repo).len(), 1);
    let env = std::fs::read_to_string(&report).unwrap();
    let name = |image: &str| {
        env.lines()
            .find_map(|l| l.strip_prefix(&format!("WERF_{image}_DOCKER_IMAGE_NAME=")))
            .unwrap()
            .to_owned()
    };
    assert_eq!(name("LEFT"), name("RIGHT"));
}

#[test]
fn use_custom_tag_names_the_custom_tag_in_the_report() {
    let project = Project::example();
    let repo = unique_repo(OPEN, "usecustom");
    let report = project.path().join("r.json");
    let run = project
        .slipway(
            &[
                "build",
                "--repo",
                &repo,
                "--add-custom-tag",
                "%image%-v1",
                "--use-custom-tag",
                "%image%-v1",
                "--report-path",
                report.to_str().unwrap(),
                "backend",
            ],
            &[],
        )
        .ok();
    let v = json_file(&report);
    assert_eq!(v["Images"]["backend"]["DockerTag"], "backend-v1");
    assert_eq!(
        v["Images"]["backend"]["DockerImageName"],
        format!("{repo}:backend-v1")
    );
    assert!(
        run.stdout.contains(&format!("{repo}:backend-v1")),
        "{}",
        run.stdout
    );
    let published = tags(&repo);
    assert!(
        published.contains(&"backend-v1".to_owned()),
        "{published:?}"
    );
    // A template that cannot tell the images apart is refused before anything is pushed.
    let before = tags(&repo);
    let bad = project.slipway(&["build", "--repo", &repo, "--add-custom-tag", "same"], &[]);
    assert_eq!(bad.code, 2, "{}\n{}", bad.stdout, bad.stderr);
    assert!(
        bad.stderr.starts_with("error: custom tag \"same\""),
        "{}",
        bad.stderr
    );
    assert!(
        !bad.stdout.contains("[frontend] "),
        "nothing is built:\n{}",
        bad.stdout
    );
    assert_eq!(tags(&repo), before, "nothing is pushed");
}
