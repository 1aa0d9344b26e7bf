package changestream

import (
	"context"

	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/logs"
)

// superseded ends this job's part in the table: another launch took it
// (see package meta), so err goes back to the runner, which fails the job,
// and the log says why. err is returned as it is.
func superseded(ctx context.Context, err error) error {
	if meta.IsSuperseded(err) {
		supersededErrors.Inc(ctx, 1)
		logs.Error(ctx, "job superseded by another launch on its partition metadata table; stopping", "error", err)
	}
	return err
}
