//go:build wasip1

// Command wasmexample is an example custom shard fetcher module: it
// routes a change by the value of one column, modulo the number of shards.
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o shard_by_column.wasm ./io/plugin/examples/shardbycolumn
//
// (make wasm-example) and launch with shardingCustomJarPath=<that file>,
// shardingCustomClassName=shard_id and shardingCustomParameters such as
// {"column":"SingerId","shards":["shardA","shardB"],"skipTables":["Audit"]}.
// Integer values pick shards[value mod n]; other values are hashed (FNV-1a).
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"

	"github.com/revrepl/spanner-to-sourcedb/io/plugin/guest"
)

type params struct {
	Column     string   `json:"column"`
	Shards     []string `json:"shards"`
	SkipTables []string `json:"skipTables"`
	// SkipID is returned for skipped tables: skipDirectoryName.
	SkipID string `json:"skipId"`
}

var cfg params

func init() {
	guest.Init = func(p string) error {
		if err := json.Unmarshal([]byte(p), &cfg); err != nil {
			return fmt.Errorf("parameters %q are not {\"column\":..,\"shards\":[..]}: %w", p, err)
		}
		if cfg.Column == "" || len(cfg.Shards) == 0 {
			return errors.New("parameters need a column and at least one shard")
		}
		if cfg.SkipID == "" {
			cfg.SkipID = "skip"
		}
		return nil
	}
}

type request struct {
	TableName     string                     `json:"tableName"`
	SpannerRecord map[string]json.RawMessage `json:"spannerRecord"`
}

func shard(in []byte) ([]byte, error) {
	var req request
	if err := json.Unmarshal(in, &req); err != nil {
		return nil, err
	}
	for _, t := range cfg.SkipTables {
		if t == req.TableName {
			return json.Marshal(map[string]string{"logicalShardId": cfg.SkipID})
		}
	}
	raw, ok := req.SpannerRecord[cfg.Column]
	if !ok || bytes.Equal(raw, []byte("null")) {
		return nil, fmt.Errorf("table %s: no value for column %s", req.TableName, cfg.Column)
	}
	var n int64
	var i uint64
	if err := json.Unmarshal(raw, &n); err == nil {
		i = uint64(n % int64(len(cfg.Shards)))
		if n < 0 {
			i = uint64(-(n % int64(len(cfg.Shards))))
		}
	} else {
		h := fnv.New64a()
		h.Write(raw)
		i = h.Sum64() % uint64(len(cfg.Shards))
	}
	return json.Marshal(map[string]string{"logicalShardId": cfg.Shards[i]})
}

//go:wasmexport shard_id
func shardID(ptr, n uint32) uint64 { return guest.Serve(ptr, n, shard) }

// main is not run: a reactor module only runs its exports.
func main() {}
