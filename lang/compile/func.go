package compile

import (
	"math"

	"github.com/halonsh/halonsh/lang/parser"
	"github.com/halonsh/halonsh/lang/vm"
)

// funcState compiles one function body (or a module's top-level code).
type funcState struct {
	c      *compiler
	mod    *module
	parent *funcState
	proto  *vm.Proto
	isTop  bool
	file   string
	pos    parser.Pos

	locals    map[string]int
	cellNames map[string]bool // locals boxed into cells (captured by closures)
	needCells map[string]bool // captures discovered while compiling
	globals   map[string]int  // `global $x` → module global slot
	captures  map[string]int  // closure captures → index
	params    map[string]bool
	assigned  map[string]bool // assigned anywhere in the scope
	definite  map[string]bool // surely assigned at this point
	reads     []pendingRead
	funcs     map[string]*funcInfo
	classes   map[string]*classInfo
	class     *classInfo
	blocks    []block
	consts    map[any]int
	maxStack  int
	depth     int
	label     int // latest jump target, where no instructions may be fused
}

type pendingRead struct {
	name string
	pos  parser.Pos
}

type block struct {
	kind      int // blockLoop, blockSwitch, blockTry, blockBarrier
	breaks    []int
	continues []int
}

const (
	blockLoop = iota
	blockSwitch
	blockTry
	blockBarrier
)

type funcInfo struct {
	decl  *parser.FuncDecl
	proto *vm.Proto
	value vm.Value
	done  bool
	scope *funcState
}

type classInfo struct {
	decl  *parser.ClassDecl
	cls   *vm.Class
	def   *vm.ClassDef
	done  bool
	scope *funcState
}

func newFuncState(c *compiler, m *module, parent *funcState, p *vm.Proto) *funcState {
	return &funcState{c: c, mod: m, parent: parent, proto: p, file: p.File,
		locals: map[string]int{}, cellNames: map[string]bool{}, needCells: map[string]bool{},
		globals: map[string]int{}, captures: map[string]int{}, params: map[string]bool{},
		assigned: map[string]bool{}, definite: map[string]bool{}, funcs: map[string]*funcInfo{},
		classes: map[string]*classInfo{}, consts: map[any]int{}}
}

func (fs *funcState) errorf(pos parser.Pos, format string, args ...any) {
	fs.c.errorf(pos, format, args...)
}

// emit appends an instruction at the current position and returns its
// index.
func (fs *funcState) emit(op vm.Opcode, a, b int) int {
	p := fs.proto
	if op == vm.OpJumpFalse && fs.label != len(p.Code) && len(p.Code) > 0 {
		// Fuse a comparison with the conditional jump that tests it.
		last := &p.Code[len(p.Code)-1]
		if n := len(p.Code); n >= 3 && fs.label <= n-3 {
			// $local <op> constant: one instruction.
			l, c := p.Code[n-3], p.Code[n-2]
			cmp := map[vm.Opcode]int32{vm.OpLess: 0, vm.OpLessEq: 1, vm.OpGreater: 2, vm.OpGreaterEq: 3}
			if k, ok := cmp[last.Op]; ok && l.Op == vm.OpLoadLocal && c.Op == vm.OpConst && l.A < 0x1000 && c.A < 0x10000 {
				p.Code = p.Code[:n-2]
				p.Lines = p.Lines[:n-2]
				p.Cols = p.Cols[:n-2]
				p.Code[n-3] = vm.Instr{Op: vm.OpCmpLocalConstJump, A: int32(a), B: l.A | c.A<<12 | k<<28}
				return n - 3
			}
		}
		switch last.Op {
		case vm.OpLess, vm.OpLessEq, vm.OpGreater, vm.OpGreaterEq, vm.OpEq, vm.OpNotEq, vm.OpStrictEq, vm.OpStrictNeq:
			last.B = int32(last.Op)
			last.Op = vm.OpCmpJumpFalse
			last.A = int32(a)
			return len(p.Code) - 1
		}
	}
	p.Code = append(p.Code, vm.Instr{Op: op, A: int32(a), B: int32(b)})
	p.Lines = append(p.Lines, int32(fs.pos.Line))
	p.Cols = append(p.Cols, int32(fs.pos.Col))
	fs.depth += stackEffect(op, a, b)
	if fs.depth > fs.maxStack {
		fs.maxStack = fs.depth
	}
	return len(p.Code) - 1
}

// stackEffect is a conservative estimate of the stack change, used only to
// size frames.
func stackEffect(op vm.Opcode, a, b int) int {
	switch op {
	case vm.OpConst, vm.OpNone, vm.OpTrue, vm.OpFalse, vm.OpDup, vm.OpLoadLocal, vm.OpLoadLocalCheck,
		vm.OpLoadLocalSoft, vm.OpLoadCell, vm.OpLoadCellSoft, vm.OpLoadFree, vm.OpLoadFreeSoft,
		vm.OpLoadGlobal, vm.OpLoadGlobalSoft, vm.OpLoadStatic, vm.OpLoadThis, vm.OpClosure,
		vm.OpNewArray, vm.OpPropKey, vm.OpLoadModGlobal:
		return 1
	case vm.OpIterNext:
		return 2
	}
	return 0
}

func (fs *funcState) here() int { return len(fs.proto.Code) }

func (fs *funcState) patch(at int) {
	fs.proto.Code[at].A = int32(fs.here())
	fs.label = fs.here()
}

func (fs *funcState) constIndex(v vm.Value, key any) int {
	if key != nil {
		if i, ok := fs.consts[key]; ok {
			return i
		}
	}
	fs.proto.Consts = append(fs.proto.Consts, v)
	i := len(fs.proto.Consts) - 1
	if key != nil {
		fs.consts[key] = i
	}
	return i
}

type numKey float64
type strKey string

func (fs *funcState) emitConst(v vm.Value) {
	var key any
	switch v.Kind() {
	case vm.KindNumber:
		fs.emit(vm.OpConst, fs.numberConst(v.Num()), 0)
		return
	case vm.KindString:
		key = strKey(v.Str())
	}
	fs.emit(vm.OpConst, fs.constIndex(v, key), 0)
}

// numberConst returns the constant index of f, shared by every use of the
// same number. -0 always gets a new entry, because as a map key it would
// equal 0.
func (fs *funcState) numberConst(f float64) int {
	var key any
	if f != 0 || !math.Signbit(f) {
		key = numKey(f)
	}
	return fs.constIndex(vm.Number(f), key)
}

func (fs *funcState) nameConst(name string) int {
	return fs.constIndex(vm.String(name), strKey(name))
}

func (fs *funcState) newLocal(name string) int {
	if s, ok := fs.locals[name]; ok {
		return s
	}
	s := len(fs.proto.LocalNames)
	fs.proto.LocalNames = append(fs.proto.LocalNames, name)
	fs.locals[name] = s
	return s
}

// temp allocates a hidden local slot.
func (fs *funcState) temp() int {
	s := len(fs.proto.LocalNames)
	fs.proto.LocalNames = append(fs.proto.LocalNames, "")
	return s
}

// finish completes the proto after the body is compiled.
func (fs *funcState) finish() {
	p := fs.proto
	p.NumLocals = len(p.LocalNames)
	p.MaxStack = fs.maxStack + 16
	fs.mod.protos = append(fs.mod.protos, p)
	for name := range fs.cellNames {
		if s, ok := fs.locals[name]; ok && s < p.NumParams {
			p.Cells = append(p.Cells, int32(s))
		}
	}
	for _, r := range fs.reads {
		if fs.assigned[r.name] || fs.params[r.name] || fs.captures[r.name] != 0 || fs.isCapture(r.name) {
			continue
		}
		if _, ok := fs.globals[r.name]; ok {
			continue
		}
		if fs.isTop {
			if _, ok := fs.mod.gslots[r.name]; ok && (fs.mod.globalRef[r.name] || fs.isPredefined(r.name)) {
				continue
			}
			if _, ok := fs.mod.importedV[r.name]; ok {
				continue
			}
		}
		fs.guarded(func() { fs.errorf(r.pos, "undefined variable $%s", r.name) })
	}
	// Function bodies of hoisted declarations.
	for _, fi := range fs.funcs {
		fs.compileFuncDecl(fi)
	}
	for _, ci := range fs.classes {
		fs.compileClass(ci)
	}
}

func (fs *funcState) isCapture(name string) bool {
	_, ok := fs.captures[name]
	return ok
}

func (fs *funcState) isPredefined(name string) bool {
	return fs.mod.predef[name]
}

// varRef is a resolved variable.
type varRef struct {
	kind int // vm.RootLocal, RootCell, RootFree, RootGlobal, RootThis, or refModGlobal
	slot int
	mod  int // refModGlobal: module index
	name string
}

const refModGlobal = 100

// resolveVar finds or creates the storage of $name in this scope.
func (fs *funcState) resolveVar(name string) varRef {
	if name == "this" && fs.class != nil {
		return varRef{kind: vm.RootThis, name: name}
	}
	if s, ok := fs.globals[name]; ok {
		return varRef{kind: vm.RootGlobal, slot: s, name: name}
	}
	if fs.isTop {
		if vi, ok := fs.mod.importedV[name]; ok {
			return varRef{kind: refModGlobal, slot: vi.slot, mod: moduleIndexPending(vi.mod), name: name}
		}
		return varRef{kind: vm.RootGlobal, slot: fs.mod.globalSlot(name), name: name}
	}
	if i, ok := fs.captures[name]; ok {
		return varRef{kind: vm.RootFree, slot: i, name: name}
	}
	s := fs.newLocal(name)
	if fs.cellNames[name] {
		return varRef{kind: vm.RootCell, slot: s, name: name}
	}
	return varRef{kind: vm.RootLocal, slot: s, name: name}
}

// moduleIndexPending returns a placeholder module reference; module
// indexes are final only once every module is compiled, so imported
// variables are patched in File. Modules compile before their importers,
// so the index is already final here.
func moduleIndexPending(m *module) int { return m.index }

func (fs *funcState) loadVar(name string, pos parser.Pos, soft bool) {
	if name == "this" && fs.class == nil {
		fs.errorf(pos, "$this is only valid inside class methods")
	}
	ref := fs.resolveVar(name)
	if !soft {
		fs.reads = append(fs.reads, pendingRead{name, pos})
	}
	switch ref.kind {
	case vm.RootThis:
		fs.emit(vm.OpLoadThis, 0, 0)
	case vm.RootGlobal:
		op := vm.OpLoadGlobal
		if soft {
			op = vm.OpLoadGlobalSoft
		}
		fs.emit(op, ref.slot, 0)
	case refModGlobal:
		fs.emit(vm.OpLoadModGlobal, ref.slot, ref.mod)
	case vm.RootFree:
		op := vm.OpLoadFree
		if soft {
			op = vm.OpLoadFreeSoft
		}
		fs.emit(op, ref.slot, fs.nameConst(name))
	case vm.RootCell:
		op := vm.OpLoadCell
		if soft {
			op = vm.OpLoadCellSoft
		}
		fs.emit(op, ref.slot, 0)
	default:
		switch {
		case soft:
			fs.emit(vm.OpLoadLocalSoft, ref.slot, 0)
		case fs.definite[name] || fs.params[name]:
			fs.emit(vm.OpLoadLocal, ref.slot, 0)
		default:
			fs.emit(vm.OpLoadLocalCheck, ref.slot, 0)
		}
	}
}

// storeVar pops the stack top into $name. fresh marks a value no other
// place references (no copy-on-write marking needed).
func (fs *funcState) storeVar(name string, pos parser.Pos, fresh bool) {
	fs.checkWritable(name, pos)
	fs.assigned[name] = true
	fs.definite[name] = true
	ref := fs.resolveVar(name)
	switch ref.kind {
	case vm.RootThis:
		fs.errorf(pos, "cannot assign to $this")
	case vm.RootGlobal:
		fs.emit(vm.OpStoreGlobal, ref.slot, 0)
	case refModGlobal:
		fs.emit(vm.OpStoreModGlobal, ref.slot, ref.mod)
	case vm.RootFree:
		fs.emit(vm.OpStoreFree, ref.slot, 0)
	case vm.RootCell:
		fs.emit(vm.OpStoreCell, ref.slot, 0)
	default:
		if fresh {
			fs.emit(vm.OpStoreLocalNew, ref.slot, 0)
		} else {
			fs.emit(vm.OpStoreLocal, ref.slot, 0)
		}
	}
}

func (fs *funcState) checkWritable(name string, pos parser.Pos) {
	if fs.isTop || fs.globals[name] != 0 || isGlobalDecl(fs, name) {
		m := fs.mod
		if vi, ok := m.importedV[name]; ok && fs.isTop {
			if vi.mod.readOnly[name] || vi.mod.consts[vi.slot].Kind() != vm.KindNone || hasConst(vi.mod, vi.slot) {
				fs.errorf(pos, "cannot assign to read-only variable $%s", name)
			}
			return
		}
		if m.readOnly[name] {
			fs.errorf(pos, "cannot assign to read-only variable $%s", name)
		}
	}
}

func isGlobalDecl(fs *funcState, name string) bool {
	_, ok := fs.globals[name]
	return ok
}

func hasConst(m *module, slot int) bool {
	_, ok := m.consts[slot]
	return ok
}

// rootOf returns the path root reference for $name.
func (fs *funcState) rootOf(name string, pos parser.Pos, write bool) int32 {
	if write {
		fs.checkWritable(name, pos)
		fs.assigned[name] = true
	}
	ref := fs.resolveVar(name)
	if ref.kind == refModGlobal {
		fs.errorf(pos, "element writes to the imported variable $%s are not supported; copy it first", name)
	}
	return vm.RootRef(ref.kind, ref.slot)
}

// withBranch compiles fn with a copy of the definite-assignment set, so
// assignments inside a conditional part do not count afterwards.
func (fs *funcState) withBranch(fn func()) {
	saved := make(map[string]bool, len(fs.definite))
	for k, v := range fs.definite {
		saved[k] = v
	}
	fn()
	fs.definite = saved
}
