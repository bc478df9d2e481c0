package parser

import "sync"

// slab hands out pointers into chunks of T. One allocation per chunk in
// place of one per node makes a measurable difference on large scripts,
// since a syntax tree is built once and released as a whole.
type slab[T any] struct {
	free []T
}

const slabChunk = 64

// put stores v in the slab and returns its address.
func put[T any](s *slab[T], v T) *T {
	if len(s.free) == 0 {
		s.free = make([]T, slabChunk)
	}
	n := &s.free[0]
	s.free = s.free[1:]
	*n = v
	return n
}

// arena holds the slabs of the most frequent node types.
type arena struct {
	variables  slab[Variable]
	strings    slab[StringLit]
	numbers    slab[NumberLit]
	exprStmts  slab[ExprStmt]
	args       slab[Arg]
	assigns    slab[AssignExpr]
	indexes    slab[IndexExpr]
	binaries   slab[BinaryExpr]
	arrayItems slab[ArrayItem]
	calls      slab[CallExpr]
	idents     slab[Ident]

	// Lists under construction, as stacks shared by nested lists: each
	// list appends above a mark and popScratch copies its part out, so a
	// finished list has its exact size and costs one allocation.
	scratchArgs  []*Arg
	scratchItems []*ArrayItem
	scratchStmts []Stmt

	// Backing arrays that the finished lists are cut from.
	argLists  slab[*Arg]
	itemLists slab[*ArrayItem]
	stmtLists slab[Stmt]
}

// popScratch returns a copy of (*stack)[mark:], or nil when that part is
// empty, and truncates the stack to mark. The copy comes from lists.
func popScratch[T any](stack *[]T, mark int, lists *slab[T]) []T {
	s := *stack
	n := len(s) - mark
	if n == 0 {
		return nil
	}

	var out []T
	if n > slabChunk/4 {
		out = make([]T, n)
	} else {
		if len(lists.free) < n {
			lists.free = make([]T, slabChunk)
		}
		out = lists.free[:n:n]
		lists.free = lists.free[n:]
	}
	copy(out, s[mark:])
	clear(s[mark:])
	*stack = s[:mark]
	return out
}

// scratchMarks records the heights of the scratch stacks, so a statement
// that fails to parse can drop what it left on them.
type scratchMarks struct{ args, items, stmts int }

func (a *arena) marks() scratchMarks {
	return scratchMarks{len(a.scratchArgs), len(a.scratchItems), len(a.scratchStmts)}
}

func (a *arena) reset(m scratchMarks) {
	clear(a.scratchArgs[m.args:])
	clear(a.scratchItems[m.items:])
	clear(a.scratchStmts[m.stmts:])
	a.scratchArgs = a.scratchArgs[:m.args]
	a.scratchItems = a.scratchItems[:m.items]
	a.scratchStmts = a.scratchStmts[:m.stmts]
}

// tokenBuffers recycles token slices between parses; the syntax tree keeps
// no reference to them.
var tokenBuffers = sync.Pool{
	New: func() any { return new([]token) },
}
