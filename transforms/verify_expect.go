package transforms

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/record"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/transformation"
	"github.com/revrepl/spanner-to-sourcedb/pure/verify"
)

// Expected is a Spanner row as the writer would write it: its key, its
// canonical values, and what it came from (for a recheck or a repair).
type Expected struct {
	SpannerTable string
	KeysJSON     string
	ValuesJSON   string
	Columns      []string
	Values       []verify.Value
	// Filtered: the custom transformation drops the row; it is not
	// compared.
	Filtered bool
}

// Row is the expected row in canonical form.
func (e Expected) Row() verify.Row { return verify.Row{Columns: e.Columns, Values: e.Values} }

// expecter maps Spanner rows exactly as the regular job's stages do:
// shard assignment (AssignShard), the custom transformation and the
// mapping (the writer), then the target's canonical form.
type expecter struct {
	cfg       VerifyConfig
	mapper    *mapping.Mapper
	router    *routing.Router
	transform transformation.Transformer
	scanner   target.Scanner
	closers   []func()
	// spannerOf lists, per source table (lower case), the Spanner tables
	// written to it.
	spannerOf map[string][]string
}

func newExpecter(ctx context.Context, cfg VerifyConfig) (*expecter, error) {
	t, err := Target(cfg.Target)
	if err != nil {
		return nil, err
	}
	tz, err := parseOffset(cfg.TimezoneOffset)
	if err != nil {
		return nil, err
	}
	e := &expecter{cfg: cfg, scanner: t.Scanner(), spannerOf: map[string][]string{},
		mapper: &mapping.Mapper{Spanner: cfg.Spanner, Source: cfg.Source, Names: cfg.Names, TZ: tz, Values: t.Values()}}
	for name := range cfg.Spanner.Tables {
		if src, ok := e.mapper.SourceTable(name); ok {
			l := strings.ToLower(src)
			e.spannerOf[l] = append(e.spannerOf[l], name)
		}
	}
	if cfg.Single == "" {
		e.router = &routing.Router{Shards: map[string]bool{}, SkipDir: cfg.SkipDir, Tables: cfg.Tables}
		for _, s := range cfg.Shards {
			e.router.Shards[s] = true
		}
		if cfg.Custom.IsSet() {
			f, closer, err := NewShardFetcher(ctx, cfg.Custom)
			if err != nil {
				return nil, err
			}
			e.router.Fetcher = f
			e.closers = append(e.closers, closer)
		}
	}
	if cfg.Transformation.IsSet() {
		tr, closer, err := NewTransformer(ctx, cfg.Transformation)
		if err != nil {
			e.close()
			return nil, err
		}
		e.transform = tr
		e.closers = append(e.closers, closer)
	}
	return e, nil
}

func (e *expecter) close() {
	for _, c := range e.closers {
		c()
	}
	e.closers = nil
}

// expect maps one Spanner row. kind is "" for a row to compare, or
// verify.SkippedRows or verify.Unmappable (with err saying why); a
// filtered row comes back with Filtered set and its key, or, when the
// plain mapping finds no key, as kind verify.Filtered with its shard.
func (e *expecter) expect(ctx context.Context, spannerTable, keysJSON, valuesJSON string) (verify.Key, Expected, string, error) {
	r := record.Record{
		TableName: spannerTable, ModType: record.ModInsert, RecordSequence: "0",
		CommitTimestamp: record.FromTime(e.cfg.At),
		Mod:             record.ModJSON{KeysJSON: keysJSON, NewValuesJSON: valuesJSON},
	}
	exp := Expected{SpannerTable: spannerTable, KeysJSON: keysJSON, ValuesJSON: valuesJSON}
	v, err := r.Mod.Decode()
	if err != nil {
		return verify.Key{}, exp, verify.Unmappable, err
	}
	shard := e.cfg.Single
	if e.router != nil {
		t := e.cfg.Spanner.Tables[spannerTable]
		rec, err := routing.SpannerRecord(t, v)
		if err == nil {
			shard, err = e.router.Route(ctx, routing.Request{TableName: spannerTable, SpannerRecord: rec})
		}
		switch {
		case errors.Is(err, routing.ErrSkip):
			return verify.Key{}, exp, verify.SkippedRows, err
		case err != nil:
			return verify.Key{}, exp, verify.Unmappable, err
		}
	}
	r.Shard = shard
	var row mapping.Row
	if e.transform != nil {
		resp, terr := transformation.Apply(ctx, e.transform, r, v)
		switch {
		case terr != nil:
			return verify.Key{}, exp, verify.Unmappable, terr
		case resp.IsEventFiltered:
			exp.Filtered = true
			row, err = e.mapper.ToSourceWith(r, v, nil)
			if err != nil {
				// No key to join by: counted, never compared (a join key
				// of the shard alone would gather every such row).
				return verify.Key{Shard: shard}, exp, verify.Filtered, nil
			}
		default:
			row, err = e.mapper.ToSourceWith(r, v, resp.ResponseRow)
		}
	} else {
		row, err = e.mapper.ToSourceWith(r, v, nil)
	}
	if err != nil {
		return verify.Key{}, exp, verify.Unmappable, err
	}
	src, ok := e.sourceTable(row.Table)
	if !ok {
		return verify.Key{}, exp, verify.Unmappable, fmt.Errorf("source table %s is not in the schema read at launch", row.Table)
	}
	key := verify.Key{Shard: shard, Table: src.Name}
	for i, c := range row.KeyColumns {
		v, err := e.canonical(src.Name, c, row.KeyValues[i])
		if err != nil {
			return verify.Key{}, exp, verify.Unmappable, err
		}
		key.PK = append(key.PK, v)
	}
	if exp.Filtered {
		return key, exp, "", nil
	}
	for i, c := range row.Columns {
		v, err := e.canonical(src.Name, c, row.Values[i])
		if err != nil {
			return verify.Key{}, exp, verify.Unmappable, err
		}
		exp.Columns = append(exp.Columns, c)
		exp.Values = append(exp.Values, v)
	}
	return key, exp, "", nil
}

func (e *expecter) canonical(table, column string, v any) (verify.Value, error) {
	t, _ := e.sourceTable(table)
	c, ok := t.Column(column)
	if !ok {
		return verify.Value{}, fmt.Errorf("source table %s has no column %s", table, column)
	}
	return e.scanner.Canonical(c, v)
}

// sourceTable finds a source table by name, case-insensitively when the
// case differs (as the mapping does).
func (e *expecter) sourceTable(name string) (schema.SourceTable, bool) {
	if t, ok := e.cfg.Source.Tables[name]; ok {
		return t, true
	}
	for n, t := range e.cfg.Source.Tables {
		if strings.EqualFold(n, name) {
			return t, true
		}
	}
	return schema.SourceTable{}, false
}

// spannerKey finds the Spanner table and keys of a target row (one that
// Spanner may lack), from its primary key alone; ok is false when no
// Spanner table of that source table has a key the target's key
// determines, exact is false for a key that may be another than the
// row's (verify.SpannerKeysJSON): good to look up, not to delete by.
func (e *expecter) spannerKey(k verify.Key, got verify.Row) (table, keys string, ok, exact bool) {
	for _, sp := range e.spannerOf[strings.ToLower(k.Table)] {
		srcs, found := e.mapper.KeySources(sp)
		if !found {
			continue
		}
		parts := make([]verify.KeyPart, len(srcs))
		for i, s := range srcs {
			v, found := got.Get(s.Source)
			if !found {
				return "", "", false, false
			}
			parts[i] = verify.KeyPart{Column: s.Spanner, SpannerType: s.SpannerType, Value: v}
		}
		keys, exact, err := verify.SpannerKeysJSON(parts, e.mapper.TZ)
		if err == nil {
			return sp, keys, true, exact
		}
	}
	return "", "", false, false
}
