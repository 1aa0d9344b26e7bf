package postgresql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/targettest"
	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
)

// sessionDB is a test database with a namespace "app" and a writer pool
// for a role with every right there.
func sessionDB(t *testing.T, ddl ...string) (testenv.PGDatabase, *sql.DB) {
	t.Helper()
	return sessionPool(t, 2, ddl...)
}

// sessionPool is sessionDB with a pool of size connections.
func sessionPool(t *testing.T, size int, ddl ...string) (testenv.PGDatabase, *sql.DB) {
	t.Helper()
	d := testenv.PostgreSQL(t)
	for _, q := range append([]string{`CREATE SCHEMA app`}, ddl...) {
		if _, err := d.DB.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	r := role(t, d, "writer")
	for _, q := range []string{`GRANT USAGE ON SCHEMA app TO "%s"`, `GRANT ALL ON ALL TABLES IN SCHEMA app TO "%s"`} {
		if _, err := d.DB.Exec(strings.ReplaceAll(q, "%s", r)); err != nil {
			t.Fatal(err)
		}
	}
	s := shardOf(d, r, "pw")
	s.Namespace = "app"
	db, release, err := Acquire(s, size)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return d, db
}

func rows(t *testing.T, d testenv.PGDatabase, q string) string {
	t.Helper()
	var out string
	if err := d.DB.QueryRow(`SELECT COALESCE(string_agg(r::text, ' ' ORDER BY r::text), '') FROM (` + q + `) r`).Scan(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSessionUpsertsAndDeletes(t *testing.T) {
	d, db := sessionDB(t,
		`CREATE TABLE app."My Table" (id bigint PRIMARY KEY, "Name" text, n numeric)`,
		`CREATE TABLE app.pairs (a int, b int, PRIMARY KEY (a, b))`)
	cols, keys := []string{"id", "Name", "n"}, []string{"id"}
	targettest.Write(t, Target{}, db,
		targettest.Up("My Table", 1, cols, keys, "1", "one", "1.5"),
		targettest.Up("My Table", 1, cols, keys, "2", "it's \"two\"", nil),
		targettest.Up("My Table", 1, cols, keys, "3", "three", "NaN"),
		targettest.Up("pairs", 1, []string{"a", "b"}, []string{"a", "b"}, "1", "2"))
	targettest.Write(t, Target{}, db,
		targettest.Up("My Table", 2, cols, keys, "1", "uno", "2"),
		targettest.Del("My Table", 2, keys, "3"),
		targettest.Up("pairs", 2, []string{"a", "b"}, []string{"a", "b"}, "1", "2"), // all-key row again: DO NOTHING
		targettest.Del("My Table", 2, keys, "99"))                                   // absent: nothing to do
	if got, want := rows(t, d, `SELECT * FROM app."My Table"`), `(1,uno,2) (2,"it's ""two""",)`; got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
	if got := rows(t, d, `SELECT * FROM app.pairs`); got != "(1,2)" {
		t.Errorf("pairs %s", got)
	}
}

// A batch wider than PostgreSQL's 65535 parameters is split.
func TestSessionSplitsAtParameterLimit(t *testing.T) {
	d, db := sessionDB(t, `CREATE TABLE app.wide (id int PRIMARY KEY, a int, b int, c int)`)
	var changes []target.Change
	cols := []string{"id", "a", "b", "c"}
	for i := range 20000 { // 80000 parameters
		changes = append(changes, targettest.Up("wide", 1, cols, []string{"id"}, fmt.Sprint(i), "1", "2", "3"))
	}
	targettest.Write(t, Target{}, db, changes...)
	var n int
	if err := d.DB.QueryRow(`SELECT count(*) FROM app.wide`).Scan(&n); err != nil || n != 20000 {
		t.Errorf("%d rows, %v", n, err)
	}
}

// Rows of a table with a unique key besides the primary key never land in
// another key's row: a swap inside the batch is applied, a value still held
// by a row the batch does not change is refused for that row alone, and a
// row refused for another reason (a check) does not abort the transaction.
func TestSessionUniqueKeys(t *testing.T) {
	d, db := sessionDB(t,
		`CREATE TABLE app.users (id int PRIMARY KEY, email text UNIQUE, age int CHECK (age >= 0))`,
		`INSERT INTO app.users VALUES (1, 'a@x', 1), (2, 'b@x', 2), (3, 'c@x', 3)`)
	cols, keys := []string{"id", "email", "age"}, []string{"id"}
	refused := targettest.Write(t, Target{}, db,
		targettest.Unique(targettest.Up("users", 5, cols, keys, "1", "b@x", "1")),  // swap with 2 ...
		targettest.Unique(targettest.Up("users", 5, cols, keys, "2", "a@x", "2")),  // ... in one transaction
		targettest.Unique(targettest.Up("users", 6, cols, keys, "4", "c@x", "4")),  // 3 still holds c@x
		targettest.Unique(targettest.Up("users", 6, cols, keys, "5", "e@x", "-1")), // check violation
		targettest.Unique(targettest.Up("users", 7, cols, keys, "6", "f@x", "6")),
		targettest.Unique(targettest.Del("users", 4, keys, "9")))
	if len(refused) != 2 || refused[2] == nil || refused[3] == nil {
		t.Fatalf("refused %v, want rows 2 (unique clash) and 3 (check)", refused)
	}
	var clash *target.UniqueClashError
	if !errors.As(refused[2], &clash) || failure.Of(refused[2]) != failure.Retryable || !strings.Contains(refused[2].Error(), "c@x") {
		t.Errorf("row 2: %v (class %v)", refused[2], failure.Of(refused[2]))
	}
	if failure.Of(refused[3]) != failure.Severe || !strings.Contains(refused[3].Error(), "users_age_check") {
		t.Errorf("row 3: %v (class %v)", refused[3], failure.Of(refused[3]))
	}
	if got, want := rows(t, d, `SELECT * FROM app.users`), `(1,b@x,1) (2,a@x,2) (3,c@x,3) (6,f@x,6)`; got != want {
		t.Errorf("rows %s, want %s", got, want)
	}
}

// A failing multi-row statement fails the attempt with PostgreSQL's
// message, classified: a batch error the writer splits.
func TestSessionStatementError(t *testing.T) {
	_, db := sessionDB(t, `CREATE TABLE app.t (id int PRIMARY KEY, v varchar(2) NOT NULL)`)
	ctx := context.Background()
	s := begun(ctx, t, db)
	_, err := s.Write(ctx, []target.Change{targettest.Up("t", 1, []string{"id", "v"}, []string{"id"}, "1", nil)})
	var be *target.BatchError
	var te *target.Error
	if !errors.As(err, &be) || !errors.As(err, &te) || te.SQLState != NotNullViolation || failure.Of(err) != failure.Severe ||
		!strings.Contains(err.Error(), "null value") {
		t.Errorf("err = %v", err)
	}
	if err := s.Rollback(); err != nil {
		t.Error(err)
	}
}

// Abandon terminates the backend, so its locks go at once. The writer
// abandons a session whose deadline has passed: the context is done.
func TestSessionAbandon(t *testing.T) {
	d, db := sessionDB(t, `CREATE TABLE app.t (id int PRIMARY KEY, v int)`)
	abandon(t, d, db)
}

// Behind a connection pooler (PgBouncer, in session or transaction mode)
// the process id announced at the connection's start-up is the pooler's
// invention: Abandon must still terminate the server process that holds
// the batch's locks, with statements cached (the pooler keeps them, or
// tracks them) or not (prepareThreshold=0).
func TestSessionAbandonBehindPooler(t *testing.T) {
	for _, props := range []string{"sslmode=disable", "sslmode=disable;prepareThreshold=0"} {
		t.Run(props, func(t *testing.T) {
			d, _ := sessionDB(t, `CREATE TABLE app.t (id int PRIMARY KEY, v int)`)
			s := shardOf(d, d.Name+"_writer", "pw")
			h, p := fakePooler(t, net.JoinHostPort(d.Host, d.Port), 0x7ffffff0)
			s.Host, s.Port, s.Namespace, s.ConnectionProperties = h, target.Port(p), "app", props
			db, release, err := Acquire(s, 2)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(release)
			abandon(t, d, db)
		})
	}
}

// abandon writes a row in a session of db, then a second row whose key
// another transaction holds, abandons the session while its backend waits
// for that lock (it does not notice its client is gone), and checks that
// the backend is gone, and the first row's lock with it, while the other
// transaction still holds its lock.
func abandon(t *testing.T, d testenv.PGDatabase, db *sql.DB) {
	t.Helper()
	blocker, err := d.DB.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback() //nolint:errcheck // test cleanup
	if _, err := blocker.Exec(`INSERT INTO app.t VALUES (2, 0)`); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := Target{}.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	up := func(id string) []target.Change {
		return []target.Change{targettest.Up("t", 1, []string{"id", "v"}, []string{"id"}, id, "1")}
	}
	if _, err := s.Write(ctx, up("1")); err != nil {
		t.Fatal(err)
	}
	var backend int64
	if err := s.(*session).tx.QueryRowContext(ctx, `SELECT pg_backend_pid()`).Scan(&backend); err != nil {
		t.Fatal(err)
	}
	// The pid noted at Begin is the backend's: otherwise Abandon would
	// terminate nothing, or another client's backend.
	if pid := s.(*session).pid; pid != backend {
		t.Errorf("session pid %d, the backend's %d", pid, backend)
	}
	done := make(chan error, 1)
	go func() {
		_, err := s.Write(ctx, up("2"))
		done <- err
	}()
	waiting := false
	for i := 0; i < 100 && !waiting; i++ {
		if err := d.DB.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock')`, backend).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		_, _ = d.DB.Exec(`SELECT pg_sleep(0.02)`)
	}
	if !waiting {
		t.Fatal("the session's backend never waited for the row lock")
	}
	cancel()
	<-done
	s.Abandon(context.Background())
	alive := true
	for i := 0; i < 50 && alive; i++ {
		if err := d.DB.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)`, backend).Scan(&alive); err != nil {
			t.Fatal(err)
		}
		_, _ = d.DB.Exec(`SELECT pg_sleep(0.02)`)
	}
	if alive {
		t.Error("the abandoned backend is still there, waiting for a lock and holding row 1's")
	}
	var n int
	if err := d.DB.QueryRow(`SELECT count(*) FROM app.t`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the abandoned transaction left %d rows (%v)", n, err)
	}
}

// begun is a session on db in its transaction; the test's end rolls it
// back and gives its connection back.
func begun(ctx context.Context, t *testing.T, db *sql.DB) target.Session {
	t.Helper()
	s, err := Target{}.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Rollback(); _ = s.Close() })
	if err := s.Begin(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestTerminateSparesAnotherProcessOfItsID: Abandon terminates only the
// process its session read. After a restart of the server, or a switch to
// another behind the same address, the same process id is another
// process, started at another time: here the session's record of its
// process's start is made another's, and its live backend must stay.
func TestTerminateSparesAnotherProcessOfItsID(t *testing.T) {
	d, db := sessionDB(t, `CREATE TABLE app.t (id int PRIMARY KEY, v int)`)
	ctx := context.Background()
	s := begun(ctx, t, db).(*session)
	if s.pid == 0 || s.started == 0 || s.side == nil {
		t.Fatalf("the session read pid %d, start %d, connector aside %v", s.pid, s.started, s.side)
	}
	alive := func() bool {
		t.Helper()
		var ok bool
		if err := d.DB.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)`, s.pid).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	terminate := func() {
		t.Helper()
		c, err := d.DB.Conn(ctx) // a connection aside, as Abandon's
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := s.terminate(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	started := s.started
	s.started++
	terminate()
	time.Sleep(300 * time.Millisecond) // a terminated backend would be gone by now
	var one int
	if !alive() || s.tx.QueryRowContext(ctx, "SELECT 1").Scan(&one) != nil {
		t.Fatal("terminate ended a process started at another time than its session's")
	}
	s.started = started
	terminate()
	for end := time.Now().Add(2 * time.Second); alive(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("terminate left the session's own process")
		}
	}
}
