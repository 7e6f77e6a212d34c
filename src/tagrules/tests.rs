//! Table tests: every rule type and the flavor, on pipelines read through the real GitHub and
//! GitLab mappings, so both providers are held to the same expectations.

use super::*;
use crate::ci::test_support::{HEAD_SHA, SHA, env};
use crate::ci::{PipelineInfo, github, gitlab};
use crate::names::ImageName;

/// 2020-01-10 09:30:00 UTC.
const NOW: i64 = 1_578_648_600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provider {
    GitHub,
    GitLab,
}

#[derive(Debug, Clone)]
enum Scenario {
    Push(String),
    Tag(&'static str),
    Pr,
    Schedule,
}

fn pipeline(p: Provider, s: &Scenario) -> PipelineInfo {
    match p {
        Provider::GitHub => {
            let mut vars: Vec<(String, String)> = [
                ("GITHUB_REPOSITORY", "Octo/App"),
                ("GITHUB_SHA", SHA),
                ("GITHUB_RUN_ID", "1"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            let mut push = |k: &str, v: String| vars.push((k.to_owned(), v));
            let event = match s {
                Scenario::Push(b) => {
                    push("GITHUB_EVENT_NAME", "push".into());
                    push("GITHUB_REF", format!("refs/heads/{b}"));
                    r#"{"repository":{"default_branch":"main"}}"#.to_owned()
                }
                Scenario::Tag(t) => {
                    push("GITHUB_EVENT_NAME", "push".into());
                    push("GITHUB_REF", format!("refs/tags/{t}"));
                    r#"{"repository":{"default_branch":"main"}}"#.to_owned()
                }
                Scenario::Pr => {
                    push("GITHUB_EVENT_NAME", "pull_request".into());
                    push("GITHUB_REF", "refs/pull/17/merge".into());
                    push("GITHUB_HEAD_REF", "feature/x".into());
                    push("GITHUB_BASE_REF", "main".into());
                    format!(
                        r#"{{"pull_request":{{"number":17,"head":{{"sha":"{HEAD_SHA}","ref":"feature/x"}},"base":{{"sha":"{SHA}","ref":"main"}}}},"repository":{{"default_branch":"main"}}}}"#
                    )
                }
                Scenario::Schedule => {
                    push("GITHUB_EVENT_NAME", "schedule".into());
                    push("GITHUB_REF", "refs/heads/main".into());
                    r#"{"repository":{"default_branch":"main"}}"#.to_owned()
                }
            };
            let vars = github::GithubEnv::from_env(&vars.into_iter().collect()).unwrap();
            let event = github::GithubEvent::parse(&event).unwrap();
            github::pipeline_info(vars, Some(&event)).unwrap()
        }
        Provider::GitLab => {
            let mut vars: Vec<(String, String)> = [
                ("CI_COMMIT_SHA", SHA),
                ("CI_PROJECT_URL", "https://gitlab.example.com/g/app"),
                ("CI_DEFAULT_BRANCH", "main"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
            let mut push = |k: &str, v: String| vars.push((k.to_owned(), v));
            match s {
                Scenario::Push(b) => {
                    push("CI_PIPELINE_SOURCE", "push".into());
                    push("CI_COMMIT_BRANCH", b.clone());
                }
                Scenario::Tag(t) => {
                    push("CI_PIPELINE_SOURCE", "push".into());
                    push("CI_COMMIT_TAG", (*t).into());
                }
                Scenario::Pr => {
                    push("CI_PIPELINE_SOURCE", "merge_request_event".into());
                    push("CI_MERGE_REQUEST_IID", "17".into());
                    push("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "feature/x".into());
                    push("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main".into());
                    push("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", HEAD_SHA.into());
                }
                Scenario::Schedule => {
                    push("CI_PIPELINE_SOURCE", "schedule".into());
                    push("CI_COMMIT_BRANCH", "main".into());
                }
            }
            gitlab::pipeline_info(gitlab::GitlabEnv::from_env(&vars.into_iter().collect()).unwrap())
                .unwrap()
        }
    }
}

fn rules(rules: &[&str], flavor: &[&str]) -> TagRules {
    TagRules::parse(rules, flavor).unwrap()
}

fn tags(r: &TagRules, p: Provider, s: &Scenario) -> Vec<String> {
    r.evaluate(&pipeline(p, s), &EvalOptions::new(NOW)).tags
}

const BOTH: [Provider; 2] = [Provider::GitHub, Provider::GitLab];

const TYPICAL: &[&str] = &[
    "type=schedule",
    "type=semver,pattern={{version}}",
    "type=semver,pattern={{major}}.{{minor}}",
    "type=semver,pattern={{major}}",
    "type=ref,event=branch",
    "type=ref,event=tag",
    "type=ref,event=pr",
    "type=sha",
    "type=edge",
    "type=raw,value=build-{{sha}}",
];

#[test]
fn typical_rules_on_both_providers() {
    let r = rules(TYPICAL, &[]);
    let long_branch = format!("feature/{}", "x".repeat(292));
    let long_tag = {
        let full = format!("feature-{}", "x".repeat(292));
        sanitize::shorten(&full)
    };
    let table: Vec<(Scenario, Vec<&str>)> = vec![
        (
            Scenario::Push("main".into()),
            vec!["edge", "main", "build-0123456", "sha-0123456"],
        ),
        (
            Scenario::Push("Feature/Foo#1".into()),
            vec!["Feature-Foo-1", "build-0123456", "sha-0123456"],
        ),
        (
            Scenario::Push(long_branch),
            vec![long_tag.as_str(), "build-0123456", "sha-0123456"],
        ),
        (
            Scenario::Tag("v1.2.3"),
            vec![
                "1.2.3",
                "1.2",
                "1",
                "v1.2.3",
                "build-0123456",
                "sha-0123456",
                "latest",
            ],
        ),
        (
            Scenario::Tag("v2.0.0-rc.1"),
            vec!["2.0.0-rc.1", "v2.0.0-rc.1", "build-0123456", "sha-0123456"],
        ),
        (
            Scenario::Tag("app/v1.2.3"),
            vec!["app-v1.2.3", "build-0123456", "sha-0123456", "latest"],
        ),
        (Scenario::Pr, vec!["pr-17", "build-0123456", "sha-0123456"]),
        (
            Scenario::Schedule,
            vec!["nightly", "edge", "main", "build-0123456", "sha-0123456"],
        ),
    ];
    for p in BOTH {
        for (scenario, want) in &table {
            let got = tags(&r, p, scenario);
            assert_eq!(got, *want, "{p:?} {scenario:?}");
            for t in &got {
                assert!(is_valid_tag(t), "{t}");
            }
        }
    }
}

#[test]
fn reasons_for_empty_rules() {
    let r = rules(TYPICAL, &[]);
    for p in BOTH {
        let out = r.evaluate(
            &pipeline(p, &Scenario::Tag("app/v1.2.3")),
            &EvalOptions::new(NOW),
        );
        let reasons: Vec<String> = out
            .skipped
            .iter()
            .map(|s| format!("{}: {}", s.rule, s.reason))
            .collect();
        assert_eq!(
            reasons,
            [
                "type=schedule: not a scheduled build (event push)",
                "type=semver,pattern={{version}}: \"app-v1.2.3\" is not a semantic version",
                "type=semver,pattern={{major}}.{{minor}}: \"app-v1.2.3\" is not a semantic version",
                "type=semver,pattern={{major}}: \"app-v1.2.3\" is not a semantic version",
                "type=edge: not a branch build (event push)",
                "type=ref,event=branch: not a branch build (event push)",
                "type=ref,event=pr: not a pull/merge request build (event push)",
            ],
            "{p:?}"
        );
        assert_eq!(out.adjusted.len(), 1);
        assert_eq!(out.adjusted[0].original, "app/v1.2.3");
    }
    let out = r.evaluate(
        &pipeline(Provider::GitLab, &Scenario::Tag("v2.0.0-rc.1")),
        &EvalOptions::new(NOW),
    );
    let dup: Vec<String> = out
        .skipped
        .iter()
        .filter(|s| matches!(s.reason, SkipReason::Duplicate { .. }))
        .map(|s| s.reason.to_string())
        .collect();
    assert_eq!(
        dup,
        [
            "\"2.0.0-rc.1\" is already given by a rule of higher priority",
            "\"2.0.0-rc.1\" is already given by a rule of higher priority"
        ]
    );
    let out = r.evaluate(
        &pipeline(Provider::GitHub, &Scenario::Push("dev".into())),
        &EvalOptions::new(NOW),
    );
    assert!(out.skipped.iter().any(|s| s.rule == "type=edge"
        && s.reason.to_string() == "branch \"dev\" is not the edge branch \"main\""));
}

#[test]
fn sha_formats_and_pr_head() {
    let r = rules(&["type=sha", "type=sha,format=long,prefix="], &[]);
    for p in BOTH {
        assert_eq!(tags(&r, p, &Scenario::Pr), ["sha-0123456", SHA], "{p:?}");
        let mut opts = EvalOptions::new(NOW);
        opts.pr_head_sha = true;
        assert_eq!(
            r.evaluate(&pipeline(p, &Scenario::Pr), &opts).tags,
            ["sha-fedcba9", HEAD_SHA],
            "{p:?}"
        );
        // Outside PRs the flag changes nothing.
        assert_eq!(
            r.evaluate(&pipeline(p, &Scenario::Push("main".into())), &opts)
                .tags[0],
            "sha-0123456"
        );
    }
    // GitHub without the event file: no head known, say so.
    let vars = github::GithubEnv::from_env(&env(&[
        ("GITHUB_REPOSITORY", "o/r"),
        ("GITHUB_SHA", SHA),
        ("GITHUB_EVENT_NAME", "pull_request"),
        ("GITHUB_REF", "refs/pull/3/merge"),
    ]))
    .unwrap();
    let info = github::pipeline_info(vars, None).unwrap();
    let mut opts = EvalOptions::new(NOW);
    opts.pr_head_sha = true;
    let out = r.evaluate(&info, &opts);
    assert_eq!(out.tags[0], "sha-0123456");
    assert_eq!(out.warnings.len(), 1);
}

#[test]
fn match_rules() {
    for p in BOTH {
        let r = rules(&[r"type=match,pattern=app/v(\d+\.\d+),group=1"], &[]);
        assert_eq!(tags(&r, p, &Scenario::Tag("app/v1.2.3")), ["1.2", "latest"]);
        let out = r.evaluate(
            &pipeline(p, &Scenario::Tag("v1.2.3")),
            &EvalOptions::new(NOW),
        );
        assert!(out.tags.is_empty());
        assert_eq!(
            out.skipped[0].reason.to_string(),
            r#"pattern app/v(\d+\.\d+) does not match "v1.2.3""#
        );
        let r = rules(&["type=match,pattern=v(.*),group=1"], &[]);
        assert_eq!(
            tags(&r, p, &Scenario::Tag("v2.0.0-rc.1")),
            ["2.0.0-rc.1", "latest"]
        );
        let r = rules(&[r#"type=match,"pattern=/^V(\d{1,3})/i",group=1"#], &[]);
        assert_eq!(tags(&r, p, &Scenario::Tag("v1.2.3")), ["1", "latest"]);
        let r = rules(&["type=match,pattern=(x)?v1,group=1"], &[]);
        let out = r.evaluate(
            &pipeline(p, &Scenario::Tag("v1.2.3")),
            &EvalOptions::new(NOW),
        );
        assert_eq!(out.skipped[0].reason, SkipReason::GroupUnset { group: 1 });
        let r = rules(&["type=match,pattern=\\d+,value=20200110-RC2"], &[]);
        assert_eq!(
            tags(&r, p, &Scenario::Push("main".into())),
            ["20200110", "latest"]
        );
    }
}

#[test]
fn semver_patterns() {
    let r = rules(
        &[
            "type=semver,pattern={{raw}}",
            "type=semver,pattern=v{{major}}",
            "type=semver,pattern={{minor}}.{{patch}},priority=1",
        ],
        &[],
    );
    for p in BOTH {
        assert_eq!(
            tags(&r, p, &Scenario::Tag("v1.2.3")),
            ["v1.2.3", "v1", "2.3", "latest"]
        );
        // Pre-release: {{raw}} kept, other patterns fall back to {{version}}, no latest.
        assert_eq!(
            tags(&r, p, &Scenario::Tag("v2.0.0-rc.1")),
            ["v2.0.0-rc.1", "2.0.0-rc.1"]
        );
        let r = rules(&["type=semver,pattern={{version}},value=v3.1.4"], &[]);
        assert_eq!(
            tags(&r, p, &Scenario::Push("main".into())),
            ["3.1.4", "latest"]
        );
    }
}

#[test]
fn schedule_edge_and_raw() {
    let r = rules(
        &[
            "type=schedule,pattern={{date 'YYYYMMDD'}}",
            "type=schedule,pattern=nightly-{{date 'YYYYMMDD-HHmmss' tz='UTC'}},priority=999",
            "type=edge,branch=dev",
            "type=raw,value=latest,enable={{is_default_branch}}",
            "type=raw,value={{branch}}-{{date 'YYYYMMDD'}}",
        ],
        &[],
    );
    for p in BOTH {
        assert_eq!(
            tags(&r, p, &Scenario::Schedule),
            [
                "20200110",
                "nightly-20200110-093000",
                "latest",
                "main-20200110"
            ]
        );
        assert_eq!(
            tags(&r, p, &Scenario::Push("dev".into())),
            ["edge", "dev-20200110"]
        );
        // {{branch}} is empty outside branch builds: the value starts with "-", which is cut.
        assert_eq!(tags(&r, p, &Scenario::Tag("v1.2.3")), ["20200110"]);
    }
    // GitHub without the event JSON does not know its default branch.
    let vars = github::GithubEnv::from_env(&env(&[
        ("GITHUB_REPOSITORY", "o/r"),
        ("GITHUB_SHA", SHA),
        ("GITHUB_EVENT_NAME", "push"),
        ("GITHUB_REF", "refs/heads/main"),
    ]))
    .unwrap();
    let info = github::pipeline_info(vars, None).unwrap();
    let out = rules(&["type=edge"], &[]).evaluate(&info, &EvalOptions::new(NOW));
    assert_eq!(out.skipped[0].reason, SkipReason::DefaultBranchUnknown);
}

#[test]
fn flavor() {
    let branch = Scenario::Push("main".into());
    let tag = Scenario::Tag("v1.2.3");
    for p in BOTH {
        let r = rules(&["type=ref,event=tag"], &["latest=false"]);
        assert_eq!(tags(&r, p, &tag), ["v1.2.3"]);
        let r = rules(&["type=ref,event=branch"], &["latest=true"]);
        assert_eq!(tags(&r, p, &branch), ["main", "latest"]);
        // Flavor affixes apply where the rule sets none; sha's default prefix wins.
        let r = rules(
            &["type=ref,event=tag", "type=sha"],
            &["prefix=app-,suffix=-amd64"],
        );
        assert_eq!(
            tags(&r, p, &tag),
            ["app-v1.2.3-amd64", "sha-0123456-amd64", "latest"]
        );
        let r = rules(
            &["type=ref,event=tag"],
            &["prefix=app-,onlatest=true", "suffix=-amd64"],
        );
        assert_eq!(tags(&r, p, &tag), ["app-v1.2.3-amd64", "app-latest"]);
        // The first rule by priority decides latest=auto.
        let r = rules(&["type=ref,event=tag", "type=sha,priority=2000"], &[]);
        assert_eq!(tags(&r, p, &tag), ["sha-0123456", "v1.2.3"]);
        // latest=auto does not add a second "latest".
        let r = rules(&["type=ref,event=tag", "type=raw,value=latest"], &[]);
        assert_eq!(tags(&r, p, &tag), ["v1.2.3", "latest"]);
        // Explicit empty prefix on a rule overrides the flavor.
        let r = rules(&["type=ref,event=branch,prefix="], &["prefix=x-"]);
        assert_eq!(tags(&r, p, &branch), ["main"]);
    }
}

#[test]
fn validity_and_placeholders() {
    let r = rules(
        &[
            "type=raw,value=%image%-{{branch}}",
            "type=ref,event=branch,prefix=-.",
            "type=raw,value=.hidden",
            "type=raw,value=ü",
            "type=raw,value=",
        ],
        &[],
    );
    for p in BOTH {
        let out = r.evaluate(
            &pipeline(p, &Scenario::Push("Feature/Ü".into())),
            &EvalOptions::new(NOW),
        );
        assert_eq!(out.tags, ["Feature-", "%image%-Feature-", "hidden"]);
        assert_eq!(
            out.skipped
                .iter()
                .map(|s| s.reason.to_string())
                .collect::<Vec<_>>(),
            [
                "\"ü\" has no character allowed in a tag",
                "the value is empty"
            ]
        );
        let img = ImageName::parse("backend").unwrap();
        assert_eq!(render_for_image(&out.tags[1], &img), "backend-Feature-");
    }
}

#[test]
fn defaults_and_multi_line_input() {
    let d = TagRules::metadata_action_defaults();
    for p in BOTH {
        assert_eq!(tags(&d, p, &Scenario::Pr), ["pr-17"]);
        assert_eq!(tags(&d, p, &Scenario::Tag("v1.2.3")), ["v1.2.3", "latest"]);
        assert_eq!(tags(&d, p, &Scenario::Schedule), ["nightly", "main"]);
    }
    let r = TagRules::parse(
        &["# comment\ntype=ref,event=branch\n\n  type=sha  \n"],
        &["latest=false\n"],
    )
    .unwrap();
    assert_eq!(r.rules.len(), 2);
    assert_eq!(r.flavor.latest, Latest::Never);
    assert_eq!(r.rules[1].source, "type=sha");
    let r = rules(&["foo"], &[]);
    assert_eq!(tags(&r, Provider::GitHub, &Scenario::Pr), ["foo"]);
}

#[test]
fn unsupported_rules_warn_and_are_skipped() {
    let r = rules(
        &["type=pep440,pattern={{version}}", "type=ref,event=branch"],
        &[],
    );
    assert_eq!(r.rules.len(), 1);
    let out = r.evaluate(
        &pipeline(Provider::GitHub, &Scenario::Push("main".to_owned())),
        &EvalOptions::new(NOW),
    );
    assert_eq!(out.tags, ["main"]);
    assert_eq!(
        out.warnings,
        [
            r#"tag rule "type=pep440,pattern={{version}}": type=pep440 is not supported yet; the rule is skipped (use type=semver or type=match for version tags)"#
        ]
    );
}

#[test]
fn no_rule_means_metadata_action_defaults() {
    let defaults = TagRules::metadata_action_defaults();
    for (rule_args, flavor) in [
        (&[] as &[&str], &["latest=true"] as &[&str]),
        (&["", "# nothing yet"], &[]),
    ] {
        let r = rules(rule_args, flavor);
        assert_eq!(r.rules, defaults.rules);
        assert_eq!(
            r.notices,
            [
                "no tag rule given: using docker/metadata-action's defaults (type=schedule; \
                 type=ref,event=branch; type=ref,event=tag; type=ref,event=pr)"
            ]
        );
    }
    let r = rules(&[], &["latest=true"]);
    assert_eq!(
        tags(&r, Provider::GitLab, &Scenario::Push("main".to_owned())),
        ["main", "latest"]
    );
}

#[test]
fn invalid_rules_are_errors_naming_rule_and_field() {
    let cases: &[(&str, &str)] = &[
        (
            "type=foo",
            r#"tag rule "type=foo": type: unknown type "foo" (expected schedule, semver, match, edge, ref, raw or sha)"#,
        ),
        (
            "type=semver",
            r#"tag rule "type=semver": pattern: missing (e.g. pattern={{version}})"#,
        ),
        (
            "type=semver,pattern={{branch}}",
            r#"tag rule "type=semver,pattern={{branch}}": pattern: unknown expression {{branch}} (expected raw, version, major, minor, patch)"#,
        ),
        (
            "type=ref",
            r#"tag rule "type=ref": event: missing (expected branch, tag or pr)"#,
        ),
        (
            "type=ref,event=push",
            r#"tag rule "type=ref,event=push": event: invalid value "push" (expected branch, tag or pr)"#,
        ),
        (
            "type=raw",
            r#"tag rule "type=raw": value: missing (e.g. type=raw,value=foo)"#,
        ),
        (
            "type=sha,format=medium",
            r#"tag rule "type=sha,format=medium": format: invalid value "medium" (expected short or long)"#,
        ),
        (
            "type=sha,enable=yes",
            r#"tag rule "type=sha,enable=yes": enable: invalid value "yes" (expected true or false)"#,
        ),
        (
            "type=sha,priority=high",
            r#"tag rule "type=sha,priority=high": priority: invalid value "high" (expected an integer)"#,
        ),
        (
            "type=sha,branch=main",
            r#"tag rule "type=sha,branch=main": branch: unknown attribute for type=sha (allowed: format, enable, priority, prefix, suffix)"#,
        ),
        (
            "type=sha,prefix=a,prefix=b",
            r#"tag rule "type=sha,prefix=a,prefix=b": prefix: given twice"#,
        ),
        (
            "type=match",
            r#"tag rule "type=match": pattern: missing (a regular expression, e.g. pattern=v(.*))"#,
        ),
        (
            "type=match,pattern=v(",
            r#"tag rule "type=match,pattern=v(": pattern: invalid regular expression: error: unclosed group"#,
        ),
        (
            "type=match,pattern=v(.*),group=2",
            r#"tag rule "type=match,pattern=v(.*),group=2": group: the pattern has no group 2 (it has 1)"#,
        ),
        (
            "type=match,pattern=v,group=-1",
            r#"tag rule "type=match,pattern=v,group=-1": group: invalid value "-1" (expected a non-negative integer)"#,
        ),
        (
            "type=match,pattern=/v/g",
            r#"tag rule "type=match,pattern=/v/g": pattern: flag 'g' is not supported (use i, m or s)"#,
        ),
        (
            "type=raw,value={{branch",
            r#"tag rule "type=raw,value={{branch": value: unterminated "{{""#,
        ),
        (
            "type=schedule,pattern={{date 'YYYY' tz='Asia/Tokyo'}}",
            r#"tag rule "type=schedule,pattern={{date 'YYYY' tz='Asia/Tokyo'}}": pattern: unsupported time zone "Asia/Tokyo" in {{date}} (only UTC)"#,
        ),
        (
            "type=raw,\"value=a",
            r#"tag rule "type=raw,"value=a": rule: unterminated double quote"#,
        ),
        (
            "type=sha,type=raw",
            r#"tag rule "type=sha,type=raw": type: given twice"#,
        ),
    ];
    for (rule, want) in cases {
        assert_eq!(
            TagRules::parse(&[*rule], &[] as &[&str])
                .unwrap_err()
                .to_string(),
            *want,
            "{rule}"
        );
    }
    let flavors: &[(&str, &str)] = &[
        (
            "latest=yes",
            r#"tag flavor "latest=yes": latest: invalid value "yes" (expected auto, true or false)"#,
        ),
        (
            "colour=red",
            r#"tag flavor "colour=red": colour: unknown flavor attribute (expected latest, prefix, suffix or onlatest)"#,
        ),
        (
            "latest",
            r#"tag flavor "latest": latest: expected key=value"#,
        ),
        (
            "onlatest=true",
            r#"tag flavor "onlatest=true": onlatest: must follow prefix= or suffix="#,
        ),
        (
            "prefix={{nope}}",
            r#"tag flavor "prefix={{nope}}": prefix: unknown expression {{nope}} (expected branch, tag, sha, base_ref, is_default_branch, date)"#,
        ),
    ];
    for (flavor, want) in flavors {
        assert_eq!(
            TagRules::parse(&[] as &[&str], &[*flavor])
                .unwrap_err()
                .to_string(),
            *want,
            "{flavor}"
        );
    }
}
