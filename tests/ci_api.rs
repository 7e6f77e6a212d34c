//! The opt-in GitHub check run and GitLab status/note integrations against a local HTTP server
//! that checks every request against the documented endpoint (method, path, headers, body
//! fields) and fails the test on anything else.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use slipway::ci::api_report::{BuildOutcome, ImageRow};
use slipway::ci::github_api::{
    self, CheckRunReport, GithubApiConfig, GithubApiError, SUMMARY_LIMIT,
};
use slipway::ci::github_output::{Annotation, Severity};
use slipway::ci::gitlab_api::{
    self, CommitStatusReport, GitlabApiConfig, GitlabApiError, MergeRequestNote,
};
use slipway::ci::{CiEnv, CiProvider, CommitSha, EventKind, PipelineInfo};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";
const GH_TOKEN: &str = "ghs_TestTokenValue0123456789";
const GL_TOKEN: &str = "glpat-TestTokenValue0123456789";

// ---------------------------------------------------------------------------------------------
// The checking server.

#[derive(Debug, Clone)]
struct Request {
    method: String,
    /// As sent, percent-encoding included, without the query.
    path: String,
    /// After `?`; empty when there was none (the gitlab crate sends a bare `?`).
    query: String,
    /// Lower-cased names.
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    fn json(&self) -> Result<Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| format!("body is not JSON: {e}"))
    }

    fn form(&self) -> Result<Vec<(String, String)>, String> {
        serde_urlencoded::from_bytes(&self.body).map_err(|e| format!("body is not a form: {e}"))
    }
}

struct Response {
    status: u16,
    body: Value,
}

fn reply(status: u16, body: Value) -> Response {
    Response { status, body }
}

/// One expected exchange: checks the request (an `Err` is a test failure) and answers it.
type Exchange = Box<dyn FnOnce(&Request) -> Result<Response, String> + Send>;

struct State {
    expected: VecDeque<(String, Exchange)>,
    seen: Vec<Request>,
    failures: Vec<String>,
}

struct Server {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
}

impl Server {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            expected: VecDeque::new(),
            seen: Vec::new(),
            failures: Vec::new(),
        }));
        let st = state.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let st = st.clone();
                tokio::spawn(async move { serve(stream, st).await });
            }
        });
        Self { addr, state }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues an exchange; `what` names it in failure messages.
    fn expect(
        &self,
        what: &str,
        f: impl FnOnce(&Request) -> Result<Response, String> + Send + 'static,
    ) {
        self.state
            .lock()
            .unwrap()
            .expected
            .push_back((what.to_owned(), Box::new(f)));
    }

    /// Fails the test on any recorded failure or any exchange that did not happen.
    fn finish(&self) -> Vec<Request> {
        let st = self.state.lock().unwrap();
        let missing: Vec<&str> = st.expected.iter().map(|(w, _)| w.as_str()).collect();
        assert!(
            st.failures.is_empty(),
            "server failures: {:#?}",
            st.failures
        );
        assert!(missing.is_empty(), "requests never made: {missing:?}");
        st.seen.clone()
    }
}

async fn serve(mut stream: TcpStream, state: Arc<Mutex<State>>) {
    let req = match read_request(&mut stream).await {
        Ok(Some(r)) => r,
        Ok(None) => return,
        Err(e) => {
            state
                .lock()
                .unwrap()
                .failures
                .push(format!("bad HTTP: {e}"));
            let _ = write_response(&mut stream, &reply(500, json!({"message": e}))).await;
            return;
        }
    };
    let response = {
        let mut st = state.lock().unwrap();
        st.seen.push(req.clone());
        match st.expected.pop_front() {
            // No endpoint used here takes query parameters.
            Some((what, _)) if !req.query.is_empty() => {
                let msg = format!("{what}: unexpected query {:?}", req.query);
                st.failures.push(msg.clone());
                reply(500, json!({"message": msg}))
            }
            None => {
                let msg = format!("unexpected request {} {}", req.method, req.path);
                st.failures.push(msg.clone());
                reply(500, json!({"message": msg}))
            }
            Some((what, f)) => match f(&req) {
                Ok(r) => r,
                Err(e) => {
                    let msg = format!("{what}: {} {}: {e}", req.method, req.path);
                    st.failures.push(msg.clone());
                    reply(500, json!({"message": msg}))
                }
            },
        }
    };
    let _ = write_response(&mut stream, &response).await;
}

async fn read_request(stream: &mut TcpStream) -> Result<Option<Request>, String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&buf, b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err("connection closed inside the head".into())
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).map_err(|e| e.to_string())?;
    let mut lines = head.split("\r\n");
    let start = lines.next().unwrap_or_default();
    let mut parts = start.split(' ');
    let (method, path, version) = (parts.next(), parts.next(), parts.next());
    let (Some(method), Some(path), Some("HTTP/1.1")) = (method, path, version) else {
        return Err(format!("bad request line {start:?}"));
    };
    let mut headers = BTreeMap::new();
    for line in lines {
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| format!("bad header line {line:?}"))?;
        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
    }
    let mut rest = buf[head_end + 4..].to_vec();
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        read_chunked(stream, rest).await?
    } else {
        let len: usize = match headers.get("content-length") {
            Some(v) => v.parse().map_err(|_| format!("bad content-length {v:?}"))?,
            None => 0,
        };
        while rest.len() < len {
            let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("connection closed inside the body".into());
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        rest.truncate(len);
        rest
    };
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    Ok(Some(Request {
        method: method.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        headers,
        body,
    }))
}

async fn read_chunked(stream: &mut TcpStream, mut buf: Vec<u8>) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        // Enough buffered for a size line and its chunk?
        if let Some(i) = find(&buf, b"\r\n") {
            let size_line = std::str::from_utf8(&buf[..i]).map_err(|e| e.to_string())?;
            let size_hex = size_line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size_hex, 16)
                .map_err(|_| format!("bad chunk size {size_line:?}"))?;
            if size == 0 {
                return Ok(body);
            }
            if buf.len() >= i + 2 + size + 2 {
                body.extend_from_slice(&buf[i + 2..i + 2 + size]);
                buf.drain(..i + 2 + size + 2);
                continue;
            }
        }
        let n = stream.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("connection closed inside a chunked body".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

async fn write_response(stream: &mut TcpStream, r: &Response) -> std::io::Result<()> {
    let body = r.body.to_string();
    let reason = match r.status {
        200 => "OK",
        201 => "Created",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        _ => "Other",
    };
    let head = format!(
        "HTTP/1.1 {} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n",
        r.status,
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

// ---------------------------------------------------------------------------------------------
// Field checks.

fn check(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what()) }
}

fn only_keys(
    obj: &serde_json::Map<String, Value>,
    allowed: &[&str],
    what: &str,
) -> Result<(), String> {
    for k in obj.keys() {
        check(allowed.contains(&k.as_str()), || {
            format!("{what}: unexpected field {k:?}")
        })?;
    }
    Ok(())
}

fn string<'a>(
    obj: &'a serde_json::Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<&'a str, String> {
    obj.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{what}.{key}: missing or not a string"))
}

fn positive(obj: &serde_json::Map<String, Value>, key: &str, what: &str) -> Result<u64, String> {
    obj.get(key)
        .and_then(Value::as_u64)
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("{what}.{key}: missing or not a positive integer"))
}

// ---------------------------------------------------------------------------------------------
// GitHub.

const GH_BASE_PATH: &str = "/api/v3";
const GH_REPO_PATH: &str = "/api/v3/repos/octo-org/my-repo/check-runs";

fn gh_env(server: &Server) -> CiEnv {
    [
        ("GITHUB_TOKEN", GH_TOKEN.to_owned()),
        ("GITHUB_REPOSITORY", "octo-org/my-repo".to_owned()),
        // A base path, as GitHub Enterprise has, must be kept.
        ("GITHUB_API_URL", format!("{}{GH_BASE_PATH}", server.base())),
    ]
    .into_iter()
    .collect()
}

fn gh_headers(r: &Request) -> Result<(), String> {
    check(
        r.header("authorization") == Some(&format!("Bearer {GH_TOKEN}")),
        || format!("Authorization: {:?}", r.header("authorization")),
    )?;
    check(
        r.header("accept") == Some("application/vnd.github+json"),
        || format!("Accept: {:?}", r.header("accept")),
    )?;
    check(
        r.header("x-github-api-version") == Some("2022-11-28"),
        || {
            format!(
                "X-GitHub-Api-Version: {:?}",
                r.header("x-github-api-version")
            )
        },
    )?;
    check(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json")),
        || format!("Content-Type: {:?}", r.header("content-type")),
    )?;
    // GitHub rejects requests without a User-Agent.
    check(
        r.header("user-agent").is_some_and(|u| !u.is_empty()),
        || "no User-Agent".into(),
    )
}

/// Checks `output` per the Checks API and returns the annotation messages in order.
fn gh_output(v: &Value) -> Result<Vec<String>, String> {
    let out = v.as_object().ok_or("output: not an object")?;
    only_keys(
        out,
        &["title", "summary", "text", "annotations", "images"],
        "output",
    )?;
    let title = string(out, "title", "output")?;
    check(!title.is_empty(), || "output.title: empty".into())?;
    let summary = string(out, "summary", "output")?;
    check(summary.chars().count() <= 65_535, || {
        format!("output.summary: {} characters", summary.chars().count())
    })?;
    let Some(anns) = out.get("annotations") else {
        return Ok(Vec::new());
    };
    let anns = anns.as_array().ok_or("output.annotations: not an array")?;
    check(anns.len() <= 50, || {
        format!(
            "output.annotations: {} in one request (at most 50)",
            anns.len()
        )
    })?;
    let mut messages = Vec::new();
    for (i, a) in anns.iter().enumerate() {
        let what = format!("output.annotations[{i}]");
        let a = a
            .as_object()
            .ok_or_else(|| format!("{what}: not an object"))?;
        only_keys(
            a,
            &[
                "path",
                "start_line",
                "end_line",
                "start_column",
                "end_column",
                "annotation_level",
                "message",
                "title",
                "raw_details",
            ],
            &what,
        )?;
        check(!string(a, "path", &what)?.is_empty(), || {
            format!("{what}.path: empty")
        })?;
        let start = positive(a, "start_line", &what)?;
        let end = positive(a, "end_line", &what)?;
        check(end >= start, || format!("{what}: end_line < start_line"))?;
        if a.contains_key("start_column") || a.contains_key("end_column") {
            check(start == end, || {
                format!("{what}: columns on a multi-line annotation")
            })?;
        }
        let level = string(a, "annotation_level", &what)?;
        check(matches!(level, "notice" | "warning" | "failure"), || {
            format!("{what}.annotation_level: {level:?}")
        })?;
        let message = string(a, "message", &what)?;
        if a.contains_key("title") {
            string(a, "title", &what)?;
        }
        messages.push(message.to_owned());
    }
    Ok(messages)
}

type Seen = Arc<Mutex<Vec<Vec<String>>>>;

fn gh_create(
    seen: Seen,
    conclusion: &'static str,
) -> impl FnOnce(&Request) -> Result<Response, String> + Send + 'static {
    move |r| {
        check(r.method == "POST", || format!("method {}", r.method))?;
        check(r.path == GH_REPO_PATH, || format!("path {}", r.path))?;
        gh_headers(r)?;
        let body = r.json()?;
        let obj = body.as_object().ok_or("body: not an object")?;
        only_keys(
            obj,
            &[
                "name",
                "head_sha",
                "details_url",
                "external_id",
                "status",
                "started_at",
                "conclusion",
                "completed_at",
                "output",
                "actions",
            ],
            "body",
        )?;
        check(!string(obj, "name", "body")?.is_empty(), || {
            "name: empty".into()
        })?;
        check(string(obj, "head_sha", "body")? == SHA, || {
            "head_sha".into()
        })?;
        check(string(obj, "status", "body")? == "completed", || {
            "status".into()
        })?;
        let c = string(obj, "conclusion", "body")?;
        check(c == conclusion, || {
            format!("conclusion {c:?}, expected {conclusion:?}")
        })?;
        let messages = gh_output(obj.get("output").ok_or("body.output: missing")?)?;
        seen.lock().unwrap().push(messages);
        Ok(reply(
            201,
            json!({"id": 4242, "html_url": "https://github.example/octo-org/my-repo/runs/4242",
                   "status": "completed", "conclusion": conclusion}),
        ))
    }
}

fn gh_update(seen: Seen) -> impl FnOnce(&Request) -> Result<Response, String> + Send + 'static {
    move |r| {
        check(r.method == "PATCH", || format!("method {}", r.method))?;
        check(r.path == format!("{GH_REPO_PATH}/4242"), || {
            format!("path {}", r.path)
        })?;
        gh_headers(r)?;
        let body = r.json()?;
        let obj = body.as_object().ok_or("body: not an object")?;
        only_keys(
            obj,
            &[
                "name",
                "details_url",
                "external_id",
                "started_at",
                "status",
                "conclusion",
                "completed_at",
                "output",
                "actions",
            ],
            "body",
        )?;
        let messages = gh_output(obj.get("output").ok_or("body.output: missing")?)?;
        seen.lock().unwrap().push(messages);
        Ok(reply(200, json!({"id": 4242})))
    }
}

fn annotations(n: usize) -> Vec<Annotation> {
    (0..n)
        .map(|i| {
            let severity = [Severity::Error, Severity::Warning, Severity::Notice][i % 3];
            let mut a = Annotation::new(severity, format!("annotation {i:03}"));
            a.file = Some(format!("src/file{}.rs", i % 7));
            a.line = Some(i as u32 + 1);
            if i % 2 == 0 {
                a.col = Some(3);
            } else {
                a.end_line = Some(i as u32 + 4);
            }
            a.title = (i % 5 == 0).then(|| format!("title {i}"));
            // Reversed ranks: they must still go out most important first.
            a.rank = (n - i) as u32;
            a
        })
        .collect()
}

fn check_run(success: bool, annotations: Vec<Annotation>, summary: String) -> CheckRunReport {
    CheckRunReport {
        name: github_api::DEFAULT_CHECK_NAME.to_owned(),
        head_sha: CommitSha::parse(SHA).unwrap(),
        success,
        title: "3 images: 1 built, 2 reused".to_owned(),
        summary,
        details_url: Some("https://github.example/octo-org/my-repo/actions/runs/1".into()),
        annotations,
    }
}

#[tokio::test]
async fn check_run_with_120_annotations_is_one_post_and_two_patches() {
    let server = Server::start().await;
    let seen: Seen = Arc::default();
    server.expect("create check run", gh_create(seen.clone(), "success"));
    server.expect("append batch 2", gh_update(seen.clone()));
    server.expect("append batch 3", gh_update(seen.clone()));
    let cfg = GithubApiConfig::from_env(&gh_env(&server)).unwrap();
    let long_summary = "| image | ref |\n".repeat(6_000);
    let published =
        github_api::publish_check_run(&cfg, &check_run(true, annotations(120), long_summary))
            .await
            .unwrap();
    let requests = server.finish();
    assert_eq!(requests.len(), 3);
    assert_eq!(published.id.0, 4242);
    assert_eq!(published.requests, 3);
    assert_eq!(published.annotations_sent, 120);
    assert_eq!(
        published.html_url.as_deref(),
        Some("https://github.example/octo-org/my-repo/runs/4242")
    );
    let batches = seen.lock().unwrap().clone();
    assert_eq!(
        batches.iter().map(Vec::len).collect::<Vec<_>>(),
        [50, 50, 20]
    );
    // Lowest rank first: annotation 119 has rank 1.
    let all: Vec<String> = batches.concat();
    let want: Vec<String> = (0..120)
        .rev()
        .map(|i| format!("annotation {i:03}"))
        .collect();
    assert_eq!(all, want);
    // The oversized summary was cut, with a note, in every request.
    for r in &requests {
        let summary = r.json().unwrap()["output"]["summary"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(summary.len() <= SUMMARY_LIMIT);
        assert!(
            summary.contains("summary truncated"),
            "{}",
            &summary[summary.len() - 200..]
        );
    }
}

#[tokio::test]
async fn check_run_without_annotations_is_one_post_with_failure() {
    let server = Server::start().await;
    let seen: Seen = Arc::default();
    server.expect("create check run", gh_create(seen.clone(), "failure"));
    let cfg = GithubApiConfig::from_env(&gh_env(&server)).unwrap();
    let mut no_file = Annotation::new(Severity::Error, "image backend: RUN exited with 1");
    no_file.title = Some("Build failed".into());
    let published =
        github_api::publish_check_run(&cfg, &check_run(false, vec![no_file], "summary".into()))
            .await
            .unwrap();
    let requests = server.finish();
    assert_eq!(published.requests, 1);
    assert_eq!(published.annotations_sent, 0);
    let body = requests[0].json().unwrap();
    assert!(body["output"].get("annotations").is_none());
    assert_eq!(
        body["output"]["summary"],
        "summary\n\n### Messages\n\n- **error** Build failed: image backend: RUN exited with 1\n"
    );
}

#[tokio::test]
async fn check_run_403_says_checks_write() {
    let server = Server::start().await;
    server.expect("create check run", |r| {
        check(r.method == "POST" && r.path == GH_REPO_PATH, || r.path.clone())?;
        gh_headers(r)?;
        Ok(reply(
            403,
            json!({"message": "Resource not accessible by integration",
                   "documentation_url": "https://docs.github.com/rest/checks/runs#create-a-check-run"}),
        ))
    });
    let cfg = GithubApiConfig::from_env(&gh_env(&server)).unwrap();
    let err = github_api::publish_check_run(&cfg, &check_run(true, annotations(3), "s".into()))
        .await
        .unwrap_err();
    server.finish();
    assert!(matches!(err, GithubApiError::Forbidden { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "POST {}{GH_REPO_PATH}: 403 Forbidden (Resource not accessible by integration): \
             GITHUB_TOKEN may not create check runs; it needs `checks: write` (add `permissions: \
             checks: write` to the job). A token from a fork's pull request is read-only. Note \
             that GitHub may attach the check run to another workflow's check suite",
            server.base()
        )
    );
    assert_no_token(&err, GH_TOKEN);
}

#[tokio::test]
async fn check_run_401_and_echoed_token_stay_hidden() {
    let server = Server::start().await;
    server.expect("create check run", |r| {
        // A misbehaving proxy that echoes the Authorization header back.
        let echoed = r.header("authorization").unwrap_or_default().to_owned();
        Ok(reply(
            401,
            json!({"message": format!("Bad credentials: {echoed}")}),
        ))
    });
    let cfg = GithubApiConfig::from_env(&gh_env(&server)).unwrap();
    let err = github_api::publish_check_run(&cfg, &check_run(true, vec![], "s".into()))
        .await
        .unwrap_err();
    server.finish();
    assert!(
        matches!(err, GithubApiError::Unauthorized { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "POST {}{GH_REPO_PATH}: 401 Unauthorized (Bad credentials: Bearer ***): GitHub did not \
             accept GITHUB_TOKEN; it is invalid or expired — pass the job's token \
             (`${{{{ github.token }}}}`) or a valid token",
            server.base()
        )
    );
    assert_no_token(&err, GH_TOKEN);
    assert!(!format!("{cfg:?}").contains(GH_TOKEN));
}

#[tokio::test]
async fn check_run_unreachable_server_names_the_endpoint() {
    // Bind and drop, so the port is (almost certainly) closed.
    let addr = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap()
        .local_addr()
        .unwrap();
    let env: CiEnv = [
        ("GITHUB_TOKEN", GH_TOKEN.to_owned()),
        ("GITHUB_REPOSITORY", "octo-org/my-repo".to_owned()),
        ("GITHUB_API_URL", format!("http://{addr}")),
    ]
    .into_iter()
    .collect();
    let cfg = GithubApiConfig::from_env(&env).unwrap();
    let err = github_api::publish_check_run(&cfg, &check_run(true, vec![], "s".into()))
        .await
        .unwrap_err();
    assert!(matches!(err, GithubApiError::Transport { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(&format!(
            "POST http://{addr}/repos/octo-org/my-repo/check-runs: "
        )),
        "{err}"
    );
    assert_no_token(&err, GH_TOKEN);
}

fn assert_no_token(err: &dyn std::error::Error, token: &str) {
    let shown = format!("{err} / {err:?}");
    assert!(!shown.contains(token), "token leaked: {shown}");
    // Nor a recognisable part of it.
    assert!(!shown.contains(&token[4..16]), "token leaked: {shown}");
}

// ---------------------------------------------------------------------------------------------
// GitLab.

const GL_PROJECT: &str = "group%2Fsub%2Fmy.project";

fn gl_env(server: &Server) -> CiEnv {
    [
        ("GITLAB_TOKEN", GL_TOKEN.to_owned()),
        ("CI_JOB_TOKEN", "job-token-value".to_owned()),
        // A relative URL root, as some self-managed instances have.
        ("CI_API_V4_URL", format!("{}/gitlab/api/v4", server.base())),
        ("CI_SERVER_URL", format!("{}/gitlab", server.base())),
        ("CI_PROJECT_PATH", "group/sub/my.project".to_owned()),
        ("CI_PROJECT_ID", "42".to_owned()),
        ("CI_PIPELINE_ID", "1001".to_owned()),
    ]
    .into_iter()
    .collect()
}

fn gl_headers(r: &Request) -> Result<(), String> {
    let auth = r.header("private-token") == Some(GL_TOKEN)
        || r.header("authorization") == Some(&format!("Bearer {GL_TOKEN}"));
    check(auth, || {
        format!(
            "no PRIVATE-TOKEN/Bearer token (PRIVATE-TOKEN {:?}, Authorization {:?})",
            r.header("private-token"),
            r.header("authorization")
        )
    })?;
    check(r.header("job-token").is_none(), || "JOB-TOKEN sent".into())
}

/// `GET /user`, which the client makes to check the token.
fn gl_user(r: &Request) -> Result<Response, String> {
    check(r.method == "GET", || format!("method {}", r.method))?;
    check(r.path == "/gitlab/api/v4/user", || {
        format!("path {}", r.path)
    })?;
    gl_headers(r)?;
    Ok(reply(
        200,
        json!({"id": 7, "username": "project_42_bot", "bot": true}),
    ))
}

/// A form body (what the crate sends) or a JSON object, as field → value.
fn gl_fields(r: &Request) -> Result<BTreeMap<String, Value>, String> {
    let ct = r.header("content-type").unwrap_or_default();
    if ct.starts_with("application/x-www-form-urlencoded") {
        let mut out = BTreeMap::new();
        for (k, v) in r.form()? {
            check(!out.contains_key(&k), || format!("field {k:?} twice"))?;
            out.insert(k, Value::String(v));
        }
        Ok(out)
    } else if ct.starts_with("application/json") {
        match r.json()? {
            Value::Object(m) => Ok(m.into_iter().collect()),
            _ => Err("body: not an object".into()),
        }
    } else {
        Err(format!("Content-Type {ct:?}"))
    }
}

fn gl_str<'a>(f: &'a BTreeMap<String, Value>, key: &str) -> Result<&'a str, String> {
    f.get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{key}: missing"))
}

fn outcome(success: bool) -> BuildOutcome {
    BuildOutcome {
        success,
        images: vec![
            ImageRow {
                name: "frontend".into(),
                reference: Some("registry.gitlab.example/group/app:91aa-1700000000000".into()),
                result: "reused".into(),
                seconds: Some(0.4),
                digest: Some("91aa".into()),
            },
            ImageRow {
                name: "backend".into(),
                reference: Some("registry.gitlab.example/group/app:0c5d-1700000000001".into()),
                result: "built".into(),
                seconds: Some(42.0),
                digest: Some("0c5d".into()),
            },
        ],
        failure: (!success).then(|| "image backend: RUN exited with 1".into()),
    }
}

fn gl_pipeline() -> PipelineInfo {
    PipelineInfo {
        provider: CiProvider::GitLab,
        event: EventKind::PullRequest,
        event_name: "merge_request_event".into(),
        branch: None,
        tag: None,
        pr_number: Some(7),
        pr_source_branch: Some("feature".into()),
        pr_target_branch: Some("main".into()),
        default_branch: Some("main".into()),
        sha: CommitSha::parse(SHA).unwrap(),
        pr_head_sha: None,
        project_url: "https://gitlab.example/group/sub/my.project".into(),
        run_url: Some("https://gitlab.example/group/sub/my.project/-/pipelines/1001".into()),
        job_url: Some("https://gitlab.example/group/sub/my.project/-/jobs/555".into()),
        registry: None,
        registry_repo: None,
        credentials: None,
        environment: None,
    }
}

#[tokio::test]
async fn gitlab_commit_status_body() {
    let server = Server::start().await;
    server.expect("check token", gl_user);
    server.expect("commit status", |r| {
        check(r.method == "POST", || format!("method {}", r.method))?;
        check(
            r.path == format!("/gitlab/api/v4/projects/{GL_PROJECT}/statuses/{SHA}"),
            || format!("path {}", r.path),
        )?;
        gl_headers(r)?;
        let f = gl_fields(r)?;
        for k in f.keys() {
            check(
                [
                    "state",
                    "name",
                    "ref",
                    "target_url",
                    "description",
                    "coverage",
                    "pipeline_id",
                ]
                .contains(&k.as_str()),
                || format!("unexpected field {k:?}"),
            )?;
        }
        let state = gl_str(&f, "state")?;
        check(state == "failed", || format!("state {state:?}"))?;
        check(gl_str(&f, "name")? == "slipway", || "name".into())?;
        check(
            gl_str(&f, "target_url")? == "https://gitlab.example/group/sub/my.project/-/jobs/555",
            || "target_url".into(),
        )?;
        let d = gl_str(&f, "description")?;
        check(d.chars().count() <= 255, || "description over 255".into())?;
        check(
            d == "build failed: image backend: RUN exited with 1",
            || format!("description {d:?}"),
        )?;
        let pid = f.get("pipeline_id").ok_or("pipeline_id: missing")?;
        check(pid == "1001" || pid == 1001, || {
            format!("pipeline_id {pid}")
        })?;
        Ok(reply(
            201,
            json!({"id": 93, "sha": SHA, "status": "failed", "name": "slipway"}),
        ))
    });
    let cfg = GitlabApiConfig::from_env(&gl_env(&server)).unwrap();
    let status = CommitStatusReport::from_outcome(&gl_pipeline(), &outcome(false));
    gitlab_api::post_commit_status(&cfg, &status).await.unwrap();
    server.finish();
}

#[tokio::test]
async fn gitlab_commit_status_long_fields_are_cut() {
    let server = Server::start().await;
    server.expect("check token", gl_user);
    server.expect("commit status", |r| {
        let f = gl_fields(r)?;
        check(gl_str(&f, "state")? == "success", || "state".into())?;
        check(gl_str(&f, "description")?.len() <= 255, || {
            "description over 255".into()
        })?;
        // An over-long URL is left out rather than failing the request.
        check(!f.contains_key("target_url"), || "target_url sent".into())?;
        Ok(reply(201, json!({"id": 94})))
    });
    let cfg = GitlabApiConfig::from_env(&gl_env(&server)).unwrap();
    let mut status = CommitStatusReport::from_outcome(&gl_pipeline(), &outcome(true));
    status.description = "é".repeat(300);
    status.target_url = Some(format!("https://gitlab.example/{}", "x".repeat(300)));
    gitlab_api::post_commit_status(&cfg, &status).await.unwrap();
    server.finish();
}

#[tokio::test]
async fn gitlab_mr_note_body() {
    let server = Server::start().await;
    server.expect("check token", gl_user);
    server.expect("merge request note", |r| {
        check(r.method == "POST", || format!("method {}", r.method))?;
        check(
            r.path == format!("/gitlab/api/v4/projects/{GL_PROJECT}/merge_requests/7/notes"),
            || format!("path {}", r.path),
        )?;
        gl_headers(r)?;
        let f = gl_fields(r)?;
        for k in f.keys() {
            check(
                ["body", "internal", "created_at", "merge_request_diff_head_sha"]
                    .contains(&k.as_str()),
                || format!("unexpected field {k:?}"),
            )?;
        }
        let body = gl_str(&f, "body")?;
        let want = "### slipway\n\n2 images: 1 reused, 1 built\n\n\
             | Image | Reference | Result | Time | Digest |\n\
             |---|---|---|---|---|\n\
             | backend | `registry.gitlab.example/group/app:0c5d-1700000000001` | built | 42.0 s | `0c5d` |\n\
             | frontend | `registry.gitlab.example/group/app:91aa-1700000000000` | reused | 0.4 s | `91aa` |\n\
             \n[job](https://gitlab.example/group/sub/my.project/-/jobs/555) · commit `01234567`\n";
        check(body == want, || format!("body:\n{body}\nwanted:\n{want}"))?;
        Ok(reply(201, json!({"id": 301, "body": body})))
    });
    let cfg = GitlabApiConfig::from_env(&gl_env(&server)).unwrap();
    let note = MergeRequestNote::from_outcome(&gl_pipeline(), &outcome(true)).unwrap();
    assert_eq!(note.iid, 7);
    gitlab_api::post_mr_note(&cfg, &note).await.unwrap();
    server.finish();
}

#[tokio::test]
async fn gitlab_one_connection_for_both() {
    let server = Server::start().await;
    server.expect("check token", gl_user);
    server.expect("commit status", |r| {
        check(r.path.contains("/statuses/"), || r.path.clone())?;
        Ok(reply(201, json!({"id": 1})))
    });
    server.expect("merge request note", |r| {
        check(r.path.ends_with("/merge_requests/7/notes"), || {
            r.path.clone()
        })?;
        Ok(reply(201, json!({"id": 2})))
    });
    let cfg = GitlabApiConfig::from_env(&gl_env(&server)).unwrap();
    let api = gitlab_api::GitlabApi::connect(&cfg).await.unwrap();
    let p = gl_pipeline();
    api.commit_status(&CommitStatusReport::from_outcome(&p, &outcome(true)))
        .await
        .unwrap();
    api.mr_note(&MergeRequestNote::from_outcome(&p, &outcome(true)).unwrap())
        .await
        .unwrap();
    server.finish();
}

#[test]
fn gitlab_job_token_only_is_refused() {
    let env: CiEnv = [
        ("CI_JOB_TOKEN", "job-token-value"),
        ("CI_API_V4_URL", "https://gitlab.example.com/api/v4"),
        ("CI_PROJECT_PATH", "group/project"),
    ]
    .into_iter()
    .collect();
    let err = GitlabApiConfig::from_env(&env).unwrap_err();
    assert!(matches!(err, GitlabApiError::JobTokenOnly));
    assert_eq!(
        err.to_string(),
        "GitLab commit statuses and merge request notes need an access token, but only \
         CI_JOB_TOKEN is available and GitLab does not accept a job token for them: create a \
         project access token (or a personal access token) with the `api` scope and at least \
         the Developer role, store it as a masked CI/CD variable named GITLAB_TOKEN, and run again"
    );
    assert!(!format!("{err:?}").contains("job-token-value"));
}

#[tokio::test]
async fn gitlab_403_and_401_name_endpoint_and_hide_token() {
    let server = Server::start().await;
    server.expect("check token", gl_user);
    server.expect("commit status", |r| {
        let echoed = r.header("private-token").unwrap_or_default().to_owned();
        Ok(reply(
            403,
            json!({"message": format!("403 Forbidden for {echoed}")}),
        ))
    });
    let cfg = GitlabApiConfig::from_env(&gl_env(&server)).unwrap();
    let status = CommitStatusReport::from_outcome(&gl_pipeline(), &outcome(true));
    let err = gitlab_api::post_commit_status(&cfg, &status)
        .await
        .unwrap_err();
    server.finish();
    assert!(matches!(err, GitlabApiError::Forbidden { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!(
            "POST {}/gitlab/api/v4/projects/{GL_PROJECT}/statuses/{SHA}: 403 Forbidden (403 \
             Forbidden for ***): GITLAB_TOKEN needs the `api` scope and at least the Developer \
             role in the project",
            server.base()
        )
    );
    assert_no_token(&err, GL_TOKEN);

    let server = Server::start().await;
    server.expect("check token", |r| {
        check(r.path == "/gitlab/api/v4/user", || r.path.clone())?;
        Ok(reply(401, json!({"message": "401 Unauthorized"})))
    });
    let cfg = GitlabApiConfig::from_env(&gl_env(&server)).unwrap();
    let note = MergeRequestNote::from_outcome(&gl_pipeline(), &outcome(true)).unwrap();
    let err = gitlab_api::post_mr_note(&cfg, &note).await.unwrap_err();
    server.finish();
    assert!(
        matches!(err, GitlabApiError::Unauthorized { .. }),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "GET {}/gitlab/api/v4/user: 401 Unauthorized (401 Unauthorized): GitLab did not \
             accept GITLAB_TOKEN; it is invalid, expired or revoked",
            server.base()
        )
    );
    assert_no_token(&err, GL_TOKEN);
    assert!(!format!("{cfg:?}").contains(GL_TOKEN));
}

#[tokio::test]
async fn server_fails_the_test_on_an_unexpected_request() {
    let server = Server::start().await;
    let cfg = GithubApiConfig::from_env(&gh_env(&server)).unwrap();
    let err = github_api::publish_check_run(&cfg, &check_run(true, vec![], "s".into()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, GithubApiError::Status { status: 500, .. }),
        "{err:?}"
    );
    let finished = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.finish()));
    assert!(
        finished.is_err(),
        "an unexpected request must fail the test"
    );
}
