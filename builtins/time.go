package builtins

// Date and time functions.

import (
	"math"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/halonsh/halonsh/lang/vm"
)

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"time":          builtinTime,
		"timelocal":     builtinTimeLocal,
		"uptime":        builtinUptime,
		"executiontime": builtinExecutionTime,
		"sleep":         builtinSleep,
		"strftime":      builtinStrftime,
		"strptime":      builtinStrptime,
		"strpduration":  builtinStrpduration,
	})
	// executiontime() needs the start of every run that can call it.
	registerInstaller(func(lib *vm.Library) { lib.MarkRunStart("executiontime") })
}

// now is the clock of the time functions: the process-wide script clock,
// which the hook tester may simulate. Tests replace it.
var now = vm.Now

// unixSeconds returns t as Unix seconds with a fraction.
func unixSeconds(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}

func builtinTime(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	return vm.Number(unixSeconds(now())), nil
}

// builtinTimeLocal returns time() plus the offset of the process time
// zone (TZ) at that moment.
func builtinTimeLocal(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	t := now()
	_, offset := t.In(time.Local).Zone()
	return vm.Number(unixSeconds(t) + float64(offset)), nil
}

// builtinUptime returns CLOCK_MONOTONIC in seconds, which on Linux counts
// from boot (time spent suspended excluded).
func builtinUptime(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return vm.None, c.Errorf("reading the monotonic clock failed: %v", err)
	}
	return vm.Number(float64(ts.Sec) + float64(ts.Nsec)/1e9), nil
}

// builtinExecutionTime returns the seconds since the run started.
func builtinExecutionTime(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	return vm.Number(time.Since(c.RunStart()).Seconds()), nil
}

// builtinSleep suspends the run and returns the seconds slept. A
// cancelled run wakes at once and ends with the interpreter's uncatchable
// cancellation error, so no script code runs after the sleep.
func builtinSleep(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	seconds, err := newLibArgs(c, args).num(0, "seconds")
	if err != nil {
		return vm.None, err
	}
	if !(seconds > 0) {
		return vm.Number(0), nil
	}

	start := time.Now()
	d := time.Duration(math.Min(seconds, float64(math.MaxInt64/int64(time.Second))) * float64(time.Second))
	timer := time.NewTimer(d)
	defer timer.Stop()
	ctx := c.Context()
	select {
	case <-timer.C:
	case <-ctx.Done():
		return vm.None, &vm.Error{Message: "run canceled: " + ctx.Err().Error(), Fatal: true, Err: ctx.Err()}
	}
	return vm.Number(time.Since(start).Seconds()), nil
}

// zoneOption reads the `local` option of strftime and strptime (true:
// the process time zone, false: UTC).
func zoneOption(a libArgs, i int) (*time.Location, error) {
	opts, err := a.options(i)
	if err != nil {
		return nil, err
	}
	local, err := opts.boolean("local", true)
	if err != nil {
		return nil, err
	}
	if local {
		return time.Local, nil
	}
	return time.UTC, nil
}

func builtinStrftime(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	format, err := a.str(0, "format")
	if err != nil {
		return vm.None, err
	}
	t := now()
	if len(args) > 1 {
		seconds, err := a.num(1, "time")
		if err != nil {
			return vm.None, err
		}
		if math.IsNaN(seconds) || math.Abs(seconds) > 1e15 {
			return vm.None, c.Errorf("argument 2 (time) is out of range: %s", vm.FormatNumber(seconds))
		}
		t = time.Unix(int64(math.Floor(seconds)), 0)
	}
	loc, err := zoneOption(a, 2)
	if err != nil {
		return vm.None, err
	}
	return vm.String(formatStrftime(format, t.In(loc))), nil
}

func builtinStrptime(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 3); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	input, err := a.str(0, "datestring")
	if err != nil {
		return vm.None, err
	}
	format, err := a.str(1, "format")
	if err != nil {
		return vm.None, err
	}
	loc, err := zoneOption(a, 2)
	if err != nil {
		return vm.None, err
	}
	unixTime, ok := parseStrptime(input, format, now(), loc)
	if !ok {
		return vm.None, nil
	}
	return vm.Number(float64(unixTime)), nil
}

func builtinStrpduration(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 1, 1); err != nil {
		return vm.None, err
	}
	s, err := newLibArgs(c, args).str(0, "duration")
	if err != nil {
		return vm.None, err
	}
	seconds, ok := parseDuration(s)
	if !ok {
		return vm.None, nil
	}
	return vm.Number(seconds), nil
}

// parseDuration sums <number><unit> groups with the units d, h, m and s;
// a bare number is seconds. Numbers may have a fraction ("1.5h").
func parseDuration(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	total := 0.0
	for groups := 0; s != ""; groups++ {
		end := 0
		for end < len(s) && (s[end] >= '0' && s[end] <= '9' || s[end] == '.') {
			end++
		}
		if end == 0 {
			return 0, false
		}
		n, err := strconv.ParseFloat(s[:end], 64)
		if err != nil {
			return 0, false
		}
		s = s[end:]

		unit := 1.0
		if s != "" {
			switch s[0] {
			case 'd':
				unit = 86400
			case 'h':
				unit = 3600
			case 'm':
				unit = 60
			case 's':
				unit = 1
			default:
				return 0, false
			}
			s = s[1:]
		} else if groups > 0 {
			// A unit-less number is allowed only on its own ("90").
			return 0, false
		}
		total += n * unit
	}
	return total, true
}
