package hooktest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/halonsh/halonsh/ffi"
	"github.com/halonsh/halonsh/mta/hooks"
)

// TestFile is a hook test: a script, its context, optional policy and
// message, and steps with expectations. Paths are relative to the test
// file.
type TestFile struct {
	Script  string   `json:"script"`
	Context string   `json:"context"`
	Policy  string   `json:"policy,omitempty"`
	Message *Message `json:"message,omitempty"`
	// Start is the simulated clock's start (RFC 3339).
	Start string `json:"start,omitempty"`
	Steps []Step `json:"steps"`
}

// Step is one attempt, repeated Repeat times Every apart, or a clock
// advance; Expect is checked after each run of the step (and once after an
// advance).
type Step struct {
	Name    string   `json:"name,omitempty"`
	Attempt *Attempt `json:"attempt,omitempty"`
	Repeat  int      `json:"repeat,omitempty"`
	Every   string   `json:"every,omitempty"`
	Advance string   `json:"advance,omitempty"`
	Expect  *Expect  `json:"expect,omitempty"`
}

// Expect are the expectations of a step. Unset ones are not checked,
// except that a script error fails the step unless Error expects it.
type Expect struct {
	// Action is TRY, QUEUE, BOUNCE, DELETE or DELIVERED.
	Action string `json:"action,omitempty"`
	// Delay is the exact delay in seconds a Queue() call set.
	Delay *float64 `json:"delay,omitempty"`
	// Echo is the exact echo output of the run; EchoContains a part of it.
	Echo         *string `json:"echo,omitempty"`
	EchoContains string  `json:"echo_contains,omitempty"`
	// Error is a part of the expected script error message.
	Error string `json:"error,omitempty"`
	// Policies and Suspends are either a count of dynamic entries in
	// force, or a list of partial descriptions, each of which must match
	// one entry, with exactly as many entries in force as items.
	Policies json.RawMessage `json:"policies,omitempty"`
	Suspends json.RawMessage `json:"suspends,omitempty"`
	// Memory maps memory_* keys to their expected values; null expects
	// the key to be absent.
	Memory map[string]any `json:"memory,omitempty"`
}

// LoadTestFile reads and checks a test file.
func LoadTestFile(path string) (*TestFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var tf TestFile
	if err := decodeYAML(data, &tf); err != nil {
		return nil, withFile(path, err)
	}
	if tf.Script == "" {
		return nil, fmt.Errorf("%s: missing key \"script\"", path)
	}
	if tf.Context == "" {
		return nil, fmt.Errorf("%s: missing key \"context\"", path)
	}
	if len(tf.Steps) == 0 {
		return nil, fmt.Errorf("%s: \"steps\" is empty", path)
	}
	for i, st := range tf.Steps {
		where := fmt.Sprintf("%s: steps[%d]", path, i)
		if (st.Attempt == nil) == (st.Advance == "") {
			return nil, fmt.Errorf("%s: a step needs exactly one of \"attempt\" and \"advance\"", where)
		}
		if st.Advance != "" {
			if _, err := time.ParseDuration(st.Advance); err != nil {
				return nil, fmt.Errorf("%s.advance: %v", where, err)
			}
		}
		if st.Every != "" {
			if _, err := time.ParseDuration(st.Every); err != nil {
				return nil, fmt.Errorf("%s.every: %v", where, err)
			}
		}
		if st.Repeat < 0 {
			return nil, fmt.Errorf("%s.repeat: must not be negative, got %d", where, st.Repeat)
		}
	}
	return &tf, nil
}

// Failure is one unmet expectation.
type Failure struct {
	Step int    // 1-based
	Name string // the step's name
	Run  int    // 1-based run within the step; 0 for an advance
	Msg  string
}

func (f Failure) String() string {
	where := fmt.Sprintf("step %d", f.Step)
	if f.Name != "" {
		where += fmt.Sprintf(" (%s)", f.Name)
	}
	if f.Run > 0 {
		where += fmt.Sprintf(", run %d", f.Run)
	}
	return where + ": " + f.Msg
}

// RunTestFile runs every step of a test file and returns the failed
// expectations. The error is for a test that cannot run at all (a missing
// script, a compile error, an invalid policy file).
func RunTestFile(ctx context.Context, path string) ([]Failure, error) {
	tf, err := LoadTestFile(path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(path)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}

	kind, err := hooks.ParseKind(tf.Context)
	if err != nil {
		return nil, fmt.Errorf("%s: context: %w", path, err)
	}
	// Hook tests run like `halonsh run`: with FFI, so that hooks calling C
	// libraries can be tested.
	opts := Options{Kind: kind, Script: rel(tf.Script), Policy: rel(tf.Policy), Message: tf.Message, FFI: ffi.Config{Enabled: true}}
	if tf.Start != "" {
		if opts.Start, err = time.Parse(time.RFC3339, tf.Start); err != nil {
			return nil, fmt.Errorf("%s: start: %w", path, err)
		}
	}
	ResetSharedState()
	sim, err := New(opts)
	if err != nil {
		return nil, err
	}

	var failures []Failure
	for i, st := range tf.Steps {
		fail := func(run int, format string, args ...any) {
			failures = append(failures, Failure{Step: i + 1, Name: st.Name, Run: run, Msg: fmt.Sprintf(format, args...)})
		}

		if st.Advance != "" {
			d, _ := time.ParseDuration(st.Advance)
			sim.Advance(d)
			if st.Expect != nil {
				for _, msg := range sim.checkState(st.Expect) {
					fail(0, "%s", msg)
				}
			}
			continue
		}

		repeat := max(st.Repeat, 1)
		every, _ := time.ParseDuration(st.Every)
		for n := 1; n <= repeat; n++ {
			if n > 1 {
				sim.Advance(every)
			}
			run := sim.Attempt(ctx, st.Attempt)
			for _, msg := range checkRun(st.Expect, run) {
				fail(n, "%s", msg)
			}
			if st.Expect != nil {
				for _, msg := range sim.checkState(st.Expect) {
					fail(n, "%s", msg)
				}
			}
		}
	}
	return failures, nil
}

// checkRun compares one run with the expectations on its own outcome.
func checkRun(e *Expect, r Run) []string {
	var msgs []string
	if e == nil {
		e = &Expect{}
	}
	switch {
	case e.Error == "" && r.Error != "":
		msgs = append(msgs, fmt.Sprintf("script error: %s", r.Error))
	case e.Error != "" && !strings.Contains(r.Error, e.Error):
		msgs = append(msgs, fmt.Sprintf("expected a script error containing %q, got %q", e.Error, r.Error))
	}
	if e.Action != "" && !strings.EqualFold(e.Action, r.Action) {
		msgs = append(msgs, fmt.Sprintf("expected action %s, got %s", strings.ToUpper(e.Action), r.Action))
	}
	if e.Delay != nil && *e.Delay != r.Delay {
		msgs = append(msgs, fmt.Sprintf("expected delay %gs, got %gs", *e.Delay, r.Delay))
	}
	if e.Echo != nil && *e.Echo != r.Echo {
		msgs = append(msgs, fmt.Sprintf("expected echo %q, got %q", *e.Echo, r.Echo))
	}
	if e.EchoContains != "" && !strings.Contains(r.Echo, e.EchoContains) {
		msgs = append(msgs, fmt.Sprintf("expected echo containing %q, got %q", e.EchoContains, r.Echo))
	}
	return msgs
}

// checkState compares what is in force with the expectations.
func (s *Simulator) checkState(e *Expect) []string {
	st := s.State()
	var msgs []string

	if len(e.Policies) > 0 {
		items := make([]any, len(st.Policies))
		for i, p := range st.Policies {
			items[i] = p
		}
		msgs = append(msgs, matchEntries("policies", e.Policies, items)...)
	}
	if len(e.Suspends) > 0 {
		items := make([]any, len(st.Suspends))
		for i, p := range st.Suspends {
			items[i] = p
		}
		msgs = append(msgs, matchEntries("suspends", e.Suspends, items)...)
	}
	for key, want := range e.Memory {
		got, ok := st.Memory[key]
		switch {
		case want == nil && ok:
			msgs = append(msgs, fmt.Sprintf("expected memory key %q to be absent, got %s", key, jsonText(got)))
		case want != nil && !ok:
			msgs = append(msgs, fmt.Sprintf("expected memory key %q = %s, but it is not set", key, jsonText(want)))
		case want != nil && !sameJSON(want, got):
			msgs = append(msgs, fmt.Sprintf("expected memory key %q = %s, got %s", key, jsonText(want), jsonText(got)))
		}
	}
	return msgs
}

// matchEntries checks dynamic entries in force against an expectation:
// a count, or a list of partial descriptions matched one to one.
func matchEntries(what string, raw json.RawMessage, items []any) []string {
	var count int
	if err := json.Unmarshal(raw, &count); err == nil {
		if len(items) != count {
			return []string{fmt.Sprintf("expected %d %s in force, got %d: %s", count, what, len(items), jsonText(items))}
		}
		return nil
	}

	var wants []map[string]any
	if err := json.Unmarshal(raw, &wants); err != nil {
		return []string{fmt.Sprintf("expect.%s must be a count or a list of descriptions", what)}
	}
	if len(items) != len(wants) {
		return []string{fmt.Sprintf("expected %d %s in force, got %d: %s", len(wants), what, len(items), jsonText(items))}
	}

	used := make([]bool, len(items))
	var msgs []string
	for _, want := range wants {
		found := false
		for i, item := range items {
			if !used[i] && partialMatch(want, item) {
				used[i], found = true, true
				break
			}
		}
		if !found {
			msgs = append(msgs, fmt.Sprintf("no %s entry matches %s; in force: %s", what, jsonText(want), jsonText(items)))
		}
	}
	return msgs
}

// partialMatch reports whether every key of want has an equal value in
// item (as JSON). A ttl in want matches a remaining TTL up to it and
// above it by less than one second, because time-to-live counts down.
// A condition or fields value given as a string matches a one-item list.
func partialMatch(want map[string]any, item any) bool {
	var got map[string]any
	if err := json.Unmarshal([]byte(jsonText(item)), &got); err != nil {
		return false
	}
	for key, w := range want {
		g, ok := got[key]
		if !ok {
			return false
		}
		if key == "ttl" {
			wn, ok1 := w.(float64)
			gn, ok2 := g.(float64)
			if !ok1 || !ok2 || gn > wn || gn <= wn-1 {
				return false
			}
			continue
		}
		if wm, ok := w.(map[string]any); ok {
			gm, ok := g.(map[string]any)
			if !ok || len(wm) != len(gm) {
				return false
			}
			for k, wv := range wm {
				if s, isStr := wv.(string); isStr {
					wv = []any{s}
				}
				if !sameJSON(wv, gm[k]) {
					return false
				}
			}
			continue
		}
		if !sameJSON(w, g) {
			return false
		}
	}
	return true
}

func sameJSON(a, b any) bool {
	var x, y any
	_ = json.Unmarshal([]byte(jsonText(a)), &x)
	_ = json.Unmarshal([]byte(jsonText(b)), &y)
	return reflect.DeepEqual(x, y)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
