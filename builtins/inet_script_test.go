package builtins

import "testing"

func TestInetBuiltins(t *testing.T) {
	runScriptCases(t, []scriptCase{
		{src: `echo inet_includes("10.1.2.3", "10.0.0.0/8");`, want: "true\n"},
		{src: `echo inet_includes("2001:db8::1", "10.0.0.0/8");`, want: "false\n"},
		{src: `echo inet_includes("junk", "10.0.0.0/8") === none ? "none" : "value";`, want: "none\n"},
		{src: `echo in_network("10.0.0.5", "10.0.0.1-10.0.0.9");`, want: "true\n"},
		{src: `echo length(inet_pton("10.0.0.1")) . " " . length(inet_pton("::1"));`, want: "4 16\n"},
		{src: `echo inet_ntop(inet_pton("2001:DB8:0:0:0:0:0:1"));`, want: "2001:db8::1\n"},
		{src: `echo inet_ntop("abc") === none ? "none" : "value";`, want: "none\n"},
		{src: `echo inet_pton("nope") === none ? "none" : "value";`, want: "none\n"},
		{src: `echo inet_reverse("12.34.56.78") . " " . inet_reverse("12.34.56.78", "example.com");`, want: "78.56.34.12.in-addr.arpa 78.56.34.12.example.com\n"},
		{src: `echo inet_reverse("::1");`, want: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa\n"},
		{src: `inet_includes([], "10.0.0.0/8");`, err: "inet_includes(): argument 1 (ip) must be a string, got array"},
		{src: `echo domain_includes("MX.Example.COM.", "example.com") . " " . is_subdomain("halon.io", ".halon.io");`, want: "true false\n"},
		{src: `domain_includes("a", "b", "c");`, err: "domain_includes(): argument 3 (options) must be an array, got string"},
	})
}

func TestMailBuiltins(t *testing.T) {
	runScriptCases(t, []scriptCase{
		{src: `echo envelope_address_parse("user@example.com");`, want: "[\"localpart\"=>\"user\",\"domain\"=>\"example.com\"]\n"},
		{src: `echo envelope_address_parse("\"a b\"@example.com")["localpart"];`, want: "a b\n"},
		{src: `echo envelope_address_parse("postmaster");`, want: "[\"localpart\"=>\"postmaster\",\"domain\"=>\"\"]\n"},
		{src: `echo envelope_address_parse("") === none ? "none" : "value";`, want: "none\n"},
		{src: `echo envelope_address_parse("a b@c") === none ? "none" : "value";`, want: "none\n"},
		{src: `echo envelope_localpart_escape("email address") . " " . envelope_localpart_escape("user.name");`, want: "\"email address\" user.name\n"},
		{src: `echo header_addresslist_extract("\"Doe, John\" <john@example.com>, jane@example.com");`, want: "[0=>\"john@example.com\",1=>\"jane@example.com\"]\n"},
		{src: `echo header_addresslist_extract("To: A <a@x.example>", ["field" => true, "name" => true]);`, want: "[0=>[\"name\"=>\"A\",\"address\"=>\"a@x.example\"]]\n"},
		{src: `echo GetAddressList("b@example.com");`, want: "[0=>\"b@example.com\"]\n"},
		{src: `echo header_addresslist_extract("<<<") === none ? "none" : "value";`, want: "none\n"},
		{src: `echo header_addresslist_extract("no colon", ["field" => true]) === none ? "none" : "value";`, want: "none\n"},
		{src: `echo header_addresslist_compile([["name" => "Doe, John", "address" => "john@example.com"], "jane@example.com"]);`, want: "\"Doe, John\" <john@example.com>, jane@example.com\n"},
		{src: `header_addresslist_compile([true]);`, err: "header_addresslist_compile(): addresses must contain strings or arrays, got boolean"},
		{src: `echo header_dkim_decode("v=1; a=rsa-sha256; d=example.com; s=sel;");`, want: "[\"v\"=>\"1\",\"a\"=>\"rsa-sha256\",\"d\"=>\"example.com\",\"s\"=>\"sel\"]\n"},
		{src: `echo header_dkim_decode("DKIM-Signature: v=1; d=x", ["field" => true])["d"];`, want: "x\n"},
		{src: `echo header_dkim_decode("v=1; v=2") === none ? "none" : "value";`, want: "none\n"},
	})
}

func TestURLParseBuiltin(t *testing.T) {
	runScriptCases(t, []scriptCase{
		{src: `echo url_parse("https://user:pw@example.com:8443/a/b?x=1#frag");`,
			want: "[\"scheme\"=>\"https\",\"username\"=>\"user\",\"password\"=>\"pw\",\"hostname\"=>\"example.com\",\"port\"=>8443,\"path\"=>\"/a/b\",\"query\"=>\"x=1\",\"fragment\"=>\"frag\"]\n"},
		{src: `echo url_parse("http://example.com");`, want: "[\"scheme\"=>\"http\",\"hostname\"=>\"example.com\"]\n"},
		{src: `echo url_parse("not a url") === none ? "none" : "value";`, want: "none\n"},
		{src: `url_parse([]);`, err: "url_parse(): argument 1 (url) must be a string, got array"},
	})
}
