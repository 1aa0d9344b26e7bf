// Package params is the single source of truth for the template's launch
// parameters. One definition per parameter drives the command-line flags and --help,
// validation, the flex-template metadata.json and the README's parameter table
// and launch command, so they can never drift apart.
//
// The package is deliberately pure Go (no Beam, no cloud clients): the
// launcher validates parameters before building a pipeline, and the generator
// and tests stay fast.
package params
