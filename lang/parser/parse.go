package parser

import (
	"errors"
	"fmt"

	"github.com/alecthomas/participle/v2/lexer"
)

// maxDepth bounds the nesting of expressions and statements one parser
// instance follows, so hostile input ends in a syntax error instead of a
// stack overflow.
const maxDepth = 1000

// maxErrors bounds the syntax errors reported for one file.
const maxErrors = 10

// ParseFile parses one HSL source file. On failure the File is nil and the
// error is an ErrorList of the syntax errors found, in source order: after
// an error the parser skips to the end of the statement and goes on, up to
// maxErrors errors. A lexical error (for example an unterminated string)
// ends the parse at once.
func ParseFile(filename string, src []byte) (*File, error) {
	text := string(src)
	buf := tokenBuffers.Get().(*[]token)
	defer tokenBuffers.Put(buf)
	toks, err := newScanner(filename, text, 1, 1).tokenizeInto((*buf)[:0])
	*buf = toks
	if err != nil {
		return nil, ErrorList{toError(err)}
	}

	p := &parser{toks: toks, src: text, file: filename, arena: new(arena), recovering: true}
	file := &File{Name: filename}
	if err := p.run(func() {
		for p.peek().Type != tokEOF {
			if s := p.parseStmtOrSkip(); s != nil {
				file.Stmts = append(file.Stmts, s)
			}
		}
	}); err != nil && err != errTooManyErrors {
		p.errs = append(p.errs, err)
	}
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return file, nil
}

// ParseExpr parses a single expression, as the REPL and tests need.
func ParseExpr(filename string, src []byte) (Expr, error) {
	text := string(src)
	toks, err := newScanner(filename, text, 1, 1).tokenize()
	if err != nil {
		return nil, ErrorList{toError(err)}
	}

	p := &parser{toks: toks, src: text, file: filename, arena: new(arena)}
	var x Expr
	if err := p.run(func() {
		x = p.parseExpr()
		if t := p.peek(); t.Type != tokEOF {
			p.failUnexpected(t, "end of input")
		}
	}); err != nil {
		return nil, ErrorList{err}
	}
	return x, nil
}

// parser is a recursive-descent parser over a token slice that ends with an
// EOF token. Errors unwind the stack as a panic of bailout, which run
// recovers.
type parser struct {
	toks  []token
	src   string // the text the tokens point into
	file  string
	pos   int // index of the next token
	depth int
	arena *arena

	// eofName describes the end of the token stream in messages: the end of
	// the file, or the closing brace of a `${...}` interpolation.
	eofName string

	// recovering is set when a syntax error in a statement is recorded in
	// errs and parsing goes on after that statement.
	recovering bool
	errs       ErrorList
}

// errTooManyErrors ends a parse that has reported maxErrors errors.
var errTooManyErrors = &Error{Msg: "too many errors"}

// parseStmtOrSkip parses a statement. When recovering, a syntax error in it
// is recorded, the rest of the statement is skipped, and the result is nil.
func (p *parser) parseStmtOrSkip() Stmt {
	if !p.recovering {
		return p.parseStmt()
	}

	start, depth, marks := p.pos, p.depth, p.arena.marks()
	var s Stmt
	err := p.run(func() { s = p.parseStmt() })
	if err == nil {
		return s
	}
	if err == errTooManyErrors {
		panic(bailout{err})
	}

	p.arena.reset(marks)
	p.errs = append(p.errs, err)
	if len(p.errs) >= maxErrors {
		panic(bailout{errTooManyErrors})
	}
	p.depth = depth
	p.skipStatement(start)
	return nil
}

// skipStatement moves past the rest of a statement that began at token
// index start and failed to parse. It counts the braces the statement left
// open and skips until the statement ends: after a `;` outside braces,
// after the `}` that closes its last open brace, or before a `}` that
// closes the enclosing block. Parentheses and brackets are tracked too, but
// a `;` inside them ends the statement as well (an unclosed `[` or `(` is a
// common mistake), except in the header of a `for`. It always consumes at
// least one token.
func (p *parser) skipStatement(start int) {
	braces, brackets := 0, 0
	count := func(typ lexer.TokenType) {
		switch typ {
		case tokLBrace:
			braces++
		case tokRBrace:
			braces = max(braces-1, 0)
		case tokLParen, tokLBracket:
			brackets++
		case tokRParen, tokRBracket:
			brackets = max(brackets-1, 0)
		}
	}
	for i := start; i < p.pos; i++ {
		count(p.toks[i].Type)
	}
	inFor := p.toks[start].Type == tokFor

	for {
		t := p.peek()
		switch t.Type {
		case tokEOF:
			return
		case tokSemicolon:
			p.next()
			if braces == 0 && (brackets == 0 || !inFor) {
				return
			}
			continue
		case tokRBrace:
			if braces == 0 {
				if p.pos == start {
					p.next()
				}
				return
			}
			p.next()
			if braces--; braces == 0 {
				return
			}
			continue
		}
		count(t.Type)
		p.next()
	}
}

// bailout carries a syntax error up the stack.
type bailout struct{ err *Error }

// run calls fn and turns a syntax error raised inside it into a return
// value.
func (p *parser) run(fn func()) (err *Error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			err = b.err
		}
	}()
	fn()
	return nil
}

func (p *parser) peek() *token { return &p.toks[p.pos] }

// next consumes a token; at the end it keeps returning the EOF token.
func (p *parser) next() *token {
	t := &p.toks[p.pos]
	if t.Type != tokEOF {
		p.pos++
	}
	return t
}

// peekSecond returns the type of the token after the next one.
func (p *parser) peekSecond() lexer.TokenType {
	if p.pos+1 < len(p.toks) {
		return p.toks[p.pos+1].Type
	}
	return tokEOF
}

// accept consumes the next token when it has type typ.
func (p *parser) accept(typ lexer.TokenType) bool {
	if p.toks[p.pos].Type == typ {
		p.next()
		return true
	}
	return false
}

// expect consumes a token of type typ or fails naming it.
func (p *parser) expect(typ lexer.TokenType) *token {
	t := &p.toks[p.pos]
	if t.Type != typ {
		p.failUnexpected(t, "'"+tokenText[typ]+"'")
	}
	return p.next()
}

// expectClosing consumes the closing bracket of a comma-separated list,
// or fails expecting a comma or that bracket.
func (p *parser) expectClosing(typ lexer.TokenType) {
	t := &p.toks[p.pos]
	if t.Type != typ {
		p.failUnexpected(t, "',' or '"+tokenText[typ]+"'")
	}
	p.next()
}

// expectName consumes an identifier; what names its role in messages, for
// example "function name".
func (p *parser) expectName(what string) *token {
	t := &p.toks[p.pos]
	if t.Type != tokIdent {
		p.failUnexpected(t, what)
	}
	return p.next()
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.failAt(p.at(p.peek()), "nesting deeper than %d levels", maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

// text returns the source text of t.
func (p *parser) text(t *token) string { return p.src[t.Off:t.End] }

// at returns the position of t.
func (p *parser) at(t *token) Pos { return Pos{File: p.file, Line: int(t.Line), Col: int(t.Col)} }

func (p *parser) failAt(pos Pos, format string, args ...any) {
	panic(bailout{&Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}})
}

// failUnexpected reports token t where expected was required.
func (p *parser) failUnexpected(t *token, expected string) {
	p.failAt(p.at(t), "unexpected %s, expected %s", p.describe(t), expected)
}

// describe names a token for an error message.
func (p *parser) describe(t *token) string {
	if t.Type == tokEOF && p.eofName != "" {
		return p.eofName
	}
	return describeToken(t.Type, p.text(t))
}

// describeToken names a token of type typ and source text text for an
// error message.
func describeToken(typ lexer.TokenType, text string) string {
	switch {
	case typ == tokEOF:
		return "end of file"
	case typ == tokIdent:
		return "name '" + text + "'"
	case typ == tokVar:
		return "variable '" + text + "'"
	case typ == tokNumber:
		return "number " + text
	case typ == tokString, typ == tokRaw:
		return "string " + shorten(text)
	case typ == tokRegex:
		return "regex literal " + shorten(text)
	case isKeyword(typ):
		return "reserved word '" + text + "'"
	}
	return "'" + text + "'"
}

// shorten cuts long token text for messages.
func shorten(s string) string {
	const limit = 24
	for i := 0; i < len(s) && i < limit; i++ {
		if s[i] == '\n' {
			return s[:i] + "..."
		}
	}
	if len(s) > limit {
		return s[:limit] + "..."
	}
	return s
}

func toPos(p lexer.Position) Pos {
	return Pos{File: p.Filename, Line: p.Line, Col: p.Column}
}

func newError(pos lexer.Position, format string, args ...any) *Error {
	return &Error{Pos: toPos(pos), Msg: fmt.Sprintf(format, args...)}
}

// toError converts an error from the scanner or from participle into an
// *Error.
func toError(err error) *Error {
	var own *Error
	if errors.As(err, &own) {
		return own
	}
	return participleError(err)
}
