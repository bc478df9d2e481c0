package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A serve whose configuration does not load exits 1 with the error and
// leaves no API token file or spool behind.
func TestFailedStartLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	cfg := "api:\n  address: 127.0.0.1:0\n  tokenfile: api-token\nservers:\n  - listeners: [{address: 127.0.0.1, port: 0}]\n    bogus: 1\n"
	if err := os.WriteFile(filepath.Join(dir, "smtpd.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(halonsh(t), "serve", "--config", dir, "--spool", filepath.Join(dir, "spool"))
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("serve: %v, want exit status 1\n%s", err, out)
	}
	if !strings.Contains(string(out), "smtpd.yaml:6:5: servers[0].bogus: unknown key") {
		t.Errorf("output lacks the positioned error:\n%s", out)
	}
	for _, name := range []string{"api-token", "spool"} {
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s exists after the failed start (%v)", name, err)
		}
	}
}
