package transforms

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

func init() {
	register.DoFn2x1[record.Record, func(beam.EventTime, string, FileCount), error](&fakeWriterFn{})
}

// TestReadTallyComplete: a read is complete once it is announced and
// each of its records is reported done, whatever the order and however
// many times a record is reported.
func TestReadTallyComplete(t *testing.T) {
	announce := func(n int64) FileCount { return FileCount{Path: "f", Announced: true, Expected: n} }
	done := func(ids ...int64) FileCount { return FileCount{Done: ids} }
	tests := []struct {
		name string
		in   []FileCount
		want bool
	}{
		{name: "read, nothing written yet", in: []FileCount{announce(2)}},
		{name: "read, one of two written", in: []FileCount{announce(2), done(0)}},
		{name: "read, both written", in: []FileCount{announce(2), done(0), done(1)}, want: true},
		{name: "both in one report", in: []FileCount{announce(2), done(1, 0)}, want: true},
		{name: "written before the announcement arrives", in: []FileCount{done(1), done(0), announce(2)}, want: true},
		{name: "written, never announced", in: []FileCount{done(0), done(1)}},
		{name: "nothing to write", in: []FileCount{announce(0)}, want: true},
		{name: "nothing yet", in: nil},
		// At-least-once delivery: the same record, or the same report,
		// comes twice. It must not stand for a record still in flight.
		{name: "one record reported twice", in: []FileCount{announce(2), done(0), done(0)}},
		{name: "one record twice in a report", in: []FileCount{announce(2), done(0, 0)}},
		{name: "duplicates before the announcement", in: []FileCount{done(0), done(0), announce(2)}},
		{name: "duplicated announcement", in: []FileCount{announce(2), done(0), announce(2)}},
		{name: "duplicates, then the last record", in: []FileCount{announce(3), done(0, 2), done(2), done(0), done(1)}, want: true},
		{name: "records of nine: byte boundary", in: []FileCount{announce(9), done(0, 1, 2, 3, 4, 5, 6, 7), done(7)}},
		{name: "all nine", in: []FileCount{announce(9), done(0, 1, 2, 3, 4, 5, 6, 7), done(8)}, want: true},
		// Not records of the read (there are none unless two reads drew
		// the same name): they complete nothing.
		{name: "beyond Expected", in: []FileCount{announce(2), done(0), done(2)}},
		{name: "beyond Expected, before the announcement", in: []FileCount{done(2), done(0), announce(2)}},
		{name: "negative", in: []FileCount{announce(2), done(0), done(-1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c readTally
			for _, in := range tt.in {
				c.add(in)
			}
			if c.complete() != tt.want {
				t.Errorf("%+v complete = %v, want %v", c, c.complete(), tt.want)
			}
			if tt.want && c.Path != "f" {
				t.Errorf("complete tally %+v lost the file's path", c)
			}
		})
	}
}

// fakeValueState holds deleteConsumedFn's single value state: the
// function is called directly, for one read.
type fakeValueState struct {
	state.Provider // the other kinds of state: unused, nil
	val            any
}

func (p *fakeValueState) ReadValueState(string) (any, []state.Transaction, error) {
	return p.val, nil, nil
}

func (p *fakeValueState) WriteValueState(t state.Transaction) error {
	p.val = t.Val
	return nil
}

func (p *fakeValueState) ClearValueState(state.Transaction) error {
	p.val = nil
	return nil
}

// TestDeleteConsumedCountsEachRecordOnce feeds deleteConsumedFn the
// reports of one read, duplicates included, as Dataflow's at-least-once
// mode may deliver them: the file must stay until every distinct record
// of the read is done. (Done used to be a count, which a duplicate
// brought to Expected while a record was still in flight: the file was
// deleted, and the record lost if the job stopped before committing it.)
func TestDeleteConsumedCountsEachRecordOnce(t *testing.T) {
	done := func(ids ...int64) FileCount { return FileCount{Done: ids} }
	tests := []struct {
		name     string
		expected int64
		reports  []FileCount // after the announcement
		deleteAt int         // index of the report that completes the read; -1: never
	}{
		{name: "each record once", expected: 2, reports: []FileCount{done(0), done(1)}, deleteAt: 1},
		{name: "a record reported twice", expected: 2, reports: []FileCount{done(0), done(0), done(1)}, deleteAt: 2},
		{name: "a record reported twice, the other lost", expected: 2, reports: []FileCount{done(1), done(1)}, deleteAt: -1},
		{name: "a whole batch reported twice", expected: 4, reports: []FileCount{done(0, 1), done(0, 1), done(2), done(3)}, deleteAt: 3},
		{name: "duplicates within a report", expected: 3, reports: []FileCount{done(2, 2, 2), done(0)}, deleteAt: -1},
		{name: "the announcement twice", expected: 2, reports: []FileCount{done(0),
			{Path: "f", Announced: true, Expected: 2}, done(0), done(1)}, deleteAt: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "error-1.json")
			if err := os.WriteFile(file, []byte("{}\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			fn := &deleteConsumedFn{Tally: state.MakeValueState[readTally]("Tally")}
			sp := &fakeValueState{}
			reports := append([]FileCount{{Path: file, Announced: true, Expected: tt.expected}}, tt.reports...)
			for i, c := range reports {
				if c.Announced {
					c.Path = file
				}
				if err := fn.ProcessElement(context.Background(), sp, &fakeTimers{}, "read1", c); err != nil {
					t.Fatal(err)
				}
				_, err := os.Stat(file)
				deleted := errors.Is(err, fs.ErrNotExist)
				if want := tt.deleteAt >= 0 && i-1 >= tt.deleteAt; deleted != want {
					t.Fatalf("after report %d (%+v): file deleted = %v, want %v", i, c, deleted, want)
				}
			}
		})
	}
}

// fakeWriterFn stands for the shard assignment and the writer: it reports
// done the records whose keys are in Commit (twice those in Twice, as
// after an at-least-once redelivery) and fails on those in Fail; the
// others are lost, as in a worker killed before writing them.
type fakeWriterFn struct {
	Commit, Twice, Fail []string
}

func (f *fakeWriterFn) ProcessElement(r record.Record, done func(beam.EventTime, string, FileCount)) error {
	switch {
	case slices.Contains(f.Fail, r.Mod.KeysJSON):
		return errors.New("the writer crashed")
	case slices.Contains(f.Twice, r.Mod.KeysJSON):
		done(beam.EventTime(0), r.Origin, FileCount{Done: []int64{r.OriginIndex}})
		fallthrough
	case slices.Contains(f.Commit, r.Mod.KeysJSON):
		done(beam.EventTime(0), r.Origin, FileCount{Done: []int64{r.OriginIndex}})
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
		{name: "one reported twice, killed before the other", content: two, writer: fakeWriterFn{Twice: []string{`{"Id":"1"}`}}, wantKept: true},
		{name: "all written, one reported twice", content: two, writer: fakeWriterFn{Commit: []string{`{"Id":"2"}`}, Twice: []string{`{"Id":"1"}`}}},
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
