// Package dml builds the MySQL statements the writer sends: multi-row upserts
// and deletes. Values are always bound parameters and identifiers are always
// quoted, unlike the Java template, which spliced escaped values into the SQL
// text and back-quoted names without escaping them.
//
// The SQL is compatible with both MySQL 8 and MariaDB 10.11 (hence VALUES()
// in ON DUPLICATE KEY UPDATE rather than MySQL's "AS new" row alias).
package dml

import "github.com/revrepl/spanner-to-sourcedb/io/target"

// Statement is SQL text with one ? per element of Args.
type Statement = target.Statement

// MaxPlaceholders is the most parameters one server-side prepared statement
// may carry (a 16-bit count in the protocol). Builders refuse to exceed it so
// callers split batches even when they interpolate on the client.
const MaxPlaceholders = 65535
