package queue

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"strings"
	"time"
)

type dsnInput struct {
	hostname string
	msg      *Message
	to       string
	info     *DSNInfo
	result   *Result
	reason   string
	header   []byte // original header section; nil leaves that part out
	now      time.Time
	opts     *DSNOptions
}

// buildDSN formats a delivery status notification as RFC 3464 defines it:
// a multipart/report of report-type delivery-status with a human-readable
// part, the message/delivery-status part with per-message and
// per-recipient fields, and the original header as text/rfc822-headers.
func buildDSN(in dsnInput) []byte {
	boundary := randomToken(12) + "/" + in.hostname
	date := in.now.UTC().Format(time.RFC1123Z)
	var b bytes.Buffer
	crlf := func(format string, args ...any) {
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\r\n")
	}

	fromAddr := "MAILER-DAEMON@" + in.hostname
	fromName := "Mail Delivery System"
	if in.opts != nil {
		if in.opts.From != "" {
			fromAddr = in.opts.From
		}
		if in.opts.FromName != "" {
			fromName = in.opts.FromName
		}
	}
	action := "failed"
	status := [3]int{5, 0, 0}
	diagType, diag := "x-error", in.reason
	if in.info != nil {
		action, status = in.info.Action, in.info.Status
		diagType, diag = in.info.DiagnosticType, in.info.DiagnosticCode
	}

	crlf("From: %s <%s>", mime.QEncoding.Encode("utf-8", fromName), fromAddr)
	crlf("To: <%s>", in.to)
	crlf("Subject: Undelivered Mail Returned to Sender")
	crlf("Date: %s", date)
	crlf("Message-ID: <%s@%s>", randomToken(16), in.hostname)
	crlf("Auto-Submitted: auto-replied")
	crlf("MIME-Version: 1.0")
	crlf("Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"%s\"", boundary)
	crlf("")

	crlf("--%s", boundary)
	crlf("Content-Type: text/plain; charset=utf-8")
	crlf("")
	crlf("This is the mail system at %s.", in.hostname)
	crlf("")
	crlf("Your message could not be delivered to the recipient below.")
	crlf("")
	crlf("<%s>: %s", in.msg.Recipient, oneLine(diag))
	crlf("")

	crlf("--%s", boundary)
	crlf("Content-Type: message/delivery-status")
	crlf("")
	crlf("Reporting-MTA: dns; %s", in.hostname)
	if in.msg.DSN.EnvID != "" {
		crlf("Original-Envelope-Id: %s", in.msg.DSN.EnvID)
	}
	if !in.msg.ReceivedAt.IsZero() {
		crlf("Arrival-Date: %s", in.msg.ReceivedAt.UTC().Format(time.RFC1123Z))
	}
	crlf("")
	crlf("Final-Recipient: rfc822; %s", in.msg.Recipient)
	if in.msg.DSN.ORcpt != "" {
		crlf("Original-Recipient: %s", in.msg.DSN.ORcpt)
	}
	crlf("Action: %s", action)
	crlf("Status: %d.%d.%d", status[0], status[1], status[2])
	if in.result != nil && in.result.Connection != nil && in.result.Connection.RemoteMX != "" {
		crlf("Remote-MTA: dns; %s", in.result.Connection.RemoteMX)
	}
	if diag != "" {
		crlf("Diagnostic-Code: %s; %s", diagType, oneLine(diag))
	}
	crlf("Last-Attempt-Date: %s", date)
	crlf("")

	if in.header != nil {
		crlf("--%s", boundary)
		crlf("Content-Type: text/rfc822-headers")
		crlf("")
		h := bytes.ReplaceAll(bytes.TrimRight(in.header, "\r\n"), []byte("\r\n"), []byte("\n"))
		h = bytes.ReplaceAll(h, []byte("\n"), []byte("\r\n"))
		b.Write(h)
		crlf("")
		crlf("")
	}
	crlf("--%s--", boundary)
	return b.Bytes()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func randomToken(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}
