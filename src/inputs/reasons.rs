//! Why an image rebuilds: the differences between two sets of digest inputs, as sentences,
//! most relevant first (changed files, build args, Dockerfile, dependencies, new files).

use std::collections::BTreeSet;

use super::DigestInputs;

/// The only reason when nothing earlier is known.
pub const FIRST_BUILD: &str = "first build of this image in the repo";

/// At most this many lines per kind of file change; the rest are counted.
const MAX_FILE_LINES: usize = 10;

/// What changed from `old` (the last published build) to `new` (this commit).
pub fn reasons(old: Option<&DigestInputs>, new: &DigestInputs) -> Vec<String> {
    let Some(old) = old else {
        return vec![FIRST_BUILD.to_owned()];
    };
    let mut out = Vec::new();
    if old.format != new.format {
        out.push(format!(
            "slipway's digest format changed ({} → {})",
            old.format, new.format
        ));
    }
    if old.target != new.target {
        out.push(format!(
            "target: {} → {}",
            quoted(old.target.as_deref()),
            quoted(new.target.as_deref())
        ));
    }
    if old.dockerfile != new.dockerfile {
        out.push(format!(
            "Dockerfile path: {} → {}",
            old.dockerfile, new.dockerfile
        ));
    }

    let mut added = Vec::new();
    let mut removed = Vec::new();
    match (&old.files, &new.files) {
        (Some(of), Some(nf)) => {
            let mut changed = Vec::new();
            for (path, id) in nf {
                match of.get(path) {
                    None => added.push(new_file(new, path)),
                    Some(old_id) if old_id != id => changed.push(file_changed(path, old_id, id)),
                    Some(_) => {}
                }
            }
            for path in of.keys().filter(|p| !nf.contains_key(*p)) {
                removed.push(format!("file {path} removed"));
            }
            push_capped(&mut out, changed, "more files changed");
        }
        _ if old.files_digest != new.files_digest => out.push(format!(
            "context files changed ({} → {} files; too many to record each one on the image)",
            old.file_count, new.file_count
        )),
        _ => {}
    }

    let names: BTreeSet<&String> = old.args.keys().chain(new.args.keys()).collect();
    for name in names {
        let (a, b) = (old.args.get(name), new.args.get(name));
        if a != b {
            out.push(format!(
                "ARG {name}: {} → {}",
                quoted(a.map(String::as_str)),
                quoted(b.map(String::as_str))
            ));
        }
    }

    let old_hashes: BTreeSet<&str> = old.instructions.iter().map(|(_, h)| h.as_str()).collect();
    let new_hashes: BTreeSet<&str> = new.instructions.iter().map(|(_, h)| h.as_str()).collect();
    let mut instruction_changed = false;
    for (line, hash) in &new.instructions {
        if !old_hashes.contains(hash.as_str()) {
            instruction_changed = true;
            out.push(format!(
                "Dockerfile changed: line {line} {}",
                abbreviate(new.instruction_text.get(line).map_or("", String::as_str))
            ));
        }
    }
    if !instruction_changed {
        for (line, hash) in &old.instructions {
            if !new_hashes.contains(hash.as_str()) {
                out.push(format!(
                    "Dockerfile changed: the instruction at line {line} was removed"
                ));
            }
        }
    }

    for (name, digest) in &new.dependencies {
        match old.dependencies.get(name) {
            None => out.push(format!("new dependency {name}")),
            Some(d) if d != digest => out.push(format!("dependency {name} rebuilt")),
            Some(_) => {}
        }
    }
    for name in old.dependencies.keys() {
        if !new.dependencies.contains_key(name) {
            out.push(format!("dependency {name} removed"));
        }
    }

    push_capped(&mut out, added, "more new files");
    push_capped(&mut out, removed, "more files removed");

    if old.cache_versions != new.cache_versions {
        out.push(format!(
            "cacheVersion: {} → {}",
            list(&old.cache_versions),
            list(&new.cache_versions)
        ));
    }
    if old.add_host != new.add_host {
        out.push(format!(
            "addHost: {} → {}",
            list(&old.add_host),
            list(&new.add_host)
        ));
    }
    if old.platform != new.platform {
        out.push(format!("platform: {} → {}", old.platform, new.platform));
    }
    if old.syntax != new.syntax {
        out.push(format!(
            "# syntax: {} → {}",
            quoted(old.syntax.as_deref()),
            quoted(new.syntax.as_deref())
        ));
    }
    if out.is_empty() && old.werf_section != new.werf_section {
        out.push("werf.yaml image section changed".to_owned());
    }
    out
}

fn file_changed(path: &str, old: &str, new: &str) -> String {
    let (old_id, old_mode) = old.split_once(':').unwrap_or((old, "100644"));
    let (new_id, new_mode) = new.split_once(':').unwrap_or((new, "100644"));
    if old_id == new_id {
        format!("{path} mode changed ({old_mode} → {new_mode})")
    } else {
        format!(
            "{path} changed (blob {} → {})",
            &old_id[..old_id.len().min(6)],
            &new_id[..new_id.len().min(6)]
        )
    }
}

fn new_file(new: &DigestInputs, path: &str) -> String {
    match new
        .used_by
        .get(path)
        .and_then(|line| new.instruction_text.get(line))
    {
        Some(text) => format!("new file {path} used by {}", abbreviate(text)),
        None => format!("new file {path}"),
    }
}

fn push_capped(out: &mut Vec<String>, lines: Vec<String>, more: &str) {
    let extra = lines.len().saturating_sub(MAX_FILE_LINES);
    out.extend(lines.into_iter().take(MAX_FILE_LINES));
    if extra > 0 {
        out.push(format!("and {extra} {more}"));
    }
}

fn quoted(value: Option<&str>) -> String {
    value.map_or_else(|| "unset".to_owned(), |v| format!("{v:?}"))
}

fn list(values: &[String]) -> String {
    if values.is_empty() {
        "none".to_owned()
    } else {
        values.join(", ")
    }
}

/// The first line of an instruction, at most 60 characters.
fn abbreviate(text: &str) -> String {
    let first = text.lines().next().unwrap_or("").trim();
    if first.chars().count() <= 60 && !text.trim().contains('\n') {
        first.to_owned()
    } else {
        let cut: String = first.chars().take(60).collect();
        format!("{} …", cut.trim_end())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn inputs() -> DigestInputs {
        DigestInputs {
            format: "slipway-stage-digest-v1".into(),
            image: "backend".into(),
            dockerfile: "backend/Dockerfile".into(),
            instructions: vec![
                (1, "h-from".into()),
                (3, "h-copy".into()),
                (7, "h-run".into()),
            ],
            instruction_text: [
                (1, "FROM scratch".to_owned()),
                (3, "COPY . /app".to_owned()),
                (7, "RUN make".to_owned()),
            ]
            .into_iter()
            .collect(),
            args: [("VERSION".to_owned(), "1".to_owned())]
                .into_iter()
                .collect(),
            files: Some(
                [
                    ("backend/server.js".to_owned(), "1a2b3c000000".to_owned()),
                    (
                        "backend/run.sh".to_owned(),
                        "aaaaaa000000:100755".to_owned(),
                    ),
                ]
                .into_iter()
                .collect(),
            ),
            used_by: [
                ("backend/server.js".to_owned(), 3),
                ("backend/x.js".to_owned(), 3),
            ]
            .into_iter()
            .collect(),
            dependencies: [("frontend".to_owned(), "d1".to_owned())]
                .into_iter()
                .collect(),
            ..DigestInputs::default()
        }
    }

    fn files(i: &mut DigestInputs) -> &mut BTreeMap<String, String> {
        i.files.as_mut().unwrap()
    }

    #[test]
    fn reasons_most_relevant_first() {
        type Edit = fn(&mut DigestInputs);
        let cases: [(&str, Edit, &[&str]); 9] = [
            ("nothing", |_| {}, &[]),
            (
                "file",
                |i| {
                    files(i).insert("backend/server.js".into(), "4d5e6f000000".into());
                },
                &["backend/server.js changed (blob 1a2b3c → 4d5e6f)"],
            ),
            (
                "mode",
                |i| {
                    files(i).insert("backend/run.sh".into(), "aaaaaa000000".into());
                },
                &["backend/run.sh mode changed (100755 → 100644)"],
            ),
            (
                "arg",
                |i| {
                    i.args.insert("VERSION".into(), "2".into());
                },
                &[r#"ARG VERSION: "1" → "2""#],
            ),
            (
                "instruction",
                |i| {
                    i.instructions[2].1 = "h-run2".into();
                },
                &["Dockerfile changed: line 7 RUN make"],
            ),
            (
                "dependency",
                |i| {
                    i.dependencies.insert("frontend".into(), "d2".into());
                },
                &["dependency frontend rebuilt"],
            ),
            (
                "new file",
                |i| {
                    files(i).insert("backend/x.js".into(), "0000000000aa".into());
                },
                &["new file backend/x.js used by COPY . /app"],
            ),
            (
                "file and arg, in that order",
                |i| {
                    i.args.insert("VERSION".into(), "2".into());
                    files(i).insert("backend/server.js".into(), "4d5e6f000000".into());
                },
                &[
                    "backend/server.js changed (blob 1a2b3c → 4d5e6f)",
                    r#"ARG VERSION: "1" → "2""#,
                ],
            ),
            (
                "removed file, unset arg",
                |i| {
                    files(i).remove("backend/run.sh");
                    i.args.clear();
                },
                &[r#"ARG VERSION: "1" → unset"#, "file backend/run.sh removed"],
            ),
        ];
        let old = inputs();
        for (name, edit, want) in cases {
            let mut new = inputs();
            edit(&mut new);
            assert_eq!(reasons(Some(&old), &new), want, "{name}");
        }
        assert_eq!(reasons(None, &old), [FIRST_BUILD]);
    }

    #[test]
    fn unrecorded_file_lists_compare_by_hash() {
        let mut old = inputs();
        old.files = None;
        old.files_digest = "a".into();
        old.file_count = 2;
        let mut new = inputs();
        new.files_digest = "b".into();
        new.file_count = 3;
        assert_eq!(
            reasons(Some(&old), &new),
            ["context files changed (2 → 3 files; too many to record each one on the image)"]
        );
    }

    #[test]
    fn long_instructions_are_cut() {
        let long = format!("RUN {}", "x".repeat(80));
        assert_eq!(abbreviate(&long), format!("RUN {} …", "x".repeat(56)));
        assert_eq!(abbreviate("RUN a \\\n  b"), "RUN a \\ …");
    }
}
