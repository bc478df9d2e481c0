package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Schedule is a transport's retry schedule: the delay after the first
// failed attempt, after the second, and so on. The last interval repeats
// for every later attempt.
type Schedule []time.Duration

// Delay returns the delay after the given number of attempts (1 for the
// first failure). It returns 0 for an empty schedule.
func (s Schedule) Delay(attempts int) time.Duration {
	if len(s) == 0 {
		return 0
	}
	i := max(attempts-1, 0)
	if i >= len(s) {
		i = len(s) - 1
	}
	return s[i]
}

// String formats the schedule in the form ParseSchedule reads, with runs of
// equal intervals written as INTERVAL*N.
func (s Schedule) String() string {
	var parts []string
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && s[j] == s[i] {
			j++
		}
		item := formatDuration(s[i])
		if j-i > 1 {
			item += "*" + strconv.Itoa(j-i)
		}
		parts = append(parts, item)
		i = j
	}
	return strings.Join(parts, ", ")
}

// ParseSchedule parses a comma-separated list of intervals such as
// "1m, 5m*2, 1h": each item is a duration (see ParseDuration), optionally
// followed by *N to repeat it N times.
func ParseSchedule(s string) (Schedule, error) {
	var out Schedule
	for item := range strings.SplitSeq(s, ",") {
		more, err := parseScheduleItem(item)
		if err != nil {
			return nil, err
		}
		out = append(out, more...)
	}
	return out, nil
}

func parseScheduleItem(item string) (Schedule, error) {
	item = strings.TrimSpace(item)
	count := 1
	if base, rep, ok := strings.Cut(item, "*"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(rep))
		if err != nil || n < 1 || n > 10000 {
			return nil, fmt.Errorf("invalid repeat count in %q: expected INTERVAL*N with N from 1 to 10000", item)
		}
		item, count = strings.TrimSpace(base), n
	}
	d, err := ParseDuration(item)
	if err != nil {
		return nil, err
	}
	out := make(Schedule, count)
	for i := range out {
		out[i] = d
	}
	return out, nil
}

func formatDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}
