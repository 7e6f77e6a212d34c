//! Making any generated value a valid Docker tag (`[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`), keeping
//! `%image%` placeholders for the per-image rendering that comes later.

use sha2::{Digest, Sha256};

use crate::names::ImageName;

pub const MAX_TAG_LEN: usize = 128;

/// The placeholder left in tags for the image name.
pub const IMAGE_PLACEHOLDER: &str = "%image%";

/// metadata-action's rule: every run of characters outside `[A-Za-z0-9._-]` becomes one `-`.
pub fn replace_invalid(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_run = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('-');
            in_run = true;
        }
    }
    out
}

/// Why a value had to change to become a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adjustment {
    /// Characters outside the tag alphabet were replaced with `-`.
    Replaced,
    /// Leading `.` or `-` were removed (a tag must start with a letter, digit or `_`).
    LeadingTrimmed,
    /// Longer than 128 characters: cut, with a hash of the full value appended.
    Shortened { length: usize },
}

/// The value as a valid tag (`None` when nothing valid is left), and what was changed.
/// `%image%` is kept as is and counts as the shortest image name (one character) would, so
/// the per-image rendering in [`render_for_image`] decides about length when the name is known.
pub fn make_valid(value: &str) -> (Option<String>, Vec<Adjustment>) {
    let mut adjustments = Vec::new();
    let pieces: Vec<String> = value
        .split(IMAGE_PLACEHOLDER)
        .map(replace_invalid)
        .collect();
    let mut tag = pieces.join(IMAGE_PLACEHOLDER);
    if tag != value {
        adjustments.push(Adjustment::Replaced);
    }
    let trimmed = tag.trim_start_matches(['.', '-']);
    if trimmed.len() != tag.len() {
        adjustments.push(Adjustment::LeadingTrimmed);
        tag = trimmed.to_owned();
    }
    if tag.is_empty() {
        return (None, adjustments);
    }
    if !tag.contains(IMAGE_PLACEHOLDER) && tag.len() > MAX_TAG_LEN {
        adjustments.push(Adjustment::Shortened { length: tag.len() });
        tag = shorten(&tag);
    }
    (Some(tag), adjustments)
}

/// A value over 128 characters cut to 119 and suffixed with `-` and 8 hex digits of the SHA-256
/// of the whole value, so distinct long values stay distinct and the same one always maps alike.
pub fn shorten(tag: &str) -> String {
    if tag.len() <= MAX_TAG_LEN {
        return tag.to_owned();
    }
    let hash = Sha256::digest(tag.as_bytes());
    let hex: String = hash[..4].iter().map(|b| format!("{b:02x}")).collect();
    // The alphabet is ASCII here, so byte indexing cuts between characters.
    format!("{}-{hex}", &tag[..MAX_TAG_LEN - 9])
}

/// A tag from the rules with `%image%` replaced by `image`'s name (its `/` and other
/// non-tag characters made `-`), then made valid again. An unnamed image renders as `image`.
pub fn render_for_image(tag: &str, image: &ImageName) -> String {
    let name = if image.is_unnamed() {
        "image".to_owned()
    } else {
        replace_invalid(image.as_str())
    };
    let rendered = tag.replace(IMAGE_PLACEHOLDER, &name);
    let (valid, _) = make_valid(&rendered);
    // Image names start with a letter or digit, so something valid always remains.
    valid.unwrap_or(name)
}

/// Whether `s` is a valid Docker tag.
pub fn is_valid_tag(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= MAX_TAG_LEN
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let cases: &[(&str, Option<&str>)] = &[
            ("main", Some("main")),
            ("feature/x", Some("feature-x")),
            ("Feature/UPPER#12", Some("Feature-UPPER-12")),
            ("a//b  c", Some("a-b-c")),
            ("-leading", Some("leading")),
            (".hidden", Some("hidden")),
            ("/x", Some("x")),
            ("%image%-main", Some("%image%-main")),
            ("ü", None),
            ("--", None),
        ];
        for (input, want) in cases {
            assert_eq!(make_valid(input).0.as_deref(), *want, "{input}");
        }
    }

    #[test]
    fn long_values_are_shortened_deterministically() {
        let long = "a".repeat(300);
        let (tag, adj) = make_valid(&long);
        let tag = tag.unwrap();
        assert_eq!(tag.len(), 128);
        assert!(is_valid_tag(&tag));
        assert!(tag.starts_with(&"a".repeat(119)));
        assert_eq!(adj, [Adjustment::Shortened { length: 300 }]);
        assert_eq!(make_valid(&long).0.unwrap(), tag);
        let other = format!("{}b", "a".repeat(299));
        assert_ne!(make_valid(&other).0.unwrap(), tag);
        assert_eq!(shorten("short"), "short");
    }

    #[test]
    fn per_image_rendering() {
        let img = ImageName::parse("backend/api").unwrap();
        assert_eq!(render_for_image("%image%-main", &img), "backend-api-main");
        assert_eq!(render_for_image("main", &img), "main");
        assert_eq!(render_for_image("%image%", &ImageName::unnamed()), "image");
        let long = format!("%image%-{}", "x".repeat(125));
        let r = render_for_image(&long, &img);
        assert_eq!(r.len(), 128);
        assert!(is_valid_tag(&r));
    }
}
