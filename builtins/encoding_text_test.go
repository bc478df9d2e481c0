package builtins

import (
	"encoding/base64"
	"testing"
)

func TestDecodeBase64Lenient(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"aGFsb24gbXRh", "halon mta", true},
		{"SGVsbG8sIFdvcmxkIQ==", "Hello, World!", true},
		{"SGVsbG8sIFdvcmxkIQ", "Hello, World!", true},
		{"SGVs\r\nbG8s IFdv\tcmxkIQ==", "Hello, World!", true},
		{"", "", true},
		{"SGV*", "", false},
		{"SG=V", "", false},
		{"S", "", false},
	}
	for _, tc := range tests {
		got, ok := decodeBase64Lenient(tc.in, base64.RawStdEncoding)
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("base64 decode %q = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if got, ok := decodeBase64Lenient("-_8=", base64.RawURLEncoding); !ok || string(got) != "\xfb\xff" {
		t.Errorf("base64url decode = %q, %v", got, ok)
	}
}

func TestDecodeBase32(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"MZXW6YTBOI======", "foobar", true},
		{"mzxw6ytboi", "foobar", true},
		{"MZXW6YQ=", "foob", true},
		{"", "", true},
		{"MZXW1", "", false},
	}
	for _, tc := range tests {
		got, ok := decodeBase32(tc.in)
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("base32 decode %q = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestURLAndXtext(t *testing.T) {
	if got := encodeURLComponent("a b/c?d=é~-._"); got != "a%20b%2Fc%3Fd%3D%C3%A9~-._" {
		t.Errorf("url encode = %q", got)
	}
	decodeTests := []struct{ in, want string }{
		{"a%20b%2fc", "a b/c"},
		{"a+b", "a+b"},
		{"100%", "100%"},
		{"%zz%4", "%zz%4"},
		{"%C3%A9", "é"},
	}
	for _, tc := range decodeTests {
		if got := decodeHexEscapes(tc.in, '%'); got != tc.want {
			t.Errorf("url decode %q = %q, want %q", tc.in, got, tc.want)
		}
	}

	if got := encodeXtext("a+b=c d\x01é"); got != "a+2Bb+3Dc+20d+01+C3+A9" {
		t.Errorf("xtext encode = %q", got)
	}
	if got := decodeHexEscapes("a+2Bb+3Dc+20d+zz+", '+'); got != "a+b=c d+zz+" {
		t.Errorf("xtext decode = %q", got)
	}
}

func TestMIMEWords(t *testing.T) {
	if got := encodeMIMEWords("Hello wörld"); got != "=?utf-8?Q?Hello_w=C3=B6rld?=" {
		t.Errorf("encode = %q", got)
	}
	if got := encodeMIMEWords(""); got != "" {
		t.Errorf("encode empty = %q", got)
	}

	long := ""
	for i := 0; i < 40; i++ {
		long += "é"
	}
	encoded := encodeMIMEWords(long)
	words := 0
	for _, w := range splitSpaces(encoded) {
		words++
		if len(w) > 75 {
			t.Errorf("encoded word %q is %d bytes, over 75", w, len(w))
		}
	}
	if words < 2 {
		t.Errorf("long text gave %d words, want several", words)
	}
	if got := decodeMIMEWords(encoded); got != long {
		t.Errorf("round trip = %q, want %q", got, long)
	}

	tests := []struct{ in, want string }{
		{"=?utf-8?Q?a_b?=", "a b"},
		{"=?UTF-8?B?w6k=?=", "é"},
		{"=?iso-8859-1?q?caf=E9?=", "café"},
		{"=?windows-1252?Q?=80?=", "€"},
		{"=?utf-8?Q?a?= =?utf-8?Q?b?=", "ab"},
		{"x =?utf-8?Q?a?=\r\n =?utf-8?Q?b?= y", "x ab y"},
		{"=?utf-8*en?Q?hi?=", "hi"},
		{"=?x-unknown?Q?a?=", "=?x-unknown?Q?a?="},
		{"=?koi8-r?B?8NLJ18XU?=", "Привет"},
		{"=?ISO-8859-15?Q?=A4?=", "€"},
		{"=?utf-8?X?a?=", "=?utf-8?X?a?="},
		{"=?utf-8?B?***?=", "=?utf-8?B?***?="},
		{"plain text", "plain text"},
		{"a =?broken", "a =?broken"},
	}
	for _, tc := range tests {
		if got := decodeMIMEWords(tc.in); got != tc.want {
			t.Errorf("decode %q = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func splitSpaces(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
