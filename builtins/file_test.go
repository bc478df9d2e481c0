package builtins

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/halonsh/halonsh/lang/vm"
)

func TestFileClass(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "data.txt"), []byte("line one\r\nline two\nlast"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []scriptCase{
		{src: `$f = File("data.txt"); echo $f->readline(); echo $f->readline(); echo $f->readline(); echo $f->readline();`, want: "line one\nline two\nlast\nfalse\n"},
		{src: `$f = File("file:data.txt"); echo $f->read(4); echo $f->tell(); echo $f->read();  echo $f->read() === "" ? "eof" : "more";`, want: "line\n4\n one\r\nline two\nlast\neof\n"},
		{src: `$f = File("./data.txt"); echo $f->seek(-4, "SEEK_END"); echo $f->read(); echo $f->seek(5); echo $f->seek(-1, "SEEK_CUR"); echo $f->read(3);`, want: "19\nlast\n5\n4\n on\n"},
		{src: `$f = File("data.txt"); echo $f->seek(-100) === none ? "none" : "value";`, want: "none\n"},
		{src: `echo File::read("data.txt");`, want: "line one\r\nline two\nlast\n"},
		{src: `echo File::read("missing.txt") === none ? "none" : "value";`, want: "none\n"},
		{src: `$f = File::String("a\nb"); echo $f->readline() . "," . $f->readline(); echo $f->getPath() === none ? "no path" : "path";`, want: "a,b\nno path\n"},
		{src: `File("missing.txt");`, err: `File(): cannot open "missing.txt"`},
		{src: `$f = File("data.txt"); $f->close(); $f->read();`, err: "file is closed"},
		{src: `$f = File("data.txt"); $f->seek(0, "SEEK_WHAT");`, err: `argument 2 (whence) must be SEEK_SET, SEEK_CUR or SEEK_END, got "SEEK_WHAT"`},
		{src: `$f = File("data.txt"); $f->read(-1);`, err: "argument 1 (length) must not be negative"},
		{src: `File([]);`, err: "File(): argument 1 (x) must be a path or a FileResource, got array"},
	}
	for _, c := range cases {
		out, err := runLibScript(t, c.src, scriptRun{dir: dir})
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s\n  error %v, want %q", c.src, err, c.err)
		case c.err == "" && (err != nil || out != c.want):
			t.Errorf("%s\n  output %q, %v, want %q", c.src, out, err, c.want)
		}
	}

	// getPath returns the resolved path.
	out, err := runLibScript(t, `echo File("data.txt")->getPath();`, scriptRun{dir: dir})
	if want := filepath.Join(dir, "data.txt") + "\n"; err != nil || out != want {
		t.Errorf("getPath = %q, %v, want %q", out, err, want)
	}
}

// TestFilePathsFromIncludedScript checks that a plain relative name
// resolves from the script root even when the call sits in an included
// file in another directory, while "./" names resolve from that file's
// directory, as they do for include and import.
func TestFilePathsFromIncludedScript(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"data.txt":     "root data",
		"sub/data.txt": "sub data",
		"sub/lib.hsl": `function plain() { return File::read("data.txt"); }
function prefixed() { return File("file://data.txt")->read(); }
function dotted() { return File("./data.txt")->read(); }`,
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	cases := []scriptCase{
		{src: `include "sub/lib.hsl"; echo plain();`, want: "root data\n"},
		{src: `include "sub/lib.hsl"; echo prefixed();`, want: "root data\n"},
		{src: `include "sub/lib.hsl"; echo dotted();`, want: "sub data\n"},
	}
	for _, c := range cases {
		out, err := runLibScript(t, c.src, scriptRun{dir: dir})
		if err != nil || out != c.want {
			t.Errorf("%s\n  output %q, %v, want %q", c.src, out, err, c.want)
		}
	}

	// A root set on the program replaces the main file's directory.
	prog := compileLibScript(t, `echo File::read("data.txt");`, t.TempDir())
	prog.SetRoot(filepath.Join(dir, "sub"))
	var out strings.Builder
	if err := prog.Run(context.Background(), &vm.RunOptions{Out: &out}); err != nil || out.String() != "sub data\n" {
		t.Errorf("with SetRoot: output %q, %v, want %q", out.String(), err, "sub data\n")
	}
}
