package target

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"reflect"
	"sync"
	"testing"
)

// recorder is a database/sql driver that runs nothing and records each
// statement, marked "+commit" when its context is one of CommitWith.
type recorder struct {
	mu   sync.Mutex
	sent []string
}

func (r *recorder) Open(string) (driver.Conn, error) { return recConn{r}, nil }

type recConn struct{ r *recorder }

func (c recConn) Prepare(string) (driver.Stmt, error) { return nil, driver.ErrSkip }
func (c recConn) Close() error                        { return nil }
func (c recConn) Begin() (driver.Tx, error)           { return recTx{}, nil }
func (c recConn) ExecContext(ctx context.Context, q string, _ []driver.NamedValue) (driver.Result, error) {
	if CommitsWith(ctx) {
		q += " +commit"
	}
	c.r.mu.Lock()
	c.r.sent = append(c.r.sent, q)
	c.r.mu.Unlock()
	return driver.RowsAffected(1), nil
}

type recTx struct{}

func (recTx) Commit() error   { return nil }
func (recTx) Rollback() error { return nil }

var rec = &recorder{}

func init() { sql.Register("target-recorder", rec) }

// TestWriteCommitsWithItsLastStatementOnly: Writer.Write passes CommitWith
// to its last statement alone, and to none when the last step is a
// unique-keyed one (written row by row); without CommitWith, to none.
func TestWriteCommitsWithItsLastStatementOnly(t *testing.T) {
	db, err := sql.Open("target-recorder", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a := []string{"k"}
	for _, c := range []struct {
		name    string
		commit  bool
		changes []Change
		want    []string
	}{
		{"two statements", true, []Change{upsert("t", a, 1), del("t", 2)}, []string{"upsert t [k] 1", "delete t 2 +commit"}},
		{"one statement", true, []Change{upsert("t", a, 1)}, []string{"upsert t [k] 1 +commit"}},
		{"unique last", true, []Change{upsert("t", a, 1), unique(upsert("r", a, 2), 1)}, []string{"upsert t [k] 1", "unique"}},
		{"unique first", true, []Change{unique(upsert("r", a, 2), 1), upsert("t", a, 1)}, []string{"unique", "upsert t [k] 1 +commit"}},
		{"no CommitWith", false, []Change{upsert("t", a, 1), del("t", 2)}, []string{"upsert t [k] 1", "delete t 2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rec.mu.Lock()
			rec.sent = nil
			rec.mu.Unlock()
			tx, err := db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			ctx := context.Background()
			if c.commit {
				ctx = CommitWith(ctx)
			}
			w := Writer{Name: "fake", DML: fakeDML(100), Tx: tx, Classify: func(err error) error { return err }}
			_, err = w.Write(ctx, c.changes, func(ctx context.Context, rows []UniqueRow) (map[int]error, error) {
				if CommitsWith(ctx) {
					t.Error("the unique step got CommitWith")
				}
				rec.mu.Lock()
				rec.sent = append(rec.sent, "unique")
				rec.mu.Unlock()
				return nil, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rec.sent, c.want) {
				t.Errorf("sent %q, want %q", rec.sent, c.want)
			}
		})
	}
}
