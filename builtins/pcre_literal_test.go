package builtins

import "testing"

// Regex literals and =~ must match exactly what the pcre_* functions
// match, because both compile through one translation.
func TestRegexOperatorsAgreeWithPCRE(t *testing.T) {
	runScriptCases(t, []scriptCase{
		// Without u, \w is ASCII and a non-ASCII byte is one character.
		{src: `echo ("\xe9" =~ #/^\w$/) . " " . length(pcre_match(#/^\w$/, "\xe9"));`, want: "false 0\n"},
		// A named group followed by a numbered backreference.
		{src: `echo ("xyy" =~ "/(?<n>x)(y)\\2/") . " " . length(pcre_match("/(?<n>x)(y)\\2/", "xyy"));`, want: "true 4\n"},
		// \Q...\E quotes its text in literals too.
		{src: `echo ("a.b" =~ #/^\Qa.b\E$/) . " " . ("axb" =~ #/^\Qa.b\E$/);`, want: "true false\n"},
	})
}
