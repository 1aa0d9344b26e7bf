package changestream

import (
	"context"
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

func init() {
	register.DoFn5x2[context.Context, *sdf.ManualWatermarkEstimator, *sdf.LockRTracker, []byte,
		func(beam.EventTime, meta.Partition), sdf.ProcessContinuation, error](&detectFn{})
	register.DoFn5x2[context.Context, *sdf.ManualWatermarkEstimator, *sdf.LockRTracker, meta.Partition,
		func(beam.EventTime, record.DataChangeRecord), sdf.ProcessContinuation, error](&readFn{})
	register.Emitter2[beam.EventTime, meta.Partition]()
	register.Emitter2[beam.EventTime, record.DataChangeRecord]()
	beam.RegisterType(reflect.TypeOf((*meta.Partition)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*record.DataChangeRecord)(nil)).Elem())
}

// Read emits every data change record of the stream, at least once, with
// its commit timestamp as event time. The partition metadata table must
// have been prepared by meta.Table.Launch.
func Read(s beam.Scope, cfg Config) beam.PCollection {
	s = s.Scope("changestream.Read")
	imp := beam.Impulse(s)
	parts := beam.ParDo(s.Scope("DetectPartitions"), &detectFn{clientFn: clientFn{Config: cfg}}, imp)
	parts = beam.Reshuffle(s, parts)
	return beam.ParDo(s.Scope("ReadPartition"), &readFn{clientFn: clientFn{Config: cfg}}, parts)
}
