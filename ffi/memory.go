package ffi

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// ErrNullPointer is returned when a read or write goes through a NULL pointer.
var ErrNullPointer = errors.New("null pointer")

// FaultError is returned when a read or write of C memory done in Go hits
// an address that is not mapped or not accessible (SIGSEGV or SIGBUS).
type FaultError struct {
	Op   string  // "read" or "write"
	Addr uintptr // the faulting address, or the start of the access when the runtime does not report it
}

func (e *FaultError) Error() string {
	return fmt.Sprintf("invalid memory address %#x: the %s faulted", e.Addr, e.Op)
}

// guardFault runs access, a read or write of C memory at addr, and turns a
// memory fault during it into a *FaultError instead of a crash of the
// process. debug.SetPanicOnFault is per goroutine, and the previous setting
// comes back on return. Any runtime error inside access counts as a
// fault, because access touches only C memory. Other panics propagate.
func guardFault(op string, addr uintptr, access func()) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if _, ok := r.(runtime.Error); !ok {
			panic(r)
		}
		fault := &FaultError{Op: op, Addr: addr}
		if withAddr, ok := r.(interface{ Addr() uintptr }); ok {
			fault.Addr = withAddr.Addr()
		}
		err = fault
	}()

	access()
	return nil
}

// libcNames are the sonames tried, in order, for the C allocator: glibc's
// first, then the unversioned name that musl and development setups use.
var libcNames = []string{"libc.so.6", "libc.so"}

// allocator holds the addresses of libc calloc and free, resolved once.
var allocator struct {
	once   sync.Once
	calloc uintptr
	free   uintptr
	err    error
}

func loadAllocator() error {
	allocator.once.Do(func() {
		var errs []error
		for _, name := range libcNames {
			handle, err := dlopen(name)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			calloc, errCalloc := purego.Dlsym(handle, "calloc")
			free, errFree := purego.Dlsym(handle, "free")
			if errCalloc != nil || errFree != nil {
				errs = append(errs, fmt.Errorf("%s: calloc or free not found", name))
				continue
			}
			allocator.calloc, allocator.free = calloc, free
			return
		}
		allocator.err = fmt.Errorf("cannot load the C allocator: %w", errors.Join(errs...))
	})
	return allocator.err
}

// cAlloc returns size bytes of zeroed C memory from libc calloc.
func cAlloc(size int) (uintptr, error) {
	if err := loadAllocator(); err != nil {
		return 0, err
	}
	addr, _, _ := purego.SyscallN(allocator.calloc, uintptr(size), 1)
	if addr == 0 {
		return 0, fmt.Errorf("calloc of %d bytes failed", size)
	}
	return addr, nil
}

// cFree releases memory from cAlloc with libc free.
func cFree(addr uintptr) {
	if addr == 0 || loadAllocator() != nil {
		return
	}
	purego.SyscallN(allocator.free, addr)
}

// pointerAt turns a C address into an unsafe.Pointer. FFI addresses point
// to C memory, not into the Go heap, so the conversion hides no Go pointer
// from the garbage collector. The detour through memory keeps go vet's
// unsafeptr check quiet, because it cannot know that.
func pointerAt(addr uintptr) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Pointer(&addr))
}

// bytesAt returns the n bytes of C memory at addr as a slice that aliases
// that memory.
func bytesAt(addr uintptr, n int) []byte {
	return unsafe.Slice((*byte)(pointerAt(addr)), n)
}

// loadWord reads a value of type t at addr and returns its bits widened to
// 64 bits as Type.narrow does.
func loadWord(addr uintptr, t Type) uint64 {
	p := pointerAt(addr)
	switch t.Size() {
	case 1:
		return t.narrow(uint64(*(*uint8)(p)))
	case 2:
		return t.narrow(uint64(*(*uint16)(p)))
	case 4:
		return t.narrow(uint64(*(*uint32)(p)))
	default:
		return *(*uint64)(p)
	}
}

// storeWord writes the low t.Size() bytes of bits at addr.
func storeWord(addr uintptr, t Type, bits uint64) {
	p := pointerAt(addr)
	switch t.Size() {
	case 1:
		*(*uint8)(p) = uint8(bits)
	case 2:
		*(*uint16)(p) = uint16(bits)
	case 4:
		*(*uint32)(p) = uint32(bits)
	default:
		*(*uint64)(p) = bits
	}
}

// cStringLen returns the number of bytes before the first NUL at addr.
func cStringLen(addr uintptr) int {
	n := 0
	for *(*byte)(pointerAt(addr + uintptr(n))) != 0 {
		n++
	}
	return n
}
