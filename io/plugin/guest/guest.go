// Package guest is the module side of the plugin ABI for modules written in
// Go (GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared). It exports
// revrepl_alloc, revrepl_free and revrepl_init; the module exports its own
// functions and answers through Serve:
//
//	//go:wasmexport shard_id
//	func shardID(ptr, n uint32) uint64 { return guest.Serve(ptr, n, handle) }
package guest

import "fmt"

// Handler answers one call.
type Handler func(input []byte) ([]byte, error)

// Init, when set (from main's init), receives the custom parameters once
// per instance; an error fails the launch or the worker's setup.
var Init func(params string) error

// pinned keeps the buffers whose address the host holds alive: the host's
// pointers are invisible to the garbage collector.
var pinned = map[uint32][]byte{}

// answer is the output layout: a status byte, then the answer or the error.
func answer(out []byte, err error) []byte {
	if err != nil {
		return append([]byte{1}, err.Error()...)
	}
	return append([]byte{0}, out...)
}

// run calls h, turning a panic into an error answer so that one bad input
// does not kill the instance.
func run(h Handler, in []byte) (out []byte) {
	defer func() {
		if r := recover(); r != nil {
			out = answer(nil, fmt.Errorf("panic: %v", r))
		}
	}()
	return answer(h(in))
}

func initHandler(in []byte) ([]byte, error) {
	if Init == nil {
		return nil, nil
	}
	return nil, Init(string(in))
}
