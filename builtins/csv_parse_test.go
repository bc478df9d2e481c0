package builtins

import (
	"fmt"
	"testing"
)

func TestParseCSV(t *testing.T) {
	tests := []struct {
		text  string
		delim byte
		want  string // fmt %q of the rows
		err   bool
	}{
		{"a,b\n1,2\n", ',', `[["a" "b"] ["1" "2"]]`, false},
		{"a,b\r\n1,2", ',', `[["a" "b"] ["1" "2"]]`, false},
		{"", ',', `[]`, false},
		{"\n", ',', `[[""]]`, false},
		{"x\n\ny\n", ',', `[["x"] [""] ["y"]]`, false},
		{`"a,b","say ""hi""",c`, ',', `[["a,b" "say \"hi\"" "c"]]`, false},
		{"\"multi\nline\",2\n", ',', `[["multi\nline" "2"]]`, false},
		{"a;b,c", ';', `[["a" "b,c"]]`, false},
		{"a,", ',', `[["a" ""]]`, false},
		{`a"b,c`, ',', `[["a\"b" "c"]]`, false},
		{`"",""`, ',', `[["" ""]]`, false},
		{`"open`, ',', ``, true},
		{`"a"b,c`, ',', ``, true},
	}
	for _, tc := range tests {
		rows, err := parseCSV(tc.text, tc.delim)
		if tc.err {
			if err == nil {
				t.Errorf("parseCSV(%q) = %q, want an error", tc.text, rows)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseCSV(%q): %v", tc.text, err)
			continue
		}
		got := fmt.Sprintf("%q", rows)
		if rows == nil {
			got = "[]"
		}
		if got != tc.want {
			t.Errorf("parseCSV(%q) = %s, want %s", tc.text, got, tc.want)
		}
	}
}

func TestEncodeCSVRow(t *testing.T) {
	tests := []struct {
		fields []string
		delim  byte
		want   string
	}{
		{[]string{"a", "b"}, ',', "a,b"},
		{[]string{"a,b", `q"t`, "line\nbreak", "cr\r"}, ',', `"a,b","q""t","line` + "\n" + `break","cr` + "\r" + `"`},
		{[]string{"a,b", "c;d"}, ';', `a,b;"c;d"`},
		{[]string{}, ',', ""},
		{[]string{""}, ',', ""},
	}
	for _, tc := range tests {
		if got := encodeCSVRow(tc.fields, tc.delim); got != tc.want {
			t.Errorf("encodeCSVRow(%q) = %q, want %q", tc.fields, got, tc.want)
		}
	}
}
