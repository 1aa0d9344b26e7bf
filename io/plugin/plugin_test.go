package plugin_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/plugin"
	"github.com/revrepl/spanner-to-sourcedb/io/plugin/plugintest"
)

var (
	buildOnce sync.Once
	module    []byte
)

func testModule(t *testing.T) []byte {
	buildOnce.Do(func() { module = plugintest.Build(t, "./testdata/testmodule") })
	if module == nil {
		t.Fatal("test module did not build")
	}
	return module
}

func TestCalls(t *testing.T) {
	ctx := context.Background()
	m, err := plugin.Load(ctx, "testmodule.wasm", testModule(t))
	if err != nil {
		t.Fatal(err)
	}
	again, err := plugin.Load(ctx, "other-name.wasm", testModule(t))
	if err != nil {
		t.Fatal(err)
	}
	inst2, err := again.Instantiate(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	// The code is shared, but errors name the path each caller loaded.
	if _, err := inst2.Call(ctx, "fail", nil); err == nil || !strings.Contains(err.Error(), "plugin other-name.wasm: fail:") {
		t.Errorf("error of the second load: %v", err)
	}
	inst2.Close(ctx)
	if !m.HasFunction("echo") || m.HasFunction("nope") || m.HasFunction("revrepl_alloc") {
		t.Error("HasFunction: echo exported with the call signature, nope not exported, revrepl_alloc has another signature")
	}
	inst, err := m.Instantiate(ctx, "p=1")
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close(ctx)

	big := strings.Repeat("x", 1<<20)
	tests := []struct {
		name, fn, in string
		ctxTimeout   time.Duration
		want         string
		wantErr      []string
	}{
		{name: "echo", fn: "echo", in: `{"a":1}`, want: `{"a":1}`},
		{name: "empty input", fn: "echo", in: "", want: ""},
		{name: "large input", fn: "echo", in: big, want: big},
		{name: "init got the parameters", fn: "params", want: "p=1"},
		{name: "module error", fn: "fail", in: "x", wantErr: []string{"plugin testmodule.wasm: fail:", "the module reported an error: no: x"}},
		{name: "panic is an error answer", fn: "panics", wantErr: []string{"panic: boom"}},
		{name: "unknown function", fn: "nope", wantErr: []string{`exports no function "nope"`}},
		{name: "no file system", fn: "readfile", in: "/etc/passwd", wantErr: []string{"the module reported an error"}},
		{name: "exit restarts the instance", fn: "exit", wantErr: []string{"trapped", "about to exit"}},
		{name: "works after the exit", fn: "params", want: "p=1"},
		{name: "endless loop is stopped", fn: "loop", ctxTimeout: 300 * time.Millisecond, wantErr: []string{"no answer within"}},
		{name: "works after the loop", fn: "echo", in: "ok", want: "ok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cctx := ctx
			if tt.ctxTimeout > 0 {
				var cancel context.CancelFunc
				cctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
				defer cancel()
			}
			got, err := inst.Call(cctx, tt.fn, []byte(tt.in))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Call(%s) = %.50q, want an error", tt.fn, got)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("Call(%s) = %.50q, %v; want %.50q", tt.fn, got, err, tt.want)
			}
		})
	}
}

func TestCallJSON(t *testing.T) {
	ctx := context.Background()
	m, err := plugin.Load(ctx, "testmodule.wasm", testModule(t))
	if err != nil {
		t.Fatal(err)
	}
	inst, err := m.Instantiate(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]int
	if err := inst.CallJSON(ctx, "echo", map[string]int{"a": 1}, &out); err != nil || out["a"] != 1 {
		t.Fatalf("CallJSON = %v, %v", out, err)
	}
	var s []string
	if err := inst.CallJSON(ctx, "echo", map[string]int{"a": 1}, &s); err == nil || !strings.Contains(err.Error(), "not the expected JSON") {
		t.Fatalf("decoding an object into a slice: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := plugin.Load(ctx, "junk.wasm", []byte("not wasm")); err == nil || !strings.Contains(err.Error(), "plugin junk.wasm is not a valid WebAssembly module") {
		t.Errorf("junk: %v", err)
	}
	m, err := plugin.Load(ctx, "testmodule.wasm", testModule(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Instantiate(ctx, "refuse")
	if err == nil || !strings.Contains(err.Error(), "init with the custom parameters") || !errors.Is(err, plugin.ErrModule) ||
		!strings.Contains(err.Error(), "refused parameters") {
		t.Errorf("refused init: %v", err)
	}
}
