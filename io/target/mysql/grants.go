package mysql

import (
	"strings"
)

// The writer's statements need these on the shard's database: upserts are
// INSERT ... ON DUPLICATE KEY UPDATE, deletes are DELETE.
var neededPrivileges = []string{"INSERT", "UPDATE", "DELETE"}

// grant is one line of SHOW GRANTS reduced to what the check needs.
type grant struct {
	privs map[string]bool
	// level: "global" (*.*), "db" (`db`.*) or "table" (`db`.`t`).
	level string
	db    string // the database pattern, unquoted
	// role is set for role grants (GRANT `r` TO `u`), which carry no privileges.
	role string
}

// parseGrant parses one SHOW GRANTS line of MySQL or MariaDB. ok is false
// for lines that grant nothing relevant here (routines, PROXY, malformed).
func parseGrant(line string) (grant, bool) {
	s := strings.TrimSpace(line)
	if !strings.HasPrefix(strings.ToUpper(s), "GRANT ") {
		return grant{}, false
	}
	s = s[len("GRANT "):]
	on := indexOutside(s, " ON ")
	if on < 0 {
		// GRANT `role`@`%` TO `user`@`%`, or MariaDB's GRANT `role` TO `user`.
		to := indexOutside(s, " TO ")
		if to < 0 {
			return grant{}, false
		}
		return grant{role: strings.TrimSpace(s[:to])}, true
	}
	privText, rest := s[:on], strings.TrimSpace(s[on+len(" ON "):])
	to := indexOutside(rest, " TO ")
	if to < 0 {
		return grant{}, false
	}
	object := strings.TrimSpace(rest[:to])
	upperObj := strings.ToUpper(object)
	if strings.HasPrefix(upperObj, "FUNCTION ") || strings.HasPrefix(upperObj, "PROCEDURE ") || strings.HasPrefix(upperObj, "PACKAGE ") {
		return grant{}, false
	}
	g := grant{privs: map[string]bool{}}
	for _, p := range splitOutside(privText, ',') {
		// Column grants, e.g. "UPDATE (a, b)", do not cover whole rows.
		if strings.Contains(p, "(") {
			continue
		}
		p = strings.ToUpper(strings.Join(strings.Fields(p), " "))
		if p == "ALL" {
			p = "ALL PRIVILEGES"
		}
		g.privs[p] = true
	}
	if g.privs["PROXY"] {
		return grant{}, false
	}
	dbPart, tablePart, ok := cutOutside(object, '.')
	if !ok {
		return grant{}, false
	}
	switch {
	case dbPart == "*" && tablePart == "*":
		g.level = "global"
	case tablePart == "*":
		g.level, g.db = "db", unquote(dbPart)
	default:
		g.level, g.db = "table", unquote(dbPart)
	}
	return g, true
}

// has reports whether the grant gives privilege p.
func (g grant) has(p string) bool { return g.privs[p] || g.privs["ALL PRIVILEGES"] }

// covers reports whether a database-level grant's pattern names db: in
// such patterns _ and % are wildcards unless escaped with a backslash.
func (g grant) covers(db string) bool {
	switch g.level {
	case "global":
		return true
	case "db", "table":
		return likeMatch(g.db, db)
	}
	return false
}

// missingPrivileges returns the needed privileges that no grant gives on
// db, and the roles the grants mention (whose privileges the caller may
// look up). A table-level grant counts: which tables matter is not known
// here, and refusing a working setup would be worse than the write failing.
func missingPrivileges(lines []string, db string) (missing, roles []string) {
	have := map[string]bool{}
	for _, l := range lines {
		g, ok := parseGrant(l)
		if !ok {
			continue
		}
		if g.role != "" {
			roles = append(roles, g.role)
			continue
		}
		if !g.covers(db) {
			continue
		}
		for _, p := range neededPrivileges {
			if g.has(p) {
				have[p] = true
			}
		}
	}
	for _, p := range neededPrivileges {
		if !have[p] {
			missing = append(missing, p)
		}
	}
	return missing, roles
}

// indexOutside finds sep outside backquotes, quotes and parentheses,
// case-insensitively.
func indexOutside(s, sep string) int {
	upper := strings.ToUpper(s)
	var quote byte
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '`' || c == '\'' || c == '"':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case depth == 0 && strings.HasPrefix(upper[i:], sep):
			return i
		}
	}
	return -1
}

func splitOutside(s string, sep byte) []string {
	var out []string
	for {
		i := indexOutside(s, string(sep))
		if i < 0 {
			return append(out, s)
		}
		out = append(out, s[:i])
		s = s[i+1:]
	}
}

func cutOutside(s string, sep byte) (string, string, bool) {
	i := indexOutside(s, string(sep))
	if i < 0 {
		return "", "", false
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:]), true
}

// unquote removes backquotes (doubled inside) or quotes around a name.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '`' || s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		q := string(s[0])
		return strings.ReplaceAll(s[1:len(s)-1], q+q, q)
	}
	return s
}

// likeMatch matches name against a grant's database pattern.
func likeMatch(pattern, name string) bool {
	if pattern == "" {
		return name == ""
	}
	switch c := pattern[0]; c {
	case '%':
		for i := 0; i <= len(name); i++ {
			if likeMatch(pattern[1:], name[i:]) {
				return true
			}
		}
		return false
	case '_':
		return name != "" && likeMatch(pattern[1:], name[1:])
	case '\\':
		if len(pattern) > 1 {
			pattern = pattern[1:]
		}
	}
	return name != "" && pattern[0] == name[0] && likeMatch(pattern[1:], name[1:])
}
