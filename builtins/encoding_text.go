package builtins

// Text encodings behind the base64, base32, url, xtext and mimeword
// functions.

import (
	"encoding/base32"
	"encoding/base64"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/htmlindex"
)

const upperHex = "0123456789ABCDEF"

// decodeBase64Lenient decodes standard or URL-safe base64 with or without
// padding, skipping CR, LF, space and tab. ok is false for any other
// character outside the alphabet or misplaced padding.
func decodeBase64Lenient(s string, enc *base64.Encoding) ([]byte, bool) {
	s = stripBytes(s, "\r\n \t")
	s = strings.TrimRight(s, "=")
	b, err := enc.DecodeString(s)
	if err != nil {
		return nil, false
	}
	return b, true
}

// stripBytes removes every byte of set from s.
func stripBytes(s, set string) string {
	if !strings.ContainsAny(s, set) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// decodeBase32 decodes RFC 4648 base32, case-insensitively, with or
// without padding.
func decodeBase32(s string) ([]byte, bool) {
	s = strings.TrimRight(strings.ToUpper(stripBytes(s, "\r\n")), "=")
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		return nil, false
	}
	return b, true
}

// encodeURLComponent percent-encodes every byte except the RFC 3986
// unreserved characters A-Z a-z 0-9 - . _ ~.
func encodeURLComponent(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isASCIIAlnum(c) || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
	return b.String()
}

// decodeHexEscapes replaces each escape byte followed by two hex digits
// with the byte they encode. An escape byte without two hex digits stays
// as it is. url_decode uses '%', xtext_decode '+'.
func decodeHexEscapes(s string, escape byte) string {
	if strings.IndexByte(s, escape) < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == escape && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]) {
			b.WriteByte(byte(hexValue(s[i+1])<<4 | hexValue(s[i+2])))
			i += 2
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// encodeXtext encodes RFC 3461 xtext: bytes outside 33–126, "+" and "="
// become +HH.
func encodeXtext(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 33 || c > 126 || c == '+' || c == '=' {
			b.WriteByte('+')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// maxEncodedWord is the RFC 2047 limit on the length of one encoded word.
const maxEncodedWord = 75

// encodeMIMEWords encodes s as RFC 2047 Q encoded words in UTF-8, each at
// most 75 bytes long, separated by single spaces. A UTF-8 sequence is
// never split between two words.
func encodeMIMEWords(s string) string {
	if s == "" {
		return ""
	}
	const prefix, suffix = "=?utf-8?Q?", "?="
	room := maxEncodedWord - len(prefix) - len(suffix)

	var words []string
	var word strings.Builder
	for i := 0; i < len(s); {
		// Take one whole UTF-8 sequence (or one invalid byte) at a time.
		_, size := utf8.DecodeRuneInString(s[i:])
		var piece strings.Builder
		for _, c := range []byte(s[i : i+size]) {
			switch {
			case c == ' ':
				piece.WriteByte('_')
			case isASCIIAlnum(c) || strings.IndexByte("!*+-/", c) >= 0:
				piece.WriteByte(c)
			default:
				piece.WriteByte('=')
				piece.WriteByte(upperHex[c>>4])
				piece.WriteByte(upperHex[c&15])
			}
		}
		if word.Len()+piece.Len() > room {
			words = append(words, prefix+word.String()+suffix)
			word.Reset()
		}
		word.WriteString(piece.String())
		i += size
	}
	words = append(words, prefix+word.String()+suffix)
	return strings.Join(words, " ")
}

// decodeMIMEWords decodes every RFC 2047 encoded word in s to UTF-8. White
// space between two adjacent encoded words is dropped. A malformed word or
// one in a charset that toUTF8 does not support is left as it is.
func decodeMIMEWords(s string) string {
	if !strings.Contains(s, "=?") {
		return s
	}
	var b strings.Builder
	pendingSpace := ""
	lastWasWord := false
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "=?") {
			if decoded, n, ok := decodeMIMEWord(s[i:]); ok {
				if !lastWasWord {
					b.WriteString(pendingSpace)
				}
				pendingSpace = ""
				b.WriteString(decoded)
				i += n
				lastWasWord = true
				continue
			}
		}

		if c := s[i]; c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			pendingSpace += string(c)
			i++
			continue
		}
		b.WriteString(pendingSpace)
		pendingSpace = ""
		b.WriteByte(s[i])
		lastWasWord = false
		i++
	}
	b.WriteString(pendingSpace)
	return b.String()
}

// decodeMIMEWord decodes the encoded word at the start of s and returns
// the text and the length of the word.
func decodeMIMEWord(s string) (string, int, bool) {
	// =?charset?enc?text?=
	rest := s[2:]
	q1 := strings.IndexByte(rest, '?')
	if q1 <= 0 || q1+2 >= len(rest) || rest[q1+2] != '?' {
		return "", 0, false
	}
	charset := rest[:q1]
	encoding := rest[q1+1]
	textStart := q1 + 3
	end := strings.Index(rest[textStart:], "?=")
	if end < 0 {
		return "", 0, false
	}
	text := rest[textStart : textStart+end]
	if strings.ContainsAny(text, " \t\r\n") {
		return "", 0, false
	}
	length := 2 + textStart + end + 2

	var raw []byte
	switch encoding {
	case 'B', 'b':
		var ok bool
		if raw, ok = decodeBase64Lenient(text, base64.RawStdEncoding); !ok {
			return "", 0, false
		}
	case 'Q', 'q':
		raw = []byte(decodeHexEscapes(strings.ReplaceAll(text, "_", " "), '='))
	default:
		return "", 0, false
	}

	// RFC 2231 allows a language after the charset: utf-8*en.
	if star := strings.IndexByte(charset, '*'); star >= 0 {
		charset = charset[:star]
	}
	decoded, ok := toUTF8(charset, raw)
	if !ok {
		return "", 0, false
	}
	return decoded, length, true
}

// toUTF8 converts text in a charset to UTF-8. UTF-8, US-ASCII and
// ISO-8859-1 are converted here (ISO-8859-1 exactly, where the WHATWG
// tables would read it as Windows-1252); every other name is looked up in
// the WHATWG encoding index of golang.org/x/text.
func toUTF8(charset string, raw []byte) (string, bool) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return strings.ToValidUTF8(string(raw), "\uFFFD"), true
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		return latin1ToUTF8(raw, nil), true
	case "windows-1252", "cp1252":
		return latin1ToUTF8(raw, &windows1252High), true
	}
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return "", false
	}
	out, err := enc.NewDecoder().Bytes(raw)
	if err != nil {
		return "", false
	}
	return string(out), true
}

// windows1252High maps bytes 0x80–0x9F of Windows-1252; 0 marks the five
// unassigned bytes, which are kept as the C1 control of the same value.
var windows1252High = [32]rune{
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
}

func latin1ToUTF8(raw []byte, high *[32]rune) string {
	var b strings.Builder
	b.Grow(len(raw) * 2)
	for _, c := range raw {
		r := rune(c)
		if high != nil && c >= 0x80 && c <= 0x9F && high[c-0x80] != 0 {
			r = high[c-0x80]
		}
		b.WriteRune(r)
	}
	return b.String()
}
