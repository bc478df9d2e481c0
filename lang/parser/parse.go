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

// ParseFile parses one HSL source file. On failure the error is an
// ErrorList holding the first syntax error, and the File is nil.
func ParseFile(filename string, src []byte) (*File, error) {
	lex, err := lexer.Upgrade(newScanner(filename, string(src), 1, 1))
	if err != nil {
		return nil, ErrorList{toError(err)}
	}

	p := &parser{lex: lex}
	file := &File{Name: filename}
	if err := p.run(func() {
		for p.peek().Type != tokEOF {
			file.Stmts = append(file.Stmts, p.parseStmt())
		}
	}); err != nil {
		return nil, ErrorList{err}
	}
	return file, nil
}

// ParseExpr parses a single expression, as the REPL and tests need.
func ParseExpr(filename string, src []byte) (Expr, error) {
	lex, err := lexer.Upgrade(newScanner(filename, string(src), 1, 1))
	if err != nil {
		return nil, ErrorList{toError(err)}
	}

	p := &parser{lex: lex}
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

// parser is a recursive-descent parser over participle's token stream.
// Errors unwind the stack as a panic of *Error, which run recovers.
type parser struct {
	lex   *lexer.PeekingLexer
	depth int

	// eofName describes the end of the token stream in messages: the end of
	// the file, or the closing brace of a `${...}` interpolation.
	eofName string
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

func (p *parser) peek() *lexer.Token { return p.lex.Peek() }

func (p *parser) next() *lexer.Token { return p.lex.Next() }

// peekSecond returns the type of the token after the next one.
func (p *parser) peekSecond() lexer.TokenType {
	cp := p.lex.MakeCheckpoint()
	p.lex.Next()
	typ := p.lex.Peek().Type
	p.lex.LoadCheckpoint(cp)
	return typ
}

// accept consumes the next token when it has type typ.
func (p *parser) accept(typ lexer.TokenType) bool {
	if p.lex.Peek().Type == typ {
		p.lex.Next()
		return true
	}
	return false
}

// expect consumes a token of type typ or fails naming it.
func (p *parser) expect(typ lexer.TokenType) *lexer.Token {
	t := p.lex.Peek()
	if t.Type != typ {
		p.failUnexpected(t, "'"+tokenText[typ]+"'")
	}
	return p.lex.Next()
}

// expectName consumes an identifier; what names its role in messages, for
// example "function name".
func (p *parser) expectName(what string) *lexer.Token {
	t := p.lex.Peek()
	if t.Type != tokIdent {
		p.failUnexpected(t, what)
	}
	return p.lex.Next()
}

func (p *parser) enter() {
	p.depth++
	if p.depth > maxDepth {
		p.fail(p.peek().Pos, "nesting deeper than %d levels", maxDepth)
	}
}

func (p *parser) leave() { p.depth-- }

func (p *parser) fail(pos lexer.Position, format string, args ...any) {
	panic(bailout{newError(pos, format, args...)})
}

func (p *parser) failAt(pos Pos, format string, args ...any) {
	panic(bailout{&Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}})
}

// failUnexpected reports token t where expected was required.
func (p *parser) failUnexpected(t *lexer.Token, expected string) {
	p.fail(t.Pos, "unexpected %s, expected %s", p.describe(t), expected)
}

// describe names a token for an error message.
func (p *parser) describe(t *lexer.Token) string {
	if t.Type == tokEOF && p.eofName != "" {
		return p.eofName
	}
	return describeToken(t)
}

func describeToken(t *lexer.Token) string {
	switch {
	case t.Type == tokEOF:
		return "end of file"
	case t.Type == tokIdent:
		return "name '" + t.Value + "'"
	case t.Type == tokVar:
		return "variable '" + t.Value + "'"
	case t.Type == tokNumber:
		return "number " + t.Value
	case t.Type == tokString, t.Type == tokRaw:
		return "string " + shorten(t.Value)
	case t.Type == tokRegex:
		return "regex literal " + shorten(t.Value)
	case isKeyword(t.Type):
		return "reserved word '" + t.Value + "'"
	}
	return "'" + t.Value + "'"
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
