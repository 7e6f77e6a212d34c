//! Stapel images end to end on the Docker engine and on buildah: git + shell stages, a later
//! commit rebuilt as a `gitLatestPatch` stage (deletions included), `stageDependencies`
//! rerunning `install`, an artifact import with include/exclude globs, `dependencies` as
//! environment variables, a `build_dir` mount kept between builds, `docker:` instructions in the
//! image config, the same stage digests on both backends, and the error for a base image without
//! a shell.

use std::process::Command;

use crate::common::{OPEN, Project, Run, json_file, unique_repo};

/// A busybox base with every applet linked, built by slipway itself as a Dockerfile image.
const BASE: &str = "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nCMD [\"sh\"]\n";

const WERF: &str = "project: stapel
configVersion: 1
---
image: base
dockerfile: base.Dockerfile
final: false
---
artifact: tools
fromImage: base
shell:
  install:
  - mkdir -p /out/sub /out/test /out/deep && echo tool > /out/tool.txt
  - touch /out/b.map /out/sub/c.txt /out/sub/d.map /out/test/x /out/deep/e.txt
  - ln -s tool.txt /out/link.txt
---
image: app
fromImage: base
git:
- add: /src
  to: /app
  excludePaths: [skip]
- add: /deps.txt
  to: /deps.txt
  stageDependencies:
    install: '*'
shell:
  install:
  - cat /deps.txt > /installed-with
  - date +%s%N >> /cache/runs
  - wc -l < /cache/runs > /install-count
import:
- artifact: tools
  add: /out
  to: /tools
  includePaths: ['*.txt', sub, test]
  excludePaths: ['**/*.map', test]
  owner: '1000'
  after: install
dependencies:
- image: base
  after: install
  imports:
  - type: ImageName
    targetEnv: DEP_NAME
  - type: ImageTag
    targetEnv: DEP_TAG
mount:
- from: build_dir
  to: /cache
- from: tmp_dir
  to: /scratch
docker:
  ENV: {MODE: prod}
  LABEL: {team: stapel}
  EXPOSE: '8080'
  WORKDIR: /app
  USER: '0'
";

fn project() -> Project {
    Project::with_files(&[
        ("werf.yaml", WERF),
        ("base.Dockerfile", BASE),
        ("src/a.txt", "one\n"),
        ("src/gone.txt", "gone\n"),
        ("src/skip/x.txt", "skipped\n"),
        ("deps.txt", "v1\n"),
    ])
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "docker {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `(stage, "built" | "reused", digest)` of every stage of `image`, in order.
fn stages(run: &Run, image: &str) -> Vec<(String, String, String)> {
    let prefix = format!("⛵ image {image}: stage ");
    run.stdout
        .lines()
        .filter_map(|l| l.strip_prefix(&prefix))
        .map(|rest| {
            let mut words = rest.split_whitespace();
            let stage = words.next().unwrap().to_owned();
            let result = words.next().unwrap().to_owned();
            let reference = rest.rsplit(' ').next().unwrap();
            let digest = reference.rsplit_once(':').unwrap().1;
            let digest = digest.split_once('-').unwrap().0.to_owned();
            (stage, result, digest)
        })
        .collect()
}

fn summary(stages: &[(String, String, String)]) -> Vec<String> {
    stages.iter().map(|(s, r, _)| format!("{s} {r}")).collect()
}

fn reference(run: &Run, image: &str) -> String {
    let needle = format!("│ {image} ");
    let row = run
        .stdout
        .lines()
        .find(|l| l.starts_with(&needle))
        .unwrap_or_else(|| panic!("no summary row for {image}: {}", run.stdout));
    row.rsplit(' ').next().unwrap().to_owned()
}

/// `plan --repo`'s stages of `app` (`"<stage> <status>"`, each stage's existing tag checked
/// to be in the repo) and the image's `"<status>[ <existing tag>]"`.
fn plan_stages(project: &Project, repo: &str) -> (Vec<String>, String) {
    let run = project
        .slipway(&["plan", "--repo", repo, "--output", "json"], &[])
        .ok();
    let plan: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let app = plan["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "app")
        .unwrap();
    let text = project.slipway(&["plan", "--repo", repo], &[]).ok().stdout;
    let list = app["stages"].as_array().unwrap();
    let width = list
        .iter()
        .map(|s| s["name"].as_str().unwrap().len())
        .max()
        .unwrap();
    let stages = list
        .iter()
        .map(|s| {
            let name = s["name"].as_str().unwrap();
            let digest = s["digest"].as_str().unwrap();
            let status = s["status"].as_str().unwrap();
            let line = match s["existingTag"].as_str() {
                Some(tag) => {
                    assert!(tag.starts_with(&format!("{repo}:{digest}-")), "{tag}");
                    format!("  {name:width$}  {digest}  {status} {tag}\n")
                }
                None => format!("  {name:width$}  {digest}  {status}\n"),
            };
            assert!(text.contains(&line), "{line:?} in\n{text}");
            format!("{name} {status}")
        })
        .collect();
    let status = match app["existingTag"].as_str() {
        Some(tag) => format!("{} {tag}", app["status"].as_str().unwrap()),
        None => app["status"].as_str().unwrap().to_owned(),
    };
    (stages, status)
}

/// Runs `script` in `image` with the engine (pulling it from the registry if needed).
fn in_image(image: &str, script: &str) -> String {
    docker(&[
        "run",
        "--rm",
        "--network",
        "none",
        image,
        "sh",
        "-c",
        script,
    ])
}

/// The whole story on one backend; returns the first build's stage digests of `app`.
fn story(backend: &str, env: &[(&str, &str)]) -> Vec<String> {
    let project = project();
    let repo = unique_repo(OPEN, &format!("stapel-{backend}"));
    let report = project.path().join("report.json");
    let args = [
        "build",
        "--backend",
        backend,
        "--repo",
        &repo,
        "--report-path",
        report.to_str().unwrap(),
    ];

    let first = project.slipway(&args, env).ok();
    let built = stages(&first, "app");
    // The artifact built the same `from` stage (same base) first.
    assert_eq!(
        summary(&built),
        [
            "from reused",
            "gitArchive built",
            "install built",
            "dependenciesAfterInstall built",
            "dockerInstructions built"
        ],
        "{}",
        first.stdout
    );
    let image = reference(&first, "app");
    let v = json_file(&report);
    assert_eq!(
        format!(
            "{}:{}",
            v["Images"]["app"]["DockerRepo"].as_str().unwrap(),
            v["Images"]["app"]["DockerTag"].as_str().unwrap()
        ),
        image
    );
    assert_eq!(v["Images"]["app"]["Rebuilt"], true);
    // The import's globs: `*.txt` only at the top, `sub` with everything under it, excludes
    // winning; the symlink kept, the owner set, and nothing left of the bind mount.
    assert_eq!(
        in_image(
            &image,
            "find /tools | sort; readlink /tools/link.txt; stat -c %u /tools/sub/c.txt; ls -a / | grep -c slipway || true"
        ),
        "/tools\n/tools/link.txt\n/tools/sub\n/tools/sub/c.txt\n/tools/tool.txt\ntool.txt\n1000\n0\n"
    );
    assert_eq!(
        in_image(
            &image,
            "ls /app; cat /app/a.txt /installed-with /install-count /tools/tool.txt; echo $MODE; pwd"
        ),
        "a.txt\ngone.txt\none\nv1\n1\ntool\nprod\n/app\n"
    );
    // `dependencies`: the base image's published stage, as environment variables.
    let base = reference(&first, "base");
    let tag = base.rsplit_once(':').unwrap().1;
    assert_eq!(
        in_image(&image, "echo $DEP_NAME $DEP_TAG"),
        format!("{base} {tag}\n")
    );
    let config = docker(&[
        "inspect",
        &image,
        "--format",
        "{{json .Config.Cmd}} {{json .Config.Entrypoint}} {{index .Config.Labels \"team\"}} {{json .Config.ExposedPorts}} {{.Config.User}}",
    ]);
    // No ENTRYPOINT: BuildKit writes it as null, buildah as [].
    let config = config.trim().replace(" null ", " [] ");
    assert_eq!(config, "[\"sh\"] [] stapel {\"8080/tcp\":{}} 0");

    // Nothing changed: every stage is reused.
    let again = project.slipway(&args, env).ok();
    assert!(stages(&again, "app").iter().all(|(_, r, _)| r == "reused"));
    assert_eq!(again.result_of("app"), "reused");

    // One file changed, one deleted, one added: only a patch stage (and the docker
    // instructions on top of it) is built; install is not rerun.
    project.write("src/a.txt", "two\n");
    std::fs::remove_file(project.path().join("src/gone.txt")).unwrap();
    project.write("src/new.txt", "new\n");
    project.commit();
    // plan says so first, stage by stage.
    let planned = plan_stages(&project, &repo);
    assert_eq!(
        planned.0,
        [
            "from reuse",
            "gitArchive reuse",
            "install reuse",
            "dependenciesAfterInstall reuse",
            "gitLatestPatch build",
            "dockerInstructions build"
        ]
    );
    assert_eq!(planned.1, "build");
    let patched = project.slipway(&args, env).ok();
    let planned = plan_stages(&project, &repo);
    assert!(
        planned.0.iter().all(|s| s.ends_with(" reuse")),
        "{planned:?}"
    );
    assert_eq!(planned.1, format!("reuse {}", reference(&patched, "app")));
    assert_eq!(
        summary(&stages(&patched, "app")),
        [
            "from reused",
            "gitArchive reused",
            "install reused",
            "dependenciesAfterInstall reused",
            "gitLatestPatch built",
            "dockerInstructions built"
        ],
        "{}",
        patched.stdout
    );
    assert_eq!(
        in_image(
            &reference(&patched, "app"),
            "ls /app; cat /app/a.txt /install-count"
        ),
        "a.txt\nnew.txt\ntwo\n1\n"
    );

    // A stageDependencies file changed: install reruns on the files of this commit, and the
    // build_dir mount still holds the first run's line.
    project.write("deps.txt", "v2\n");
    project.commit();
    let deps = project.slipway(&args, env).ok();
    assert_eq!(
        summary(&stages(&deps, "app")),
        [
            "from reused",
            "gitArchive reused",
            "install built",
            "dependenciesAfterInstall built",
            "dockerInstructions built"
        ],
        "{}",
        deps.stdout
    );
    assert_eq!(
        in_image(
            &reference(&deps, "app"),
            "ls /app; cat /installed-with /install-count"
        ),
        "a.txt\nnew.txt\nv2\n2\n"
    );
    built
        .into_iter()
        .map(|(s, _, d)| format!("{s} {d}"))
        .collect()
}

#[test]
fn stapel_image_on_the_docker_engine() {
    story("docker", &[]);
}

#[test]
fn stapel_image_with_buildah_has_the_docker_stage_digests() {
    let root = tempfile::tempdir().unwrap();
    let env = [
        ("SLIPWAY_BUILDAH_ROOT", root.path().to_str().unwrap()),
        ("WERF_BUILDAH_STORAGE_DRIVER", "vfs"),
    ];
    let buildah = story("buildah", &env);
    // The same werf.yaml at the same commit of a fresh project: the Docker engine computes
    // the same stage digests (commits differ between the two projects, so compare a project's
    // own first build on both backends).
    let project = project();
    let docker_repo = unique_repo(OPEN, "stapel-same-docker");
    let buildah_repo = unique_repo(OPEN, "stapel-same-buildah");
    let on_docker = project
        .slipway(&["build", "--repo", &docker_repo], &[])
        .ok();
    let on_buildah = project
        .slipway(
            &["build", "--backend", "buildah", "--repo", &buildah_repo],
            &env,
        )
        .ok();
    let digests = |run: &Run| -> Vec<String> {
        stages(run, "app")
            .into_iter()
            .map(|(s, _, d)| format!("{s} {d}"))
            .collect()
    };
    assert_eq!(digests(&on_docker), digests(&on_buildah));
    assert_eq!(buildah.len(), digests(&on_docker).len());
}

#[test]
fn a_base_image_without_a_shell_is_named() {
    let werf = "project: noshell\nconfigVersion: 1\n---\nimage: bare\ndockerfile: bare.Dockerfile\nfinal: false\n---\nimage: app\nfromImage: bare\nshell:\n  install: echo hi\n";
    let project = Project::with_files(&[
        ("werf.yaml", werf),
        ("bare.Dockerfile", "FROM scratch\nCOPY werf.yaml /\n"),
    ]);
    let repo = unique_repo(OPEN, "stapel-noshell");
    let run = project.slipway(&["build", "--repo", &repo], &[]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("image app failed to build at stage install: ")
            && run.stderr.contains(
                " has no /bin/sh: slipway runs Stapel shell stages with the image's own POSIX shell (it does not mount werf's stapel toolchain); use a base image that has /bin/sh, or install one in it"
            ),
        "{}",
        run.stderr
    );
}
