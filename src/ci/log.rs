//! [`BuildLog`]s for CI job logs: GitHub gets a `::group::` per image with the build output
//! behind `::stop-commands::`, GitLab a collapsible section per image. Build output is held
//! per image and written when its build ends, so parallel builds never interleave in a group.

use std::collections::HashMap;
use std::io::Write;
use std::sync::Mutex;

use super::RandomToken;
use super::github_output::{self, Annotation, Severity, StopCommands};
use super::gitlab_output;
use crate::build::BuildLog;
use crate::names::ImageName;

/// Which CI log dialect to speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Github,
    Gitlab,
}

/// A CI job log; collects warnings so they can become annotations at the end of the run.
#[derive(Debug)]
pub struct CiLog {
    dialect: Dialect,
    state: Mutex<State>,
    /// Unix time source for GitLab section markers; fixed in tests.
    clock: fn() -> u64,
}

#[derive(Debug, Default)]
struct State {
    output: HashMap<ImageName, Vec<String>>,
    warnings: Vec<Annotation>,
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl CiLog {
    pub fn new(dialect: Dialect) -> Self {
        Self {
            dialect,
            state: Mutex::default(),
            clock: unix_now,
        }
    }

    /// The warnings of the run, as annotations.
    pub fn warnings(&self) -> Vec<Annotation> {
        self.lock().warnings.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The block written for one image's finished build.
    fn block(&self, image: &ImageName, ok: bool, lines: &[String]) -> String {
        let title = format!("⛵ image {image}{}", if ok { "" } else { " (failed)" });
        let mut out = String::new();
        match self.dialect {
            Dialect::Github => {
                out.push_str(&github_output::group(&title));
                // Untrusted output (RUN lines) must not issue workflow commands; the token is
                // unguessable, so the output cannot end the stop either. Without randomness
                // the output is still shown, only not fenced.
                let stop = RandomToken::generate().ok().map(StopCommands::new);
                if let Some(stop) = &stop {
                    out.push_str(&stop.begin());
                }
                for line in lines {
                    out.push_str(line);
                    out.push('\n');
                }
                if let Some(stop) = &stop {
                    out.push_str(&stop.end());
                }
                out.push_str(github_output::endgroup());
            }
            Dialect::Gitlab => {
                let name = gitlab_output::image_section_name(image);
                // A failed build stays open so the error is in sight.
                out.push_str(&gitlab_output::section_start(
                    &name,
                    &title,
                    ok,
                    (self.clock)(),
                ));
                for line in lines {
                    out.push_str(line);
                    out.push('\n');
                }
                out.push_str(&gitlab_output::section_end(&name, (self.clock)()));
            }
        }
        out
    }
}

fn print(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

impl BuildLog for CiLog {
    fn info(&self, line: &str) {
        let _state = self.lock();
        print(&format!("{line}\n"));
    }

    fn warning(&self, message: &str) {
        let mut state = self.lock();
        print(&format!("warning: {message}\n"));
        let mut annotation = Annotation::new(Severity::Warning, message);
        annotation.title = Some("slipway".to_owned());
        annotation.rank = state.warnings.len() as u32 + 100;
        state.warnings.push(annotation);
    }

    fn build_line(&self, image: &ImageName, line: &str) {
        self.lock()
            .output
            .entry(image.clone())
            .or_default()
            .push(line.to_owned());
    }

    fn build_finished(&self, image: &ImageName, ok: bool) {
        let mut state = self.lock();
        let lines = state.output.remove(image).unwrap_or_default();
        print(&self.block(image, ok, &lines));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed() -> u64 {
        1_700_000_000
    }

    #[test]
    fn github_block_fences_build_output() {
        let log = CiLog::new(Dialect::Github);
        let lines = vec![
            "Step 1/2 : FROM scratch".to_owned(),
            "::error::evil".to_owned(),
        ];
        let block = log.block(&ImageName::parse("web").unwrap(), true, &lines);
        let rows: Vec<&str> = block.lines().collect();
        assert_eq!(rows[0], "::group::⛵ image web");
        let token = rows[1].strip_prefix("::stop-commands::").unwrap();
        assert_eq!(token.len(), 32);
        assert_eq!(&rows[2..4], ["Step 1/2 : FROM scratch", "::error::evil"]);
        assert_eq!(rows[4], format!("::{token}::"));
        assert_eq!(rows[5], "::endgroup::");
        assert_eq!(rows.len(), 6);
    }

    #[test]
    fn gitlab_block_is_a_section_left_open_on_failure() {
        let mut log = CiLog::new(Dialect::Gitlab);
        log.clock = fixed;
        let image = ImageName::parse("web").unwrap();
        let ok = log.block(&image, true, &["built".to_owned()]);
        assert_eq!(
            ok,
            "\u{1b}[0Ksection_start:1700000000:build_web[collapsed=true]\r\u{1b}[0K⛵ image web\nbuilt\n\u{1b}[0Ksection_end:1700000000:build_web\r\u{1b}[0K\n"
        );
        let failed = log.block(&image, false, &[]);
        assert!(failed.starts_with(
            "\u{1b}[0Ksection_start:1700000000:build_web\r\u{1b}[0K⛵ image web (failed)\n"
        ));
    }

    #[test]
    fn warnings_become_annotations() {
        let log = CiLog::new(Dialect::Github);
        log.warning("image web: uncommitted files are left out: a.txt");
        let w = log.warnings();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].severity, Severity::Warning);
        assert_eq!(
            w[0].message,
            "image web: uncommitted files are left out: a.txt"
        );
    }
}
