// Package emulator adapts the Spanner client to the Cloud Spanner emulator.
//
// The emulator runs one read-write transaction at a time and aborts any
// other that starts meanwhile (ABORTED, without the retry delay Cloud
// Spanner sends with its aborts). The client then retries with its own
// back-off, which grows by 1.3 per attempt up to 32 s and is not reset
// while one transaction keeps being aborted. Under a steady stream of short
// commits (an application, or the bench's load generator) a longer
// transaction, such as the writer's shadow transaction, which stays open
// while the target database applies its batch, loses that race again and
// again: its back-off grows to tens of seconds and the pipeline stalls. In
// the bench at 2,000 changes/s the lag rose to 55 s with the default
// back-off and stayed under 2 s with it capped at 200 ms.
//
// On the emulator the delay is therefore capped at AbortBackoffMax. Cloud
// Spanner is not affected: its aborts carry a retry delay, which the client
// uses instead of its back-off, and Use only acts when
// SPANNER_EMULATOR_HOST is set.
package emulator

import (
	"os"
	"sync"
	"time"

	"cloud.google.com/go/spanner"
)

// AbortBackoffMax caps the client's delay between retries of an aborted
// transaction on the emulator.
const AbortBackoffMax = 200 * time.Millisecond

var once sync.Once

func init() { Use() }

// Use caps the back-off if SPANNER_EMULATOR_HOST is set. It changes a
// setting of the Spanner client package, so it must run before any
// transaction does: at process start (init) for a process launched against
// the emulator, or at a launch (pipeline.Prepare) for tools that start an
// emulator and point SPANNER_EMULATOR_HOST at it themselves. It acts once.
func Use() {
	if os.Getenv("SPANNER_EMULATOR_HOST") == "" {
		return
	}
	once.Do(func() {
		if spanner.DefaultRetryBackoff.Max > AbortBackoffMax {
			spanner.DefaultRetryBackoff.Max = AbortBackoffMax
		}
	})
}
