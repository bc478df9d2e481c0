package builtins

// String functions. Strings are byte strings: positions, lengths and
// "characters" count bytes.

import (
	"strings"

	"github.com/halonsh/halonsh/lang/vm"
)

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"chr":         builtinChr,
		"ord":         builtinOrd,
		"str_repeat":  builtinStrRepeat,
		"str_replace": builtinStrReplace,
		"str_split":   builtinStrSplit,
		"str_find":    builtinStrFind,
		"str_rfind":   builtinStrRfind,
		"str_lower":   strMap(asciiLower),
		"str_upper":   strMap(asciiUpper),
		"str_slice":   builtinStrSlice,
		"str_strip":   stripBuiltin(true, true),
		"str_lstrip":  stripBuiltin(true, false),
		"str_rstrip":  stripBuiltin(false, true),
		"str_chunk":   builtinStrChunk,
	})
}

// maxResultBytes bounds strings and arrays that one builtin call builds
// from a small input (str_repeat, array_range), matching the default
// memory limit of a run.
const maxResultBytes = vm.DefaultMaxMemory

func builtinChr(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	n, err := newLibArgs(c, args).integer(0, "number")
	if err != nil {
		return vm.None, err
	}
	if n < 0 || n > 255 {
		return vm.None, c.Errorf("argument 1 (number) must be between 0 and 255, got %d", n)
	}
	return vm.String(string([]byte{byte(n)})), nil
}

func builtinOrd(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	s, err := newLibArgs(c, args).str(0, "character")
	if err != nil {
		return vm.None, err
	}
	if s == "" {
		return vm.None, nil
	}
	return vm.Int(int(s[0])), nil
}

func builtinStrRepeat(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	s, err := a.str(0, "string")
	if err != nil {
		return vm.None, err
	}
	n, err := a.integer(1, "multiplier")
	if err != nil {
		return vm.None, err
	}
	if n <= 0 || s == "" {
		return vm.String(""), nil
	}
	if n > int64(maxResultBytes/len(s)) {
		return vm.None, c.Errorf("result of %d bytes exceeds the memory limit", int64(len(s))*n)
	}
	return vm.String(strings.Repeat(s, int(n))), nil
}

func builtinStrReplace(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 3, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	search, err := a.str(0, "search")
	if err != nil {
		return vm.None, err
	}
	replace, err := a.str(1, "replace")
	if err != nil {
		return vm.None, err
	}
	subject, err := a.str(2, "subject")
	if err != nil {
		return vm.None, err
	}
	if search == "" {
		return vm.String(subject), nil
	}
	return vm.String(strings.ReplaceAll(subject, search, replace)), nil
}

func builtinStrSplit(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	s, err := a.str(0, "string")
	if err != nil {
		return vm.None, err
	}
	delim, err := a.str(1, "delimiter")
	if err != nil {
		return vm.None, err
	}
	var limit int64
	if len(args) > 2 {
		if limit, err = a.integer(2, "limit"); err != nil {
			return vm.None, err
		}
	}
	return listOfStrings(splitLimit(s, delim, limit)), nil
}

// splitLimit splits s on every delim. With limit > 0 there are at most
// limit parts and the last holds the rest; with limit < 0 at most −limit
// parts counted from the right, the first holding the rest. An empty
// delimiter splits into single bytes.
func splitLimit(s, delim string, limit int64) []string {
	var parts []string
	if delim == "" {
		parts = make([]string, 0, len(s))
		for i := 0; i < len(s); i++ {
			parts = append(parts, s[i:i+1])
		}
		if len(parts) == 0 {
			parts = []string{""}
		}
	} else {
		parts = strings.Split(s, delim)
	}

	switch {
	case limit > 0 && int64(len(parts)) > limit:
		head := parts[:limit-1]
		rest := strings.Join(parts[limit-1:], delim)
		return append(head[:len(head):len(head)], rest)
	case limit < 0 && int64(len(parts)) > -limit:
		keep := int(-limit) - 1
		split := len(parts) - keep
		first := strings.Join(parts[:split], delim)
		return append([]string{first}, parts[split:]...)
	}
	return parts
}

// listOfStrings returns a list value of the strings.
func listOfStrings(items []string) vm.Value {
	vals := make([]vm.Value, len(items))
	for i, s := range items {
		vals[i] = vm.String(s)
	}
	return vm.ArrayValue(vm.NewList(vals))
}

func builtinStrFind(c *vm.Call, args []vm.Value) (vm.Value, error) {
	s, sub, offset, err := findArgs(c, args)
	if err != nil {
		return vm.None, err
	}
	if offset < 0 {
		offset = max(int64(len(s))+offset, 0)
	}
	if sub == "" {
		return vm.Int(int(min(offset, int64(len(s))))), nil
	}
	if offset > int64(len(s)) {
		return vm.Int(-1), nil
	}
	i := strings.Index(s[offset:], sub)
	if i < 0 {
		return vm.Int(-1), nil
	}
	return vm.Int(int(offset) + i), nil
}

// builtinStrRfind returns the last position of the substring, ignoring
// the final offset bytes: a match may start at most at
// length − length(substring) − offset. A negative offset counts as 0.
func builtinStrRfind(c *vm.Call, args []vm.Value) (vm.Value, error) {
	s, sub, offset, err := findArgs(c, args)
	if err != nil {
		return vm.None, err
	}
	offset = max(offset, 0)
	lastStart := int64(len(s)) - int64(len(sub)) - offset
	if lastStart < 0 {
		return vm.Int(-1), nil
	}
	i := strings.LastIndex(s[:lastStart+int64(len(sub))], sub)
	return vm.Int(i), nil
}

func findArgs(c *vm.Call, args []vm.Value) (s, sub string, offset int64, err error) {
	if err = c.Arity(args, 2, 3); err != nil {
		return
	}
	a := newLibArgs(c, args)
	if s, err = a.str(0, "string"); err != nil {
		return
	}
	if sub, err = a.str(1, "substring"); err != nil {
		return
	}
	if len(args) > 2 {
		offset, err = a.integer(2, "offset")
	}
	return
}

// strMap returns a builtin that maps its one string argument with fn.
func strMap(fn func(string) string) vm.BuiltinFunc {
	return func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		if err := c.Arity(args, 1, 1); err != nil {
			return vm.None, err
		}
		s, err := newLibArgs(c, args).str(0, "string")
		if err != nil {
			return vm.None, err
		}
		return vm.String(fn(s)), nil
	}
}

// asciiLower lowers A–Z and leaves every other byte unchanged.
func asciiLower(s string) string {
	return asciiMapCase(s, 'A', 'Z', 'a'-'A')
}

// asciiUpper raises a–z and leaves every other byte unchanged.
func asciiUpper(s string) string {
	return asciiMapCase(s, 'a', 'z', 'A'-'a')
}

func asciiMapCase(s string, lo, hi byte, delta int) string {
	i := 0
	for i < len(s) && (s[i] < lo || s[i] > hi) {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if b[i] >= lo && b[i] <= hi {
			b[i] = byte(int(b[i]) + delta)
		}
	}
	return string(b)
}

// builtinStrSlice returns length bytes from offset. A negative offset
// counts from the end (clamped to the start); a negative length stops that
// many bytes before the end. A range outside the string gives "".
func builtinStrSlice(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	s, err := a.str(0, "string")
	if err != nil {
		return vm.None, err
	}
	offset, err := a.integer(1, "offset")
	if err != nil {
		return vm.None, err
	}
	n := int64(len(s))
	start := offset
	if start < 0 {
		start = max(n+start, 0)
	}
	if start >= n {
		return vm.String(""), nil
	}

	end := n
	if len(args) > 2 {
		length, err := a.integer(2, "length")
		if err != nil {
			return vm.None, err
		}
		if length < 0 {
			end = n + length
		} else {
			end = min(start+length, n)
		}
	}
	if end <= start {
		return vm.String(""), nil
	}
	return vm.String(s[start:end]), nil
}

// defaultStripSet is the byte set str_strip removes without a characters
// argument: space, TAB, CR and LF.
const defaultStripSet = " \t\r\n"

func stripBuiltin(left, right bool) vm.BuiltinFunc {
	return func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		if err := c.Arity(args, 1, 2); err != nil {
			return vm.None, err
		}
		a := newLibArgs(c, args)
		s, err := a.str(0, "string")
		if err != nil {
			return vm.None, err
		}
		set := defaultStripSet
		if len(args) > 1 {
			if set, err = a.str(1, "characters"); err != nil {
				return vm.None, err
			}
		}
		if left {
			s = trimLeftBytes(s, set)
		}
		if right {
			s = trimRightBytes(s, set)
		}
		return vm.String(s), nil
	}
}

// trimLeftBytes removes leading bytes found in set. Unlike
// strings.TrimLeft it treats set as bytes, not UTF-8 characters.
func trimLeftBytes(s, set string) string {
	i := 0
	for i < len(s) && strings.IndexByte(set, s[i]) >= 0 {
		i++
	}
	return s[i:]
}

func trimRightBytes(s, set string) string {
	i := len(s)
	for i > 0 && strings.IndexByte(set, s[i-1]) >= 0 {
		i--
	}
	return s[:i]
}

func builtinStrChunk(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	s, err := a.str(0, "string")
	if err != nil {
		return vm.None, err
	}
	length, err := a.integer(1, "length")
	if err != nil {
		return vm.None, err
	}
	if length <= 0 {
		return vm.None, c.Errorf("argument 2 (length) must be positive, got %d", length)
	}
	first := length
	if len(args) > 2 {
		if first, err = a.integer(2, "firstlength"); err != nil {
			return vm.None, err
		}
		if first <= 0 {
			return vm.None, c.Errorf("argument 3 (firstlength) must be positive, got %d", first)
		}
	}

	var pieces []string
	size := first
	for len(s) > 0 {
		n := min(int64(len(s)), size)
		pieces = append(pieces, s[:n])
		s = s[n:]
		size = length
	}
	return listOfStrings(pieces), nil
}
