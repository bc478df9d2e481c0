package delivery

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/textproto"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// smtpConn is one SMTP connection, in use by one delivery or parked in the
// pool.
type smtpConn struct {
	key    poolKey
	raw    net.Conn // the TCP connection; deadlines are set here
	tap    *tapConn
	client *smtp.Client
	info   Connection

	// stream is the connection the SMTP session runs over: tap, or the
	// TLS connection after STARTTLS. ext holds the extensions the server
	// announced on it.
	stream io.ReadWriter
	ext    extensions

	lastUsed time.Time
	quitT    time.Duration
	// maxReuse is the reuse limit of the request in progress.
	maxReuse int
	// broken is set when a context cancellation cut the connection; it
	// must not go back to the pool.
	broken bool
}

// tapConn sits between go-smtp and the TCP connection. It keeps the bytes
// read before the first write (the server's banner), and it lets this
// package set a new deadline when the first command is written. It ignores
// go-smtp's own deadlines, because go-smtp has one timeout for every
// command. Here each SMTP state has its own, set on the TCP connection.
type tapConn struct {
	net.Conn
	banner       bytes.Buffer
	wrote        bool
	onFirstWrite func()
}

// maxBanner bounds the banner kept for the post-delivery hook.
const maxBanner = 4096

func (t *tapConn) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	if !t.wrote && t.banner.Len() < maxBanner {
		t.banner.Write(p[:min(n, maxBanner-t.banner.Len())])
	}
	return n, err
}

func (t *tapConn) Write(p []byte) (int, error) {
	if !t.wrote {
		t.wrote = true
		if t.onFirstWrite != nil {
			t.onFirstWrite()
		}
	}
	return t.Conn.Write(p)
}

func (t *tapConn) SetDeadline(time.Time) error      { return nil }
func (t *tapConn) SetReadDeadline(time.Time) error  { return nil }
func (t *tapConn) SetWriteDeadline(time.Time) error { return nil }

// replayConn gives a new go-smtp client, started after STARTTLS, the
// server's original banner to read. A go-smtp client always begins by
// reading a greeting, and go-smtp v0.26 has no exported way to issue
// STARTTLS on a client that has already sent EHLO.
type replayConn struct {
	net.Conn
	r io.Reader
}

func (c *replayConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// failure is why a connection could not be set up: the server's reply or
// an error, and what is known of the connection when TCP was established.
type failure struct {
	reply *Reply
	err   *AttemptError
	conn  *Connection
}

// connect returns a pooled connection for key or dials a new one.
func (c *Client) connect(ctx context.Context, key poolKey, req *Request, t Timeouts) (sc *smtpConn, reused bool, f *failure) {
	sc, stale := c.pool.get(key, time.Now())
	for _, s := range stale {
		go s.quit()
	}
	if sc != nil {
		return sc, true, nil
	}
	sc, f = c.dial(ctx, key, req, t)
	return sc, false, f
}

// dial opens a connection, reads the banner, sends EHLO and starts TLS as
// the TLS policy requires. On failure it closes what it opened and returns
// the server's reply or an error.
func (c *Client) dial(ctx context.Context, key poolKey, req *Request, t Timeouts) (*smtpConn, *failure) {
	d := net.Dialer{Timeout: t.Connect}
	if key.local.IsValid() {
		d.LocalAddr = &net.TCPAddr{IP: key.local.AsSlice()}
	}
	raw, err := d.DialContext(ctx, "tcp", key.remote.String())
	if err != nil {
		return nil, &failure{err: &AttemptError{Type: ErrorNetwork, Temporary: true, State: StateConnect,
			Message: fmt.Sprintf("connecting to %s (%s): %v", key.remote, key.mx, err)}}
	}
	stop := context.AfterFunc(ctx, func() { raw.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	sc := &smtpConn{key: key, raw: raw, quitT: t.Quit}
	sc.info = Connection{
		ID:         fmt.Sprintf("%x-%x", time.Now().UnixNano(), c.connSeq.next()),
		LocalIPID:  req.Source.ID,
		HELO:       key.helo,
		RemoteIP:   key.remote.Addr().String(),
		RemotePort: int(key.remote.Port()),
		RemoteMX:   key.mx,
	}
	if la, ok := raw.LocalAddr().(*net.TCPAddr); ok {
		if ip, ok := netip.AddrFromSlice(la.IP); ok {
			sc.info.LocalIP = ip.Unmap().String()
		}
	}

	// Banner, then EHLO: the first write is the EHLO command.
	sc.tap = &tapConn{Conn: raw}
	raw.SetDeadline(time.Now().Add(t.Greeting))
	sc.tap.onFirstWrite = func() { raw.SetDeadline(time.Now().Add(t.Helo)) }
	sc.client = smtp.NewClient(sc.tap)
	if err := sc.client.Hello(key.helo); err != nil {
		state := StateEhlo
		if !sc.tap.wrote {
			state = StateBanner
		}
		sc.info.RemoteGreeting = parseReplyLines(sc.tap.banner.Bytes())
		reply, aerr := classify(err, state)
		raw.Close()
		return nil, &failure{reply, aerr, &sc.info}
	}
	sc.info.RemoteGreeting = parseReplyLines(sc.tap.banner.Bytes())
	sc.stream = sc.tap
	sc.readExtensions()

	offered, _ := sc.client.Extension("STARTTLS")
	switch {
	case offered && key.tls != TLSDisabled:
		reply, aerr := c.startTLS(ctx, sc, req.TLSConfig, t)
		if aerr == nil && reply != nil && key.tls == TLSOptional {
			// A refused STARTTLS leaves the session as it was (RFC 3207
			// section 4), and the optional policy goes on without TLS.
			c.log.Debug("delivery: STARTTLS rejected, continuing without TLS", "conn_id", sc.info.ID,
				"remotemx", sc.info.RemoteMX, "reply", reply.String())
			break
		}
		if aerr != nil || reply != nil {
			sc.close()
			return nil, &failure{reply, aerr, &sc.info}
		}
	case key.tls.required():
		aerr := &AttemptError{Type: ErrorTLS, Temporary: true, State: StateStartTLS,
			Message: fmt.Sprintf("%s (%s) does not offer STARTTLS, which the TLS policy %q requires", key.mx, key.remote.Addr(), key.tls)}
		sc.quit()
		return nil, &failure{nil, aerr, &sc.info}
	}

	c.log.Debug("delivery: connected", "conn_id", sc.info.ID, "localip", sc.info.LocalIP,
		"remoteip", sc.info.RemoteIP, "remotemx", sc.info.RemoteMX, "tls", sc.info.TLS.Started)
	return sc, nil
}

// startTLS issues STARTTLS, runs the TLS handshake and sends EHLO again
// over TLS. A refusal is returned as a reply. A server that offers
// STARTTLS and then refuses it is treated like any failed connection, even
// with an optional policy, so the next host is tried.
func (c *Client) startTLS(ctx context.Context, sc *smtpConn, base *tls.Config, t Timeouts) (*Reply, *AttemptError) {
	sc.raw.SetDeadline(time.Now().Add(t.StartTLS))
	if _, err := io.WriteString(sc.tap, "STARTTLS\r\n"); err != nil {
		_, aerr := classify(err, StateStartTLS)
		return nil, aerr
	}
	// Anything the server sent after its 220 is dropped with this reader,
	// so injected plain-text commands never reach the TLS session.
	code, msg, err := textproto.NewReader(bufio.NewReader(sc.tap)).ReadResponse(220)
	if err != nil {
		var tpe *textproto.Error
		if errors.As(err, &tpe) {
			return replyFromText(code, msg, StateStartTLS), nil
		}
		_, aerr := classify(err, StateStartTLS)
		return nil, aerr
	}

	var conf *tls.Config
	if base != nil {
		conf = base.Clone()
	} else {
		conf = &tls.Config{}
	}
	if _, err := netip.ParseAddr(sc.key.mx); err != nil {
		conf.ServerName = sc.key.mx
	}
	conf.InsecureSkipVerify = !sc.key.tls.verify()
	tc := tls.Client(sc.tap, conf)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, &AttemptError{Type: ErrorTLS, Temporary: true, State: StateStartTLS,
			Message: fmt.Sprintf("TLS handshake with %s (%s): %v", sc.key.mx, sc.key.remote.Addr(), err)}
	}

	banner := sc.tap.banner.Bytes()
	sc.client = smtp.NewClient(&replayConn{Conn: tc, r: io.MultiReader(bytes.NewReader(banner), tc)})
	sc.raw.SetDeadline(time.Now().Add(t.Helo))
	if err := sc.client.Hello(sc.key.helo); err != nil {
		return classify(err, StateEhlo)
	}
	sc.stream = tc
	sc.readExtensions()

	st := tc.ConnectionState()
	sc.info.TLS = TLSInfo{
		Started:  true,
		Protocol: tlsVersionName(st.Version),
		Cipher:   tls.CipherSuiteName(st.CipherSuite),
		KeySize:  cipherKeyBits(st.CipherSuite),
		Verified: sc.key.tls.verify(),
	}
	return nil, nil
}

// transaction sends one message on sc and fills attempts. It returns false
// when a reused sc failed before the reply to MAIL FROM, which means it
// died while idle. Then attempts are left unset and sc is closed.
func (c *Client) transaction(ctx context.Context, sc *smtpConn, req *Request, attempts []Attempt, t Timeouts) bool {
	stop := context.AfterFunc(ctx, func() {
		sc.broken = true
		sc.raw.SetDeadline(time.Unix(1, 0))
	})
	defer stop()

	sc.info.Transactions++
	sc.maxReuse = req.MaxReuse
	if sc.maxReuse <= 0 {
		sc.maxReuse = c.cfg.MaxMessagesPerConn
	}
	info := sc.info
	setAll := func(idx []int, reply *Reply, aerr *AttemptError) {
		for _, i := range idx {
			attempts[i].Result, attempts[i].Error, attempts[i].Connection = reply, aerr, &info
		}
	}
	if sc.ext.pipelining && !c.cfg.NoPipelining {
		return c.pipelined(sc, req, attempts, t, setAll)
	}
	all := make([]int, len(req.Recipients))
	for i := range all {
		all[i] = i
	}

	// MAIL FROM.
	sc.raw.SetDeadline(time.Now().Add(t.Mail))
	mailOpts := &smtp.MailOptions{Size: req.Size, EnvelopeID: req.EnvID, Return: smtp.DSNReturn(strings.ToUpper(req.Ret))}
	if err := sc.client.Mail(req.Sender, mailOpts); err != nil {
		reply, aerr := classify(err, StateMail)
		if aerr != nil && aerr.Type == ErrorNetwork {
			sc.close()
			if sc.info.Transactions > 1 {
				return false
			}
		}
		setAll(all, reply, aerr)
		c.release(sc, reply, aerr, t)
		return true
	}

	// RCPT TO, one per recipient.
	var accepted []int
	for i, rcpt := range req.Recipients {
		sc.raw.SetDeadline(time.Now().Add(t.Rcpt))
		if err := sc.client.Rcpt(rcpt, rcptOptions(req, i)); err != nil {
			reply, aerr := classify(err, StateRcpt)
			if aerr != nil || reply.Code == 421 {
				setAll(append(accepted, all[i:]...), reply, aerr)
				c.release(sc, reply, aerr, t)
				return true
			}
			setAll([]int{i}, reply, nil)
			continue
		}
		accepted = append(accepted, i)
	}
	if len(accepted) == 0 {
		c.release(sc, &Reply{Code: 550}, nil, t)
		return true
	}

	// DATA, the message, and the reply after the final dot.
	sc.raw.SetDeadline(time.Now().Add(t.Data))
	w, err := sc.client.Data()
	if err != nil {
		reply, aerr := classify(err, StateData)
		setAll(accepted, reply, aerr)
		c.release(sc, reply, aerr, t)
		return true
	}
	bp := copyPool.Get().(*[]byte)
	_, err = io.CopyBuffer(&deadlineWriter{w: w, conn: sc.raw, timeout: t.DataBlock}, req.Data, *bp)
	copyPool.Put(bp)
	if err != nil {
		aerr := dataError(err)
		// The data cannot be cut off cleanly mid-way, so the connection
		// goes.
		sc.close()
		setAll(accepted, nil, aerr)
		return true
	}
	sc.raw.SetDeadline(time.Now().Add(t.EOD))
	resp, err := w.CloseWithResponse()
	if err != nil {
		reply, aerr := classify(err, StateEOD)
		setAll(accepted, reply, aerr)
		c.release(sc, reply, aerr, t)
		return true
	}
	reply := replyFromText(250, resp.StatusText, StateEOD)
	setAll(accepted, reply, nil)
	c.release(sc, reply, nil, t)
	return true
}

// rcptOptions returns the DSN parameters of recipient i, or nil.
func rcptOptions(req *Request, i int) *smtp.RcptOptions {
	d := rcptOptionsOf(req, i)
	if d == nil {
		return nil
	}
	opts := &smtp.RcptOptions{}
	for _, n := range d.Notify {
		opts.Notify = append(opts.Notify, smtp.DSNNotify(strings.ToUpper(n)))
	}
	if d.ORcpt != "" {
		opts.OriginalRecipientType = smtp.DSNAddressTypeRFC822
		opts.OriginalRecipient = d.ORcpt
	}
	return opts
}

// release parks sc for the next message. It closes sc instead after an
// error, a cancellation, a 421 reply or the maximum of messages. After a
// rejected transaction it sends RSET first.
func (c *Client) release(sc *smtpConn, reply *Reply, aerr *AttemptError, t Timeouts) {
	switch {
	case aerr != nil || sc.broken:
		sc.close()
		return
	case reply.Code == 421:
		sc.close()
		return
	case sc.info.Transactions >= sc.maxReuse:
		go sc.quit()
		return
	}

	if reply.Code/100 != 2 {
		sc.raw.SetDeadline(time.Now().Add(t.Rset))
		if err := sc.client.Reset(); err != nil {
			sc.close()
			return
		}
	}
	sc.raw.SetDeadline(time.Time{})
	sc.lastUsed = time.Now()
	if !c.pool.put(sc) {
		go sc.quit()
	}
}

// quit sends QUIT and closes, bounded by the QUIT timeout.
func (sc *smtpConn) quit() {
	if sc.broken {
		sc.close()
		return
	}
	sc.raw.SetDeadline(time.Now().Add(sc.quitT))
	if err := sc.client.Quit(); err != nil {
		sc.close()
	}
}

// close drops the connection without QUIT.
func (sc *smtpConn) close() {
	sc.raw.Close()
}

// deadlineWriter renews the write deadline before each write, so the
// DataBlock timeout bounds a stalled write rather than the whole message.
type deadlineWriter struct {
	w       io.Writer
	conn    net.Conn
	timeout time.Duration
}

// writeError marks a failure of the connection, as opposed to one of the
// message data's reader, in io.Copy's result.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }
func (e *writeError) Unwrap() error { return e.err }

func (d *deadlineWriter) Write(p []byte) (int, error) {
	d.conn.SetDeadline(time.Now().Add(d.timeout))
	n, err := d.w.Write(p)
	if err != nil {
		return n, &writeError{err}
	}
	return n, nil
}

// dataError classifies a failure to send the message: the connection's
// (a writeError) or the message reader's.
func dataError(err error) *AttemptError {
	var werr *writeError
	if errors.As(err, &werr) {
		_, aerr := classify(werr.err, StateData)
		return aerr
	}
	return &AttemptError{Type: ErrorConfig, Temporary: true, State: StateData,
		Message: fmt.Sprintf("reading the message data: %v", err)}
}

// classify turns an error of go-smtp's client into the server's reply or
// an attempt error.
func classify(err error, state State) (*Reply, *AttemptError) {
	var se *smtp.SMTPError
	if errors.As(err, &se) {
		r := &Reply{Code: se.Code, Lines: strings.Split(se.Message, "\n"), State: state}
		if se.EnhancedCode != smtp.NoEnhancedCode {
			r.Enhanced = [3]int(se.EnhancedCode)
		}
		return r, nil
	}

	var tpe textproto.ProtocolError
	var ne net.Error
	switch {
	case errors.As(err, &tpe):
		return nil, &AttemptError{Type: ErrorProtocol, Temporary: true, State: state, Message: err.Error()}
	case errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return nil, &AttemptError{Type: ErrorNetwork, Temporary: true, State: state, Message: fmt.Sprintf("timed out in state %s", state)}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return nil, &AttemptError{Type: ErrorNetwork, Temporary: true, State: state, Message: "connection closed by the server"}
	case errors.As(err, &ne):
		return nil, &AttemptError{Type: ErrorNetwork, Temporary: true, State: state, Message: err.Error()}
	case strings.HasPrefix(err.Error(), "smtp: "):
		// go-smtp rejects some arguments before sending them, such as an
		// address with a line break; a later attempt fails the same way.
		return nil, &AttemptError{Type: ErrorProtocol, State: state, Message: err.Error()}
	}
	return nil, &AttemptError{Type: ErrorNetwork, Temporary: true, State: state, Message: err.Error()}
}

// replyFromText builds a reply from a code and the text go-smtp or
// textproto returns, whose lines may start with an enhanced code.
func replyFromText(code int, text string, state State) *Reply {
	r := &Reply{Code: code, State: state}
	lines := strings.Split(text, "\n")
	if first, rest, ok := strings.Cut(lines[0], " "); ok {
		if e, ok := parseEnhanced(first); ok && e[0] == code/100 {
			r.Enhanced = e
			lines[0] = rest
			for i := 1; i < len(lines); i++ {
				lines[i] = strings.TrimPrefix(lines[i], first+" ")
			}
		}
	}
	r.Lines = lines
	return r
}

// parseEnhanced parses an enhanced status code such as "4.7.0" (RFC 3463:
// class, then subject and detail of one to three digits each).
func parseEnhanced(s string) ([3]int, bool) {
	var e [3]int
	for i := range e {
		n := 0
		for n < len(s) && n < 3 && s[n] >= '0' && s[n] <= '9' {
			e[i] = e[i]*10 + int(s[n]-'0')
			n++
		}
		if n == 0 {
			return e, false
		}
		s = s[n:]
		if i < 2 {
			if len(s) == 0 || s[0] != '.' {
				return e, false
			}
			s = s[1:]
		}
	}
	return e, len(s) == 0
}

// parseReplyLines returns the text of each line of a raw reply such as a
// banner, without the codes.
func parseReplyLines(raw []byte) []string {
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(string(raw), "\r\n"), "\n") {
		l = strings.TrimRight(l, "\r")
		if len(l) >= 4 && (l[3] == ' ' || l[3] == '-') {
			l = l[4:]
		} else if len(l) == 3 {
			l = ""
		}
		lines = append(lines, l)
	}
	return lines
}

func tlsVersionName(v uint16) string {
	switch v {
	case tls.VersionTLS10:
		return "TLSv1"
	case tls.VersionTLS11:
		return "TLSv1.1"
	case tls.VersionTLS12:
		return "TLSv1.2"
	case tls.VersionTLS13:
		return "TLSv1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}

var (
	keyBitsOnce sync.Once
	keyBits     map[uint16]int
)

// cipherKeyBits returns the symmetric key size of a cipher suite, judged
// from its name; 0 when unknown.
func cipherKeyBits(id uint16) int {
	keyBitsOnce.Do(func() {
		keyBits = make(map[uint16]int)
		for _, list := range [][]*tls.CipherSuite{tls.CipherSuites(), tls.InsecureCipherSuites()} {
			for _, cs := range list {
				switch {
				case strings.Contains(cs.Name, "AES_128"):
					keyBits[cs.ID] = 128
				case strings.Contains(cs.Name, "AES_256"), strings.Contains(cs.Name, "CHACHA20"):
					keyBits[cs.ID] = 256
				case strings.Contains(cs.Name, "3DES"):
					keyBits[cs.ID] = 168
				case strings.Contains(cs.Name, "RC4_128"):
					keyBits[cs.ID] = 128
				}
			}
		}
	})
	return keyBits[id]
}
