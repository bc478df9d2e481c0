package smtpd

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"time"
)

// Backend stores the messages the server accepts. The MTA's queue
// implements it; it is the only required part.
type Backend interface {
	// NewMessage is called when the client sends DATA, with the
	// transaction's sender and recipients. The server writes the message
	// data to the returned writer and then calls Commit or Abort.
	NewMessage(ctx context.Context, tx *Transaction) (MessageWriter, error)
}

// MessageWriter receives the data of one message.
type MessageWriter interface {
	io.Writer
	// Commit runs after the final dot with tx.Size set. It stores the
	// message durably with one queue entry per recipient (or as an
	// end-of-DATA hook decides) and returns only once that is durable:
	// the client gets 250 when Commit returns nil, and the reply of a
	// returned *Reply otherwise. Any other error becomes a generic 451.
	Commit(ctx context.Context, tx *Transaction) error
	// Abort drops the message: the data was too large, the client went
	// away, or the server is shutting down. It is not called after
	// Commit.
	Abort()
}

// The optional hook interfaces below are found on the Backend by type
// assertion. A hook accepts by returning nil and rejects with a *Reply;
// any other error becomes a generic 451 and is logged. Hooks run on the
// session's goroutine; ctx ends when the connection does.

// ConnectHook runs when a client connects, before the banner. A rejection
// replaces the banner and closes the connection.
type ConnectHook interface {
	Connect(ctx context.Context, c *Conn) error
}

// HeloHook runs on the first HELO or EHLO, with c.HELO set.
type HeloHook interface {
	Helo(ctx context.Context, c *Conn) error
}

// MailHook runs on MAIL FROM, with tx.Sender and tx.Mail set.
type MailHook interface {
	Mail(ctx context.Context, tx *Transaction) error
}

// RcptHook runs on each RCPT TO before rcpt joins tx.Recipients; the hook
// may change rcpt.
type RcptHook interface {
	Rcpt(ctx context.Context, tx *Transaction, rcpt *Recipient) error
}

// DisconnectHook runs once when a connection ends, however it ends.
type DisconnectHook interface {
	Disconnect(c *Conn)
}

// Reply is an SMTP reply that a hook or Commit sends to the client.
type Reply struct {
	Code int
	// Enhanced is the enhanced status code; all zero means the server
	// picks X.0.0 from the code's class.
	Enhanced [3]int
	Text     string
	// Disconnect closes the connection after the reply.
	Disconnect bool
}

func (r *Reply) Error() string {
	return fmt.Sprintf("%d %d.%d.%d %s", r.Code, r.Enhanced[0], r.Enhanced[1], r.Enhanced[2], r.Text)
}

// Conn describes one client connection.
type Conn struct {
	// ID identifies the connection in logs.
	ID string
	// ServerID names the listener, from Config.ServerID.
	ServerID   string
	RemoteAddr netip.AddrPort
	LocalAddr  netip.AddrPort
	// HELO is the name the client gave in HELO or EHLO.
	HELO string
	// Extended reports whether the client used EHLO; always true for
	// now, because go-smtp v0.26 does not report it.
	Extended bool
	// TLS is set once STARTTLS has completed.
	TLS *TLSInfo
	// Transactions counts the messages accepted on this connection.
	Transactions int
	Started      time.Time
}

// TLSInfo describes an inbound TLS session.
type TLSInfo struct {
	// Protocol is the TLS version, such as "TLSv1.3".
	Protocol string
	Cipher   string
}

// Transaction is one MAIL FROM ... DATA exchange.
type Transaction struct {
	// ID is the transaction id, a UUIDv7 string made at MAIL FROM; the
	// queue uses it as the message id, so one id follows the message from
	// the SMTP session to its delivery.
	ID   string
	Conn *Conn
	// Sender is the reverse path; empty for the null sender <>.
	Sender     string
	Mail       MailParams
	Recipients []Recipient
	// Size is the number of data bytes received; set before Commit.
	Size int64
}

// MailParams holds the MAIL FROM parameters.
type MailParams struct {
	// Size is the SIZE the client declared, 0 when it did not.
	Size int64
	// Body is "7BIT", "8BITMIME" or "BINARYMIME"; empty when not given.
	Body     string
	SMTPUTF8 bool
	// EnvID and Ret are the DSN parameters (RFC 3461).
	EnvID string
	Ret   string
}

// Recipient is one RCPT TO.
type Recipient struct {
	Address string
	// Notify and ORcpt are the DSN parameters (RFC 3461).
	Notify []string
	ORcpt  string
}
