package delivery

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// State is the SMTP state a reply or an error belongs to. The names are
// those the post-delivery hook sees in $arguments["attempt"]["result"]["state"],
// plus CONNECT for failures before the server sent anything.
type State string

const (
	StateConnect  State = "CONNECT"
	StateBanner   State = "BANNER"
	StateHelo     State = "HELO"
	StateEhlo     State = "EHLO"
	StateStartTLS State = "STARTTLS"
	StateMail     State = "MAIL"
	StateRcpt     State = "RCPT"
	StateData     State = "DATA"
	StateEOD      State = "EOD"
	StateRset     State = "RSET"
	StateQuit     State = "QUIT"
)

// Reply is an SMTP reply from the remote server.
type Reply struct {
	Code int
	// Enhanced is the enhanced status code (RFC 3463), all zero when the
	// server sent none.
	Enhanced [3]int
	// Lines holds the reply text, one element per reply line, without the
	// codes.
	Lines []string
	State State
}

// String formats the reply as it appears in a DSN's diagnostic code, such
// as "421 4.7.0 try later".
func (r *Reply) String() string {
	var b strings.Builder
	b.WriteString(strconv.Itoa(r.Code))
	if r.Enhanced != [3]int{} {
		fmt.Fprintf(&b, " %d.%d.%d", r.Enhanced[0], r.Enhanced[1], r.Enhanced[2])
	}
	for _, l := range r.Lines {
		b.WriteByte(' ')
		b.WriteString(l)
	}
	return b.String()
}

// ErrorType classifies an attempt that ended without an SMTP reply; the
// values are those of $arguments["attempt"]["error"]["type"].
type ErrorType string

const (
	ErrorConfig   ErrorType = "config"
	ErrorDNS      ErrorType = "dns"
	ErrorNetwork  ErrorType = "network"
	ErrorProtocol ErrorType = "protocol"
	ErrorTLS      ErrorType = "tls"
)

// DNSErrorKind details a DNS failure; the values are those of
// $arguments["attempt"]["error"]["dns"].
type DNSErrorKind string

const (
	DNSOther    DNSErrorKind = "other"
	DNSNXDomain DNSErrorKind = "nxdomain"
	DNSNullMX   DNSErrorKind = "nullmx"
	DNSNoData   DNSErrorKind = "nodata"
	DNSIPFamily DNSErrorKind = "ipfamily"
	DNSExcluded DNSErrorKind = "excluded"
)

// AttemptError is an attempt that ended without an SMTP reply to report:
// a failed lookup, connection, TLS handshake or protocol exchange.
type AttemptError struct {
	Type ErrorType
	// DNS is set when Type is ErrorDNS.
	DNS DNSErrorKind
	// Temporary reports whether a later attempt may succeed.
	Temporary bool
	// State is the SMTP state the error happened in.
	State   State
	Message string
}

func (e *AttemptError) Error() string {
	return fmt.Sprintf("%s error in %s: %s", e.Type, e.State, e.Message)
}

// TLSInfo describes the TLS state of a connection.
type TLSInfo struct {
	Started bool
	// Protocol is the TLS version, such as "TLSv1.3".
	Protocol string
	// Cipher is the IANA name of the cipher suite.
	Cipher string
	// KeySize is the symmetric key size of the cipher in bits.
	KeySize int
	// Verified reports whether the peer certificate chain and name were
	// verified.
	Verified bool
}

// Connection describes the connection an attempt used.
type Connection struct {
	// ID identifies the connection in logs; reused connections keep it.
	ID string
	// Transactions counts the messages sent on the connection, this one
	// included.
	Transactions int
	LocalIP      string
	// LocalIPID is the id of the configured source address.
	LocalIPID  string
	HELO       string
	RemoteIP   string
	RemotePort int
	// RemoteMX is the MX host name, or the next hop's host.
	RemoteMX string
	// RemoteGreeting holds the lines of the server's banner.
	RemoteGreeting []string
	TLS            TLSInfo
}

// Attempt is the outcome of one delivery attempt for one recipient.
// Exactly one of Result and Error is set.
type Attempt struct {
	Recipient string
	Result    *Reply
	Error     *AttemptError
	// Connection is nil when no connection was made.
	Connection *Connection
	// Duration is the time from the start of the attempt to its end.
	Duration time.Duration
}

// Delivered reports whether the server accepted the message for the
// recipient.
func (a *Attempt) Delivered() bool {
	return a.Result != nil && a.Result.Code/100 == 2
}

// Temporary reports whether the failure may go away on a later attempt:
// a 4xx reply or a temporary error. It is false for a delivery.
func (a *Attempt) Temporary() bool {
	if a.Error != nil {
		return a.Error.Temporary
	}
	return a.Result != nil && a.Result.Code/100 == 4
}

// String formats the outcome for logs and for the spool's last result.
func (a *Attempt) String() string {
	if a.Error != nil {
		return a.Error.Error()
	}
	if a.Result != nil {
		return a.Result.String()
	}
	return "no result"
}
