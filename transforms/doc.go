// Package transforms holds the DoFns named in the pipeline's graph, one
// stage per file or file group:
//
//   - filter.go: filtration of the change records (filtrationMode);
//   - splitmods.go: one record per modified row (SplitMods);
//   - complete.go: what a change record lacks, read once from Spanner (a
//     deleted row, generated columns);
//   - assignshard.go: the logical shard and the grouping key of each record;
//   - write*.go: the shadow-checked write to the shards (write.go), its
//     flushes (write_flush.go) and the log of shards that stop answering
//     (write_outage.go);
//   - dlq*.go: the dead-letter queue: its one config value, fates and
//     counters (dlq.go), the retry directory's poller (dlq_poll.go), the
//     re-reads (dlq_reconsume.go) and the deletion of consumed files
//     (dlq_consumed.go);
//   - plugins.go and targets.go: custom shard fetchers and transformations
//     (io/plugin), and the target database of sourceType (io/target).
//
// DoFns stay here; what they call lives below, in io/ (connectors) and pure/
// (libraries without I/O).
package transforms
