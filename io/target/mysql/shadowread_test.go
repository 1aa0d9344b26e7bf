package mysql

import (
	"context"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/dml"
)

// TestShadowVersionsTakeNoLocksUnderSerializable (review rev17b):
// runMode=verify reads a shard's shadow rows beside the writer and must
// neither wait for it nor hold it up (Scanner.ShadowVersions). It read
// them in a transaction at the server's isolation level; under
// SERIALIZABLE (a server or user default) InnoDB turns a plain SELECT in
// a transaction into a locking one, so verify waited for every writer
// holding the key's shadow row, and held a shared lock writers wait for.
func TestShadowVersionsTakeNoLocksUnderSerializable(t *testing.T) {
	db, _ := testenv.MySQL(t)
	ctx := context.Background()
	st := target.ShadowTable{Name: "shadow_Items", KeyColumns: []string{"Id"}}
	ddl, err := dml.CreateShadowTable(st.Name, target.ShadowKeyColumn, target.ShadowKeyMaxLen, st.KeyColumns, target.ShadowCommitTsColumn, target.ShadowSeqColumn, LockCountColumn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(ddl); err != nil {
		t.Fatal(err)
	}
	key := target.ShadowKey{ID: make([]byte, 32), Parts: []any{"1"}}
	if _, err := db.Exec("INSERT INTO shadow_Items VALUES (?, '1', 100, 1, 1)", key.ID); err != nil {
		t.Fatal(err)
	}
	// The writer: the key's shadow row locked, as LockShadow leaves it.
	writer, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer writer.Rollback() //nolint:errcheck // test
	if _, err := writer.Exec("SELECT processed_commit_ts FROM shadow_Items WHERE shadow_key = ? FOR UPDATE", key.ID); err != nil {
		t.Fatal(err)
	}
	// The verify job's pool: one connection, serializable by default.
	db.SetMaxOpenConns(2)
	reader, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reader.ExecContext(ctx, "SET SESSION tx_isolation = 'SERIALIZABLE'"); err != nil {
		t.Fatal(err)
	}
	if err := reader.Close(); err != nil { // back to the pool, still serializable
		t.Fatal(err)
	}
	db.SetMaxIdleConns(1)
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	vs, err := Target{}.Scanner().ShadowVersions(rctx, db, st, []target.ShadowKey{key})
	if err != nil {
		t.Fatalf("reading a shadow row the writer holds: %v", err)
	}
	if v, ok := vs[string(key.ID)]; !ok || target.ShadowNanos(v) != 100 {
		t.Errorf("versions = %v, want the stored one", vs)
	}
}
