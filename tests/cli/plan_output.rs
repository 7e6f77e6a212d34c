//! `slipway plan` output on werf's seed example: sets, text and JSON.

use crate::common::{Repo, mask};

/// werf's documentation example as bundled in example/, plus the busybox it adds from the
/// working tree.
fn seed_example() -> Repo {
    let dir = crate::common::example_dir();
    let mut files = Vec::new();
    for rel in [
        "werf.yaml",
        "backend.Dockerfile",
        "frontend.Dockerfile",
        "backend/run.sh",
        "frontend/app/index.html",
        "frontend/app/serve.sh",
        ".dockerignore",
        ".gitignore",
    ] {
        files.push((rel, std::fs::read_to_string(dir.join(rel)).unwrap()));
    }
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (*p, c.as_str())).collect();
    let repo = Repo::new(&refs);
    repo.write("busybox", "not really busybox\n");
    repo
}

#[test]
fn seed_example_text() {
    let run = seed_example().slipway(&["plan"], &[]).ok();
    assert_eq!(run.stderr, "");
    assert_eq!(
        mask(&run.stdout),
        "┌ Concurrent builds plan (no more than 5 images at the same time)
│ Set #0:
│ - ⛵ image backend
│ - ⛵ image frontend
│
│ Set #1:
│ - ⛵ image frontend-assets
└ Concurrent builds plan (no more than 5 images at the same time)

IMAGE            DIGEST                                                    DOCKERFILE:TARGET                DEPENDS ON
backend          <digest>  backend.Dockerfile               -
frontend         <digest>  frontend.Dockerfile:application  -
frontend-assets  <digest>  frontend.Dockerfile:assets       frontend
"
    );
}

#[test]
fn seed_example_json() {
    let repo = seed_example();
    let run = repo
        .slipway(
            &["plan", "--output", "json", "--parallel-tasks-limit", "2"],
            &[],
        )
        .ok();
    let plan = run.json();
    assert_eq!(plan["project"], "demo");
    assert_eq!(plan["parallelTasksLimit"], 2);
    assert_eq!(
        plan["sets"],
        serde_json::json!([["backend", "frontend"], ["frontend-assets"]])
    );
    let images = plan["images"].as_array().unwrap();
    let keys: Vec<Vec<&str>> = images
        .iter()
        .map(|i| i.as_object().unwrap().keys().map(String::as_str).collect())
        .collect();
    for k in &keys {
        let mut sorted = k.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            vec![
                "context",
                "dependsOn",
                "digest",
                "dockerfile",
                "final",
                "name",
                "target"
            ]
        );
    }
    let assets = &images[2];
    assert_eq!(assets["name"], "frontend-assets");
    assert_eq!(assets["dockerfile"], "frontend.Dockerfile");
    assert_eq!(assets["context"], ".");
    assert_eq!(assets["target"], "assets");
    assert_eq!(assets["final"], true);
    assert_eq!(assets["dependsOn"], serde_json::json!(["frontend"]));
    assert_eq!(images[0]["target"], serde_json::Value::Null);
    // The three images differ, and the text digests equal the JSON ones.
    let digests: Vec<&str> = images
        .iter()
        .map(|i| i["digest"].as_str().unwrap())
        .collect();
    assert_ne!(digests[0], digests[1]);
    assert_ne!(digests[1], digests[2]);
    let text = repo.slipway(&["plan"], &[]).ok().stdout;
    for d in digests {
        assert!(text.contains(d));
    }
}

#[test]
fn naming_images_restricts_the_plan_to_them_and_their_dependencies() {
    let repo = seed_example();
    let plan = repo
        .slipway(&["plan", "--output", "json", "frontend-assets"], &[])
        .ok()
        .json();
    assert_eq!(
        plan["sets"],
        serde_json::json!([["frontend"], ["frontend-assets"]])
    );
    let plan = repo
        .slipway(&["plan", "--output", "json", "backend"], &[])
        .ok()
        .json();
    assert_eq!(plan["sets"], serde_json::json!([["backend"]]));
    assert_eq!(plan["images"].as_array().unwrap().len(), 1);
}

#[test]
fn unlimited_parallelism_and_werf_variables() {
    let repo = seed_example();
    let run = repo
        .slipway(&["plan"], &[("WERF_PARALLEL_TASKS_LIMIT", "0")])
        .ok();
    assert!(
        run.stdout
            .starts_with("┌ Concurrent builds plan (no limit on images at the same time)\n")
    );
    std::fs::rename(
        repo.path().join("werf.yaml"),
        repo.path().join("ci.werf.yaml"),
    )
    .unwrap();
    let run = repo
        .slipway(
            &["plan", "--output", "json"],
            &[("WERF_CONFIG", "ci.werf.yaml")],
        )
        .ok();
    assert_eq!(run.json()["project"], "demo");
}

/// The example's digests as of commit 4cdaa60 (before the Docker backend moved to BuildKit):
/// neither the builder nor anything else outside the digest rules may change them, or every
/// published image of every user would be rebuilt. The example's files are pinned by their git
/// blob ids, so a change to example/ fails here first, naming the file.
#[test]
fn seed_example_digests_are_pinned() {
    let dir = crate::common::example_dir();
    for (rel, blob) in [
        ("werf.yaml", "de4edde412dbeefca52fcc3ee78f1e9b8a87df7d"),
        (
            "backend.Dockerfile",
            "bc861269fbea69f5bc9bb8817af4bc209bf7e849",
        ),
        (
            "frontend.Dockerfile",
            "7906fb033ff75716738a6f048190ef5169146543",
        ),
        ("backend/run.sh", "4d67b0a10b15e0d4e926b0dc59b126a3dd6c464c"),
        (
            "frontend/app/index.html",
            "0802a04e5bdeb4176b4207003f2ee26b31694a9f",
        ),
        (
            "frontend/app/serve.sh",
            "5d5279df93241f9b840772b210b0831fa7d38d81",
        ),
        (".dockerignore", "dd449725e188f816bcebfc05678064efcbc29a81"),
        (".gitignore", "e2f444e1daebda034b8c1572d99aae512ac846a7"),
    ] {
        let path = dir.join(rel);
        let got = crate::common::git(&dir, &["hash-object", path.to_str().unwrap()]);
        assert_eq!(
            got.trim(),
            blob,
            "example/{rel} changed since the pinned commit"
        );
    }
    let plan = seed_example()
        .slipway(&["plan", "--output", "json"], &[])
        .ok()
        .json();
    let digests: Vec<(String, String)> = ["backend", "frontend", "frontend-assets"]
        .iter()
        .map(|i| (i.to_string(), crate::common::digest_of(&plan, i)))
        .collect();
    assert_eq!(
        digests,
        [
            (
                "backend".to_owned(),
                "e0087bc2fc9264d89b9e455c4ceb858aafbf4cf2ec78e4b51701694d".to_owned()
            ),
            (
                "frontend".to_owned(),
                "add87620cf40cae1b521b5e244ccb78516a938d835a26ec3c86178fb".to_owned()
            ),
            (
                "frontend-assets".to_owned(),
                "9fdd05b783e83f7742c640e70502cc28bccb872dc3bc1cf9195e6fb4".to_owned()
            ),
        ]
    );
}
