//! A bounded, seeded fuzz run of the template engine in the normal test suite: random token
//! soup, mutations of valid templates and pathological nesting must give a result or an
//! error, never a panic or a stack overflow; recursion stops at the engine's depth limit.

use slipway::gotemplate::{MAX_DEPTH, Value, render};

const PIECES: &[&str] = &[
    "{{", "}}", "{{- ", " -}}", "{{/*", "*/}}", "(", ")", "|", " ", "\n", "$", "$x", ":=", "=",
    ",", ".", ".a", ".a.b", "\"", "\"s\"", "`r`", "'c'", "1", "-1", "0x1f", "1e3", "1.5", "nil",
    "true", "if", "else", "end", "range", "with", "define", "template", "block", "break",
    "continue", "\"t\"", "printf", "\"%d\"", "len", "index", "slice", "and", "or", "not", "eq",
    "list", "dict", "default", "upper", "trunc", "include", "tpl", "toYaml", "fromYaml", "toJson",
    "fromJson", "x", "é", "\\", "{", "}", "-", "%", "*", "/",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn data() -> Value {
    Value::from_json(&serde_json::json!({"a": {"b": [1, 2]}, "s": "x", "l": [1, 2, 3]}))
}

fn survive(template: &str) {
    // A result either way; a panic fails the test with the input in the message.
    let outcome = std::panic::catch_unwind(|| render("t", template, &data()).map(|_| ()));
    assert!(outcome.is_ok(), "the engine panicked on {template:?}");
}

#[test]
fn random_token_soup_never_panics() {
    let seed: u64 = std::env::var("SLIPWAY_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let mut rng = Rng(seed | 1);
    for _ in 0..20_000 {
        let n = 1 + rng.below(30);
        let text: String = (0..n).map(|_| PIECES[rng.below(PIECES.len())]).collect();
        survive(&text);
    }
}

#[test]
fn mutated_valid_templates_never_panic() {
    let seeds = [
        "{{ range $i, $v := .l }}{{ if eq $i 1 }}{{ break }}{{ end }}{{ $v }}{{ end }}",
        "{{ define \"x\" }}{{ .a.b }}{{ end }}{{ template \"x\" . }}{{ with .s }}{{ . | upper }}{{ end }}",
        "{{- $x := dict \"k\" (list 1 2) -}}{{ toYaml $x | nindent 2 }}{{ printf \"%05d %q\" 3 \"s\" }}",
        "{{ tpl \"{{ .s }}{{ include \\\"y\\\" . }}\" . }}{{ define \"y\" }}y{{ end }}",
    ];
    let mut rng = Rng(11);
    for _ in 0..20_000 {
        let mut bytes: Vec<u8> = seeds[rng.below(seeds.len())].as_bytes().to_vec();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(bytes.len() + 1);
            match rng.below(3) {
                0 if at < bytes.len() => {
                    bytes.remove(at);
                }
                1 => bytes.insert(at, b"{}()|$.\"`- \n"[rng.below(12)]),
                _ => {
                    let piece = PIECES[rng.below(PIECES.len())].as_bytes();
                    bytes.splice(at..at, piece.iter().copied());
                }
            }
        }
        survive(&String::from_utf8_lossy(&bytes));
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let cases = [
        format!("{{{{ {}1{} }}}}", "(".repeat(900), ")".repeat(900)),
        format!("{{{{ {}1{} }}}}", "(".repeat(5_000), ")".repeat(5_000)),
        format!(
            "{}x{}",
            "{{ if true }}".repeat(5_000),
            "{{ end }}".repeat(5_000)
        ),
        format!(
            "{}x{}",
            "{{ range .l }}".repeat(3_000),
            "{{ end }}".repeat(3_000)
        ),
        format!(
            "{{{{ {} }}}}",
            "len (list ".repeat(3_000) + &")".repeat(3_000)
        ),
    ];
    for text in &cases {
        survive(text);
    }
    let too_deep = format!("{{{{ {}1{} }}}}", "(".repeat(5_000), ")".repeat(5_000));
    let err = render("t", &too_deep, &data()).unwrap_err().to_string();
    assert!(err.contains("nesting deeper than"), "{err}");
}

#[test]
fn template_recursion_stops_at_the_depth_limit() {
    let err = render(
        "t",
        "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}",
        &data(),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains(&format!("exceeded maximum template depth ({MAX_DEPTH})")),
        "{err}"
    );
}
