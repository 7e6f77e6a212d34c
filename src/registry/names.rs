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
        // port, is localhost, or has upper-case letters, which paths cannot have); a bracket starts
        // an IPv6 address.
        let (registry, path) = match s.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.starts_with('[')
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_names() {
        let ok = [
            ("127.0.0.1:5000/team/app", "127.0.0.1:5000", "team/app"),
            ("localhost/app", "localhost", "app"),
            ("localhost:5000/a/b/c", "localhost:5000", "a/b/c"),
            ("[::1]:5000/app", "[::1]:5000", "app"),
            (
                "registry.example.com/a.b_c__d--e",
                "registry.example.com",
                "a.b_c__d--e",
            ),
            ("myorg/app", "docker.io", "myorg/app"),
            ("alpine", "docker.io", "library/alpine"),
            ("docker.io/alpine", "docker.io", "library/alpine"),
            ("index.docker.io/myorg/app", "docker.io", "myorg/app"),
            ("Registry/app", "Registry", "app"),
        ];
        for (input, registry, path) in ok {
            let r = RepoName::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!((r.registry(), r.path()), (registry, path), "{input}");
            assert_eq!(r.as_str(), format!("{registry}/{path}"));
            assert_eq!(
                RepoName::parse(r.as_str()).unwrap(),
                r,
                "{input} round-trips"
            );
        }
    }

    #[test]
    fn bad_repo_names() {
        let bad = [
            (
                "",
                "the repo is empty: write it as HOST[:PORT]/PATH, e.g. registry.example.com/team/app",
            ),
            (
                "host.io/App",
                "repo path \"App\" must be lower-case: use \"app\"",
            ),
            (
                "host.io/app:v1",
                "a repo names no tag: drop \":v1\" and write only HOST[:PORT]/PATH",
            ),
            (
                "myorg/app:latest",
                "a repo names no tag: drop \":latest\" and write only HOST[:PORT]/PATH",
            ),
            (
                "host.io/app@sha256:ab",
                "a repo names no digest: drop \"@sha256:ab\" and write only HOST[:PORT]/PATH",
            ),
            (
                "host.io//app",
                "repo path \"/app\" has an empty component: remove the extra '/'",
            ),
            (
                "host.io/app/",
                "repo path \"app/\" has an empty component: remove the extra '/'",
            ),
            (
                "host.io/-app",
                "repo path component \"-app\" is invalid: use lower-case letters and digits, \
                 separated by '.', '_', '__' or dashes (not at the start or end)",
            ),
            (
                "host.io/a___b",
                "repo path component \"a___b\" is invalid: use lower-case letters and digits, \
                 separated by '.', '_', '__' or dashes (not at the start or end)",
            ),
            (
                "host.io/a..b",
                "repo path component \"a..b\" is invalid: use lower-case letters and digits, \
                 separated by '.', '_', '__' or dashes (not at the start or end)",
            ),
            (
                "host:port/app",
                "registry port in \"host:port\" must be a number, e.g. localhost:5000",
            ),
            (
                "host:/app",
                "registry port in \"host:\" must be a number, e.g. localhost:5000",
            ),
            (
                "ho_st.io/app",
                "registry host \"ho_st.io\" is not a valid host name: use letters, digits, dots \
                 and dashes, e.g. registry.example.com:5000",
            ),
            (
                "[::1]x/app",
                "registry \"[::1]x\" has \"x\" after the address: write [ADDRESS]:PORT, e.g. \
                 [::1]:5000",
            ),
            (
                "[zz]/app",
                "registry host \"[zz]\" is not a valid IPv6 address in brackets, e.g. [::1]:5000",
            ),
        ];
        for (input, message) in bad {
            assert_eq!(RepoName::parse(input).unwrap_err(), message, "{input}");
        }
        let long = format!("host.io/{}", "a".repeat(250));
        assert_eq!(
            RepoName::parse(&long).unwrap_err(),
            "the repo name is 258 characters long; the limit is 255"
        );
    }

    #[test]
    fn tags() {
        for ok in ["latest", "v1.2.3", "_x", "0", "a-b_c.d", &"a".repeat(128)] {
            assert_eq!(Tag::parse(ok).unwrap().as_str(), ok);
        }
        let bad = [
            ("", "the tag is empty".to_owned()),
            (
                ".x",
                "tag \".x\" must start with a letter, a digit or '_', not '.'".to_owned(),
            ),
            (
                "-x",
                "tag \"-x\" must start with a letter, a digit or '_', not '-'".to_owned(),
            ),
            (
                "a:b",
                "tag \"a:b\" contains ':': use only letters, digits, '_', '.' and '-'".to_owned(),
            ),
            (
                "a/b",
                "tag \"a/b\" contains '/': use only letters, digits, '_', '.' and '-'".to_owned(),
            ),
            (
                "é",
                "tag \"é\" must start with a letter, a digit or '_', not 'é'".to_owned(),
            ),
            (
                &"a".repeat(129),
                "the tag is 129 characters long; the limit is 128".to_owned(),
            ),
        ];
        for (input, message) in bad {
            assert_eq!(Tag::parse(input).unwrap_err(), message, "{input}");
        }
    }

    #[test]
    fn image_ref_display() {
        let r = ImageRef::new(
            RepoName::parse("localhost:5000/app").unwrap(),
            Tag::parse("v1").unwrap(),
        );
        assert_eq!(r.to_string(), "localhost:5000/app:v1");
    }
}
