// Package compile turns parsed HSL files into a runnable vm.Program.
//
// It resolves names (function scope, the global scope and `global`,
// hoisted named functions and classes, closures and their capture lists,
// module scopes of `import`), expands `include`/`include_once` in place,
// loads data imports, folds constant operators and emits bytecode. Errors
// read `FILE:LINE:COL: message`.
package compile

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/halonsh/halonsh/lang/parser"
	"github.com/halonsh/halonsh/lang/vm"
)

// Options configure a compilation.
type Options struct {
	// Library holds the builtin functions and classes scripts may call;
	// nil means an empty library (only Exception).
	Library *vm.Library
	// Predefined declares host variables of the main script's global
	// scope (`$arguments`, `$message`, ...).
	Predefined []Predefined
	// Limits are the program's default run limits.
	Limits vm.Limits
	// Root is the script root for `file:` paths; empty means the directory
	// of the main file.
	Root string
	// ReadFile reads included and imported files; nil means os.ReadFile.
	ReadFile func(path string) ([]byte, error)
}

// Predefined is a host variable.
type Predefined struct {
	Name     string // without `$`
	ReadOnly bool
}

// Error is a compile error at a source position.
type Error struct {
	Pos parser.Pos
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

// ErrorList is the error of a file with several compile errors, in source
// order; a file with one gets that *Error alone. errors.As finds each
// *Error in it.
type ErrorList []*Error

func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// maxErrors bounds the compile errors collected from one file.
const maxErrors = 20

// File parses and compiles the main script filename with source src.
func File(filename string, src []byte, opts *Options) (*vm.Program, error) {
	if opts == nil {
		opts = &Options{}
	}
	c := &compiler{opts: *opts, modules: map[string]*module{}, onceFiles: map[string]bool{}}
	if c.opts.Library == nil {
		c.opts.Library = vm.NewLibrary()
	}
	if c.opts.ReadFile == nil {
		c.opts.ReadFile = os.ReadFile
	}
	if c.opts.Root == "" {
		c.opts.Root = filepath.Dir(filename)
	}
	f, err := parser.ParseFile(filename, src)
	if err != nil {
		return nil, err
	}
	main, err := c.compileModule(filename, f, true)
	if err != nil {
		return nil, err
	}
	_ = main
	specs := make([]vm.ModuleSpec, 0, len(c.order))
	for _, m := range c.order {
		for _, p := range m.protos {
			p.Module = m.index
		}
	}
	for _, m := range c.order {
		specs = append(specs, vm.ModuleSpec{Name: m.name, Init: m.init, Globals: m.globals, Consts: m.consts})
	}
	prog := vm.NewProgram(specs, c.statics, c.opts.Limits)
	prog.SetRoot(c.opts.Root)
	return prog, nil
}

type compiler struct {
	// errs are the errors recorded so far; compilation goes on after an
	// error in one statement, so that one run reports several.
	errs      []*Error
	opts      Options
	modules   map[string]*module
	order     []*module
	loading   []string // import chain for cycle detection
	statics   []vm.Value
	onceFiles map[string]bool
	including []string
}

// bail aborts compilation with a positioned error; compileModule recovers
// it.
type bail struct{ err error }

func (c *compiler) errorf(pos parser.Pos, format string, args ...any) {
	panic(bail{&Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}})
}

// record keeps a compile error and lets compilation go on; past
// maxErrors it stops. Errors that are not compile errors end at once.
func (c *compiler) record(r any) {
	b, ok := r.(bail)
	ce, isCompile := b.err.(*Error)
	if !ok || !isCompile || len(c.errs) >= maxErrors {
		panic(r)
	}
	for _, e := range c.errs {
		if e.Pos == ce.Pos && e.Msg == ce.Msg {
			return
		}
	}
	c.errs = append(c.errs, ce)
}

// collected returns the recorded errors in source order: one *Error
// alone, or an ErrorList.
func (c *compiler) collected() error {
	sort.SliceStable(c.errs, func(i, j int) bool {
		a, b := c.errs[i].Pos, c.errs[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	if len(c.errs) == 1 {
		return c.errs[0]
	}
	return ErrorList(c.errs)
}

type module struct {
	name      string
	index     int
	globals   []string
	gslots    map[string]int
	readOnly  map[string]bool
	consts    map[int]vm.Value
	init      *vm.Proto
	top       *funcState
	importedV map[string]varImport // imported variables by local name
	funcs     map[string]vm.Value  // exported top-level functions
	classes   map[string]*classInfo
	ns        map[string]*module // import * as ns
	globalRef map[string]bool    // names declared `global` in any function
	protos    []*vm.Proto        // every proto of the module, for the module index
	predef    map[string]bool
}

type varImport struct {
	mod  *module
	slot int
}

func (m *module) globalSlot(name string) int {
	if s, ok := m.gslots[name]; ok {
		return s
	}
	s := len(m.globals)
	m.globals = append(m.globals, name)
	m.gslots[name] = s
	return s
}

func (c *compiler) compileModule(name string, f *parser.File, isMain bool) (m *module, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bail)
			if !ok {
				panic(r)
			}
			err = b.err
			if ce, ok := b.err.(*Error); ok && isMain {
				c.errs = append(c.errs, ce)
				err = c.collected()
			}
			return
		}
		if isMain && len(c.errs) > 0 {
			err = c.collected()
		}
	}()
	m = &module{name: name, gslots: map[string]int{}, readOnly: map[string]bool{}, consts: map[int]vm.Value{},
		importedV: map[string]varImport{}, funcs: map[string]vm.Value{}, classes: map[string]*classInfo{},
		ns: map[string]*module{}, globalRef: map[string]bool{}, predef: map[string]bool{}}
	if isMain {
		for _, p := range c.opts.Predefined {
			m.globalSlot(p.Name)
			m.readOnly[p.Name] = p.ReadOnly
			m.predef[p.Name] = true
		}
	}
	c.modules[name] = m
	c.loading = append(c.loading, name)
	fs := newFuncState(c, m, nil, &vm.Proto{Name: "<main>", File: name})
	fs.isTop = true
	m.top = fs
	fs.compileBody(f.Stmts, f.Name)
	fs.emit(vm.OpHalt, 0, 0)
	fs.finish()
	m.init = fs.proto
	c.loading = c.loading[:len(c.loading)-1]
	m.index = len(c.order)
	c.order = append(c.order, m)
	return m, nil
}

// resolvePath maps an include or import path to a file name.
func (c *compiler) resolvePath(from string, pos parser.Pos, p string) string {
	if i := strings.Index(p, "!"); i >= 0 && !strings.Contains(p[:i], "/") {
		p = p[i+1:]
	}
	var full string
	switch {
	case strings.HasPrefix(p, "file://"):
		full = filepath.Join(c.opts.Root, p[len("file://"):])
	case strings.HasPrefix(p, "file:"):
		full = filepath.Join(c.opts.Root, p[len("file:"):])
	case strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../"):
		full = filepath.Join(filepath.Dir(from), p)
	case strings.HasPrefix(p, "extras://"):
		c.errorf(pos, "extras modules are not available: %q", p)
	default:
		full = filepath.Join(c.opts.Root, p)
	}
	root, _ := filepath.Abs(c.opts.Root)
	abs, _ := filepath.Abs(full)
	if rel, err := filepath.Rel(root, abs); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		c.errorf(pos, "path %q escapes the script root", p)
	}
	return full
}

func (c *compiler) read(pos parser.Pos, path string) []byte {
	b, err := c.opts.ReadFile(path)
	if err != nil {
		c.errorf(pos, "cannot read %q: %v", path, err)
	}
	return b
}
