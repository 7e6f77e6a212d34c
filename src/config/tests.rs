//! Table-driven tests of loading werf.yaml: the accepted forms, and every error message verbatim,
//! including its line and column.

use std::collections::BTreeMap;
use std::path::Path;

use super::*;

/// A meta section taking lines 1–3, so that the first image document starts at line 4.
const META: &str = "project: demo\nconfigVersion: 1\n---\n";

fn parse_ok(text: &str) -> WerfConfig {
    parse(Path::new("werf.yaml"), text).unwrap_or_else(|err| panic!("{err}\n---\n{text}"))
}

fn error(text: &str) -> String {
    match parse(Path::new("werf.yaml"), text) {
        Ok(config) => panic!("accepted {config:?}\n---\n{text}"),
        Err(err) => err.to_string(),
    }
}

fn name(s: &str) -> ImageName {
    ImageName::parse(s).expect("test image names are valid")
}

/// An image with every field at its default.
fn image(image_name: &str, line: usize) -> ImageConfig {
    ImageConfig {
        name: if image_name == "~" {
            ImageName::unnamed()
        } else {
            name(image_name)
        },
        dockerfile: "Dockerfile".to_owned(),
        context: ".".to_owned(),
        target: None,
        args: BTreeMap::new(),
        add_host: Vec::new(),
        network: None,
        ssh: None,
        secrets: Vec::new(),
        context_add_files: Vec::new(),
        dependencies: Vec::new(),
        cache_version: None,
        is_final: true,
        line,
        stapel: None,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn werf_docs_example() {
    // The multi-image example of werf's "Images and dependencies" docs, verbatim.
    let text = "project: my-project\nconfigVersion: 1\n---\nimage: backend\ndockerfile: Dockerfile\n\
                context: backend\n---\nimage: frontend\ndockerfile: Dockerfile\ncontext: frontend\n\
                target: application\n---\nimage: frontend-assets\ndockerfile: Dockerfile\n\
                context: frontend\ntarget: assets\n";
    let config = parse_ok(text);
    let expected = WerfConfig {
        path: "werf.yaml".into(),
        project: ProjectName::parse("my-project").expect("valid"),
        build_cache_version: None,
        images: vec![
            ImageConfig {
                context: "backend".to_owned(),
                ..image("backend", 4)
            },
            ImageConfig {
                context: "frontend".to_owned(),
                target: Some("application".to_owned()),
                ..image("frontend", 8)
            },
            ImageConfig {
                context: "frontend".to_owned(),
                target: Some("assets".to_owned()),
                ..image("frontend-assets", 13)
            },
        ],
    };
    assert_eq!(config, expected);
}

#[test]
fn seed_example() {
    let text = format!(
        "{META}image: backend\ndockerfile: backend.Dockerfile\n---\nimage: frontend\n\
         target: application\n---\nimage: frontend-assets\ntarget: assets\n"
    );
    let expected = vec![
        ImageConfig {
            dockerfile: "backend.Dockerfile".to_owned(),
            ..image("backend", 4)
        },
        ImageConfig {
            target: Some("application".to_owned()),
            ..image("frontend", 7)
        },
        ImageConfig {
            target: Some("assets".to_owned()),
            ..image("frontend-assets", 10)
        },
    ];
    assert_eq!(parse_ok(&text).images, expected);
}

#[test]
fn every_key() {
    let text = format!(
        "# leading comment
---
---
{META}image: [app, app-debug]
final: false
dockerfile: docker/App.Dockerfile
context: ./src
target: runtime
args:
  VERSION: 1.10
  DEBUG: True
  PORT: 8080
  HEX: 0x1F
  ZERO: 010
  NAME: \"x y\"
  EMPTY: ''
addHost: db:10.0.0.2
network: host
ssh: default
contextAddFile: [.env, gen/]
staged: true
cacheVersion: 2.50
dependencies:
- image: base
  imports:
  - type: ImageName
    targetBuildArg: BASE_NAME
  - {{type: ImageTag, targetBuildArg: BASE_TAG}}
  - type: ImageRepo
    targetBuildArg: BASE_REPO
  - type: ImageID
    targetBuildArg: BASE_ID
  - type: ImageDigest
    targetBuildArg: BASE_DIGEST
- from: tools
---
image: base
---
image: tools
dependencies: ~
"
    );
    // format! turned the `{{` above into `{`: the text must not look like a Go template.
    assert!(!text.contains("{{"));
    let config = parse_ok(&text);
    let app = ImageConfig {
        dockerfile: "docker/App.Dockerfile".to_owned(),
        context: "./src".to_owned(),
        target: Some("runtime".to_owned()),
        args: [
            ("VERSION", "1.10"),
            ("DEBUG", "True"),
            ("PORT", "8080"),
            ("HEX", "0x1F"),
            ("ZERO", "010"),
            ("NAME", "x y"),
            ("EMPTY", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
        add_host: strings(&["db:10.0.0.2"]),
        network: Some("host".to_owned()),
        ssh: Some("default".to_owned()),
        secrets: Vec::new(),
        context_add_files: strings(&[".env", "gen/"]),
        dependencies: vec![
            Dependency {
                image: name("base"),
                imports: [
                    (ImportKind::ImageName, "BASE_NAME"),
                    (ImportKind::ImageTag, "BASE_TAG"),
                    (ImportKind::ImageRepo, "BASE_REPO"),
                    (ImportKind::ImageId, "BASE_ID"),
                    (ImportKind::ImageDigest, "BASE_DIGEST"),
                ]
                .into_iter()
                .map(|(kind, arg)| Import {
                    kind,
                    target: arg.to_owned(),
                })
                .collect(),
            },
            Dependency {
                image: name("tools"),
                imports: Vec::new(),
            },
        ],
        cache_version: Some("2.50".to_owned()),
        is_final: false,
        ..image("app", 7)
    };
    let expected = vec![
        app.clone(),
        ImageConfig {
            name: name("app-debug"),
            ..app
        },
        image("base", 40),
        image("tools", 42),
    ];
    assert_eq!(config.images, expected);
}

#[test]
fn meta_section() {
    for (text, project, cache_version) in [
        ("project: demo\nconfigVersion: 1\n", "demo", None),
        (
            "project: demo\nconfigVersion: 1\nbuild:\n  cacheVersion: 1.10\n  staged: true\n",
            "demo",
            Some("1.10"),
        ),
        ("project: 42\nconfigVersion: 1\n", "42", None),
        (
            "configVersion: 1\nproject: my-app\nbuild: {cacheVersion: v2}\ndeploy:\n  helmRelease: x\n\
             cleanup:\n  keepPolicies: []\ngitWorktree:\n  forceShallowClone: true\n",
            "my-app",
            Some("v2"),
        ),
        // The meta section may come after the images, as werf allows.
        (
            "image: a\n---\nproject: demo\nconfigVersion: 1\n",
            "demo",
            None,
        ),
    ] {
        let config = parse_ok(text);
        assert_eq!(config.project.as_str(), project, "{text}");
        assert_eq!(
            config.build_cache_version.as_deref(),
            cache_version,
            "{text}"
        );
    }
}

#[test]
fn image_forms() {
    for (body, expected) in [
        ("image: ~\n", vec![image("~", 4)]),
        ("image:\n", vec![image("~", 4)]),
        (
            "image: backend\ndockerfile:\ncontext: ''\n",
            vec![image("backend", 4)],
        ),
        ("image: [a, b]\n", vec![image("a", 4), image("b", 4)]),
        ("image:\n- a\n- b\n", vec![image("a", 4), image("b", 4)]),
        ("\n# comment\n\nimage: a\n", vec![image("a", 7)]),
        ("image: 2048\n", vec![image("2048", 4)]),
        (
            "image: !!str 2048\ntarget: !!str 1.10\n",
            vec![ImageConfig {
                target: Some("1.10".to_owned()),
                ..image("2048", 4)
            }],
        ),
        ("image: App/Web.v2\n", vec![image("App/Web.v2", 4)]),
        (
            "image: a\nfinal: ~\ncontextAddFiles: []\ncontextAddFile: [x]\n",
            vec![ImageConfig {
                context_add_files: strings(&["x"]),
                ..image("a", 4)
            }],
        ),
        (
            "image: a\ncontext: app\ndockerfile: ../Dockerfile\n",
            vec![ImageConfig {
                context: "app".to_owned(),
                dockerfile: "../Dockerfile".to_owned(),
                ..image("a", 4)
            }],
        ),
        (
            "image: a\ncontext: app/..\ncontextAddFiles: [x/../y]\n",
            vec![ImageConfig {
                context: "app/..".to_owned(),
                context_add_files: strings(&["x/../y"]),
                ..image("a", 4)
            }],
        ),
        (
            "image: a\nargs:\n  <<: {A: \"1\", B: \"2\"}\n  B: \"3\"\n",
            vec![ImageConfig {
                args: [("A", "1"), ("B", "3")]
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v.to_owned()))
                    .collect(),
                ..image("a", 4)
            }],
        ),
    ] {
        assert_eq!(
            parse_ok(&format!("{META}{body}")).images,
            expected,
            "{body}"
        );
    }
}

#[test]
fn secrets() {
    let config = parse_ok(&format!(
        "{META}image: backend\nsecrets:\n- env: TOKEN\n- src: keys/deploy.key\n- id: npm\n  src: /etc/npmrc\n- id: pass\n  value: hunter2\n"
    ));
    let secrets = &config.images[0].secrets;
    let ids: Vec<&str> = secrets.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["TOKEN", "deploy.key", "npm", "pass"]);
    assert_eq!(secrets[0].source, SecretSource::Env("TOKEN".to_owned()));
    assert_eq!(
        secrets[1].source,
        SecretSource::File("keys/deploy.key".to_owned())
    );
    assert!(matches!(&secrets[3].source, SecretSource::Value(v) if v.expose() == "hunter2"));
    assert!(!format!("{config:?}").contains("hunter2"), "never printed");
}

#[test]
fn errors() {
    let cases: Vec<(String, &str)> = vec![
        // YAML syntax, also inside later documents (positions count from the top of the file).
        (
            "key: value\n  bad: indent\n".to_owned(),
            "werf.yaml:2:6: invalid YAML: mapping values are not allowed in this context; fix the YAML syntax here",
        ),
        (
            format!("{META}image: backend\ndockerfile: [a\n"),
            "werf.yaml:6:1: invalid YAML: did not find expected ',' or ']', while parsing a flow sequence at line 5 column 13; fix the YAML syntax here",
        ),
        (
            format!("{META}image: a\n---\nimage: b\n  x: y\n"),
            "werf.yaml:7:4: invalid YAML: mapping values are not allowed in this context; fix the YAML syntax here",
        ),
        (
            format!("{META}image: a\nargs:\n  A: *missing\n"),
            "werf.yaml:6:6: invalid YAML: unknown anchor; fix the YAML syntax here",
        ),
        // YAML that werf.yaml never needs.
        (
            format!("{META}image: a\nimage: b\n"),
            "werf.yaml:5:1: key \"image\" appears twice in this document; keep only one of them",
        ),
        (
            format!("{META}image: a\nargs:\n  A: 1\n  A: 2\n"),
            "werf.yaml:7:3: key \"A\" appears twice in \"args\"; keep only one of them",
        ),
        (
            format!("{META}image: a\n1: x\n"),
            "werf.yaml:5:1: a key in this document is not a plain string; use names like `dockerfile:` as keys",
        ),
        (
            format!("{META}image: !custom a\n"),
            "werf.yaml:4:8: YAML tags (`!name`) are not supported; remove the tag",
        ),
        (
            format!("{META}image: a\nargs:\n  <<: 5\n"),
            "werf.yaml:6:3: `<<` must merge a mapping or a list of mappings; point it at a mapping, e.g. `<<: *defaults`",
        ),
        // Documents.
        (
            format!("{META}- a\n- b\n"),
            "werf.yaml:4:1: this document is a list, not a mapping; write `key: value` lines (`project:` and `configVersion:` for the meta section, `image:` and `dockerfile:` for an image)",
        ),
        (
            format!("{META}foo: bar\n"),
            "werf.yaml:4:1: this document is neither the meta section nor an image; start an image with `image: NAME`, or give the meta section `project: NAME` and `configVersion: 1`",
        ),
        (
            format!("{META}project: other\nconfigVersion: 1\n"),
            "werf.yaml:4:1: a second meta section (the first starts at line 1); keep project, configVersion and build in one document",
        ),
        // The meta section.
        (
            "".to_owned(),
            "werf.yaml:1:1: there is no meta section with `project`; start the file with `project: NAME` and `configVersion: 1`, then `---` before the images",
        ),
        (
            "# nothing yet\n---\n".to_owned(),
            "werf.yaml:1:1: there is no meta section with `project`; start the file with `project: NAME` and `configVersion: 1`, then `---` before the images",
        ),
        (
            "image: a\n".to_owned(),
            "werf.yaml:1:1: there is no meta section with `project`; start the file with `project: NAME` and `configVersion: 1`, then `---` before the images",
        ),
        (
            "configVersion: 1\n---\nimage: a\n".to_owned(),
            "werf.yaml:1:1: \"project\" is missing or empty in the meta section; add `project: my-app`",
        ),
        (
            "configVersion: 1\nproject: ''\n".to_owned(),
            "werf.yaml:2:1: \"project\" is missing or empty in the meta section; add `project: my-app`",
        ),
        (
            "project: demo\n".to_owned(),
            "werf.yaml:1:1: \"configVersion\" is missing or empty in the meta section; add `configVersion: 1`",
        ),
        (
            "project: demo\nconfigVersion: 2\n".to_owned(),
            "werf.yaml:2:16: configVersion must be 1, not 2; set `configVersion: 1`",
        ),
        (
            "project: demo\nconfigVersion: \"1\"\n".to_owned(),
            "werf.yaml:2:16: configVersion must be 1, not \"1\"; set `configVersion: 1`",
        ),
        (
            "project: demo\nconfigVersion: 1.0\n".to_owned(),
            "werf.yaml:2:16: configVersion must be 1, not 1.0; set `configVersion: 1`",
        ),
        (
            "project: demo\nconfigVersion:\n".to_owned(),
            "werf.yaml:2:15: configVersion must be 1, not empty; set `configVersion: 1`",
        ),
        (
            "project: My_App\nconfigVersion: 1\n".to_owned(),
            "werf.yaml:1:10: project name \"My_App\" is invalid: use lower-case letters, digits and single dashes, starting and ending with a letter or digit, at most 50 characters",
        ),
        (
            "project: [demo]\nconfigVersion: 1\n".to_owned(),
            "werf.yaml:1:10: \"project\" in the meta section must be a single value, not a list; write it as `project: my-app`",
        ),
        (
            "project: demo\nconfigVersion: 1\nbuidl: {}\n".to_owned(),
            "werf.yaml:3:1: unknown key \"buidl\" in the meta section; did you mean \"build\"?",
        ),
        (
            "project: demo\nconfigVersion: 1\nbuild: x\n".to_owned(),
            "werf.yaml:3:8: \"build\" in the meta section must be a mapping, not a string; write it as `build: {cacheVersion: \"1\"}`",
        ),
        (
            "project: demo\nconfigVersion: 1\nbuild:\n  cacheVerison: 2\n".to_owned(),
            "werf.yaml:4:3: unknown key \"cacheVerison\" in build of the meta section; did you mean \"cacheVersion\"?",
        ),
        (
            "project: demo\nconfigVersion: 1\nbuild:\n  platform: [linux/amd64]\n".to_owned(),
            "werf.yaml:4:3: slipway does not support `build.platform` yet (in the meta section); remove it, or keep building this project with werf",
        ),
        (
            "project: demo\nconfigVersion: 1\nbuild:\n  imageSpec: {author: me}\n".to_owned(),
            "werf.yaml:4:3: slipway does not support `build.imageSpec` yet (in the meta section); remove it, or keep building this project with werf",
        ),
        // Unknown and unsupported image keys.
        (
            format!("{META}image: backend\ndockerFile: backend.Dockerfile\n"),
            "werf.yaml:5:1: unknown key \"dockerFile\" in image \"backend\"; did you mean \"dockerfile\"?",
        ),
        (
            format!("{META}image: backend\nfoo: 1\n"),
            "werf.yaml:5:1: unknown key \"foo\" in image \"backend\"; remove it (the keys here are: image, final, dockerfile, context, target, args, addHost, network, ssh, contextAddFiles, contextAddFile, dependencies, cacheVersion, secrets, staged)",
        ),
        (
            format!("{META}image: [a, b]\nlabels: {{x: y}}\n"),
            "werf.yaml:5:1: unknown key \"labels\" in image \"a, b\"; remove it (the keys here are: image, final, dockerfile, context, target, args, addHost, network, ssh, contextAddFiles, contextAddFile, dependencies, cacheVersion, secrets, staged)",
        ),
        (
            format!("{META}image: backend\ndockerfile: Dockerfile\nshell:\n  install: [make]\n"),
            "werf.yaml:6:1: unknown key \"shell\" in image \"backend\"; `shell` applies only to Stapel images; remove it",
        ),
        (
            format!("{META}image: backend\nplatform: [linux/arm64]\n"),
            "werf.yaml:5:1: slipway does not support `platform` yet (in image \"backend\"); remove it, or keep building this project with werf",
        ),
        (
            format!("{META}image: backend\nsecrets:\n- env: TOKEN\n  src: f\n"),
            "werf.yaml:6:3: secrets[0] must have exactly one of `env`, `src` and `value` (it has 2) (in image \"backend\")",
        ),
        (
            format!("{META}image: backend\nsecrets:\n- value: v\n"),
            "werf.yaml:6:3: secrets[0] has a `value` but no `id`; add `id: NAME` (the id that `RUN --mount=type=secret,id=NAME` uses) (in image \"backend\")",
        ),
        (
            format!("{META}image: backend\nsecrets:\n- env: A\n- id: A\n  src: x/A\n"),
            "werf.yaml:7:3: secrets[1]: the id \"A\" is used twice; give each secret its own `id` (in image \"backend\")",
        ),
        (
            format!("{META}image: backend\nsecrets:\n- env: A\n  ids: x\n"),
            "werf.yaml:7:3: unknown key \"ids\" in secrets[0] of image \"backend\"; did you mean \"id\"?",
        ),
        (
            format!("{META}image: ~\nimageSpec:\n  author: me\n"),
            "werf.yaml:5:1: slipway does not support `imageSpec` yet (in the unnamed image); remove it, or keep building this project with werf",
        ),
        (
            format!("{META}image: a\n---\nimage: b\ndependencies:\n- imgae: a\n"),
            "werf.yaml:8:3: unknown key \"imgae\" in dependencies[0] of image \"b\"; did you mean \"image\"?",
        ),
        (
            format!("{META}image: a\n---\nimage: b\ndependencies:\n- image: a\n  after: setup\n"),
            "werf.yaml:9:3: unknown key \"after\" in dependencies[0] of image \"b\"; `after` applies only to Stapel images; remove it",
        ),
        (
            format!(
                "{META}image: a\n---\nimage: b\ndependencies:\n- image: a\n  imports:\n  - type: ImageName\n    targetEnv: X\n"
            ),
            "werf.yaml:11:5: unknown key \"targetEnv\" in dependencies[0].imports[0] of image \"b\"; `targetEnv` applies only to Stapel images; remove it",
        ),
        // Stapel images.
        (
            format!(
                "{META}image: backend\nfrom: alpine\nansible:\n  install:\n  - apk: {{name: curl}}\n"
            ),
            "werf.yaml:6:1: slipway does not support `ansible` yet (in image \"backend\"); remove it, or keep building this project with werf",
        ),
        (
            format!("{META}artifact: assets\nfrom: node\nfinal: false\n"),
            "werf.yaml:6:1: artifact \"assets\": `final` directive is not supported for artifact; remove it (an artifact is never final)",
        ),
        (
            format!("{META}image: ~\nfrom: alpine\ngit:\n- add: /\n  to: app\n"),
            "werf.yaml:8:3: the unnamed image: `to: PATH` absolute path required for git; write it as /app",
        ),
        (
            format!(
                "{META}image: a\nfrom: alpine\ngit:\n- url: https://example.org/x.git\n  to: /x\n"
            ),
            "werf.yaml:7:3: slipway does not support `git[0].url` yet (in image \"a\"); remove it, or keep building this project with werf",
        ),
        (
            format!("{META}image: [a, b]\nfromImage: base\n"),
            "werf.yaml:5:12: image \"a\" depends on \"base\", which is not defined; define an image or artifact named \"base\"",
        ),
        (
            format!("{META}image: a\nshell:\n  install: make\n"),
            "werf.yaml:4:1: image \"a\": `from: DOCKER_IMAGE`, `fromImage: IMAGE_NAME` or `fromArtifact: IMAGE_ARTIFACT_NAME` required; add a base image, e.g. `from: alpine:3.20`",
        ),
        (
            format!("{META}image: a\nfrom: alpine\nfromImage: b\n"),
            "werf.yaml:6:1: image \"a\": conflict between `from` and `fromImage` directives; keep only one of `from`, `fromImage` and `fromArtifact`",
        ),
        (
            format!("{META}image: a\nfromImage: a\n"),
            "werf.yaml:5:1: image \"a\": conflict between `fromImage` and image name: image cannot reference itself; name another image of werf.yaml or use `from: IMAGE`",
        ),
        (
            format!("{META}image: a\nfrom: alpine\nshell:\n  instal: make\n"),
            "werf.yaml:7:3: unknown key \"instal\" in shell of image \"a\"; did you mean \"install\"?",
        ),
        (
            format!("{META}image: a\nfrom: alpine\nmount:\n- from: tmp\n  to: /tmp\n"),
            "werf.yaml:7:3: image \"a\": invalid `from: tmp` for mount: expected `tmp_dir` or `build_dir`",
        ),
        (
            format!(
                "{META}image: a\nfrom: alpine\nmount:\n- from: tmp_dir\n  to: /x\n- from: build_dir\n  to: /x\n"
            ),
            "werf.yaml:10:3: image \"a\": conflict between mounts: mount[0] and mount[1] both mount /x; give each mount its own `to`",
        ),
        (
            format!(
                "{META}artifact: x\nfrom: alpine\n---\nimage: a\nfrom: alpine\nimport:\n- artifact: x\n  add: /out\n"
            ),
            "werf.yaml:10:3: image \"a\": artifact stage is not specified with `before: install|setup` or `after: install|setup` for import; add one, e.g. `after: install`",
        ),
        (
            format!(
                "{META}artifact: x\nfrom: alpine\n---\nimage: a\nfrom: alpine\nimport:\n- artifact: x\n  add: /out\n  after: build\n"
            ),
            "werf.yaml:12:3: image \"a\": invalid artifact stage `after: build` for import: expected install or setup",
        ),
        (
            format!(
                "{META}artifact: x\nfrom: alpine\n---\nimage: a\nfrom: alpine\nimport:\n- artifact: x\n  add: /\n  after: install\n"
            ),
            "werf.yaml:11:3: image \"a\": `add: '/'` requires not empty includePaths to interpret copy sources unambiguously; list the paths to copy in `includePaths`",
        ),
        (
            format!("{META}artifact: x\nfrom: alpine\ndocker:\n  ENV: {{A: b}}\n"),
            "werf.yaml:6:1: artifact \"x\": `docker` section is not supported for artifact; move the instructions to the image that imports from it",
        ),
        (
            format!("{META}image: a\nfrom: alpine\ndocker:\n  CMD: {{a: b}}\n"),
            "werf.yaml:7:8: \"docker.CMD\" in image \"a\" must be a string or a list of strings, not a mapping; write it as `key: value`",
        ),
        // Dependencies of Stapel images (environment variables).
        (
            format!(
                "{META}image: base\nfrom: alpine\n---\nimage: app\nfrom: alpine\ndependencies:\n- image: base\n  after: install\n  imports:\n  - type: ImageName\n"
            ),
            "werf.yaml:13:5: image \"app\": targetEnv directive cannot be empty for a Stapel image; add `targetEnv: NAME`, the environment variable that receives the value",
        ),
        (
            format!(
                "{META}image: base\nfrom: alpine\n---\nimage: app\nfrom: alpine\ndependencies:\n- image: base\n  after: install\n  imports:\n  - type: ImageId\n    targetEnv: X\n"
            ),
            "werf.yaml:13:5: image \"app\": invalid `type: ImageId` for dependency import, expected one of: ImageName, ImageTag, ImageRepo, ImageID, ImageDigest; did you mean \"ImageID\"?",
        ),
        (
            format!(
                "{META}image: base\nfrom: alpine\n---\nimage: app\nfrom: alpine\ndependencies:\n- image: base\n  after: install\n  imports:\n  - targetEnv: X\n"
            ),
            "werf.yaml:13:5: image \"app\": invalid `type: ` for dependency import, expected one of: ImageName, ImageTag, ImageRepo, ImageID, ImageDigest; write one of them",
        ),
        (
            format!(
                "{META}image: base\nfrom: alpine\n---\nimage: app\nfrom: alpine\ndependencies:\n- image: bse\n  after: install\n"
            ),
            "werf.yaml:10:10: image \"app\" depends on \"bse\", which is not defined; did you mean \"base\"?",
        ),
        (
            format!(
                "{META}image: base\nfrom: alpine\n---\nimage: app\nfrom: alpine\ndependencies:\n- image: base\n  before: install\n  after: install\n"
            ),
            "werf.yaml:10:3: image \"app\": only one dependency stage can be specified with `before: install|setup` or `after: install|setup`, but not both; keep one of them",
        ),
        (
            format!(
                "{META}image: base\nfrom: alpine\n---\nimage: app\nfrom: alpine\ndependencies:\n- image: base\n  imports: []\n"
            ),
            "werf.yaml:10:3: image \"app\": dependency stage is not specified with `before: install|setup` or `after: install|setup`; add one, e.g. `after: install`",
        ),
        (
            format!(
                "{META}image: base\nfrom: alpine\n---\nimage: app\nfrom: alpine\ndependencies:\n- image: base\n  after: build\n"
            ),
            "werf.yaml:11:3: image \"app\": invalid dependency stage `after: build`: expected install or setup",
        ),
        (
            format!(
                "{META}image: base\nfrom: alpine\n---\nimage: app\nfrom: alpine\ndependencies:\n- after: install\n"
            ),
            "werf.yaml:10:3: image \"app\": image name is not specified for dependency; add `image: NAME`, an image of werf.yaml",
        ),
        (
            format!(
                "{META}image: base\nfrom: alpine\n---\nimage: app\nfrom: alpine\ndependencies:\n- image: base\n  after: install\n  imports:\n  - {{type: ImageName, targetEnv: A}}\n  - {{type: ImageTag, targetEnv: A}}\n"
            ),
            "werf.yaml:14:22: image \"app\": each targetEnv for dependency import should be unique, but found duplicates for: A; give each import its own variable",
        ),
        (
            format!(
                "{META}image: base\nfrom: alpine\n---\nimage: app\nfrom: alpine\ndependencies:\n- image: base\n  after: install\n  imports:\n  - type: ImageName\n    targetBuildArg: A\n"
            ),
            "werf.yaml:14:5: unknown key \"targetBuildArg\" in dependencies[0].imports[0] of image \"app\"; remove it (the keys here are: type, targetEnv)",
        ),
        (
            format!(
                "{META}image: base\nfrom: alpine\n---\nartifact: x\nfrom: alpine\ndependencies:\n- image: base\n  after: install\n"
            ),
            "werf.yaml:9:1: artifact \"x\": `dependencies` directive is not supported for artifact; make it an image with `final: false` to use them",
        ),
        (
            format!(
                "{META}image: base\nfrom: alpine\n---\nimage: app\nfrom: alpine\nimport:\n- image: base\n  add: /out\n  after: install\n  excludePaths: ['a/[b']\n"
            ),
            "werf.yaml:13:3: image \"app\": `excludePaths`: glob \"a/[b\": a `[` has no closing `]`; escape a literal `[`, `{` or `\\` with a backslash",
        ),
        // Image names.
        (
            format!("{META}dockerfile: Dockerfile\n"),
            "werf.yaml:4:1: \"image\" is missing or empty in this document; add `image: backend`",
        ),
        (
            format!("{META}image: -web\n"),
            "werf.yaml:4:8: image name \"-web\" is invalid: use letters, digits, '.', '_', '-' and '/' (each '/'-separated part starting with a letter or digit)",
        ),
        (
            format!("{META}image: [a, ~]\n"),
            "werf.yaml:4:12: image name \"\" is invalid: use letters, digits, '.', '_', '-' and '/' (each '/'-separated part starting with a letter or digit)",
        ),
        (
            format!("{META}image: {{name: a}}\n"),
            "werf.yaml:4:8: \"image\" in this document must be a name or a list of names, not a mapping; write it as `image: backend`",
        ),
        (
            format!("{META}image:\n- [a]\n"),
            "werf.yaml:5:3: \"image[0]\" in this document must be a name, not a list; write it as `image: [backend, worker]`",
        ),
        (
            format!("{META}image: []\n"),
            "werf.yaml:4:8: `image: []` names no image; list at least one name",
        ),
        (
            format!("{META}image: backend\ndockerfile: a\n---\nimage: backend\n"),
            "werf.yaml:7:8: image \"backend\" is defined twice (first at line 4, column 8); rename or remove one of them",
        ),
        (
            format!("{META}image: [a, b]\n---\nimage: b\n"),
            "werf.yaml:6:8: image \"b\" is defined twice (first at line 4, column 12); rename or remove one of them",
        ),
        (
            format!("{META}image:\n  - a\n  - a\n"),
            "werf.yaml:6:5: image \"a\" is defined twice (first at line 5, column 5); rename or remove one of them",
        ),
        (
            format!("{META}image: b\n---\nimage: ~\n"),
            "werf.yaml:6:1: the unnamed image (`image: ~`) must be the only image, but there are 2; give it a name",
        ),
        // Wrong types.
        (
            format!("{META}image: backend\ntarget: [a]\n"),
            "werf.yaml:5:9: \"target\" in image \"backend\" must be a single value, not a list; write it as `target: builder`",
        ),
        (
            format!("{META}image: backend\nfinal: yes\n"),
            "werf.yaml:5:8: \"final\" in image \"backend\" must be true or false, not a string; write it as `final: false`",
        ),
        (
            format!("{META}image: backend\nargs:\n- A=1\n"),
            "werf.yaml:6:1: \"args\" in image \"backend\" must be a mapping, not a list; write it as `args: {NAME: value}`",
        ),
        (
            format!("{META}image: backend\nargs:\n  A:\n"),
            "werf.yaml:6:5: \"args.A\" in image \"backend\" must be a string, number or boolean, not empty; write it as `NAME: value`",
        ),
        (
            format!("{META}image: backend\nargs:\n  A: {{b: c}}\n"),
            "werf.yaml:6:6: \"args.A\" in image \"backend\" must be a single value, not a mapping; write it as `NAME: value`",
        ),
        (
            format!("{META}image: backend\naddHost: {{a: b}}\n"),
            "werf.yaml:5:10: \"addHost\" in image \"backend\" must be a string or a list of strings, not a mapping; write it as `addHost: [\"db:10.0.0.2\"]`",
        ),
        (
            format!("{META}image: backend\naddHost:\n- [a]\n"),
            "werf.yaml:6:3: \"addHost[0]\" in image \"backend\" must be a string, not a list; write it as `addHost: [\"db:10.0.0.2\"]`",
        ),
        (
            format!("{META}image: backend\ncontextAddFiles:\n- ~\n"),
            "werf.yaml:6:3: \"contextAddFiles[0]\" in image \"backend\" must be a string, not empty; write it as `contextAddFiles: [.env]`",
        ),
        (
            format!("{META}image: backend\ndependencies: {{image: a}}\n"),
            "werf.yaml:5:15: \"dependencies\" in image \"backend\" must be a list, not a mapping; write it as `dependencies: [{image: backend}]`",
        ),
        (
            format!("{META}image: backend\ndependencies:\n- a\n"),
            "werf.yaml:6:3: \"dependencies[0]\" in image \"backend\" must be a mapping, not a string; write it as `- image: backend`",
        ),
        (
            format!(
                "{META}image: a\n---\nimage: b\ndependencies:\n- image: a\n  imports: ImageName\n"
            ),
            "werf.yaml:9:12: \"dependencies[0].imports\" in image \"b\" must be a list, not a string; write it as `imports: [{type: ImageName, targetBuildArg: BASE_IMAGE}]`",
        ),
        (
            format!(
                "{META}image: a\n---\nimage: b\ndependencies:\n- image: a\n  imports: [ImageName]\n"
            ),
            "werf.yaml:9:13: \"dependencies[0].imports[0]\" in image \"b\" must be a mapping, not a string; write it as `- type: ImageName`",
        ),
        // Dependencies.
        (
            format!("{META}image: frontend\ndependencies:\n- image: backnd\n---\nimage: backend\n"),
            "werf.yaml:6:10: image \"frontend\" depends on \"backnd\", which is not defined; did you mean \"backend\"?",
        ),
        (
            format!("{META}image: frontend\ndependencies:\n- from: api\n"),
            "werf.yaml:6:9: image \"frontend\" depends on \"api\", which is not defined; define an image named \"api\" or remove the dependency",
        ),
        (
            format!("{META}image: [a, b]\ndependencies:\n- image: c\n"),
            "werf.yaml:6:10: image \"a\" depends on \"c\", which is not defined; define an image named \"c\" or remove the dependency",
        ),
        (
            format!("{META}image: b\ndependencies:\n- imports: []\n"),
            "werf.yaml:6:3: \"dependencies[0].image\" is missing or empty in image \"b\"; add `image: backend`",
        ),
        (
            format!("{META}image: b\ndependencies:\n- from:\n"),
            "werf.yaml:6:3: \"dependencies[0].from\" is missing or empty in image \"b\"; add `from: backend`",
        ),
        (
            format!("{META}image: b\ndependencies:\n- image: ''\n"),
            "werf.yaml:6:3: \"dependencies[0].image\" is missing or empty in image \"b\"; add `image: backend`",
        ),
        (
            format!("{META}image: b\ndependencies:\n- image: \"a b\"\n"),
            "werf.yaml:6:10: image name \"a b\" is invalid: use letters, digits, '.', '_', '-' and '/' (each '/'-separated part starting with a letter or digit)",
        ),
        (
            format!("{META}image: a\n---\nimage: b\ndependencies:\n- image: a\n  from: a\n"),
            "werf.yaml:9:3: \"image\" and \"from\" in image \"b\" mean the same; keep only one of them",
        ),
        (
            format!(
                "{META}image: a\ndependencies:\n- image: b\n---\nimage: b\ndependencies:\n- image: a\n"
            ),
            "werf.yaml:10:10: images depend on each other in a cycle (a -> b -> a); remove one of these dependencies",
        ),
        (
            format!("{META}image: a\ndependencies:\n- image: a\n"),
            "werf.yaml:6:10: images depend on each other in a cycle (a -> a); remove one of these dependencies",
        ),
        (
            format!(
                "{META}image: a\ndependencies: [{{image: c}}]\n---\nimage: b\n---\nimage: c\ndependencies: [{{image: b}}, {{image: a}}]\n"
            ),
            "werf.yaml:10:36: images depend on each other in a cycle (a -> c -> a); remove one of these dependencies",
        ),
        // Imports.
        (
            format!(
                "{META}image: a\n---\nimage: b\ndependencies:\n- image: a\n  imports:\n  - type: ImageId\n    targetBuildArg: A\n"
            ),
            "werf.yaml:10:11: unknown import type \"ImageId\" at dependencies[0].imports[0].type of image \"b\"; did you mean \"ImageID\"?",
        ),
        (
            format!(
                "{META}image: a\n---\nimage: b\ndependencies:\n- image: a\n  imports:\n  - type: Digest\n    targetBuildArg: A\n"
            ),
            "werf.yaml:10:11: unknown import type \"Digest\" at dependencies[0].imports[0].type of image \"b\"; use one of ImageName, ImageTag, ImageRepo, ImageID, ImageDigest",
        ),
        (
            format!(
                "{META}image: a\n---\nimage: b\ndependencies:\n- image: a\n  imports:\n  - type: ImageName\n"
            ),
            "werf.yaml:10:5: \"dependencies[0].imports[0].targetBuildArg\" is missing or empty in image \"b\"; add `targetBuildArg: BASE_IMAGE`",
        ),
        (
            format!(
                "{META}image: a\n---\nimage: b\ndependencies:\n- image: a\n  imports:\n  - targetBuildArg: A\n    type:\n"
            ),
            "werf.yaml:11:5: \"dependencies[0].imports[0].type\" is missing or empty in image \"b\"; add `type: ImageName`",
        ),
        (
            format!(
                "{META}image: a\n---\nimage: b\nargs:\n  A_IMAGE: x\ndependencies:\n- image: a\n  imports:\n  - type: ImageName\n    targetBuildArg: A_IMAGE\n"
            ),
            "werf.yaml:13:21: build arg \"A_IMAGE\" is set twice in image \"b\" (also at line 8); give one of them another name",
        ),
        (
            format!(
                "{META}image: a\n---\nimage: b\ndependencies:\n- image: a\n  imports:\n  - {{type: ImageName, targetBuildArg: A}}\n- image: a\n  imports:\n  - {{type: ImageTag, targetBuildArg: A}}\n"
            ),
            "werf.yaml:13:38: build arg \"A\" is set twice in image \"b\" (also at line 10); give one of them another name",
        ),
        // Paths.
        (
            format!("{META}image: backend\ncontext: /src\n"),
            "werf.yaml:5:10: \"context\" in image \"backend\" is an absolute path (\"/src\"); write it relative to the project directory",
        ),
        (
            format!("{META}image: backend\ncontext: ../other\n"),
            "werf.yaml:5:10: \"context\" in image \"backend\" (\"../other\") points outside the project directory; slipway reads only files inside the project, so keep the path inside it",
        ),
        (
            format!("{META}image: backend\ndockerfile: /Dockerfile\n"),
            "werf.yaml:5:13: \"dockerfile\" in image \"backend\" is an absolute path (\"/Dockerfile\"); write it relative to the context directory",
        ),
        (
            format!("{META}image: backend\ncontext: app\ndockerfile: ../../Dockerfile\n"),
            "werf.yaml:6:13: \"dockerfile\" in image \"backend\" (\"../../Dockerfile\") points outside the project directory; slipway reads only files inside the project, so keep the path inside it",
        ),
        (
            format!("{META}image: backend\ncontextAddFiles:\n- .env\n- ../secret\n"),
            "werf.yaml:7:3: \"contextAddFiles[1]\" in image \"backend\" (\"../secret\") points outside the project directory; slipway reads only files inside the project, so keep the path inside it",
        ),
        (
            format!("{META}image: backend\ncontextAddFile: /etc/passwd\n"),
            "werf.yaml:5:17: \"contextAddFile\" in image \"backend\" is an absolute path (\"/etc/passwd\"); write it relative to the context directory",
        ),
        (
            format!("{META}image: backend\ncontextAddFiles: [a]\ncontextAddFile: [b]\n"),
            "werf.yaml:6:1: \"contextAddFile\" and \"contextAddFiles\" in image \"backend\" mean the same; keep only one of them",
        ),
    ];
    let mismatches: Vec<String> = cases
        .iter()
        .filter_map(|(text, expected)| {
            let actual = error(text);
            (actual != *expected)
                .then(|| format!("---\n{text}\n expected: {expected}\n actual:   {actual}"))
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ:\n{}",
        mismatches.len(),
        cases.len(),
        mismatches.join("\n")
    );
}

#[test]
fn error_fields() {
    let err = parse(
        Path::new("dir/werf.yaml"),
        &format!("{META}image: backend\ndockerFile: x\n"),
    )
    .expect_err("unknown key");
    match err {
        ConfigError::UnknownKey {
            path,
            line,
            column,
            section,
            parent,
            key,
            ..
        } => {
            assert_eq!(path, Path::new("dir/werf.yaml"));
            assert_eq!((line, column), (5, 1));
            assert_eq!(section, Section::Image("backend".to_owned()));
            assert_eq!((parent.as_str(), key.as_str()), ("", "dockerFile"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn positions_in_later_documents_are_absolute() {
    // serde_yaml_ng reads the stream with one parser, so marks already count from the file start;
    // this pins that down for documents after several others (and after empty ones).
    let text = format!("{META}image: a\n---\n---\n# only a comment\n---\nimage: b\nfoo: 1\n");
    assert_eq!(
        error(&text),
        "werf.yaml:10:1: unknown key \"foo\" in image \"b\"; remove it (the keys here are: image, final, dockerfile, context, target, args, addHost, network, ssh, contextAddFiles, contextAddFile, dependencies, cacheVersion, secrets, staged)"
    );
    assert_eq!(
        parse_ok(&format!("{META}image: a\n---\n---\nimage: b\n")).images[1].line,
        7
    );
}

fn write(dir: &Path, name: &str, text: &str) {
    fs_err::write(dir.join(name), text).expect("write test file");
}

#[test]
fn load_finds_the_config() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    let text = format!("{META}image: a\n");
    let request = |config: Option<&str>| LoadRequest {
        dir: dir.to_owned(),
        config: config.map(Into::into),
        dev: false,
        template: TemplateInputs::default(),
    };

    let err = load(&request(None)).expect_err("nothing to load");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: looked for werf.yaml and werf.yml in this directory, but neither exists; create werf.yaml there or pass --config PATH",
            dir.display()
        )
    );

    write(dir, "werf.yml", &text);
    assert_eq!(
        load(&request(None)).expect("werf.yml").path,
        dir.join("werf.yml")
    );

    write(dir, "werf.yaml", &text);
    let err = load(&request(None)).expect_err("both");
    assert_eq!(
        err.to_string(),
        format!(
            "{} and {} both exist; delete one of them or choose one with --config PATH",
            dir.join("werf.yaml").display(),
            dir.join("werf.yml").display()
        )
    );

    fs_err::create_dir(dir.join("ci")).expect("mkdir");
    write(&dir.join("ci"), "custom.yaml", &text);
    let config = load(&request(Some("ci/custom.yaml"))).expect("relative --config");
    assert_eq!(config.path, dir.join("ci/custom.yaml"));
    assert_eq!(config.images, vec![image("a", 4)]);

    let absolute = dir.join("ci/custom.yaml");
    let config = load(&LoadRequest {
        dir: "/nonexistent".into(),
        config: Some(absolute.clone()),
        dev: false,
        template: TemplateInputs::default(),
    })
    .expect("absolute --config");
    assert_eq!(config.path, absolute);

    let err = load(&request(Some("missing.yaml"))).expect_err("missing --config");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: cannot read the config file (it does not exist); check that the path is right and the file is readable UTF-8 text",
            dir.join("missing.yaml").display()
        )
    );

    fs_err::remove_file(dir.join("werf.yml")).expect("rm");
    write(
        dir,
        "werf.yaml",
        &format!("{META}image: a\nfrom: alpine\nansible: {{}}\n"),
    );
    let err = load(&request(None)).expect_err("ansible");
    assert_eq!(
        err.to_string(),
        format!(
            "{}:6:1: slipway does not support `ansible` yet (in image \"a\"); remove it, or keep building this project with werf",
            dir.join("werf.yaml").display()
        )
    );

    let err = load(&request(Some("ci"))).expect_err("a directory");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: cannot read the config file (it is a directory); check that the path is right and the file is readable UTF-8 text",
            dir.join("ci").display()
        )
    );

    fs_err::write(dir.join("latin1.yaml"), b"project: d\xe9mo\n").expect("write");
    let err = load(&request(Some("latin1.yaml"))).expect_err("not UTF-8");
    assert_eq!(
        err.to_string(),
        format!(
            "{}: cannot read the config file (it is not UTF-8 text); check that the path is right and the file is readable UTF-8 text",
            dir.join("latin1.yaml").display()
        )
    );
}

#[test]
fn stapel_sections() {
    // The pattern of real Stapel configs: an artifact that builds, an image that imports from
    // it, git with stageDependencies, shell stages, mounts and docker instructions.
    let text = format!(
        "{META}artifact: build\nfrom: golang:1.22\ngit:\n- add: /src\n  to: /go/src/app\n  \
         stageDependencies:\n    install: ['go.mod', '**/*.go']\nshell:\n  install: go build -o /out/app .\n\
         mount:\n- from: build_dir\n  to: /root/.cache\n---\nimage: app\nfrom: alpine:3.20\n\
         fromCacheVersion: '2'\ncacheVersion: v1\ngit:\n- add: /\n  to: /app\n  excludePaths: [src]\n  \
         owner: app\n  group: app\nshell:\n  beforeInstall:\n  - apk add curl\n  - adduser -D app\n  \
         setupCacheVersion: s1\nimport:\n- artifact: build\n  add: /out/app\n  to: /usr/local/bin/app\n  \
         after: install\ndocker:\n  ENV: {{MODE: prod}}\n  EXPOSE: '8080'\n  WORKDIR: /app\n  \
         CMD: [app, serve]\n  ENTRYPOINT: /bin/sh -c\n"
    );
    let config = parse_ok(&text);
    let [build, app] = &config.images[..] else {
        panic!("two images: {config:?}");
    };
    assert!(!build.is_final);
    let b = build.stapel.as_deref().expect("stapel");
    assert!(b.artifact);
    assert_eq!(b.from, StapelBase::Image("golang:1.22".to_owned()));
    assert_eq!(
        b.git[0].stage_dependencies[&UserStage::Install],
        strings(&["go.mod", "**/*.go"])
    );
    assert_eq!(b.mounts[0].from, MountFrom::BuildDir);
    let a = app.stapel.as_deref().expect("stapel");
    assert!(app.is_final);
    assert_eq!(app.cache_version.as_deref(), Some("v1"));
    assert_eq!(a.shell.cache_version.as_deref(), Some("v1"));
    assert_eq!(a.from_cache_version.as_deref(), Some("2"));
    assert_eq!(
        a.shell.commands[&UserStage::BeforeInstall],
        strings(&["apk add curl", "adduser -D app"])
    );
    assert_eq!(a.shell.stage_cache_versions[&UserStage::Setup], "s1");
    assert_eq!(a.git[0].exclude_paths, strings(&["src"]));
    assert_eq!(a.git[0].owner.as_deref(), Some("app"));
    assert_eq!(a.imports[0].image, name("build"));
    assert_eq!(a.imports[0].at, ImportAt::After(UserStage::Install));
    assert_eq!(a.docker.env["MODE"], "prod");
    assert_eq!(a.docker.expose, strings(&["8080"]));
    assert_eq!(
        a.docker.cmd,
        Some(Command::Exec(strings(&["app", "serve"])))
    );
    assert_eq!(
        a.docker.entrypoint,
        Some(Command::Shell("/bin/sh -c".to_owned()))
    );
    assert_eq!(app.needs(), vec![&name("build")]);
}

#[test]
fn stapel_dependencies() {
    // werf's form: the image of werf.yaml, the stage, and the variables; a Dockerfile image may
    // be the dependency too.
    let text = format!(
        "{META}image: base\ndockerfile: Dockerfile\n---\nimage: app\nfrom: alpine\n\
         dependencies:\n- image: base\n  before: setup\n  imports:\n  - type: ImageName\n    \
         targetEnv: BASE_NAME\n  - type: ImageDigest\n    targetEnv: BASE_DIGEST\n- image: base\n  \
         after: install\n"
    );
    let config = parse_ok(&text);
    let app = &config.images[1];
    assert!(app.dependencies.is_empty(), "not build args");
    let stapel = app.stapel.as_deref().expect("stapel");
    assert_eq!(
        stapel.dependencies,
        vec![
            StapelDependency {
                image: name("base"),
                at: ImportAt::Before(UserStage::Setup),
                imports: vec![
                    Import {
                        kind: ImportKind::ImageName,
                        target: "BASE_NAME".to_owned(),
                    },
                    Import {
                        kind: ImportKind::ImageDigest,
                        target: "BASE_DIGEST".to_owned(),
                    },
                ],
            },
            StapelDependency {
                image: name("base"),
                at: ImportAt::After(UserStage::Install),
                imports: Vec::new(),
            },
        ]
    );
    assert_eq!(app.needs(), vec![&name("base"), &name("base")]);
}
