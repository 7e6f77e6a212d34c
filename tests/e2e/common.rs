//! The example project in a temporary git repository, the slipway binary, and registry queries.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

pub const OPEN: &str = "127.0.0.1:5000";
pub const AUTH: &str = "127.0.0.1:5001";

pub fn password() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/e2e/registry-password"
    ))
    .unwrap()
    .trim()
    .to_owned()
}

/// Fails (never skips) when the services are not up.
pub fn require_services() {
    let docker = Command::new("docker").arg("version").output();
    assert!(
        docker.is_ok_and(|o| o.status.success()),
        "the Docker engine is not running: start it with scripts/services"
    );
    for registry in [OPEN, AUTH] {
        let code = curl(&[
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("http://{registry}/v2/"),
        ]);
        assert!(
            code == "200" || code == "401",
            "registry {registry} is not running: start it with scripts/services"
        );
    }
}

pub fn curl(args: &[&str]) -> String {
    let out = Command::new("curl").args(args).output().expect("curl runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A repo path no other test uses.
pub fn unique_repo(registry: &str, name: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("{registry}/e2e/{name}-{}-{n}-{nanos}", std::process::id())
}

pub fn tags(repo: &str) -> Vec<String> {
    let (registry, path) = repo.split_once('/').unwrap();
    let auth = if registry == AUTH {
        vec!["-u".to_owned(), format!("slipway:{}", password())]
    } else {
        Vec::new()
    };
    let mut args: Vec<String> = vec!["-s".into()];
    args.extend(auth);
    args.push(format!("http://{registry}/v2/{path}/tags/list?n=1000"));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let body = curl(&refs);
    let v: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    let mut tags: Vec<String> = v["tags"]
        .as_array()
        .map(|a| a.iter().map(|t| t.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    tags.sort();
    tags
}

pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The bundled example project, committed, with a real static busybox beside it.
pub struct Project {
    pub dir: tempfile::TempDir,
    /// A private Docker client config directory.
    pub docker_config: tempfile::TempDir,
}

impl Project {
    pub fn example() -> Self {
        require_services();
        let dir = tempfile::tempdir().unwrap();
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("example");
        for rel in [
            "werf.yaml",
            "backend.Dockerfile",
            "frontend.Dockerfile",
            "backend/run.sh",
            "frontend/app/index.html",
            "frontend/app/serve.sh",
            ".dockerignore",
            ".gitignore",
        ] {
            let to = dir.path().join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(example.join(rel), to).unwrap();
        }
        Self::commit_new(dir)
    }

    /// A project of `files` (path, content), committed, with a static busybox beside them.
    pub fn with_files(files: &[(&str, &str)]) -> Self {
        require_services();
        let dir = tempfile::tempdir().unwrap();
        for (rel, content) in files {
            let to = dir.path().join(rel);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::write(to, content).unwrap();
        }
        Self::commit_new(dir)
    }

    fn commit_new(dir: tempfile::TempDir) -> Self {
        let busybox = which("busybox");
        std::fs::copy(busybox, dir.path().join("busybox")).unwrap();
        git(dir.path(), &["init", "-q", "-b", "main"]);
        git(dir.path(), &["add", "-A"]);
        git(dir.path(), &["commit", "-q", "-m", "init"]);
        Self {
            dir,
            docker_config: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: &str, content: &str) {
        std::fs::write(self.path().join(rel), content).unwrap();
    }

    pub fn commit(&self) {
        git(self.path(), &["add", "-A"]);
        git(self.path(), &["commit", "-q", "-m", "change"]);
    }

    /// Stores a login for the auth registry in the private Docker config.
    pub fn login(&self) {
        use std::io::Write;
        let auth = base64(&format!("slipway:{}", password()));
        let mut f = std::fs::File::create(self.docker_config.path().join("config.json")).unwrap();
        write!(f, "{{\"auths\":{{\"{AUTH}\":{{\"auth\":\"{auth}\"}}}}}}").unwrap();
    }

    pub fn slipway(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        Run::from(self.command(args, env).output().expect("slipway runs"))
    }

    /// A slipway run in this project with only `env` beside PATH, HOME and the Docker config.
    pub fn command(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_slipway"));
        cmd.args(args)
            .current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.path())
            .env("DOCKER_CONFIG", self.docker_config.path())
            .envs(env.iter().copied());
        cmd
    }
}

pub fn which(program: &str) -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{program} is not installed: run scripts/setup"))
}

fn base64(s: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let b = s.as_bytes();
    let mut out = String::new();
    for chunk in b.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Self {
        Self {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn ok(self) -> Self {
        assert_eq!(
            self.code, 0,
            "slipway failed:\n{}\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// The summary row's result word for `image` ("built", "reused", "copied").
    pub fn result_of(&self, image: &str) -> String {
        self.stdout
            .lines()
            .skip_while(|l| !l.starts_with("┌ Build summary"))
            .find_map(|l| {
                let mut cols = l.trim_start_matches("│ ").split_whitespace();
                (cols.next() == Some(image)).then(|| cols.next().unwrap().to_owned())
            })
            .unwrap_or_else(|| panic!("no summary row for {image} in:\n{}", self.stdout))
    }
}

/// Reads a JSON report.
pub fn json_file(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Concurrent builders of backend's digest: the repo holds exactly one tag for it, and every
/// builder's JSON report names that tag.
pub fn assert_one_published_tag(repo: &str, reports: &[PathBuf]) {
    let published = tags(repo);
    assert_eq!(
        published.len(),
        1,
        "exactly one tag for the digest: {published:?}"
    );
    for r in reports {
        assert_eq!(
            json_file(r)["Images"]["backend"]["DockerTag"],
            published[0].as_str(),
            "{}",
            r.display()
        );
    }
}

/// Reads an envfile report into pairs.
pub fn envfile(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_owned(), v.to_owned())
        })
        .collect()
}
