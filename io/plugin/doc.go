// Package plugin runs user-supplied WebAssembly modules (custom sharding,
// custom transformations) in a sandbox: wazero, no file system, no network,
// no environment, bounded memory, and a deadline per call. It replaces the
// Java template's JARs.
//
// # The module ABI
//
// A module is a WASI reactor (for Go: GOOS=wasip1 GOARCH=wasm go build
// -buildmode=c-shared) that exports:
//
//   - memory;
//   - revrepl_alloc(size i32) i32: a buffer of size bytes for the host to
//     write an input into;
//   - revrepl_free(ptr i32): releases a buffer returned by a function;
//   - revrepl_init(ptr i32, len i32) i64 (optional): called once per
//     instance with the custom parameters string;
//   - the functions the host calls by name, each fn(ptr i32, len i32) i64:
//     the input is the len bytes at ptr (a buffer from revrepl_alloc, owned
//     by the module from then on); the result packs the output buffer's
//     address in the high 32 bits and its length in the low 32 bits. The
//     output's first byte is 0 for success (the rest is the answer) or 1
//     for failure (the rest is the error message).
//
// Inputs and answers are JSON for the callers in this project. The guest
// package implements the module side for Go.
package plugin
