package ffi_test

import (
	"errors"
	"math"
	"math/big"
	"testing"

	"github.com/halonsh/halonsh/ffi"
)

func TestNullPointerAccess(t *testing.T) {
	null := ffi.NullPointer()
	if !null.IsNull() {
		t.Fatal("NullPointer().IsNull() = false")
	}

	if _, err := ffi.Deref(null, ffi.Sint32); !errors.Is(err, ffi.ErrNullPointer) {
		t.Errorf("Deref(NULL) error = %v, want ErrNullPointer", err)
	}
	if _, err := ffi.ReadString(null, -1); !errors.Is(err, ffi.ErrNullPointer) {
		t.Errorf("ReadString(NULL) error = %v, want ErrNullPointer", err)
	}
	if err := ffi.Memcpy(null, "x"); !errors.Is(err, ffi.ErrNullPointer) {
		t.Errorf("Memcpy(NULL) error = %v, want ErrNullPointer", err)
	}
	if err := ffi.Attach(null, nil); !errors.Is(err, ffi.ErrNullPointer) {
		t.Errorf("Attach(NULL) error = %v, want ErrNullPointer", err)
	}
}

func TestDerefNullPointerResult(t *testing.T) {
	cell, err := ffi.Allocate(8)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ffi.Deref(cell, ffi.Pointer)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		t.Errorf("reading a NULL pointer from memory = %v, want nil", v)
	}
	zero, err := ffi.Deref(cell, ffi.Uint64)
	if err != nil {
		t.Fatal(err)
	}
	if zero.Number() != 0 {
		t.Errorf("allocated memory reads %v, want zeroed memory", zero.Number())
	}
}

func TestPointerOnlyOperations(t *testing.T) {
	n, err := ffi.NewNumber(ffi.Uint64, num(1))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ffi.Deref(n, ffi.Sint32)
	wantError(t, err, "expected FFIValue of type pointer, got uint64")
	_, err = ffi.Offset(n, 1)
	wantError(t, err, "expected FFIValue of type pointer, got uint64")
	_, err = ffi.ReadString(nil, 1)
	wantError(t, err, "expected FFIValue of type pointer, got none")
	err = ffi.Memcpy(n, "x")
	wantError(t, err, "expected FFIValue of type pointer, got uint64")
}

func TestMemcpyAndReadStringBinarySafe(t *testing.T) {
	buf, err := ffi.Allocate(16)
	if err != nil {
		t.Fatal(err)
	}
	data := "a\x00b\xffc"
	if err := ffi.Memcpy(buf, data); err != nil {
		t.Fatal(err)
	}
	got, err := ffi.ReadString(buf, len(data))
	if err != nil {
		t.Fatal(err)
	}
	if got != data {
		t.Errorf("ReadString with size = %q, want %q", got, data)
	}
	upToNul, err := ffi.ReadString(buf, -1)
	if err != nil {
		t.Fatal(err)
	}
	if upToNul != "a" {
		t.Errorf("ReadString without size = %q, want %q", upToNul, "a")
	}
}

func TestCStringOwnsCopy(t *testing.T) {
	p, err := ffi.CString("héllo")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Owns() {
		t.Error("CString value does not own its memory")
	}
	got, err := ffi.ReadString(p, -1)
	if err != nil {
		t.Fatal(err)
	}
	if got != "héllo" {
		t.Errorf("CString round trip = %q, want %q", got, "héllo")
	}
	terminator, err := ffi.ReadString(p, len("héllo")+1)
	if err != nil {
		t.Fatal(err)
	}
	if terminator[len(terminator)-1] != 0 {
		t.Errorf("CString is not NUL-terminated: %q", terminator)
	}
}

func TestAllocateSize(t *testing.T) {
	if _, err := ffi.Allocate(0); err == nil {
		t.Error("Allocate(0) succeeded, want an error")
	}
	if _, err := ffi.Allocate(-5); err == nil {
		t.Error("Allocate(-5) succeeded, want an error")
	}
	p, err := ffi.Allocate(1)
	if err != nil {
		t.Fatal(err)
	}
	if p.Type() != ffi.Pointer || p.IsNull() || !p.Owns() {
		t.Errorf("Allocate(1) = %v owning=%v, want an owning non-NULL pointer", p, p.Owns())
	}
}

func TestByRefSharesStorage(t *testing.T) {
	v, err := ffi.NewNumber(ffi.Uint16, num(7))
	if err != nil {
		t.Fatal(err)
	}
	ref, err := ffi.ByRef(v)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ffi.ByRef(v)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Address() != again.Address() {
		t.Errorf("ByRef twice gave %#x and %#x, want the same cell", ref.Address(), again.Address())
	}

	if err := ffi.Memcpy(ref, "\x34\x12"); err != nil {
		t.Fatal(err)
	}
	if got := v.Number(); got != 0x1234 {
		t.Errorf("value after a write through its address = %#x, want 0x1234", int(got))
	}
	read, err := ffi.Deref(ref, ffi.Uint16)
	if err != nil {
		t.Fatal(err)
	}
	if read.Number() != 0x1234 {
		t.Errorf("Deref(ByRef(v)) = %v, want %v", read.Number(), 0x1234)
	}
}

func TestNewNumberConversions(t *testing.T) {
	tests := []struct {
		typ  ffi.Type
		arg  float64
		want float64
	}{
		{ffi.Uint8, 256.7, 0},
		{ffi.Sint8, -129, 127},
		{ffi.Uint32, -0.9, 0},
		{ffi.Sint64, 1e30, float64(int64(wrapModulo64(1e30)))},
		{ffi.Uint64, -1e30, float64(wrapModulo64(-1e30))},
		{ffi.Uint64, 1 << 64, 0},
		{ffi.Float, 1e40, math.Inf(1)},
		{ffi.Double, math.NaN(), math.NaN()},
		{ffi.Pointer, 4096, 4096},
	}
	for _, tt := range tests {
		v, err := ffi.NewNumber(tt.typ, num(tt.arg))
		if err != nil {
			t.Errorf("NewNumber(%s, %v): %v", tt.typ, tt.arg, err)
			continue
		}
		got := v.Number()
		if got != tt.want && !(math.IsNaN(got) && math.IsNaN(tt.want)) {
			t.Errorf("NewNumber(%s, %v) = %v, want %v", tt.typ, tt.arg, got, tt.want)
		}
	}

	if _, err := ffi.NewNumber(ffi.Void, num(1)); err == nil {
		t.Error("NewNumber(void) succeeded, want an error")
	}
	if _, err := ffi.NewNumber(ffi.Uint32, num(math.Inf(1))); err == nil {
		t.Error("NewNumber(uint32, +Inf) succeeded, want an error")
	}
}

// wrapModulo64 reduces an integral float64 modulo 2^64 with big-number
// arithmetic independent of the package's implementation.
func wrapModulo64(x float64) uint64 {
	bf := new(big.Float).SetFloat64(x)
	i, _ := bf.Int(nil)
	mod := new(big.Int).Lsh(big.NewInt(1), 64)
	i.Mod(i, mod)
	return i.Uint64()
}

func TestParseType(t *testing.T) {
	for _, name := range []string{"void", "uint8", "sint8", "uint16", "sint16", "uint32", "sint32",
		"uint64", "sint64", "float", "double", "pointer", "..."} {
		typ, err := ffi.ParseType(name)
		if err != nil {
			t.Errorf("ParseType(%q): %v", name, err)
			continue
		}
		if typ.String() != name {
			t.Errorf("ParseType(%q).String() = %q", name, typ.String())
		}
	}
	_, err := ffi.ParseType("int")
	wantError(t, err, `unknown type "int"`)
}

func TestConfigAllowList(t *testing.T) {
	var off ffi.Config
	if err := off.Allowed("libc.so.6"); !errors.Is(err, ffi.ErrDisabled) {
		t.Errorf("zero Config: error = %v, want ErrDisabled", err)
	}
	if _, err := off.Open("libc.so.6"); !errors.Is(err, ffi.ErrDisabled) {
		t.Errorf("zero Config Open: error = %v, want ErrDisabled", err)
	}

	unlisted := ffi.Config{Enabled: true}
	if err := unlisted.Allowed("libanything.so"); err != nil {
		t.Errorf("enabled Config without a list rejected a library: %v", err)
	}

	listed := ffi.Config{Enabled: true, Libraries: []string{"libm.so.6", "/opt/lib/libx.so"}}
	if err := listed.Allowed("libm.so.6"); err != nil {
		t.Errorf("listed soname rejected: %v", err)
	}
	if err := listed.Allowed("/opt/lib/../lib/libx.so"); err != nil {
		t.Errorf("listed path rejected after cleaning: %v", err)
	}
	err := listed.Allowed("libc.so.6")
	wantError(t, err, `library "libc.so.6" is not allowed: add it to scripting.ffi.libraries in smtpd.yaml, `+
		`spelled exactly as passed to FFI() (a soname and a full path to the same file do not match)`)
	if _, err := listed.Open("libc.so.6"); err == nil {
		t.Error("Open of an unlisted library succeeded")
	}
	lib, err := listed.Open("libm.so.6")
	if err != nil || lib == nil {
		t.Errorf("Open of a listed library = %v, %v", lib, err)
	}

	if got := (ffi.Config{}).MaxAllocationBytes(); got != ffi.DefaultMaxAllocation {
		t.Errorf("default MaxAllocationBytes = %d, want %d", got, ffi.DefaultMaxAllocation)
	}
	if got := (ffi.Config{MaxAllocation: 100}).MaxAllocationBytes(); got != 100 {
		t.Errorf("MaxAllocationBytes = %d, want 100", got)
	}
}
