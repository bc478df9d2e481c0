package queue

import (
	"strings"
	"time"
)

// Message is one queued entry: one recipient of one spooled message, with
// the state the queue keeps across attempts. The queue hands copies to
// hooks and the store, so changing a copy changes nothing queued.
type Message struct {
	// ID is the queue id of this entry, unique among queued entries.
	ID string
	// TransactionID is the id of the spooled message the entry belongs to
	// ($message["id"]["transaction"]); Index is the entry's position among
	// the message's recipients ($message["id"]["queue"]).
	TransactionID string
	Index         int

	Sender      string // envelope sender; "" is the null sender
	Recipient   string // envelope recipient
	TransportID string
	JobID       string
	TenantID    string
	ServerID    string // listener that received it, "" for generated mail
	Priority    int
	Size        int64 // message bytes

	ReceivedAt time.Time // when the inbound transaction ended
	QueuedAt   time.Time // start of the maximum-age count
	// Retry is the number of attempts made so far.
	Retry int
	// NextAttempt is when the entry is due; zero means at once.
	NextAttempt time.Time
	// Hold keeps the entry in the hold queue until it is released.
	Hold     bool
	Metadata map[string]string
	DSN      DSNRequest
	// LastResult is the outcome of the latest attempt, for operators.
	LastResult string
}

// DSNRequest are the DSN parameters of RFC 3461 given at MAIL FROM and
// RCPT TO.
type DSNRequest struct {
	EnvID  string   `json:"envid,omitempty"`
	Ret    string   `json:"ret,omitempty"`    // HDRS or FULL
	Notify []string `json:"notify,omitempty"` // NEVER, SUCCESS, FAILURE, DELAY
	ORcpt  string   `json:"orcpt,omitempty"`
}

// RecipientDomain returns the lowercase domain of the recipient.
func (m *Message) RecipientDomain() string {
	return domainOf(m.Recipient)
}

func domainOf(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(addr[at+1:], "."))
}

// clone returns a copy that shares nothing mutable with m.
func (m *Message) clone() Message {
	c := *m
	if m.Metadata != nil {
		c.Metadata = make(map[string]string, len(m.Metadata))
		for k, v := range m.Metadata {
			c.Metadata[k] = v
		}
	}
	c.DSN.Notify = append([]string(nil), m.DSN.Notify...)
	return c
}

// Fields are the values queue policies key on (transportid, jobid,
// tenantid, recipientdomain, localip, remotemx, remoteip, grouping).
type Fields struct {
	TransportID     string
	JobID           string
	TenantID        string
	RecipientDomain string
	LocalIP         string
	RemoteMX        string
	RemoteIP        string
	Grouping        string
}

// String returns the fields in display form, "field=value" pairs with the
// empty ones left out: "transportid=mx,recipientdomain=example.com,...".
func (f *Fields) String() string {
	var b strings.Builder
	for _, kv := range [...][2]string{
		{"transportid", f.TransportID}, {"jobid", f.JobID}, {"tenantid", f.TenantID},
		{"recipientdomain", f.RecipientDomain}, {"localip", f.LocalIP},
		{"remotemx", f.RemoteMX}, {"remoteip", f.RemoteIP}, {"grouping", f.Grouping},
	} {
		if kv[1] == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(kv[0])
		b.WriteByte('=')
		b.WriteString(kv[1])
	}
	return b.String()
}

// subqueueKey identifies the ready list an entry waits in: every field
// except the source IP, which is chosen at pickup among the transport's
// candidates. Entries with equal keys get equal pickup decisions, so the
// head of the list stands for all of them.
func (f *Fields) subqueueKey() string {
	var b strings.Builder
	for i, v := range [...]string{f.TransportID, f.JobID, f.TenantID, f.RecipientDomain, f.RemoteMX, f.RemoteIP, f.Grouping} {
		if i > 0 {
			b.WriteByte('|')
		}
		b.WriteString(v)
	}
	return b.String()
}
