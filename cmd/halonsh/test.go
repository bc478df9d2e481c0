package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/halonsh/halonsh/mta/hooktest"
)

func init() {
	register(&command{
		name:    "test",
		summary: "run hook script tests written as YAML files (see docs/testing.md)",
		run:     runTest,
	})
}

func runTest(args []string) int {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `Usage: halonsh test FILE.yaml...

Runs hook script tests. Each file names a script, its context, an optional
policy file and message, and steps: simulated attempts (repeated on a
simulated clock) or clock advances, with expectations on the action, echo
output, dynamic policies and suspends in force, and memory values.

Prints PASS or FAIL per file and every failed expectation. Exit status: 0
when every expectation holds, 1 when one fails, 2 when a test cannot run.`)
		fs.PrintDefaults()
	}
	if helpRequested(args) {
		fs.SetOutput(os.Stdout)
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		return usageError("test: no test files given")
	}

	status := 0
	for _, path := range fs.Args() {
		failures, err := hooktest.RunTestFile(context.Background(), path)
		switch {
		case err != nil:
			fmt.Printf("ERROR %v\n", err)
			status = 2
		case len(failures) > 0:
			fmt.Printf("FAIL %s\n", path)
			for _, f := range failures {
				fmt.Printf("  %s\n", f)
			}
			status = max(status, 1)
		default:
			fmt.Printf("PASS %s\n", path)
		}
	}
	return status
}
