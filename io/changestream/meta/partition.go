// Package meta keeps the change-stream reader's state in Spanner: one row
// per partition (lineage, state, read position) in a table whose columns
// are those of Beam Java's partition metadata table, and a companion job
// table that holds the job's identity, its applied watermark and the
// generation of the launch that holds the table (see fence.go). Both
// GoogleSQL and PostgreSQL-dialect metadata databases are supported.
package meta

import (
	"math"
	"regexp"
	"time"
)

// Partition states, as in Beam Java's metadata table so that operators who
// know that table can read ours.
const (
	StateCreated   = "CREATED"
	StateScheduled = "SCHEDULED"
	StateRunning   = "RUNNING"
	StateFinished  = "FINISHED"
)

// RootToken names the initial pseudo-partition, queried with a NULL token.
const RootToken = "Parent0"

// Unbounded is the end of a partition read with no endTimestamp.
const Unbounded = math.MaxInt64

// Partition is one change-stream partition to read. Times are Unix
// nanoseconds so they can be restriction offsets directly.
type Partition struct {
	Token           string
	Parents         []string
	Start           int64 // inclusive
	End             int64 // inclusive; Unbounded when reading forever
	HeartbeatMillis int64
	// Ticket is the reader's hold on the partition: the commit time (Unix
	// nanoseconds) of the Schedule that handed it out, which the row keeps
	// as ScheduledAt. A partition handed out again (see StaleSchedule)
	// gets a new ticket, and the writes of a reader holding an older one
	// fail with ErrHandedOver. 0 (a partition not from Schedule) is not
	// checked.
	Ticket int64
}

// QueryToken is the partition token to send: NULL (empty) for the root.
func (p Partition) QueryToken() string {
	if p.Token == RootToken {
		return ""
	}
	return p.Token
}

// Row is a partition's row as stored.
type Row struct {
	Partition
	State string
	// Watermark is the partition's position: everything it holds before
	// Watermark has been read. For a FINISHED partition it is where the
	// partition ended: its children's start, or just past endTimestamp.
	Watermark int64
}

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]`)

// maxNameLen is Spanner's limit on table names, less room for the job
// table's suffix.
const maxNameLen = 128 - len(jobSuffix)

// DefaultTableName derives a stable table name from the database and the
// stream. A stable name (not a random one, as Beam Java uses) is what lets a
// relaunch find the state of the previous job.
func DefaultTableName(databaseID, stream string) string {
	n := nonIdent.ReplaceAllString("revrepl_metadata_"+databaseID+"_"+stream, "_")
	if len(n) > maxNameLen {
		n = n[:maxNameLen]
	}
	return n
}

var maxSpannerTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)

// nanosTime stores an end position; Unbounded becomes Spanner's largest
// timestamp, as Beam Java stores an open end.
func nanosTime(n int64) time.Time {
	if n == Unbounded {
		return maxSpannerTime
	}
	return time.Unix(0, n).UTC()
}

// timeNanos reads a stored position back. Years after 2262 do not fit in
// int64 nanoseconds; only the open end is stored that far out.
func timeNanos(t time.Time) int64 {
	if t.Year() >= 2262 {
		return Unbounded
	}
	return t.UnixNano()
}
