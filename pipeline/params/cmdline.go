package params

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// HelpAllFlag asks for --help with every runner flag listed. It is not
// registered on the flag set (a launcher never passes it), only recognised.
const HelpAllFlag = "help-all"

// ErrHelpAll is returned by ParseCommandLine for --help-all, as flag.ErrHelp
// is for -h / --help.
var ErrHelpAll = errors.New("help with every runner flag requested")

// UsageError is a command line the flag set cannot take: an unknown flag, a
// value of the wrong type, a missing value. Its message is one line naming
// the flag, with a suggestion for a misspelled name; nothing else is printed.
type UsageError struct {
	Flag    string // the flag name as typed, without dashes; "" for bad syntax
	Message string
}

func (e *UsageError) Error() string { return e.Message }

// ParseCommandLine parses args into fs, which holds the template's parameters
// (see Register) and the runner's flags. Parsing itself is fs.Parse, so a
// valid command line means exactly what it always did; this only changes
// what happens otherwise. fs is switched to flag.ContinueOnError with its
// output and Usage silenced, and the result is:
//
//   - flag.ErrHelp for -h, -help or --help and ErrHelpAll for --help-all,
//     wherever they appear before a "--" terminator;
//   - a *UsageError with a one-line message when fs.Parse fails;
//   - nil otherwise.
func ParseCommandLine(fs *flag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "--" {
			break
		}
		switch strings.TrimLeft(a, "-") {
		case "h", "help":
			if strings.HasPrefix(a, "-") {
				return flag.ErrHelp
			}
		case HelpAllFlag:
			if strings.HasPrefix(a, "-") {
				return ErrHelpAll
			}
		}
	}
	fs.Init(fs.Name(), flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	if err == nil {
		return nil
	}
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	if ue := diagnose(fs, args); ue != nil {
		return ue
	}
	// Not reached with the standard flag package; kept so a future parse
	// error still comes out as one line.
	return &UsageError{Message: strings.ReplaceAll(err.Error(), "\n", " ")}
}

// diagnose walks args with fs.Parse's rules and returns the first problem.
// It runs only after fs.Parse failed, when the values already set on fs no
// longer matter, so it may set them again to find the one that is rejected.
func diagnose(fs *flag.FlagSet, args []string) *UsageError {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if len(a) < 2 || a[0] != '-' || a == "--" {
			return nil // positional arguments end the flags
		}
		name := a[1:]
		if name[0] == '-' {
			name = name[1:]
		}
		if name == "" || name[0] == '-' || name[0] == '=' {
			return &UsageError{Message: fmt.Sprintf("bad flag syntax %q; flags are written --name=value", a)}
		}
		name, value, hasValue := strings.Cut(name, "=")
		f := fs.Lookup(name)
		if f == nil {
			return unknownFlag(fs, name)
		}
		if isBoolFlag(f) {
			if !hasValue {
				value = "true"
			}
		} else if !hasValue {
			if i+1 == len(args) {
				return &UsageError{Flag: name, Message: fmt.Sprintf("flag --%s needs a value: --%s=<%s>", name, name, flagType(f))}
			}
			i++
			value = args[i]
		}
		if err := fs.Set(name, value); err != nil {
			return &UsageError{Flag: name, Message: fmt.Sprintf("invalid value %q for --%s (%s): %v", value, name, flagType(f), err)}
		}
	}
	return nil
}

// unknownFlag is the message for a name fs does not define, suggesting the
// closest one: template parameters first, then runner flags.
func unknownFlag(fs *flag.FlagSet, name string) *UsageError {
	var names []string
	for _, p := range Definitions() {
		names = append(names, p.Name)
	}
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := Lookup(f.Name); !ok {
			names = append(names, f.Name)
		}
	})
	msg := fmt.Sprintf("unknown flag --%s", name)
	if s := Suggest(name, names); s != "" {
		msg += fmt.Sprintf("; did you mean --%s?", s)
	} else {
		msg += "; --help lists the flags"
	}
	return &UsageError{Flag: name, Message: msg}
}

// isBoolFlag reports a flag that needs no value, as the flag package decides.
func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// flagType names a flag's value type the way the flag package's usage does
// ("string", "int", "duration", "value"); "bool" for boolean flags.
func flagType(f *flag.Flag) string {
	if isBoolFlag(f) {
		return "bool"
	}
	if p, ok := Lookup(f.Name); ok {
		return p.typeName()
	}
	t, _ := flag.UnquoteUsage(f)
	if t == "" {
		return "value"
	}
	return t
}
