//! Where `slipway build` says what it does: plain lines, warnings, and each image's build
//! output. CI integrations implement [`BuildLog`] to group, fold or annotate the same events.

use std::sync::Mutex;

use crate::names::ImageName;

/// Receives every event of a run meant for people. Implementations must be cheap and
/// thread-safe: images of a set build concurrently.
pub trait BuildLog: Send + Sync {
    /// A line for people: the plan block, results, the summary.
    fn info(&self, line: &str);
    /// Something to know or fix (uncommitted files left out, a cache repo failing).
    fn warning(&self, message: &str);
    /// One line of `image`'s build output, without the trailing newline.
    fn build_line(&self, image: &ImageName, line: &str);
    /// `image`'s build output is complete; `ok` tells whether the build succeeded.
    fn build_finished(&self, image: &ImageName, ok: bool);
}

/// Standard output, build output live and prefixed with the image name so that parallel
/// builds stay readable; warnings on standard error.
#[derive(Debug, Default)]
pub struct PlainLog {
    // One writer at a time keeps lines whole when builds print concurrently.
    lock: Mutex<()>,
}

impl BuildLog for PlainLog {
    fn info(&self, line: &str) {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        println!("{line}");
    }

    fn warning(&self, message: &str) {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        eprintln!("warning: {message}");
    }

    fn build_line(&self, image: &ImageName, line: &str) {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        println!("[{image}] {line}");
    }

    fn build_finished(&self, _image: &ImageName, _ok: bool) {}
}
