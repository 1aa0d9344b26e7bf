package main

import (
	"os"
	"syscall"
	"unsafe"
)

// progressWidth is the terminal width the progress line needs to be
// rewritten in place, with room for large counts.
const progressWidth = 140

// terminalWidth is f's width in columns when f is a terminal, else 0.
func terminalWidth(f *os.File) int {
	var ws struct{ rows, cols, x, y uint16 }
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), uintptr(syscall.TIOCGWINSZ), uintptr(unsafe.Pointer(&ws))); errno != 0 {
		return 0
	}
	return int(ws.cols)
}
