package target

import (
	"fmt"
	"strings"
)

// SplitProperties splits connectionProperties in the Java template's form,
// the same for every target, into its entries (CutProperty reads each):
// entries are separated by newlines, ';' or '&', blank ones are skipped and
// # starts a comment line. What the keys mean is the target's.
func SplitProperties(p string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(p, func(r rune) bool { return r == '\n' || r == ';' || r == '&' }) {
		if f = strings.TrimSpace(f); f != "" && !strings.HasPrefix(f, "#") {
			out = append(out, f)
		}
	}
	return out
}

// CutProperty reads one entry of SplitProperties as key=value, both
// trimmed.
func CutProperty(entry string) (key, value string, err error) {
	k, v, ok := strings.Cut(entry, "=")
	if !ok {
		return "", "", fmt.Errorf("connectionProperties entry %q is not key=value", entry)
	}
	return strings.TrimSpace(k), strings.TrimSpace(v), nil
}
