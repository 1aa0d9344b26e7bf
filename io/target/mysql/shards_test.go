package mysql_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/io/secrets/secrettest"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
)

const good = `{"host":"h","port":"3306","user":"u","password":"p","dbName":"d"`

func TestParseShardsErrors(t *testing.T) {
	tests := []struct {
		name, file string
		want       []string // substrings of the error
	}{
		{"empty", "  \n", []string{"the file is empty"}},
		{"not JSON", "{\n  \"shardConfigs\": [\n    {\"host\": }\n]}", []string{"not valid JSON at line 3, column 14:", "invalid character '}'"}},
		{"trailing garbage", `{"shardConfigs":[]} x`, []string{"not valid JSON at line 1"}},
		{"wrong type", `{"shardConfigs": {"host":"h"}}`, []string{"JSON object ending at line 1, column 18 where []target.Shard is expected (field shardConfigs): json: cannot unmarshal"}},
		{"no shardConfigs field", `{"shards":[` + good + `}]}`, []string{`the "shardConfigs" field is missing`}},
		{"no shards", `{"shardConfigs":[]}`, []string{"no shards"}},
		{"no shards bare array", `[]`, []string{"no shards"}},
		{"duplicate id", `{"shardConfigs":[{"logicalShardId":"a",` + good[1:] + `},{"logicalShardId":"a",` + good[1:] + `}]}`,
			[]string{`shard 1 (logicalShardId "a"): duplicate logicalShardId, already used by shard 0`}},
		{"missing host", `[{"logicalShardId":"a","user":"u","password":"p","dbName":"d"}]`, []string{`shard 0 (logicalShardId "a"): host is missing`}},
		{"missing user", `[{"host":"h","password":"p","dbName":"d"}]`, []string{"shard 0: user is missing"}},
		{"missing dbName", `[{"host":"h","user":"u","password":"p"}]`, []string{"shard 0: dbName is missing"}},
		{"port not a number", `[{"host":"h","port":"33o6","user":"u","password":"p","dbName":"d"}]`, []string{`shard 0: port "33o6" is not a number`}},
		{"port out of range", `[{"host":"h","port":70000,"user":"u","password":"p","dbName":"d"}]`, []string{`port "70000" is not a number between 1 and 65535`}},
		{"port boolean", `[{"host":"h","port":true,"user":"u","password":"p","dbName":"d"}]`, []string{`port "true" is not a number`}},
		{"slash in id", `[{"logicalShardId":"a/b",` + good[1:] + `}]`, []string{`logicalShardId "a/b"): logicalShardId must not contain '/'`}},
		{"id required with several", `[` + good + `},{"logicalShardId":"b",` + good[1:] + `}]`, []string{"shard 0: logicalShardId is required when there are several shards"}},
		{"no password", `[{"logicalShardId":"s1","host":"h","user":"u","dbName":"d"}]`, []string{`logicalShardId "s1"): neither password nor secretManagerUri is set`}},
		{"bad secret uri", `[{"host":"h","user":"u","dbName":"d","secretManagerUri":"projects/p/pw"}]`, []string{`shard 0: secretManagerUri "projects/p/pw" does not match`}},
		{"bad connection properties", `[{"host":"h","user":"u","password":"p","dbName":"d","connectionProperties":"tls"}]`, []string{`connectionProperties entry "tls" is not key=value`}},
		{"all problems at once", `[{"logicalShardId":"x"},{"logicalShardId":"y","host":"h","user":"u","password":"p","dbName":"d","port":"p"}]`,
			[]string{`"x"): host is missing`, `"x"): user is missing`, `"x"): dbName is missing`, `"x"): neither password`, `"y"): port "p"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mysql.ParseShards([]byte(tt.file))
			if err == nil {
				t.Fatalf("ParseShards(%s) succeeded, want an error", tt.file)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestParseShardsAccepts(t *testing.T) {
	tests := []struct {
		name, file string
		ids        []string
		port       mysql.Port
	}{
		{"object form, sorted by id", `{"shardConfigs":[{"logicalShardId":"b",` + good[1:] + `},{"logicalShardId":"a",` + good[1:] + `}]}`, []string{"a", "b"}, "3306"},
		{"bare array", `[` + good + `}]`, []string{""}, "3306"},
		{"numeric port, unknown fields ignored", `[{"host":"h","port":3307,"user":"u","password":"p","dbName":"d","namespace":"x"}]`, []string{""}, "3307"},
		{"null port", `[{"host":"h","port":null,"user":"u","password":"p","dbName":"d"}]`, []string{""}, "3306"},
		{"default port, secret only", `[{"host":"h","user":"u","dbName":"d","secretManagerUri":"projects/p/secrets/s"}]`, []string{""}, "3306"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shards, err := mysql.ParseShards([]byte(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, s := range shards {
				ids = append(ids, s.LogicalShardID)
			}
			if strings.Join(ids, ",") != strings.Join(tt.ids, ",") || shards[0].Port != tt.port {
				t.Errorf("ids %v port %s, want %v port %s", ids, shards[0].Port, tt.ids, tt.port)
			}
		})
	}
	if id := (mysql.Shard{}).ID(); id != mysql.SingleShardID {
		t.Errorf("empty logicalShardId = %q, want %q", id, mysql.SingleShardID)
	}
}

func TestReadShardFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"shardConfigs":[}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		want       []string
	}{
		{"missing file", filepath.Join(dir, "nope.json"), []string{"sourceShardsFilePath " + filepath.Join(dir, "nope.json"), "cannot read", "no such file"}},
		{"a directory", dir, []string{"sourceShardsFilePath " + dir, "cannot read"}},
		// The '}' that breaks it is the 18th character.
		{"bad content", bad, []string{"sourceShardsFilePath " + bad + ": not valid JSON at line 1, column 18"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mysql.ReadShardFile(context.Background(), tt.path)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

// mapAccessor is a Secret Manager double: payloads by version name.
type mapAccessor map[string]string

func (m mapAccessor) Access(_ context.Context, name string) ([]byte, error) {
	p, ok := m[name]
	if !ok {
		return nil, errors.New("not found")
	}
	return []byte(p), nil
}

func TestResolvePasswords(t *testing.T) {
	shards := []mysql.Shard{
		{LogicalShardID: "plain", Password: "p0"},
		{LogicalShardID: "latest", SecretManagerURI: "projects/p/secrets/a"},
		{LogicalShardID: "pinned", SecretManagerURI: "projects/p/secrets/a/versions/2"},
		{LogicalShardID: "missing", SecretManagerURI: "projects/p/secrets/b"},
		{LogicalShardID: "empty", SecretManagerURI: "projects/p/secrets/e"},
	}
	acc := mapAccessor{"projects/p/secrets/a/versions/latest": "p1", "projects/p/secrets/a/versions/2": "p2", "projects/p/secrets/e/versions/latest": ""}
	err := target.ResolvePasswords(context.Background(), shards, acc)
	for _, w := range []string{`shard "missing": password: not found`, `shard "empty": password: secret projects/p/secrets/e/versions/latest is empty`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v does not contain %q", err, w)
		}
	}
	for i, want := range []string{"p0", "p1", "p2"} {
		if shards[i].Password != want {
			t.Errorf("shard %s password %q, want %q", shards[i].LogicalShardID, shards[i].Password, want)
		}
	}
}

func TestLoadShardsReadsSecretManager(t *testing.T) {
	fake := secrettest.Start(t, map[string]string{"projects/p/secrets/pw/versions/latest": "from-secret"})
	path := filepath.Join(t.TempDir(), "shards.json")
	file := `{"shardConfigs":[{"logicalShardId":"s1","host":"h","user":"u","dbName":"d","secretManagerUri":"projects/p/secrets/pw"},
		{"logicalShardId":"s2","host":"h","user":"u","dbName":"d","password":"plain"}]}`
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	shards, err := mysql.LoadShards(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if shards[0].Password != "from-secret" || shards[1].Password != "plain" {
		t.Errorf("passwords %q, %q; want from-secret, plain", shards[0].Password, shards[1].Password)
	}
	if got := fake.Accessed(); len(got) != 1 || got[0] != "projects/p/secrets/pw/versions/latest" {
		t.Errorf("secrets accessed %v", got)
	}
}
