//go:build unix

package spool

import (
	"strings"
	"testing"
)

func TestOpenRefusesASpoolInUse(t *testing.T) {
	dir := t.TempDir()
	first, _, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}

	_, _, err = Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "in use by process") {
		t.Fatalf("second Open: %v, want an error naming the holding process", err)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, _, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	again.Close()
}
