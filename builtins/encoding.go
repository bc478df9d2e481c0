package builtins

// Encoding builtins: base64, base64url, base32, url, RFC 2047 encoded
// words, xtext, IDNA and zlib.

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/base32"
	"encoding/base64"
	"io"

	"golang.org/x/net/idna"

	"github.com/halonsh/halonsh/lang/vm"
)

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"base64_encode": stringCodec(func(s string) (string, bool) {
			return base64.StdEncoding.EncodeToString([]byte(s)), true
		}),
		"base64_decode": stringCodec(func(s string) (string, bool) {
			b, ok := decodeBase64Lenient(s, base64.RawStdEncoding)
			return string(b), ok
		}),
		"base64url_encode": stringCodec(func(s string) (string, bool) {
			return base64.RawURLEncoding.EncodeToString([]byte(s)), true
		}),
		"base64url_decode": stringCodec(func(s string) (string, bool) {
			b, ok := decodeBase64Lenient(s, base64.RawURLEncoding)
			return string(b), ok
		}),
		"base32_encode": stringCodec(func(s string) (string, bool) {
			return base32.StdEncoding.EncodeToString([]byte(s)), true
		}),
		"base32_decode": stringCodec(func(s string) (string, bool) {
			b, ok := decodeBase32(s)
			return string(b), ok
		}),
		"url_encode": stringCodec(func(s string) (string, bool) {
			return encodeURLComponent(s), true
		}),
		"url_decode": stringCodec(func(s string) (string, bool) {
			return decodeHexEscapes(s, '%'), true
		}),
		"mimeword_encode": stringCodec(func(s string) (string, bool) {
			return encodeMIMEWords(s), true
		}),
		"mimeword_decode": stringCodec(func(s string) (string, bool) {
			return decodeMIMEWords(s), true
		}),
		"xtext_encode": stringCodec(func(s string) (string, bool) {
			return encodeXtext(s), true
		}),
		"xtext_decode": stringCodec(func(s string) (string, bool) {
			return decodeHexEscapes(s, '+'), true
		}),
		"idna_encode": stringCodec(func(s string) (string, bool) {
			out, err := idnaProfile.ToASCII(s)
			return out, err == nil && isHostnameText(out)
		}),
		"idna_decode": stringCodec(func(s string) (string, bool) {
			out, err := idnaProfile.ToUnicode(s)
			return out, err == nil && isHostnameText(s)
		}),
		"zlib_compress":   builtinZlibCompress,
		"zlib_uncompress": builtinZlibUncompress,
	})
}

// idnaProfile applies UTS #46 non-transitional processing (IDNA2008:
// "ß" stays "ß") with the lookup mapping, and rejects empty labels and
// labels or names over the DNS length limits. Underscores stay allowed,
// because names such as _dmarc.example.com are common in mail.
var idnaProfile = idna.New(
	idna.MapForLookup(),
	idna.StrictDomainName(false),
	idna.Transitional(false),
	idna.VerifyDNSLength(true),
	idna.BidiRule(),
)

// isHostnameText reports whether the ASCII bytes of a host name are only
// letters, digits, hyphens, underscores and dots; idnaProfile checks the
// non-ASCII characters.
func isHostnameText(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x80 && !isASCIIAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// stringCodec returns a builtin taking one string and returning fn's
// result, or none when fn reports failure.
func stringCodec(fn func(string) (string, bool)) vm.BuiltinFunc {
	return func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		if err := c.Arity(args, 1, 1); err != nil {
			return vm.None, err
		}
		s, err := newLibArgs(c, args).str(0, "string")
		if err != nil {
			return vm.None, err
		}
		out, ok := fn(s)
		if !ok {
			return vm.None, nil
		}
		return vm.String(out), nil
	}
}

// zlibFormat is the container chosen by a zlib windowbits value.
type zlibFormat int

const (
	formatZlib zlibFormat = iota
	formatRaw
	formatGzip
	formatDetect // zlib or gzip, by the header (uncompress only)
)

// windowFormat maps windowbits as zlib reads it: 8–15 zlib, −8…−15 raw
// deflate, 24–31 gzip, 40–47 automatic detection. Go's flate always uses
// a 32 KiB window, so the number only selects the container.
func windowFormat(bits int64, uncompress bool) (zlibFormat, bool) {
	switch {
	case bits >= 8 && bits <= 15:
		return formatZlib, true
	case bits >= -15 && bits <= -8:
		return formatRaw, true
	case bits >= 24 && bits <= 31:
		return formatGzip, true
	case uncompress && bits >= 40 && bits <= 47:
		return formatDetect, true
	}
	return 0, false
}

func builtinZlibCompress(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	data, err := a.str(0, "string")
	if err != nil {
		return vm.None, err
	}
	level := int64(-1)
	if len(args) > 1 {
		if level, err = a.integer(1, "compression"); err != nil {
			return vm.None, err
		}
		if level < -1 || level > 9 {
			return vm.None, c.Errorf("argument 2 (compression) must be -1 or 0 to 9, got %d", level)
		}
	}
	format := formatZlib
	if len(args) > 2 {
		bits, err := a.integer(2, "windowbits")
		if err != nil {
			return vm.None, err
		}
		var ok bool
		if format, ok = windowFormat(bits, false); !ok {
			return vm.None, c.Errorf("argument 3 (windowbits) must be 8 to 15, -8 to -15 or 24 to 31, got %d", bits)
		}
	}

	var buf bytes.Buffer
	var w io.WriteCloser
	switch format {
	case formatRaw:
		w, err = flate.NewWriter(&buf, int(level))
	case formatGzip:
		w, err = gzip.NewWriterLevel(&buf, int(level))
	default:
		w, err = zlib.NewWriterLevel(&buf, int(level))
	}
	if err != nil {
		return vm.None, c.Errorf("%v", err)
	}
	if _, err := io.WriteString(w, data); err != nil {
		return vm.None, c.Errorf("%v", err)
	}
	if err := w.Close(); err != nil {
		return vm.None, c.Errorf("%v", err)
	}
	return vm.String(buf.String()), nil
}

func builtinZlibUncompress(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	data, err := a.str(0, "string")
	if err != nil {
		return vm.None, err
	}
	format := formatZlib
	if len(args) > 1 {
		bits, err := a.integer(1, "windowbits")
		if err != nil {
			return vm.None, err
		}
		var ok bool
		if format, ok = windowFormat(bits, true); !ok {
			return vm.None, c.Errorf("argument 2 (windowbits) must be 8 to 15, -8 to -15, 24 to 31 or 40 to 47, got %d", bits)
		}
	}
	if format == formatDetect {
		format = formatZlib
		if len(data) >= 2 && data[0] == 0x1f && data[1] == 0x8b {
			format = formatGzip
		}
	}

	var r io.Reader
	src := bytes.NewReader([]byte(data))
	switch format {
	case formatRaw:
		r = flate.NewReader(src)
	case formatGzip:
		gz, err := gzip.NewReader(src)
		if err != nil {
			return vm.None, nil
		}
		r = gz
	default:
		zr, err := zlib.NewReader(src)
		if err != nil {
			return vm.None, nil
		}
		r = zr
	}

	// Read one byte past the limit to tell "at the limit" from "over it".
	out, err := io.ReadAll(io.LimitReader(r, maxResultBytes+1))
	if err != nil {
		return vm.None, nil
	}
	if len(out) > maxResultBytes {
		return vm.None, c.Errorf("uncompressed data exceeds the memory limit of %d bytes", maxResultBytes)
	}
	return vm.String(string(out)), nil
}
