package changestream_test

import (
	"context"
	"strings"
	"testing"
	"time"

	database "cloud.google.com/go/spanner/admin/database/apiv1"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream"
	"github.com/revrepl/spanner-to-sourcedb/io/changestream/meta"
)

// TestLaunchRejectsStartOutsideRetention: a start the stream no longer
// holds fails the launch, not the running job, with what to do about it.
func TestLaunchRejectsStartOutsideRetention(t *testing.T) {
	emu := testenv.Spanner(t)
	ctx := context.Background()
	mainID, metaID := uniqueID("ret"), uniqueID("retmeta")
	mainDB := testenv.CreateDatabase(t, emu, mainID, false, churnDDL())
	testenv.CreateDatabase(t, emu, metaID, false, nil)
	admin, err := database.NewDatabaseAdminClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	cfg := changestream.Config{
		Database: mainDB, Stream: "cs", MetadataDatabase: emu.DatabasePath(metaID), MetadataTable: "Metadata_ret",
		HeartbeatMillis: 1000, EndNanos: meta.Unbounded,
	}
	_, err = changestream.Launch(ctx, admin, &cfg, time.Now().Add(-3*time.Hour), true)
	if err == nil {
		t.Fatal("a start before the stream existed was accepted")
	}
	for _, want := range []string{"cannot be read from", "retention period", "later startTimestamp"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("launch error %q does not say %q", err, want)
		}
	}
	// Doing as told works: the failed launch stored nothing to conflict with.
	if _, err := changestream.Launch(ctx, admin, &cfg, time.Now(), true); err != nil {
		t.Errorf("launch with a start inside the retention period: %v", err)
	}
}
