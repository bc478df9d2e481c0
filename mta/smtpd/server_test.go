package smtpd

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/halonsh/halonsh/mta/spool"
)

// spoolBackend stores messages in a real spool, one queue entry per
// recipient, as the MTA's queue does.
type spoolBackend struct {
	sp *spool.Spool

	mu        sync.Mutex
	committed map[string]time.Time // id -> when Commit returned
	aborted   int
	delay     time.Duration // added before Commit returns

	connect func(*Conn) error
	mail    func(*Transaction) error
	rcpt    func(*Transaction, *Recipient) error
}

func (b *spoolBackend) NewMessage(ctx context.Context, tx *Transaction) (MessageWriter, error) {
	w, err := b.sp.Create(tx.ID)
	if err != nil {
		return nil, err
	}
	return &spoolWriter{b: b, w: w}, nil
}

type spoolWriter struct {
	b *spoolBackend
	w *spool.Writer
}

func (w *spoolWriter) Write(p []byte) (int, error) { return w.w.Write(p) }

func (w *spoolWriter) Commit(ctx context.Context, tx *Transaction) error {
	m := &spool.Message{Sender: tx.Sender, ServerID: tx.Conn.ServerID}
	for _, r := range tx.Recipients {
		m.Recipients = append(m.Recipients, spool.Recipient{Address: r.Address})
	}
	if err := w.w.Commit(m); err != nil {
		return err
	}
	time.Sleep(w.b.delay)
	w.b.mu.Lock()
	w.b.committed[tx.ID] = time.Now()
	w.b.mu.Unlock()
	return nil
}

func (w *spoolWriter) Abort() {
	w.w.Abort()
	w.b.mu.Lock()
	w.b.aborted++
	w.b.mu.Unlock()
}

// hookBackend adds the hooks that a test sets.
type hookBackend struct{ *spoolBackend }

func (b hookBackend) Connect(ctx context.Context, c *Conn) error {
	if b.connect == nil {
		return nil
	}
	return b.connect(c)
}

func (b hookBackend) Mail(ctx context.Context, tx *Transaction) error {
	if b.mail == nil {
		return nil
	}
	return b.mail(tx)
}

func (b hookBackend) Rcpt(ctx context.Context, tx *Transaction, r *Recipient) error {
	if b.rcpt == nil {
		return nil
	}
	return b.rcpt(tx, r)
}

func newSpoolBackend(t testing.TB) *spoolBackend {
	sp, _, err := spool.Open(t.TempDir(), spool.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sp.Close() })
	return &spoolBackend{sp: sp, committed: make(map[string]time.Time)}
}

// startServer serves backend on a random port of 127.0.0.1.
func startServer(t testing.TB, cfg Config, backend Backend) (*Server, string) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Hostname == "" {
		cfg.Hostname = "mx.test"
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer(cfg, backend)
	done := make(chan struct{})
	go func() {
		s.Serve(l)
		close(done)
	}()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return s, l.Addr().String()
}

// dialText opens a raw SMTP connection and reads the banner.
func dialText(t *testing.T, addr string) (*textproto.Conn, int, string) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	c := textproto.NewConn(nc)
	t.Cleanup(func() { c.Close() })
	code, msg, _ := c.ReadResponse(0)
	return c, code, msg
}

// command sends one line and returns the reply code and text.
func command(t *testing.T, c *textproto.Conn, line string) (int, string) {
	t.Helper()
	if err := c.PrintfLine("%s", line); err != nil {
		t.Fatalf("sending %q: %v", line, err)
	}
	code, msg, err := c.ReadResponse(0)
	if err != nil && code == 0 {
		t.Fatalf("reply to %q: %v", line, err)
	}
	return code, msg
}

func TestMessageStoredBeforeReply(t *testing.T) {
	b := newSpoolBackend(t)
	b.delay = 200 * time.Millisecond
	_, addr := startServer(t, Config{ServerID: "inbound"}, b)

	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail("sender@example.org", nil); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"a@example.com", "b@example.net"} {
		if err := c.Rcpt(r, nil); err != nil {
			t.Fatal(err)
		}
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	body := "Subject: test\r\n\r\nHello.\r\n"
	io.WriteString(w, body)
	resp, err := w.CloseWithResponse()
	if err != nil {
		t.Fatalf("end of data: %v", err)
	}
	replyAt := time.Now()

	_, id, ok := strings.Cut(resp.StatusText, "queued as ")
	if !ok {
		t.Fatalf("reply %q does not name the message id", resp.StatusText)
	}
	b.mu.Lock()
	committedAt, found := b.committed[id]
	b.mu.Unlock()
	if !found {
		t.Fatalf("message %s got 250 but was not committed", id)
	}
	if replyAt.Before(committedAt) {
		t.Errorf("250 arrived at %v, before Commit returned at %v", replyAt, committedAt)
	}

	m, err := b.sp.Load(id)
	if err != nil {
		t.Fatalf("Load(%s): %v", id, err)
	}
	if len(m.Recipients) != 2 {
		t.Errorf("stored %d queue entries, want one per recipient (2)", len(m.Recipients))
	}
	if m.ServerID != "inbound" {
		t.Errorf("ServerID = %q, want inbound", m.ServerID)
	}
	d, err := b.sp.Data(id)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(d)
	d.Close()
	hdr, rest, ok := strings.Cut(string(got), ";\r\n\t")
	if !ok {
		t.Fatalf("stored data %q has no Received header", got)
	}
	wantHdr := "Received: from client.test ([127.0.0.1])\r\n\tby mx.test (halonsh) with ESMTP id " + id
	if hdr != wantHdr {
		t.Errorf("Received header %q, want %q", hdr, wantHdr)
	}
	date, stored, _ := strings.Cut(rest, "\r\n")
	if _, err := time.Parse(time.RFC1123Z, date); err != nil {
		t.Errorf("Received header date %q: %v", date, err)
	}
	if stored != body {
		t.Errorf("stored data after the Received header = %q, want %q", stored, body)
	}
	if m.Size != int64(len(got)) {
		t.Errorf("Size = %d, want the %d bytes stored", m.Size, len(got))
	}
}

func TestOversizedMessageRejected(t *testing.T) {
	b := newSpoolBackend(t)
	_, addr := startServer(t, Config{MaxMessageBytes: 1000}, b)

	c, _, _ := dialText(t, addr)
	command(t, c, "EHLO client.test")
	command(t, c, "MAIL FROM:<s@example.org>")
	command(t, c, "RCPT TO:<r@example.com>")
	if code, _ := command(t, c, "DATA"); code != 354 {
		t.Fatalf("DATA: %d", code)
	}
	c.PrintfLine("%s", strings.Repeat("x", 500))
	c.PrintfLine("%s", strings.Repeat("y", 800))
	code, msg := command(t, c, ".")
	if code != 552 {
		t.Errorf("reply to a 1300 byte message with a 1000 byte limit: %d %s, want 552", code, msg)
	}

	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.committed) != 0 {
		t.Errorf("%d messages committed, want 0", len(b.committed))
	}
	if b.aborted != 1 {
		t.Errorf("Abort called %d times, want 1", b.aborted)
	}
	if b.sp.Len() != 0 {
		t.Errorf("spool holds %d messages, want 0", b.sp.Len())
	}
}

func TestConnectionLimit(t *testing.T) {
	s, addr := startServer(t, Config{MaxConnections: 2}, newSpoolBackend(t))

	for i := range 2 {
		if _, code, _ := dialText(t, addr); code != 220 {
			t.Fatalf("connection %d: banner code %d, want 220", i+1, code)
		}
	}
	_, code, msg := dialText(t, addr)
	if code != 421 {
		t.Errorf("third connection: %d %s, want 421", code, msg)
	}
	if n := s.ActiveConnections(); n != 2 {
		t.Errorf("ActiveConnections = %d, want 2", n)
	}
}

func TestIdleTimeoutClosesConnection(t *testing.T) {
	_, addr := startServer(t, Config{Timeout: 200 * time.Millisecond}, newSpoolBackend(t))
	c, _, _ := dialText(t, addr)

	start := time.Now()
	code, _, err := c.ReadResponse(0)
	if code != 421 && err == nil {
		t.Errorf("idle client got %d, want 421 or a closed connection", code)
	}
	if _, err := c.ReadLine(); err == nil {
		t.Error("connection still open after the idle timeout")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("idle connection closed after %v", d)
	}
}

func TestHookRejection(t *testing.T) {
	b := newSpoolBackend(t)
	b.mail = func(tx *Transaction) error {
		if tx.Sender == "spam@example.org" {
			return &Reply{Code: 550, Enhanced: [3]int{5, 7, 1}, Text: "sender rejected"}
		}
		return nil
	}
	b.rcpt = func(tx *Transaction, r *Recipient) error {
		if strings.HasPrefix(r.Address, "broken") {
			return errors.New("database unavailable")
		}
		return nil
	}
	_, addr := startServer(t, Config{}, hookBackend{b})
	c, _, _ := dialText(t, addr)
	command(t, c, "EHLO client.test")

	if code, msg := command(t, c, "MAIL FROM:<spam@example.org>"); code != 550 || !strings.Contains(msg, "5.7.1 sender rejected") {
		t.Errorf("rejected sender: %d %q, want 550 5.7.1 sender rejected", code, msg)
	}
	if code, _ := command(t, c, "MAIL FROM:<ok@example.org>"); code != 250 {
		t.Errorf("accepted sender: %d, want 250", code)
	}
	code, msg := command(t, c, "RCPT TO:<broken@example.com>")
	if code != 451 {
		t.Errorf("hook error: %d, want 451", code)
	}
	if strings.Contains(msg, "database") {
		t.Errorf("reply %q leaks the hook's error to the client", msg)
	}
}

func TestConnectHookReplacesBanner(t *testing.T) {
	b := newSpoolBackend(t)
	b.connect = func(c *Conn) error {
		if !c.RemoteAddr.Addr().IsLoopback() {
			return nil
		}
		return &Reply{Code: 554, Enhanced: [3]int{5, 7, 1}, Text: "no service for you"}
	}
	_, addr := startServer(t, Config{}, hookBackend{b})

	c, code, msg := dialText(t, addr)
	if code != 554 || msg != "5.7.1 no service for you" {
		t.Errorf("banner: %d %q, want 554 5.7.1 no service for you", code, msg)
	}
	if _, err := c.ReadLine(); err == nil {
		t.Error("connection still open after a connect rejection")
	}
}

func TestPanicInHookBecomes421(t *testing.T) {
	b := newSpoolBackend(t)
	b.rcpt = func(tx *Transaction, r *Recipient) error {
		if r.Address == "panic@example.com" {
			var m map[string]int
			m["boom"]++ // nil map write: a real runtime panic
		}
		return nil
	}
	var logs lockedBuffer
	_, addr := startServer(t, Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))}, hookBackend{b})

	c, _, _ := dialText(t, addr)
	command(t, c, "EHLO client.test")
	command(t, c, "MAIL FROM:<s@example.org>")
	code, _ := command(t, c, "RCPT TO:<panic@example.com>")
	if code != 421 {
		t.Errorf("reply after a panic: %d, want 421", code)
	}
	if _, err := c.ReadLine(); err == nil {
		t.Error("connection still open after a panic")
	}
	out := logs.String()
	if !strings.Contains(out, "panic in handler") || !strings.Contains(out, "goroutine") {
		t.Errorf("log lacks the panic and its stack:\n%s", out)
	}

	// The server goes on serving.
	c2, code, _ := dialText(t, addr)
	if code != 220 {
		t.Fatalf("banner after a panic: %d", code)
	}
	if code, _ := command(t, c2, "EHLO client.test"); code != 250 {
		t.Errorf("EHLO after a panic: %d", code)
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func TestSessionCarriesTransactionFields(t *testing.T) {
	b := newSpoolBackend(t)
	var got *Transaction
	var mu sync.Mutex
	b.rcpt = func(tx *Transaction, r *Recipient) error {
		mu.Lock()
		got = tx
		mu.Unlock()
		return nil
	}
	_, addr := startServer(t, Config{ServerID: "in1"}, hookBackend{b})
	c, _, _ := dialText(t, addr)
	command(t, c, "EHLO client.test")
	command(t, c, "MAIL FROM:<s@example.org> SIZE=100 RET=HDRS ENVID=abc")
	if code, _ := command(t, c, "RCPT TO:<r@example.com> NOTIFY=FAILURE,DELAY ORCPT=rfc822;r@example.com"); code != 250 {
		t.Fatalf("RCPT: %d", code)
	}

	mu.Lock()
	defer mu.Unlock()
	if got == nil {
		t.Fatal("RCPT hook did not run")
	}
	if got.ID == "" {
		t.Error("transaction has no id")
	}
	if got.Mail.Size != 100 || got.Mail.Ret != "HDRS" || got.Mail.EnvID != "abc" {
		t.Errorf("MailParams = %+v", got.Mail)
	}
	if got.Conn.HELO != "client.test" || got.Conn.ServerID != "in1" {
		t.Errorf("Conn = %+v", got.Conn)
	}
}

func TestClientsOutsideTheNetworksRefused(t *testing.T) {
	b := newSpoolBackend(t)
	_, addr := startServer(t, Config{Clients: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}, b)
	_, code, msg := dialText(t, addr)
	if code != 554 || !strings.Contains(msg, "does not accept mail from 127.0.0.1") {
		t.Errorf("greeting %d %q, want 554 naming the client", code, msg)
	}

	_, addr = startServer(t, Config{Clients: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}, b)
	if _, code, msg := dialText(t, addr); code != 220 {
		t.Errorf("greeting %d %q for a listed client, want 220", code, msg)
	}
}
