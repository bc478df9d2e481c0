package vm

// Class is a class: a builtin one defined in Go (File, Map, Exception, ...)
// or one declared in HSL. A builtin class sets Name, New and the method
// tables; the VM fills the rest for HSL classes.
type Class struct {
	// Name is the class name: the constructor's name in scripts and the
	// display form of its objects.
	Name string
	// New constructs an object for `Name(args)`; nil makes the class
	// impossible to construct from scripts.
	New BuiltinFunc
	// Methods are called as `$obj->name(args)`.
	Methods map[string]MethodFunc
	// Statics are called as `Name::name(args)`.
	Statics map[string]BuiltinFunc
	// Iterate, when set, makes objects usable in foreach: it calls yield
	// with each key and value until yield returns false.
	Iterate func(c *Call, this *Object, yield func(k, v Value) bool) error

	user *userClass // set for HSL classes
}

// Object is an instance of a class. Objects have reference semantics:
// copies of an object value name the same instance.
type Object struct {
	class *Class
	props *Array // properties by name, in insertion order
	// Native is the payload of a builtin class's object.
	Native any
}

// NewObject returns an object of cls carrying native.
func NewObject(cls *Class, native any) *Object {
	return &Object{class: cls, Native: native}
}

// Class returns the object's class.
func (o *Object) Class() *Class { return o.class }

// Prop returns the property name.
func (o *Object) Prop(name string) (Value, bool) {
	if o.props == nil {
		return None, false
	}
	return o.props.Get(StrKey(name))
}

// SetProp sets the property name.
func (o *Object) SetProp(name string, v Value) {
	if o.props == nil {
		o.props = NewArray(0)
	}
	o.props.Set(StrKey(name), v)
}

// DeleteProp removes the property name and reports whether it existed.
func (o *Object) DeleteProp(name string) bool {
	if o.props == nil {
		return false
	}
	return o.props.Delete(StrKey(name))
}

// Function is a callable value: an HSL function or closure, a bound
// method, a builtin, or a class used as a constructor.
type Function struct {
	proto   *Proto   // HSL code
	cells   []*Value // captured variables (closures) by reference
	this    *Object  // receiver of a bound method
	builtin *builtin // Go function
	class   *Class   // class constructor
	method  MethodFunc
	mname   string // method name of a bound builtin method
}

type builtin struct {
	name     string
	fn       BuiltinFunc
	runStart bool // reads Call.RunStart (see Library.MarkRunStart)
}

// Name returns the function's name ("" for an anonymous function).
func (f *Function) Name() string {
	switch {
	case f.builtin != nil:
		return f.builtin.name
	case f.class != nil:
		return f.class.Name
	case f.proto != nil:
		return f.proto.Name
	}
	return f.mname
}

// IsBuiltin reports whether f is implemented in Go.
func (f *Function) IsBuiltin() bool { return f.builtin != nil || f.method != nil }

// NewBuiltin returns a function value for fn, for builtins that return
// functions.
func NewBuiltin(name string, fn BuiltinFunc) Value {
	return FunctionValue(&Function{builtin: &builtin{name: name, fn: fn}})
}

func (f *Function) same(g *Function) bool {
	if f == g {
		return true
	}
	if f.proto != g.proto || f.builtin != g.builtin || f.class != g.class || f.this != g.this {
		return false
	}
	if f.proto != nil && (len(f.cells) > 0 || len(g.cells) > 0) {
		return false // each closure evaluation is its own instance
	}
	return f.proto != nil || f.builtin != nil || f.class != nil
}

// ExceptionClass is the builtin Exception class: `Exception(message)` and
// the object that catch receives for a runtime error.
var ExceptionClass = &Class{Name: "Exception"}

func init() {
	ExceptionClass.New = func(c *Call, args []Value) (Value, error) {
		if err := c.Arity(args, 1, 1); err != nil {
			return None, err
		}
		o := NewObject(ExceptionClass, nil)
		o.SetProp("message", String(args[0].String()))
		return ObjectValue(o), nil
	}
	prop := func(name string) MethodFunc {
		return func(c *Call, this *Object, args []Value) (Value, error) {
			v, _ := this.Prop(name)
			return v, nil
		}
	}
	ExceptionClass.Methods = map[string]MethodFunc{
		"message": prop("message"),
		"file":    prop("file"),
		"line":    prop("line"),
		"column":  prop("column"),
		"toString": func(c *Call, this *Object, args []Value) (Value, error) {
			return String(exceptionText(this)), nil
		},
	}
}

// NewException returns an Exception object for msg at pos (no position
// when pos is not valid).
func NewException(msg string, pos Pos) *Object {
	o := NewObject(ExceptionClass, nil)
	o.SetProp("message", String(msg))
	if pos.IsValid() {
		o.SetProp("file", String(pos.File))
		o.SetProp("line", Int(pos.Line))
		o.SetProp("column", Int(pos.Col))
	}
	return o
}

// exceptionText returns `FILE:LINE:COL: message`, or the message alone.
func exceptionText(o *Object) string {
	msg, _ := o.Prop("message")
	file, ok := o.Prop("file")
	if !ok || file.kind != KindString {
		return msg.String()
	}
	line, _ := o.Prop("line")
	col, _ := o.Prop("column")
	return file.str() + ":" + line.String() + ":" + col.String() + ": " + msg.String()
}

// ProtoFunction returns the function value of compiled code without
// captures (a named function).
func ProtoFunction(p *Proto) Value {
	return FunctionValue(&Function{proto: p})
}

// ClassFunction returns the constructor value of a class.
func ClassFunction(c *Class) Value {
	return FunctionValue(&Function{class: c})
}
