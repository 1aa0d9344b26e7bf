// Package routing decides which logical shard a change goes to. It is pure:
// the shard ids, the tables' shard-id columns and the custom shard fetcher
// come in as data or interfaces; nothing here reads a file or a database.
//
// The modes follow the Java template (its §4): with one shard and
// isShardedMigration=false every change goes to that shard; otherwise the
// shard id comes from a custom fetcher or, by default, from the value of
// the table's shard-id column (named by the session file).
package routing
