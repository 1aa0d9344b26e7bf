package integration_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// TestLaunchNamesMissingSpannerObjects launches against the emulator with
// one Spanner name wrong at a time: the launch must fail with a message
// that names the parameter and the object that does not exist, not with
// Spanner's raw NotFound or the emulator's "Table-valued function not
// found: READ_...".
func TestLaunchNamesMissingSpannerObjects(t *testing.T) {
	emu := testenv.Spanner(t)
	admin, dsn := testenv.MySQL(t)
	if _, err := admin.Exec(localenv.SampleMySQLDDL); err != nil {
		t.Fatal(err)
	}
	shardFile := testenv.ShardFile(t, admin, dsn)
	suffix := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	mainID, metaID := "miss"+suffix, "missmeta"+suffix
	testenv.CreateDatabase(t, emu, mainID, false, localenv.SampleSpannerDDL)
	testenv.CreateDatabase(t, emu, metaID, false, nil)

	tests := []struct {
		param, value string
		want         string
	}{
		{params.InstanceID, "no-such-instance",
			`instanceId: Spanner instance "no-such-instance" does not exist in project "` + emu.Project + `"`},
		{params.DatabaseID, "nosuchdb",
			`databaseId: Spanner database "nosuchdb" does not exist in instance "` + emu.Instance + `"`},
		{params.ChangeStreamName, "nosuchstream",
			`changeStreamName: change stream "nosuchstream" does not exist in database "` + mainID + `" of instance "` + emu.Instance + `" (it has: ` + localenv.SampleStream + `)`},
		{params.MetadataInstance, "no-such-meta-instance",
			`metadataInstance: Spanner instance "no-such-meta-instance" does not exist in project "` + emu.Project + `"`},
		{params.MetadataDatabase, "nosuchmeta",
			`metadataDatabase: Spanner database "nosuchmeta" does not exist in instance "` + emu.Instance + `"`},
		{params.ChangeStreamMetadataDatabase, "nosuchcsmeta",
			`changeStreamMetadataDatabase: Spanner database "nosuchcsmeta" does not exist in instance "` + emu.Instance + `"`},
	}
	for _, tc := range tests {
		t.Run(tc.param, func(t *testing.T) {
			v := params.Values{
				params.ChangeStreamName: localenv.SampleStream, params.InstanceID: emu.Instance, params.DatabaseID: mainID,
				params.SpannerProjectID: emu.Project, params.MetadataInstance: emu.Instance, params.MetadataDatabase: metaID,
				params.SourceShardsFilePath: shardFile, params.DeadLetterQueueDirectory: t.TempDir(),
				params.SpannerMetadataTableName: "Metadata_missing_" + suffix,
			}
			v[tc.param] = tc.value
			cfg, err := params.Parse(v, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			_, err = pipeline.Check(ctx, cfg, pipeline.Env{})
			if err == nil {
				t.Fatalf("%s=%s: the launch check passed", tc.param, tc.value)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s=%s: launch error\n  %v\ndoes not say\n  %s", tc.param, tc.value, err, tc.want)
			}
			for _, raw := range []string{"NotFound", "Table-valued function"} {
				if strings.Contains(err.Error(), raw) {
					t.Errorf("%s=%s: launch error shows Spanner's raw %q: %v", tc.param, tc.value, raw, err)
				}
			}
		})
	}
}
