//! Where the shared conformance corpora are: `../shared/corpus` beside the checkout, or
//! `SLIPWAY_CORPUS_DIR`. A plain clone has neither: its corpus tests are skipped with a notice
//! on stderr, except under `CI=true`, where a missing corpus fails the run.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The corpus directory `sub` (e.g. `buildkit/parser`), or None when the corpus is absent and
/// this is not CI.
pub fn dir(sub: &str) -> Option<PathBuf> {
    let root = std::env::var_os("SLIPWAY_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus")));
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    match locate(&root, sub, ci) {
        Ok(found) => found,
        Err(missing) => panic!("{missing}"),
    }
}

/// Ok(None) is a skip, already announced; Err is a missing corpus that must fail the test.
pub fn locate(root: &Path, sub: &str, ci: bool) -> Result<Option<PathBuf>, String> {
    let path = root.join(sub);
    if path.exists() {
        return Ok(Some(path));
    }
    let missing = format!(
        "the conformance corpus {} is missing; put the project's shared/ directory beside the \
         checkout or set SLIPWAY_CORPUS_DIR to its corpus/ directory",
        path.display()
    );
    if ci {
        return Err(format!("{missing} (CI=true requires it)"));
    }
    // Straight to the stream, not through eprintln!, which the test harness captures and hides
    // for a test that passes.
    let _ = writeln!(std::io::stderr(), "NOTICE: SKIPPED: {missing}");
    Ok(None)
}
