package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium, which .ci/run installs.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium is not installed; run .ci/run or apt-get install chromium")
	return ""
}

// artifactDir is where the test saves its screenshot: $HALONSH_ARTIFACTS,
// or tests/e2e/artifacts.
func artifactDir(t *testing.T) string {
	dir := os.Getenv("HALONSH_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestWebViewListsMessages(t *testing.T) {
	s := startSink(t, true)
	m := startServe(t, s.port, deliveryPolicy)
	m.inject(t, []string{"alice@d0.test", "bob@d0.test", "carol@d1.test"})

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()

	// The first action starts the browser; it runs without a deadline,
	// which would stop the browser, and the later ones with one each.
	if err := chromedp.Do(ctx, chromedp.Navigate(m.apiURL+"/")); err != nil {
		t.Fatalf("browser: %v", err)
	}
	step, cancelStep := context.WithTimeout(ctx, 60*time.Second)
	defer cancelStep()

	bar := `#chart .bar[data-bucket="0-5"]`
	err := chromedp.Do(step,
		chromedp.WaitVisible("#token"),
		chromedp.SendKeys("#token", m.token),
		chromedp.Click("#token-form button"),
		// The first bucket's bar carries the count of fresh messages.
		chromedp.WaitVisible(bar),
		chromedp.Poll[chromedp.Void](`document.querySelector('`+bar+` .value').textContent === "3"`, chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Click(bar),
		chromedp.WaitVisible(`#messages tr.message`),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#messages tr.message').length === 3`, chromedp.WithPollingTimeout(10*time.Second)),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	recipients, err := chromedp.Run(step, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('#messages td.recipient')).map(td => td.textContent).sort().join(",")`))
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	screenshot, err := chromedp.Run(step, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}

	if recipients != "alice@d0.test,bob@d0.test,carol@d1.test" {
		t.Errorf("listed recipients = %q", recipients)
	}

	path := filepath.Join(artifactDir(t), "webview.png")
	if err := os.WriteFile(path, screenshot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)

	// A group cell of the shape table filters by its group too.
	err = chromedp.Do(step,
		chromedp.Click(`#shape td.clickable[data-bucket="0-5"]`),
		chromedp.Poll[chromedp.Void](`document.getElementById('messages-title').textContent.includes('where recipientdomain=')`, chromedp.WithPollingTimeout(10*time.Second)),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	rows, err := chromedp.Run(step, chromedp.Evaluate[int](`document.querySelectorAll('#messages tr.message').length`))
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	title, err := chromedp.Run(step, chromedp.Text("#messages-title"))
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	want := 2
	if strings.Contains(title, "d1.test") {
		want = 1
	}
	if rows != want {
		t.Errorf("%q lists %d messages, want %d", title, rows, want)
	}
}
