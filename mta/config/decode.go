package config

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// decoder walks a yaml.v3 node tree and collects every error with its
// position and key path, so one load reports all problems of a file.
type decoder struct {
	file string
	errs ErrorList
}

func (d *decoder) errorf(n *yaml.Node, key, format string, args ...any) {
	e := &Error{File: d.file, Key: key, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// field decodes the value of one key of a mapping.
type field func(value *yaml.Node, key string)

// mapping decodes a YAML mapping whose keys must all be in fields. Unknown
// and duplicate keys are errors, and a misspelt key gets a suggestion.
func (d *decoder) mapping(n *yaml.Node, key string, fields map[string]field) {
	if n == nil || isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, key, "expected a mapping, got %s", kindName(n))
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		path := join(key, k.Value)
		if seen[k.Value] {
			d.errorf(k, path, "duplicate key")
			continue
		}
		seen[k.Value] = true
		f, ok := fields[k.Value]
		if !ok {
			d.errorf(k, path, "unknown key%s", suggest(k.Value, fields))
			continue
		}
		f(v, path)
	}
}

// list decodes a YAML sequence item by item.
func (d *decoder) list(n *yaml.Node, key string, item func(i int, v *yaml.Node, key string)) {
	if n == nil || isNull(n) {
		return
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, key, "expected a list, got %s", kindName(n))
		return
	}
	for i, v := range n.Content {
		item(i, v, fmt.Sprintf("%s[%d]", key, i))
	}
}

func (d *decoder) scalar(n *yaml.Node, key string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, key, "expected a scalar value, got %s", kindName(n))
		return "", false
	}
	return n.Value, true
}

func (d *decoder) str(dst *string) field {
	return func(n *yaml.Node, key string) {
		if isNull(n) {
			return
		}
		if s, ok := d.scalar(n, key); ok {
			*dst = s
		}
	}
}

func (d *decoder) boolean(dst *bool) field {
	return func(n *yaml.Node, key string) {
		s, ok := d.scalar(n, key)
		if !ok {
			return
		}
		switch strings.ToLower(s) {
		case "true", "yes", "on":
			*dst = true
		case "false", "no", "off":
			*dst = false
		default:
			d.errorf(n, key, "expected true or false, got %q", s)
		}
	}
}

// integer decodes a whole number of at least min.
func (d *decoder) integer(dst *int, min int) field {
	return func(n *yaml.Node, key string) {
		s, ok := d.scalar(n, key)
		if !ok {
			return
		}
		v, err := strconv.Atoi(s)
		if err != nil {
			d.errorf(n, key, "expected a whole number, got %q", s)
			return
		}
		if v < min {
			d.errorf(n, key, "must be at least %d, got %d", min, v)
			return
		}
		*dst = v
	}
}

// size decodes a byte count: a number with an optional k, m or g suffix
// (powers of 1024).
func (d *decoder) size(dst *int64) field {
	return func(n *yaml.Node, key string) {
		s, ok := d.scalar(n, key)
		if !ok {
			return
		}
		v, err := parseSize(s)
		if err != nil {
			d.errorf(n, key, "%v", err)
			return
		}
		*dst = v
	}
}

// duration decodes a positive duration: a Go duration with an optional d
// (day) unit, or a bare number of seconds.
func (d *decoder) duration(dst *time.Duration) field {
	return func(n *yaml.Node, key string) {
		s, ok := d.scalar(n, key)
		if !ok {
			return
		}
		v, err := ParseDuration(s)
		if err != nil {
			d.errorf(n, key, "%v", err)
			return
		}
		*dst = v
	}
}

// ParseDuration parses "30s", "5m", "1h30m", "2d" or a bare number of
// seconds ("90", "0.5"). The result must be positive.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("invalid duration \"\": expected a number of seconds or a duration such as 30s, 5m, 1h, 2d")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, fmt.Errorf("invalid duration %q: must be positive", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}

	// Go's parser has no day unit; a day is taken as 24 hours.
	rest := s
	var total time.Duration
	if i := strings.IndexByte(rest, 'd'); i > 0 {
		days, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: expected a number of seconds or a duration such as 30s, 5m, 1h, 2d", s)
		}
		total = time.Duration(days * float64(24*time.Hour))
		rest = rest[i+1:]
	}
	if rest != "" {
		v, err := time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: expected a number of seconds or a duration such as 30s, 5m, 1h, 2d", s)
		}
		total += v
	}
	if total <= 0 {
		return 0, fmt.Errorf("invalid duration %q: must be positive", s)
	}
	return total, nil
}

func parseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	switch {
	case strings.HasSuffix(t, "k"):
		mult, t = 1<<10, t[:len(t)-1]
	case strings.HasSuffix(t, "m"):
		mult, t = 1<<20, t[:len(t)-1]
	case strings.HasSuffix(t, "g"):
		mult, t = 1<<30, t[:len(t)-1]
	}
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil || v < 1 {
		return 0, fmt.Errorf("invalid size %q: expected a positive number of bytes, optionally with k, m or g", s)
	}
	return v * mult, nil
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "an unexpected node"
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// suggest returns ` (did you mean "x"?)` for the known key closest to
// name, or "" when none is close.
func suggest(name string, fields map[string]field) string {
	best, bestDist := "", 3
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if dist := editDistance(name, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
