package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/transforms"
)

func TestReadVerifyResult(t *testing.T) {
	dir := t.TempDir() + "/"
	ctx := context.Background()
	if _, err := ReadVerifyResult(ctx, dir); err == nil {
		t.Error("no summary file: no error")
	}
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, transforms.SummaryFile), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("{\"table\":\"t\",\"counts\":{\"missing\":2}}\nmismatches: 2\n")
	r, err := ReadVerifyResult(ctx, dir)
	if err != nil || r.Mismatches != 2 || len(r.Lines) != 2 || r.Dir != dir {
		t.Errorf("ReadVerifyResult = %+v, %v", r, err)
	}
	write("{}\n")
	if _, err := ReadVerifyResult(ctx, dir); err == nil || !strings.Contains(err.Error(), `is not "mismatches: <n>"`) {
		t.Errorf("a summary without the last line: %v", err)
	}
}

func TestVerifyConfigDefaults(t *testing.T) {
	run := time.Date(2026, 3, 1, 12, 0, 0, 123e6, time.UTC)
	cfg := &params.Config{SourceDbTimezoneOffset: "+02:00", VerifyRepair: true}
	v := verifyConfig(cfg, Env{VerifyRunTime: run}, schema.Spanner{}, schema.Source{}, recordProcessing{}, sharding{}, "gs://b/dlq/", "db", "meta", "csmeta", "tbl", 0)
	if !v.At.Equal(run) || v.Out != "gs://b/dlq/verify/20260301T120000.123Z/" || !v.Repair || v.RowsPerRange != transforms.DefaultRowsPerRange ||
		v.RecheckWait != transforms.DefaultRecheckWait || v.WatermarkTable != "tbl" || v.WatermarkDatabase != "csmeta" {
		t.Errorf("verifyConfig = %+v", v)
	}
	at := time.Date(2026, 3, 1, 11, 0, 0, 0, time.UTC)
	cfg.VerifyTimestamp = at
	if v := verifyConfig(cfg, Env{VerifyRunTime: run}, schema.Spanner{}, schema.Source{}, recordProcessing{}, sharding{}, "d/", "", "", "", "", 0); !v.At.Equal(at) {
		t.Errorf("At = %v, want verifyTimestamp %v", v.At, at)
	}
}
