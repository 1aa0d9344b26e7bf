package decode

import (
	"fmt"

	"cloud.google.com/go/spanner/apiv1/spannerpb"
)

// layout says where each field the decoder needs sits in the row type:
// STRUCT values travel as lists in field order, so decoding by position is
// fast, and looking positions up by name once per query keeps the decoder
// lenient. An index is -1 when the field is missing (an older server, or a
// field renamed away); the decoder then leaves the value at its zero.
type layout struct {
	data, heartbeat, children int // fields of a ChangeRecord element

	// data_change_record
	commitTS, seq, txnID, isLast, table, columnTypes, mods, modType int
	captureType, numRecords, numPartitions, tag, isSystem           int
	// column_types elements
	colName, colType, colPK, colPosition int
	// mods elements
	modKeys, modNew, modOld int

	// heartbeat_record
	hbTimestamp int

	// child_partitions_record
	childStart, childList int
	// child_partitions elements
	childToken, childParents int
}

// newLayout reads the positions from the ChangeRecord column's type.
func newLayout(t *spannerpb.Type) (*layout, error) {
	if t.GetCode() == spannerpb.TypeCode_PROTO {
		return nil, fmt.Errorf("the change stream returns %s records: it was created with partition_mode MUTABLE_KEY_RANGE, which this reader does not support yet", t.GetProtoTypeFqn())
	}
	rec, err := structOfArray(t, "ChangeRecord")
	if err != nil {
		return nil, err
	}
	l := &layout{}
	var data, hb, ch *spannerpb.StructType
	if l.data, data, err = nested(rec, "data_change_record"); err != nil {
		return nil, err
	}
	if l.heartbeat, hb, err = nested(rec, "heartbeat_record"); err != nil {
		return nil, err
	}
	if l.children, ch, err = nested(rec, "child_partitions_record"); err != nil {
		return nil, err
	}

	l.commitTS = index(data, "commit_timestamp")
	l.seq = index(data, "record_sequence")
	l.txnID = index(data, "server_transaction_id")
	l.isLast = index(data, "is_last_record_in_transaction_in_partition")
	l.table = index(data, "table_name")
	l.modType = index(data, "mod_type")
	l.captureType = index(data, "value_capture_type")
	l.numRecords = index(data, "number_of_records_in_transaction")
	l.numPartitions = index(data, "number_of_partitions_in_transaction")
	l.tag = index(data, "transaction_tag")
	l.isSystem = index(data, "is_system_transaction")
	var cols, mods *spannerpb.StructType
	if l.columnTypes, cols, err = nested(data, "column_types"); err != nil {
		return nil, err
	}
	if l.mods, mods, err = nested(data, "mods"); err != nil {
		return nil, err
	}
	l.colName = index(cols, "name")
	l.colType = index(cols, "type")
	l.colPK = index(cols, "is_primary_key")
	l.colPosition = index(cols, "ordinal_position")
	l.modKeys = index(mods, "keys")
	l.modNew = index(mods, "new_values")
	l.modOld = index(mods, "old_values")

	l.hbTimestamp = index(hb, "timestamp")

	l.childStart = index(ch, "start_timestamp")
	var list *spannerpb.StructType
	if l.childList, list, err = nested(ch, "child_partitions"); err != nil {
		return nil, err
	}
	l.childToken = index(list, "token")
	l.childParents = index(list, "parent_partition_tokens")
	return l, nil
}

// structOfArray returns the element struct of an ARRAY<STRUCT<...>> type.
func structOfArray(t *spannerpb.Type, what string) (*spannerpb.StructType, error) {
	if t.GetCode() != spannerpb.TypeCode_ARRAY || t.GetArrayElementType().GetCode() != spannerpb.TypeCode_STRUCT {
		return nil, fmt.Errorf("%s has type %s, want ARRAY<STRUCT<...>>", what, t.GetCode())
	}
	return t.GetArrayElementType().GetStructType(), nil
}

// nested finds an ARRAY<STRUCT> field of st. A missing field (or a missing
// st) is not an error: the caller skips it.
func nested(st *spannerpb.StructType, name string) (int, *spannerpb.StructType, error) {
	i := index(st, name)
	if i < 0 {
		return -1, nil, nil
	}
	inner, err := structOfArray(st.GetFields()[i].GetType(), name)
	if err != nil {
		return -1, nil, err
	}
	return i, inner, nil
}

func index(st *spannerpb.StructType, name string) int {
	for i, f := range st.GetFields() {
		if f.GetName() == name {
			return i
		}
	}
	return -1
}
