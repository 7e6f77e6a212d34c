//! Differential test against the real thing: ≥ 10,000 seeded random templates over the
//! supported grammar and functions, rendered by slipway's engine and by Go's text/template with
//! sprig (tests/oracle/oracle.go, built here from Debian's packaged sources in GOPATH mode);
//! every output must match byte for byte, or both must fail.
//!
//! Needs `golang-go`, `golang-github-masterminds-sprig-dev` and `golang-gopkg-yaml.v2-dev`
//! (scripts/setup installs them). Without Go the test fails under CI=true and is skipped with a
//! message elsewhere. SLIPWAY_DIFF_SEED and SLIPWAY_DIFF_COUNT change the run.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use slipway::gotemplate::{Value, render};

const DATA: &str = r#"{"s":"hello","e":"","n":3,"z":0,"neg":-2,"f":1.5,"g":2.0,"t":true,"b":false,"nil":null,
"l":[1,2,3],"ls":["b","a","c"],"le":[],"lm":[1,"x",null,true],"m":{"a":1,"b":"two","c":[1,"x"],"d":{"e":"f"}},
"me":{},"words":"foo bar  baz","path":"dir/sub/file.txt","ver":"1.2.3","pre":"1.3.0-rc.1",
"yaml":"a: 1\nb: [x, z]\nc:\n  d: true\n","json":"{\"k\":[1,2],\"s\":\"v\"}","html":"<a href='x'>&</a>",
"multi":"line one\nline two\n"}"#;

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
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

struct Gen {
    rng: Rng,
    vars: Vec<String>,
    defines: Vec<String>,
    depth: usize,
}

const STRINGS: &[&str] = &[
    "\"\"",
    "\"a\"",
    "\"hello world\"",
    "\"Hello-World_x\"",
    "\"a,b,,c\"",
    "\"x\\ty\\n\"",
    "`raw\\n`",
    "\"  padded  \"",
    "\"1.2.3\"",
    "\"42\"",
    "\"<b>&\"",
    "\"dir/file.tar.gz\"",
];
const STRING_FIELDS: &[&str] = &[
    ".s", ".e", ".words", ".path", ".ver", ".pre", ".html", ".multi", ".m.b", ".m.d.e",
];

impl Gen {
    fn string(&mut self) -> String {
        self.depth += 1;
        let leaf = self.depth > 3 || self.rng.chance(35);
        let out = if leaf {
            match self.rng.below(3) {
                0 => self.rng.pick(STRINGS).to_owned(),
                1 => self.rng.pick(STRING_FIELDS).to_owned(),
                _ => self.var_or(|g| g.rng.pick(STRING_FIELDS).to_owned()),
            }
        } else {
            let s = self.string();
            let f = match self.rng.below(46) {
                0 => format!("upper {s}"),
                1 => format!("lower {s}"),
                2 => format!("trim {s}"),
                3 => format!("trimSuffix \"o\" {s}"),
                4 => format!("trimPrefix \"h\" {s}"),
                5 => format!("trunc {} {s}", self.rng.pick(&["0", "2", "5", "-3", "100"])),
                6 => format!("replace \"o\" \"0\" {s}"),
                7 => format!("quote {s}"),
                8 => format!("squote {s}"),
                9 => format!("printf \"%s-%d\" {s} {}", self.int()),
                10 => format!("printf \"%v|%q\" {} {s}", self.any()),
                11 => format!(
                    "printf \"%05d|%-6s|%x|%t\" {} {s} {s} {}",
                    self.int(),
                    self.boolean()
                ),
                12 => format!("print {} {}", self.any(), self.any()),
                13 => format!("toString {}", self.any()),
                14 => format!(
                    "join \"{}\" {}",
                    self.rng.pick(&[",", "", " - "]),
                    self.list()
                ),
                15 => format!("b64enc {s}"),
                16 => format!("b64dec (b64enc {s})"),
                17 => format!("sha256sum {s}"),
                18 => format!("sha1sum {s}"),
                19 => format!("adler32sum {s}"),
                20 => format!("indent {} {s}", self.rng.pick(&["0", "2", "4"])),
                21 => format!("nindent 2 {s}"),
                22 => format!("default \"dflt\" {}", self.any()),
                23 => format!("repeat {} {s}", self.rng.pick(&["0", "1", "3"])),
                24 => format!("title {s}"),
                25 => format!(
                    "{} {s}",
                    self.rng.pick(&[
                        "camelcase",
                        "snakecase",
                        "kebabcase",
                        "swapcase",
                        "initials",
                        "nospace",
                        "untitle"
                    ])
                ),
                26 => format!("cat {s} {}", self.any()),
                // Not any(): Go's nil slices (rest/initial of an empty list, regexFindAll
                // without a match) encode as null, slipway's as [] (see README).
                27 => format!(
                    "{} {}",
                    self.rng.pick(&["toJson", "toRawJson", "toPrettyJson"]),
                    match self.rng.below(4) {
                        0 => self.string(),
                        1 => self.map(),
                        2 => self.int(),
                        _ => self
                            .rng
                            .pick(&[".l", ".lm", ".le", "(list 1 \"a\" nil)"])
                            .to_owned(),
                    }
                ),
                28 => format!(
                    "toYaml {}",
                    self.rng.pick(&[
                        ".m",
                        ".l",
                        ".ls",
                        ".me",
                        "(dict \"k\" \"true\" \"n\" \"1\" \"e\" \"\")",
                        ".s",
                        ".n",
                        "(list (dict \"a\" 1) (list 1 2))",
                        "(dict \"x\" .multi)"
                    ])
                ),
                29 => format!("{} {s}", self.rng.pick(&["html", "js", "urlquery"])),
                30 => format!("regexReplaceAll \"[aeiou]+\" {s} \"<$0>\""),
                31 => format!("{} {s}", self.rng.pick(&["base", "dir", "ext", "clean"])),
                32 => format!(
                    "substr {} {} {s}",
                    self.rng.pick(&["0", "1"]),
                    self.rng.pick(&["2", "3", "-1"])
                ),
                33 => format!("abbrev {} {s}", self.rng.pick(&["3", "5", "8"])),
                34 => format!("wrap {} {s}", self.rng.pick(&["3", "6"])),
                35 => format!("index .ls {}", self.rng.pick(&["0", "2", "3"])),
                36 => format!("get .m \"{}\"", self.rng.pick(&["a", "b", "zz"])),
                37 => format!("ternary {s} \"no\" {}", self.boolean()),
                38 => format!("coalesce .e .nil {s}"),
                39 => format!(
                    "{s} | {}",
                    self.rng
                        .pick(&["upper", "quote", "trim", "b64enc", "lower | title"])
                ),
                40 => format!(
                    "printf \"%.2f|%e|%g|%5.1f\" {} {} {} {}",
                    self.float(),
                    self.float(),
                    self.float(),
                    self.float()
                ),
                // Scalars only: list element types ([]string, []int) are not tracked.
                41 => format!(
                    "typeOf {}",
                    self.rng.pick(&[
                        ".s",
                        ".n",
                        ".f",
                        ".t",
                        "(add 1 2)",
                        "(len .l)",
                        "1.5",
                        "(toString .n)"
                    ])
                ),
                42 => format!("regexFind \"[a-z]+\" {s}"),
                43 => format!("plural \"one\" \"many\" {}", self.int()),
                _ => format!("printf \"%d%%\" {}", self.int()),
            };
            format!("({f})")
        };
        self.depth -= 1;
        out
    }

    fn var_or(&mut self, fallback: impl FnOnce(&mut Gen) -> String) -> String {
        if !self.vars.is_empty() && self.rng.chance(60) {
            let i = self.rng.below(self.vars.len());
            return self.vars[i].clone();
        }
        fallback(self)
    }

    fn int(&mut self) -> String {
        self.depth += 1;
        let out = if self.depth > 3 || self.rng.chance(45) {
            self.rng
                .pick(&[
                    "0", "1", "2", "3", "-1", "10", ".n", ".z", ".neg", "0x1F", "'a'", "1_000",
                ])
                .to_owned()
        } else {
            let f = match self.rng.below(14) {
                0 => format!("len {}", self.string()),
                1 => format!("len {}", self.list()),
                2 => format!("add {} {}", self.int(), self.int()),
                3 => format!("sub {} {}", self.int(), self.int()),
                4 => format!("mul {} {}", self.int(), self.int()),
                5 => format!("div {} {}", self.int(), self.rng.pick(&["2", "3", "-2"])),
                6 => format!("mod {} 3", self.int()),
                7 => format!("max {} {} {}", self.int(), self.int(), self.int()),
                8 => format!("min {} {}", self.int(), self.int()),
                9 => format!("add1 {}", self.int()),
                10 => format!("atoi {}", self.rng.pick(&["\"12\"", "\"x\"", "\"-4\""])),
                11 => format!("int {}", self.float()),
                12 => format!("index .l {}", self.rng.pick(&["0", "1", "2"])),
                _ => format!("int64 {}", self.any()),
            };
            format!("({f})")
        };
        self.depth -= 1;
        out
    }

    fn float(&mut self) -> String {
        self.depth += 1;
        let out = if self.depth > 3 || self.rng.chance(50) {
            self.rng
                .pick(&[
                    "1.5",
                    ".f",
                    ".g",
                    "0.1",
                    "-2.25",
                    "1e3",
                    "1234567.0",
                    "0.000012",
                    "100.0",
                ])
                .to_owned()
        } else {
            let f = match self.rng.below(8) {
                0 => format!("floor {}", self.float()),
                1 => format!("ceil {}", self.float()),
                2 => format!("round {} {}", self.float(), self.rng.pick(&["0", "1", "2"])),
                3 => format!("float64 {}", self.int()),
                4 => format!("addf {} {}", self.float(), self.float()),
                5 => format!("mulf {} {}", self.float(), self.float()),
                6 => format!("maxf {} {}", self.float(), self.float()),
                _ => format!("subf {} {}", self.float(), self.float()),
            };
            format!("({f})")
        };
        self.depth -= 1;
        out
    }

    fn boolean(&mut self) -> String {
        self.depth += 1;
        let out = if self.depth > 3 || self.rng.chance(35) {
            self.rng.pick(&["true", "false", ".t", ".b"]).to_owned()
        } else {
            let f = match self.rng.below(17) {
                0 => format!("eq {} {}", self.string(), self.string()),
                1 => format!("eq {} {} {}", self.int(), self.int(), self.int()),
                2 => format!("ne {} {}", self.any(), self.any()),
                3 => format!(
                    "{} {} {}",
                    self.rng.pick(&["lt", "le", "gt", "ge"]),
                    self.int(),
                    self.int()
                ),
                4 => format!(
                    "{} {} {}",
                    self.rng.pick(&["lt", "ge"]),
                    self.string(),
                    self.string()
                ),
                5 => format!("and {} {}", self.boolean(), self.any()),
                6 => format!("or {} {}", self.any(), self.boolean()),
                7 => format!("not {}", self.any()),
                8 => format!("empty {}", self.any()),
                9 => format!("hasKey .m \"{}\"", self.rng.pick(&["a", "x"])),
                10 => format!("has {} {}", self.any(), self.list()),
                11 => format!("contains \"o\" {}", self.string()),
                12 => format!(
                    "{} \"h\" {}",
                    self.rng.pick(&["hasPrefix", "hasSuffix"]),
                    self.string()
                ),
                13 => format!("regexMatch \"^[a-z]+$\" {}", self.string()),
                14 => format!(
                    "semverCompare \"{}\" {}",
                    self.rng.pick(&[
                        "^1.2",
                        ">=1.3.0",
                        "~1.2.0",
                        "1.2.x",
                        "<2.0.0, >1.0",
                        ">=1.3.0-0",
                        "=1.2.3 || =2.0",
                        "!=1.2.3"
                    ]),
                    self.rng.pick(&[".ver", ".pre", "\"2.0.0\"", "\"1.2.10\""])
                ),
                15 => format!("eq {} {}", self.float(), self.float()),
                _ => format!("deepEqual {} {}", self.string(), self.string()),
            };
            format!("({f})")
        };
        self.depth -= 1;
        out
    }

    fn list(&mut self) -> String {
        self.depth += 1;
        let out = if self.depth > 3 || self.rng.chance(40) {
            self.rng
                .pick(&[".l", ".ls", ".le", ".lm", ".m.c"])
                .to_owned()
        } else {
            let f = match self.rng.below(20) {
                0 => format!("list {} {} {}", self.any(), self.any(), self.any()),
                1 => format!("append {} {}", self.list(), self.any()),
                2 => format!("prepend {} {}", self.list(), self.any()),
                3 => format!("rest {}", self.list()),
                4 => format!("initial {}", self.list()),
                5 => format!("reverse {}", self.list()),
                6 => "uniq (list 1 1 2 \"a\" \"a\")".to_owned(),
                7 => format!("without {} {}", self.list(), self.any()),
                8 => format!("concat {} {}", self.list(), self.list()),
                9 => format!(
                    "splitList \"{}\" {}",
                    self.rng.pick(&[",", " ", ""]),
                    self.string()
                ),
                10 => format!("sortAlpha {}", self.list()),
                11 => "compact (list \"\" 1 0 \"a\" nil false)".to_owned(),
                12 => format!("until {}", self.rng.pick(&["0", "3", "-2"])),
                13 => format!(
                    "untilStep {} {} {}",
                    self.rng.pick(&["0", "5"]),
                    self.rng.pick(&["6", "-1"]),
                    self.rng.pick(&["2", "-2", "1"])
                ),
                14 => format!("keys {} | sortAlpha", self.map()),
                15 => format!(
                    "regexFindAll \"[a-z]+\" {} {}",
                    self.string(),
                    self.rng.pick(&["-1", "1"])
                ),
                16 => format!("chunk 2 {}", self.list()),
                17 => format!("slice {} {}", self.list(), self.rng.pick(&["0", "1"])),
                18 => format!("values {} | sortAlpha", self.map()),
                _ => format!("pluck \"a\" {} (dict \"a\" 2)", self.map()),
            };
            format!("({f})")
        };
        self.depth -= 1;
        out
    }

    fn map(&mut self) -> String {
        self.depth += 1;
        let out = if self.depth > 3 || self.rng.chance(45) {
            self.rng.pick(&[".m", ".me", ".m.d"]).to_owned()
        } else {
            let f = match self.rng.below(8) {
                0 => format!("dict \"k\" {} \"k2\" {}", self.any(), self.any()),
                1 => format!("pick .m \"a\" \"{}\"", self.rng.pick(&["b", "zz"])),
                2 => "omit .m \"a\" \"c\"".to_owned(),
                3 => format!("merge (dict \"a\" 9 \"z\" 1) {}", self.map()),
                4 => format!(
                    "mergeOverwrite (dict \"a\" 9 \"z\" 1) (dict \"a\" {})",
                    self.any()
                ),
                5 => format!("set (dict \"x\" 1) \"y\" {}", self.any()),
                // fromYaml's nested maps are map[interface{}]interface{} in Go, which
                // encoding/json refuses; slipway has one map type (see README).
                6 => "fromJson .json".to_owned(),
                _ => "fromJson .json".to_owned(),
            };
            format!("({f})")
        };
        self.depth -= 1;
        out
    }

    fn any(&mut self) -> String {
        match self.rng.below(10) {
            0 | 1 => self.string(),
            2 | 3 => self.int(),
            4 => self.float(),
            5 => self.boolean(),
            6 => self.list(),
            7 => self.map(),
            8 => self.var_or(|g| {
                g.rng
                    .pick(&[".nil", ".missing", ".", "$", "nil"])
                    .to_owned()
            }),
            _ => self
                .rng
                .pick(&[
                    ".nil",
                    ".missing",
                    ".m.zz",
                    "(index .m \"zz\")",
                    "(first .le)",
                    "(fromYaml .yaml).c.d",
                    "(toString (fromYaml .yaml))",
                ])
                .to_owned(),
        }
    }

    fn delims(&mut self) -> (&'static str, &'static str) {
        (
            if self.rng.chance(25) { "{{- " } else { "{{ " },
            if self.rng.chance(25) { " -}}" } else { " }}" },
        )
    }

    fn action(&mut self) -> String {
        let (l, r) = self.delims();
        if self.rng.chance(5) {
            // Non-ASCII text only as a whole action's result: slipway's strings are UTF-8,
            // while Go's byte-wise cuts (substr, trunc, wrap) can split a character (README).
            let f = self.rng.pick(&[
                "upper",
                "lower",
                "title",
                "quote",
                "len",
                "swapcase",
                "camelcase",
                "snakecase",
                "toJson",
                "b64enc",
                "sha256sum",
                "urlquery",
                "js",
                "html",
                "printf \"%q\"",
                "printf \"%x\"",
                "printf \"%+q\"",
                "initials",
                "nospace",
            ]);
            return format!("{l}{f} \"ünïcode Çà\"{r}");
        }
        let expr = match self.rng.below(7) {
            0 => self.string(),
            1 => self.int(),
            2 => self.boolean(),
            3 => self.list(),
            4 => self.map(),
            5 => self.float(),
            _ => self.any(),
        };
        let expr = expr
            .strip_prefix('(')
            .and_then(|e| e.strip_suffix(')'))
            .map_or(expr.clone(), str::to_owned);
        format!("{l}{expr}{r}")
    }

    fn text(&mut self) -> String {
        self.rng
            .pick(&[
                "", " ", "\n", "key: ", "  - ", "x", "\n  ", "\t", ": ", "-", "a b",
            ])
            .to_owned()
    }

    fn block(&mut self, budget: usize, in_range: bool) -> String {
        let mut out = String::new();
        let mark = self.vars.len();
        for _ in 0..budget {
            out.push_str(&self.text());
            match self.rng.below(14) {
                0..=4 => out.push_str(&self.action()),
                5 => {
                    let name = format!("$v{}", self.vars.len());
                    let value = self.any();
                    out.push_str(&format!("{{{{ {name} := {value} }}}}"));
                    self.vars.push(name);
                }
                6 if !self.vars.is_empty() => {
                    let i = self.rng.below(self.vars.len());
                    let v = self.vars[i].clone();
                    out.push_str(&format!("{{{{ {v} = {} }}}}{{{{ {v} }}}}", self.any()));
                }
                7 if budget > 1 => {
                    let (a, b, c) = (
                        self.boolean(),
                        self.block(budget / 2, in_range),
                        self.block(budget / 3, in_range),
                    );
                    if self.rng.chance(50) {
                        let (d, e) = (self.boolean(), self.block(budget / 3, in_range));
                        out.push_str(&format!("{{{{ if {a} }}}}{b}{{{{ else if {d} }}}}{e}{{{{ else }}}}{c}{{{{ end }}}}"));
                    } else {
                        out.push_str(&format!(
                            "{{{{- if {a} }}}}{b}{{{{ else -}}}}{c}{{{{ end }}}}"
                        ));
                    }
                }
                8 if budget > 1 => {
                    let over = if self.rng.chance(70) {
                        self.list()
                    } else {
                        self.map()
                    };
                    let (i, v) = (
                        format!("$i{}", self.vars.len()),
                        format!("$e{}", self.vars.len()),
                    );
                    self.vars.push(i.clone());
                    self.vars.push(v.clone());
                    let body = self.block(budget / 2, true);
                    self.vars.truncate(self.vars.len() - 2);
                    let control = match self.rng.below(4) {
                        0 => format!(
                            "{{{{ if eq {i} {} }}}}{{{{ break }}}}{{{{ end }}}}",
                            self.rng.pick(&["1", "\"a\""])
                        ),
                        1 => format!(
                            "{{{{ if {} }}}}{{{{ continue }}}}{{{{ end }}}}",
                            self.boolean()
                        ),
                        _ => String::new(),
                    };
                    if self.rng.chance(50) {
                        out.push_str(&format!("{{{{ range {i}, {v} := {over} }}}}{control}[{{{{ {i} }}}}={{{{ {v} }}}}]{body}{{{{ end }}}}"));
                    } else {
                        let e = self.block(1, in_range);
                        out.push_str(&format!(
                            "{{{{ range {over} }}}}<{{{{ . }}}}>{{{{ else }}}}empty{e}{{{{ end }}}}"
                        ));
                    }
                }
                9 if budget > 1 => {
                    let (a, b) = (self.any(), self.block(budget / 2, in_range));
                    out.push_str(&format!(
                        "{{{{ with {a} }}}}({{{{ . }}}}){b}{{{{ else }}}}none{{{{ end }}}}"
                    ));
                }
                10 if !self.defines.is_empty() => {
                    let i = self.rng.below(self.defines.len());
                    let name = self.defines[i].clone();
                    out.push_str(&format!("{{{{ template \"{name}\" {} }}}}", self.any()));
                }
                11 => out.push_str(&format!(
                    "{{{{/* {} */}}}}",
                    self.rng.pick(&["c", "multi\nline"])
                )),
                12 if in_range => out.push_str(self.rng.pick(&["{{ continue }}", "{{ break }}"])),
                _ => out.push_str(&format!(
                    "{{{{ {} | {} }}}}",
                    self.string(),
                    self.rng.pick(&[
                        "upper",
                        "quote",
                        "len",
                        "printf \"%s!\"",
                        "trunc 3",
                        "nindent 2"
                    ])
                )),
            }
        }
        self.vars.truncate(mark);
        out
    }

    fn template(&mut self) -> String {
        self.vars.clear();
        self.defines.clear();
        let mut out = String::new();
        if self.rng.chance(30) {
            let name = format!("d{}", self.rng.below(3));
            let body = self.block(2, false);
            out.push_str(&format!("{{{{ define \"{name}\" }}}}{body}{{{{ end }}}}"));
            self.defines.push(name);
        }
        let budget = 1 + self.rng.below(5);
        out.push_str(&self.block(budget, false));
        if self.rng.chance(3) {
            // Deliberately broken templates: both engines must refuse them.
            let cut = self.rng.below(out.len() + 1);
            let cut = (0..=cut)
                .rev()
                .find(|&c| out.is_char_boundary(c))
                .unwrap_or(0);
            out.truncate(cut);
            out.push_str(self.rng.pick(&[
                "{{",
                "{{ end }}",
                "{{ if }}",
                "{{ nosuch }}",
                "{{ $undefined }}",
                "{{ (1 }}",
                "{{ \"x }}",
            ]));
        }
        out
    }
}

fn go_env(cmd: &mut Command, target: &Path) {
    cmd.env("GO111MODULE", "off")
        .env("GOPATH", "/usr/share/gocode")
        .env("GOFLAGS", "")
        .env("GOCACHE", target.join("go-cache"));
}

/// Builds the oracle (once; rebuilt when its source is newer) or says why it cannot.
fn oracle() -> Result<PathBuf, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = root.join("tests/oracle/oracle.go");
    let target = root.join("target");
    let binary = target.join("oracle/slipway-template-oracle");
    let fresh = match (binary.metadata(), source.metadata()) {
        (Ok(b), Ok(s)) => b.modified().ok() >= s.modified().ok(),
        _ => false,
    };
    if fresh {
        return Ok(binary);
    }
    let mut cmd = Command::new("go");
    cmd.arg("build").arg("-o").arg(&binary).arg(&source);
    go_env(&mut cmd, &target);
    let out = cmd.output().map_err(|e| format!("cannot run go: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "go build failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(binary)
}

#[test]
fn random_templates_match_go() {
    let binary = match oracle() {
        Ok(b) => b,
        Err(why) if std::env::var("CI").as_deref() != Ok("true") => {
            eprintln!("SKIPPED: the Go oracle is not available ({why}); scripts/setup installs it");
            return;
        }
        Err(why) => panic!("the Go oracle is required under CI=true: {why}"),
    };
    let seed: u64 = std::env::var("SLIPWAY_DIFF_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_204);
    let count: usize = std::env::var("SLIPWAY_DIFF_COUNT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let mut generator = Gen {
        rng: Rng(seed | 1),
        vars: Vec::new(),
        defines: Vec::new(),
        depth: 0,
    };
    let templates: Vec<String> = (0..count).map(|_| generator.template()).collect();
    let data_text: String = DATA.split('\n').collect();

    let mut child = Command::new(&binary)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the oracle starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let requests: Vec<String> = templates
        .iter()
        .map(|t| serde_json::json!({"t": t, "d": data_text}).to_string())
        .collect();
    let writer = std::thread::spawn(move || {
        for r in requests {
            writeln!(stdin, "{r}").expect("the oracle reads");
        }
    });
    let reader = BufReader::new(child.stdout.take().expect("stdout"));
    let answers: Vec<serde_json::Value> = reader
        .lines()
        .map(|l| serde_json::from_str(&l.expect("a line")).expect("JSON from the oracle"))
        .collect();
    writer.join().expect("writer");
    assert!(child.wait().expect("oracle exits").success());
    assert_eq!(answers.len(), templates.len());

    let data = Value::from_json(&serde_json::from_str(&data_text).expect("data is JSON"));
    let (mut same_output, mut both_failed, mut mismatches) = (0, 0, Vec::new());
    for (template, answer) in templates.iter().zip(&answers) {
        // Each render gets fresh data: `set` and `merge` change maps in place.
        let data = Value::from_json(&serde_json::from_str(&data_text).unwrap());
        let ours = render("t", template, &data);
        let go_ok = answer["ok"].as_bool().unwrap_or(false);
        let go_out = answer["out"].as_str().unwrap_or_default();
        match (&ours, go_ok) {
            (Ok(out), true) if out == go_out => same_output += 1,
            (Err(_), false) => both_failed += 1,
            _ => mismatches.push(format!(
                "template: {template:?}\n  slipway: {ours:?}\n  go: ok={go_ok} {go_out:?}"
            )),
        }
    }
    let _ = data;
    for m in mismatches.iter().take(25) {
        eprintln!("MISMATCH {m}");
    }
    eprintln!(
        "differential (seed {seed}): {same_output} same output, {both_failed} both failed, {} mismatches of {count}",
        mismatches.len()
    );
    assert!(
        mismatches.is_empty(),
        "{} of {count} templates render differently from Go",
        mismatches.len()
    );
}
