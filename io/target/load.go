package target

import (
	"context"
	"errors"
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/io/files"
	"github.com/revrepl/spanner-to-sourcedb/io/secrets"
)

// ReadShardFile reads and parses the shard file at path (gs:// or local)
// for target t, through io/files and its size cap.
func ReadShardFile(ctx context.Context, path string, t Target) ([]Shard, error) {
	data, err := files.Read(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("sourceShardsFilePath %w", err) // files' errors start with the path
	}
	shards, err := ParseShards(data, t)
	if err != nil {
		return nil, fmt.Errorf("sourceShardsFilePath %s: %w", path, err)
	}
	return shards, nil
}

// ResolvePasswords replaces each secretManagerUri by the secret's payload in
// Password, reporting every shard that fails at once.
func ResolvePasswords(ctx context.Context, shards []Shard, a secrets.Accessor) error {
	var errs []error
	for i := range shards {
		s := &shards[i]
		if s.SecretManagerURI == "" {
			continue
		}
		name, err := secrets.VersionName(s.SecretManagerURI)
		if err == nil {
			var p []byte
			if p, err = a.Access(ctx, name); err == nil && len(p) == 0 {
				err = fmt.Errorf("secret %s is empty", name)
			}
			s.Password = string(p)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("shard %q: password: %w", s.ID(), err))
		}
	}
	return errors.Join(errs...)
}

// LoadShards reads the shard file and resolves its secrets, connecting to
// Secret Manager only when a shard names a secret.
func LoadShards(ctx context.Context, path string, t Target) ([]Shard, error) {
	shards, err := ReadShardFile(ctx, path, t)
	if err != nil {
		return nil, err
	}
	needed := false
	for _, s := range shards {
		needed = needed || s.SecretManagerURI != ""
	}
	if !needed {
		return shards, nil
	}
	c, err := secrets.NewClient(ctx)
	if err != nil {
		return nil, fmt.Errorf("sourceShardsFilePath %s: %w", path, err)
	}
	defer c.Close()
	if err := ResolvePasswords(ctx, shards, c); err != nil {
		return nil, fmt.Errorf("sourceShardsFilePath %s: %w", path, err)
	}
	return shards, nil
}
