// Package changestream_test runs the change-stream source on prism against
// the Cloud Spanner emulator with fast partition churn (splits, merges and
// moves every few seconds), against a gRPC fake of the Spanner query API
// for what the emulator cannot do, and through the whole pipeline into
// MariaDB for a relaunch after a crash. It is a test binary of its own
// because the churn setting applies to the whole emulator process.
package changestream_test

import (
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
)

func TestMain(m *testing.M) {
	// Partition tokens live 3 s: a 20 s test sees several generations.
	testenv.EmulatorFlags = []string{"--override_change_stream_partition_token_alive_seconds=3"}
	ptest.Main(m)
}
