package postgresql

import (
	"strings"
	"testing"
)

// The key's passphrase (sslpassword) travels in the libpq string pgx
// parses, quoted with \' for a quote. pgx redacts password='...' in its
// parse errors up to the first quote, so a passphrase holding a quote
// shows what follows its first blank after the quote in the error, which
// the launch prints.
func TestConfigErrorHidesSSLPassword(t *testing.T) {
	s := Shard{LogicalShardID: "s1", Host: "db.example", Port: "5432", User: "u", Password: "p", DBName: "app",
		ConnectionProperties: "sslmode=verify-full;sslrootcert=" + t.TempDir() + "/missing-ca.pem;sslpassword=it's TOP SECRET"}
	_, err := config(s)
	if err == nil {
		t.Fatal("no error for a missing CA file")
	}
	if strings.Contains(err.Error(), "SECRET") {
		t.Errorf("the error shows the key passphrase: %v", err)
	}
	if !strings.Contains(err.Error(), "unable to read CA file") {
		t.Errorf("the error lost its reason: %v", err)
	}
}
