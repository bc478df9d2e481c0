package parser

import (
	"fmt"
	"strings"
)

// Error is one syntax error at a source position.
type Error struct {
	Pos Pos
	Msg string // for example "unexpected '}', expected expression"
}

// Error formats the error as `FILE:LINE:COL: syntax error: MSG`.
func (e *Error) Error() string {
	return fmt.Sprintf("%s: syntax error: %s", e.Pos, e.Msg)
}

// ErrorList is the error ParseFile returns: the syntax errors found, in
// source order.
type ErrorList []*Error

// Error returns the errors one per line.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}
