//! Custom tag templates (`--add-custom-tag`): werf's `%image%`, `%image_slug%`,
//! `%image_safe_slug%` and `%image_content_based_tag%`, rendered and validated per final image.

use std::collections::HashMap;

use crate::names::ImageName;

/// Docker's (and werf's) limit on a tag's length.
pub const MAX_TAG_LEN: usize = 128;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Image,
    ImageSlug,
    ImageSafeSlug,
    ContentTag,
}

/// A parsed `--add-custom-tag` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagTemplate {
    raw: String,
    parts: Vec<Part>,
}

#[derive(Debug, thiserror::Error)]
pub enum TagError {
    #[error(
        "custom tag {template:?} is empty; pass a tag such as \"latest\" or \"%image_slug%-latest\""
    )]
    Empty { template: String },
    #[error(
        "custom tag {template:?}: unknown placeholder {placeholder}; use %image%, %image_slug%, \
         %image_safe_slug% or %image_content_based_tag%"
    )]
    UnknownPlaceholder {
        template: String,
        placeholder: String,
    },
    #[error(
        "custom tag {template:?}: a '%' that does not close a placeholder; placeholders are \
         written %name%, and a tag cannot contain '%' otherwise"
    )]
    Unclosed { template: String },
    #[error(
        "custom tag {:?} for image {}: {:?} is not a valid docker tag: {}; {}",
        .0.template, .0.image, .0.tag, .0.problem, .0.hint
    )]
    InvalidTag(Box<InvalidTag>),
    #[error(
        "custom tag {template:?} does not name the image, but there are {count} final images \
         ({images}) and each needs its own tag; add %image% or %image_slug%, e.g. \
         \"%image_slug%-{template}\""
    )]
    NoImagePlaceholder {
        template: String,
        count: usize,
        images: String,
    },
    #[error(
        "custom tag {:?} for image {} renders {:?}, the same as custom tag {:?} for image {}; a \
         tag points to one image only, so make the templates tell the images apart \
         (%image_safe_slug% adds a hash when slugging merges names)",
        .0.template, .0.image, .0.tag, .0.first_template, .0.first_image
    )]
    SameTag(Box<SameTag>),
}

/// A rendered tag Docker would refuse. Boxed so that `TagError` stays small.
#[derive(Debug)]
pub struct InvalidTag {
    pub template: String,
    /// As displayed (`~` for the unnamed image).
    pub image: String,
    pub tag: String,
    pub problem: String,
    pub hint: String,
}

/// One tag rendered for two different images. Boxed so that `TagError` stays small.
#[derive(Debug)]
pub struct SameTag {
    pub template: String,
    pub image: String,
    pub tag: String,
    pub first_template: String,
    pub first_image: String,
}

impl TagTemplate {
    /// Parses `template`; every `%name%` must be one of werf's four placeholders. werf parses
    /// templates as Go templates with `%` delimiters, so `% image %` is accepted too.
    pub fn parse(template: &str) -> Result<Self, TagError> {
        if template.trim().is_empty() {
            return Err(TagError::Empty {
                template: template.to_owned(),
            });
        }
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(start) = rest.find('%') {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_owned()));
            }
            let after = &rest[start + 1..];
            let end = after.find('%').ok_or_else(|| TagError::Unclosed {
                template: template.to_owned(),
            })?;
            parts.push(match after[..end].trim_matches(' ') {
                "image" => Part::Image,
                "image_slug" => Part::ImageSlug,
                "image_safe_slug" => Part::ImageSafeSlug,
                "image_content_based_tag" => Part::ContentTag,
                _ => {
                    return Err(TagError::UnknownPlaceholder {
                        template: template.to_owned(),
                        placeholder: format!("%{}%", &after[..end]),
                    });
                }
            });
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Self {
            raw: template.to_owned(),
            parts,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether the rendered tag depends on the image name.
    pub fn names_image(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Image | Part::ImageSlug | Part::ImageSafeSlug))
    }

    /// The tag for `image` whose stage tag is `content_tag`. The unnamed image's name is empty,
    /// as in werf.
    pub fn render(&self, image: &ImageName, content_tag: &str) -> String {
        let name = image.as_str();
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Image => name.to_owned(),
                Part::ImageSlug => slug(name),
                Part::ImageSafeSlug => safe_slug(name),
                Part::ContentTag => content_tag.to_owned(),
            })
            .collect()
    }
}

/// Renders every template for every `(final image, content tag)` and validates the result:
/// valid Docker tags, at most 128 characters, distinct between images. The result keeps the
/// order of `images`, each image's tags in template order without repeats.
pub fn plan_custom_tags(
    templates: &[TagTemplate],
    images: &[(ImageName, String)],
) -> Result<Vec<(ImageName, Vec<String>)>, TagError> {
    let mut planned: Vec<(ImageName, Vec<String>)> = images
        .iter()
        .map(|(n, _)| (n.clone(), Vec::new()))
        .collect();
    // Tag → (template, image) that produced it first, across all templates: two templates can
    // collide too (`%image%` for "a-b" and `%image%-b` for "a").
    let mut owners: HashMap<String, (&TagTemplate, &ImageName)> = HashMap::new();
    for template in templates {
        // werf's rule, checked before rendering: content tags may differ by chance, but a tag
        // meant for several images must say which image it is.
        if images.len() > 1 && !template.names_image() {
            return Err(TagError::NoImagePlaceholder {
                template: template.raw.clone(),
                count: images.len(),
                images: images
                    .iter()
                    .map(|(n, _)| n.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        for ((image, content_tag), (_, tags)) in images.iter().zip(planned.iter_mut()) {
            let tag = template.render(image, content_tag);
            check_tag(template, image, &tag)?;
            match owners.get(&tag) {
                Some((first_template, first_image)) if *first_image != image => {
                    return Err(TagError::SameTag(Box::new(SameTag {
                        template: template.raw.clone(),
                        image: image.to_string(),
                        tag,
                        first_template: first_template.raw.clone(),
                        first_image: first_image.to_string(),
                    })));
                }
                Some(_) => {}
                None => {
                    owners.insert(tag.clone(), (template, image));
                }
            }
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
    }
    Ok(planned)
}

fn check_tag(template: &TagTemplate, image: &ImageName, tag: &str) -> Result<(), TagError> {
    let problem = if tag.is_empty() {
        "it is empty".to_owned()
    } else if tag.len() > MAX_TAG_LEN {
        format!(
            "it is {} characters long and at most {MAX_TAG_LEN} are allowed",
            tag.len()
        )
    } else if !matches_tag_pattern(tag) {
        "a tag starts with a letter, digit or '_' and contains only letters, digits, '_', '.' \
         and '-'"
            .to_owned()
    } else {
        return Ok(());
    };
    let hint = if image.is_unnamed() && template.names_image() {
        "the unnamed image (image: ~) has an empty name; use a template without the image name, \
         e.g. \"latest\""
            .to_owned()
    } else if template.parts.contains(&Part::Image) && !is_valid_tag(image.as_str()) {
        format!(
            "the image name {:?} is not a valid tag by itself, so use %image_slug% or \
             %image_safe_slug% instead of %image%",
            image.as_str()
        )
    } else if tag.len() > MAX_TAG_LEN {
        "shorten the template".to_owned()
    } else {
        "change the template so that it renders a valid tag".to_owned()
    };
    Err(TagError::InvalidTag(Box::new(InvalidTag {
        template: template.raw.clone(),
        image: image.to_string(),
        tag: tag.to_owned(),
        problem,
        hint,
    })))
}

/// `^[\w][\w.-]*$` with ASCII `\w`, as Docker and werf check tags.
fn matches_tag_pattern(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let bytes = tag.as_bytes();
    !bytes.is_empty() && word(bytes[0]) && bytes.iter().all(|&b| word(b) || b == b'.' || b == b'-')
}

/// A valid tag: the pattern and at most 128 characters.
pub fn is_valid_tag(tag: &str) -> bool {
    tag.len() <= MAX_TAG_LEN && matches_tag_pattern(tag)
}

/// werf's `%image_slug%`: lower-cased, with separators (`/`, `.`, `_`, space and the like) turned
/// into `-`, other characters dropped, dashes collapsed and trimmed. No hash, so different names
/// can give the same slug ("a.b" and "a-b").
///
/// Image names are ASCII, so only werf's ASCII transliterations matter; any other character is
/// dropped.
pub fn slug(name: &str) -> String {
    let mapped: String = name
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' => Some(c),
            'A'..='Z' => Some(c.to_ascii_lowercase()),
            '&' | '(' | ')' | '{' | '}' | '[' | ']' | '-' | '_' | ',' | '.' | ';' | ':' | '='
            | '+' | '<' | '>' | '~' | '/' | ' ' => Some('-'),
            _ => None,
        })
        .collect();
    mapped
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// werf's `%image_safe_slug%` (its docker-tag slug): a name that is already a valid tag is kept;
/// otherwise its slug, cropped to fit 128 characters, plus `-` and a MurmurHash3 of the name, so
/// distinct names stay distinct.
pub fn safe_slug(name: &str) -> String {
    if name.is_empty() || is_valid_tag(name) {
        name.to_owned()
    } else {
        hashed_slug(name, MAX_TAG_LEN)
    }
}

/// The slug of `data` cut to leave room for `-<hash>` within `max`, then the hash. The hash is
/// printed in hex without leading zeros (1 to 8 characters), as werf prints it; the crop may
/// leave a trailing dash before the separator ("…encrypt--83286e5"), as in werf.
fn hashed_slug(data: &str, max: usize) -> String {
    let hash = format!("{:x}", murmur3_32(data.as_bytes(), 0));
    let slugged = slug(data);
    if slugged.is_empty() {
        return hash;
    }
    let keep = slugged.len().min(max.saturating_sub(hash.len() + 1));
    format!("{}-{hash}", &slugged[..keep])
}

/// MurmurHash3, x86 32-bit variant.
fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let scramble = |k: u32| k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    let mut h = seed;
    let blocks = data.chunks_exact(4);
    let tail = blocks.remainder();
    for block in blocks {
        let k = u32::from_le_bytes(block.try_into().expect("chunks of four"));
        h ^= scramble(k);
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    if !tail.is_empty() {
        let k = tail
            .iter()
            .enumerate()
            .fold(0u32, |k, (i, &b)| k | u32::from(b) << (8 * i));
        h ^= scramble(k);
    }
    // The length is mixed in modulo 2^32 by definition of the hash.
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> ImageName {
        if s == "~" {
            ImageName::unnamed()
        } else {
            ImageName::parse(s).unwrap()
        }
    }

    const CONTENT: &str = "0123456789abcdef0123456789abcdef0123456789abcdef01234567-1700000000123";

    #[test]
    fn slugs() {
        for (input, expected) in [
            ("backend", "backend"),
            ("Frontend/Assets.v2", "frontend-assets-v2"),
            ("libstdc++", "libstdc"),
            ("a__b--c..d", "a-b-c-d"),
            ("-x-", "x"),
            ("branch/one/!@#4.4-3", "branch-one-4-4-3"),
            ("", ""),
        ] {
            assert_eq!(slug(input), expected, "{input}");
        }
    }

    #[test]
    fn safe_slugs_match_werf() {
        // Expected values are werf's own (its slug tests and `werf slugify -f docker-tag`).
        let long = "x".repeat(129);
        let long_expected = format!("{}-8cca70eb", "x".repeat(119));
        for (input, expected) in [
            ("", ""),
            ("backend", "backend"),
            ("16.04", "16.04"),
            ("Frontend_v2", "Frontend_v2"),
            ("-data", "data-a871d86e"),
            ("da/ta", "da-ta-afa96f8"),
            ("helo/ehlo", "helo-ehlo-b6f6ab1f"),
            (long.as_str(), long_expected.as_str()),
        ] {
            assert_eq!(safe_slug(input), expected, "{input}");
        }
    }

    #[test]
    fn hashed_slugs_match_werf() {
        for (input, max, expected) in [
            ("A", 42, "a-54dcf7ce"),
            (
                "php_fpm_exporter-monitoring-dev-encrypt-1",
                48,
                "php-fpm-exporter-monitoring-dev-encrypt--83286e5",
            ),
            (
                "postgres-feature-31981-change-delivery-date-del-result",
                48,
                "postgres-feature-31981-change-delivery--852739dc",
            ),
        ] {
            assert_eq!(hashed_slug(input, max), expected, "{input}");
        }
    }

    #[test]
    fn murmur3_reference_vectors() {
        for (input, seed, expected) in [
            ("", 0, 0),
            ("", 1, 0x514e_28b7),
            ("a", 0, 0x3c25_69b2),
            ("abc", 0, 0xb3dd_93fa),
            ("abcd", 0, 0x43ed_676a),
            ("Hello, world!", 0x9747_b28c, 0x2488_4cba),
        ] {
            assert_eq!(murmur3_32(input.as_bytes(), seed), expected, "{input:?}");
        }
    }

    #[test]
    fn parse_and_render() {
        for (template, image, expected) in [
            ("latest", "backend", "latest"),
            ("%image%-latest", "backend", "backend-latest"),
            ("%image_slug%-v1", "frontend/assets", "frontend-assets-v1"),
            (
                "%image_safe_slug%",
                "frontend/assets",
                "frontend-assets-2a4076ca",
            ),
            ("%image_safe_slug%", "Frontend_v2", "Frontend_v2"),
            ("% image %.x", "api", "api.x"),
            ("%image_content_based_tag%", "api", CONTENT),
            (
                "%image%-%image_content_based_tag%",
                "api",
                &format!("api-{CONTENT}"),
            ),
            ("v1-%image%", "~", "v1-"),
        ] {
            let t = TagTemplate::parse(template).unwrap();
            assert_eq!(t.as_str(), template);
            assert_eq!(
                t.render(&name(image), CONTENT),
                expected,
                "{template} {image}"
            );
        }
    }

    #[test]
    fn parse_errors_verbatim() {
        for (template, expected) in [
            (
                "",
                "custom tag \"\" is empty; pass a tag such as \"latest\" or \"%image_slug%-latest\"",
            ),
            (
                "  ",
                "custom tag \"  \" is empty; pass a tag such as \"latest\" or \"%image_slug%-latest\"",
            ),
            (
                "%image_name%-latest",
                "custom tag \"%image_name%-latest\": unknown placeholder %image_name%; use \
                 %image%, %image_slug%, %image_safe_slug% or %image_content_based_tag%",
            ),
            (
                "v%%",
                "custom tag \"v%%\": unknown placeholder %%; use %image%, %image_slug%, \
                 %image_safe_slug% or %image_content_based_tag%",
            ),
            (
                "%image%-100%",
                "custom tag \"%image%-100%\": a '%' that does not close a placeholder; \
                 placeholders are written %name%, and a tag cannot contain '%' otherwise",
            ),
        ] {
            assert_eq!(
                TagTemplate::parse(template).unwrap_err().to_string(),
                expected,
                "{template:?}"
            );
        }
    }

    type PlanCase = (
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
        Result<&'static [(&'static str, &'static [&'static str])], &'static str>,
    );

    #[test]
    fn plans() {
        let cases: &[PlanCase] = &[
            ("no images", &["latest"], &[], Ok(&[])),
            (
                "no templates",
                &[],
                &["a", "b"],
                Ok(&[("a", &[]), ("b", &[])]),
            ),
            (
                "one image, plain tag",
                &["latest", "v1"],
                &["backend"],
                Ok(&[("backend", &["latest", "v1"])]),
            ),
            (
                "unnamed image, plain tag",
                &["latest"],
                &["~"],
                Ok(&[("~", &["latest"])]),
            ),
            (
                "several images",
                &["%image%-latest", "%image_slug%-v1"],
                &["backend", "frontend/assets"],
                Err("custom tag \"%image%-latest\" for image frontend/assets: \
                     \"frontend/assets-latest\" is not a valid docker tag: a tag starts with a \
                     letter, digit or '_' and contains only letters, digits, '_', '.' and '-'; \
                     the image name \"frontend/assets\" is not a valid tag by itself, so use \
                     %image_slug% or %image_safe_slug% instead of %image%"),
            ),
            (
                "several images, slugs",
                &["%image_slug%-latest", "%image_safe_slug%"],
                &["backend", "frontend/assets"],
                Ok(&[
                    ("backend", &["backend-latest", "backend"]),
                    (
                        "frontend/assets",
                        &["frontend-assets-latest", "frontend-assets-2a4076ca"],
                    ),
                ]),
            ),
            (
                "repeats collapse",
                &["%image%", "%image%"],
                &["a", "b"],
                Ok(&[("a", &["a"]), ("b", &["b"])]),
            ),
            (
                "no image placeholder for several images",
                &["latest"],
                &["backend", "frontend"],
                Err(
                    "custom tag \"latest\" does not name the image, but there are 2 final images \
                     (backend, frontend) and each needs its own tag; add %image% or \
                     %image_slug%, e.g. \"%image_slug%-latest\"",
                ),
            ),
            (
                "content tag alone for several images",
                &["%image_content_based_tag%"],
                &["a", "b"],
                Err(
                    "custom tag \"%image_content_based_tag%\" does not name the image, but there \
                     are 2 final images (a, b) and each needs its own tag; add %image% or \
                     %image_slug%, e.g. \"%image_slug%-%image_content_based_tag%\"",
                ),
            ),
            (
                "slugs merge names",
                &["%image_slug%"],
                &["a-b", "a.b"],
                Err(
                    "custom tag \"%image_slug%\" for image a.b renders \"a-b\", the same as custom \
                     tag \"%image_slug%\" for image a-b; a tag points to one image only, so make \
                     the templates tell the images apart (%image_safe_slug% adds a hash when \
                     slugging merges names)",
                ),
            ),
            (
                "two templates collide",
                &["%image%", "%image%-b"],
                &["a-b", "a"],
                Err(
                    "custom tag \"%image%-b\" for image a renders \"a-b\", the same as custom tag \
                     \"%image%\" for image a-b; a tag points to one image only, so make the \
                     templates tell the images apart (%image_safe_slug% adds a hash when \
                     slugging merges names)",
                ),
            ),
            (
                "unnamed image with the image name",
                &["%image%-latest"],
                &["~"],
                Err(
                    "custom tag \"%image%-latest\" for image ~: \"-latest\" is not a valid docker \
                     tag: a tag starts with a letter, digit or '_' and contains only letters, \
                     digits, '_', '.' and '-'; the unnamed image (image: ~) has an empty name; \
                     use a template without the image name, e.g. \"latest\"",
                ),
            ),
            (
                "unnamed image, slug renders nothing",
                &["%image_slug%"],
                &["~"],
                Err(
                    "custom tag \"%image_slug%\" for image ~: \"\" is not a valid docker tag: it \
                     is empty; the unnamed image (image: ~) has an empty name; use a template \
                     without the image name, e.g. \"latest\"",
                ),
            ),
            (
                "leading dot",
                &[".%image%"],
                &["api"],
                Err(
                    "custom tag \".%image%\" for image api: \".api\" is not a valid docker tag: a \
                     tag starts with a letter, digit or '_' and contains only letters, digits, \
                     '_', '.' and '-'; change the template so that it renders a valid tag",
                ),
            ),
            (
                "too long",
                &["%image%-%image_content_based_tag%-%image_content_based_tag%"],
                &["api"],
                Err(
                    "custom tag \"%image%-%image_content_based_tag%-%image_content_based_tag%\" \
                     for image api: \"api-0123456789abcdef0123456789abcdef0123456789abcdef01234567-1700000000123-0123456789abcdef0123456789abcdef0123456789abcdef01234567-1700000000123\" \
                     is not a valid docker tag: it is 145 characters long and at most 128 are \
                     allowed; shorten the template",
                ),
            ),
            (
                "exactly 128",
                &["%image_content_based_tag%-%image%"],
                &["abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz01234"],
                Ok(&[(
                    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz01234",
                    &[
                        "0123456789abcdef0123456789abcdef0123456789abcdef01234567-1700000000123-abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz01234",
                    ],
                )]),
            ),
        ];
        for (case, templates, images, expected) in cases {
            let templates: Vec<TagTemplate> = templates
                .iter()
                .map(|t| TagTemplate::parse(t).unwrap())
                .collect();
            let images: Vec<(ImageName, String)> = images
                .iter()
                .map(|i| (name(i), CONTENT.to_owned()))
                .collect();
            let got = plan_custom_tags(&templates, &images)
                .map(|planned| {
                    planned
                        .into_iter()
                        .map(|(n, tags)| (n.to_string(), tags))
                        .collect::<Vec<_>>()
                })
                .map_err(|e| e.to_string());
            let expected = expected
                .map(|planned| {
                    planned
                        .iter()
                        .map(|(n, tags)| {
                            (n.to_string(), tags.iter().map(|t| t.to_string()).collect())
                        })
                        .collect::<Vec<_>>()
                })
                .map_err(str::to_owned);
            assert_eq!(got, expected, "{case}");
        }
    }
}
