//! Go's own text/template tests and sprig's tests, generated into tests/conformance/*.json by
//! scripts/gen-conformance, run against slipway's engine. Each suite must keep its pass count.

use std::collections::BTreeMap;

use serde::Deserialize;
use slipway::gotemplate::funcs::{Ty, sig, variadic};
use slipway::gotemplate::node::{Show, TextStyle};
use slipway::gotemplate::{Engine, FuncMap, Value, parse};

#[derive(Deserialize)]
struct Case {
    group: String,
    name: String,
    #[serde(default)]
    setup: Vec<(String, String)>,
    input: String,
    #[serde(default)]
    data: String,
    #[serde(default)]
    output: String,
    #[serde(default)]
    result: String,
    ok: bool,
    #[serde(default)]
    excluded: String,
}

fn load(file: &str) -> Vec<Case> {
    let path = format!("{}/tests/conformance/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The test functions of Go's exec_test.go that JSON data can exercise.
fn harness_funcs(mut map: FuncMap) -> FuncMap {
    map.insert("zeroArgs", sig(&[]), |_, _| Ok(Value::str("zeroArgs")));
    map.insert("oneArg", sig(&[Ty::Str]), |_, a| {
        Ok(Value::str(format!(
            "oneArg={}",
            a[0].as_str().unwrap_or_default()
        )))
    });
    map.insert("twoArgs", sig(&[Ty::Str, Ty::Str]), |_, a| {
        Ok(Value::str(format!(
            "twoArgs={}{}",
            a[0].as_str().unwrap_or_default(),
            a[1].as_str().unwrap_or_default()
        )))
    });
    map.insert("valueString", sig(&[Ty::Str]), |_, _| {
        Ok(Value::str("value is ignored"))
    });
    map.insert("returnInt", sig(&[]), |_, _| Ok(Value::Int(7)));
    map.insert("add", variadic(&[], Ty::Int), |_, a| {
        let sum = a
            .iter()
            .map(|v| if let Value::Int(i) = v { *i } else { 0 })
            .sum();
        Ok(Value::Int(sum))
    });
    map.insert("echo", sig(&[Ty::Any]), |_, a| Ok(a[0].clone()));
    map.insert("dddArg", variadic(&[Ty::Int], Ty::Str), |_, a| {
        let rest: Vec<String> = a[1..]
            .iter()
            .map(|v| v.as_str().unwrap_or_default().to_owned())
            .collect();
        let n = if let Value::Int(i) = a[0] { i } else { 0 };
        Ok(Value::str(format!("{n} [{}]\n", rest.join(" "))))
    });
    map.insert("makemap", variadic(&[], Ty::Str), |_, a| {
        if a.len() % 2 != 0 {
            return Err("bad makemap".to_owned());
        }
        let mut m = BTreeMap::new();
        for pair in a.chunks(2) {
            m.insert(
                pair[0].as_str().unwrap_or_default().to_owned(),
                pair[1].clone(),
            );
        }
        Ok(Value::map(m))
    });
    map.insert("mapOfThree", sig(&[]), |_, _| {
        Ok(Value::map(BTreeMap::from([(
            "three".to_owned(),
            Value::Int(3),
        )])))
    });
    map.insert("die", sig(&[]), |_, _| Err("die".to_owned()));
    map
}

fn data_of(case: &Case) -> Value {
    if case.data.is_empty() {
        return Value::Nil;
    }
    Value::from_json(&serde_json::from_str(&case.data).expect("case data is JSON"))
}

/// Runs an exec-style case; `Err` says how it went wrong.
fn run_exec(case: &Case, funcs: FuncMap) -> Result<(), String> {
    let engine = Engine::new(funcs);
    for (name, text) in &case.setup {
        engine
            .parse(name, text)
            .map_err(|e| format!("setup: {e}"))?;
    }
    engine
        .parse(&case.name, &case.input)
        .map_err(|e| format!("parse: {e}"))?;
    match (engine.execute(&case.name, &data_of(case)), case.ok) {
        (Ok(out), true) if out == case.output => Ok(()),
        (Ok(out), true) => Err(format!("got {out:?}, want {:?}", case.output)),
        (Err(e), true) => Err(format!("unexpected error: {e}")),
        (Ok(out), false) => Err(format!("want an error, got {out:?}")),
        (Err(_), false) => Ok(()),
    }
}

fn run_parse(case: &Case) -> Result<(), String> {
    let funcs = |name: &str| name == "printf" || name == "contains";
    let result = parse::parse(&case.name, &case.input, &funcs);
    match (result, case.group.as_str(), case.ok) {
        (Ok(trees), "parse", true) => {
            let shown = Show(&trees[&case.name].root, TextStyle::Quoted).to_string();
            if shown == case.result {
                Ok(())
            } else {
                Err(format!("tree {shown:?}, want {:?}", case.result))
            }
        }
        (Ok(_), _, _) => Err("want an error, got none".to_owned()),
        (Err(e), "parse-error", _) if !e.to_string().contains(&case.result) => {
            Err(format!("error {e:?} lacks {:?}", case.result))
        }
        (Err(e), "parse", true) => Err(format!("unexpected error: {e}")),
        (Err(_), _, _) => Ok(()),
    }
}

struct Tally {
    passed: usize,
    failed: Vec<String>,
    excluded: usize,
    /// Cases of functions slipway refuses on purpose (clock, randomness, network) or lacks.
    refused: usize,
}

fn tally(cases: &[Case], run: impl Fn(&Case) -> Result<(), String>) -> Tally {
    let mut t = Tally {
        passed: 0,
        failed: Vec::new(),
        excluded: 0,
        refused: 0,
    };
    for case in cases {
        if !case.excluded.is_empty() {
            t.excluded += 1;
            continue;
        }
        match run(case) {
            Ok(()) => t.passed += 1,
            Err(why)
                if why.contains("is not allowed: it")
                    || why.contains("is not supported by slipway") =>
            {
                t.refused += 1;
            }
            Err(why) => t.failed.push(format!(
                "{}/{} {:?}: {why}",
                case.group, case.name, case.input
            )),
        }
    }
    t
}

fn report(suite: &str, t: &Tally, min_passed: usize) {
    for failure in &t.failed {
        eprintln!("FAIL {failure}");
    }
    eprintln!(
        "{suite}: {} passed, {} failed, {} refused, {} excluded",
        t.passed,
        t.failed.len(),
        t.refused,
        t.excluded
    );
    assert!(
        t.passed >= min_passed,
        "{suite}: {} passed, fewer than the {min_passed} this suite keeps",
        t.passed
    );
}

#[test]
fn go_exec_tests() {
    let cases = load("go-exec.json");
    let t = tally(&cases, |case| {
        run_exec(case, harness_funcs(Engine::builtins()))
    });
    report("go exec/multi/cmp", &t, 354);
}

#[test]
fn go_parse_tests() {
    let cases = load("go-parse.json");
    let t = tally(&cases, run_parse);
    report("go parse", &t, 128);
}

#[test]
fn sprig_tests() {
    let cases = load("sprig.json");
    let t = tally(&cases, |case| run_exec(case, Engine::with_sprig()));
    report("sprig", &t, 345);
}
