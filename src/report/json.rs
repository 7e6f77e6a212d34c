//! The JSON report in werf v2's layout: tab-indented, keys in werf's order (the order Go's
//! encoder emits struct fields in), images keyed by their werf name in plan order.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::{ImageReport, Report, StageReport};

/// werf prints durations as seconds with two decimals, in a string.
fn seconds(s: f64) -> String {
    // A clock step backwards or an unset time must not print "-0.00" or "NaN".
    let s = if s.is_finite() && s > 0.0 { s } else { 0.0 };
    format!("{s:.2}")
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JsonReport<'a> {
    runtime: JsonRuntime<'a>,
    images: JsonImages<'a>,
    /// Multi-platform builds are not supported, so this is always empty, as in werf without
    /// `WERF_ENABLE_REPORT_BY_PLATFORM`.
    images_by_platform: Empty,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JsonRuntime<'a> {
    backend: &'a str,
    in_container: bool,
}

struct Empty;

impl Serialize for Empty {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_map(Some(0))?.end()
    }
}

/// A map in the order of the vector: serde's maps would sort or hash the keys.
struct JsonImages<'a>(&'a [ImageReport]);

impl Serialize for JsonImages<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for image in self.0 {
            // werf keys the unnamed image (`image: ~`) by its empty name.
            map.serialize_entry(image.werf_image_name.as_str(), &JsonImage::from(image))?;
        }
        map.end()
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JsonImage<'a> {
    werf_image_name: &'a str,
    config_type: &'static str,
    docker_repo: &'a str,
    docker_tag: &'a str,
    #[serde(rename = "DockerImageID")]
    docker_image_id: &'a str,
    docker_image_digest: &'a str,
    docker_image_name: &'a str,
    target_platform: &'a str,
    rebuilt: bool,
    #[serde(rename = "Final")]
    is_final: bool,
    size: u64,
    build_time: String,
    commit: &'a str,
    stages: Vec<JsonStage<'a>>,
    /// slipway's own key, after werf's (which keep their order); only on built images.
    #[serde(rename = "rebuildReasons", skip_serializing_if = "<[_]>::is_empty")]
    rebuild_reasons: &'a [String],
}

impl<'a> From<&'a ImageReport> for JsonImage<'a> {
    fn from(i: &'a ImageReport) -> Self {
        Self {
            werf_image_name: i.werf_image_name.as_str(),
            // slipway builds Dockerfile images only.
            config_type: "dockerfile",
            docker_repo: &i.docker_repo,
            docker_tag: &i.docker_tag,
            docker_image_id: &i.docker_image_id,
            docker_image_digest: &i.docker_image_digest,
            docker_image_name: &i.docker_image_name,
            target_platform: &i.target_platform,
            rebuilt: i.rebuilt,
            is_final: i.is_final,
            size: i.size,
            build_time: seconds(i.build_time_seconds),
            commit: &i.commit,
            stages: i.stages.iter().map(JsonStage::from).collect(),
            rebuild_reasons: &i.rebuild_reasons,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct JsonStage<'a> {
    name: &'a str,
    docker_image_name: &'a str,
    docker_tag: &'a str,
    #[serde(rename = "DockerImageID")]
    docker_image_id: &'a str,
    docker_image_digest: &'a str,
    created_at: u128,
    size: u64,
    source_type: &'a str,
    base_image_pulled: bool,
    rebuilt: bool,
    build_time: String,
    commit: &'a str,
}

impl<'a> From<&'a StageReport> for JsonStage<'a> {
    fn from(s: &'a StageReport) -> Self {
        Self {
            name: &s.name,
            docker_image_name: &s.docker_image_name,
            docker_tag: &s.docker_tag,
            docker_image_id: &s.docker_image_id,
            docker_image_digest: &s.docker_image_digest,
            created_at: s.created_at_ns,
            size: s.size,
            source_type: &s.source_type,
            base_image_pulled: s.base_image_pulled,
            rebuilt: s.rebuilt,
            // werf reports "0.00" for a stage it did not build in this run, whatever it took
            // to find it.
            build_time: if s.rebuilt {
                seconds(s.build_time_seconds)
            } else {
                seconds(0.0)
            },
            commit: &s.commit,
        }
    }
}

/// The JSON report, as werf writes it (tabs, werf's key order, a trailing newline).
pub fn to_json(report: &Report) -> String {
    let doc = JsonReport {
        runtime: JsonRuntime {
            backend: &report.runtime.backend,
            in_container: report.runtime.in_container,
        },
        images: JsonImages(&report.images),
        images_by_platform: Empty,
    };
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(b"\t"),
    );
    doc.serialize(&mut ser)
        .expect("string-keyed structs serialize into memory");
    out.push(b'\n');
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::two_images;
    use super::*;
    use crate::names::ImageName;

    #[test]
    fn two_images_verbatim() {
        let report = two_images(ImageName::parse("backend").unwrap());
        let expected = r#"{
	"Runtime": {
		"Backend": "docker",
		"InContainer": false
	},
	"Images": {
		"backend": {
			"WerfImageName": "backend",
			"ConfigType": "dockerfile",
			"DockerRepo": "localhost:5000/demo",
			"DockerTag": "aaaa-1700000000123",
			"DockerImageID": "sha256:1111",
			"DockerImageDigest": "sha256:2222",
			"DockerImageName": "localhost:5000/demo:aaaa-1700000000123",
			"TargetPlatform": "linux/amd64",
			"Rebuilt": true,
			"Final": true,
			"Size": 20960980,
			"BuildTime": "1.23",
			"Commit": "0123abc",
			"Stages": [
				{
					"Name": "backend",
					"DockerImageName": "localhost:5000/demo:aaaa-1700000000123",
					"DockerTag": "aaaa-1700000000123",
					"DockerImageID": "sha256:1111",
					"DockerImageDigest": "sha256:2222",
					"CreatedAt": 1700000000123000000,
					"Size": 20960980,
					"SourceType": "",
					"BaseImagePulled": false,
					"Rebuilt": true,
					"BuildTime": "1.23",
					"Commit": "0123abc"
				}
			]
		},
		"frontend/assets.v2": {
			"WerfImageName": "frontend/assets.v2",
			"ConfigType": "dockerfile",
			"DockerRepo": "localhost:5000/demo",
			"DockerTag": "bbbb-1700000000456",
			"DockerImageID": "sha256:1111",
			"DockerImageDigest": "sha256:2222",
			"DockerImageName": "localhost:5000/demo:bbbb-1700000000456",
			"TargetPlatform": "linux/amd64",
			"Rebuilt": false,
			"Final": false,
			"Size": 20960980,
			"BuildTime": "0.00",
			"Commit": "0123abc",
			"Stages": [
				{
					"Name": "frontend/assets.v2",
					"DockerImageName": "localhost:5000/demo:bbbb-1700000000456",
					"DockerTag": "bbbb-1700000000456",
					"DockerImageID": "sha256:1111",
					"DockerImageDigest": "sha256:2222",
					"CreatedAt": 1700000000123000000,
					"Size": 20960980,
					"SourceType": "repo",
					"BaseImagePulled": false,
					"Rebuilt": false,
					"BuildTime": "0.00",
					"Commit": "0123abc"
				}
			]
		}
	},
	"ImagesByPlatform": {}
}
"#;
        assert_eq!(to_json(&report), expected);
    }

    #[test]
    fn unnamed_image_is_keyed_by_the_empty_name() {
        let mut report = two_images(ImageName::unnamed());
        report.images.truncate(1);
        let json = to_json(&report);
        assert!(
            json.contains("\t\t\"\": {\n\t\t\t\"WerfImageName\": \"\",\n"),
            "{json}"
        );
    }

    #[test]
    fn rebuild_reasons_follow_werfs_keys() {
        let mut report = two_images(ImageName::unnamed());
        report.images.truncate(1);
        report.images[0].rebuild_reasons = vec![
            "backend/server.js changed (blob 1a2b3c → 4d5e6f)".to_owned(),
            "ARG VERSION: \"1\" → \"2\"".to_owned(),
        ];
        let json = to_json(&report);
        assert!(
            json.contains(
                "\t\t\t],\n\t\t\t\"rebuildReasons\": [\n\t\t\t\t\"backend/server.js changed \
                 (blob 1a2b3c → 4d5e6f)\",\n\t\t\t\t\"ARG VERSION: \\\"1\\\" → \\\"2\\\"\"\n\t\t\t]\n\t\t}"
            ),
            "{json}"
        );
    }

    #[test]
    fn empty_report() {
        let mut report = two_images(ImageName::unnamed());
        report.images.clear();
        assert_eq!(
            to_json(&report),
            "{\n\t\"Runtime\": {\n\t\t\"Backend\": \"docker\",\n\t\t\"InContainer\": false\n\t},\n\t\
             \"Images\": {},\n\t\"ImagesByPlatform\": {}\n}\n"
        );
    }

    #[test]
    fn seconds_have_two_decimals() {
        for (s, expected) in [
            (0.0, "0.00"),
            (1.0, "1.00"),
            (12.345678, "12.35"),
            (-0.5, "0.00"),
            (f64::NAN, "0.00"),
            (f64::INFINITY, "0.00"),
        ] {
            assert_eq!(seconds(s), expected, "{s}");
        }
    }
}
