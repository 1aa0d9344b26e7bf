package main

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestSustained(t *testing.T) {
	const rate, d = 1000, 10 * time.Second // 10,000 rows asked
	for _, c := range []struct {
		name string
		r    e2eResult
		want bool
	}{
		{"all applied, fast", e2eResult{committed: 10000, applied: 10000, p99: 1.2}, true},
		{"95% committed is enough", e2eResult{committed: 9500, applied: 9500, p99: 1.2}, true},
		{"under 95% committed", e2eResult{committed: 9499, applied: 9499, p99: 1.2}, false},
		{"one row not applied", e2eResult{committed: 10000, applied: 9999, p99: 1.2}, false},
		{"p99 at the bound", e2eResult{committed: 10000, applied: 10000, p99: 5}, false},
		{"p99 just under", e2eResult{committed: 10000, applied: 10000, p99: 4.99}, true},
		{"nothing committed", e2eResult{}, false},
	} {
		if got := sustained(c.r, rate, d); got != c.want {
			t.Errorf("%s: sustained(%+v) = %t, want %t", c.name, c.r, got, c.want)
		}
	}
}

func TestRamp(t *testing.T) {
	for _, c := range []struct {
		name    string
		rates   []int
		ok      map[int]bool
		want    int
		wantRun []int
	}{
		{"all sustained", []int{1000, 2000, 3000}, map[int]bool{1000: true, 2000: true, 3000: true}, 3000, []int{1000, 2000, 3000}},
		{"stops after two misses in a row", []int{1000, 2000, 3000, 4000, 5000}, map[int]bool{1000: true, 2000: true, 5000: true}, 2000, []int{1000, 2000, 3000, 4000}},
		{"one miss is noise", []int{500, 1000, 2000, 3000, 4000}, map[int]bool{1000: true, 3000: true}, 3000, []int{500, 1000, 2000, 3000, 4000}},
		{"none sustained", []int{500, 1000, 2000}, map[int]bool{}, 0, []int{500, 1000}},
		{"no rate", nil, nil, 0, nil},
	} {
		var ran []int
		got, err := ramp(c.rates, func(r int) (bool, error) { ran = append(ran, r); return c.ok[r], nil })
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got != c.want || !reflect.DeepEqual(ran, c.wantRun) {
			t.Errorf("%s: ramp = %d after running %v, want %d after %v", c.name, got, ran, c.want, c.wantRun)
		}
	}
}

func TestParseRamp(t *testing.T) {
	for _, c := range []struct {
		in      string
		want    []int
		wantErr bool
	}{
		{"500,1000", []int{500, 1000}, false},
		{" 3000, 1000,2000,1000 ", []int{1000, 2000, 3000}, false},
		{"1000,x", nil, true},
		{"1000,0", nil, true},
		{"", nil, true},
	} {
		got, err := parseRamp(c.in)
		if (err != nil) != c.wantErr || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseRamp(%q) = %v, %v; want %v, error %t", c.in, got, err, c.want, c.wantErr)
		}
	}
}

// The last line is read by scripts: its fields, their order and format
// are fixed (issue 16).
func TestSummaryLine(t *testing.T) {
	for _, c := range []struct {
		s    summary
		want string
	}{
		{summary{batch1Ratio: 27.944, shadowCeilingRatio: 0.8, sourceShadowCeilingRatio: 0.31, ceilingRatio: 0.13,
			p99Lag: 1.234, maxLag: 4.5, maxRate: 3000, keptUp: true},
			"batch1_ratio=27.94 shadow_ceiling_ratio=0.80 source_shadow_ceiling_ratio=0.31 ceiling_ratio=0.13 p99_lag_s=1.23 max_lag_s=4.50 max_rate=3000 kept_up=true"},
		{summary{batch1Ratio: 20, shadowCeilingRatio: 1, sourceShadowCeilingRatio: 0.5, ceilingRatio: 0.1,
			p99Lag: notRun, maxLag: notRun, maxRate: notRun},
			"batch1_ratio=20.00 shadow_ceiling_ratio=1.00 source_shadow_ceiling_ratio=0.50 ceiling_ratio=0.10 p99_lag_s=-1.00 max_lag_s=-1.00 max_rate=-1 kept_up=false"},
	} {
		if got := c.s.String(); got != c.want {
			t.Errorf("summary line\n got %s\nwant %s", got, c.want)
		}
		if strings.Contains(c.s.String(), "\n") {
			t.Errorf("summary line %q is more than one line", c.s.String())
		}
	}
}

func TestPct(t *testing.T) {
	hundred := make([]float64, 100)
	for i := range hundred {
		hundred[i] = float64(i + 1) // 1..100
	}
	for _, c := range []struct {
		sorted []float64
		q      float64
		want   float64
	}{
		{hundred, 0.99, 99}, // not the maximum: 99 of 100 values are at or below 99
		{hundred, 0.50, 50},
		{hundred, 1, 100},
		{[]float64{7}, 0.99, 7},
		{[]float64{1, 2}, 0.5, 1},
		{[]float64{1, 2, 3}, 0.99, 3},
	} {
		if got := pct(c.sorted, c.q); got != c.want {
			t.Errorf("pct(%d values, %v) = %v, want %v", len(c.sorted), c.q, got, c.want)
		}
	}
}

func TestDueBy(t *testing.T) {
	for _, c := range []struct {
		rate    int
		elapsed time.Duration
		total   int64
		want    int64
	}{
		{1000, 0, 60000, 0},
		{1000, -time.Second, 60000, 0},
		{1000, 10 * time.Millisecond, 60000, 10},
		{1000, 1500 * time.Millisecond, 60000, 1500},
		{3000, 333 * time.Millisecond, 180000, 999},
		{1000, time.Minute + time.Second, 60000, 60000}, // never past the total
	} {
		if got := dueBy(c.rate, c.elapsed, c.total); got != c.want {
			t.Errorf("dueBy(%d/s, %v, %d) = %d, want %d", c.rate, c.elapsed, c.total, got, c.want)
		}
	}
}

// The pacer hands out every due row once, in order, at most max at a time,
// and nothing once its deadline passed (rows abandoned, not committed).
func TestPacerTake(t *testing.T) {
	newPacer := func(due, total int64, stopAt time.Time) *pacer {
		p := &pacer{due: due, total: total, stopAt: stopAt}
		p.cond = sync.NewCond(&p.mu)
		return p
	}
	type got struct {
		first, n int64
		ok       bool
	}
	take := func(p *pacer, max int64) got { f, n, ok := p.take(max); return got{f, n, ok} }

	p := newPacer(100, 100, time.Now().Add(time.Hour))
	want := []got{{0, 40, true}, {40, 40, true}, {80, 20, true}, {0, 0, false}}
	for i, w := range want {
		if g := take(p, 40); g != w {
			t.Errorf("take %d = %+v, want %+v", i, g, w)
		}
	}

	late := newPacer(100, 200, time.Now().Add(-time.Second))
	if g := take(late, 40); g.ok {
		t.Errorf("take after the deadline = %+v, want nothing", g)
	}
}

func TestInTurns(t *testing.T) {
	var order []int
	var got [2]int
	measure := func(id int, rate float64) func(int) (float64, error) {
		return func(n int) (float64, error) {
			order = append(order, id)
			got[id] += n
			return rate, nil
		}
	}
	rates, err := inTurns(3, 10, []func(int) (float64, error){measure(0, 100), measure(1, 50)})
	if err != nil {
		t.Fatal(err)
	}
	if got != [2]int{10, 10} {
		t.Errorf("records per measure %v, want 10 each", got)
	}
	if fmt.Sprint(order) != "[0 1 1 0 0 1]" {
		t.Errorf("order %v, want the turns rotating", order)
	}
	if math.Abs(rates[0]-100) > 1e-6 || math.Abs(rates[1]-50) > 1e-6 {
		t.Errorf("rates %v, want [100 50]", rates)
	}
}
