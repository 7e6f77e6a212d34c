//! Doctor checks against fake roots in a temporary directory, and one run against this machine
//! asserting only what is true here.

use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use super::*;

/// A fake machine: /proc, /sys, /dev, / and a bin directory on PATH under one tempdir.
struct Fake {
    dir: tempfile::TempDir,
    system: SystemRoot,
}

impl Fake {
    /// A healthy rootless machine: Ubuntu 22.04 kernel, overlay, userns allowed, no container.
    fn new(uid: u32) -> Fake {
        let dir = tempfile::tempdir().unwrap();
        let p = |rel: &str| dir.path().join(rel);
        let system = SystemRoot {
            proc: p("proc"),
            sys: p("sys"),
            dev: p("dev"),
            root: p("root"),
            path: vec![p("bin")],
            env: EnvFacts {
                uid,
                ..EnvFacts::default()
            },
        };
        let fake = Fake { dir, system };
        fake.write("proc/sys/kernel/osrelease", "5.15.0-91-generic\n");
        fake.write("proc/filesystems", "nodev\tsysfs\n\text4\nnodev\toverlay\n");
        fake.write("proc/sys/user/max_user_namespaces", "63448\n");
        fake.write(
            "proc/self/status",
            "Name:\tslipway\nSeccomp:\t0\nSeccomp_filters:\t0\n",
        );
        fake.write("root/etc/os-release", "NAME=\"Ubuntu\"\nID=ubuntu\n");
        std::fs::create_dir_all(fake.dir.path().join("dev")).unwrap();
        std::fs::create_dir_all(fake.dir.path().join("sys/module")).unwrap();
        for program in ["buildah", "runc", "fuse-overlayfs"] {
            fake.program(program);
        }
        fake
    }

    fn write(&self, rel: &str, content: &str) {
        let path = self.dir.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }

    fn remove(&self, rel: &str) {
        std::fs::remove_file(self.dir.path().join(rel)).unwrap();
    }

    fn program(&self, name: &str) {
        let path = self.dir.path().join("bin").join(name);
        self.write(&format!("bin/{name}"), "#!/bin/sh\n");
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn buildah(&self) -> Report {
        let request = DoctorRequest {
            backend: Some(DoctorBackend::Buildah),
            repo: None,
        };
        run(&self.system, &request, None)
    }
}

fn check<'a>(report: &'a Report, name: &str) -> &'a Check {
    report
        .checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no check {name} in {report:#?}"))
}

fn statuses(report: &Report) -> Vec<(&str, Status)> {
    report
        .checks
        .iter()
        .map(|c| (c.name.as_str(), c.status))
        .collect()
}

#[test]
fn healthy_rootless_machine() {
    let fake = Fake::new(1000);
    let report = fake.buildah();
    let names: Vec<&str> = report.checks.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "backend",
            "kernel",
            "overlay",
            "fuse",
            "storage driver",
            "kernel.unprivileged_userns_clone",
            "user.max_user_namespaces",
            "container",
            "seccomp",
            "apparmor",
            "buildah",
            "oci runtime"
        ]
    );
    assert!(
        report.checks.iter().all(|c| c.status == Status::Ok),
        "{}",
        render_text(&report)
    );
    assert_eq!(report.exit_code(), 0);
    assert_eq!(
        check(&report, "backend").detail,
        "buildah, mode auto (chroot isolation, rootless: slipway is not root)"
    );
    assert_eq!(
        check(&report, "storage driver").detail,
        "overlay, the kernel's"
    );
    assert_eq!(
        check(&report, "kernel").detail,
        "5.15.0-91-generic: overlay works without root (5.15)"
    );
    assert_eq!(
        check(&report, "buildah").detail,
        fake.path("bin/buildah").display().to_string()
    );
}

#[test]
fn old_kernel_without_fuse_fails_with_both_fixes() {
    let fake = Fake::new(1000);
    fake.write("proc/sys/kernel/osrelease", "5.10.0-8-amd64\n");
    fake.write("root/etc/os-release", "ID=debian\n");
    fake.remove("bin/fuse-overlayfs");
    let report = fake.buildah();
    let kernel = check(&report, "kernel");
    assert_eq!(kernel.status, Status::Warn);
    assert_eq!(
        kernel.detail,
        "5.10.0-8-amd64: overlay without root needs 5.13 (5.11 on Ubuntu/Debian, which patched \
         it), so fuse-overlayfs is used instead"
    );
    let fuse = check(&report, "fuse");
    assert_eq!(fuse.status, Status::Fail);
    assert_eq!(
        fuse.detail,
        format!(
            "{}: missing, fuse-overlayfs: not on PATH; needed, the kernel's overlay does not \
             serve this case",
            fake.path("dev/fuse").display()
        )
    );
    assert_eq!(
        fuse.fix.as_deref(),
        Some(
            "give the container /dev/fuse (`docker run --device /dev/fuse`, or a fuse device \
             plugin resource in Kubernetes) after `modprobe fuse` on the host; install \
             fuse-overlayfs (`apt-get install fuse-overlayfs`)"
        )
    );
    assert_eq!(check(&report, "storage driver").status, Status::Fail);
    assert_eq!(report.exit_code(), 1);

    // vfs needs neither.
    let mut vfs = fake;
    vfs.system.env.werf_buildah_storage_driver = Some("vfs".into());
    let report = vfs.buildah();
    assert_eq!(check(&report, "fuse").status, Status::Ok);
    assert_eq!(check(&report, "storage driver").status, Status::Warn);
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn patched_distribution_kernel_is_enough() {
    let fake = Fake::new(1000);
    fake.write("proc/sys/kernel/osrelease", "5.11.0-22-generic\n");
    assert_eq!(check(&fake.buildah(), "kernel").status, Status::Ok);
    fake.write("root/etc/os-release", "ID=\"fedora\"\n");
    let report = fake.buildah();
    assert_eq!(check(&report, "kernel").status, Status::Warn);
    // fuse-overlayfs is installed but the device is missing: needed now.
    assert_eq!(check(&report, "fuse").status, Status::Fail);
    assert_eq!(
        check(&report, "storage driver").detail,
        format!(
            "overlay through {}",
            fake.path("bin/fuse-overlayfs").display()
        )
    );
}

#[test]
fn user_namespace_sysctls() {
    let fake = Fake::new(1000);
    fake.write("proc/sys/kernel/unprivileged_userns_clone", "0\n");
    fake.write("proc/sys/user/max_user_namespaces", "0\n");
    let report = fake.buildah();
    let clone = check(&report, "kernel.unprivileged_userns_clone");
    assert_eq!(clone.status, Status::Fail);
    assert_eq!(
        clone.fix.as_deref(),
        Some(
            "on the host: `sysctl -w kernel.unprivileged_userns_clone=1` (and in /etc/sysctl.d/ \
             to keep it)"
        )
    );
    let max = check(&report, "user.max_user_namespaces");
    assert_eq!(max.status, Status::Fail);
    assert_eq!(
        max.fix.as_deref(),
        Some(
            "on the host: `sysctl -w user.max_user_namespaces=15000` (and in /etc/sysctl.d/ to \
             keep it)"
        )
    );
    let backend = check(&report, "backend");
    assert_eq!(backend.status, Status::Fail);
    assert!(
        backend
            .detail
            .starts_with("WERF_BUILDAH_MODE=auto: slipway runs as uid 1000")
    );

    fake.write("proc/sys/kernel/unprivileged_userns_clone", "1\n");
    fake.write("proc/sys/user/max_user_namespaces", "1000\n");
    let report = fake.buildah();
    assert_eq!(
        check(&report, "kernel.unprivileged_userns_clone").status,
        Status::Ok
    );
    let max = check(&report, "user.max_user_namespaces");
    assert_eq!(
        (max.status, max.detail.as_str()),
        (
            Status::Warn,
            "1000: below 15000, parallel builds may run out"
        )
    );

    // Root needs neither.
    let mut root = fake;
    root.system.env.uid = 0;
    root.write("proc/sys/kernel/unprivileged_userns_clone", "0\n");
    root.write("proc/sys/user/max_user_namespaces", "0\n");
    let report = root.buildah();
    assert_eq!(check(&report, "backend").status, Status::Ok);
    assert_eq!(report.exit_code(), 0, "{}", render_text(&report));
}

#[test]
fn container_seccomp_apparmor() {
    let mut fake = Fake::new(1000);
    fake.write("root/.dockerenv", "");
    fake.write("proc/self/status", "Name:\tx\nSeccomp:\t2\n");
    fake.write("proc/self/attr/current", "docker-default (enforce)\n");
    fake.system.env.werf_containerized = Some("yes".into());
    let report = fake.buildah();
    assert_eq!(
        check(&report, "container").detail,
        "yes (/.dockerenv, WERF_CONTAINERIZED=yes)"
    );
    let seccomp = check(&report, "seccomp");
    assert_eq!(seccomp.status, Status::Warn);
    assert!(
        seccomp
            .fix
            .as_deref()
            .unwrap()
            .contains("--security-opt seccomp=unconfined")
    );
    let apparmor = check(&report, "apparmor");
    assert_eq!(
        (apparmor.status, apparmor.detail.as_str()),
        (
            Status::Warn,
            "profile docker-default (enforce): it refuses the mounts buildah makes"
        )
    );
    assert!(
        apparmor
            .fix
            .as_deref()
            .unwrap()
            .contains("container.apparmor.security.beta.kubernetes.io/<container>: unconfined")
    );
    fake.write("proc/self/attr/current", "unconfined\n");
    fake.write("root/run/.containerenv", "");
    fake.system.env.werf_containerized = None;
    let report = fake.buildah();
    assert_eq!(check(&report, "apparmor").status, Status::Ok);
    assert_eq!(
        check(&report, "container").detail,
        "yes (/.dockerenv, /run/.containerenv)"
    );
}

#[test]
fn native_rootless_in_container_is_refused() {
    let mut fake = Fake::new(1000);
    fake.write("root/.dockerenv", "");
    fake.system.env.werf_buildah_mode = Some("native-rootless".into());
    let report = run(&fake.system, &DoctorRequest::default(), None);
    let backend = check(&report, "backend");
    assert_eq!(backend.status, Status::Fail);
    assert!(
        backend
            .detail
            .starts_with("WERF_BUILDAH_MODE=native-rootless is refused inside a container")
    );
}

#[test]
fn missing_programs() {
    let fake = Fake::new(0);
    fake.remove("bin/buildah");
    fake.remove("bin/runc");
    let report = fake.buildah();
    assert_eq!(check(&report, "buildah").status, Status::Fail);
    assert_eq!(check(&report, "oci runtime").status, Status::Warn);
    // A non-executable file is not a program.
    fake.write("bin/buildah", "");
    assert_eq!(check(&fake.buildah(), "buildah").status, Status::Fail);
}

fn fake_engine(socket: &Path, answer: &'static str) -> std::thread::JoinHandle<String> {
    let listener = std::os::unix::net::UnixListener::bind(socket).unwrap();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut request = [0u8; 1024];
        let n = stream.read(&mut request).unwrap();
        stream.write_all(answer.as_bytes()).unwrap();
        String::from_utf8_lossy(&request[..n]).into_owned()
    })
}

#[test]
fn docker_engine_ping() {
    let mut fake = Fake::new(1000);
    let docker = DoctorRequest {
        backend: Some(DoctorBackend::Docker),
        repo: None,
    };
    // Default socket under the root, nobody listening.
    let report = run(&fake.system, &docker, None);
    assert_eq!(
        statuses(&report),
        [
            ("backend", Status::Ok),
            ("container", Status::Ok),
            ("docker engine", Status::Fail)
        ]
    );
    assert!(check(&report, "docker engine").detail.starts_with(&format!(
        "unix://{}: cannot connect: ",
        fake.path("root/var/run/docker.sock").display()
    )));
    assert_eq!(report.exit_code(), 1);

    std::fs::create_dir_all(fake.path("root/var/run")).unwrap();
    let server = fake_engine(
        &fake.path("root/var/run/docker.sock"),
        "HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\nContent-Length: 2\r\n\r\nOK",
    );
    let report = run(&fake.system, &docker, None);
    assert!(
        server
            .join()
            .unwrap()
            .starts_with("GET /_ping HTTP/1.1\r\n")
    );
    assert_eq!(
        check(&report, "docker engine").detail,
        format!(
            "unix://{} answers (API 1.47)",
            fake.path("root/var/run/docker.sock").display()
        )
    );

    let other = fake.path("other.sock");
    fake.system.env.docker_host = Some(format!("unix://{}", other.display()));
    let server = fake_engine(&other, "HTTP/1.1 500 Internal Server Error\r\n\r\n");
    let report = run(&fake.system, &docker, None);
    server.join().unwrap();
    assert_eq!(
        check(&report, "docker engine").detail,
        format!(
            "unix://{}: GET /_ping answered \"HTTP/1.1 500 Internal Server Error\"",
            other.display()
        )
    );
}

struct Probe {
    reach: Result<String, String>,
    auth: Result<CredentialsOutcome, String>,
}

impl RegistryProbe for Probe {
    fn reach(&self, _repo: &str) -> Result<String, String> {
        self.reach.clone()
    }
    fn authenticate(&self, _repo: &str) -> Result<CredentialsOutcome, String> {
        self.auth.clone()
    }
}

#[test]
fn registry_through_the_probe() {
    let fake = Fake::new(1000);
    let request = DoctorRequest {
        backend: Some(DoctorBackend::Buildah),
        repo: Some("ghcr.io/o/p".into()),
    };
    let tail = |report: &Report| -> Vec<(String, Status, String)> {
        report.checks[report.checks.len() - 2..]
            .iter()
            .map(|c| (c.name.clone(), c.status, c.detail.clone()))
            .collect()
    };
    let ok = Probe {
        reach: Ok("/v2/ answered 401".into()),
        auth: Ok(CredentialsOutcome::Accepted {
            source: "docker config /root/.docker/config.json".into(),
        }),
    };
    assert_eq!(
        tail(&run(&fake.system, &request, Some(&ok))),
        [
            ("registry".into(), Status::Ok, "ghcr.io/o/p: /v2/ answered 401".into()),
            (
                "registry credentials".into(),
                Status::Ok,
                "accepted for pushing to ghcr.io/o/p (from docker config /root/.docker/config.json)"
                    .into()
            )
        ]
    );
    let down = Probe {
        reach: Err("connection refused".into()),
        auth: Err("unused".into()),
    };
    let report = run(&fake.system, &request, Some(&down));
    assert_eq!(
        tail(&report),
        [
            (
                "registry".into(),
                Status::Fail,
                "ghcr.io/o/p: connection refused".into()
            ),
            (
                "registry credentials".into(),
                Status::Warn,
                "not checked: the registry cannot be reached".into()
            )
        ]
    );
    assert_eq!(report.exit_code(), 1);
    let rejected = Probe {
        reach: Ok("up".into()),
        auth: Err("401 Unauthorized with credentials from WERF_REPO_PASSWORD".into()),
    };
    assert_eq!(
        check(
            &run(&fake.system, &request, Some(&rejected)),
            "registry credentials"
        )
        .status,
        Status::Fail
    );
    let anonymous = Probe {
        reach: Ok("up".into()),
        auth: Ok(CredentialsOutcome::Anonymous),
    };
    assert_eq!(
        check(
            &run(&fake.system, &request, Some(&anonymous)),
            "registry credentials"
        )
        .status,
        Status::Ok,
        "the push check got through without a login"
    );
    // Without a client the seam says so rather than pretending.
    let report = run(&fake.system, &request, None);
    let registry = check(&report, "registry");
    assert_eq!(
        (registry.status, registry.detail.as_str()),
        (
            Status::Warn,
            "ghcr.io/o/p: not checked, this slipway has no registry client"
        )
    );
}

#[test]
fn text_and_json() {
    let report = Report {
        checks: vec![
            Check::ok("kernel", "6.1.0"),
            Check::new(
                "user.max_user_namespaces",
                Status::Fail,
                "0",
                Some("sysctl -w user.max_user_namespaces=15000".into()),
            ),
            Check::new("seccomp", Status::Warn, "mode 2", None),
        ],
    };
    assert_eq!(
        render_text(&report),
        "ok    kernel                    6.1.0\n\
         fail  user.max_user_namespaces  0\n      fix: sysctl -w user.max_user_namespaces=15000\n\
         warn  seccomp                   mode 2\n"
    );
    let json: serde_json::Value = serde_json::from_str(&render_json(&report)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"checks": [
            {"name": "kernel", "status": "ok", "detail": "6.1.0", "fix": null},
            {"name": "user.max_user_namespaces", "status": "fail", "detail": "0",
             "fix": "sysctl -w user.max_user_namespaces=15000"},
            {"name": "seccomp", "status": "warn", "detail": "mode 2", "fix": null},
        ]})
    );
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn ping_reads_status_and_api_version() {
    use super::checks::ping;
    struct Duplex(std::io::Cursor<Vec<u8>>, Vec<u8>);
    impl Read for Duplex {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.0.read(buf)
        }
    }
    impl Write for Duplex {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.1.write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let answer = |s: &str| Duplex(std::io::Cursor::new(s.as_bytes().to_vec()), Vec::new());
    assert_eq!(
        ping(answer("HTTP/1.0 200 OK\r\nAPI-Version: 1.41\r\n\r\nOK")),
        Ok(Some("1.41".into()))
    );
    assert_eq!(ping(answer("HTTP/1.1 200 OK\r\n\r\nOK")), Ok(None));
    assert_eq!(
        ping(answer("")),
        Err("GET /_ping answered \"\"".to_string())
    );
}

/// This machine: facts that hold wherever the suite runs, checked against the files directly.
#[test]
fn real_machine() {
    let system = SystemRoot::host();
    let request = DoctorRequest {
        backend: Some(DoctorBackend::Buildah),
        repo: None,
    };
    let report = run(&system, &request, None);
    let filesystems = std::fs::read_to_string("/proc/filesystems").unwrap();
    let has_overlay = filesystems
        .lines()
        .any(|l| l.split_whitespace().last() == Some("overlay"));
    let overlay = check(&report, "overlay");
    assert_eq!(overlay.status == Status::Ok, has_overlay, "{overlay:?}");
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    assert!(check(&report, "kernel").detail.starts_with(release.trim()));
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let seccomp_off = status
        .lines()
        .any(|l| l.starts_with("Seccomp:") && l.ends_with('0'));
    assert_eq!(check(&report, "seccomp").status == Status::Ok, seccomp_off);
    let in_container = Path::new("/.dockerenv").exists()
        || Path::new("/run/.containerenv").exists()
        || std::env::var("WERF_CONTAINERIZED").is_ok_and(|v| v == "yes");
    assert_eq!(
        check(&report, "container").detail.starts_with("yes"),
        in_container
    );
    assert_eq!(
        check(&report, "buildah").status == Status::Ok,
        find_on_path(&system.path, "buildah").is_some()
    );
    // Every check is listed in JSON too.
    let json: serde_json::Value = serde_json::from_str(&render_json(&report)).unwrap();
    assert_eq!(
        json["checks"].as_array().unwrap().len(),
        report.checks.len()
    );
    println!("{}", render_text(&report));
}

#[test]
fn main_parses_flags_and_writes_json() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        doctor: DoctorArgs,
    }
    let cli = Cli::try_parse_from(["doctor", "--backend", "docker", "--output", "json"]).unwrap();
    assert_eq!(cli.doctor.backend, Some(DoctorBackend::Docker));
    let mut out = Vec::new();
    let code = main(&cli.doctor, None, &mut out).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let checks = json["checks"].as_array().unwrap();
    assert_eq!(checks[0]["name"], "backend");
    let engine_failed = checks
        .iter()
        .any(|c| c["name"] == "docker engine" && c["status"] == "fail");
    assert_eq!(code, u8::from(engine_failed));
    assert!(Cli::try_parse_from(["doctor", "--backend", "podman"]).is_err());
}

#[test]
fn bad_mode_fails_the_backend_check_and_still_checks_buildah() {
    let mut fake = Fake::new(1000);
    fake.system.env.werf_buildah_mode = Some("docker-with-fuse".into());
    let report = run(&fake.system, &DoctorRequest::default(), None);
    let backend = check(&report, "backend");
    assert_eq!(backend.status, Status::Fail);
    assert!(
        backend
            .detail
            .starts_with("WERF_BUILDAH_MODE=docker-with-fuse is not supported")
    );
    assert_eq!(check(&report, "overlay").status, Status::Ok);
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn buildkit_from_the_engine_version_and_buildx() {
    let ok = checks::buildkit(
        "26.1.5",
        Ok("/usr/bin/docker (github.com/docker/buildx 0.13.1)".into()),
    );
    assert_eq!(ok.status, Status::Ok);
    assert_eq!(
        ok.detail,
        "engine 26.1.5: builds use BuildKit, through /usr/bin/docker (github.com/docker/buildx 0.13.1)"
    );
    let no_buildx = checks::buildkit("26.1.5", Err("no `docker` on PATH".into()));
    assert_eq!(no_buildx.status, Status::Fail);
    assert_eq!(
        no_buildx.detail,
        "engine 26.1.5 has BuildKit, but the docker CLI cannot drive it: no `docker` on PATH"
    );
    let old = checks::buildkit("20.10.24+dfsg1", Ok("docker".into()));
    assert_eq!(old.status, Status::Warn);
    assert_eq!(
        old.detail,
        "engine 20.10.24+dfsg1 is older than 23.0: builds use the classic builder, which refuses \
         BuildKit-only Dockerfile features (cache mounts, heredocs, COPY --chmod, secrets, …)"
    );
}
