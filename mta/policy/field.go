package policy

import (
	"strconv"
	"strings"
)

// Field is a property of an entry that policies can key on.
type Field uint8

// The fields, in the order Entry stores them.
const (
	TenantID Field = iota
	JobID
	TransportID
	LocalIP
	Grouping
	RemoteIP
	RemoteMX
	RecipientDomain

	numFields
)

var fieldNames = [numFields]string{
	TenantID:        "tenantid",
	JobID:           "jobid",
	TransportID:     "transportid",
	LocalIP:         "localip",
	Grouping:        "grouping",
	RemoteIP:        "remoteip",
	RemoteMX:        "remotemx",
	RecipientDomain: "recipientdomain",
}

// String returns the field's configuration name, such as "remotemx".
func (f Field) String() string {
	if f < numFields {
		return fieldNames[f]
	}
	return "field(" + strconv.Itoa(int(f)) + ")"
}

// ParseField returns the field with the configuration name s.
func ParseField(s string) (Field, bool) {
	for f, name := range fieldNames {
		if name == s {
			return Field(f), true
		}
	}
	return 0, false
}

// Fields returns every field in Entry order.
func Fields() []Field {
	out := make([]Field, numFields)
	for i := range out {
		out[i] = Field(i)
	}
	return out
}

// isHost reports whether values of f are host or domain names, which
// compare case-insensitively and accept "*.domain" wildcards.
func (f Field) isHost() bool {
	return f == RemoteMX || f == RecipientDomain
}

// isIP reports whether values of f are IP addresses, which accept
// addresses and networks as matchers and no regexes.
func (f Field) isIP() bool {
	return f == LocalIP || f == RemoteIP
}

// foldsCase reports whether keys store f's values in lower case.
func (f Field) foldsCase() bool {
	return f.isHost() || f.isIP()
}

// Entry holds the field values of one queued entry for one attempt.
// Empty strings are valid values (an unset jobid is "").
type Entry struct {
	TenantID        string
	JobID           string
	TransportID     string
	LocalIP         string
	Grouping        string
	RemoteIP        string
	RemoteMX        string
	RecipientDomain string
}

// Value returns the value of field f.
func (e *Entry) Value(f Field) string {
	switch f {
	case TenantID:
		return e.TenantID
	case JobID:
		return e.JobID
	case TransportID:
		return e.TransportID
	case LocalIP:
		return e.LocalIP
	case Grouping:
		return e.Grouping
	case RemoteIP:
		return e.RemoteIP
	case RemoteMX:
		return e.RemoteMX
	case RecipientDomain:
		return e.RecipientDomain
	}
	return ""
}

// SetValue sets field f to v.
func (e *Entry) SetValue(f Field, v string) {
	switch f {
	case TenantID:
		e.TenantID = v
	case JobID:
		e.JobID = v
	case TransportID:
		e.TransportID = v
	case LocalIP:
		e.LocalIP = v
	case Grouping:
		e.Grouping = v
	case RemoteIP:
		e.RemoteIP = v
	case RemoteMX:
		e.RemoteMX = v
	case RecipientDomain:
		e.RecipientDomain = v
	}
}

// Set parses "field=value" and sets that field, as the command line and
// tests write entries.
func (e *Entry) Set(assignment string) error {
	name, value, ok := strings.Cut(assignment, "=")
	if !ok {
		return &Error{Msg: "expected field=value, got " + quote(assignment)}
	}
	f, ok := ParseField(name)
	if !ok {
		return &Error{Msg: "unknown field " + quote(name)}
	}
	e.SetValue(f, value)
	return nil
}
