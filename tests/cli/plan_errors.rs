//! Every user-facing error of `slipway plan`, verbatim, with exit code 2.

use crate::common::{Repo, git, slipway_in};

const WERF: &str = "project: demo\nconfigVersion: 1\n---\nimage: app\ndockerfile: Dockerfile\n";

fn fails(repo: &Repo, args: &[&str]) -> String {
    let run = repo.slipway(args, &[]);
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert_eq!(run.stdout, "");
    run.stderr
}

fn head(repo: &Repo) -> String {
    git(repo.path(), &["rev-parse", "HEAD"]).trim()[..12].to_owned()
}

#[test]
fn not_a_git_repository() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("werf.yaml"), WERF).unwrap();
    std::fs::write(dir.path().join("Dockerfile"), "FROM scratch\n").unwrap();
    let run = slipway_in(dir.path(), &["plan"], &[]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        format!(
            "error: {} is not inside a git repository; slipway reads the build context from the git commit, so run `git init && git add -A && git commit -m init` in the project (or point --dir at a git checkout)\n",
            std::fs::canonicalize(dir.path()).unwrap().display()
        )
    );
}

#[test]
fn repository_without_commits() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    std::fs::write(dir.path().join("werf.yaml"), WERF).unwrap();
    let run = slipway_in(dir.path(), &["plan"], &[]);
    assert_eq!(run.code, 2);
    let workdir = std::fs::canonicalize(dir.path()).unwrap();
    assert_eq!(
        run.stderr,
        format!(
            "error: the git repository {} has no commit yet; slipway reads the build context from the HEAD commit, so commit the project first (`git add -A && git commit -m init`)\n",
            workdir.display()
        )
    );
}

#[test]
fn unknown_image() {
    let repo = Repo::new(&[("werf.yaml", WERF), ("Dockerfile", "FROM scratch\n")]);
    assert_eq!(
        fails(&repo, &["plan", "api"]),
        "error: image \"api\" is not in werf.yaml; its images are: app\n"
    );
}

#[test]
fn dependency_cycle() {
    let werf = "project: demo\nconfigVersion: 1\n---\nimage: a\ndependencies: [{image: b}]\n---\nimage: b\ndependencies: [{image: a}]\n";
    let repo = Repo::new(&[("werf.yaml", werf), ("Dockerfile", "FROM scratch\n")]);
    assert_eq!(
        fails(&repo, &["plan"]),
        "error: werf.yaml:8:24: images depend on each other in a cycle (a -> b -> a); remove one of these dependencies\n"
    );
}

#[test]
fn cycle_through_a_shared_dockerfile() {
    // b's target stage builds on a's, and werf.yaml makes a depend on b.
    let werf = "project: demo\nconfigVersion: 1\n---\nimage: a\ntarget: x\ndependencies: [{image: b}]\n---\nimage: b\ntarget: y\n";
    let repo = Repo::new(&[
        ("werf.yaml", werf),
        ("Dockerfile", "FROM scratch AS x\nFROM x AS y\n"),
    ]);
    assert_eq!(
        fails(&repo, &["plan"]),
        "error: werf.yaml: images depend on each other in a cycle: a -> b -> a; remove one of these dependencies\n"
    );
}

#[test]
fn uncommitted_dockerfile() {
    let repo = Repo::new(&[("werf.yaml", WERF)]);
    repo.write("Dockerfile", "FROM scratch\n");
    assert_eq!(
        fails(&repo, &["plan"]),
        format!(
            "error: Dockerfile: image app: the Dockerfile is not committed (slipway reads it from commit {}); commit it, or pass --dev to build from the working tree\n",
            head(&repo)
        )
    );
    assert_eq!(repo.slipway(&["plan", "--dev"], &[]).ok().code, 0);
    repo.remove("Dockerfile");
    assert_eq!(
        fails(&repo, &["plan"]),
        "error: Dockerfile: image app: the Dockerfile does not exist; create it or fix `dockerfile`/`context` in werf.yaml\n"
    );
}

#[test]
fn missing_copy_source() {
    let repo = Repo::new(&[
        ("werf.yaml", WERF),
        ("Dockerfile", "FROM scratch\nCOPY app.bin /\n"),
    ]);
    assert_eq!(
        fails(&repo, &["plan"]),
        "error: Dockerfile: line 2: \"app.bin\" is not in the build context of image app (context \".\"); commit it (slipway reads the context from git), check .dockerignore, or pass --dev to build from the working tree\n"
    );
}

#[test]
fn dockerfile_errors_name_the_file_line_and_image() {
    let repo = Repo::new(&[
        ("werf.yaml", WERF),
        ("Dockerfile", "FROM scratch\nCOPPY a /\n"),
    ]);
    assert_eq!(
        fails(&repo, &["plan"]),
        "error: Dockerfile: line 2: unknown instruction COPPY; did you mean COPY? (image app)\n"
    );
    let werf = WERF.replace(
        "dockerfile: Dockerfile",
        "dockerfile: Dockerfile\ntarget: release",
    );
    let repo = Repo::new(&[
        ("werf.yaml", &werf),
        ("Dockerfile", "FROM scratch AS build\n"),
    ]);
    assert_eq!(
        fails(&repo, &["plan"]),
        "error: Dockerfile: target stage \"release\" is not in the Dockerfile; its stages are: build (line 1) (image app)\n"
    );
}

#[test]
fn bad_dockerignore() {
    let repo = Repo::new(&[
        ("werf.yaml", WERF),
        ("Dockerfile", "FROM scratch\n"),
        (".dockerignore", "ok\n!\n"),
    ]);
    let err = fails(&repo, &["plan"]);
    assert!(err.starts_with("error: .dockerignore: "), "{err}");
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let repo = Repo::new(&[("werf.yaml", WERF), ("Dockerfile", "FROM scratch\n")]);
    let run = repo.slipway(&["plan", "--output", "yaml"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("invalid value 'yaml' for '--output <OUTPUT>'"),
        "{}",
        run.stderr
    );
}
