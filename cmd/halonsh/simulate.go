package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/halonsh/halonsh/ffi"
	"github.com/halonsh/halonsh/mta/hooks"
	"github.com/halonsh/halonsh/mta/hooktest"
)

func init() {
	register(&command{
		name:    "simulate",
		summary: "run a hook script against simulated delivery attempts and print the effects as JSON",
		run:     runSimulate,
	})
}

// simulateReport is the JSON document `halonsh simulate` prints.
type simulateReport struct {
	Context string         `json:"context"`
	Script  string         `json:"script"`
	Runs    []hooktest.Run `json:"runs"`
	State   hooktest.State `json:"state"`
}

func runSimulate(args []string) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `Usage: halonsh simulate --script X.hsl --attempt A.yaml [flags]
       halonsh simulate --script X.hsl --replay attempts.jsonl [flags]

Runs a pre- or post-delivery hook script against simulated attempts on a
simulated clock, with a policy engine that the script's queue_policy and
queue_suspend calls change. Prints one JSON document: each run's action,
echo output and error, then the dynamic policies and suspends in force
and the memory store.

Flags:`)
		fs.PrintDefaults()
	}
	contextName := fs.String("context", "postdelivery", "hook context: predelivery or postdelivery")
	script := fs.String("script", "", "hook script to run (required)")
	attempt := fs.String("attempt", "", "YAML file with the hook's $arguments (retry, action, attempt: result, error, connection, duration)")
	message := fs.String("message", "", "YAML file with $message fields (sender, recipient, transportid, jobid, size, ...)")
	policyFile := fs.String("policy", "", "smtpd-policy.yaml whose policies queue_policy() changes")
	repeat := fs.Int("repeat", 1, "number of times to run the attempt")
	every := fs.Duration("every", time.Second, "simulated time between repetitions")
	replay := fs.String("replay", "", "JSON-lines attempt log to replay instead of --attempt, each line at its ts")
	noFFI := fs.Bool("no-ffi", false, "disable the FFI class, so the script cannot load C libraries")
	start := fs.String("start", "", "simulated start time, RFC 3339 (default 2026-01-01T00:00:00Z, or the first replayed ts)")
	if helpRequested(args) {
		fs.SetOutput(os.Stdout)
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		return usageError("simulate: unexpected argument %q", fs.Arg(0))
	}
	if *script == "" {
		return usageError("simulate: --script is required")
	}
	if (*attempt == "") == (*replay == "") {
		return usageError("simulate: give exactly one of --attempt and --replay")
	}
	if *repeat < 1 {
		return usageError("simulate: --repeat must be at least 1, got %d", *repeat)
	}
	kind, err := hooks.ParseKind(*contextName)
	if err != nil {
		return usageError("simulate: --context: %v", err)
	}

	opts := hooktest.Options{Kind: kind, Script: *script, Policy: *policyFile, FFI: ffi.Config{Enabled: !*noFFI}}
	if *start != "" {
		if opts.Start, err = time.Parse(time.RFC3339, *start); err != nil {
			return usageError("simulate: --start: %v", err)
		}
	}
	if *message != "" {
		if opts.Message, err = hooktest.LoadMessage(*message); err != nil {
			return failure(err)
		}
	}

	var attempts []*hooktest.Attempt
	if *replay != "" {
		f, err := os.Open(*replay)
		if err != nil {
			return failure(err)
		}
		attempts, err = hooktest.ReadReplay(*replay, f)
		f.Close()
		if err != nil {
			return failure(err)
		}
		if len(attempts) > 0 && opts.Start.IsZero() {
			opts.Start = attempts[0].Time()
		}
	} else {
		a, err := hooktest.LoadAttempt(*attempt)
		if err != nil {
			return failure(err)
		}
		for range *repeat {
			attempts = append(attempts, a)
		}
	}

	sim, err := hooktest.New(opts)
	if err != nil {
		return failure(err)
	}
	report := simulateReport{Context: kind.String(), Script: *script, Runs: []hooktest.Run{}}
	ctx := context.Background()
	for i, a := range attempts {
		if *replay != "" {
			sim.Set(a.Time())
		} else if i > 0 {
			sim.Advance(*every)
		}
		report.Runs = append(report.Runs, sim.Attempt(ctx, a))
	}
	report.State = sim.State()

	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(report); err != nil {
		return failure(err)
	}
	return 0
}

// usageError prints a command-line mistake and returns exit status 2.
func usageError(format string, args ...any) int {
	fmt.Fprintf(os.Stderr, "halonsh "+format+"\n", args...)
	return 2
}

// failure prints an error that stops a command and returns exit status 2.
func failure(err error) int {
	fmt.Fprintln(os.Stderr, err)
	return 2
}
