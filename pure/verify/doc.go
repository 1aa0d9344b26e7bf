// Package verify is the comparison of runMode=verify: a row as the writer
// would have written it from Spanner against the row a target shard holds,
// both in the target's canonical text form (io/target's Scanner), joined by
// (shard, table, primary key). It is pure: reading either side is the
// pipeline's (transforms/verify*.go), deciding what the pair means is here.
package verify
