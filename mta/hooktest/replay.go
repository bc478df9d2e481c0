package hooktest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// ReadReplay reads a JSON-lines attempt log: one Attempt per line, each
// with its ts. Blank lines are skipped; keys the tester does not use
// (outcome, delay, subqueue, ...) are ignored. Lines must be in time
// order.
func ReadReplay(name string, r io.Reader) ([]*Attempt, error) {
	var out []*Attempt
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var last time.Time
	for line := 1; sc.Scan(); line++ {
		text := sc.Bytes()
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		var a Attempt
		if err := json.Unmarshal(text, &a); err != nil {
			return nil, fmt.Errorf("%s:%d: invalid attempt record: %v", name, line, err)
		}
		if a.TS == "" {
			return nil, fmt.Errorf("%s:%d: missing key \"ts\"", name, line)
		}
		ts, err := time.Parse(time.RFC3339Nano, a.TS)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: ts: %v", name, line, err)
		}
		if ts.Before(last) {
			return nil, fmt.Errorf("%s:%d: ts %s is before the previous line's %s", name, line, a.TS, last.Format(time.RFC3339Nano))
		}
		last = ts
		out = append(out, &a)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

// Time returns the attempt's ts; zero when unset or invalid.
func (a *Attempt) Time() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, a.TS)
	return t
}
