//! Manifests as the registry stores them: the exact bytes and media type, plus the few fields
//! (config, layers, index children) that copying and describing need.

use serde::Deserialize;
use sha2::{Digest as _, Sha256};

pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// The Accept header for manifest requests: every kind this client copies.
pub const ACCEPT: &str = "application/vnd.docker.distribution.manifest.v2+json, \
                          application/vnd.docker.distribution.manifest.list.v2+json, \
                          application/vnd.oci.image.manifest.v1+json, \
                          application/vnd.oci.image.index.v1+json";

/// A manifest fetched from a registry.
#[derive(Debug, Clone)]
pub struct RawManifest {
    pub bytes: Vec<u8>,
    pub media_type: String,
    /// `sha256:` of the bytes.
    pub digest: String,
    pub parsed: Parsed,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Parsed {
    #[serde(rename = "mediaType")]
    pub media_type: Option<String>,
    pub config: Option<Descriptor>,
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    pub manifests: Option<Vec<Descriptor>>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    pub platform: Option<Platform>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Platform {
    pub architecture: String,
    pub os: String,
}

impl RawManifest {
    /// Parses `bytes`; `content_type` is the registry's Content-Type, which wins over the
    /// manifest's own mediaType because the registry serves (and checks) that one.
    pub fn new(bytes: Vec<u8>, content_type: Option<&str>) -> Result<Self, String> {
        let parsed: Parsed = serde_json::from_slice(&bytes)
            .map_err(|e| format!("the manifest is not valid JSON: {e}"))?;
        let content_type = content_type
            .map(|c| c.split(';').next().unwrap_or(c).trim())
            .filter(|c| !c.is_empty() && *c != "application/json" && *c != "text/plain");
        let media_type = match (content_type, &parsed.media_type) {
            (Some(c), _) => c.to_owned(),
            (None, Some(m)) => m.clone(),
            // The OCI spec lets mediaType be omitted; the shape says which kind it is.
            (None, None) if parsed.manifests.is_some() => OCI_INDEX.to_owned(),
            (None, None) => OCI_MANIFEST.to_owned(),
        };
        let digest = sha256(&bytes);
        Ok(Self {
            bytes,
            media_type,
            digest,
            parsed,
        })
    }

    pub fn is_index(&self) -> bool {
        self.media_type == DOCKER_LIST
            || self.media_type == OCI_INDEX
            || self.parsed.manifests.is_some()
    }

    /// The config and layers, in the order a registry wants them pushed.
    pub fn blobs(&self) -> Vec<&Descriptor> {
        self.parsed
            .config
            .iter()
            .chain(self.parsed.layers.iter())
            .collect()
    }

    /// Of an index, the child for `platform` (`os/arch`), else the first one.
    pub fn child_for(&self, platform: &str) -> Option<&Descriptor> {
        let children = self.parsed.manifests.as_deref().unwrap_or_default();
        children
            .iter()
            .find(|c| {
                c.platform
                    .as_ref()
                    .is_some_and(|p| format!("{}/{}", p.os, p.architecture) == platform)
            })
            .or_else(|| children.first())
    }
}

pub fn sha256(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(71);
    out.push_str("sha256:");
    for b in hash.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types() {
        let schema2 = br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"digest":"sha256:c","size":3},"layers":[{"digest":"sha256:l","size":5}]}"#;
        let oci = br#"{"schemaVersion":2,"config":{"digest":"sha256:c","size":3},"layers":[]}"#;
        let index = br#"{"schemaVersion":2,"manifests":[{"digest":"sha256:a","size":1,"platform":{"os":"linux","architecture":"arm64"}},{"digest":"sha256:b","size":1,"platform":{"os":"linux","architecture":"amd64"}}]}"#;
        let cases: [(&[u8], Option<&str>, &str, bool); 5] = [
            (
                schema2,
                None,
                "application/vnd.docker.distribution.manifest.v2+json",
                false,
            ),
            (oci, None, OCI_MANIFEST, false),
            (index, None, OCI_INDEX, true),
            (
                oci,
                Some("application/vnd.oci.image.manifest.v1+json; charset=utf-8"),
                OCI_MANIFEST,
                false,
            ),
            (index, Some(DOCKER_LIST), DOCKER_LIST, true),
        ];
        for (bytes, content_type, media_type, is_index) in cases {
            let m = RawManifest::new(bytes.to_vec(), content_type).unwrap();
            assert_eq!(m.media_type, media_type);
            assert_eq!(m.is_index(), is_index);
            assert_eq!(m.bytes, bytes);
        }
        let m = RawManifest::new(schema2.to_vec(), Some("application/json")).unwrap();
        assert_eq!(
            m.media_type,
            "application/vnd.docker.distribution.manifest.v2+json"
        );
        let blobs: Vec<&str> = m.blobs().iter().map(|b| b.digest.as_str()).collect();
        assert_eq!(blobs, ["sha256:c", "sha256:l"]);
        let i = RawManifest::new(index.to_vec(), None).unwrap();
        assert_eq!(i.child_for("linux/amd64").unwrap().digest, "sha256:b");
        assert_eq!(i.child_for("windows/amd64").unwrap().digest, "sha256:a");
        assert!(RawManifest::new(b"nope".to_vec(), None).is_err());
    }

    #[test]
    fn digests() {
        assert_eq!(
            sha256(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
