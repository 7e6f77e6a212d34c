//! Without --repo, stages live in the engine's local storage as `<project>:<digest>-<ms>`.

use crate::common::Project;

#[test]
fn local_storage_reuses_on_the_second_run() {
    let project = Project::example();
    // A project name of its own keeps other tests' local images out of the way.
    let unique = format!("local{}", std::process::id());
    let werf = std::fs::read_to_string(project.path().join("werf.yaml"))
        .unwrap()
        .replace("project: demo", &format!("project: {unique}"));
    project.write("werf.yaml", &werf);
    project.commit();
    let first = project.slipway(&["build", "backend"], &[]).ok();
    assert_eq!(first.result_of("backend"), "built");
    assert!(first.stdout.contains(&format!("{unique}:")));
    let second = project.slipway(&["build", "backend"], &[]).ok();
    assert_eq!(second.result_of("backend"), "reused");
    let custom = project.slipway(&["build", "--add-custom-tag", "x"], &[]);
    assert_eq!(custom.code, 2);
    assert_eq!(
        custom.stderr,
        "error: custom tags need a repo: pass --repo (or WERF_REPO) so slipway can publish the images the tags point to\n"
    );
}
