//! `slipway build --backend buildah` with the real buildah (chroot isolation, as root here),
//! with both storage drivers, each test in a storage root of its own (`SLIPWAY_BUILDAH_ROOT`);
//! reuse across the Docker and buildah backends; and `slipway doctor` on this machine.

use crate::common::{
    AUTH, OPEN, Project, assert_one_published_tag, json_file, tags, unique_repo, which,
};

/// A private buildah storage for one test, with the storage driver to use.
struct Storage {
    root: tempfile::TempDir,
    driver: &'static str,
}

impl Storage {
    fn new(driver: &'static str) -> Self {
        Self {
            root: tempfile::tempdir().unwrap(),
            driver,
        }
    }

    fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("SLIPWAY_BUILDAH_ROOT", self.root.path().to_str().unwrap()),
            ("WERF_BUILDAH_STORAGE_DRIVER", self.driver),
        ]
    }
}

fn builds_reuses_and_rebuilds_only_what_changed(driver: &'static str) {
    let project = Project::example();
    let storage = Storage::new(driver);
    let repo = unique_repo(OPEN, &format!("buildah-{driver}"));
    let report = project.path().join("report.json");
    let args = [
        "build",
        "--backend",
        "buildah",
        "--repo",
        &repo,
        "--report-path",
        report.to_str().unwrap(),
    ];
    let first = project.slipway(&args, &storage.env()).ok();
    for image in ["backend", "frontend", "frontend-assets"] {
        assert_eq!(first.result_of(image), "built", "{}", first.stdout);
    }
    assert!(
        first.stdout.contains("[backend] STEP 2/"),
        "buildah's output is streamed: {}",
        first.stdout
    );
    assert_eq!(tags(&repo).len(), 3);
    let v = json_file(&report);
    assert_eq!(v["Runtime"]["Backend"], "buildah");
    let backend = &v["Images"]["backend"];
    assert_eq!(backend["Rebuilt"], true);
    assert!(
        backend["DockerImageID"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(backend["Size"].as_u64().unwrap() > 500_000);

    let second = project.slipway(&args, &storage.env()).ok();
    for image in ["backend", "frontend", "frontend-assets"] {
        assert_eq!(second.result_of(image), "reused");
    }
    assert!(!second.stdout.contains("[backend] "), "nothing is built");

    project.write("backend/run.sh", "#!/bin/sh\necho changed backend\n");
    project.commit();
    let third = project.slipway(&args, &storage.env()).ok();
    assert_eq!(third.result_of("backend"), "built");
    assert_eq!(third.result_of("frontend"), "reused");
    assert_eq!(third.result_of("frontend-assets"), "reused");
    assert_eq!(tags(&repo).len(), 4);

    // What buildah pushed runs in the Docker engine as it did when Docker built it.
    let v = json_file(&report);
    let name = v["Images"]["backend"]["DockerImageName"].as_str().unwrap();
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "docker pull -q {name} >/dev/null && docker run --rm {name}"
        ))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "changed backend\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn vfs_builds_reuses_and_rebuilds_only_what_changed() {
    builds_reuses_and_rebuilds_only_what_changed("vfs");
}

#[test]
fn overlay_builds_reuses_and_rebuilds_only_what_changed() {
    builds_reuses_and_rebuilds_only_what_changed("overlay");
}

fn failing_run_names_the_dockerfile_line(driver: &'static str) {
    let project = Project::example();
    let storage = Storage::new(driver);
    let df = std::fs::read_to_string(project.path().join("backend.Dockerfile")).unwrap();
    project.write(
        "backend.Dockerfile",
        &df.replace("COPY backend/ /app/", "COPY backend/ /app/\nRUN exit 3"),
    );
    project.commit();
    let repo = unique_repo(OPEN, "buildah-fail");
    let run = project.slipway(
        &["build", "--backend", "buildah", "--repo", &repo, "backend"],
        &storage.env(),
    );
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.starts_with(
            "error: image backend failed to build at backend.Dockerfile:5: building at STEP \
             \"RUN exit 3\": exit status 3\nlast lines of the build output:\n"
        ),
        "{}",
        run.stderr
    );
    assert!(tags(&repo).is_empty());
}

#[test]
fn vfs_failing_run_names_the_dockerfile_line() {
    failing_run_names_the_dockerfile_line("vfs");
}

#[test]
fn overlay_failing_run_names_the_dockerfile_line() {
    failing_run_names_the_dockerfile_line("overlay");
}

#[test]
fn buildah_without_repo_is_refused() {
    let project = Project::example();
    let expected = "error: the buildah backend has no local storage mode: it pushes every image \
                    straight to a registry, so it needs --repo (or WERF_REPO); set one, or build \
                    with the Docker engine (--backend docker)\n";
    let run = project.slipway(&["build", "--backend", "buildah"], &[]);
    assert_eq!((run.code, run.stderr.as_str()), (2, expected));
    // werf's variable asks for buildah just the same.
    let run = project.slipway(&["build"], &[("WERF_BUILDAH_MODE", "auto")]);
    assert_eq!((run.code, run.stderr.as_str()), (2, expected));
}

/// Digests do not depend on the backend, so what one backend published the other reuses.
fn reuse_across_backends(first: &str, second: &str) {
    let project = Project::example();
    let storage = Storage::new("overlay");
    let repo = unique_repo(OPEN, &format!("{first}-then-{second}"));
    let build = |backend: &str| {
        project
            .slipway(
                &["build", "--backend", backend, "--repo", &repo],
                &storage.env(),
            )
            .ok()
    };
    let one = build(first);
    for image in ["backend", "frontend", "frontend-assets"] {
        assert_eq!(one.result_of(image), "built", "{}", one.stdout);
    }
    let published = tags(&repo);
    let two = build(second);
    for image in ["backend", "frontend", "frontend-assets"] {
        assert_eq!(two.result_of(image), "reused", "{}", two.stdout);
    }
    assert_eq!(tags(&repo), published);
}

#[test]
fn docker_built_images_are_reused_by_buildah() {
    reuse_across_backends("docker", "buildah");
}

#[test]
fn buildah_built_images_are_reused_by_docker() {
    reuse_across_backends("buildah", "docker");
}

/// A `dependencies` image is the `FROM` of its dependent: buildah pulls it from the
/// password-protected registry with the run's login (the auth file passed to `buildah build`).
#[test]
fn dependency_base_is_pulled_with_the_login() {
    let project = Project::example();
    let storage = Storage::new("vfs");
    project.write(
        "werf.yaml",
        "project: deps\nconfigVersion: 1\n---\nimage: base\ndockerfile: backend.Dockerfile\n\
         contextAddFiles: [busybox]\n---\nimage: app\ndockerfile: app.Dockerfile\n\
         dependencies:\n- image: base\n  imports:\n  - type: ImageName\n    targetBuildArg: BASE\n",
    );
    project.write(
        "app.Dockerfile",
        "ARG BASE\nFROM $BASE\nRUN echo built on the base > /app/note\n",
    );
    project.commit();
    project.login();
    let repo = unique_repo(AUTH, "buildah-deps");
    let run = project
        .slipway(
            &["build", "--backend", "buildah", "--repo", &repo],
            &storage.env(),
        )
        .ok();
    assert_eq!(run.result_of("base"), "built");
    assert_eq!(run.result_of("app"), "built", "{}", run.stdout);
    assert_eq!(tags(&repo).len(), 2);
    let password = crate::common::password();
    assert!(
        !run.stdout.contains(&password) && !run.stderr.contains(&password),
        "the password is never printed"
    );
}

#[test]
fn doctor_reports_this_machine() {
    let project = Project::example();
    let run = project
        .slipway(&["doctor", "--backend", "buildah"], &[])
        .ok();
    let line = |name: &str| {
        run.stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(name.split(' ').next().unwrap()))
            .unwrap_or_else(|| panic!("no {name} line in:\n{}", run.stdout))
            .to_owned()
    };
    // The test suite runs as root, in a container.
    assert_eq!(
        line("backend"),
        "ok    backend                           buildah, mode auto (chroot isolation, as root)"
    );
    assert_eq!(
        line("buildah"),
        format!(
            "ok    buildah                           {}",
            which("buildah").display()
        )
    );
    assert_eq!(
        line("overlay"),
        "ok    overlay                           overlay is in /proc/filesystems"
    );
    assert_eq!(
        line("storage"),
        "ok    storage driver                    overlay, the kernel's"
    );
    let json = project
        .slipway(&["doctor", "--backend", "docker", "--output", "json"], &[])
        .ok();
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let engine = v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "docker engine")
        .unwrap();
    assert_eq!(engine["status"], "ok", "{engine}");
}

#[test]
fn doctor_checks_the_registry_credentials() {
    let project = Project::example();
    let repo = format!("{AUTH}/x");
    let args = ["doctor", "--backend", "docker", "--repo", &repo];
    let anonymous = project.slipway(&args, &[]);
    assert_eq!(anonymous.code, 1, "{}", anonymous.stdout);
    assert!(
        anonymous.stdout.contains(
            "ok    registry              127.0.0.1:5001/x: 127.0.0.1:5001 answers /v2/ (HTTP 401: \
             asks for credentials)\n"
        ),
        "{}",
        anonymous.stdout
    );
    assert!(
        anonymous.stdout.contains(
            "fail  registry credentials  registry 127.0.0.1:5001: start a blob upload to \
             127.0.0.1:5001/x: unauthorized (401) with no credentials: anonymous access"
        ),
        "{}",
        anonymous.stdout
    );
    assert!(
        anonymous
            .stdout
            .contains("log in (`docker login HOST`, or `slipway ci-env` in CI)"),
        "the fix for a missing login says to log in:\n{}",
        anonymous.stdout
    );
    let open = project
        .slipway(
            &[
                "doctor",
                "--backend",
                "docker",
                "--repo",
                &format!("{OPEN}/x"),
            ],
            &[],
        )
        .ok();
    assert!(
        open.stdout.contains(
            "ok    registry credentials  none configured; 127.0.0.1:5000/x accepts anonymous pushes\n"
        ),
        "{}",
        open.stdout
    );
    assert_eq!(
        anonymous.stderr,
        "error: some checks failed (the lines starting with \"fail\" above say how to fix them)\n"
    );

    project.login();
    let logged_in = project.slipway(&args, &[]).ok();
    let config = project.docker_config.path().join("config.json");
    assert!(
        logged_in.stdout.contains(&format!(
            "ok    registry credentials  accepted for pushing to 127.0.0.1:5001/x (from docker \
             config {}, user slipway)\n",
            config.display()
        )),
        "{}",
        logged_in.stdout
    );
    assert!(tags(&repo).is_empty(), "the check pushes nothing");
}

#[test]
fn buildah_concurrent_builders_and_repo_roles() {
    let project = Project::example();
    let repo = unique_repo(OPEN, "buildah-race");
    // Two runners, each with its own storage, race on the same digest.
    let storages = [Storage::new("vfs"), Storage::new("vfs")];
    let reports: Vec<std::path::PathBuf> = (0..2)
        .map(|i| project.path().join(format!("race{i}.json")))
        .collect();
    std::thread::scope(|s| {
        for (storage, report) in storages.iter().zip(&reports) {
            let (project, repo) = (&project, &repo);
            s.spawn(move || {
                project
                    .slipway(
                        &[
                            "build",
                            "--backend",
                            "buildah",
                            "--repo",
                            repo,
                            "--report-path",
                            report.to_str().unwrap(),
                            "backend",
                        ],
                        &storage.env(),
                    )
                    .ok();
            });
        }
    });
    assert_one_published_tag(&repo, &reports);

    // The secondary, cache and final repos and custom tags with the buildah backend.
    let primary = unique_repo(OPEN, "buildah-primary");
    let cache = unique_repo(OPEN, "buildah-cache");
    let final_repo = unique_repo(OPEN, "buildah-final");
    let run = project
        .slipway(
            &[
                "build",
                "--backend",
                "buildah",
                "--repo",
                &primary,
                "--secondary-repo",
                &repo,
                "--cache-repo",
                &cache,
                "--final-repo",
                &final_repo,
                "--add-custom-tag",
                "%image%-latest",
            ],
            &storages[0].env(),
        )
        .ok();
    assert_eq!(run.result_of("backend"), "copied", "{}", run.stdout);
    assert_eq!(run.result_of("frontend"), "built", "{}", run.stdout);
    assert_eq!(tags(&primary).len(), 3);
    assert_eq!(tags(&cache), tags(&primary), "the cache repo is filled");
    let finals = tags(&final_repo);
    for tag in [
        "backend-latest",
        "frontend-latest",
        "frontend-assets-latest",
    ] {
        assert!(finals.contains(&tag.to_owned()), "{finals:?}");
    }
}

/// What buildah 1.28 cannot run is refused by `plan` and before anything is built, with the
/// line, the feature and buildah's version; what it can run (a cache mount, a secret) builds.
#[test]
fn buildah_refuses_what_its_version_cannot_run_and_builds_secrets() {
    let werf = "project: bh\nconfigVersion: 1\n---\nimage: app\ndockerfile: Dockerfile\nsecrets:\n- env: SLIPWAY_BUILDAH_SECRET\n";
    let heredoc = "FROM scratch\nCOPY busybox /bin/busybox\nCOPY busybox /bin/sh\nRUN <<EOF\n/bin/busybox true\nEOF\n";
    let project =
        crate::common::Project::with_files(&[("werf.yaml", werf), ("Dockerfile", heredoc)]);
    let storage = Storage::new("vfs");
    let repo = unique_repo(OPEN, "bh-refuse");
    let mut env = storage.env();
    env.push(("SLIPWAY_BUILDAH_SECRET", "buildah-secret-value"));
    let run = project.slipway(&["build", "--backend", "buildah", "--repo", &repo], &env);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let version = String::from_utf8_lossy(
        &std::process::Command::new("buildah")
            .arg("version")
            .output()
            .unwrap()
            .stdout,
    )
    .lines()
    .find_map(|l| l.strip_prefix("Version:").map(|v| v.trim().to_owned()))
    .unwrap();
    let expected = format!(
        "error: Dockerfile:4: image app: `RUN <<EOF` (a heredoc) is not supported by buildah \
         {version}; build this image with the Docker engine (--backend docker, BuildKit), or use \
         a buildah that supports it\n"
    );
    assert_eq!(run.stderr, expected);
    assert!(tags(&repo).is_empty(), "nothing was built");
    // `plan` refuses the same, by the flag or by werf's variable, without a repo.
    for (args, extra) in [
        (&["plan", "--backend", "buildah"][..], None),
        (&["plan"][..], Some(("WERF_BUILDAH_MODE", "auto"))),
    ] {
        let mut env = storage.env();
        env.extend(extra);
        let run = project.slipway(args, &env);
        assert_eq!(run.code, 2, "{args:?}: {}\n{}", run.stdout, run.stderr);
        assert_eq!(run.stderr, expected, "{args:?}");
    }

    let mounts = "FROM scratch\nCOPY busybox /bin/busybox\nRUN --mount=type=cache,target=/cache --mount=type=secret,id=SLIPWAY_BUILDAH_SECRET [\"/bin/busybox\", \"sh\", \"-c\", \"test $(/bin/busybox wc -c < /run/secrets/SLIPWAY_BUILDAH_SECRET) -eq 20 && touch /cache/x\"]\n";
    project.write("Dockerfile", mounts);
    project.commit();
    let run = project
        .slipway(&["build", "--backend", "buildah", "--repo", &repo], &env)
        .ok();
    assert!(!run.stdout.contains("buildah-secret-value"));
    assert!(!run.stderr.contains("buildah-secret-value"));
    assert_eq!(tags(&repo).len(), 1);
}
