package parser

import "fmt"

// Pos is a source position. Line and Col are 1-based; Col counts bytes, so a
// position matches what length() reports for the text before it.
type Pos struct {
	File string
	Line int
	Col  int
}

// String formats the position as FILE:LINE:COL, the prefix of every
// diagnostic.
func (p Pos) String() string {
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Node is any syntax tree node.
type Node interface {
	Pos() Pos
}

// Expr is an expression node.
type Expr interface {
	Node
	exprNode()
}

// Stmt is a statement node.
type Stmt interface {
	Node
	stmtNode()
}

// File is one parsed source file.
type File struct {
	Name  string
	Stmts []Stmt
}

// Op names a unary, binary or compound-assignment operator.
type Op int

// Operators. OpNot covers both `!` and `not`.
const (
	OpInvalid Op = iota

	// Arithmetic and string operators.
	OpAdd    // +
	OpSub    // -
	OpMul    // *
	OpDiv    // /
	OpMod    // %
	OpPow    // **
	OpConcat // .

	// Comparison and regex match.
	OpEq           // ==
	OpNotEq        // !=
	OpStrictEq     // ===
	OpStrictNeq    // !==
	OpLess         // <
	OpLessEq       // <=
	OpGreater      // >
	OpGreaterEq    // >=
	OpRegexMatch   // =~
	OpRegexNoMatch // !~

	// Bitwise operators.
	OpBitAnd // &
	OpBitOr  // |
	OpBitXor // ^
	OpShl    // <<
	OpShr    // >>
	OpUShr   // >>>

	// Logical operators (short-circuit for And and Or).
	OpAnd // and
	OpOr  // or

	// Unary-only operators.
	OpNeg    // unary -
	OpPlus   // unary +
	OpNot    // ! and not
	OpBitNot // ~

	// Increment and decrement.
	OpInc // ++
	OpDec // --
)

var opNames = [...]string{
	OpInvalid:      "?",
	OpAdd:          "+",
	OpSub:          "-",
	OpMul:          "*",
	OpDiv:          "/",
	OpMod:          "%",
	OpPow:          "**",
	OpConcat:       ".",
	OpEq:           "==",
	OpNotEq:        "!=",
	OpStrictEq:     "===",
	OpStrictNeq:    "!==",
	OpLess:         "<",
	OpLessEq:       "<=",
	OpGreater:      ">",
	OpGreaterEq:    ">=",
	OpRegexMatch:   "=~",
	OpRegexNoMatch: "!~",
	OpBitAnd:       "&",
	OpBitOr:        "|",
	OpBitXor:       "^",
	OpShl:          "<<",
	OpShr:          ">>",
	OpUShr:         ">>>",
	OpAnd:          "and",
	OpOr:           "or",
	OpNeg:          "-",
	OpPlus:         "+",
	OpNot:          "!",
	OpBitNot:       "~",
	OpInc:          "++",
	OpDec:          "--",
}

// String returns the operator as written in source.
func (op Op) String() string {
	if op < 0 || int(op) >= len(opNames) {
		return fmt.Sprintf("Op(%d)", int(op))
	}
	return opNames[op]
}

// ---------------------------------------------------------------------------
// Literals

// NumberLit is a number literal; Raw is the source text, Value its float64.
type NumberLit struct {
	At    Pos
	Raw   string
	Value float64
}

// StringLit is a string without interpolation: a double-quoted string with
// escapes decoded, or a raw string (Raw is true). Value holds the bytes.
type StringLit struct {
	At    Pos
	Value string
	Raw   bool
}

// InterpString is a double-quoted string with at least one interpolation,
// as an ordered list of parts.
type InterpString struct {
	At    Pos
	Parts []StringPart
}

// StringPart is one piece of an InterpString: *TextPart, *VarPart or
// *ExprPart.
type StringPart interface {
	Node
	stringPart()
}

// TextPart is literal text of an interpolated string, escapes decoded.
type TextPart struct {
	At   Pos
	Text string
}

// VarPart is `$name` or `${name}` inside a string; Name has no `$`.
type VarPart struct {
	At   Pos
	Name string
}

// ExprPart is `${expr}` inside a string, where expr is not a bare name;
// element reads such as `${$a["k"]}` arrive here as an *IndexExpr.
type ExprPart struct {
	At Pos
	X  Expr
}

// RegexLit is `#/pattern/flags`. Pattern has each `\/` pair reduced to `/`.
type RegexLit struct {
	At      Pos
	Pattern string
	Flags   string
}

// BoolLit is `true` or `false`.
type BoolLit struct {
	At    Pos
	Value bool
}

// NoneLit is `none`.
type NoneLit struct {
	At Pos
}

// ArrayLit is `[items]` or `array(items)`.
type ArrayLit struct {
	At    Pos
	Items []*ArrayItem
}

// ArrayItem is one array literal element: `value`, `key => value` (Key set)
// or `...value` (Spread set, Key nil).
type ArrayItem struct {
	At     Pos
	Key    Expr
	Value  Expr
	Spread bool
}

// FuncLit is an anonymous function `function (params) closure ($a) { body }`.
type FuncLit struct {
	At       Pos
	Params   []*Param
	Captures []*Variable // the closure list; nil without `closure (...)`
	Body     *BlockStmt
}

// Param is a function parameter: `$x`, `$x = default` or `...$rest`.
type Param struct {
	At       Pos
	Name     string // without `$`
	Default  Expr   // nil when there is none
	Variadic bool
}

// ---------------------------------------------------------------------------
// Names

// Variable is `$name`; Name has no `$`.
type Variable struct {
	At   Pos
	Name string
}

// Ident is a bare name used as a value or callee: a function, class or
// builtin name.
type Ident struct {
	At   Pos
	Name string
}

// ScopedExpr is `Scope::Name` or `Scope::$Name` (IsVar). Scope is a class or
// namespace name, or "static" inside a class.
type ScopedExpr struct {
	At    Pos
	Scope string
	Name  string // without `$`
	IsVar bool
}

// BuiltinExpr is `builtin name`: the builtin function, bypassing any user
// function of that name. A call of it is a CallExpr whose Func is this node.
type BuiltinExpr struct {
	At   Pos
	Name string
}

// ---------------------------------------------------------------------------
// Operators

// UnaryExpr is `-x`, `+x`, `!x`, `not x` or `~x`.
type UnaryExpr struct {
	At Pos
	Op Op // OpNeg, OpPlus, OpNot or OpBitNot
	X  Expr
}

// BinaryExpr is an arithmetic, concatenation, comparison, regex-match or
// bitwise operation; `and` and `or` are LogicalExpr.
type BinaryExpr struct {
	At Pos // position of the operator
	Op Op
	X  Expr
	Y  Expr
}

// LogicalExpr is `x and y` or `x or y`; Y is evaluated only when needed.
type LogicalExpr struct {
	At Pos // position of the operator
	Op Op  // OpAnd or OpOr
	X  Expr
	Y  Expr
}

// AssignExpr is `target = value`.
type AssignExpr struct {
	At     Pos // position of `=`
	Target Expr
	Value  Expr
}

// CompoundAssignExpr is `target op= value`, for example `$a .= "x"`.
type CompoundAssignExpr struct {
	At     Pos // position of the operator
	Op     Op  // the binary operator: OpAdd for `+=`, OpConcat for `.=`, ...
	Target Expr
	Value  Expr
}

// IncDecExpr is `++x`, `--x` (Prefix) or `x++`, `x--`.
type IncDecExpr struct {
	At     Pos
	Op     Op // OpInc or OpDec
	Prefix bool
	X      Expr
}

// DestructureExpr is `[pattern] = value`.
type DestructureExpr struct {
	At      Pos // position of `=`
	Pattern *Pattern
	Value   Expr
}

// Pattern is the left side of a destructuring assignment. Keyed is true for the
// keyed form (`["k" => $v]`) and false for the positional one (`[$a, $b]`).
type Pattern struct {
	At    Pos
	Items []*PatternItem
	Keyed bool
}

// PatternItem is `$v`, `$v = default`, `key => $v [= default]` or `...$rest`.
type PatternItem struct {
	At      Pos
	Key     Expr // keyed form only
	Var     *Variable
	Default Expr // nil when there is none
	Rest    bool
}

// TernaryExpr is `cond ? then : else`.
type TernaryExpr struct {
	At   Pos // position of `?`
	Cond Expr
	Then Expr
	Else Expr
}

// ElvisExpr is `x ?: y`.
type ElvisExpr struct {
	At Pos // position of `?:` or `?`
	X  Expr
	Y  Expr
}

// CoalesceExpr is `x ?? y`.
type CoalesceExpr struct {
	At Pos // position of `??`
	X  Expr
	Y  Expr
}

// ---------------------------------------------------------------------------
// Postfix forms

// IndexExpr is `x[index]`; Index is nil for the append form `$a[]`, which is
// valid only left of `=`.
type IndexExpr struct {
	At    Pos // position of `[`
	X     Expr
	Index Expr
}

// SliceExpr is `x[low:high]` or `x[low:high:step]`; absent bounds are nil.
type SliceExpr struct {
	At   Pos // position of `[`
	X    Expr
	Low  Expr
	High Expr
	Step Expr
}

// PropertyExpr is `x->name`.
type PropertyExpr struct {
	At   Pos // position of `->`
	X    Expr
	Name string
}

// CallExpr is `func(args)`.
type CallExpr struct {
	At   Pos // position of `(`
	Func Expr
	Args []*Arg
}

// Arg is one call argument; Spread marks `...x`.
type Arg struct {
	At     Pos
	X      Expr
	Spread bool
}

// ---------------------------------------------------------------------------
// Special forms

// MatchExpr is `match (subject) { arms }`.
type MatchExpr struct {
	At      Pos
	Subject Expr
	Arms    []*MatchArm
}

// MatchArm is `a, b => result` or `default => result` (Default set, Values
// nil).
type MatchArm struct {
	At      Pos
	Values  []Expr
	Default bool
	Result  Expr
}

// IssetExpr is `isset(target)`.
type IssetExpr struct {
	At     Pos
	Target Expr
}

// UnsetExpr is `unset(target)`; Target may be a SliceExpr.
type UnsetExpr struct {
	At     Pos
	Target Expr
}

// CacheExpr is `cache [options] [builtin] callee(args)`. Callee is an *Ident,
// a *ScopedExpr or, with `builtin`, a *BuiltinExpr.
type CacheExpr struct {
	At      Pos
	Options *ArrayLit
	Callee  Expr
	Args    []*Arg
}

// ---------------------------------------------------------------------------
// Statements

// BlockStmt is `{ statements }`; End is the position of `}`.
type BlockStmt struct {
	At    Pos
	Stmts []Stmt
	End   Pos
}

// EmptyStmt is a lone `;`.
type EmptyStmt struct {
	At Pos
}

// ExprStmt is an expression evaluated for its effects.
type ExprStmt struct {
	At Pos
	X  Expr
}

// IfStmt is `if (cond) then [else else]`; `else if` is an Else that is an
// *IfStmt.
type IfStmt struct {
	At   Pos
	Cond Expr
	Then Stmt
	Else Stmt // nil without `else`
}

// WhileStmt is `while (cond) body`.
type WhileStmt struct {
	At   Pos
	Cond Expr
	Body Stmt
}

// ForeverStmt is `forever body`.
type ForeverStmt struct {
	At   Pos
	Body Stmt
}

// ForStmt is `for (init; cond; post) body`; each clause may be nil.
type ForStmt struct {
	At   Pos
	Init Expr
	Cond Expr
	Post Expr
	Body Stmt
}

// ForeachStmt is `foreach (x as [$key =>] $value) body`.
type ForeachStmt struct {
	At    Pos
	X     Expr
	Key   *Variable // nil without `$key =>`
	Value *Variable
	Body  Stmt
}

// SwitchStmt is `switch (tag) { clauses }`.
type SwitchStmt struct {
	At      Pos
	Tag     Expr
	Clauses []*CaseClause
}

// CaseClause is `case value:` or `default:` (Default set, Value nil) with the
// statements up to the next label; control falls through to the next clause.
type CaseClause struct {
	At      Pos
	Value   Expr
	Default bool
	Body    []Stmt
}

// BreakStmt is `break`.
type BreakStmt struct {
	At Pos
}

// ContinueStmt is `continue`.
type ContinueStmt struct {
	At Pos
}

// ReturnStmt is `return [value]`.
type ReturnStmt struct {
	At    Pos
	Value Expr // nil for a bare `return`
}

// EchoStmt is `echo value`.
type EchoStmt struct {
	At    Pos
	Value Expr
}

// GlobalStmt is `global $a, $b`.
type GlobalStmt struct {
	At    Pos
	Names []*Variable
}

// ThrowStmt is `throw value`.
type ThrowStmt struct {
	At    Pos
	Value Expr
}

// TryStmt is `try { body } catch ($var) { catch }`.
type TryStmt struct {
	At    Pos
	Body  *BlockStmt
	Var   *Variable
	Catch *BlockStmt
}

// BarrierStmt is `barrier name [=> $var] { body }`.
type BarrierStmt struct {
	At   Pos
	Name Expr
	Var  *Variable // nil without `=> $var`
	Body *BlockStmt
}

// IncludeStmt is `include "path"` or `include_once "path"` (Once).
type IncludeStmt struct {
	At   Pos
	Path *StringLit
	Once bool
}

// ImportStmt is `import { a, b as c, $x as $y } from "path"`.
type ImportStmt struct {
	At    Pos
	Items []*ImportItem
	Path  *StringLit
}

// ImportItem is one name of an ImportStmt. Name and Alias have no `$`;
// Alias is empty without `as`; IsVar marks a variable.
type ImportItem struct {
	At    Pos
	Name  string
	Alias string
	IsVar bool
}

// ImportAllStmt is `import * as name from "path"`.
type ImportAllStmt struct {
	At        Pos
	Namespace string
	Path      *StringLit
}

// ImportDataStmt is `import $var from "path" [with [options]]`.
type ImportDataStmt struct {
	At      Pos
	Var     *Variable
	Path    *StringLit
	Options *ArrayLit // nil without `with`
}

// FuncDecl is `function name(params) { body }`.
type FuncDecl struct {
	At      Pos
	Name    string
	NamePos Pos
	Params  []*Param
	Body    *BlockStmt
}

// ClassDecl is `class Name { members }`, members in source order.
type ClassDecl struct {
	At      Pos
	Name    string
	NamePos Pos
	Members []ClassMember
}

// ClassMember is *ClassVar, *ClassMethod or *Constructor.
type ClassMember interface {
	Node
	classMember()
}

// Modifiers are the `private`, `static` and `readonly` words before a
// class member.
type Modifiers struct {
	Private  bool
	Static   bool
	Readonly bool
}

// ClassVar is `[modifiers] $name [= init];` in a class body.
type ClassVar struct {
	At   Pos
	Mods Modifiers
	Name string // without `$`
	Init Expr   // nil when there is none
}

// ClassMethod is `[modifiers] function name(params) { body }` in a class
// body.
type ClassMethod struct {
	At      Pos
	Mods    Modifiers
	Name    string
	NamePos Pos
	Params  []*Param
	Body    *BlockStmt
}

// Constructor is `constructor(params) { body }` in a class body.
type Constructor struct {
	At     Pos
	Params []*Param
	Body   *BlockStmt
}

// ---------------------------------------------------------------------------
// Interface plumbing

func (n *NumberLit) Pos() Pos          { return n.At }
func (n *StringLit) Pos() Pos          { return n.At }
func (n *InterpString) Pos() Pos       { return n.At }
func (n *TextPart) Pos() Pos           { return n.At }
func (n *VarPart) Pos() Pos            { return n.At }
func (n *ExprPart) Pos() Pos           { return n.At }
func (n *RegexLit) Pos() Pos           { return n.At }
func (n *BoolLit) Pos() Pos            { return n.At }
func (n *NoneLit) Pos() Pos            { return n.At }
func (n *ArrayLit) Pos() Pos           { return n.At }
func (n *ArrayItem) Pos() Pos          { return n.At }
func (n *FuncLit) Pos() Pos            { return n.At }
func (n *Param) Pos() Pos              { return n.At }
func (n *Variable) Pos() Pos           { return n.At }
func (n *Ident) Pos() Pos              { return n.At }
func (n *ScopedExpr) Pos() Pos         { return n.At }
func (n *BuiltinExpr) Pos() Pos        { return n.At }
func (n *UnaryExpr) Pos() Pos          { return n.At }
func (n *BinaryExpr) Pos() Pos         { return n.At }
func (n *LogicalExpr) Pos() Pos        { return n.At }
func (n *AssignExpr) Pos() Pos         { return n.At }
func (n *CompoundAssignExpr) Pos() Pos { return n.At }
func (n *IncDecExpr) Pos() Pos         { return n.At }
func (n *DestructureExpr) Pos() Pos    { return n.At }
func (n *Pattern) Pos() Pos            { return n.At }
func (n *PatternItem) Pos() Pos        { return n.At }
func (n *TernaryExpr) Pos() Pos        { return n.At }
func (n *ElvisExpr) Pos() Pos          { return n.At }
func (n *CoalesceExpr) Pos() Pos       { return n.At }
func (n *IndexExpr) Pos() Pos          { return n.At }
func (n *SliceExpr) Pos() Pos          { return n.At }
func (n *PropertyExpr) Pos() Pos       { return n.At }
func (n *CallExpr) Pos() Pos           { return n.At }
func (n *Arg) Pos() Pos                { return n.At }
func (n *MatchExpr) Pos() Pos          { return n.At }
func (n *MatchArm) Pos() Pos           { return n.At }
func (n *IssetExpr) Pos() Pos          { return n.At }
func (n *UnsetExpr) Pos() Pos          { return n.At }
func (n *CacheExpr) Pos() Pos          { return n.At }
func (n *BlockStmt) Pos() Pos          { return n.At }
func (n *EmptyStmt) Pos() Pos          { return n.At }
func (n *ExprStmt) Pos() Pos           { return n.At }
func (n *IfStmt) Pos() Pos             { return n.At }
func (n *WhileStmt) Pos() Pos          { return n.At }
func (n *ForeverStmt) Pos() Pos        { return n.At }
func (n *ForStmt) Pos() Pos            { return n.At }
func (n *ForeachStmt) Pos() Pos        { return n.At }
func (n *SwitchStmt) Pos() Pos         { return n.At }
func (n *CaseClause) Pos() Pos         { return n.At }
func (n *BreakStmt) Pos() Pos          { return n.At }
func (n *ContinueStmt) Pos() Pos       { return n.At }
func (n *ReturnStmt) Pos() Pos         { return n.At }
func (n *EchoStmt) Pos() Pos           { return n.At }
func (n *GlobalStmt) Pos() Pos         { return n.At }
func (n *ThrowStmt) Pos() Pos          { return n.At }
func (n *TryStmt) Pos() Pos            { return n.At }
func (n *BarrierStmt) Pos() Pos        { return n.At }
func (n *IncludeStmt) Pos() Pos        { return n.At }
func (n *ImportStmt) Pos() Pos         { return n.At }
func (n *ImportItem) Pos() Pos         { return n.At }
func (n *ImportAllStmt) Pos() Pos      { return n.At }
func (n *ImportDataStmt) Pos() Pos     { return n.At }
func (n *FuncDecl) Pos() Pos           { return n.At }
func (n *ClassDecl) Pos() Pos          { return n.At }
func (n *ClassVar) Pos() Pos           { return n.At }
func (n *ClassMethod) Pos() Pos        { return n.At }
func (n *Constructor) Pos() Pos        { return n.At }

func (*NumberLit) exprNode()          {}
func (*StringLit) exprNode()          {}
func (*InterpString) exprNode()       {}
func (*RegexLit) exprNode()           {}
func (*BoolLit) exprNode()            {}
func (*NoneLit) exprNode()            {}
func (*ArrayLit) exprNode()           {}
func (*FuncLit) exprNode()            {}
func (*Variable) exprNode()           {}
func (*Ident) exprNode()              {}
func (*ScopedExpr) exprNode()         {}
func (*BuiltinExpr) exprNode()        {}
func (*UnaryExpr) exprNode()          {}
func (*BinaryExpr) exprNode()         {}
func (*LogicalExpr) exprNode()        {}
func (*AssignExpr) exprNode()         {}
func (*CompoundAssignExpr) exprNode() {}
func (*IncDecExpr) exprNode()         {}
func (*DestructureExpr) exprNode()    {}
func (*TernaryExpr) exprNode()        {}
func (*ElvisExpr) exprNode()          {}
func (*CoalesceExpr) exprNode()       {}
func (*IndexExpr) exprNode()          {}
func (*SliceExpr) exprNode()          {}
func (*PropertyExpr) exprNode()       {}
func (*CallExpr) exprNode()           {}
func (*MatchExpr) exprNode()          {}
func (*IssetExpr) exprNode()          {}
func (*UnsetExpr) exprNode()          {}
func (*CacheExpr) exprNode()          {}

func (*TextPart) stringPart() {}
func (*VarPart) stringPart()  {}
func (*ExprPart) stringPart() {}

func (*BlockStmt) stmtNode()      {}
func (*EmptyStmt) stmtNode()      {}
func (*ExprStmt) stmtNode()       {}
func (*IfStmt) stmtNode()         {}
func (*WhileStmt) stmtNode()      {}
func (*ForeverStmt) stmtNode()    {}
func (*ForStmt) stmtNode()        {}
func (*ForeachStmt) stmtNode()    {}
func (*SwitchStmt) stmtNode()     {}
func (*BreakStmt) stmtNode()      {}
func (*ContinueStmt) stmtNode()   {}
func (*ReturnStmt) stmtNode()     {}
func (*EchoStmt) stmtNode()       {}
func (*GlobalStmt) stmtNode()     {}
func (*ThrowStmt) stmtNode()      {}
func (*TryStmt) stmtNode()        {}
func (*BarrierStmt) stmtNode()    {}
func (*IncludeStmt) stmtNode()    {}
func (*ImportStmt) stmtNode()     {}
func (*ImportAllStmt) stmtNode()  {}
func (*ImportDataStmt) stmtNode() {}
func (*FuncDecl) stmtNode()       {}
func (*ClassDecl) stmtNode()      {}

func (*ClassVar) classMember()    {}
func (*ClassMethod) classMember() {}
func (*Constructor) classMember() {}
