package main

import (
	"fmt"
	"sort"
	"time"

	"cloud.google.com/go/spanner"
	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	mysqltarget "github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/dml"
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"testing"


	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
)

func zzEnv(t *testing.T) (*env, context.Context) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip("scratch")
	}
	ctx := context.Background()
	emu, err := localenv.StartEmulator(ctx, "", "--enable_change_stream_churning=false")
	if err != nil {
		t.Fatal(err)
	}
	e, err := newEnv(ctx, emu)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.close(); emu.Stop() })
	return e, ctx
}

func zzProf(t *testing.T, name string) func() {
	p := os.Getenv("PROF")
	if p == "" {
		return func() {}
	}
	f, _ := os.Create(p + "." + name)
	pprof.StartCPUProfile(f)
	return func() { pprof.StopCPUProfile(); f.Close() }
}

func TestZZSource(t *testing.T) {
	e, ctx := zzEnv(t)
	const n = 20480
	e.sourceShadowThroughput(ctx, 256, n)
	e.rawCeiling(ctx, 256, n)
	var sr, ss float64
	for i := 0; i < 10; i++ {
		r, err := e.rawCeiling(ctx, 256, n)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			stop := zzProf(t, "src")
			defer stop()
		}
		s, err := e.sourceShadowThroughput(ctx, 256, n)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("raw %.0f source %.0f ratio %.3f", r, s, s/r)
		sr += r
		ss += s
	}
	t.Logf("TOTAL ratio %.3f", ss/sr)
}

func TestZZMeta(t *testing.T) {
	e, ctx := zzEnv(t)
	const n = 20480
	e.shadowCeiling(ctx, 256, n)
	e.writerThroughput(ctx, 256, n, true)
	var sc, sw float64
	for i := 0; i < 10; i++ {
		c, err := e.shadowCeiling(ctx, 256, n)
		if err != nil {
			t.Fatal(err)
		}
		w, _, err := e.writerThroughput(ctx, 256, n, true)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("ceiling %.0f writer %.0f ratio %.3f", c, w, w/c)
		sc += c
		sw += w
	}
	t.Logf("TOTAL ratio %.3f", sw/sc)
}

func TestZZGC(t *testing.T) {
	e, ctx := zzEnv(t)
	const n = 20480
	e.sourceShadowThroughput(ctx, 256, n)
	sum := map[int]float64{}
	for i := 0; i < 16; i++ {
		g := []int{100, 101}[i%2]
		debug.SetGCPercent(g)
		runtime.GC()
		s, err := e.sourceShadowThroughput(ctx, 256, n)
		if err != nil {
			t.Fatal(err)
		}
		sum[g] += s
	}
	debug.SetGCPercent(100)
	t.Logf("TOTAL gogc101/gogc100 %.3f (%.0f vs %.0f)", sum[101]/sum[100], sum[101]/8, sum[100]/8)
}

func TestZZServer(t *testing.T) {
	e, ctx := zzEnv(t)
	e.sourceShadowThroughput(ctx, 256, 512) // creates the shadow table
	const batches = 80
	mk := func(shadowStmt bool) ([]string, [][]any) {
		var qs []string
		var as [][]any
		for b := 0; b < batches; b++ {
			rows := make([][]any, 256)
			var q string
			var args []any
			if shadowStmt {
				cols := []string{target.ShadowKeyColumn, "Id", target.ShadowCommitTsColumn, target.ShadowSeqColumn, mysqltarget.LockCountColumn}
				for i := range rows {
					id := e.nextKey
					e.nextKey++
					k, _ := shadow.SourceKey(spanner.Key{id})
					rows[i] = []any{k.ID, k.Parts[0], int64(1700000000000000000) + id, int64(0), 0}
				}
				sort.Slice(rows, func(i, j int) bool { return string(rows[i][0].([]byte)) < string(rows[j][0].([]byte)) })
				st, err := dml.InsertShadowRows("shadow_Bench", target.ShadowKeyColumn, mysqltarget.LockCountColumn, cols, rows)
				if err != nil {
					t.Fatal(err)
				}
				q, args = st.SQL, st.Args
			} else {
				for i := range rows {
					id := e.nextKey
					e.nextKey++
					rows[i] = []any{id, fmt.Sprintf("name-%d", id), id * 3, float64(id) + 0.25, true, "x"}
				}
				st, err := dml.Upsert("Bench", []string{"Id", "Name", "Qty", "Price", "Active", "SentAt"}, []string{"Id"}, rows)
				if err != nil {
					t.Fatal(err)
				}
				q, args = st.SQL, st.Args
			}
			qs, as = append(qs, q), append(as, args)
		}
		return qs, as
	}
	run := func(qs []string, as [][]any) float64 {
		start := time.Now()
		for i := range qs {
			tx, err := e.check.BeginTx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, qs[i], as[i]...); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}
		return time.Since(start).Seconds() * 1000 / float64(len(qs))
	}
	var ss, sd float64
	for r := 0; r < 6; r++ {
		q1, a1 := mk(true)
		q2, a2 := mk(false)
		s, d := run(q1, a1), run(q2, a2)
		ss += s
		sd += d
		t.Logf("ms per batch: shadow insert %.3f, data upsert %.3f", s, d)
	}
	t.Logf("TOTAL shadow %.3f data %.3f", ss/6, sd/6)
}

// raw upserts through the template's pool, START TRANSACTION and COMMIT merged.
func (e *env) zzRawLazy(ctx context.Context, size, n int) (float64, error) {
	recs := e.records(n)
	var table string
	var cols, keys []string
	rows := make([][]any, n)
	for i, r := range recs {
		row, err := e.applier.Mapper.ToSource(r)
		if err != nil {
			return 0, err
		}
		table, cols, keys, rows[i] = row.Table, row.Columns, row.KeyColumns, row.Values
	}
	start := time.Now()
	for i := 0; i < n; i += size {
		q, args, err := e.upsert(table, cols, keys, rows[i:min(n, i+size)])
		if err != nil {
			return 0, err
		}
		tx, err := e.db.BeginTx(ctx, nil)
		if err != nil {
			return 0, err
		}
		if _, err := tx.ExecContext(target.CommitWith(ctx), q, args...); err != nil {
			tx.Rollback()
			return 0, err
		}
		if err := tx.Commit(); err != nil {
			return 0, err
		}
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

func TestZZRawLazy(t *testing.T) {
	e, ctx := zzEnv(t)
	const n = 20480
	e.rawCeiling(ctx, 256, n)
	e.zzRawLazy(ctx, 256, n)
	var a, b, s float64
	for i := 0; i < 8; i++ {
		r, err := e.rawCeiling(ctx, 256, n)
		if err != nil {
			t.Fatal(err)
		}
		l, err := e.zzRawLazy(ctx, 256, n)
		if err != nil {
			t.Fatal(err)
		}
		w, err := e.sourceShadowThroughput(ctx, 256, n)
		if err != nil {
			t.Fatal(err)
		}
		a, b, s = a+r, b+l, s+w
	}
	t.Logf("TOTAL raw %.0f, raw merged %.0f (x%.3f), source %.0f: ratio %.3f, against merged raw %.3f", a/8, b/8, b/a, s/8, s/a, s/b)
}
