package transforms_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/transforms"
)

// TestSummaryCountsMalformedLineOnce: a malformed DLQ line is one row
// moved to severe/. The reader counts it in malformed_dlq_lines and in
// severe_error_count (or element_requeued_for_retry_count in retry mode);
// the summary line must report it once.
func TestSummaryCountsMalformedLineOnce(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(root, "retry", "2024", "error-1.json")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("not a DLQ line\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, s := beam.NewPipelineWithRoot()
	_, reads := transforms.ReconsumeFiles(s, transforms.DeadLetterConfig{Root: root}, []string{file})
	transforms.DeleteConsumed(s, reads)
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		t.Fatal(err)
	}
	sum, ok := pipeline.SummaryOf(res)
	if !ok {
		t.Fatal("no counters")
	}
	t.Log(sum.Line())
	if sum.RowsToSevere != 1 {
		t.Errorf("rows_to_severe=%d for one malformed line, want 1", sum.RowsToSevere)
	}
}
