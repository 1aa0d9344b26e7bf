package spannerschema

import (
	"fmt"
	"testing"

	"cloud.google.com/go/spanner"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestFindMissing(t *testing.T) {
	spannerErr := func(c codes.Code, msg string) error {
		return fmt.Errorf("reading the schema: %w", spanner.ToSpannerError(status.Error(c, msg)))
	}
	tests := []struct {
		name string
		err  error
		want Missing
		ok   bool
	}{
		{"instance", spannerErr(codes.NotFound, "Instance not found: projects/p/instances/i"),
			Missing{Kind: "instance", Name: "projects/p/instances/i"}, true},
		{"database", spannerErr(codes.NotFound, "Database not found: projects/p/instances/i/databases/d"),
			Missing{Kind: "database", Name: "projects/p/instances/i/databases/d"}, true},
		{"other NotFound", spannerErr(codes.NotFound, "Session not found: projects/p/instances/i/databases/d/sessions/s"), Missing{}, false},
		{"not NotFound", spannerErr(codes.PermissionDenied, "Database not found: projects/p/instances/i/databases/d"), Missing{}, false},
		{"nil", nil, Missing{}, false},
	}
	for _, tc := range tests {
		got, ok := FindMissing(tc.err)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: FindMissing = %+v, %v; want %+v, %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
