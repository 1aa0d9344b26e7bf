//go:build wasip1

package guest

import "unsafe"

//go:wasmexport revrepl_alloc
func alloc(size uint32) uint32 {
	return pin(make([]byte, size))
}

//go:wasmexport revrepl_free
func free(ptr uint32) { delete(pinned, ptr) }

//go:wasmexport revrepl_init
func initExport(ptr, n uint32) uint64 { return Serve(ptr, n, initHandler) }

func pin(b []byte) uint32 {
	if cap(b) == 0 {
		b = make([]byte, 0, 1) // a zero-size slice has no stable address
	}
	p := uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b))))
	pinned[p] = b
	return p
}

// Serve runs h on the n input bytes at ptr and returns the packed address
// and length of its answer.
func Serve(ptr, n uint32, h Handler) uint64 {
	in := pinned[ptr][:n]
	delete(pinned, ptr)
	out := run(h, in)
	return uint64(pin(out))<<32 | uint64(len(out))
}
