//! slipway's own image (`Dockerfile` at the repository root): it cannot be built here (its base
//! images come from Docker Hub), so its contract is checked on the parsed file: a build stage,
//! a runtime with buildah, buildah mode on by default, a non-root user with subordinate IDs.

use slipway::dockerfile::parser::{Node, parse};

fn final_stage(nodes: &[Node]) -> &[Node] {
    let last_from = nodes.iter().rposition(|n| n.keyword == "from").unwrap();
    &nodes[last_from..]
}

#[test]
fn the_image_runs_slipway_with_buildah_by_default() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile")).unwrap();
    let dockerfile = parse(&text).expect("the Dockerfile parses");
    let froms = dockerfile
        .nodes
        .iter()
        .filter(|n| n.keyword == "from")
        .count();
    assert_eq!(froms, 2, "a build stage and a runtime stage");
    let runtime = final_stage(&dockerfile.nodes);
    let env: Vec<&[String]> = runtime
        .iter()
        .filter(|n| n.keyword == "env")
        .map(|n| n.args.as_slice())
        .collect();
    let has_env = |key: &str, value: &str| {
        env.iter()
            .any(|args| args.chunks(3).any(|kv| kv[0] == key && kv[1] == value))
    };
    assert!(has_env("WERF_BUILDAH_MODE", "auto"), "{env:?}");
    assert!(has_env("WERF_CONTAINERIZED", "yes"), "{env:?}");
    let runs: String = runtime
        .iter()
        .filter(|n| n.keyword == "run")
        .map(|n| n.original.clone())
        .collect();
    for needed in [
        "buildah",
        "fuse-overlayfs",
        "uidmap",
        "/etc/subuid",
        "/etc/subgid",
    ] {
        assert!(
            runs.contains(needed),
            "the runtime installs or sets up {needed}"
        );
    }
    assert!(
        runtime.iter().any(|n| n.keyword == "copy"
            && n.flags
                .iter()
                .any(|f| f.trim_start_matches("--") == "from=build")
            && n.args.iter().any(|a| a == "/usr/local/bin/slipway")),
        "slipway is copied from the build stage"
    );
    let user = runtime.iter().rfind(|n| n.keyword == "user").unwrap();
    assert_eq!(user.args, ["build"], "the image runs as a non-root user");
    assert!(
        runtime.iter().any(|n| n.keyword == "volume"),
        "storage is a volume"
    );
}
