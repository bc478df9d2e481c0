package spool

import (
	"maps"
	"slices"
	"time"
)

// Status is the queue status of one recipient.
type Status string

// Recipient statuses. Every status but StatusQueued is final: the
// recipient needs no more delivery attempts.
const (
	StatusQueued    Status = "queued"
	StatusDelivered Status = "delivered"
	StatusBounced   Status = "bounced"
	StatusDeleted   Status = "deleted"
)

// Final reports whether the recipient needs no more delivery attempts.
func (s Status) Final() bool {
	return s != StatusQueued && s != ""
}

// Message is the envelope of a spooled message and the queue state of each
// of its recipients. The data (the message itself) stays in the file; read
// it with [Spool.Data].
type Message struct {
	// ID is the transaction id (a UUIDv7 string).
	ID string `json:"id"`
	// Received is when the message was accepted.
	Received time.Time `json:"received"`
	// ServerID names the listener that received the message, or is empty
	// for messages queued by a script or the API.
	ServerID string `json:"serverid,omitempty"`
	// Sender is the envelope sender; empty for the null sender <>.
	Sender string `json:"sender"`
	// EnvID and Ret are the DSN parameters of MAIL FROM (RFC 3461).
	EnvID string `json:"envid,omitempty"`
	Ret   string `json:"ret,omitempty"`
	// Size is the length of the data in bytes; set by Commit.
	Size int64 `json:"size"`
	// Recipients holds one queue entry per recipient. Commit numbers them
	// 0, 1, 2... in order, in the Queue field.
	Recipients []Recipient `json:"recipients"`
}

// Recipient is one queue entry: a recipient of a message and its queue
// state.
type Recipient struct {
	// Queue is the entry number within the transaction.
	Queue int `json:"queue"`
	// Address is the envelope recipient.
	Address string `json:"address"`
	// Notify and ORcpt are the DSN parameters of RCPT TO (RFC 3461).
	Notify []string `json:"notify,omitempty"`
	ORcpt  string   `json:"orcpt,omitempty"`

	TransportID string `json:"transportid,omitempty"`
	JobID       string `json:"jobid,omitempty"`
	TenantID    string `json:"tenantid,omitempty"`
	Priority    int    `json:"priority,omitempty"`
	// Hold keeps the entry in the hold queue until an operator or a
	// script releases it.
	Hold bool `json:"hold,omitempty"`
	// Metadata is the string map that hooks set with SetMetaData.
	Metadata map[string]string `json:"metadata,omitempty"`

	Status Status `json:"status"`
	// Retry counts the delivery attempts made so far.
	Retry int `json:"retry"`
	// NextAttempt is when the entry is due; zero means at once.
	NextAttempt time.Time `json:"next,omitzero"`
	// LastResult is the outcome of the last attempt as text, such as
	// "421 4.7.0 try later".
	LastResult string `json:"last,omitempty"`
}

// Clone returns a deep copy of the message.
func (m *Message) Clone() *Message {
	c := *m
	c.Recipients = make([]Recipient, len(m.Recipients))
	for i := range m.Recipients {
		c.Recipients[i] = m.Recipients[i].clone()
	}
	return &c
}

func (r Recipient) clone() Recipient {
	r.Notify = slices.Clone(r.Notify)
	r.Metadata = maps.Clone(r.Metadata)
	return r
}

// live counts the recipients that still need delivery.
func (m *Message) live() int {
	n := 0
	for i := range m.Recipients {
		if !m.Recipients[i].Status.Final() {
			n++
		}
	}
	return n
}
