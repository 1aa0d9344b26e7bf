// Package integration_test runs the whole pipeline on the prism runner
// against the Cloud Spanner emulator and MariaDB.
package integration_test

import (
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
)

func TestMain(m *testing.M) {
	ptest.Main(m)
}
