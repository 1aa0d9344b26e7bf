// Package mysql connects to the MySQL shards: the shard file, connection
// pools, the source schema from information_schema, and applying statements.
package mysql

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/gcs"   // gs:// shard files
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local" // local shard files
)

// Shard is one MySQL database of the shard file.
type Shard struct {
	LogicalShardID       string `json:"logicalShardId"`
	Host                 string `json:"host"`
	Port                 Port   `json:"port"`
	User                 string `json:"user"`
	Password             string `json:"password,omitempty"`
	SecretManagerURI     string `json:"secretManagerUri,omitempty"`
	DBName               string `json:"dbName"`
	ConnectionProperties string `json:"connectionProperties,omitempty"`
}

// Port accepts the port as a JSON string (the Java template's form) or number.
type Port string

// UnmarshalJSON implements json.Unmarshaler.
func (p *Port) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("port %s is neither a string nor a number", b)
		}
		s = n.String()
	}
	*p = Port(s)
	return nil
}

// SingleShardID names the only shard when the shard file leaves it empty.
const SingleShardID = "single_shard"

// ReadShardFile reads and parses the shard file at path (gs:// or local).
func ReadShardFile(ctx context.Context, path string) ([]Shard, error) {
	fs, err := filesystem.New(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("sourceShardsFilePath %s: %w", path, err)
	}
	defer fs.Close()
	r, err := fs.OpenRead(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("sourceShardsFilePath %s: cannot open: %w", path, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("sourceShardsFilePath %s: cannot read: %w", path, err)
	}
	shards, err := ParseShards(data)
	if err != nil {
		return nil, fmt.Errorf("sourceShardsFilePath %s: %w", path, err)
	}
	return shards, nil
}

// ParseShards parses {"shardConfigs":[...]} or the older bare array, and
// checks every shard, reporting all problems at once.
func ParseShards(data []byte) ([]Shard, error) {
	var shards []Shard
	trimmed := bytes.TrimSpace(data)
	var err error
	if len(trimmed) > 0 && trimmed[0] == '[' {
		err = json.Unmarshal(trimmed, &shards)
	} else {
		var f struct {
			ShardConfigs []Shard `json:"shardConfigs"`
		}
		err = json.Unmarshal(trimmed, &f)
		shards = f.ShardConfigs
	}
	if err != nil {
		return nil, fmt.Errorf("not valid JSON%s: %w", jsonPosition(data, err), err)
	}
	if len(shards) == 0 {
		return nil, errors.New(`no shards: expected {"shardConfigs":[{...}]} with at least one shard`)
	}
	var errs []error
	seen := map[string]bool{}
	for i, s := range shards {
		name := fmt.Sprintf("shard %d (logicalShardId %q)", i, s.LogicalShardID)
		if s.LogicalShardID != "" && seen[s.LogicalShardID] {
			errs = append(errs, fmt.Errorf("%s: duplicate logicalShardId", name))
		}
		seen[s.LogicalShardID] = true
		if strings.Contains(s.LogicalShardID, "/") {
			errs = append(errs, fmt.Errorf("%s: logicalShardId must not contain '/'", name))
		}
		if s.Host == "" {
			errs = append(errs, fmt.Errorf("%s: host is missing", name))
		}
		if s.User == "" {
			errs = append(errs, fmt.Errorf("%s: user is missing", name))
		}
		if s.DBName == "" {
			errs = append(errs, fmt.Errorf("%s: dbName is missing", name))
		}
		if s.Port == "" {
			shards[i].Port = "3306"
		} else if n, err := strconv.Atoi(string(s.Port)); err != nil || n <= 0 || n > 65535 {
			errs = append(errs, fmt.Errorf("%s: port %q is not a number between 1 and 65535", name, s.Port))
		}
		if s.Password == "" && s.SecretManagerURI == "" {
			// An empty password is legal in MySQL, but a shard file that
			// names neither is far more often a mistake.
			errs = append(errs, fmt.Errorf("%s: neither password nor secretManagerUri is set", name))
		}
		if s.SecretManagerURI != "" {
			errs = append(errs, fmt.Errorf("%s: secretManagerUri is not supported yet in this build; give password", name))
		}
	}
	if len(shards) > 1 {
		for i, s := range shards {
			if s.LogicalShardID == "" {
				errs = append(errs, fmt.Errorf("shard %d: logicalShardId is required when there are several shards", i))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.SliceStable(shards, func(i, j int) bool { return shards[i].LogicalShardID < shards[j].LogicalShardID })
	return shards, nil
}

// jsonPosition turns a syntax error offset into " at line L, column C".
func jsonPosition(data []byte, err error) string {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return ""
		}
		return lineCol(data, te.Offset)
	}
	return lineCol(data, se.Offset)
}

func lineCol(data []byte, off int64) string {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf(" at line %d, column %d", line, col)
}
