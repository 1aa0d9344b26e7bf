package params

import (
	"regexp"
	"slices"
	"testing"
	"time"
)

var paramTypes = []string{"TEXT", "NUMBER", "BOOLEAN", "ENUM", "GCS_READ_FILE", "GCS_WRITE_FOLDER", "PUBSUB_SUBSCRIPTION"}

func TestDefinitionsAreWellFormed(t *testing.T) {
	nameRE := regexp.MustCompile(`^[a-z][A-Za-z]*$`)
	seen := map[string]bool{}
	for _, p := range Definitions() {
		if !nameRE.MatchString(p.Name) || seen[p.Name] {
			t.Errorf("%q: name not camelCase or duplicated", p.Name)
		}
		seen[p.Name] = true
		if p.Label == "" || p.HelpText == "" {
			t.Errorf("%s: label and help text are required", p.Name)
		}
		if !slices.Contains(paramTypes, p.ParamType) {
			t.Errorf("%s: paramType %q not one of %v", p.Name, p.ParamType, paramTypes)
		}
		if p.Required && p.Default != "" {
			t.Errorf("%s: a required parameter cannot have a default", p.Name)
		}
		if (p.Kind == Enum) != (len(p.Enum) > 0) || (p.Kind == Enum) != (p.ParamType == "ENUM") {
			t.Errorf("%s: Kind, Enum and ParamType disagree about being an enum", p.Name)
		}
		if p.Kind == Enum && !slices.Contains(p.Enum, p.Default) {
			t.Errorf("%s: default %q not among %v", p.Name, p.Default, p.Enum)
		}
		for _, re := range p.Regexes {
			if _, err := regexp.Compile(re); err != nil {
				t.Errorf("%s: regex %q: %v", p.Name, re, err)
			}
		}
	}
	// The Java template's 35 own parameters, plus the common
	// extraFilesToStage and disabledAlgorithms, plus logLevel, the
	// verify run mode's verifyTimestamp and verifyRepair, and
	// shadowTableLocation.
	if len(seen) != 41 {
		t.Errorf("%d parameters, want 41", len(seen))
	}
}

func TestNotYetNamesExist(t *testing.T) {
	for name := range notYet {
		if _, ok := Lookup(name); !ok {
			t.Errorf("notYet entry %q names no parameter", name)
		}
	}
}

// The defaults are what Parse uses for absent parameters, so they must be
// supported values: launching with defaults must never hit a not-yet entry.
func TestDefaultsAreSupported(t *testing.T) {
	for _, p := range Definitions() {
		if p.NotSupportedYet != nil && p.Default != "" {
			if reason := p.NotSupportedYet(p.Default); reason != "" {
				t.Errorf("%s: default %q is not supported yet: %s", p.Name, p.Default, reason)
			}
		}
	}
}

// A Kind added without a case in parseKind would make every value of such a
// parameter fail; this catches it before a definition uses the new Kind.
func TestEveryKindParses(t *testing.T) {
	for k := String; k <= Subscription; k++ {
		if k.String() == "unknown" {
			t.Errorf("Kind %d has no name", k)
		}
		ps := parsed{ints: map[string]int64{}, times: map[string]time.Time{}, bools: map[string]bool{}}
		p := Param{Name: "p", Kind: k, Enum: []string{sampleValue(k)}}
		if problem, err := ps.parseKind(p, sampleValue(k)); problem != "" || err != nil {
			t.Errorf("Kind %v: sample %q rejected: %s %v", k, sampleValue(k), problem, err)
		}
	}
	ps := parsed{}
	if problem, _ := ps.parseKind(Param{Name: "p", Kind: Subscription + 1}, "x"); problem == "" {
		t.Error("an unhandled Kind is accepted silently")
	}
}

func TestDefinitionsReturnsACopy(t *testing.T) {
	a := Definitions()
	a[0].Name = "changed"
	for i := range a {
		if a[i].Kind == Enum {
			a[i].Enum[0] = "changed"
		}
	}
	for _, p := range Definitions() {
		if p.Name == "changed" || slices.Contains(p.Enum, "changed") {
			t.Fatal("Definitions shares state between calls")
		}
	}
}

func TestLookup(t *testing.T) {
	p, ok := Lookup(SpannerPriority)
	if !ok || p.Default != "HIGH" {
		t.Errorf("Lookup(spannerPriority) = %+v, %v", p, ok)
	}
	if _, ok := Lookup("nope"); ok {
		t.Error("Lookup(nope) found something")
	}
}

// --help prints three groups; each must hold something, and a required
// parameter cannot be hidden among the advanced ones.
func TestGroups(t *testing.T) {
	count := map[Group]int{}
	for _, p := range Definitions() {
		if p.Required && p.Advanced {
			t.Errorf("%s: required and advanced", p.Name)
		}
		count[p.Group()]++
	}
	for _, g := range Groups {
		if count[g] == 0 {
			t.Errorf("group %q is empty", g)
		}
	}
	tests := []struct {
		p    Param
		want Group
	}{
		{Param{Required: true}, GroupRequired},
		{Param{}, GroupCommon},
		{Param{Advanced: true}, GroupAdvanced},
	}
	for _, tt := range tests {
		if got := tt.p.Group(); got != tt.want {
			t.Errorf("%+v: group %v, want %v", tt.p, got, tt.want)
		}
	}
}
