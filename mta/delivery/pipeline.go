package delivery

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A pipelined transaction (RFC 2920) sends MAIL FROM, every RCPT TO and
// DATA in one write and then reads their replies in order. The message
// follows in a second write. go-smtp's client sends one command per round
// trip, so a relay would spend most of its system calls and wall time
// waiting for replies.
//
// The client still uses go-smtp for the banner, EHLO, STARTTLS, RSET and
// QUIT. Those read through go-smtp's own buffer, which is empty between
// transactions because a server sends nothing unasked.

// extensions are the EHLO keywords a transaction depends on, read once per
// connection.
type extensions struct {
	pipelining bool
	size       bool
	dsn        bool
	eightBit   bool
}

func (sc *smtpConn) readExtensions() {
	has := func(name string) bool { ok, _ := sc.client.Extension(name); return ok }
	sc.ext = extensions{
		pipelining: has("PIPELINING"),
		size:       has("SIZE"),
		dsn:        has("DSN"),
		eightBit:   has("8BITMIME"),
	}
}

// Buffers of a pipelined transaction, shared by all connections: an idle
// connection holds none, which matters with tens of thousands open.
var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 1024) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 32<<10) }}
	copyPool   = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}
)

// pipelined is transaction for a server that offers PIPELINING. It fills
// attempts as transaction does and has the same result.
func (c *Client) pipelined(sc *smtpConn, req *Request, attempts []Attempt, t Timeouts, setAll func([]int, *Reply, *AttemptError)) bool {
	all := make([]int, len(req.Recipients))
	for i := range all {
		all[i] = i
	}

	// The commands. A bad sender or parameter fails every recipient and
	// a bad recipient only itself, before anything is sent.
	bw := writerPool.Get().(*bufio.Writer)
	defer func() { bw.Reset(nil); writerPool.Put(bw) }()
	bw.Reset(&deadlineWriter{w: sc.stream, conn: sc.raw, timeout: t.Mail})
	if aerr := writeMail(bw, sc.ext, req); aerr != nil {
		setAll(all, nil, aerr)
		c.release(sc, nil, aerr, t)
		return true
	}
	sent := make([]int, 0, len(req.Recipients))
	for i, rcpt := range req.Recipients {
		if aerr := writeRcpt(bw, sc.ext, rcpt, rcptOptionsOf(req, i)); aerr != nil {
			setAll([]int{i}, nil, aerr)
			continue
		}
		sent = append(sent, i)
	}
	if len(sent) == 0 {
		// Nothing was sent: the connection is still clean.
		bw.Reset(nil)
		c.release(sc, &Reply{Code: 250}, nil, t)
		return true
	}
	bw.WriteString("DATA\r\n")
	sc.raw.SetDeadline(time.Now().Add(t.Mail))
	if err := bw.Flush(); err != nil {
		_, aerr := classify(unwrapWrite(err), StateMail)
		sc.close()
		if sc.info.Transactions > 1 {
			return false
		}
		setAll(sent, nil, aerr)
		return true
	}

	br := readerPool.Get().(*bufio.Reader)
	br.Reset(sc.stream)
	defer func() { br.Reset(nil); readerPool.Put(br) }()
	rd := textproto.NewReader(br)

	// The replies, in the order of the commands.
	mail, aerr := readReply(rd, StateMail)
	if aerr != nil {
		sc.close()
		if sc.info.Transactions > 1 && aerr.Type == ErrorNetwork {
			return false
		}
		setAll(sent, nil, aerr)
		return true
	}
	if mail.Code/100 != 2 {
		// Every later reply is a sequence error; the recipients get the
		// reply to MAIL FROM.
		setAll(sent, mail, nil)
		for range sent {
			if _, aerr := readReply(rd, StateRcpt); aerr != nil {
				sc.close()
				return true
			}
		}
		data, aerr := readReply(rd, StateData)
		if aerr != nil {
			sc.close()
			return true
		}
		c.finishRefused(sc, br, data, mail, t)
		return true
	}
	var accepted []int
	for k, i := range sent {
		sc.raw.SetDeadline(time.Now().Add(t.Rcpt))
		reply, aerr := readReply(rd, StateRcpt)
		if aerr != nil {
			sc.close()
			setAll(append(accepted, sent[k:]...), nil, aerr)
			return true
		}
		switch {
		case reply.Code/100 == 2:
			accepted = append(accepted, i)
		case reply.Code == 421:
			// The server is going away; the rest is not read.
			setAll(append(accepted, sent[k:]...), reply, nil)
			sc.close()
			return true
		default:
			setAll([]int{i}, reply, nil)
		}
	}
	sc.raw.SetDeadline(time.Now().Add(t.Data))
	data, aerr := readReply(rd, StateData)
	if aerr != nil {
		sc.close()
		setAll(accepted, nil, aerr)
		return true
	}
	switch {
	case len(accepted) == 0:
		c.finishRefused(sc, br, data, &Reply{Code: 550}, t)
		return true
	case data.Code != 354:
		setAll(accepted, data, nil)
		c.releaseClean(sc, br, data, t)
		return true
	}

	// The message, dot-stuffed, and the reply after the final dot.
	bw.Reset(&deadlineWriter{w: sc.stream, conn: sc.raw, timeout: t.DataBlock})
	if err := copyStuffed(bw, req.Data); err != nil {
		aerr := dataError(err)
		sc.close()
		setAll(accepted, nil, aerr)
		return true
	}
	sc.raw.SetDeadline(time.Now().Add(t.EOD))
	reply, aerr := readReply(rd, StateEOD)
	if aerr != nil {
		sc.close()
		setAll(accepted, nil, aerr)
		return true
	}
	setAll(accepted, reply, nil)
	c.releaseClean(sc, br, reply, t)
	return true
}

// finishRefused ends a transaction that has no accepted recipient. A
// server that still replied 354 to DATA gets an empty message, whose reply
// is dropped. Then the connection is released with reply.
func (c *Client) finishRefused(sc *smtpConn, br *bufio.Reader, data, reply *Reply, t Timeouts) {
	if data.Code == 354 {
		sc.raw.SetDeadline(time.Now().Add(t.EOD))
		if _, err := io.WriteString(sc.stream, ".\r\n"); err != nil {
			sc.close()
			return
		}
		if _, aerr := readReply(textproto.NewReader(br), StateEOD); aerr != nil {
			sc.close()
			return
		}
	}
	c.releaseClean(sc, br, reply, t)
}

// releaseClean releases sc after reply, unless the server sent more than
// was asked for: the surplus would be read as the reply to a later
// command, so the connection is closed instead.
func (c *Client) releaseClean(sc *smtpConn, br *bufio.Reader, reply *Reply, t Timeouts) {
	if br.Buffered() > 0 {
		sc.close()
		return
	}
	c.release(sc, reply, nil, t)
}

// readReply reads one reply, single or multi-line. A malformed reply or a
// read failure is an attempt error.
func readReply(rd *textproto.Reader, state State) (*Reply, *AttemptError) {
	code, msg, err := rd.ReadResponse(0)
	if err != nil {
		_, aerr := classify(err, state)
		return nil, aerr
	}
	return replyFromText(code, msg, state), nil
}

// unwrapWrite returns the connection's error inside a writeError.
func unwrapWrite(err error) error {
	var werr *writeError
	if errors.As(err, &werr) {
		return werr.err
	}
	return err
}

// lineError refuses an address or parameter that would end the command
// line early and smuggle in another command.
func lineError(state State, what string) *AttemptError {
	return &AttemptError{Type: ErrorProtocol, State: state,
		Message: fmt.Sprintf("the %s contains CR or LF", what)}
}

// writeMail appends the MAIL FROM command: SIZE, BODY and the DSN
// parameters are sent only to a server that announces them.
func writeMail(bw *bufio.Writer, ext extensions, req *Request) *AttemptError {
	if strings.ContainsAny(req.Sender, "\r\n") {
		return lineError(StateMail, "sender address")
	}
	bw.WriteString("MAIL FROM:<")
	bw.WriteString(req.Sender)
	bw.WriteByte('>')
	if ext.eightBit {
		bw.WriteString(" BODY=8BITMIME")
	}
	if ext.size && req.Size > 0 {
		bw.WriteString(" SIZE=")
		bw.WriteString(strconv.FormatInt(req.Size, 10))
	}
	if ext.dsn {
		switch ret := strings.ToUpper(req.Ret); ret {
		case "":
		case "FULL", "HDRS":
			bw.WriteString(" RET=")
			bw.WriteString(ret)
		default:
			return &AttemptError{Type: ErrorProtocol, State: StateMail,
				Message: fmt.Sprintf("invalid DSN RET value %q: want FULL or HDRS", req.Ret)}
		}
		if req.EnvID != "" {
			if !printableASCII(req.EnvID) {
				return &AttemptError{Type: ErrorProtocol, State: StateMail,
					Message: "the DSN ENVID is not printable ASCII"}
			}
			bw.WriteString(" ENVID=")
			writeXtext(bw, req.EnvID)
		}
	}
	bw.WriteString("\r\n")
	return nil
}

// rcptOptionsOf returns the DSN parameters of recipient i, or nil.
func rcptOptionsOf(req *Request, i int) *RcptDSN {
	if i >= len(req.RcptDSN) {
		return nil
	}
	d := &req.RcptDSN[i]
	if len(d.Notify) == 0 && d.ORcpt == "" {
		return nil
	}
	return d
}

// writeRcpt appends one RCPT TO command, with its DSN parameters when the
// server announces DSN.
func writeRcpt(bw *bufio.Writer, ext extensions, rcpt string, dsn *RcptDSN) *AttemptError {
	if strings.ContainsAny(rcpt, "\r\n") {
		return lineError(StateRcpt, "recipient address")
	}
	if !ext.dsn {
		dsn = nil
	}
	if dsn != nil {
		if len(dsn.Notify) > 0 && !validNotify(dsn.Notify) {
			return &AttemptError{Type: ErrorProtocol, State: StateRcpt,
				Message: fmt.Sprintf("invalid DSN NOTIFY value %q", strings.Join(dsn.Notify, ","))}
		}
		if !printableASCII(dsn.ORcpt) {
			return &AttemptError{Type: ErrorProtocol, State: StateRcpt,
				Message: "the DSN ORCPT address is not printable ASCII"}
		}
	}

	bw.WriteString("RCPT TO:<")
	bw.WriteString(rcpt)
	bw.WriteByte('>')
	if dsn != nil && len(dsn.Notify) > 0 {
		bw.WriteString(" NOTIFY=")
		bw.WriteString(strings.ToUpper(strings.Join(dsn.Notify, ",")))
	}
	if dsn != nil && dsn.ORcpt != "" {
		bw.WriteString(" ORCPT=rfc822;")
		writeXtext(bw, dsn.ORcpt)
	}
	bw.WriteString("\r\n")
	return nil
}

// validNotify accepts NEVER alone, or any of SUCCESS, FAILURE and DELAY
// once each (RFC 3461 section 4.1).
func validNotify(values []string) bool {
	seen := map[string]bool{}
	for _, v := range values {
		v = strings.ToUpper(v)
		switch v {
		case "NEVER", "SUCCESS", "FAILURE", "DELAY":
		default:
			return false
		}
		if seen[v] {
			return false
		}
		seen[v] = true
	}
	return !seen["NEVER"] || len(seen) == 1
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// writeXtext writes s in the xtext encoding of RFC 3461: '+', '=' and
// anything outside '!'..'~' become '+' and two upper-case hex digits.
func writeXtext(bw *bufio.Writer, s string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch >= '!' && ch <= '~' && ch != '+' && ch != '=' {
			bw.WriteByte(ch)
			continue
		}
		bw.WriteByte('+')
		bw.WriteByte(hex[ch>>4])
		bw.WriteByte(hex[ch&0xF])
	}
}

// copyStuffed writes the message from r to bw as SMTP DATA: bare LF
// becomes CRLF, a line that starts with '.' gets a second one, and the
// final "." line ends it. Errors of bw come back as they are; errors of
// r are the reader's.
func copyStuffed(bw *bufio.Writer, r io.Reader) error {
	bp := copyPool.Get().(*[]byte)
	defer copyPool.Put(bp)
	buf := *bp

	s := stuffer{bw: bw, lineStart: true}
	for {
		n, err := r.Read(buf)
		if n > 0 {
			s.write(buf[:n])
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	s.end()
	return bw.Flush()
}

// stuffer carries the line state of copyStuffed across reads.
type stuffer struct {
	bw        *bufio.Writer
	lineStart bool // the next byte starts a line
	lastCR    bool // the last byte written was '\r'
}

func (s *stuffer) write(p []byte) {
	for len(p) > 0 {
		if s.lineStart && p[0] == '.' {
			s.bw.WriteByte('.')
		}
		s.lineStart = false

		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			s.bw.Write(p)
			s.lastCR = p[len(p)-1] == '\r'
			return
		}
		cr := s.lastCR
		if i > 0 {
			cr = p[i-1] == '\r'
		}
		s.bw.Write(p[:i])
		if !cr {
			s.bw.WriteByte('\r')
		}
		s.bw.WriteByte('\n')
		s.lineStart, s.lastCR = true, false
		p = p[i+1:]
	}
}

// end finishes the last line, if it is open, and writes the final dot.
func (s *stuffer) end() {
	switch {
	case s.lineStart:
	case s.lastCR:
		s.bw.WriteByte('\n')
	default:
		s.bw.WriteString("\r\n")
	}
	s.bw.WriteString(".\r\n")
}
