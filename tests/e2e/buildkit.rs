//! Dockerfiles written the way Docker's documentation writes them today, built by the Docker
//! backend through BuildKit: cache mounts, heredocs, `COPY --link/--chmod`, secrets, failures
//! located at their line, and the classic builder refusing them before building.
//!
//! `FROM scratch` has no /bin/sh, which shell-form RUN and RUN heredocs need: these
//! Dockerfiles copy busybox to /bin/sh as well (a real image would have a shell).

use std::process::Command;

use crate::common::{OPEN, Project, tags, unique_repo};

const WERF: &str = "project: bk\nconfigVersion: 1\n---\nimage: app\ndockerfile: Dockerfile\n";

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker")
        .args(args)
        .output()
        .expect("docker runs");
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A token no other test run shares. BuildKit's cache key of a RUN leaves a cache mount's id
/// out, so a step is made new by putting the token in its command.
fn cache_id() -> String {
    unique_repo("c", "mount").replace(['/', '.', ':'], "-")
}

#[test]
fn the_issue_dockerfile_builds() {
    // The Dockerfile of issue 9, plus /bin/sh for the heredoc.
    let dockerfile = "FROM scratch AS base\n\
                      COPY busybox /bin/busybox\n\
                      COPY busybox /bin/sh\n\
                      RUN --mount=type=cache,target=/cache [\"/bin/busybox\", \"sh\", \"-c\", \"echo hi > /cache/x\"]\n\
                      RUN <<EOF\n\
                      /bin/busybox echo hello\n\
                      EOF\n";
    let project = Project::with_files(&[("werf.yaml", WERF), ("Dockerfile", dockerfile)]);
    let repo = unique_repo(OPEN, "bk-issue");
    let run = project.slipway(&["build", "--repo", &repo], &[]).ok();
    assert!(
        run.stdout.contains("[app] #") && run.stdout.contains(" hello"),
        "BuildKit's progress, prefixed by image:\n{}",
        run.stdout
    );
    assert_eq!(tags(&repo).len(), 1);
}

#[test]
fn cache_mounts_persist_across_builds_of_different_digests() {
    let id = cache_id();
    let dockerfile = |step: &str| {
        format!(
            "FROM scratch\n\
             COPY busybox /bin/busybox\n\
             COPY busybox /bin/sh\n\
             RUN --mount=type=cache,id={id},target=/cache /bin/busybox sh -c '{step}'\n"
        )
    };
    let project = Project::with_files(&[
        ("werf.yaml", WERF),
        (
            "Dockerfile",
            &dockerfile(&format!("echo first-build-{id} > /cache/marker")),
        ),
    ]);
    let repo = unique_repo(OPEN, "bk-cache");
    project.slipway(&["build", "--repo", &repo], &[]).ok();
    project.write(
        "Dockerfile",
        &dockerfile(&format!("/bin/busybox cat /cache/marker # {id}")),
    );
    project.commit();
    let run = project.slipway(&["build", "--repo", &repo], &[]).ok();
    assert_eq!(tags(&repo).len(), 2, "two digests");
    assert!(
        run.stdout.contains(&format!(" first-build-{id}")),
        "the second build sees what the first left in the cache:\n{}",
        run.stdout
    );
}

#[test]
fn heredocs_and_copy_link_and_chmod() {
    let dockerfile = "FROM scratch\n\
                      COPY busybox /bin/busybox\n\
                      COPY busybox /bin/sh\n\
                      COPY <<EOF /etc/greeting\n\
                      hello from a COPY heredoc\n\
                      EOF\n\
                      COPY --chmod=0750 <<EOF /usr/bin/greet\n\
                      echo greeting\n\
                      EOF\n\
                      COPY --link --chmod=600 data.txt /data.txt\n\
                      RUN <<EOF\n\
                      set -e\n\
                      /bin/busybox grep -q 'hello from a COPY heredoc' /etc/greeting\n\
                      /bin/busybox test \"$(/bin/busybox stat -c %a /usr/bin/greet)\" = 750\n\
                      /bin/busybox test \"$(/bin/busybox stat -c %a /data.txt)\" = 600\n\
                      /bin/busybox echo heredoc-run-ok > /ok\n\
                      EOF\n";
    let project = Project::with_files(&[
        ("werf.yaml", WERF),
        ("Dockerfile", dockerfile),
        ("data.txt", "linked\n"),
    ]);
    let repo = unique_repo(OPEN, "bk-heredoc");
    project.slipway(&["build", "--repo", &repo], &[]).ok();
    let tag = &tags(&repo)[0];
    let image = format!("{repo}:{tag}");
    let out = docker(&[
        "run",
        "--rm",
        &image,
        "/bin/busybox",
        "cat",
        "/ok",
        "/data.txt",
    ]);
    assert_eq!(out, "heredoc-run-ok\nlinked\n");
}

#[test]
fn secrets_reach_run_and_nothing_else() {
    let env_secret = format!("env-secret-{}", cache_id());
    let file_secret = format!("file-secret-{}", cache_id());
    let value_secret = format!("value-secret-{}", cache_id());
    let werf = format!(
        "{WERF}secrets:\n\
         - env: SLIPWAY_TEST_TOKEN\n\
         - id: deploy\n  src: secret.txt\n\
         - id: inline\n  value: {value_secret}\n"
    );
    // The Dockerfile compares lengths only: its text is in the image history.
    let dockerfile = format!(
        "FROM scratch\n\
         COPY busybox /bin/busybox\n\
         COPY busybox /bin/sh\n\
         RUN --mount=type=secret,id=SLIPWAY_TEST_TOKEN --mount=type=secret,id=deploy \
         --mount=type=secret,id=inline \
         test \"$(/bin/busybox wc -c < /run/secrets/SLIPWAY_TEST_TOKEN)\" -eq {} \
         && test \"$(/bin/busybox wc -c < /run/secrets/deploy)\" -eq {} \
         && test \"$(/bin/busybox wc -c < /run/secrets/inline)\" -eq {} \
         && /bin/busybox echo secrets-mounted > /mounted\n",
        env_secret.len(),
        file_secret.len(),
        value_secret.len(),
    );
    let project = Project::with_files(&[("werf.yaml", &werf), ("Dockerfile", &dockerfile)]);
    // Not committed: a secret file never is.
    std::fs::write(project.path().join("secret.txt"), &file_secret).unwrap();
    let repo = unique_repo(OPEN, "bk-secret");
    let report = project.path().join("report.json");
    let env = [("SLIPWAY_TEST_TOKEN", env_secret.as_str())];
    let run = project
        .slipway(
            &[
                "build",
                "--repo",
                &repo,
                "--report-path",
                report.to_str().unwrap(),
            ],
            &env,
        )
        .ok();
    let tag = &tags(&repo)[0];
    let image = format!("{repo}:{tag}");
    assert_eq!(
        docker(&["run", "--rm", &image, "/bin/busybox", "cat", "/mounted"]),
        "secrets-mounted\n"
    );
    let plan = project.slipway(&["plan", "--output", "json"], &env).ok();
    let saved = project.path().join("image.tar");
    docker(&["save", "-o", saved.to_str().unwrap(), &image]);
    let layers = String::from_utf8_lossy(&std::fs::read(&saved).unwrap()).into_owned();
    let places = [
        ("the build log", format!("{}{}", run.stdout, run.stderr)),
        ("the report", std::fs::read_to_string(&report).unwrap()),
        ("the plan", plan.stdout.clone()),
        ("the image config", docker(&["image", "inspect", &image])),
        ("the history", docker(&["history", "--no-trunc", &image])),
        ("the layers", layers),
    ];
    for (place, text) in &places {
        for secret in [&env_secret, &file_secret, &value_secret] {
            assert!(!text.contains(secret.as_str()), "{place} holds {secret}");
        }
    }
    // A secret's value is not a digest input.
    let digest = |plan: &str| {
        let v: serde_json::Value = serde_json::from_str(plan).unwrap();
        v["images"][0]["digest"].as_str().unwrap().to_owned()
    };
    let other = project
        .slipway(
            &["plan", "--output", "json"],
            &[("SLIPWAY_TEST_TOKEN", "another value")],
        )
        .ok();
    assert_eq!(digest(&plan.stdout), digest(&other.stdout));

    // A missing variable is refused before building.
    let run = project.slipway(&["build", "--repo", &unique_repo(OPEN, "bk-nosecret")], &[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.stderr,
        "error: werf.yaml:4: image app: the secret \"SLIPWAY_TEST_TOKEN\" comes from the \
         environment variable SLIPWAY_TEST_TOKEN, which is not set; set it\n"
    );
}

#[test]
fn failing_run_names_its_line_in_the_error_and_the_github_annotation() {
    let dockerfile = "FROM scratch\n\
                      COPY busybox /bin/busybox\n\
                      COPY busybox /bin/sh\n\
                      RUN <<EOF\n\
                      /bin/busybox echo first\n\
                      EOF\n\
                      RUN /bin/busybox echo about to fail && exit 7\n";
    let project = Project::with_files(&[("werf.yaml", WERF), ("Dockerfile", dockerfile)]);
    let repo = unique_repo(OPEN, "bk-fail");
    let sha = crate::common::git(project.path(), &["rev-parse", "HEAD"]);
    let run = project.slipway(
        &["build", "--repo", &repo],
        &[
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "acme/demo"),
            ("GITHUB_SHA", sha.trim()),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_RUN_ID", "1"),
        ],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .starts_with("error: image app failed to build at Dockerfile:7: failed to solve: "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("about to fail"),
        "the failing step's lines:\n{}",
        run.stderr
    );
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("::error file=Dockerfile,line=7,")),
        "{}",
        run.stdout
    );
}

/// In GitLab the failing line becomes the annotations report's link to that line of the
/// commit, with the repository's path of a project in a subdirectory.
#[test]
fn failing_run_names_its_line_in_the_gitlab_annotations() {
    let dockerfile = "FROM scratch\n\
                      COPY busybox /bin/busybox\n\
                      COPY busybox /bin/sh\n\
                      RUN /bin/busybox echo about to fail && exit 7\n";
    let project = Project::with_files(&[("svc/werf.yaml", WERF), ("svc/Dockerfile", dockerfile)]);
    std::fs::copy(
        project.path().join("busybox"),
        project.path().join("svc/busybox"),
    )
    .unwrap();
    project.commit();
    let repo = unique_repo(OPEN, "bk-gl-fail");
    let sha = crate::common::git(project.path(), &["rev-parse", "HEAD"]);
    let annotations = project.path().join("annotations.json");
    let run = project.slipway(
        &[
            "build",
            "--dir",
            "svc",
            "--repo",
            &repo,
            "--gitlab-annotations",
            annotations.to_str().unwrap(),
        ],
        &[
            ("GITLAB_CI", "true"),
            ("CI_COMMIT_SHA", sha.trim()),
            ("CI_PROJECT_URL", "https://gitlab.example/acme/demo"),
            ("CI_PIPELINE_SOURCE", "push"),
            ("CI_COMMIT_BRANCH", "main"),
            ("CI_JOB_URL", "https://gitlab.example/acme/demo/-/jobs/9"),
        ],
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .starts_with("error: image app failed to build at Dockerfile:4: failed to solve: "),
        "{}",
        run.stderr
    );
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&annotations).unwrap()).unwrap();
    let links = report["slipway build failed"].as_array().unwrap();
    assert_eq!(links.len(), 1, "{report}");
    let link = &links[0]["external_link"];
    assert!(
        link["label"]
            .as_str()
            .unwrap()
            .starts_with("svc/Dockerfile:4: image app failed to build: failed to solve: "),
        "{link}"
    );
    assert_eq!(
        link["url"],
        format!(
            "https://gitlab.example/acme/demo/-/blob/{}/svc/Dockerfile#L4",
            sha.trim()
        )
    );
}

#[test]
fn classic_builder_refuses_buildkit_features_at_plan_time() {
    let dockerfile = "FROM scratch\n\
                      COPY busybox /bin/busybox\n\
                      RUN --mount=type=cache,target=/cache [\"/bin/busybox\", \"true\"]\n";
    let project = Project::with_files(&[("werf.yaml", WERF), ("Dockerfile", dockerfile)]);
    let expected = "error: Dockerfile:3: image app: `RUN --mount=type=cache` (a cache mount) \
                    needs BuildKit: the classic builder was asked for (DOCKER_BUILDKIT=0); unset \
                    DOCKER_BUILDKIT (or pass --docker-builder buildkit), or use the buildah \
                    backend (--backend buildah)\n";
    let run = project.slipway(&["plan"], &[("DOCKER_BUILDKIT", "0")]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stderr, expected);
    let repo = unique_repo(OPEN, "bk-classic");
    let run = project.slipway(&["build", "--repo", &repo], &[("DOCKER_BUILDKIT", "0")]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stderr, expected);
    assert!(tags(&repo).is_empty(), "nothing was built");
    let run = project.slipway(&["plan", "--docker-builder", "classic"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("(--docker-builder classic)"),
        "{}",
        run.stderr
    );
}

#[test]
fn classic_builder_still_builds_plain_dockerfiles() {
    let project = Project::example();
    let repo = unique_repo(OPEN, "bk-classic-ok");
    let run = project
        .slipway(&["build", "--repo", &repo], &[("DOCKER_BUILDKIT", "0")])
        .ok();
    assert!(
        // The step count includes one LABEL step per label slipway sets.
        run.stdout
            .lines()
            .any(|l| l.starts_with("[backend] Step 1/") && l.ends_with(" : FROM scratch")),
        "{}",
        run.stdout
    );
    assert_eq!(tags(&repo).len(), 3);
}

#[test]
fn doctor_reports_the_engine_version_and_buildkit() {
    let project = Project::with_files(&[("werf.yaml", WERF), ("Dockerfile", "FROM scratch\n")]);
    let run = project
        .slipway(&["doctor", "--backend", "docker", "--output", "json"], &[])
        .ok();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let buildkit = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "buildkit")
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert_eq!(buildkit["status"], "ok", "{buildkit}");
    let detail = buildkit["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("engine ") && detail.contains(": builds use BuildKit, through "),
        "{detail}"
    );
}

#[test]
fn published_builds_export_their_layer_cache_and_the_next_build_imports_it() {
    let dockerfile = |n: &str| {
        format!(
            "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"true\"]\nCOPY {n} /n\n"
        )
    };
    let project = Project::with_files(&[
        ("werf.yaml", WERF),
        ("Dockerfile", &dockerfile("werf.yaml")),
    ]);
    let repo = unique_repo(OPEN, "bk-layers");
    let first = project.slipway(&["build", "--repo", &repo], &[]).ok();
    assert!(
        !first.stdout.contains("importing the layer cache"),
        "{}",
        first.stdout
    );
    assert_eq!(tags(&format!("{repo}/buildcache")), ["app"]);
    let cached = docker(&[
        "buildx",
        "imagetools",
        "inspect",
        "--raw",
        &format!("{repo}/buildcache:app"),
    ]);
    assert!(cached.contains("mediaType"), "{cached}");
    project.write("Dockerfile", &dockerfile("Dockerfile"));
    project.commit();
    let second = project.slipway(&["build", "--repo", &repo], &[]).ok();
    assert!(
        second.stdout.contains(&format!(
            "image app: importing the layer cache of its last published build ({repo}/buildcache:app)"
        )),
        "{}",
        second.stdout
    );
    assert!(
        second.stdout.contains(&format!(
            "importing cache manifest from {repo}/buildcache:app"
        )),
        "BuildKit reads it:\n{}",
        second.stdout
    );
    assert_eq!(tags(&repo).len(), 2, "only stages in the repo itself");
}
