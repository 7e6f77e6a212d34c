//! Real buildah: builds `FROM scratch` + busybox with the exact argv slipway produces (chroot
//! isolation, vfs, a private --root/--runroot), pushes it to the open local registry and checks
//! the digest file against what the registry serves. Skips, saying why, where buildah, a static
//! busybox or the registry at 127.0.0.1:5000 is missing, unless SLIPWAY_REQUIRE_BUILDAH=1.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use slipway::backend::buildah::command::{
    BuildSettings, GlobalSettings, PrivateDir, PushSettings, build_argv, push_argv,
    read_digest_file, registry_host, write_auth_file,
};
use slipway::backend::buildah::explain::explain;
use slipway::backend::buildah::mode::Isolation;
use slipway::backend::buildah::storage::StorageDriver;
use slipway::backend::buildah::ulimit::parse_ulimits;

const REGISTRY: &str = "127.0.0.1:5000";

fn missing_prerequisite() -> Option<String> {
    if Command::new("buildah").arg("--version").output().is_err() {
        return Some("buildah is not installed".into());
    }
    if !Path::new("/bin/busybox").exists() {
        return Some("/bin/busybox (busybox-static) is not installed".into());
    }
    if std::net::TcpStream::connect(REGISTRY).is_err() {
        return Some(format!(
            "no registry at {REGISTRY} (scripts/services starts one)"
        ));
    }
    None
}

fn run(argv: &[std::ffi::OsString]) -> String {
    let out = Command::new(&argv[0]).args(&argv[1..]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{argv:?} failed: {}\n{stdout}\n{stderr}\nknown failures: {:?}",
        out.status,
        explain(stderr.lines())
    );
    stdout
}

/// The registry's digest for a tag, from a plain-HTTP HEAD of the manifest.
fn registry_digest(repository: &str, tag: &str) -> String {
    let mut stream = std::net::TcpStream::connect(REGISTRY).unwrap();
    write!(
        stream,
        "HEAD /v2/{repository}/manifests/{tag} HTTP/1.1\r\nHost: {REGISTRY}\r\nAccept: \
         application/vnd.docker.distribution.manifest.v2+json\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("docker-content-digest")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no digest in {response}"))
}

#[test]
fn build_and_push_with_real_buildah() {
    if let Some(why) = missing_prerequisite() {
        assert!(
            std::env::var("SLIPWAY_REQUIRE_BUILDAH").as_deref() != Ok("1"),
            "SLIPWAY_REQUIRE_BUILDAH=1 but {why}"
        );
        eprintln!("skipped: {why}");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let context = work.path().join("context");
    std::fs::create_dir(&context).unwrap();
    std::fs::copy("/bin/busybox", context.join("busybox")).unwrap();
    std::fs::write(
        context.join("Dockerfile"),
        "FROM scratch\nARG GREETING\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"true\"]\n",
    )
    .unwrap();

    let globals = GlobalSettings {
        driver: StorageDriver::Vfs,
        root: Some(work.path().join("root")),
        runroot: Some(work.path().join("runroot")),
    };
    let tag = format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    let repository = "slipway-smoke";
    let reference = format!("{REGISTRY}/{repository}:{tag}");
    let build = BuildSettings {
        context_dir: context.clone(),
        dockerfile: context.join("Dockerfile"),
        target: None,
        build_args: BTreeMap::from([("GREETING".into(), "hello".into())]),
        add_host: vec!["db:10.0.0.2".into()],
        network: None,
        labels: BTreeMap::from([("werf".into(), "smoke".into())]),
        tag: reference.clone(),
        isolation: Isolation::Chroot,
        ulimits: parse_ulimits("nofile=1024:2048").unwrap(),
        authfile: None,
        ssh: None,
        secrets: Vec::new(),
    };
    let image_id = run(&build_argv(&globals, &build));
    assert!(
        image_id.trim().lines().last().unwrap().len() == 64,
        "{image_id}"
    );

    let private = PrivateDir::create(work.path()).unwrap();
    let authfile = write_auth_file(&private, registry_host(&reference), None).unwrap();
    let push = PushSettings {
        image: reference.clone(),
        destination: reference.clone(),
        authfile,
        digestfile: private.path().join("digest"),
        tls_verify: false,
    };
    run(&push_argv(&globals, &push));
    let digest = read_digest_file(&push.digestfile).unwrap();
    assert_eq!(digest, registry_digest(repository, &tag));

    // The label reached the image.
    let inspect = Command::new("buildah")
        .args(globals.argv())
        .args([
            "inspect",
            "--format",
            "{{index .Docker.Config.Labels \"werf\"}}",
        ])
        .arg(&reference)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&inspect.stdout).trim(), "smoke");
}
