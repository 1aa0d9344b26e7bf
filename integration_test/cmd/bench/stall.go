package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"
)

var stallDump = flag.String("stall_dump", "", "when the end-to-end runs' applied frontier stops for --stall_after while a committed change waits, write every goroutine's stack (prism and the pipeline run in this process) to this file, once per run (FILE.<n> for the n-th stall of the bench)")
var stallAfter = flag.Duration("stall_after", 4*time.Second, "how long the applied frontier must stand still, with a committed change waiting, to count as a stall (--stall_dump)")

// stallCount numbers the dumps of one bench.
var stallCount int

// stallWatch notices the first stall of a run: the poller's frontier (the
// lowest key not yet seen in the target) standing still for stallAfter
// while that key's change is committed.
type stallWatch struct {
	floor  int64
	since  time.Time
	dumped bool
}

func (w *stallWatch) observe(floor int64, pending bool, now time.Time) {
	if floor != w.floor || !pending {
		w.floor, w.since = floor, now
		return
	}
	if *stallDump == "" || w.dumped || now.Sub(w.since) < *stallAfter {
		return
	}
	w.dumped = true
	stallCount++
	path := fmt.Sprintf("%s.%d", *stallDump, stallCount)
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "stall dump: %v\n", err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "stall at %s: key %d committed, not applied for %v\n\n", now.Format(time.RFC3339Nano), floor, now.Sub(w.since))
	_ = pprof.Lookup("goroutine").WriteTo(f, 2)
	fmt.Fprintf(os.Stderr, "stall: key %d committed, not applied for %v; goroutines in %s\n", floor, now.Sub(w.since), path)
}
