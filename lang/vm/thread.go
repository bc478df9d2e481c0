package vm

import (
	"context"
	"io"
)

// thread is the state of one run: value stack, frames, globals and
// handlers. Threads are pooled per Program and reused after reset.
type thread struct {
	prog      *Program
	ctx       context.Context
	opts      *RunOptions
	out       io.Writer
	runValues map[any]any
}

func newThread(p *Program) *thread { return &thread{prog: p} }

func (th *thread) reset() {
	th.ctx, th.opts, th.out, th.runValues = nil, nil, nil, nil
}

func (th *thread) owner() any { return th }

func (th *thread) run(ctx context.Context, opts *RunOptions) error {
	th.ctx = ctx
	th.opts = opts
	return Errorf("the interpreter is not built yet")
}

func (th *thread) currentPos() Pos { return Pos{} }

func (th *thread) global(name string) (Value, bool) { return None, false }

func (th *thread) callValue(fn Value, args []Value) (Value, error) {
	return None, Errorf("the interpreter is not built yet")
}
