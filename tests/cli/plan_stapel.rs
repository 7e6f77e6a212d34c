//! Stapel images in `slipway plan`: the stage list with digests, which inputs move which
//! stages, and the refusals.

use crate::common::{Repo, mask};

const WERF: &str = "project: demo
configVersion: 1
---
artifact: tools
from: base:1
shell:
  install: echo built > /out
---
image: app
from: base:1
git:
- add: /
  to: /app
  excludePaths: [docs]
  stageDependencies:
    install: deps.txt
shell:
  beforeInstall: echo before
  install: [echo install, cat /app/deps.txt]
  setup: echo setup
import:
- artifact: tools
  add: /out
  to: /usr/share/out
  after: install
docker:
  ENV: {MODE: prod}
  CMD: [sh]
";

fn files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("werf.yaml", WERF),
        ("deps.txt", "v1\n"),
        ("main.txt", "main\n"),
        ("docs/readme.md", "docs\n"),
    ]
}

fn stages(repo: &Repo, image: &str) -> Vec<(String, String)> {
    let plan = repo.slipway(&["plan", "--output", "json"], &[]).ok().json();
    let image = plan["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == image)
        .unwrap()
        .clone();
    let stages: Vec<(String, String)> = image["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["digest"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(image["digest"], stages.last().unwrap().1.as_str());
    stages
}

fn digest<'a>(stages: &'a [(String, String)], name: &str) -> &'a str {
    &stages.iter().find(|(n, _)| n == name).unwrap().1
}

#[test]
fn plan_lists_every_stage_with_its_digest() {
    let repo = Repo::new(&files());
    let run = repo.slipway(&["plan"], &[]).ok();
    assert_eq!(
        mask(&run.stdout),
        "┌ Concurrent builds plan (no more than 5 images at the same time)
│ Set #0:
│ - ⛵ image tools
│
│ Set #1:
│ - ⛵ image app
└ Concurrent builds plan (no more than 5 images at the same time)

IMAGE  DIGEST                                                    DOCKERFILE:TARGET  DEPENDS ON
app    <digest>  (stapel)           tools
tools  <digest>  (stapel)           -

Stapel stages of image app:
  from                      <digest>
  beforeInstall             <digest>
  gitArchive                <digest>
  install                   <digest>
  dependenciesAfterInstall  <digest>
  setup                     <digest>
  dockerInstructions        <digest>

Stapel stages of image tools:
  from     <digest>
  install  <digest>
"
    );
}

#[test]
fn stage_digests_follow_their_inputs() {
    let repo = Repo::new(&files());
    let first = stages(&repo, "app");
    let tools = stages(&repo, "tools");

    // A new commit: the stages before gitArchive, and gitArchive itself (which does not depend
    // on the files, only on the mapping), keep their digests; the artifact has no git at all.
    repo.write("main.txt", "changed\n");
    repo.commit("change");
    let second = stages(&repo, "app");
    for name in ["from", "beforeInstall", "gitArchive"] {
        assert_eq!(digest(&first, name), digest(&second, name), "{name}");
    }
    assert_eq!(stages(&repo, "tools"), tools);

    // The install commands move install and what follows, not what comes before.
    let text = WERF.replace("echo install", "echo install2");
    repo.write("werf.yaml", &text);
    repo.commit("install");
    let third = stages(&repo, "app");
    for name in ["from", "beforeInstall", "gitArchive"] {
        assert_eq!(digest(&second, name), digest(&third, name), "{name}");
    }
    assert_ne!(digest(&second, "install"), digest(&third, "install"));

    // The artifact's content moves the import stage of the image. (Stages after gitArchive
    // depend on the commit it holds: planned from scratch, that is HEAD.)
    let text = text.replace("echo built", "echo rebuilt");
    repo.write("werf.yaml", &text);
    repo.commit("artifact");
    let fourth = stages(&repo, "app");
    assert_ne!(stages(&repo, "tools"), tools);
    assert_eq!(digest(&third, "gitArchive"), digest(&fourth, "gitArchive"));
    assert_ne!(
        digest(&third, "dependenciesAfterInstall"),
        digest(&fourth, "dependenciesAfterInstall")
    );
}

#[test]
fn ansible_is_refused_with_its_line() {
    let text = "project: demo\nconfigVersion: 1\n---\nimage: app\nfrom: base:1\nansible:\n  install:\n  - shell: make\n";
    let repo = Repo::new(&[("werf.yaml", text)]);
    let run = repo.slipway(&["plan"], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "werf.yaml:6:1: slipway does not support `ansible` yet (in image \"app\"); remove it, or keep building this project with werf"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn dependencies_stage_follows_the_dependency_and_the_variable_names() {
    let werf = "project: demo
configVersion: 1
---
image: base
from: base:1
shell:
  install: echo one
---
image: app
from: base:1
dependencies:
- image: base
  after: install
  imports:
  - type: ImageName
    targetEnv: BASE_NAME
shell:
  setup: echo setup
docker:
  ENV: {MODE: prod}
";
    let repo = Repo::new(&[("werf.yaml", werf)]);
    let plan = repo.slipway(&["plan", "--output", "json"], &[]).ok().json();
    let app = plan["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "app")
        .unwrap()
        .clone();
    assert_eq!(app["dependsOn"], serde_json::json!(["base"]));
    assert_eq!(plan["sets"], serde_json::json!([["base"], ["app"]]));
    let first = stages(&repo, "app");
    let names: Vec<&str> = first.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "from",
            "dependenciesAfterInstall",
            "setup",
            "dockerInstructions"
        ]
    );

    // The dependency's content moves the dependencies stage and what follows.
    let text = werf.replace("echo one", "echo two");
    repo.write("werf.yaml", &text);
    repo.commit("base");
    let second = stages(&repo, "app");
    assert_eq!(digest(&first, "from"), digest(&second, "from"));
    for name in ["dependenciesAfterInstall", "setup", "dockerInstructions"] {
        assert_ne!(digest(&first, name), digest(&second, name), "{name}");
    }

    // So does another variable name for the same value.
    repo.write("werf.yaml", &text.replace("BASE_NAME", "BASE_IMAGE"));
    repo.commit("env");
    let third = stages(&repo, "app");
    assert_eq!(digest(&second, "from"), digest(&third, "from"));
    assert_ne!(
        digest(&second, "dependenciesAfterInstall"),
        digest(&third, "dependenciesAfterInstall")
    );
}
