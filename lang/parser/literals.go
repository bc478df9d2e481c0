package parser

import (
	"strconv"
	"strings"
)

// numberValue converts a number token, already checked by the scanner, to
// its float64 value. Integers beyond 2^53 lose precision, as the language
// defines.
func numberValue(raw string) float64 {
	digits := raw
	if strings.IndexByte(digits, '_') >= 0 {
		digits = strings.ReplaceAll(digits, "_", "")
	}

	base := 0
	if len(digits) > 2 && digits[0] == '0' {
		switch digits[1] | 0x20 {
		case 'x':
			base = 16
		case 'o':
			base = 8
		case 'b':
			base = 2
		}
	}
	if base == 0 {
		v, _ := strconv.ParseFloat(digits, 64)
		return v
	}

	digits = digits[2:]
	if v, err := strconv.ParseUint(digits, base, 64); err == nil {
		return float64(v)
	}
	// Too large for 64 bits: accumulate in floating point.
	v := 0.0
	for i := 0; i < len(digits); i++ {
		d, _ := strconv.ParseUint(digits[i:i+1], 16, 8)
		v = v*float64(base) + float64(d)
	}
	return v
}

// rawValue returns the content of a raw string token 'DELIM'...'DELIM'.
func rawValue(token string) string {
	delimEnd := strings.IndexByte(token[1:], '\'') + 1
	delimLen := delimEnd + 1 // 'DELIM'
	return token[delimLen : len(token)-delimLen]
}

// regexParts splits a regex token #/pattern/flags and reduces each `\/`
// pair of the pattern to `/`.
func regexParts(token string) (pattern, flags string) {
	slash := strings.LastIndexByte(token, '/')
	body := token[2:slash]
	flags = token[slash+1:]
	if !strings.Contains(body, `\/`) {
		return body, flags
	}

	var b strings.Builder
	for i := 0; i < len(body); i++ {
		if body[i] == '\\' && i+1 < len(body) {
			if body[i+1] == '/' {
				b.WriteByte('/')
			} else {
				b.WriteByte('\\')
				b.WriteByte(body[i+1])
			}
			i++
			continue
		}
		b.WriteByte(body[i])
	}
	return b.String(), flags
}

// stringLit decodes a double-quoted string token with source text text at
// position at into a *StringLit, or an *InterpString when it interpolates
// anything.
func (p *parser) stringLit(at Pos, text string) Expr {
	body := text[1 : len(text)-1]
	if strings.IndexByte(body, '\\') < 0 && strings.IndexByte(body, '$') < 0 {
		return put(&p.arena.strings, StringLit{At: at, Value: body})
	}

	d := stringDecoder{p: p, src: body, file: at.File, line: at.Line, lineStart: -(at.Col + 1)}
	d.decode()
	if len(d.parts) == 0 {
		return &StringLit{At: at, Value: d.takeText()}
	}
	d.flushText()
	return &InterpString{At: at, Parts: d.parts}
}

// stringDecoder walks the body of a double-quoted string, decoding escapes
// and splitting out interpolations, while it tracks source positions.
type stringDecoder struct {
	p    *parser
	src  string
	file string

	// line and lineStart give the position of any offset in src: the column
	// of offset i on the current line is i - lineStart.
	line      int
	lineStart int

	parts   []StringPart
	textPos Pos
	hasText bool

	// The pending text is src[textStart:textEnd] while it is one run of
	// the source, which costs no copy. The first escape in it moves it
	// into text, where decoded bytes are appended.
	textStart, textEnd int
	copied             bool
	text               strings.Builder
}

func (d *stringDecoder) posAt(off int) Pos {
	return Pos{File: d.file, Line: d.line, Col: off - d.lineStart}
}

// startText begins a pending text part at off when none is pending.
func (d *stringDecoder) startText(off int) {
	if !d.hasText {
		d.textPos = d.posAt(off)
		d.hasText = true
		d.textStart, d.textEnd = off, off
		d.copied = false
	}
}

// addSource appends the source bytes src[off:end] to the pending text.
func (d *stringDecoder) addSource(off, end int) {
	d.startText(off)
	if !d.copied && off == d.textEnd {
		d.textEnd = end
		return
	}
	d.copyOut()
	d.text.WriteString(d.src[off:end])
}

// addDecoded appends the byte an escape sequence at off stands for.
func (d *stringDecoder) addDecoded(off int, c byte) {
	d.startText(off)
	d.copyOut()
	d.text.WriteByte(c)
}

func (d *stringDecoder) copyOut() {
	if !d.copied {
		d.text.WriteString(d.src[d.textStart:d.textEnd])
		d.copied = true
	}
}

// takeText returns the pending text and clears it.
func (d *stringDecoder) takeText() string {
	d.hasText = false
	if !d.copied {
		return d.src[d.textStart:d.textEnd]
	}
	text := d.text.String()
	d.text.Reset()
	d.copied = false
	return text
}

func (d *stringDecoder) flushText() {
	if d.hasText {
		at := d.textPos
		d.parts = append(d.parts, &TextPart{At: at, Text: d.takeText()})
	}
}

func (d *stringDecoder) fail(off int, format string, args ...any) {
	d.p.failAt(d.posAt(off), format, args...)
}

func (d *stringDecoder) decode() {
	src := d.src
	for i := 0; i < len(src); {
		c := src[i]
		switch c {
		case '\n':
			d.addSource(i, i+1)
			d.line++
			d.lineStart = i
			i++

		case '\\':
			i = d.decodeEscape(i)

		case '$':
			i = d.decodeDollar(i)

		default:
			// Copy the run of plain bytes at once.
			end := i + 1
			for end < len(src) && src[end] != '\\' && src[end] != '$' && src[end] != '\n' {
				end++
			}
			d.addSource(i, end)
			i = end
		}
	}
}

// decodeEscape decodes the escape sequence at off and returns the offset
// after it.
func (d *stringDecoder) decodeEscape(off int) int {
	src := d.src
	if off+1 >= len(src) {
		d.fail(off, "invalid escape sequence '\\' at the end of the string")
	}
	switch c := src[off+1]; c {
	case '\\', '"', '$':
		d.addDecoded(off, c)
	case 'n':
		d.addDecoded(off, '\n')
	case 'r':
		d.addDecoded(off, '\r')
	case 't':
		d.addDecoded(off, '\t')
	case 'x':
		if off+3 < len(src) && isDigitOf(src[off+2], 16) && isDigitOf(src[off+3], 16) {
			v, _ := strconv.ParseUint(src[off+2:off+4], 16, 8)
			d.addDecoded(off, byte(v))
			return off + 4
		}
		d.fail(off, "invalid escape sequence '\\x': expected exactly two hexadecimal digits")
	default:
		if c == '\n' || c < 0x20 || c >= 0x7f {
			d.fail(off, "invalid escape sequence: '\\' followed by byte 0x%02x", c)
		}
		d.fail(off, "invalid escape sequence '\\%c' (valid escapes are \\\\ \\\" \\$ \\n \\r \\t \\xHH; use a raw string or a regex literal for other backslashes)", c)
	}
	return off + 2
}

// decodeDollar handles a `$` at off: a variable, a `${...}` interpolation
// or a literal dollar sign. It returns the offset after what it consumed.
func (d *stringDecoder) decodeDollar(off int) int {
	src := d.src
	if off+1 < len(src) && isIdentStart(src[off+1]) {
		end := off + 2
		for end < len(src) && isIdentByte(src[end]) {
			end++
		}
		d.flushText()
		d.parts = append(d.parts, &VarPart{At: d.posAt(off), Name: src[off+1 : end]})
		return end
	}
	if off+1 < len(src) && src[off+1] == '{' {
		return d.decodeEmbedded(off)
	}
	d.addSource(off, off+1)
	return off + 1
}

// decodeEmbedded handles `${...}` at off. A bare name inside is a variable;
// anything else is parsed as an expression.
func (d *stringDecoder) decodeEmbedded(off int) int {
	inner := off + 2
	end := matchEmbedded(d.src, inner)
	if end < 0 {
		d.fail(off, "unterminated interpolation '${', expected '}'")
	}
	text := d.src[inner:end]
	d.flushText()

	if isBareName(text) {
		d.parts = append(d.parts, &VarPart{At: d.posAt(off), Name: text})
	} else {
		start := d.posAt(inner)
		x := d.p.parseEmbedded(start, text)
		d.parts = append(d.parts, &ExprPart{At: d.posAt(off), X: x})
	}

	// Advance the line counters over line feeds inside the expression.
	for i := inner; i < end; i++ {
		if d.src[i] == '\n' {
			d.line++
			d.lineStart = i
		}
	}
	return end + 1
}

func isBareName(s string) bool {
	if s == "" || !isIdentStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isIdentByte(s[i]) {
			return false
		}
	}
	return true
}

// matchEmbedded returns the offset of the `}` that closes an interpolation
// whose expression starts at off, skipping nested brackets and string
// literals; -1 when there is none. The scanner has already checked the
// nesting, so this only needs to find the end again.
func matchEmbedded(src string, off int) int {
	depth := 1
	for off < len(src) {
		switch src[off] {
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
			if depth == 0 {
				return off
			}
		case '"':
			off = skipString(src, off)
			continue
		case '\'':
			off = skipRaw(src, off)
			continue
		}
		off++
	}
	return -1
}

// skipString returns the offset after the double-quoted string at off.
func skipString(src string, off int) int {
	off++
	for off < len(src) {
		switch src[off] {
		case '"':
			return off + 1
		case '\\':
			off += 2
		case '$':
			if off+1 < len(src) && src[off+1] == '{' {
				end := matchEmbedded(src, off+2)
				if end < 0 {
					return len(src)
				}
				off = end + 1
				continue
			}
			off++
		default:
			off++
		}
	}
	return len(src)
}

// skipRaw returns the offset after the raw string at off.
func skipRaw(src string, off int) int {
	delimEnd := strings.IndexByte(src[off+1:], '\'')
	if delimEnd < 0 {
		return len(src)
	}
	closing := src[off : off+delimEnd+2]
	end := strings.Index(src[off+len(closing):], closing)
	if end < 0 {
		return len(src)
	}
	return off + len(closing) + end + len(closing)
}

// parseEmbedded parses the expression text of a `${...}` interpolation that
// starts at pos.
func (p *parser) parseEmbedded(pos Pos, text string) Expr {
	toks, err := newScanner(pos.File, text, pos.Line, pos.Col).tokenize()
	if err != nil {
		panic(bailout{toError(err)})
	}

	sub := &parser{toks: toks, src: text, file: pos.File, depth: p.depth, arena: p.arena, eofName: "'}'"}
	x := sub.parseExpr()
	if t := sub.peek(); t.Type != tokEOF {
		sub.failUnexpected(t, "'}' to end the interpolation")
	}
	return x
}
