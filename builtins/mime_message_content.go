package builtins

import (
	"bytes"
	"slices"

	"github.com/halonsh/halonsh/lang/vm"
)

// modifyContent(start, count, data) replaces count bytes at byte offset
// start of the message as rendered from its structural edits (the header
// and part edits, CRLF line ends), that is, toString's result before any
// modifyContent call. Every call counts its offsets in that same text, not
// in the output of earlier modifyContent calls, so earlier offsets stay
// valid. Two calls may not replace overlapping ranges. Insertions
// (count 0) at one offset apply in call order, before a replacement that
// starts there.
//
// The offsets only mean something for a fixed structure, so structural
// edits are rejected while modifyContent edits are pending. reset() drops
// those edits, and restore(id) returns to the ones of the snapshot.

// contentEdit is one modifyContent call.
type contentEdit struct {
	start, count int
	data         []byte
}

// contentEditsPending is the error of a structural edit made after
// modifyContent.
const contentEditsPending = "cannot edit the message structure after modifyContent(); call reset() or restore() first"

// renderAll renders the working copy with the modifyContent edits applied.
// The edits were checked against the structure when they were made, and
// the structure cannot change while they are pending, so they fit.
func (msg *mailMessage) renderAll() []byte {
	text := msg.renderStructure()
	if len(msg.content) == 0 {
		return text
	}

	edits := sortedContentEdits(msg.content)
	var out bytes.Buffer
	pos := 0
	for _, e := range edits {
		out.Write(text[pos:e.start])
		out.Write(e.data)
		pos = e.start + e.count
	}
	out.Write(text[pos:])
	return out.Bytes()
}

// sortedContentEdits orders edits by offset, insertions before a
// replacement at the same offset, and otherwise in call order.
func sortedContentEdits(edits []contentEdit) []contentEdit {
	sorted := slices.Clone(edits)
	slices.SortStableFunc(sorted, func(a, b contentEdit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return min(a.count, 1) - min(b.count, 1)
	})
	return sorted
}

// overlappingEdit returns an earlier edit that overlaps e: the ranges
// share a byte, or one is an insertion strictly inside the other's range.
// Insertions at the ends of a range, or at one offset, do not overlap.
func overlappingEdit(edits []contentEdit, e contentEdit) (contentEdit, bool) {
	for _, x := range edits {
		if x.start < e.start+e.count && e.start < x.start+x.count {
			return x, true
		}
	}
	return contentEdit{}, false
}

// messageModifyContent is ->modifyContent(start, count, data).
func messageModifyContent(c *vm.Call, this *vm.Object, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 3, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	start, err := a.integer(0, "start")
	if err != nil {
		return vm.None, err
	}
	count, err := a.integer(1, "count")
	if err != nil {
		return vm.None, err
	}
	data, err := a.str(2, "data")
	if err != nil {
		return vm.None, err
	}

	msg := messageOf(this)
	size := int64(len(msg.renderStructure()))
	switch {
	case start < 0 || start > size:
		return vm.None, c.Errorf("argument 1 (start) must be between 0 and the message size %d, got %d", size, start)
	case count < 0 || count > size-start:
		return vm.None, c.Errorf("argument 2 (count) must be between 0 and %d (the bytes after start), got %d", size-start, count)
	}
	e := contentEdit{start: int(start), count: int(count), data: []byte(data)}
	if x, ok := overlappingEdit(msg.content, e); ok {
		return vm.None, c.Errorf("range %d+%d overlaps the earlier modifyContent range %d+%d", e.start, e.count, x.start, x.count)
	}
	msg.content = append(msg.content, e)
	msg.edits++
	return vm.ObjectValue(this), nil
}
