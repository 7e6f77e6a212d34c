//! A plain clone without `../shared` runs the suite with the conformance corpora skipped
//! loudly; CI must have them.

#[path = "support/corpus.rs"]
mod corpus;

#[test]
fn a_present_corpus_is_found() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(root.path().join("buildkit/parser")).unwrap();
    for ci in [false, true] {
        assert_eq!(
            corpus::locate(root.path(), "buildkit/parser", ci),
            Ok(Some(root.path().join("buildkit/parser")))
        );
    }
}

#[test]
fn a_missing_corpus_is_skipped_outside_ci_and_fails_in_ci() {
    let root = tempfile::tempdir().unwrap();
    assert_eq!(corpus::locate(root.path(), "dockerignore", false), Ok(None));
    assert_eq!(
        corpus::locate(root.path(), "dockerignore", true),
        Err(format!(
            "the conformance corpus {}/dockerignore is missing; put the project's shared/ \
             directory beside the checkout or set SLIPWAY_CORPUS_DIR to its corpus/ directory \
             (CI=true requires it)",
            root.path().display()
        ))
    );
}

#[test]
fn the_default_location_is_shared_beside_the_checkout() {
    if std::env::var_os("SLIPWAY_CORPUS_DIR").is_some() {
        return;
    }
    let beside = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let want = beside.join("dockerignore");
    assert_eq!(corpus::dir("dockerignore"), want.exists().then_some(want));
}
