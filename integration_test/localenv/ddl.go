package localenv

import (
	"fmt"
	"os"
	"regexp"
	"strings"
)

// SplitDDL splits a DDL file into its statements: on semicolons outside
// quotes and comments, with comments dropped and empty statements skipped.
// It understands -- and # line comments, /* */ block comments, and '...',
// "..." and `...` quoting (with backslash escapes), which covers Spanner's
// GoogleSQL and MySQL DDL.
func SplitDDL(text string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if st := strings.TrimSpace(cur.String()); st != "" {
			out = append(out, st)
		}
		cur.Reset()
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '-' && i+1 < len(text) && text[i+1] == '-', c == '#':
			for i < len(text) && text[i] != '\n' {
				i++
			}
			cur.WriteByte('\n')
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			end := strings.Index(text[i+2:], "*/")
			if end < 0 {
				i = len(text)
			} else {
				i += 2 + end + 1
			}
			cur.WriteByte(' ')
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(text) && text[j] != c {
				if text[j] == '\\' {
					j++
				}
				j++
			}
			end := min(j+1, len(text))
			cur.WriteString(text[i:end])
			i = end - 1
		case c == ';':
			flush()
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

// ReadDDL reads and splits a DDL file; a file without statements is an
// error naming it.
func ReadDDL(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	st := SplitDDL(string(b))
	if len(st) == 0 {
		return nil, fmt.Errorf("%s: no DDL statements", path)
	}
	return st, nil
}

var createStream = regexp.MustCompile("(?is)^\\s*CREATE\\s+CHANGE\\s+STREAM\\s+`?(\\w+)`?")

// ChangeStreams lists the change streams that the DDL statements create.
func ChangeStreams(ddl []string) []string {
	var names []string
	for _, st := range ddl {
		if m := createStream.FindStringSubmatch(st); m != nil {
			names = append(names, m[1])
		}
	}
	return names
}
