package builtins

// json_encode and json_decode. The decoder builds HSL values directly,
// without an intermediate tree, and shares the input's bytes for strings
// that contain no escapes.

import (
	"errors"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/halonsh/halonsh/lang/vm"
)

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"json_encode": builtinJSONEncode,
		"json_decode": builtinJSONDecode,
	})
}

// maxJSONDepth is the deepest nesting of arrays and objects json_decode
// accepts.
const maxJSONDepth = 512

func builtinJSONDecode(c *vm.Call, args []vm.Value) (vm.Value, error) {
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
	comments, err := opts.boolean("allow_comments", false)
	if err != nil {
		return vm.None, err
	}

	v, ok := decodeJSON(text, comments)
	if !ok {
		return vm.None, nil
	}
	return v, nil
}

// decodeJSON parses one JSON text (any value at the top) into an HSL
// value. ok is false for invalid JSON, trailing text or nesting deeper
// than maxJSONDepth. Bytes that are not valid UTF-8 stay as they are in
// the decoded strings, because HSL strings are byte strings.
func decodeJSON(text string, comments bool) (v vm.Value, ok bool) {
	d := &jsonDecoder{data: text, comments: comments}
	v, ok = d.value()
	if !ok {
		return vm.None, false
	}
	if !d.skipSpace() || d.pos != len(d.data) {
		return vm.None, false
	}
	return v, true
}

type jsonDecoder struct {
	data     string
	pos      int
	depth    int
	comments bool

	// Scratch stacks shared by all nesting levels: a container collects
	// its items on top of the stacks and copies them out at its end, so
	// every array is allocated once at its final size. An object pairs
	// keys[baseKeys+i] with vals[baseVals+i], because enclosing lists keep
	// values without keys below its part of the value stack.
	keys []string
	vals []vm.Value
}

// skipSpace skips white space, and comments when they are allowed. It
// returns false for an unterminated block comment.
func (d *jsonDecoder) skipSpace() bool {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		case '/':
			if !d.comments || d.pos+1 >= len(d.data) {
				return true
			}
			switch d.data[d.pos+1] {
			case '/':
				d.pos += 2
				for d.pos < len(d.data) && d.data[d.pos] != '\n' {
					d.pos++
				}
			case '*':
				end := indexFrom(d.data, "*/", d.pos+2)
				if end < 0 {
					return false
				}
				d.pos = end + 2
			default:
				return true
			}
		default:
			return true
		}
	}
	return true
}

func indexFrom(s, sub string, from int) int {
	for i := from; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func (d *jsonDecoder) value() (vm.Value, bool) {
	if !d.skipSpace() || d.pos >= len(d.data) {
		return vm.None, false
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.list()
	case c == '"':
		s, ok := d.str()
		return vm.String(s), ok
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case c == 't':
		return vm.True, d.literal("true")
	case c == 'f':
		return vm.False, d.literal("false")
	case c == 'n':
		return vm.None, d.literal("null")
	}
	return vm.None, false
}

func (d *jsonDecoder) literal(word string) bool {
	if len(d.data)-d.pos < len(word) || d.data[d.pos:d.pos+len(word)] != word {
		return false
	}
	d.pos += len(word)
	return true
}

func (d *jsonDecoder) object() (vm.Value, bool) {
	if d.depth++; d.depth > maxJSONDepth {
		return vm.None, false
	}
	d.pos++ // '{'
	if !d.skipSpace() {
		return vm.None, false
	}
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return vm.ArrayValue(vm.NewArray(0)), true
	}

	baseKeys, baseVals := len(d.keys), len(d.vals)
	for {
		if !d.skipSpace() || d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return vm.None, false
		}
		key, ok := d.str()
		if !ok || !d.skipSpace() || d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return vm.None, false
		}
		d.pos++
		v, ok := d.value()
		if !ok {
			return vm.None, false
		}
		d.keys = append(d.keys, key)
		d.vals = append(d.vals, v)

		if !d.skipSpace() || d.pos >= len(d.data) {
			return vm.None, false
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.depth--
			n := len(d.keys) - baseKeys
			arr := vm.NewArray(n)
			for i := 0; i < n; i++ {
				arr.SetStr(d.keys[baseKeys+i], d.vals[baseVals+i])
			}
			d.keys = d.keys[:baseKeys]
			d.vals = d.vals[:baseVals]
			return vm.ArrayValue(arr), true
		default:
			return vm.None, false
		}
	}
}

func (d *jsonDecoder) list() (vm.Value, bool) {
	if d.depth++; d.depth > maxJSONDepth {
		return vm.None, false
	}
	d.pos++ // '['
	if !d.skipSpace() {
		return vm.None, false
	}
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return vm.ArrayValue(vm.NewArray(0)), true
	}

	base := len(d.vals)
	for {
		v, ok := d.value()
		if !ok {
			return vm.None, false
		}
		d.vals = append(d.vals, v)

		if !d.skipSpace() || d.pos >= len(d.data) {
			return vm.None, false
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth--
			items := make([]vm.Value, len(d.vals)-base)
			copy(items, d.vals[base:])
			d.vals = d.vals[:base]
			return vm.ArrayValue(vm.NewList(items)), true
		default:
			return vm.None, false
		}
	}
}

// str reads a string literal at pos (which is '"').
func (d *jsonDecoder) str() (string, bool) {
	start := d.pos + 1
	i := start
	// Fast path: no escapes, so the value is a slice of the input.
	for i < len(d.data) {
		c := d.data[i]
		if c == '"' {
			d.pos = i + 1
			return d.data[start:i], true
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", false
		}
		i++
	}

	buf := make([]byte, 0, i-start+16)
	buf = append(buf, d.data[start:i]...)
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case c == '"':
			d.pos = i + 1
			return string(buf), true
		case c < 0x20:
			return "", false
		case c != '\\':
			buf = append(buf, c)
			i++
			continue
		}

		if i+1 >= len(d.data) {
			return "", false
		}
		e := d.data[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, ok := hex4(d.data, i)
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				// A high surrogate followed by \u and a low surrogate is
				// one character; a lone surrogate becomes U+FFFD.
				if lo, ok := hex4(d.data, i+2); ok && i+1 < len(d.data) && d.data[i] == '\\' && d.data[i+1] == 'u' {
					if pair := utf16.DecodeRune(r, lo); pair != utf8.RuneError {
						r = pair
						i += 6
					} else {
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			}
			buf = utf8.AppendRune(buf, r)
		default:
			return "", false
		}
	}
	return "", false
}

// hex4 reads four hex digits at s[i:].
func hex4(s string, i int) (rune, bool) {
	if i < 0 || i+4 > len(s) {
		return 0, false
	}
	var r rune
	for k := 0; k < 4; k++ {
		c := s[i+k]
		if !isHexDigit(c) {
			return 0, false
		}
		r = r<<4 | rune(hexValue(c))
	}
	return r, true
}

// number reads an RFC 8259 number. Integers of up to 15 digits are
// converted directly; others go through strconv.ParseFloat. A number
// beyond the float64 range is invalid.
func (d *jsonDecoder) number() (vm.Value, bool) {
	start := d.pos
	i := start
	neg := false
	if d.data[i] == '-' {
		neg = true
		i++
	}

	intStart := i
	var n int64
	switch {
	case i < len(d.data) && d.data[i] == '0':
		i++
	case i < len(d.data) && d.data[i] >= '1' && d.data[i] <= '9':
		for i < len(d.data) && d.data[i] >= '0' && d.data[i] <= '9' {
			n = n*10 + int64(d.data[i]-'0')
			i++
		}
	default:
		return vm.None, false
	}
	simple := i-intStart <= 15

	if i < len(d.data) && d.data[i] == '.' {
		simple = false
		i++
		digits := i
		for i < len(d.data) && d.data[i] >= '0' && d.data[i] <= '9' {
			i++
		}
		if i == digits {
			return vm.None, false
		}
	}
	if i < len(d.data) && (d.data[i] == 'e' || d.data[i] == 'E') {
		simple = false
		i++
		if i < len(d.data) && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		digits := i
		for i < len(d.data) && d.data[i] >= '0' && d.data[i] <= '9' {
			i++
		}
		if i == digits {
			return vm.None, false
		}
	}
	d.pos = i

	if simple {
		f := float64(n)
		if neg {
			f = -f
		}
		return vm.Number(f), true
	}
	f, err := strconv.ParseFloat(d.data[start:i], 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) || math.IsInf(f, 0) {
		return vm.None, false
	}
	return vm.Number(f), true
}

func builtinJSONEncode(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	opts, err := newLibArgs(c, args).options(1)
	if err != nil {
		return vm.None, err
	}
	ascii, err := opts.boolean("ensure_ascii", true)
	if err != nil {
		return vm.None, err
	}
	pretty, err := opts.boolean("pretty_print", false)
	if err != nil {
		return vm.None, err
	}

	e := &jsonEncoder{ascii: ascii, pretty: pretty}
	if !e.value(args[0], 0) {
		return vm.None, nil
	}
	return vm.String(string(e.buf)), nil
}

// jsonEncoder writes compact or pretty JSON; value returns false for a
// value JSON cannot represent (NaN, infinities, invalid UTF-8, functions,
// objects, regexes, resources).
type jsonEncoder struct {
	buf    []byte
	ascii  bool
	pretty bool
}

func (e *jsonEncoder) value(v vm.Value, depth int) bool {
	switch v.Kind() {
	case vm.KindNone:
		e.buf = append(e.buf, "null"...)
	case vm.KindBool:
		e.buf = strconv.AppendBool(e.buf, v.Bool())
	case vm.KindNumber:
		f := v.Num()
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return false
		}
		e.buf = appendJSONNumber(e.buf, f)
	case vm.KindString:
		return e.str(v.Str())
	case vm.KindArray:
		return e.array(v.Array(), depth)
	default:
		return false
	}
	return true
}

// appendJSONNumber writes an integral number below 2^53 in integer form
// and any other number as the shortest decimal that reads back the same,
// in the ECMAScript layout (1e+21, 0.000001, 1.5e-7). Integers from 2^53
// to 1e21 keep only their shortest digits, padded with zeros.
func appendJSONNumber(dst []byte, f float64) []byte {
	if f != math.Trunc(f) || math.Abs(f) >= 1e21 {
		return vm.AppendNumber(dst, f)
	}
	if math.Abs(f) < 1<<53 {
		return strconv.AppendInt(dst, int64(f), 10)
	}

	var tmp [32]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', -1, 64)
	if e[0] == '-' {
		dst = append(dst, '-')
		e = e[1:]
	}
	mark := 0
	for e[mark] != 'e' {
		mark++
	}
	exp, _ := strconv.Atoi(string(e[mark+1:]))
	digits := 0
	for _, c := range e[:mark] {
		if c != '.' {
			dst = append(dst, c)
			digits++
		}
	}
	for ; digits <= exp; digits++ {
		dst = append(dst, '0')
	}
	return dst
}

func (e *jsonEncoder) newline(depth int) {
	if !e.pretty {
		return
	}
	e.buf = append(e.buf, '\n')
	for i := 0; i < depth; i++ {
		e.buf = append(e.buf, "    "...)
	}
}

func (e *jsonEncoder) array(arr *vm.Array, depth int) bool {
	if arr.Len() == 0 {
		e.buf = append(e.buf, "[]"...)
		return true
	}
	list := arr.IsList()
	open, close := byte('{'), byte('}')
	if list {
		open, close = '[', ']'
	}

	e.buf = append(e.buf, open)
	ok := true
	first := true
	arr.Each(func(k vm.Key, v vm.Value) bool {
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		e.newline(depth + 1)
		if !list {
			if k.IsString() {
				ok = e.str(k.Str())
			} else {
				e.buf = append(e.buf, '"')
				e.buf = strconv.AppendInt(e.buf, int64(k.Int()), 10)
				e.buf = append(e.buf, '"')
			}
			e.buf = append(e.buf, ':')
			if e.pretty {
				e.buf = append(e.buf, ' ')
			}
		}
		ok = ok && e.value(v, depth+1)
		return ok
	})
	e.newline(depth)
	e.buf = append(e.buf, close)
	return ok
}

const lowerHex = "0123456789abcdef"

func (e *jsonEncoder) str(s string) bool {
	e.buf = append(e.buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf && c != '"' && c != '\\' {
			e.buf = append(e.buf, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				e.buf = append(e.buf, '\\', c)
			case '\b':
				e.buf = append(e.buf, '\\', 'b')
			case '\f':
				e.buf = append(e.buf, '\\', 'f')
			case '\n':
				e.buf = append(e.buf, '\\', 'n')
			case '\r':
				e.buf = append(e.buf, '\\', 'r')
			case '\t':
				e.buf = append(e.buf, '\\', 't')
			default:
				e.appendU(rune(c))
			}
			i++
			continue
		}

		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		switch {
		case !e.ascii:
			e.buf = append(e.buf, s[i:i+size]...)
		case r > 0xFFFF:
			hi, lo := utf16.EncodeRune(r)
			e.appendU(hi)
			e.appendU(lo)
		default:
			e.appendU(r)
		}
		i += size
	}
	e.buf = append(e.buf, '"')
	return true
}

func (e *jsonEncoder) appendU(r rune) {
	e.buf = append(e.buf, '\\', 'u', lowerHex[r>>12&15], lowerHex[r>>8&15], lowerHex[r>>4&15], lowerHex[r&15])
}
