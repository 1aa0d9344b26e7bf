// Package target is what the launcher and the writer need of a target
// database, whatever its kind: the Target and Session interfaces, the shard
// file (the Java template's format, for every kind), the launch check of
// every shard, the writers' pool size, and the errors of a target,
// classified where they arise (Error, BatchError), and the reading side
// of runMode=verify (Scanner: canonical values, key-range reads).
//
// MySQL (and MariaDB) is io/target/mysql; another kind of target is a folder
// beside it and one case in transforms.Target.
package target
