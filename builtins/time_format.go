package builtins

// strftime and strptime with the C/POSIX conversions in the C locale.

import (
	"strconv"
	"strings"
	"time"
)

var (
	weekdayNames = [...]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}
	monthNames   = [...]string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"}
)

// Composite conversions of the C locale.
var strftimeComposites = map[byte]string{
	'c': "%a %b %e %H:%M:%S %Y",
	'D': "%m/%d/%y",
	'F': "%Y-%m-%d",
	'r': "%I:%M:%S %p",
	'R': "%H:%M",
	'T': "%H:%M:%S",
	'x': "%m/%d/%y",
	'X': "%H:%M:%S",
}

// formatStrftime formats t with a strftime format. Besides the POSIX
// conversions it accepts the GNU padding flags `-` (no padding), `_`
// (spaces) and `0` (zeros) and ignores the E and O modifiers. An unknown
// conversion is copied literally, `%` included.
func formatStrftime(format string, t time.Time) string {
	var b strings.Builder
	appendStrftime(&b, format, t)
	return b.String()
}

func appendStrftime(b *strings.Builder, format string, t time.Time) {
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 >= len(format) {
			b.WriteByte(c)
			continue
		}

		start := i
		i++
		pad := byte(0) // 0: the conversion's own padding
		if f := format[i]; (f == '-' || f == '_' || f == '0') && i+1 < len(format) {
			pad = f
			i++
		}
		if f := format[i]; (f == 'E' || f == 'O') && i+1 < len(format) {
			i++
		}

		conv := format[i]
		if comp, ok := strftimeComposites[conv]; ok {
			appendStrftime(b, comp, t)
			continue
		}
		if !appendConversion(b, conv, pad, t) {
			b.WriteString(format[start : i+1])
		}
	}
}

// appendConversion writes one simple conversion and reports whether conv
// is known.
func appendConversion(b *strings.Builder, conv, pad byte, t time.Time) bool {
	num := func(v, width int, defPad byte) {
		writePadded(b, v, width, defPad, pad)
	}
	isoYear, isoWeek := t.ISOWeek()

	switch conv {
	case 'a':
		b.WriteString(weekdayNames[t.Weekday()][:3])
	case 'A':
		b.WriteString(weekdayNames[t.Weekday()])
	case 'b', 'h':
		b.WriteString(monthNames[t.Month()-1][:3])
	case 'B':
		b.WriteString(monthNames[t.Month()-1])
	case 'C':
		num(floorDiv(t.Year(), 100), 2, '0')
	case 'd':
		num(t.Day(), 2, '0')
	case 'e':
		num(t.Day(), 2, ' ')
	case 'g':
		num(floorMod(isoYear, 100), 2, '0')
	case 'G':
		num(isoYear, 1, '0')
	case 'H':
		num(t.Hour(), 2, '0')
	case 'I':
		num(hour12(t.Hour()), 2, '0')
	case 'j':
		num(t.YearDay(), 3, '0')
	case 'k':
		num(t.Hour(), 2, ' ')
	case 'l':
		num(hour12(t.Hour()), 2, ' ')
	case 'm':
		num(int(t.Month()), 2, '0')
	case 'M':
		num(t.Minute(), 2, '0')
	case 'n':
		b.WriteByte('\n')
	case 'p':
		if t.Hour() < 12 {
			b.WriteString("AM")
		} else {
			b.WriteString("PM")
		}
	case 'P':
		if t.Hour() < 12 {
			b.WriteString("am")
		} else {
			b.WriteString("pm")
		}
	case 's':
		b.WriteString(strconv.FormatInt(t.Unix(), 10))
	case 'S':
		num(t.Second(), 2, '0')
	case 't':
		b.WriteByte('\t')
	case 'u':
		wd := int(t.Weekday())
		if wd == 0 {
			wd = 7
		}
		num(wd, 1, '0')
	case 'U':
		num((t.YearDay()+6-int(t.Weekday()))/7, 2, '0')
	case 'V':
		num(isoWeek, 2, '0')
	case 'w':
		num(int(t.Weekday()), 1, '0')
	case 'W':
		num((t.YearDay()+6-(int(t.Weekday())+6)%7)/7, 2, '0')
	case 'y':
		num(floorMod(t.Year(), 100), 2, '0')
	case 'Y':
		num(t.Year(), 1, '0')
	case 'z':
		_, offset := t.Zone()
		sign := byte('+')
		if offset < 0 {
			sign = '-'
			offset = -offset
		}
		b.WriteByte(sign)
		writePadded(b, offset/3600, 2, '0', 0)
		writePadded(b, offset%3600/60, 2, '0', 0)
	case 'Z':
		name, _ := t.Zone()
		b.WriteString(name)
	case '%':
		b.WriteByte('%')
	default:
		return false
	}
	return true
}

// writePadded writes v in at least width digits, padded with defPad or
// with the GNU flag pad ('-' none, '_' spaces, '0' zeros).
func writePadded(b *strings.Builder, v, width int, defPad, pad byte) {
	fill := defPad
	switch pad {
	case '-':
		width = 0
	case '_':
		fill = ' '
	case '0':
		fill = '0'
	}
	s := strconv.Itoa(v)
	neg := v < 0
	if neg {
		s = s[1:]
		b.WriteByte('-')
		width--
	}
	for n := len(s); n < width; n++ {
		b.WriteByte(fill)
	}
	b.WriteString(s)
}

func hour12(h int) int {
	h %= 12
	if h == 0 {
		return 12
	}
	return h
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func floorMod(a, b int) int {
	return a - floorDiv(a, b)*b
}

// strptimeFields collects what a strptime format read from its input.
type strptimeFields struct {
	year, month, day, yday int
	hasYear, hasMonth      bool
	hasDay, hasYday        bool
	century, yearInCentury int
	hasCentury, hasShortYr bool
	hour, minute, second   int
	pm, hasPM, hour12      bool
	epoch                  int64
	hasEpoch               bool
	offset                 int
	hasOffset              bool
}

// parseStrptime parses input with a strptime format and returns the Unix
// time. loc is the zone for the fields; a %z in the input replaces it.
// Date fields the format does not give default to now's date in that zone,
// time fields to 0; when only some date fields are given, a missing month
// or day is 1. ok is false when the input does not match the format
// completely (trailing white space is allowed).
func parseStrptime(input, format string, now time.Time, loc *time.Location) (unix int64, ok bool) {
	var f strptimeFields
	rest, ok := f.parse(input, format)
	if !ok || strings.TrimLeft(rest, " \t\n\r\v\f") != "" {
		return 0, false
	}
	if f.hasEpoch {
		return f.epoch, true
	}

	if f.hasOffset {
		loc = time.FixedZone("", f.offset)
	}
	today := now.In(loc)
	year, month, day := today.Date()
	if f.hasYear || f.hasShortYr || f.hasCentury || f.hasMonth || f.hasDay || f.hasYday {
		month, day = 1, 1
	}

	switch {
	case f.hasYear:
		year = f.year
	case f.hasShortYr && f.hasCentury:
		year = f.century*100 + f.yearInCentury
	case f.hasShortYr:
		// POSIX: 69–99 are 1969–1999, 00–68 are 2000–2068.
		year = 1900 + f.yearInCentury
		if f.yearInCentury < 69 {
			year = 2000 + f.yearInCentury
		}
	case f.hasCentury:
		year = f.century * 100
	}
	if f.hasMonth {
		month = time.Month(f.month)
	}
	if f.hasDay {
		day = f.day
	}
	if f.hasYday && !f.hasMonth && !f.hasDay {
		month, day = 1, f.yday
	}

	hour := f.hour
	if f.hour12 {
		hour %= 12
		if f.hasPM && f.pm {
			hour += 12
		}
	}

	t := time.Date(year, month, day, hour, f.minute, f.second, 0, loc)
	return t.Unix(), true
}

// parse consumes input according to format and returns the unread input.
func (f *strptimeFields) parse(input, format string) (string, bool) {
	for i := 0; i < len(format); i++ {
		c := format[i]

		// White space in the format matches any amount, none included.
		if isSpaceByte(c) {
			input = strings.TrimLeft(input, " \t\n\r\v\f")
			continue
		}
		if c != '%' || i+1 >= len(format) {
			if input == "" || input[0] != c {
				return input, false
			}
			input = input[1:]
			continue
		}

		i++
		if f := format[i]; (f == '-' || f == '_' || f == '0' || f == 'E' || f == 'O') && i+1 < len(format) {
			i++
		}
		conv := format[i]
		if comp, ok := strftimeComposites[conv]; ok {
			var matched bool
			if input, matched = f.parse(input, comp); !matched {
				return input, false
			}
			continue
		}

		var matched bool
		input, matched = f.conversion(input, conv)
		if !matched {
			return input, false
		}
	}
	return input, true
}

// conversion reads one conversion from input.
func (f *strptimeFields) conversion(input string, conv byte) (string, bool) {
	number := func(min, max, digits int) (int, bool) {
		var v int
		var ok bool
		v, input, ok = readNumber(input, digits)
		return v, ok && v >= min && v <= max
	}

	var ok bool
	switch conv {
	case 'a', 'A':
		_, input, ok = readName(input, weekdayNames[:])
	case 'b', 'B', 'h':
		var m int
		m, input, ok = readName(input, monthNames[:])
		f.month, f.hasMonth = m+1, true
	case 'C':
		f.century, ok = number(0, 99, 2)
		f.hasCentury = true
	case 'd', 'e':
		f.day, ok = number(1, 31, 2)
		f.hasDay = true
	case 'H', 'k':
		f.hour, ok = number(0, 23, 2)
		f.hour12 = false
	case 'I', 'l':
		f.hour, ok = number(1, 12, 2)
		f.hour12 = true
	case 'j':
		f.yday, ok = number(1, 366, 3)
		f.hasYday = true
	case 'm':
		f.month, ok = number(1, 12, 2)
		f.hasMonth = true
	case 'M':
		f.minute, ok = number(0, 59, 2)
	case 'n', 't':
		input = strings.TrimLeft(input, " \t\n\r\v\f")
		ok = true
	case 'p', 'P':
		var i int
		i, input, ok = readName(input, []string{"AM", "PM"})
		f.pm, f.hasPM = i == 1, true
	case 's':
		input = strings.TrimLeft(input, " \t")
		end := 0
		if end < len(input) && (input[end] == '-' || input[end] == '+') {
			end++
		}
		for end < len(input) && input[end] >= '0' && input[end] <= '9' {
			end++
		}
		var err error
		f.epoch, err = strconv.ParseInt(input[:end], 10, 64)
		ok = err == nil
		f.hasEpoch = ok
		input = input[end:]
	case 'S':
		f.second, ok = number(0, 60, 2)
	case 'u':
		_, ok = number(1, 7, 1)
	case 'w':
		_, ok = number(0, 6, 1)
	case 'U', 'W', 'V':
		_, ok = number(0, 53, 2)
	case 'g':
		_, ok = number(0, 99, 2)
	case 'G':
		_, ok = number(0, 9999, 4)
	case 'y':
		f.yearInCentury, ok = number(0, 99, 2)
		f.hasShortYr = true
	case 'Y':
		f.year, ok = number(0, 9999, 4)
		f.hasYear = true
	case 'z':
		f.offset, input, ok = readZoneOffset(input)
		f.hasOffset = ok
	case 'Z':
		// Zone names are read and ignored, as in glibc.
		end := 0
		for end < len(input) && (input[end] >= 'A' && input[end] <= 'Z' || input[end] >= 'a' && input[end] <= 'z') {
			end++
		}
		input, ok = input[end:], true
	case '%':
		if ok = strings.HasPrefix(input, "%"); ok {
			input = input[1:]
		}
	default:
		return input, false
	}
	return input, ok
}

func isSpaceByte(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// readNumber reads an optionally signed decimal number of at most digits
// digits after optional leading spaces.
func readNumber(input string, digits int) (int, string, bool) {
	input = strings.TrimLeft(input, " \t")
	neg := false
	if input != "" && (input[0] == '-' || input[0] == '+') {
		neg = input[0] == '-'
		input = input[1:]
	}
	v, n := 0, 0
	for n < digits && n < len(input) && input[n] >= '0' && input[n] <= '9' {
		v = v*10 + int(input[n]-'0')
		n++
	}
	if n == 0 {
		return 0, input, false
	}
	if neg {
		v = -v
	}
	return v, input[n:], true
}

// readName matches a full or three-letter name, case-insensitively, and
// returns its index.
func readName(input string, names []string) (int, string, bool) {
	for i, name := range names {
		if len(input) >= len(name) && strings.EqualFold(input[:len(name)], name) {
			return i, input[len(name):], true
		}
	}
	for i, name := range names {
		if len(name) > 3 && len(input) >= 3 && strings.EqualFold(input[:3], name[:3]) {
			return i, input[3:], true
		}
	}
	return 0, input, false
}

// readZoneOffset reads Z, ±hh, ±hhmm or ±hh:mm and returns the offset in
// seconds east of UTC.
func readZoneOffset(input string) (int, string, bool) {
	input = strings.TrimLeft(input, " \t")
	if strings.HasPrefix(input, "Z") {
		return 0, input[1:], true
	}
	if input == "" || input[0] != '+' && input[0] != '-' {
		return 0, input, false
	}
	sign := 1
	if input[0] == '-' {
		sign = -1
	}
	rest := input[1:]
	digits := func(n int) (int, bool) {
		if len(rest) < n {
			return 0, false
		}
		v, err := strconv.Atoi(rest[:n])
		if err != nil || rest[0] < '0' || rest[0] > '9' {
			return 0, false
		}
		rest = rest[n:]
		return v, true
	}
	hours, ok := digits(2)
	if !ok || hours > 24 {
		return 0, input, false
	}
	minutes := 0
	if strings.HasPrefix(rest, ":") {
		rest = rest[1:]
		if minutes, ok = digits(2); !ok {
			return 0, input, false
		}
	} else if len(rest) >= 2 && rest[0] >= '0' && rest[0] <= '9' && rest[1] >= '0' && rest[1] <= '9' {
		minutes, _ = digits(2)
	}
	if minutes > 59 {
		return 0, input, false
	}
	return sign * (hours*3600 + minutes*60), rest, true
}
