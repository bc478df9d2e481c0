package vm

// Opcode is one bytecode operation. The comment of each opcode shows its
// operands and stack effect (before → after, top of stack on the right).
type Opcode uint8

const (
	OpNop Opcode = iota

	OpConst // A: push consts[A]
	OpNone  // → none
	OpTrue  // → true
	OpFalse // → false
	OpPop   // x →
	OpDup   // x → x x

	OpLoadLocal      // A slot: → v (the compiler proved the slot assigned)
	OpLoadLocalCheck // A slot: → v, error when unassigned
	OpLoadLocalSoft  // A slot: → v or none when unassigned
	OpStoreLocal     // A slot: v → (marks an array shared)
	OpStoreLocalNew  // A slot: v → (v is a fresh value)
	OpLoadCell       // A slot holding a cell: → v, error when unassigned
	OpLoadCellSoft   // A: → v or none
	OpStoreCell      // A: v →
	OpMakeCell       // A: box the slot's current value into a new cell
	OpLoadFree       // A capture index: → v, error when unassigned
	OpLoadFreeSoft   // A: → v or none
	OpStoreFree      // A: v →
	OpLoadGlobal     // A global slot: → v, error when unassigned
	OpLoadGlobalSoft // A: → v or none
	OpStoreGlobal    // A: v →
	OpLoadModGlobal  // A slot, B module: → v (an imported variable)
	OpStoreModGlobal // A slot, B module: v →
	OpLoadStatic     // A static slot: → v
	OpStoreStatic    // A: v →
	OpLoadThis       // → $this

	// Binary operators: x y → x op y.
	OpAdd
	OpSub
	OpMul
	OpDiv
	OpMod
	OpPow
	OpConcat
	OpEq
	OpNotEq
	OpStrictEq
	OpStrictNeq
	OpLess
	OpLessEq
	OpGreater
	OpGreaterEq
	OpMatch
	OpNoMatch
	OpBitAnd
	OpBitOr
	OpBitXor
	OpShl
	OpShr
	OpUShr

	// Unary operators: x → op x.
	OpNeg
	OpPlus
	OpNot
	OpBitNot
	OpToBool

	OpJump         // A target
	OpJumpFalse    // A target: c →
	OpJumpTrue     // A target: c →
	OpJumpNotNone  // A target: x → x (jumps, keeping x) | (falls through, x popped)
	OpJumpDefined  // A target: x → x (jumps when x is assigned) | → (popped)
	OpLoop         // A target, B instructions in the loop: backward jump that counts the budget
	OpCmpJumpFalse // A target, B comparison opcode: x y → (jumps when x op y is false)

	OpCall             // A argc: f a1..an → result
	OpCallSpread       // f args-array → result
	OpCallMethod       // A name const, B argc: obj a1..an → result
	OpCallMethodSpread // A name const: obj args-array → result
	OpReturn           // v → (leaves the function)
	OpReturnNone       // → (leaves the function with none)
	OpClosure          // A proto const: → closure

	OpNewArray    // A capacity: → []
	OpArrayPush   // arr v → arr
	OpArraySet    // arr k v → arr
	OpArraySpread // A 0: keys kept, A 1: values appended (call arguments): arr src → arr
	OpIndex       // x k → x[k]
	OpSlice       // A: bit 0 low, bit 1 high, bit 2 step present: x [lo] [hi] [step] → slice
	OpGetProp     // A name const: obj → obj->name
	OpStaticRef   // A class const, B static member index: → value (private checked at compile time)

	// Path operations on a variable root: A is the root reference (kind in
	// the top 8 bits, slot below), B the number of keys (low 8 bits) and,
	// for OpUpdatePath, the operator (bits 8..15) and flags (bits 16..).
	// Keys are pushed after the value; a property segment is a prop key.
	OpSetPath    // v k1..kn → v
	OpUpdatePath // rhs k1..kn → result
	OpIssetPath  // k1..kn → bool
	OpUnsetPath  // k1..kn → bool
	OpSetSlice   // v k1..kn lo hi → v   (B: keys, bit 8 low present, bit 9 high present)
	OpUnsetSlice // k1..kn lo hi → bool
	OpPropKey    // A name const: → prop key

	OpUpdateLocal   // A slot, B operator|flags: rhs → result (locals only)
	OpIncLocal      // A slot: $x++ as a statement on a number
	OpAppendLocal   // A slot: v → ($a[] = v as a statement on a plain local)
	OpSetLocalIndex // A slot: v k → ($a[k] = v as a statement on a plain local)

	OpIterInit          // A slot for the iterator: x →
	OpIterNextValue     // A iterator slot, B exit target; the next instruction's A is the value's local slot: → | jump
	OpCmpLocalConstJump // A target; B local slot (bits 0..11), constant (12..27), comparison < <= > >= (28..29): jumps when false
	OpIterNext          // A iterator slot, B exit target: → k v | jump

	OpDestructPos  // A position, B 1 = push unassigned marker when missing: arr → v
	OpDestructKey  // B as above: arr k → v
	OpDestructRest // A position: arr → rest-array

	OpEcho      // v →
	OpThrow     // v →
	OpTry       // A catch target: push a handler
	OpEndTry    // pop the handler
	OpMatchFail // v → (raises "unhandled match value")

	OpBarrier    // A root reference of the variable (or -1), B: → name →  (lock)
	OpEndBarrier // write back and unlock the innermost barrier
	OpCache      // A cache site const: opts args-array → result
	OpStrCat     // A n, B 1 for `.` (none is an error): s1..sn → concatenation
	OpHalt       // end the run normally (top-level return)
	OpInitModule // A module index: run the module's top-level code once
	OpAddConst   // A number const: x → x + consts[A] (x + literal, one dispatch)
)

// Instr is one instruction with its two operands.
type Instr struct {
	Op Opcode
	A  int32
	B  int32
}

// Root kinds of path references (OpSetPath and friends).
const (
	RootLocal  = 0
	RootCell   = 1
	RootFree   = 2
	RootGlobal = 3
	RootStatic = 4
	RootThis   = 5
)

// RootRef packs a root kind and slot into an operand.
func RootRef(kind, slot int) int32 { return int32(kind<<24 | slot) }

// Flags of OpUpdatePath and OpUpdateLocal (above the operator byte).
const (
	UpdPostfix = 1 << 16 // push the old value instead of the new one
	UpdIncDec  = 1 << 17 // ++/--: a missing element counts as 0
	UpdDiscard = 1 << 18 // OpUpdateLocal: pop the result (statement context)
)

// Proto is a compiled function body: code, constants and frame layout.
// Protos are immutable and shared by all runs.
type Proto struct {
	Name   string
	File   string
	Code   []Instr
	Consts []Value
	// Pos maps each instruction to its source position (line, column).
	Lines []int32
	Cols  []int32

	NumParams  int     // declared parameters, the rest one included
	MinArgs    int     // required parameters
	Variadic   bool    // the last parameter collects extra arguments
	Defaults   []Value // default values of the optional parameters
	NumLocals  int     // slots: parameters first
	LocalNames []string
	MaxStack   int
	Cells      []int32   // local slots to box into cells on entry
	Captures   []Capture // closure captures, evaluated by OpClosure
	Module     int       // module index for globals
	Class      *Class    // class of a method, for private access
	IsStatic   bool
	HasThis    bool
	IsInit     bool // a constructor: the call yields $this
}

// Capture is the location of one captured variable in the frame that
// evaluates OpClosure.
type Capture struct {
	Kind int // RootCell, RootFree or RootGlobal
	Slot int
}

// ClassDef is the compiled form of an HSL class declaration.
type ClassDef struct {
	// Ctor runs the member initialisers, then the constructor body; it
	// always exists.
	Ctor    *Proto
	Methods map[string]*MethodDef
	Vars    map[string]*VarDef
}

// MethodDef is one method of an HSL class.
type MethodDef struct {
	Proto   *Proto
	Private bool
	Static  bool
}

// VarDef is one member variable of an HSL class.
type VarDef struct {
	Private  bool
	Readonly bool
	Static   bool
	Slot     int   // static variables: the program-wide static slot
	Init     Value // static variables: the compile-time value
}

type userClass = ClassDef

// NewUserClass returns the class for an HSL declaration.
func NewUserClass(name string, def *ClassDef) *Class {
	return &Class{Name: name, user: def}
}

// Def returns the compiled declaration of an HSL class, nil for builtin
// classes.
func (c *Class) Def() *ClassDef { return c.user }

// CacheSite is a compiled `cache` statement: the function it calls.
type CacheSite struct {
	Fn   Value
	ID   string // identity of the function for the cache key
	Name string
}
