package params

import (
	"errors"
	"fmt"
)

// Sentinels let callers tell the classes of problems apart with errors.Is
// without matching message text.
var (
	ErrRequired        = errors.New("required parameter missing")
	ErrInvalid         = errors.New("invalid parameter value")
	ErrNotSupportedYet = errors.New("parameter value not supported yet")
	ErrUnknown         = errors.New("unknown parameter")
)

// Error is one problem with one parameter value. Its message always has the
// form `<param>: value "<value>" <problem>` so a user can find the offending
// --parameters entry at a glance.
type Error struct {
	Param   string
	Value   string
	Problem string // completes the sentence `value "<v>" ...`
	Kind    error  // one of the Err* sentinels
	Cause   error  // underlying parse error, if any
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: value %q %s", e.Param, e.Value, e.Problem)
}

func (e *Error) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Cause}
}

// Errors flattens an error built with errors.Join (as returned by Parse) into
// its parts; a nil error gives nil and any other error gives itself.
func Errors(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		if _, isParamErr := err.(*Error); !isParamErr {
			var out []error
			for _, e := range j.Unwrap() {
				out = append(out, Errors(e)...)
			}
			return out
		}
	}
	return []error{err}
}
