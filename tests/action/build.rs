//! `action/run.sh` with the real binary in a simulated GitHub Actions runner: event JSON,
//! GITHUB_* variables, output and summary files, the real engine and the local registry.

use std::path::Path;
use std::process::Command;

use crate::common::{OPEN, Project, tags, unique_repo};

const RUN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/action/run.sh");
const TOKEN: &str = "ghs_slipwayTestToken0123456789abcdef";

struct Step {
    code: i32,
    stdout: String,
    stderr: String,
    outputs: String,
    summary: String,
}

fn run_step(project: &Project, inputs: &[(&str, &str)]) -> Step {
    let runner = tempfile::tempdir().unwrap();
    let sha = crate::common::git(project.path(), &["rev-parse", "HEAD"])
        .trim()
        .to_owned();
    let event = runner.path().join("event.json");
    std::fs::write(
        &event,
        format!(
            r#"{{"ref":"refs/heads/main","after":"{sha}","repository":{{"full_name":"Acme/Demo","default_branch":"main"}}}}"#
        ),
    )
    .unwrap();
    let output = runner.path().join("output");
    let summary = runner.path().join("summary");
    std::fs::write(&output, "").unwrap();
    std::fs::write(&summary, "").unwrap();
    let out = Command::new("bash")
        .arg(RUN)
        .current_dir(project.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap())
        .env("HOME", project.path())
        .env("DOCKER_CONFIG", project.docker_config.path())
        .envs([
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_NAME", "push"),
            ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
            ("GITHUB_REF", "refs/heads/main"),
            ("GITHUB_REF_NAME", "main"),
            ("GITHUB_REF_TYPE", "branch"),
            ("GITHUB_SHA", sha.as_str()),
            ("GITHUB_REPOSITORY", "Acme/Demo"),
            ("GITHUB_REPOSITORY_OWNER", "Acme"),
            ("GITHUB_RUN_ID", "4242"),
            ("GITHUB_RUN_NUMBER", "7"),
            ("GITHUB_RUN_ATTEMPT", "1"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_API_URL", "https://api.github.com"),
            ("GITHUB_ACTOR", "octocat"),
            ("GITHUB_TOKEN", TOKEN),
            ("GITHUB_WORKSPACE", project.path().to_str().unwrap()),
            ("GITHUB_OUTPUT", output.to_str().unwrap()),
            ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
            ("RUNNER_TEMP", runner.path().to_str().unwrap()),
            ("RUNNER_OS", "Linux"),
            ("RUNNER_ARCH", "X64"),
            ("SLIPWAY_BIN", env!("CARGO_BIN_EXE_slipway")),
            ("INPUT_IMAGES", ""),
            ("INPUT_REPO", ""),
            ("INPUT_TAGS", ""),
            ("INPUT_REPORT_PATH", ""),
            ("INPUT_REPORT_FORMAT", "json"),
            ("INPUT_EXTRA_ARGS", ""),
        ])
        .envs(inputs.iter().copied())
        .output()
        .unwrap();
    Step {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        outputs: std::fs::read_to_string(&output).unwrap(),
        summary: std::fs::read_to_string(&summary).unwrap(),
    }
}

/// The value of a `name<<DELIM` entry of GITHUB_OUTPUT.
fn output(outputs: &str, name: &str) -> String {
    let mut lines = outputs.lines();
    while let Some(line) = lines.next() {
        if let Some(delim) = line.strip_prefix(&format!("{name}<<")) {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delim).collect();
            return value.join("\n");
        }
    }
    panic!("no output {name} in:\n{outputs}");
}

/// A one-request stand-in for the GitHub API on loopback: records the request (head and body)
/// and answers 201 with a check run id.
fn check_run_server() -> (String, std::thread::JoinHandle<(String, serde_json::Value)>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut head = String::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let reply = r#"{"id":77,"html_url":"https://github.example/Acme/Demo/runs/77"}"#;
        write!(
            &stream,
            "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
            reply.len()
        )
        .unwrap();
        (head, serde_json::from_slice(&body).unwrap())
    });
    (url, handle)
}

fn assert_no_secret(step: &Step, what: &str) {
    // The one place the token may stand is GitHub's own mask command, which hides it.
    let shown: Vec<&str> = step
        .stdout
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect();
    for (name, text) in [
        ("stdout", shown.join("\n")),
        ("stderr", step.stderr.clone()),
        ("GITHUB_OUTPUT", step.outputs.clone()),
        ("GITHUB_STEP_SUMMARY", step.summary.clone()),
    ] {
        assert!(!text.contains(TOKEN), "{what}: the token appears in {name}");
    }
}

#[test]
fn the_build_step_writes_outputs_summary_and_groups() {
    let project = Project::example();
    let repo = unique_repo(OPEN, "gha");
    let step = run_step(
        &project,
        &[
            ("INPUT_REPO", repo.as_str()),
            (
                "INPUT_TAGS",
                "type=ref,event=branch,prefix=%image%-\n  type=sha,prefix=%image%-sha-\n\
                 type=pep440,pattern={{version}}\n",
            ),
        ],
    );
    assert_eq!(step.code, 0, "{}\n{}", step.stdout, step.stderr);
    assert_eq!(
        step.stdout.lines().next().unwrap(),
        format!("::add-mask::{TOKEN}"),
        "the token is masked before anything else"
    );
    assert!(
        step.stdout.contains(
            "\nslipway: from GitHub Actions: registry login for ghcr.io as octocat; labels with the commit, project and run URLs; tags %image%-main, %image%-sha-"
        ),
        "{}",
        step.stdout
    );
    // A rule metadata-action knows and slipway does not is skipped with a warning annotation.
    let unsupported = step
        .stdout
        .lines()
        .find(|l| l.starts_with("::warning") && l.contains("pep440"))
        .unwrap_or_else(|| panic!("no warning for the pep440 rule in:\n{}", step.stdout));
    assert!(
        unsupported.ends_with(
            "tag rule \"type=pep440,pattern={{version}}\": type=pep440 is not supported yet; the \
             rule is skipped (use type=semver or type=match for version tags)"
        ),
        "{unsupported}"
    );
    for image in ["backend", "frontend", "frontend-assets"] {
        let group = format!("::group::⛵ image {image}\n::stop-commands::");
        assert!(step.stdout.contains(&group), "{}", step.stdout);
    }
    assert_eq!(
        step.stdout.matches("::endgroup::").count(),
        3,
        "one group per image"
    );

    let images: serde_json::Value = serde_json::from_str(&output(&step.outputs, "images")).unwrap();
    let backend = images["backend"].as_str().unwrap();
    assert!(backend.starts_with(&format!("{repo}:")), "{backend}");
    assert_eq!(output(&step.outputs, "image-backend"), backend);
    let report: serde_json::Value = serde_json::from_str(&output(&step.outputs, "report")).unwrap();
    assert_eq!(report["Images"]["backend"]["DockerImageName"], backend);

    assert!(
        step.summary.starts_with("## slipway build: 3 images\n"),
        "{}",
        step.summary
    );
    assert!(
        step.summary.contains("Concurrent builds plan"),
        "{}",
        step.summary
    );
    let tag = backend.rsplit_once(':').unwrap().1;
    assert!(step.summary.contains(tag), "{}", step.summary);

    let sha = crate::common::git(project.path(), &["rev-parse", "--short=7", "HEAD"]);
    let published = tags(&repo);
    for expected in ["backend-main", "frontend-main", "frontend-assets-main"] {
        assert!(published.contains(&expected.to_owned()), "{published:?}");
    }
    assert!(
        published.contains(&format!("backend-sha-{}", sha.trim())),
        "{published:?}"
    );
    assert_no_secret(&step, "a successful run");

    // The images carry the pipeline's labels.
    let labels = Command::new("docker")
        .args(["inspect", "--format", "{{json .Config.Labels}}", backend])
        .output()
        .unwrap();
    let labels: serde_json::Value = serde_json::from_slice(&labels.stdout).unwrap();
    assert_eq!(
        labels["project.werf.io/git"],
        "https://github.com/Acme/Demo"
    );
    assert_eq!(
        labels["github.ci.werf.io/workflow-run-url"],
        "https://github.com/Acme/Demo/actions/runs/4242"
    );
}

#[test]
fn a_failing_instruction_is_an_error_annotation_at_its_line() {
    let project = Project::example();
    let df = std::fs::read_to_string(project.path().join("backend.Dockerfile")).unwrap();
    project.write(
        "backend.Dockerfile",
        &df.replace(
            "COPY backend/ /app/",
            "COPY backend/ /app/\nRUN echo '::warning::injected' && exit 3",
        ),
    );
    project.commit();
    // An uncommitted change that backend would use is left out, with a warning.
    project.write("backend/run.sh", "#!/bin/sh\necho uncommitted\n");
    let repo = unique_repo(OPEN, "gha-fail");
    let (api, server) = check_run_server();
    let step = run_step(
        &project,
        &[
            ("INPUT_REPO", repo.as_str()),
            ("INPUT_IMAGES", "backend"),
            ("INPUT_EXTRA_ARGS", "--github-check-run"),
            ("GITHUB_API_URL", api.as_str()),
        ],
    );
    assert_eq!(step.code, 1, "{}\n{}", step.stdout, step.stderr);
    let error = step
        .stdout
        .lines()
        .find(|l| l.starts_with("::error "))
        .unwrap_or_else(|| panic!("no error annotation in:\n{}", step.stdout));
    assert!(
        error.starts_with(
            "::error file=backend.Dockerfile,line=5,title=image backend failed to build::"
        ),
        "{error}"
    );
    let warning = step
        .stdout
        .lines()
        .find(|l| l.starts_with("::warning "))
        .unwrap_or_else(|| panic!("no warning annotation in:\n{}", step.stdout));
    assert!(warning.contains("backend/run.sh"), "{warning}");
    // The build's own output ran behind stop-commands: its `::warning::` is inert text.
    let token_line = step
        .stdout
        .lines()
        .find(|l| l.starts_with("::stop-commands::"))
        .unwrap();
    let token = token_line.trim_start_matches("::stop-commands::");
    let fenced = step.stdout.split(token_line).nth(1).unwrap();
    let (inside, _) = fenced.split_once(&format!("::{token}::")).unwrap();
    assert!(inside.contains("::warning::injected"), "{inside}");
    assert!(
        step.summary.starts_with("## slipway build failed\n"),
        "{}",
        step.summary
    );
    assert_eq!(step.outputs, "", "no outputs for a failed build");
    assert_no_secret(&step, "a failed run");

    // The opt-in check run carries the failure at its line.
    let (head, body) = server.join().unwrap();
    assert!(
        head.starts_with("POST /repos/Acme/Demo/check-runs HTTP/1.1\r\n"),
        "{head}"
    );
    assert!(
        head.to_ascii_lowercase().contains(&format!(
            "authorization: bearer {}",
            TOKEN.to_ascii_lowercase()
        )),
        "{head}"
    );
    assert_eq!(body["conclusion"], "failure");
    assert_eq!(body["status"], "completed");
    let annotation = &body["output"]["annotations"][0];
    assert_eq!(annotation["path"], "backend.Dockerfile");
    assert_eq!(annotation["start_line"], 5);
    assert_eq!(annotation["annotation_level"], "failure");
    assert!(
        step.stdout
            .contains("slipway: check run 77 created: https://github.example/Acme/Demo/runs/77"),
        "{}",
        step.stdout
    );
    assert!(!Path::new(&repo).exists());
}

/// A flavor without rules tags like metadata-action with an empty `tags` input: its default
/// rules (here a branch push: the branch name), with the flavor applied.
#[test]
fn a_flavor_alone_uses_metadata_action_default_rules() {
    let project = Project::example();
    let repo = unique_repo(OPEN, "gha-defaults");
    let step = run_step(
        &project,
        &[
            ("INPUT_REPO", repo.as_str()),
            ("INPUT_EXTRA_ARGS", "--tag-flavor prefix=%image%-"),
        ],
    );
    assert_eq!(step.code, 0, "{}\n{}", step.stdout, step.stderr);
    assert!(
        step.stdout.contains(
            "no tag rule given: using docker/metadata-action's defaults (type=schedule; \
             type=ref,event=branch; type=ref,event=tag; type=ref,event=pr)"
        ),
        "{}",
        step.stdout
    );
    let published = tags(&repo);
    for expected in ["backend-main", "frontend-main", "frontend-assets-main"] {
        assert!(published.contains(&expected.to_owned()), "{published:?}");
    }
}
