package parser

// parseFuncDecl parses a named function declaration.
func (p *parser) parseFuncDecl() Stmt {
	at := p.at(p.next())
	name := p.expectName("function name")
	p.expect(tokLParen)
	return &FuncDecl{
		At:      at,
		Name:    p.text(name),
		NamePos: p.at(name),
		Params:  p.parseParams(),
		Body:    p.parseBlock(),
	}
}

// parseClassDecl parses `class Name { members }`.
func (p *parser) parseClassDecl() Stmt {
	at := p.at(p.next())
	name := p.expectName("class name")
	p.expect(tokLBrace)

	c := &ClassDecl{At: at, Name: p.text(name), NamePos: p.at(name)}
	for {
		t := p.peek()
		switch t.Type {
		case tokRBrace:
			p.next()
			return c
		case tokEOF:
			p.failUnexpected(t, "class member or '}'")
		}
		c.Members = append(c.Members, p.parseMember())
	}
}

// parseMember parses a constructor, or modifiers followed by a method or a
// variable.
func (p *parser) parseMember() ClassMember {
	first := p.peek()
	at := p.at(first)

	var mods Modifiers
	for {
		t := p.peek()
		var flag *bool
		switch t.Type {
		case tokPrivate:
			flag = &mods.Private
		case tokStatic:
			flag = &mods.Static
		case tokReadonly:
			flag = &mods.Readonly
		}
		if flag == nil {
			break
		}
		if *flag {
			p.failAt(p.at(t), "duplicate modifier '%s'", p.text(t))
		}
		*flag = true
		p.next()
	}

	t := p.peek()
	switch t.Type {
	case tokConstructor:
		if mods != (Modifiers{}) {
			p.failAt(p.at(first), "unexpected modifier before 'constructor', a constructor takes none")
		}
		p.next()
		p.expect(tokLParen)
		params := p.parseParams()
		return &Constructor{At: at, Params: params, Body: p.parseBlock()}

	case tokFunction:
		if mods.Readonly {
			p.failAt(p.at(first), "a method cannot be readonly")
		}
		p.next()
		name := p.expectName("method name")
		p.expect(tokLParen)
		params := p.parseParams()
		return &ClassMethod{At: at, Mods: mods, Name: p.text(name), NamePos: p.at(name), Params: params, Body: p.parseBlock()}

	case tokVar:
		p.next()
		v := &ClassVar{At: at, Mods: mods, Name: p.text(t)[1:]}
		if p.accept(tokAssign) {
			v.Init = p.parseExpr()
		}
		p.expect(tokSemicolon)
		return v
	}

	if mods != (Modifiers{}) {
		p.failUnexpected(t, "'function' or variable after a modifier")
	}
	p.failUnexpected(t, "class member or '}'")
	return nil
}
