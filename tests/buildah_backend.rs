//! The buildah backend through the `Backend` trait, with overlay through fuse-overlayfs (the
//! fallback where the kernel's overlay does not serve the case; as root it always does, so the
//! fallback is chosen here by hand). Symlinks and modes of the context survive the unpacking,
//! and the pushed digest is the registry's. Skips, saying why, without buildah, fuse-overlayfs,
//! /dev/fuse, busybox or the registry at 127.0.0.1:5000, unless SLIPWAY_REQUIRE_BUILDAH=1.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use slipway::backend::buildah::command::GlobalSettings;
use slipway::backend::buildah::mode::Isolation;
use slipway::backend::buildah::storage::StorageDriver;
use slipway::backend::buildah::{BuildahBackend, BuildahConfig};
use slipway::backend::{Backend, BackendError, BuildRequest, LogSink};
use slipway::context::archive::{ArchiveEntry, ContextArchive, EntrySource};
use slipway::names::ImageName;

const REGISTRY: &str = "127.0.0.1:5000";

fn missing_prerequisite() -> Option<String> {
    for (path, what) in [
        ("/usr/bin/buildah", "buildah"),
        ("/usr/bin/fuse-overlayfs", "fuse-overlayfs"),
        ("/dev/fuse", "/dev/fuse"),
        ("/bin/busybox", "busybox-static"),
    ] {
        if !Path::new(path).exists() {
            return Some(format!("{what} is missing ({path})"));
        }
    }
    if std::net::TcpStream::connect(REGISTRY).is_err() {
        return Some(format!(
            "no registry at {REGISTRY} (scripts/services starts one)"
        ));
    }
    None
}

fn backend(work: &Path) -> BuildahBackend {
    BuildahBackend::new(BuildahConfig {
        globals: GlobalSettings {
            driver: StorageDriver::FuseOverlay {
                mount_program: "/usr/bin/fuse-overlayfs".into(),
            },
            root: Some(work.join("storage")),
            runroot: Some(work.join("run")),
        },
        isolation: Isolation::Chroot,
        ulimits: Vec::new(),
        temp_dir: work.to_path_buf(),
        insecure: Vec::new(),
        registries_conf: "/etc/containers/registries.conf".into(),
        program: "buildah".into(),
    })
}

fn entry(path: &str, mode: u32, source: EntrySource) -> ArchiveEntry {
    ArchiveEntry {
        path: path.into(),
        mode,
        source,
    }
}

fn request(dockerfile: &str, tag: &str) -> BuildRequest {
    let context = ContextArchive::new(
        "/nonexistent".into(),
        vec![
            entry(
                "Dockerfile",
                0o100644,
                EntrySource::Bytes(dockerfile.as_bytes().to_vec()),
            ),
            entry(
                "bin/busybox",
                0o100755,
                EntrySource::File("/bin/busybox".into()),
            ),
            entry(
                "app/run.sh",
                0o100755,
                EntrySource::Bytes(b"echo hi\n".to_vec()),
            ),
            entry(
                "app/data.txt",
                0o100644,
                EntrySource::Bytes(b"data\n".to_vec()),
            ),
            entry(
                "app/link",
                0o120000,
                EntrySource::Bytes(b"data.txt".to_vec()),
            ),
        ],
    );
    BuildRequest {
        image: ImageName::parse("fuse").unwrap(),
        context,
        dockerfile: "Dockerfile".into(),
        dockerfile_display: "fuse.Dockerfile".into(),
        instruction_lines: vec![1, 2, 4],
        target: None,
        build_args: BTreeMap::new(),
        add_host: Vec::new(),
        network: None,
        ssh: None,
        ssh_auth_sock: None,
        labels: BTreeMap::from([("werf".into(), "fuse".into())]),
        secrets: Vec::new(),
        cache_from: None,
        inline_cache: false,
        registry_credentials: BTreeMap::new(),
        tag: tag.into(),
    }
}

fn sink() -> (LogSink, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink: LogSink = {
        let lines = Arc::clone(&lines);
        Arc::new(move |l: &str| lines.lock().unwrap().push(l.to_owned()))
    };
    (sink, lines)
}

#[tokio::test]
async fn fuse_overlayfs_build_push_and_failure() {
    if let Some(why) = missing_prerequisite() {
        assert!(
            std::env::var("SLIPWAY_REQUIRE_BUILDAH").as_deref() != Ok("1"),
            "SLIPWAY_REQUIRE_BUILDAH=1 but {why}"
        );
        eprintln!("skipped: {why}");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let backend = backend(work.path());
    assert_eq!(backend.name(), "buildah");
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let repository = format!("slipway-fuse-{}", std::process::id());
    let building = format!("{REGISTRY}/{repository}:{stamp}-building");
    let reference = format!("{REGISTRY}/{repository}:{stamp}");
    let dockerfile = "FROM scratch\nCOPY . /ctx/\n\
        RUN [\"/ctx/bin/busybox\", \"sh\", \"-c\", \"test -L /ctx/app/link && test -x /ctx/app/run.sh && test ! -x /ctx/app/data.txt\"]\n";
    let (log, lines) = sink();
    let built = backend
        .build(request(dockerfile, &building), log)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        built.id.starts_with("sha256:") && built.id.len() == 71,
        "{built:?}"
    );
    assert!(built.size > 500_000, "{built:?}");
    assert!(
        lines
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("STEP 3/4: RUN")),
        "{:?}",
        lines.lock().unwrap()
    );

    backend.tag(&building, &reference).await.unwrap();
    backend.untag(&building).await.unwrap();
    assert!(backend.inspect(&building).await.unwrap().is_none());
    let info = backend.inspect(&reference).await.unwrap().unwrap();
    assert_eq!(info.id, built.id);
    assert_eq!(info.labels.get("werf").map(String::as_str), Some("fuse"));

    let digest = backend.push(&reference, None).await.unwrap();
    let registry_digest = std::process::Command::new("curl")
        .args([
            "-sI",
            "-H",
            "Accept: application/vnd.docker.distribution.manifest.v2+json",
        ])
        .arg(format!(
            "http://{REGISTRY}/v2/{repository}/manifests/{stamp}"
        ))
        .output()
        .unwrap();
    let headers = String::from_utf8_lossy(&registry_digest.stdout).to_lowercase();
    assert!(
        headers.contains(&format!("docker-content-digest: {digest}")),
        "{digest} not in {headers}"
    );

    let failing = "FROM scratch\nCOPY . /ctx/\n\nRUN [\"/ctx/bin/busybox\", \"false\"]\n";
    let (log, _) = sink();
    let err = backend
        .build(request(failing, &format!("{reference}-fail")), log)
        .await
        .unwrap_err();
    let BackendError::BuildFailed { location, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(location, "fuse.Dockerfile:4");
    // The unpacked contexts and auth files are gone.
    let left: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with("slipway-buildah-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
