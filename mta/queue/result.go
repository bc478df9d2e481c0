package queue

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Hop is one next hop of a delivery: an MX host and one of its addresses.
type Hop struct {
	MX   string // host name, lowercase, no final dot
	IP   string
	Port int
}

// Attempt is one delivery attempt handed to the Deliverer.
type Attempt struct {
	Message Message
	// Hops are tried in order until one accepts a connection. The first
	// one gave the sub-queue its remotemx and remoteip.
	Hops []Hop
	// SourceIP is the local address to connect from; its Address is ""
	// when the system picks.
	SourceIP SourceIP
	// Options are the pre-delivery hook's Try overrides.
	Options TryOptions
	// SubqueueKey groups attempts whose connections may be reused for one
	// another: same source IP, same first hop.
	SubqueueKey string
}

// SourceIP is a transport source address.
type SourceIP struct {
	ID      string
	Address string
	HELO    string
}

// Result is the outcome of one attempt, in the shape of the post-delivery
// hook's $arguments["attempt"]. Exactly one of SMTP and Error is set.
type Result struct {
	SMTP       *SMTPResult     `json:"result,omitempty"`
	Error      *AttemptError   `json:"error,omitempty"`
	Connection *ConnectionInfo `json:"connection,omitempty"`
	// Duration is the time the attempt took.
	Duration time.Duration `json:"-"`
	// Delivered is true when the recipient was accepted at end of data.
	Delivered bool `json:"-"`
}

// SMTPResult is the server's reply that decided the attempt.
type SMTPResult struct {
	Code     int      `json:"code"`
	Enhanced []int    `json:"enhanced,omitempty"` // class, subject, detail
	Reason   []string `json:"reason"`
	State    string   `json:"state"` // BANNER, EHLO, MAIL, RCPT, DATA, EOD, ...
}

// AttemptError is a failure without an SMTP reply that decides it.
type AttemptError struct {
	Temporary bool   `json:"temporary"`
	Message   string `json:"message"`
	// Type is config, dns, network, protocol, smtp or tls.
	Type string `json:"type"`
	// DNS is other, nxdomain, nullmx or nodata for Type dns.
	DNS string `json:"dns,omitempty"`
}

func (e *AttemptError) Error() string { return e.Message }

// ConnectionInfo describes the connection an attempt used.
type ConnectionInfo struct {
	ID           string   `json:"id,omitempty"`
	Transactions int      `json:"transactions"` // on this connection, this one included
	LocalIP      string   `json:"localip,omitempty"`
	LocalIPID    string   `json:"localipid,omitempty"`
	HELO         string   `json:"helo,omitempty"`
	RemoteIP     string   `json:"remoteip"`
	RemoteMX     string   `json:"remotemx"`
	RemoteGreet  []string `json:"remotegreet,omitempty"`
	TLS          *TLSInfo `json:"tls,omitempty"`
}

// TLSInfo describes the TLS state of an outbound connection.
type TLSInfo struct {
	Started  bool   `json:"started"`
	Protocol string `json:"protocol,omitempty"`
	Cipher   string `json:"cipher,omitempty"`
	KeySize  int    `json:"keysize,omitempty"`
}

// Class is the outcome class of a result: "delivered", "temporary" or
// "permanent".
func (r *Result) Class() string {
	switch {
	case r.Delivered:
		return "delivered"
	case r.SMTP != nil && r.SMTP.Code >= 500:
		return "permanent"
	case r.Error != nil && !r.Error.Temporary:
		return "permanent"
	}
	return "temporary"
}

// Summary is a one-line description of the result, as in a DSN's
// diagnostic code: "421 4.7.0 try later" or the error message.
func (r *Result) Summary() string {
	if r.SMTP != nil {
		parts := []string{strconv.Itoa(r.SMTP.Code)}
		if len(r.SMTP.Enhanced) == 3 {
			parts = append(parts, fmt.Sprintf("%d.%d.%d", r.SMTP.Enhanced[0], r.SMTP.Enhanced[1], r.SMTP.Enhanced[2]))
		}
		parts = append(parts, r.SMTP.Reason...)
		return strings.Join(parts, " ")
	}
	if r.Error != nil {
		return r.Error.Message
	}
	return ""
}

// status returns the RFC 3463 status code for a DSN of this result.
func (r *Result) status() [3]int {
	if r.SMTP != nil && len(r.SMTP.Enhanced) == 3 {
		return [3]int{r.SMTP.Enhanced[0], r.SMTP.Enhanced[1], r.SMTP.Enhanced[2]}
	}
	class := 4
	if r.Class() == "permanent" {
		class = 5
	}
	if r.Delivered {
		return [3]int{2, 0, 0}
	}
	if r.Error != nil && r.Error.Type == "dns" {
		return [3]int{class, 4, 4}
	}
	return [3]int{class, 0, 0}
}

// RouteError is a failed next-hop lookup.
type RouteError struct {
	Temporary bool
	// DNS is other, nxdomain, nullmx or nodata.
	DNS string
	Err error
}

func (e *RouteError) Error() string { return e.Err.Error() }
func (e *RouteError) Unwrap() error { return e.Err }
