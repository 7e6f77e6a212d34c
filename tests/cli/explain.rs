//! `slipway explain --against-commit`: the reasons computed from two commits, without any
//! registry or engine; and the usage errors of `explain` and `plan` with storage.

use crate::common::{Repo, git};

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
RUN [\"/bin/true\"]

FROM build
RUN echo done
";

fn repo() -> Repo {
    Repo::new(&[
        ("werf.yaml", WERF),
        ("Dockerfile", DOCKERFILE),
        ("base.Dockerfile", "FROM scratch\nCOPY base.txt /\n"),
        ("base.txt", "base\n"),
        ("src/a.txt", "a\n"),
        ("docs/readme.md", "docs\n"),
    ])
}

fn short(repo: &Repo, rev_path: &str) -> String {
    git(repo.path(), &["rev-parse", rev_path]).trim()[..6].to_owned()
}

type Change = fn(&Repo);

#[test]
fn reasons_from_two_commits() {
    let cases: Vec<(&str, Change, Vec<String>)> = vec![
        (
            "a file",
            |r| r.write("src/a.txt", "A\n"),
            vec!["src/a.txt changed (blob {old} → {new})".to_owned()],
        ),
        (
            "a build arg",
            |r| r.write("werf.yaml", &WERF.replace("\"1\"", "\"2\"")),
            vec!["ARG V: \"1\" → \"2\"".to_owned()],
        ),
        (
            "an instruction",
            |r| r.write("Dockerfile", &DOCKERFILE.replace("echo done", "echo Done")),
            vec!["Dockerfile changed: line 8 RUN echo Done".to_owned()],
        ),
        (
            "a dependency",
            |r| r.write("base.txt", "BASE\n"),
            vec!["dependency base rebuilt".to_owned()],
        ),
        (
            "a new file",
            |r| r.write("src/x.txt", "x\n"),
            vec!["new file src/x.txt used by COPY src/ /src/".to_owned()],
        ),
    ];
    for (name, change, want) in cases {
        let repo = repo();
        change(&repo);
        repo.commit(name);
        let out = repo
            .slipway(&["explain", "app", "--against-commit", "HEAD~1"], &[])
            .ok();
        let head = git(repo.path(), &["rev-parse", "HEAD~1"]);
        let want: Vec<String> = want
            .iter()
            .map(|w| {
                w.replace("{old}", &short(&repo, "HEAD~1:src/a.txt"))
                    .replace("{new}", &short(&repo, "HEAD:src/a.txt"))
            })
            .collect();
        let mut lines = out.stdout.lines();
        let first = lines.next().unwrap();
        assert!(
            first.starts_with("image app: digest ")
                && first.ends_with(&format!(" against commit HEAD~1 ({}):", &head[..12])),
            "{name}: {first}"
        );
        let reasons: Vec<String> = lines
            .map(|l| l.trim_start_matches("- ").to_owned())
            .collect();
        assert_eq!(reasons, want, "{name}: {}", out.stdout);
    }
}

#[test]
fn unchanged_and_absent_images() {
    let repo = repo();
    repo.write("docs/readme.md", "more docs\n");
    repo.commit("docs only");
    let out = repo
        .slipway(&["explain", "app", "--against-commit", "HEAD~1"], &[])
        .ok();
    assert!(
        out.stdout.contains(" is the same as at commit HEAD~1 (")
            && out.stdout.ends_with("): nothing to rebuild\n"),
        "{}",
        out.stdout
    );

    repo.write(
        "werf.yaml",
        &format!("{WERF}---\nimage: extra\ndockerfile: base.Dockerfile\n"),
    );
    repo.commit("new image");
    let out = repo
        .slipway(&["explain", "extra", "--against-commit", "HEAD~1"], &[])
        .ok();
    assert!(
        out.stdout
            .ends_with("- image extra is not in werf.yaml at HEAD~1\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn usage_errors() {
    let repo = repo();
    let cases: [(&[&str], i32, &str); 3] = [
        (
            &["explain", "app"],
            2,
            "error: slipway explain compares with the image's published builds, and no repo is \
             known: pass --repo (or set WERF_REPO), or compare with another commit locally with \
             --against-commit REV\n",
        ),
        (
            &["explain", "app", "--against-commit", "nope"],
            2,
            "\"nope\" names no commit; give a commit id, branch, tag or an expression such as \
             HEAD~1",
        ),
        (
            &["plan", "--tag-rule", "type=raw,value=x"],
            2,
            "error: --tag-rule and --tag-flavor derive tags from a CI pipeline (GitHub Actions or \
             GitLab CI), and none was detected",
        ),
    ];
    for (args, code, message) in cases {
        let out = repo.slipway(args, &[]);
        assert_eq!(out.code, code, "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(message), "{args:?}: {}", out.stderr);
    }
}
