package params

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/io/extrafiles"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// Per-parameter checks (Param.Check). Each returns a phrase completing
// `value "<v>" ...`, or "" when the value is fine. They run only on values
// that already parsed for their Kind.

var (
	shadowPrefixRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*$`)
	// Spanner (GoogleSQL) table names: a letter, then letters, digits or
	// underscores, 128 characters at most.
	spannerIdentRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,127}$`)
)

func positive(v string) string {
	if n, _ := strconv.ParseInt(v, 10, 64); n <= 0 {
		return "must be greater than 0"
	}
	return ""
}

func nonNegative(v string) string {
	if n, _ := strconv.ParseInt(v, 10, 64); n < 0 {
		return "must be 0 or greater"
	}
	return ""
}

// shadowPrefix also insists on a leading letter: the prefix starts every
// shadow table name, and Spanner rejects table names that do not start with
// one, which would otherwise only surface as a DDL failure after launch.
func shadowPrefix(v string) string {
	if v == "" {
		return "must not be empty: shadow tables need a prefix to be told apart from data tables"
	}
	if !shadowPrefixRE.MatchString(v) {
		return "must contain only letters, digits and underscores, starting with a letter"
	}
	return ""
}

// dirName guards the names of folders created directly under the dead-letter
// queue directory. Names of the queue's own folders are refused because
// skipped records written there would be retried or mixed with failures.
func dirName(v string) string {
	switch {
	case v == "":
		return "must not be empty"
	case strings.Contains(v, "/"):
		return "must be a single folder name without /"
	case v == "." || v == "..":
		return "must be a real folder name, not . or .."
	case v == "retry" || v == "severe":
		return "clashes with the dead-letter queue's own retry/ and severe/ folders"
	}
	return ""
}

func spannerIdentifier(v string) string {
	if v != "" && !spannerIdentRE.MatchString(v) {
		return "is not a valid Spanner table name: letters, digits and underscores, starting with a letter, at most 128 characters"
	}
	return ""
}

// filePath catches truncated Cloud Storage paths early; local paths are
// accepted as they are because they are only resolved on the workers.
func filePath(v string) string {
	rest, ok := strings.CutPrefix(v, "gs://")
	if !ok {
		return ""
	}
	bucket, object, _ := strings.Cut(rest, "/")
	if bucket == "" || object == "" || strings.HasSuffix(object, "/") {
		return "is not a Cloud Storage file path of the form gs://<bucket>/<object>"
	}
	return ""
}

func dirPath(v string) string {
	rest, ok := strings.CutPrefix(v, "gs://")
	if !ok {
		return ""
	}
	if bucket, _, _ := strings.Cut(rest, "/"); bucket == "" {
		return "is not a Cloud Storage path of the form gs://<bucket>/<folder>"
	}
	return ""
}

// logLevels are the logLevel values, upper case; WARNING is read as WARN.
var logLevels = []string{"DEBUG", "INFO", "WARN", "WARNING", "ERROR"}

func logLevel(v string) string {
	for _, l := range logLevels {
		if strings.EqualFold(v, l) {
			return ""
		}
	}
	return "is not a log level: use DEBUG, INFO, WARN or ERROR"
}

// normalLogLevel is a valid logLevel value in upper case, WARNING as WARN.
func normalLogLevel(v string) string {
	if v = strings.ToUpper(v); v == "WARNING" {
		return "WARN"
	}
	return v
}

// extraFiles checks an extraFilesToStage list: files, each with its own
// base name.
func extraFiles(v string) string {
	for _, p := range extrafiles.Split(v) {
		if problem := filePath(p); problem != "" {
			return fmt.Sprintf("has an entry %q that %s", p, problem)
		}
	}
	if err := extrafiles.Check(v); err != nil {
		return "is not usable: " + err.Error()
	}
	return ""
}

// disabledAlgorithms checks that every name is understood.
func disabledAlgorithms(v string) string {
	if _, err := target.ParseDisabledAlgorithms(v); err != nil {
		return "is not usable: " + err.Error()
	}
	return ""
}
