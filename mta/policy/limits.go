package policy

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Rate is a limit of Count pickups in any window of Interval. The zero
// Rate means no rate limit.
type Rate struct {
	Count    int
	Interval time.Duration
}

// IsZero reports whether r sets no limit.
func (r Rate) IsZero() bool { return r.Count == 0 }

// String formats the rate as "N/S" with S in seconds, the form ParseRate
// reads back.
func (r Rate) String() string {
	if r.IsZero() {
		return ""
	}
	return strconv.Itoa(r.Count) + "/" + strconv.FormatFloat(r.Interval.Seconds(), 'g', -1, 64)
}

// ParseRate reads a rate as configuration writes it: "N" (N per second),
// or "N/I" where I is a positive number of seconds or a duration with the
// unit s, m, h or d ("30s", "5m", "1h", "1d").
func ParseRate(s string) (Rate, error) {
	count, interval, hasInterval := strings.Cut(strings.TrimSpace(s), "/")
	n, err := strconv.Atoi(strings.TrimSpace(count))
	if err != nil || n < 1 {
		return Rate{}, fmt.Errorf("expected N or \"N/interval\", got %q", s)
	}
	if !hasInterval {
		return Rate{Count: n, Interval: time.Second}, nil
	}
	d, err := parseSeconds(strings.TrimSpace(interval))
	if err != nil {
		return Rate{}, fmt.Errorf("expected N or \"N/interval\" with a positive interval, got %q", s)
	}
	return Rate{Count: n, Interval: d}, nil
}

// parseSeconds reads a positive number of seconds or a duration with one
// unit suffix (s, m, h, d).
func parseSeconds(s string) (time.Duration, error) {
	unit := time.Second
	if s != "" {
		switch s[len(s)-1] {
		case 's':
			s = s[:len(s)-1]
		case 'm':
			unit, s = time.Minute, s[:len(s)-1]
		case 'h':
			unit, s = time.Hour, s[:len(s)-1]
		case 'd':
			unit, s = 24*time.Hour, s[:len(s)-1]
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f > 0) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("expected a positive number of seconds, got %q", s)
	}
	d := f * float64(unit)
	if d >= math.MaxInt64 || d < 1 {
		return 0, fmt.Errorf("interval %q is out of range", s)
	}
	return time.Duration(d), nil
}

// Limits are the limits, tags and properties a condition or default gives a
// key. A zero limit field means that limit is not set.
type Limits struct {
	// Concurrency is the maximum number of attempts in flight for the key.
	Concurrency int
	// Rate limits pickups per sliding window.
	Rate Rate
	// ConnectInterval is the minimum time between starts of new
	// connections for the key.
	ConnectInterval time.Duration

	// Tags are reported to scripts for attempts picked up under these
	// limits.
	Tags []string
	// Properties are free data handed to scripts; values are strings.
	Properties map[string]string
	// Stop and Cluster are accepted and reported but have no effect; nil
	// means not set.
	Stop    *bool
	Cluster *bool
}

// Limited reports whether l sets at least one of concurrency, rate and
// connect interval.
func (l *Limits) Limited() bool {
	return l.Concurrency > 0 || !l.Rate.IsZero() || l.ConnectInterval > 0
}

// Validate checks that l sets at least one limit and that every limit is
// in range.
func (l *Limits) Validate() error {
	if l.Concurrency < 0 {
		return fmt.Errorf("concurrency must be at least 1, got %d", l.Concurrency)
	}
	if l.Rate.Count < 0 || (l.Rate.Count > 0 && l.Rate.Interval <= 0) {
		return fmt.Errorf("rate must be N per positive interval, got %d per %s", l.Rate.Count, l.Rate.Interval)
	}
	if l.ConnectInterval < 0 {
		return fmt.Errorf("connectinterval must be positive, got %s", l.ConnectInterval)
	}
	if !l.Limited() {
		return fmt.Errorf("no limit set: give at least one of concurrency, rate and connectinterval")
	}
	return nil
}

// String formats the limits for logs and the command line, such as
// "concurrency=10 rate=50/1 tags=google".
func (l *Limits) String() string {
	if l == nil {
		return "unlimited"
	}
	var parts []string
	if l.Concurrency > 0 {
		parts = append(parts, "concurrency="+strconv.Itoa(l.Concurrency))
	}
	if !l.Rate.IsZero() {
		parts = append(parts, "rate="+l.Rate.String())
	}
	if l.ConnectInterval > 0 {
		parts = append(parts, "connectinterval="+strconv.FormatFloat(l.ConnectInterval.Seconds(), 'g', -1, 64))
	}
	if len(l.Tags) > 0 {
		parts = append(parts, "tags="+strings.Join(l.Tags, ","))
	}
	if len(l.Properties) > 0 {
		keys := make([]string, 0, len(l.Properties))
		for k := range l.Properties {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			keys[i] = k + "=" + l.Properties[k]
		}
		parts = append(parts, "properties={"+strings.Join(keys, ",")+"}")
	}
	return strings.Join(parts, " ")
}

// ParseLimits reads limits from generic data, as decoded from JSON or
// converted from an HSL array: numbers as float64 or int, lists as []any,
// maps as map[string]any. rate may be a number (per second), "N/I", or a
// two-item list [count, interval in seconds]. Unknown keys are ignored, as
// HSL options arrays ignore them.
func ParseLimits(m map[string]any) (Limits, error) {
	var l Limits
	for key, v := range m {
		var err error
		switch key {
		case "concurrency":
			l.Concurrency, err = positiveInt(v)
		case "rate":
			l.Rate, err = rateFromAny(v)
		case "connectinterval":
			var f float64
			f, err = positiveNumber(v)
			l.ConnectInterval = time.Duration(f * float64(time.Second))
		case "tag":
			s, ok := v.(string)
			if !ok {
				err = fmt.Errorf("must be a string, got %T", v)
			}
			l.Tags = append(l.Tags, s)
		case "tags":
			list, ok := v.([]any)
			if !ok {
				err = fmt.Errorf("must be a list of strings, got %T", v)
				break
			}
			for _, item := range list {
				s, ok := item.(string)
				if !ok {
					err = fmt.Errorf("must be a list of strings, got an item of type %T", item)
					break
				}
				l.Tags = append(l.Tags, s)
			}
		case "properties":
			props, ok := v.(map[string]any)
			if !ok {
				err = fmt.Errorf("must be a map, got %T", v)
				break
			}
			l.Properties = make(map[string]string, len(props))
			for k, pv := range props {
				l.Properties[k] = scalarString(pv)
			}
		case "stop", "cluster":
			b, ok := v.(bool)
			if !ok {
				err = fmt.Errorf("must be a boolean, got %T", v)
				break
			}
			if key == "stop" {
				l.Stop = &b
			} else {
				l.Cluster = &b
			}
		}
		if err != nil {
			return Limits{}, fmt.Errorf("%s: %w", key, err)
		}
	}
	if err := l.Validate(); err != nil {
		return Limits{}, err
	}
	return l, nil
}

func positiveInt(v any) (int, error) {
	f, err := positiveNumber(v)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f > math.MaxInt32 {
		return 0, fmt.Errorf("must be a positive integer, got %v", v)
	}
	return int(f), nil
}

func positiveNumber(v any) (float64, error) {
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case int:
		f = float64(n)
	case int64:
		f = float64(n)
	default:
		return 0, fmt.Errorf("must be a number, got %T", v)
	}
	if !(f > 0) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("must be positive, got %v", v)
	}
	return f, nil
}

func rateFromAny(v any) (Rate, error) {
	switch r := v.(type) {
	case string:
		return ParseRate(r)
	case []any:
		if len(r) != 2 {
			return Rate{}, fmt.Errorf("expected [count, interval], got %d items", len(r))
		}
		n, err := positiveInt(r[0])
		if err != nil {
			return Rate{}, fmt.Errorf("count %w", err)
		}
		s, err := positiveNumber(r[1])
		if err != nil {
			return Rate{}, fmt.Errorf("interval %w", err)
		}
		return Rate{Count: n, Interval: time.Duration(s * float64(time.Second))}, nil
	default:
		n, err := positiveInt(v)
		if err != nil {
			return Rate{}, err
		}
		return Rate{Count: n, Interval: time.Second}, nil
	}
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case int:
		return strconv.Itoa(x)
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}
