package pipeline

import (
	"context"
	"fmt"
	"sort"

	"github.com/revrepl/spanner-to-sourcedb/io/files"
	"github.com/revrepl/spanner-to-sourcedb/io/logs"
	"github.com/revrepl/spanner-to-sourcedb/io/plugin"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/overrides"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/session"
	"github.com/revrepl/spanner-to-sourcedb/transforms"
)

// recordProcessing is what the launch decides about turning changes into
// source rows: the name mapping, what routing needs to know of it, and the
// custom transformation.
type recordProcessing struct {
	names          mapping.Names
	tables         routing.StaticTables
	transformation plugin.Spec
	// warnings say what will not replicate as the schemas stand.
	warnings []string
	// written lists the source tables the job writes to, sorted: the
	// tables whose privileges the launch checks.
	written []string
}

// prepareRecordProcessing reads the name mapping (session file, overrides
// or identity), checks it against both schemas, and starts the custom
// transformation once so that a broken one fails the launch.
func prepareRecordProcessing(ctx context.Context, cfg *params.Config, sp schema.Spanner, src schema.Source, values mapping.Values) (recordProcessing, error) {
	names, err := readNames(ctx, cfg)
	if err != nil {
		return recordProcessing{}, err
	}
	if err := mapping.CheckNames(names, sp); err != nil {
		return recordProcessing{}, withMappingParam(cfg, err)
	}
	m := &mapping.Mapper{Spanner: sp, Source: src, Names: names, Values: values}
	if err := m.CheckDeletes(); err != nil {
		return recordProcessing{}, fmt.Errorf("deletes cannot be replicated: %w", err)
	}
	rp := recordProcessing{
		names:    names,
		tables:   routing.StaticTables{ShardIDColumns: map[string]string{}, SourceTables: map[string]bool{}},
		warnings: m.Warnings(),
		transformation: plugin.Spec{
			ModulePath: cfg.TransformationJarPath, Name: cfg.TransformationClassName, Params: cfg.TransformationCustomParameters,
		},
	}
	for t := range sp.Tables {
		if st, ok := m.SourceTable(t); ok {
			rp.tables.SourceTables[t] = true
			rp.written = append(rp.written, st)
		}
		if c, ok := m.ShardIDColumn(t); ok {
			rp.tables.ShardIDColumns[t] = c
		}
	}
	sort.Strings(rp.written)
	if rp.transformation.IsSet() {
		_, closer, err := transforms.NewTransformer(ctx, rp.transformation)
		if err != nil {
			return recordProcessing{}, err
		}
		closer()
	}
	for _, w := range rp.warnings {
		logs.Warn(ctx, "schema mapping warning", "detail", w)
	}
	return rp, nil
}

// withMappingParam names the parameter of the mapping file err is about;
// the mapping's own messages name only the file.
func withMappingParam(cfg *params.Config, err error) error {
	switch {
	case cfg.SessionFilePath != "":
		return fmt.Errorf("sessionFilePath: %w", err)
	case cfg.SchemaOverridesFilePath != "":
		return fmt.Errorf("schemaOverridesFilePath: %w", err)
	}
	return err
}

// readNames reads the one name mapping given; params.Parse already
// rejects more than one.
func readNames(ctx context.Context, cfg *params.Config) (mapping.Names, error) {
	switch {
	case cfg.SessionFilePath != "":
		data, err := files.Read(ctx, cfg.SessionFilePath)
		if err != nil {
			return mapping.Names{}, fmt.Errorf("sessionFilePath: %w", err)
		}
		n, err := session.Parse(data, cfg.SessionFilePath)
		if err != nil {
			return mapping.Names{}, fmt.Errorf("sessionFilePath %s: %w", cfg.SessionFilePath, err)
		}
		return n, nil
	case cfg.SchemaOverridesFilePath != "":
		data, err := files.Read(ctx, cfg.SchemaOverridesFilePath)
		if err != nil {
			return mapping.Names{}, fmt.Errorf("schemaOverridesFilePath: %w", err)
		}
		n, err := overrides.ParseFile(data, cfg.SchemaOverridesFilePath)
		if err != nil {
			return mapping.Names{}, fmt.Errorf("schemaOverridesFilePath %s: %w", cfg.SchemaOverridesFilePath, err)
		}
		return n, nil
	case cfg.TableOverrides != "" || cfg.ColumnOverrides != "":
		return overrides.ParseStrings(cfg.TableOverrides, cfg.ColumnOverrides)
	}
	return mapping.Names{}, nil
}
