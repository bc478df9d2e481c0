package policy

// suspendTable holds the suspends in force, configured ones first, with an
// index so that a check tests only suspends that can match. A suspend is
// indexed on its first field whose matchers are all exact values; the rest
// are tested one by one. A table is immutable.
type suspendTable struct {
	list    []*Suspend
	byExact [numFields]map[string][]int32
	scan    []int32
}

func newSuspendTable(list []*Suspend) *suspendTable {
	t := &suspendTable{list: list}
	for i, s := range list {
		pos := int32(i)
		indexed := false
		for _, fm := range s.Match {
			m := s.match[fm.Field]
			if m == nil || !m.onlyExact() {
				continue
			}
			if t.byExact[fm.Field] == nil {
				t.byExact[fm.Field] = map[string][]int32{}
			}
			for v := range m.exact {
				t.byExact[fm.Field][v] = append(t.byExact[fm.Field][v], pos)
			}
			indexed = true
			break
		}
		if !indexed {
			t.scan = append(t.scan, pos)
		}
	}
	return t
}

// find returns the first suspend, in table order, that is in force at now
// and matches the entry, or nil.
func (t *suspendTable) find(e *Entry, now int64, ctx *matchContext) *Suspend {
	best := int32(len(t.list))
	try := func(candidates []int32) {
		for _, i := range candidates {
			if i >= best {
				return
			}
			s := t.list[i]
			if s.expires != 0 && s.expires <= now {
				continue
			}
			if s.matches(e, ctx) {
				best = i
				return
			}
		}
	}
	for f := Field(0); f < numFields; f++ {
		if m := t.byExact[f]; m != nil {
			try(m[normalizeValue(f, e.Value(f))])
		}
	}
	try(t.scan)
	if int(best) < len(t.list) {
		return t.list[best]
	}
	return nil
}

// all returns every suspend in force at now that matches the entry, in
// table order.
func (t *suspendTable) all(e *Entry, now int64, ctx *matchContext) []*Suspend {
	var out []*Suspend
	for _, s := range t.list {
		if (s.expires == 0 || s.expires > now) && s.matches(e, ctx) {
			out = append(out, s)
		}
	}
	return out
}
