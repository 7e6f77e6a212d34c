//! Secrets (registry passwords, tokens) that can be passed around but never printed: their
//! `Debug` and `Display` show `***`, so no log line or error message can leak one.

use std::fmt;

/// A secret string. Read it with [`Secret::expose`] only where it leaves the process (an HTTP
/// header, a helper's standard input).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A registry login and where it came from (for error messages that say which credentials were
/// used without showing them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: Secret,
    /// E.g. "docker config /root/.docker/config.json", "credential helper docker-credential-pass".
    pub source: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_printed() {
        let c = Credentials {
            username: "u".into(),
            password: Secret::new("hunter2"),
            source: "test".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        assert_eq!(format!("{}", c.password), "***");
        assert_eq!(c.password.expose(), "hunter2");
    }
}
