//! GitLab CI output: collapsible log sections, the `artifacts:reports:dotenv` file (werf's
//! `WERF_<NAME>_DOCKER_IMAGE_NAME` per image) and the `artifacts:reports:annotations` JSON,
//! each checked against GitLab's limits so the upload never fails with a 400.

use serde::Serialize;

use super::github_output::Annotation;
use super::{ImageRef, PipelineInfo, RegistryHost};
use crate::names::ImageName;

/// GitLab rejects dotenv reports over 5 KB.
pub const DOTENV_LIMIT: usize = 5 * 1024;
/// Self-managed GitLab accepts 20 variables by default (GitLab.com more, by tier).
pub const DOTENV_VARIABLES_DEFAULT_LIMIT: usize = 20;
pub const ANNOTATIONS_LIMIT: usize = 80 * 1024;
pub const ANNOTATIONS_SECTIONS_LIMIT: usize = 20;

/// A section name GitLab accepts: characters outside `[A-Za-z0-9_.-]` become `_`.
pub fn section_name(s: &str) -> String {
    let name: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "section".to_owned()
    } else {
        name
    }
}

/// The section an image's build is logged in: `build_<image>`, sanitised.
pub fn image_section_name(image: &ImageName) -> String {
    if image.is_unnamed() {
        "build_image".to_owned()
    } else {
        section_name(&format!("build_{}", image.as_str()))
    }
}

/// Control characters in a header would end the marker line early or inject escapes.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The line that opens a section; `name` is sanitised with [`section_name`].
pub fn section_start(name: &str, header: &str, collapsed: bool, unix_ts: u64) -> String {
    let options = if collapsed { "[collapsed=true]" } else { "" };
    format!(
        "\x1b[0Ksection_start:{unix_ts}:{}{options}\r\x1b[0K{}\n",
        section_name(name),
        printable(header)
    )
}

pub fn section_end(name: &str, unix_ts: u64) -> String {
    format!(
        "\x1b[0Ksection_end:{unix_ts}:{}\r\x1b[0K\n",
        section_name(name)
    )
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DotenvError {
    #[error("dotenv key {0:?} is invalid: GitLab accepts only A-Z, a-z, 0-9 and _")]
    InvalidKey(String),
    #[error("dotenv value of {key} is invalid: {reason}")]
    InvalidValue { key: String, reason: &'static str },
    #[error("dotenv key {key} would be written twice (images {first:?} and {second:?})")]
    DuplicateKey {
        key: String,
        first: String,
        second: String,
    },
    #[error(
        "dotenv report is {size} bytes, over GitLab's {limit}-byte limit: GitLab would reject the upload; \
         build fewer images per job or drop --gitlab-dotenv"
    )]
    TooLarge { size: usize, limit: usize },
}

/// A dotenv report and what the CLI should warn about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dotenv {
    pub content: String,
    pub warnings: Vec<String>,
}

/// `KEY=VALUE` lines in GitLab's strict dotenv dialect: no comments, blank lines, quotes,
/// spaces or line breaks.
pub fn dotenv(vars: &[(String, String)]) -> Result<Dotenv, DotenvError> {
    let mut content = String::new();
    for (key, value) in vars {
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(DotenvError::InvalidKey(key.clone()));
        }
        let reason = if value.contains(['\n', '\r']) {
            Some("line breaks are not allowed")
        } else if value.chars().any(char::is_whitespace) {
            Some("spaces are not allowed")
        } else if value.contains(['"', '\'', '`']) {
            Some("quotes are not allowed")
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(DotenvError::InvalidValue {
                key: key.clone(),
                reason,
            });
        }
        content.push_str(&format!("{key}={value}\n"));
    }
    if content.len() > DOTENV_LIMIT {
        return Err(DotenvError::TooLarge {
            size: content.len(),
            limit: DOTENV_LIMIT,
        });
    }
    let mut warnings = Vec::new();
    if vars.len() > DOTENV_VARIABLES_DEFAULT_LIMIT {
        warnings.push(format!(
            "the dotenv report has {} variables; self-managed GitLab accepts {} by default \
             (GitLab.com 50 or more, by tier) and rejects the upload over its limit",
            vars.len(),
            DOTENV_VARIABLES_DEFAULT_LIMIT
        ));
    }
    Ok(Dotenv { content, warnings })
}

/// werf's envfile name for an image's reference: `WERF_<NAME>_DOCKER_IMAGE_NAME`, `<NAME>`
/// upper-cased with `/`, `-` and `.` as `_`; the unnamed image gets `WERF_DOCKER_IMAGE_NAME`.
pub fn werf_image_variable(image: &ImageName) -> String {
    format!("{}DOCKER_IMAGE_NAME", crate::report::variable_prefix(image))
}

/// The dotenv report with one `WERF_<NAME>_DOCKER_IMAGE_NAME` per image, sorted by name.
pub fn image_dotenv(images: &[ImageRef]) -> Result<Dotenv, DotenvError> {
    let mut sorted: Vec<&ImageRef> = images.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut vars: Vec<(String, String)> = Vec::new();
    let mut owners: Vec<&ImageName> = Vec::new();
    for image in sorted {
        let key = werf_image_variable(&image.name);
        if let Some(i) = vars.iter().position(|(k, _)| *k == key) {
            return Err(DotenvError::DuplicateKey {
                key,
                first: owners[i].to_string(),
                second: image.name.to_string(),
            });
        }
        vars.push((key, image.reference.clone()));
        owners.push(&image.name);
    }
    dotenv(&vars)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExternalLink {
    pub label: String,
    pub url: String,
}

#[derive(Serialize)]
struct LinkEntry<'a> {
    external_link: &'a ExternalLink,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AnnotationsError {
    #[error("annotations report has {0} sections; GitLab accepts at most 20")]
    TooManySections(usize),
    #[error("annotations report is {size} bytes, over GitLab's {limit}-byte limit")]
    TooLarge { size: usize, limit: usize },
}

/// `{"<section>": [{"external_link": {"label", "url"}}]}`, sections in the given order.
pub fn annotations_json(
    sections: &[(String, Vec<ExternalLink>)],
) -> Result<String, AnnotationsError> {
    if sections.len() > ANNOTATIONS_SECTIONS_LIMIT {
        return Err(AnnotationsError::TooManySections(sections.len()));
    }
    // serde_json's map would sort keys; a hand-joined object keeps the caller's order.
    let mut body = Vec::new();
    for (name, links) in sections {
        let entries: Vec<LinkEntry> = links
            .iter()
            .map(|l| LinkEntry { external_link: l })
            .collect();
        let key = serde_json::to_string(name).unwrap_or_default();
        let value = serde_json::to_string(&entries).unwrap_or_default();
        body.push(format!("{key}:{value}"));
    }
    let json = format!("{{{}}}", body.join(","));
    if json.len() > ANNOTATIONS_LIMIT {
        return Err(AnnotationsError::TooLarge {
            size: json.len(),
            limit: ANNOTATIONS_LIMIT,
        });
    }
    Ok(json)
}

/// The longest label a failure link gets: the job log holds the whole message.
const FAILURE_LABEL_CHARS: usize = 300;

/// `slipway build failed`: a link per error, labelled `<file>:<line>: <title>: <message's first
/// line>` and pointing at that line of the commit's file (else at the job's log).
pub fn failure_annotations(
    errors: &[Annotation],
    info: &PipelineInfo,
) -> Result<String, AnnotationsError> {
    let links = errors
        .iter()
        .map(|a| {
            let mut label = String::new();
            if let Some(file) = &a.file {
                label.push_str(file);
                if let Some(line) = a.line {
                    label.push_str(&format!(":{line}"));
                }
                label.push_str(": ");
            }
            if let Some(title) = &a.title {
                label.push_str(title);
                label.push_str(": ");
            }
            label.push_str(a.message.lines().next().unwrap_or_default());
            if label.chars().count() > FAILURE_LABEL_CHARS {
                label = label.chars().take(FAILURE_LABEL_CHARS - 1).collect();
                label.push('…');
            }
            let url = match &a.file {
                Some(file) => {
                    let anchor = a.line.map(|l| format!("#L{l}")).unwrap_or_default();
                    format!("{}/-/blob/{}/{file}{anchor}", info.project_url, info.sha)
                }
                None => info
                    .job_url
                    .clone()
                    .unwrap_or_else(|| info.project_url.clone()),
            };
            ExternalLink { label, url }
        })
        .collect();
    annotations_json(&[("slipway build failed".to_owned(), links)])
}

/// A web page for a published reference: the project's container registry page when the image
/// is in this GitLab's registry, the Docker Hub page for Docker Hub, else `https://<repo>`
/// (which ghcr.io and most registries with a UI redirect to it).
pub fn registry_url(
    reference: &str,
    gitlab_registry: Option<&RegistryHost>,
    project_url: &str,
) -> String {
    let repo = reference.split('@').next().unwrap_or(reference);
    // The tag is after the last ':' that follows the last '/' (a port's ':' is before it).
    let repo = match repo.rfind('/') {
        Some(slash) => match repo[slash..].find(':') {
            Some(colon) => &repo[..slash + colon],
            None => repo,
        },
        None => repo.split(':').next().unwrap_or(repo),
    };
    if let Some(host) = gitlab_registry
        && repo.starts_with(&format!("{host}/"))
    {
        return format!("{}/container_registry", project_url.trim_end_matches('/'));
    }
    let first = repo.split('/').next().unwrap_or_default();
    let has_host =
        repo.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    if !has_host || first == "docker.io" || first == "index.docker.io" {
        let path = if has_host {
            repo.split_once('/').map(|x| x.1).unwrap_or(repo)
        } else {
            repo
        };
        let path = path.strip_prefix("library/").unwrap_or(path);
        return if path.contains('/') {
            format!("https://hub.docker.com/r/{path}/tags")
        } else {
            format!("https://hub.docker.com/_/{path}")
        };
    }
    format!("https://{repo}")
}

/// One section, `slipway images`, with a link per image labelled with its name.
pub fn image_annotations(
    images: &[ImageRef],
    gitlab_registry: Option<&RegistryHost>,
    project_url: &str,
) -> Result<String, AnnotationsError> {
    annotations_with_reasons(images, &[], gitlab_registry, project_url)
}

/// `slipway images`, then (when any image was built) `slipway rebuild reasons`: one link per
/// reason, labelled `<image>: <reason>`, to the image's page (GitLab's annotations only have
/// links).
pub fn annotations_with_reasons(
    images: &[ImageRef],
    reasons: &[(ImageName, Vec<String>)],
    gitlab_registry: Option<&RegistryHost>,
    project_url: &str,
) -> Result<String, AnnotationsError> {
    let mut sections = vec![(
        "slipway images".to_owned(),
        image_links(images, gitlab_registry, project_url),
    )];
    let why: Vec<ExternalLink> = reasons
        .iter()
        .flat_map(|(name, rs)| {
            let url = images
                .iter()
                .find(|i| &i.name == name)
                .map(|i| registry_url(&i.reference, gitlab_registry, project_url))
                .unwrap_or_else(|| project_url.to_owned());
            rs.iter().map(move |r| ExternalLink {
                label: format!("{name}: {r}"),
                url: url.clone(),
            })
        })
        .collect();
    if !why.is_empty() {
        sections.push(("slipway rebuild reasons".to_owned(), why));
    }
    annotations_json(&sections)
}

fn image_links(
    images: &[ImageRef],
    gitlab_registry: Option<&RegistryHost>,
    project_url: &str,
) -> Vec<ExternalLink> {
    let mut sorted: Vec<&ImageRef> = images.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    sorted
        .into_iter()
        .map(|i| ExternalLink {
            label: if i.name.is_unnamed() {
                i.reference.clone()
            } else {
                i.name.to_string()
            },
            url: registry_url(&i.reference, gitlab_registry, project_url),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ci::github_output::Severity;
    use crate::ci::test_support::{SHA, env};

    #[test]
    fn a_failure_links_to_its_line_of_the_commit() {
        let info = crate::ci::gitlab::read(&env(&[
            ("CI_COMMIT_SHA", SHA),
            ("CI_PROJECT_URL", "https://gl.example.com/g/app"),
            ("CI_PIPELINE_SOURCE", "push"),
            ("CI_COMMIT_BRANCH", "main"),
            ("CI_JOB_URL", "https://gl.example.com/g/app/-/jobs/9"),
        ]))
        .unwrap();
        let error = |file: Option<&str>, line: Option<u32>, message: &str| {
            let mut a = Annotation::new(Severity::Error, message);
            a.title = Some("image app failed to build".to_owned());
            a.file = file.map(str::to_owned);
            a.line = line;
            a
        };
        let long = "x".repeat(400);
        let cases = [
            (
                error(Some("web/Dockerfile"), Some(7), "exit code: 7\nmore"),
                "web/Dockerfile:7: image app failed to build: exit code: 7".to_owned(),
                format!("https://gl.example.com/g/app/-/blob/{SHA}/web/Dockerfile#L7"),
            ),
            (
                error(Some("Dockerfile"), None, "no step"),
                "Dockerfile: image app failed to build: no step".to_owned(),
                format!("https://gl.example.com/g/app/-/blob/{SHA}/Dockerfile"),
            ),
            (
                error(None, None, &long),
                format!("image app failed to build: {}…", &long[..272]),
                "https://gl.example.com/g/app/-/jobs/9".to_owned(),
            ),
        ];
        for (annotation, label, url) in cases {
            let json = failure_annotations(std::slice::from_ref(&annotation), &info).unwrap();
            let expected = serde_json::json!({
                "slipway build failed": [{"external_link": {"label": label, "url": url}}]
            });
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&json).unwrap(),
                expected
            );
        }
    }

    #[test]
    fn rebuild_reasons_get_their_own_section() {
        let images = [
            img("backend", "registry.example.com:5050/g/app:abc-1"),
            img("frontend", "registry.example.com:5050/g/app:def-1"),
        ];
        let reasons = [(
            ImageName::parse("backend").unwrap(),
            vec!["a.js changed (blob 1a2b3c → 4d5e6f)".to_owned()],
        )];
        let json = annotations_with_reasons(&images, &reasons, None, "https://gl/g/app").unwrap();
        assert_eq!(
            json,
            "{\"slipway images\":[{\"external_link\":{\"label\":\"backend\",\"url\":\"https://registry.example.com:5050/g/app\"}},\
             {\"external_link\":{\"label\":\"frontend\",\"url\":\"https://registry.example.com:5050/g/app\"}}],\
             \"slipway rebuild reasons\":[{\"external_link\":{\"label\":\"backend: a.js changed (blob 1a2b3c → 4d5e6f)\",\
             \"url\":\"https://registry.example.com:5050/g/app\"}}]}"
        );
        assert_eq!(
            annotations_with_reasons(&images, &[], None, "https://gl/g/app").unwrap(),
            image_annotations(&images, None, "https://gl/g/app").unwrap()
        );
    }

    fn img(name: &str, reference: &str) -> ImageRef {
        ImageRef {
            name: if name.is_empty() {
                ImageName::unnamed()
            } else {
                ImageName::parse(name).unwrap()
            },
            reference: reference.to_owned(),
        }
    }

    #[test]
    fn sections() {
        assert_eq!(section_name("build backend/api:1"), "build_backend_api_1");
        assert_eq!(section_name(""), "section");
        assert_eq!(
            image_section_name(&ImageName::parse("backend/api").unwrap()),
            "build_backend_api"
        );
        assert_eq!(
            section_start("image backend", "Building backend\r\n", true, 1_700_000_000),
            "\x1b[0Ksection_start:1700000000:image_backend[collapsed=true]\r\x1b[0KBuilding backend  \n"
        );
        assert_eq!(
            section_start("a", "h", false, 1),
            "\x1b[0Ksection_start:1:a\r\x1b[0Kh\n"
        );
        assert_eq!(
            section_end("image backend", 1_700_000_005),
            "\x1b[0Ksection_end:1700000005:image_backend\r\x1b[0K\n"
        );
    }

    #[test]
    fn werf_names() {
        let cases = [
            ("backend", "WERF_BACKEND_DOCKER_IMAGE_NAME"),
            ("frontend-assets", "WERF_FRONTEND_ASSETS_DOCKER_IMAGE_NAME"),
            ("a/b.c_d", "WERF_A_B_C_D_DOCKER_IMAGE_NAME"),
            ("", "WERF_DOCKER_IMAGE_NAME"),
        ];
        for (name, want) in cases {
            assert_eq!(werf_image_variable(&img(name, "x").name), want);
        }
    }

    #[test]
    fn dotenv_rules() {
        let d = image_dotenv(&[
            img("frontend", "reg.example.com/g/app:f-1"),
            img("backend", "reg.example.com/g/app:b-1"),
        ])
        .unwrap();
        assert_eq!(
            d.content,
            "WERF_BACKEND_DOCKER_IMAGE_NAME=reg.example.com/g/app:b-1\n\
             WERF_FRONTEND_DOCKER_IMAGE_NAME=reg.example.com/g/app:f-1\n"
        );
        assert!(d.warnings.is_empty());
        let bad: &[(&str, &str, &str)] = &[
            (
                "A B",
                "v",
                "dotenv key \"A B\" is invalid: GitLab accepts only A-Z, a-z, 0-9 and _",
            ),
            (
                "K",
                "a b",
                "dotenv value of K is invalid: spaces are not allowed",
            ),
            (
                "K",
                "a\nb",
                "dotenv value of K is invalid: line breaks are not allowed",
            ),
            (
                "K",
                "\"v\"",
                "dotenv value of K is invalid: quotes are not allowed",
            ),
            (
                "",
                "v",
                "dotenv key \"\" is invalid: GitLab accepts only A-Z, a-z, 0-9 and _",
            ),
        ];
        for (k, v, want) in bad {
            assert_eq!(
                dotenv(&[(k.to_string(), v.to_string())])
                    .unwrap_err()
                    .to_string(),
                *want
            );
        }
        assert_eq!(
            image_dotenv(&[img("a-b", "r:1"), img("a.b", "r:2")])
                .unwrap_err()
                .to_string(),
            "dotenv key WERF_A_B_DOCKER_IMAGE_NAME would be written twice (images \"a-b\" and \"a.b\")"
        );
        let many: Vec<ImageRef> = (0..21).map(|i| img(&format!("i{i}"), "r:1")).collect();
        let d = image_dotenv(&many).unwrap();
        assert_eq!(d.warnings.len(), 1);
        assert!(!d.content.contains("\n\n") && !d.content.contains('#'));
        let huge: Vec<ImageRef> = (0..40)
            .map(|i| img(&format!("image{i}"), &format!("r/{}:1", "x".repeat(120))))
            .collect();
        let err = image_dotenv(&huge).unwrap_err();
        assert!(
            matches!(err, DotenvError::TooLarge { limit: 5120, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("over GitLab's 5120-byte limit"));
    }

    #[test]
    fn annotations() {
        let host = RegistryHost::new("registry.example.com:5050");
        let json = image_annotations(
            &[
                img("backend", "registry.example.com:5050/g/app:abc-1"),
                img("", "ghcr.io/o/r/demo:abc-1"),
            ],
            Some(&host),
            "https://gitlab.example.com/g/app",
        )
        .unwrap();
        assert_eq!(
            json,
            r#"{"slipway images":[{"external_link":{"label":"ghcr.io/o/r/demo:abc-1","url":"https://ghcr.io/o/r/demo"}},{"external_link":{"label":"backend","url":"https://gitlab.example.com/g/app/container_registry"}}]}"#
        );
        let url = |r: &str| registry_url(r, None, "");
        assert_eq!(url("nginx:1.25"), "https://hub.docker.com/_/nginx");
        assert_eq!(
            url("docker.io/library/nginx:1"),
            "https://hub.docker.com/_/nginx"
        );
        assert_eq!(url("acme/app:1"), "https://hub.docker.com/r/acme/app/tags");
        assert_eq!(url("localhost:5000/demo:t"), "https://localhost:5000/demo");
        assert_eq!(url("r.io/a/b@sha256:ff"), "https://r.io/a/b");
        let sections: Vec<(String, Vec<ExternalLink>)> =
            (0..21).map(|i| (format!("s{i}"), vec![])).collect();
        assert_eq!(
            annotations_json(&sections).unwrap_err(),
            AnnotationsError::TooManySections(21)
        );
        let big = vec![(
            "s".to_owned(),
            (0..1000)
                .map(|i| ExternalLink {
                    label: format!("image-{i}"),
                    url: format!("https://r/{}", "x".repeat(100)),
                })
                .collect(),
        )];
        assert!(matches!(
            annotations_json(&big),
            Err(AnnotationsError::TooLarge { .. })
        ));
    }
}
