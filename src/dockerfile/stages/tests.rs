use std::collections::BTreeMap;

use super::*;
use crate::dockerfile::parser::parse;

fn platform() -> Platform {
    Platform {
        os: "linux".into(),
        arch: "amd64".into(),
        variant: None,
    }
}

fn analyze_with(src: &str, args: &[(&str, &str)]) -> Result<Analysis, StageError> {
    let args: BTreeMap<String, String> = args
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    analyze(&parse(src).expect("parses"), &args, &platform())
}

fn texts(a: &Analysis) -> Vec<Vec<String>> {
    a.stages
        .iter()
        .map(|s| s.steps.iter().map(|st| st.text.clone()).collect())
        .collect()
}

/// The expanded argument list of the step on `line`.
fn values(a: &Analysis, line: usize) -> Vec<String> {
    let step = a
        .stages
        .iter()
        .flat_map(|s| &s.steps)
        .find(|s| s.line == line)
        .expect("a step on that line");
    let v: serde_json::Value = serde_json::from_str(&step.text).unwrap();
    v[3].as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn arg_scoping() {
    let src = "ARG BASE=alpine\nARG V=1\nFROM $BASE AS a\nARG V\nARG W=${V}x\nENV E=$V-$W-$BASE\nFROM a\nWORKDIR /$E/$V\n";
    let a = analyze_with(src, &[]).unwrap();
    assert_eq!(a.stages[0].base, Base::Image("alpine".into()));
    // V redeclared without a default takes the global value; BASE is not visible in the stage.
    assert_eq!(values(&a, 6), vec!["E", "1-1x-"]);
    // ENV carries into a stage built on this one; ARGs do not.
    assert_eq!(values(&a, 8), vec!["/1-1x-/"]);

    let a = analyze_with(src, &[("V", "7"), ("BASE", "busybox")]).unwrap();
    assert_eq!(a.stages[0].base, Base::Image("busybox".into()));
    assert_eq!(values(&a, 4), vec!["V=7"]);
    assert_eq!(values(&a, 6), vec!["E", "7-7x-"]);
}

#[test]
fn env_wins_over_arg_and_platform_args_need_declaring() {
    let src = "FROM scratch\nARG X=arg\nENV X=env\nUSER $X\nUSER ${TARGETARCH:-none}\nARG TARGETARCH\nUSER $TARGETARCH\n";
    let a = analyze_with(src, &[]).unwrap();
    assert_eq!(values(&a, 4), vec!["env"]);
    assert_eq!(values(&a, 5), vec!["none"]);
    assert_eq!(values(&a, 7), vec!["amd64"]);
}

#[test]
fn env_pairs_expand_with_the_previous_environment() {
    let a = analyze_with("FROM scratch\nENV A=1\nENV A=2 B=$A\n", &[]).unwrap();
    assert_eq!(values(&a, 3), vec!["A", "2", "B", "1"]);
}

#[test]
fn stage_references() {
    let src = "FROM scratch AS one\nFROM one AS two\nFROM scratch\nCOPY --from=ONE /a /a\nCOPY --from=1 /b /b\nRUN --mount=type=bind,from=two,target=/t true\nCOPY --from=alpine:3 /c /c\n";
    let a = analyze_with(src, &[]).unwrap();
    assert_eq!(a.stages[1].base, Base::Stage(0));
    let steps = &a.stages[2].steps;
    assert_eq!(steps[1].stages, vec![0]);
    assert_eq!(steps[2].stages, vec![1]);
    assert_eq!(steps[3].stages, vec![1]);
    assert!(steps[4].stages.is_empty());
    assert!(steps[4].text.contains("--from=alpine:3"));
    assert_eq!(a.closure(2), vec![0, 1, 2]);
    assert_eq!(a.closure(0), vec![0]);
}

#[test]
fn context_uses() {
    let src = "FROM scratch\nCOPY --exclude=*.md a b/ /dst/\nADD https://example.com/x.tgz /x\nCOPY <<EOF /f\nhi\nEOF\nRUN --mount=type=bind,source=src,target=/src make\nRUN --mount=type=cache,target=/c true\nCOPY --from=alpine /etc /etc\nARG D=conf\nCOPY $D/ /etc/\n";
    let a = analyze_with(src, &[]).unwrap();
    let uses: Vec<(usize, Vec<String>, Vec<String>)> = a.stages[0]
        .steps
        .iter()
        .flat_map(|s| {
            s.context
                .iter()
                .map(move |u| (s.line, u.sources.clone(), u.excludes.clone()))
        })
        .collect();
    assert_eq!(
        uses,
        vec![
            (2, vec!["a".into(), "b/".into()], vec!["*.md".into()]),
            (7, vec!["src".into()], vec![]),
            (11, vec!["conf/".into()], vec![]),
        ]
    );
}

#[test]
fn layout_case_and_comments_do_not_change_steps() {
    let a = analyze_with(
        "FROM scratch\nRUN echo  a &&   echo 'x  y'\nCOPY a /b\n",
        &[],
    )
    .unwrap();
    let b = analyze_with(
        "# comment\nfrom scratch\n\nrun echo a \\\n    && echo 'x  y'\n# another\ncopy a \\\n  /b\n",
        &[],
    )
    .unwrap();
    assert_eq!(texts(&a), texts(&b));
    let c = analyze_with("FROM scratch\nRUN echo a && echo 'x y'\nCOPY a /b\n", &[]).unwrap();
    assert_ne!(texts(&a), texts(&c), "whitespace inside quotes matters");
}

#[test]
fn normalizes_shell_whitespace() {
    for (input, want) in [
        ("a   b", "a b"),
        ("  a\tb  ", "a b"),
        ("echo 'a   b'  c", "echo 'a   b' c"),
        ("echo \"a  \\\"  b\"   c", "echo \"a  \\\"  b\" c"),
        ("echo a\\  b", "echo a\\  b"),
    ] {
        assert_eq!(normalize_shell(input), want, "{input:?}");
    }
}

#[test]
fn targets() {
    let a = analyze_with("FROM scratch AS build\nFROM scratch\n", &[]).unwrap();
    assert_eq!(a.target(None), Ok(1));
    assert_eq!(a.target(Some("Build")), Ok(0));
    assert_eq!(
        a.target(Some("test")).unwrap_err().to_string(),
        "target stage \"test\" is not in the Dockerfile; its stages are: build (line 1), #1 (unnamed, line 2)"
    );
}

#[test]
fn errors() {
    for (src, want) in [
        (
            "ARG A=1\n",
            "the Dockerfile has no FROM instruction; add one (e.g. `FROM scratch`)",
        ),
        (
            "RUN true\nFROM scratch\n",
            "line 1: RUN comes before the first FROM; only ARG may precede FROM, so move it into a stage",
        ),
        (
            "FROM scratch\nCOPPY a b\n",
            "line 2: unknown instruction COPPY; did you mean COPY?",
        ),
        (
            "FROM scratch\nFROBNICATE\n",
            "line 2: unknown instruction FROBNICATE; check the spelling against the Dockerfile reference",
        ),
        (
            "FROM scratch AS a\nFROM scratch AS A\n",
            "line 2: duplicate stage name \"a\" (first defined on line 1); rename one",
        ),
        (
            "FROM scratch AS 1a\n",
            "line 1: invalid stage name \"1a\"; a stage name starts with a letter and holds only letters, digits, '-', '_' and '.'",
        ),
        (
            "FROM a b\n",
            "line 1: FROM takes an image and an optional `AS name`, e.g. `FROM alpine AS build`",
        ),
        (
            "FROM scratch\nCOPY --from=0 /a /a\n",
            "line 2: --from=0 refers to stage 0, which is not an earlier stage; stages can only use stages defined above them",
        ),
        (
            "FROM scratch\nCOPY --frm=x /a /a\n",
            "line 2: unknown flag --frm=x for COPY; remove it",
        ),
        (
            "FROM scratch\nCOPY a\n",
            "line 2: COPY requires at least 2 arguments",
        ),
        (
            "FROM scratch\nARG S=x\nRUN --mount=from=$S,target=/s true\n",
            "line 3: invalid --mount \"from=$S,target=/s\": `from` does not support variable expansion; define an alias stage (`FROM ${IMAGE} AS src`) and mount from it",
        ),
        (
            "FROM scratch\nRUN --mount=type=nfs,target=/s true\n",
            "line 2: invalid --mount \"type=nfs,target=/s\": type must be bind, cache, tmpfs, secret or ssh",
        ),
    ] {
        let err = analyze_with(src, &[]).expect_err(src);
        assert_eq!(err.to_string(), want, "{src:?}");
    }
}
