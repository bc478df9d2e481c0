package policy

import (
	"gopkg.in/yaml.v3"
)

// groupings computes the grouping field from "queues.grouping": the "&id"
// of the first grouping whose remotemx, remoteip or recipientdomain list
// matches the entry, else the value of the default field, else "".
type groupings struct {
	items        []grouping
	defaultField Field
	hasDefault   bool
}

type grouping struct {
	key   string // "&" + id
	match [numFields]*matcherSet
}

// resolve returns the grouping value of e.
func (g *groupings) resolve(e *Entry) string {
	for i := range g.items {
		item := &g.items[i]
		for f := Field(0); f < numFields; f++ {
			m := item.match[f]
			if m != nil && m.first(normalizeValue(f, e.Value(f)), false, nil) >= 0 {
				return item.key
			}
		}
	}
	if g.hasDefault {
		return normalizeValue(g.defaultField, e.Value(g.defaultField))
	}
	return ""
}

// queues reads "queues.grouping", the current upstream's way to fill the
// grouping field.
func (l *loader) queues(n *yaml.Node) {
	l.mapping(n, "queues", func(key string, k, v *yaml.Node) {
		if key != "grouping" {
			l.errorf(k, join("queues", key), "unknown key")
			return
		}
		g := &groupings{}
		path := "queues.grouping"
		l.mapping(v, path, func(key string, k, v *yaml.Node) {
			kpath := join(path, key)
			switch key {
			case "default":
				s, ok := l.scalar(v, kpath)
				if !ok {
					return
				}
				switch s {
				case "remotemx":
					g.defaultField, g.hasDefault = RemoteMX, true
				case "recipientdomain":
					g.defaultField, g.hasDefault = RecipientDomain, true
				case "":
				default:
					l.errorf(v, kpath, "expected remotemx, recipientdomain or \"\", got %q", s)
				}
			case "groupings":
				l.sequence(v, kpath, func(i int, item *yaml.Node) {
					if gr, ok := l.grouping(item, index(kpath, i)); ok {
						g.items = append(g.items, gr)
					}
				})
			default:
				l.errorf(k, kpath, "unknown key")
			}
		})
		l.cfg.groupings = g
	})
}

func (l *loader) grouping(n *yaml.Node, path string) (grouping, bool) {
	var g grouping
	ok := l.mapping(n, path, func(key string, k, v *yaml.Node) {
		kpath := join(path, key)
		switch key {
		case "id":
			if s, ok := l.scalar(v, kpath); ok {
				g.key = "&" + s
			}
		case "remotemx", "remoteip", "recipientdomain":
			f, _ := ParseField(key)
			vals, nodes := l.stringList(v, kpath)
			set := newMatcherSet(f)
			scope := &matcherScope{lists: l.cfg.lists, inRollup: true}
			for j, text := range vals {
				if err := compileMatcher(set, f, text, scope); err != nil {
					l.errorf(nodes[j], index(kpath, j), "%v", err)
				}
			}
			g.match[f] = set
		default:
			l.errorf(k, kpath, "unknown key")
		}
	})
	if ok && g.key == "" {
		l.errorf(n, path, "missing key \"id\"")
		return g, false
	}
	return g, ok
}
