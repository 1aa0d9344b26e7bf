// Package dml builds the PostgreSQL statements the writer sends: multi-row
// upserts (INSERT ... ON CONFLICT (<primary key>) DO UPDATE), deletes by
// key, and the single-row INSERT and UPDATE of the unique-key path.
// Values are always bound parameters ($1, $2, ...); identifiers are always
// double-quoted, quotes doubled, and tables qualified with their namespace
// (the PostgreSQL schema).
package dml

import "github.com/revrepl/spanner-to-sourcedb/io/target"

// Statement is SQL text with one $n per element of Args.
type Statement = target.Statement

// MaxParams is the most parameters one statement may carry: the protocol
// counts them in 16 bits. Builders refuse to exceed it so that callers
// split batches.
const MaxParams = 65535
