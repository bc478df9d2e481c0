package policy

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxNodes bounds the YAML nodes one file may expand to, counting every
// visit through an alias, so that alias bombs fail instead of exhausting
// memory and time. A variable so that tests can lower it.
var maxNodes = 1 << 20

var listNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Load parses and validates a policy configuration. name is used in error
// positions, such as "smtpd-policy.yaml:12:7: ...". It accepts both the 5.2
// form (rollups inline in fields) and the current form (lists, grouping,
// version). A file with only a "suspends" key is a valid suspend file.
// The error is an ErrorList holding every problem found.
func Load(name string, data []byte) (*Config, error) {
	return load(name, data, nil)
}

// load parses one file; base, when set, holds policies loaded earlier whose
// rollups the file's suspends may reference.
func load(name string, data []byte, base *Config) (*Config, error) {
	l := &loader{file: name, cfg: &Config{File: name, lists: map[string]*valueList{}}}

	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		l.errs = append(l.errs, yamlError(name, err))
		return nil, l.errs
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return l.cfg, nil // an empty file is an empty configuration
	}
	l.root(doc.Content[0], base)
	if len(l.errs) > 0 {
		return nil, l.errs
	}
	return l.cfg, nil
}

var yamlLineRE = regexp.MustCompile(`(?s)^line (\d+): (.*)$`)

// yamlError turns a yaml.v3 syntax error into a positioned Error.
func yamlError(file string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &Error{File: file}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	e.Msg = "invalid YAML: " + msg
	return e
}

type loader struct {
	file  string
	cfg   *Config
	errs  ErrorList
	nodes int

	// idNodes holds the node of each policy's id (or the policy itself
	// when it has none), for duplicate-id errors.
	idNodes []*yaml.Node
}

// maxErrors bounds the errors reported for one file.
const maxErrors = 100

func (l *loader) errorf(n *yaml.Node, path, format string, args ...any) {
	if len(l.errs) > maxErrors {
		return
	}
	e := &Error{File: l.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if len(l.errs) == maxErrors {
		e.Path, e.Msg = "", "too many errors"
	}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	l.errs = append(l.errs, e)
}

// nullNode replaces every node past maxNodes, so that callers never see
// nil.
var nullNode = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}

// resolve follows aliases and counts nodes against maxNodes. Past the
// limit it reports one error and returns nullNode.
func (l *loader) resolve(n *yaml.Node) *yaml.Node {
	for depth := 0; n != nil && n.Kind == yaml.AliasNode && depth < 100; depth++ {
		n = n.Alias
	}
	l.nodes++
	if l.nodes > maxNodes || n == nil {
		if l.nodes == maxNodes+1 {
			l.errorf(nil, "", "configuration too large: more than %d YAML nodes after expanding aliases", maxNodes)
		}
		return nullNode
	}
	return n
}

// mapping iterates the key/value pairs of a mapping node, rejecting
// duplicate keys and keys that are not scalars. It returns false when n is
// not a mapping.
func (l *loader) mapping(n *yaml.Node, path string, each func(key string, k, v *yaml.Node)) bool {
	n = l.resolve(n)
	if n.Kind != yaml.MappingNode {
		l.errorf(n, path, "expected a mapping, got %s", kindName(n))
		return false
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content) && l.nodes <= maxNodes; i += 2 {
		k, v := l.resolve(n.Content[i]), n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			l.errorf(k, path, "expected a string key, got %s", kindName(k))
			continue
		}
		if seen[k.Value] {
			l.errorf(k, join(path, k.Value), "duplicate key")
			continue
		}
		seen[k.Value] = true
		each(k.Value, k, v)
	}
	return true
}

// sequence iterates the items of a sequence node.
func (l *loader) sequence(n *yaml.Node, path string, each func(i int, item *yaml.Node)) bool {
	n = l.resolve(n)
	if n.Kind != yaml.SequenceNode {
		l.errorf(n, path, "expected a list, got %s", kindName(n))
		return false
	}
	for i, item := range n.Content {
		if l.nodes > maxNodes {
			break
		}
		each(i, item)
	}
	return true
}

// scalar returns the text of a scalar node; null is an error.
func (l *loader) scalar(n *yaml.Node, path string) (string, bool) {
	n = l.resolve(n)
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		l.errorf(n, path, "expected a value, got %s", kindName(n))
		return "", false
	}
	return n.Value, true
}

// stringList reads a scalar or a list of scalars.
func (l *loader) stringList(n *yaml.Node, path string) ([]string, []*yaml.Node) {
	r := l.resolve(n)
	if r.Kind == yaml.SequenceNode {
		var vals []string
		var nodes []*yaml.Node
		l.sequence(r, path, func(i int, item *yaml.Node) {
			if s, ok := l.scalar(item, index(path, i)); ok {
				vals = append(vals, s)
				nodes = append(nodes, l.resolve(item))
			}
		})
		if len(vals) == 0 && len(r.Content) == 0 {
			l.errorf(r, path, "empty list")
		}
		return vals, nodes
	}
	s, ok := l.scalar(r, path)
	if !ok {
		return nil, nil
	}
	return []string{s}, []*yaml.Node{r}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return strconv.Quote(n.Value)
	}
	return "nothing"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// root reads the top-level mapping. Lists are read first so that policies
// may reference lists defined after them.
func (l *loader) root(n *yaml.Node, base *Config) {
	var policies, suspends, queues *yaml.Node
	ok := l.mapping(n, "", func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			if s, ok := l.scalar(v, key); ok {
				l.cfg.Version = s
			}
		case "lists":
			l.lists(v)
		case "policies":
			policies = v
		case "suspends":
			suspends = v
		case "queues":
			queues = v
		default:
			l.errorf(k, key, "unknown key")
		}
	})
	if !ok {
		return
	}
	if queues != nil {
		l.queues(queues)
	}
	if policies != nil {
		l.sequence(policies, "policies", func(i int, item *yaml.Node) {
			l.policy(item, i)
		})
		l.checkPolicyIDs()
	}
	if suspends != nil {
		ctx := l.cfg.Policies
		if base != nil {
			ctx = append(append([]*Policy(nil), base.Policies...), ctx...)
		}
		l.sequence(suspends, "suspends", func(i int, item *yaml.Node) {
			if s := l.suspend(item, index("suspends", i), ctx); s != nil {
				s.ID = index("suspends", i)
				l.cfg.Suspends = append(l.cfg.Suspends, s)
			}
		})
	}
}

func (l *loader) lists(n *yaml.Node) {
	l.mapping(n, "lists", func(name string, k, v *yaml.Node) {
		path := join("lists", name)
		if !listNameRE.MatchString(name) {
			l.errorf(k, path, "invalid list name %q: use letters, digits, '_', '.' and '-'", name)
			return
		}
		list := &valueList{name: name}
		vals, nodes := l.stringList(v, path)
		for i, s := range vals {
			list.items = append(list.items, listItem{text: s, line: nodes[i].Line, col: nodes[i].Column})
		}
		l.cfg.lists[name] = list
	})
}

func (l *loader) checkPolicyIDs() {
	seen := map[string]int{}
	for i, p := range l.cfg.Policies {
		if j, dup := seen[p.ID]; dup {
			l.errorf(l.idNodes[i], index("policies", i)+".id", "duplicate policy id %q (also policies[%d])", p.ID, j)
			continue
		}
		seen[p.ID] = i
	}
}
