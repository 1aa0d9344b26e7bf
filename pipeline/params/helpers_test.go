package params

import (
	"errors"
	"maps"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// base returns the smallest valid set of values: the required parameters.
func base() Values {
	return Values{
		ChangeStreamName:     "allstream",
		InstanceID:           "inst",
		DatabaseID:           "db",
		SpannerProjectID:     "proj",
		MetadataInstance:     "meta-inst",
		MetadataDatabase:     "meta-db",
		SourceShardsFilePath: "gs://bucket/shards.json",
	}
}

// with returns base() with the given changes; a value of "\x00" deletes the
// name, to test absent parameters.
func with(kv ...string) Values {
	v := base()
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "\x00" {
			delete(v, kv[i])
			continue
		}
		v[kv[i]] = kv[i+1]
	}
	return v
}

// findError returns the *Error for param in err, or fails the test.
func findError(t *testing.T, err error, param, contains string) *Error {
	t.Helper()
	for _, e := range Errors(err) {
		var pe *Error
		if errors.As(e, &pe) && pe.Param == param && strings.Contains(pe.Error(), contains) {
			return pe
		}
	}
	t.Fatalf("no error for %s containing %q in:\n%v", param, contains, err)
	return nil
}

// paramErrors returns the problems Parse reports for one parameter when the
// others are valid.
func paramErrors(name, value string) []*Error {
	v := maps.Clone(base())
	v[name] = value
	_, err := Parse(v, testNow)
	var out []*Error
	for _, e := range Errors(err) {
		var pe *Error
		if errors.As(e, &pe) && pe.Param == name {
			out = append(out, pe)
		}
	}
	return out
}
