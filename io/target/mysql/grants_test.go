package mysql

import (
	"reflect"
	"testing"
)

func TestMissingPrivileges(t *testing.T) {
	tests := []struct {
		name    string
		grants  []string
		db      string
		missing []string
		roles   []string
	}{
		{"global all", []string{"GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION"}, "app", nil, nil},
		{"db all, MariaDB quoting", []string{
			"GRANT USAGE ON *.* TO `revrepl`@`%` IDENTIFIED BY PASSWORD '*ABC'",
			"GRANT ALL PRIVILEGES ON `app`.* TO `revrepl`@`%`"}, "app", nil, nil},
		{"db all, other db only", []string{"GRANT ALL PRIVILEGES ON `other`.* TO `u`@`%`"}, "app", []string{"INSERT", "UPDATE", "DELETE"}, nil},
		{"explicit list", []string{"GRANT SELECT, INSERT, UPDATE, DELETE ON `app`.* TO 'u'@'%'"}, "app", nil, nil},
		{"read only user", []string{"GRANT SELECT ON `app`.* TO 'u'@'%'"}, "app", []string{"INSERT", "UPDATE", "DELETE"}, nil},
		{"mixed global and db", []string{"GRANT INSERT ON *.* TO u", "GRANT UPDATE ON app.* TO u"}, "app", []string{"DELETE"}, nil},
		{"wildcard db pattern", []string{"GRANT ALL ON `app\\_%`.* TO u"}, "app_eu", nil, nil},
		{"escaped underscore is literal", []string{"GRANT ALL ON `app\\_eu`.* TO u"}, "appXeu", []string{"INSERT", "UPDATE", "DELETE"}, nil},
		{"underscore is a wildcard", []string{"GRANT ALL ON `app_eu`.* TO u"}, "appXeu", nil, nil},
		{"table level counts", []string{"GRANT INSERT, UPDATE, DELETE ON `app`.`t1` TO u"}, "app", nil, nil},
		{"column grant does not", []string{"GRANT INSERT (a, b), UPDATE (a), DELETE ON `app`.`t1` TO u"}, "app", []string{"INSERT", "UPDATE"}, nil},
		{"routine grants ignored", []string{"GRANT EXECUTE, ALTER ROUTINE ON PROCEDURE `app`.`p` TO u"}, "app", []string{"INSERT", "UPDATE", "DELETE"}, nil},
		{"backquoted db with dot", []string{"GRANT ALL ON `a.b`.* TO u"}, "a.b", nil, nil},
		{"roles mysql and mariadb", []string{"GRANT `writer`@`%` TO `u`@`%`", "GRANT `rw` TO `u`@`%`", "GRANT USAGE ON *.* TO u"}, "app",
			[]string{"INSERT", "UPDATE", "DELETE"}, []string{"`writer`@`%`", "`rw`"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			missing, roles := missingPrivileges(tt.grants, tt.db)
			if !reflect.DeepEqual(missing, tt.missing) || !reflect.DeepEqual(roles, tt.roles) {
				t.Errorf("missing %v roles %v, want %v %v", missing, roles, tt.missing, tt.roles)
			}
		})
	}
}
