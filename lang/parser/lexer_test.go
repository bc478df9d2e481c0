package parser

import (
	"strconv"
	"strings"
	"testing"

	"github.com/alecthomas/participle/v2/lexer"
)

// lexTexts scans src and returns each token as its text, with keywords
// and identifiers marked, so operator splitting is visible at a glance.
func lexTexts(t *testing.T, src string) string {
	t.Helper()
	toks, err := newScanner("t.hsl", src, 1, 1).tokenize()
	if err != nil {
		t.Fatalf("tokenize(%q): %v", src, err)
	}
	var parts []string
	for _, tok := range toks {
		text := src[tok.Off:tok.End]
		switch {
		case tok.Type == tokEOF:
			parts = append(parts, "EOF")
		case tok.Type == tokIdent:
			parts = append(parts, "id:"+text)
		case isKeyword(tok.Type):
			parts = append(parts, "kw:"+text)
		default:
			parts = append(parts, text)
		}
	}
	return strings.Join(parts, " ")
}

func TestLexOperators(t *testing.T) {
	cases := []struct{ src, want string }{
		{"a**=b", "id:a **= id:b EOF"},
		{"$a!==$b", "$a !== $b EOF"},
		{"$a=~$b", "$a =~ $b EOF"},
		{"$a>>>=", "$a >>> = EOF"},
		{"$a?:$b??$c", "$a ?: $b ?? $c EOF"},
		{"$s[::-1]", "$s [ :: - 1 ] EOF"},
		{"...$a=>$b->c", "... $a => $b -> id:c EOF"},
		{"$i++ + ++$i", "$i ++ + ++ $i EOF"},
		{"1.5.x", "1.5 . id:x EOF"},
		{"5.\"x\"", "5 . \"x\" EOF"},
		{"include_once includex", "kw:include_once id:includex EOF"},
		{"not notice", "kw:not id:notice EOF"},
		{"#/a\\/b/i.x", "#/a\\/b/i . id:x EOF"},
		{"'X'a'b'X'", "'X'a'b'X' EOF"},
		{"// c\n/* d */ $x", "$x EOF"},
	}
	for _, tc := range cases {
		if got := lexTexts(t, tc.src); got != tc.want {
			t.Errorf("tokens of %q = %q, want %q", tc.src, got, tc.want)
		}
	}
}

func TestLexPositions(t *testing.T) {
	src := "echo \"a\nb\";\r\n\t$x = 'Z'q\nr'Z' . #/y/;"
	toks, err := newScanner("t.hsl", src, 1, 1).tokenize()
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		text      string
		line, col int32
	}{
		{"echo", 1, 1}, {"\"a\nb\"", 1, 6}, {";", 2, 3},
		{"$x", 3, 2}, {"=", 3, 5}, {"'Z'q\nr'Z'", 3, 7}, {".", 4, 6}, {"#/y/", 4, 8}, {";", 4, 12},
		{"", 4, 13},
	}
	if len(toks) != len(want) {
		t.Fatalf("got %d tokens, want %d", len(toks), len(want))
	}
	for i, w := range want {
		tok := toks[i]
		if text := src[tok.Off:tok.End]; text != w.text || tok.Line != w.line || tok.Col != w.col {
			t.Errorf("token %d = %q at %d:%d, want %q at %d:%d", i, text, tok.Line, tok.Col, w.text, w.line, w.col)
		}
	}
}

// TestLexerDefinition checks the scanner through participle's lexer
// interface, which the import grammar uses.
func TestLexerDefinition(t *testing.T) {
	lex, err := Lexer.(lexer.StringDefinition).LexString("t.hsl", `import $x from "a.json";`)
	if err != nil {
		t.Fatal(err)
	}
	toks, err := lexer.ConsumeAll(lex)
	if err != nil {
		t.Fatal(err)
	}

	symbols := Lexer.Symbols()
	want := []struct {
		symbol string
		value  string
		column int
	}{
		{"Kw_import", "import", 1}, {"Variable", "$x", 8}, {"Kw_from", "from", 11},
		{"String", `"a.json"`, 16}, {"Op" + strconv.Itoa(int(tokSemicolon)), ";", 24}, {"EOF", "", 25},
	}
	if len(toks) != len(want) {
		t.Fatalf("got %d tokens, want %d", len(toks), len(want))
	}
	for i, w := range want {
		tok := toks[i]
		if tok.Type != symbols[w.symbol] || tok.Value != w.value || tok.Pos.Column != w.column || tok.Pos.Filename != "t.hsl" {
			t.Errorf("token %d = %#v, want %s %q at column %d", i, tok, w.symbol, w.value, w.column)
		}
	}
}

func TestKeywordTypes(t *testing.T) {
	for i, name := range keywordNames {
		want := firstKeyword + lexer.TokenType(i)
		if got := keywordType(name); got != want {
			t.Errorf("keywordType(%q) = %d, want %d", name, got, want)
		}
	}
	for _, name := range []string{"null", "new", "this", "elseif", "Echo", "includes", "a", "function_"} {
		if got := keywordType(name); got != tokIdent {
			t.Errorf("keywordType(%q) = %d, want an identifier", name, got)
		}
	}
}
