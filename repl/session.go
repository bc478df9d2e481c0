// Package repl is the interactive HSL shell: a Session that keeps
// variables, functions and classes between inputs, and a terminal loop
// with line editing, history and completion around it.
//
// Each input compiles to its own program. Variables carry over as
// predefined globals: their values go in through RunOptions.Globals and
// come back through RunOptions.Inspect. Function and class declarations
// carry over as source text appended after later inputs; declarations
// are hoisted, so they are visible from the first line, and appending
// them keeps the line and column of every error in the input itself.
package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/parser"
	"github.com/halonsh/halonsh/lang/vm"
)

// resultVar receives the value of an input's final expression statement.
const resultVar = "__repl_value"

// Session is the state kept between inputs. It is not safe for concurrent
// use.
type Session struct {
	lib *vm.Library
	out io.Writer
	// host is every input's RunOptions.Host, so that state a library
	// keeps per host (such as FFI callbacks) lives as long as the session.
	host any

	vars  map[string]vm.Value
	decls []decl
}

// decl is a function or class declaration kept between inputs.
type decl struct {
	name string // "function f" or "class C", so the two never clash
	text string
}

// NewSession returns an empty session whose scripts call lib and echo to
// out. host is passed to every input's run as RunOptions.Host; nil is
// fine.
func NewSession(lib *vm.Library, out io.Writer, host any) *Session {
	return &Session{lib: lib, out: out, host: host, vars: map[string]vm.Value{}}
}

// Reset forgets every variable, function and class.
func (s *Session) Reset() {
	s.vars = map[string]vm.Value{}
	s.decls = nil
}

// Result is the outcome of one input.
type Result struct {
	// Value is the value of a final expression statement; HasValue is
	// false when the input ends otherwise or the value is none.
	Value    vm.Value
	HasValue bool
}

// ErrIncomplete reports input that ends inside a bracket, string or
// comment, or after an operator: the caller reads another line.
var ErrIncomplete = errors.New("incomplete input")

// Eval compiles and runs one input. Syntax and compile errors leave the
// session unchanged. A runtime error keeps what the input changed before
// it, as a script run would, and keeps its declarations out.
func (s *Session) Eval(ctx context.Context, filename, src string) (Result, error) {
	file, src, err := parseInput(filename, src)
	if err != nil {
		return Result{}, err
	}

	newDecls := declarations(file, src)
	prog, shift, err := s.compile(filename, src, file, newDecls)
	if err != nil {
		return Result{}, err
	}

	var res Result
	globals := make(map[string]vm.Value, len(s.vars))
	for name, v := range s.vars {
		globals[name] = v
	}
	err = prog.Run(ctx, &vm.RunOptions{
		Out:     s.out,
		Globals: globals,
		Host:    s.host,
		Inspect: func(global func(string) (vm.Value, bool)) {
			for _, name := range prog.GlobalNames() {
				v, ok := global(name)
				switch {
				case !ok:
				case name == resultVar:
					res.Value, res.HasValue = v, !v.IsNone()
				default:
					s.vars[name] = v
				}
			}
		},
	})
	if err != nil {
		return Result{}, shift.fix(err)
	}

	s.keep(newDecls)
	return res, nil
}

// parseInput parses src, adding the `;` a final statement may lack.
func parseInput(filename, src string) (*parser.File, string, error) {
	file, err := parser.ParseFile(filename, []byte(src))
	if err == nil {
		return file, src, nil
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "unexpected end of file, expected ';'"):
		fixed := strings.TrimRight(src, " \t\r\n") + ";"
		if file, err2 := parser.ParseFile(filename, []byte(fixed)); err2 == nil {
			return file, fixed, nil
		}
	case strings.Contains(msg, "unexpected end of file"),
		strings.Contains(msg, "syntax error: unterminated"):
		return nil, src, ErrIncomplete
	}
	return nil, src, err
}

// declarations returns the source text of the input's top-level function
// and class declarations: from each one's first byte to the next
// statement.
func declarations(file *parser.File, src string) []decl {
	var out []decl
	for i, st := range file.Stmts {
		var name string
		switch d := st.(type) {
		case *parser.FuncDecl:
			name = "function " + d.Name
		case *parser.ClassDecl:
			name = "class " + d.Name
		default:
			continue
		}
		end := len(src)
		if i+1 < len(file.Stmts) {
			end = offset(src, file.Stmts[i+1].Pos())
		}
		out = append(out, decl{name: name, text: src[offset(src, st.Pos()):end]})
	}
	return out
}

// offset converts a 1-based line and byte column to a byte offset in src.
func offset(src string, p parser.Pos) int {
	off := 0
	for line := 1; line < p.Line; line++ {
		nl := strings.IndexByte(src[off:], '\n')
		if nl < 0 {
			return len(src)
		}
		off += nl + 1
	}
	return min(off+p.Col-1, len(src))
}

// colShift records where compile moved text, to give errors the columns
// of what the user typed.
type colShift struct {
	file      string
	line, col int // start of the rewritten statement
	by        int // bytes inserted before it
}

func (c colShift) fix(err error) error {
	var verr *vm.Error
	if c.by == 0 || !errors.As(err, &verr) {
		return err
	}
	if verr.Pos.File == c.file && verr.Pos.Line == c.line && verr.Pos.Col > c.col {
		verr.Pos.Col -= c.by
	}
	return err
}

// compile builds the program of one input: the input, its final
// expression statement assigned to resultVar, then the kept declarations
// that the input does not redefine.
func (s *Session) compile(filename, src string, file *parser.File, newDecls []decl) (*vm.Program, colShift, error) {
	redefined := map[string]bool{}
	for _, d := range newDecls {
		redefined[d.name] = true
	}
	var tail strings.Builder
	for _, d := range s.decls {
		if !redefined[d.name] {
			tail.WriteString("\n")
			tail.WriteString(d.text)
		}
	}

	predefined := make([]compile.Predefined, 0, len(s.vars))
	for _, name := range s.varNames() {
		predefined = append(predefined, compile.Predefined{Name: name})
	}
	opts := &compile.Options{
		Library:    s.lib,
		Predefined: predefined,
		ReadFile:   os.ReadFile,
	}

	if n := len(file.Stmts); n > 0 {
		if es, ok := file.Stmts[n-1].(*parser.ExprStmt); ok && printable(es.X) {
			start := offset(src, es.Pos())
			body := strings.TrimRight(src[start:], " \t\r\n")
			body = strings.TrimSuffix(body, ";")
			prefix := "$" + resultVar + " = ("
			rewritten := src[:start] + prefix + body + "\n);" + tail.String()
			if prog, err := compile.File(filename, []byte(rewritten), opts); err == nil {
				return prog, colShift{file: filename, line: es.Pos().Line, col: es.Pos().Col, by: len(prefix)}, nil
			}
		}
	}

	prog, err := compile.File(filename, []byte(src+tail.String()), opts)
	return prog, colShift{}, err
}

// printable reports whether the value of an expression statement is worth
// printing: not an assignment or increment, whose value the user just
// wrote.
func printable(x parser.Expr) bool {
	switch x.(type) {
	case *parser.AssignExpr, *parser.CompoundAssignExpr, *parser.IncDecExpr, *parser.DestructureExpr, *parser.UnsetExpr:
		return false
	}
	return true
}

// keep stores declarations that ran, replacing earlier ones of the same
// name.
func (s *Session) keep(newDecls []decl) {
	for _, d := range newDecls {
		replaced := false
		for i := range s.decls {
			if s.decls[i].name == d.name {
				s.decls[i] = d
				replaced = true
			}
		}
		if !replaced {
			s.decls = append(s.decls, d)
		}
	}
}

func (s *Session) varNames() []string {
	names := make([]string, 0, len(s.vars))
	for name := range s.vars {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Names returns what tab completion offers: builtin functions and classes,
// the session's functions and classes, and its variables with their `$`.
func (s *Session) Names() []string {
	names := s.lib.Names()
	for _, d := range s.decls {
		_, name, _ := strings.Cut(d.name, " ")
		names = append(names, name)
	}
	for _, v := range s.varNames() {
		names = append(names, "$"+v)
	}
	sort.Strings(names)
	return names
}

// Display formats a value as the REPL prints it: strings quoted, every
// other value in its display form.
func Display(v vm.Value) string {
	if v.Kind() == vm.KindString {
		return fmt.Sprintf("%q", v.Str())
	}
	return v.String()
}
