//! RFC 3339 UTC timestamps for OCI `created` labels, computed from the Unix clock with the
//! civil-from-days algorithm (Howard Hinnant's) so no date crate is needed.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, as RFC 3339 UTC with seconds (`2026-12-02T07:20:54Z`), for OCI `created` labels.
pub fn rfc3339_now() -> String {
    // A clock before 1970 is a broken host; the epoch is a harmless stand-in for a label.
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339_from_unix(secs)
}

/// `secs` since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339_from_unix(secs: u64) -> String {
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 (negative before it) to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's algorithm). Report timestamps, tag-rule dates and werf.yaml's commit dates
/// all use this one.
pub(crate) fn civil_from_days(z: i64) -> (i64, i64, i64) {
    // Shift the epoch to 0000-03-01 so leap days fall at the end of a (March-based) year.
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_timestamps() {
        // Expected values from `date -u -d @SECS`.
        for (secs, expected) in [
            (0, "1970-01-01T00:00:00Z"),
            (78_753_600, "1972-06-30T12:00:00Z"),
            (946_684_799, "1999-12-31T23:59:59Z"),
            (951_868_799, "2000-02-29T23:59:59Z"),
            (951_868_800, "2000-03-01T00:00:00Z"),
            (1_796_196_054, "2026-12-02T07:20:54Z"),
            (4_107_542_400, "2100-03-01T00:00:00Z"),
        ] {
            assert_eq!(rfc3339_from_unix(secs), expected, "{secs}");
        }
    }

    #[test]
    fn now_has_the_shape() {
        let now = rfc3339_now();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.starts_with("20") && now.ends_with('Z'), "{now}");
    }
}
