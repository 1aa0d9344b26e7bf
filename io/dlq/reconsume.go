package dlq

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// Verdict says what happens to a DLQ line read back.
type Verdict int

const (
	// Retry: the record goes back into the pipeline.
	Retry Verdict = iota
	// Exhausted: the record used up its retries and goes to severe/.
	Exhausted
	// Malformed: the line is not a DLQ record; it goes to severe/ as it is.
	Malformed
)

// Reconsumed is one DLQ line read back.
type Reconsumed struct {
	Verdict Verdict
	Record  record.Record // for Retry and Exhausted
	// Error is the previous attempt's error (Retry, Exhausted) or what is
	// wrong with the line (Malformed).
	Error string
}

// Reconsume decodes a line and applies the retry budget: the retry count
// goes up by one; past maxRetries (0 = retry forever) the record is
// exhausted, its count is reset to 0 and the attempts are added to the
// historical count, so that moving it from severe/ back to retry/ gives it a
// fresh budget (as in the Java template).
func Reconsume(line []byte, maxRetries int64) Reconsumed {
	rec, errMsg, err := Decode(line)
	if err != nil {
		return Reconsumed{Verdict: Malformed, Error: err.Error()}
	}
	rec.IsRetryRecord = true
	rec.LastError = errMsg
	rec.RetryCount++
	if maxRetries > 0 && rec.RetryCount > maxRetries {
		rec.HistoricalRetryCount += rec.RetryCount - 1
		rec.RetryCount = 0
		return Reconsumed{Verdict: Exhausted, Record: rec, Error: errMsg}
	}
	return Reconsumed{Verdict: Retry, Record: rec, Error: errMsg}
}

// Decode parses one DLQ line strictly: a JSON object with a "message"
// object holding a record (no unknown fields, right types, a table, a mod
// type and keys) and an optional "error_message". Lines written by the
// Java template decode too.
func Decode(line []byte) (record.Record, string, error) {
	var l struct {
		Message      json.RawMessage `json:"message"`
		ErrorMessage json.RawMessage `json:"error_message"`
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		return record.Record{}, "", fmt.Errorf("not a DLQ line (a JSON object with message and error_message): %w", err)
	}
	if len(l.Message) == 0 || l.Message[0] != '{' {
		return record.Record{}, "", errors.New(`the line has no "message" object`)
	}
	var rec record.Record
	md := json.NewDecoder(bytes.NewReader(l.Message))
	md.DisallowUnknownFields()
	if err := md.Decode(&rec); err != nil {
		return record.Record{}, "", fmt.Errorf(`"message" is not a change record: %w`, err)
	}
	switch {
	case rec.TableName == "":
		return record.Record{}, "", errors.New(`"message" has no tableName`)
	case rec.ModType != record.ModInsert && rec.ModType != record.ModUpdate && rec.ModType != record.ModDelete:
		return record.Record{}, "", fmt.Errorf(`"message" has modType %q, want INSERT, UPDATE or DELETE`, rec.ModType)
	case rec.Mod.KeysJSON == "":
		return record.Record{}, "", errors.New(`"message" has no mod.keysJson`)
	}
	if _, err := rec.Sequence(); err != nil {
		return record.Record{}, "", err
	}
	// error_message is a string, or any JSON the Java template parsed out of
	// the error text; keep it as text either way.
	var errMsg string
	if len(l.ErrorMessage) > 0 && json.Unmarshal(l.ErrorMessage, &errMsg) != nil {
		errMsg = string(l.ErrorMessage)
	}
	return rec, errMsg, nil
}
