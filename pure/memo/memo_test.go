package memo

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

func entries[K comparable, V any](c *Cache[K, V]) int {
	n := 0
	c.m.Range(func(any, any) bool { n++; return true })
	return n
}

// TestGetComputesOncePerKey: a second Get of a key returns the kept value
// without computing it again, and distinct keys keep distinct values.
func TestGetComputesOncePerKey(t *testing.T) {
	var c Cache[string, string]
	calls := 0
	compute := func(k string) string { calls++; return "v" + k }
	for range 3 {
		for _, k := range []string{"a", "b", "c"} {
			if got := c.Get(k, compute); got != "v"+k {
				t.Fatalf("Get(%q) = %q, want %q", k, got, "v"+k)
			}
		}
	}
	if calls != 3 {
		t.Errorf("compute ran %d times for 3 keys asked 3 times each, want 3", calls)
	}
}

// TestLimit: past Limit keys the cache keeps nothing more (memory stays
// bounded whatever the keys) yet still answers every key correctly.
func TestLimit(t *testing.T) {
	var c Cache[int, string]
	for i := range Limit + 100 {
		if got := c.Get(i, strconv.Itoa); got != strconv.Itoa(i) {
			t.Fatalf("Get(%d) = %q", i, got)
		}
	}
	if n := entries(&c); n != Limit {
		t.Errorf("%d entries kept, want Limit (%d)", n, Limit)
	}
	if n := c.n.Load(); n != Limit {
		t.Errorf("count %d, want %d", n, Limit)
	}
	// A key past the limit is computed each time.
	calls := 0
	for range 2 {
		c.Get(Limit+1000, func(k int) string { calls++; return strconv.Itoa(k) })
	}
	if calls != 2 {
		t.Errorf("compute ran %d times for a key past the limit, want 2", calls)
	}
}

// TestConcurrentGet hits one cache from many goroutines (run with -race):
// every answer is right, and the keys are kept once each.
func TestConcurrentGet(t *testing.T) {
	var c Cache[string, string]
	var calls atomic.Int64
	compute := func(k string) string { calls.Add(1); return "v" + k }
	const keys, workers = 50, 16
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range 1000 {
				k := fmt.Sprint((i + w) % keys)
				if got := c.Get(k, compute); got != "v"+k {
					errs <- fmt.Errorf("Get(%q) = %q", k, got)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := entries(&c); n != keys {
		t.Errorf("%d entries, want %d", n, keys)
	}
	if n := c.n.Load(); n != keys {
		t.Errorf("count %d, want %d: a racing store was counted twice", n, keys)
	}
	if n := calls.Load(); n < keys || n > keys*workers {
		t.Errorf("compute ran %d times", n)
	}
}
