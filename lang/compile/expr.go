package compile

import (
	"math"

	"github.com/halonsh/halonsh/lang/parser"
	"github.com/halonsh/halonsh/lang/vm"
)

var binOps = map[parser.Op]vm.Opcode{
	parser.OpAdd: vm.OpAdd, parser.OpSub: vm.OpSub, parser.OpMul: vm.OpMul, parser.OpDiv: vm.OpDiv,
	parser.OpMod: vm.OpMod, parser.OpPow: vm.OpPow, parser.OpConcat: vm.OpConcat,
	parser.OpEq: vm.OpEq, parser.OpNotEq: vm.OpNotEq, parser.OpStrictEq: vm.OpStrictEq,
	parser.OpStrictNeq: vm.OpStrictNeq, parser.OpLess: vm.OpLess, parser.OpLessEq: vm.OpLessEq,
	parser.OpGreater: vm.OpGreater, parser.OpGreaterEq: vm.OpGreaterEq,
	parser.OpRegexMatch: vm.OpMatch, parser.OpRegexNoMatch: vm.OpNoMatch,
	parser.OpBitAnd: vm.OpBitAnd, parser.OpBitOr: vm.OpBitOr, parser.OpBitXor: vm.OpBitXor,
	parser.OpShl: vm.OpShl, parser.OpShr: vm.OpShr, parser.OpUShr: vm.OpUShr,
}

// constValue evaluates an expression made only of literals and arithmetic
// on them (constant folding); ok is false otherwise.
func (fs *funcState) constValue(e parser.Expr) (vm.Value, bool) {
	switch e := e.(type) {
	case *parser.NumberLit:
		return vm.Number(e.Value), true
	case *parser.StringLit:
		return vm.String(e.Value), true
	case *parser.BoolLit:
		return vm.Bool(e.Value), true
	case *parser.NoneLit:
		return vm.None, true
	case *parser.UnaryExpr:
		x, ok := fs.constValue(e.X)
		if !ok || x.Kind() != vm.KindNumber {
			return vm.None, false
		}
		switch e.Op {
		case parser.OpNeg:
			return vm.Number(-x.Num()), true
		case parser.OpPlus:
			return x, true
		case parser.OpNot:
			return vm.Bool(!x.Truthy()), true
		}
	case *parser.BinaryExpr:
		x, ok1 := fs.constValue(e.X)
		y, ok2 := fs.constValue(e.Y)
		if !ok1 || !ok2 || x.Kind() != vm.KindNumber || y.Kind() != vm.KindNumber {
			return vm.None, false
		}
		a, b := x.Num(), y.Num()
		switch e.Op {
		case parser.OpAdd:
			return vm.Number(a + b), true
		case parser.OpSub:
			return vm.Number(a - b), true
		case parser.OpMul:
			return vm.Number(a * b), true
		case parser.OpDiv:
			if b != 0 {
				return vm.Number(a / b), true
			}
		case parser.OpPow:
			return vm.Number(math.Pow(a, b)), true
		}
	case *parser.ArrayLit:
		arr := vm.NewArray(len(e.Items))
		for _, it := range e.Items {
			if it.Spread {
				return vm.None, false
			}
			v, ok := fs.constValue(it.Value)
			if !ok {
				return vm.None, false
			}
			if it.Key == nil {
				if arr.Append(v) != nil {
					return vm.None, false
				}
				continue
			}
			kv, ok := fs.constValue(it.Key)
			if !ok {
				return vm.None, false
			}
			k, err := vm.ToKey(kv)
			if err != nil {
				return vm.None, false
			}
			arr.Set(k, v)
		}
		v := vm.ArrayValue(arr)
		// Constants are shared by every run: mark so writes copy.
		vm.NewList([]vm.Value{v})
		return v, true
	}
	return vm.None, false
}

func (fs *funcState) expr(e parser.Expr) {
	fs.pos = e.Pos()
	if v, ok := fs.constValue(e); ok {
		if _, isArr := e.(*parser.ArrayLit); !isArr {
			fs.emitConst(v)
			return
		}
	}
	switch e := e.(type) {
	case *parser.NumberLit:
		fs.emitConst(vm.Number(e.Value))
	case *parser.StringLit:
		fs.emitConst(vm.String(e.Value))
	case *parser.BoolLit:
		if e.Value {
			fs.emit(vm.OpTrue, 0, 0)
		} else {
			fs.emit(vm.OpFalse, 0, 0)
		}
	case *parser.NoneLit:
		fs.emit(vm.OpNone, 0, 0)
	case *parser.InterpString:
		for _, part := range e.Parts {
			switch p := part.(type) {
			case *parser.TextPart:
				fs.emitConst(vm.String(p.Text))
			case *parser.VarPart:
				fs.pos = p.At
				fs.loadVar(p.Name, p.At, true)
				fs.proto.Code[len(fs.proto.Code)-1].Op = checkedLoad(fs.proto.Code[len(fs.proto.Code)-1].Op)
			case *parser.ExprPart:
				fs.expr(p.X)
			}
		}
		fs.emit(vm.OpStrCat, len(e.Parts), 0)
	case *parser.RegexLit:
		re, err := vm.CompileRegex(e.Pattern, e.Flags)
		if err != nil {
			fs.errorf(e.At, "%s", err.Error())
		}
		fs.emit(vm.OpConst, fs.constIndex(vm.RegexValue(re), nil), 0)
	case *parser.ArrayLit:
		fs.arrayLit(e)
	case *parser.Variable:
		fs.loadVar(e.Name, e.At, false)
	case *parser.Ident:
		fs.emitConst(fs.resolveFunc(e.Name, e.At, false))
	case *parser.BuiltinExpr:
		v, ok := fs.c.opts.Library.Func(e.Name)
		if !ok {
			fs.errorf(e.At, "undefined builtin function %s", e.Name)
		}
		fs.emitConst(v)
	case *parser.ScopedExpr:
		fs.scoped(e)
	case *parser.FuncLit:
		fs.funcLit(e)
	case *parser.UnaryExpr:
		fs.expr(e.X)
		fs.pos = e.At
		switch e.Op {
		case parser.OpNeg:
			fs.emit(vm.OpNeg, 0, 0)
		case parser.OpPlus:
			fs.emit(vm.OpPlus, 0, 0)
		case parser.OpNot:
			fs.emit(vm.OpNot, 0, 0)
		case parser.OpBitNot:
			fs.emit(vm.OpBitNot, 0, 0)
		}
	case *parser.BinaryExpr:
		if e.Op == parser.OpConcat {
			if parts := concatParts(e, nil); len(parts) > 2 {
				// a . b . c builds the result in one allocation.
				for _, part := range parts {
					fs.expr(part)
				}
				fs.pos = e.At
				fs.emit(vm.OpStrCat, len(parts), 1)
				return
			}
		}
		if y, ok := fs.constValue(e.Y); ok && e.Op == parser.OpAdd && y.Kind() == vm.KindNumber {
			// x + number literal takes the constant as an operand, which
			// saves the dispatch of a separate push.
			fs.expr(e.X)
			fs.pos = e.At
			fs.emit(vm.OpAddConst, fs.numberConst(y.Num()), 0)
			return
		}
		fs.expr(e.X)
		fs.expr(e.Y)
		fs.pos = e.At
		op, ok := binOps[e.Op]
		if !ok {
			fs.errorf(e.At, "unsupported operator %s", e.Op)
		}
		fs.emit(op, 0, 0)
	case *parser.LogicalExpr:
		fs.expr(e.X)
		if e.Op == parser.OpAnd {
			jf := fs.emit(vm.OpJumpFalse, 0, 0)
			fs.withBranch(func() { fs.expr(e.Y) })
			fs.emit(vm.OpToBool, 0, 0)
			j := fs.emit(vm.OpJump, 0, 0)
			fs.patch(jf)
			fs.emit(vm.OpFalse, 0, 0)
			fs.patch(j)
		} else {
			jt := fs.emit(vm.OpJumpTrue, 0, 0)
			fs.withBranch(func() { fs.expr(e.Y) })
			fs.emit(vm.OpToBool, 0, 0)
			j := fs.emit(vm.OpJump, 0, 0)
			fs.patch(jt)
			fs.emit(vm.OpTrue, 0, 0)
			fs.patch(j)
		}
	case *parser.TernaryExpr:
		jf := fs.jumpIfFalse(e.Cond)
		fs.withBranch(func() { fs.expr(e.Then) })
		j := fs.emit(vm.OpJump, 0, 0)
		fs.patchAll(jf)
		fs.withBranch(func() { fs.expr(e.Else) })
		fs.patch(j)
	case *parser.ElvisExpr:
		fs.expr(e.X)
		fs.emit(vm.OpDup, 0, 0)
		jt := fs.emit(vm.OpJumpTrue, 0, 0)
		fs.emit(vm.OpPop, 0, 0)
		fs.withBranch(func() { fs.expr(e.Y) })
		fs.patch(jt)
	case *parser.CoalesceExpr:
		fs.softExpr(e.X)
		j := fs.emit(vm.OpJumpNotNone, 0, 0)
		fs.withBranch(func() { fs.expr(e.Y) })
		fs.patch(j)
	case *parser.AssignExpr:
		fs.assign(e)
	case *parser.CompoundAssignExpr:
		fs.compound(e.Target, e.Value, binOps[e.Op], 0, e.At)
	case *parser.IncDecExpr:
		op := vm.OpAdd
		if e.Op == parser.OpDec {
			op = vm.OpSub
		}
		flags := vm.UpdIncDec
		if !e.Prefix {
			flags |= vm.UpdPostfix
		}
		fs.compound(e.X, &parser.NumberLit{At: e.At, Value: 1}, op, flags, e.At)
	case *parser.DestructureExpr:
		fs.destructure(e)
	case *parser.IndexExpr:
		if e.Index == nil {
			fs.errorf(e.At, "cannot read $a[]: the empty index is only valid left of =")
		}
		fs.expr(e.X)
		fs.expr(e.Index)
		fs.pos = e.At
		fs.emit(vm.OpIndex, 0, 0)
	case *parser.SliceExpr:
		fs.expr(e.X)
		flags := 0
		for i, b := range []parser.Expr{e.Low, e.High, e.Step} {
			if b != nil {
				fs.expr(b)
				flags |= 1 << i
			}
		}
		fs.pos = e.At
		fs.emit(vm.OpSlice, flags, 0)
	case *parser.PropertyExpr:
		fs.expr(e.X)
		fs.pos = e.At
		fs.emit(vm.OpGetProp, fs.nameConst(e.Name), 0)
	case *parser.CallExpr:
		fs.call(e)
	case *parser.MatchExpr:
		fs.match(e)
	case *parser.IssetExpr:
		fs.pathOp(e.Target, vm.OpIssetPath, e.At)
	case *parser.UnsetExpr:
		if s, ok := e.Target.(*parser.SliceExpr); ok {
			fs.slicePath(s, vm.OpUnsetSlice, e.At)
			return
		}
		fs.pathOp(e.Target, vm.OpUnsetPath, e.At)
		if v, ok := e.Target.(*parser.Variable); ok {
			delete(fs.definite, v.Name)
		}
	case *parser.CacheExpr:
		fs.cache(e)
	default:
		fs.errorf(e.Pos(), "unsupported expression %T", e)
	}
}

func checkedLoad(op vm.Opcode) vm.Opcode {
	switch op {
	case vm.OpLoadLocalSoft:
		return vm.OpLoadLocalCheck
	case vm.OpLoadCellSoft:
		return vm.OpLoadCell
	case vm.OpLoadFreeSoft:
		return vm.OpLoadFree
	case vm.OpLoadGlobalSoft:
		return vm.OpLoadGlobal
	}
	return op
}

// softExpr compiles the left side of ??: a missing variable at the root
// of a variable, element or property chain reads as none.
func (fs *funcState) softExpr(e parser.Expr) {
	switch x := e.(type) {
	case *parser.Variable:
		fs.pos = x.At
		fs.loadVar(x.Name, x.At, true)
	case *parser.IndexExpr:
		if x.Index == nil {
			fs.expr(e)
			return
		}
		fs.softExpr(x.X)
		fs.expr(x.Index)
		fs.pos = x.At
		fs.emit(vm.OpIndex, 0, 0)
	case *parser.PropertyExpr:
		fs.softExpr(x.X)
		fs.pos = x.At
		fs.emit(vm.OpGetProp, fs.nameConst(x.Name), 0)
	default:
		fs.expr(e)
	}
}

func (fs *funcState) arrayLit(e *parser.ArrayLit) {
	if v, ok := fs.constValue(e); ok {
		fs.emitConst(v)
		return
	}
	fs.emit(vm.OpNewArray, len(e.Items), 0)
	for _, it := range e.Items {
		switch {
		case it.Spread:
			fs.expr(it.Value)
			fs.pos = it.At
			fs.emit(vm.OpArraySpread, 0, 0)
		case it.Key != nil:
			fs.expr(it.Key)
			fs.expr(it.Value)
			fs.pos = it.At
			fs.emit(vm.OpArraySet, 0, 0)
		default:
			fs.expr(it.Value)
			fs.pos = it.At
			fs.emit(vm.OpArrayPush, 0, 0)
		}
	}
}

// pathRoot walks a target down to its variable and pushes the keys of the
// path in order. It returns the root reference and the key count.
func (fs *funcState) pathRoot(e parser.Expr, write bool, keys *int) int32 {
	switch x := e.(type) {
	case *parser.Variable:
		if x.Name == "this" && fs.class != nil {
			return vm.RootRef(vm.RootThis, 0)
		}
		return fs.rootOf(x.Name, x.At, write)
	case *parser.ScopedExpr:
		if !x.IsVar {
			break
		}
		return vm.RootRef(vm.RootStatic, fs.staticSlot(x))
	case *parser.IndexExpr:
		root := fs.pathRoot(x.X, write, keys)
		if x.Index == nil {
			fs.emitConst(appendKey)
			fs.proto.Code[len(fs.proto.Code)-1].Op = vm.OpConst
		} else {
			fs.expr(x.Index)
		}
		*keys++
		return root
	case *parser.PropertyExpr:
		root := fs.pathRoot(x.X, write, keys)
		fs.emit(vm.OpPropKey, fs.nameConst(x.Name), 0)
		*keys++
		return root
	}
	fs.errorf(e.Pos(), "cannot assign to this expression")
	return 0
}

var appendKey = vm.AppendKey()

func (fs *funcState) pathOp(target parser.Expr, op vm.Opcode, pos parser.Pos) {
	n := 0
	root := fs.pathRoot(target, op == vm.OpUnsetPath, &n)
	fs.pos = pos
	fs.emit(op, int(root), n)
	if op == vm.OpIssetPath || op == vm.OpUnsetPath {
		fs.depth = fs.depth - n + 1
	}
}

func (fs *funcState) slicePath(s *parser.SliceExpr, op vm.Opcode, pos parser.Pos) {
	if s.Step != nil {
		fs.errorf(s.At, "slice assignment takes no step")
	}
	n := 0
	root := fs.pathRoot(s.X, true, &n)
	flags := n
	if s.Low != nil {
		fs.expr(s.Low)
		flags |= 1 << 8
	}
	if s.High != nil {
		fs.expr(s.High)
		flags |= 1 << 9
	}
	fs.pos = pos
	fs.emit(op, int(root), flags)
}

func (fs *funcState) assign(e *parser.AssignExpr) {
	switch t := e.Target.(type) {
	case *parser.Variable:
		fs.expr(e.Value)
		fs.pos = e.At
		fs.emit(vm.OpDup, 0, 0)
		fs.storeVar(t.Name, t.At, isFresh(e.Value))
	case *parser.ScopedExpr:
		if !t.IsVar {
			fs.errorf(t.At, "cannot assign to %s::%s", t.Scope, t.Name)
		}
		fs.expr(e.Value)
		fs.emit(vm.OpDup, 0, 0)
		fs.emit(vm.OpStoreStatic, fs.staticSlot(t), 0)
	case *parser.IndexExpr, *parser.PropertyExpr:
		fs.expr(e.Value)
		n := 0
		root := fs.pathRoot(e.Target, true, &n)
		fs.pos = e.At
		fs.emit(vm.OpSetPath, int(root), n)
	case *parser.SliceExpr:
		fs.expr(e.Value)
		fs.slicePath(t, vm.OpSetSlice, e.At)
	default:
		fs.errorf(e.Target.Pos(), "cannot assign to this expression")
	}
}

// compound compiles `target op= value`, ++ and --.
func (fs *funcState) compound(target, value parser.Expr, op vm.Opcode, flags int, pos parser.Pos) {
	fs.expr(value)
	fs.pos = pos
	if v, ok := target.(*parser.Variable); ok {
		if v.Name != "this" || fs.class == nil {
			fs.checkWritable(v.Name, v.At)
			fs.reads = append(fs.reads, pendingRead{v.Name, v.At})
			fs.assigned[v.Name] = true
			ref := fs.resolveVar(v.Name)
			if ref.kind == vm.RootLocal || ref.kind == vm.RootCell {
				fs.emit(vm.OpUpdateLocal, ref.slot, int(op)|flags)
				return
			}
		}
	}
	n := 0
	root := fs.pathRoot(target, true, &n)
	fs.pos = pos
	fs.emit(vm.OpUpdatePath, int(root), n|int(op)<<8|flags)
}

func (fs *funcState) destructure(e *parser.DestructureExpr) {
	fs.expr(e.Value)
	tmp := fs.temp()
	fs.emit(vm.OpDup, 0, 0)
	fs.emit(vm.OpStoreLocalNew, tmp, 0)
	for i, it := range e.Pattern.Items {
		fs.pos = it.At
		fs.emit(vm.OpLoadLocal, tmp, 0)
		switch {
		case it.Rest:
			fs.emit(vm.OpDestructRest, i, 0)
		case e.Pattern.Keyed:
			fs.expr(it.Key)
			fs.emit(vm.OpDestructKey, 0, boolInt(it.Default != nil))
		default:
			fs.emit(vm.OpDestructPos, i, boolInt(it.Default != nil))
		}
		if it.Default != nil {
			j := fs.emit(vm.OpJumpDefined, 0, 0)
			fs.expr(it.Default)
			fs.patch(j)
		}
		fs.storeVar(it.Var.Name, it.Var.At, false)
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (fs *funcState) match(e *parser.MatchExpr) {
	fs.expr(e.Subject)
	tmp := fs.temp()
	fs.emit(vm.OpStoreLocalNew, tmp, 0)
	var ends []int
	var def *parser.MatchArm
	for _, arm := range e.Arms {
		if arm.Default {
			def = arm
			continue
		}
		var hits []int
		for _, v := range arm.Values {
			fs.emit(vm.OpLoadLocal, tmp, 0)
			fs.expr(v)
			fs.emit(vm.OpStrictEq, 0, 0)
			hits = append(hits, fs.emit(vm.OpJumpTrue, 0, 0))
		}
		skip := fs.emit(vm.OpJump, 0, 0)
		for _, h := range hits {
			fs.patch(h)
		}
		fs.withBranch(func() { fs.expr(arm.Result) })
		ends = append(ends, fs.emit(vm.OpJump, 0, 0))
		fs.patch(skip)
	}
	if def != nil {
		fs.withBranch(func() { fs.expr(def.Result) })
	} else {
		fs.pos = e.At
		fs.emit(vm.OpLoadLocal, tmp, 0)
		fs.emit(vm.OpMatchFail, 0, 0)
	}
	for _, j := range ends {
		fs.patch(j)
	}
}

// concatParts flattens a left-nested chain of `.` into its operands.
func concatParts(e parser.Expr, out []parser.Expr) []parser.Expr {
	if b, ok := e.(*parser.BinaryExpr); ok && b.Op == parser.OpConcat {
		out = concatParts(b.X, out)
		return append(out, b.Y)
	}
	return append(out, e)
}
