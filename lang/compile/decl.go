package compile

import (
	"path/filepath"
	"slices"

	"github.com/halonsh/halonsh/lang/parser"
	"github.com/halonsh/halonsh/lang/vm"
)

// lookupFunc finds a user function or class visible from this scope.
func (fs *funcState) lookupFunc(name string) (*funcInfo, *classInfo) {
	for s := fs; s != nil; s = s.parent {
		if fi, ok := s.funcs[name]; ok {
			return fi, nil
		}
		if ci, ok := s.classes[name]; ok {
			return nil, ci
		}
	}
	return nil, nil
}

// resolveFunc returns the function value named by an identifier: a user
// function, a class constructor, an imported name or a builtin.
func (fs *funcState) resolveFunc(name string, pos parser.Pos, forCall bool) vm.Value {
	fi, ci := fs.lookupFunc(name)
	if fi != nil {
		return fi.value
	}
	if ci != nil {
		return vm.ClassFunction(ci.cls)
	}
	if v, ok := fs.c.opts.Library.Func(name); ok {
		return v
	}
	fs.errorf(pos, "undefined function %s()", name)
	return vm.None
}

func (fs *funcState) call(e *parser.CallExpr) {
	spread := slices.ContainsFunc(e.Args, func(a *parser.Arg) bool { return a.Spread })
	if pe, ok := e.Func.(*parser.PropertyExpr); ok {
		fs.expr(pe.X)
		name := fs.nameConst(pe.Name)
		if spread {
			fs.argArray(e.Args)
			fs.pos = e.At
			fs.emit(vm.OpCallMethodSpread, name, 0)
		} else {
			for _, a := range e.Args {
				fs.expr(a.X)
			}
			fs.pos = e.At
			fs.emit(vm.OpCallMethod, name, len(e.Args))
		}
		fs.depth -= len(e.Args)
		return
	}
	switch f := e.Func.(type) {
	case *parser.Ident:
		fi, _ := fs.lookupFunc(f.Name)
		if fi != nil && !spread {
			fs.checkArity(fi.decl.Name, fi.decl.Params, len(e.Args), e.At)
		}
		fs.pos = f.At
		fs.emitConst(fs.resolveFunc(f.Name, f.At, true))
	default:
		fs.expr(e.Func)
	}
	if spread {
		fs.argArray(e.Args)
		fs.pos = e.At
		fs.emit(vm.OpCallSpread, 0, 0)
		return
	}
	for _, a := range e.Args {
		fs.expr(a.X)
	}
	fs.pos = e.At
	fs.emit(vm.OpCall, len(e.Args), 0)
	fs.depth -= len(e.Args)
}

func (fs *funcState) argArray(args []*parser.Arg) {
	fs.emit(vm.OpNewArray, len(args), 0)
	for _, a := range args {
		fs.expr(a.X)
		if a.Spread {
			fs.emit(vm.OpArraySpread, 1, 0)
		} else {
			fs.emit(vm.OpArrayPush, 0, 0)
		}
	}
}

func (fs *funcState) checkArity(name string, params []*parser.Param, n int, pos parser.Pos) {
	minArgs, maxArgs := 0, len(params)
	for _, p := range params {
		if p.Variadic {
			maxArgs = -1
			break
		}
		if p.Default == nil {
			minArgs++
		}
	}
	if n < minArgs || (maxArgs >= 0 && n > maxArgs) {
		switch {
		case maxArgs < 0:
			fs.errorf(pos, "%s(): expected at least %d argument%s, got %d", name, minArgs, plural(minArgs), n)
		case minArgs == maxArgs:
			fs.errorf(pos, "%s(): expected %d argument%s, got %d", name, minArgs, plural(minArgs), n)
		default:
			fs.errorf(pos, "%s(): expected %d to %d arguments, got %d", name, minArgs, maxArgs, n)
		}
	}
}

// classOf resolves the class named in Scope::Name.
func (fs *funcState) classOf(scope string, pos parser.Pos) *classInfo {
	if scope == "static" {
		if fs.class == nil {
			fs.errorf(pos, "static:: outside a class")
		}
		return fs.class
	}
	_, ci := fs.lookupFunc(scope)
	return ci
}

func (fs *funcState) staticSlot(x *parser.ScopedExpr) int {
	ci := fs.classOf(x.Scope, x.At)
	if ci == nil {
		fs.errorf(x.At, "undefined class %s", x.Scope)
	}
	v, ok := ci.def.Vars[x.Name]
	if !ok || !v.Static {
		fs.errorf(x.At, "class %s has no static variable $%s", ci.cls.Name, x.Name)
	}
	if v.Private && fs.class != ci {
		fs.errorf(x.At, "cannot access private static variable %s::$%s", ci.cls.Name, x.Name)
	}
	return v.Slot
}

func (fs *funcState) scoped(x *parser.ScopedExpr) {
	if x.IsVar {
		if m, ok := fs.mod.ns[x.Scope]; ok {
			slot, ok := m.gslots[x.Name]
			if !ok {
				fs.errorf(x.At, "module %s has no variable $%s", x.Scope, x.Name)
			}
			fs.emit(vm.OpLoadModGlobal, slot, m.index)
			return
		}
		fs.emit(vm.OpLoadStatic, fs.staticSlot(x), 0)
		return
	}
	if m, ok := fs.mod.ns[x.Scope]; ok {
		if v, ok := m.funcs[x.Name]; ok {
			fs.emitConst(v)
			return
		}
		if ci, ok := m.classes[x.Name]; ok {
			fs.emitConst(vm.ClassFunction(ci.cls))
			return
		}
		fs.errorf(x.At, "module %s has no function %s", x.Scope, x.Name)
	}
	if ci := fs.classOf(x.Scope, x.At); ci != nil {
		md, ok := ci.def.Methods[x.Name]
		if !ok || !md.Static {
			fs.errorf(x.At, "class %s has no static function %s", ci.cls.Name, x.Name)
		}
		if md.Private && fs.class != ci {
			fs.errorf(x.At, "cannot call private static function %s::%s()", ci.cls.Name, x.Name)
		}
		fs.emitConst(vm.ProtoFunction(md.Proto))
		return
	}
	if cls, ok := fs.c.opts.Library.Class(x.Scope); ok {
		fn, ok := cls.Statics[x.Name]
		if !ok {
			fs.errorf(x.At, "class %s has no static function %s", x.Scope, x.Name)
		}
		fs.emitConst(vm.NewBuiltin(x.Scope+"::"+x.Name, fn))
		return
	}
	fs.errorf(x.At, "undefined class %s", x.Scope)
}

// newChild starts the compilation of a function nested in fs.
func (fs *funcState) newChild(p *vm.Proto) *funcState {
	child := newFuncState(fs.c, fs.mod, fs, p)
	child.class = fs.class
	return child
}

// compileFunction compiles params and body into p. Captured locals are
// found while compiling, so a body with closures is compiled twice: the
// second time with those locals boxed into cells.
func (fs *funcState) compileFunction(p *vm.Proto, params []*parser.Param, body *parser.BlockStmt, captures []*parser.Variable, cls *classInfo, static bool, prelude func(*funcState)) *funcState {
	cells := map[string]bool{}
	for {
		name, file := p.Name, p.File
		*p = vm.Proto{Name: name, File: file}
		child := fs.newChild(p)
		if cls != nil {
			child.class = cls
			p.Class = cls.cls
		}
		child.cellNames = cells
		for _, c := range captures {
			ref := fs.captureRef(c.Name)
			child.captures[c.Name] = len(p.Captures)
			p.Captures = append(p.Captures, ref)
		}
		minArgs := 0
		for i, prm := range params {
			if _, dup := child.locals[prm.Name]; dup {
				fs.errorf(prm.At, "duplicate parameter $%s", prm.Name)
			}
			child.newLocal(prm.Name)
			child.params[prm.Name] = true
			child.assigned[prm.Name] = true
			switch {
			case prm.Variadic:
				if i != len(params)-1 {
					fs.errorf(prm.At, "the rest parameter must be last")
				}
				p.Variadic = true
			case prm.Default != nil:
				v, ok := child.constValue(prm.Default)
				if !ok {
					fs.errorf(prm.Default.Pos(), "a parameter default must be a constant expression")
				}
				p.Defaults = append(p.Defaults, v)
			default:
				if len(p.Defaults) > 0 {
					fs.errorf(prm.At, "required parameter $%s follows an optional one", prm.Name)
				}
				minArgs++
			}
		}
		p.NumParams = len(params)
		p.MinArgs = minArgs
		for name := range cells {
			if s, ok := child.locals[name]; ok {
				p.Cells = append(p.Cells, int32(s))
			}
		}
		if prelude != nil {
			prelude(child)
		}
		child.pos = body.At
		child.compileBody(body.Stmts, p.File)
		child.pos = body.End
		if p.IsInit {
			child.emit(vm.OpReturnNone, 0, 0)
		} else {
			child.emit(vm.OpReturnNone, 0, 0)
		}
		if len(child.needCells) > 0 {
			grown := false
			for n := range child.needCells {
				if !cells[n] {
					cells[n] = true
					grown = true
				}
			}
			if grown {
				continue
			}
		}
		// Locals that became cells after their slot existed must be boxed
		// on entry; parameters are boxed by pushFrame through Cells.
		p.Cells = p.Cells[:0]
		for name := range cells {
			if s, ok := child.locals[name]; ok {
				p.Cells = append(p.Cells, int32(s))
			}
		}
		child.finishFunc()
		return child
	}
}

// finishFunc completes a function body (not a module's top level).
func (fs *funcState) finishFunc() {
	p := fs.proto
	p.NumLocals = len(p.LocalNames)
	p.MaxStack = fs.maxStack + 16
	fs.mod.protos = append(fs.mod.protos, p)
	for _, r := range fs.reads {
		if fs.assigned[r.name] || fs.params[r.name] || fs.isCapture(r.name) {
			continue
		}
		if _, ok := fs.globals[r.name]; ok {
			continue
		}
		if r.name == "this" && fs.class != nil {
			continue
		}
		fs.errorf(r.pos, "undefined variable $%s", r.name)
	}
	for _, fi := range fs.funcs {
		fs.compileFuncDecl(fi)
	}
	for _, ci := range fs.classes {
		fs.compileClass(ci)
	}
}

// captureRef makes $name of this scope capturable and returns where a
// closure finds it.
func (fs *funcState) captureRef(name string) vm.Capture {
	if fs.isTop {
		return vm.Capture{Kind: vm.RootGlobal, Slot: fs.mod.globalSlot(name)}
	}
	if s, ok := fs.globals[name]; ok {
		return vm.Capture{Kind: vm.RootGlobal, Slot: s}
	}
	if i, ok := fs.captures[name]; ok {
		return vm.Capture{Kind: vm.RootFree, Slot: i}
	}
	fs.assigned[name] = true
	s := fs.newLocal(name)
	if !fs.cellNames[name] {
		fs.needCells[name] = true
	}
	return vm.Capture{Kind: vm.RootCell, Slot: s}
}

func (fs *funcState) funcLit(e *parser.FuncLit) {
	p := &vm.Proto{Name: "", File: e.At.File}
	fs.compileFunction(p, e.Params, e.Body, e.Captures, fs.class, false, nil)
	fs.pos = e.At
	fs.emit(vm.OpClosure, fs.constIndex(vm.ProtoFunction(p), nil), 0)
}

func (fs *funcState) compileFuncDecl(fi *funcInfo) {
	if fi.done {
		return
	}
	fi.done = true
	fs.compileFunction(fi.proto, fi.decl.Params, fi.decl.Body, nil, nil, false, nil)
}

// declareClass registers a class and its member table before bodies are
// compiled, so methods can refer to each other and to the class.
func (fs *funcState) declareClass(d *parser.ClassDecl) *classInfo {
	def := &vm.ClassDef{Methods: map[string]*vm.MethodDef{}, Vars: map[string]*vm.VarDef{}}
	cls := vm.NewUserClass(d.Name, def)
	ci := &classInfo{decl: d, cls: cls, def: def, scope: fs}
	for _, m := range d.Members {
		switch m := m.(type) {
		case *parser.ClassVar:
			if _, dup := def.Vars[m.Name]; dup {
				fs.errorf(m.At, "class %s declares $%s twice", d.Name, m.Name)
			}
			if _, dup := def.Methods[m.Name]; dup {
				fs.errorf(m.At, "class %s has a method and a variable named %s", d.Name, m.Name)
			}
			v := &vm.VarDef{Private: m.Mods.Private, Readonly: m.Mods.Readonly, Static: m.Mods.Static}
			if v.Static {
				init := vm.None
				if m.Init != nil {
					c, ok := fs.constValue(m.Init)
					if !ok {
						fs.errorf(m.Init.Pos(), "a static variable needs a constant initial value")
					}
					init = c
				}
				v.Slot = len(fs.c.statics)
				v.Init = init
				fs.c.statics = append(fs.c.statics, init)
			}
			def.Vars[m.Name] = v
		case *parser.ClassMethod:
			if _, dup := def.Methods[m.Name]; dup {
				fs.errorf(m.NamePos, "class %s declares method %s twice", d.Name, m.Name)
			}
			if _, dup := def.Vars[m.Name]; dup {
				fs.errorf(m.NamePos, "class %s has a method and a variable named %s", d.Name, m.Name)
			}
			p := &vm.Proto{Name: d.Name + "->" + m.Name, File: m.At.File, IsStatic: m.Mods.Static}
			if m.Mods.Static {
				p.Name = d.Name + "::" + m.Name
			}
			def.Methods[m.Name] = &vm.MethodDef{Proto: p, Private: m.Mods.Private, Static: m.Mods.Static}
		}
	}
	def.Ctor = &vm.Proto{Name: d.Name, File: d.At.File, IsInit: true}
	return ci
}

func (fs *funcState) compileClass(ci *classInfo) {
	if ci.done {
		return
	}
	ci.done = true
	d := ci.decl
	var ctor *parser.Constructor
	for _, m := range d.Members {
		switch m := m.(type) {
		case *parser.Constructor:
			if ctor != nil {
				fs.errorf(m.At, "class %s has two constructors", d.Name)
			}
			ctor = m
		case *parser.ClassMethod:
			md := ci.def.Methods[m.Name]
			fs.compileFunction(md.Proto, m.Params, m.Body, nil, ci, m.Mods.Static, nil)
		}
	}
	// The constructor proto runs the instance variable initialisers, then
	// the constructor body.
	init := func(child *funcState) {
		for _, m := range d.Members {
			v, ok := m.(*parser.ClassVar)
			if !ok || v.Mods.Static {
				continue
			}
			child.pos = v.At
			if v.Init != nil {
				child.expr(v.Init)
			} else {
				child.emit(vm.OpNone, 0, 0)
			}
			child.emit(vm.OpPropKey, child.nameConst(v.Name), 0)
			child.emit(vm.OpSetPath, int(vm.RootRef(vm.RootThis, 0)), 1)
			child.emit(vm.OpPop, 0, 0)
		}
	}
	var params []*parser.Param
	body := &parser.BlockStmt{At: d.At, End: d.At}
	if ctor != nil {
		params, body = ctor.Params, ctor.Body
	}
	ci.def.Ctor.Name = d.Name
	fs.compileFunction(ci.def.Ctor, params, body, nil, ci, false, init)
	ci.def.Ctor.IsInit = true
}

// include compiles another file's statements in place.
func (fs *funcState) include(s *parser.IncludeStmt) {
	path := fs.c.resolvePath(fs.posFile(s.At), s.Path.At, s.Path.Value)
	abs, _ := filepath.Abs(path)
	if s.Once && fs.c.onceFiles[abs] {
		return
	}
	for _, f := range fs.c.including {
		if f == abs {
			fs.errorf(s.At, "include cycle: %s includes itself", s.Path.Value)
		}
	}
	fs.c.onceFiles[abs] = true
	src := fs.c.read(s.Path.At, path)
	f, err := parser.ParseFile(path, src)
	if err != nil {
		panic(bail{err})
	}
	fs.c.including = append(fs.c.including, abs)
	fs.compileBody(f.Stmts, path)
	fs.c.including = fs.c.including[:len(fs.c.including)-1]
}

func (fs *funcState) posFile(p parser.Pos) string { return p.File }

// loadModule compiles an imported module once per program.
func (fs *funcState) loadModule(pos parser.Pos, p string) *module {
	if !fs.isTop {
		fs.errorf(pos, "import is only allowed at the top level")
	}
	path := fs.c.resolvePath(pos.File, pos, p)
	abs, _ := filepath.Abs(path)
	for _, l := range fs.c.loading {
		if l == abs {
			fs.errorf(pos, "import cycle: %s imports itself", p)
		}
	}
	if m, ok := fs.c.modules[abs]; ok {
		return m
	}
	src := fs.c.read(pos, path)
	f, err := parser.ParseFile(path, src)
	if err != nil {
		panic(bail{err})
	}
	sub := &compiler{}
	_ = sub
	m, err := fs.c.compileModuleAt(abs, path, f)
	if err != nil {
		panic(bail{err})
	}
	return m
}

func (fs *funcState) importStmt(s *parser.ImportStmt) {
	m := fs.loadModule(s.At, s.Path.Value)
	for _, it := range s.Items {
		local := it.Name
		if it.Alias != "" {
			local = it.Alias
		}
		if it.IsVar {
			slot, ok := m.gslots[it.Name]
			if !ok {
				fs.errorf(it.At, "module %s has no variable $%s", s.Path.Value, it.Name)
			}
			if _, taken := fs.mod.gslots[local]; taken {
				fs.errorf(it.At, "import of $%s clashes with an existing variable; use as", local)
			}
			fs.mod.importedV[local] = varImport{mod: m, slot: slot}
			continue
		}
		if v, ok := m.funcs[it.Name]; ok {
			fi := &funcInfo{value: v, done: true, decl: m.top.funcs[it.Name].decl}
			fs.funcs[local] = fi
			fs.mod.funcs[local] = v
			continue
		}
		if ci, ok := m.classes[it.Name]; ok {
			fs.classes[local] = ci
			fs.mod.classes[local] = ci
			continue
		}
		fs.errorf(it.At, "module %s has no function or class %s", s.Path.Value, it.Name)
	}
}

func (fs *funcState) importAll(s *parser.ImportAllStmt) {
	fs.mod.ns[s.Namespace] = fs.loadModule(s.At, s.Path.Value)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
