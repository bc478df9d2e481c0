package parser

import (
	"fmt"
	"io"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// Token types. Every keyword and operator has its own type so the parser
// dispatches on an integer; participle grammar tags still match them by
// their text.
const (
	tokEOF = lexer.EOF

	tokIdent lexer.TokenType = iota + 1
	tokVar
	tokNumber
	tokString // double-quoted string, its text including the quotes
	tokRaw    // raw string, its text including the delimiters
	tokRegex  // regex literal, its text from `#/` to the last flag

	// Punctuation and operators.
	tokPlus        // +
	tokMinus       // -
	tokStar        // *
	tokSlash       // /
	tokPercent     // %
	tokPow         // **
	tokDot         // .
	tokInc         // ++
	tokDec         // --
	tokAssign      // =
	tokAddAssign   // +=
	tokSubAssign   // -=
	tokMulAssign   // *=
	tokDivAssign   // /=
	tokModAssign   // %=
	tokPowAssign   // **=
	tokCatAssign   // .=
	tokEq          // ==
	tokNotEq       // !=
	tokStrictEq    // ===
	tokStrictNeq   // !==
	tokLess        // <
	tokLessEq      // <=
	tokGreater     // >
	tokGreaterEq   // >=
	tokMatch       // =~
	tokNoMatch     // !~
	tokAmp         // &
	tokPipe        // |
	tokCaret       // ^
	tokTilde       // ~
	tokShl         // <<
	tokShr         // >>
	tokUShr        // >>>
	tokBang        // !
	tokQuestion    // ?
	tokColon       // :
	tokElvis       // ?:
	tokCoalesce    // ??
	tokArrow       // ->
	tokScope       // ::
	tokDoubleArrow // =>
	tokEllipsis    // ...
	tokComma       // ,
	tokSemicolon   // ;
	tokLParen      // (
	tokRParen      // )
	tokLBracket    // [
	tokRBracket    // ]
	tokLBrace      // {
	tokRBrace      // }

	// Keywords, in the order of keywordNames.
	tokAnd
	tokArray
	tokAs
	tokBarrier
	tokBreak
	tokBuiltin
	tokCache
	tokCase
	tokCatch
	tokClass
	tokClosure
	tokConstructor
	tokContinue
	tokDefault
	tokEcho
	tokElse
	tokFalse
	tokFor
	tokForeach
	tokForever
	tokFrom
	tokFunction
	tokGlobal
	tokIf
	tokImport
	tokInclude
	tokIncludeOnce
	tokIsset
	tokMatchKw
	tokNone
	tokNot
	tokObject
	tokOr
	tokPrivate
	tokReadonly
	tokReturn
	tokStatic
	tokSwitch
	tokThrow
	tokTrue
	tokTry
	tokUnset
	tokWhile
	tokWith
	tokYield

	tokCount
)

const firstKeyword = tokAnd

var keywordNames = [...]string{
	"and", "array", "as", "barrier", "break", "builtin", "cache", "case",
	"catch", "class", "closure", "constructor", "continue", "default", "echo",
	"else", "false", "for", "foreach", "forever", "from", "function", "global",
	"if", "import", "include", "include_once", "isset", "match", "none", "not",
	"object", "or", "private", "readonly", "return", "static", "switch",
	"throw", "true", "try", "unset", "while", "with", "yield",
}

// tokenText is the fixed spelling of every operator and keyword type.
var tokenText = func() [tokCount]string {
	var t [tokCount]string
	ops := []struct {
		typ  lexer.TokenType
		text string
	}{
		{tokPlus, "+"}, {tokMinus, "-"}, {tokStar, "*"}, {tokSlash, "/"},
		{tokPercent, "%"}, {tokPow, "**"}, {tokDot, "."}, {tokInc, "++"},
		{tokDec, "--"}, {tokAssign, "="}, {tokAddAssign, "+="},
		{tokSubAssign, "-="}, {tokMulAssign, "*="}, {tokDivAssign, "/="},
		{tokModAssign, "%="}, {tokPowAssign, "**="}, {tokCatAssign, ".="},
		{tokEq, "=="}, {tokNotEq, "!="}, {tokStrictEq, "==="},
		{tokStrictNeq, "!=="}, {tokLess, "<"}, {tokLessEq, "<="},
		{tokGreater, ">"}, {tokGreaterEq, ">="}, {tokMatch, "=~"},
		{tokNoMatch, "!~"}, {tokAmp, "&"}, {tokPipe, "|"}, {tokCaret, "^"},
		{tokTilde, "~"}, {tokShl, "<<"}, {tokShr, ">>"}, {tokUShr, ">>>"},
		{tokBang, "!"}, {tokQuestion, "?"}, {tokColon, ":"}, {tokElvis, "?:"},
		{tokCoalesce, "??"}, {tokArrow, "->"}, {tokScope, "::"},
		{tokDoubleArrow, "=>"}, {tokEllipsis, "..."}, {tokComma, ","},
		{tokSemicolon, ";"}, {tokLParen, "("}, {tokRParen, ")"},
		{tokLBracket, "["}, {tokRBracket, "]"}, {tokLBrace, "{"},
		{tokRBrace, "}"},
	}
	for _, op := range ops {
		t[op.typ] = op.text
	}
	for i, name := range keywordNames {
		t[firstKeyword+lexer.TokenType(i)] = name
	}
	return t
}()

// keywordType returns the token type of word: its keyword type, or
// tokIdent. A switch compiles to comparisons on length and bytes, which is
// faster than hashing every identifier for a map lookup.
func keywordType(word string) lexer.TokenType {
	switch word {
	case "and":
		return tokAnd
	case "array":
		return tokArray
	case "as":
		return tokAs
	case "barrier":
		return tokBarrier
	case "break":
		return tokBreak
	case "builtin":
		return tokBuiltin
	case "cache":
		return tokCache
	case "case":
		return tokCase
	case "catch":
		return tokCatch
	case "class":
		return tokClass
	case "closure":
		return tokClosure
	case "constructor":
		return tokConstructor
	case "continue":
		return tokContinue
	case "default":
		return tokDefault
	case "echo":
		return tokEcho
	case "else":
		return tokElse
	case "false":
		return tokFalse
	case "for":
		return tokFor
	case "foreach":
		return tokForeach
	case "forever":
		return tokForever
	case "from":
		return tokFrom
	case "function":
		return tokFunction
	case "global":
		return tokGlobal
	case "if":
		return tokIf
	case "import":
		return tokImport
	case "include":
		return tokInclude
	case "include_once":
		return tokIncludeOnce
	case "isset":
		return tokIsset
	case "match":
		return tokMatchKw
	case "none":
		return tokNone
	case "not":
		return tokNot
	case "object":
		return tokObject
	case "or":
		return tokOr
	case "private":
		return tokPrivate
	case "readonly":
		return tokReadonly
	case "return":
		return tokReturn
	case "static":
		return tokStatic
	case "switch":
		return tokSwitch
	case "throw":
		return tokThrow
	case "true":
		return tokTrue
	case "try":
		return tokTry
	case "unset":
		return tokUnset
	case "while":
		return tokWhile
	case "with":
		return tokWith
	case "yield":
		return tokYield
	}
	return tokIdent
}

func isKeyword(t lexer.TokenType) bool { return t >= firstKeyword && t < tokCount }

// lexDefinition is the participle lexer definition of HSL. Comments and
// whitespace are dropped by the lexer itself, so no token needs eliding.
type lexDefinition struct{}

// Lexer is the HSL lexer as a participle lexer definition.
var Lexer lexer.Definition = lexDefinition{}

func (lexDefinition) Symbols() map[string]lexer.TokenType {
	m := map[string]lexer.TokenType{
		"EOF":      tokEOF,
		"Ident":    tokIdent,
		"Variable": tokVar,
		"Number":   tokNumber,
		"String":   tokString,
		"Raw":      tokRaw,
		"Regex":    tokRegex,
	}
	for typ := tokPlus; typ < tokCount; typ++ {
		if isKeyword(typ) {
			m["Kw_"+tokenText[typ]] = typ
		} else {
			m[fmt.Sprintf("Op%d", int(typ))] = typ
		}
	}
	return m
}

func (d lexDefinition) Lex(filename string, r io.Reader) (lexer.Lexer, error) {
	src, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return d.LexBytes(filename, src)
}

func (lexDefinition) LexString(filename string, src string) (lexer.Lexer, error) {
	return newScanner(filename, src, 1, 1), nil
}

func (lexDefinition) LexBytes(filename string, src []byte) (lexer.Lexer, error) {
	return newScanner(filename, string(src), 1, 1), nil
}

// scanner splits HSL source into tokens. Its Next method hands them to
// participle as participle tokens, whose values are substrings of the
// source.
type scanner struct {
	file      string
	src       string
	off       int // next byte to read
	line      int
	lineStart int // offset of the first byte of the current line, may be negative for embedded sources

	firstLine      int // line of the first byte of src
	firstLineStart int // lineStart value for the first line of src

	nesting int // depth of strings inside `${...}` being scanned
}

// newScanner scans src whose first byte sits at line:col.
func newScanner(file, src string, line, col int) *scanner {
	return &scanner{file: file, src: src, line: line, lineStart: 1 - col, firstLine: line, firstLineStart: 1 - col}
}

func (s *scanner) pos(off int) lexer.Position {
	return lexer.Position{Filename: s.file, Offset: off, Line: s.line, Column: off - s.lineStart + 1}
}

func (s *scanner) errorAt(pos lexer.Position, format string, args ...any) *Error {
	return &Error{Pos: Pos{File: pos.Filename, Line: pos.Line, Col: pos.Column}, Msg: fmt.Sprintf(format, args...)}
}

// newline records that the byte at off is a line feed.
func (s *scanner) newline(off int) {
	s.line++
	s.lineStart = off + 1
}

// token is one scanned token, whose text is src[Off:End] of the scanned
// source. It holds no pointers, so a token slice is cheap to fill and the
// garbage collector never scans it. Offsets are 32-bit, which limits a
// source file to 2 GiB.
type token struct {
	Type lexer.TokenType
	Off  int32
	End  int32
	Line int32
	Col  int32
}

// tokenize scans the whole source, ending with an EOF token.
func (s *scanner) tokenize() ([]token, error) {
	return s.tokenizeInto(make([]token, 0, len(s.src)/5+1))
}

// tokenizeInto is tokenize appending to tokens.
func (s *scanner) tokenizeInto(tokens []token) ([]token, error) {
	for {
		t, err := s.scan()
		if err != nil {
			return tokens, err
		}
		tokens = append(tokens, t)
		if t.Type == tokEOF {
			return tokens, nil
		}
	}
}

// Next returns the next token as participle expects it; a lexical error is
// an *Error.
func (s *scanner) Next() (lexer.Token, error) {
	t, err := s.scan()
	if err != nil {
		return lexer.Token{}, err
	}
	return lexer.Token{
		Type:  t.Type,
		Value: s.src[t.Off:t.End],
		Pos:   lexer.Position{Filename: s.file, Offset: int(t.Off), Line: int(t.Line), Column: int(t.Col)},
	}, nil
}

// scan returns the next token.
func (s *scanner) scan() (token, error) {
	if err := s.skipSpace(); err != nil {
		return token{}, err
	}
	src := s.src
	start := s.off
	line, col := int32(s.line), int32(start-s.lineStart+1)
	if start >= len(src) {
		return token{Type: tokEOF, Off: int32(start), End: int32(start), Line: line, Col: col}, nil
	}
	c := src[start]

	switch {
	case isIdentStart(c):
		end := start + 1
		for end < len(src) && isIdentByte(src[end]) {
			end++
		}
		s.off = end
		typ := keywordType(src[start:end])
		return token{Type: typ, Off: int32(start), End: int32(end), Line: line, Col: col}, nil

	case c == '$':
		end := start + 1
		if end < len(src) && isIdentStart(src[end]) {
			for end < len(src) && isIdentByte(src[end]) {
				end++
			}
			s.off = end
			return token{Type: tokVar, Off: int32(start), End: int32(end), Line: line, Col: col}, nil
		}
		return token{}, s.errorAt(s.pos(start), "unexpected '$', expected a variable name")

	case c >= '0' && c <= '9':
		return s.scanNumber(line, col)

	case c == '"':
		end, err := s.scanString(start)
		if err != nil {
			return token{}, err
		}
		s.off = end
		return token{Type: tokString, Off: int32(start), End: int32(end), Line: line, Col: col}, nil

	case c == '\'':
		end, err := s.scanRaw(start)
		if err != nil {
			return token{}, err
		}
		s.off = end
		return token{Type: tokRaw, Off: int32(start), End: int32(end), Line: line, Col: col}, nil

	case c == '#':
		if start+1 < len(src) && src[start+1] == '/' {
			end, err := s.scanRegex(start)
			if err != nil {
				return token{}, err
			}
			s.off = end
			return token{Type: tokRegex, Off: int32(start), End: int32(end), Line: line, Col: col}, nil
		}
		return token{}, s.errorAt(s.pos(start), "unexpected '#', expected statement ('#' only starts a regex literal #/.../; comments use // or /* */)")
	}

	return s.scanOperator(line, col)
}

// skipSpace skips whitespace and comments.
func (s *scanner) skipSpace() error {
	src := s.src
	off := s.off
	for off < len(src) {
		switch src[off] {
		case ' ', '\t', '\r':
			off++
		case '\n':
			s.newline(off)
			off++
		case '/':
			if off+1 >= len(src) {
				s.off = off
				return nil
			}
			switch src[off+1] {
			case '/':
				nl := indexByteFrom(src, off+2, '\n')
				if nl < 0 {
					off = len(src)
				} else {
					off = nl
				}
			case '*':
				end := indexFrom(src, off+2, "*/")
				if end < 0 {
					err := s.errorAt(s.pos(off), "unterminated block comment")
					s.off = off
					return err
				}
				s.countLines(off+2, end)
				off = end + 2
			default:
				s.off = off
				return nil
			}
		default:
			s.off = off
			return nil
		}
	}
	s.off = off
	return nil
}

// countLines updates the line counters for the line feeds in src[from:to].
func (s *scanner) countLines(from, to int) {
	for {
		nl := indexByteFrom(s.src[:to], from, '\n')
		if nl < 0 {
			return
		}
		s.newline(nl)
		from = nl + 1
	}
}

func indexByteFrom(s string, from int, c byte) int {
	i := strings.IndexByte(s[from:], c)
	if i < 0 {
		return -1
	}
	return from + i
}

func indexFrom(s string, from int, sub string) int {
	i := strings.Index(s[from:], sub)
	if i < 0 {
		return -1
	}
	return from + i
}

func isIdentStart(c byte) bool {
	return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

func isIdentByte(c byte) bool {
	return isIdentStart(c) || (c >= '0' && c <= '9')
}

func isDigitOf(c byte, base int) bool {
	switch base {
	case 2:
		return c == '0' || c == '1'
	case 8:
		return c >= '0' && c <= '7'
	case 16:
		return (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'f')
	}
	return c >= '0' && c <= '9'
}

// scanNumber scans a number literal. It rejects exponents, a second
// fraction, misplaced `_` separators and letters glued to the digits.
func (s *scanner) scanNumber(line, col int32) (token, error) {
	src := s.src
	start := s.off
	off := start
	base := 10
	if src[off] == '0' && off+1 < len(src) {
		switch src[off+1] | 0x20 {
		case 'x':
			base = 16
		case 'o':
			base = 8
		case 'b':
			base = 2
		}
		if base != 10 {
			off += 2
		}
	}

	digits := func() bool {
		first := off
		for off < len(src) {
			c := src[off]
			if isDigitOf(c, base) {
				off++
				continue
			}
			if c == '_' && off > first && off+1 < len(src) && isDigitOf(src[off+1], base) {
				off++
				continue
			}
			break
		}
		return off > first
	}

	bad := func() (token, error) {
		end := off
		for end < len(src) && (isIdentByte(src[end]) || (src[end] == '.' && end+1 < len(src) && src[end+1] >= '0' && src[end+1] <= '9')) {
			end++
		}
		s.off = end
		return token{}, s.errorAt(s.pos(start), "invalid number literal '%s'", src[start:end])
	}

	if !digits() {
		return bad()
	}
	if base == 10 && off+1 < len(src) && src[off] == '.' && src[off+1] >= '0' && src[off+1] <= '9' {
		off++
		digits()
		if off+1 < len(src) && src[off] == '.' && src[off+1] >= '0' && src[off+1] <= '9' {
			return bad()
		}
	}
	if off < len(src) && isIdentByte(src[off]) {
		return bad()
	}
	s.off = off
	return token{Type: tokNumber, Off: int32(start), End: int32(off), Line: line, Col: col}, nil
}

// scanString scans a double-quoted string starting at start and returns the
// offset after its closing quote. Inside `${...}` it tracks nested brackets
// and string literals, so `"${$a["k"]}"` is one token.
func (s *scanner) scanString(start int) (int, error) {
	src := s.src
	off := start + 1
	for off < len(src) {
		switch src[off] {
		case '"':
			return off + 1, nil
		case '\\':
			off++
			if off < len(src) && src[off] == '\n' {
				s.newline(off)
			}
			off++
		case '\n':
			s.newline(off)
			off++
		case '$':
			if off+1 < len(src) && src[off+1] == '{' {
				end, err := s.scanEmbedded(off + 2)
				if err != nil {
					return 0, err
				}
				off = end
				continue
			}
			off++
		default:
			off++
		}
	}
	return 0, s.unterminated(start, "string")
}

// scanEmbedded skips the expression of a `${...}` interpolation starting at
// off and returns the offset after its closing brace.
func (s *scanner) scanEmbedded(off int) (int, error) {
	src := s.src
	open := off - 2
	if s.nesting++; s.nesting > maxDepth {
		return 0, s.errorAt(s.posOf(open), "interpolations nested deeper than %d levels", maxDepth)
	}
	defer func() { s.nesting-- }()
	depth := 1
	for off < len(src) {
		c := src[off]
		switch c {
		case '{', '[', '(':
			depth++
			off++
		case '}', ']', ')':
			depth--
			off++
			if depth == 0 {
				if c != '}' {
					return 0, s.errorAt(s.posOf(off-1), "unexpected '%c' in interpolation '${', expected '}'", c)
				}
				return off, nil
			}
		case '"':
			end, err := s.scanString(off)
			if err != nil {
				return 0, s.innerStringError(open, err)
			}
			off = end
		case '\'':
			end, err := s.scanRaw(off)
			if err != nil {
				return 0, s.innerStringError(open, err)
			}
			off = end
		case '\n':
			s.newline(off)
			off++
		default:
			off++
		}
	}
	return 0, s.unterminatedInterpolation(open)
}

// innerStringError returns the error for a string literal inside the
// interpolation at open that failed to scan. One that runs to the end of
// the source is reported as the interpolation's missing brace, the likelier
// mistake; other errors pass through.
func (s *scanner) innerStringError(open int, err error) error {
	if e, ok := err.(*Error); ok && strings.HasPrefix(e.Msg, "unterminated") {
		return s.unterminatedInterpolation(open)
	}
	return err
}

// unterminatedInterpolation reports a `${` at open that has no closing
// brace.
func (s *scanner) unterminatedInterpolation(open int) *Error {
	return s.errorAt(s.posOf(open), "unterminated interpolation '${', expected '}'")
}

// posOf returns the position of any offset by rescanning the source from
// its start. Only error paths use it.
func (s *scanner) posOf(off int) lexer.Position {
	line := s.firstLine
	lineStart := s.firstLineStart
	for i := 0; i < off && i < len(s.src); i++ {
		if s.src[i] == '\n' {
			line++
			lineStart = i + 1
		}
	}
	return lexer.Position{Filename: s.file, Offset: off, Line: line, Column: off - lineStart + 1}
}

func (s *scanner) unterminated(start int, what string) *Error {
	return s.errorAt(s.posOf(start), "unterminated %s", what)
}

// scanRaw scans a raw string 'DELIM'...'DELIM' starting at start.
func (s *scanner) scanRaw(start int) (int, error) {
	src := s.src
	off := start + 1
	for off < len(src) && src[off] != '\'' {
		c := src[off]
		if c < 0x21 || c > 0x7e {
			return 0, s.errorAt(s.posOf(start), "invalid raw string delimiter; a raw string reads 'DELIM'text'DELIM' and DELIM may not contain spaces")
		}
		off++
	}
	if off >= len(src) {
		return 0, s.unterminated(start, "raw string")
	}
	closing := src[start : off+1]
	end := indexFrom(src, off+1, closing)
	if end < 0 {
		return 0, s.unterminated(start, "raw string")
	}
	s.countLines(off+1, end)
	return end + len(closing), nil
}

// scanRegex scans #/pattern/flags starting at start.
func (s *scanner) scanRegex(start int) (int, error) {
	src := s.src
	off := start + 2
	for {
		if off >= len(src) || src[off] == '\n' {
			return 0, s.unterminated(start, "regex literal")
		}
		c := src[off]
		if c == '\\' && off+1 < len(src) && src[off+1] != '\n' {
			off += 2
			continue
		}
		if c == '/' {
			break
		}
		off++
	}
	off++
	var seen [128]bool
	for off < len(src) && isIdentByte(src[off]) {
		c := src[off]
		switch c {
		case 'i', 'm', 's', 'u', 'x', 'U', 'X':
		default:
			return 0, s.errorAt(s.pos(off), "invalid regex flag '%c', expected one of imsuxUX", c)
		}
		if seen[c] {
			return 0, s.errorAt(s.pos(off), "duplicate regex flag '%c'", c)
		}
		seen[c] = true
		off++
	}
	return off, nil
}

// scanOperator scans punctuation by longest match.
func (s *scanner) scanOperator(line, col int32) (token, error) {
	src := s.src
	start := s.off
	at := func(i int) byte {
		if start+i < len(src) {
			return src[start+i]
		}
		return 0
	}
	typ := lexer.TokenType(0)
	n := 1
	switch c := src[start]; c {
	case '+':
		switch at(1) {
		case '+':
			typ, n = tokInc, 2
		case '=':
			typ, n = tokAddAssign, 2
		default:
			typ = tokPlus
		}
	case '-':
		switch at(1) {
		case '-':
			typ, n = tokDec, 2
		case '=':
			typ, n = tokSubAssign, 2
		case '>':
			typ, n = tokArrow, 2
		default:
			typ = tokMinus
		}
	case '*':
		switch {
		case at(1) == '*' && at(2) == '=':
			typ, n = tokPowAssign, 3
		case at(1) == '*':
			typ, n = tokPow, 2
		case at(1) == '=':
			typ, n = tokMulAssign, 2
		default:
			typ = tokStar
		}
	case '/':
		if at(1) == '=' {
			typ, n = tokDivAssign, 2
		} else {
			typ = tokSlash
		}
	case '%':
		if at(1) == '=' {
			typ, n = tokModAssign, 2
		} else {
			typ = tokPercent
		}
	case '.':
		switch {
		case at(1) == '.' && at(2) == '.':
			typ, n = tokEllipsis, 3
		case at(1) == '=':
			typ, n = tokCatAssign, 2
		default:
			typ = tokDot
		}
	case '=':
		switch {
		case at(1) == '=' && at(2) == '=':
			typ, n = tokStrictEq, 3
		case at(1) == '=':
			typ, n = tokEq, 2
		case at(1) == '~':
			typ, n = tokMatch, 2
		case at(1) == '>':
			typ, n = tokDoubleArrow, 2
		default:
			typ = tokAssign
		}
	case '!':
		switch {
		case at(1) == '=' && at(2) == '=':
			typ, n = tokStrictNeq, 3
		case at(1) == '=':
			typ, n = tokNotEq, 2
		case at(1) == '~':
			typ, n = tokNoMatch, 2
		default:
			typ = tokBang
		}
	case '<':
		switch {
		case at(1) == '<' && at(2) == '=':
			return token{}, s.errorAt(s.pos(start), "unexpected '<<=', HSL has no '<<=' operator; write $x = $x << n")
		case at(1) == '<':
			typ, n = tokShl, 2
		case at(1) == '=':
			typ, n = tokLessEq, 2
		default:
			typ = tokLess
		}
	case '>':
		switch {
		case at(1) == '>' && at(2) == '>':
			typ, n = tokUShr, 3
		case at(1) == '>' && at(2) == '=':
			return token{}, s.errorAt(s.pos(start), "unexpected '>>=', HSL has no '>>=' operator; write $x = $x >> n")
		case at(1) == '>':
			typ, n = tokShr, 2
		case at(1) == '=':
			typ, n = tokGreaterEq, 2
		default:
			typ = tokGreater
		}
	case '&':
		switch at(1) {
		case '&':
			return token{}, s.errorAt(s.pos(start), "unexpected '&&', use 'and' instead of '&&'")
		case '=':
			return token{}, s.errorAt(s.pos(start), "unexpected '&=', HSL has no '&=' operator; write $x = $x & n")
		}
		typ = tokAmp
	case '|':
		switch at(1) {
		case '|':
			return token{}, s.errorAt(s.pos(start), "unexpected '||', use 'or' instead of '||'")
		case '=':
			return token{}, s.errorAt(s.pos(start), "unexpected '|=', HSL has no '|=' operator; write $x = $x | n")
		}
		typ = tokPipe
	case '^':
		if at(1) == '=' {
			return token{}, s.errorAt(s.pos(start), "unexpected '^=', HSL has no '^=' operator; write $x = $x ^ n")
		}
		typ = tokCaret
	case '~':
		typ = tokTilde
	case '?':
		switch {
		case at(1) == '?' && at(2) == '=':
			return token{}, s.errorAt(s.pos(start), "unexpected '??=', HSL has no '??=' operator; write $x = $x ?? value")
		case at(1) == '?':
			typ, n = tokCoalesce, 2
		case at(1) == ':':
			typ, n = tokElvis, 2
		default:
			typ = tokQuestion
		}
	case ':':
		if at(1) == ':' {
			typ, n = tokScope, 2
		} else {
			typ = tokColon
		}
	case ',':
		typ = tokComma
	case ';':
		typ = tokSemicolon
	case '(':
		typ = tokLParen
	case ')':
		typ = tokRParen
	case '[':
		typ = tokLBracket
	case ']':
		typ = tokRBracket
	case '{':
		typ = tokLBrace
	case '}':
		typ = tokRBrace
	default:
		if c >= 0x80 {
			return token{}, s.errorAt(s.pos(start), "unexpected non-ASCII byte 0x%02x; non-ASCII text belongs in strings and comments", c)
		}
		return token{}, s.errorAt(s.pos(start), "unexpected character %q", rune(c))
	}
	s.off = start + n
	return token{Type: typ, Off: int32(start), End: int32(start + n), Line: line, Col: col}, nil
}
