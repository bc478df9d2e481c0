package hooktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/halonsh/halonsh/mta/queue"
)

// Attempt is one simulated post-delivery input, written as the
// $arguments array of the hook: retry, expired, action, attempt (result,
// error, connection, duration) and dsn. The MTA's attempt log has the same
// keys, plus ts and message, so a log line is an Attempt as it is.
type Attempt struct {
	// TS is when the attempt happened (RFC 3339); only replays use it.
	TS      string         `json:"ts,omitempty"`
	Retry   int            `json:"retry"`
	Expired bool           `json:"expired"`
	Action  *string        `json:"action,omitempty"`
	Attempt *AttemptResult `json:"attempt,omitempty"`
	DSN     *queue.DSNInfo `json:"dsn,omitempty"`
	Message *Message       `json:"message,omitempty"`

	// Grouping and Policy are accepted for symmetry with $arguments; the
	// tester computes the policy array from its own policy engine.
	Grouping string `json:"grouping,omitempty"`
	Policy   any    `json:"policy,omitempty"`
}

// AttemptResult is $arguments["attempt"].
type AttemptResult struct {
	queue.Result
	// Duration is in seconds.
	Duration float64 `json:"duration"`
}

// Message is $message, as far as the tester needs it. Unset fields get
// the defaults of DefaultMessage.
type Message struct {
	ID struct {
		Transaction string `json:"transaction"`
		Queue       int    `json:"queue"`
	} `json:"id"`
	QueueID     string            `json:"queueid"`
	TS          float64           `json:"ts"`
	ServerID    string            `json:"serverid"`
	Sender      string            `json:"sender"`
	Recipient   string            `json:"recipient"`
	TransportID string            `json:"transportid"`
	TenantID    string            `json:"tenantid"`
	JobID       string            `json:"jobid"`
	Priority    int               `json:"priority"`
	Size        int64             `json:"size"`
	DSN         queue.DSNRequest  `json:"dsn"`
	Metadata    map[string]string `json:"metadata"`
}

// DefaultMessage is the message of a simulation that names none.
func DefaultMessage() *Message {
	m := &Message{
		Sender:      "sender@example.org",
		Recipient:   "user@example.com",
		TransportID: "mx",
		Size:        1024,
	}
	m.ID.Transaction = "00000000-0000-0000-0000-000000000001"
	m.QueueID = "1"
	return m
}

// queueMessage converts m to the queue's form, with defaults filled in.
func (m *Message) queueMessage() queue.Message {
	d := DefaultMessage()
	if m == nil {
		m = d
	}
	q := queue.Message{
		ID:            orDefault(m.QueueID, d.QueueID),
		TransactionID: orDefault(m.ID.Transaction, d.ID.Transaction),
		Index:         m.ID.Queue,
		Sender:        m.Sender,
		Recipient:     orDefault(m.Recipient, d.Recipient),
		TransportID:   orDefault(m.TransportID, d.TransportID),
		JobID:         m.JobID,
		TenantID:      m.TenantID,
		ServerID:      m.ServerID,
		Priority:      m.Priority,
		Size:          m.Size,
		DSN:           m.DSN,
		Metadata:      m.Metadata,
	}
	if m.TS > 0 {
		q.ReceivedAt = time.Unix(0, int64(m.TS*1e9)).UTC()
	}
	return q
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// defaultAction is the action the MTA computes before post-delivery runs:
// none after a delivery, QUEUE for a temporary failure (BOUNCE once
// expired), BOUNCE for a permanent one.
func (a *Attempt) defaultAction() string {
	if a.Action != nil {
		return *a.Action
	}
	if a.Attempt == nil {
		return "QUEUE"
	}
	if s := a.Attempt.SMTP; s != nil {
		switch {
		case s.Code >= 200 && s.Code < 300:
			return ""
		case s.Code >= 500:
			return "BOUNCE"
		}
	} else if e := a.Attempt.Error; e != nil && !e.Temporary {
		return "BOUNCE"
	}
	if a.Expired {
		return "BOUNCE"
	}
	return "QUEUE"
}

// delivered reports whether the attempt delivered the message.
func (a *Attempt) delivered() bool {
	return a.Attempt != nil && a.Attempt.SMTP != nil && a.Attempt.SMTP.Code >= 200 && a.Attempt.SMTP.Code < 300
}

// decodeYAML decodes YAML into v through JSON, so one set of json tags
// serves YAML files, JSON lines and the report. Errors name the position
// in the YAML text: "LINE:COL: key.path: message".
func decodeYAML(data []byte, v any) error {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	var generic any
	if err := root.Decode(&generic); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "yaml: "))
	}
	js, err := json.Marshal(normalize(generic))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(strings.NewReader(string(js)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return yamlPosition(&root, err)
	}
	return nil
}

// yamlPosition turns a JSON decoding error into one with the YAML line
// and column of the key at fault.
func yamlPosition(root *yaml.Node, err error) error {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		path := jsonPath(ute.Field)
		msg := fmt.Sprintf("%s: expected %s, got %s", strings.Join(path, "."), kindName(ute.Type.Kind().String()), ute.Value)
		if n := findKey(root, path); n != nil {
			return fmt.Errorf("%d:%d: %s", n.Line, n.Column, msg)
		}
		return errors.New(msg)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		name = strings.Trim(name, `"`)
		msg := fmt.Sprintf("unknown key %q", name)
		if n := findKey(root, []string{name}); n != nil {
			return fmt.Errorf("%d:%d: %s", n.Line, n.Column, msg)
		}
		return errors.New(msg)
	}
	return err
}

func kindName(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "a list"
	case "map", "struct", "ptr":
		return "a mapping"
	}
	return "a number"
}

// withFile prefixes a decoding error with the file name, joined to a
// leading LINE:COL as FILE:LINE:COL.
func withFile(path string, err error) error {
	msg := err.Error()
	if msg != "" && msg[0] >= '0' && msg[0] <= '9' {
		return fmt.Errorf("%s:%s", path, msg)
	}
	return fmt.Errorf("%s: %s", path, msg)
}

// jsonPath splits a decoding error's field path, dropping the names of
// embedded Go structs, which do not appear in the document.
func jsonPath(field string) []string {
	var out []string
	for _, part := range strings.Split(field, ".") {
		if part != "" && part != "Result" {
			out = append(out, part)
		}
	}
	return out
}

// findKey returns the first mapping key node, in document order, whose
// name is the last element of path and whose parents' keys end with the
// rest of path (sequence indexes are skipped).
func findKey(n *yaml.Node, path []string) *yaml.Node {
	if len(path) == 0 {
		return nil
	}
	var found *yaml.Node
	var walk func(n *yaml.Node, trail []string)
	walk = func(n *yaml.Node, trail []string) {
		if found != nil {
			return
		}
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, trail)
			}
		case yaml.AliasNode:
			if n.Alias != nil {
				walk(n.Alias, trail)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				key := n.Content[i]
				here := append(append([]string(nil), trail...), key.Value)
				if key.Value == path[len(path)-1] && hasSuffix(here, path) {
					found = key
					return
				}
				walk(n.Content[i+1], here)
			}
		}
	}
	walk(n, nil)
	return found
}

func hasSuffix(trail, path []string) bool {
	if len(path) > len(trail) {
		return false
	}
	for i := range path {
		if trail[len(trail)-len(path)+i] != path[i] {
			return false
		}
	}
	return true
}

// normalize turns YAML's map[any]any (from non-string keys) into
// map[string]any so it can be encoded as JSON.
func normalize(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			t[k] = normalize(val)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, val := range t {
			m[fmt.Sprint(k)] = normalize(val)
		}
		return m
	case []any:
		for i, val := range t {
			t[i] = normalize(val)
		}
		return t
	}
	return v
}

// LoadAttempt reads an attempt YAML file.
func LoadAttempt(path string) (*Attempt, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var a Attempt
	if err := decodeYAML(data, &a); err != nil {
		return nil, withFile(path, err)
	}
	return &a, nil
}

// LoadMessage reads a message YAML file.
func LoadMessage(path string) (*Message, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Message
	if err := decodeYAML(data, &m); err != nil {
		return nil, withFile(path, err)
	}
	return &m, nil
}
