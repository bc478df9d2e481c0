package vm

import (
	"math"
	"strconv"
	"strings"
)

// formatString applies the `%` format operator: template % values.
// Each conversion is %[index][[fill]align][width][.precision]type with
// type s, f, x, b or c; %% is a literal percent sign.
func formatString(tpl string, values *Array) (string, error) {
	vals := values.Values()
	var b strings.Builder
	next := 0
	for i := 0; i < len(tpl); i++ {
		c := tpl[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(tpl) {
			return "", Errorf("format: incomplete conversion at the end of the template")
		}
		if tpl[i] == '%' {
			b.WriteByte('%')
			continue
		}

		arg := next
		if tpl[i] == '[' {
			end := strings.IndexByte(tpl[i:], ']')
			if end < 0 {
				return "", Errorf("format: missing ']' in argument index")
			}
			n, err := strconv.Atoi(tpl[i+1 : i+end])
			if err != nil {
				return "", Errorf("format: invalid argument index %q", tpl[i+1:i+end])
			}
			arg = n
			i += end + 1
		}

		fill, align := byte(' '), byte(0)
		if i+1 < len(tpl) && tpl[i] == '\'' {
			fill = tpl[i+1]
			i += 2
		}
		if i < len(tpl) && strings.IndexByte("<>^=", tpl[i]) >= 0 {
			align = tpl[i]
			i++
		}
		width := 0
		for i < len(tpl) && tpl[i] >= '0' && tpl[i] <= '9' {
			width = width*10 + int(tpl[i]-'0')
			i++
		}
		prec := -1
		if i < len(tpl) && tpl[i] == '.' {
			i++
			prec = 0
			for i < len(tpl) && tpl[i] >= '0' && tpl[i] <= '9' {
				prec = prec*10 + int(tpl[i]-'0')
				i++
			}
		}
		if i >= len(tpl) {
			return "", Errorf("format: missing conversion type")
		}
		typ := tpl[i]
		if arg < 0 || arg >= len(vals) {
			return "", Errorf("format: missing value for argument %d", arg)
		}
		v := vals[arg]
		next = arg + 1

		var s string
		switch typ {
		case 's':
			s = v.String()
			if prec >= 0 && prec < len(s) {
				s = s[:prec]
			}
		case 'f':
			f := v.ToNumber()
			if prec >= 0 {
				s = formatFixed(f, prec)
			} else {
				s = FormatNumber(f)
			}
		case 'x':
			s = formatInt(v.ToNumber(), 16)
		case 'b':
			s = formatInt(v.ToNumber(), 2)
		case 'c':
			n := int64(math.Trunc(v.ToNumber()))
			s = string([]byte{byte(((n % 256) + 256) % 256)})
		default:
			return "", Errorf("format: unknown conversion type %q", string(typ))
		}
		if align == 0 {
			align = '>'
			if typ == 's' || typ == 'c' {
				align = '<'
			}
		}
		b.WriteString(pad(s, width, fill, align))
	}
	return b.String(), nil
}

func formatInt(f float64, base int) string {
	f = math.Trunc(f)
	if f != f || math.IsInf(f, 0) {
		return "0"
	}
	neg := f < 0
	s := strconv.FormatUint(uint64(math.Abs(f)), base)
	if neg {
		return "-" + s
	}
	return s
}

// formatFixed rounds half away from zero to prec decimals.
func formatFixed(f float64, prec int) string {
	if f != f || math.IsInf(f, 0) {
		return FormatNumber(f)
	}
	p := math.Pow(10, float64(prec))
	r := math.Round(f*p) / p
	if math.Abs(f*p) >= 1e15 {
		r = f
	}
	return strconv.FormatFloat(r, 'f', prec, 64)
}

func pad(s string, width int, fill, align byte) string {
	n := width - len(s)
	if n <= 0 {
		return s
	}
	switch align {
	case '<':
		return s + strings.Repeat(string(fill), n)
	case '^':
		left := n / 2
		return strings.Repeat(string(fill), left) + s + strings.Repeat(string(fill), n-left)
	case '=':
		if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
			return s[:1] + strings.Repeat(string(fill), n) + s[1:]
		}
	}
	return strings.Repeat(string(fill), n) + s
}
