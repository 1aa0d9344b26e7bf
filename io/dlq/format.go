// Package dlq writes and reads the dead-letter queue: JSON Lines files under
// the DLQ directory (gs:// or local), in the Java template's format so that
// files written by either template can be read by the other.
package dlq

import (
	"encoding/json"
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/pure/record"
)

// Line is one line of a DLQ file.
type Line struct {
	Message      record.Record `json:"message"`
	ErrorMessage string        `json:"error_message"`
}

// Encode renders one DLQ line (without the newline).
func Encode(r record.Record, errMsg string) ([]byte, error) {
	b, err := json.Marshal(Line{Message: r, ErrorMessage: errMsg})
	if err != nil {
		return nil, fmt.Errorf("encoding DLQ line for table %s: %w", r.TableName, err)
	}
	return b, nil
}
