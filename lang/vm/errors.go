package vm

import (
	"errors"
	"fmt"
	"strings"
)

// Pos is a position in HSL source: 1-based line, byte column.
type Pos struct {
	File string
	Line int
	Col  int
}

// String returns FILE:LINE:COL.
func (p Pos) String() string {
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// IsValid reports whether the position names a line.
func (p Pos) IsValid() bool { return p.Line > 0 }

// StackFrame is one entry of an HSL call stack.
type StackFrame struct {
	Func string // function name; "<main>" for top-level code
	Pos  Pos    // position being executed in that function
}

// Error is a runtime error of a script: a failed operation, a builtin
// error, an exceeded limit or an uncaught `throw`. Run returns it when
// nothing catches it.
type Error struct {
	// Message is the text without position, e.g. "division by zero".
	Message string
	// Pos is the source position of the failed operation.
	Pos Pos
	// Stack is the HSL call stack at the point of the error, innermost
	// first.
	Stack []StackFrame
	// Value is the thrown value for `throw`; for other errors it is none
	// until a catch turns the error into an Exception object.
	Value Value
	// Fatal errors (instruction limit, cancellation, wall time) cannot be
	// caught by try/catch.
	Fatal bool
	// Err is the underlying Go error of a builtin, if any.
	Err error
}

// Error returns `FILE:LINE:COL: message`, or only the message when the
// position is unknown.
func (e *Error) Error() string {
	if e.Pos.IsValid() {
		return e.Pos.String() + ": " + e.Message
	}
	return e.Message
}

// Unwrap returns the builtin's Go error.
func (e *Error) Unwrap() error { return e.Err }

// StackTrace returns the HSL call stack, one frame a line.
func (e *Error) StackTrace() string {
	var b strings.Builder
	for i := 0; i < len(e.Stack); {
		f := e.Stack[i]
		fmt.Fprintf(&b, "  at %s (%s)\n", f.Func, f.Pos)

		// Deep recursion repeats one frame hundreds of times; one line
		// with a count says the same.
		n := 1
		for i+n < len(e.Stack) && e.Stack[i+n] == f {
			n++
		}
		if n > 1 {
			fmt.Fprintf(&b, "  ... the same frame %d more times\n", n-1)
		}
		i += n
	}
	return b.String()
}

// Errorf returns a runtime error with the message; the VM fills in the
// position and call stack when a builtin returns it.
func Errorf(format string, args ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, args...)}
}

// plainError is an internal error message without position, for example
// from ToKey; the VM converts it to an *Error.
type plainError string

func (e plainError) Error() string { return string(e) }

// ErrHalt ends a run early without an error: a builtin (a terminating
// context function such as Accept or Reject) returns it, or an error that
// wraps it, and Run returns nil. try/catch never catches it.
var ErrHalt = errors.New("script halted")

// Sentinel messages of the limits; Run returns an *Error with one of them.
const (
	msgInstructionLimit = "instruction limit exceeded"
	msgMemoryLimit      = "memory limit exceeded"
)
