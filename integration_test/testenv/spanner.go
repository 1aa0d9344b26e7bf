package testenv

import (
	"context"
	"sync"
	"testing"
	"time"

	database "cloud.google.com/go/spanner/admin/database/apiv1"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
)

var (
	emuOnce sync.Once
	emu     *localenv.Emulator
	emuErr  error
)

// EmulatorFlags are extra emulator flags for the process-wide emulator, set
// before the first call to Spanner (e.g. from TestMain), for instance to
// force partition churn with --override_change_stream_partition_token_alive_seconds.
var EmulatorFlags []string

// Spanner starts the Cloud Spanner emulator once per test process on a free
// loopback port (it dies with the process) and points SPANNER_EMULATOR_HOST
// at it. A missing emulator skips t loudly, or fails it in CI.
func Spanner(t testing.TB) *localenv.Emulator {
	t.Helper()
	emuOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		emu, emuErr = localenv.StartEmulator(ctx, "", EmulatorFlags...)
	})
	if emuErr != nil {
		Unavailable(t, "Cloud Spanner emulator: %v", emuErr)
	}
	return emu
}

// CreateDatabase creates a Spanner database on the test emulator or fails t.
func CreateDatabase(t testing.TB, e *localenv.Emulator, id string, postgres bool, ddl []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	path, err := e.CreateDatabase(ctx, id, postgres, ddl)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// DatabaseAdmin returns a database admin client for the test emulator,
// closed when t ends.
func DatabaseAdmin(t testing.TB) *database.DatabaseAdminClient {
	t.Helper()
	c, err := database.NewDatabaseAdminClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
