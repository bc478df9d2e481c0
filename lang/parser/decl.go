package parser

import (
	"errors"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// Imports and includes are described by the participle grammar below. The
// grammar stops after the `with` of a data import, and the options array
// literal that follows is parsed by hand.
//
// Everything else is parsed by hand, because participle builds its values
// by reflection. When class declarations also went through the grammar,
// BenchmarkParse (one class per 120 lines) ran at half the speed of the
// same script without classes, measured on a shared 2-core machine.
// Imports and includes are a few tokens at the top of a file, so their
// cost does not show.

// declGrammar is the root production of the declaration grammar.
type declGrammar struct {
	Import  *importGrammar  `parser:"  @@"`
	Include *includeGrammar `parser:"| @@"`
}

// nameGrammar is an identifier with its position.
type nameGrammar struct {
	Pos  lexer.Position
	Name string `parser:"@Ident"`
}

// importGrammar covers the three import forms; only the data form takes
// `with`, which the conversion checks.
type importGrammar struct {
	Pos   lexer.Position
	Names []*importItemGrammar `parser:"\"import\" ( \"{\" @@ ( \",\" @@ )* \",\"? \"}\""`
	All   *nameGrammar         `parser:"  | \"*\" \"as\" @@"`
	Data  *varGrammar          `parser:"  | @@ )"`
	Path  *pathGrammar         `parser:"\"from\" @@"`
	With  bool                 `parser:"@\"with\"?"`
}

type importItemGrammar struct {
	Pos   lexer.Position
	Name  string        `parser:"( @Ident | @Variable )"`
	Alias *aliasGrammar `parser:"( \"as\" @@ )?"`
}

type aliasGrammar struct {
	Pos  lexer.Position
	Name string `parser:"@Ident | @Variable"`
}

type varGrammar struct {
	Pos  lexer.Position
	Name string `parser:"@Variable"`
}

type includeGrammar struct {
	Pos     lexer.Position
	Keyword string       `parser:"@( \"include\" | \"include_once\" )"`
	Path    *pathGrammar `parser:"@@"`
}

// pathGrammar is a module path: a string without interpolation.
type pathGrammar struct {
	Pos  lexer.Position
	Text string `parser:"@String | @Raw"`
}

var (
	declParser = participle.MustBuild[declGrammar](
		participle.Lexer(Lexer),
		participle.UseLookahead(1),
	)
	importParser      = mustProduction[importGrammar]()
	includeParser     = mustProduction[includeGrammar]()
	allowTrailingOpts = []participle.ParseOption{participle.AllowTrailing(true)}
)

func mustProduction[G any]() *participle.Parser[G] {
	p, err := participle.ParserForProduction[G](declParser)
	if err != nil {
		panic(err)
	}
	return p
}

// tokenSlice feeds a run of tokens to participle, ending with an EOF token
// at the position of the token that follows the run.
type tokenSlice struct {
	p    *parser
	toks []token
	eof  *token
	i    int
}

func (s *tokenSlice) Next() (lexer.Token, error) {
	if s.i < len(s.toks) {
		s.i++
		return s.p.participleToken(&s.toks[s.i-1]), nil
	}
	eof := s.p.participleToken(s.eof)
	eof.Type, eof.Value = lexer.EOF, ""
	return eof, nil
}

// participleToken converts t to participle's token type.
func (p *parser) participleToken(t *token) lexer.Token {
	return lexer.Token{
		Type:  t.Type,
		Value: p.text(t),
		Pos:   lexer.Position{Filename: p.file, Offset: int(t.Off), Line: int(t.Line), Column: int(t.Col)},
	}
}

// parseDecl runs a participle production on the tokens from the current
// one up to end (exclusive) and consumes what the production matched. what
// names the construct for a message when nothing matches at all.
func parseDecl[G any](p *parser, prod *participle.Parser[G], end int, what string) *G {
	start := p.pos
	lex, err := lexer.Upgrade(&tokenSlice{p: p, toks: p.toks[start:end], eof: &p.toks[end]})
	if err != nil {
		panic(bailout{toError(err)})
	}

	g, err := prod.ParseFromLexer(lex, allowTrailingOpts...)
	if err != nil {
		// Error recovery resumes after the run, which is the whole
		// statement.
		p.pos = end
		var unexpected *participle.UnexpectedTokenError
		if errors.As(err, &unexpected) {
			// The run ends in a synthetic EOF; report the real token there.
			if unexpected.Unexpected.EOF() {
				unexpected.Unexpected = p.participleToken(&p.toks[end])
			}
			if !strings.Contains(unexpected.Message(), "(expected ") {
				p.failAt(toPos(unexpected.Unexpected.Pos), "unexpected %s, expected %s",
					p.describeParticiple(&unexpected.Unexpected), what)
			}
		}
		panic(bailout{toError(err)})
	}
	p.pos = start + lex.Cursor()
	return g
}

// describeParticiple names a participle token for an error message.
func (p *parser) describeParticiple(t *lexer.Token) string {
	if t.EOF() {
		return p.describe(&p.toks[len(p.toks)-1])
	}
	return describeToken(t.Type, t.Value)
}

// statementEnd returns the index of the `;` that ends the statement
// starting at index i, of the `}` that closes its enclosing block, or of
// the EOF token.
func (p *parser) statementEnd(i int) int {
	depth := 0
	for ; p.toks[i].Type != tokEOF; i++ {
		switch p.toks[i].Type {
		case tokLParen, tokLBracket, tokLBrace:
			depth++
		case tokRParen, tokRBracket, tokRBrace:
			depth--
			if depth < 0 {
				return i
			}
		case tokSemicolon:
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

func (p *parser) parseImport() Stmt {
	g := parseDecl(p, importParser, p.statementEnd(p.pos), "import")
	at := toPos(g.Pos)
	path := p.convertPath(g.Path)

	if g.With && g.Data == nil {
		p.failAt(toPos(g.Path.Pos), "only a data import 'import $var from \"file\"' takes 'with' options")
	}
	switch {
	case g.Data != nil:
		s := &ImportDataStmt{At: at, Var: &Variable{At: toPos(g.Data.Pos), Name: g.Data.Name[1:]}, Path: path}
		if g.With {
			t := p.peek()
			if t.Type != tokLBracket && t.Type != tokArray {
				p.failUnexpected(t, "options array after 'with'")
			}
			s.Options = p.parsePrimary().(*ArrayLit)
		}
		return s
	case g.All != nil:
		return &ImportAllStmt{At: at, Namespace: g.All.Name, Path: path}
	}

	s := &ImportStmt{At: at, Path: path}
	for _, item := range g.Names {
		isVar := strings.HasPrefix(item.Name, "$")
		it := &ImportItem{At: toPos(item.Pos), Name: strings.TrimPrefix(item.Name, "$"), IsVar: isVar}
		if item.Alias != nil {
			if strings.HasPrefix(item.Alias.Name, "$") != isVar {
				if isVar {
					p.failAt(toPos(item.Alias.Pos), "variable %s must be imported as a variable, not as '%s'", item.Name, item.Alias.Name)
				}
				p.failAt(toPos(item.Alias.Pos), "function or class '%s' must be imported as a name, not as '%s'", item.Name, item.Alias.Name)
			}
			it.Alias = strings.TrimPrefix(item.Alias.Name, "$")
		}
		s.Items = append(s.Items, it)
	}
	return s
}

func (p *parser) parseInclude() Stmt {
	g := parseDecl(p, includeParser, min(p.pos+2, len(p.toks)-1), "include")
	return &IncludeStmt{At: toPos(g.Pos), Path: p.convertPath(g.Path), Once: g.Keyword == "include_once"}
}

// convertPath decodes a module path, which must be constant.
func (p *parser) convertPath(g *pathGrammar) *StringLit {
	if strings.HasPrefix(g.Text, "'") {
		return &StringLit{At: toPos(g.Pos), Value: rawValue(g.Text), Raw: true}
	}
	lit, ok := p.stringLit(toPos(g.Pos), g.Text).(*StringLit)
	if !ok {
		p.failAt(toPos(g.Pos), "a module path must be a constant string without interpolation")
	}
	return lit
}

// participleError converts an error from a participle production into an
// *Error with the same position and a message in this package's style.
func participleError(err error) *Error {
	var unexpected *participle.UnexpectedTokenError
	if errors.As(err, &unexpected) {
		msg := unexpected.Message()
		expected := "declaration"
		if i := strings.Index(msg, "(expected "); i >= 0 {
			expected = describeExpected(strings.TrimSuffix(msg[i+len("(expected "):], ")"))
		}
		return newError(unexpected.Unexpected.Pos, "unexpected %s, expected %s", describeToken(unexpected.Unexpected.Type, unexpected.Unexpected.Value), expected)
	}
	var perr participle.Error
	if errors.As(err, &perr) {
		return newError(perr.Position(), "%s", perr.Message())
	}
	return &Error{Msg: err.Error()}
}

// expectedNames translates participle's grammar notation in "expected"
// clauses into the words the hand-written parser uses.
var expectedNames = strings.NewReplacer(
	"\"", "'",
	"<ident>", "name",
	"<variable>", "variable",
	"<string>", "string",
	"<raw>", "raw string",
	"nameGrammar", "name",
	"pathGrammar", "string",
	"varGrammar", "variable",
	"aliasGrammar", "name",
	"importItemGrammar", "name",
)

func describeExpected(ebnf string) string {
	// A sequence names what it needs next first; the rest only follows.
	// The one production that starts with a group is the import's choice
	// between its three forms.
	if strings.HasPrefix(ebnf, "(") {
		return "'{', '*' or variable"
	}
	first, _, _ := strings.Cut(ebnf, " ")
	first = strings.TrimRight(first, "?*+")

	// Participle names a struct production by its type name, capitalised.
	if first != "" && first[0] >= 'A' && first[0] <= 'Z' && strings.HasSuffix(first, "Grammar") {
		first = strings.ToLower(first[:1]) + first[1:]
	}
	return expectedNames.Replace(first)
}
