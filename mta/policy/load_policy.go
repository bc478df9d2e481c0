package policy

import (
	"encoding/binary"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

func (l *loader) policy(n *yaml.Node, i int) {
	path := index("policies", i)
	p := &Policy{ID: path, index: len(l.cfg.Policies), defaultID: true}
	idNode := l.resolve(n)
	var fields, conditions, def *yaml.Node
	ok := l.mapping(n, path, func(key string, k, v *yaml.Node) {
		switch key {
		case "id":
			if s, ok := l.scalar(v, join(path, key)); ok {
				if s == "" {
					l.errorf(v, join(path, key), "empty id")
				}
				p.ID, idNode, p.defaultID = s, l.resolve(v), false
			}
		case "fields":
			fields = v
		case "conditions":
			conditions = v
		case "default":
			def = v
		default:
			l.errorf(k, join(path, key), "unknown key")
		}
	})
	if !ok {
		return
	}

	if fields != nil && l.resolve(fields).Tag != "!!null" {
		l.sequence(fields, join(path, "fields"), func(j int, item *yaml.Node) {
			l.policyField(p, item, index(join(path, "fields"), j))
		})
	}
	p.keyPrefix = keyPrefix(p)

	if conditions != nil {
		l.sequence(conditions, join(path, "conditions"), func(j int, item *yaml.Node) {
			cpath := index(join(path, "conditions"), j)
			if c := l.condition(p, item, cpath); c != nil {
				c.Index = len(p.Conditions)
				p.Conditions = append(p.Conditions, c)
			}
		})
	}
	if def != nil {
		p.Default = l.limits(def, join(path, "default"))
	}
	p.static = newCondTable(p.Conditions)

	l.cfg.Policies = append(l.cfg.Policies, p)
	l.idNodes = append(l.idNodes, idNode)
}

// keyPrefix returns the start of every key of p: the policy id and the
// field list, so keys of different policies, or of one policy whose fields
// changed across a reload, never collide.
func keyPrefix(p *Policy) string {
	b := binary.AppendUvarint(nil, uint64(len(p.ID)))
	b = append(b, p.ID...)
	b = append(b, byte(len(p.Fields)))
	for _, f := range p.Fields {
		b = append(b, byte(f))
	}
	return string(b)
}

// policyField reads one item of "fields": a field name, or a one-key
// mapping from a field name to its rollups.
func (l *loader) policyField(p *Policy, item *yaml.Node, path string) {
	item = l.resolve(item)
	name, rollups, nameNode := "", (*yaml.Node)(nil), item
	switch item.Kind {
	case yaml.ScalarNode:
		name = item.Value
	case yaml.MappingNode:
		if len(item.Content) != 2 {
			l.errorf(item, path, "expected a field name or one field with its rollups, got %d keys", len(item.Content)/2)
			return
		}
		nameNode, rollups = l.resolve(item.Content[0]), item.Content[1]
		name = nameNode.Value
	default:
		l.errorf(item, path, "expected a field name, got %s", kindName(item))
		return
	}

	f, ok := ParseField(name)
	if !ok {
		l.errorf(nameNode, path, "unknown field %q", name)
		return
	}
	if p.HasField(f) {
		l.errorf(nameNode, path, "duplicate field %q", name)
		return
	}
	p.Fields = append(p.Fields, f)
	p.fieldMask |= 1 << f

	if rollups == nil || l.resolve(rollups).Tag == "!!null" {
		return
	}
	rpath := join(path, name)
	set := &rollupSet{field: f, set: newMatcherSet(f)}
	l.mapping(rollups, rpath, func(rname string, k, v *yaml.Node) {
		ipath := join(rpath, rname)
		if !listNameRE.MatchString(rname) {
			l.errorf(k, ipath, "invalid rollup name %q: use letters, digits, '_', '.' and '-'", rname)
			return
		}
		set.names = append(set.names, rname)
		set.keys = append(set.keys, "#"+rname)
		vals, nodes := l.stringList(v, ipath)
		scope := &matcherScope{lists: l.cfg.lists, inRollup: true}
		for j, text := range vals {
			before := len(set.set.items)
			if err := compileMatcher(set.set, f, text, scope); err != nil {
				l.errorf(nodes[j], index(ipath, j), "%v", err)
				continue
			}
			for range len(set.set.items) - before {
				set.itemRollup = append(set.itemRollup, int32(len(set.names)-1))
			}
		}
	})
	if len(set.set.slow) > 0 {
		set.cache = &rollupCache{m: map[string]string{}}
	}
	p.rollups[f] = set
}

// condition reads one static condition: "if" and "then".
func (l *loader) condition(p *Policy, n *yaml.Node, path string) *Condition {
	c := &Condition{policy: p}
	var ifNode, thenNode *yaml.Node
	ok := l.mapping(n, path, func(key string, k, v *yaml.Node) {
		switch key {
		case "if":
			ifNode = v
		case "then":
			thenNode = v
		default:
			l.errorf(k, join(path, key), "unknown key")
		}
	})
	if !ok {
		return nil
	}
	if ifNode == nil {
		l.errorf(n, path, "missing key \"if\"")
	} else {
		l.conditionIf(p, c, ifNode, join(path, "if"))
	}
	if thenNode == nil {
		l.errorf(n, path, "missing key \"then\"")
	} else {
		c.Limits = l.limits(thenNode, join(path, "then"))
	}
	return c
}

func (l *loader) conditionIf(p *Policy, c *Condition, n *yaml.Node, path string) {
	count := 0
	l.mapping(n, path, func(name string, k, v *yaml.Node) {
		fpath := join(path, name)
		count++
		f, ok := ParseField(name)
		if !ok {
			l.errorf(k, fpath, "unknown field %q", name)
			return
		}
		if !p.HasField(f) {
			l.errorf(k, fpath, "field is not one of the policy's fields")
			return
		}
		vals, nodes := l.stringList(v, fpath)
		set, texts := newMatcherSet(f), []string(nil)
		scope := &matcherScope{lists: l.cfg.lists, rollups: p.rollups[f]}
		for j, text := range vals {
			if err := compileMatcher(set, f, text, scope); err != nil {
				l.errorf(nodes[j], fpath, "%v", err)
				continue
			}
			texts = append(texts, text)
		}
		set, texts = normalizeForRollup(p, f, set, texts)
		c.match[f] = set
		c.If = append(c.If, FieldMatch{Field: f, Values: texts})
	})
	if count == 0 && l.resolve(n).Kind == yaml.MappingNode {
		l.errorf(n, path, "empty condition: name at least one field")
	}
	sortMatches(p, c.If)
}

// normalizeForRollup replaces exact condition values that the policy rolls
// up with the rollup key, so a condition for mx1.example.com applies to
// the whole #name key when the policy rolls mx1.example.com into #name.
func normalizeForRollup(p *Policy, f Field, set *matcherSet, texts []string) (*matcherSet, []string) {
	r := p.rollups[f]
	if r == nil {
		return set, texts
	}
	out := newMatcherSet(f)
	changed := false
	for _, m := range set.items {
		if m.kind == matchExact && !strings.HasPrefix(m.value, "#") {
			if key, ok := r.apply(m.value); ok {
				m = matcher{kind: matchExact, text: key, value: key}
				changed = true
			}
		}
		out.add(m)
	}
	if !changed {
		return set, texts
	}
	// The display texts follow the items one to one unless a list
	// expanded; show the normalised items in that case too.
	newTexts := make([]string, 0, len(out.items))
	seen := map[string]bool{}
	for _, m := range out.items {
		if !seen[m.text] {
			seen[m.text] = true
			newTexts = append(newTexts, m.text)
		}
	}
	return out, newTexts
}

// sortMatches orders condition fields as the policy lists them.
func sortMatches(p *Policy, ms []FieldMatch) {
	pos := func(f Field) int {
		for i, pf := range p.Fields {
			if pf == f {
				return i
			}
		}
		return int(f) + len(p.Fields)
	}
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && pos(ms[j].Field) < pos(ms[j-1].Field); j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// limits reads "then", "default" or a dynamic policy's limits.
func (l *loader) limits(n *yaml.Node, path string) *Limits {
	lim := &Limits{}
	errsBefore := len(l.errs)
	ok := l.mapping(n, path, func(key string, k, v *yaml.Node) {
		kpath := join(path, key)
		switch key {
		case "concurrency":
			s, ok := l.scalar(v, kpath)
			if !ok {
				return
			}
			c, err := strconv.Atoi(s)
			if err != nil || c < 1 {
				l.errorf(v, kpath, "expected an integer of at least 1, got %q", s)
				return
			}
			lim.Concurrency = c
		case "rate":
			s, ok := l.scalar(v, kpath)
			if !ok {
				return
			}
			r, err := ParseRate(s)
			if err != nil {
				l.errorf(v, kpath, "%v", err)
				return
			}
			lim.Rate = r
		case "connectinterval":
			s, ok := l.scalar(v, kpath)
			if !ok {
				return
			}
			d, err := parseSeconds(s)
			if err != nil {
				l.errorf(v, kpath, "expected a positive number of seconds, got %q", s)
				return
			}
			lim.ConnectInterval = d
		case "tag":
			if s, ok := l.scalar(v, kpath); ok {
				lim.Tags = append(lim.Tags, s)
			}
		case "tags":
			vals, _ := l.stringList(v, kpath)
			lim.Tags = append(lim.Tags, vals...)
		case "properties":
			lim.Properties = map[string]string{}
			l.mapping(v, kpath, func(name string, pk, pv *yaml.Node) {
				if s, ok := l.scalar(pv, join(kpath, name)); ok {
					lim.Properties[name] = s
				}
			})
		case "stop", "cluster":
			s, ok := l.scalar(v, kpath)
			if !ok {
				return
			}
			b, err := strconv.ParseBool(s)
			if err != nil {
				l.errorf(v, kpath, "expected true or false, got %q", s)
				return
			}
			if key == "stop" {
				lim.Stop = &b
			} else {
				lim.Cluster = &b
			}
		default:
			l.errorf(k, kpath, "unknown key")
		}
	})
	if ok && !lim.Limited() && len(l.errs) == errsBefore {
		l.errorf(n, path, "no limit set: give at least one of concurrency, rate and connectinterval")
	}
	return lim
}

// suspend reads one configured suspend: field matchers and an optional tag.
func (l *loader) suspend(n *yaml.Node, path string, policies []*Policy) *Suspend {
	s := &Suspend{}
	count := 0
	ok := l.mapping(n, path, func(key string, k, v *yaml.Node) {
		kpath := join(path, key)
		if key == "tag" {
			if t, ok := l.scalar(v, kpath); ok {
				s.Tag = t
			}
			return
		}
		f, ok := ParseField(key)
		if !ok {
			l.errorf(k, kpath, "unknown field %q", key)
			return
		}
		count++
		vals, nodes := l.stringList(v, kpath)
		set := newMatcherSet(f)
		scope := &matcherScope{lists: l.cfg.lists, suspendRollups: rollupNames(policies, f)}
		var texts []string
		for j, text := range vals {
			if err := compileMatcher(set, f, text, scope); err != nil {
				l.errorf(nodes[j], kpath, "%v", err)
				continue
			}
			texts = append(texts, text)
		}
		s.match[f] = set
		s.Match = append(s.Match, FieldMatch{Field: f, Values: texts})
	})
	if !ok {
		return nil
	}
	if count == 0 {
		l.errorf(n, path, "empty suspend: name at least one field")
	}
	s.identity = suspendIdentity(s.Match)
	return s
}

// rollupNames returns the names of the rollups any of policies defines for
// field f.
func rollupNames(policies []*Policy, f Field) map[string]bool {
	names := map[string]bool{}
	for _, p := range policies {
		if r := p.rollups[f]; r != nil {
			for _, n := range r.names {
				names[n] = true
			}
		}
	}
	return names
}
