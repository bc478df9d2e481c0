package smtpd

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/google/uuid"
)

// session is the go-smtp session of one connection; go-smtp creates it at
// the first HELO or EHLO.
type session struct {
	s    *Server
	c    *smtp.Conn
	conn *serverConn
	tx   *Transaction
}

// errInternal is the reply when a hook or the backend fails in a way the
// client should not see the details of.
func (s *Server) errInternal() *smtp.SMTPError {
	return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Internal error, try again later"}
}

func (s *Server) newSession(c *smtp.Conn) (sess smtp.Session, err error) {
	sc := connection(c)
	if sc == nil {
		return nil, errors.New("smtpd: connection was not accepted by this server")
	}
	sc.info.HELO = c.Hostname()
	// NOTE: go-smtp v0.26 does not report whether the client used HELO or
	// EHLO, so Extended is always true.
	sc.info.Extended = true

	ss := &session{s: s, c: c, conn: sc}
	if h := s.hooks.helo; h != nil {
		defer ss.recoverPanic("helo", &err)
		ctx, cancel := context.WithTimeout(sc.ctx, s.cfg.HookTimeout)
		defer cancel()
		if herr := h.Helo(ctx, sc.info); herr != nil {
			return nil, ss.reply(herr, "helo")
		}
	}
	return ss, nil
}

// recoverPanic turns a panic in a hook or the backend into a logged stack,
// a 421 reply and the end of the connection.
func (ss *session) recoverPanic(where string, err *error) {
	v := recover()
	if v == nil {
		return
	}
	txID := ""
	if ss.tx != nil {
		txID = ss.tx.ID
	}
	ss.s.logPanic(ss.conn.info, txID, where, v)
	ss.conn.closing.Store(true)
	*err = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
		Message: ss.s.cfg.Hostname + " Internal error, closing connection"}
}

func (s *Server) logPanic(c *Conn, txID, where string, v any) {
	s.log.Error("smtpd: panic in handler", "conn_id", c.ID, "tx_id", txID, "hook", where,
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
}

// reply converts a hook's or backend's error for go-smtp.
func (ss *session) reply(err error, where string) error {
	txID := ""
	if ss.tx != nil {
		txID = ss.tx.ID
	}
	r := ss.s.replyFor(err, ss.conn.info, txID, where)
	if r.Disconnect {
		ss.conn.closing.Store(true)
	}
	return &smtp.SMTPError{Code: r.Code, EnhancedCode: smtp.EnhancedCode(r.Enhanced), Message: r.Text}
}

// replyFor returns the *Reply inside err, or logs err and returns the
// generic 451.
func (s *Server) replyFor(err error, c *Conn, txID, where string) *Reply {
	var r *Reply
	if errors.As(err, &r) {
		return r
	}
	s.log.Error("smtpd: handler failed", "conn_id", c.ID, "tx_id", txID, "hook", where, "error", err)
	e := s.errInternal()
	return &Reply{Code: e.Code, Enhanced: [3]int(e.EnhancedCode), Text: e.Message}
}

func (ss *session) Mail(from string, opts *smtp.MailOptions) (err error) {
	defer ss.recoverPanic("mail", &err)
	ss.updateTLS()

	tx := &Transaction{ID: newTransactionID(), Conn: ss.conn.info, Sender: from}
	if opts != nil {
		tx.Mail = MailParams{
			Size:     opts.Size,
			Body:     string(opts.Body),
			SMTPUTF8: opts.UTF8,
			EnvID:    opts.EnvelopeID,
			Ret:      string(opts.Return),
		}
	}
	ss.tx = tx

	if h := ss.s.hooks.mail; h != nil {
		ctx, cancel := context.WithTimeout(ss.conn.ctx, ss.s.cfg.HookTimeout)
		defer cancel()
		if herr := h.Mail(ctx, tx); herr != nil {
			rerr := ss.reply(herr, "mail")
			ss.tx = nil
			return rerr
		}
	}
	return nil
}

func (ss *session) Rcpt(to string, opts *smtp.RcptOptions) (err error) {
	defer ss.recoverPanic("rcpt", &err)
	if ss.tx == nil {
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "MAIL FROM first"}
	}

	rcpt := Recipient{Address: to}
	if opts != nil {
		for _, n := range opts.Notify {
			rcpt.Notify = append(rcpt.Notify, string(n))
		}
		rcpt.ORcpt = opts.OriginalRecipient
	}
	if h := ss.s.hooks.rcpt; h != nil {
		ctx, cancel := context.WithTimeout(ss.conn.ctx, ss.s.cfg.HookTimeout)
		defer cancel()
		if herr := h.Rcpt(ctx, ss.tx, &rcpt); herr != nil {
			return ss.reply(herr, "rcpt")
		}
	}
	ss.tx.Recipients = append(ss.tx.Recipients, rcpt)
	return nil
}

func (ss *session) Data(r io.Reader) (err error) {
	tx := ss.tx
	if tx == nil || len(tx.Recipients) == 0 {
		return &smtp.SMTPError{Code: 503, EnhancedCode: smtp.EnhancedCode{5, 5, 1}, Message: "RCPT TO first"}
	}

	var w MessageWriter
	defer func() {
		if v := recover(); v != nil {
			if w != nil {
				w.Abort()
			}
			ss.s.logPanic(ss.conn.info, tx.ID, "data", v)
			ss.conn.closing.Store(true)
			err = &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
				Message: ss.s.cfg.Hostname + " Internal error, closing connection"}
		}
	}()

	ctx, cancel := context.WithTimeout(ss.conn.ctx, ss.s.cfg.HookTimeout)
	defer cancel()
	w, err = ss.s.backend.NewMessage(ctx, tx)
	if err != nil {
		return ss.reply(err, "data")
	}

	// The trace header goes first, as RFC 5321 section 4.4 requires of
	// every server that accepts a message for relaying or delivery.
	hdr := ss.receivedHeader(tx)
	if _, err := w.Write(hdr); err != nil {
		w.Abort()
		ss.s.log.Warn("smtpd: writing the Received header failed", "conn_id", ss.conn.info.ID, "tx_id", tx.ID, "error", err)
		return ss.s.errInternal()
	}
	bp := copyBuffers.Get().(*[]byte)
	n, err := io.CopyBuffer(w, r, *bp)
	copyBuffers.Put(bp)
	n += int64(len(hdr))
	tx.Size = n
	if err != nil {
		w.Abort()
		var se *smtp.SMTPError
		if errors.As(err, &se) {
			// Message too large: go-smtp's own reply.
			return se
		}
		ss.s.log.Warn("smtpd: receiving message data failed", "conn_id", ss.conn.info.ID, "tx_id", tx.ID, "error", err)
		return ss.s.errInternal()
	}

	// Commit gets a fresh deadline: receiving the data may have used up
	// most of the first.
	cctx, ccancel := context.WithTimeout(ss.conn.ctx, ss.s.cfg.HookTimeout)
	defer ccancel()
	if err := w.Commit(cctx, tx); err != nil {
		return ss.reply(err, "commit")
	}
	w = nil

	ss.conn.info.Transactions++
	ss.s.log.Info("smtpd: message accepted", "msg_id", tx.ID, "conn_id", ss.conn.info.ID,
		"sender", tx.Sender, "recipients", len(tx.Recipients), "size", tx.Size)
	ss.tx = nil
	return &smtp.SMTPError{Code: 250, EnhancedCode: smtp.EnhancedCode{2, 0, 0}, Message: "Ok: queued as " + tx.ID}
}

// receivedHeader returns the Received header of tx: the client's HELO
// name and address, this server's name, the protocol (ESMTPS under TLS,
// RFC 3848), the transaction id that the logs carry, the recipient when
// there is only one, and the time.
func (ss *session) receivedHeader(tx *Transaction) []byte {
	info := ss.conn.info
	helo := info.HELO
	if helo == "" {
		helo = "unknown"
	}
	proto := "ESMTP"
	if info.TLS != nil {
		proto = "ESMTPS"
	}
	b := make([]byte, 0, 256)
	b = fmt.Appendf(b, "Received: from %s ([%s])\r\n\tby %s (halonsh) with %s id %s",
		sanitizeHeader(helo), info.RemoteAddr.Addr().Unmap(), ss.s.cfg.Hostname, proto, tx.ID)
	if len(tx.Recipients) == 1 {
		b = fmt.Appendf(b, "\r\n\tfor <%s>", sanitizeHeader(tx.Recipients[0].Address))
	}
	b = fmt.Appendf(b, ";\r\n\t%s\r\n", time.Now().Format(time.RFC1123Z))
	return b
}

// sanitizeHeader keeps client-chosen text from breaking the header: line
// breaks and other control characters become '?'.
func sanitizeHeader(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

// copyBuffers holds the buffers that move message data into the spool;
// io.Copy would allocate 32 KiB for every message.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

func (ss *session) Reset() {
	ss.tx = nil
}

func (ss *session) Logout() error {
	return nil
}

// updateTLS records the TLS state once STARTTLS has completed.
func (ss *session) updateTLS() {
	if ss.conn.info.TLS != nil {
		return
	}
	if st, ok := ss.c.TLSConnectionState(); ok {
		ss.conn.info.TLS = &TLSInfo{Protocol: tlsVersionName(st.Version), Cipher: tls.CipherSuiteName(st.CipherSuite)}
	}
}

func newTransactionID() string {
	id, err := uuid.NewV7()
	if err != nil {
		panic("smtpd: generating a transaction id: " + err.Error())
	}
	return id.String()
}

func tlsVersionName(v uint16) string {
	name := tls.VersionName(v)
	return strings.Replace(name, "TLS 1", "TLSv1", 1)
}
