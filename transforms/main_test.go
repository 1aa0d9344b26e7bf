package transforms

import (
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
)

// TestMain runs the package's pipeline tests on prism.
func TestMain(m *testing.M) {
	ptest.Main(m)
}
