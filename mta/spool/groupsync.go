package spool

import (
	"sync"
	"sync/atomic"
)

// groupSync batches durability requests: every caller of wait that arrives
// while a sync runs joins the next round, and that round's single sync
// serves all of them. The sync goroutine exits when no caller waits.
type groupSync struct {
	sync func() error

	mu      sync.Mutex
	next    *syncRound // the round that has not started yet, or nil
	running bool

	rounds  atomic.Int64 // syncs made
	waiters atomic.Int64 // wait calls served
}

type syncRound struct {
	done chan struct{}
	err  error
}

// wait returns once a sync that started after the call has finished, so
// every write, rename and unlink the caller made before calling is durable.
func (g *groupSync) wait() error {
	g.mu.Lock()
	r := g.next
	if r == nil {
		r = &syncRound{done: make(chan struct{})}
		g.next = r
	}
	if !g.running {
		g.running = true
		go g.run()
	}
	g.mu.Unlock()

	g.waiters.Add(1)
	<-r.done
	return r.err
}

// run makes rounds until no caller waits.
func (g *groupSync) run() {
	for {
		g.mu.Lock()
		r := g.next
		if r == nil {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.next = nil
		g.mu.Unlock()

		r.err = g.sync()
		g.rounds.Add(1)
		close(r.done)
	}
}
