package builtins

import "testing"

func TestIconvScripts(t *testing.T) {
	runScriptCases(t, []scriptCase{
		{src: `$i = Iconv("ISO-8859-1", "UTF-8"); echo $i->convert("caf\xe9") === "caf\xc3\xa9"; echo $i->errno();`, want: "true\n0\n"},
		{src: `$i = Iconv("UTF-8", "ISO-8859-1"); echo $i->convert("caf\xc3\xa9") === "caf\xe9"; echo $i->convert("\xe2\x82\xac"); echo $i->errno();`, want: "true\nnone\n84\n"},
		{src: `$i = Iconv("UTF-8", "windows-1252"); echo $i->convert("\xe2\x82\xac") === "\x80";`, want: "true\n"},
		{src: `$i = Iconv("UTF-8", "US-ASCII//TRANSLIT"); echo $i->convert("caf\xc3\xa9");`, want: "caf?\n"},
		{src: `$i = Iconv("UTF-8", "US-ASCII//IGNORE"); echo $i->convert("caf\xc3\xa9");`, want: "caf\n"},
		{src: `$i = Iconv("UTF-8", "US-ASCII"); echo $i->convert("caf\xc3\xa9");`, want: "none\n"},
		{src: `$i = Iconv("UTF-8", "UTF-8"); echo $i->convert("a\xffb"); $j = Iconv("UTF-8", "UTF-8//IGNORE"); echo $j->convert("a\xffb");`, want: "none\nab\n"},
		{src: `$i = Iconv("KOI8-R", "UTF-8"); echo $i->convert("\xf0\xd2\xc9\xd7\xc5\xd4") === "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82";`, want: "true\n"},
		{src: `$i = Iconv("UTF-8", "ISO-8859-1"); $i->close(); $i->convert("a");`, err: "the Iconv object is closed"},
		{src: `Iconv("x-nope", "UTF-8");`, err: `Iconv(): unsupported charset "x-nope"`},
	})
}
