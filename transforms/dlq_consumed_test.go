package transforms

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

func init() {
	register.DoFn2x1[record.Record, func(beam.EventTime, string, FileCount), error](&fakeWriterFn{})
}

func TestFileCountComplete(t *testing.T) {
	announce := FileCount{Path: "f", Announced: true, Expected: 2}
	one := FileCount{Done: 1}
	tests := []struct {
		name string
		in   []FileCount
		want bool
	}{
		{name: "read, nothing written yet", in: []FileCount{announce}},
		{name: "read, one of two written", in: []FileCount{announce, one}},
		{name: "read, both written", in: []FileCount{announce, one, one}, want: true},
		{name: "written before the announcement arrives", in: []FileCount{one, one, announce}, want: true},
		{name: "written, never announced", in: []FileCount{one, one}},
		{name: "nothing to write", in: []FileCount{{Path: "f", Announced: true}}, want: true},
		{name: "nothing yet", in: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c FileCount
			for _, in := range tt.in {
				c = c.Add(in)
			}
			if c.Complete() != tt.want {
				t.Errorf("%+v complete = %v, want %v", c, c.Complete(), tt.want)
			}
			if tt.want && c.Path != "f" {
				t.Errorf("complete tally %+v lost the file's path", c)
			}
		})
	}
}

// fakeWriterFn stands for the shard assignment and the writer: it reports
// done the records whose keys are in Commit and fails on those in Fail;
// the others are lost, as in a worker killed before writing them.
type fakeWriterFn struct {
	Commit, Fail []string
}

func (f *fakeWriterFn) ProcessElement(r record.Record, done func(beam.EventTime, string, FileCount)) error {
	switch {
	case slices.Contains(f.Fail, r.Mod.KeysJSON):
		return errors.New("the writer crashed")
	case slices.Contains(f.Commit, r.Mod.KeysJSON):
		done(beam.EventTime(0), r.Origin, FileCount{Done: 1})
	}
	return nil
}

// A DLQ file is deleted only once every record read from it has its
// outcome committed downstream: a crash between the read and the write
// leaves it to be read again. (The deletion used to follow the read.)
func TestDeleteConsumedWaitsForEveryRecord(t *testing.T) {
	line := func(id int) string {
		b, err := dlq.Encode(record.Record{TableName: "T", ModType: record.ModInsert, RecordSequence: "1",
			Mod: record.ModJSON{KeysJSON: fmt.Sprintf(`{"Id":"%d"}`, id), NewValuesJSON: "{}"}}, "failed before")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	two := line(1) + "\n" + line(2) + "\n"
	tests := []struct {
		name     string
		content  string
		writer   fakeWriterFn
		wantErr  bool
		wantKept bool
	}{
		{name: "killed before writing", content: two, wantKept: true},
		{name: "killed after one of two", content: two, writer: fakeWriterFn{Commit: []string{`{"Id":"1"}`}}, wantKept: true},
		{name: "writer fails", content: two, writer: fakeWriterFn{Fail: []string{`{"Id":"1"}`, `{"Id":"2"}`}}, wantErr: true, wantKept: true},
		{name: "all written", content: two, writer: fakeWriterFn{Commit: []string{`{"Id":"1"}`, `{"Id":"2"}`}}},
		{name: "only malformed lines, moved to severe/ by the reader", content: "not a DLQ line\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			file := filepath.Join(root, "severe", "2024", "error-1.json")
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			p, s := beam.NewPipelineWithRoot()
			records, reads := ReconsumeFiles(s, DeadLetterConfig{Root: root, RetryMode: true}, []string{file})
			w := tt.writer
			done := beam.ParDo(s, &w, records)
			DeleteConsumed(s, reads, done)
			err := ptest.Run(p)
			if (err != nil) != tt.wantErr {
				t.Fatalf("pipeline error %v, want one: %v", err, tt.wantErr)
			}
			if tt.wantErr && !strings.Contains(err.Error(), "the writer crashed") {
				t.Fatalf("pipeline failed with %v, not the writer's crash", err)
			}
			_, statErr := os.Stat(file)
			if kept := statErr == nil; kept != tt.wantKept {
				t.Errorf("DLQ file kept = %v (stat: %v), want %v", kept, statErr, tt.wantKept)
			}
		})
	}
}
