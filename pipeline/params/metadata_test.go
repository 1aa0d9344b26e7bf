package params

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Field names of Dataflow's TemplateMetadata, ParameterMetadata and
// ParameterMetadataEnumOption that this template may emit.
var (
	templateFields  = []string{"name", "description", "streaming", "supportsAtLeastOnce", "parameters"}
	parameterFields = []string{"name", "label", "helpText", "isOptional", "regexes", "paramType", "defaultValue", "enumOptions"}
	enumFields      = []string{"value", "label", "description"}
)

func checkFields(t *testing.T, where string, obj map[string]any, allowed []string) {
	t.Helper()
	for k, v := range obj {
		if !slices.Contains(allowed, k) {
			t.Errorf("%s: field %q is not a Dataflow metadata field", where, k)
		}
		if s, ok := v.(string); ok && s == "" {
			t.Errorf("%s: empty field %q should be omitted", where, k)
		}
	}
}

func TestMetadataFormat(t *testing.T) {
	b, err := Metadata()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasSuffix(b, []byte("}\n")) || !bytes.HasPrefix(b, []byte("{\n  \"")) {
		t.Error("metadata.json should be indented and end with a newline")
	}
	if b2, _ := Metadata(); !bytes.Equal(b, b2) {
		t.Error("Metadata is not deterministic")
	}

	var md struct {
		Name                string           `json:"name"`
		Streaming           bool             `json:"streaming"`
		SupportsAtLeastOnce bool             `json:"supportsAtLeastOnce"`
		Parameters          []map[string]any `json:"parameters"`
	}
	var top map[string]any
	if err := json.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatal(err)
	}
	checkFields(t, "template", top, templateFields)
	if md.Name != "Spanner_to_SourceDb (Go)" || !md.Streaming || !md.SupportsAtLeastOnce {
		t.Errorf("template header = %q streaming=%v atLeastOnce=%v", md.Name, md.Streaming, md.SupportsAtLeastOnce)
	}

	defs := Definitions()
	if len(md.Parameters) != len(defs) {
		t.Fatalf("%d parameters in metadata, want %d", len(md.Parameters), len(defs))
	}
	for i, p := range defs {
		pm := md.Parameters[i]
		where := fmt.Sprintf("parameter %d (%s)", i, p.Name)
		checkFields(t, where, pm, parameterFields)
		if pm["name"] != p.Name || pm["paramType"] != p.ParamType || pm["label"] != p.Label {
			t.Errorf("%s: got %v", where, pm)
		}
		if opt, ok := pm["isOptional"].(bool); !ok || opt == p.Required {
			t.Errorf("%s: isOptional = %v, want %v", where, pm["isOptional"], !p.Required)
		}
		if def, _ := pm["defaultValue"].(string); def != p.Default {
			t.Errorf("%s: defaultValue = %q, want %q", where, def, p.Default)
		}
		opts, _ := pm["enumOptions"].([]any)
		if len(opts) != len(p.Enum) {
			t.Errorf("%s: %d enumOptions, want %d", where, len(opts), len(p.Enum))
		}
		for j, o := range opts {
			om := o.(map[string]any)
			checkFields(t, where+" enum option", om, enumFields)
			if om["value"] != p.Enum[j] {
				t.Errorf("%s: enum option %d = %v, want %q", where, j, om["value"], p.Enum[j])
			}
		}
	}
	if bytes.Contains(b, []byte(`\u003c`)) {
		t.Error("metadata.json HTML-escapes < and >")
	}
}

func TestMetadataMentionsUnsupported(t *testing.T) {
	b, _ := Metadata()
	// sourceType stays partly unsupported (mysql and postgresql); other entries come
	// and go as features land.
	for _, s := range []string{
		`"description": "The supported source databases are mysql and postgresql."`,
	} {
		if !bytes.Contains(b, []byte(s)) {
			t.Errorf("metadata.json lacks %q", s)
		}
	}
}

// Dataflow rejects a launch whose values do not match the regexes, so a
// regex stricter than Parse would refuse values the template handles. This
// feeds a spread of values to both and requires: Parse accepts => every regex
// matches. (The reverse need not hold; Parse has the last word.)
func TestRegexesNeverStricterThanParse(t *testing.T) {
	samples := []string{
		"", "x", "0", "1", "-1", "007", "10000", "+3", "99999999999999999999",
		"true", "false", "TRUE", "1.5",
		"+00:00", "-14:59", "+14:00", "+15:00", "05:00",
		"2024-01-01T00:00:00Z", "2024-01-01T00:00:00.123456789+01:00", "2024-01-01T00:00:00,5Z", "2024-01-01T00:00:00.Z",
		"projects/p/subscriptions/s", "projects/p/subscriptions/", "projects/p/subscriptions/s/x",
		"skip", "a/b", ".", "retry", "shadow_", "_x", "x-y", strings.Repeat("a", 128), strings.Repeat("a", 129),
	}
	for _, p := range Definitions() {
		if len(p.Regexes) == 0 {
			continue
		}
		for _, s := range samples {
			accepted := true
			for _, e := range paramErrors(p.Name, s) {
				if !errors.Is(e, ErrNotSupportedYet) {
					accepted = false
				}
			}
			if !accepted {
				continue
			}
			for _, re := range p.Regexes {
				if !regexp.MustCompile(re).MatchString(s) {
					t.Errorf("%s: Parse accepts %q but regex %q rejects it", p.Name, s, re)
				}
			}
		}
	}
}

func TestMetadataFileIsCurrent(t *testing.T) {
	want, err := Metadata()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../metadata.json")
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("metadata.json is stale: run make metadata")
	}
}
