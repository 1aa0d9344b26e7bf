package spannerschema

import (
	"context"
	"fmt"
	"regexp"
	"sort"

	"cloud.google.com/go/spanner"
	"google.golang.org/grpc/codes"
)

// Missing is a Spanner instance or database that an error says does not
// exist.
type Missing struct {
	// Kind is "instance" or "database".
	Kind string
	// Name is its full resource name, as Spanner reported it.
	Name string
}

// notFound matches the NotFound descriptions of Cloud Spanner and of the
// emulator: "Instance not found: projects/p/instances/i" and
// "Database not found: projects/p/instances/i/databases/d".
var notFound = regexp.MustCompile(`(Instance|Database) not found: (projects/\S+)`)

// FindMissing reports the instance or database that err (or an error it
// wraps) says does not exist.
func FindMissing(err error) (Missing, bool) {
	if err == nil || spanner.ErrCode(err) != codes.NotFound {
		return Missing{}, false
	}
	m := notFound.FindStringSubmatch(spanner.ErrDesc(err))
	if m == nil {
		return Missing{}, false
	}
	kind := "instance"
	if m[1] == "Database" {
		kind = "database"
	}
	return Missing{Kind: kind, Name: m[2]}, true
}

// ChangeStreams lists the change streams of the database behind client,
// sorted by name.
func ChangeStreams(ctx context.Context, client *spanner.Client) ([]string, error) {
	var names []string
	// The column and table names read the same in both dialects.
	err := client.Single().Query(ctx, spanner.Statement{SQL: `SELECT change_stream_name FROM information_schema.change_streams`}).Do(func(r *spanner.Row) error {
		var n spanner.NullString
		if err := r.Columns(&n); err != nil {
			return err
		}
		names = append(names, n.StringVal)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the change streams: %w", err)
	}
	sort.Strings(names)
	return names, nil
}
