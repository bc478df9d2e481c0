package parser

import (
	"github.com/alecthomas/participle/v2/lexer"
)

// Binary operator precedence, higher binds tighter. Every level is left
// associative; `**`, `??`, `?:` and assignment are handled outside the
// table because they associate to the right.
const (
	precOr = iota + 1
	precAnd
	precEquality
	precRelational
	precBitOr
	precBitXor
	precBitAnd
	precShift
	precConcat
	precAdditive
	precMultiplicative
)

type binaryOp struct {
	prec int
	op   Op
}

var binaryOps = func() [tokCount]binaryOp {
	var t [tokCount]binaryOp
	t[tokOr] = binaryOp{precOr, OpOr}
	t[tokAnd] = binaryOp{precAnd, OpAnd}
	t[tokEq] = binaryOp{precEquality, OpEq}
	t[tokNotEq] = binaryOp{precEquality, OpNotEq}
	t[tokStrictEq] = binaryOp{precEquality, OpStrictEq}
	t[tokStrictNeq] = binaryOp{precEquality, OpStrictNeq}
	t[tokMatch] = binaryOp{precEquality, OpRegexMatch}
	t[tokNoMatch] = binaryOp{precEquality, OpRegexNoMatch}
	t[tokLess] = binaryOp{precRelational, OpLess}
	t[tokLessEq] = binaryOp{precRelational, OpLessEq}
	t[tokGreater] = binaryOp{precRelational, OpGreater}
	t[tokGreaterEq] = binaryOp{precRelational, OpGreaterEq}
	t[tokPipe] = binaryOp{precBitOr, OpBitOr}
	t[tokCaret] = binaryOp{precBitXor, OpBitXor}
	t[tokAmp] = binaryOp{precBitAnd, OpBitAnd}
	t[tokShl] = binaryOp{precShift, OpShl}
	t[tokShr] = binaryOp{precShift, OpShr}
	t[tokUShr] = binaryOp{precShift, OpUShr}
	t[tokDot] = binaryOp{precConcat, OpConcat}
	t[tokPlus] = binaryOp{precAdditive, OpAdd}
	t[tokMinus] = binaryOp{precAdditive, OpSub}
	t[tokStar] = binaryOp{precMultiplicative, OpMul}
	t[tokSlash] = binaryOp{precMultiplicative, OpDiv}
	t[tokPercent] = binaryOp{precMultiplicative, OpMod}
	return t
}()

var compoundOps = func() [tokCount]Op {
	var t [tokCount]Op
	t[tokAddAssign] = OpAdd
	t[tokSubAssign] = OpSub
	t[tokMulAssign] = OpMul
	t[tokDivAssign] = OpDiv
	t[tokModAssign] = OpMod
	t[tokPowAssign] = OpPow
	t[tokCatAssign] = OpConcat
	return t
}()

// parseExpr parses an expression, assignments included.
func (p *parser) parseExpr() Expr {
	p.enter()
	x := p.parseAssign()
	p.leave()
	return x
}

// parseAssign parses an assignment or a conditional expression.
func (p *parser) parseAssign() Expr {
	lhs := p.parseConditional()
	t := p.peek()
	if t.Type == tokAssign {
		p.next()
		if arr, ok := lhs.(*ArrayLit); ok {
			pattern := p.toPattern(arr)
			return &DestructureExpr{At: p.at(t), Pattern: pattern, Value: p.parseExpr()}
		}
		p.checkTarget(lhs, true, "cannot assign to %s")
		return put(&p.arena.assigns, AssignExpr{At: p.at(t), Target: lhs, Value: p.parseExpr()})
	}
	if t.Type > 0 && compoundOps[t.Type] != OpInvalid {
		op := compoundOps[t.Type]
		p.next()
		p.checkTarget(lhs, false, "cannot assign to %s")
		return &CompoundAssignExpr{At: p.at(t), Op: op, Target: lhs, Value: p.parseExpr()}
	}
	return lhs
}

// parseConditional parses `c ? a : b`, `c ?: b` and everything tighter.
func (p *parser) parseConditional() Expr {
	cond := p.parseCoalesce()
	t := p.peek()
	switch t.Type {
	case tokQuestion:
		p.next()
		if p.accept(tokColon) {
			return &ElvisExpr{At: p.at(t), X: cond, Y: p.parseConditional()}
		}
		then := p.parseExpr()
		p.expect(tokColon)
		return &TernaryExpr{At: p.at(t), Cond: cond, Then: then, Else: p.parseConditional()}
	case tokElvis:
		p.next()
		return &ElvisExpr{At: p.at(t), X: cond, Y: p.parseConditional()}
	}
	return cond
}

// parseCoalesce parses the right-associative `??`.
func (p *parser) parseCoalesce() Expr {
	x := p.parseBinary(precOr)
	t := p.peek()
	if t.Type != tokCoalesce {
		return x
	}
	p.next()
	p.enter()
	y := p.parseCoalesce()
	p.leave()
	return &CoalesceExpr{At: p.at(t), X: x, Y: y}
}

// parseBinary parses the left-associative binary levels by precedence
// climbing.
func (p *parser) parseBinary(minPrec int) Expr {
	x := p.parseUnary()
	for {
		t := p.peek()
		var bin binaryOp
		if t.Type > 0 {
			bin = binaryOps[t.Type]
		}
		if bin.prec < minPrec {
			return x
		}
		p.next()
		y := p.parseBinary(bin.prec + 1)
		if bin.op == OpAnd || bin.op == OpOr {
			x = &LogicalExpr{At: p.at(t), Op: bin.op, X: x, Y: y}
		} else {
			x = put(&p.arena.binaries, BinaryExpr{At: p.at(t), Op: bin.op, X: x, Y: y})
		}
	}
}

// parseUnary parses prefix operators and `**`, whose right operand may
// itself be unary.
func (p *parser) parseUnary() Expr {
	t := p.peek()
	var op Op
	switch t.Type {
	case tokMinus:
		op = OpNeg
	case tokPlus:
		op = OpPlus
	case tokBang, tokNot:
		op = OpNot
	case tokTilde:
		op = OpBitNot
	case tokInc, tokDec:
		p.next()
		x := p.parsePostfix(false)
		p.checkTarget(x, false, "cannot increment or decrement %s")
		op := OpInc
		if t.Type == tokDec {
			op = OpDec
		}
		return &IncDecExpr{At: p.at(t), Op: op, Prefix: true, X: x}
	default:
		x := p.parsePostfix(true)
		if pow := p.peek(); pow.Type == tokPow {
			p.next()
			p.enter()
			y := p.parseUnary()
			p.leave()
			return put(&p.arena.binaries, BinaryExpr{At: p.at(pow), Op: OpPow, X: x, Y: y})
		}
		return x
	}

	p.next()
	p.enter()
	x := p.parseUnary()
	p.leave()
	return &UnaryExpr{At: p.at(t), Op: op, X: x}
}

// parsePostfix parses a primary expression with its calls, subscripts,
// slices and property reads, then an optional postfix `++` or `--` when
// incDec is set.
func (p *parser) parsePostfix(incDec bool) Expr {
	x := p.parsePrimary()
	for {
		t := p.peek()
		switch t.Type {
		case tokLParen:
			p.next()
			x = put(&p.arena.calls, CallExpr{At: p.at(t), Func: x, Args: p.parseArgs()})
		case tokLBracket:
			x = p.parseSubscript(x)
		case tokArrow:
			p.next()
			name := p.expectName("property name")
			x = &PropertyExpr{At: p.at(t), X: x, Name: p.text(name)}
		case tokInc, tokDec:
			if !incDec {
				return x
			}
			p.next()
			p.checkTarget(x, false, "cannot increment or decrement %s")
			op := OpInc
			if t.Type == tokDec {
				op = OpDec
			}
			return &IncDecExpr{At: p.at(t), Op: op, X: x}
		default:
			return x
		}
	}
}

// parseArgs parses call arguments after the `(` up to and including the `)`.
func (p *parser) parseArgs() []*Arg {
	a := p.arena
	mark := len(a.scratchArgs)
	for p.peek().Type != tokRParen {
		t := p.peek()
		arg := put(&a.args, Arg{At: p.at(t)})
		if p.accept(tokEllipsis) {
			arg.Spread = true
		}
		arg.X = p.parseExpr()
		a.scratchArgs = append(a.scratchArgs, arg)
		if !p.accept(tokComma) {
			p.expectClosing(tokRParen)
			return popScratch(&a.scratchArgs, mark, &a.argLists)
		}
	}
	p.next()
	return popScratch(&a.scratchArgs, mark, &a.argLists)
}

// parseSubscript parses `[index]`, the append form `[]` and the slice forms.
// A `::` token between the brackets is two slice colons (`$s[::-1]`).
func (p *parser) parseSubscript(x Expr) Expr {
	open := p.next()
	at := p.at(open)

	if t := p.peek(); t.Type == tokRBracket {
		p.next()
		if p.peek().Type != tokAssign {
			p.failUnexpected(t, "expression (an empty index '[]' appends and may only stand left of '=')")
		}
		return &IndexExpr{At: at, X: x}
	}

	var low Expr
	if typ := p.peek().Type; typ != tokColon && typ != tokScope {
		low = p.parseExpr()
	}
	if p.peek().Type == tokRBracket {
		p.next()
		return put(&p.arena.indexes, IndexExpr{At: at, X: x, Index: low})
	}

	slice := &SliceExpr{At: at, X: x, Low: low}
	switch p.peek().Type {
	case tokScope:
		p.next()
		if p.peek().Type != tokRBracket {
			slice.Step = p.parseExpr()
		}
	case tokColon:
		p.next()
		if typ := p.peek().Type; typ != tokColon && typ != tokRBracket {
			slice.High = p.parseExpr()
		}
		if p.accept(tokColon) && p.peek().Type != tokRBracket {
			slice.Step = p.parseExpr()
		}
	default:
		p.failUnexpected(p.peek(), "']' or ':'")
	}
	p.expect(tokRBracket)
	return slice
}

// parsePrimary parses an operand.
func (p *parser) parsePrimary() Expr {
	p.enter()
	x := p.parseOperand()
	p.leave()
	return x
}

// parseOperand is parsePrimary without the nesting count.
func (p *parser) parseOperand() Expr {
	t := p.peek()
	at := p.at(t)
	switch t.Type {
	case tokNumber:
		p.next()
		return put(&p.arena.numbers, NumberLit{At: at, Raw: p.text(t), Value: numberValue(p.text(t))})

	case tokString:
		p.next()
		return p.stringLit(at, p.text(t))

	case tokRaw:
		p.next()
		return &StringLit{At: at, Value: rawValue(p.text(t)), Raw: true}

	case tokRegex:
		p.next()
		pattern, flags := regexParts(p.text(t))
		return &RegexLit{At: at, Pattern: pattern, Flags: flags}

	case tokTrue, tokFalse:
		p.next()
		return &BoolLit{At: at, Value: t.Type == tokTrue}

	case tokNone:
		p.next()
		return &NoneLit{At: at}

	case tokVar:
		p.next()
		return put(&p.arena.variables, Variable{At: at, Name: p.text(t)[1:]})

	case tokIdent:
		p.next()
		if p.peek().Type == tokScope {
			return p.parseScoped(t)
		}
		return put(&p.arena.idents, Ident{At: at, Name: p.text(t)})

	case tokStatic:
		p.next()
		if p.peek().Type != tokScope {
			p.failUnexpected(p.peek(), "'::' after 'static'")
		}
		return p.parseScoped(t)

	case tokLParen:
		p.next()
		x := p.parseExpr()
		p.expect(tokRParen)
		return x

	case tokLBracket:
		p.next()
		return &ArrayLit{At: at, Items: p.parseArrayItems(tokRBracket)}

	case tokArray:
		p.next()
		p.expect(tokLParen)
		return &ArrayLit{At: at, Items: p.parseArrayItems(tokRParen)}

	case tokFunction:
		p.next()
		return p.parseFuncLit(at)

	case tokMatchKw:
		p.next()
		return p.parseMatch(at)

	case tokIsset:
		p.next()
		p.expect(tokLParen)
		target := p.parsePostfix(false)
		p.checkTarget(target, false, "isset() needs a variable, element or property, not %s")
		p.expect(tokRParen)
		return &IssetExpr{At: at, Target: target}

	case tokUnset:
		p.next()
		p.expect(tokLParen)
		target := p.parsePostfix(false)
		p.checkTarget(target, true, "unset() needs a variable, element, property or slice, not %s")
		if index, ok := target.(*IndexExpr); ok && index.Index == nil {
			p.failAt(index.At, "cannot unset an empty index '[]'")
		}
		p.expect(tokRParen)
		return &UnsetExpr{At: at, Target: target}

	case tokBuiltin:
		p.next()
		name := p.expectName("builtin function name")
		return &BuiltinExpr{At: at, Name: p.text(name)}

	case tokCache:
		p.next()
		return p.parseCache(at)

	case tokObject, tokYield:
		p.failAt(at, "reserved keyword '%s' has no meaning yet and cannot be used", p.text(t))
	}

	p.failUnexpected(t, "expression")
	return nil
}

// parseScoped parses the `:: name` or `:: $name` after scope, which was
// consumed.
func (p *parser) parseScoped(scope *token) Expr {
	p.next()
	t := p.peek()
	switch t.Type {
	case tokIdent:
		p.next()
		return &ScopedExpr{At: p.at(scope), Scope: p.text(scope), Name: p.text(t)}
	case tokVar:
		p.next()
		return &ScopedExpr{At: p.at(scope), Scope: p.text(scope), Name: p.text(t)[1:], IsVar: true}
	}
	p.failUnexpected(t, "name or variable after '::'")
	return nil
}

// parseArrayItems parses array literal items up to and including the
// closing token.
func (p *parser) parseArrayItems(closing lexer.TokenType) []*ArrayItem {
	a := p.arena
	mark := len(a.scratchItems)
	for p.peek().Type != closing {
		t := p.peek()
		item := put(&a.arrayItems, ArrayItem{At: p.at(t)})
		if p.accept(tokEllipsis) {
			item.Spread = true
			item.Value = p.parseExpr()
		} else {
			item.Value = p.parseExpr()
			if p.accept(tokDoubleArrow) {
				item.Key = item.Value
				item.Value = p.parseExpr()
			}
		}
		a.scratchItems = append(a.scratchItems, item)
		if !p.accept(tokComma) {
			p.expectClosing(closing)
			return popScratch(&a.scratchItems, mark, &a.itemLists)
		}
	}
	p.next()
	return popScratch(&a.scratchItems, mark, &a.itemLists)
}

// parseFuncLit parses an anonymous function after `function`.
func (p *parser) parseFuncLit(at Pos) Expr {
	f := &FuncLit{At: at}
	p.expect(tokLParen)
	f.Params = p.parseParams()
	if p.accept(tokClosure) {
		p.expect(tokLParen)
		f.Captures = []*Variable{}
		for p.peek().Type != tokRParen {
			f.Captures = append(f.Captures, p.parseVariable())
			if !p.accept(tokComma) {
				break
			}
		}
		p.expect(tokRParen)
	}
	f.Body = p.parseBlock()
	return f
}

// parseMatch parses `match (subject) { arms }` after `match`.
func (p *parser) parseMatch(at Pos) Expr {
	m := &MatchExpr{At: at, Subject: p.parseParenExpr()}
	p.expect(tokLBrace)
	for p.peek().Type != tokRBrace {
		t := p.peek()
		arm := &MatchArm{At: p.at(t)}
		if p.accept(tokDefault) {
			arm.Default = true
		} else {
			for {
				arm.Values = append(arm.Values, p.parseExpr())
				if !p.accept(tokComma) {
					break
				}
			}
		}
		p.expect(tokDoubleArrow)
		arm.Result = p.parseExpr()
		m.Arms = append(m.Arms, arm)
		if !p.accept(tokComma) {
			p.expectClosing(tokRBrace)
			return m
		}
	}
	p.next()
	return m
}

// parseCache parses `[options] [builtin] callee(args)` after `cache`.
func (p *parser) parseCache(at Pos) Expr {
	c := &CacheExpr{At: at}
	t := p.peek()
	switch t.Type {
	case tokLBracket:
		p.next()
		c.Options = &ArrayLit{At: p.at(t), Items: p.parseArrayItems(tokRBracket)}
	case tokArray:
		p.next()
		p.expect(tokLParen)
		c.Options = &ArrayLit{At: p.at(t), Items: p.parseArrayItems(tokRParen)}
	default:
		p.failUnexpected(t, "cache options array '['")
	}

	t = p.peek()
	switch t.Type {
	case tokBuiltin:
		p.next()
		name := p.expectName("builtin function name")
		c.Callee = &BuiltinExpr{At: p.at(t), Name: p.text(name)}
	case tokIdent, tokStatic:
		p.next()
		if p.peek().Type == tokScope {
			c.Callee = p.parseScoped(t)
		} else if t.Type == tokIdent {
			c.Callee = &Ident{At: p.at(t), Name: p.text(t)}
		} else {
			p.failUnexpected(p.peek(), "'::' after 'static'")
		}
	default:
		p.failUnexpected(t, "function name (cache calls a named function)")
	}

	p.expect(tokLParen)
	c.Args = p.parseArgs()
	return c
}

// checkTarget fails unless x may stand where a variable, element or
// property is written. withSlice also admits a slice and the append form
// `$a[]`. format is the message, with %s for what x is.
func (p *parser) checkTarget(x Expr, withSlice bool, format string) {
	switch n := x.(type) {
	case *IndexExpr:
		if n.Index == nil && !withSlice {
			p.failAt(n.At, format, "an empty index '[]'")
		}
		if isTargetBase(n.X) {
			return
		}
	case *SliceExpr:
		if withSlice && isTargetBase(n.X) {
			return
		}
	}
	if isTargetBase(x) {
		return
	}
	p.failAt(startPos(x), format, describeExpr(x))
}

// startPos returns the position of the first token of x; operator nodes
// carry the position of their operator instead.
func startPos(x Expr) Pos {
	for {
		switch n := x.(type) {
		case *BinaryExpr:
			x = n.X
		case *LogicalExpr:
			x = n.X
		case *AssignExpr:
			x = n.Target
		case *CompoundAssignExpr:
			x = n.Target
		case *IncDecExpr:
			if n.Prefix {
				return n.At
			}
			x = n.X
		case *DestructureExpr:
			return n.Pattern.At
		case *TernaryExpr:
			x = n.Cond
		case *ElvisExpr:
			x = n.X
		case *CoalesceExpr:
			x = n.X
		case *IndexExpr:
			x = n.X
		case *SliceExpr:
			x = n.X
		case *PropertyExpr:
			x = n.X
		case *CallExpr:
			x = n.Func
		default:
			return x.Pos()
		}
	}
}

// isTargetBase reports whether x is a variable, a scoped variable, or an
// element or property chain rooted in one.
func isTargetBase(x Expr) bool {
	for {
		switch n := x.(type) {
		case *Variable:
			return true
		case *ScopedExpr:
			return n.IsVar
		case *IndexExpr:
			if n.Index == nil {
				return false
			}
			x = n.X
		case *PropertyExpr:
			x = n.X
		default:
			return false
		}
	}
}

// describeExpr names the kind of an expression for error messages.
func describeExpr(x Expr) string {
	switch n := x.(type) {
	case *CallExpr:
		return "a function call"
	case *SliceExpr:
		return "a slice"
	case *NumberLit, *StringLit, *InterpString, *BoolLit, *NoneLit, *RegexLit:
		return "a literal"
	case *ArrayLit:
		return "an array literal"
	case *Ident:
		return "function name '" + n.Name + "'"
	case *ScopedExpr:
		return "'" + n.Scope + "::" + n.Name + "'"
	case *BinaryExpr, *LogicalExpr, *UnaryExpr:
		return "an operator expression"
	case *AssignExpr, *CompoundAssignExpr, *DestructureExpr:
		return "an assignment"
	case *TernaryExpr, *ElvisExpr, *CoalesceExpr:
		return "a conditional expression"
	case *IncDecExpr:
		return "an increment or decrement"
	case *IndexExpr, *PropertyExpr:
		return "an element of a value that is not a variable"
	}
	return "this expression"
}

// toPattern converts the array literal left of `=` into a destructuring
// pattern.
func (p *parser) toPattern(arr *ArrayLit) *Pattern {
	pattern := &Pattern{At: arr.At}
	if len(arr.Items) == 0 {
		p.failAt(arr.At, "empty destructuring pattern, expected at least one variable")
	}
	for i, item := range arr.Items {
		pi := &PatternItem{At: item.At}
		switch {
		case item.Spread:
			v, ok := item.Value.(*Variable)
			if !ok {
				p.failAt(item.Value.Pos(), "invalid rest item, expected '...$name'")
			}
			if i != len(arr.Items)-1 {
				p.failAt(item.At, "rest item ...$%s must be the last item of the pattern", v.Name)
			}
			pi.Var = v
			pi.Rest = true
		default:
			pi.Key = item.Key
			switch v := item.Value.(type) {
			case *Variable:
				pi.Var = v
			case *AssignExpr:
				target, ok := v.Target.(*Variable)
				if !ok {
					p.failAt(v.Target.Pos(), "invalid destructuring item, expected a variable")
				}
				pi.Var = target
				pi.Default = v.Value
			default:
				p.failAt(item.Value.Pos(), "invalid destructuring item, expected a variable")
			}
			if i == 0 {
				pattern.Keyed = item.Key != nil
			} else if pattern.Keyed != (item.Key != nil) {
				p.failAt(item.At, "cannot mix keyed and positional items in a destructuring pattern")
			}
		}
		if pi.Rest && pattern.Keyed {
			p.failAt(item.At, "a rest item is only allowed in a positional pattern")
		}
		pattern.Items = append(pattern.Items, pi)
	}
	return pattern
}
