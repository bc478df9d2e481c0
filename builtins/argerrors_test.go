package builtins

import (
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

// TestArgumentErrors checks the wrong-count and wrong-type errors of every
// builtin of the array, type, math, time, encoding, JSON, YAML, CSV, pack,
// string and regex groups: each names the function, and for a type the
// argument position and parameter.
func TestArgumentErrors(t *testing.T) {
	s, n, l := vStr, vNum, vList
	fn := vm.NewBuiltin("f", nil)
	cases := []builtinCase{
		{name: "array_combine", args: []vm.Value{s("k"), l()}, errPart: "array_combine(): argument 1 (keys) must be an array, got string"},
		{name: "array_combine", args: []vm.Value{l()}, errPart: "array_combine(): expected 2 to 3 arguments, got 1"},
		{name: "array_every", args: []vm.Value{l(), l()}, errPart: "array_every(): argument 1 (callback) must be a function, got array"},
		{name: "array_filter", args: []vm.Value{fn, n(1)}, errPart: "array_filter(): argument 2 (array) must be an array, got number"},
		{name: "array_find", args: []vm.Value{fn}, errPart: "array_find(): expected 2 arguments, got 1"},
		{name: "array_includes", args: []vm.Value{n(1), s("abc")}, errPart: "array_includes(): argument 2 (array) must be an array, got string"},
		{name: "array_join", args: []vm.Value{l(), l()}, errPart: "array_join(): argument 2 (separator) must be a string, got array"},
		{name: "array_keys", args: []vm.Value{vm.None}, errPart: "array_keys(): argument 1 (array) must be an array, got none"},
		{name: "array_map", args: []vm.Value{fn, l(), l()}, errPart: "array_map(): expected 2 arguments, got 3"},
		{name: "array_random", args: []vm.Value{s("x")}, errPart: "array_random(): argument 1 (array) must be an array, got string"},
		{name: "array_range", args: []vm.Value{s("a"), n(2)}, errPart: "array_range(): argument 1 (start) must be a number, got string"},
		{name: "array_reduce", args: []vm.Value{fn, l(), n(0), n(1)}, errPart: "array_reduce(): expected 2 to 3 arguments, got 4"},
		{name: "array_reverse", args: []vm.Value{n(1)}, errPart: "array_reverse(): argument 1 (array) must be an array, got number"},
		{name: "array_shuffle", args: nil, errPart: "array_shuffle(): expected 1 argument, got 0"},
		{name: "array_sort", args: []vm.Value{fn, l(), s("keys")}, errPart: "array_sort(): argument 3 (options) must be an array, got string"},
		{name: "array_unique", args: []vm.Value{vm.True}, errPart: "array_unique(): argument 1 (array) must be an array, got boolean"},

		{name: "is_string", args: nil, errPart: "is_string(): expected 1 argument, got 0"},
		{name: "string", args: []vm.Value{n(1), n(2)}, errPart: "string(): expected 1 argument, got 2"},

		{name: "round", args: []vm.Value{n(1), l()}, errPart: "round(): argument 2 (decimals) must be a number, got array"},
		{name: "pow", args: []vm.Value{n(2), vm.None}, errPart: "pow(): argument 2 (exponent) must be a number, got none"},
		{name: "log", args: []vm.Value{n(2), s("e")}, errPart: "log(): argument 2 (base) must be a number, got string"},
		{name: "floor", args: []vm.Value{l()}, errPart: "floor(): argument 1 (number) must be a number, got array"},

		{name: "sleep", args: []vm.Value{s("soon")}, errPart: "sleep(): argument 1 (seconds) must be a number, got string"},
		{name: "strftime", args: []vm.Value{l()}, errPart: "strftime(): argument 1 (format) must be a string, got array"},
		{name: "strptime", args: []vm.Value{s("1"), l()}, errPart: "strptime(): argument 2 (format) must be a string, got array"},
		{name: "strpduration", args: []vm.Value{l()}, errPart: "strpduration(): argument 1 (duration) must be a string, got array"},
		{name: "uptime", args: []vm.Value{n(1)}, errPart: "uptime(): expected 0 arguments, got 1"},
		{name: "executiontime", args: []vm.Value{n(1)}, errPart: "executiontime(): expected 0 arguments, got 1"},
		{name: "timelocal", args: []vm.Value{n(1)}, errPart: "timelocal(): expected 0 arguments, got 1"},

		{name: "base64_decode", args: []vm.Value{l()}, errPart: "base64_decode(): argument 1 (string) must be a string, got array"},
		{name: "url_encode", args: nil, errPart: "url_encode(): expected 1 argument, got 0"},
		{name: "idna_encode", args: []vm.Value{vm.None}, errPart: "idna_encode(): argument 1 (string) must be a string, got none"},
		{name: "zlib_uncompress", args: []vm.Value{s("x"), n(99)}, errPart: "zlib_uncompress(): argument 2 (windowbits)"},

		{name: "json_decode", args: []vm.Value{s("1"), vAssoc("allow_comments", l())}, errPart: `json_decode(): option "allow_comments" must be a boolean, got array`},
		{name: "json_encode", args: nil, errPart: "json_encode(): expected 1 to 2 arguments, got 0"},
		{name: "yaml_decode", args: []vm.Value{l()}, errPart: "yaml_decode(): argument 1 (string) must be a string, got array"},
		{name: "yaml_decode", args: []vm.Value{s("a"), vAssoc("tags", s("x"))}, errPart: `yaml_decode(): option "tags" must be an array, got string`},
		{name: "csv_decode", args: []vm.Value{s("a"), vAssoc("schema", s("x"))}, errPart: `csv_decode(): option "schema" must be an array, got string`},
		{name: "csv_decode", args: []vm.Value{s("a"), vAssoc("delimiter", "")}, errPart: `csv_decode(): option "delimiter" must be one byte`},
		{name: "pack", args: []vm.Value{l()}, errPart: "pack(): argument 1 (format) must be a string, got array"},
		{name: "unpack", args: []vm.Value{s("C"), s("a"), s("x")}, errPart: "unpack(): argument 3 (offset) must be a number, got string"},

		{name: "str_repeat", args: []vm.Value{l(), n(1)}, errPart: "str_repeat(): argument 1 (string) must be a string, got array"},
		{name: "str_replace", args: []vm.Value{s("a"), l(), s("b")}, errPart: "str_replace(): argument 2 (replace) must be a string, got array"},
		{name: "str_find", args: []vm.Value{s("a"), s("b"), s("x")}, errPart: "str_find(): argument 3 (offset) must be a number, got string"},
		{name: "str_rfind", args: []vm.Value{s("a"), vm.None}, errPart: "str_rfind(): argument 2 (substring) must be a string, got none"},
		{name: "str_lower", args: []vm.Value{l()}, errPart: "str_lower(): argument 1 (string) must be a string, got array"},
		{name: "str_slice", args: []vm.Value{s("a"), n(0), l()}, errPart: "str_slice(): argument 3 (length) must be a number, got array"},
		{name: "str_strip", args: []vm.Value{s("a"), l()}, errPart: "str_strip(): argument 2 (characters) must be a string, got array"},
		{name: "str_chunk", args: []vm.Value{s("a")}, errPart: "str_chunk(): expected 2 to 3 arguments, got 1"},
		{name: "explode", args: []vm.Value{l(), s("a")}, errPart: "explode(): argument 1 (delimiter) must be a string, got array"},
		{name: "implode", args: []vm.Value{s(","), s("a")}, errPart: "implode(): argument 2 (array) must be an array, got string"},

		{name: "pcre_match", args: []vm.Value{s("a"), l()}, errPart: "pcre_match(): argument 2 (subject) must be a string, got array"},
		{name: "pcre_match_all", args: []vm.Value{s("a")}, errPart: "pcre_match_all(): expected 2 arguments, got 1"},
		{name: "pcre_replace", args: []vm.Value{s("a"), l(), s("b")}, errPart: "pcre_replace(): argument 2 (replace) must be a string or a function, got array"},
		{name: "pcre_replace", args: []vm.Value{s("a"), s("b"), s("c"), s("x")}, errPart: "pcre_replace(): argument 4 (limit) must be a number, got string"},
		{name: "pcre_quote", args: []vm.Value{l()}, errPart: "pcre_quote(): argument 1 (string) must be a string, got array"},
		{name: "pcre_compile", args: []vm.Value{l()}, errPart: "pcre_compile(): argument 1 (pattern) must be a regex or a string, got array"},
	}
	runBuiltinCases(t, cases)
}
