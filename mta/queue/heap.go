package queue

import "time"

// The queue keeps three binary heaps: entries by next attempt time,
// entries by expiry time, and parked sub-queues by recheck time. Each
// element stores its own index so it can be removed in O(log n) when it
// leaves early (an operator's retry-now, an expiry, a wake-up).

type retryHeap []*entry

func (h retryHeap) less(i, j int) bool {
	a, b := h[i], h[j]
	if !a.msg.NextAttempt.Equal(b.msg.NextAttempt) {
		return a.msg.NextAttempt.Before(b.msg.NextAttempt)
	}
	return a.msg.QueuedAt.Before(b.msg.QueuedAt)
}

func (h retryHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].retryIndex = i
	h[j].retryIndex = j
}

func (h *retryHeap) push(e *entry) {
	e.retryIndex = len(*h)
	*h = append(*h, e)
	siftUp(len(*h)-1, h.less, h.swap)
}

func (h *retryHeap) remove(e *entry) {
	i := e.retryIndex
	if i < 0 {
		return
	}
	last := len(*h) - 1
	if i != last {
		h.swap(i, last)
	}
	(*h)[last] = nil
	*h = (*h)[:last]
	e.retryIndex = -1
	if i != last {
		fix(*h, i, h.less, h.swap)
	}
}

func (h retryHeap) peek() *entry {
	if len(h) == 0 {
		return nil
	}
	return h[0]
}

type expireHeap []*entry

func (h expireHeap) less(i, j int) bool { return h[i].expiresAt.Before(h[j].expiresAt) }

func (h expireHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].expireIndex = i
	h[j].expireIndex = j
}

func (h *expireHeap) push(e *entry) {
	e.expireIndex = len(*h)
	*h = append(*h, e)
	siftUp(len(*h)-1, h.less, h.swap)
}

func (h *expireHeap) remove(e *entry) {
	i := e.expireIndex
	if i < 0 {
		return
	}
	last := len(*h) - 1
	if i != last {
		h.swap(i, last)
	}
	(*h)[last] = nil
	*h = (*h)[:last]
	e.expireIndex = -1
	if i != last {
		fix(*h, i, h.less, h.swap)
	}
}

func (h expireHeap) peek() *entry {
	if len(h) == 0 {
		return nil
	}
	return h[0]
}

type parkHeap []*subqueue

func (h parkHeap) less(i, j int) bool { return h[i].parkUntil.Before(h[j].parkUntil) }

func (h parkHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].parkIndex = i
	h[j].parkIndex = j
}

func (h *parkHeap) push(sq *subqueue) {
	sq.parkIndex = len(*h)
	*h = append(*h, sq)
	siftUp(len(*h)-1, h.less, h.swap)
}

func (h *parkHeap) remove(sq *subqueue) {
	i := sq.parkIndex
	if i < 0 {
		return
	}
	last := len(*h) - 1
	if i != last {
		h.swap(i, last)
	}
	(*h)[last] = nil
	*h = (*h)[:last]
	sq.parkIndex = -1
	if i != last {
		fix(*h, i, h.less, h.swap)
	}
}

func (h parkHeap) peekTime() (time.Time, bool) {
	if len(h) == 0 {
		return time.Time{}, false
	}
	return h[0].parkUntil, true
}

func siftUp(i int, less func(i, j int) bool, swap func(i, j int)) {
	for i > 0 {
		parent := (i - 1) / 2
		if !less(i, parent) {
			return
		}
		swap(i, parent)
		i = parent
	}
}

func siftDown(i, n int, less func(i, j int) bool, swap func(i, j int)) {
	for {
		left := 2*i + 1
		if left >= n {
			return
		}
		child := left
		if right := left + 1; right < n && less(right, left) {
			child = right
		}
		if !less(child, i) {
			return
		}
		swap(i, child)
		i = child
	}
}

// fix restores the heap order after element i changed or moved.
func fix[T any](h []T, i int, less func(i, j int) bool, swap func(i, j int)) {
	siftDown(i, len(h), less, swap)
	siftUp(i, less, swap)
}
