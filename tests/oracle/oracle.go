// The differential test's oracle: renders templates with Go's text/template and sprig 3.2.3 (the
// function map werf uses: sprig's TxtFuncMap without expandenv, with werf's yaml.v2 toYaml and
// fromYaml). Reads JSON lines {"t": template, "d": data as JSON text} on stdin and writes
// {"ok": bool, "out": output or error} lines. A test tool only; slipway itself never runs Go.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	"gopkg.in/yaml.v2"
)

type request struct {
	T string `json:"t"`
	D string `json:"d"`
}

type response struct {
	Ok  bool   `json:"ok"`
	Out string `json:"out"`
}

func funcs() template.FuncMap {
	m := sprig.TxtFuncMap()
	delete(m, "expandenv")
	m["fromYaml"] = func(str string) (map[string]interface{}, error) {
		out := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(str), &out); err != nil {
			return nil, err
		}
		return out, nil
	}
	m["toYaml"] = func(v interface{}) string {
		data, err := yaml.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	return m
}

// decode reads JSON data as slipway's engine does: integers become int, other numbers float64.
func decode(text string) interface{} {
	d := json.NewDecoder(strings.NewReader(text))
	d.UseNumber()
	var v interface{}
	if err := d.Decode(&v); err != nil {
		return nil
	}
	return numbers(v)
}

func numbers(v interface{}) interface{} {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return int(i)
		}
		f, _ := v.Float64()
		return f
	case []interface{}:
		for i := range v {
			v[i] = numbers(v[i])
		}
	case map[string]interface{}:
		for k := range v {
			v[k] = numbers(v[k])
		}
	}
	return v
}

func render(req request, fm template.FuncMap) (resp response) {
	defer func() {
		if r := recover(); r != nil {
			resp = response{Ok: false, Out: "panic"}
		}
	}()
	t, err := template.New("t").Funcs(fm).Parse(req.T)
	if err != nil {
		return response{Ok: false, Out: err.Error()}
	}
	var b bytes.Buffer
	if err := t.Execute(&b, decode(req.D)); err != nil {
		return response{Ok: false, Out: err.Error()}
	}
	return response{Ok: true, Out: b.String()}
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<26)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	fm := funcs()
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			enc.Encode(response{Ok: false, Out: "bad request: " + err.Error()})
			continue
		}
		enc.Encode(render(req, fm))
	}
	out.Flush()
}
