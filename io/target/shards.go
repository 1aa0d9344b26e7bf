package target

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/secrets"
	"github.com/revrepl/spanner-to-sourcedb/pure/jsonerr"
)

// Shard is one database of the shard file (the Java template's format, for
// every kind of target).
type Shard struct {
	LogicalShardID       string `json:"logicalShardId"`
	Host                 string `json:"host"`
	Port                 Port   `json:"port"`
	User                 string `json:"user"`
	Password             string `json:"password,omitempty"`
	SecretManagerURI     string `json:"secretManagerUri,omitempty"`
	DBName               string `json:"dbName"`
	ConnectionProperties string `json:"connectionProperties,omitempty"`
	// Namespace is the PostgreSQL schema holding the shard's tables
	// (public when empty); other kinds of target have no use for it.
	Namespace string `json:"namespace,omitempty"`
	// TimeZone is the session time_zone of the connections, +HH:MM
	// (sourceDbTimezoneOffset); empty means +00:00. It is not part of the
	// shard file.
	TimeZone string `json:"-"`
	// DisabledAlgorithms is the disabledAlgorithms parameter, applied to
	// the shard's TLS connections (see ParseDisabledAlgorithms). It is not
	// part of the shard file.
	DisabledAlgorithms string `json:"-"`
}

// Port accepts the port as a JSON string (the Java template's form) or number.
type Port string

// UnmarshalJSON implements json.Unmarshaler. Anything else (true, {}) is
// kept as its JSON text, so that the shard check can name the shard whose
// port is wrong instead of failing the whole file.
func (p *Port) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*p = "" // the default port, as when the field is absent
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*p = Port(strings.TrimSpace(s))
		return nil
	}
	*p = Port(b)
	return nil
}

// SingleShardID names the only shard when the shard file leaves it empty.
const SingleShardID = "single_shard"

// ParseShards parses {"shardConfigs":[...]} or the older bare array, and
// checks every shard, for target t (its default port and connection
// properties), reporting all problems at once. It does no I/O: secrets are
// resolved by ResolvePasswords.
func ParseShards(data []byte, t Target) ([]Shard, error) {
	var shards []Shard
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 {
		return nil, errors.New(`the file is empty; expected {"shardConfigs":[{...}]}`)
	}
	var err error
	if trimmed[0] == '[' {
		err = json.Unmarshal(data, &shards)
	} else {
		var f struct {
			ShardConfigs *[]Shard `json:"shardConfigs"`
		}
		err = json.Unmarshal(data, &f)
		if err == nil && f.ShardConfigs == nil {
			return nil, errors.New(`the "shardConfigs" field is missing; expected {"shardConfigs":[{...}]}`)
		}
		if f.ShardConfigs != nil {
			shards = *f.ShardConfigs
		}
	}
	if err != nil {
		return nil, jsonerr.Describe(data, err, "shard file")
	}
	if len(shards) == 0 {
		return nil, errors.New(`no shards: "shardConfigs" must list at least one shard`)
	}
	var errs []error
	seen := map[string]int{}
	for i, s := range shards {
		name := shardName(i, s)
		if j, dup := seen[s.LogicalShardID]; dup && s.LogicalShardID != "" {
			errs = append(errs, fmt.Errorf("%s: duplicate logicalShardId, already used by shard %d", name, j))
		} else {
			seen[s.LogicalShardID] = i
		}
		if strings.Contains(s.LogicalShardID, "/") {
			// The shard id becomes part of DLQ and metric names.
			errs = append(errs, fmt.Errorf("%s: logicalShardId must not contain '/'", name))
		}
		if len(shards) > 1 && s.LogicalShardID == "" {
			errs = append(errs, fmt.Errorf("%s: logicalShardId is required when there are several shards", name))
		}
		if strings.TrimSpace(s.Host) == "" {
			errs = append(errs, fmt.Errorf("%s: host is missing", name))
		}
		if s.User == "" {
			errs = append(errs, fmt.Errorf("%s: user is missing", name))
		}
		if s.DBName == "" {
			errs = append(errs, fmt.Errorf("%s: dbName is missing", name))
		}
		if s.Port == "" {
			shards[i].Port = Port(t.DefaultPort())
		} else if n, err := strconv.Atoi(string(s.Port)); err != nil || n <= 0 || n > 65535 {
			errs = append(errs, fmt.Errorf("%s: port %q is not a number between 1 and 65535", name, s.Port))
		}
		switch {
		case s.SecretManagerURI != "":
			if _, err := secrets.VersionName(s.SecretManagerURI); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		case s.Password == "":
			// An empty password is legal in MySQL, but a shard file that
			// names neither is far more often a mistake (Java rejects it too).
			errs = append(errs, fmt.Errorf("%s: neither password nor secretManagerUri is set", name))
		}
		if err := t.ValidateShard(shards[i]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	sort.SliceStable(shards, func(i, j int) bool { return shards[i].LogicalShardID < shards[j].LogicalShardID })
	return shards, nil
}

func shardName(i int, s Shard) string {
	if s.LogicalShardID == "" {
		return fmt.Sprintf("shard %d", i)
	}
	return fmt.Sprintf("shard %d (logicalShardId %q)", i, s.LogicalShardID)
}

// ID is the shard's logical id, single_shard when the file leaves it empty
// (only allowed with one shard).
func (s Shard) ID() string {
	if s.LogicalShardID == "" {
		return SingleShardID
	}
	return s.LogicalShardID
}
