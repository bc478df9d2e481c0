package builtins

// The queue functions (queue_policy, queue_suspend, queue_policy_delete,
// queue_quota and the 5.2 names PickupPolicy and PickupSuspend) change the
// outbound queue's dynamic policies and suspends. They reach the queue
// through QueueHost, which the MTA and the hook tester implement; the
// builtins only check and convert arguments.
//
// A host attaches its queue through vm.RunOptions.Host: either the Host
// value itself implements QueueHost, or it implements QueueHostProvider
// and returns one. Without either, every queue function raises the
// runtime error "<name>(): no queue attached".
//
// The interface uses plain Go types so that the policy engine does not
// depend on the language:
//
//   - AddPolicy receives the policy's field set, a condition map (field to
//     matchers), the limits, the time to live and the update flag. It
//     returns the id of the new or existing dynamic condition, or an error
//     for an unknown field set or invalid values.
//   - AddSuspend receives the field matchers, the tag, the time to live and
//     the update flag, and returns the suspend's id or an error.
//   - DeleteDynamic removes a dynamic policy or suspend by id and reports
//     whether one was removed (false for unknown or expired ids).
//   - ListDynamic returns the unexpired dynamic policies and suspends.
//   - Quota returns the messages and bytes queued under a quota name
//     (zeros for an unknown name).
//
// Errors returned by the host are not script errors: queue_policy and
// queue_suspend log them and return none, the 5.2 names return false.

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/halonsh/halonsh/lang/vm"
)

// QueueHost is the queue that the queue functions change.
type QueueHost interface {
	AddPolicy(p DynamicPolicy, update bool) (id string, err error)
	AddSuspend(s DynamicSuspend, update bool) (id string, err error)
	DeleteDynamic(id string) bool
	ListDynamic() []DynamicEntry
	Quota(name string) QuotaUsage
}

// QueueHostProvider is implemented by host values that carry a queue among
// other things, such as a hook context.
type QueueHostProvider interface {
	QueueHost() QueueHost
}

// DynamicPolicy is a condition added at runtime to the configured policy
// whose field set equals Fields.
type DynamicPolicy struct {
	// Fields is the policy's field set in the order the script gave it.
	Fields []string
	// Condition maps a field of Fields to matchers, any of which may
	// match (exact values, "*.domain", "/regex/", IPs, networks, "#rollup",
	// "@list"). An empty map matches every key of the policy.
	Condition map[string][]string
	Limits    PolicyLimits
	TTL       time.Duration
}

// PolicyLimits are the limits and reporting data of a condition. A zero
// numeric field means the limit is not set; at least one of Concurrency,
// Rate and ConnectInterval is set.
type PolicyLimits struct {
	Concurrency int
	// Rate allows RateCount pickups per RateInterval.
	RateCount       int
	RateInterval    time.Duration
	ConnectInterval time.Duration
	Tags            []string
	Properties      map[string]string
	// Stop and Cluster are accepted and reported without effect.
	Stop, Cluster bool
}

// DynamicSuspend stops pickup of matching entries until it expires.
type DynamicSuspend struct {
	// Fields maps a field name to matchers, any of which may match; every
	// field must match.
	Fields map[string][]string
	Tag    string
	TTL    time.Duration
}

// DynamicEntry is one unexpired dynamic policy or suspend, for listings.
type DynamicEntry struct {
	ID string
	// Policy is the id of the configured policy a dynamic condition belongs
	// to, "" for a suspend.
	Policy    string
	Condition map[string][]string
	Limits    PolicyLimits // zero for a suspend
	Tag       string       // the suspend's tag
	Remaining time.Duration
}

// QuotaUsage is the number and total size of messages queued under one
// quota name.
type QuotaUsage struct {
	Count int
	Bytes int64
}

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"queue_policy":        builtinQueuePolicy,
		"queue_suspend":       builtinQueueSuspend,
		"queue_policy_delete": builtinQueuePolicyDelete,
		"queue_quota":         builtinQueueQuota,
		"PickupPolicy":        builtinQueuePolicy,
		"PickupSuspend":       builtinQueueSuspend,
	})
}

// queueHost returns the run's queue or the "no queue attached" error.
func queueHost(c *vm.Call) (QueueHost, error) {
	switch h := c.Host().(type) {
	case QueueHost:
		return h, nil
	case QueueHostProvider:
		if q := h.QueueHost(); q != nil {
			return q, nil
		}
	}
	return nil, c.Errorf("no queue attached")
}

// isPickupName reports whether c is a call of a 5.2 name, which returns a
// boolean instead of an id.
func isPickupName(c *vm.Call) bool {
	return strings.HasPrefix(c.Name(), "Pickup")
}

// queueResult turns the outcome of an add into the function's result: an
// id array or true for success, none or false (with a log line) for a
// rejected request.
func queueResult(c *vm.Call, id string, err error) vm.Value {
	if err != nil {
		slog.Warn("dynamic queue change rejected", "function", c.Name(), "error", err)
		if isPickupName(c) {
			return vm.False
		}
		return vm.None
	}
	if isPickupName(c) {
		return vm.True
	}
	result := vm.NewArray(1)
	result.SetStr("id", vm.String(id))
	return vm.ArrayValue(result)
}

// builtinQueuePolicy is queue_policy(fields, condition, policy, ttl [,
// options]) and PickupPolicy.
func builtinQueuePolicy(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 4, 5); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	fieldList, err := a.array(0, "fields")
	if err != nil {
		return vm.None, err
	}
	conditionArray, err := a.array(1, "condition")
	if err != nil {
		return vm.None, err
	}
	policyArray, err := a.array(2, "policy")
	if err != nil {
		return vm.None, err
	}
	ttlSeconds, err := a.num(3, "ttl")
	if err != nil {
		return vm.None, err
	}
	opts, err := a.options(4)
	if err != nil {
		return vm.None, err
	}
	update, err := opts.boolean("update", true)
	if err != nil {
		return vm.None, err
	}

	fields, err := stringList(c, fieldList, "fields")
	if err != nil {
		return vm.None, err
	}
	condition, err := matcherMap(c, conditionArray, "condition")
	if err != nil {
		return vm.None, err
	}
	limits, problem, err := readPolicyLimits(c, policyArray)
	if err != nil {
		return vm.None, err
	}

	// Values of the right type but out of range are checked before the
	// request reaches the host.
	host, err := queueHost(c)
	if err != nil {
		return vm.None, err
	}
	if problem == "" {
		problem = checkQueueTTL(ttlSeconds)
	}
	if problem == "" && len(fields) == 0 {
		problem = "fields is empty"
	}
	for field := range condition {
		if problem == "" && !containsString(fields, field) {
			problem = fmt.Sprintf("condition field %q is not in fields", field)
		}
	}
	if problem != "" {
		return queueResult(c, "", fmt.Errorf("%s", problem)), nil
	}

	id, err := host.AddPolicy(DynamicPolicy{
		Fields:    fields,
		Condition: condition,
		Limits:    limits,
		TTL:       secondsDuration(ttlSeconds),
	}, update)
	return queueResult(c, id, err), nil
}

// builtinQueueSuspend is queue_suspend(fields, ttl [, options]) and
// PickupSuspend.
func builtinQueueSuspend(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	fieldArray, err := a.array(0, "fields")
	if err != nil {
		return vm.None, err
	}
	ttlSeconds, err := a.num(1, "ttl")
	if err != nil {
		return vm.None, err
	}
	opts, err := a.options(2)
	if err != nil {
		return vm.None, err
	}
	tag, _, err := opts.str("tag", "")
	if err != nil {
		return vm.None, err
	}
	update, err := opts.boolean("update", true)
	if err != nil {
		return vm.None, err
	}
	fields, err := matcherMap(c, fieldArray, "fields")
	if err != nil {
		return vm.None, err
	}

	host, err := queueHost(c)
	if err != nil {
		return vm.None, err
	}
	problem := checkQueueTTL(ttlSeconds)
	if problem == "" && len(fields) == 0 {
		problem = "fields is empty"
	}
	if problem != "" {
		return queueResult(c, "", fmt.Errorf("%s", problem)), nil
	}

	id, err := host.AddSuspend(DynamicSuspend{Fields: fields, Tag: tag, TTL: secondsDuration(ttlSeconds)}, update)
	return queueResult(c, id, err), nil
}

func builtinQueuePolicyDelete(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	id, err := newLibArgs(c, args).str(0, "id")
	if err != nil {
		return vm.None, err
	}
	host, err := queueHost(c)
	if err != nil {
		return vm.None, err
	}
	return vm.Bool(host.DeleteDynamic(id)), nil
}

func builtinQueueQuota(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	name, err := newLibArgs(c, args).str(0, "name")
	if err != nil {
		return vm.None, err
	}
	host, err := queueHost(c)
	if err != nil {
		return vm.None, err
	}
	usage := host.Quota(name)
	result := vm.NewArray(2)
	result.SetStr("count", vm.Int(usage.Count))
	result.SetStr("bytes", vm.Number(float64(usage.Bytes)))
	return vm.ArrayValue(result), nil
}

// checkQueueTTL returns a problem description for a ttl that is not a
// positive number of seconds.
func checkQueueTTL(seconds float64) string {
	if !(seconds > 0) || seconds > maxQueueTTL.Seconds() {
		return fmt.Sprintf("ttl must be a positive number of seconds, got %s", vm.FormatNumber(seconds))
	}
	return ""
}

// maxQueueTTL keeps ttl within time.Duration.
const maxQueueTTL = 100 * 365 * 24 * time.Hour

func secondsDuration(seconds float64) time.Duration {
	return time.Duration(seconds * float64(time.Second))
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// stringList reads a list of strings (numbers converted); what names the
// argument in errors.
func stringList(c *vm.Call, arr *vm.Array, what string) ([]string, error) {
	out := make([]string, 0, arr.Len())
	for _, v := range arr.All() {
		s, ok := convertString(v)
		if !ok {
			return nil, c.Errorf("%s must contain strings, got %s", what, v.TypeName())
		}
		out = append(out, s)
	}
	return out, nil
}

// matcherMap reads an array of field => matcher or field => list of
// matchers.
func matcherMap(c *vm.Call, arr *vm.Array, what string) (map[string][]string, error) {
	out := make(map[string][]string, arr.Len())
	for k, v := range arr.All() {
		if !k.IsString() {
			return nil, c.Errorf("%s keys must be field names, got %s", what, k.String())
		}
		if v.Kind() == vm.KindArray {
			list, err := stringList(c, v.Array(), fmt.Sprintf("%s %q", what, k.Str()))
			if err != nil {
				return nil, err
			}
			out[k.Str()] = list
			continue
		}
		s, ok := convertString(v)
		if !ok {
			return nil, c.Errorf("%s %q must be a string or an array, got %s", what, k.Str(), v.TypeName())
		}
		out[k.Str()] = []string{s}
	}
	return out, nil
}

// readPolicyLimits reads queue_policy's policy array. A value of the wrong
// type is an error. A value out of range is returned as problem instead,
// so that the call can log it and return none.
func readPolicyLimits(c *vm.Call, arr *vm.Array) (limits PolicyLimits, problem string, err error) {
	p := nestedOptions(c, arr, "policy")

	if v, ok, err := p.num("concurrency", 0); err != nil {
		return limits, "", err
	} else if ok {
		if v < 1 || v != float64(int(v)) {
			problem = fmt.Sprintf("concurrency must be an integer of at least 1, got %s", vm.FormatNumber(v))
		}
		limits.Concurrency = int(v)
	}

	if v, ok := p.get("rate"); ok {
		count, interval, rateProblem, err := readPolicyRate(p, v)
		if err != nil {
			return limits, "", err
		}
		if problem == "" {
			problem = rateProblem
		}
		limits.RateCount, limits.RateInterval = count, interval
	}

	if v, ok, err := p.num("connectinterval", 0); err != nil {
		return limits, "", err
	} else if ok {
		if !(v > 0) && problem == "" {
			problem = fmt.Sprintf("connectinterval must be positive, got %s", vm.FormatNumber(v))
		}
		limits.ConnectInterval = secondsDuration(v)
	}

	if tag, ok, err := p.str("tag", ""); err != nil {
		return limits, "", err
	} else if ok {
		limits.Tags = append(limits.Tags, tag)
	}
	if tags, err := p.array("tags"); err != nil {
		return limits, "", err
	} else if tags != nil {
		list, err := stringList(c, tags, `policy "tags"`)
		if err != nil {
			return limits, "", err
		}
		limits.Tags = append(limits.Tags, list...)
	}

	if props, err := p.array("properties"); err != nil {
		return limits, "", err
	} else if props != nil {
		limits.Properties = map[string]string{}
		for k, v := range props.All() {
			if v.Kind() > vm.KindString {
				return limits, "", c.Errorf("policy \"properties\" value %q must be a scalar, got %s", k.Value().String(), v.TypeName())
			}
			limits.Properties[k.Value().String()] = v.String()
		}
	}

	if limits.Stop, err = p.boolean("stop", false); err != nil {
		return limits, "", err
	}
	if limits.Cluster, err = p.boolean("cluster", false); err != nil {
		return limits, "", err
	}

	if problem == "" && limits.Concurrency == 0 && limits.RateCount == 0 && limits.ConnectInterval == 0 {
		problem = "policy sets none of concurrency, rate and connectinterval"
	}
	return limits, problem, nil
}

// readPolicyRate reads a rate given as [count, interval], a bare count per
// second, or the text "N/I" where I is seconds or a duration such as 30s,
// 5m, 1h or 1d.
func readPolicyRate(p libOptions, v vm.Value) (count int, interval time.Duration, problem string, err error) {
	var n, seconds float64
	switch v.Kind() {
	case vm.KindArray:
		arr := v.Array()
		first, ok1 := arr.GetInt(0)
		second, ok2 := arr.GetInt(1)
		if arr.Len() != 2 || !ok1 || !ok2 {
			return 0, 0, "", p.c.Errorf(`policy "rate" must be [count, interval], got an array of %d elements`, arr.Len())
		}
		var ok bool
		if n, ok = convertNumber(first); !ok {
			return 0, 0, "", p.typeError("rate", "[number, number]", first)
		}
		if seconds, ok = convertNumber(second); !ok {
			return 0, 0, "", p.typeError("rate", "[number, number]", second)
		}
	case vm.KindNumber:
		n, seconds = v.Num(), 1
	case vm.KindString:
		text := strings.TrimSpace(v.Str())
		countText, intervalText, found := strings.Cut(text, "/")
		parsed, perr := strconv.ParseFloat(strings.TrimSpace(countText), 64)
		if perr != nil {
			return 0, 0, fmt.Sprintf("rate must be N or \"N/interval\", got %q", text), nil
		}
		n, seconds = parsed, 1
		if found {
			d, ok := parseQueueDuration(strings.TrimSpace(intervalText))
			if !ok {
				return 0, 0, fmt.Sprintf("rate interval %q is not a duration", intervalText), nil
			}
			seconds = d
		}
	default:
		return 0, 0, "", p.typeError("rate", "a number, a string or [count, interval]", v)
	}

	if n < 1 || n != float64(int(n)) {
		return 0, 0, fmt.Sprintf("rate count must be an integer of at least 1, got %s", vm.FormatNumber(n)), nil
	}
	if !(seconds > 0) || seconds > maxQueueTTL.Seconds() {
		return 0, 0, fmt.Sprintf("rate interval must be positive, got %s", vm.FormatNumber(seconds)), nil
	}
	return int(n), secondsDuration(seconds), "", nil
}

// parseQueueDuration reads seconds ("30", "0.5") or a number with one of
// the units s, m, h, d.
func parseQueueDuration(text string) (float64, bool) {
	unit := 1.0
	if text != "" {
		switch text[len(text)-1] {
		case 's':
			text = text[:len(text)-1]
		case 'm':
			unit, text = 60, text[:len(text)-1]
		case 'h':
			unit, text = 3600, text[:len(text)-1]
		case 'd':
			unit, text = 86400, text[:len(text)-1]
		}
	}
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || !(v > 0) {
		return 0, false
	}
	return v * unit, true
}
