package builtins

// The byte layout behind pack() and unpack(). Each code may be followed by
// a count (decimal digits) or `*`.

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strings"
)

// packItem is one code of a pack format with its count; star is true for
// `*`, and count is 1 when none was written.
type packItem struct {
	code  byte
	count int
	star  bool
}

// parsePackFormat splits a format into items; ok is false for an unknown
// code or a malformed count.
func parsePackFormat(format string, unpacking bool) ([]packItem, bool) {
	var items []packItem
	for i := 0; i < len(format); {
		code := format[i]
		i++
		switch code {
		case 'a', 'Z', 'H', 'C', 'n', 'v', 'N', 'V', 'e', 'E', 'x':
		case 'c':
			if !unpacking {
				return nil, false
			}
		default:
			return nil, false
		}

		item := packItem{code: code, count: 1}
		switch {
		case i < len(format) && format[i] == '*':
			item.star = true
			i++
		case i < len(format) && format[i] >= '0' && format[i] <= '9':
			n := 0
			for i < len(format) && format[i] >= '0' && format[i] <= '9' {
				n = n*10 + int(format[i]-'0')
				if n > 1<<24 {
					return nil, false
				}
				i++
			}
			item.count = n
		}
		items = append(items, item)
	}
	return items, true
}

// numericWidth returns the byte width of a numeric code, 0 for the others.
func numericWidth(code byte) int {
	switch code {
	case 'c', 'C':
		return 1
	case 'n', 'v':
		return 2
	case 'N', 'V':
		return 4
	case 'e', 'E':
		return 8
	}
	return 0
}

// packSource gives pack its arguments: n is their count, str and num
// return argument i as a string or a number and report whether it has
// that type.
type packSource struct {
	n   int
	str func(i int) (string, bool)
	num func(i int) (float64, bool)
}

// packBytes builds the binary string for format; ok is false for an
// unknown code, too few or wrong-typed arguments, leftover arguments or
// invalid hex digits.
func packBytes(format string, src packSource) ([]byte, bool) {
	items, ok := parsePackFormat(format, false)
	if !ok {
		return nil, false
	}

	var out []byte
	next := 0
	for _, item := range items {
		switch item.code {
		case 'x':
			if item.star {
				return nil, false
			}
			out = append(out, make([]byte, item.count)...)

		case 'a', 'Z', 'H':
			if next >= src.n {
				return nil, false
			}
			s, ok := src.str(next)
			next++
			if !ok {
				return nil, false
			}
			if out, ok = packString(out, item, s); !ok {
				return nil, false
			}

		default:
			count := item.count
			if item.star {
				count = src.n - next
			}
			if next+count > src.n {
				return nil, false
			}
			for k := 0; k < count; k++ {
				f, ok := src.num(next)
				next++
				if !ok {
					return nil, false
				}
				out = appendPackedNumber(out, item.code, f)
			}
		}
	}

	if next != src.n {
		return nil, false
	}
	return out, true
}

func packString(out []byte, item packItem, s string) ([]byte, bool) {
	switch item.code {
	case 'a':
		if item.star {
			return append(out, s...), true
		}
		return appendPadded(out, s, item.count), true

	case 'Z':
		if item.star {
			return append(append(out, s...), 0), true
		}
		if item.count == 0 {
			return out, true
		}
		if len(s) > item.count-1 {
			s = s[:item.count-1]
		}
		return appendPadded(out, s, item.count), true

	default: // 'H'
		nibbles := item.count
		if item.star {
			nibbles = len(s)
		}
		if nibbles > len(s) {
			return nil, false
		}
		digits := s[:nibbles]
		if nibbles%2 == 1 {
			digits += "0"
		}
		b, err := hex.DecodeString(digits)
		if err != nil {
			return nil, false
		}
		return append(out, b...), true
	}
}

func appendPadded(out []byte, s string, n int) []byte {
	if len(s) >= n {
		return append(out, s[:n]...)
	}
	out = append(out, s...)
	return append(out, make([]byte, n-len(s))...)
}

// appendPackedNumber writes f with the layout of a numeric code. Integer
// codes truncate f and reduce it modulo 2^bits; NaN and infinities are 0.
func appendPackedNumber(out []byte, code byte, f float64) []byte {
	switch code {
	case 'e':
		return binary.LittleEndian.AppendUint64(out, math.Float64bits(f))
	case 'E':
		return binary.BigEndian.AppendUint64(out, math.Float64bits(f))
	}

	width := numericWidth(code)
	u := wrapUnsigned(f, uint(width*8))
	switch code {
	case 'C':
		return append(out, byte(u))
	case 'n':
		return binary.BigEndian.AppendUint16(out, uint16(u))
	case 'v':
		return binary.LittleEndian.AppendUint16(out, uint16(u))
	case 'N':
		return binary.BigEndian.AppendUint32(out, uint32(u))
	default: // 'V'
		return binary.LittleEndian.AppendUint32(out, uint32(u))
	}
}

// wrapUnsigned truncates f toward zero and reduces it modulo 2^bits.
func wrapUnsigned(f float64, bits uint) uint64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0
	}
	modulus := math.Ldexp(1, int(bits))
	m := math.Mod(math.Trunc(f), modulus)
	if m < 0 {
		m += modulus
	}
	return uint64(m)
}

// unpackBytes decodes data from offset with format. Each yielded value is
// a string or a float64. ok is false for an unknown code, an offset
// outside data or too few bytes.
func unpackBytes(format, data string, offset int) ([]any, bool) {
	items, ok := parsePackFormat(format, true)
	if !ok || offset < 0 || offset > len(data) {
		return nil, false
	}

	var values []any
	pos := offset
	for _, item := range items {
		rest := len(data) - pos
		switch item.code {
		case 'x':
			n := item.count
			if item.star {
				n = rest
			}
			if n > rest {
				return nil, false
			}
			pos += n

		case 'a':
			n := item.count
			if item.star {
				n = rest
			}
			if n > rest {
				return nil, false
			}
			values = append(values, data[pos:pos+n])
			pos += n

		case 'Z':
			if item.star {
				end := strings.IndexByte(data[pos:], 0)
				if end < 0 {
					values = append(values, data[pos:])
					pos = len(data)
				} else {
					values = append(values, data[pos:pos+end])
					pos += end + 1
				}
				continue
			}
			n := item.count
			if n > rest {
				return nil, false
			}
			field := data[pos : pos+n]
			if end := strings.IndexByte(field, 0); end >= 0 {
				field = field[:end]
			}
			values = append(values, field)
			pos += n

		case 'H':
			nibbles := item.count
			if item.star {
				nibbles = 2 * rest
			}
			n := (nibbles + 1) / 2
			if n > rest {
				return nil, false
			}
			values = append(values, hex.EncodeToString([]byte(data[pos : pos+n]))[:nibbles])
			pos += n

		default:
			width := numericWidth(item.code)
			count := item.count
			if item.star {
				count = rest / width
			}
			if count*width > rest {
				return nil, false
			}
			for k := 0; k < count; k++ {
				values = append(values, unpackNumber(item.code, data[pos:pos+width]))
				pos += width
			}
		}
	}
	return values, true
}

func unpackNumber(code byte, b string) float64 {
	raw := []byte(b)
	switch code {
	case 'c':
		return float64(int8(raw[0]))
	case 'C':
		return float64(raw[0])
	case 'n':
		return float64(binary.BigEndian.Uint16(raw))
	case 'v':
		return float64(binary.LittleEndian.Uint16(raw))
	case 'N':
		return float64(binary.BigEndian.Uint32(raw))
	case 'V':
		return float64(binary.LittleEndian.Uint32(raw))
	case 'e':
		return math.Float64frombits(binary.LittleEndian.Uint64(raw))
	default: // 'E'
		return math.Float64frombits(binary.BigEndian.Uint64(raw))
	}
}
