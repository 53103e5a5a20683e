package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.starlark.net/starlark"
	"go.starlark.net/starlarkstruct"
	"go.starlark.net/syntax"
	"sigs.k8s.io/yaml"
)

// runTiltfile evaluates a Tiltfile with go.starlark.net (the interpreter Tilt embeds, with the dialect
// options Tilt enables) and stubs of Tilt's builtins that take Tilt's exact parameter names, so an unknown
// function or a misspelled keyword fails here as it would in `tilt up`. Nothing is built, deployed or run:
// each call is recorded and the list is printed as JSON for the tests to check paths, images and resources.
func runTiltfile(args []string) error {
	fs := flag.NewFlagSet("tiltfile", flag.ContinueOnError)
	context := fs.String("context", "kind-telemetry-pulse", "the Kubernetes context k8s_context() returns")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: tiltfile [-context NAME] FILE")
	}
	path, err := filepath.Abs(fs.Arg(0))
	if err != nil {
		return err
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// Tilt resolves relative paths against the Tiltfile's folder.
	if err := os.Chdir(filepath.Dir(path)); err != nil {
		return err
	}
	r := &tiltRecorder{context: *context, main: path}
	thread := &starlark.Thread{
		Name:  "Tiltfile",
		Print: func(_ *starlark.Thread, msg string) { r.prints = append(r.prints, msg) },
		Load: func(_ *starlark.Thread, module string) (starlark.StringDict, error) {
			return nil, fmt.Errorf("load(%q): this checker loads no extensions; keep the Tiltfile self-contained", module)
		},
	}
	opts := &syntax.FileOptions{Set: true, While: true, TopLevelControl: true, GlobalReassign: true, Recursion: true}
	_, err = starlark.ExecFileOptions(opts, thread, path, src, r.predeclared())
	var exit *tiltExit
	if err != nil && !errors.As(err, &exit) {
		var evalErr *starlark.EvalError
		if errors.As(err, &evalErr) {
			return errors.New(evalErr.Backtrace())
		}
		return err
	}
	if err := r.checkContextAllowed(); err != nil {
		return err
	}
	out, err := json.MarshalIndent(map[string]any{"calls": r.calls, "prints": r.prints}, "", "  ")
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(append(out, '\n'))
	return err
}

type tiltCall struct {
	Fn   string         `json:"fn"`
	Args map[string]any `json:"args"`
	Pos  string         `json:"pos"`
}

type tiltRecorder struct {
	context         string
	main            string
	calls           []tiltCall
	prints          []string
	allowedContexts []string
}

type tiltExit struct{ msg string }

func (e *tiltExit) Error() string { return "exit: " + e.msg }

// Each Tilt builtin's parameters in Tilt's order ("name?" is optional), from Tilt's API reference.
var tiltSignatures = map[string][]string{
	"allow_k8s_contexts": {"contexts"},
	"blob":               {"contents"},
	"ci_settings":        {"k8s_grace_period?", "timeout?", "readiness_timeout?"},
	// Tilt unpacks command_bat_val, outputs_image_ref_to, command_bat and image_deps without "?", after optional
	// parameters: optional all the same.
	"custom_build": {"ref", "command", "deps", "tag?", "disable_push?", "skips_local_docker?", "live_update?",
		"match_in_env_vars?", "ignore?", "entrypoint?", "container_args?", "command_bat_val?",
		"outputs_image_ref_to?", "command_bat?", "image_deps?", "env?", "dir?"},
	"default_registry": {"host", "host_from_cluster?", "single_name?"},
	"docker_build": {"ref", "context", "build_args?", "dockerfile?", "dockerfile_contents?", "live_update?",
		"match_in_env_vars?", "ignore?", "only?", "entrypoint?", "target?", "ssh?", "network?", "secret?",
		"extra_tag?", "container_args?", "cache_from?", "pull?", "platform?", "extra_hosts?"},
	"docker_prune_settings": {"disable?", "max_age_mins?", "num_builds?", "interval_hrs?", "keep_recent?"},
	"exec_action":           {"command"},
	"fall_back_on":          {"files"},
	"filter_yaml":           {"yaml", "labels?", "name?", "namespace?", "kind?", "api_version?"},
	"helm":                  {"pathToChartDir", "name?", "namespace?", "values?", "set?", "kube_version?", "skip_crds?"},
	"http_get_action":       {"port", "host?", "scheme?", "path?"},
	"initial_sync":          {},
	"k8s_kind":              {"kind", "api_version?", "image_json_path?", "image_object?", "pod_readiness?"},
	"k8s_resource": {"workload?", "new_name?", "port_forwards?", "extra_pod_selectors?", "trigger_mode?",
		"resource_deps?", "objects?", "auto_init?", "pod_readiness?", "links?", "labels?", "discovery_strategy?"},
	"k8s_yaml":  {"yaml", "allow_duplicates?"},
	"kustomize": {"pathToDir", "kustomize_bin?", "flags?"},
	"link":      {"url", "name?"},
	"local":     {"command", "quiet?", "command_bat?", "echo_off?", "env?", "dir?", "stdin?"},
	"local_resource": {"name", "cmd?", "deps?", "trigger_mode?", "resource_deps?", "ignore?", "auto_init?",
		"serve_cmd?", "cmd_bat?", "serve_cmd_bat?", "allow_parallel?", "links?", "labels?", "env?", "serve_env?",
		"readiness_probe?", "dir?", "serve_dir?"},
	"port_forward": {"local_port", "container_port?", "name?", "link_path?", "host?"},
	"probe": {"initial_delay_secs?", "timeout_secs?", "period_secs?", "success_threshold?", "failure_threshold?",
		"exec?", "http_get?", "tcp_socket?"},
	"restart_container": {},
	"run":               {"cmd", "trigger?", "echo_off?"},
	"secret_settings":   {"disable_scrub?"},
	"sync":              {"local_path", "remote_path"},
	"tcp_socket_action": {"port", "host?"},
	"trigger_mode":      {"trigger_mode"},
	"update_settings": {"max_parallel_updates?", "k8s_upsert_timeout_secs?", "suppress_unused_image_warnings?",
		"k8s_server_side_apply?"},
	"version_settings": {"check_updates?", "constraint?"},
	"warn":             {"msg"},
	"watch_file":       {"file_path"},
	"watch_settings":   {"ignore"},
}

// Builtins whose result is a value the Tiltfile passes on (a live-update step, a port forward, a probe).
var tiltValueBuiltins = map[string]bool{
	"exec_action": true, "fall_back_on": true, "http_get_action": true, "initial_sync": true, "link": true,
	"port_forward": true, "probe": true, "restart_container": true, "run": true, "sync": true,
	"tcp_socket_action": true,
}

// Builtins that return YAML or command output as a Blob.
var tiltBlobBuiltins = map[string]bool{"blob": true, "helm": true, "kustomize": true, "local": true}

func (r *tiltRecorder) predeclared() starlark.StringDict {
	d := starlark.StringDict{}
	for name := range tiltSignatures {
		d[name] = starlark.NewBuiltin(name, r.record)
	}
	d["TRIGGER_MODE_AUTO"] = tiltConst("TRIGGER_MODE_AUTO")
	d["TRIGGER_MODE_MANUAL"] = tiltConst("TRIGGER_MODE_MANUAL")
	d["struct"] = starlark.NewBuiltin("struct", starlarkstruct.Make)
	d["k8s_context"] = starlark.NewBuiltin("k8s_context", r.noArgs(starlark.String(r.context)))
	d["k8s_namespace"] = starlark.NewBuiltin("k8s_namespace", r.noArgs(starlark.String("default")))
	d["exit"] = starlark.NewBuiltin("exit", func(_ *starlark.Thread, _ *starlark.Builtin, args starlark.Tuple, _ []starlark.Tuple) (starlark.Value, error) {
		msg := ""
		if len(args) > 0 {
			msg = args[0].String()
		}
		return nil, &tiltExit{msg}
	})
	d["read_file"] = starlark.NewBuiltin("read_file", readFileBuiltin)
	d["read_yaml"] = starlark.NewBuiltin("read_yaml", readYAMLBuiltin)
	d["os"] = &starlarkstruct.Module{Name: "os", Members: starlark.StringDict{
		"getenv": starlark.NewBuiltin("os.getenv", getenvBuiltin),
		"getcwd": starlark.NewBuiltin("os.getcwd", r.noArgs(starlark.String(filepath.Dir(r.main)))),
		"path": &starlarkstruct.Module{Name: "os.path", Members: starlark.StringDict{
			"exists":   starlark.NewBuiltin("os.path.exists", pathExistsBuiltin),
			"join":     starlark.NewBuiltin("os.path.join", pathJoinBuiltin),
			"abspath":  starlark.NewBuiltin("os.path.abspath", pathFuncBuiltin(filepath.Abs)),
			"dirname":  starlark.NewBuiltin("os.path.dirname", pathFuncBuiltin(noErr(filepath.Dir))),
			"basename": starlark.NewBuiltin("os.path.basename", pathFuncBuiltin(noErr(filepath.Base))),
		}},
	}}
	d["config"] = &starlarkstruct.Module{Name: "config", Members: starlark.StringDict{
		"main_dir":           starlark.String(filepath.Dir(r.main)),
		"main_path":          starlark.String(r.main),
		"tilt_subcommand":    starlark.String("up"),
		"define_string":      starlark.NewBuiltin("config.define_string", r.defineArg),
		"define_bool":        starlark.NewBuiltin("config.define_bool", r.defineArg),
		"define_string_list": starlark.NewBuiltin("config.define_string_list", r.defineArg),
		"parse":              starlark.NewBuiltin("config.parse", r.noArgs(starlark.NewDict(0))),
	}}
	return d
}

func (r *tiltRecorder) noArgs(v starlark.Value) func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		if err := starlark.UnpackArgs(b.Name(), args, kwargs); err != nil {
			return nil, err
		}
		return v, nil
	}
}

func (r *tiltRecorder) defineArg(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var name string
	var isArgs starlark.Bool
	var usage string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "name", &name, "args?", &isArgs, "usage?", &usage); err != nil {
		return nil, err
	}
	return starlark.None, nil
}

// record checks a call against the builtin's signature, applies Tilt's own argument rules and records it.
func (r *tiltRecorder) record(thread *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	params := tiltSignatures[b.Name()]
	values := make([]starlark.Value, len(params))
	pairs := make([]any, 0, 2*len(params))
	for i, p := range params {
		pairs = append(pairs, p, &values[i])
	}
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, pairs...); err != nil {
		return nil, err
	}
	given := map[string]any{}
	for i, p := range params {
		if values[i] != nil {
			given[strings.TrimSuffix(p, "?")] = toJSON(values[i])
		}
	}
	if err := checkTiltCall(b.Name(), given, values, params); err != nil {
		return nil, fmt.Errorf("%s: %v", b.Name(), err)
	}
	if b.Name() == "allow_k8s_contexts" {
		r.allowedContexts = append(r.allowedContexts, stringsOf(given["contexts"])...)
	}
	if tiltValueBuiltins[b.Name()] {
		return &tiltValue{kind: b.Name(), args: given}, nil
	}
	r.calls = append(r.calls, tiltCall{Fn: b.Name(), Args: given, Pos: thread.CallFrame(1).Pos.String()})
	if tiltBlobBuiltins[b.Name()] {
		text := ""
		if b.Name() == "blob" {
			text, _ = given["contents"].(string)
		}
		return &tiltBlob{call: len(r.calls) - 1, text: text}, nil
	}
	if b.Name() == "filter_yaml" {
		return starlark.Tuple{&tiltBlob{call: len(r.calls) - 1}, &tiltBlob{call: len(r.calls) - 1}}, nil
	}
	return starlark.None, nil
}

var tiltLabel = regexp.MustCompile(`^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$`)
var tiltPortForward = regexp.MustCompile(`^([^:]+:)?\d{1,5}(:\d{1,5})?$`)

// checkTiltCall applies the argument rules Tilt enforces when it evaluates the file.
func checkTiltCall(fn string, given map[string]any, values []starlark.Value, params []string) error {
	for _, l := range stringsOf(given["labels"]) {
		if !tiltLabel.MatchString(l) {
			return fmt.Errorf("label %q: must be 63 characters or less, alphanumeric at both ends, with - _ . inside", l)
		}
	}
	switch fn {
	case "sync":
		if remote, _ := given["remote_path"].(string); !strings.HasPrefix(remote, "/") {
			return fmt.Errorf("remote_path %q must be absolute", remote)
		}
	case "docker_build":
		if given["dockerfile"] != nil && given["dockerfile_contents"] != nil {
			return errors.New("cannot specify both dockerfile and dockerfile_contents")
		}
		for i, p := range params {
			if p == "live_update?" && values[i] != nil {
				if err := checkLiveUpdate(values[i]); err != nil {
					return err
				}
			}
		}
	case "custom_build":
		if given["tag"] != nil && given["outputs_image_ref_to"] != nil {
			return errors.New("cannot specify both tag= and outputs_image_ref_to=")
		}
		for i, p := range params {
			if p == "live_update?" && values[i] != nil {
				if err := checkLiveUpdate(values[i]); err != nil {
					return err
				}
				// Tilt watches only deps for a custom_build: a sync or fall_back_on path outside them never fires.
				if err := checkLiveUpdateWatched(values[i], stringsOf(given["deps"])); err != nil {
					return err
				}
			}
		}
	case "k8s_resource":
		for _, pf := range listOf(given["port_forwards"]) {
			if s, ok := pf.(string); ok && !tiltPortForward.MatchString(s) {
				return fmt.Errorf("port_forwards %q: want PORT, LOCAL:CONTAINER or HOST:LOCAL:CONTAINER", s)
			}
		}
		if given["workload"] == nil && (given["new_name"] == nil || given["objects"] == nil) {
			return errors.New("give workload, or new_name and objects")
		}
	case "local_resource":
		if given["cmd"] == nil && given["serve_cmd"] == nil {
			return errors.New("give cmd or serve_cmd")
		}
	}
	return nil
}

// checkLiveUpdate enforces Tilt's step order: initial_sync, then fall_back_on, then sync, then run;
// restart_container is for Docker Compose only.
func checkLiveUpdate(v starlark.Value) error {
	list, ok := v.(*starlark.List)
	if !ok {
		return fmt.Errorf("live_update must be a list, got %s", v.Type())
	}
	order := map[string]int{"initial_sync": 0, "fall_back_on": 1, "sync": 2, "run": 3}
	last := 0
	for i := 0; i < list.Len(); i++ {
		step, ok := list.Index(i).(*tiltValue)
		if !ok {
			return fmt.Errorf("live_update step %d is a %s, not a live-update step", i, list.Index(i).Type())
		}
		if step.kind == "restart_container" {
			return errors.New("restart_container() is for Docker Compose resources only; restart the process in the image")
		}
		rank, ok := order[step.kind]
		if !ok {
			return fmt.Errorf("live_update step %d: %s() is not a live-update step", i, step.kind)
		}
		if rank < last {
			return fmt.Errorf("live_update step %d: %s() may not follow a later kind of step", i, step.kind)
		}
		last = rank
	}
	return nil
}

// Tilt refuses, by itself, any context that is neither a known local cluster nor allowed.
func (r *tiltRecorder) checkContextAllowed() error {
	for _, prefix := range []string{"kind-", "k3d-", "minikube", "docker-desktop", "docker-for-desktop", "microk8s", "crc-", "rancher-desktop", "orbstack"} {
		if strings.HasPrefix(r.context, prefix) {
			return nil
		}
	}
	for _, c := range r.allowedContexts {
		if c == r.context {
			return nil
		}
	}
	return fmt.Errorf("Stop! %s might be production; tilt refuses contexts that are not local or allowed", r.context)
}

// checkLiveUpdateWatched: every sync source and fall_back_on file lies inside a watched path, as Tilt requires.
func checkLiveUpdateWatched(v starlark.Value, watched []string) error {
	inside := func(p string) bool {
		for _, w := range watched {
			if rel, err := filepath.Rel(w, p); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
				return true
			}
		}
		return false
	}
	list, _ := v.(*starlark.List)
	for i := 0; list != nil && i < list.Len(); i++ {
		step, _ := list.Index(i).(*tiltValue)
		if step == nil {
			continue
		}
		switch step.kind {
		case "sync":
			if p, _ := step.args["local_path"].(string); !inside(p) {
				return fmt.Errorf("sync step source '%s' is not a child of any watched filepaths (%v)", p, watched)
			}
		case "fall_back_on":
			for _, p := range stringsOf(step.args["files"]) {
				if !inside(p) {
					return fmt.Errorf("fall_back_on paths '%s' is not a child of any watched filepaths (%v)", p, watched)
				}
			}
		}
	}
	return nil
}

// tiltValue is what sync(), run(), port_forward() and the like return: recorded inside the call using it.
type tiltValue struct {
	kind string
	args map[string]any
}

func (v *tiltValue) String() string        { return v.kind + "(...)" }
func (v *tiltValue) Type() string          { return v.kind }
func (v *tiltValue) Freeze()               {}
func (v *tiltValue) Truth() starlark.Bool  { return true }
func (v *tiltValue) Hash() (uint32, error) { return 0, fmt.Errorf("unhashable: %s", v.kind) }

// tiltBlob is the YAML or output a builtin returned, identified by the index of the call that made it.
type tiltBlob struct {
	call int
	text string
}

func (b *tiltBlob) String() string        { return b.text }
func (b *tiltBlob) Type() string          { return "blob" }
func (b *tiltBlob) Freeze()               {}
func (b *tiltBlob) Truth() starlark.Bool  { return true }
func (b *tiltBlob) Hash() (uint32, error) { return starlark.String(b.text).Hash() }

type tiltConst string

func (c tiltConst) String() string        { return string(c) }
func (c tiltConst) Type() string          { return "TriggerMode" }
func (c tiltConst) Freeze()               {}
func (c tiltConst) Truth() starlark.Bool  { return true }
func (c tiltConst) Hash() (uint32, error) { return starlark.String(c).Hash() }

func toJSON(v starlark.Value) any {
	switch x := v.(type) {
	case starlark.NoneType:
		return nil
	case starlark.Bool:
		return bool(x)
	case starlark.Int:
		i, _ := x.Int64()
		return i
	case starlark.String:
		return string(x)
	case *tiltBlob:
		return map[string]any{"$blob": x.call}
	case *tiltValue:
		out := map[string]any{"$" + x.kind: true}
		for k, a := range x.args {
			out[k] = a
		}
		return out
	case tiltConst:
		return string(x)
	case *starlark.List:
		out := make([]any, x.Len())
		for i := range out {
			out[i] = toJSON(x.Index(i))
		}
		return out
	case starlark.Tuple:
		out := make([]any, len(x))
		for i := range x {
			out[i] = toJSON(x[i])
		}
		return out
	case *starlark.Dict:
		out := map[string]any{}
		keys := x.Keys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		for _, k := range keys {
			val, _, _ := x.Get(k)
			if s, ok := k.(starlark.String); ok {
				out[string(s)] = toJSON(val)
			} else {
				out[k.String()] = toJSON(val)
			}
		}
		return out
	default:
		return v.String()
	}
}

// listOf: Tilt accepts one value where it accepts a list of them.
func listOf(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	default:
		return []any{x}
	}
}

func stringsOf(v any) []string {
	var out []string
	for _, x := range listOf(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func readFileBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	var def starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "file_path", &path, "default?", &def); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if def != starlark.None && errors.Is(err, os.ErrNotExist) {
			return def, nil
		}
		return nil, err
	}
	return &tiltBlob{call: -1, text: string(data)}, nil
}

func readYAMLBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	var def starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &path, "default?", &def); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if def != starlark.None && errors.Is(err, os.ErrNotExist) {
			return def, nil
		}
		return nil, err
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return fromJSON(doc), nil
}

func fromJSON(v any) starlark.Value {
	switch x := v.(type) {
	case nil:
		return starlark.None
	case bool:
		return starlark.Bool(x)
	case float64:
		if x == float64(int64(x)) {
			return starlark.MakeInt64(int64(x))
		}
		return starlark.Float(x)
	case string:
		return starlark.String(x)
	case []any:
		out := make([]starlark.Value, len(x))
		for i := range x {
			out[i] = fromJSON(x[i])
		}
		return starlark.NewList(out)
	case map[string]any:
		d := starlark.NewDict(len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			_ = d.SetKey(starlark.String(k), fromJSON(x[k]))
		}
		return d
	default:
		return starlark.String(fmt.Sprint(x))
	}
}

func getenvBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var key string
	var def starlark.Value = starlark.None
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "key", &key, "default?", &def); err != nil {
		return nil, err
	}
	if v, ok := os.LookupEnv(key); ok {
		return starlark.String(v), nil
	}
	return def, nil
}

func pathExistsBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	var path string
	if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &path); err != nil {
		return nil, err
	}
	_, err := os.Stat(path)
	return starlark.Bool(err == nil), nil
}

func pathJoinBuiltin(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
	if len(kwargs) > 0 {
		return nil, fmt.Errorf("%s: takes no keyword arguments", b.Name())
	}
	parts := make([]string, len(args))
	for i, a := range args {
		s, ok := starlark.AsString(a)
		if !ok {
			return nil, fmt.Errorf("%s: argument %d is not a string", b.Name(), i+1)
		}
		parts[i] = s
	}
	return starlark.String(filepath.Join(parts...)), nil
}

func pathFuncBuiltin(f func(string) (string, error)) func(*starlark.Thread, *starlark.Builtin, starlark.Tuple, []starlark.Tuple) (starlark.Value, error) {
	return func(_ *starlark.Thread, b *starlark.Builtin, args starlark.Tuple, kwargs []starlark.Tuple) (starlark.Value, error) {
		var path string
		if err := starlark.UnpackArgs(b.Name(), args, kwargs, "path", &path); err != nil {
			return nil, err
		}
		out, err := f(path)
		if err != nil {
			return nil, err
		}
		return starlark.String(out), nil
	}
}

func noErr(f func(string) string) func(string) (string, error) {
	return func(s string) (string, error) { return f(s), nil }
}
