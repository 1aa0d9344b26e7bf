package localenv

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/dlq"
)

// ReadDLQ reads every line under sub (dlq.RetryDir, dlq.SevereDir, or ""
// for both and the skip directory) of a local DLQ directory.
func ReadDLQ(root, sub string) ([]dlq.Line, error) {
	var out []dlq.Line
	err := filepath.Walk(filepath.Join(root, sub), func(path string, info os.FileInfo, err error) error {
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil || info.IsDir() || strings.HasPrefix(info.Name(), ".") {
			return err
		}
		fh, err := os.Open(path)
		if err != nil {
			return err
		}
		defer fh.Close()
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 1<<24)
		for n := 1; sc.Scan(); n++ {
			var l dlq.Line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				// A malformed line is the DLQ's own business (it moves
				// such lines to severe/ as text); keep it visible.
				l.ErrorMessage = fmt.Sprintf("%s:%d: %v", path, n, err)
			}
			out = append(out, l)
		}
		return sc.Err()
	})
	return out, err
}

// Unexplained returns the mismatches that no DLQ line accounts for: a row
// that differs is explained by a DLQ line for its table and key that
// carries an error message.
func Unexplained(mismatches []Mismatch, lines []dlq.Line) []Mismatch {
	have := map[string]bool{}
	for _, l := range lines {
		if l.ErrorMessage == "" {
			continue
		}
		var k map[string]any
		if err := json.Unmarshal([]byte(l.Message.Mod.KeysJSON), &k); err != nil {
			continue
		}
		canon := map[string]string{}
		for n, v := range k {
			canon[n] = fmt.Sprint(v)
		}
		have[l.Message.TableName+" "+keyString(canon)] = true
	}
	var out []Mismatch
	for _, m := range mismatches {
		if !have[m.Table+" "+keyString(m.Key)] {
			out = append(out, m)
		}
	}
	return out
}

// DLQByKey indexes lines by "table keysJson", the way a test names a record.
func DLQByKey(lines []dlq.Line) map[string]dlq.Line {
	out := map[string]dlq.Line{}
	for _, l := range lines {
		out[l.Message.TableName+" "+l.Message.Mod.KeysJSON] = l
	}
	return out
}
