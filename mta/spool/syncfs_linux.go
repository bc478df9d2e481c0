package spool

import (
	"os"

	"golang.org/x/sys/unix"
)

const syncfsAvailable = true

// syncfs flushes every dirty file and directory of the filesystem that
// holds f and waits for the device to confirm the writes. Linux 5.8 and
// later also report writeback errors from it.
func syncfs(f *os.File) error {
	return unix.Syncfs(int(f.Fd()))
}

// fdatasync makes the data of f durable, and its metadata only where
// reading the data back needs it (the size).
func fdatasync(f *os.File) error {
	return unix.Fdatasync(int(f.Fd()))
}
