// Package decode turns the rows of a change-stream partition query into
// items: data change records, heartbeats and child-partition announcements.
// It is pure: it works on the protocol values the Spanner client hands over
// and does no I/O, so it can be tested and fuzzed on its own.
package decode

import (
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// ChildPartition is a partition announced by a child_partitions_record.
type ChildPartition struct {
	Token   string
	Parents []string
}

// Item is one record of a partition query: exactly one of Data, Heartbeat
// and Children is set.
type Item struct {
	Data *record.DataChangeRecord
	// Heartbeat is the time up to which the partition has returned everything.
	Heartbeat time.Time
	// Children and ChildrenStart come from a child_partitions_record.
	Children      []ChildPartition
	ChildrenStart time.Time
}

// Position is the item's timestamp: the commit time, heartbeat time or
// child start.
func (it Item) Position() time.Time {
	switch {
	case it.Data != nil:
		return it.Data.CommitTimestamp.Time()
	case len(it.Children) > 0:
		return it.ChildrenStart
	}
	return it.Heartbeat
}
