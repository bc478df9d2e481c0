package vm

import "unsafe"

// exec runs the innermost frame (pushed by the caller, marked base) until
// it returns. The hot state (pc, sp, stack, code, constants, budget) lives
// in Go locals; it is written back to the thread only around calls into Go
// code and on frame changes.
func (th *thread) exec() (result Value, err error) {
	baseFrame := len(th.frames) - 1
	var (
		fr      *frame
		p       *Proto
		code    []Instr
		consts  []Value
		globals []Value
		stack   []Value
		pc, bp  int
		sp      int
	)
	budget := th.budget
	baseBP := th.frames[baseFrame].bp
	sp = baseBP + th.frames[baseFrame].proto.NumLocals

reload:
	fr = &th.frames[len(th.frames)-1]
	p = fr.proto
	code = p.Code
	consts = p.Consts
	globals = th.globals[p.Module]
	stack = th.stack
	pc = fr.pc
	bp = fr.bp
	if sp > th.highSP {
		th.highSP = sp
	}

	for {
		in := code[pc]
		pc++
		a := int(in.A)
		switch in.Op {
		case OpNop:

		case OpConst:
			stack[sp] = consts[a]
			sp++
		case OpNone:
			stack[sp] = None
			sp++
		case OpTrue:
			stack[sp] = True
			sp++
		case OpFalse:
			stack[sp] = False
			sp++
		case OpPop:
			sp--
		case OpDup:
			stack[sp] = stack[sp-1]
			sp++

		case OpLoadLocal:
			stack[sp] = stack[bp+a]
			sp++
		case OpLoadLocalCheck:
			v := stack[bp+a]
			if v.kind == kindUndef {
				err = Errorf("undefined variable $%s", p.LocalNames[a])
				goto fail
			}
			stack[sp] = v
			sp++
		case OpLoadLocalSoft:
			v := stack[bp+a]
			if v.kind == kindUndef {
				v = None
			}
			stack[sp] = v
			sp++
		case OpStoreLocal:
			sp--
			v := stack[sp]
			if v.kind == KindArray {
				markShared(v)
			}
			stack[bp+a] = v
		case OpStoreLocalNew:
			sp--
			stack[bp+a] = stack[sp]
		case OpLoadCell, OpLoadCellSoft:
			v := *(*Value)(stack[bp+a].p)
			if v.kind == kindUndef {
				if in.Op == OpLoadCellSoft {
					v = None
				} else {
					err = Errorf("undefined variable $%s", p.LocalNames[a])
					goto fail
				}
			}
			stack[sp] = v
			sp++
		case OpStoreCell:
			sp--
			v := stack[sp]
			markShared(v)
			*(*Value)(stack[bp+a].p) = v
		case OpMakeCell:
			c := new(Value)
			*c = stack[bp+a]
			stack[bp+a] = Value{kind: kindCell, p: unsafe.Pointer(c)}
		case OpLoadFree, OpLoadFreeSoft:
			v := *fr.fn.cells[a]
			if v.kind == kindUndef {
				if in.Op == OpLoadFreeSoft {
					v = None
				} else {
					err = Errorf("undefined variable $%s", p.Consts[in.B].str())
					goto fail
				}
			}
			stack[sp] = v
			sp++
		case OpStoreFree:
			sp--
			v := stack[sp]
			markShared(v)
			*fr.fn.cells[a] = v
		case OpLoadGlobal, OpLoadGlobalSoft:
			v := globals[a]
			if v.kind == kindUndef {
				if in.Op == OpLoadGlobalSoft {
					v = None
				} else {
					err = Errorf("undefined variable $%s", th.prog.modules[p.Module].Globals[a])
					goto fail
				}
			}
			stack[sp] = v
			sp++
		case OpStoreGlobal:
			sp--
			v := stack[sp]
			markShared(v)
			globals[a] = v
		case OpLoadModGlobal:
			v := th.globals[in.B][a]
			if v.kind == kindUndef {
				err = Errorf("undefined variable $%s", th.prog.modules[in.B].Globals[a])
				goto fail
			}
			stack[sp] = v
			sp++
		case OpStoreModGlobal:
			sp--
			v := stack[sp]
			markShared(v)
			th.globals[in.B][a] = v
		case OpLoadStatic:
			stack[sp] = th.statics[a]
			sp++
		case OpStoreStatic:
			sp--
			v := stack[sp]
			markShared(v)
			th.statics[a] = v
		case OpLoadThis:
			if fr.this == nil {
				stack[sp] = None
			} else {
				stack[sp] = ObjectValue(fr.this)
			}
			sp++

		case OpAdd:
			x, y := stack[sp-2], stack[sp-1]
			sp--
			if x.kind == KindNumber && y.kind == KindNumber {
				stack[sp-1] = Number(x.num() + y.num())
				continue
			}
			th.sp = sp + 1
			if stack[sp-1], err = th.arith(OpAdd, x, y); err != nil {
				goto fail
			}
		case OpAddConst:
			x, y := stack[sp-1], consts[a]
			if x.kind == KindNumber {
				stack[sp-1] = Number(x.num() + y.num())
				continue
			}
			th.sp = sp
			if stack[sp-1], err = th.arith(OpAdd, x, y); err != nil {
				goto fail
			}
		case OpSub:
			x, y := stack[sp-2], stack[sp-1]
			sp--
			if x.kind == KindNumber && y.kind == KindNumber {
				stack[sp-1] = Number(x.num() - y.num())
				continue
			}
			th.sp = sp + 1
			if stack[sp-1], err = th.arith(OpSub, x, y); err != nil {
				goto fail
			}
		case OpMul:
			x, y := stack[sp-2], stack[sp-1]
			sp--
			if x.kind == KindNumber && y.kind == KindNumber {
				stack[sp-1] = Number(x.num() * y.num())
				continue
			}
			th.sp = sp + 1
			if stack[sp-1], err = th.arith(OpMul, x, y); err != nil {
				goto fail
			}
		case OpDiv:
			x, y := stack[sp-2], stack[sp-1]
			sp--
			if x.kind == KindNumber && y.kind == KindNumber && y.num() != 0 {
				stack[sp-1] = Number(x.num() / y.num())
				continue
			}
			th.sp = sp + 1
			if stack[sp-1], err = th.arith(OpDiv, x, y); err != nil {
				goto fail
			}
		case OpMod:
			x, y := stack[sp-2], stack[sp-1]
			sp--
			if x.kind == KindNumber && y.kind == KindNumber {
				if a, b := x.num(), y.num(); b > 0 && a >= 0 && a < 1<<53 && b < 1<<53 && a == float64(int64(a)) && b == float64(int64(b)) {
					stack[sp-1] = Number(float64(int64(a) % int64(b)))
					continue
				}
			}
			th.sp = sp + 1
			if stack[sp-1], err = th.arith(OpMod, x, y); err != nil {
				goto fail
			}
		case OpPow, OpBitAnd, OpBitOr, OpBitXor, OpShl, OpShr, OpUShr:
			x, y := stack[sp-2], stack[sp-1]
			sp--
			th.sp = sp + 1
			if stack[sp-1], err = th.arith(in.Op, x, y); err != nil {
				goto fail
			}
		case OpConcat:
			x, y := stack[sp-2], stack[sp-1]
			sp--
			th.sp = sp + 1
			if stack[sp-1], err = th.concat(x, y); err != nil {
				goto fail
			}
		case OpStrCat:
			n := a
			var total int
			for i := sp - n; i < sp; i++ {
				v := stack[i]
				if v.kind != KindString {
					if v.kind == KindNone && in.B == 1 {
						err = Errorf("cannot concatenate none")
						goto fail
					}
					v = String(v.String())
					stack[i] = v
				}
				total += int(v.u)
			}
			if int64(total) > th.limits.MaxMemory {
				err = Errorf(msgMemoryLimit)
				goto fail
			}
			buf := make([]byte, 0, total)
			for i := sp - n; i < sp; i++ {
				buf = append(buf, stack[i].str()...)
			}
			sp -= n
			stack[sp] = String(unsafe.String(unsafe.SliceData(buf), len(buf)))
			sp++
			th.memBudget -= int64(total)
			if th.memBudget < 0 {
				th.sp = sp
				if err = th.checkMemory(None); err != nil {
					goto fail
				}
			}
		case OpEq:
			sp--
			stack[sp-1] = Bool(LooseEqual(stack[sp-1], stack[sp]))
		case OpNotEq:
			sp--
			stack[sp-1] = Bool(!LooseEqual(stack[sp-1], stack[sp]))
		case OpStrictEq:
			sp--
			stack[sp-1] = Bool(StrictEqual(stack[sp-1], stack[sp]))
		case OpStrictNeq:
			sp--
			stack[sp-1] = Bool(!StrictEqual(stack[sp-1], stack[sp]))
		case OpLess:
			x, y := stack[sp-2], stack[sp-1]
			sp--
			if x.kind == KindNumber && y.kind == KindNumber {
				stack[sp-1] = Bool(x.num() < y.num())
				continue
			}
			stack[sp-1] = Bool(th.compare(OpLess, x, y))
		case OpLessEq, OpGreater, OpGreaterEq:
			sp--
			stack[sp-1] = Bool(th.compare(in.Op, stack[sp-1], stack[sp]))
		case OpMatch, OpNoMatch:
			sp--
			var ok bool
			if ok, err = regexMatch(stack[sp-1], stack[sp]); err != nil {
				goto fail
			}
			stack[sp-1] = Bool(ok == (in.Op == OpMatch))

		case OpNeg:
			v := stack[sp-1]
			if v.kind == KindNumber {
				stack[sp-1] = Number(-v.num())
				continue
			}
			stack[sp-1] = Number(-v.ToNumber())
		case OpPlus:
			stack[sp-1] = Number(stack[sp-1].ToNumber())
		case OpNot:
			stack[sp-1] = Bool(!stack[sp-1].Truthy())
		case OpBitNot:
			stack[sp-1] = Number(float64(^ToInt32(stack[sp-1].ToNumber())))
		case OpToBool:
			stack[sp-1] = Bool(stack[sp-1].Truthy())

		case OpJump:
			pc = a
		case OpJumpFalse:
			sp--
			v := stack[sp]
			if v.kind == KindBool {
				if v.u == 0 {
					pc = a
				}
			} else if !v.Truthy() {
				pc = a
			}
		case OpJumpTrue:
			sp--
			if stack[sp].Truthy() {
				pc = a
			}
		case OpJumpNotNone:
			if stack[sp-1].kind != KindNone {
				pc = a
			} else {
				sp--
			}
		case OpJumpDefined:
			if stack[sp-1].kind != kindUndef {
				pc = a
			} else {
				sp--
			}
		case OpCmpJumpFalse:
			x, y := stack[sp-2], stack[sp-1]
			sp -= 2
			var ok bool
			if x.kind == KindNumber && y.kind == KindNumber {
				switch Opcode(in.B) {
				case OpLess:
					ok = x.num() < y.num()
				case OpLessEq:
					ok = x.num() <= y.num()
				case OpGreater:
					ok = x.num() > y.num()
				case OpGreaterEq:
					ok = x.num() >= y.num()
				case OpEq, OpStrictEq:
					ok = x.num() == y.num()
				default:
					ok = x.num() != y.num()
				}
			} else {
				switch Opcode(in.B) {
				case OpEq:
					ok = LooseEqual(x, y)
				case OpNotEq:
					ok = !LooseEqual(x, y)
				case OpStrictEq:
					ok = StrictEqual(x, y)
				case OpStrictNeq:
					ok = !StrictEqual(x, y)
				default:
					ok = th.compare(Opcode(in.B), x, y)
				}
			}
			if !ok {
				pc = a
			}
		case OpLoop:
			// The budget is checked before the jump, so that a limit or a
			// cancellation is reported at the loop, not before it.
			budget -= int64(in.B)
			if budget <= 0 {
				if err = th.refill(budget); err != nil {
					goto fail
				}
				budget = th.budget
			}
			pc = a

		case OpCall, OpCallSpread:
			argc := a
			if in.Op == OpCallSpread {
				if sp, argc, err = th.spreadArgs(sp); err != nil {
					goto fail
				}
				stack = th.stack
			}
			fv := stack[sp-argc-1]
			if fv.kind != KindFunction {
				err = Errorf("cannot call %s", fv.TypeName())
				goto fail
			}
			f := (*Function)(fv.p)
			budget--
			if budget <= 0 {
				if err = th.refill(budget); err != nil {
					goto fail
				}
				budget = th.budget
			}
			fr.pc = pc
			if fp := f.proto; fp != nil && argc == fp.NumParams && !fp.Variadic && len(fp.Cells) == 0 &&
				len(th.frames) < th.limits.MaxCallDepth && sp+fp.NumLocals+fp.MaxStack < len(stack) {
				// Fast path: exact arity, no cells, room on the stack.
				nbp := sp - argc
				for i := nbp; i < sp; i++ {
					if stack[i].kind == KindArray {
						markShared(stack[i])
					}
				}
				sp = nbp + fp.NumLocals
				for i := nbp + argc; i < sp; i++ {
					stack[i] = undef
				}
				th.frames = append(th.frames, frame{proto: fp, fn: f, bp: nbp, this: f.this})
				goto reload
			}
			if f.proto != nil {
				if err = th.pushFrame(f.proto, f, f.this, sp, argc, false); err != nil {
					goto fail
				}
				sp = sp - argc + f.proto.NumLocals
				goto reload
			}
			th.sp = sp
			th.budget = budget
			var r Value
			// The arguments stay on the stack: calls made by the builtin
			// use the slots above th.sp.
			r, err = th.callFunction(f, stack[sp-argc:sp:sp])
			budget = th.budget
			stack = th.stack
			if err != nil {
				goto fail
			}
			sp -= argc
			stack[sp-1] = r
		case OpCallMethod, OpCallMethodSpread:
			argc := int(in.B)
			if in.Op == OpCallMethodSpread {
				if sp, argc, err = th.spreadArgs(sp); err != nil {
					goto fail
				}
				stack = th.stack
			}
			recv := stack[sp-argc-1]
			name := consts[a].str()
			fr.pc = pc
			th.sp = sp
			th.budget = budget
			var m *MethodDef
			var callee Value
			if m, callee, err = th.lookupMethod(recv, name, p.Class); err != nil {
				goto fail
			}
			if m != nil {
				stack[sp-argc-1] = None
				if err = th.pushFrame(m.Proto, nil, (*Object)(recv.p), sp, argc, false); err != nil {
					goto fail
				}
				sp = sp - argc + m.Proto.NumLocals
				goto reload
			}
			var r Value
			r, err = th.callValue(callee, stack[sp-argc:sp:sp])
			budget = th.budget
			stack = th.stack
			if err != nil {
				goto fail
			}
			sp -= argc
			stack[sp-1] = r

		case OpReturn, OpReturnNone:
			var v Value
			if in.Op == OpReturn {
				v = stack[sp-1]
			}
			if p.IsInit {
				v = ObjectValue(fr.this)
			}
			isBase := fr.base
			nbp := fr.bp
			if len(th.handlers) > 0 || len(th.barriers) > 0 {
				th.sp = sp
				th.popFrame()
			} else {
				th.frames = th.frames[:len(th.frames)-1]
			}
			sp = nbp
			stack[sp-1] = v
			if isBase {
				th.sp = sp - 1
				th.budget = budget
				return v, nil
			}
			goto reload
		case OpHalt:
			// Only top-level code contains OpHalt, and its normal end
			// returns no error.
			th.budget = budget
			th.sp = sp
			if len(th.handlers) == 0 && len(th.barriers) == 0 {
				th.frames = th.frames[:baseFrame]
				return None, nil
			}
			for len(th.frames) > baseFrame {
				th.popFrame()
			}
			return None, nil

		case OpClosure:
			proto := consts[a].Function().proto
			f := &Function{proto: proto, this: fr.this}
			if len(proto.Captures) > 0 {
				f.cells = make([]*Value, len(proto.Captures))
				for i, c := range proto.Captures {
					var cell *Value
					switch c.Kind {
					case RootCell:
						cell = (*Value)(stack[bp+c.Slot].p)
					case RootFree:
						cell = fr.fn.cells[c.Slot]
					case RootGlobal:
						cell = &globals[c.Slot]
					}
					if cell.kind == kindUndef {
						*cell = None
					}
					f.cells[i] = cell
				}
			}
			stack[sp] = FunctionValue(f)
			sp++
			th.memBudget -= functionSize + int64(len(f.cells))*pointerSize
			if th.memBudget < 0 {
				th.sp = sp
				if err = th.checkMemory(None); err != nil {
					goto fail
				}
			}

		case OpNewArray:
			stack[sp] = ArrayValue(NewArray(a))
			sp++
			th.memBudget -= arraySize + int64(a)*valueSize
			if th.memBudget < 0 {
				th.sp = sp
				if err = th.checkMemory(None); err != nil {
					goto fail
				}
			}
		case OpArrayPush:
			sp--
			arr := (*Array)(stack[sp-1].p)
			v := stack[sp]
			markShared(v)
			if err = arr.appendValue(v); err != nil {
				goto fail
			}
		case OpArraySet:
			sp -= 2
			arr := (*Array)(stack[sp-1].p)
			var k Key
			if k, err = ToKey(stack[sp]); err != nil {
				goto fail
			}
			v := stack[sp+1]
			markShared(v)
			arr.set(k, v)
		case OpArraySpread:
			sp--
			arr := (*Array)(stack[sp-1].p)
			src := stack[sp]
			oldCap := cap(arr.vals)
			if a == 1 {
				if src.kind != KindArray {
					err = Errorf("cannot spread %s into arguments", src.TypeName())
					goto fail
				}
				for _, v := range (*Array)(src.p).Values() {
					markShared(v)
					arr.appendValue(v)
				}
			} else if err = spreadInto(arr, src); err != nil {
				goto fail
			}
			th.sp = sp
			if err = th.accountGrowth(arr, oldCap); err != nil {
				goto fail
			}
		case OpIndex:
			x, k := stack[sp-2], stack[sp-1]
			sp--
			if x.kind == KindArray && k.kind == KindNumber {
				arr := (*Array)(x.p)
				f := k.num()
				i := int(f)
				if arr.keys == nil && float64(i) == f && i >= 0 && i < len(arr.vals) {
					stack[sp-1] = arr.vals[i]
					continue
				}
			}
			fr.pc = pc
			th.sp = sp
			if stack[sp-1], err = th.index(x, k); err != nil {
				goto fail
			}
		case OpSlice:
			lo, hi, step := None, None, None
			if a&4 != 0 {
				sp--
				step = stack[sp]
			}
			if a&2 != 0 {
				sp--
				hi = stack[sp]
			}
			if a&1 != 0 {
				sp--
				lo = stack[sp]
			}
			if stack[sp-1], err = slice(stack[sp-1], lo, hi, step); err != nil {
				goto fail
			}
			if r := stack[sp-1]; r.kind == KindArray {
				th.sp = sp
				if err = th.account(arraySize+arrayStorage((*Array)(r.p)), None); err != nil {
					goto fail
				}
			}
		case OpGetProp:
			fr.pc = pc
			if stack[sp-1], err = th.getProp(stack[sp-1], consts[a].str(), p.Class); err != nil {
				goto fail
			}
		case OpPropKey:
			stack[sp] = propKey(consts[a].str())
			sp++

		case OpSetPath, OpUpdatePath, OpIssetPath, OpUnsetPath, OpSetSlice, OpUnsetSlice:
			fr.pc = pc
			th.sp = sp
			if sp, err = th.pathOp(in, fr, sp); err != nil {
				goto fail
			}
			stack = th.stack

		case OpUpdateLocal:
			rhs := stack[sp-1]
			ref := &stack[bp+a]
			if ref.kind == kindCell {
				ref = (*Value)(ref.p)
			}
			old := *ref
			op := Opcode(in.B & 0xff)
			if old.kind == KindNumber && rhs.kind == KindNumber && op == OpAdd {
				*ref = Number(old.num() + rhs.num())
				if in.B&UpdDiscard != 0 {
					sp--
					continue
				}
				stack[sp-1] = *ref
				if in.B&UpdPostfix != 0 {
					stack[sp-1] = old
				}
				continue
			}
			if old.kind == kindUndef {
				err = Errorf("undefined variable $%s", p.LocalNames[a])
				goto fail
			}
			th.sp = sp
			var nv Value
			if op == OpConcat && old.kind == KindString {
				// `$s .= x` grows the string in place when $s holds the
				// newest reference to its buffer.
				if nv, err = th.concat(old, rhs); err != nil {
					goto fail
				}
				nv = growable(old, nv)
			} else if in.B&UpdIncDec != 0 {
				if nv, err = th.arith(op, Number(old.ToNumber()), rhs); err != nil {
					goto fail
				}
			} else if nv, err = th.arith(op, old, rhs); err != nil {
				goto fail
			}
			*ref = nv
			if in.B&UpdDiscard != 0 {
				sp--
			} else if in.B&UpdPostfix != 0 {
				stack[sp-1] = old
				if in.B&UpdIncDec != 0 {
					stack[sp-1] = Number(old.ToNumber())
				}
			} else {
				stack[sp-1] = nv
			}
		case OpIncLocal:
			ref := &stack[bp+a]
			if ref.kind == KindNumber {
				*ref = Number(ref.num() + float64(in.B))
				continue
			}
			if ref.kind == kindCell {
				ref = (*Value)(ref.p)
			}
			if ref.kind == kindUndef {
				err = Errorf("undefined variable $%s", p.LocalNames[a])
				goto fail
			}
			*ref = Number(ref.ToNumber() + float64(in.B))

		case OpAppendLocal:
			sp--
			v := stack[sp]
			ref := &stack[bp+a]
			if ref.kind == KindArray {
				arr := (*Array)(ref.p)
				if !arr.shared && arr.keys == nil {
					if v.kind == KindArray {
						markShared(v)
					}
					if len(arr.vals) == cap(arr.vals) {
						arr.grow()
						th.memBudget -= int64(cap(arr.vals)) * valueSize
					}
					arr.vals = append(arr.vals, v)
					arr.next++
					if th.memBudget < 0 {
						th.sp = sp
						if err = th.checkMemory(None); err != nil {
							goto fail
						}
					}
					continue
				}
			}
			fr.pc = pc
			th.sp = sp
			if ref.kind == kindUndef {
				*ref = None
			}
			if err = th.assign(ref, []Value{{kind: kindAppend}}, v); err != nil {
				goto fail
			}
		case OpSetLocalIndex:
			sp -= 2
			v, k := stack[sp], stack[sp+1]
			ref := &stack[bp+a]
			fr.pc = pc
			if ref.kind == kindUndef {
				*ref = None
			}
			if ref.kind == KindArray {
				arr := (*Array)(ref.p)
				if !arr.shared {
					var key Key
					if key, err = ToKey(k); err != nil {
						goto fail
					}
					markShared(v)
					oldCap := cap(arr.vals)
					arr.set(key, v)
					if cap(arr.vals) != oldCap {
						th.sp = sp
						if err = th.accountGrowth(arr, oldCap); err != nil {
							goto fail
						}
					}
					continue
				}
			}
			th.sp = sp + 2
			if err = th.assign(ref, stack[sp+1:sp+2], v); err != nil {
				goto fail
			}
		case OpIterInit:
			sp--
			fr.pc = pc
			th.sp = sp
			var it *iterator
			if it, err = th.newIterator(stack[sp]); err != nil {
				goto fail
			}
			stack[bp+a] = Value{kind: kindIter, p: unsafe.Pointer(it)}
		case OpIterNext:
			it := (*iterator)(stack[bp+a].p)
			k, v, ok := it.next()
			if !ok {
				pc = int(in.B)
				budget -= 1
				continue
			}
			stack[sp] = k
			stack[sp+1] = v
			sp += 2
		case OpIterNextValue:
			// The value goes straight to its plain local slot (the next
			// instruction's A), the key is dropped.
			it := (*iterator)(stack[bp+a].p)
			dst := int(code[pc].A)
			pc++
			if a := it.arr; a != nil && a.keys == nil {
				if it.pos < len(a.vals) {
					v := a.vals[it.pos]
					it.pos++
					if v.kind == KindArray {
						markShared(v)
					}
					stack[bp+dst] = v
					continue
				}
				pc = int(in.B)
				continue
			}
			_, v, ok := it.next()
			if !ok {
				pc = int(in.B)
				continue
			}
			markShared(v)
			stack[bp+dst] = v
		case OpCmpLocalConstJump:
			x := stack[bp+int(in.B&0xfff)]
			y := consts[(in.B>>12)&0xffff]
			if x.kind == KindNumber && y.kind == KindNumber {
				var ok bool
				switch in.B >> 28 {
				case 0:
					ok = x.num() < y.num()
				case 1:
					ok = x.num() <= y.num()
				case 2:
					ok = x.num() > y.num()
				default:
					ok = x.num() >= y.num()
				}
				if !ok {
					pc = a
				}
				continue
			}
			if x.kind == kindUndef {
				err = Errorf("undefined variable $%s", p.LocalNames[in.B&0xfff])
				goto fail
			}
			if !th.compare([4]Opcode{OpLess, OpLessEq, OpGreater, OpGreaterEq}[in.B>>28], x, y) {
				pc = a
			}

		case OpDestructPos, OpDestructKey:
			var src, k Value
			if in.Op == OpDestructKey {
				sp--
				k = stack[sp]
			}
			src = stack[sp-1]
			v, found := undef, false
			if src.kind == KindArray {
				arr := (*Array)(src.p)
				if in.Op == OpDestructPos {
					if a < arr.Len() {
						_, v = arr.At(a)
						found = true
					}
				} else {
					var key Key
					if key, err = ToKey(k); err != nil {
						goto fail
					}
					v, found = arr.Get(key)
				}
			}
			if !found {
				v = undef
				if in.B == 0 {
					v = None
				}
			}
			stack[sp-1] = v
		case OpDestructRest:
			src := stack[sp-1]
			var rest []Value
			if src.kind == KindArray {
				vals := (*Array)(src.p).Values()
				if a < len(vals) {
					rest = vals[a:]
				}
			}
			stack[sp-1] = ArrayValue(NewList(rest))
			th.sp = sp
			if err = th.account(arraySize+int64(cap(rest))*valueSize, None); err != nil {
				goto fail
			}

		case OpEcho:
			sp--
			v := stack[sp]
			if v.kind == KindNumber {
				th.echoBuf = AppendNumber(th.echoBuf[:0], v.num())
			} else {
				th.echoBuf = v.AppendDisplay(th.echoBuf[:0])
			}
			th.echoBuf = append(th.echoBuf, '\n')
			th.out.Write(th.echoBuf)
		case OpThrow:
			sp--
			v := stack[sp]
			e := &Error{Value: v, Err: errThrown}
			if v.kind == KindObject && (*Object)(v.p).class == ExceptionClass {
				m, _ := (*Object)(v.p).Prop("message")
				e.Message = m.String()
			} else {
				e.Message = v.String()
			}
			err = e
			goto fail
		case OpTry:
			th.handlers = append(th.handlers, handler{frame: len(th.frames) - 1, sp: sp, catchPC: a, barriers: len(th.barriers)})
		case OpEndTry:
			th.handlers = th.handlers[:len(th.handlers)-1]
		case OpMatchFail:
			sp--
			v := stack[sp]
			if v.kind == KindString {
				err = Errorf("unhandled match value %s", quoteDisplay(v.str()))
			} else {
				err = Errorf("unhandled match value %s", v.String())
			}
			goto fail

		case OpBarrier:
			sp--
			fr.pc = pc
			th.sp = sp
			th.budget = budget
			if err = th.enterBarrier(stack[sp].String(), in.A, fr); err != nil {
				goto fail
			}
			stack = th.stack
		case OpEndBarrier:
			fr.pc = pc
			if err = th.endBarrier(); err != nil {
				goto fail
			}
		case OpCache:
			sp--
			fr.pc = pc
			th.sp = sp
			th.budget = budget
			var r Value
			r, err = th.cacheCall(consts[a], stack[sp-1], stack[sp])
			budget = th.budget
			stack = th.stack
			if err != nil {
				goto fail
			}
			stack[sp-1] = r
		default:
			err = Errorf("internal error: invalid opcode %d", in.Op)
			goto fail
		}
	}

fail:
	fr.pc = pc
	th.sp = sp
	th.budget = budget
	{
		e := th.wrapError(err)
		if h, ok := th.unwind(e, baseFrame); ok {
			sp = h.sp
			stack = th.stack
			stack[sp] = exceptionValue(e)
			sp++
			th.frames[h.frame].pc = h.catchPC
			err = nil
			goto reload
		}
		for len(th.frames) > baseFrame {
			th.popFrame()
		}
		th.sp = baseBP - 1
		return None, e
	}
}

// spreadArgs replaces the array on top of the stack, whose top is sp, by
// its elements, the arguments of a spread call. It returns the new top and
// the number of arguments; th.stack may have moved.
func (th *thread) spreadArgs(sp int) (int, int, error) {
	sp--
	args := th.stack[sp]
	if args.kind != KindArray {
		return sp, 0, Errorf("cannot spread %s into arguments", args.TypeName())
	}
	vals := (*Array)(args.p).Values()
	th.ensureStack(sp, len(vals)+1)
	copy(th.stack[sp:], vals)
	return sp + len(vals), len(vals), nil
}

func spreadInto(arr *Array, src Value) error {
	if src.kind != KindArray {
		return Errorf("cannot spread %s into an array", src.TypeName())
	}
	var err error
	(*Array)(src.p).Each(func(k Key, v Value) bool {
		markShared(v)
		if k.isStr {
			arr.set(k, v)
		} else if err = arr.appendValue(v); err != nil {
			return false
		}
		return true
	})
	return err
}
