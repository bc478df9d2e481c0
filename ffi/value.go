package ffi

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
)

// Value is a typed C value: a number of one of the integer or floating
// types, or a pointer. A pointer value may own the memory it points to;
// owned memory is released when the Value is garbage collected, unless it
// was detached first.
//
// The value lives in Go memory until ByRef needs its address. From then on
// it lives in a small C cell, so that C code can write through that address
// and later reads see the write.
//
// A Value is not safe for concurrent use: it belongs to one script run.
type Value struct {
	typ  Type
	bits uint64 // the value while it has no cell, widened as Type.narrow does

	// extra is nil until the value needs one of its fields. Most values,
	// such as the results of C calls, never do, and staying small makes
	// them cheaper to allocate and collect.
	extra *valueExtra
}

// valueExtra is the state of a Value that few values have.
type valueExtra struct {
	cell uintptr // C storage of the value once ByRef exposed its address

	// base is kept reachable because this value points into its memory
	// (the results of Offset and ByRef).
	base *Value

	// owner is set while the value owns the memory it points to.
	owner *ownership

	// buffer is the block of known size that this pointer points into:
	// memory from Allocate or CString, the cell of ByRef, or any of these
	// through Offset. Reads and writes through the pointer must stay in
	// it. Pointers from C have no buffer because their size is unknown.
	buffer *buffer

	// pointsAt is the address the pointer held when buffer was set. A C
	// function can store another address through ByRef, and then the
	// buffer no longer applies.
	pointsAt uintptr
}

// buffer is a block of C memory of known size.
type buffer struct {
	start  uintptr
	size   int
	origin string // function that made it, for errors: "FFI::allocate", "FFI::cstring" or "FFI::byref"
}

// BoundsError is returned when a read or write through a pointer into a
// buffer of known size would go outside it.
type BoundsError struct {
	Op         string // "read" or "write"
	Size       int    // bytes the access needs
	Offset     int64  // of the access from the start of the buffer
	BufferSize int
	Origin     string // the function that made the buffer
}

func (e *BoundsError) Error() string {
	verb := map[string]string{"read": "reading", "write": "writing"}[e.Op]
	what := "overruns"
	if e.Offset < 0 {
		what = "starts before"
	}
	return fmt.Sprintf("%s %d byte%s at offset %d %s the %d-byte buffer from %s",
		verb, e.Size, plural(e.Size), e.Offset, what, e.BufferSize, e.Origin)
}

// setBuffer records that v points into buf.
func (v *Value) setBuffer(buf *buffer) {
	extra := v.ensureExtra()
	extra.buffer = buf
	extra.pointsAt = v.Address()
}

// span returns the buffer v points into and v's offset in it, or false
// when the size of the memory at v is unknown.
func (v *Value) span() (buf *buffer, offset int64, ok bool) {
	if v.extra == nil || v.extra.buffer == nil {
		return nil, 0, false
	}
	addr := v.Address()
	if addr != v.extra.pointsAt {
		return nil, 0, false
	}
	buf = v.extra.buffer
	return buf, int64(addr) - int64(buf.start), true
}

// checkBounds returns a *BoundsError when accessing n bytes at v would go
// outside the buffer v points into. Pointers of unknown size pass.
func (v *Value) checkBounds(op string, n int) error {
	buf, offset, ok := v.span()
	if !ok {
		return nil
	}
	if offset < 0 || offset+int64(n) > int64(buf.size) {
		return &BoundsError{Op: op, Size: n, Offset: offset, BufferSize: buf.size, Origin: buf.origin}
	}
	return nil
}

// ensureExtra returns v.extra, creating it on first use.
func (v *Value) ensureExtra() *valueExtra {
	if v.extra == nil {
		v.extra = new(valueExtra)
	}
	return v.extra
}

// cell returns the C storage of v, or 0 before ByRef.
func (v *Value) cell() uintptr {
	if v.extra == nil {
		return 0
	}
	return v.extra.cell
}

// owner returns how v releases the memory it owns, or nil.
func (v *Value) owner() *ownership {
	if v.extra == nil {
		return nil
	}
	return v.extra.owner
}

// ownership records how owned memory is released.
type ownership struct {
	cleanup runtime.Cleanup
}

// release is the cleanup argument for owned memory: exactly one of the
// ways to release it is set. It must not reference the owning Value, or the
// Value would never be collected.
type release struct {
	addr       uintptr
	destructor *Function // called with addr; nil means libc free
	slot       int       // callback trampoline slot to return, or -1
}

func (r release) run() {
	switch {
	case r.slot >= 0:
		releaseCallbackSlot(r.slot)
	case r.destructor != nil:
		r.destructor.callDestructor(r.addr)
	default:
		cFree(r.addr)
	}
}

func newValue(t Type, bits uint64) *Value {
	return &Value{typ: t, bits: bits}
}

// Type returns the C type of v.
func (v *Value) Type() Type { return v.typ }

// Bits returns the value's bits: integers sign- or zero-extended to 64 bits,
// float as its IEEE-754 single-precision bits, double as its double bits,
// pointers as the address.
func (v *Value) Bits() uint64 {
	if cell := v.cell(); cell != 0 {
		return loadWord(cell, v.typ)
	}
	return v.bits
}

// Address returns the address a pointer value holds (0 for NULL) and the
// bits of other values.
func (v *Value) Address() uintptr { return uintptr(v.Bits()) }

// IsNull reports whether v is a NULL pointer.
func (v *Value) IsNull() bool { return v.typ == Pointer && v.Bits() == 0 }

// Owns reports whether v owns the memory it points to.
func (v *Value) Owns() bool { return v.owner() != nil }

// Number converts v to an HSL number: integers exactly up to 2^53, float
// and double as float64, pointers as their address.
func (v *Value) Number() float64 { return v.typ.toNumber(v.Bits()) }

// Number64 returns the two 32-bit halves of a uint64, sint64 or pointer
// value (two's complement for negative values).
func (v *Value) Number64() (high, low uint32, err error) {
	switch v.typ {
	case Uint64, Sint64, Pointer:
		bits := v.Bits()
		return uint32(bits >> 32), uint32(bits), nil
	}
	return 0, 0, fmt.Errorf("expected FFIValue of type uint64, sint64 or pointer, got %s", v.typ)
}

func (v *Value) String() string {
	return fmt.Sprintf("FFIValue(%s %#x)", v.typ, v.Bits())
}

// NewNumber returns a value of type t converted from arg: a number (see
// Type for the conversion), or for the 64-bit types and pointer also a
// [high, low] pair. NaN and infinities are rejected for integer types.
func NewNumber(t Type, arg Arg) (*Value, error) {
	if !t.isValue() {
		return nil, fmt.Errorf("type %s has no values", t)
	}
	bits, err := convertNumber(t, arg)
	if err != nil {
		return nil, err
	}
	return newValue(t, bits), nil
}

// convertNumber converts a number or [high, low] argument to the bits of t.
func convertNumber(t Type, arg Arg) (uint64, error) {
	switch arg.kind {
	case argNumber:
		return t.fromNumber(arg.number)
	case argPair:
		if t.Size() != 8 || t == Double {
			return 0, fmt.Errorf("a [high, low] pair needs a 64-bit integer type, got %s", t)
		}
		return arg.bits, nil
	}
	return 0, fmt.Errorf("expected number, got %s", arg.typeName())
}

// NullPointer returns a NULL pointer value.
func NullPointer() *Value { return newValue(Pointer, 0) }

// Allocate returns a pointer to size bytes of zeroed C memory that the
// value owns.
func Allocate(size int) (*Value, error) {
	if size < 1 {
		return nil, fmt.Errorf("size must be at least 1, got %d", size)
	}
	addr, err := cAlloc(size)
	if err != nil {
		return nil, err
	}
	v := ownedPointer(addr)
	v.setBuffer(&buffer{start: addr, size: size, origin: "FFI::allocate"})
	return v, nil
}

// CString returns a pointer to a NUL-terminated C copy of s that the value
// owns. C string functions read s only up to its first NUL byte.
func CString(s string) (*Value, error) {
	addr, err := cAlloc(len(s) + 1)
	if err != nil {
		return nil, err
	}
	copy(bytesAt(addr, len(s)), s)
	v := ownedPointer(addr)
	v.setBuffer(&buffer{start: addr, size: len(s) + 1, origin: "FFI::cstring"})
	return v, nil
}

// ownedPointer wraps C memory from cAlloc in a value that frees it.
func ownedPointer(addr uintptr) *Value {
	v := newValue(Pointer, uint64(addr))
	v.own(release{addr: addr, slot: -1})
	return v
}

func (v *Value) own(r release) {
	v.ensureExtra().owner = &ownership{cleanup: runtime.AddCleanup(v, release.run, r)}
}

// Attach makes pointer p own the memory it points to. When p is collected,
// destructor is called with the address, or libc free when destructor is
// nil. The destructor must take exactly one pointer argument.
func Attach(p *Value, destructor *Function) error {
	if err := requirePointer(p); err != nil {
		return err
	}
	if p.owner() != nil {
		return errors.New("the value already owns its memory")
	}
	addr := p.Address()
	if addr == 0 {
		return ErrNullPointer
	}
	if destructor != nil && (len(destructor.params) != 1 || destructor.params[0] != Pointer || destructor.variadic) {
		return fmt.Errorf("destructor %s() must take exactly one pointer argument", destructor.name)
	}
	p.own(release{addr: addr, destructor: destructor, slot: -1})
	return nil
}

// Detach makes p give up the memory it owns, so nothing frees it. Detaching
// a value that owns nothing does nothing.
func Detach(p *Value) {
	owner := p.owner()
	if owner == nil {
		return
	}
	owner.cleanup.Stop()
	p.extra.owner = nil
	runtime.KeepAlive(p) // Stop only works while p is reachable
}

// ByRef returns a pointer to the C storage of v (C &v). The result keeps v
// reachable. C code may write through the pointer and v then has the new
// value.
func ByRef(v *Value) (*Value, error) {
	cell := v.cell()
	if cell == 0 {
		var err error
		cell, err = cAlloc(8)
		if err != nil {
			return nil, err
		}
		storeWord(cell, v.typ, v.bits)
		v.ensureExtra().cell = cell
		runtime.AddCleanup(v, cFree, cell)
	}
	ref := newValue(Pointer, uint64(cell))
	ref.extra = &valueExtra{base: v}
	ref.setBuffer(&buffer{start: cell, size: v.typ.Size(), origin: "FFI::byref"})
	return ref, nil
}

// Deref reads a value of type t at the address in pointer p (C *(t *)p).
// Reading a pointer that is NULL returns nil. The result does not own
// memory.
func Deref(p *Value, t Type) (*Value, error) {
	if err := requirePointer(p); err != nil {
		return nil, err
	}
	if !t.isValue() {
		return nil, fmt.Errorf("type %s has no values", t)
	}
	addr := p.Address()
	if addr == 0 {
		return nil, ErrNullPointer
	}
	if err := p.checkBounds("read", t.Size()); err != nil {
		return nil, err
	}
	var bits uint64
	err := guardFault("read", addr, func() { bits = loadWord(addr, t) })
	runtime.KeepAlive(p)
	if err != nil {
		return nil, err
	}
	if t == Pointer && bits == 0 {
		return nil, nil
	}
	return newValue(t, bits), nil
}

// Offset returns the pointer p plus offset bytes. The result does not own
// memory but keeps p reachable.
func Offset(p *Value, offset int64) (*Value, error) {
	if err := requirePointer(p); err != nil {
		return nil, err
	}
	q := newValue(Pointer, p.Bits()+uint64(offset))
	q.extra = &valueExtra{base: p}
	if buf, _, ok := p.span(); ok {
		q.setBuffer(buf)
	}
	return q, nil
}

// Memcpy copies the bytes of data to the address in p. When p points into
// a buffer of known size, a copy that does not fit is a *BoundsError.
// Otherwise the caller guarantees the room, and an inaccessible address is
// a *FaultError.
func Memcpy(p *Value, data string) error {
	if err := requirePointer(p); err != nil {
		return err
	}
	addr := p.Address()
	if addr == 0 {
		return ErrNullPointer
	}
	if err := p.checkBounds("write", len(data)); err != nil {
		return err
	}
	err := guardFault("write", addr, func() { copy(bytesAt(addr, len(data)), data) })
	runtime.KeepAlive(p)
	return err
}

// ReadString copies size bytes at the address in p, or with a negative
// size the bytes before the first NUL. When p points into a buffer of
// known size, the read must stay in it, and without a size the NUL must
// come before its end. An inaccessible address is a *FaultError.
func ReadString(p *Value, size int) (string, error) {
	if err := requirePointer(p); err != nil {
		return "", err
	}
	addr := p.Address()
	if addr == 0 {
		return "", ErrNullPointer
	}
	if size < 0 {
		n, err := stringLength(p, addr)
		if err != nil {
			return "", err
		}
		size = n
	}
	if err := p.checkBounds("read", size); err != nil {
		return "", err
	}

	var s string
	err := guardFault("read", addr, func() { s = string(bytesAt(addr, size)) })
	runtime.KeepAlive(p)
	if err != nil {
		return "", err
	}
	return s, nil
}

// stringLength returns the number of bytes before the first NUL at addr,
// which p holds, searching no further than the end of p's buffer when its
// size is known.
func stringLength(p *Value, addr uintptr) (int, error) {
	buf, offset, ok := p.span()
	if !ok {
		var n int
		err := guardFault("read", addr, func() { n = cStringLen(addr) })
		return n, err
	}

	if offset < 0 || offset >= int64(buf.size) {
		return 0, &BoundsError{Op: "read", Size: 1, Offset: offset, BufferSize: buf.size, Origin: buf.origin}
	}
	var n int
	err := guardFault("read", addr, func() { n = bytes.IndexByte(bytesAt(addr, buf.size-int(offset)), 0) })
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, fmt.Errorf("no NUL byte from offset %d to the end of the %d-byte buffer from %s (pass a size to read bytes without a NUL)", offset, buf.size, buf.origin)
	}
	return n, nil
}

func requirePointer(p *Value) error {
	if p == nil {
		return errors.New("expected FFIValue of type pointer, got none")
	}
	if p.typ != Pointer {
		return fmt.Errorf("expected FFIValue of type pointer, got %s", p.typ)
	}
	return nil
}
