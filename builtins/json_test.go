package builtins

import (
	"strings"
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

func TestJSONEncode(t *testing.T) {
	s, n, l := vStr, vNum, vList
	pretty := vAssoc("pretty_print", true)
	raw := vAssoc("ensure_ascii", false)
	runBuiltinCases(t, []builtinCase{
		{name: "json_encode", args: []vm.Value{l(n(1), n(2), n(3))}, want: `"[1,2,3]"`},
		{name: "json_encode", args: []vm.Value{vAssoc("a", 1, "b", l(vm.True, vm.False, vm.None))}, want: `"{\"a\":1,\"b\":[true,false,null]}"`},
		{name: "json_encode", args: []vm.Value{vAssoc(1, "a", 2, "b")}, want: `"{\"1\":\"a\",\"2\":\"b\"}"`},
		{name: "json_encode", args: []vm.Value{l()}, want: `"[]"`},
		{name: "json_encode", args: []vm.Value{n(1.5)}, want: `"1.5"`},
		{name: "json_encode", args: []vm.Value{n(1e21)}, want: `"1e+21"`},
		{name: "json_encode", args: []vm.Value{n(9007199254740991)}, want: `"9007199254740991"`},
		{name: "json_encode", args: []vm.Value{n(1 << 60)}, want: `"1152921504606847000"`},
		{name: "json_encode", args: []vm.Value{n(-(1 << 60))}, want: `"-1152921504606847000"`},
		{name: "json_encode", args: []vm.Value{n(-0.000001)}, want: `"-0.000001"`},
		{name: "json_encode", args: []vm.Value{vm.None}, want: `"null"`},
		{name: "json_encode", args: []vm.Value{s("say \"hi\" \\ /")}, want: `"\"say \\\"hi\\\" \\\\ /\""`},
		{name: "json_encode", args: []vm.Value{s("\b\f\n\r\t\x01\x1f")}, want: `"\"\\b\\f\\n\\r\\t\\u0001\\u001f\""`},
		{name: "json_encode", args: []vm.Value{s("caf\xc3\xa9")}, want: `"\"caf\\u00e9\""`},
		{name: "json_encode", args: []vm.Value{s("\xf0\x9f\x98\x80")}, want: `"\"\\ud83d\\ude00\""`},
		{name: "json_encode", args: []vm.Value{s("caf\xc3\xa9"), raw}, want: `"\"caf\xc3\xa9\""`},
		{name: "json_encode", args: []vm.Value{s("\xff")}, want: "none"},
		{name: "json_encode", args: []vm.Value{n(nan())}, want: "none"},
		{name: "json_encode", args: []vm.Value{l(vm.NewBuiltin("f", nil))}, want: "none"},
		{name: "json_encode", args: []vm.Value{vAssoc("a", 1, "b", l(n(1), n(2)), "c", l()), pretty},
			want: `"{\n    \"a\": 1,\n    \"b\": [\n        1,\n        2\n    ],\n    \"c\": []\n}"`},
		{name: "json_encode", args: []vm.Value{n(1), n(2)}, errPart: "argument 2 (options) must be an array, got number"},
		{name: "json_encode", args: []vm.Value{n(1), vAssoc("pretty_print", "yes")}, errPart: `option "pretty_print" must be a boolean, got string`},
	})
}

func TestJSONDecode(t *testing.T) {
	s := vStr
	comments := vAssoc("allow_comments", true)
	runBuiltinCases(t, []builtinCase{
		{name: "json_decode", args: []vm.Value{s(`{"name":"x","list":[1,2,{"k":null}],"ok":true,"n":2.5}`)},
			want: `["name"=>"x","list"=>[0=>1,1=>2,2=>["k"=>none]],"ok"=>true,"n"=>2.5]`},
		{name: "json_decode", args: []vm.Value{s(`{"1":"a","01":"b","a":1,"a":2}`)}, want: `[1=>"a","01"=>"b","a"=>2]`},
		{name: "json_decode", args: []vm.Value{s(` [ ] `)}, want: `[]`},
		{name: "json_decode", args: []vm.Value{s(`{}`)}, want: `[]`},
		{name: "json_decode", args: []vm.Value{s(`"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00\ud800x"`)}, want: `"a\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80\xef\xbf\xbdx"`},
		{name: "json_decode", args: []vm.Value{s(`-12.5e2`)}, want: "-1250"},
		{name: "json_decode", args: []vm.Value{s(`12345678901234567`)}, want: "12345678901234568"},
		{name: "json_decode", args: []vm.Value{s(`-0`)}, want: "0"},
		{name: "json_decode", args: []vm.Value{s(`true`)}, want: "true"},
		{name: "json_decode", args: []vm.Value{s(`null`)}, want: "none"},
		{name: "json_decode", args: []vm.Value{s(`not json`)}, want: "none"},
		{name: "json_decode", args: []vm.Value{s(``)}, want: "none"},
		{name: "json_decode", args: []vm.Value{s(`[1,]`)}, want: "none"},
		{name: "json_decode", args: []vm.Value{s(`{"a":1,}`)}, want: "none"},
		{name: "json_decode", args: []vm.Value{s(`[1] x`)}, want: "none"},
		{name: "json_decode", args: []vm.Value{s(`01`)}, want: "none"},
		{name: "json_decode", args: []vm.Value{s(`1.`)}, want: "none"},
		{name: "json_decode", args: []vm.Value{s(`1e400`)}, want: "none"},
		{name: "json_decode", args: []vm.Value{s("\"a\tb\"")}, want: "none"},
		{name: "json_decode", args: []vm.Value{s(`"\x"`)}, want: "none"},
		{name: "json_decode", args: []vm.Value{s(`"\u12"`)}, want: "none"},
		{name: "json_decode", args: []vm.Value{s(`{"a": /* note */ 1}`)}, want: "none"},
		{name: "json_decode", args: []vm.Value{s(`{"a": /* note */ 1}`), comments}, want: `["a"=>1]`},
		{name: "json_decode", args: []vm.Value{s("{\"b\": 2} // trailing note"), comments}, want: `["b"=>2]`},
		{name: "json_decode", args: []vm.Value{s(`[1 /* open`), comments}, want: "none"},
		{name: "json_decode", args: []vm.Value{s(strings.Repeat("[", 512) + strings.Repeat("]", 512))}, want: strings.Repeat("[0=>", 511) + "[]" + strings.Repeat("]", 511)},
		{name: "json_decode", args: []vm.Value{s(strings.Repeat("[", 513) + strings.Repeat("]", 513))}, want: "none"},
		{name: "json_decode", args: []vm.Value{vList()}, errPart: "argument 1 (string) must be a string, got array"},
	})
}

func TestJSONRoundTrip(t *testing.T) {
	doc := `{"id":7,"tags":["a","b"],"meta":{"ok":false,"n":-1.25,"s":"caf\u00e9"}}`
	v, ok := decodeJSON(doc, false)
	if !ok {
		t.Fatal("decode failed")
	}
	got, err := callBuiltin(t, "json_encode", v)
	if err != nil {
		t.Fatal(err)
	}
	if got.Str() != doc {
		t.Errorf("round trip = %s, want %s", got.Str(), doc)
	}
}
