package transforms

import (
	"fmt"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql"
)

// Target is the target database of kind (sourceType). DoFn configs carry
// the kind, a string, since they are serialised; workers resolve it in
// Setup. Empty means mysql, the default.
func Target(kind string) (target.Target, error) {
	switch kind {
	case "mysql", "":
		return mysql.Target{}, nil
	case "postgresql":
		return postgresql.Target{}, nil
	}
	return nil, fmt.Errorf("sourceType %q: no such target database in this build (mysql, postgresql)", kind)
}
