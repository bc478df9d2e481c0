// Package smtpd is the MTA's inbound SMTP server, built on
// github.com/emersion/go-smtp.
//
// The server hands each message to a [Backend] and sends 250 only after
// the backend's Commit returned, which must mean the message is durable.
// Hooks for the connect, HELO, MAIL FROM, RCPT TO and disconnect events are
// optional interfaces of the backend. The server enforces a message size
// limit, a recipient limit, a limit on simultaneous connections (excess
// clients get 421 and are disconnected) and an idle timeout per read. A
// panic in a hook or in the backend is logged with its stack. That client
// gets 421 and is disconnected, and other sessions go on.
package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// Config configures a Server.
type Config struct {
	// ServerID names the listener in Conn.ServerID and in logs.
	ServerID string
	// Hostname is the name in the banner and the EHLO reply; empty means
	// the system host name.
	Hostname string
	// MaxMessageBytes is the largest message accepted, announced in EHLO
	// as SIZE; 0 means 50 MiB.
	MaxMessageBytes int64
	// MaxRecipients is the most RCPT TO per transaction; 0 means 1000.
	MaxRecipients int
	// MaxConnections is the most simultaneous connections; 0 means no
	// limit.
	MaxConnections int
	// Clients lists the networks whose hosts may connect; nil allows
	// every host. Every accepted message is relayed, so a server open to
	// all is an open relay: list the hosts that submit mail.
	Clients []netip.Prefix
	// Timeout is how long a read may wait for the client, per read and
	// also within DATA; 0 means 5 minutes (RFC 5321 section 4.5.3.2).
	Timeout time.Duration
	// WriteTimeout bounds each reply; 0 means 1 minute.
	WriteTimeout time.Duration
	// HookTimeout bounds each hook call and Commit through their
	// context; 0 means 1 minute.
	HookTimeout time.Duration
	// TLSConfig enables STARTTLS when set.
	TLSConfig *tls.Config
	// Logger receives session events; nil means slog.Default().
	Logger *slog.Logger
}

// Server is an SMTP server. Serve it on one or more listeners.
type Server struct {
	cfg     Config
	backend Backend
	log     *slog.Logger
	smtp    *smtp.Server

	active atomic.Int64
	seq    atomic.Uint64
	ctx    context.Context // canceled by Close and Shutdown
	cancel context.CancelFunc

	hooks struct {
		connect    ConnectHook
		helo       HeloHook
		mail       MailHook
		rcpt       RcptHook
		disconnect DisconnectHook
	}
}

// NewServer returns a server that stores messages in backend.
func NewServer(cfg Config, backend Backend) *Server {
	if cfg.Hostname == "" {
		cfg.Hostname, _ = os.Hostname()
		if cfg.Hostname == "" {
			cfg.Hostname = "localhost"
		}
	}
	if cfg.MaxMessageBytes <= 0 {
		cfg.MaxMessageBytes = 50 << 20
	}
	if cfg.MaxRecipients <= 0 {
		cfg.MaxRecipients = 1000
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Minute
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = time.Minute
	}
	if cfg.HookTimeout <= 0 {
		cfg.HookTimeout = time.Minute
	}

	s := &Server{cfg: cfg, backend: backend, log: cfg.Logger}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.hooks.connect, _ = backend.(ConnectHook)
	s.hooks.helo, _ = backend.(HeloHook)
	s.hooks.mail, _ = backend.(MailHook)
	s.hooks.rcpt, _ = backend.(RcptHook)
	s.hooks.disconnect, _ = backend.(DisconnectHook)

	s.smtp = smtp.NewServer(smtp.BackendFunc(s.newSession))
	s.smtp.Domain = cfg.Hostname
	s.smtp.MaxMessageBytes = cfg.MaxMessageBytes
	s.smtp.MaxRecipients = cfg.MaxRecipients
	s.smtp.WriteTimeout = cfg.WriteTimeout
	// Read deadlines are renewed on every read by serverConn, so that the
	// timeout also bounds each read within DATA.
	s.smtp.ReadTimeout = 0
	s.smtp.TLSConfig = cfg.TLSConfig
	s.smtp.EnableSMTPUTF8 = true
	s.smtp.EnableDSN = true
	s.smtp.ErrorLog = errorLog{s.log}
	return s
}

// Serve accepts connections on l until Close or Shutdown; it returns nil
// then, and the accept error otherwise.
func (s *Server) Serve(l net.Listener) error {
	err := s.smtp.Serve(&listener{Listener: l, s: s})
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// ListenAndServe listens on the TCP address addr and serves it.
func (s *Server) ListenAndServe(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Shutdown stops accepting connections and waits until the open sessions
// end or ctx is done; then it closes them. A message whose Commit already
// started is not cut off by Shutdown.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.smtp.Shutdown(ctx)
	s.cancel()
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// Close stops accepting and closes every connection at once.
func (s *Server) Close() error {
	s.cancel()
	err := s.smtp.Close()
	if errors.Is(err, smtp.ErrServerClosed) {
		return nil
	}
	return err
}

// ActiveConnections returns the number of open client connections.
func (s *Server) ActiveConnections() int {
	return int(s.active.Load())
}

// errorLog routes go-smtp's internal messages to slog.
type errorLog struct{ log *slog.Logger }

func (e errorLog) Printf(format string, v ...any) {
	e.log.Error("smtpd: " + strings.TrimSpace(fmt.Sprintf(format, v...)))
}

func (e errorLog) Println(v ...any) {
	e.log.Error("smtpd: " + strings.TrimSpace(fmt.Sprintln(v...)))
}

// listener counts connections and turns away those over the limit.
type listener struct {
	net.Listener
	s *Server
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}

		s := l.s
		if !s.allowed(c.RemoteAddr()) {
			go s.rejectClient(c)
			continue
		}
		if n := s.active.Add(1); s.cfg.MaxConnections > 0 && n > int64(s.cfg.MaxConnections) {
			s.active.Add(-1)
			go s.turnAway(c)
			continue
		}
		return s.newServerConn(c), nil
	}
}

// allowed reports whether a client at addr may connect.
func (s *Server) allowed(addr net.Addr) bool {
	if s.cfg.Clients == nil {
		return true
	}
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return false
	}
	ip = ip.Unmap()
	for _, p := range s.cfg.Clients {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// rejectClient replies 554 to a client outside Clients and closes the
// connection, as RFC 5321 section 3.1 allows in place of the greeting.
func (s *Server) rejectClient(c net.Conn) {
	s.log.Warn("smtpd: client not in the allowed networks, rejecting", "server_id", s.cfg.ServerID,
		"remote", c.RemoteAddr().String())
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "554 5.7.1 %s does not accept mail from %s\r\n", s.cfg.Hostname, c.RemoteAddr().(*net.TCPAddr).IP)
	c.Close()
}

// turnAway replies 421 to a connection over the limit and closes it.
func (s *Server) turnAway(c net.Conn) {
	s.log.Warn("smtpd: connection limit reached, rejecting client", "server_id", s.cfg.ServerID,
		"remote", c.RemoteAddr().String(), "limit", s.cfg.MaxConnections)
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(c, "421 4.7.0 %s too many connections, try again later\r\n", s.cfg.Hostname)
	c.Close()
}

// connection returns the serverConn under a go-smtp connection, which is
// a *tls.Conn after STARTTLS.
func connection(c *smtp.Conn) *serverConn {
	nc := c.Conn()
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	sc, _ := nc.(*serverConn)
	return sc
}

// serverConn is one client connection. It renews the read deadline on each
// read, runs the connect hook in place of the banner, and can end the
// session right after the current reply.
type serverConn struct {
	net.Conn
	s    *Server
	info *Conn
	ctx  context.Context
	stop context.CancelFunc

	greeted   bool
	closing   atomic.Bool // reads report EOF: the session ends after this reply
	closeOnce sync.Once
}

func (s *Server) newServerConn(c net.Conn) *serverConn {
	info := &Conn{
		ID:       fmt.Sprintf("%x-%x", time.Now().UnixNano(), s.seq.Add(1)),
		ServerID: s.cfg.ServerID,
		Started:  time.Now(),
	}
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		info.RemoteAddr = a.AddrPort()
	}
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
		info.LocalAddr = a.AddrPort()
	}
	ctx, stop := context.WithCancel(s.ctx)
	return &serverConn{Conn: c, s: s, info: info, ctx: ctx, stop: stop}
}

func (c *serverConn) Read(p []byte) (int, error) {
	if c.closing.Load() {
		return 0, net.ErrClosed
	}
	c.Conn.SetReadDeadline(time.Now().Add(c.s.cfg.Timeout))
	return c.Conn.Read(p)
}

// Write runs the connect hook when go-smtp writes the banner, the first
// write of every session.
func (c *serverConn) Write(p []byte) (int, error) {
	if !c.greeted {
		c.greeted = true
		if reply := c.connectHook(); reply != nil {
			c.closing.Store(true)
			if _, err := fmt.Fprintf(c.Conn, "%s\r\n", formatReply(reply)); err != nil {
				return 0, err
			}
			return len(p), nil
		}
	}
	return c.Conn.Write(p)
}

// connectHook runs the connect hook and returns the reply that replaces
// the banner, or nil to send the banner.
func (c *serverConn) connectHook() (reply *Reply) {
	h := c.s.hooks.connect
	if h == nil {
		return nil
	}
	defer func() {
		if v := recover(); v != nil {
			c.s.logPanic(c.info, "", "connect", v)
			reply = &Reply{Code: 421, Enhanced: [3]int{4, 3, 0}, Text: c.s.cfg.Hostname + " internal error, closing connection"}
		}
	}()

	ctx, cancel := context.WithTimeout(c.ctx, c.s.cfg.HookTimeout)
	defer cancel()
	err := h.Connect(ctx, c.info)
	if err == nil {
		return nil
	}
	return c.s.replyFor(err, c.info, "", "connect")
}

func (c *serverConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() {
		c.stop()
		c.s.active.Add(-1)
		if h := c.s.hooks.disconnect; h != nil {
			func() {
				defer func() {
					if v := recover(); v != nil {
						c.s.logPanic(c.info, "", "disconnect", v)
					}
				}()
				h.Disconnect(c.info)
			}()
		}
	})
	return err
}

// formatReply renders a reply line for the raw connection.
func formatReply(r *Reply) string {
	e := r.Enhanced
	if e == [3]int{} {
		e = [3]int{r.Code / 100, 0, 0}
	}
	return fmt.Sprintf("%d %d.%d.%d %s", r.Code, e[0], e[1], e[2], r.Text)
}
