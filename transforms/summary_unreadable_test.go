package transforms_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/transforms"
)

// TestUnreadableDLQFileIsCounted: a DLQ file that cannot be read for a
// reason other than "not found" (here a directory; on Cloud Storage a
// permission or transient error) is not taken for consumed silently: it
// is counted in dlq_read_errors, shown by the summary line, and left in
// place. A file not found (consumed by an earlier bundle) is not counted.
func TestUnreadableDLQFileIsCounted(t *testing.T) {
	root := t.TempDir()
	unreadable := filepath.Join(root, "severe", "2024", "error-1.json")
	if err := os.MkdirAll(unreadable, 0o755); err != nil {
		t.Fatal(err)
	}
	gone := filepath.Join(root, "severe", "2024", "error-2.json")
	p, s := beam.NewPipelineWithRoot()
	_, reads := transforms.ReconsumeFiles(s, transforms.DeadLetterConfig{Root: root}, []string{unreadable, gone})
	transforms.DeleteConsumed(s, reads)
	res, err := ptest.RunWithMetrics(p)
	if err != nil {
		t.Fatal(err)
	}
	sum, ok := pipeline.SummaryOf(res)
	if !ok {
		t.Fatal("no counters")
	}
	if sum.DLQFilesUnreadable != 1 {
		t.Errorf("DLQFilesUnreadable = %d, want 1 (the unreadable file, not the one already gone)", sum.DLQFilesUnreadable)
	}
	if !strings.Contains(sum.Line(), " dlq_files_unreadable=1") {
		t.Errorf("summary line %q does not show the unreadable file", sum.Line())
	}
	if _, err := os.Stat(unreadable); err != nil {
		t.Errorf("the unreadable file is gone: %v", err)
	}
}
