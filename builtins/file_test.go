package builtins

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
