package hooks

import (
	"fmt"
	"time"

	"github.com/halonsh/halonsh/builtins"
	"github.com/halonsh/halonsh/lang/vm"
	"github.com/halonsh/halonsh/mta/queue"
)

// run is the host value of one hook run: what the context functions read
// and the action they decide.
type run struct {
	kind  Kind
	queue builtins.QueueHost

	// delivered is true in post-delivery after a successful delivery, where
	// Queue, Bounce and Delete are errors.
	delivered bool
	metadata  map[string]string

	action  queue.Action
	decided bool
}

// QueueHost gives the queue builtins their queue; nil when the hook runs
// without one.
func (r *run) QueueHost() builtins.QueueHost { return r.queue }

func hostRun(c *vm.Call) *run {
	r, _ := c.Host().(*run)
	if r == nil {
		panic("hooks: context function called without a hook run")
	}
	return r
}

// decide records a terminating function's action and ends the run.
func decide(c *vm.Call, a queue.Action) (vm.Value, error) {
	r := hostRun(c)
	// SetDSN and SetMetaData calls made before the terminating function
	// travel with the action.
	a.DSN = r.action.DSN
	a.Metadata = r.action.Metadata
	r.action = a
	r.decided = true
	return vm.None, vm.ErrHalt
}

// contextLibrary returns the library of one context: base plus that
// context's functions.
func contextLibrary(base *vm.Library, kind Kind) *vm.Library {
	lib := base.Extend()

	lib.Define("Queue", fnQueue)
	lib.Define("Bounce", fnBounce)
	lib.Define("Delete", fnDelete)
	lib.Define("SetDSN", fnSetDSN)
	lib.Define("SetMetaData", fnSetMetaData)
	lib.Define("GetMetaData", fnGetMetaData)

	switch kind {
	case PreDelivery:
		lib.Define("Try", fnTry)
	case PostDelivery:
		lib.Define("Default", fnDefault)
	}
	return lib
}

// options returns the options array at args[i], or an empty one.
func options(c *vm.Call, args []vm.Value, i int) (*vm.Array, error) {
	if i >= len(args) || args[i].IsNone() {
		return vm.NewArray(0), nil
	}
	return c.ArrayArg(args, i, "options")
}

func optString(c *vm.Call, opts *vm.Array, name string) (string, bool, error) {
	v, ok := opts.GetStr(name)
	if !ok || v.IsNone() {
		return "", false, nil
	}
	switch v.Kind() {
	case vm.KindString:
		return v.Str(), true, nil
	case vm.KindNumber:
		return v.String(), true, nil
	}
	return "", false, c.Errorf("option %q must be a string, got %s", name, v.TypeName())
}

func optNumber(c *vm.Call, opts *vm.Array, name string) (float64, bool, error) {
	v, ok := opts.GetStr(name)
	if !ok || v.IsNone() {
		return 0, false, nil
	}
	switch v.Kind() {
	case vm.KindNumber:
		return v.Num(), true, nil
	case vm.KindString:
		return vm.ParseNumber(v.Str()), true, nil
	}
	return 0, false, c.Errorf("option %q must be a number, got %s", name, v.TypeName())
}

func optBool(c *vm.Call, opts *vm.Array, name string, def bool) (bool, error) {
	v, ok := opts.GetStr(name)
	if !ok || v.IsNone() {
		return def, nil
	}
	if v.Kind() != vm.KindBool {
		return def, c.Errorf("option %q must be a boolean, got %s", name, v.TypeName())
	}
	return v.Bool(), nil
}

// optStringMap reads an option holding an array of string values, such as
// metadata.
func optStringMap(c *vm.Call, v vm.Value, what string) (map[string]string, error) {
	if v.Kind() != vm.KindArray {
		return nil, c.Errorf("%s must be an array, got %s", what, v.TypeName())
	}
	m := map[string]string{}
	var err error
	v.Array().Each(func(k vm.Key, val vm.Value) bool {
		if !k.IsString() || val.Kind() != vm.KindString {
			err = c.Errorf("%s must have string keys and string values, got %s => %s", what, k.Value().TypeName(), val.TypeName())
			return false
		}
		m[k.Str()] = val.Str()
		return true
	})
	return m, err
}

func afterDelivery(c *vm.Call) error {
	if hostRun(c).delivered {
		return c.Errorf("not allowed after a successful delivery")
	}
	return nil
}

// fnQueue is Queue([options]): reschedule, or skip the attempt in
// pre-delivery.
func fnQueue(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 1); err != nil {
		return vm.None, err
	}
	if err := afterDelivery(c); err != nil {
		return vm.None, err
	}
	opts, err := options(c, args, 0)
	if err != nil {
		return vm.None, err
	}

	a := queue.Action{Kind: queue.ActionQueue}
	if a.Hold, err = optBool(c, opts, "hold", false); err != nil {
		return vm.None, err
	}
	delay, hasDelay, err := optNumber(c, opts, "delay")
	if err != nil {
		return vm.None, err
	}
	if hasDelay {
		if delay < 0 {
			return vm.None, c.Errorf("option \"delay\" must not be negative, got %s", vm.FormatNumber(delay))
		}
		a.Delay, a.DelaySet = time.Duration(delay*float64(time.Second)), true
	}
	if a.Reason, _, err = optString(c, opts, "reason"); err != nil {
		return vm.None, err
	}
	increment, err := optBool(c, opts, "increment_retry", true)
	if err != nil {
		return vm.None, err
	}
	a.KeepRetry = !increment
	if a.ResetRetry, err = optBool(c, opts, "reset_retry", false); err != nil {
		return vm.None, err
	}
	if a.TransportID, _, err = optString(c, opts, "transportid"); err != nil {
		return vm.None, err
	}
	return decide(c, a)
}

// fnBounce is Bounce([options]): remove the entry and send a DSN.
func fnBounce(c *vm.Call, args []vm.Value) (vm.Value, error) {
	return removeAction(c, args, queue.ActionBounce)
}

// fnDelete is Delete([options]): remove the entry without a DSN.
func fnDelete(c *vm.Call, args []vm.Value) (vm.Value, error) {
	return removeAction(c, args, queue.ActionDelete)
}

func removeAction(c *vm.Call, args []vm.Value, kind queue.ActionKind) (vm.Value, error) {
	if err := c.Arity(args, 0, 1); err != nil {
		return vm.None, err
	}
	if err := afterDelivery(c); err != nil {
		return vm.None, err
	}
	opts, err := options(c, args, 0)
	if err != nil {
		return vm.None, err
	}
	a := queue.Action{Kind: kind}
	if a.Reason, _, err = optString(c, opts, "reason"); err != nil {
		return vm.None, err
	}
	return decide(c, a)
}

// fnDefault is post-delivery's Default(): apply $arguments["action"].
func fnDefault(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	return decide(c, queue.Action{Kind: queue.ActionDefault})
}

// fnTry is pre-delivery's Try([options]): proceed with the attempt, with
// the options overriding the transport for this attempt.
func fnTry(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 1); err != nil {
		return vm.None, err
	}
	opts, err := options(c, args, 0)
	if err != nil {
		return vm.None, err
	}

	var t queue.TryOptions
	for name, dst := range map[string]*string{
		"host": &t.Host, "sender": &t.Sender, "recipient": &t.Recipient,
		"helo": &t.HELO, "tls": &t.TLS, "jobid": &t.JobID,
	} {
		if *dst, _, err = optString(c, opts, name); err != nil {
			return vm.None, err
		}
	}
	if port, ok, err := optNumber(c, opts, "port"); err != nil {
		return vm.None, err
	} else if ok {
		if port < 1 || port > 65535 {
			return vm.None, c.Errorf("option \"port\" must be from 1 to 65535, got %s", vm.FormatNumber(port))
		}
		t.Port = int(port)
	}
	if secs, ok, err := optNumber(c, opts, "connect_timeout"); err != nil {
		return vm.None, err
	} else if ok {
		t.ConnectTimeout = time.Duration(secs * float64(time.Second))
	}
	if v, ok := opts.GetStr("sourceip"); ok && !v.IsNone() {
		if t.SourceIPs, err = sourceIPs(c, v); err != nil {
			return vm.None, err
		}
	}
	switch t.TLS {
	case "", "disabled", "optional", "optional_verify", "dane", "dane_require", "require", "require_verify":
	default:
		return vm.None, c.Errorf("option \"tls\" has the unknown mode %q", t.TLS)
	}
	return decide(c, queue.Action{Kind: queue.ActionTry, Try: t})
}

// sourceIPs reads Try's sourceip option: a list of ids or addresses, or
// arrays with "id" or "address".
func sourceIPs(c *vm.Call, v vm.Value) ([]string, error) {
	if v.Kind() == vm.KindString {
		return []string{v.Str()}, nil
	}
	if v.Kind() != vm.KindArray {
		return nil, c.Errorf("option \"sourceip\" must be a list, got %s", v.TypeName())
	}
	var out []string
	var err error
	v.Array().Each(func(_ vm.Key, item vm.Value) bool {
		switch item.Kind() {
		case vm.KindString:
			out = append(out, item.Str())
		case vm.KindArray:
			for _, key := range []string{"id", "address"} {
				if s, ok := item.Array().GetStr(key); ok && s.Kind() == vm.KindString {
					out = append(out, s.Str())
					return true
				}
			}
			err = c.Errorf("option \"sourceip\": an array item needs \"id\" or \"address\"")
			return false
		default:
			err = c.Errorf("option \"sourceip\": items must be strings or arrays, got %s", item.TypeName())
			return false
		}
		return true
	})
	return out, err
}

// fnSetDSN is SetDSN(options): how a DSN for this attempt is sent.
func fnSetDSN(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	opts, err := c.ArrayArg(args, 0, "options")
	if err != nil {
		return vm.None, err
	}
	var d queue.DSNOptions
	for name, dst := range map[string]*string{
		"transportid": &d.TransportID, "recipient": &d.Recipient,
		"from": &d.From, "from_name": &d.FromName,
	} {
		if *dst, _, err = optString(c, opts, name); err != nil {
			return vm.None, err
		}
	}
	if v, ok := opts.GetStr("metadata"); ok && !v.IsNone() {
		if d.Metadata, err = optStringMap(c, v, "option \"metadata\""); err != nil {
			return vm.None, err
		}
	}
	hostRun(c).action.DSN = &d
	return vm.None, nil
}

// fnSetMetaData is SetMetaData(metadata): replace the entry's metadata.
func fnSetMetaData(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	m, err := optStringMap(c, args[0], "argument 1 (metadata)")
	if err != nil {
		return vm.None, err
	}
	r := hostRun(c)
	r.metadata = m
	r.action.Metadata = m
	return vm.None, nil
}

// fnGetMetaData is GetMetaData(): the entry's metadata, [] when none.
func fnGetMetaData(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	return stringMap(hostRun(c).metadata), nil
}

// String names the context as configuration and the tester write it.
func (k Kind) String() string {
	switch k {
	case PreDelivery:
		return "predelivery"
	case PostDelivery:
		return "postdelivery"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}
