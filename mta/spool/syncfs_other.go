//go:build !linux

package spool

import (
	"errors"
	"os"
)

const syncfsAvailable = false

func syncfs(*os.File) error {
	return errors.ErrUnsupported
}

func fdatasync(f *os.File) error {
	return f.Sync()
}
