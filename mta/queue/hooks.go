package queue

import (
	"context"
	"time"
)

// Hooks are the pre- and post-delivery hook points. The queue calls
// PreDelivery after pickup and before the attempt, and PostDelivery after
// every attempt and whenever an entry leaves the queue without one
// (bounce or delete from pre-delivery, expiry, an operator). Both run on
// the attempt's goroutine and may block; ctx ends when the queue stops.
type Hooks interface {
	PreDelivery(ctx context.Context, in *PreDelivery) Action
	PostDelivery(ctx context.Context, in *PostDelivery) Action
}

// PreDelivery is the input of the pre-delivery hook.
type PreDelivery struct {
	Message Message
	Retry   int         // attempts made before this one
	Fields  Fields      // the fields the entry was picked up with
	Policy  *PolicyInfo // nil when no policy limited the pickup
}

// PostDelivery is the input of the post-delivery hook.
type PostDelivery struct {
	Message Message
	Retry   int // attempts made before this one
	// Expired is true when the retry count or the maximum age is reached.
	Expired bool
	// Action is the default action: "QUEUE", "BOUNCE", "DELETE", or ""
	// after a successful delivery.
	Action string
	// Attempt is nil when no attempt was made.
	Attempt *Result
	Policy  *PolicyInfo // nil without an attempt or a limiting policy
	DSN     *DSNInfo
	// Context is the value pre-delivery left in Action.Context.
	Context any
}

// DSNInfo is the post-delivery hook's $arguments["dsn"].
type DSNInfo struct {
	Action         string `json:"action"` // delayed, failed, relayed or delivered
	Status         [3]int `json:"status"`
	DiagnosticType string `json:"diagnostictype"` // smtp or x-error
	DiagnosticCode string `json:"diagnosticcode"`
}

// ActionKind is what a hook decided.
type ActionKind int

const (
	// ActionDefault applies the default action (post-delivery Default(),
	// or no explicit action at all).
	ActionDefault ActionKind = iota
	// ActionTry proceeds with the attempt (pre-delivery only).
	ActionTry
	// ActionQueue skips the attempt or reschedules the entry.
	ActionQueue
	// ActionBounce removes the entry and sends a DSN to the sender.
	ActionBounce
	// ActionDelete removes the entry without a DSN.
	ActionDelete
)

func (k ActionKind) String() string {
	switch k {
	case ActionTry:
		return "TRY"
	case ActionQueue:
		return "QUEUE"
	case ActionBounce:
		return "BOUNCE"
	case ActionDelete:
		return "DELETE"
	}
	return "DEFAULT"
}

// Action is a hook's decision and the changes it makes to the entry.
type Action struct {
	Kind ActionKind

	// Delay, when DelaySet, is the exact delay of ActionQueue, without
	// jitter; otherwise the transport's retry schedule applies.
	Delay    time.Duration
	DelaySet bool
	// Hold moves the entry to the hold queue (ActionQueue).
	Hold bool
	// KeepRetry leaves the retry count unchanged (Queue's
	// increment_retry false); ResetRetry sets it to zero.
	KeepRetry  bool
	ResetRetry bool
	// TransportID, when set, moves the entry to another transport.
	TransportID string
	// Reason is logged, and used as the DSN diagnostic of ActionBounce
	// and ActionDelete.
	Reason string

	// Try holds pre-delivery's overrides for this attempt.
	Try TryOptions
	// Metadata, when not nil, replaces the entry's stored metadata.
	Metadata map[string]string
	// DSN overrides how a generated DSN is sent (SetDSN).
	DSN *DSNOptions
	// Context is passed from pre-delivery to post-delivery of the attempt.
	Context any
}

// TryOptions override the transport for one attempt.
type TryOptions struct {
	Host      string   // IP or host name to connect to; "" or "lookup-mx" keeps the route
	Port      int      // 0 keeps the transport's port
	Sender    string   // "" keeps the envelope sender
	Recipient string   // "" keeps the envelope recipient
	HELO      string   // "" keeps the transport's
	SourceIPs []string // source IP ids or addresses; empty keeps the pickup's
	TLS       string   // "" keeps the transport's
	// ConnectTimeout is 0 for the transport's.
	ConnectTimeout time.Duration
	JobID          string
}

// DSNOptions are SetDSN's settings for a generated DSN.
type DSNOptions struct {
	TransportID string
	Recipient   string // "" sends to the envelope sender
	From        string
	FromName    string
	Metadata    map[string]string
}

// DefaultHooks are the hooks used when no scripts are configured: every
// pickup is tried and every outcome gets its default action, so retries
// follow the transport's schedule.
type DefaultHooks struct{}

func (DefaultHooks) PreDelivery(context.Context, *PreDelivery) Action {
	return Action{Kind: ActionTry}
}

func (DefaultHooks) PostDelivery(context.Context, *PostDelivery) Action {
	return Action{Kind: ActionDefault}
}
