package transforms

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/io/plugin"
	"github.com/revrepl/spanner-to-sourcedb/io/plugin/plugintest"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/transformation"
)

var (
	transformationOnce sync.Once
	transformationPath string
)

// transformationModule builds the example module once and writes it to a file,
// since transformationJarPath is a path.
func transformationModule(t *testing.T) string {
	t.Helper()
	transformationOnce.Do(func() {
		b := plugintest.Build(t, "github.com/revrepl/spanner-to-sourcedb/io/plugin/examples/transform")
		dir, err := os.MkdirTemp("", "transformation-test")
		if err != nil {
			t.Fatal(err)
		}
		transformationPath = filepath.Join(dir, "transform_example.wasm")
		if err := os.WriteFile(transformationPath, b, 0o644); err != nil {
			t.Fatal(err)
		}
	})
	if transformationPath == "" {
		t.Fatal("example module did not build")
	}
	return transformationPath
}

const transformationParams = `{"upper": ["name"], "concat": {"target": "full_name", "columns": ["first", "last"], "separator": " "},
	"filter": {"column": "status", "equals": "draft"}, "require": {"People": ["first"]}}`

func TestTransformationExampleModule(t *testing.T) {
	ctx := context.Background()
	tr, closer, err := NewTransformer(ctx, plugin.Spec{ModulePath: transformationModule(t), Name: "transform", Params: transformationParams})
	if err != nil {
		t.Fatal(err)
	}
	defer closer()
	tests := []struct {
		name    string
		rec     record.Record
		want    transformation.Response
		wantErr string
	}{
		{
			name: "rewrites and fills a column",
			rec:  record.Record{TableName: "People", ModType: "INSERT", Shard: "s1", Mod: record.ModJSON{KeysJSON: `{"id":"1"}`, NewValuesJSON: `{"name":"ann","first":"Ann","last":"Lee","status":"ok"}`}},
			want: transformation.Response{ResponseRow: map[string]json.RawMessage{"name": json.RawMessage(`"ANN"`), "full_name": json.RawMessage(`"Ann Lee"`)}},
		},
		{
			name: "filters",
			rec:  record.Record{TableName: "People", ModType: "UPDATE", Mod: record.ModJSON{KeysJSON: `{"id":"1"}`, NewValuesJSON: `{"first":"A","status":"draft"}`}},
			want: transformation.Response{IsEventFiltered: true},
		},
		{
			name: "delete passes unchanged",
			rec:  record.Record{TableName: "People", ModType: "DELETE", Mod: record.ModJSON{KeysJSON: `{"id":"1"}`, NewValuesJSON: `{}`}},
			want: transformation.Response{},
		},
		{
			name:    "module error is a transformation error",
			rec:     record.Record{TableName: "People", ModType: "INSERT", Mod: record.ModJSON{KeysJSON: `{"id":"1"}`, NewValuesJSON: `{"first":null}`}},
			wantErr: "required column first is missing or null",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := tt.rec.Mod.Decode()
			if err != nil {
				t.Fatal(err)
			}
			got, err := transformation.Apply(ctx, tr, tt.rec, v)
			if tt.wantErr != "" {
				var te *transformation.Error
				if !errors.As(err, &te) || !strings.Contains(err.Error(), tt.wantErr) || te.Table != "People" {
					t.Fatalf("err = %v, want a *transformation.Error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestNewTransformerErrors(t *testing.T) {
	ctx := context.Background()
	path := transformationModule(t)
	tests := []struct {
		name string
		spec plugin.Spec
		want string
	}{
		{"function not exported", plugin.Spec{ModulePath: path, Name: "toSourceRow"}, `transformationClassName "toSourceRow": the module ` + path + ` exports no such function`},
		{"no function named", plugin.Spec{ModulePath: path}, "transformationClassName must name the module's transformation function"},
		{"params refused", plugin.Spec{ModulePath: path, Name: "transform", Params: `{"concat": {}}`}, "transformationCustomParameters: plugin " + path + ": init with the custom parameters"},
		{"missing file", plugin.Spec{ModulePath: path + ".nope", Name: "transform"}, "transformationJarPath " + path + ".nope: cannot read"},
		{"not WebAssembly", plugin.Spec{ModulePath: writeTemp(t, "x.wasm", "not wasm"), Name: "transform"}, "is not a valid WebAssembly module"},
		{"unknown compiled-in name", plugin.Spec{Name: "NoSuchTransformer"}, `transformationClassName "NoSuchTransformer": no such transformation in this build`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := NewTransformer(ctx, tt.spec)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func writeTemp(t *testing.T, name, content string) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// prefixer is a compiled-in transformation for the registry test.
type prefixer struct{ prefix string }

func (p prefixer) ToSourceRow(_ context.Context, req transformation.Request) (transformation.Response, error) {
	var name string
	if err := json.Unmarshal(req.RequestRow["name"], &name); err != nil {
		return transformation.Response{}, err
	}
	b, _ := json.Marshal(p.prefix + name)
	return transformation.Response{ResponseRow: map[string]json.RawMessage{"name": b}}, nil
}

func TestTransformationRegistry(t *testing.T) {
	transformation.Register("test_prefixer", func(params string) (transformation.Transformer, error) {
		if params == "" {
			return nil, errors.New("a prefix is required")
		}
		return prefixer{params}, nil
	})
	ctx := context.Background()
	tr, closer, err := NewTransformer(ctx, plugin.Spec{Name: "test_prefixer", Params: "x-"})
	if err != nil {
		t.Fatal(err)
	}
	defer closer()
	r := record.Record{TableName: "T", ModType: "INSERT", Mod: record.ModJSON{KeysJSON: `{"id":"1"}`, NewValuesJSON: `{"name":"a"}`}}
	v, err := r.Mod.Decode()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := transformation.Apply(ctx, tr, r, v)
	if err != nil || string(resp.ResponseRow["name"]) != `"x-a"` {
		t.Errorf("Apply = %+v, %v", resp, err)
	}
	if _, _, err := NewTransformer(ctx, plugin.Spec{Name: "test_prefixer"}); err == nil || !strings.Contains(err.Error(), "init with transformationCustomParameters: a prefix is required") {
		t.Errorf("init failure: %v", err)
	}
	if got := transformation.Registered(); !reflect.DeepEqual(got, []string{"test_prefixer"}) {
		t.Errorf("Registered = %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("a second registration of a name should panic")
		}
	}()
	transformation.Register("test_prefixer", nil)
}
