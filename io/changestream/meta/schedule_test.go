package meta

import (
	"reflect"
	"testing"
)

func TestReady(t *testing.T) {
	row := func(tok, state string, wm int64, parents ...string) Row {
		return Row{Partition: Partition{Token: tok, Parents: parents, Start: 1}, State: state, Watermark: wm}
	}
	tests := []struct {
		name       string
		unfinished []Row
		want       []string
	}{
		{"root alone", []Row{row(RootToken, StateCreated, 5)}, []string{RootToken}},
		{"scheduled and running are not ready again", []Row{row("a", StateScheduled, 5), row("b", StateRunning, 5)}, nil},
		{"child of a running parent waits", []Row{row("p", StateRunning, 5), row("c", StateCreated, 9, "p")}, nil},
		{"child of a finished (absent) parent is ready", []Row{row("c", StateCreated, 9, "p")}, []string{"c"}},
		{"merge waits for every parent", []Row{row("p2", StateRunning, 5), row("m", StateCreated, 9, "p1", "p2")}, nil},
		{"merge ready once both finished", []Row{row("m", StateCreated, 9, "p1", "p2")}, []string{"m"}},
		{"child of a created parent waits", []Row{row("p", StateCreated, 5), row("c", StateCreated, 9, "p")}, []string{"p"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, p := range Ready(tc.unfinished) {
				got = append(got, p.Token)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Ready = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReadyResumesAtWatermark(t *testing.T) {
	got := Ready([]Row{{Partition: Partition{Token: "a", Start: 10}, State: StateCreated, Watermark: 42}})
	if len(got) != 1 || got[0].Start != 42 {
		t.Fatalf("Ready = %+v, want partition a starting at its watermark 42", got)
	}
}

func TestRewind(t *testing.T) {
	const applied = 100
	row := func(tok string, start int64, state string, wm int64) Row {
		return Row{Partition: Partition{Token: tok, Start: start}, State: state, Watermark: wm}
	}
	tests := []struct {
		name string
		rows []Row
		want []Reopen
	}{
		{"finished root is never read again", []Row{row(RootToken, 10, StateFinished, 10)}, nil},
		{"unfinished root restarts at its start", []Row{row(RootToken, 10, StateRunning, 10)}, []Reopen{{RootToken, 10}}},
		{"finished before applied: all applied", []Row{row("a", 10, StateFinished, 90)}, nil},
		{"finished exactly at applied: all applied", []Row{row("a", 10, StateFinished, applied)}, nil},
		{"finished after applied: read again from applied", []Row{row("a", 10, StateFinished, 150)}, []Reopen{{"a", applied}}},
		{"finished after applied, started after it: from its start", []Row{row("a", 120, StateFinished, 150)}, []Reopen{{"a", 120}}},
		{"running, read ahead of applied: back to applied", []Row{row("a", 10, StateRunning, 180)}, []Reopen{{"a", applied}}},
		{"scheduled at its start after applied", []Row{row("a", 130, StateScheduled, 130)}, []Reopen{{"a", 130}}},
		{"created behind applied: from applied", []Row{row("a", 10, StateCreated, 50)}, []Reopen{{"a", applied}}},
		{"sorted by token", []Row{row("b", 10, StateRunning, 150), row("a", 10, StateRunning, 150)},
			[]Reopen{{"a", applied}, {"b", applied}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Rewind(tc.rows, applied); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Rewind = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestRewindCoversEveryUnappliedChange checks the property the relaunch
// relies on, over a partition tree with splits and a merge and every
// applied watermark: each change at or after the applied watermark lies in a
// reopened partition at or after where that partition is read from.
func TestRewindCoversEveryUnappliedChange(t *testing.T) {
	// root -> a, b at 0; a splits at 40 into c, d; c and b merge at 70
	// into m; d, m still running (read up to 90 and 95).
	rows := []Row{
		{Partition: Partition{Token: RootToken, Start: 0}, State: StateFinished, Watermark: 0},
		{Partition: Partition{Token: "a", Start: 0}, State: StateFinished, Watermark: 40},
		{Partition: Partition{Token: "b", Start: 0}, State: StateFinished, Watermark: 70},
		{Partition: Partition{Token: "c", Start: 40, Parents: []string{"a"}}, State: StateFinished, Watermark: 70},
		{Partition: Partition{Token: "d", Start: 40, Parents: []string{"a"}}, State: StateRunning, Watermark: 90},
		{Partition: Partition{Token: "m", Start: 70, Parents: []string{"b", "c"}}, State: StateRunning, Watermark: 95},
	}
	// Where each partition's changes lie: [start, end).
	span := map[string][2]int64{"a": {0, 40}, "b": {0, 70}, "c": {40, 70}, "d": {40, 200}, "m": {70, 200}}
	for applied := int64(0); applied <= 200; applied++ {
		from := map[string]int64{}
		for _, r := range Rewind(rows, applied) {
			from[r.Token] = r.From
		}
		for tok, s := range span {
			for ts := max(s[0], applied); ts < s[1]; ts++ {
				f, ok := from[tok]
				if !ok || f > ts {
					t.Fatalf("applied=%d: change at %d in partition %s is not read again (reopened=%v from %d)", applied, ts, tok, ok, f)
				}
			}
		}
	}
}
