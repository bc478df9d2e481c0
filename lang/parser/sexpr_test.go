package parser

import (
	"fmt"
	"strconv"
	"strings"
)

// sexpr renders a node as a compact S-expression, so table tests can state
// the tree shape (and with it precedence and associativity) in one line.
// Positions are left out; the golden and position tests cover them.
func sexpr(n any) string {
	var b strings.Builder
	writeSexpr(&b, n)
	return b.String()
}

func writeList[T any](b *strings.Builder, sep string, items []T) {
	for i, item := range items {
		if i > 0 {
			b.WriteString(sep)
		}
		writeSexpr(b, item)
	}
}

func writeSexpr(b *strings.Builder, n any) {
	w := func(format string, args ...any) { fmt.Fprintf(b, format, args...) }
	switch n := n.(type) {
	case nil:
		b.WriteString("_")
	case *File:
		writeList(b, " ", n.Stmts)

	// Literals and names.
	case *NumberLit:
		b.WriteString(n.Raw)
	case *StringLit:
		if n.Raw {
			b.WriteString("r")
		}
		b.WriteString(strconv.Quote(n.Value))
	case *InterpString:
		b.WriteString("(interp")
		for _, part := range n.Parts {
			b.WriteString(" ")
			switch part := part.(type) {
			case *TextPart:
				b.WriteString(strconv.Quote(part.Text))
			case *VarPart:
				b.WriteString("$" + part.Name)
			case *ExprPart:
				b.WriteString("{")
				writeSexpr(b, part.X)
				b.WriteString("}")
			}
		}
		b.WriteString(")")
	case *RegexLit:
		w("#/%s/%s", n.Pattern, n.Flags)
	case *BoolLit:
		w("%t", n.Value)
	case *NoneLit:
		b.WriteString("none")
	case *Variable:
		b.WriteString("$" + n.Name)
	case *Ident:
		b.WriteString(n.Name)
	case *ScopedExpr:
		if n.IsVar {
			w("%s::$%s", n.Scope, n.Name)
		} else {
			w("%s::%s", n.Scope, n.Name)
		}
	case *BuiltinExpr:
		w("(builtin %s)", n.Name)
	case *ArrayLit:
		b.WriteString("[")
		writeList(b, " ", n.Items)
		b.WriteString("]")
	case *ArrayItem:
		switch {
		case n.Spread:
			b.WriteString("...")
		case n.Key != nil:
			writeSexpr(b, n.Key)
			b.WriteString("=>")
		}
		writeSexpr(b, n.Value)

	// Operators.
	case *UnaryExpr:
		w("(%s ", n.Op)
		writeSexpr(b, n.X)
		b.WriteString(")")
	case *BinaryExpr:
		w("(%s ", n.Op)
		writeSexpr(b, n.X)
		b.WriteString(" ")
		writeSexpr(b, n.Y)
		b.WriteString(")")
	case *LogicalExpr:
		w("(%s ", n.Op)
		writeSexpr(b, n.X)
		b.WriteString(" ")
		writeSexpr(b, n.Y)
		b.WriteString(")")
	case *AssignExpr:
		b.WriteString("(= ")
		writeSexpr(b, n.Target)
		b.WriteString(" ")
		writeSexpr(b, n.Value)
		b.WriteString(")")
	case *CompoundAssignExpr:
		w("(%s= ", n.Op)
		writeSexpr(b, n.Target)
		b.WriteString(" ")
		writeSexpr(b, n.Value)
		b.WriteString(")")
	case *IncDecExpr:
		if n.Prefix {
			w("(%spre ", n.Op)
		} else {
			w("(post%s ", n.Op)
		}
		writeSexpr(b, n.X)
		b.WriteString(")")
	case *DestructureExpr:
		b.WriteString("(destructure ")
		writeSexpr(b, n.Pattern)
		b.WriteString(" ")
		writeSexpr(b, n.Value)
		b.WriteString(")")
	case *Pattern:
		if n.Keyed {
			b.WriteString("keyed")
		}
		b.WriteString("[")
		writeList(b, " ", n.Items)
		b.WriteString("]")
	case *PatternItem:
		if n.Rest {
			b.WriteString("...")
		}
		if n.Key != nil {
			writeSexpr(b, n.Key)
			b.WriteString("=>")
		}
		writeSexpr(b, n.Var)
		if n.Default != nil {
			b.WriteString("=")
			writeSexpr(b, n.Default)
		}
	case *TernaryExpr:
		b.WriteString("(? ")
		writeList(b, " ", []Expr{n.Cond, n.Then, n.Else})
		b.WriteString(")")
	case *ElvisExpr:
		b.WriteString("(?: ")
		writeList(b, " ", []Expr{n.X, n.Y})
		b.WriteString(")")
	case *CoalesceExpr:
		b.WriteString("(?? ")
		writeList(b, " ", []Expr{n.X, n.Y})
		b.WriteString(")")

	// Postfix forms.
	case *IndexExpr:
		b.WriteString("(index ")
		writeSexpr(b, n.X)
		if n.Index != nil {
			b.WriteString(" ")
			writeSexpr(b, n.Index)
		}
		b.WriteString(")")
	case *SliceExpr:
		b.WriteString("(slice ")
		writeList(b, " ", []Expr{n.X, n.Low, n.High, n.Step})
		b.WriteString(")")
	case *PropertyExpr:
		b.WriteString("(-> ")
		writeSexpr(b, n.X)
		w(" %s)", n.Name)
	case *CallExpr:
		b.WriteString("(call ")
		writeSexpr(b, n.Func)
		for _, arg := range n.Args {
			b.WriteString(" ")
			writeSexpr(b, arg)
		}
		b.WriteString(")")
	case *Arg:
		if n.Spread {
			b.WriteString("...")
		}
		writeSexpr(b, n.X)

	// Special forms.
	case *FuncLit:
		b.WriteString("(function (")
		writeList(b, " ", n.Params)
		b.WriteString(")")
		if n.Captures != nil {
			b.WriteString(" closure (")
			writeList(b, " ", n.Captures)
			b.WriteString(")")
		}
		b.WriteString(" ")
		writeSexpr(b, n.Body)
		b.WriteString(")")
	case *Param:
		if n.Variadic {
			b.WriteString("...")
		}
		b.WriteString("$" + n.Name)
		if n.Default != nil {
			b.WriteString("=")
			writeSexpr(b, n.Default)
		}
	case *MatchExpr:
		b.WriteString("(match ")
		writeSexpr(b, n.Subject)
		for _, arm := range n.Arms {
			b.WriteString(" (")
			if arm.Default {
				b.WriteString("default")
			} else {
				writeList(b, " ", arm.Values)
			}
			b.WriteString(" => ")
			writeSexpr(b, arm.Result)
			b.WriteString(")")
		}
		b.WriteString(")")
	case *IssetExpr:
		b.WriteString("(isset ")
		writeSexpr(b, n.Target)
		b.WriteString(")")
	case *UnsetExpr:
		b.WriteString("(unset ")
		writeSexpr(b, n.Target)
		b.WriteString(")")
	case *CacheExpr:
		b.WriteString("(cache ")
		writeSexpr(b, n.Options)
		b.WriteString(" ")
		writeSexpr(b, n.Callee)
		for _, arg := range n.Args {
			b.WriteString(" ")
			writeSexpr(b, arg)
		}
		b.WriteString(")")

	// Statements.
	case *BlockStmt:
		b.WriteString("{")
		writeList(b, " ", n.Stmts)
		b.WriteString("}")
	case *EmptyStmt:
		b.WriteString(";")
	case *ExprStmt:
		writeSexpr(b, n.X)
	case *IfStmt:
		b.WriteString("(if ")
		writeList(b, " ", []any{n.Cond, n.Then})
		if n.Else != nil {
			b.WriteString(" else ")
			writeSexpr(b, n.Else)
		}
		b.WriteString(")")
	case *WhileStmt:
		b.WriteString("(while ")
		writeList(b, " ", []any{n.Cond, n.Body})
		b.WriteString(")")
	case *ForeverStmt:
		b.WriteString("(forever ")
		writeSexpr(b, n.Body)
		b.WriteString(")")
	case *ForStmt:
		b.WriteString("(for ")
		writeList(b, " ", []any{n.Init, n.Cond, n.Post, n.Body})
		b.WriteString(")")
	case *ForeachStmt:
		b.WriteString("(foreach ")
		writeSexpr(b, n.X)
		b.WriteString(" ")
		if n.Key != nil {
			writeSexpr(b, n.Key)
			b.WriteString("=>")
		}
		writeSexpr(b, n.Value)
		b.WriteString(" ")
		writeSexpr(b, n.Body)
		b.WriteString(")")
	case *SwitchStmt:
		b.WriteString("(switch ")
		writeSexpr(b, n.Tag)
		for _, c := range n.Clauses {
			b.WriteString(" (")
			if c.Default {
				b.WriteString("default")
			} else {
				b.WriteString("case ")
				writeSexpr(b, c.Value)
			}
			b.WriteString(":")
			for _, s := range c.Body {
				b.WriteString(" ")
				writeSexpr(b, s)
			}
			b.WriteString(")")
		}
		b.WriteString(")")
	case *BreakStmt:
		b.WriteString("(break)")
	case *ContinueStmt:
		b.WriteString("(continue)")
	case *ReturnStmt:
		b.WriteString("(return")
		if n.Value != nil {
			b.WriteString(" ")
			writeSexpr(b, n.Value)
		}
		b.WriteString(")")
	case *EchoStmt:
		b.WriteString("(echo ")
		writeSexpr(b, n.Value)
		b.WriteString(")")
	case *GlobalStmt:
		b.WriteString("(global ")
		writeList(b, " ", n.Names)
		b.WriteString(")")
	case *ThrowStmt:
		b.WriteString("(throw ")
		writeSexpr(b, n.Value)
		b.WriteString(")")
	case *TryStmt:
		b.WriteString("(try ")
		writeList(b, " ", []any{n.Body, n.Var, n.Catch})
		b.WriteString(")")
	case *BarrierStmt:
		b.WriteString("(barrier ")
		writeSexpr(b, n.Name)
		if n.Var != nil {
			b.WriteString(" => ")
			writeSexpr(b, n.Var)
		}
		b.WriteString(" ")
		writeSexpr(b, n.Body)
		b.WriteString(")")
	case *IncludeStmt:
		if n.Once {
			b.WriteString("(include_once ")
		} else {
			b.WriteString("(include ")
		}
		writeSexpr(b, n.Path)
		b.WriteString(")")
	case *ImportStmt:
		b.WriteString("(import")
		for _, item := range n.Items {
			b.WriteString(" ")
			if item.IsVar {
				b.WriteString("$")
			}
			b.WriteString(item.Name)
			if item.Alias != "" {
				b.WriteString(" as ")
				if item.IsVar {
					b.WriteString("$")
				}
				b.WriteString(item.Alias)
			}
		}
		b.WriteString(" from ")
		writeSexpr(b, n.Path)
		b.WriteString(")")
	case *ImportAllStmt:
		w("(import * as %s from ", n.Namespace)
		writeSexpr(b, n.Path)
		b.WriteString(")")
	case *ImportDataStmt:
		b.WriteString("(import ")
		writeSexpr(b, n.Var)
		b.WriteString(" from ")
		writeSexpr(b, n.Path)
		if n.Options != nil {
			b.WriteString(" with ")
			writeSexpr(b, n.Options)
		}
		b.WriteString(")")
	case *FuncDecl:
		w("(function %s (", n.Name)
		writeList(b, " ", n.Params)
		b.WriteString(") ")
		writeSexpr(b, n.Body)
		b.WriteString(")")
	case *ClassDecl:
		w("(class %s", n.Name)
		for _, m := range n.Members {
			b.WriteString(" ")
			writeSexpr(b, m)
		}
		b.WriteString(")")
	case *ClassVar:
		b.WriteString("(var" + modifierText(n.Mods) + " $" + n.Name)
		if n.Init != nil {
			b.WriteString(" ")
			writeSexpr(b, n.Init)
		}
		b.WriteString(")")
	case *ClassMethod:
		w("(method%s %s (", modifierText(n.Mods), n.Name)
		writeList(b, " ", n.Params)
		b.WriteString(") ")
		writeSexpr(b, n.Body)
		b.WriteString(")")
	case *Constructor:
		b.WriteString("(constructor (")
		writeList(b, " ", n.Params)
		b.WriteString(") ")
		writeSexpr(b, n.Body)
		b.WriteString(")")
	default:
		w("<%T>", n)
	}
}

func modifierText(m Modifiers) string {
	s := ""
	if m.Private {
		s += " private"
	}
	if m.Static {
		s += " static"
	}
	if m.Readonly {
		s += " readonly"
	}
	return s
}
