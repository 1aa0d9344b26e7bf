package changestream

import "github.com/apache/beam/sdks/v2/go/pkg/beam"

// Metrics of the change-stream source, in namespace "changestream".
var (
	recordsRead        = beam.NewCounter("changestream", "records_read")
	heartbeats         = beam.NewCounter("changestream", "heartbeats")
	partitionsStarted  = beam.NewCounter("changestream", "partitions_started")
	partitionsFinished = beam.NewCounter("changestream", "partitions_finished")
	// partitionsHandedOver counts readers that left a partition to the
	// reader it was handed to after them (see meta.StaleSchedule).
	partitionsHandedOver = beam.NewCounter("changestream", "partitions_handed_over")
	// partitionsActive is the number of partitions not finished yet.
	partitionsActive = beam.NewGauge("changestream", "partitions_active")
	transientErrors  = beam.NewCounter("changestream", "transient_errors")
	// partitionLag is, per partition query, how far the partition's
	// position is behind the wall clock (milliseconds).
	partitionLag = beam.NewDistribution("changestream", "partition_lag_ms")
	// appliedWatermark is the stored applied watermark (Unix ms), and
	// appliedLag how far it is behind the wall clock when stored.
	appliedWatermark  = beam.NewGauge("changestream", "applied_watermark_ms")
	appliedLag        = beam.NewDistribution("changestream", "applied_lag_ms")
	appliedSaveErrors = beam.NewCounter("changestream", "applied_watermark_save_errors")
	// supersededErrors counts the parts of the job that stopped because a
	// later launch took the metadata table (see superseded).
	supersededErrors = beam.NewCounter(SupersededNamespace, SupersededCounter)
)
