package localenv

import (
	"reflect"
	"testing"
)

func TestSplitDDL(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"two statements", "CREATE TABLE A (K INT64) PRIMARY KEY (K);\nCREATE TABLE B (K INT64) PRIMARY KEY (K);\n",
			[]string{"CREATE TABLE A (K INT64) PRIMARY KEY (K)", "CREATE TABLE B (K INT64) PRIMARY KEY (K)"}},
		{"no final semicolon", "CREATE TABLE A (K INT64) PRIMARY KEY (K)", []string{"CREATE TABLE A (K INT64) PRIMARY KEY (K)"}},
		{"comments dropped", "-- a; comment\n# another; one\n/* block; */CREATE TABLE A (K INT64) PRIMARY KEY (K); -- trailing",
			[]string{"CREATE TABLE A (K INT64) PRIMARY KEY (K)"}},
		{"semicolons in quotes", "CREATE CHANGE STREAM s FOR ALL OPTIONS (retention_period = '1d;x');\nCREATE TABLE `a;b` (c STRING(1) DEFAULT (\"it\\\"s;\")) PRIMARY KEY (c)",
			[]string{"CREATE CHANGE STREAM s FOR ALL OPTIONS (retention_period = '1d;x')", "CREATE TABLE `a;b` (c STRING(1) DEFAULT (\"it\\\"s;\")) PRIMARY KEY (c)"}},
		{"only comments", "-- nothing\n;;\n", nil},
	}
	for _, tc := range tests {
		if got := SplitDDL(tc.text); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: SplitDDL = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestChangeStreams(t *testing.T) {
	ddl := []string{"CREATE TABLE A (K INT64) PRIMARY KEY (K)", "create change stream `First` for A", "CREATE CHANGE STREAM second FOR ALL"}
	if got, want := ChangeStreams(ddl), []string{"First", "second"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ChangeStreams = %q, want %q", got, want)
	}
}

// TestSampleDDL: the sample files split into the statements the tests and
// the local environment use.
func TestSampleDDL(t *testing.T) {
	if len(SampleSpannerDDL) != 2 || !reflect.DeepEqual(ChangeStreams(SampleSpannerDDL), []string{SampleStream}) {
		t.Errorf("sample Spanner DDL = %q, want a table and change stream %s", SampleSpannerDDL, SampleStream)
	}
	if SampleMySQLDDL == "" {
		t.Error("sample MySQL DDL is empty")
	}
}
