package ffi

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"github.com/ebitengine/purego"
)

// DefaultMaxAllocation is the largest FFI::allocate size, in bytes, when
// Config.MaxAllocation is 0.
const DefaultMaxAllocation = 64 << 20

// ErrDisabled is returned by Config.Open when FFI is off. The message
// includes how each host enables FFI.
var ErrDisabled = errors.New("FFI is disabled (to enable it, list the library under " +
	"scripting.ffi.libraries in smtpd.yaml for halonsh serve, or leave out --no-ffi for run, repl and simulate)")

// Config sets whether scripts may use FFI and which libraries they may
// load. The zero Config disables FFI.
//
// The MTA (halonsh serve) enables FFI only when its configuration lists
// libraries, and then allows only those:
//
//	ffi.Config{Enabled: len(libs) > 0, Libraries: libs}
//
// halonsh run, the REPL and the hook tester allow any library unless a
// command-line flag turns FFI off:
//
//	ffi.Config{Enabled: !noFFI}
type Config struct {
	// Enabled turns FFI on. When false, constructing FFI raises ErrDisabled.
	Enabled bool

	// Libraries, when not empty, are the only paths or sonames FFI(path)
	// may open. A path matches an entry when both are equal after
	// filepath.Clean; sonames must match exactly.
	Libraries []string

	// MaxAllocation caps FFI::allocate, in bytes; 0 means
	// DefaultMaxAllocation.
	MaxAllocation int
}

// Allowed reports whether the configuration lets scripts open path, and
// why not.
func (c Config) Allowed(path string) error {
	if !c.Enabled {
		return ErrDisabled
	}
	if len(c.Libraries) == 0 {
		return nil
	}
	if slices.Contains(c.Libraries, path) {
		return nil
	}
	clean := filepath.Clean(path)
	for _, lib := range c.Libraries {
		if filepath.Clean(lib) == clean {
			return nil
		}
	}
	return fmt.Errorf("library %q is not allowed: add it to scripting.ffi.libraries in smtpd.yaml, "+
		"spelled exactly as passed to FFI() (a soname and a full path to the same file do not match)", path)
}

// MaxAllocationBytes returns the effective FFI::allocate limit.
func (c Config) MaxAllocationBytes() int {
	if c.MaxAllocation > 0 {
		return c.MaxAllocation
	}
	return DefaultMaxAllocation
}

// Open opens the library at path after checking that the configuration
// allows it.
func (c Config) Open(path string) (*Library, error) {
	if err := c.Allowed(path); err != nil {
		return nil, err
	}
	return OpenLibrary(path)
}

// Library is a shared library opened with dlopen.
type Library struct {
	path   string
	handle uintptr
}

// libraries caches the open libraries by the path they were opened with.
// A library is never closed: functions and symbols taken from it may be
// held by values anywhere.
var libraries struct {
	mu     sync.Mutex
	byPath map[string]*Library
}

// OpenLibrary opens the shared library at path, or by soname through the
// system search path, as dlopen(path, RTLD_NOW | RTLD_LOCAL) does. Later
// calls with the same path return the same Library. The error carries the
// dynamic loader's message.
func OpenLibrary(path string) (*Library, error) {
	libraries.mu.Lock()
	defer libraries.mu.Unlock()

	if lib, ok := libraries.byPath[path]; ok {
		return lib, nil
	}
	if path == "" {
		return nil, errors.New("empty library path")
	}
	handle, err := dlopen(path)
	if err != nil {
		return nil, err
	}
	lib := &Library{path: path, handle: handle}
	if libraries.byPath == nil {
		libraries.byPath = map[string]*Library{}
	}
	libraries.byPath[path] = lib
	return lib, nil
}

// dlopen opens a library with the goroutine locked to its OS thread,
// because dlerror reports the error of the last dlopen on the same thread.
func dlopen(path string) (uintptr, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	handle, err := purego.Dlopen(path, purego.RTLD_NOW|purego.RTLD_LOCAL)
	if err != nil && err.Error() == "" {
		err = fmt.Errorf("cannot open shared library %q", path)
	}
	return handle, err
}

// Path returns the path or soname the library was opened with.
func (l *Library) Path() string { return l.path }

func (l *Library) String() string { return fmt.Sprintf("FFI(%q)", l.path) }

// Lookup returns the address of symbol name, or 0 when the library and
// its dependencies do not define it.
func (l *Library) Lookup(name string) uintptr {
	if name == "" {
		return 0
	}
	addr, err := purego.Dlsym(l.handle, name)
	if err != nil {
		return 0
	}
	return addr
}

// Func declares the C function name with the given parameter and return
// types (see NewFunction). It returns nil and no error when the symbol does
// not exist.
func (l *Library) Func(name string, params []Type, ret Type) (*Function, error) {
	addr := l.Lookup(name)
	if addr == 0 {
		return nil, nil
	}
	return NewFunction(name, addr, params, ret)
}

// Symbol returns a pointer to the global symbol name, or nil when it does
// not exist. The value does not own memory.
func (l *Library) Symbol(name string) *Value {
	addr := l.Lookup(name)
	if addr == 0 {
		return nil
	}
	return newValue(Pointer, uint64(addr))
}
