package parser

// parseStmt parses one statement.
func (p *parser) parseStmt() Stmt {
	p.enter()
	s := p.parseStatement()
	p.leave()
	return s
}

// parseStatement is parseStmt without the nesting count.
func (p *parser) parseStatement() Stmt {
	t := p.peek()
	at := p.at(t)
	switch t.Type {
	case tokLBrace:
		return p.parseBlock()

	case tokSemicolon:
		p.next()
		return &EmptyStmt{At: at}

	case tokIf:
		p.next()
		cond := p.parseParenExpr()
		then := p.parseStmt()
		var els Stmt
		if p.accept(tokElse) {
			els = p.parseStmt()
		}
		return &IfStmt{At: at, Cond: cond, Then: then, Else: els}

	case tokWhile:
		p.next()
		cond := p.parseParenExpr()
		return &WhileStmt{At: at, Cond: cond, Body: p.parseStmt()}

	case tokForever:
		p.next()
		return &ForeverStmt{At: at, Body: p.parseStmt()}

	case tokFor:
		return p.parseFor()

	case tokForeach:
		return p.parseForeach()

	case tokSwitch:
		return p.parseSwitch()

	case tokBreak:
		p.next()
		p.parseEnd()
		return &BreakStmt{At: at}

	case tokContinue:
		p.next()
		p.parseEnd()
		return &ContinueStmt{At: at}

	case tokReturn:
		p.next()
		var value Expr
		if typ := p.peek().Type; typ != tokSemicolon && typ != tokRBrace {
			value = p.parseExpr()
		}
		p.parseEnd()
		return &ReturnStmt{At: at, Value: value}

	case tokEcho:
		p.next()
		value := p.parseExpr()
		p.parseEnd()
		return &EchoStmt{At: at, Value: value}

	case tokGlobal:
		p.next()
		s := &GlobalStmt{At: at}
		for {
			s.Names = append(s.Names, p.parseVariable())
			if !p.accept(tokComma) {
				break
			}
		}
		p.parseEnd()
		return s

	case tokThrow:
		p.next()
		value := p.parseExpr()
		p.parseEnd()
		return &ThrowStmt{At: at, Value: value}

	case tokTry:
		p.next()
		body := p.parseBlock()
		p.expect(tokCatch)
		p.expect(tokLParen)
		v := p.parseVariable()
		p.expect(tokRParen)
		return &TryStmt{At: at, Body: body, Var: v, Catch: p.parseBlock()}

	case tokBarrier:
		p.next()
		s := &BarrierStmt{At: at, Name: p.parseExpr()}
		if p.accept(tokDoubleArrow) {
			s.Var = p.parseVariable()
		}
		s.Body = p.parseBlock()
		return s

	case tokInclude, tokIncludeOnce:
		s := p.parseInclude()
		p.parseEnd()
		return s

	case tokImport:
		s := p.parseImport()
		p.parseEnd()
		return s

	case tokFunction:
		if p.peekSecond() != tokLParen {
			return p.parseFuncDecl()
		}

	case tokClass:
		return p.parseClassDecl()

	case tokCase, tokDefault, tokElse, tokCatch:
		p.failUnexpected(t, "statement")
	}

	x := p.parseExpr()
	p.parseEnd()
	return put(&p.arena.exprStmts, ExprStmt{At: at, X: x})
}

// parseEnd consumes the `;` that ends a simple statement. It may be left out
// directly before a closing `}`.
func (p *parser) parseEnd() {
	t := p.peek()
	switch t.Type {
	case tokSemicolon:
		p.next()
	case tokRBrace:
	default:
		if t.Type == tokIdent && p.pos > 0 && p.toks[p.pos-1].Type == tokIdent && p.text(&p.toks[p.pos-1]) == "new" {
			p.failUnexpected(t, "';' (HSL has no 'new': write "+p.text(t)+"(...) to create an object)")
		}
		p.failUnexpected(t, "';'")
	}
}

// parseBlock parses `{ statements }`.
func (p *parser) parseBlock() *BlockStmt {
	open := p.expect(tokLBrace)
	b := &BlockStmt{At: p.at(open)}
	a := p.arena
	mark := len(a.scratchStmts)
	for {
		t := p.peek()
		if t.Type == tokRBrace {
			b.End = p.at(t)
			b.Stmts = popScratch(&a.scratchStmts, mark, &a.stmtLists)
			p.next()
			return b
		}
		if t.Type == tokEOF {
			p.failUnexpected(t, "'}'")
		}
		if s := p.parseStmtOrSkip(); s != nil {
			a.scratchStmts = append(a.scratchStmts, s)
		}
	}
}

// parseParenExpr parses `( expr )`.
func (p *parser) parseParenExpr() Expr {
	p.expect(tokLParen)
	x := p.parseExpr()
	p.expect(tokRParen)
	return x
}

func (p *parser) parseVariable() *Variable {
	t := p.peek()
	if t.Type != tokVar {
		p.failUnexpected(t, "variable")
	}
	p.next()
	return put(&p.arena.variables, Variable{At: p.at(t), Name: p.text(t)[1:]})
}

func (p *parser) parseFor() Stmt {
	at := p.at(p.next())
	s := &ForStmt{At: at}
	p.expect(tokLParen)
	if p.peek().Type != tokSemicolon {
		s.Init = p.parseExpr()
	}
	p.expect(tokSemicolon)
	if p.peek().Type != tokSemicolon {
		s.Cond = p.parseExpr()
	}
	p.expect(tokSemicolon)
	if p.peek().Type != tokRParen {
		s.Post = p.parseExpr()
	}
	p.expect(tokRParen)
	s.Body = p.parseStmt()
	return s
}

func (p *parser) parseForeach() Stmt {
	at := p.at(p.next())
	s := &ForeachStmt{At: at}
	p.expect(tokLParen)
	s.X = p.parseExpr()
	p.expect(tokAs)
	first := p.parseVariable()
	if p.accept(tokDoubleArrow) {
		s.Key = first
		s.Value = p.parseVariable()
	} else {
		s.Value = first
	}
	p.expect(tokRParen)
	s.Body = p.parseStmt()
	return s
}

func (p *parser) parseSwitch() Stmt {
	at := p.at(p.next())
	s := &SwitchStmt{At: at, Tag: p.parseParenExpr()}
	p.expect(tokLBrace)
	seenDefault := false
	for {
		t := p.peek()
		switch t.Type {
		case tokRBrace:
			p.next()
			return s
		case tokCase, tokDefault:
		default:
			p.failUnexpected(t, "'case', 'default' or '}'")
		}

		p.next()
		c := &CaseClause{At: p.at(t)}
		if t.Type == tokDefault {
			if seenDefault {
				p.failAt(p.at(t), "duplicate 'default' in switch")
			}
			seenDefault = true
			c.Default = true
		} else {
			c.Value = p.parseExpr()
		}
		p.expect(tokColon)
		for {
			typ := p.peek().Type
			if typ == tokCase || typ == tokDefault || typ == tokRBrace || typ == tokEOF {
				break
			}
			c.Body = append(c.Body, p.parseStmt())
		}
		s.Clauses = append(s.Clauses, c)
	}
}

// parseParams parses a parameter list after its `(` up to and including
// the `)`.
func (p *parser) parseParams() []*Param {
	var params []*Param
	for p.peek().Type != tokRParen {
		t := p.peek()
		param := &Param{At: p.at(t)}
		if p.accept(tokEllipsis) {
			param.Variadic = true
		}
		param.Name = p.parseVariable().Name
		if !param.Variadic && p.accept(tokAssign) {
			param.Default = p.parseExpr()
		}
		params = append(params, param)
		if !p.accept(tokComma) {
			p.expectClosing(tokRParen)
			checkParams(params)
			return params
		}
	}
	p.next()
	checkParams(params)
	return params
}

// checkParams enforces the parameter order: required parameters, then
// ones with defaults, then at most one variadic parameter.
func checkParams(params []*Param) {
	seenDefault := false
	for i, param := range params {
		switch {
		case param.Variadic && i != len(params)-1:
			panic(bailout{&Error{Pos: param.At, Msg: "variadic parameter $" + param.Name + " must be the last parameter"}})
		case param.Default != nil:
			seenDefault = true
		case !param.Variadic && seenDefault:
			panic(bailout{&Error{Pos: param.At, Msg: "required parameter $" + param.Name + " follows a parameter with a default value"}})
		}
	}
}
