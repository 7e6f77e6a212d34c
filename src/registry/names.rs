//! Repository names, tags and image references, validated and normalised the way Docker does so
//! that `myorg/app` and `docker.io/myorg/app` name the same repo.

use std::fmt;

/// Docker Hub's canonical registry name; `index.docker.io` and a missing host mean the same.
pub const DOCKER_HUB: &str = "docker.io";

/// A repository: `host[:port]/path` (Docker Hub names are expanded to `docker.io/...`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoName {
    registry: String,
    path: String,
    full: String,
}

impl RepoName {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("the repo is empty: write it as HOST[:PORT]/PATH, e.g. \
                        registry.example.com/team/app"
                .to_owned());
        }
        if let Some((_, digest)) = s.split_once('@') {
            return Err(format!(
                "a repo names no digest: drop \"@{digest}\" and write only HOST[:PORT]/PATH"
            ));
        }
        // Docker's rule: the first component is a host when it looks like one (has a dot or a
        // port, is localhost, or has upper-case letters, which paths cannot have).
        let (registry, path) = match s.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                (first.to_owned(), rest.to_owned())
            }
            _ => (DOCKER_HUB.to_owned(), s.to_owned()),
        };
        let registry = if registry == "index.docker.io" {
            DOCKER_HUB.to_owned()
        } else {
            registry
        };
        check_registry(&registry)?;
        if let Some((_, tag)) = path
            .rsplit_once('/')
            .unwrap_or(("", &path))
            .1
            .split_once(':')
        {
            return Err(format!(
                "a repo names no tag: drop \":{tag}\" and write only HOST[:PORT]/PATH"
            ));
        }
        let path = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        for component in path.split('/') {
            check_component(component, &path)?;
        }
        let full = format!("{registry}/{path}");
        if full.len() > 255 {
            return Err(format!(
                "the repo name is {} characters long; the limit is 255",
                full.len()
            ));
        }
        Ok(Self {
            registry,
            path,
            full,
        })
    }

    /// The whole name as the user wrote it (normalized).
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// `host[:port]`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The path inside the registry.
    pub fn path(&self) -> &str {
        &self.path
    }
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

fn check_registry(registry: &str) -> Result<(), String> {
    let (host, port) = if let Some(rest) = registry.strip_prefix('[') {
        match rest.split_once(']') {
            Some((v6, port))
                if !v6.is_empty() && v6.chars().all(|c| c.is_ascii_hexdigit() || c == ':') =>
            {
                match (port, port.strip_prefix(':')) {
                    ("", _) => (None, None),
                    (_, Some(port)) => (None, Some(port)),
                    (_, None) => {
                        return Err(format!(
                            "registry {registry:?} has {port:?} after the address: write \
                             [ADDRESS]:PORT, e.g. [::1]:5000"
                        ));
                    }
                }
            }
            _ => {
                return Err(format!(
                    "registry host {registry:?} is not a valid IPv6 address in brackets, \
                     e.g. [::1]:5000"
                ));
            }
        }
    } else {
        match registry.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(registry), None),
        }
    };
    if let Some(host) = host {
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if !host.split('.').all(label_ok) {
            return Err(format!(
                "registry host {host:?} is not a valid host name: use letters, digits, dots \
                 and dashes, e.g. registry.example.com:5000"
            ));
        }
    }
    if let Some(port) = port
        && (port.is_empty() || port.len() > 5 || !port.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!(
            "registry port in {registry:?} must be a number, e.g. localhost:5000"
        ));
    }
    Ok(())
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`, per the distribution spec.
fn check_component(component: &str, path: &str) -> Result<(), String> {
    if component.is_empty() {
        return Err(format!(
            "repo path {path:?} has an empty component: remove the extra '/'"
        ));
    }
    if component.chars().any(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "repo path {path:?} must be lower-case: use {:?}",
            path.to_ascii_lowercase()
        ));
    }
    let bad = || {
        Err(format!(
            "repo path component {component:?} is invalid: use lower-case letters and digits, \
             separated by '.', '_', '__' or dashes (not at the start or end)"
        ))
    };
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return bad();
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let sep = &component[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|b| b == b'-');
        if !ok {
            return bad();
        }
    }
    Ok(())
}

/// A valid Docker tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(String);

impl Tag {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.is_empty() {
            return Err("the tag is empty".to_owned());
        }
        if s.len() > 128 {
            return Err(format!(
                "the tag is {} characters long; the limit is 128",
                s.len()
            ));
        }
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let first = s.chars().next().expect("not empty");
        if !word(first) {
            return Err(format!(
                "tag {s:?} must start with a letter, a digit or '_', not {first:?}"
            ));
        }
        if let Some(c) = s.chars().find(|&c| !(word(c) || c == '.' || c == '-')) {
            return Err(format!(
                "tag {s:?} contains {c:?}: use only letters, digits, '_', '.' and '-'"
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `<repo>:<tag>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    pub repo: RepoName,
    pub tag: Tag,
}

impl ImageRef {
    pub fn new(repo: RepoName, tag: Tag) -> Self {
        Self { repo, tag }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.repo, self.tag)
    }
}
