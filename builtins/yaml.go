package builtins

// yaml_decode on gopkg.in/yaml.v3.

import (
	"math"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/halonsh/halonsh/lang/vm"
)

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"yaml_decode": builtinYAMLDecode,
	})
}

// maxYAMLNodes bounds the nodes one yaml_decode builds, counting every
// expansion of an alias, so that a document of nested aliases ("billion
// laughs") cannot exhaust memory. Tests lower it.
var maxYAMLNodes = 1_000_000

// builtinYAMLDecode returns the first document of a YAML stream as HSL
// data, or none for a syntax error. The `tags` option maps local tags
// (such as !Map) to functions that receive the node's plain data and
// whose result replaces it.
func builtinYAMLDecode(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	text, err := a.str(0, "string")
	if err != nil {
		return vm.None, err
	}
	opts, err := a.options(1)
	if err != nil {
		return vm.None, err
	}
	tags, err := opts.array("tags")
	if err != nil {
		return vm.None, err
	}
	if tags != nil {
		err := eachPair(tags, func(k vm.Key, v vm.Value) error {
			if v.Kind() != vm.KindFunction {
				return c.Errorf("option \"tags\": %s must be a function, got %s", k.String(), v.TypeName())
			}
			return nil
		})
		if err != nil {
			return vm.None, err
		}
	}

	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return vm.None, nil
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return vm.None, nil
	}

	d := &yamlDecoder{c: c, tags: tags}
	v, ok, err := d.node(doc.Content[0], 0)
	if err != nil {
		return vm.None, err
	}
	if !ok {
		return vm.None, nil
	}
	return v, nil
}

type yamlDecoder struct {
	c     *vm.Call
	tags  *vm.Array
	nodes int
}

// node converts one node. ok is false when the document is too large or
// a scalar cannot be read; err is an exception from a tag function.
func (d *yamlDecoder) node(n *yaml.Node, depth int) (vm.Value, bool, error) {
	if d.nodes++; d.nodes > maxYAMLNodes || depth > maxJSONDepth {
		return vm.None, false, nil
	}

	var v vm.Value
	var ok bool
	var err error
	switch n.Kind {
	case yaml.AliasNode:
		return d.node(n.Alias, depth+1)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return vm.None, true, nil
		}
		return d.node(n.Content[0], depth+1)
	case yaml.SequenceNode:
		vals := make([]vm.Value, 0, len(n.Content))
		for _, item := range n.Content {
			var iv vm.Value
			if iv, ok, err = d.node(item, depth+1); !ok || err != nil {
				return vm.None, ok, err
			}
			vals = append(vals, iv)
		}
		v, ok = vm.ArrayValue(vm.NewList(vals)), true
	case yaml.MappingNode:
		v, ok, err = d.mapping(n, depth)
		if !ok || err != nil {
			return vm.None, ok, err
		}
	default:
		if v, ok = scalarValue(n); !ok {
			return vm.None, false, nil
		}
	}

	return d.applyTag(n, v)
}

// mapping converts a mapping; keys go through string() and the array key
// rules. Merge keys (<<) add the pairs of the merged mappings that the
// mapping does not set itself.
func (d *yamlDecoder) mapping(n *yaml.Node, depth int) (vm.Value, bool, error) {
	out := vm.NewArray(len(n.Content) / 2)
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		keyNode, valueNode := n.Content[i], n.Content[i+1]
		if keyNode.Kind == yaml.ScalarNode && keyNode.ShortTag() == "!!merge" {
			merges = append(merges, valueNode)
			continue
		}
		key, ok, err := d.node(keyNode, depth+1)
		if !ok || err != nil {
			return vm.None, ok, err
		}
		value, ok, err := d.node(valueNode, depth+1)
		if !ok || err != nil {
			return vm.None, ok, err
		}
		out.SetStr(key.String(), value)
	}

	for _, m := range merges {
		sources := []*yaml.Node{m}
		if resolved := resolveAlias(m); resolved.Kind == yaml.SequenceNode {
			sources = resolved.Content
		}
		for _, src := range sources {
			merged, ok, err := d.node(src, depth+1)
			if !ok || err != nil {
				return vm.None, ok, err
			}
			if merged.Kind() != vm.KindArray {
				return vm.None, false, nil
			}
			merged.Array().Each(func(k vm.Key, v vm.Value) bool {
				if !out.Has(k) {
					out.Set(k, v)
				}
				return true
			})
		}
	}
	return vm.ArrayValue(out), true, nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// scalarValue resolves a scalar with the YAML 1.2 core schema: null,
// booleans, integers and floats become none, booleans and numbers, and
// everything else a string. A scalar with a local tag is resolved as if
// it had no tag.
func scalarValue(n *yaml.Node) (vm.Value, bool) {
	plain := *n
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		plain.Tag = ""
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			plain.Tag = "!!str"
		}
	}

	switch plain.ShortTag() {
	case "!!null":
		return vm.None, true
	case "!!bool":
		var b bool
		if err := plain.Decode(&b); err != nil {
			return vm.None, false
		}
		return vm.Bool(b), true
	case "!!int", "!!float":
		var f float64
		if err := plain.Decode(&f); err != nil {
			return vm.None, false
		}
		if math.IsInf(f, 0) && plain.ShortTag() == "!!int" {
			return vm.None, false
		}
		return vm.Number(f), true
	}
	return vm.String(n.Value), true
}

// applyTag replaces v with the result of the tag function of n's local
// tag, when the tags option names one. The tag is looked up with and
// without its leading "!".
func (d *yamlDecoder) applyTag(n *yaml.Node, v vm.Value) (vm.Value, bool, error) {
	if d.tags == nil || n.Tag == "" || !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") {
		return v, true, nil
	}
	fn, ok := d.tags.GetStr(n.Tag)
	if !ok {
		fn, ok = d.tags.GetStr(strings.TrimPrefix(n.Tag, "!"))
	}
	if !ok {
		return v, true, nil
	}
	result, err := d.c.Call(fn, v)
	if err != nil {
		return vm.None, false, err
	}
	return result, true, nil
}
