// Package hooks runs the pre- and post-delivery hook scripts of the queue.
//
// A Script is one hook script compiled for its context, with the context's
// predefined variables ($arguments, $message, $context) and functions
// (Try, Queue, Bounce, Delete, Default, SetDSN, SetMetaData,
// GetMetaData). Runner implements queue.Hooks on top of two scripts, so the
// MTA and the hook tester drive the same code.
//
// Every run ends in exactly one action:
//   - a terminating function (Try, Queue, Bounce, Delete, Default) decides
//     it and ends the script at once;
//   - reaching the end of the script applies the context's default:
//     pre-delivery Try(), post-delivery Default();
//   - a script error is logged with the message ids, then the context's
//     on-error action applies: pre-delivery
//     Queue(["delay" => 300, "increment_retry" => false]), post-delivery
//     Default().
package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/halonsh/halonsh/builtins"
	"github.com/halonsh/halonsh/lang/vm"
	"github.com/halonsh/halonsh/mta/queue"
)

// Kind is a hook context.
type Kind int

const (
	PreDelivery Kind = iota + 1
	PostDelivery
)

// ParseKind reads a context name: "predelivery" or "postdelivery" (a
// hyphen or underscore between the words is accepted).
func ParseKind(s string) (Kind, error) {
	switch s {
	case "predelivery", "pre-delivery", "pre_delivery":
		return PreDelivery, nil
	case "postdelivery", "post-delivery", "post_delivery":
		return PostDelivery, nil
	}
	return 0, fmt.Errorf("unknown hook context %q, expected predelivery or postdelivery", s)
}

// onErrorDelay is pre-delivery's delay after a script error.
const onErrorDelay = 300 * time.Second

// DefaultTimeout is the wall-time limit of one hook run.
const DefaultTimeout = 60 * time.Second

// Script is a hook script compiled for one context. It is immutable and
// may run from many goroutines at once.
type Script struct {
	Kind Kind
	File string
	prog *vm.Program
}

// Compile compiles src as a hook script of kind against base (the
// standard library, possibly with more functions) plus the context's
// functions.
func Compile(base *vm.Library, kind Kind, filename string, src []byte) (*Script, error) {
	return CompileIn(base, kind, "", filename, src)
}

// CompileIn is Compile with root as the script root of include, import
// and File paths, such as the MTA's configuration directory. An empty root
// means the script's own directory.
func CompileIn(base *vm.Library, kind Kind, root, filename string, src []byte) (*Script, error) {
	prog, err := compileScript(contextLibrary(base, kind), root, filename, src)
	if err != nil {
		return nil, err
	}
	return &Script{Kind: kind, File: filename, prog: prog}, nil
}

// Outcome is what one hook run did.
type Outcome struct {
	Action queue.Action
	// Explicit is true when a terminating function decided the action.
	Explicit bool
	// Err is the script error, nil when the run ended normally.
	Err error
	// Echo is what the script echoed, when the Runner collects it.
	Echo string
	// Context is $context as the script left it; none when unset.
	Context vm.Value
}

// Runner runs the configured hook scripts for the queue. A nil script
// gives the context's default action without running anything.
type Runner struct {
	Pre, Post *Script
	// Queue is what queue_policy and queue_suspend change; nil makes them
	// raise "no queue attached".
	Queue builtins.QueueHost
	// Logger receives script errors, and echo output at debug level.
	Logger *slog.Logger
	// Timeout is the wall-time limit of one run; 0 means DefaultTimeout.
	Timeout time.Duration
	// CollectEcho keeps echo output in Outcome.Echo instead of logging it.
	CollectEcho bool
}

var _ queue.Hooks = (*Runner)(nil)

// PreDelivery implements queue.Hooks.
func (r *Runner) PreDelivery(ctx context.Context, in *queue.PreDelivery) queue.Action {
	return r.RunPre(ctx, in).Action
}

// PostDelivery implements queue.Hooks.
func (r *Runner) PostDelivery(ctx context.Context, in *queue.PostDelivery) queue.Action {
	return r.RunPost(ctx, in).Action
}

// RunPre runs the pre-delivery script for one entry.
func (r *Runner) RunPre(ctx context.Context, in *queue.PreDelivery) Outcome {
	if r.Pre == nil {
		return Outcome{Action: queue.Action{Kind: queue.ActionTry}}
	}

	args := newArray().num("retry", float64(in.Retry)).value()
	host := &run{kind: PreDelivery, queue: r.Queue, metadata: in.Message.Metadata}
	globals := map[string]vm.Value{
		"arguments": args,
		"message":   messageValue(&in.Message),
	}

	out := r.exec(ctx, r.Pre, host, globals, &in.Message)
	switch {
	case out.Err != nil:
		out.Action = queue.Action{Kind: queue.ActionQueue, Delay: onErrorDelay, DelaySet: true, KeepRetry: true, Reason: "pre-delivery script error"}
	case !out.Explicit:
		out.Action = queue.Action{Kind: queue.ActionTry, Metadata: host.action.Metadata, DSN: host.action.DSN}
	}
	out.Action.Context = contextPayload(out.Context)
	return out
}

// RunPost runs the post-delivery script for one outcome.
func (r *Runner) RunPost(ctx context.Context, in *queue.PostDelivery) Outcome {
	if r.Post == nil {
		return Outcome{Action: queue.Action{Kind: queue.ActionDefault}}
	}

	args := newArray().num("retry", float64(in.Retry)).set("expired", vm.Bool(in.Expired))
	if in.Action != "" {
		args.str("action", in.Action)
	}
	if in.Attempt != nil {
		info := in.Policy
		if info == nil {
			info = &queue.PolicyInfo{}
		}
		args.set("policy", policyValue(info))
		args.set("attempt", attemptValue(in.Attempt))
	}
	if in.DSN != nil {
		args.set("dsn", dsnValue(in.DSN))
	}

	host := &run{
		kind:      PostDelivery,
		queue:     r.Queue,
		metadata:  in.Message.Metadata,
		delivered: in.Attempt != nil && in.Attempt.Delivered,
	}
	globals := map[string]vm.Value{
		"arguments": args.value(),
		"message":   messageValue(&in.Message),
	}
	if v, ok := in.Context.(vm.Value); ok {
		globals["context"] = v
	}

	out := r.exec(ctx, r.Post, host, globals, &in.Message)
	if out.Err != nil || !out.Explicit {
		out.Action = queue.Action{Kind: queue.ActionDefault, Metadata: host.action.Metadata, DSN: host.action.DSN}
	}
	return out
}

// exec runs one script and reports what it decided. The action is only
// meaningful when Explicit is true and Err is nil.
func (r *Runner) exec(ctx context.Context, s *Script, host *run, globals map[string]vm.Value, m *queue.Message) Outcome {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var echo bytes.Buffer
	var contextValue vm.Value
	start := time.Now()
	err := s.prog.Run(ctx, &vm.RunOptions{
		Out:     &echo,
		Globals: globals,
		Host:    host,
		Inspect: func(global func(string) (vm.Value, bool)) {
			contextValue, _ = global("context")
		},
	})

	observe(s.Kind, time.Since(start), err)

	out := Outcome{Action: host.action, Explicit: host.decided, Err: err, Context: contextValue}
	logger := r.logger()
	if r.CollectEcho {
		out.Echo = echo.String()
	} else if echo.Len() > 0 && logger.Enabled(ctx, slog.LevelDebug) {
		logEcho(logger, s, m, &echo)
	}

	if err != nil {
		var verr *vm.Error
		if errors.As(err, &verr) && verr.StackTrace() != "" {
			logger.Error("hook script error", "hook", s.Kind.String(), "msg_id", m.TransactionID, "queue_id", m.ID, "error", err, "stack", verr.StackTrace())
		} else {
			logger.Error("hook script error", "hook", s.Kind.String(), "msg_id", m.TransactionID, "queue_id", m.ID, "error", err)
		}
	}
	return out
}

func (r *Runner) logger() *slog.Logger {
	if r.Logger != nil {
		return r.Logger
	}
	return slog.Default()
}

// logEcho logs each echoed line at debug level, tagged with the ids.
func logEcho(logger *slog.Logger, s *Script, m *queue.Message, echo io.Reader) {
	data, _ := io.ReadAll(echo)
	for _, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		logger.Debug("hook echo", "hook", s.Kind.String(), "msg_id", m.TransactionID, "queue_id", m.ID, "text", string(line))
	}
}

// contextPayload keeps $context for post-delivery; nil when unset.
func contextPayload(v vm.Value) any {
	if v.IsNone() {
		return nil
	}
	return v
}
