// Package faults is the fault-injection suite: it runs the pipeline on the
// prism runner against the Cloud Spanner emulator and MariaDB while doing
// to it what production does (a database going away, the process killed,
// bad input), and ends every test by comparing each primary key's row in
// MySQL with Spanner's, accounting for every difference in the DLQ.
package faults

import (
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
)

func TestMain(m *testing.M) {
	ptest.Main(m)
}
