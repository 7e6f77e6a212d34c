use super::*;

fn run(text: &str, data: serde_json::Value) -> Result<String, String> {
    render("t", text, &Value::from_json(&data)).map_err(|e| e.to_string())
}

#[test]
fn basics() {
    let data = serde_json::json!({"a": 1, "s": "x", "l": [1, 2], "m": {"b": "c"}});
    let cases = [
        ("{{.a}} {{.s}} {{.l}} {{.m}}", "1 x [1 2] map[b:c]"),
        ("{{range $i, $v := .l}}{{$i}}={{$v}};{{end}}", "0=1;1=2;"),
        (
            "{{if eq .a 1}}one{{else if eq .a 2}}two{{else}}many{{end}}",
            "one",
        ),
        ("{{with .m}}{{.b}}{{end}}", "c"),
        ("{{.missing}}", "<no value>"),
        ("{{define \"x\"}}[{{.}}]{{end}}{{template \"x\" .s}}", "[x]"),
        ("{{range .l}}{{if eq . 2}}{{break}}{{end}}{{.}}{{end}}", "1"),
        ("{{ $x := 1 }}{{ $x = 2 }}{{ $x }}", "2"),
        ("{{printf \"%05d|%-3s|\" 42 \"a\"}}", "00042|a  |"),
        ("{{and 1 0 2}} {{or 0 \"\" 3}} {{not 0}}", "0 3 true"),
        // sprig's `slice` replaces Go's (lists only), as in werf.
        ("{{index .m \"b\"}} {{len .l}} {{slice .l 1}}", "c 2 [2]"),
        ("a {{- /* c */ -}} b", "ab"),
    ];
    for (text, want) in cases {
        assert_eq!(run(text, data.clone()).as_deref(), Ok(want), "{text}");
    }
}

#[test]
fn errors_read_like_go() {
    let data = serde_json::json!({"a": null});
    assert_eq!(
        run("x\n {{.a.b}}", data.clone()).unwrap_err(),
        "template: t:2:5: executing \"t\" at <.a.b>: nil pointer evaluating interface {}.b"
    );
    assert_eq!(
        run("{{if}}", data.clone()).unwrap_err(),
        "template: t:1: missing value for if"
    );
    assert_eq!(
        run("{{nofunc 1}}", data).unwrap_err(),
        "template: t:1: function \"nofunc\" not defined"
    );
}
