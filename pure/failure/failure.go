// Package failure says whether a failed record is worth retrying.
// Retryable: the cause may go away (a missing foreign-key parent, a lost
// connection). Severe: the same record fails the same way until a person
// fixes data or schema. Errors carry their class from where they
// arise, through a FailureClass method; Of reads it. No I/O.
package failure

import "errors"

// Class is the fate of a failed record.
type Class int

const (
	// Retryable records go to the DLQ's retry/ directory and come back.
	Retryable Class = iota
	// Severe records go to severe/ and wait for a person.
	Severe
)

func (c Class) String() string {
	if c == Severe {
		return "severe"
	}
	return "retryable"
}

// Classified is an error that knows its class.
type Classified interface {
	FailureClass() Class
}

// Of returns the class of err: severe when any error in its tree (through
// Unwrap() error and Unwrap() []error) says it is severe, else retryable,
// as in the Java template: an unknown failure is given the chance to go
// away before it needs a person.
func Of(err error) Class {
	if err == nil {
		return Retryable
	}
	if c, ok := err.(Classified); ok && c.FailureClass() == Severe {
		return Severe
	}
	switch u := err.(type) {
	case interface{ Unwrap() error }:
		return Of(u.Unwrap())
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			if Of(e) == Severe {
				return Severe
			}
		}
	}
	return Retryable
}

// Permanent marks an error as severe whatever its cause, e.g. invalid input
// found before the target was reached.
type Permanent struct{ Err error }

func (p *Permanent) Error() string       { return p.Err.Error() }
func (p *Permanent) Unwrap() error       { return p.Err }
func (p *Permanent) FailureClass() Class { return Severe }

// MarkSevere wraps err as severe; nil stays nil.
func MarkSevere(err error) error {
	if err == nil {
		return nil
	}
	return &Permanent{Err: err}
}

// NewSevere is a severe sentinel error, for errors.Is: a cause that retrying
// cannot cure.
func NewSevere(msg string) error { return &severe{errors.New(msg)} }

type severe struct{ error }

func (s *severe) FailureClass() Class { return Severe }
