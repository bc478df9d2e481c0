package delivery

import (
	"bufio"
	"bytes"
	"context"
	"math/rand/v2"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// stuffOneByOne is the reference for the stuffer: the same rules applied
// one byte at a time. It differs from net/textproto's DotWriter in one
// way: a bare CR before CRLF stays as it is, where DotWriter adds a CR.
func stuffOneByOne(in []byte) string {
	var out []byte
	lineStart, last := true, byte(0)
	for _, c := range in {
		if lineStart && c == '.' {
			out = append(out, '.')
		}
		if c == '\n' && last != '\r' {
			out = append(out, '\r')
		}
		out = append(out, c)
		lineStart, last = c == '\n', c
	}
	switch {
	case lineStart:
	case last == '\r':
		out = append(out, '\n')
	default:
		out = append(out, "\r\n"...)
	}
	return string(append(out, ".\r\n"...))
}

// The stuffer must give the reference's output for any input cut at any
// points: bare LF and CRLF line ends, leading dots, bare CRs and an open
// last line.
func TestStufferMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte(".\r\na")
	for round := range 5000 {
		in := make([]byte, rng.IntN(40))
		for i := range in {
			in[i] = alphabet[rng.IntN(len(alphabet))]
		}
		want := stuffOneByOne(in)

		var got bytes.Buffer
		gw := bufio.NewWriter(&got)
		s := stuffer{bw: gw, lineStart: true}
		for rest := in; len(rest) > 0; {
			n := 1 + rng.IntN(len(rest))
			s.write(rest[:n])
			rest = rest[n:]
		}
		s.end()
		gw.Flush()

		if got.String() != want {
			t.Fatalf("round %d, input %q:\n got %q\nwant %q", round, in, got.String(), want)
		}
	}

	// Without bare CRs, DotWriter agrees.
	in := []byte(".a\nb\r\n..c\n.")
	var dw bytes.Buffer
	w := bufio.NewWriter(&dw)
	d := textproto.NewWriter(w).DotWriter()
	d.Write(in)
	d.Close()
	w.Flush()
	if got := stuffOneByOne(in); got != dw.String() {
		t.Errorf("reference %q, DotWriter %q", got, dw.String())
	}
}

// scriptedServer is an SMTP server that replies to MAIL FROM, RCPT TO and
// DATA only once it has read the DATA line. A client that waits for each
// reply before its next command never gets one.
type scriptedServer struct {
	addr string

	// reply returns the reply line(s) for a command, without CRLF.
	reply func(cmd string) string
	// eod is the reply after the message.
	eod string
	// startTLS, when set, is offered in EHLO and is the reply to STARTTLS.
	startTLS string

	mu       sync.Mutex
	commands []string
	messages []string
}

func startScripted(t *testing.T, ip string, reply func(string) string, eod string) *scriptedServer {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scriptedServer{addr: ln.Addr().String(), reply: reply, eod: eod}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *scriptedServer) record(cmd string) {
	s.mu.Lock()
	s.commands = append(s.commands, cmd)
	s.mu.Unlock()
}

func (s *scriptedServer) serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := textproto.NewReader(bufio.NewReader(c))
	w := bufio.NewWriter(c)
	send := func(lines ...string) {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		w.Flush()
	}

	send("220 scripted.test ESMTP")
	var held []string
	for {
		line, err := r.ReadLine()
		if err != nil {
			return
		}
		cmd := strings.ToUpper(line)
		s.record(line)
		switch {
		case strings.HasPrefix(cmd, "EHLO") && s.startTLS != "":
			send("250-scripted.test", "250-PIPELINING", "250-STARTTLS", "250 8BITMIME")
		case strings.HasPrefix(cmd, "EHLO"):
			send("250-scripted.test", "250-PIPELINING", "250 8BITMIME")
		case cmd == "STARTTLS":
			send(s.startTLS)
		case strings.HasPrefix(cmd, "MAIL"), strings.HasPrefix(cmd, "RCPT"):
			held = append(held, s.reply(line))
		case cmd == "DATA":
			data := s.reply(line)
			send(append(held, data)...)
			held = nil
			if !strings.HasPrefix(data, "354") {
				continue
			}
			msg, err := r.ReadDotBytes()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.messages = append(s.messages, string(msg))
			s.mu.Unlock()
			send(s.eod)
		case cmd == "RSET":
			send("250 2.0.0 reset")
		case cmd == "QUIT":
			send("221 2.0.0 bye")
			return
		default:
			send("502 5.5.2 unknown command")
		}
	}
}

func (s *scriptedServer) received() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.messages...)
}

func (s *scriptedServer) log() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.commands...)
}

func deliverTo(t *testing.T, c *Client, addr string, rcpts ...string) []Attempt {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return c.Deliver(ctx, &Request{
		Sender:     "sender@origin.test",
		Recipients: rcpts,
		NextHop:    addr,
		Data:       strings.NewReader("Subject: pipelined\r\n\r\n.leading dot\nbare LF\r\n"),
		Timeouts:   Timeouts{Mail: 3 * time.Second, Rcpt: 3 * time.Second, Data: 3 * time.Second, EOD: 3 * time.Second},
	})
}

func newPlainClient(t *testing.T, cfg Config) *Client {
	c := NewClient(cfg)
	t.Cleanup(func() { c.Close() })
	return c
}

func TestPipelinedTransaction(t *testing.T) {
	s := startScripted(t, "127.0.0.40", func(cmd string) string {
		switch {
		case strings.Contains(cmd, "refused@"):
			return "550 5.1.1 no such user"
		case strings.HasPrefix(cmd, "DATA"):
			return "354 go ahead"
		}
		return "250 2.1.0 ok"
	}, "250 2.0.0 queued as P1")
	c := newPlainClient(t, Config{})

	at := deliverTo(t, c, s.addr, "a@pipe.test", "refused@pipe.test", "b@pipe.test")
	if !at[0].Delivered() || !at[2].Delivered() {
		t.Fatalf("accepted recipients: %v / %v", at[0].String(), at[2].String())
	}
	if r := at[1].Result; r == nil || r.Code != 550 || r.State != StateRcpt || r.Enhanced != [3]int{5, 1, 1} {
		t.Errorf("refused recipient: %v, want 550 5.1.1 in RCPT", at[1].String())
	}
	if got := at[0].Result.String(); got != "250 2.0.0 queued as P1" {
		t.Errorf("end-of-data reply %q", got)
	}
	if got := s.received(); len(got) != 1 || got[0] != "Subject: pipelined\n\n.leading dot\nbare LF\n" {
		t.Errorf("server read %q", got)
	}

	// A second message reuses the connection.
	at = deliverTo(t, c, s.addr, "c@pipe.test")
	if !at[0].Delivered() || at[0].Connection.Transactions != 2 {
		t.Errorf("second message: %v, transactions %d", at[0].String(), at[0].Connection.Transactions)
	}
}

func TestPipelinedMailRefused(t *testing.T) {
	s := startScripted(t, "127.0.0.41", func(cmd string) string {
		switch {
		case strings.HasPrefix(cmd, "MAIL"):
			return "451 4.3.0 sender check failed"
		case strings.HasPrefix(cmd, "DATA"):
			return "503 5.5.1 no valid recipients"
		}
		return "503 5.5.1 need MAIL first"
	}, "250 ok")
	c := newPlainClient(t, Config{})

	at := deliverTo(t, c, s.addr, "a@pipe.test", "b@pipe.test")
	for i, a := range at {
		if r := a.Result; r == nil || r.Code != 451 || r.State != StateMail {
			t.Errorf("recipient %d: %v, want the 451 to MAIL FROM", i, a.String())
		}
	}
	if !slicesHasPrefix(s.log(), "RSET") {
		t.Errorf("commands %q: want RSET after the refused transaction", s.log())
	}
}

func TestPipelinedDataAfterNoRecipient(t *testing.T) {
	// A server that accepts DATA although it refused every recipient
	// gets an empty message, and the recipients keep their own replies.
	s := startScripted(t, "127.0.0.42", func(cmd string) string {
		switch {
		case strings.HasPrefix(cmd, "RCPT"):
			return "450 4.2.1 mailbox busy"
		case strings.HasPrefix(cmd, "DATA"):
			return "354 go ahead"
		}
		return "250 ok"
	}, "554 5.5.1 no valid recipients")
	c := newPlainClient(t, Config{})

	at := deliverTo(t, c, s.addr, "a@pipe.test")
	if r := at[0].Result; r == nil || r.Code != 450 || r.State != StateRcpt {
		t.Fatalf("recipient: %v, want 450 in RCPT", at[0].String())
	}
	if got := s.received(); len(got) != 1 || got[0] != "" {
		t.Errorf("server read %q, want one empty message", got)
	}

	// The connection is still usable.
	at = deliverTo(t, c, s.addr, "b@pipe.test")
	if at[0].Connection == nil || at[0].Connection.Transactions != 2 {
		t.Errorf("second transaction: %v", at[0].String())
	}
}

func TestPipelinedServiceClosing(t *testing.T) {
	s := startScripted(t, "127.0.0.43", func(cmd string) string {
		switch {
		case strings.Contains(cmd, "second@"):
			return "421 4.7.0 closing"
		case strings.HasPrefix(cmd, "DATA"):
			return "354 go ahead"
		}
		return "250 ok"
	}, "250 ok")
	c := newPlainClient(t, Config{})

	at := deliverTo(t, c, s.addr, "first@pipe.test", "second@pipe.test", "third@pipe.test")
	for i, a := range at {
		if r := a.Result; r == nil || r.Code != 421 {
			t.Errorf("recipient %d: %v, want the 421", i, a.String())
		}
	}
	if got := s.received(); len(got) != 0 {
		t.Errorf("the message was sent after a 421: %q", got)
	}
}

func TestCommandInjectionRefused(t *testing.T) {
	s := startScripted(t, "127.0.0.44", func(cmd string) string {
		if strings.HasPrefix(cmd, "DATA") {
			return "354 go ahead"
		}
		return "250 ok"
	}, "250 ok")
	c := newPlainClient(t, Config{})

	at := deliverTo(t, c, s.addr, "good@pipe.test", "evil@pipe.test>\r\nRCPT TO:<x@y.test")
	if !at[0].Delivered() {
		t.Errorf("good recipient: %v", at[0].String())
	}
	if e := at[1].Error; e == nil || e.Type != ErrorProtocol || e.Temporary {
		t.Errorf("recipient with CRLF: %v, want a permanent protocol error", at[1].String())
	}
	for _, cmd := range s.log() {
		if strings.Contains(cmd, "x@y.test") {
			t.Errorf("injected command reached the server: %q", cmd)
		}
	}
}

func TestDSNParamsEncoding(t *testing.T) {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	writeMail(w, extensions{dsn: true, size: true}, &Request{Sender: "s@x.test", Size: 42, Ret: "full", EnvID: "a+b=c d"})
	writeRcpt(w, extensions{dsn: true}, "r@x.test", &RcptDSN{Notify: []string{"success", "failure"}, ORcpt: "o=1@x.test"})
	w.Flush()
	want := "MAIL FROM:<s@x.test> SIZE=42 RET=FULL ENVID=a+2Bb+3Dc+20d\r\n" +
		"RCPT TO:<r@x.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;o+3D1@x.test\r\n"
	if b.String() != want {
		t.Errorf("commands:\n got %q\nwant %q", b.String(), want)
	}

	if aerr := writeRcpt(w, extensions{dsn: true}, "r@x.test", &RcptDSN{Notify: []string{"never", "delay"}}); aerr == nil {
		t.Error("NOTIFY=NEVER,DELAY accepted")
	}
}

func slicesHasPrefix(lines []string, prefix string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			return true
		}
	}
	return false
}

func TestParseEnhanced(t *testing.T) {
	for in, want := range map[string][3]int{"2.0.0": {2, 0, 0}, "5.7.26": {5, 7, 26}, "4.123.999": {4, 123, 999}} {
		if got, ok := parseEnhanced(in); !ok || got != want {
			t.Errorf("parseEnhanced(%q) = %v, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "2", "2.0", "2.0.", "2.0.0.", "a.b.c", "2.0.0x", "2..0", "4.1234.0"} {
		if _, ok := parseEnhanced(in); ok {
			t.Errorf("parseEnhanced(%q) accepted", in)
		}
	}
}

// A server that offers STARTTLS and then refuses it gets the message in
// plain text under the optional policy, and none under a verifying one.
func TestRefusedStartTLS(t *testing.T) {
	s := startScripted(t, "127.0.0.47", func(cmd string) string {
		if strings.HasPrefix(cmd, "DATA") {
			return "354 go ahead"
		}
		return "250 ok"
	}, "250 ok")
	s.startTLS = "454 4.7.0 TLS not available"
	c := newPlainClient(t, Config{})

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	deliver := func(mode TLSMode) Attempt {
		return c.Deliver(ctx, &Request{Sender: "s@origin.test", Recipients: []string{"r@tls.test"}, NextHop: s.addr,
			Data: strings.NewReader("Subject: x\r\n\r\nbody\r\n"), TLS: mode})[0]
	}
	if a := deliver(TLSOptional); !a.Delivered() || a.Connection.TLS.Started {
		t.Errorf("optional TLS after a refused STARTTLS: %v", a.String())
	}
	if a := deliver(TLSOptionalVerify); a.Delivered() || a.Result == nil || a.Result.Code != 454 {
		t.Errorf("optional_verify after a refused STARTTLS: %v, want the 454", a.String())
	}
	if got := s.received(); len(got) != 1 {
		t.Errorf("server received %d messages, want 1", len(got))
	}
}
