package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// Error is one configuration or argument error. File, Line and Col are set
// for errors found in a file; Path is the key path, such as
// "policies[0].conditions[1].if.remotemx".
type Error struct {
	File string
	Line int
	Col  int
	Path string
	Msg  string
}

// Error formats the error as "FILE:LINE:COL: PATH: MESSAGE", leaving out the
// parts that are not known.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, ":%d", e.Line)
			if e.Col > 0 {
				fmt.Fprintf(&b, ":%d", e.Col)
			}
		}
		b.WriteString(": ")
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every error found in one configuration, in file order.
type ErrorList []*Error

// Error joins the errors, one per line.
func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Unwrap lets errors.As find the individual errors.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

func quote(s string) string {
	return strconv.Quote(s)
}
