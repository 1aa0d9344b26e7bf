package localenv

import "strings"

// ChopFlag is the emulator flag that sets how it slices a change-stream
// partition query.
const ChopFlag = "--change_streams_partition_query_chop_interval"

// OneScanChop is the slice length every emulator we start runs with: longer
// than any partition query can span (a query's start is at most the
// retention period, 7 days at most, in the past), so that the emulator
// serves each query in one scan.
//
// Why: the emulator serves a partition query in slices (100 ms by
// default). A slice reads commit_timestamp >= start AND < sliceEnd, and the
// next slice starts at sliceEnd + 1µs, so a commit whose timestamp is
// exactly a slice end is returned by neither slice: the query silently
// drops it. Only the last slice, which ends at the query's end_timestamp,
// is inclusive. Cloud Spanner itself has no such gap: a query returns every
// record up to its end timestamp. The churn test lost a change this way
// once in many runs; integration_test/cmd/chopgap reproduces it without our
// reader.
//
// The price: a query returns its records (and at most one heartbeat) only
// once its end timestamp has passed. Every query our reader sends is
// bounded by its query window, so records are at most one window late; an
// unbounded query would never return.
const OneScanChop = "240h"

// EmulatorArgs are the command-line arguments of an emulator listening on
// addr with the extra flags: OneScanChop unless flags set the slice length
// themselves (integration_test/cmd/chopgap does, to show the gap).
func EmulatorArgs(addr string, flags []string) []string {
	args := append([]string{"--host_port", addr}, flags...)
	for _, f := range flags {
		if f == ChopFlag || strings.HasPrefix(f, ChopFlag+"=") {
			return args
		}
	}
	return append(args, ChopFlag+"="+OneScanChop)
}
