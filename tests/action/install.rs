//! `action/install.sh`: download of the release archive for RUNNER_OS/RUNNER_ARCH with SHA-256
//! verification, tool-cache reuse, `slipway-path`/SLIPWAY_BIN, and a checksum mismatch.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/action/install.sh");

/// A loopback HTTP server over `root` (python's http.server), stopped on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(root: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &port.to_string(),
            ])
            .current_dir(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs (scripts/setup installs it)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Self { child, port };
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the test HTTP server did not start");
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/releases", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A release tree `releases/download/<version>/slipway-<target>.tar.gz(.sha256)` whose binary
/// prints `marker`.
fn release(root: &Path, version: &str, target: &str, marker: &str, good_sum: bool) {
    let dir = root.join("releases/download").join(version);
    std::fs::create_dir_all(&dir).unwrap();
    let stage = tempfile::tempdir().unwrap();
    let bin = stage.path().join("slipway");
    std::fs::write(&bin, format!("#!/bin/sh\necho {marker}\n")).unwrap();
    let archive = dir.join(format!("slipway-{target}.tar.gz"));
    let ok = Command::new("tar")
        .arg("-czf")
        .arg(&archive)
        .arg("-C")
        .arg(stage.path())
        .arg("slipway")
        .status()
        .unwrap();
    assert!(ok.success());
    let sum = Command::new("sha256sum").arg(&archive).output().unwrap();
    let mut line = String::from_utf8(sum.stdout).unwrap();
    if !good_sum {
        line = format!("{}{}", "0".repeat(64), &line[64..]);
    }
    std::fs::write(dir.join(format!("slipway-{target}.tar.gz.sha256")), line).unwrap();
}

struct Runner {
    temp: tempfile::TempDir,
}

struct Step {
    code: i32,
    stdout: String,
    outputs: String,
}

impl Runner {
    fn new() -> Self {
        let temp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(temp.path().join("tool-cache")).unwrap();
        std::fs::create_dir_all(temp.path().join("runner-temp")).unwrap();
        Self { temp }
    }

    fn tool_cache(&self) -> PathBuf {
        self.temp.path().join("tool-cache")
    }

    fn run(&self, env: &[(&str, &str)]) -> Step {
        let output = self.temp.path().join("github-output");
        std::fs::write(&output, "").unwrap();
        let out = Command::new("bash")
            .arg(SCRIPT)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap())
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_OUTPUT", &output)
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .env("RUNNER_TOOL_CACHE", self.tool_cache())
            .env("RUNNER_TEMP", self.temp.path().join("runner-temp"))
            .envs(env.iter().copied())
            .output()
            .unwrap();
        Step {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            outputs: std::fs::read_to_string(&output).unwrap(),
        }
    }
}

fn bin_output(step: &Step) -> PathBuf {
    let line = step
        .outputs
        .lines()
        .find_map(|l| l.strip_prefix("bin="))
        .unwrap_or_else(|| panic!("no bin output in {:?}", step.outputs));
    PathBuf::from(line)
}

fn run_bin(path: &Path) -> String {
    String::from_utf8(Command::new(path).output().unwrap().stdout).unwrap()
}

#[test]
fn downloads_verifies_and_caches_the_release() {
    let site = tempfile::tempdir().unwrap();
    release(
        site.path(),
        "v1.2.3",
        "x86_64-unknown-linux-musl",
        "x86",
        true,
    );
    release(
        site.path(),
        "v1.2.3",
        "aarch64-unknown-linux-musl",
        "arm",
        true,
    );
    let server = Server::start(site.path());
    let runner = Runner::new();
    let url = server.url();
    let env = [
        ("INPUT_VERSION", "1.2.3"),
        ("INPUT_DOWNLOAD_BASE_URL", url.as_str()),
    ];

    let first = runner.run(&env);
    assert_eq!(first.code, 0, "{}", first.stdout);
    let bin = bin_output(&first);
    assert_eq!(
        bin,
        runner
            .tool_cache()
            .join("slipway/v1.2.3/x86_64-unknown-linux-musl/slipway")
    );
    assert_eq!(run_bin(&bin), "x86\n");

    // The tool cache is reused: no download happens once the server is gone.
    drop(server);
    let second = runner.run(&env);
    assert_eq!(second.code, 0, "{}", second.stdout);
    assert_eq!(bin_output(&second), bin);

    let arm_server = Server::start(site.path());
    let url = arm_server.url();
    let arm = runner.run(&[
        ("INPUT_VERSION", "v1.2.3"),
        ("INPUT_DOWNLOAD_BASE_URL", url.as_str()),
        ("RUNNER_ARCH", "ARM64"),
    ]);
    assert_eq!(arm.code, 0, "{}", arm.stdout);
    assert_eq!(run_bin(&bin_output(&arm)), "arm\n");
}

#[test]
fn a_checksum_mismatch_fails_the_step() {
    let site = tempfile::tempdir().unwrap();
    release(
        site.path(),
        "v2.0.0",
        "x86_64-unknown-linux-musl",
        "evil",
        false,
    );
    let server = Server::start(site.path());
    let runner = Runner::new();
    let url = server.url();
    let step = runner.run(&[
        ("INPUT_VERSION", "v2.0.0"),
        ("INPUT_DOWNLOAD_BASE_URL", url.as_str()),
    ]);
    assert_eq!(step.code, 1);
    assert!(
        step.stdout.starts_with(
            "::error title=slipway install::checksum mismatch for slipway-x86_64-unknown-linux-musl.tar.gz: expected 0000000000000000000000000000000000000000000000000000000000000000, got "
        ),
        "{}",
        step.stdout
    );
    assert_eq!(step.outputs, "", "no binary is handed to the next step");
    assert!(
        !runner.tool_cache().join("slipway/v2.0.0").exists(),
        "nothing unverified is cached"
    );
}

#[test]
fn an_existing_binary_is_used_as_is() {
    let runner = Runner::new();
    let bin = runner.temp.path().join("my-slipway");
    std::fs::write(&bin, "#!/bin/sh\necho mine\n").unwrap();
    Command::new("chmod").arg("+x").arg(&bin).status().unwrap();
    for var in ["INPUT_SLIPWAY_PATH", "SLIPWAY_BIN"] {
        let step = runner.run(&[(var, bin.to_str().unwrap())]);
        assert_eq!(step.code, 0, "{}", step.stdout);
        assert_eq!(bin_output(&step), bin);
    }
    let missing = runner.run(&[("INPUT_SLIPWAY_PATH", "/nonexistent/slipway")]);
    assert_eq!(missing.code, 1);
    assert_eq!(
        missing.stdout,
        "::error title=slipway install::slipway binary /nonexistent/slipway does not exist or is not executable; fix slipway-path (or SLIPWAY_BIN)\n"
    );
    let mac = runner.run(&[("RUNNER_OS", "macOS"), ("RUNNER_ARCH", "ARM64")]);
    assert_eq!(mac.code, 1);
    assert_eq!(
        mac.stdout,
        "::error title=slipway install::no slipway release for RUNNER_OS=macOS RUNNER_ARCH=ARM64: use a Linux X64 or ARM64 runner, or pass slipway-path\n"
    );
}
