package pipeline

import (
	"context"
	"fmt"
	"strings"

	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/io/spannerschema"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// spannerTarget is one Spanner database the launch uses, with the
// parameters that name its instance and database.
type spannerTarget struct {
	role          string // "data", "metadata", "change stream metadata"
	project       string
	instance      string
	database      string
	instanceParam string
	databaseParam string
}

func dataTarget(cfg *params.Config) spannerTarget {
	return spannerTarget{"data", cfg.SpannerProjectID, cfg.InstanceID, cfg.DatabaseID, params.InstanceID, params.DatabaseID}
}

func metadataTarget(cfg *params.Config) spannerTarget {
	return spannerTarget{"metadata", cfg.SpannerProjectID, cfg.MetadataInstance, cfg.MetadataDatabase, params.MetadataInstance, params.MetadataDatabase}
}

func changeStreamMetadataTarget(cfg *params.Config) spannerTarget {
	param := params.MetadataDatabase
	if cfg.ChangeStreamMetadataDatabase != cfg.MetadataDatabase {
		param = params.ChangeStreamMetadataDatabase
	}
	return spannerTarget{"change stream metadata", cfg.SpannerProjectID, cfg.MetadataInstance, cfg.ChangeStreamMetadataDatabase, params.MetadataInstance, param}
}

// explain turns an error saying that the target's instance or database does
// not exist into one naming the parameter and the missing object; other
// errors come back unchanged.
func (t spannerTarget) explain(err error) error {
	m, ok := spannerschema.FindMissing(err)
	if !ok {
		return err
	}
	switch m.Kind {
	case "instance":
		return &missingError{
			msg: fmt.Sprintf("%s: Spanner instance %q does not exist in project %q (the %s database's instance; check %s and %s)",
				t.instanceParam, t.instance, t.project, t.role, t.instanceParam, params.SpannerProjectID),
			err: err,
		}
	default:
		return &missingError{
			msg: fmt.Sprintf("%s: Spanner database %q does not exist in instance %q of project %q (the %s database; create it, or check %s)",
				t.databaseParam, t.database, t.instance, t.project, t.role, t.databaseParam),
			err: err,
		}
	}
}

// missingError says which parameter names something that does not exist.
// It wraps the Spanner error but does not repeat it: its message says all.
type missingError struct {
	msg string
	err error
}

func (e *missingError) Error() string { return e.msg }
func (e *missingError) Unwrap() error { return e.err }

// checkStreamExists refuses a change stream that the data database does not
// have, naming the ones it has.
func checkStreamExists(ctx context.Context, client *spanner.Client, cfg *params.Config) error {
	names, err := spannerschema.ChangeStreams(ctx, client)
	if err != nil {
		return fmt.Errorf("%s: %w", dbPath(cfg.SpannerProjectID, cfg.InstanceID, cfg.DatabaseID), err)
	}
	for _, n := range names {
		// Unquoted names are case-insensitive.
		if strings.EqualFold(n, cfg.ChangeStreamName) {
			return nil
		}
	}
	has := "it has no change stream; create one with CREATE CHANGE STREAM"
	if len(names) > 0 {
		has = "it has: " + strings.Join(names, ", ")
	}
	return fmt.Errorf("%s: change stream %q does not exist in database %q of instance %q (%s)",
		params.ChangeStreamName, cfg.ChangeStreamName, cfg.DatabaseID, cfg.InstanceID, has)
}
