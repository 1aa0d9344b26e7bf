package convert_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/testenv"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// precisionInstants are the instants of TestPostgreSQLRoundsAsServer: half
// cases at each precision, microsecond halves (PostgreSQL rounds those half
// to even on a double), carries into the next second, minute, day and
// year, both sides of PostgreSQL's epoch (2000-01-01, where halves turn
// the other way), and Spanner's extremes.
var precisionInstants = []string{
	"2024-01-02T03:04:05.5Z",
	"2024-01-02T03:04:05.05Z",
	"2024-01-02T03:04:05.005Z",
	"2024-01-02T03:04:05.0005Z",
	"2024-01-02T03:04:05.00005Z",
	"2024-01-02T03:04:05.4999995Z",
	"2024-01-02T03:04:05.4999994999Z",
	"2024-01-02T03:04:05.0000005Z",
	"2024-01-02T03:04:05.0000015Z",
	"2024-01-02T03:04:05.0000025Z",
	"2024-01-02T03:04:05.1234565Z",
	"2024-01-02T03:04:05.123456789Z",
	"2024-01-02T03:04:59.9999995Z",
	"2024-01-02T03:59:59.95Z",
	"2024-12-31T23:59:59.995Z",
	"2024-12-31T23:59:59.999999999Z",
	"1999-12-31T23:59:59.5Z",
	"1999-12-31T23:59:59.995Z",
	"1999-12-31T23:59:59.985Z",
	"1999-12-31T23:59:59.9999995Z",
	"1999-12-31T20:00:00.5Z", // UTC before the epoch, +05:30 wall clock after it
	"2000-01-01T00:00:00.5Z",
	"2000-01-01T00:00:00.0000005Z",
	"1969-07-20T20:17:40.25Z",
	"0001-01-01T00:00:00.5Z",
	"9999-12-31T23:59:59.999999999Z",
}

// TestPostgreSQLRoundsAsServer checks, value by value against the server,
// that what Value binds for a timestamp(p), timestamptz(p) or time(p)
// column is what PostgreSQL stores for the full-precision value, and that
// it compares equal to the stored value once parsed at the parameter's full
// precision: what a DELETE's "k" = $1 needs.
func TestPostgreSQLRoundsAsServer(t *testing.T) {
	d := testenv.PostgreSQL(t)
	db := writerPool(t, d)
	if _, err := db.Exec(`SET TimeZone = 'UTC'`); err != nil {
		t.Fatal(err)
	}
	tz := time.FixedZone("+05:30", 5*3600+1800)
	typ, err := spannertype.Parse("TIMESTAMP")
	if err != nil {
		t.Fatal(err)
	}
	instants := append([]string(nil), precisionInstants...)
	// Random fractions near the half of some digit, in a fixed sequence.
	r := rand.New(rand.NewPCG(15, 6))
	for range 300 {
		sec := time.Unix(r.Int64N(400*365*86400)-200*365*86400+946684800, 0).UTC()
		digit := r.IntN(9)
		ns := r.IntN(1_000_000_000)
		unit := 1
		for range 9 - digit - 1 {
			unit *= 10
		}
		ns = ns/(unit*10)*(unit*10) + unit*5 + r.IntN(3) - 1
		if ns < 0 || ns >= 1_000_000_000 {
			ns = 500_000_000
		}
		instants = append(instants, sec.Add(time.Duration(ns)).Format(time.RFC3339Nano))
	}
	types := []struct{ dataType, base, withP string }{
		{"timestamp", "timestamp without time zone", "timestamp(%d) without time zone"},
		{"timestamptz", "timestamp with time zone", "timestamp(%d) with time zone"},
		{"time", "time without time zone", "time(%d) without time zone"},
	}
	for _, ty := range types {
		for p := range 7 {
			colType := fmt.Sprintf(ty.withP, p)
			col := schema.SourceColumn{Name: "k", DataType: ty.dataType, ColumnType: colType}
			full := schema.SourceColumn{Name: "k", DataType: ty.dataType, ColumnType: ty.base}
			for _, in := range instants {
				raw := json.RawMessage(`"` + in + `"`)
				bound, err := convert.Value(typ, raw, col, tz)
				if err != nil {
					t.Fatalf("%s %s: %v", colType, in, err)
				}
				unrounded, err := convert.Value(typ, raw, full, tz)
				if err != nil {
					t.Fatalf("%s %s: %v", ty.base, in, err)
				}
				var stored, boundText string
				var equal bool
				q := fmt.Sprintf(`SELECT $1::%[1]s::text, $2::%[2]s::text, $1::%[1]s = $2::%[2]s`, colType, ty.base)
				if err := db.QueryRow(q, unrounded, bound).Scan(&stored, &boundText, &equal); err != nil {
					t.Fatalf("%s %s: %v", colType, in, err)
				}
				if stored != boundText || !equal {
					t.Errorf("%s %s: the server stores %s, the writer binds %v (read at full precision: %s)", colType, in, stored, bound, boundText)
				}
			}
		}
	}
}
