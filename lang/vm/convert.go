package vm

import (
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"
)

// Truthy returns boolean(v): none is false; a boolean is itself; a number
// is true unless 0 or -0 (NaN is true); a string or array is true when not
// empty; functions, objects, regexes and resources are always true.
func (v Value) Truthy() bool {
	switch v.kind {
	case KindNone:
		return false
	case KindBool:
		return v.u != 0
	case KindNumber:
		return v.num() != 0
	case KindString:
		return v.u != 0
	case KindArray:
		return (*Array)(v.p).Len() > 0
	}
	return true
}

// ToNumber returns number(v): booleans are 1 or 0, none is 0, strings are
// parsed with ParseNumber, other kinds are 0.
func (v Value) ToNumber() float64 {
	switch v.kind {
	case KindNumber:
		return v.num()
	case KindBool:
		return float64(v.u)
	case KindString:
		return ParseNumber(v.str())
	}
	return 0
}

// ParseNumber converts a string with the rules of number(): surrounding
// ASCII whitespace is ignored; an optional sign, then a decimal number
// (`12`, `1.5`, `.5`, `5.`, `1e3`) or `0x` and hex digits. Anything else,
// including the empty string, gives 0.
func ParseNumber(s string) float64 {
	s = strings.Trim(s, " \t\n\r\v\f")
	if s == "" {
		return 0
	}
	neg := false
	body := s
	if body[0] == '+' || body[0] == '-' {
		neg = body[0] == '-'
		body = body[1:]
	}
	if len(body) > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X') {
		var f float64
		for i := 2; i < len(body); i++ {
			d := hexDigit(body[i])
			if d < 0 {
				return 0
			}
			f = f*16 + float64(d)
		}
		if neg {
			f = -f
		}
		return f
	}
	if !isDecimal(body) {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// Out of range values come back as ±Inf with an error; keep them.
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f
		}
		return 0
	}
	return f
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// isDecimal reports whether s is digits [. digits] [e [sign] digits] with at
// least one mantissa digit.
func isDecimal(s string) bool {
	i, digits := 0, 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// FormatNumber returns the display form of a number: the ECMAScript
// Number-to-String algorithm, with `nan`, `inf` and `-inf` for the special
// values and `0` for -0.
func FormatNumber(f float64) string {
	var buf [32]byte
	return string(AppendNumber(buf[:0], f))
}

// AppendNumber appends the display form of f (see FormatNumber) to dst.
func AppendNumber(dst []byte, f float64) []byte {
	if f >= 0 && f < 1e15 {
		// The signed conversion is one instruction on amd64, and the
		// unsigned one branches.
		if n := int64(f); float64(n) == f {
			return appendUint(dst, uint64(n))
		}
	}
	switch {
	case f != f:
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case f == 0:
		return append(dst, '0')
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		if math.Abs(f) < 1<<63 {
			return strconv.AppendInt(dst, int64(f), 10)
		}
		return strconv.AppendFloat(dst, f, 'f', 0, 64)
	}

	// Shortest round-trip digits and the decimal exponent, then the
	// ECMAScript layout rules.
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
	var digits [24]byte
	k := 0
	for _, c := range e[:mark] {
		if c != '.' {
			digits[k] = c
			k++
		}
	}
	exp, _ := strconv.Atoi(string(e[mark+1:]))
	n := exp + 1 // position of the decimal point relative to the digits
	d := digits[:k]
	switch {
	case k <= n && n <= 21:
		dst = append(dst, d...)
		for i := k; i < n; i++ {
			dst = append(dst, '0')
		}
	case 0 < n && n <= 21:
		dst = append(dst, d[:n]...)
		dst = append(dst, '.')
		dst = append(dst, d[n:]...)
	case -6 < n && n <= 0:
		dst = append(dst, '0', '.')
		for i := 0; i < -n; i++ {
			dst = append(dst, '0')
		}
		dst = append(dst, d...)
	default:
		dst = append(dst, d[0])
		if k > 1 {
			dst = append(dst, '.')
			dst = append(dst, d[1:]...)
		}
		dst = append(dst, 'e')
		if n-1 >= 0 {
			dst = append(dst, '+')
		}
		dst = strconv.AppendInt(dst, int64(n-1), 10)
	}
	return dst
}

// String returns string(v), the display form used by echo, `.`,
// interpolation and string(): none, true/false, numbers per FormatNumber,
// strings as themselves, arrays as `[k=>v,...]`, functions as `function`,
// objects as their class name, regexes as written, resources as their type.
func (v Value) String() string {
	switch v.kind {
	case KindString:
		return v.str()
	case KindNumber:
		return FormatNumber(v.num())
	}
	return string(v.AppendDisplay(nil))
}

// AppendDisplay appends string(v) to dst.
func (v Value) AppendDisplay(dst []byte) []byte {
	switch v.kind {
	case KindNone:
		return append(dst, "none"...)
	case KindBool:
		if v.u != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case KindNumber:
		return AppendNumber(dst, v.num())
	case KindString:
		return append(dst, v.str()...)
	case KindArray:
		return appendArrayDisplay(dst, (*Array)(v.p))
	case KindFunction:
		return append(dst, "function"...)
	case KindObject:
		return append(dst, (*Object)(v.p).class.Name...)
	case KindRegex:
		return append(dst, (*Regex)(v.p).String()...)
	case KindResource:
		return append(dst, (*Resource)(v.p).Type...)
	}
	return dst
}

func appendArrayDisplay(dst []byte, a *Array) []byte {
	dst = append(dst, '[')
	first := true
	a.Each(func(k Key, v Value) bool {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		if k.isStr {
			dst = appendQuoted(dst, k.s)
		} else {
			dst = strconv.AppendInt(dst, int64(k.i), 10)
		}
		dst = append(dst, "=>"...)
		if v.kind == KindString {
			dst = appendQuoted(dst, v.str())
		} else {
			dst = v.AppendDisplay(dst)
		}
		return true
	})
	return append(dst, ']')
}

func quoteDisplay(s string) string { return string(appendQuoted(nil, s)) }

func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == '\\' {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	return append(dst, '"')
}

// StrictEqual returns a === b: the same kind and the same value; arrays
// compare keys in order and values strictly; objects, regexes and
// resources compare identity; functions are equal when they run the same
// code with the same captures and receiver.
func StrictEqual(a, b Value) bool {
	if a.kind != b.kind {
		return false
	}
	switch a.kind {
	case KindNone:
		return true
	case KindBool:
		return a.u == b.u
	case KindNumber:
		return a.num() == b.num()
	case KindString:
		return a.u == b.u && a.str() == b.str()
	case KindArray:
		return arraysEqual((*Array)(a.p), (*Array)(b.p))
	case KindFunction:
		return (*Function)(a.p).same((*Function)(b.p))
	}
	return a.p == b.p
}

func arraysEqual(x, y *Array) bool {
	if x == y {
		return true
	}
	if x.Len() != y.Len() {
		return false
	}
	i, j := 0, 0
	for {
		for i < len(x.vals) && x.keys != nil && x.keys[i].dead {
			i++
		}
		for j < len(y.vals) && y.keys != nil && y.keys[j].dead {
			j++
		}
		if i >= len(x.vals) || j >= len(y.vals) {
			return i >= len(x.vals) && j >= len(y.vals)
		}
		kx, vx := x.keyAt(i)
		ky, vy := y.keyAt(j)
		if kx.isStr != ky.isStr || kx.i != ky.i || kx.s != ky.s {
			return false
		}
		if !StrictEqual(vx, vy) {
			return false
		}
		i++
		j++
	}
}

// LooseEqual returns a == b with the HSL conversion table: none equals only
// none; a boolean compares with the truthiness of the other side; a number
// compares with number() of a string or boolean; strings compare bytes;
// arrays, functions and objects compare strictly with their own kind.
func LooseEqual(a, b Value) bool {
	if a.kind == b.kind {
		return StrictEqual(a, b)
	}
	if a.kind == KindNone || b.kind == KindNone {
		return false
	}
	if a.kind == KindBool {
		if b.kind == KindNumber {
			return float64(a.u) == b.num()
		}
		return a.Truthy() == b.Truthy()
	}
	if b.kind == KindBool {
		if a.kind == KindNumber {
			return a.num() == float64(b.u)
		}
		return a.Truthy() == b.Truthy()
	}
	if a.kind == KindNumber {
		if b.kind == KindString {
			return a.num() == ParseNumber(b.str())
		}
		return a.num() == boolNumber(b.Truthy())
	}
	if b.kind == KindNumber {
		if a.kind == KindString {
			return ParseNumber(a.str()) == b.num()
		}
		return boolNumber(a.Truthy()) == b.num()
	}
	return false
}

func boolNumber(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Compare orders a and b for `<` and friends: two strings compare bytewise;
// anything else compares number() of each side. ok is false when a NaN makes
// the values unordered.
func Compare(a, b Value) (cmp int, ok bool) {
	if a.kind == KindString && b.kind == KindString {
		return strings.Compare(a.str(), b.str()), true
	}
	x, y := a.ToNumber(), b.ToNumber()
	switch {
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	case x == y:
		return 0, true
	}
	return 0, false
}

// ToInt32 converts a number the way bitwise operators do (ECMAScript
// ToInt32): truncate, reduce modulo 2^32 to a signed value; NaN and ±Inf
// give 0.
func ToInt32(f float64) int32 {
	if f != f || math.IsInf(f, 0) {
		return 0
	}
	f = math.Trunc(f)
	if f >= math.MinInt32 && f <= math.MaxInt32 {
		return int32(f)
	}
	m := math.Mod(f, 4294967296)
	if m < 0 {
		m += 4294967296
	}
	return int32(uint32(m))
}

// appendUint formats n in decimal; it is the common case of echo and
// string keys, kept free of strconv's general paths. It writes the
// digits in place, two per division, so a short number costs neither a
// copy call nor a long chain of dependent divisions.
func appendUint(dst []byte, n uint64) []byte {
	if n < 10 {
		return append(dst, byte('0'+n))
	}
	width := decimalWidth(n)
	start := len(dst)
	dst = slices.Grow(dst, width)[:start+width]
	out := dst[start:]
	i := width
	for n >= 100 {
		q := n / 100
		r := (n - q*100) * 2
		i -= 2
		out[i+1] = digitPairs[r+1]
		out[i] = digitPairs[r]
		n = q
	}
	if n >= 10 {
		out[1] = digitPairs[2*n+1]
		out[0] = digitPairs[2*n]
	} else {
		out[0] = byte('0' + n)
	}
	return dst
}

// decimalWidth returns the number of decimal digits of n.
func decimalWidth(n uint64) int {
	// log10(2) is about 1233/4096, so w starts as the digit count of
	// 2^Len64(n) and is one too high when n is below the power of ten
	// under it.
	w := (bits.Len64(n)*1233)>>12 + 1
	if n < powersOf10[w-1] {
		w--
	}
	return w
}

var powersOf10 = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// digitPairs holds "00" to "99", so digitPairs[2*r:2*r+2] is r in decimal.
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"
