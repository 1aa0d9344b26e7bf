package integration_test

import (
	"context"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pipeline"
)

// TestVerifySourceShadowReportsMismatches (review rev17): with
// shadowTableLocation=source the shadow rows live in the shards, but
// verify's settle step reads the key's shadow row from the metadata
// database (settleFn.shadowAfter, VerifyConfig has no notion of the
// location), where no shadow table exists in that mode. The first
// differing key then fails the run instead of being reported; and the
// in-flight rule never sees the shards' shadow rows.
func TestVerifySourceShadowReportsMismatches(t *testing.T) {
	e := newVerifyEnv(t, "vsrc")
	e.values["shadowTableLocation"] = "source"
	ctx := context.Background()
	e.replicate(t, 12*time.Second, func() error {
		time.Sleep(2 * time.Second)
		_, err := e.client.Apply(ctx, itemsMutations(1, 4))
		return err
	})
	expectRows(t, e.dbB, "SELECT COUNT(*) FROM Items", "2")
	if _, err := e.dbB.Exec("UPDATE Items SET Name = 'changed' WHERE Id = 3"); err != nil {
		t.Fatal(err)
	}
	r, ms := e.verifyRun(t, pipeline.Env{}, "spannerMetadataTableName", "verify_meta_1")
	if r.Mismatches != 1 || len(ms) != 1 {
		t.Errorf("one damaged row: %v, mismatches %v", r.Lines, ms)
	}
}
