//! `WERF_BUILDAH_ULIMIT`: comma-separated `type=soft[:hard]` entries (werf's format; its docs also
//! show `type:soft[:hard]`, accepted too) for the 15 limit types werf documents, turned into
//! buildah's `--ulimit` flags.

use std::ffi::OsString;

/// The limit types werf documents for `WERF_BUILDAH_ULIMIT`, in its order.
pub const LIMIT_TYPES: [&str; 15] = [
    "core",
    "cpu",
    "data",
    "fsize",
    "locks",
    "memlock",
    "msgqueue",
    "nice",
    "nofile",
    "nproc",
    "rss",
    "rtprio",
    "rttime",
    "sigpending",
    "stack",
];

/// `-1` is how buildah (and Docker) spell "no limit".
pub const UNLIMITED: i64 = -1;

/// One resource limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ulimit {
    pub kind: &'static str,
    pub soft: i64,
    /// Equals `soft` when the entry gives only one value.
    pub hard: i64,
}

impl Ulimit {
    /// buildah's `--ulimit` value: `type=soft:hard`.
    pub fn flag_value(&self) -> String {
        format!("{}={}:{}", self.kind, self.soft, self.hard)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UlimitError {
    #[error("WERF_BUILDAH_ULIMIT \"{value}\" has an empty entry (number {position})")]
    EmptyEntry { value: String, position: usize },
    #[error("WERF_BUILDAH_ULIMIT entry \"{entry}\": expected type=soft[:hard] or type:soft[:hard]")]
    Format { entry: String },
    #[error(
        "WERF_BUILDAH_ULIMIT entry \"{entry}\": unknown limit type \"{kind}\" (known: {known})",
        known = LIMIT_TYPES.join(", ")
    )]
    UnknownType { entry: String, kind: String },
    #[error(
        "WERF_BUILDAH_ULIMIT entry \"{entry}\": \"{value}\" is not a limit (a whole number ≥ 0, \
         or -1 or unlimited for no limit)"
    )]
    BadValue { entry: String, value: String },
    #[error(
        "WERF_BUILDAH_ULIMIT entry \"{entry}\": the soft limit {soft} is above the hard limit {hard}"
    )]
    SoftAboveHard { entry: String, soft: i64, hard: i64 },
    #[error("WERF_BUILDAH_ULIMIT entry \"{entry}\": {kind} is already set by an earlier entry")]
    Duplicate { entry: String, kind: &'static str },
}

/// Parses the variable's value; empty means no limits (buildah inherits slipway's own).
pub fn parse_ulimits(value: &str) -> Result<Vec<Ulimit>, UlimitError> {
    let mut limits: Vec<Ulimit> = Vec::new();
    if value.trim().is_empty() {
        return Ok(limits);
    }
    for (index, raw) in value.split(',').enumerate() {
        let entry = raw.trim();
        if entry.is_empty() {
            return Err(UlimitError::EmptyEntry {
                value: value.to_string(),
                position: index + 1,
            });
        }
        let limit = parse_entry(entry)?;
        if limits.iter().any(|l| l.kind == limit.kind) {
            return Err(UlimitError::Duplicate {
                entry: entry.to_string(),
                kind: limit.kind,
            });
        }
        limits.push(limit);
    }
    Ok(limits)
}

fn parse_entry(entry: &str) -> Result<Ulimit, UlimitError> {
    // `=` first: in `type:soft:hard` the first `:` is the separator, in `type=soft:hard` it is not.
    let (kind, values) = entry
        .split_once('=')
        .or_else(|| entry.split_once(':'))
        .ok_or_else(|| UlimitError::Format {
            entry: entry.to_string(),
        })?;
    let kind = kind.trim();
    let kind = LIMIT_TYPES
        .iter()
        .copied()
        .find(|k| *k == kind)
        .ok_or_else(|| UlimitError::UnknownType {
            entry: entry.to_string(),
            kind: kind.to_string(),
        })?;
    let mut parts = values.split(':');
    let soft = parse_value(entry, parts.next().unwrap_or(""))?;
    let hard = match parts.next() {
        Some(h) => parse_value(entry, h)?,
        None => soft,
    };
    if parts.next().is_some() {
        return Err(UlimitError::Format {
            entry: entry.to_string(),
        });
    }
    if hard != UNLIMITED && (soft == UNLIMITED || soft > hard) {
        return Err(UlimitError::SoftAboveHard {
            entry: entry.to_string(),
            soft,
            hard,
        });
    }
    Ok(Ulimit { kind, soft, hard })
}

fn parse_value(entry: &str, value: &str) -> Result<i64, UlimitError> {
    let value = value.trim();
    if value == "unlimited" {
        return Ok(UNLIMITED);
    }
    match value.parse::<i64>() {
        Ok(n) if n >= UNLIMITED => Ok(n),
        _ => Err(UlimitError::BadValue {
            entry: entry.to_string(),
            value: value.to_string(),
        }),
    }
}

/// `--ulimit VALUE` pairs for buildah build.
pub fn ulimit_flags(limits: &[Ulimit]) -> Vec<OsString> {
    limits
        .iter()
        .flat_map(|l| [OsString::from("--ulimit"), l.flag_value().into()])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(input: &str) -> Vec<String> {
        parse_ulimits(input)
            .unwrap()
            .iter()
            .map(Ulimit::flag_value)
            .collect()
    }

    #[test]
    fn accepts_both_separators() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("  ", &[]),
            ("nofile=1024", &["nofile=1024:1024"]),
            ("nofile:1024", &["nofile=1024:1024"]),
            ("nofile=1024:4096", &["nofile=1024:4096"]),
            ("nofile:1024:4096", &["nofile=1024:4096"]),
            ("core=0,nproc:512:1024", &["core=0:0", "nproc=512:1024"]),
            (
                " stack = 8192 , memlock=unlimited",
                &["stack=8192:8192", "memlock=-1:-1"],
            ),
            ("rttime=-1", &["rttime=-1:-1"]),
            ("cpu=10:unlimited", &["cpu=10:-1"]),
        ];
        for (input, want) in cases {
            assert_eq!(values(input), *want, "{input:?}");
        }
    }

    #[test]
    fn every_documented_type() {
        for kind in LIMIT_TYPES {
            assert_eq!(values(&format!("{kind}=1:2")), [format!("{kind}=1:2")]);
            assert_eq!(values(&format!("{kind}:1:2")), [format!("{kind}=1:2")]);
        }
    }

    #[test]
    fn bad_entries_verbatim() {
        let cases: &[(&str, &str)] = &[
            (
                "nofile=1024,",
                "WERF_BUILDAH_ULIMIT \"nofile=1024,\" has an empty entry (number 2)",
            ),
            (
                "nofile",
                "WERF_BUILDAH_ULIMIT entry \"nofile\": expected type=soft[:hard] or type:soft[:hard]",
            ),
            (
                "nofile=1:2:3",
                "WERF_BUILDAH_ULIMIT entry \"nofile=1:2:3\": expected type=soft[:hard] or \
                 type:soft[:hard]",
            ),
            (
                "core=0,files=10",
                "WERF_BUILDAH_ULIMIT entry \"files=10\": unknown limit type \"files\" (known: core, \
                 cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, \
                 rttime, sigpending, stack)",
            ),
            (
                "nofile=lots",
                "WERF_BUILDAH_ULIMIT entry \"nofile=lots\": \"lots\" is not a limit (a whole number \
                 ≥ 0, or -1 or unlimited for no limit)",
            ),
            (
                "nofile=",
                "WERF_BUILDAH_ULIMIT entry \"nofile=\": \"\" is not a limit (a whole number ≥ 0, or \
                 -1 or unlimited for no limit)",
            ),
            (
                "nproc:-5",
                "WERF_BUILDAH_ULIMIT entry \"nproc:-5\": \"-5\" is not a limit (a whole number ≥ 0, \
                 or -1 or unlimited for no limit)",
            ),
            (
                "nofile=4096:1024",
                "WERF_BUILDAH_ULIMIT entry \"nofile=4096:1024\": the soft limit 4096 is above the \
                 hard limit 1024",
            ),
            (
                "nofile=unlimited:1024",
                "WERF_BUILDAH_ULIMIT entry \"nofile=unlimited:1024\": the soft limit -1 is above \
                 the hard limit 1024",
            ),
            (
                "nofile=1,nofile:2",
                "WERF_BUILDAH_ULIMIT entry \"nofile:2\": nofile is already set by an earlier entry",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_ulimits(input).unwrap_err().to_string(),
                *want,
                "{input:?}"
            );
        }
    }

    #[test]
    fn flags() {
        let limits = parse_ulimits("nofile=1024:2048,core=0").unwrap();
        assert_eq!(
            ulimit_flags(&limits),
            ["--ulimit", "nofile=1024:2048", "--ulimit", "core=0:0"]
        );
    }
}
