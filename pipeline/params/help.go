package params

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
)

// helpColumn caps the width of the "--name type" column of --help; a longer
// entry pushes its own description right instead of widening every line.
const helpColumn = 42

// WriteHelp writes --help: the template's parameters by group (required,
// common, advanced), each on one line with its type, first sentence and
// default, then the runner flags fs holds besides the parameters. Without
// all, only the runner flags a deployment usually sets are listed (see
// runnerFlags) and --help-all is named for the rest.
func WriteHelp(w io.Writer, fs *flag.FlagSet, all bool) error {
	prog := filepath.Base(fs.Name())
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s --name=value ...\n\n", prog)
	b.WriteString("Replicates a Spanner change stream back to the MySQL or PostgreSQL shards of the source database\n")
	b.WriteString("(Spanner_to_SourceDb). Runs locally on the prism runner unless --runner says otherwise;\n")
	b.WriteString("on Dataflow the flex-template launcher passes the same parameters.\n")

	type section struct {
		title string
		rows  []helpRow
	}
	var sections []section
	defs := Definitions()
	for _, g := range Groups {
		var rows []helpRow
		for _, p := range defs {
			if p.Group() == g {
				rows = append(rows, paramRow(p))
			}
		}
		sections = append(sections, section{g.String() + ":", rows})
	}
	rows, hidden := runnerRows(fs, all)
	sections = append(sections, section{"Runner flags (Apache Beam; the default runner is prism, which runs the pipeline in this process):", rows})

	// One column for the whole help, so the sections line up.
	width := 0
	for _, s := range sections {
		for _, r := range s.rows {
			if n := len(r.flag); n > width && n <= helpColumn {
				width = n
			}
		}
	}
	for _, s := range sections {
		if len(s.rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s\n", s.title)
		for _, r := range s.rows {
			fmt.Fprintf(&b, "  %-*s  %s\n", width, r.flag, r.help)
		}
	}
	if hidden > 0 {
		fmt.Fprintf(&b, "\n%d more runner flags: %s --%s\n", hidden, prog, HelpAllFlag)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// helpRow is one line of --help before alignment.
type helpRow struct {
	flag string // "--name type"
	help string // one sentence, default included
}

func paramRow(p Param) helpRow {
	help := firstSentence(p.HelpText)
	if p.Default != "" {
		help += fmt.Sprintf(" (default %s)", p.Default)
	}
	return helpRow{flag: "--" + p.Name + " " + p.typeName(), help: help}
}

// typeName is the value a parameter takes, as --help shows it: its kind,
// "path" for files and folders, or the accepted values of an enum.
func (p Param) typeName() string {
	switch p.Kind {
	case Enum:
		var ok []string
		for _, v := range p.Enum {
			if p.NotSupportedYet == nil || p.NotSupportedYet(v) == "" {
				ok = append(ok, v)
			}
		}
		return strings.Join(ok, "|")
	case Bool:
		// A string flag underneath: the value must be written out.
		return "true|false"
	case String:
		if strings.HasPrefix(p.ParamType, "GCS_") {
			return "path"
		}
	}
	return p.Kind.String()
}

// firstSentence cuts s after its first sentence: the first ". " followed by
// a capital letter or a digit, so "(for example x.y)" and "gs://a.b" stay.
func firstSentence(s string) string {
	for i := 0; i+2 < len(s); i++ {
		if s[i] == '.' && s[i+1] == ' ' {
			c := s[i+2]
			if (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') {
				return s[:i+1]
			}
		}
	}
	return s
}

// runnerRows lists the runner flags of fs: every flag that is not a template
// parameter. Unless all, only those in runnerFlags, in that order, with
// their help texts; hidden counts the others.
func runnerRows(fs *flag.FlagSet, all bool) (rows []helpRow, hidden int) {
	if !all {
		for _, rf := range runnerFlags {
			f := fs.Lookup(rf.name)
			if f == nil {
				continue
			}
			help := rf.help
			if rf.def != "" {
				help += fmt.Sprintf(" (default %s)", rf.def)
			}
			rows = append(rows, helpRow{flag: runnerFlagColumn(f), help: help})
		}
		fs.VisitAll(func(f *flag.Flag) {
			if _, isParam := Lookup(f.Name); !isParam {
				hidden++
			}
		})
		return rows, hidden - len(rows)
	}
	fs.VisitAll(func(f *flag.Flag) {
		if _, isParam := Lookup(f.Name); isParam {
			return
		}
		help := beamUsage(f)
		for _, rf := range runnerFlags {
			if rf.name == f.Name {
				help = rf.help
				if rf.def != "" {
					help += fmt.Sprintf(" (default %s)", rf.def)
				}
			}
		}
		rows = append(rows, helpRow{flag: runnerFlagColumn(f), help: help})
	})
	return rows, 0
}

// runnerFlagColumn is "--name type"; boolean flags, which need no value,
// show the name alone.
func runnerFlagColumn(f *flag.Flag) string {
	if isBoolFlag(f) {
		return "--" + f.Name
	}
	return "--" + f.Name + " " + flagType(f)
}

// workerMode matches Beam's notes on the flags the worker harness passes
// when Dataflow starts this binary on a worker.
var workerMode = regexp.MustCompile(`\((required|optional) in worker mode\)`)

// requirement matches Beam's other "(required)" / "(optional)" notes: they
// hold for some runner, never for this template as a whole.
var requirement = regexp.MustCompile(`\s*\((required|optional)[^)]*\)`)

// beamUsage is a Beam flag's own usage text reduced to one line, without its
// required/optional notes, and with its default when it is not the zero
// value.
func beamUsage(f *flag.Flag) string {
	_, usage := flag.UnquoteUsage(f)
	usage, _, _ = strings.Cut(usage, "\n")
	usage = workerMode.ReplaceAllString(usage, "(set by the Beam worker harness)")
	usage = strings.TrimSpace(requirement.ReplaceAllString(usage, ""))
	switch f.DefValue {
	case "", "0", "false", "[]":
	default:
		usage += fmt.Sprintf(" (default %s)", f.DefValue)
	}
	return usage
}
