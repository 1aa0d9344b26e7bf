package shardkey

import "testing"

func TestOfStableAndInRange(t *testing.T) {
	// The value is pinned: a change here would re-route keys between
	// workers of a running job after an update.
	if got := Of("Singers", `{"SingerId":"1"}`, "shard1", 1000); got != 853 {
		t.Fatalf("Of = %d, want the pinned 853", got)
	}
	for i := int64(1); i < 50; i++ {
		if b := Of("t", "{}", "s", i); b < 0 || b >= i {
			t.Fatalf("bucket %d out of [0,%d)", b, i)
		}
	}
	if Of("a", "b", "c", 0) != 0 {
		t.Fatal("non-positive bucket count must map to 0")
	}
	// The separators keep ("ab","c") and ("a","bc") apart.
	if Of("ab", "c", "", 1<<40) == Of("a", "bc", "", 1<<40) {
		t.Fatal("field boundaries collide")
	}
}
