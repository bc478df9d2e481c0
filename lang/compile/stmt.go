package compile

import (
	"github.com/halonsh/halonsh/lang/parser"
	"github.com/halonsh/halonsh/lang/vm"
)

// compileBody hoists the declarations of a scope, then compiles its
// statements.
func (fs *funcState) compileBody(stmts []parser.Stmt, file string) {
	fs.hoist(stmts)
	for _, s := range stmts {
		fs.guarded(func() { fs.stmt(s) })
	}
}

// guarded runs f; a compile error in it is recorded and compilation goes
// on with what follows, so that one run reports several errors.
func (fs *funcState) guarded(f func()) {
	defer func() {
		if r := recover(); r != nil {
			fs.c.record(r)
		}
	}()
	f()
}

// hoist registers named functions and classes declared anywhere in stmts
// (also inside blocks, ifs and loops, but not inside other functions).
func (fs *funcState) hoist(stmts []parser.Stmt) {
	for _, s := range stmts {
		switch s := s.(type) {
		case *parser.FuncDecl:
			if _, dup := fs.funcs[s.Name]; dup {
				fs.errorf(s.NamePos, "function %s is declared twice", s.Name)
			}
			if _, dup := fs.classes[s.Name]; dup {
				fs.errorf(s.NamePos, "function %s has the name of a class", s.Name)
			}
			p := &vm.Proto{Name: s.Name, File: s.At.File}
			fs.funcs[s.Name] = &funcInfo{decl: s, proto: p, value: vm.ProtoFunction(p), scope: fs}
			if fs.isTop {
				fs.mod.funcs[s.Name] = fs.funcs[s.Name].value
			}
		case *parser.ClassDecl:
			if _, dup := fs.classes[s.Name]; dup {
				fs.errorf(s.NamePos, "class %s is declared twice", s.Name)
			}
			if _, dup := fs.funcs[s.Name]; dup {
				fs.errorf(s.NamePos, "class %s has the name of a function", s.Name)
			}
			ci := fs.declareClass(s)
			fs.classes[s.Name] = ci
			if fs.isTop {
				fs.mod.classes[s.Name] = ci
			}
		case *parser.BlockStmt:
			fs.hoist(s.Stmts)
		case *parser.IfStmt:
			fs.hoist([]parser.Stmt{s.Then})
			if s.Else != nil {
				fs.hoist([]parser.Stmt{s.Else})
			}
		case *parser.WhileStmt:
			fs.hoist([]parser.Stmt{s.Body})
		case *parser.ForStmt:
			fs.hoist([]parser.Stmt{s.Body})
		case *parser.ForeachStmt:
			fs.hoist([]parser.Stmt{s.Body})
		case *parser.ForeverStmt:
			fs.hoist([]parser.Stmt{s.Body})
		case *parser.TryStmt:
			fs.hoist(s.Body.Stmts)
			fs.hoist(s.Catch.Stmts)
		case *parser.SwitchStmt:
			for _, cl := range s.Clauses {
				fs.hoist(cl.Body)
			}
		case *parser.BarrierStmt:
			fs.hoist(s.Body.Stmts)
		}
	}
}

func (fs *funcState) stmt(s parser.Stmt) {
	fs.pos = s.Pos()
	fs.depth = 0
	switch s := s.(type) {
	case *parser.BlockStmt:
		for _, x := range s.Stmts {
			fs.stmt(x)
		}
	case *parser.EmptyStmt, *parser.FuncDecl, *parser.ClassDecl:
	case *parser.ExprStmt:
		fs.exprStmt(s.X)
	case *parser.EchoStmt:
		fs.expr(s.Value)
		fs.pos = s.At
		fs.emit(vm.OpEcho, 0, 0)
	case *parser.IfStmt:
		fs.ifStmt(s)
	case *parser.WhileStmt:
		fs.loop(s.At, nil, s.Cond, nil, s.Body)
	case *parser.ForeverStmt:
		fs.loop(s.At, nil, nil, nil, s.Body)
	case *parser.ForStmt:
		fs.loop(s.At, s.Init, s.Cond, s.Post, s.Body)
	case *parser.ForeachStmt:
		fs.foreach(s)
	case *parser.SwitchStmt:
		fs.switchStmt(s)
	case *parser.BreakStmt:
		fs.jumpOut(s.At, true)
	case *parser.ContinueStmt:
		fs.jumpOut(s.At, false)
	case *parser.ReturnStmt:
		if fs.isTop {
			if s.Value != nil {
				fs.expr(s.Value)
				fs.emit(vm.OpPop, 0, 0)
			}
			fs.emit(vm.OpHalt, 0, 0)
			return
		}
		if s.Value == nil {
			fs.emit(vm.OpReturnNone, 0, 0)
			return
		}
		fs.expr(s.Value)
		fs.pos = s.At
		fs.emit(vm.OpReturn, 0, 0)
	case *parser.GlobalStmt:
		for _, v := range s.Names {
			if fs.isTop {
				continue
			}
			if _, ok := fs.locals[v.Name]; ok {
				fs.errorf(v.At, "global $%s conflicts with the local variable $%s", v.Name, v.Name)
			}
			fs.globals[v.Name] = fs.mod.globalSlot(v.Name)
			fs.mod.globalRef[v.Name] = true
			fs.definite[v.Name] = false
		}
	case *parser.ThrowStmt:
		fs.expr(s.Value)
		fs.pos = s.At
		fs.emit(vm.OpThrow, 0, 0)
	case *parser.TryStmt:
		fs.tryStmt(s)
	case *parser.BarrierStmt:
		fs.barrier(s)
	case *parser.IncludeStmt:
		fs.include(s)
	case *parser.ImportStmt:
		fs.importStmt(s)
	case *parser.ImportAllStmt:
		fs.importAll(s)
	case *parser.ImportDataStmt:
		fs.importData(s)
	default:
		fs.errorf(s.Pos(), "unsupported statement %T", s)
	}
}

// exprStmt compiles an expression whose value is dropped, avoiding the
// value copy for assignments and increments.
func (fs *funcState) exprStmt(e parser.Expr) {
	switch x := e.(type) {
	case *parser.IncDecExpr:
		if v, ok := x.X.(*parser.Variable); ok {
			ref := fs.resolveVar(v.Name)
			if ref.kind == vm.RootLocal || ref.kind == vm.RootCell {
				fs.checkWritable(v.Name, v.At)
				fs.reads = append(fs.reads, pendingRead{v.Name, v.At})
				fs.pos = x.At
				d := 1
				if x.Op == parser.OpDec {
					d = -1
				}
				fs.emit(vm.OpIncLocal, ref.slot, d)
				return
			}
		}
	case *parser.CompoundAssignExpr:
		if v, ok := x.Target.(*parser.Variable); ok && (v.Name != "this" || fs.class == nil) {
			ref := fs.resolveVar(v.Name)
			if ref.kind == vm.RootLocal || ref.kind == vm.RootCell {
				fs.expr(x.Value)
				fs.pos = x.At
				fs.checkWritable(v.Name, v.At)
				fs.reads = append(fs.reads, pendingRead{v.Name, v.At})
				fs.assigned[v.Name] = true
				fs.emit(vm.OpUpdateLocal, ref.slot, int(binOps[x.Op])|vm.UpdDiscard)
				return
			}
		}
	case *parser.AssignExpr:
		if ix, ok := x.Target.(*parser.IndexExpr); ok {
			if v, ok := ix.X.(*parser.Variable); ok && (v.Name != "this" || fs.class == nil) {
				if ref := fs.resolveVar(v.Name); ref.kind == vm.RootLocal {
					fs.expr(x.Value)
					fs.checkWritable(v.Name, v.At)
					fs.assigned[v.Name] = true
					fs.definite[v.Name] = true
					if ix.Index == nil {
						fs.pos = x.At
						fs.emit(vm.OpAppendLocal, ref.slot, 0)
						return
					}
					fs.expr(ix.Index)
					fs.pos = x.At
					fs.emit(vm.OpSetLocalIndex, ref.slot, 0)
					return
				}
			}
		}
		if v, ok := x.Target.(*parser.Variable); ok {
			if b, ok := x.Value.(*parser.BinaryExpr); ok && b.Op == parser.OpConcat {
				// `$s = $s . e` is compiled as `$s .= e`, which appends in
				// place instead of copying the string.
				if l, ok := b.X.(*parser.Variable); ok && l.Name == v.Name && noAssignments(b.Y) {
					fs.exprStmt(&parser.CompoundAssignExpr{At: b.At, Op: parser.OpConcat, Target: v, Value: b.Y})
					return
				}
			}
			fs.expr(x.Value)
			fs.pos = x.At
			fs.storeVar(v.Name, v.At, isFresh(x.Value))
			return
		}
	}
	fs.expr(e)
	fs.emit(vm.OpPop, 0, 0)
}

// isFresh reports whether an expression always yields a value nothing else
// references, so storing it needs no copy-on-write mark.
func isFresh(e parser.Expr) bool {
	switch e := e.(type) {
	case *parser.ArrayLit:
		for _, it := range e.Items {
			if it.Spread {
				return true
			}
		}
		return len(e.Items) > 0 || true
	case *parser.NumberLit, *parser.StringLit, *parser.BoolLit, *parser.NoneLit, *parser.InterpString:
		return true
	case *parser.BinaryExpr:
		return true
	}
	return false
}

func (fs *funcState) ifStmt(s *parser.IfStmt) {
	if c, ok := fs.constValue(s.Cond); ok {
		// Dead-code removal: only the taken branch stays in the code. The
		// other one is still compiled, so its errors are reported.
		taken, dead := s.Then, s.Else
		if !c.Truthy() {
			taken, dead = s.Else, s.Then
		}
		if dead != nil {
			fs.withBranch(func() { fs.discard(func() { fs.stmt(dead) }) })
		}
		if taken != nil {
			fs.withBranch(func() { fs.stmt(taken) })
		}
		return
	}
	jf := fs.jumpIfFalse(s.Cond)
	fs.withBranch(func() { fs.stmt(s.Then) })
	if s.Else == nil {
		fs.patchAll(jf)
		return
	}
	j := fs.emit(vm.OpJump, 0, 0)
	fs.patchAll(jf)
	fs.withBranch(func() { fs.stmt(s.Else) })
	fs.patch(j)
}

func (fs *funcState) loop(pos parser.Pos, init, cond, post parser.Expr, body parser.Stmt) {
	if init != nil {
		fs.exprStmt(init)
	}
	fs.withBranch(func() {
		top := fs.here()
		fs.label = top
		var exit []int
		if cond != nil {
			if c, ok := fs.constValue(cond); !ok || !c.Truthy() {
				exit = fs.jumpIfFalse(cond)
			}
		}
		fs.blocks = append(fs.blocks, block{kind: blockLoop})
		fs.stmt(body)
		b := fs.blocks[len(fs.blocks)-1]
		fs.blocks = fs.blocks[:len(fs.blocks)-1]
		for _, at := range b.continues {
			fs.patch(at)
		}
		if post != nil {
			fs.pos = post.Pos()
			fs.exprStmt(post)
		}
		fs.pos = pos
		fs.emit(vm.OpLoop, top, max(fs.here()-top, 1))
		fs.patchAll(exit)
		for _, at := range b.breaks {
			fs.patch(at)
		}
	})
}

func (fs *funcState) foreach(s *parser.ForeachStmt) {
	fs.expr(s.X)
	it := fs.temp()
	fs.pos = s.At
	fs.emit(vm.OpIterInit, it, 0)
	fs.withBranch(func() {
		top := fs.here()
		fs.label = top
		var next int
		if ref := fs.resolveVar(s.Value.Name); s.Key == nil && ref.kind == vm.RootLocal {
			fs.checkWritable(s.Value.Name, s.Value.At)
			fs.assigned[s.Value.Name] = true
			fs.definite[s.Value.Name] = true
			next = fs.emit(vm.OpIterNextValue, it, 0)
			fs.emit(vm.OpNop, ref.slot, 0)
		} else {
			next = fs.emit(vm.OpIterNext, it, 0)
			fs.storeVar(s.Value.Name, s.Value.At, false)
			if s.Key != nil {
				fs.storeVar(s.Key.Name, s.Key.At, true)
			} else {
				fs.emit(vm.OpPop, 0, 0)
			}
		}
		fs.blocks = append(fs.blocks, block{kind: blockLoop})
		fs.stmt(s.Body)
		b := fs.blocks[len(fs.blocks)-1]
		fs.blocks = fs.blocks[:len(fs.blocks)-1]
		for _, at := range b.continues {
			fs.patch(at)
		}
		fs.pos = s.At
		fs.emit(vm.OpLoop, top, max(fs.here()-top, 1))
		fs.proto.Code[next].B = int32(fs.here())
		fs.label = fs.here()
		for _, at := range b.breaks {
			fs.patch(at)
		}
	})
	if s.Key != nil {
		fs.assigned[s.Key.Name] = true
	}
	fs.assigned[s.Value.Name] = true
}

// jumpOut compiles break (brk) or continue, leaving the try and barrier
// blocks in between.
func (fs *funcState) jumpOut(pos parser.Pos, brk bool) {
	for i := len(fs.blocks) - 1; i >= 0; i-- {
		b := &fs.blocks[i]
		switch b.kind {
		case blockTry:
			fs.emit(vm.OpEndTry, 0, 0)
		case blockBarrier:
			fs.emit(vm.OpEndBarrier, 0, 0)
		case blockSwitch:
			if brk {
				b.breaks = append(b.breaks, fs.emit(vm.OpJump, 0, 0))
				return
			}
		case blockLoop:
			j := fs.emit(vm.OpJump, 0, 0)
			if brk {
				b.breaks = append(b.breaks, j)
			} else {
				b.continues = append(b.continues, j)
			}
			return
		}
	}
	if brk {
		fs.errorf(pos, "break outside a loop or switch")
	}
	fs.errorf(pos, "continue outside a loop")
}

func (fs *funcState) switchStmt(s *parser.SwitchStmt) {
	fs.expr(s.Tag)
	tmp := fs.temp()
	fs.emit(vm.OpStoreLocalNew, tmp, 0)
	jumps := make([]int, len(s.Clauses))
	def := -1
	for i, cl := range s.Clauses {
		if cl.Default {
			if def >= 0 {
				fs.errorf(cl.At, "switch has more than one default")
			}
			def = i
			continue
		}
		fs.emit(vm.OpLoadLocal, tmp, 0)
		fs.expr(cl.Value)
		fs.pos = cl.At
		fs.emit(vm.OpEq, 0, 0)
		jumps[i] = fs.emit(vm.OpJumpTrue, 0, 0)
	}
	end := fs.emit(vm.OpJump, 0, 0)
	fs.blocks = append(fs.blocks, block{kind: blockSwitch})
	fs.withBranch(func() {
		for i, cl := range s.Clauses {
			if i == def {
				fs.proto.Code[end].A = int32(fs.here())
				fs.label = fs.here()
				end = -1
			} else {
				fs.patch(jumps[i])
			}
			for _, x := range cl.Body {
				fs.stmt(x)
			}
		}
	})
	b := fs.blocks[len(fs.blocks)-1]
	fs.blocks = fs.blocks[:len(fs.blocks)-1]
	if end >= 0 {
		fs.patch(end)
	}
	for _, at := range b.breaks {
		fs.patch(at)
	}
}

func (fs *funcState) tryStmt(s *parser.TryStmt) {
	t := fs.emit(vm.OpTry, 0, 0)
	fs.blocks = append(fs.blocks, block{kind: blockTry})
	fs.withBranch(func() {
		for _, x := range s.Body.Stmts {
			fs.stmt(x)
		}
	})
	fs.blocks = fs.blocks[:len(fs.blocks)-1]
	fs.emit(vm.OpEndTry, 0, 0)
	j := fs.emit(vm.OpJump, 0, 0)
	fs.patch(t)
	fs.depth = 1
	fs.pos = s.Var.At
	fs.storeVar(s.Var.Name, s.Var.At, false)
	fs.withBranch(func() {
		for _, x := range s.Catch.Stmts {
			fs.stmt(x)
		}
	})
	fs.patch(j)
}

func (fs *funcState) barrier(s *parser.BarrierStmt) {
	fs.expr(s.Name)
	root := -1
	if s.Var != nil {
		fs.assigned[s.Var.Name] = true
		root = int(fs.rootOf(s.Var.Name, s.Var.At, true))
		// The barrier leaves the variable unset when nothing is stored.
		delete(fs.definite, s.Var.Name)
	}
	fs.pos = s.At
	fs.emit(vm.OpBarrier, root, 0)
	fs.blocks = append(fs.blocks, block{kind: blockBarrier})
	fs.withBranch(func() {
		for _, x := range s.Body.Stmts {
			fs.stmt(x)
		}
	})
	fs.blocks = fs.blocks[:len(fs.blocks)-1]
	fs.emit(vm.OpEndBarrier, 0, 0)
}

// noAssignments reports whether e is built only from literals, variable
// reads, operators, indexing, properties and named calls, so evaluating it
// cannot change a local variable of the current function.
func noAssignments(e parser.Expr) bool {
	switch e := e.(type) {
	case *parser.NumberLit, *parser.StringLit, *parser.BoolLit, *parser.NoneLit, *parser.Variable:
		return true
	case *parser.InterpString:
		for _, p := range e.Parts {
			if x, ok := p.(*parser.ExprPart); ok && !noAssignments(x.X) {
				return false
			}
		}
		return true
	case *parser.BinaryExpr:
		return noAssignments(e.X) && noAssignments(e.Y)
	case *parser.UnaryExpr:
		return noAssignments(e.X)
	case *parser.IndexExpr:
		return e.Index != nil && noAssignments(e.X) && noAssignments(e.Index)
	case *parser.PropertyExpr:
		return noAssignments(e.X)
	case *parser.CallExpr:
		if _, ok := e.Func.(*parser.Ident); !ok {
			return false
		}
		for _, a := range e.Args {
			if !noAssignments(a.X) {
				return false
			}
		}
		return true
	}
	return false
}

// discard compiles fn for its errors and declarations and drops the
// instructions it emitted.
func (fs *funcState) discard(fn func()) {
	p := fs.proto
	n := len(p.Code)
	fn()
	p.Code, p.Lines, p.Cols = p.Code[:n], p.Lines[:n], p.Cols[:n]
	fs.label = n
}

// jumpIfFalse compiles a condition for control flow: the returned jumps
// are taken when e is falsy, and execution falls through when it is
// truthy. `and`, `or` and `not` become jumps instead of boolean values.
func (fs *funcState) jumpIfFalse(e parser.Expr) []int {
	switch x := e.(type) {
	case *parser.LogicalExpr:
		if x.Op == parser.OpAnd {
			jumps := fs.jumpIfFalse(x.X)
			var rest []int
			fs.withBranch(func() { rest = fs.jumpIfFalse(x.Y) })
			return append(jumps, rest...)
		}
		toBody := fs.jumpIfTrue(x.X)
		var jumps []int
		fs.withBranch(func() { jumps = fs.jumpIfFalse(x.Y) })
		fs.patchAll(toBody)
		return jumps
	case *parser.UnaryExpr:
		if x.Op == parser.OpNot {
			return fs.jumpIfTrue(x.X)
		}
	}
	fs.expr(e)
	return []int{fs.emit(vm.OpJumpFalse, 0, 0)}
}

// jumpIfTrue is jumpIfFalse with the sense inverted.
func (fs *funcState) jumpIfTrue(e parser.Expr) []int {
	switch x := e.(type) {
	case *parser.LogicalExpr:
		if x.Op == parser.OpOr {
			jumps := fs.jumpIfTrue(x.X)
			var rest []int
			fs.withBranch(func() { rest = fs.jumpIfTrue(x.Y) })
			return append(jumps, rest...)
		}
		toNext := fs.jumpIfFalse(x.X)
		var jumps []int
		fs.withBranch(func() { jumps = fs.jumpIfTrue(x.Y) })
		fs.patchAll(toNext)
		return jumps
	case *parser.UnaryExpr:
		if x.Op == parser.OpNot {
			return fs.jumpIfFalse(x.X)
		}
	}
	fs.expr(e)
	return []int{fs.emit(vm.OpJumpTrue, 0, 0)}
}

func (fs *funcState) patchAll(jumps []int) {
	for _, j := range jumps {
		fs.patch(j)
	}
}
