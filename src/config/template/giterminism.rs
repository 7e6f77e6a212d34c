//! werf-giterminism.yaml's rules for templates: which environment variables `env` may read
//! (`config.goTemplateRendering.allowEnvVariables`, names or `/regex/`) and which files may be
//! read from the working tree instead of the commit (`…allowUncommittedFiles`,
//! `config.allowUncommittedTemplates`).

use regex::Regex;
use serde::Deserialize;

pub const FILE: &str = "werf-giterminism.yaml";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    #[serde(default)]
    config: RawConfig,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawConfig {
    #[serde(default)]
    allow_uncommitted_templates: Vec<String>,
    #[serde(default)]
    go_template_rendering: RawRendering,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRendering {
    #[serde(default)]
    allow_env_variables: Vec<String>,
    #[serde(default)]
    allow_uncommitted_files: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Giterminism {
    env_names: Vec<String>,
    env_patterns: Vec<Regex>,
    pub uncommitted_files: Vec<String>,
    pub uncommitted_templates: Vec<String>,
}

impl Giterminism {
    /// Parses the file's text; the error says what is wrong in words for the user.
    pub fn parse(text: &str) -> Result<Giterminism, String> {
        let raw: Raw = serde_yaml_ng::from_str(text).map_err(|e| e.to_string())?;
        let mut g = Giterminism {
            uncommitted_files: raw.config.go_template_rendering.allow_uncommitted_files,
            uncommitted_templates: raw.config.allow_uncommitted_templates,
            ..Giterminism::default()
        };
        for pattern in raw.config.go_template_rendering.allow_env_variables {
            if pattern.len() >= 2 && pattern.starts_with('/') && pattern.ends_with('/') {
                let expr = format!("^(?:{})$", &pattern[1..pattern.len() - 1]);
                let re = Regex::new(&expr).map_err(|e| {
                    format!(
                        "config.goTemplateRendering.allowEnvVariables: bad regex {pattern}: {e}"
                    )
                })?;
                g.env_patterns.push(re);
            } else {
                g.env_names.push(pattern);
            }
        }
        Ok(g)
    }

    pub fn env_allowed(&self, name: &str) -> bool {
        self.env_names.iter().any(|n| n == name)
            || self.env_patterns.iter().any(|re| re.is_match(name))
    }
}

/// werf's path matcher globs: `**` spans directories, other segments match as Go's
/// `path.Match`; a pattern naming a directory also covers everything below it.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
    let pat: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match_segments(&pat, &segs, true)
}

/// Like [`glob_match`] but the whole path must be matched (for `.Files.Glob`).
pub fn glob_match_exact(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_start_matches("./");
    let pat: Vec<&str> = pattern.split('/').filter(|s| !s.is_empty()).collect();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match_segments(&pat, &segs, false)
}

fn match_segments(pat: &[&str], segs: &[&str], prefix_ok: bool) -> bool {
    match pat.split_first() {
        None => segs.is_empty() || prefix_ok,
        Some((&"**", rest)) => {
            (0..=segs.len()).any(|i| match_segments(rest, &segs[i..], prefix_ok))
        }
        Some((first, rest)) => match segs.split_first() {
            Some((seg, more)) => {
                crate::context::glob::path_match(first, seg).unwrap_or(false)
                    && match_segments(rest, more, prefix_ok)
            }
            None => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_rules() {
        let g = Giterminism::parse(
            "giterminismConfigVersion: 1\nconfig:\n  goTemplateRendering:\n    allowEnvVariables: [CI_COMMIT_TAG, /APP_.*/]\n",
        )
        .unwrap();
        assert!(g.env_allowed("CI_COMMIT_TAG"));
        assert!(g.env_allowed("APP_MODE"));
        assert!(!g.env_allowed("XAPP_MODE"));
        assert!(!g.env_allowed("HOME"));
    }

    #[test]
    fn globs() {
        assert!(glob_match_exact("configs/**/*.yaml", "configs/a/b.yaml"));
        assert!(glob_match_exact("configs/**/*.yaml", "configs/b.yaml"));
        assert!(!glob_match_exact("configs/*.yaml", "configs/a/b.yaml"));
        assert!(glob_match("generated", "generated/x/y.txt"));
    }
}
