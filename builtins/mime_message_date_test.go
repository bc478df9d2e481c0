package builtins

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/vm"
)

func TestSetDateLaterRendersAtRenderTime(t *testing.T) {
	now := time.Date(2026, 3, 5, 8, 9, 10, 0, time.UTC)
	vm.SetClock(func() time.Time { return now })
	t.Cleanup(func() { vm.SetClock(nil) })

	src := `$m = MailMessage::String("Date: old\r\nSubject: a\r\nDate: older\r\n\r\nbody\r\n");
		echo $m->setDateLater();
		advance();
		echo $m->toString();
		echo $m->getHeader("date");
		$n = MailMessage::String("Subject: a\r\n\r\nbody\r\n");
		echo $n->setDateLater();
		echo $n->toString();
		echo $m->reset(); echo $m->toString();`
	lib := vm.NewLibrary()
	Install(lib)
	lib.Define("advance", func(c *vm.Call, args []vm.Value) (vm.Value, error) {
		now = now.Add(time.Hour)
		return vm.None, nil
	})
	out := runWithLibrary(t, lib, src)

	want := "2\n" +
		"Date: Thu, 05 Mar 2026 09:09:10 +0000\r\nSubject: a\r\nDate: Thu, 05 Mar 2026 09:09:10 +0000\r\n\r\nbody\r\n\n" +
		"old\n" +
		"1\n" +
		"Date: Thu, 05 Mar 2026 09:09:10 +0000\r\nSubject: a\r\n\r\nbody\r\n\n" +
		"1\n" +
		"Date: old\r\nSubject: a\r\nDate: older\r\n\r\nbody\r\n\n"
	if out != want {
		t.Errorf("output:\n%q\nwant:\n%q", out, want)
	}
}

func TestSetDateLaterOnPart(t *testing.T) {
	out, err := runLibScript(t, `$m = MailMessage::String("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nx\r\n--b--\r\n");
		$p = $m->getParts()[0]; echo $p->setDateLater(); echo str_find($m->toString(), "--b\r\nDate: ") >= 0;`, scriptRun{})
	if err != nil {
		t.Fatal(err)
	}
	if out != "1\ntrue\n" {
		t.Errorf("output %q, want %q", out, "1\ntrue\n")
	}
}

// runWithLibrary compiles and runs src against lib and returns its output.
func runWithLibrary(t *testing.T, lib *vm.Library, src string) string {
	t.Helper()
	prog, err := compile.File(filepath.Join(t.TempDir(), "test.hsl"), []byte(src), &compile.Options{Library: lib})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	var out strings.Builder
	if err := prog.Run(t.Context(), &vm.RunOptions{Out: &out}); err != nil {
		t.Fatalf("run: %v", err)
	}
	return out.String()
}
