//! Newtypes for the names slipway passes around (projects, images, digests), so that a digest can
//! never be handed where an image name is expected. Each type validates on construction.

use std::fmt;

use serde::Serialize;

/// The `project` of a werf.yaml: lower-case letters, digits and dashes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ProjectName(String);

impl ProjectName {
    /// Accepts what werf accepts: `[a-z0-9]` runs joined by single dashes, at most 50 characters.
    pub fn parse(s: &str) -> Result<Self, String> {
        let valid = !s.is_empty()
            && s.len() <= 50
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--")
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "project name {s:?} is invalid: use lower-case letters, digits and single dashes, \
                 starting and ending with a letter or digit, at most 50 characters"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name of an image in werf.yaml. The single unnamed image (`image: ~`) has the empty name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ImageName(String);

impl ImageName {
    /// The unnamed image of a werf.yaml that declares `image: ~`.
    pub fn unnamed() -> Self {
        Self(String::new())
    }

    /// Accepts letters, digits and the separators `.`, `_`, `-` and `/` between them.
    pub fn parse(s: &str) -> Result<Self, String> {
        let valid = s.split('/').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
                && part.as_bytes()[0].is_ascii_alphanumeric()
        });
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "image name {s:?} is invalid: use letters, digits, '.', '_', '-' and '/' \
                 (each '/'-separated part starting with a letter or digit)"
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_unnamed(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for ImageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str("~")
        } else {
            f.write_str(&self.0)
        }
    }
}

/// A stage content digest: SHA-256 truncated to 224 bits, as 56 lower-case hex characters.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Digest(String);

impl Digest {
    pub const LEN: usize = 56;

    /// Builds the digest from the first 28 bytes of a SHA-256 output.
    pub fn from_sha256(bytes: &[u8]) -> Self {
        let mut s = String::with_capacity(Self::LEN);
        for b in &bytes[..Self::LEN / 2] {
            s.push_str(&format!("{b:02x}"));
        }
        Self(s)
    }

    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == Self::LEN && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names() {
        for (name, ok) in [
            ("demo", true),
            ("my-app2", true),
            ("", false),
            ("Demo", false),
            ("-demo", false),
            ("demo-", false),
            ("de--mo", false),
            ("de_mo", false),
            (&"a".repeat(51), false),
        ] {
            assert_eq!(ProjectName::parse(name).is_ok(), ok, "{name:?}");
        }
    }

    #[test]
    fn image_names() {
        for (name, ok) in [
            ("backend", true),
            ("frontend-assets", true),
            ("app/web.v2", true),
            ("", false),
            ("/web", false),
            ("web/", false),
            ("-web", false),
            ("we b", false),
        ] {
            assert_eq!(ImageName::parse(name).is_ok(), ok, "{name:?}");
        }
    }

    #[test]
    fn digest_is_56_hex() {
        let d = Digest::from_sha256(&[0xab; 32]);
        assert_eq!(d.as_str().len(), 56);
        assert_eq!(Digest::parse(d.as_str()), Some(d));
        assert_eq!(Digest::parse("ABC"), None);
    }
}
