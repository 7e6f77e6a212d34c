//! The envfile report: `KEY=VALUE` lines a deploy step can source, seven variables per image.
//! werf prints images in map order (random); slipway sorts them by name so runs diff cleanly.

use super::{ImageReport, Report};
use crate::names::ImageName;

/// `WERF_<N>_` for an image, where `<N>` is the name upper-cased with `/`, `-` and `.` turned
/// into `_` (the characters a shell variable name cannot hold); plain `WERF_` for the unnamed
/// image.
pub fn variable_prefix(name: &ImageName) -> String {
    if name.is_unnamed() {
        return "WERF_".to_owned();
    }
    let n: String = name
        .as_str()
        .chars()
        .map(|c| match c {
            '/' | '-' | '.' => '_',
            c => c.to_ascii_uppercase(),
        })
        .collect();
    format!("WERF_{n}_")
}

/// The envfile report; values are unquoted, as werf writes them.
pub fn to_envfile(report: &Report) -> String {
    let mut images: Vec<&ImageReport> = report.images.iter().collect();
    images.sort_by(|a, b| a.werf_image_name.cmp(&b.werf_image_name));
    let mut out = String::new();
    for image in images {
        let prefix = variable_prefix(&image.werf_image_name);
        let vars = [
            ("DOCKER_IMAGE_NAME", image.docker_image_name.as_str()),
            ("DOCKER_IMAGE_ID", &image.docker_image_id),
            ("DOCKER_IMAGE_DIGEST", &image.docker_image_digest),
            ("DOCKER_REPO", &image.docker_repo),
            ("DOCKER_TAG", &image.docker_tag),
            ("WERF_IMAGE_NAME", image.werf_image_name.as_str()),
            ("FINAL", if image.is_final { "true" } else { "false" }),
        ];
        for (key, value) in vars {
            out.push_str(&format!("{prefix}{key}={value}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::two_images;
    use super::*;

    #[test]
    fn prefixes() {
        for (name, expected) in [
            ("backend", "WERF_BACKEND_"),
            ("frontend-assets", "WERF_FRONTEND_ASSETS_"),
            ("a/b.c_d-E", "WERF_A_B_C_D_E_"),
        ] {
            assert_eq!(
                variable_prefix(&ImageName::parse(name).unwrap()),
                expected,
                "{name}"
            );
        }
        assert_eq!(variable_prefix(&ImageName::unnamed()), "WERF_");
    }

    #[test]
    fn two_images_verbatim_sorted_by_name() {
        let mut report = two_images(ImageName::parse("zeta").unwrap());
        // Out of order on purpose: the envfile sorts.
        assert_eq!(report.images[0].werf_image_name.as_str(), "zeta");
        report.images[1].is_final = true;
        let expected = "\
WERF_FRONTEND_ASSETS_V2_DOCKER_IMAGE_NAME=localhost:5000/demo:bbbb-1700000000456
WERF_FRONTEND_ASSETS_V2_DOCKER_IMAGE_ID=sha256:1111
WERF_FRONTEND_ASSETS_V2_DOCKER_IMAGE_DIGEST=sha256:2222
WERF_FRONTEND_ASSETS_V2_DOCKER_REPO=localhost:5000/demo
WERF_FRONTEND_ASSETS_V2_DOCKER_TAG=bbbb-1700000000456
WERF_FRONTEND_ASSETS_V2_WERF_IMAGE_NAME=frontend/assets.v2
WERF_FRONTEND_ASSETS_V2_FINAL=true
WERF_ZETA_DOCKER_IMAGE_NAME=localhost:5000/demo:aaaa-1700000000123
WERF_ZETA_DOCKER_IMAGE_ID=sha256:1111
WERF_ZETA_DOCKER_IMAGE_DIGEST=sha256:2222
WERF_ZETA_DOCKER_REPO=localhost:5000/demo
WERF_ZETA_DOCKER_TAG=aaaa-1700000000123
WERF_ZETA_WERF_IMAGE_NAME=zeta
WERF_ZETA_FINAL=true
";
        assert_eq!(to_envfile(&report), expected);
    }

    #[test]
    fn unnamed_image_verbatim() {
        let report = two_images(ImageName::unnamed());
        let expected = "\
WERF_DOCKER_IMAGE_NAME=localhost:5000/demo:aaaa-1700000000123
WERF_DOCKER_IMAGE_ID=sha256:1111
WERF_DOCKER_IMAGE_DIGEST=sha256:2222
WERF_DOCKER_REPO=localhost:5000/demo
WERF_DOCKER_TAG=aaaa-1700000000123
WERF_WERF_IMAGE_NAME=
WERF_FINAL=true
WERF_FRONTEND_ASSETS_V2_DOCKER_IMAGE_NAME=localhost:5000/demo:bbbb-1700000000456
WERF_FRONTEND_ASSETS_V2_DOCKER_IMAGE_ID=sha256:1111
WERF_FRONTEND_ASSETS_V2_DOCKER_IMAGE_DIGEST=sha256:2222
WERF_FRONTEND_ASSETS_V2_DOCKER_REPO=localhost:5000/demo
WERF_FRONTEND_ASSETS_V2_DOCKER_TAG=bbbb-1700000000456
WERF_FRONTEND_ASSETS_V2_WERF_IMAGE_NAME=frontend/assets.v2
WERF_FRONTEND_ASSETS_V2_FINAL=false
";
        assert_eq!(to_envfile(&report), expected);
    }

    #[test]
    fn no_images_no_lines() {
        let mut report = two_images(ImageName::unnamed());
        report.images.clear();
        assert_eq!(to_envfile(&report), "");
    }
}
