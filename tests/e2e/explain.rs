//! `slipway plan --repo`, the digest inputs recorded on published images, rebuild reasons in
//! the build log and report, and `slipway explain`, on the real engine, buildah and registries.

use crate::common::{AUTH, OPEN, Project, curl, git, json_file, password, unique_repo};

const WERF: &str = "project: explain
configVersion: 1
---
image: backend
dockerfile: backend.Dockerfile
args:
  VERSION: \"1\"
---
image: frontend
dockerfile: frontend.Dockerfile
";

const SECRET_CONTENT: &str = "CONTENT-MARKER-7f3a9c";

fn project() -> Project {
    Project::with_files(&[
        ("werf.yaml", WERF),
        (
            "backend.Dockerfile",
            "FROM scratch\nCOPY busybox /bin/busybox\nARG VERSION\nCOPY backend/ /app/\n",
        ),
        (
            "frontend.Dockerfile",
            "FROM scratch\nCOPY frontend/ /app/\n",
        ),
        (
            "backend/server.js",
            &format!("console.log('{SECRET_CONTENT}-1')\n"),
        ),
        (
            "frontend/index.html",
            &format!("{SECRET_CONTENT}-frontend\n"),
        ),
    ])
}

/// The labels of `reference` (`host/path:tag`), read from the registry: manifest, then config.
fn labels(reference: &str) -> serde_json::Value {
    let (repo, tag) = reference.rsplit_once(':').unwrap();
    let (registry, path) = repo.split_once('/').unwrap();
    let auth = format!("slipway:{}", password());
    let mut base = vec!["-s"];
    if registry == AUTH {
        base.extend(["-u", auth.as_str()]);
    }
    let accept = "Accept: application/vnd.docker.distribution.manifest.v2+json, \
                  application/vnd.oci.image.manifest.v1+json";
    let mut args = base.clone();
    let url = format!("http://{registry}/v2/{path}/manifests/{tag}");
    args.extend(["-H", accept, url.as_str()]);
    let manifest: serde_json::Value = serde_json::from_str(&curl(&args)).unwrap();
    let digest = manifest["config"]["digest"]
        .as_str()
        .unwrap_or_else(|| panic!("no config in {manifest}"));
    let mut args = base;
    let url = format!("http://{registry}/v2/{path}/blobs/{digest}");
    args.extend(["-L", url.as_str()]);
    let config: serde_json::Value = serde_json::from_str(&curl(&args)).unwrap();
    config["config"]["Labels"].clone()
}

fn inputs_of(reference: &str) -> (String, serde_json::Value) {
    let labels = labels(reference);
    let text = labels["slipway.digest-inputs"]
        .as_str()
        .unwrap_or_else(|| panic!("{reference} has no digest inputs label: {labels}"))
        .to_owned();
    let v = serde_json::from_str(&text).unwrap();
    (text, v)
}

fn stage_tag(repo: &str, out: &str, image: &str) -> String {
    let prefix = format!("⛵ image {image}: ");
    let line = out
        .lines()
        .find(|l| l.starts_with(&prefix) && l.contains(&format!("{repo}:")))
        .unwrap_or_else(|| panic!("no result line for {image}:\n{out}"));
    let start = line.find(&format!("{repo}:")).unwrap() + repo.len() + 1;
    line[start..].split_whitespace().next().unwrap().to_owned()
}

fn github_env<'a>(dir: &'a str, summary: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("GITHUB_ACTIONS", "true"),
        ("GITHUB_REPOSITORY", "Acme/Demo"),
        ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_REF", "refs/heads/main"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_RUN_ID", "42"),
        ("RUNNER_TEMP", dir),
        ("GITHUB_STEP_SUMMARY", summary),
    ]
}

fn short_blob(project: &Project, rev_path: &str) -> String {
    git(project.path(), &["rev-parse", rev_path]).trim()[..6].to_owned()
}

#[test]
fn plan_shows_reuse_and_tags_and_rebuilds_say_why() {
    let project = project();
    project.login();
    let repo = unique_repo(AUTH, "explain");
    let final_repo = unique_repo(AUTH, "explain-final");
    let first = project
        .slipway(
            &["build", "--repo", &repo, "--final-repo", &final_repo],
            &[],
        )
        .ok();
    assert!(
        first.stdout.contains(
            "⛵ image backend: building, because:\n  - first build of this image in the repo\n"
        ),
        "{}",
        first.stdout
    );
    // Final images are reported from the final repo, under the stage's tag.
    let backend_tag = stage_tag(&final_repo, &first.stdout, "backend");
    let frontend_tag = stage_tag(&final_repo, &first.stdout, "frontend");

    // Plan in a GitHub job: the tag rule's tags, the final copy, and reuse for both images.
    let runner = tempfile::tempdir().unwrap();
    let summary = runner.path().join("summary.md");
    let (dir, summary_path) = (
        runner.path().to_str().unwrap(),
        summary.to_str().unwrap().to_owned(),
    );
    let plan_args = [
        "plan",
        "--repo",
        &repo,
        "--final-repo",
        &final_repo,
        "--tag-rule",
        "type=raw,value=v1,prefix=%image%-",
    ];
    let plan = project
        .slipway(&plan_args, &github_env(dir, &summary_path))
        .ok();
    let expected = format!(
        "backend: reuse {repo}:{backend_tag}\n  {repo}:{backend_tag}\n  \
         {final_repo}:{backend_tag}\n  {final_repo}:backend-v1\n\
         frontend: reuse {repo}:{frontend_tag}\n  {repo}:{frontend_tag}\n  \
         {final_repo}:{frontend_tag}\n  {final_repo}:frontend-v1\n"
    );
    assert!(plan.stdout.ends_with(&expected), "{}", plan.stdout);
    let summary_text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary_text.contains(&format!(
            "| backend | reuse {repo}:{backend_tag} | `{repo}:{backend_tag}`<br>"
        )),
        "{summary_text}"
    );

    // One file changed: only backend is to be built, under a `<new>` stage tag.
    project.write(
        "backend/server.js",
        &format!("console.log('{SECRET_CONTENT}-2')\n"),
    );
    project.commit();
    let json = project
        .slipway(
            &[&plan_args[..], &["--output", "json"]].concat(),
            &github_env(dir, &summary_path),
        )
        .ok();
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let images = json["images"].as_array().unwrap();
    let backend = &images[0];
    let digest = backend["digest"].as_str().unwrap();
    assert_eq!(backend["status"], "build");
    assert_eq!(backend["existingTag"], serde_json::Value::Null);
    assert_eq!(
        backend["tags"],
        serde_json::json!([
            format!("{repo}:{digest}-<new>"),
            format!("{final_repo}:{digest}-<new>"),
            format!("{final_repo}:backend-v1"),
        ])
    );
    assert_eq!(images[1]["status"], "reuse");
    assert_eq!(
        images[1]["existingTag"],
        format!("{repo}:{frontend_tag}").as_str()
    );

    // And one build arg: the build says both, verbatim, and so does its report.
    let old_blob = short_blob(&project, "HEAD~1:backend/server.js");
    let new_blob = short_blob(&project, "HEAD:backend/server.js");
    project.write("werf.yaml", &WERF.replace("\"1\"", "\"2\""));
    project.commit();
    let report = project.path().join("report.json");
    let second = project
        .slipway(
            &[
                "build",
                "--repo",
                &repo,
                "--final-repo",
                &final_repo,
                "--report-path",
                report.to_str().unwrap(),
            ],
            &[],
        )
        .ok();
    let file_reason = format!("backend/server.js changed (blob {old_blob} → {new_blob})");
    let arg_reason = "ARG VERSION: \"1\" → \"2\"";
    assert!(
        second.stdout.contains(&format!(
            "⛵ image backend: building, because:\n  - {file_reason}\n  - {arg_reason}\n"
        )),
        "{}",
        second.stdout
    );
    assert!(
        !second.stdout.contains("⛵ image frontend: building"),
        "{}",
        second.stdout
    );
    let v = json_file(&report);
    assert_eq!(
        v["Images"]["backend"]["rebuildReasons"],
        serde_json::json!([file_reason, arg_reason])
    );
    assert!(v["Images"]["frontend"].get("rebuildReasons").is_none());

    // The same reasons offline, from the two commits.
    let explained = project
        .slipway(&["explain", "backend", "--against-commit", "HEAD~2"], &[])
        .ok();
    assert!(
        explained
            .stdout
            .ends_with(&format!("- {file_reason}\n- {arg_reason}\n")),
        "{}",
        explained.stdout
    );

    // The inputs survived the push and the copy to the final repo, and leak nothing.
    let new_tag = stage_tag(&final_repo, &second.stdout, "backend");
    let (pushed, _) = inputs_of(&format!("{repo}:{new_tag}"));
    let (copied, inputs) = inputs_of(&format!("{final_repo}:{new_tag}"));
    assert_eq!(pushed, copied);
    assert_eq!(inputs["image"], "backend");
    assert_eq!(inputs["args"], serde_json::json!({"VERSION": "2"}));
    let server_blob = git(project.path(), &["rev-parse", "HEAD:backend/server.js"]);
    assert_eq!(
        inputs["files"]["backend/server.js"],
        &server_blob.trim()[..12]
    );
    assert!(inputs["files"]["busybox"].is_string(), "{inputs}");
    assert_eq!(inputs["dockerfile"], "backend.Dockerfile");
    assert_eq!(inputs["format"], "slipway-stage-digest-v1");
    for leak in [SECRET_CONTENT, password().as_str(), "console.log"] {
        assert!(!copied.contains(leak), "{leak:?} leaked into {copied}");
    }
    // With the label in place, explain against the published builds finds nothing new.
    let same = project
        .slipway(&["explain", "backend", "--repo", &repo], &[])
        .ok();
    assert!(
        same.stdout.contains(&format!(
            "is the same as at {repo}:{new_tag}: nothing to rebuild"
        )),
        "{}",
        same.stdout
    );
    let against_first = project
        .slipway(
            &[
                "explain",
                "backend",
                "--repo",
                &repo,
                "--against",
                &backend_tag,
            ],
            &[],
        )
        .ok();
    assert!(
        against_first
            .stdout
            .ends_with(&format!("- {file_reason}\n- {arg_reason}\n")),
        "{}",
        against_first.stdout
    );
}

#[test]
fn buildah_builds_record_the_same_inputs() {
    let project = project();
    let root = tempfile::tempdir().unwrap();
    let env = [
        ("SLIPWAY_BUILDAH_ROOT", root.path().to_str().unwrap()),
        ("WERF_BUILDAH_STORAGE_DRIVER", "vfs"),
    ];
    let docker_repo = unique_repo(OPEN, "explain-docker");
    let buildah_repo = unique_repo(OPEN, "explain-buildah");
    let by_docker = project
        .slipway(&["build", "--repo", &docker_repo], &[])
        .ok();
    let by_buildah = project
        .slipway(
            &["build", "--backend", "buildah", "--repo", &buildah_repo],
            &env,
        )
        .ok();
    for image in ["backend", "frontend"] {
        let (_, from_docker) = inputs_of(&format!(
            "{docker_repo}:{}",
            stage_tag(&docker_repo, &by_docker.stdout, image)
        ));
        let (text, from_buildah) = inputs_of(&format!(
            "{buildah_repo}:{}",
            stage_tag(&buildah_repo, &by_buildah.stdout, image)
        ));
        assert_eq!(from_docker, from_buildah, "{image}");
        assert_eq!(from_buildah["image"], image);
        assert!(!text.contains(SECRET_CONTENT), "{text}");
    }
    project.write("frontend/index.html", "new\n");
    project.commit();
    let again = project
        .slipway(
            &["build", "--backend", "buildah", "--repo", &buildah_repo],
            &env,
        )
        .ok();
    let blob = |rev: &str| git(project.path(), &["rev-parse", rev]).trim()[..6].to_owned();
    assert!(
        again.stdout.contains(&format!(
            "⛵ image frontend: building, because:\n  - frontend/index.html changed (blob {} → \
             {})\n",
            blob("HEAD~1:frontend/index.html"),
            blob("HEAD:frontend/index.html")
        )),
        "{}",
        again.stdout
    );
}

/// In a GitLab job `plan` takes the repo from the pipeline (CI_REGISTRY_IMAGE, as `build`
/// does) and prints the plan in a job log section.
#[test]
fn plan_in_gitlab_uses_the_pipeline_repo() {
    let project = project();
    let repo = unique_repo(OPEN, "explain-gitlab");
    let env = [
        ("GITLAB_CI", "true"),
        ("CI_COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567"),
        ("CI_PROJECT_URL", "https://gitlab.example/acme/demo"),
        ("CI_PIPELINE_SOURCE", "push"),
        ("CI_COMMIT_BRANCH", "main"),
        ("CI_REGISTRY", OPEN),
        ("CI_REGISTRY_IMAGE", repo.as_str()),
    ];
    let out = project.slipway(&["plan"], &env).ok();
    assert!(
        out.stdout.starts_with("\u{1b}[0Ksection_start:")
            && out.stdout.contains("slipway-plan\r\u{1b}[0Kslipway plan\n"),
        "{:?}",
        out.stdout
    );
    for image in ["backend", "frontend"] {
        assert!(
            out.stdout.contains(&format!("{image}: build\n  {repo}:")),
            "{}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("section_end:"), "{:?}", out.stdout);
}
