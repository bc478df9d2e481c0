package builtins

import (
	"testing"
	"time"
)

func TestFormatStrftime(t *testing.T) {
	ts := time.Unix(1234567890, 0).UTC() // Friday 2009-02-13 23:31:30 UTC
	tests := []struct{ format, want string }{
		{"%Y-%m-%d %H:%M:%S", "2009-02-13 23:31:30"},
		{"%a %A %b %B %h", "Fri Friday Feb February Feb"},
		{"%c", "Fri Feb 13 23:31:30 2009"},
		{"%C %y %G %g %V", "20 09 2009 09 07"},
		{"%D|%F|%T|%R|%r", "02/13/09|2009-02-13|23:31:30|23:31|11:31:30 PM"},
		{"%e|%k|%l|%I|%p", "13|23|11|11|PM"},
		{"%j %u %w %U %W", "044 5 5 06 06"},
		{"%s", "1234567890"},
		{"%z %Z", "+0000 UTC"},
		{"%x %X", "02/13/09 23:31:30"},
		{"%n%t%%", "\n\t%"},
		{"%-d/%-m %_H %0e", "13/2 23 13"},
		{"%Q %", "%Q %"},
		{"%Ey %Od", "09 13"},
		{"no conversions", "no conversions"},
	}
	for _, tc := range tests {
		if got := formatStrftime(tc.format, ts); got != tc.want {
			t.Errorf("strftime(%q) = %q, want %q", tc.format, got, tc.want)
		}
	}

	early := time.Date(2021, 1, 3, 5, 7, 9, 0, time.UTC) // Sunday, ISO week 53 of 2020
	tests = []struct{ format, want string }{
		{"%e|%k|%l|%p", " 3| 5| 5|AM"},
		{"%G-W%V-%u %g", "2020-W53-7 20"},
		{"%U %W %j", "01 00 003"},
		{"%-j %-H", "3 5"},
	}
	for _, tc := range tests {
		if got := formatStrftime(tc.format, early); got != tc.want {
			t.Errorf("strftime(%q) = %q, want %q", tc.format, got, tc.want)
		}
	}

	zone := time.FixedZone("CET", 3600+1800)
	if got := formatStrftime("%H:%M %z %Z", ts.In(zone)); got != "01:01 +0130 CET" {
		t.Errorf("strftime in +01:30 = %q", got)
	}
	west := time.FixedZone("", -(5*3600 + 30*60))
	if got := formatStrftime("%z", ts.In(west)); got != "-0530" {
		t.Errorf("strftime %%z west = %q", got)
	}
}

func TestParseStrptime(t *testing.T) {
	now := time.Date(2026, 12, 4, 21, 0, 0, 0, time.UTC)
	tests := []struct {
		input, format string
		want          int64
		ok            bool
	}{
		{"2009-02-13 23:31:30", "%Y-%m-%d %H:%M:%S", 1234567890, true},
		{"1970-01-02", "%Y-%m-%d", 86400, true},
		{"2020-02-29", "%F", 1582934400, true},
		{"13:58:38", "%H:%M:%S", time.Date(2026, 12, 4, 13, 58, 38, 0, time.UTC).Unix(), true},
		{"Fri, 13 Feb 2009 23:31:30 +0100", "%a, %d %b %Y %H:%M:%S %z", 1234567890 - 3600, true},
		{"13 february 2009 11:31:30 pm", "%d %B %Y %I:%M:%S %p", 1234567890, true},
		{"12:00 AM 1/1/70", "%I:%M %p %m/%d/%y", 0, true},
		{"1/1/69", "%m/%d/%y", time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), true},
		{"1/1/68", "%m/%d/%y", time.Date(2068, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), true},
		{"2009 044", "%Y %j", time.Date(2009, 2, 13, 0, 0, 0, 0, time.UTC).Unix(), true},
		{"1234567890", "%s", 1234567890, true},
		{"2009-02-13T23:31:30Z", "%Y-%m-%dT%H:%M:%S%z", 1234567890, true},
		{"2009-02-13T23:31:30-05:30", "%Y-%m-%dT%H:%M:%S%z", 1234567890 + 5*3600 + 1800, true},
		{"  2009-02-13  ", " %Y-%m-%d ", time.Date(2009, 2, 13, 0, 0, 0, 0, time.UTC).Unix(), true},
		{"100%", "100%%", time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC).Unix(), true},
		{"2009-13-01", "%Y-%m-%d", 0, false},
		{"2009-02-13 trailing", "%Y-%m-%d", 0, false},
		{"2009/02/13", "%Y-%m-%d", 0, false},
		{"24:00", "%H:%M", 0, false},
		{"", "%Y", 0, false},
		{"Foo", "%a", 0, false},
		{"x", "%Q", 0, false},
	}
	for _, tc := range tests {
		got, ok := parseStrptime(tc.input, tc.format, now, time.UTC)
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("strptime(%q, %q) = %d, %v; want %d, %v", tc.input, tc.format, got, ok, tc.want, tc.ok)
		}
	}

	zone := time.FixedZone("X", 2*3600)
	got, ok := parseStrptime("2009-02-14 01:31:30", "%Y-%m-%d %H:%M:%S", now, zone)
	if !ok || got != 1234567890 {
		t.Errorf("strptime in +02:00 = %d, %v; want 1234567890", got, ok)
	}
}
