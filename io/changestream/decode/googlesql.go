package decode

import (
	"fmt"
	"strconv"
	"time"

	"cloud.google.com/go/spanner/apiv1/spannerpb"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// GoogleSQL decodes the ChangeRecord column of READ_<stream> in a GoogleSQL
// database straight from the wire values, without the client's reflective
// struct decoding (several times slower) or a JSON round trip: JSON fields
// are handed on as the text Spanner sent, which is already normalised.
//
// A GoogleSQL value is not safe for concurrent use; use one per query.
type GoogleSQL struct {
	typ *spannerpb.Type
	l   *layout
}

// Decode appends the items of one row, whose ChangeRecord column has type
// typ and value v, to out. token is the partition the row came from.
func (d *GoogleSQL) Decode(typ *spannerpb.Type, v *structpb.Value, token string, out []Item) ([]Item, error) {
	if typ != d.typ {
		l, err := newLayout(typ)
		if err != nil {
			return out, err
		}
		d.typ, d.l = typ, l
	}
	l := d.l
	r := &reader{}
	for _, cr := range r.list(v, "ChangeRecord") {
		fields := r.list(cr, "ChangeRecord element")
		for _, dv := range r.list(at(fields, l.data), "data_change_record") {
			if dcr := r.data(l, r.list(dv, "data_change_record"), token); dcr != nil {
				out = append(out, Item{Data: dcr})
			}
		}
		for _, hv := range r.list(at(fields, l.heartbeat), "heartbeat_record") {
			hb := r.list(hv, "heartbeat_record")
			// Spanner fills one of the three arrays; defensively skip
			// entries whose key timestamp is NULL, as Beam Java does.
			if ts, ok := r.timestamp(at(hb, l.hbTimestamp), "heartbeat_record.timestamp"); ok {
				out = append(out, Item{Heartbeat: ts})
			}
		}
		for _, cv := range r.list(at(fields, l.children), "child_partitions_record") {
			if it, ok := r.childRecord(l, r.list(cv, "child_partitions_record")); ok {
				out = append(out, it)
			}
		}
		if r.err != nil {
			return out, r.err
		}
	}
	return out, r.err
}

func (r *reader) data(l *layout, f []*structpb.Value, token string) *record.DataChangeRecord {
	ts, ok := r.timestamp(at(f, l.commitTS), "commit_timestamp")
	if !ok {
		return nil
	}
	d := &record.DataChangeRecord{
		PartitionToken:                       token,
		CommitTimestamp:                      record.FromTime(ts),
		RecordSequence:                       r.str(at(f, l.seq), "record_sequence"),
		ServerTransactionID:                  r.str(at(f, l.txnID), "server_transaction_id"),
		IsLastRecordInTransactionInPartition: r.boolean(at(f, l.isLast), "is_last_record_in_transaction_in_partition"),
		TableName:                            r.str(at(f, l.table), "table_name"),
		ModType:                              r.str(at(f, l.modType), "mod_type"),
		ValueCaptureType:                     r.str(at(f, l.captureType), "value_capture_type"),
		NumberOfRecordsInTransaction:         r.int64(at(f, l.numRecords), "number_of_records_in_transaction"),
		NumberOfPartitionsInTransaction:      r.int64(at(f, l.numPartitions), "number_of_partitions_in_transaction"),
		TransactionTag:                       r.str(at(f, l.tag), "transaction_tag"),
		IsSystemTransaction:                  r.boolean(at(f, l.isSystem), "is_system_transaction"),
	}
	if cols := r.list(at(f, l.columnTypes), "column_types"); len(cols) > 0 {
		d.ColumnTypes = make([]record.ColumnType, 0, len(cols))
		for _, cv := range cols {
			c := r.list(cv, "column_types element")
			if c == nil {
				continue
			}
			d.ColumnTypes = append(d.ColumnTypes, record.ColumnType{
				Name:            r.str(at(c, l.colName), "column_types.name"),
				TypeJSON:        r.json(at(c, l.colType), "column_types.type"),
				IsPrimaryKey:    r.boolean(at(c, l.colPK), "column_types.is_primary_key"),
				OrdinalPosition: r.int64(at(c, l.colPosition), "column_types.ordinal_position"),
			})
		}
	}
	if mods := r.list(at(f, l.mods), "mods"); len(mods) > 0 {
		d.Mods = make([]record.ModJSON, 0, len(mods))
		for _, mv := range mods {
			m := r.list(mv, "mods element")
			if m == nil {
				continue
			}
			d.Mods = append(d.Mods, record.ModJSON{
				KeysJSON:      r.json(at(m, l.modKeys), "mods.keys"),
				NewValuesJSON: r.json(at(m, l.modNew), "mods.new_values"),
				OldValuesJSON: r.json(at(m, l.modOld), "mods.old_values"),
			})
		}
	}
	if r.err != nil {
		r.err = fmt.Errorf("data change record of table %q at %s: %w", d.TableName, ts.Format(time.RFC3339Nano), r.err)
		return nil
	}
	return d
}

func (r *reader) childRecord(l *layout, f []*structpb.Value) (Item, bool) {
	ts, ok := r.timestamp(at(f, l.childStart), "child_partitions_record.start_timestamp")
	if !ok {
		return Item{}, false
	}
	it := Item{ChildrenStart: ts}
	for _, pv := range r.list(at(f, l.childList), "child_partitions") {
		p := r.list(pv, "child_partitions element")
		tok := at(p, l.childToken)
		if isNull(tok) {
			continue
		}
		c := ChildPartition{Token: r.str(tok, "child_partitions.token")}
		for _, pt := range r.list(at(p, l.childParents), "parent_partition_tokens") {
			if s, ok := pt.GetKind().(*structpb.Value_StringValue); ok {
				c.Parents = append(c.Parents, s.StringValue)
			}
		}
		it.Children = append(it.Children, c)
	}
	return it, len(it.Children) > 0
}

func at(fields []*structpb.Value, i int) *structpb.Value {
	if i < 0 || i >= len(fields) {
		return nil
	}
	return fields[i]
}

// reader converts wire values and keeps the first error, so that field
// after field can be read without an error check each.
type reader struct {
	err error
}

func (r *reader) fail(field string, v *structpb.Value, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("%s: want %s, got %T", field, want, v.GetKind())
	}
}

// isNull reports a missing field or a NULL value.
func isNull(v *structpb.Value) bool {
	if v == nil {
		return true
	}
	_, null := v.GetKind().(*structpb.Value_NullValue)
	return null
}

// list reads an ARRAY or STRUCT value; NULL gives nil.
func (r *reader) list(v *structpb.Value, field string) []*structpb.Value {
	if isNull(v) {
		return nil
	}
	if l, ok := v.GetKind().(*structpb.Value_ListValue); ok {
		return l.ListValue.GetValues()
	}
	r.fail(field, v, "a list")
	return nil
}

func (r *reader) str(v *structpb.Value, field string) string {
	if isNull(v) {
		return ""
	}
	if s, ok := v.GetKind().(*structpb.Value_StringValue); ok {
		return s.StringValue
	}
	r.fail(field, v, "a string")
	return ""
}

// json reads a JSON value, which travels as its text; NULL reads as {} so
// that consumers always get an object.
func (r *reader) json(v *structpb.Value, field string) string {
	if isNull(v) {
		return "{}"
	}
	return r.str(v, field)
}

func (r *reader) boolean(v *structpb.Value, field string) bool {
	if isNull(v) {
		return false
	}
	if b, ok := v.GetKind().(*structpb.Value_BoolValue); ok {
		return b.BoolValue
	}
	r.fail(field, v, "a bool")
	return false
}

// int64 reads an INT64, which travels as a decimal string.
func (r *reader) int64(v *structpb.Value, field string) int64 {
	s := r.str(v, field)
	if s == "" {
		return 0
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil && r.err == nil {
		r.err = fmt.Errorf("%s: %w", field, err)
	}
	return n
}

// timestamp reads a TIMESTAMP (RFC 3339 text, nanoseconds kept); ok is
// false for NULL or a bad value.
func (r *reader) timestamp(v *structpb.Value, field string) (time.Time, bool) {
	s := r.str(v, field)
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		if r.err == nil {
			r.err = fmt.Errorf("%s: %w", field, err)
		}
		return time.Time{}, false
	}
	return t.UTC(), true
}
