package integration_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/integration_test/testrun"
	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
	"github.com/revrepl/spanner-to-sourcedb/pipeline"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

var familySpanner = []string{
	`CREATE TABLE Parents (Id INT64 NOT NULL, Name STRING(100)) PRIMARY KEY (Id)`,
	`CREATE TABLE Children (Id INT64 NOT NULL, ParentId INT64, Label STRING(100)) PRIMARY KEY (Id)`,
	`CREATE CHANGE STREAM family FOR ALL OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '7d')`,
}

var familyMySQL = []string{
	"CREATE TABLE Parents (Id BIGINT PRIMARY KEY, Name VARCHAR(100))",
	"CREATE TABLE Children (Id BIGINT PRIMARY KEY, ParentId BIGINT, Label VARCHAR(5), " +
		"FOREIGN KEY (ParentId) REFERENCES Parents(Id))",
}

// javaLine is a DLQ line as the Java template writes it (the example of the
// reference notes, for table Parents).
const javaLine = `{"message":{"commitTimestamp":{"seconds":1718000000,"nanos":123456000},"serverTransactionId":"Nzg0OTU2OTQzNDUwMTUxMzYzNA==","recordSequence":"00000000","tableName":"Parents","mod":{"keysJson":"{\"Id\":\"20\"}","oldValuesJson":"{}","newValuesJson":"{\"Name\":\"from-java\"}"},"modType":"INSERT","numberOfRecordsInTransaction":1,"transactionTag":"","shard":"shard1","isRetryRecord":false,"_metadata_retry_count":0,"_metadata_historical_retry_count":0},"error_message":"UNKNOWN: java.sql.SQLIntegrityConstraintViolationException: Cannot add or update a child row"}`

// TestDeadLetterQueueRetryAndRetryDLQ follows records through the DLQ: a
// child whose parent is missing goes to retry/ and is applied once the
// parent arrives; a value too long for its column goes to severe/; a Java
// DLQ file and a malformed line already in retry/ are consumed (the bad line
// moved to severe/). After the column is widened, a retryDLQ run applies
// the severe record and removes its file.
func TestDeadLetterQueueRetryAndRetryDLQ(t *testing.T) {
	f := newFamily(t, "fam")
	admin, client, ctx := f.admin, f.client, context.Background()
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "retry/2024/06/10/06/13/error-java.json"), javaLine+"\n")
	writeFile(t, filepath.Join(root, "retry/2024/06/10/06/13/error-bad.json"), "this is not JSON\n")

	values := f.values(20 * time.Second)
	values["deadLetterQueueDirectory"] = root
	values["dlqMaxRetryCount"] = "2"
	writes := make(chan error, 1)
	go func() {
		time.Sleep(2 * time.Second)
		cols := []string{"Id", "ParentId", "Label"}
		_, err := client.Apply(ctx, []*spanner.Mutation{
			spanner.Insert("Children", cols, []any{int64(1), int64(10), "ok"}),
			spanner.Insert("Children", cols, []any{int64(2), nil, "far too long"}),
			spanner.Insert("Children", cols, []any{int64(3), int64(99), "orph"}), // its parent never comes
		})
		if err == nil {
			time.Sleep(2 * time.Second)
			_, err = client.Apply(ctx, []*spanner.Mutation{spanner.Insert("Parents", []string{"Id", "Name"}, []any{int64(10), "p"})})
		}
		writes <- err
	}()
	// Polls at about 0, 4, 8, 12 and 16 s: child 1 is retried after its
	// parent arrived (at about 4 s) within its 2 retries, and the orphan
	// uses up its 2 retries and reaches severe/ well before the end at 20 s.
	testrun.Pipeline(t, ctx, values, pipeline.Env{QueryWindowMillis: 1000, PollMillis: 200, RetryPoll: 4 * time.Second})
	if err := <-writes; err != nil {
		t.Fatal(err)
	}

	expectRows(t, admin, "SELECT Id FROM Parents ORDER BY Id", "10,20")
	expectRows(t, admin, "SELECT Id FROM Children ORDER BY Id", "1")
	if files := dlqFiles(t, root, dlq.RetryDir); len(files) != 0 {
		t.Errorf("retry/ still holds %v, want every file consumed", files)
	}
	severe := dlqFiles(t, root, dlq.SevereDir)
	content := readAll(t, severe)
	if !strings.Contains(content, `"keysJson":"{\"Id\":\"2\"}"`) || !strings.Contains(content, "exceed") {
		t.Errorf("severe/ lacks the too-long child with its error:\n%s", content)
	}
	if !strings.Contains(content, "this is not JSON") || !strings.Contains(content, "not a DLQ line") {
		t.Errorf("severe/ lacks the malformed line with what is wrong:\n%s", content)
	}
	// The orphan used its dlqMaxRetryCount=2 retries, then went to severe/
	// with the count reset and both retries in the historical count.
	if !strings.Contains(content, `"keysJson":"{\"Id\":\"3\"}"`) ||
		!strings.Contains(content, `"_metadata_retry_count":0,"_metadata_historical_retry_count":2`) {
		t.Errorf("severe/ lacks the orphan child after exactly 2 retries:\n%s", content)
	}

	// Fix the cause, then re-process severe/ once.
	if _, err := admin.Exec("ALTER TABLE Children MODIFY Label VARCHAR(100)"); err != nil {
		t.Fatal(err)
	}
	retry := params.Values{}
	for k, v := range values {
		retry[k] = v
	}
	delete(retry, "startTimestamp")
	delete(retry, "endTimestamp")
	retry["runMode"] = "retryDLQ"
	testrun.Pipeline(t, ctx, retry, pipeline.Env{})
	expectRows(t, admin, "SELECT Id FROM Children ORDER BY Id", "1,2")
	for _, f := range severe {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("severe file %s still exists after retryDLQ (err %v)", f, err)
		}
	}
	// The malformed line fails again and is back in severe/, alone; the
	// orphan, retryable again, went to retry/ for the regular job.
	again := readAll(t, dlqFiles(t, root, dlq.SevereDir))
	if !strings.Contains(again, "this is not JSON") || strings.Contains(again, `\"Id\":\"2\"`) || strings.Contains(again, `\"Id\":\"3\"`) {
		t.Errorf("severe/ after retryDLQ:\n%s\nwant only the malformed line", again)
	}
	if retried := readAll(t, dlqFiles(t, root, dlq.RetryDir)); !strings.Contains(retried, `\"Id\":\"3\"`) {
		t.Errorf("retry/ after retryDLQ lacks the orphan child:\n%s", retried)
	}
}

// family is the parent/child schema of the DLQ tests, in Spanner (no
// foreign key, so a child can be written first) and in MariaDB (with one).
type family struct {
	emu           *localenv.Emulator
	admin         *sql.DB
	client        *spanner.Client
	shardFile, db string
}

func newFamily(t *testing.T, prefix string) *family {
	t.Helper()
	f := &family{emu: testenv.Spanner(t)}
	var dsn string
	f.admin, dsn = testenv.MySQL(t)
	for _, st := range familyMySQL {
		if _, err := f.admin.Exec(st); err != nil {
			t.Fatal(err)
		}
	}
	f.shardFile = testenv.ShardFile(t, f.admin, dsn)
	f.db = fmt.Sprintf("%s%d", prefix, time.Now().UnixNano()%1e9)
	path := testenv.CreateDatabase(t, f.emu, f.db, false, familySpanner)
	testenv.CreateDatabase(t, f.emu, f.db+"meta", false, nil)
	var err error
	if f.client, err = spanner.NewClient(context.Background(), path); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.client.Close)
	return f
}

// values are the parameters of a regular run from now for d.
func (f *family) values(d time.Duration) params.Values {
	start := time.Now().UTC()
	return params.Values{
		"changeStreamName": "family", "instanceId": f.emu.Instance, "databaseId": f.db,
		"spannerProjectId": f.emu.Project, "metadataInstance": f.emu.Instance, "metadataDatabase": f.db + "meta",
		"sourceShardsFilePath": f.shardFile, "startTimestamp": start.Format(time.RFC3339Nano),
		"endTimestamp": start.Add(d).Format(time.RFC3339Nano),
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func dlqFiles(t *testing.T, root, sub string) []string {
	t.Helper()
	files, err := dlq.List(context.Background(), root, sub)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		out = append(out, f.Path)
	}
	return out
}

func readAll(t *testing.T, files []string) string {
	t.Helper()
	var b strings.Builder
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return b.String()
}

// expectRows compares the ids a query returns, comma-joined, with want.
func expectRows(t *testing.T, db *sql.DB, q, want string) {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if got := strings.Join(ids, ","); got != want {
		t.Errorf("%s: got ids %q, want %q", q, got, want)
	}
}
