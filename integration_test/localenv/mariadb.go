package localenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
)

// DefaultMySQLAddr is where the machine's MariaDB listens.
const DefaultMySQLAddr = "127.0.0.1:3306"

// EnsureMariaDB starts the machine's MariaDB through scripts/services.sh
// (run from the repository root) when addr, the default address, does not
// answer; another address must already answer.
func EnsureMariaDB(ctx context.Context, addr string) error {
	if Reachable(addr) {
		return nil
	}
	if addr != DefaultMySQLAddr {
		return fmt.Errorf("nothing listens on the MySQL address %s", addr)
	}
	fmt.Println("MariaDB is not running: starting it with scripts/services.sh")
	cmd := exec.CommandContext(ctx, "bash", "scripts/services.sh")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("scripts/services.sh (run from the repository root): %w", err)
	}
	if !Reachable(addr) {
		return fmt.Errorf("MariaDB still does not answer on %s", addr)
	}
	return nil
}
