package builtins

import (
	"reflect"
	"testing"
)

func TestParseEnvelopeAddress(t *testing.T) {
	cases := []struct {
		in, local, domain string
	}{
		{"user@example.com", "user", "example.com"},
		{"first.last+tag@sub.example.com", "first.last+tag", "sub.example.com"},
		{`"a b"@example.com`, "a b", "example.com"},
		{`"a\"b\\c"@example.com`, `a"b\c`, "example.com"},
		{`"x@y"@example.com`, "x@y", "example.com"},
		{"postmaster", "postmaster", ""},
		{"user@[192.0.2.1]", "user", "[192.0.2.1]"},
		{"üser@exämple.com", "üser", "exämple.com"},
	}
	for _, c := range cases {
		local, domain, err := parseEnvelopeAddress(c.in)
		if err != nil || local != c.local || domain != c.domain {
			t.Errorf("parseEnvelopeAddress(%q) = %q, %q, %v, want %q, %q", c.in, local, domain, err, c.local, c.domain)
		}
	}

	for _, bad := range []string{"", `"open@example.com`, "a b@example.com", "user@exa mple.com", "user@[1.2.3.4", "a\r\n@x", "<user@example.com>", "a@b@c"} {
		if _, _, err := parseEnvelopeAddress(bad); err == nil {
			t.Errorf("parseEnvelopeAddress(%q) accepted", bad)
		}
	}
}

func TestEscapeLocalpart(t *testing.T) {
	cases := map[string]string{
		"user":          "user",
		"first.last":    "first.last",
		"email address": `"email address"`,
		`a"b`:           `"a\"b"`,
		`a\b`:           `"a\\b"`,
		".start":        `".start"`,
		"a..b":          `"a..b"`,
		"":              `""`,
	}
	for in, want := range cases {
		if got := escapeLocalpart(in); got != want {
			t.Errorf("escapeLocalpart(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExtractAddressList(t *testing.T) {
	type pair struct{ name, address string }
	cases := []struct {
		in   string
		want []pair
	}{
		{"user@example.com", []pair{{"", "user@example.com"}}},
		{`"Doe, John" <john@example.com>, jane@example.com`, []pair{{"Doe, John", "john@example.com"}, {"", "jane@example.com"}}},
		{"Team: a@example.com, b@example.com;, c@example.com", []pair{{"", "a@example.com"}, {"", "b@example.com"}, {"", "c@example.com"}}},
		{"undisclosed-recipients:;", nil},
		{"=?utf-8?q?J=C3=B6rg?= <jorg@example.com>", []pair{{"Jörg", "jorg@example.com"}}},
		{"john@example.com (John Doe)", []pair{{"John Doe", "john@example.com"}}},
		{`Pete(A nice \) chap) <pete(his account)@silly.test(his host)>`, []pair{{"Pete", "pete@silly.test"}}},
		{"", nil},
	}
	for _, c := range cases {
		list, err := extractAddressList(c.in)
		if err != nil {
			t.Errorf("extractAddressList(%q): %v", c.in, err)
			continue
		}
		var got []pair
		for _, a := range list {
			got = append(got, pair{a.Name, a.Address})
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("extractAddressList(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	if _, err := extractAddressList("<<not valid"); err == nil {
		t.Error("extractAddressList accepted <<not valid")
	}
}

func TestCompileAddress(t *testing.T) {
	cases := []struct{ name, address, want string }{
		{"", "user@example.com", "user@example.com"},
		{"John", "john@example.com", `"John" <john@example.com>`},
		{"Doe, John", "john@example.com", `"Doe, John" <john@example.com>`},
		{"Jörg", "jorg@example.com", "=?utf-8?q?J=C3=B6rg?= <jorg@example.com>"},
	}
	for _, c := range cases {
		if got := compileAddress(c.name, c.address); got != c.want {
			t.Errorf("compileAddress(%q, %q) = %q, want %q", c.name, c.address, got, c.want)
		}
	}
}

func TestDecodeDKIMTags(t *testing.T) {
	tags, err := decodeDKIMTags(" v=1; a=rsa-sha256;\r\n\td=example.com; h=From : To; b=abc\r\n def;")
	if err != nil {
		t.Fatal(err)
	}
	want := []dkimTag{{"v", "1"}, {"a", "rsa-sha256"}, {"d", "example.com"}, {"h", "From : To"}, {"b", "abc\r\n def"}}
	if !reflect.DeepEqual(tags, want) {
		t.Errorf("tags = %q, want %q", tags, want)
	}

	for _, bad := range []string{"v=1; v=2", "v=1; novalue", "1x=2", "a=1;;b=2", "=x"} {
		if _, err := decodeDKIMTags(bad); err == nil {
			t.Errorf("decodeDKIMTags(%q) accepted", bad)
		}
	}
}
