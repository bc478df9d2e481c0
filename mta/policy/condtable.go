package policy

// condTable is an ordered condition list with an index, so that a lookup
// tests only conditions that can match. Each policy has one table of its
// static conditions, built at load, and one of its dynamic conditions,
// newest first, rebuilt on every change. Tables are immutable.
type condTable struct {
	conds []*Condition
	// byExact maps, for each field, a key value to the positions of the
	// conditions indexed on that field and value, ascending. A condition
	// is indexed on its first field whose matchers are all exact values.
	byExact [numFields]map[string][]int32
	// scan holds, ascending, the positions of conditions with no such
	// field; they are tested one by one.
	scan []int32
}

func newCondTable(conds []*Condition) *condTable {
	t := &condTable{conds: conds}
	for i, c := range t.conds {
		pos := int32(i)
		indexed := false
		for _, fm := range c.If {
			m := c.match[fm.Field]
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

// lookup returns the first condition in force at now that matches the key
// values, or nil.
func (t *condTable) lookup(vals *[numFields]string, rolled *[numFields]bool, now int64) *Condition {
	best := int32(len(t.conds))
	try := func(candidates []int32) {
		for _, i := range candidates {
			if i >= best {
				return
			}
			c := t.conds[i]
			if c.expires != 0 && c.expires <= now {
				continue
			}
			if c.matches(vals, rolled) {
				best = i
				return
			}
		}
	}
	for f := Field(0); f < numFields; f++ {
		if m := t.byExact[f]; m != nil {
			try(m[vals[f]])
		}
	}
	try(t.scan)
	if int(best) < len(t.conds) {
		return t.conds[best]
	}
	return nil
}
