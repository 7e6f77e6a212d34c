//! Semantic versions as node-semver's strict `valid()` accepts them (an optional leading `v`),
//! which is what docker/metadata-action's `type=semver` requires of a git tag.

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version {
    pub raw: String,
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub prerelease: Option<String>,
}

impl Version {
    pub fn parse(raw: &str) -> Option<Self> {
        let s = raw.strip_prefix('v').unwrap_or(raw);
        let (s, build) = match s.split_once('+') {
            Some((v, b)) => (v, Some(b)),
            None => (s, None),
        };
        if let Some(b) = build
            && !b.split('.').all(|id| {
                !id.is_empty() && id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
            })
        {
            return None;
        }
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (s, None),
        };
        if let Some(p) = pre
            && !p.split('.').all(valid_prerelease_id)
        {
            return None;
        }
        let mut nums = core.split('.');
        let (major, minor, patch) = (
            numeric(nums.next()?)?,
            numeric(nums.next()?)?,
            numeric(nums.next()?)?,
        );
        if nums.next().is_some() {
            return None;
        }
        Some(Self {
            raw: raw.to_owned(),
            major,
            minor,
            patch,
            prerelease: pre.map(str::to_owned),
        })
    }

    /// `{{version}}`: major.minor.patch with the pre-release, without build metadata.
    pub fn version(&self) -> String {
        let mut v = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if let Some(p) = &self.prerelease {
            v.push('-');
            v.push_str(p);
        }
        v
    }
}

fn numeric(s: &str) -> Option<u64> {
    let ok =
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    if ok { s.parse().ok() } else { None }
}

fn valid_prerelease_id(id: &str) -> bool {
    if id.is_empty() || !id.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
        return false;
    }
    // A purely numeric identifier must not have leading zeros.
    !id.bytes().all(|c| c.is_ascii_digit()) || id == "0" || !id.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let v = Version::parse("v1.2.3").unwrap();
        assert_eq!((v.major, v.minor, v.patch), (1, 2, 3));
        assert_eq!(v.version(), "1.2.3");
        let v = Version::parse("v2.0.0-rc.1").unwrap();
        assert_eq!(v.prerelease.as_deref(), Some("rc.1"));
        assert_eq!(v.version(), "2.0.0-rc.1");
        assert_eq!(Version::parse("1.0.0+build.5").unwrap().version(), "1.0.0");
        for bad in [
            "app-v1.2.3",
            "1.2",
            "01.2.3",
            "1.2.3.4",
            "1.2.3-01",
            "1.2.3-",
            "",
            "v",
        ] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
    }
}
