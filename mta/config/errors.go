package config

import (
	"fmt"
	"strings"
)

// Error is one problem in a configuration file, located by line and column
// and named by the key path that holds the bad value.
type Error struct {
	File string
	Line int
	Col  int
	Key  string // key path, e.g. transportgroups[0].retry.intervals
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found in one load, in file order. Loading
// reports all of them at once so that one edit can fix them all.
type ErrorList []*Error

func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}
