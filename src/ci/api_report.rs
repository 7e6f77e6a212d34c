//! Plain-data build results for the opt-in API integrations (GitHub check runs, GitLab commit
//! statuses and merge-request notes), the Markdown and one-line texts they share, and how their
//! errors name a request without showing a token.

use std::fmt;
use std::fmt::Write as _;

use crate::secret::Secret;

/// One image's result, as the CLI knows it after a build.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRow {
    pub name: String,
    /// `<repo>:<tag>`; `None` when the image was not published (a failed build).
    pub reference: Option<String>,
    /// `built`, `reused`, `failed`…: shown as given.
    pub result: String,
    pub seconds: Option<f64>,
    pub digest: Option<String>,
}

/// What a build run produced: the facts every integration reports.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BuildOutcome {
    pub success: bool,
    pub images: Vec<ImageRow>,
    /// What went wrong, for a failed run (one line).
    pub failure: Option<String>,
}

impl BuildOutcome {
    /// One line: `3 images: 1 built, 2 reused` or `build failed: <why>`.
    pub fn headline(&self) -> String {
        if !self.success {
            return match &self.failure {
                Some(why) => format!("build failed: {}", one_line(why)),
                None => "build failed".to_owned(),
            };
        }
        let n = self.images.len();
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for row in &self.images {
            match counts.iter_mut().find(|(w, _)| *w == row.result) {
                Some((_, c)) => *c += 1,
                None => counts.push((&row.result, 1)),
            }
        }
        let noun = if n == 1 { "image" } else { "images" };
        if counts.is_empty() {
            return format!("{n} {noun}");
        }
        let parts: Vec<String> = counts.iter().map(|(w, c)| format!("{c} {w}")).collect();
        format!("{n} {noun}: {}", parts.join(", "))
    }

    /// The Markdown report: the headline, then a table of the images.
    pub fn markdown(&self, heading: &str) -> String {
        let mut out = format!("### {heading}\n\n{}\n", escape_inline(&self.headline()));
        if !self.images.is_empty() {
            out.push('\n');
            out.push_str(&images_table(&self.images));
        }
        out
    }
}

/// A GitHub-flavoured Markdown table, image → reference, result, time, digest, sorted by name.
pub fn images_table(rows: &[ImageRow]) -> String {
    let mut sorted: Vec<&ImageRow> = rows.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut out =
        String::from("| Image | Reference | Result | Time | Digest |\n|---|---|---|---|---|\n");
    for r in sorted {
        let name = if r.name.is_empty() {
            "(unnamed)".to_owned()
        } else {
            escape_cell(&r.name)
        };
        let _ = writeln!(
            out,
            "| {name} | {} | {} | {} | {} |",
            r.reference
                .as_deref()
                .map(code)
                .unwrap_or_else(|| "-".into()),
            escape_cell(&r.result),
            r.seconds
                .map(|s| format!("{s:.1} s"))
                .unwrap_or_else(|| "-".into()),
            r.digest.as_deref().map(code).unwrap_or_else(|| "-".into()),
        );
    }
    out
}

/// `s` cut to at most `limit` bytes with `note` at the end, when it is longer. The cut is made at
/// a line end when one is near, so a table row is never half-shown. Bytes, not characters,
/// because that bound holds under every way a server may count.
pub fn truncate_with_note(s: &str, limit: usize, note: &str) -> String {
    if s.len() <= limit {
        return s.to_owned();
    }
    if note.len() > limit {
        return truncate_plain(s, limit);
    }
    let room = limit - note.len();
    let mut cut = room;
    while cut > 0 && !s.is_char_boundary(cut) {
        cut -= 1;
    }
    if let Some(nl) = s[..cut].rfind('\n')
        && cut - nl < 4096
    {
        cut = nl + 1;
    }
    let mut out = s[..cut].to_owned();
    out.push_str(note);
    out
}

/// `s` cut to at most `limit` bytes at a character boundary, ending in `…` when cut.
pub fn truncate_plain(s: &str, limit: usize) -> String {
    if s.len() <= limit {
        return s.to_owned();
    }
    let ellipsis = "…";
    let mut cut = limit.saturating_sub(ellipsis.len());
    while cut > 0 && !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{ellipsis}", &s[..cut])
}

/// A request, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub method: &'static str,
    pub url: String,
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.url)
    }
}

/// An error and its sources on one line, for errors that come from libraries.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cur = s.source();
    }
    out
}

/// `text` with the token replaced by `***`. Error texts come from servers and libraries; a
/// server or proxy that echoes the request's headers must not get the token into the output.
pub(crate) fn scrub(text: &str, token: &Secret) -> String {
    if token.expose().is_empty() {
        text.to_owned()
    } else {
        text.replace(token.expose(), "***")
    }
}

/// `s` with every run of whitespace, line breaks included, made one space.
pub(crate) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

// A `|` would end the cell and a line break the row.
fn escape_cell(s: &str) -> String {
    escape_inline(&one_line(s)).replace('|', "\\|")
}

// Build output can contain `<tag>`s and `*`, which Markdown would render rather than show.
fn escape_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '`' | '*' | '_' | '<' | '>' | '[' | ']') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

// References and digests never hold backticks; a `|` is still escaped, as GFM splits cells
// before it looks at code spans.
fn code(s: &str) -> String {
    format!("`{}`", one_line(s).replace('`', "'").replace('|', "\\|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, result: &str) -> ImageRow {
        ImageRow {
            name: name.into(),
            reference: Some(format!("registry.example.com/app:{name}-1")),
            result: result.into(),
            seconds: Some(1.25),
            digest: Some("sha256:abc".into()),
        }
    }

    #[test]
    fn headline_counts_results_in_first_seen_order() {
        let o = BuildOutcome {
            success: true,
            images: vec![row("a", "built"), row("b", "reused"), row("c", "reused")],
            failure: None,
        };
        assert_eq!(o.headline(), "3 images: 1 built, 2 reused");
        let f = BuildOutcome {
            success: false,
            images: vec![],
            failure: Some("image backend:\n RUN failed".into()),
        };
        assert_eq!(f.headline(), "build failed: image backend: RUN failed");
    }

    #[test]
    fn table_sorted_and_escaped() {
        let mut bad = row("z|<b>", "built");
        bad.reference = None;
        bad.seconds = None;
        let t = images_table(&[bad, row("a", "reused")]);
        assert_eq!(
            t,
            "| Image | Reference | Result | Time | Digest |\n|---|---|---|---|---|\n\
             | a | `registry.example.com/app:a-1` | reused | 1.2 s | `sha256:abc` |\n\
             | z\\|\\<b\\> | - | built | - | `sha256:abc` |\n"
        );
    }

    #[test]
    fn truncation_respects_limit_and_boundaries() {
        let s = "line one\nline two ééé\nline three\n".repeat(10);
        let note = "\n_(cut)_\n";
        let t = truncate_with_note(&s, 50, note);
        assert!(t.len() <= 50, "{}", t.len());
        assert!(t.ends_with(note));
        assert!(t.starts_with("line one\nline two ééé\n"));
        assert_eq!(truncate_with_note("short", 50, note), "short");
        let p = truncate_plain("ééééé", 5);
        assert!(p.len() <= 5);
        assert_eq!(p, "é…");
    }
}
