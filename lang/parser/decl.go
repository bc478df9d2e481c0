package parser

import (
	"errors"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// Declarations (functions, classes, imports and includes) are described by
// the participle grammar below. Their bodies, default values and options
// are expressions and blocks, which participle hands back to the
// hand-written parser through the Parseable interface. The grammar types
// are converted to syntax tree nodes right after parsing.

// declGrammar is the root production of the declaration grammar.
type declGrammar struct {
	Func    *funcDeclGrammar  `parser:"  @@"`
	Class   *classDeclGrammar `parser:"| @@"`
	Import  *importGrammar    `parser:"| @@"`
	Include *includeGrammar   `parser:"| @@"`
}

// nameGrammar is an identifier with its position.
type nameGrammar struct {
	Pos  lexer.Position
	Name string `parser:"@Ident"`
}

// paramGrammar is one parameter; checkParams enforces the order rules.
type paramGrammar struct {
	Pos      lexer.Position
	Variadic bool         `parser:"@\"...\"?"`
	Name     string       `parser:"@Variable"`
	Default  *exprGrammar `parser:"( \"=\" @@ )?"`
}

type funcDeclGrammar struct {
	Pos    lexer.Position
	Name   *nameGrammar    `parser:"\"function\" @@"`
	Params []*paramGrammar `parser:"\"(\" ( @@ ( \",\" @@ )* \",\"? )? \")\""`
	Body   *blockGrammar   `parser:"@@"`
}

type classDeclGrammar struct {
	Pos     lexer.Position
	Name    *nameGrammar     `parser:"\"class\" @@ \"{\""`
	Members []*memberGrammar `parser:"@@* \"}\""`
}

// memberGrammar is a constructor, or modifiers followed by a method or a
// variable.
type memberGrammar struct {
	Pos         lexer.Position
	Constructor *constructorGrammar `parser:"  @@"`
	Modifiers   []*modifierGrammar  `parser:"| @@* ("`
	Method      *methodGrammar      `parser:"    @@"`
	Var         *classVarGrammar    `parser:"  | @@ )"`
}

type modifierGrammar struct {
	Pos  lexer.Position
	Word string `parser:"@( \"private\" | \"static\" | \"readonly\" )"`
}

type constructorGrammar struct {
	Pos    lexer.Position
	Params []*paramGrammar `parser:"\"constructor\" \"(\" ( @@ ( \",\" @@ )* \",\"? )? \")\""`
	Body   *blockGrammar   `parser:"@@"`
}

type methodGrammar struct {
	Pos    lexer.Position
	Name   *nameGrammar    `parser:"\"function\" @@"`
	Params []*paramGrammar `parser:"\"(\" ( @@ ( \",\" @@ )* \",\"? )? \")\""`
	Body   *blockGrammar   `parser:"@@"`
}

type classVarGrammar struct {
	Pos  lexer.Position
	Name string       `parser:"@Variable"`
	Init *exprGrammar `parser:"( \"=\" @@ )? \";\""`
}

// importGrammar covers the three import forms; only the data form takes
// `with`, which the conversion checks.
type importGrammar struct {
	Pos     lexer.Position
	Names   []*importItemGrammar `parser:"\"import\" ( \"{\" @@ ( \",\" @@ )* \",\"? \"}\""`
	All     *nameGrammar         `parser:"  | \"*\" \"as\" @@"`
	Data    *varGrammar          `parser:"  | @@ )"`
	Path    *pathGrammar         `parser:"\"from\" @@"`
	Options *arrayGrammar        `parser:"( \"with\" @@ )?"`
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

// exprGrammar is an expression parsed by the hand-written parser.
type exprGrammar struct {
	X Expr
}

func (g *exprGrammar) Parse(lex *lexer.PeekingLexer) error {
	if !canStartExpr(lex.Peek().Type) {
		return participle.NextMatch
	}
	p := &parser{lex: lex}
	return p.runErr(func() { g.X = p.parseExpr() })
}

// blockGrammar is a `{ ... }` block parsed by the hand-written parser.
type blockGrammar struct {
	Block *BlockStmt
}

func (g *blockGrammar) Parse(lex *lexer.PeekingLexer) error {
	if lex.Peek().Type != tokLBrace {
		return participle.NextMatch
	}
	p := &parser{lex: lex}
	return p.runErr(func() { g.Block = p.parseBlock() })
}

// arrayGrammar is an array literal parsed by the hand-written parser.
type arrayGrammar struct {
	Array *ArrayLit
}

func (g *arrayGrammar) Parse(lex *lexer.PeekingLexer) error {
	typ := lex.Peek().Type
	if typ != tokLBracket && typ != tokArray {
		return participle.NextMatch
	}
	p := &parser{lex: lex}
	return p.runErr(func() {
		x, ok := p.parsePrimary().(*ArrayLit)
		if !ok {
			p.failUnexpected(p.peek(), "array literal")
		}
		g.Array = x
	})
}

// runErr is run for Parseable implementations, which report errors as
// values.
func (p *parser) runErr(fn func()) error {
	if err := p.run(fn); err != nil {
		return err
	}
	return nil
}

// canStartExpr reports whether a token of type typ may begin an expression.
func canStartExpr(typ lexer.TokenType) bool {
	switch typ {
	case tokNumber, tokString, tokRaw, tokRegex, tokTrue, tokFalse, tokNone,
		tokVar, tokIdent, tokStatic, tokLParen, tokLBracket, tokArray,
		tokFunction, tokMatchKw, tokIsset, tokUnset, tokBuiltin, tokCache,
		tokMinus, tokPlus, tokBang, tokNot, tokTilde, tokInc, tokDec:
		return true
	}
	return false
}

var (
	declParser = participle.MustBuild[declGrammar](
		participle.Lexer(Lexer),
		participle.UseLookahead(2),
	)
	funcDeclParser    = mustProduction[funcDeclGrammar]()
	classDeclParser   = mustProduction[classDeclGrammar]()
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

// parseDecl runs a participle production on the parser's token stream,
// which continues after the declaration.
func parseDecl[G any](p *parser, prod *participle.Parser[G]) *G {
	g, err := prod.ParseFromLexer(p.lex, allowTrailingOpts...)
	if err != nil {
		panic(bailout{toError(err)})
	}
	return g
}

func (p *parser) parseFuncDecl() Stmt {
	g := parseDecl(p, funcDeclParser)
	params := convertParams(g.Params)
	return &FuncDecl{
		At:      toPos(g.Pos),
		Name:    g.Name.Name,
		NamePos: toPos(g.Name.Pos),
		Params:  params,
		Body:    g.Body.Block,
	}
}

func (p *parser) parseClassDecl() Stmt {
	g := parseDecl(p, classDeclParser)
	c := &ClassDecl{At: toPos(g.Pos), Name: g.Name.Name, NamePos: toPos(g.Name.Pos)}
	for _, m := range g.Members {
		c.Members = append(c.Members, p.convertMember(m))
	}
	return c
}

func (p *parser) convertMember(m *memberGrammar) ClassMember {
	if m.Constructor != nil {
		return &Constructor{At: toPos(m.Pos), Params: convertParams(m.Constructor.Params), Body: m.Constructor.Body.Block}
	}

	var mods Modifiers
	for _, mod := range m.Modifiers {
		var flag *bool
		switch mod.Word {
		case "private":
			flag = &mods.Private
		case "static":
			flag = &mods.Static
		case "readonly":
			flag = &mods.Readonly
		}
		if *flag {
			p.fail(mod.Pos, "duplicate modifier '%s'", mod.Word)
		}
		*flag = true
	}

	if m.Method != nil {
		if mods.Readonly {
			p.fail(m.Pos, "a method cannot be readonly")
		}
		return &ClassMethod{
			At:      toPos(m.Pos),
			Mods:    mods,
			Name:    m.Method.Name.Name,
			NamePos: toPos(m.Method.Name.Pos),
			Params:  convertParams(m.Method.Params),
			Body:    m.Method.Body.Block,
		}
	}
	var init Expr
	if m.Var.Init != nil {
		init = m.Var.Init.X
	}
	return &ClassVar{At: toPos(m.Pos), Mods: mods, Name: m.Var.Name[1:], Init: init}
}

func convertParams(gs []*paramGrammar) []*Param {
	params := make([]*Param, 0, len(gs))
	for _, g := range gs {
		param := &Param{At: toPos(g.Pos), Name: g.Name[1:], Variadic: g.Variadic}
		if g.Default != nil {
			if g.Variadic {
				panic(bailout{&Error{Pos: param.At, Msg: "variadic parameter $" + param.Name + " cannot have a default value"}})
			}
			param.Default = g.Default.X
		}
		params = append(params, param)
	}
	checkParams(params)
	return params
}

func (p *parser) parseImport() Stmt {
	g := parseDecl(p, importParser)
	at := toPos(g.Pos)
	path := p.convertPath(g.Path)

	if g.Options != nil && g.Data == nil {
		p.fail(g.Path.Pos, "only a data import 'import $var from \"file\"' takes 'with' options")
	}
	switch {
	case g.Data != nil:
		s := &ImportDataStmt{At: at, Var: &Variable{At: toPos(g.Data.Pos), Name: g.Data.Name[1:]}, Path: path}
		if g.Options != nil {
			s.Options = g.Options.Array
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
					p.fail(item.Alias.Pos, "variable %s must be imported as a variable, not as '%s'", item.Name, item.Alias.Name)
				}
				p.fail(item.Alias.Pos, "function or class '%s' must be imported as a name, not as '%s'", item.Name, item.Alias.Name)
			}
			it.Alias = strings.TrimPrefix(item.Alias.Name, "$")
		}
		s.Items = append(s.Items, it)
	}
	return s
}

func (p *parser) parseInclude() Stmt {
	g := parseDecl(p, includeParser)
	return &IncludeStmt{At: toPos(g.Pos), Path: p.convertPath(g.Path), Once: g.Keyword == "include_once"}
}

// convertPath decodes a module path, which must be constant.
func (p *parser) convertPath(g *pathGrammar) *StringLit {
	t := &lexer.Token{Type: tokString, Value: g.Text, Pos: g.Pos}
	if strings.HasPrefix(g.Text, "'") {
		return &StringLit{At: toPos(g.Pos), Value: rawValue(g.Text), Raw: true}
	}
	lit, ok := p.stringLit(t).(*StringLit)
	if !ok {
		p.fail(g.Pos, "a module path must be a constant string without interpolation")
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
		return newError(unexpected.Unexpected.Pos, "unexpected %s, expected %s", describeToken(&unexpected.Unexpected), expected)
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
	"paramGrammar", "parameter",
	"exprGrammar", "expression",
	"blockGrammar", "'{'",
	"arrayGrammar", "array literal",
	"memberGrammar", "class member",
	"pathGrammar", "string",
	"varGrammar", "variable",
	"aliasGrammar", "name",
	"importItemGrammar", "name",
)

func describeExpected(ebnf string) string {
	return expectedNames.Replace(ebnf)
}
