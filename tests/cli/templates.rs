//! werf.yaml as a Go template: the constructs real templated configs use, giterminism, errors
//! with source positions, `config render|list`, and the digest rule.

use crate::common::{Repo, digest_of};

const DOCKERFILE: &str = "FROM scratch\nARG V\nCOPY a.txt /\n";
const GITERMINISM: &str = "giterminismConfigVersion: 1
config:
  goTemplateRendering:
    allowEnvVariables: [APP_VERSION, /CI_.*/]
";

fn repo(werf: &str, extra: &[(&str, &str)]) -> Repo {
    let mut files = vec![
        ("werf.yaml", werf),
        ("Dockerfile", DOCKERFILE),
        ("a.txt", "a\n"),
        ("werf-giterminism.yaml", GITERMINISM),
    ];
    files.extend_from_slice(extra);
    Repo::new(&files)
}

fn rendered(repo: &Repo, env: &[(&str, &str)]) -> String {
    repo.slipway(&["config", "render"], env).ok().stdout
}

fn images(repo: &Repo, env: &[(&str, &str)]) -> Vec<String> {
    let out = repo.slipway(&["config", "list"], env).ok().stdout;
    out.lines().map(str::to_owned).collect()
}

fn plan(repo: &Repo, env: &[(&str, &str)]) -> serde_json::Value {
    repo.slipway(&["plan", "--output", "json"], env).ok().json()
}

#[test]
fn env_with_default_and_variables() {
    let r = repo(
        "{{ $version := env \"APP_VERSION\" \"1.0\" }}project: demo
configVersion: 1
---
image: app
dockerfile: Dockerfile
args:
  V: {{ $version | quote }}
  CI: {{ env \"CI_COMMIT_REF_NAME\" \"none\" }}
",
        &[],
    );
    let out = rendered(&r, &[]);
    assert!(out.contains("  V: \"1.0\"\n  CI: none\n"), "{out}");
    let out = rendered(
        &r,
        &[("APP_VERSION", "2.5"), ("CI_COMMIT_REF_NAME", "main")],
    );
    assert!(out.contains("  V: \"2.5\"\n  CI: main\n"), "{out}");
    assert_eq!(images(&r, &[]), ["app"]);
}

#[test]
fn set_project_name_with_trunc_and_trim_suffix() {
    let r = repo(
        "{{- $_ := set . \"ProjectName\" (\"my-very-long-project-name-service\" | trimSuffix \"-service\" | trunc 12) }}
project: {{ .ProjectName }}
configVersion: 1
---
image: {{ .ProjectName }}-app
dockerfile: Dockerfile
",
        &[],
    );
    let plan = plan(&r, &[]);
    assert_eq!(plan["project"], "my-very-long");
    assert_eq!(plan["images"][0]["name"], "my-very-long-app");
}

#[test]
fn files_glob_with_tpl_skeletons() {
    let r = repo(
        "project: demo
configVersion: 1
{{- range $path, $content := .Files.Glob \".werf/images/*.yaml\" }}
---
{{ tpl $content (dict \"Name\" (base $path | trimSuffix \".yaml\")) }}
{{- end }}
",
        &[
            (
                ".werf/images/api.yaml",
                "image: {{ .Name }}\ndockerfile: Dockerfile\n",
            ),
            (
                ".werf/images/worker.yaml",
                "image: {{ .Name }}\ndockerfile: Dockerfile\nargs:\n  V: w\n",
            ),
        ],
    );
    assert_eq!(images(&r, &[]), ["api", "worker"]);
}

#[test]
fn include_of_partials_in_dot_werf() {
    let r = repo(
        "project: demo
configVersion: 1
---
{{ include \"image\" (dict \"name\" \"backend\") }}
---
{{ include \"sub/image.tmpl\" \"frontend\" }}
",
        &[
            (
                ".werf/_helpers.tmpl",
                "{{- define \"image\" -}}\nimage: {{ .name }}\ndockerfile: Dockerfile\n{{- end }}",
            ),
            (
                ".werf/sub/image.tmpl",
                "image: {{ . }}\ndockerfile: Dockerfile",
            ),
        ],
    );
    assert_eq!(images(&r, &[]), ["backend", "frontend"]);
}

#[test]
fn range_over_image_names_and_env_gating() {
    let r = repo(
        "project: demo
configVersion: 1
{{- range list \"api\" \"worker\" \"cron\" }}
---
image: {{ . }}
dockerfile: Dockerfile
args:
  V: {{ . | upper }}
{{- end }}
{{- if eq .Env \"prod\" }}
---
image: monitoring
dockerfile: Dockerfile
{{- end }}
",
        &[],
    );
    assert_eq!(images(&r, &[]), ["api", "worker", "cron"]);
    assert_eq!(
        images(&r, &[("WERF_ENV", "prod")]),
        ["api", "worker", "cron", "monitoring"]
    );
    let r2 = r.slipway(&["config", "list", "--env", "prod"], &[]).ok();
    assert!(r2.stdout.contains("monitoring"));
}

#[test]
fn files_get_from_yaml() {
    let r = repo(
        "{{- $cfg := .Files.Get \"images.yaml\" | fromYaml }}
project: {{ $cfg.project }}
configVersion: 1
{{- range $cfg.images }}
---
image: {{ .name }}
dockerfile: Dockerfile
args:
  V: {{ .version | quote }}
{{- end }}
",
        &[(
            "images.yaml",
            "project: fromfile\nimages:\n- name: one\n  version: 1.2\n- name: two\n  version: 3\n",
        )],
    );
    let out = rendered(&r, &[]);
    assert!(
        out.contains("image: one\ndockerfile: Dockerfile\nargs:\n  V: \"1.2\""),
        "{out}"
    );
    assert_eq!(plan(&r, &[])["project"], "fromfile");
}

#[test]
fn commit_values() {
    let r = repo(
        "project: demo
configVersion: 1
---
image: app
dockerfile: Dockerfile
args:
  V: {{ .Commit.Hash | trunc 8 }}-{{ .Commit.Date.Unix | len | toString }}
",
        &[],
    );
    let out = rendered(&r, &[]);
    let hash = crate::common::git(r.path(), &["rev-parse", "HEAD"]);
    assert!(
        out.contains(&format!("V: {}-10", &hash.trim()[..8])),
        "{out}"
    );
}

#[test]
fn env_refused_by_giterminism() {
    let r = repo(
        "project: demo\nconfigVersion: 1\n---\nimage: app\ndockerfile: Dockerfile\nargs:\n  V: {{ env \"SECRET_THING\" \"x\" }}\n",
        &[],
    );
    let run = r.slipway(&["plan"], &[("SECRET_THING", "y")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "error: werf.yaml:7:9: executing \"werf.yaml\" at <env \"SECRET_THING\" \"x\">: error calling env: env name \"SECRET_THING\" not allowed by giterminism (the value would make image digests depend on the machine); allow it in werf-giterminism.yaml with config.goTemplateRendering.allowEnvVariables: [SECRET_THING] (a name or a /regex/), or use --loose-giterminism\n"
    );
    let out = r
        .slipway(
            &["config", "render", "--loose-giterminism"],
            &[("SECRET_THING", "y")],
        )
        .ok();
    assert!(out.stdout.contains("V: y"), "{}", out.stdout);
    let out = r
        .slipway(
            &["config", "render"],
            &[("SECRET_THING", "y"), ("WERF_LOOSE_GITERMINISM", "1")],
        )
        .ok();
    assert!(out.stdout.contains("V: y"), "{}", out.stdout);
}

#[test]
fn env_without_default_must_be_set() {
    let r = repo(
        "project: demo\nconfigVersion: 1\n---\nimage: {{ env \"APP_VERSION\" }}\ndockerfile: Dockerfile\n",
        &[],
    );
    let run = r.slipway(&["plan"], &[]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: werf.yaml:4:11: executing \"werf.yaml\" at <env \"APP_VERSION\">: error calling env: the environment variable \"APP_VERSION\" must be set or default must be provided\n"
    );
}

#[test]
fn template_errors_name_the_position() {
    let cases = [
        (
            "project: demo\nconfigVersion: 1\n---\nimage: {{ .Env.Foo }}\n",
            "error: werf.yaml:4:15: executing \"werf.yaml\" at <.Env.Foo>: can't evaluate field Foo in type string\n",
        ),
        (
            "project: demo\n{{ if }}\n",
            "error: werf.yaml:2: missing value for if; fix the template syntax (werf.yaml is a Go template, rendered before it is read)\n",
        ),
        (
            "project: demo\n{{ nosuch 1 }}\n",
            "error: werf.yaml:2: function \"nosuch\" not defined; fix the template syntax (werf.yaml is a Go template, rendered before it is read)\n",
        ),
        (
            "project: demo\nconfigVersion: 1\n{{ required \"set .Values.name\" \"\" }}\n",
            "error: werf.yaml:3:4: executing \"werf.yaml\" at <required \"set .Values.name\" \"\">: error calling required: set .Values.name\n",
        ),
        (
            "project: demo\nconfigVersion: 1\n{{ now }}\n",
            "error: werf.yaml:3:4: executing \"werf.yaml\" at <now>: function \"now\" is not allowed: it reads the clock, which would make image digests unreproducible\n",
        ),
    ];
    for (werf, want) in cases {
        let r = repo(werf, &[]);
        let run = r.slipway(&["plan"], &[]);
        assert_eq!(run.code, 2, "{werf}");
        assert_eq!(run.stderr, want, "{werf}");
    }
}

#[test]
fn yaml_errors_point_to_the_source_line() {
    // Three images from one range at line 4, then a bad key on source line 9, which is
    // rendered line 15.
    let r = repo(
        "project: demo
configVersion: 1
{{- range list \"a\" \"b\" \"c\" }}
---
image: {{ . }}
dockerfile: Dockerfile
{{- end }}
---
image: d
dockerfil: Dockerfile
",
        &[],
    );
    let run = r.slipway(&["plan"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: werf.yaml:10:1: unknown key \"dockerfil\""),
        "{}",
        run.stderr
    );
}

#[test]
fn include_recursion_stops_with_a_clear_error() {
    let r = repo(
        "project: demo\n{{ define \"loop\" }}{{ include \"loop\" . }}{{ end }}{{ include \"loop\" . }}\n",
        &[],
    );
    let run = r.slipway(&["plan"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("rendering template has a nested reference name: loop: unable to execute template (more than 1000 nested include/tpl calls)"),
        "{}",
        &run.stderr[..run.stderr.len().min(2000)]
    );
}

#[test]
fn files_come_from_the_commit_unless_dev() {
    let r = repo(
        "project: demo\nconfigVersion: 1\n---\nimage: app\ndockerfile: Dockerfile\nargs:\n  V: {{ .Files.Get \"v.txt\" | trim }}\n",
        &[("v.txt", "committed\n")],
    );
    r.write("v.txt", "changed\n");
    let run = r.slipway(&["plan"], &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("the file \"v.txt\" has uncommitted changes; commit them, or allow the file with config.goTemplateRendering.allowUncommittedFiles in werf-giterminism.yaml (or use --dev)"),
        "{}",
        run.stderr
    );
    assert!(rendered_dev(&r).contains("V: changed"));
    r.write(
        "werf.yaml",
        "project: demo\nconfigVersion: 1\n---\nimage: app\ndockerfile: Dockerfile\nargs:\n  V: {{ .Files.Exists \"new.txt\" }}\n",
    );
    r.write("v.txt", "committed\n");
    r.commit("werf.yaml reads new.txt");
    r.write("new.txt", "x");
    assert!(rendered(&r, &[]).contains("V: false"));
    assert!(rendered_dev(&r).contains("V: true"));
}

fn rendered_dev(r: &Repo) -> String {
    r.slipway(&["config", "render", "--dev"], &[]).ok().stdout
}

#[test]
fn digest_depends_on_rendered_yaml_only() {
    let plain = "project: demo
configVersion: 1
---
image: app
dockerfile: Dockerfile
args:
  V: {{ env \"APP_VERSION\" \"1\" }}
---
image: other
dockerfile: Dockerfile
";
    let r = repo(plain, &[]);
    let before = plan(&r, &[]);
    // The same YAML from a differently written template.
    r.write(
        "werf.yaml",
        "{{- $v := env \"APP_VERSION\" \"1\" -}}
project: {{ \"demo\" }}
configVersion: 1
{{- /* images */}}
---
image: {{ printf \"%s\" \"app\" }}
dockerfile: Dockerfile
args:
  V: {{ $v }}
---
image: other
dockerfile: {{ \"Dockerfile\" }}
",
    );
    r.commit("reformat the template");
    let reformatted = plan(&r, &[]);
    for image in ["app", "other"] {
        assert_eq!(
            digest_of(&before, image),
            digest_of(&reformatted, image),
            "{image}"
        );
    }
    let changed = plan(&r, &[("APP_VERSION", "2")]);
    assert_ne!(digest_of(&before, "app"), digest_of(&changed, "app"));
    assert_eq!(digest_of(&before, "other"), digest_of(&changed, "other"));
}
