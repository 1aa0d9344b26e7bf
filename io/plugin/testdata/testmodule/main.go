//go:build wasip1

// Command testmodule exercises the plugin ABI from the module side.
package main

import (
	"errors"
	"os"

	"github.com/revrepl/spanner-to-sourcedb/io/plugin/guest"
)

var params string

func init() {
	guest.Init = func(p string) error {
		if p == "refuse" {
			return errors.New("refused parameters")
		}
		params = p
		return nil
	}
}

//go:wasmexport echo
func echo(ptr, n uint32) uint64 {
	return guest.Serve(ptr, n, func(in []byte) ([]byte, error) { return in, nil })
}

//go:wasmexport params
func paramsFn(ptr, n uint32) uint64 {
	return guest.Serve(ptr, n, func([]byte) ([]byte, error) { return []byte(params), nil })
}

//go:wasmexport fail
func fail(ptr, n uint32) uint64 {
	return guest.Serve(ptr, n, func(in []byte) ([]byte, error) { return nil, errors.New("no: " + string(in)) })
}

//go:wasmexport panics
func panics(ptr, n uint32) uint64 {
	return guest.Serve(ptr, n, func([]byte) ([]byte, error) { panic("boom") })
}

//go:wasmexport loop
func loop(ptr, n uint32) uint64 {
	return guest.Serve(ptr, n, func([]byte) ([]byte, error) {
		for {
		}
	})
}

//go:wasmexport exit
func exit(ptr, n uint32) uint64 {
	return guest.Serve(ptr, n, func([]byte) ([]byte, error) {
		os.Stderr.WriteString("about to exit\n")
		os.Exit(3)
		return nil, nil
	})
}

//go:wasmexport readfile
func readfile(ptr, n uint32) uint64 {
	return guest.Serve(ptr, n, func(in []byte) ([]byte, error) { return os.ReadFile(string(in)) })
}

func main() {}
