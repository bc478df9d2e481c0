package queue

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// The ready list must hold its entries highest priority first and in
// arrival order within a priority, through any mix of appends and
// removals from anywhere in the list.
func TestReadyListPriorityOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	priorities := []int{-1, 0, 0, 0, 1, 5}
	sq := &subqueue{}
	var model []*entry // arrival order
	seq := 0

	for step := range 3000 {
		if len(model) == 0 || rng.IntN(3) > 0 {
			e := &entry{}
			e.msg.Priority = priorities[rng.IntN(len(priorities))]
			e.msg.Index = seq
			seq++
			sq.append(e)
			model = append(model, e)
		} else {
			i := rng.IntN(len(model))
			sq.remove(model[i])
			model = slices.Delete(model, i, i+1)
		}

		want := slices.Clone(model)
		slices.SortStableFunc(want, func(a, b *entry) int { return b.msg.Priority - a.msg.Priority })
		var got []*entry
		for e := sq.head; e != nil; e = e.next {
			got = append(got, e)
		}
		if !slices.Equal(got, want) || sq.length != len(want) {
			t.Fatalf("step %d: list order %v, want %v (length %d)", step, indexes(got), indexes(want), sq.length)
		}
		if len(want) > 0 && sq.tail != want[len(want)-1] {
			t.Fatalf("step %d: tail is not the last entry", step)
		}
		distinct := map[int]bool{}
		for _, e := range want {
			distinct[e.msg.Priority] = true
		}
		if len(sq.bands) != len(distinct) {
			t.Fatalf("step %d: %d bands for %d priorities", step, len(sq.bands), len(distinct))
		}
		for i, b := range sq.bands {
			if b.tail.msg.Priority != b.priority || (b.tail.next != nil && b.tail.next.msg.Priority == b.priority) {
				t.Fatalf("step %d: band %d (priority %d) does not end at its last entry", step, i, b.priority)
			}
			if i > 0 && sq.bands[i-1].priority <= b.priority {
				t.Fatalf("step %d: bands out of order", step)
			}
		}
	}
}

func indexes(es []*entry) []int {
	out := make([]int, len(es))
	for i, e := range es {
		out[i] = e.msg.Index
	}
	return out
}
