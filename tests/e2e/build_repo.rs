//! Building the example into registries: reuse, partial rebuilds, repo roles, custom tags,
//! reports consumed by a deploy step, and concurrent builders.

use crate::common::{
    AUTH, OPEN, Project, Run, assert_one_published_tag, envfile, json_file, tags, unique_repo,
};

#[test]
fn builds_then_reuses_then_rebuilds_only_what_changed() {
    let project = Project::example();
    let repo = unique_repo(OPEN, "seed");
    let first = project.slipway(&["build", "--repo", &repo], &[]).ok();
    assert!(
        first
            .stdout
            .starts_with("┌ Concurrent builds plan (no more than 5 images at the same time)\n")
    );
    for image in ["backend", "frontend", "frontend-assets"] {
        assert_eq!(first.result_of(image), "built", "{}", first.stdout);
        assert!(
            first.stdout.contains(&format!("[{image}] ")),
            "build output is prefixed"
        );
    }
    assert_eq!(tags(&repo).len(), 3);

    let second = project.slipway(&["build", "--repo", &repo], &[]).ok();
    for image in ["backend", "frontend", "frontend-assets"] {
        assert_eq!(second.result_of(image), "reused");
    }
    assert!(!second.stdout.contains("[backend] "), "nothing is built");
    assert_eq!(tags(&repo).len(), 3);

    project.write("backend/run.sh", "#!/bin/sh\necho changed backend\n");
    project.commit();
    let third = project.slipway(&["build", "--repo", &repo], &[]).ok();
    assert_eq!(third.result_of("backend"), "built");
    assert_eq!(third.result_of("frontend"), "reused");
    assert_eq!(third.result_of("frontend-assets"), "reused");
    assert_eq!(tags(&repo).len(), 4);
}

#[test]
fn envfile_report_feeds_a_deploy_step() {
    let project = Project::example();
    let repo = unique_repo(OPEN, "deploy");
    let report = project.path().join("images.env");
    project
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
    let vars = envfile(&report);
    let names: Vec<&str> = vars.iter().map(|(k, _)| k.as_str()).collect();
    assert!(names.contains(&"WERF_BACKEND_DOCKER_IMAGE_NAME"));
    assert!(names.contains(&"WERF_FRONTEND_ASSETS_DOCKER_IMAGE_NAME"));
    // A "deploy" step: a shell that sources the report and runs the image.
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "set -a; . {}; docker pull -q \"$WERF_BACKEND_DOCKER_IMAGE_NAME\" >/dev/null && docker run --rm \"$WERF_BACKEND_DOCKER_IMAGE_NAME\"",
            report.display()
        ))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "backend: hello from slipway's example\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn json_report_names_real_values() {
    let project = Project::example();
    let repo = unique_repo(OPEN, "json");
    let report = project.path().join("report.json");
    project
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
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.starts_with("{\n\t\"Runtime\": {"), "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let backend = &v["Images"]["backend"];
    assert_eq!(backend["DockerRepo"], repo.as_str());
    assert_eq!(backend["Rebuilt"], true);
    let tag = backend["DockerTag"].as_str().unwrap();
    assert!(tags(&repo).contains(&tag.to_owned()));
    assert!(
        backend["DockerImageID"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(
        backend["DockerImageDigest"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );
    assert!(
        backend["Size"].as_u64().unwrap() > 500_000,
        "busybox is in the image"
    );
    assert_eq!(v["Runtime"]["Backend"], "docker");
    // A second run reports Rebuilt false with the same tag; werf's variable says slipway runs
    // in a container.
    project
        .slipway(
            &[
                "build",
                "--repo",
                &repo,
                "--report-path",
                report.to_str().unwrap(),
            ],
            &[("WERF_CONTAINERIZED", "yes")],
        )
        .ok();
    let v = json_file(&report);
    assert_eq!(v["Images"]["backend"]["Rebuilt"], false);
    assert_eq!(v["Runtime"]["InContainer"], true);
    assert_eq!(v["Images"]["backend"]["DockerTag"], tag);
}

#[test]
fn secondary_cache_and_final_repos() {
    let project = Project::example();
    let secondary = unique_repo(OPEN, "secondary");
    project.slipway(&["build", "--repo", &secondary], &[]).ok();
    let published = tags(&secondary);
    assert_eq!(published.len(), 3);

    project.login();
    let primary = unique_repo(AUTH, "primary");
    let cache = unique_repo(OPEN, "cache");
    let final_repo = unique_repo(OPEN, "final");
    let run = project
        .slipway(
            &[
                "build",
                "--repo",
                &primary,
                "--secondary-repo",
                &secondary,
                "--cache-repo",
                &cache,
                "--final-repo",
                &final_repo,
                "--add-custom-tag",
                "%image%-latest",
            ],
            &[],
        )
        .ok();
    for image in ["backend", "frontend", "frontend-assets"] {
        assert_eq!(run.result_of(image), "copied", "{}", run.stdout);
    }
    assert_eq!(tags(&primary), published, "copied with the same tags");
    assert_eq!(tags(&cache), published, "the cache repo is filled");
    let mut expected_final = published.clone();
    expected_final.extend(
        [
            "backend-latest",
            "frontend-assets-latest",
            "frontend-latest",
        ]
        .map(String::from),
    );
    expected_final.sort();
    assert_eq!(tags(&final_repo), expected_final);
}

#[test]
fn werf_variables_configure_the_build() {
    let project = Project::example();
    let repo = unique_repo(OPEN, "env");
    let report = project.path().join("r.json");
    project
        .slipway(
            &["build"],
            &[
                ("WERF_REPO", &repo),
                ("WERF_ADD_CUSTOM_TAG_1", "%image_slug%-v1"),
                ("WERF_REPORT_PATH", report.to_str().unwrap()),
                ("WERF_PARALLEL_TASKS_LIMIT", "1"),
            ],
        )
        .ok();
    let t = tags(&repo);
    assert!(t.contains(&"frontend-assets-v1".to_owned()), "{t:?}");
    assert!(report.is_file());

    // werf v2's report flags: the extension picks the format.
    let v2 = project.path().join("v2-report.env");
    project
        .slipway(
            &["build", "--repo", &repo],
            &[
                ("WERF_SAVE_BUILD_REPORT", "true"),
                ("WERF_BUILD_REPORT_PATH", v2.to_str().unwrap()),
            ],
        )
        .ok();
    let vars = envfile(&v2);
    assert!(
        vars.iter()
            .any(|(k, v)| k == "WERF_BACKEND_DOCKER_REPO" && *v == repo),
        "{vars:?}"
    );
    project
        .slipway(&["build", "--repo", &repo, "--save-build-report"], &[])
        .ok();
    let default = std::fs::read_to_string(project.path().join(".werf-build-report.json")).unwrap();
    assert!(default.starts_with("{\n\t\"Runtime\": {"), "{default}");
}

#[test]
fn concurrent_builders_publish_one_tag() {
    let project = Project::example();
    let repo = unique_repo(OPEN, "race");
    let reports: Vec<std::path::PathBuf> = (0..2)
        .map(|i| project.path().join(format!("r{i}.json")))
        .collect();
    let handles: Vec<_> = reports
        .iter()
        .map(|r| {
            let args = vec![
                "build".to_owned(),
                "--repo".to_owned(),
                repo.clone(),
                "--report-path".to_owned(),
                r.to_str().unwrap().to_owned(),
                "backend".to_owned(),
            ];
            let dir = project.path().to_path_buf();
            let config = project.docker_config.path().to_path_buf();
            std::thread::spawn(move || {
                let out = std::process::Command::new(env!("CARGO_BIN_EXE_slipway"))
                    .args(&args)
                    .current_dir(dir)
                    .env("DOCKER_CONFIG", config)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stdout)
                );
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_one_published_tag(&repo, &reports);
}

/// What separate CI runners look like: six builders of one project, each with its own temp and
/// runtime dirs (so no file lock is shared), publish into one repo at once, three rounds of
/// commits. Every report names one tag per image, the oldest of its digest, and every builder
/// whose own tag lost says so.
#[test]
fn builders_without_a_shared_lock_agree_on_the_oldest_tag() {
    let project = Project::example();
    let repo = unique_repo(OPEN, "runners");
    for round in 0..3 {
        if round > 0 {
            project.write("backend/run.sh", &format!("echo backend round {round}\n"));
            project.write(
                "frontend/app/index.html",
                &format!("<p>round {round}</p>\n"),
            );
            project.commit();
        }
        let runs: Vec<_> = (0..6)
            .map(|i| {
                let dirs = tempfile::tempdir().unwrap();
                let report = project.path().join(format!("r{round}-{i}.json"));
                let tmp = dirs.path().to_str().unwrap().to_owned();
                let mut cmd = project.command(
                    &[
                        "build",
                        "--repo",
                        &repo,
                        "--report-path",
                        report.to_str().unwrap(),
                    ],
                    &[("TMPDIR", &tmp), ("XDG_RUNTIME_DIR", &tmp)],
                );
                (
                    dirs,
                    report,
                    std::thread::spawn(move || cmd.output().unwrap()),
                )
            })
            .collect();
        let mut reports = Vec::new();
        let mut stderrs = Vec::new();
        for (_dirs, report, handle) in runs {
            let run = Run::from(handle.join().unwrap()).ok();
            reports.push(json_file(&report));
            stderrs.push(run.stderr);
        }
        let published = tags(&repo);
        for image in ["backend", "frontend", "frontend-assets"] {
            let named: std::collections::BTreeSet<&str> = reports
                .iter()
                .map(|r| r["Images"][image]["DockerTag"].as_str().unwrap())
                .collect();
            assert_eq!(named.len(), 1, "round {round}, {image}: {named:?}");
            let tag = named.into_iter().next().unwrap();
            let (digest, ms) = tag.split_once('-').unwrap();
            let same_digest: Vec<&String> = published
                .iter()
                .filter(|t| t.starts_with(&format!("{digest}-")))
                .collect();
            for other in &same_digest {
                let other_ms: u64 = other.split_once('-').unwrap().1.parse().unwrap();
                assert!(
                    other_ms >= ms.parse().unwrap(),
                    "round {round}, {image}: {tag} is not the oldest of {same_digest:?}"
                );
            }
            let warned = stderrs
                .iter()
                .filter(|e| {
                    e.contains(&format!(
                        "warning: image {image}: another builder published {repo}:{tag} before"
                    ))
                })
                .count();
            assert!(
                warned + 1 >= same_digest.len(),
                "round {round}, {image}: {} tags {same_digest:?} but {warned} warnings:\n{}",
                same_digest.len(),
                stderrs.join("\n---\n")
            );
        }
    }
}
