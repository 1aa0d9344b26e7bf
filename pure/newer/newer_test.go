package newer

import (
	"math/rand"
	"reflect"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

func v(sec int64, nanos int32, seq int64) Version {
	return Version{CommitTs: record.Timestamp{Seconds: sec, Nanos: nanos}, Seq: seq}
}

func TestAfter(t *testing.T) {
	tests := []struct {
		name string
		a, b Version
		want bool
	}{
		{"later second", v(2, 0, 0), v(1, 999, 9), true},
		{"later nanos", v(1, 5, 0), v(1, 4, 9), true},
		{"same ts higher seq", v(1, 5, 3), v(1, 5, 2), true},
		{"same ts same seq", v(1, 5, 2), v(1, 5, 2), false},
		{"same ts lower seq", v(1, 5, 1), v(1, 5, 2), false},
		{"earlier", v(0, 0, 9), v(1, 0, 0), false},
	}
	for _, tt := range tests {
		if got := tt.a.After(tt.b); got != tt.want {
			t.Errorf("%s: %v.After(%v) = %v, want %v", tt.name, tt.a, tt.b, got, tt.want)
		}
	}
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name   string
		batch  []Change
		stored map[string]Version
		want   Decision
	}{
		{
			name:  "fresh keys all applied",
			batch: []Change{{"a", v(1, 0, 0)}, {"b", v(1, 0, 0)}},
			want:  Decision{Apply: []int{0, 1}},
		},
		{
			name:  "newest per key wins regardless of order",
			batch: []Change{{"a", v(3, 0, 0)}, {"a", v(1, 0, 0)}, {"a", v(2, 0, 0)}},
			want:  Decision{Apply: []int{0}, Superseded: []int{1, 2}},
		},
		{
			name:  "same timestamp ordered by sequence",
			batch: []Change{{"a", v(1, 0, 2)}, {"a", v(1, 0, 7)}},
			want:  Decision{Apply: []int{1}, Superseded: []int{0}},
		},
		{
			name:   "not newer than stored is stale, equal included",
			batch:  []Change{{"a", v(1, 0, 1)}, {"b", v(5, 0, 0)}, {"c", v(2, 0, 0)}},
			stored: map[string]Version{"a": v(1, 0, 1), "b": v(6, 0, 0), "c": v(1, 0, 0)},
			want:   Decision{Apply: []int{2}, Stale: []int{0, 1}},
		},
		{
			name:  "exact duplicates: one applied",
			batch: []Change{{"a", v(1, 0, 0)}, {"a", v(1, 0, 0)}},
			want:  Decision{Apply: []int{0}, Superseded: []int{1}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Decide(tt.batch, tt.stored); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Decide = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestDecideConverges replays shuffled, duplicated histories batch by batch
// against a simulated shadow table and checks that the newest version of
// every key is what ends up applied, whatever the delivery order.
func TestDecideConverges(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 200; round++ {
		var history []Change
		newest := map[string]Version{}
		for k := 0; k < 5; k++ {
			key := string(rune('a' + k))
			for n := 0; n < 1+rng.Intn(6); n++ {
				c := Change{key, v(int64(rng.Intn(4)), 0, int64(rng.Intn(3)))}
				history = append(history, c)
				if w, ok := newest[key]; !ok || c.Version.After(w) {
					newest[key] = c.Version
				}
				if rng.Intn(3) == 0 {
					history = append(history, c) // duplicate delivery
				}
			}
		}
		rng.Shuffle(len(history), func(i, j int) { history[i], history[j] = history[j], history[i] })
		applied := map[string]Version{}
		for len(history) > 0 {
			n := 1 + rng.Intn(len(history))
			batch := history[:n]
			history = history[n:]
			for _, i := range Decide(batch, applied).Apply {
				if s, ok := applied[batch[i].Key]; ok && !batch[i].Version.After(s) {
					t.Fatalf("round %d: applied %v over newer-or-equal %v", round, batch[i].Version, s)
				}
				applied[batch[i].Key] = batch[i].Version
			}
		}
		if !reflect.DeepEqual(applied, newest) {
			t.Fatalf("round %d: applied %v, want %v", round, applied, newest)
		}
	}
}
