// Package target is what the launcher and the writer need of a target
// database, whatever its kind: the Target and Session interfaces (and
// KeyLocker, a session whose writers must lock their keys), the shard
// file (the Java template's format, for every kind, its connectionProperties
// entries and its TLS policy, disabledAlgorithms), the launch check of
// every shard, the writers' pool size and shared pools, and the errors of a
// target, classified where they arise (Error, BatchError, Code), and the
// reading side of runMode=verify (Scanner: canonical values, key-range
// reads).
//
// It is also the one home of what every kind of target does the same way,
// so that each target's folder keeps only its dialect (SQL text, error-code
// tables, driver specifics): cutting a batch into statements and writing
// the rows of tables with unique keys one by one (Writer, ApplyUnique),
// matching rows by key (WriteKeysMatch), and the reads of runMode=verify
// (ScanSQL).
//
// MySQL (and MariaDB) is io/target/mysql, PostgreSQL io/target/postgresql;
// another kind of target is a folder beside them and one case in
// transforms.Target.
package target
