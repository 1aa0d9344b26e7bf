package changestream

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"cloud.google.com/go/spanner"
	database "cloud.google.com/go/spanner/admin/database/apiv1"
	"cloud.google.com/go/spanner/admin/database/apiv1/databasepb"
	"google.golang.org/api/iterator"
)

// Partition states, as in Beam Java's metadata table so that operators who
// know that table can read ours.
const (
	StateCreated   = "CREATED"
	StateScheduled = "SCHEDULED"
	StateRunning   = "RUNNING"
	StateFinished  = "FINISHED"
)

// RootToken names the initial pseudo-partition, queried with a NULL token.
const RootToken = "Parent0"

// Unbounded is the end of a partition read with no endTimestamp.
const Unbounded = math.MaxInt64

// Partition is one change-stream partition to read. Times are Unix
// nanoseconds so they can be restriction offsets directly.
type Partition struct {
	Token           string
	Parents         []string
	Start           int64 // inclusive
	End             int64 // inclusive; Unbounded when reading forever
	HeartbeatMillis int64
}

// QueryToken is the partition token to send: NULL for the root.
func (p Partition) QueryToken() string {
	if p.Token == RootToken {
		return ""
	}
	return p.Token
}

// MetadataTable is the partition metadata table in Spanner. One row per
// partition records its lineage, state and read position, so a relaunch
// resumes where the last job stopped.
type MetadataTable struct {
	Client *spanner.Client
	Table  string
}

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]`)

// DefaultTableName derives a stable table name from the database and the
// stream. A stable name (not a random one) is what lets a relaunch find the
// state of the previous job.
func DefaultTableName(databaseID, stream string) string {
	n := nonIdent.ReplaceAllString("revrepl_metadata_"+databaseID+"_"+stream, "_")
	if len(n) > 128 {
		n = n[:128]
	}
	return n
}

// CreateMetadataTable creates the table in db (projects/p/instances/i/databases/d)
// when it does not exist.
func CreateMetadataTable(ctx context.Context, admin *database.DatabaseAdminClient, client *spanner.Client, db, table string) error {
	exists, err := tableExists(ctx, client, table)
	if err != nil {
		return fmt.Errorf("checking for partition metadata table %s: %w", table, err)
	}
	if exists {
		return nil
	}
	ddl := fmt.Sprintf("CREATE TABLE `%s` (\n"+
		"  PartitionToken STRING(MAX) NOT NULL,\n"+
		"  ParentTokens ARRAY<STRING(MAX)> NOT NULL,\n"+
		"  StartTimestamp TIMESTAMP NOT NULL,\n"+
		"  EndTimestamp TIMESTAMP NOT NULL,\n"+
		"  HeartbeatMillis INT64 NOT NULL,\n"+
		"  State STRING(MAX) NOT NULL,\n"+
		"  Watermark TIMESTAMP NOT NULL,\n"+
		"  CreatedAt TIMESTAMP NOT NULL OPTIONS (allow_commit_timestamp=true),\n"+
		"  ScheduledAt TIMESTAMP OPTIONS (allow_commit_timestamp=true),\n"+
		"  RunningAt TIMESTAMP OPTIONS (allow_commit_timestamp=true),\n"+
		"  FinishedAt TIMESTAMP OPTIONS (allow_commit_timestamp=true),\n"+
		") PRIMARY KEY (PartitionToken)", table)
	op, err := admin.UpdateDatabaseDdl(ctx, &databasepb.UpdateDatabaseDdlRequest{Database: db, Statements: []string{ddl}})
	if err != nil {
		return fmt.Errorf("creating partition metadata table %s: %w", table, err)
	}
	if err := op.Wait(ctx); err != nil {
		return fmt.Errorf("creating partition metadata table %s: %w", table, err)
	}
	return nil
}

func tableExists(ctx context.Context, client *spanner.Client, table string) (bool, error) {
	iter := client.Single().Query(ctx, spanner.Statement{
		SQL:    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '' AND table_name = @t",
		Params: map[string]any{"t": table},
	})
	defer iter.Stop()
	row, err := iter.Next()
	if err != nil {
		return false, err
	}
	var n int64
	if err := row.Column(0, &n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// Start inserts the root partition when the table is empty and reports
// whether an earlier job's state was found. Partitions that an earlier job
// had scheduled or was reading are handed back to scheduling: that job is
// gone, and they resume from their stored watermark.
func (m MetadataTable) Start(ctx context.Context, root Partition) (resumed bool, err error) {
	_, err = m.Client.ReadWriteTransaction(ctx, func(ctx context.Context, tx *spanner.ReadWriteTransaction) error {
		resumed = false
		iter := tx.Query(ctx, spanner.Statement{SQL: fmt.Sprintf(
			"SELECT PartitionToken, State FROM `%s` WHERE State != '%s'", m.Table, StateFinished)})
		var interrupted []string
		var found bool
		err := iter.Do(func(r *spanner.Row) error {
			found = true
			var tok, state string
			if err := r.Columns(&tok, &state); err != nil {
				return err
			}
			if state == StateScheduled || state == StateRunning {
				interrupted = append(interrupted, tok)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if !found {
			n, err := m.countAll(ctx, tx)
			if err != nil {
				return err
			}
			if n > 0 {
				// Every partition finished: the stream was read to its end.
				resumed = true
				return nil
			}
			return tx.BufferWrite([]*spanner.Mutation{m.insert(root)})
		}
		resumed = true
		var muts []*spanner.Mutation
		for _, tok := range interrupted {
			muts = append(muts, spanner.Update(m.Table, []string{"PartitionToken", "State"}, []any{tok, StateCreated}))
		}
		return tx.BufferWrite(muts)
	})
	if err != nil {
		return false, fmt.Errorf("initialising partition metadata table %s: %w", m.Table, err)
	}
	return resumed, nil
}

func (m MetadataTable) countAll(ctx context.Context, tx *spanner.ReadWriteTransaction) (int64, error) {
	iter := tx.Query(ctx, spanner.Statement{SQL: fmt.Sprintf("SELECT COUNT(*) FROM `%s`", m.Table)})
	defer iter.Stop()
	row, err := iter.Next()
	if err != nil {
		return 0, err
	}
	var n int64
	err = row.Column(0, &n)
	return n, err
}

func (m MetadataTable) insert(p Partition) *spanner.Mutation {
	parents := p.Parents
	if parents == nil {
		parents = []string{}
	}
	return spanner.Insert(m.Table,
		[]string{"PartitionToken", "ParentTokens", "StartTimestamp", "EndTimestamp", "HeartbeatMillis", "State", "Watermark", "CreatedAt"},
		[]any{p.Token, parents, nanosTime(p.Start), nanosTime(p.End), p.HeartbeatMillis, StateCreated, nanosTime(p.Start), spanner.CommitTimestamp})
}

// Snapshot is what scheduling needs to know about the table.
type Snapshot struct {
	// Ready are CREATED partitions whose parents have all finished.
	Ready []Partition
	// Unfinished counts partitions not yet FINISHED.
	Unfinished int
	// MinWatermark is the lowest watermark of the unfinished partitions.
	MinWatermark time.Time
}

// Scan reads the unfinished partitions.
func (m MetadataTable) Scan(ctx context.Context) (Snapshot, error) {
	iter := m.Client.Single().Query(ctx, spanner.Statement{SQL: fmt.Sprintf(
		"SELECT PartitionToken, ParentTokens, EndTimestamp, HeartbeatMillis, State, Watermark FROM `%s` WHERE State != '%s'",
		m.Table, StateFinished)})
	var s Snapshot
	unfinished := map[string]bool{}
	var created []Partition
	err := iter.Do(func(r *spanner.Row) error {
		var tok, state string
		var parents []string
		var end, wm time.Time
		var hb int64
		if err := r.Columns(&tok, &parents, &end, &hb, &state, &wm); err != nil {
			return err
		}
		unfinished[tok] = true
		s.Unfinished++
		if s.MinWatermark.IsZero() || wm.Before(s.MinWatermark) {
			s.MinWatermark = wm
		}
		if state == StateCreated {
			created = append(created, Partition{Token: tok, Parents: parents, Start: wm.UnixNano(), End: timeNanos(end), HeartbeatMillis: hb})
		}
		return nil
	})
	if err != nil {
		return Snapshot{}, fmt.Errorf("scanning partition metadata table %s: %w", m.Table, err)
	}
	for _, p := range created {
		ready := true
		for _, parent := range p.Parents {
			// A parent with no row is finished: finished rows may be purged.
			if unfinished[parent] {
				ready = false
				break
			}
		}
		if ready {
			s.Ready = append(s.Ready, p)
		}
	}
	return s, nil
}

// Schedule moves the given CREATED partitions to SCHEDULED and returns those
// it moved; a partition already moved by someone else is left out, so a
// partition is never handed to two readers.
func (m MetadataTable) Schedule(ctx context.Context, ps []Partition) ([]Partition, error) {
	var moved []Partition
	_, err := m.Client.ReadWriteTransaction(ctx, func(ctx context.Context, tx *spanner.ReadWriteTransaction) error {
		moved = moved[:0]
		keys := spanner.KeySets()
		byToken := map[string]Partition{}
		for _, p := range ps {
			keys = spanner.KeySets(keys, spanner.Key{p.Token})
			byToken[p.Token] = p
		}
		var muts []*spanner.Mutation
		err := tx.Read(ctx, m.Table, keys, []string{"PartitionToken", "State"}).Do(func(r *spanner.Row) error {
			var tok, state string
			if err := r.Columns(&tok, &state); err != nil {
				return err
			}
			if state != StateCreated {
				return nil
			}
			moved = append(moved, byToken[tok])
			muts = append(muts, spanner.Update(m.Table, []string{"PartitionToken", "State", "ScheduledAt"},
				[]any{tok, StateScheduled, spanner.CommitTimestamp}))
			return nil
		})
		if err != nil {
			return err
		}
		return tx.BufferWrite(muts)
	})
	if err != nil {
		return nil, fmt.Errorf("scheduling partitions in %s: %w", m.Table, err)
	}
	return moved, nil
}

// MarkRunning records that a reader has started the partition.
func (m MetadataTable) MarkRunning(ctx context.Context, token string) error {
	_, err := m.Client.Apply(ctx, []*spanner.Mutation{spanner.Update(m.Table,
		[]string{"PartitionToken", "State", "RunningAt"}, []any{token, StateRunning, spanner.CommitTimestamp})})
	if err != nil {
		return fmt.Errorf("marking partition %q running: %w", token, err)
	}
	return nil
}

// SetWatermark stores the position below which everything of the partition
// has been handed downstream.
func (m MetadataTable) SetWatermark(ctx context.Context, token string, wm time.Time) error {
	_, err := m.Client.Apply(ctx, []*spanner.Mutation{spanner.Update(m.Table,
		[]string{"PartitionToken", "Watermark"}, []any{token, wm})})
	if err != nil {
		return fmt.Errorf("storing watermark of partition %q: %w", token, err)
	}
	return nil
}

// Finish records the partition's children (each inserted once, however many
// parents report it: that is how merges are de-duplicated) and marks the
// partition FINISHED, in one transaction.
func (m MetadataTable) Finish(ctx context.Context, token string, children []Partition) error {
	_, err := m.Client.ReadWriteTransaction(ctx, func(ctx context.Context, tx *spanner.ReadWriteTransaction) error {
		var muts []*spanner.Mutation
		if len(children) > 0 {
			keys := spanner.KeySets()
			for _, c := range children {
				keys = spanner.KeySets(keys, spanner.Key{c.Token})
			}
			existing := map[string]bool{}
			err := tx.Read(ctx, m.Table, keys, []string{"PartitionToken"}).Do(func(r *spanner.Row) error {
				var tok string
				if err := r.Column(0, &tok); err != nil {
					return err
				}
				existing[tok] = true
				return nil
			})
			if err != nil {
				return err
			}
			for _, c := range children {
				if !existing[c.Token] {
					existing[c.Token] = true
					muts = append(muts, m.insert(c))
				}
			}
		}
		muts = append(muts, spanner.Update(m.Table, []string{"PartitionToken", "State", "FinishedAt"},
			[]any{token, StateFinished, spanner.CommitTimestamp}))
		return tx.BufferWrite(muts)
	})
	if err != nil {
		return fmt.Errorf("finishing partition %q: %w", token, err)
	}
	return nil
}

// ReadAll lists every row (for tests and diagnostics).
func (m MetadataTable) ReadAll(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	err := m.Client.Single().Read(ctx, m.Table, spanner.AllKeys(), []string{"PartitionToken", "State"}).Do(func(r *spanner.Row) error {
		var tok, state string
		if err := r.Columns(&tok, &state); err != nil {
			return err
		}
		out[tok] = state
		return nil
	})
	if err != nil && !errors.Is(err, iterator.Done) {
		return nil, err
	}
	return out, nil
}

var maxSpannerTime = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)

func nanosTime(n int64) time.Time {
	if n == Unbounded {
		return maxSpannerTime
	}
	return time.Unix(0, n).UTC()
}

func timeNanos(t time.Time) int64 {
	if !t.Before(time.Unix(0, Unbounded)) || strings.HasPrefix(t.Format(time.RFC3339), "9999-") {
		return Unbounded
	}
	return t.UnixNano()
}
