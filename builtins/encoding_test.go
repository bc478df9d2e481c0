package builtins

import (
	"strings"
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

func TestEncodingBuiltins(t *testing.T) {
	s, n, l := vStr, vNum, vList
	runBuiltinCases(t, []builtinCase{
		{name: "base64_encode", args: []vm.Value{s("Hello, World!")}, want: `"SGVsbG8sIFdvcmxkIQ=="`},
		{name: "base64_encode", args: []vm.Value{s("")}, want: `""`},
		{name: "base64_encode", args: []vm.Value{n(12)}, want: `"MTI="`},
		{name: "base64_encode", args: []vm.Value{l()}, errPart: "argument 1 (string) must be a string, got array"},
		{name: "base64_decode", args: []vm.Value{s("aGFsb24gbXRh")}, want: `"halon mta"`},
		{name: "base64_decode", args: []vm.Value{s("SGVsbG8=\r\n")}, want: `"Hello"`},
		{name: "base64_decode", args: []vm.Value{s("SGVsbG8")}, want: `"Hello"`},
		{name: "base64_decode", args: []vm.Value{s("SGVs*G8=")}, want: "none"},
		{name: "base64url_encode", args: []vm.Value{s("\xfb\xff")}, want: `"-_8"`},
		{name: "base64url_decode", args: []vm.Value{s("-_8=")}, want: `"\xfb\xff"`},
		{name: "base64url_decode", args: []vm.Value{s("-_8")}, want: `"\xfb\xff"`},
		{name: "base32_encode", args: []vm.Value{s("foobar")}, want: `"MZXW6YTBOI======"`},
		{name: "base32_decode", args: []vm.Value{s("mzxw6ytboi======")}, want: `"foobar"`},
		{name: "base32_decode", args: []vm.Value{s("1")}, want: "none"},
		{name: "url_encode", args: []vm.Value{s("a b&c=d/é~")}, want: `"a%20b%26c%3Dd%2F%C3%A9~"`},
		{name: "url_decode", args: []vm.Value{s("a%20b+c%2x%")}, want: `"a b+c%2x%"`},
		{name: "xtext_encode", args: []vm.Value{s("a+b=c d")}, want: `"a+2Bb+3Dc+20d"`},
		{name: "xtext_decode", args: []vm.Value{s("a+2Bb+3Dc+20d+")}, want: `"a+b=c d+"`},
		{name: "mimeword_encode", args: []vm.Value{s("Grüße")}, want: `"=?utf-8?Q?Gr=C3=BC=C3=9Fe?="`},
		{name: "mimeword_decode", args: []vm.Value{s("=?utf-8?B?R3LDvMOfZQ==?= x")}, want: `"Gr\xc3\xbc\xc3\x9fe x"`},
		{name: "idna_encode", args: []vm.Value{s("fußball.example")}, want: `"xn--fuball-cta.example"`},
		{name: "idna_encode", args: []vm.Value{s("Bücher.Example")}, want: `"xn--bcher-kva.example"`},
		{name: "idna_encode", args: []vm.Value{s("example.com")}, want: `"example.com"`},
		{name: "idna_encode", args: []vm.Value{s("a..b")}, want: "none"},
		{name: "idna_encode", args: []vm.Value{s("mx.example.com.")}, want: `"mx.example.com."`},
		{name: "idna_encode", args: []vm.Value{s("_dmarc.Example.com")}, want: `"_dmarc.example.com"`},
		{name: "idna_encode", args: []vm.Value{s("a b.example")}, want: "none"},
		{name: "idna_encode", args: []vm.Value{s(strings.Repeat("a", 64) + ".example")}, want: "none"},
		{name: "idna_decode", args: []vm.Value{s("xn--fuball-cta.example")}, want: `"fu\xc3\x9fball.example"`},
		{name: "idna_decode", args: []vm.Value{s("xn--a-.example")}, want: "none"},
		{name: "idna_decode", args: []vm.Value{s("b\xc3\xbccher.example")}, want: `"b\xc3\xbccher.example"`},
		{name: "idna_decode", args: []vm.Value{s("a b.example")}, want: "none"},
		{name: "zlib_uncompress", args: []vm.Value{s("not compressed")}, want: "none"},
		{name: "zlib_compress", args: []vm.Value{s("x"), n(10)}, errPart: "argument 2 (compression) must be -1 or 0 to 9, got 10"},
		{name: "zlib_compress", args: []vm.Value{s("x"), n(6), n(16)}, errPart: "argument 3 (windowbits)"},
	})
}

func TestZlibRoundTrip(t *testing.T) {
	text := vStr("the quick brown fox jumps over the lazy dog, again and again and again")
	for _, bits := range []float64{15, -15, 31} {
		packed, err := callBuiltin(t, "zlib_compress", text, vNum(9), vNum(bits))
		if err != nil {
			t.Fatalf("compress with windowbits %v: %v", bits, err)
		}
		for _, readBits := range []float64{bits, 47} {
			if bits == -15 && readBits == 47 {
				continue // raw deflate has no header to detect
			}
			got, err := callBuiltin(t, "zlib_uncompress", packed, vNum(readBits))
			if err != nil {
				t.Fatalf("uncompress with windowbits %v: %v", readBits, err)
			}
			if got.Str() != text.Str() {
				t.Errorf("windowbits %v then %v: got %s", bits, readBits, show(got))
			}
		}
	}
	gz, _ := callBuiltin(t, "zlib_compress", text, vNum(-1), vNum(31))
	if got, _ := callBuiltin(t, "zlib_uncompress", gz); !got.IsNone() {
		t.Errorf("gzip data read as zlib = %s, want none", show(got))
	}
}
