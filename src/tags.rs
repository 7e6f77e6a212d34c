//! Custom tag templates (`--add-custom-tag`): werf's `%image%`, `%image_slug%`,
//! `%image_safe_slug%` and `%image_content_based_tag%`, rendered and validated per final image.

use crate::names::ImageName;

/// A parsed `--add-custom-tag` template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagTemplate {
    raw: String,
}

#[derive(Debug, thiserror::Error)]
pub enum TagError {
    #[error("custom tag {template:?}: {reason}")]
    Invalid { template: String, reason: String },
}

impl TagTemplate {
    pub fn parse(template: &str) -> Result<Self, TagError> {
        let _ = template;
        todo!()
    }

    /// The tag for `image` whose stage tag is `content_tag`.
    pub fn render(&self, image: &ImageName, content_tag: &str) -> String {
        let _ = (image, content_tag, &self.raw);
        todo!()
    }
}

/// Renders every template for every `(final image, content tag)` and validates the result:
/// valid Docker tags, at most 128 characters, distinct between images.
pub fn plan_custom_tags(
    templates: &[TagTemplate],
    images: &[(ImageName, String)],
) -> Result<Vec<(ImageName, Vec<String>)>, TagError> {
    let _ = (templates, images);
    todo!()
}
