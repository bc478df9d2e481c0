package ffi

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/halonsh/halonsh/lang/vm"
)

// Resource type names, as string() shows them.
const (
	typeResourceName  = "FFIType"
	valueResourceName = "FFIValue"
)

// Install defines the FFI class on lib. Scripts that mention FFI always
// compile; cfg decides at run time whether they may use it. Hosts call it
// once per library they build:
//
//	ffi.Install(lib, ffi.Config{Enabled: !noFFI})                          // halonsh run, repl, test
//	ffi.Install(lib, ffi.Config{Enabled: len(libs) > 0, Libraries: libs}) // halonsh serve
func Install(lib *vm.Library, cfg Config) {
	lib.DefineClass(NewClass(cfg))
}

// NewClass returns the FFI class bound to cfg. When cfg disables FFI,
// constructing the class and every static function raise ErrDisabled,
// because statics such as FFI::deref can read any address.
func NewClass(cfg Config) *vm.Class {
	h := &hslFFI{cfg: cfg}
	h.class = &vm.Class{
		Name: "FFI",
		New:  h.construct,
		Methods: map[string]vm.MethodFunc{
			"func":   h.method("func", h.declareFunc),
			"symbol": h.method("symbol", h.symbol),
		},
		Statics: map[string]vm.BuiltinFunc{},
	}
	statics := map[string]staticFunc{
		"type":     h.typeOf,
		"cnumber":  h.cnumber,
		"cstring":  h.cstring,
		"nullptr":  h.nullptr,
		"allocate": h.allocate,
		"memcpy":   h.memcpy,
		"byref":    h.byref,
		"deref":    h.deref,
		"offset":   h.offset,
		"string":   h.readString,
		"number":   h.number,
		"number64": h.number64,
		"attach":   h.attach,
		"detach":   h.detach,
		"callback": h.callback,
	}
	for name, fn := range statics {
		h.class.Statics[name] = h.static(name, fn)
	}
	return h.class
}

// hslFFI is the FFI class of one host configuration.
type hslFFI struct {
	cfg   Config
	class *vm.Class
}

// scriptCall is one call of an FFI member, with the name its errors carry
// ("FFI::deref", "FFI->func").
type scriptCall struct {
	*vm.Call
	name string
}

// fail returns a runtime error whose message starts with the member name.
func (sc scriptCall) fail(format string, args ...any) error {
	return &vm.Error{Message: sc.name + "(): " + fmt.Sprintf(format, args...)}
}

// wrap turns an error of the Go layer into a runtime error of the member.
func (sc scriptCall) wrap(err error) error {
	return sc.fail("%s", err)
}

type staticFunc func(sc scriptCall, args []vm.Value) (vm.Value, error)

func (h *hslFFI) static(name string, fn staticFunc) vm.BuiltinFunc {
	full := "FFI::" + name
	return func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		sc := scriptCall{Call: c, name: full}
		if !h.cfg.Enabled {
			return vm.None, sc.wrap(ErrDisabled)
		}
		return fn(sc, args)
	}
}

func (h *hslFFI) method(name string, fn func(sc scriptCall, lib *Library, args []vm.Value) (vm.Value, error)) vm.MethodFunc {
	full := "FFI->" + name
	return func(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
		lib, ok := this.Native.(*Library)
		if !ok {
			return vm.None, &vm.Error{Message: full + "(): the object has no open library"}
		}
		return fn(scriptCall{Call: c, name: full}, lib, args)
	}
}

// construct is FFI(path).
func (h *hslFFI) construct(c *vm.Call, args []vm.Value) (vm.Value, error) {
	sc := scriptCall{Call: c, name: "FFI"}
	if !h.cfg.Enabled {
		return vm.None, sc.wrap(ErrDisabled)
	}
	if err := sc.arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	path, err := sc.stringArg(args, 0, "path")
	if err != nil {
		return vm.None, err
	}
	if err := h.cfg.Allowed(path); err != nil {
		return vm.None, sc.wrap(err)
	}
	lib, err := OpenLibrary(path)
	if err != nil {
		return vm.None, sc.wrap(err)
	}
	return vm.ObjectValue(vm.NewObject(h.class, lib)), nil
}

// declareFunc is $ffi->func(name, arguments, returntype).
func (h *hslFFI) declareFunc(sc scriptCall, lib *Library, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 3, 3); err != nil {
		return vm.None, err
	}
	name, err := sc.stringArg(args, 0, "name")
	if err != nil {
		return vm.None, err
	}
	params, err := sc.typeListArg(args, 1, "arguments")
	if err != nil {
		return vm.None, err
	}
	ret, err := sc.typeArg(args, 2, "returntype")
	if err != nil {
		return vm.None, err
	}

	f, err := lib.Func(name, params, ret)
	if err != nil {
		return vm.None, &vm.Error{Message: err.Error()}
	}
	if f == nil {
		return vm.None, nil
	}
	return functionValue(f), nil
}

// symbol is $ffi->symbol(name).
func (h *hslFFI) symbol(sc scriptCall, lib *Library, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	name, err := sc.stringArg(args, 0, "name")
	if err != nil {
		return vm.None, err
	}
	return valueOf(lib.Symbol(name)), nil
}

// typeResources holds one FFIType resource per type, so that
// FFI::type("uint8") === FFI::type("uint8").
var typeResources = func() [Variadic + 1]*vm.Resource {
	var table [Variadic + 1]*vm.Resource
	for t := Void; t <= Variadic; t++ {
		table[t] = &vm.Resource{Type: typeResourceName, Data: t}
	}
	return table
}()

func (h *hslFFI) typeOf(sc scriptCall, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	name, err := sc.stringArg(args, 0, "name")
	if err != nil {
		return vm.None, err
	}
	t, err := ParseType(name)
	if err != nil {
		return vm.None, sc.wrap(err)
	}
	return vm.ResourceValue(typeResources[t]), nil
}

func (h *hslFFI) cnumber(sc scriptCall, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	t, err := sc.typeArg(args, 0, "type")
	if err != nil {
		return vm.None, err
	}
	v, err := NewNumber(t, argOf(args[1]))
	if err != nil {
		return vm.None, sc.wrap(err)
	}
	return valueOf(v), nil
}

func (h *hslFFI) cstring(sc scriptCall, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	s, err := sc.stringArg(args, 0, "value")
	if err != nil {
		return vm.None, err
	}
	v, err := CString(s)
	if err != nil {
		return vm.None, sc.wrap(err)
	}
	return valueOf(v), nil
}

func (h *hslFFI) nullptr(sc scriptCall, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	return valueOf(NullPointer()), nil
}

func (h *hslFFI) allocate(sc scriptCall, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	size, err := sc.numberArg(args, 0, "size")
	if err != nil {
		return vm.None, err
	}
	limit := h.cfg.MaxAllocationBytes()
	if !(size >= 1 && size <= float64(limit)) {
		return vm.None, sc.fail("size must be from 1 to %d bytes, got %v", limit, vm.FormatNumber(size))
	}
	v, err := Allocate(int(size))
	if err != nil {
		return vm.None, sc.wrap(err)
	}
	return valueOf(v), nil
}

func (h *hslFFI) memcpy(sc scriptCall, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	p, err := sc.pointerArg(args, 0, "pointer")
	if err != nil {
		return vm.None, err
	}
	data, err := sc.stringArg(args, 1, "data")
	if err != nil {
		return vm.None, err
	}
	if err := Memcpy(p, data); err != nil {
		return vm.None, sc.wrap(err)
	}
	return args[0], nil
}

func (h *hslFFI) byref(sc scriptCall, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	v, err := sc.valueArg(args, 0, "value")
	if err != nil {
		return vm.None, err
	}
	ref, err := ByRef(v)
	if err != nil {
		return vm.None, sc.wrap(err)
	}
	return valueOf(ref), nil
}

func (h *hslFFI) deref(sc scriptCall, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	p, err := sc.pointerArg(args, 0, "value")
	if err != nil {
		return vm.None, err
	}
	t := Pointer
	if vm.OptArg(args, 1) {
		if t, err = sc.typeArg(args, 1, "type"); err != nil {
			return vm.None, err
		}
	}
	v, err := Deref(p, t)
	if err != nil {
		return vm.None, sc.wrap(err)
	}
	return valueOf(v), nil
}

func (h *hslFFI) offset(sc scriptCall, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	p, err := sc.pointerArg(args, 0, "pointer")
	if err != nil {
		return vm.None, err
	}
	off, err := sc.numberArg(args, 1, "offset")
	if err != nil {
		return vm.None, err
	}
	if math.IsNaN(off) || math.Abs(off) > 1<<53 {
		return vm.None, sc.fail("argument 2 (offset) is out of range")
	}
	q, err := Offset(p, int64(off))
	if err != nil {
		return vm.None, sc.wrap(err)
	}
	return valueOf(q), nil
}

func (h *hslFFI) readString(sc scriptCall, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	p, err := sc.pointerArg(args, 0, "pointer")
	if err != nil {
		return vm.None, err
	}
	size := -1
	if vm.OptArg(args, 1) {
		n, err := sc.numberArg(args, 1, "size")
		if err != nil {
			return vm.None, err
		}
		if !(n >= 0 && n <= float64(h.cfg.MaxAllocationBytes())) {
			return vm.None, sc.fail("size must be from 0 to %d bytes, got %v", h.cfg.MaxAllocationBytes(), vm.FormatNumber(n))
		}
		size = int(n)
	}
	s, err := ReadString(p, size)
	if err != nil {
		return vm.None, sc.wrap(err)
	}
	return vm.String(s), nil
}

func (h *hslFFI) number(sc scriptCall, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	v, err := sc.valueArg(args, 0, "value")
	if err != nil {
		return vm.None, err
	}
	return vm.Number(v.Number()), nil
}

func (h *hslFFI) number64(sc scriptCall, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	v, err := sc.valueArg(args, 0, "value")
	if err != nil {
		return vm.None, err
	}
	high, low, err := v.Number64()
	if err != nil {
		return vm.None, sc.wrap(err)
	}
	return vm.ArrayValue(vm.NewList([]vm.Value{vm.Number(float64(high)), vm.Number(float64(low))})), nil
}

func (h *hslFFI) attach(sc scriptCall, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	p, err := sc.pointerArg(args, 0, "pointer")
	if err != nil {
		return vm.None, err
	}
	var destructor *Function
	if vm.OptArg(args, 1) {
		destructor = functionOf(args[1])
		if destructor == nil {
			return vm.None, sc.fail("argument 2 (destructor) must be an FFIFunction, got %s", args[1].TypeName())
		}
	}
	if err := Attach(p, destructor); err != nil {
		return vm.None, sc.wrap(err)
	}
	return args[0], nil
}

func (h *hslFFI) detach(sc scriptCall, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	p, err := sc.pointerArg(args, 0, "pointer")
	if err != nil {
		return vm.None, err
	}
	Detach(p)
	return args[0], nil
}

func (h *hslFFI) callback(sc scriptCall, args []vm.Value) (vm.Value, error) {
	if err := sc.arity(args, 3, 3); err != nil {
		return vm.None, err
	}
	params, err := sc.typeListArg(args, 0, "arguments")
	if err != nil {
		return vm.None, err
	}
	ret, err := sc.typeArg(args, 1, "returntype")
	if err != nil {
		return vm.None, err
	}
	if args[2].Kind() != vm.KindFunction {
		return vm.None, sc.fail("argument 3 (function) must be a function, got %s", args[2].TypeName())
	}

	session := sessionOf(sc.Call)
	fn := args[2]
	v, err := NewCallback(session, params, ret, func(cargs []*Value) (Arg, error) {
		return session.callScript(fn, cargs)
	})
	if err != nil {
		return vm.None, sc.wrap(err)
	}
	callbacksCreated.Store(true)
	return valueOf(v), nil
}

// callbacksCreated is set once any script has created a callback. Until
// then FFI calls skip the per-run bookkeeping that callbacks need.
var callbacksCreated atomic.Bool

// SessionHost is implemented by a run's host value (vm.RunOptions.Host)
// that keeps one FFI session across runs. The REPL runs each input as a
// run of its own, and with a SessionHost a callback created by one input
// still runs when C calls it during a later input.
type SessionHost interface {
	FFISession() *Session
}

type sessionKey struct{}

// sessionOf returns the FFI session of the call's run: the host's, or one
// kept as a run value.
func sessionOf(c *vm.Call) *Session {
	if host, ok := c.Host().(SessionHost); ok {
		if s := host.FFISession(); s != nil {
			return s
		}
	}
	if s, ok := c.RunValue(sessionKey{}).(*Session); ok {
		return s
	}
	s := NewSession()
	c.SetRunValue(sessionKey{}, s)
	return s
}

// callScript runs the HSL function of a callback with C's arguments,
// through the call context of the innermost C call in progress.
func (s *Session) callScript(fn vm.Value, cargs []*Value) (Arg, error) {
	if len(s.scriptCalls) == 0 {
		return Arg{}, errors.New("callback invoked outside an FFI call")
	}
	c := s.scriptCalls[len(s.scriptCalls)-1]
	args := make([]vm.Value, len(cargs))
	for i, v := range cargs {
		args[i] = valueOf(v)
	}
	result, err := c.Call(fn, args...)
	if err != nil {
		return Arg{}, err
	}
	return argOf(result), nil
}

// functions maps the function values handed to scripts back to their C
// functions, for FFI::attach. Weak keys let unused functions be collected.
var functions sync.Map // weak.Pointer[vm.Function] -> *Function

// functionValue returns the HSL function value that calls f.
func functionValue(f *Function) vm.Value {
	fv := vm.NewBuiltin(f.name, func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		return callFromScript(c, f, args)
	})
	ptr := fv.Function()
	key := weak.Make(ptr)
	functions.Store(key, f)
	runtime.AddCleanup(ptr, func(key weak.Pointer[vm.Function]) { functions.Delete(key) }, key)
	return fv
}

// functionOf returns the C function behind an FFIFunction value, or nil.
func functionOf(v vm.Value) *Function {
	ptr := v.Function()
	if ptr == nil {
		return nil
	}
	f, ok := functions.Load(weak.Make(ptr))
	if !ok {
		return nil
	}
	return f.(*Function)
}

// valueOf wraps v as an FFIValue resource; nil becomes none.
func valueOf(v *Value) vm.Value {
	if v == nil {
		return vm.None
	}
	return vm.ResourceValue(&vm.Resource{Type: valueResourceName, Data: v})
}

// argOf converts an HSL value to a call argument.
func argOf(v vm.Value) Arg {
	switch v.Kind() {
	case vm.KindNone:
		return NoneArg()
	case vm.KindNumber:
		return NumberArg(v.Num())
	case vm.KindString:
		return StringArg(v.Str())
	case vm.KindArray:
		if high, low, ok := pairOf(v.Array()); ok {
			return PairArg(high, low)
		}
	case vm.KindResource:
		if fv, ok := v.Resource().Data.(*Value); ok {
			return ValueArg(fv)
		}
	}
	return OtherArg(v.TypeName())
}

// pairOf reads an array [high, low] of two numbers from 0 to 2^32-1.
func pairOf(a *vm.Array) (high, low uint32, ok bool) {
	if a.Len() != 2 || !a.IsList() {
		return 0, 0, false
	}
	var halves [2]uint32
	for i := range halves {
		_, v := a.At(i)
		x := v.Num()
		if v.Kind() != vm.KindNumber || x != math.Trunc(x) || x < 0 || x > math.MaxUint32 {
			return 0, 0, false
		}
		halves[i] = uint32(x)
	}
	return halves[0], halves[1], true
}

// Argument helpers with the error wording of the standard library.

func (sc scriptCall) arity(args []vm.Value, min, max int) error {
	n := len(args)
	if n >= min && n <= max {
		return nil
	}
	if min == max {
		return sc.fail("expected %d argument%s, got %d", min, plural(min), n)
	}
	return sc.fail("expected %d to %d arguments, got %d", min, max, n)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (sc scriptCall) argError(args []vm.Value, i int, param, want string) error {
	got := "none"
	if i < len(args) {
		got = args[i].TypeName()
	}
	return sc.fail("argument %d (%s) must be %s, got %s", i+1, param, want, got)
}

func (sc scriptCall) stringArg(args []vm.Value, i int, param string) (string, error) {
	if i >= len(args) || args[i].Kind() != vm.KindString {
		return "", sc.argError(args, i, param, "a string")
	}
	return args[i].Str(), nil
}

func (sc scriptCall) numberArg(args []vm.Value, i int, param string) (float64, error) {
	if i >= len(args) || args[i].Kind() != vm.KindNumber {
		return 0, sc.argError(args, i, param, "a number")
	}
	return args[i].Num(), nil
}

func (sc scriptCall) typeArg(args []vm.Value, i int, param string) (Type, error) {
	if i < len(args) && args[i].Kind() == vm.KindResource {
		if t, ok := args[i].Resource().Data.(Type); ok {
			return t, nil
		}
	}
	return 0, sc.argError(args, i, param, "an FFIType")
}

func (sc scriptCall) typeListArg(args []vm.Value, i int, param string) ([]Type, error) {
	if i >= len(args) || args[i].Kind() != vm.KindArray {
		return nil, sc.argError(args, i, param, "an array of FFIType")
	}
	values := args[i].Array().Values()
	types := make([]Type, len(values))
	for j, v := range values {
		t, ok := Type(0), false
		if v.Kind() == vm.KindResource {
			t, ok = v.Resource().Data.(Type)
		}
		if !ok {
			return nil, sc.fail("argument %d (%s): element %d must be an FFIType, got %s", i+1, param, j+1, v.TypeName())
		}
		types[j] = t
	}
	return types, nil
}

func (sc scriptCall) valueArg(args []vm.Value, i int, param string) (*Value, error) {
	if i < len(args) && args[i].Kind() == vm.KindResource {
		if v, ok := args[i].Resource().Data.(*Value); ok {
			return v, nil
		}
	}
	return nil, sc.argError(args, i, param, "an FFIValue")
}

func (sc scriptCall) pointerArg(args []vm.Value, i int, param string) (*Value, error) {
	v, err := sc.valueArg(args, i, param)
	if err != nil {
		return nil, err
	}
	if v.Type() != Pointer {
		return nil, sc.fail("argument %d (%s) must be an FFIValue of type pointer, got %s", i+1, param, v.Type())
	}
	return v, nil
}
