//! Each digest input changes the digest; each non-input leaves it alone.

use crate::common::{Repo, digest_of, git, slipway_in};

const WERF: &str = "project: demo
configVersion: 1
---
image: app
dockerfile: Dockerfile
args:
  V: \"1\"
dependencies:
- image: base
  imports:
  - type: ImageName
    targetBuildArg: BASE_IMAGE
---
image: base
dockerfile: base.Dockerfile
";

const DOCKERFILE: &str = "FROM scratch AS build
ARG V
ARG BASE_IMAGE
COPY src/ /src/
COPY top.txt /top.txt
RUN [\"/bin/true\"]

FROM build
RUN echo done
";

fn base_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("werf.yaml", WERF),
        ("Dockerfile", DOCKERFILE),
        ("base.Dockerfile", "FROM scratch\nCOPY base.txt /\n"),
        ("base.txt", "base\n"),
        ("src/a.txt", "a\n"),
        ("src/b/c.txt", "c\n"),
        ("top.txt", "top\n"),
        ("docs/readme.md", "docs\n"),
        ("extra.txt", "extra\n"),
    ]
}

fn plan(dir: &std::path::Path) -> serde_json::Value {
    slipway_in(dir, &["plan", "--output", "json"], &[])
        .ok()
        .json()
}

type Mutation = fn(&Repo);

fn replace(repo: &Repo, path: &str, from: &str, to: &str) {
    let text = std::fs::read_to_string(repo.path().join(path)).unwrap();
    assert!(text.contains(from), "{path} has no {from:?}");
    repo.write(path, &text.replacen(from, to, 1));
}

#[test]
fn digest_inputs_and_non_inputs() {
    let cases: Vec<(&str, bool, Mutation)> = vec![
        // Inputs.
        ("content of a copied file", true, |r| {
            r.write("src/a.txt", "A\n")
        }),
        ("a file added under a copied dir", true, |r| {
            r.write("src/new.txt", "n\n")
        }),
        ("a copied file removed", true, |r| r.remove("src/b/c.txt")),
        ("mode of a copied file", true, |r| {
            use std::os::unix::fs::PermissionsExt;
            let p = r.path().join("top.txt");
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        }),
        ("a RUN command", true, |r| {
            replace(r, "Dockerfile", "echo done", "echo Done")
        }),
        ("a declared build arg", true, |r| {
            replace(r, "werf.yaml", "V: \"1\"", "V: \"2\"")
        }),
        ("the target stage", true, |r| {
            replace(
                r,
                "werf.yaml",
                "image: app\n",
                "image: app\ntarget: build\n",
            )
        }),
        ("addHost", true, |r| {
            replace(
                r,
                "werf.yaml",
                "image: app\n",
                "image: app\naddHost: [\"h:1.2.3.4\"]\n",
            )
        }),
        ("image cacheVersion", true, |r| {
            replace(
                r,
                "werf.yaml",
                "image: app\n",
                "image: app\ncacheVersion: \"2\"\n",
            )
        }),
        ("build.cacheVersion", true, |r| {
            replace(
                r,
                "werf.yaml",
                "configVersion: 1\n",
                "configVersion: 1\nbuild:\n  cacheVersion: x\n",
            )
        }),
        ("a dependency's digest", true, |r| {
            r.write("base.txt", "base 2\n")
        }),
        ("an import's build arg", true, |r| {
            replace(
                r,
                "werf.yaml",
                "targetBuildArg: BASE_IMAGE",
                "targetBuildArg: OTHER",
            )
        }),
        (".dockerignore dropping a copied file", true, |r| {
            r.write(".dockerignore", "src/a.txt\n")
        }),
        ("a stage the target copies from", true, |r| {
            replace(
                r,
                "Dockerfile",
                "FROM build\n",
                "FROM scratch AS x\nRUN x\nFROM build\nCOPY --from=x /x /x\n",
            )
        }),
        ("a # syntax directive", true, |r| {
            replace(
                r,
                "Dockerfile",
                "FROM scratch AS build",
                "# syntax=docker/dockerfile:1.7\nFROM scratch AS build",
            )
        }),
        // Non-inputs.
        ("a file no instruction uses", false, |r| {
            r.write("docs/readme.md", "changed\n")
        }),
        ("a new unused file", false, |r| {
            r.write("docs/new.md", "new\n")
        }),
        ("the commit id", false, |r| r.write("extra.txt", "again\n")),
        ("an undeclared build arg", false, |r| {
            replace(r, "werf.yaml", "V: \"1\"", "V: \"1\"\n  UNUSED: x")
        }),
        (
            "comments, blank lines, continuations, keyword case",
            false,
            |r| {
                replace(
                    r,
                    "Dockerfile",
                    "RUN echo done",
                    "# a comment\n\nrun   echo \\\n    done",
                )
            },
        ),
        ("an unrelated stage before the others", false, |r| {
            replace(
                r,
                "Dockerfile",
                "FROM scratch AS build",
                "FROM scratch AS unrelated\nRUN make\nFROM scratch AS build",
            )
        }),
        ("a stage renamed", false, |r| {
            let text = DOCKERFILE
                .replace("AS build", "AS compile")
                .replace("FROM build", "FROM compile");
            r.write("Dockerfile", &text);
        }),
        ("the order of werf.yaml documents", false, |r| {
            let (head, rest) = WERF.split_once("---\n").unwrap();
            let (app, base) = rest.split_once("---\n").unwrap();
            r.write("werf.yaml", &format!("{head}---\n{base}---\n{app}"));
        }),
        (".dockerignore of an unused file", false, |r| {
            r.write(".dockerignore", "docs\n")
        }),
    ];
    let baseline_repo = Repo::new(&base_files());
    let baseline = digest_of(&plan(baseline_repo.path()), "app");
    let mut failures = Vec::new();
    for (name, changes, mutate) in cases {
        let repo = Repo::new(&base_files());
        mutate(&repo);
        repo.commit(name);
        let digest = digest_of(&plan(repo.path()), "app");
        if (digest != baseline) != changes {
            failures.push(format!(
                "{name}: expected the digest to {}",
                if changes { "change" } else { "stay" }
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn timestamps_and_checkout_path_do_not_count() {
    let a = Repo::new(&base_files());
    let b = Repo::new(&base_files());
    std::thread::sleep(std::time::Duration::from_millis(1100));
    // Same content, another commit time, another path.
    let c = Repo::new(&base_files());
    let digests: Vec<String> = [&a, &b, &c]
        .iter()
        .map(|r| digest_of(&plan(r.path()), "app"))
        .collect();
    assert_eq!(digests[0], digests[1]);
    assert_eq!(digests[0], digests[2]);
    assert_eq!(digests[0].len(), 56);
    assert!(
        digests[0]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
}

#[test]
fn context_add_files_count_and_are_read_from_the_working_tree() {
    let mut files = base_files();
    let werf = WERF.replace(
        "image: app\n",
        "image: app\ncontextAddFiles: [secret.env]\n",
    );
    files.retain(|(p, _)| *p != "werf.yaml");
    files.push(("werf.yaml", &werf));
    let repo = Repo::new(&files);
    repo.write("secret.env", "A=1\n");
    let first = digest_of(&plan(repo.path()), "app");
    repo.write("secret.env", "A=2\n");
    let second = digest_of(&plan(repo.path()), "app");
    assert_ne!(first, second);
    repo.remove("secret.env");
    let run = repo.slipway(&["plan"], &[]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        format!(
            "error: contextAddFiles entry \"secret.env\" of image app does not exist in the working tree (looked for {}/secret.env); create it before running slipway, or remove it from werf.yaml\n",
            std::fs::canonicalize(repo.path()).unwrap().display()
        )
    );
}

#[test]
fn uncommitted_changes_are_left_out_and_reported() {
    let repo = Repo::new(&base_files());
    let committed = digest_of(&plan(repo.path()), "app");
    repo.write("src/a.txt", "uncommitted\n");
    repo.write("src/untracked.txt", "u\n");
    repo.write("docs/readme.md", "unused\n");
    let run = repo.slipway(&["plan", "--output", "json"], &[]).ok();
    assert_eq!(digest_of(&run.json(), "app"), committed);
    let commit = git(repo.path(), &["rev-parse", "HEAD"]);
    assert_eq!(
        run.stderr,
        format!(
            "warning: image app: uncommitted changes are left out of its build (slipway reads the build context from commit {}): src/a.txt, src/untracked.txt; commit them, or pass --dev to build from the working tree\n",
            &commit[..12]
        )
    );
    // --dev builds from the working tree.
    let dev = repo
        .slipway(&["plan", "--output", "json", "--dev"], &[])
        .ok();
    assert_ne!(digest_of(&dev.json(), "app"), committed);
    assert_eq!(dev.stderr, "");
    // WERF_DEV is honoured too.
    let dev_env = repo
        .slipway(&["plan", "--output", "json"], &[("WERF_DEV", "true")])
        .ok();
    assert_eq!(
        digest_of(&dev_env.json(), "app"),
        digest_of(&dev.json(), "app")
    );
}

#[test]
fn warning_names_ten_files_then_a_count() {
    let repo = Repo::new(&base_files());
    for i in 0..13 {
        repo.write(&format!("src/n{i:02}.txt"), "x\n");
    }
    let run = repo.slipway(&["plan"], &[]).ok();
    assert!(
        run.stderr.contains("src/n00.txt, src/n01.txt, src/n02.txt, src/n03.txt, src/n04.txt, src/n05.txt, src/n06.txt, src/n07.txt, src/n08.txt, src/n09.txt and 3 more; commit them"),
        "{}",
        run.stderr
    );
}

#[test]
fn shallow_clones_and_foreign_owners_work() {
    let repo = Repo::new(&base_files());
    repo.write("extra.txt", "second commit\n");
    repo.commit("second");
    let expected = digest_of(&plan(repo.path()), "app");
    let target = tempfile::tempdir().unwrap();
    let url = format!("file://{}", repo.path().display());
    git(
        target.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let shallow = target.path().join("shallow");
    assert_eq!(
        git(&shallow, &["rev-parse", "--is-shallow-repository"]).trim(),
        "true"
    );
    assert_eq!(digest_of(&plan(&shallow), "app"), expected);
    // A checkout owned by another uid (common in CI containers).
    let status = std::process::Command::new("chown")
        .args(["-R", "12345:12345"])
        .arg(&shallow)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "chown needs root: the tests run as root in CI"
    );
    assert_eq!(digest_of(&plan(&shallow), "app"), expected);
}

#[test]
fn project_in_a_subdirectory_and_werf_dir() {
    let files: Vec<(String, &str)> = base_files()
        .into_iter()
        .map(|(p, c)| (format!("services/demo/{p}"), c))
        .collect();
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), *c)).collect();
    let repo = Repo::new(&refs);
    let flat = Repo::new(&base_files());
    let expected = digest_of(&plan(flat.path()), "app");
    let sub = repo.path().join("services/demo");
    assert_eq!(digest_of(&plan(&sub), "app"), expected);
    let via_env = repo
        .slipway(
            &["plan", "--output", "json"],
            &[("WERF_DIR", "services/demo")],
        )
        .ok();
    assert_eq!(digest_of(&via_env.json(), "app"), expected);
    let via_flag = repo
        .slipway(&["plan", "--output", "json", "--dir", "services/demo"], &[])
        .ok();
    assert_eq!(digest_of(&via_flag.json(), "app"), expected);
}

#[test]
fn plan_never_reads_context_blobs() {
    let repo = Repo::new(&base_files());
    let expected = digest_of(&plan(repo.path()), "app");
    // Delete the loose objects of every copied file: only trees are left to read.
    let tree = git(repo.path(), &["ls-tree", "-r", "HEAD"]);
    let mut deleted = 0;
    for line in tree.lines() {
        let (meta, path) = line.split_once('\t').unwrap();
        if path.starts_with("src/") || path == "top.txt" || path == "base.txt" {
            let id = meta.split_whitespace().nth(2).unwrap();
            let object = repo
                .path()
                .join(".git/objects")
                .join(&id[..2])
                .join(&id[2..]);
            std::fs::remove_file(object).unwrap();
            deleted += 1;
        }
    }
    assert_eq!(deleted, 4);
    assert_eq!(digest_of(&plan(repo.path()), "app"), expected);
}

/// The digests themselves are pinned: a change to the hashing or its inputs that is not meant
/// to invalidate every published tag fails here (bump the format version when it is meant to).
/// The values hold for linux/amd64, the platform CI runs on.
#[test]
fn digest_values_are_pinned() {
    let repo = Repo::new(&base_files());
    let v = plan(repo.path());
    assert_eq!(
        digest_of(&v, "base"),
        "3a65f47f5267716cc4f3b5c5f19395f1a48e62786c8f03f13e70f186"
    );
    assert_eq!(
        digest_of(&v, "app"),
        "7fb983da7397ba5aa12574921e7757b22514e78ad989c990d69e515a"
    );
}
