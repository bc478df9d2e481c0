package builtins

// The Map and Set classes: typed hash collections with reference
// semantics. Iteration order is unspecified (Go map order).

import (
	"math"
	"sync"

	"github.com/halonsh/halonsh/lang/vm"
)

func init() {
	registerClass(mapClass)
	registerClass(setClass)
}

// collection is the state of a Map or Set object. One object may be
// reachable from several runs (through the cache statement, for
// example), so every access holds mu.
type collection struct {
	mu        sync.Mutex
	keyType   string // "string" or "number"
	valueType string // Map only: "string", "number", "boolean", "array" or "any"
	entries   map[any]vm.Value
}

// Collection keys are strings or float64s; none of them is NaN.

var (
	mapClass = &vm.Class{Name: "Map"}
	setClass = &vm.Class{Name: "Set"}
	// iteratorClass is the class of the objects entries() and values()
	// return; scripts iterate them with foreach but cannot construct one.
	iteratorClass = &vm.Class{Name: "Iterator"}
)

func init() {
	mapClass.New = newMap
	mapClass.Methods = map[string]vm.MethodFunc{
		"set":     mapSet,
		"get":     mapGet,
		"has":     collectionHas,
		"delete":  collectionDelete,
		"merge":   mapMerge,
		"size":    collectionSize,
		"clear":   collectionClear,
		"entries": mapEntries,
	}
	mapClass.Iterate = func(c *vm.Call, this *vm.Object, yield func(k, v vm.Value) bool) error {
		for _, p := range collectionOf(this).snapshot() {
			if !yield(p.key, p.value) {
				break
			}
		}
		return nil
	}

	setClass.New = newSet
	setClass.Methods = map[string]vm.MethodFunc{
		"add":    setAdd,
		"has":    collectionHas,
		"delete": collectionDelete,
		"size":   collectionSize,
		"clear":  collectionClear,
		"values": setValues,
	}
	setClass.Iterate = func(c *vm.Call, this *vm.Object, yield func(k, v vm.Value) bool) error {
		for _, p := range collectionOf(this).snapshot() {
			if !yield(p.key, p.key) {
				break
			}
		}
		return nil
	}

	iteratorClass.Iterate = func(c *vm.Call, this *vm.Object, yield func(k, v vm.Value) bool) error {
		for i, v := range this.Native.([]vm.Value) {
			if !yield(vm.Int(i), v) {
				break
			}
		}
		return nil
	}
}

func collectionOf(o *vm.Object) *collection { return o.Native.(*collection) }

// typeArg reads a type name argument and checks it against allowed.
func typeArg(c *vm.Call, args []vm.Value, i int, param string, allowed ...string) (string, error) {
	name, err := newLibArgs(c, args).str(i, param)
	if err != nil {
		return "", err
	}
	for _, a := range allowed {
		if name == a {
			return name, nil
		}
	}
	return "", c.Errorf("argument %d (%s) must be one of %q, got %q", i+1, param, allowed, name)
}

func newMap(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	keyType, err := typeArg(c, args, 0, "keytype", "string", "number")
	if err != nil {
		return vm.None, err
	}
	valueType, err := typeArg(c, args, 1, "valuetype", "string", "number", "boolean", "array", "any")
	if err != nil {
		return vm.None, err
	}
	col := &collection{keyType: keyType, valueType: valueType, entries: map[any]vm.Value{}}
	return vm.ObjectValue(vm.NewObject(mapClass, col)), nil
}

func newSet(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	keyType, err := typeArg(c, args, 0, "keytype", "string", "number")
	if err != nil {
		return vm.None, err
	}
	col := &collection{keyType: keyType, entries: map[any]vm.Value{}}
	return vm.ObjectValue(vm.NewObject(setClass, col)), nil
}

// key converts argument i to a collection key of the key type, with the
// usual argument conversions (a number for a string key, a numeric string
// for a number key).
func (col *collection) key(c *vm.Call, args []vm.Value, i int) (any, error) {
	a := newLibArgs(c, args)
	if col.keyType == "string" {
		return a.str(i, "key")
	}
	f, err := a.num(i, "key")
	if err != nil {
		return nil, err
	}
	if math.IsNaN(f) {
		return nil, c.Errorf("argument %d (key) must not be NaN", i+1)
	}
	if f == 0 {
		f = 0 // -0 and 0 are one key
	}
	return f, nil
}

func keyValue(k any) vm.Value {
	if f, ok := k.(float64); ok {
		return vm.Number(f)
	}
	return vm.String(k.(string))
}

// value checks v against the value type and converts it like an argument
// of that type.
func (col *collection) value(c *vm.Call, v vm.Value, subject string) (vm.Value, error) {
	var ok bool
	switch col.valueType {
	case "any":
		return shareValue(v), nil
	case "string":
		var s string
		if s, ok = convertString(v); ok {
			return vm.String(s), nil
		}
	case "number":
		var f float64
		if f, ok = convertNumber(v); ok {
			return vm.Number(f), nil
		}
	case "boolean":
		var b bool
		if b, ok = convertBool(v); ok {
			return vm.Bool(b), nil
		}
	case "array":
		if v.Kind() == vm.KindArray {
			return shareValue(v), nil
		}
	}
	article := "a "
	if col.valueType == "array" {
		article = "an "
	}
	return vm.None, c.Errorf("%s must be %s%s, got %s", subject, article, col.valueType, v.TypeName())
}

// shareValue marks an array value as shared before the collection keeps
// it, so that a later in-place change by the script copies the array
// first. Storing it in an array is the vm API's way to mark it.
func shareValue(v vm.Value) vm.Value {
	if v.Kind() == vm.KindArray {
		vm.NewArray(1).Set(vm.IntKey(0), v)
	}
	return v
}

type collectionPair struct{ key, value vm.Value }

// snapshot returns the current entries, so that foreach walks a fixed set
// even when the loop body changes the collection.
func (col *collection) snapshot() []collectionPair {
	col.mu.Lock()
	defer col.mu.Unlock()
	pairs := make([]collectionPair, 0, len(col.entries))
	for k, v := range col.entries {
		pairs = append(pairs, collectionPair{key: keyValue(k), value: v})
	}
	return pairs
}

// mapSet stores a value and returns true when the key was new.
func mapSet(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	col := collectionOf(this)
	k, err := col.key(c, args, 0)
	if err != nil {
		return vm.None, err
	}
	v, err := col.value(c, args[1], "argument 2 (value)")
	if err != nil {
		return vm.None, err
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	_, existed := col.entries[k]
	col.entries[k] = v
	return vm.Bool(!existed), nil
}

func mapGet(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	col := collectionOf(this)
	k, err := col.key(c, args, 0)
	if err != nil {
		return vm.None, err
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	return col.entries[k], nil
}

func collectionHas(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	col := collectionOf(this)
	k, err := col.key(c, args, 0)
	if err != nil {
		return vm.None, err
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	_, ok := col.entries[k]
	return vm.Bool(ok), nil
}

func collectionDelete(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	col := collectionOf(this)
	k, err := col.key(c, args, 0)
	if err != nil {
		return vm.None, err
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	_, ok := col.entries[k]
	delete(col.entries, k)
	return vm.Bool(ok), nil
}

// mapMerge stores current + value with the language's `+` rules; an
// absent key stores value itself. It returns true when the key was new.
func mapMerge(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	col := collectionOf(this)
	k, err := col.key(c, args, 0)
	if err != nil {
		return vm.None, err
	}

	col.mu.Lock()
	defer col.mu.Unlock()
	current, existed := col.entries[k]
	merged := args[1]
	if existed {
		if merged, err = addValues(current, args[1]); err != nil {
			return vm.None, c.Errorf("%v", err)
		}
	}
	v, err := col.value(c, merged, "merged value")
	if err != nil {
		return vm.None, err
	}
	col.entries[k] = v
	return vm.Bool(!existed), nil
}

func collectionSize(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	col := collectionOf(this)
	col.mu.Lock()
	defer col.mu.Unlock()
	return vm.Int(len(col.entries)), nil
}

func collectionClear(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	col := collectionOf(this)
	col.mu.Lock()
	defer col.mu.Unlock()
	clear(col.entries)
	return vm.None, nil
}

// mapEntries returns an Iterator over [key, value] pairs.
func mapEntries(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	pairs := collectionOf(this).snapshot()
	items := make([]vm.Value, len(pairs))
	for i, p := range pairs {
		items[i] = vm.ArrayValue(vm.NewList([]vm.Value{p.key, p.value}))
	}
	return vm.ObjectValue(vm.NewObject(iteratorClass, items)), nil
}

// setAdd adds a key and returns true when it was not present.
func setAdd(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	col := collectionOf(this)
	k, err := col.key(c, args, 0)
	if err != nil {
		return vm.None, err
	}
	col.mu.Lock()
	defer col.mu.Unlock()
	if _, ok := col.entries[k]; ok {
		return vm.False, nil
	}
	col.entries[k] = vm.True
	return vm.True, nil
}

// setValues returns an Iterator over the elements.
func setValues(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	pairs := collectionOf(this).snapshot()
	items := make([]vm.Value, len(pairs))
	for i, p := range pairs {
		items[i] = p.key
	}
	return vm.ObjectValue(vm.NewObject(iteratorClass, items)), nil
}

// addValues applies the language's `+` to two values: array + array is
// the union (string keys set, integer keys appended), array + other
// appends, and anything else adds number() of both sides unless a side
// is none, a function, an object, a regex or a resource.
func addValues(a, b vm.Value) (vm.Value, error) {
	if a.Kind() == vm.KindArray {
		out := a.Array().Clone()
		if b.Kind() != vm.KindArray {
			if err := out.Append(b); err != nil {
				return vm.None, err
			}
			return vm.ArrayValue(out), nil
		}
		var err error
		b.Array().Each(func(k vm.Key, v vm.Value) bool {
			if k.IsString() {
				out.Set(k, v)
				return true
			}
			err = out.Append(v)
			return err == nil
		})
		return vm.ArrayValue(out), err
	}

	arithmetic := func(v vm.Value) bool {
		switch v.Kind() {
		case vm.KindNumber, vm.KindBool, vm.KindString:
			return true
		}
		return false
	}
	if !arithmetic(a) || !arithmetic(b) {
		return vm.None, vm.Errorf("invalid operands to '+': %s and %s", a.TypeName(), b.TypeName())
	}
	return vm.Number(a.ToNumber() + b.ToNumber()), nil
}
