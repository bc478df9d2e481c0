package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/halonsh/halonsh/lang/compile"
	"github.com/halonsh/halonsh/lang/vm"
)

func init() {
	register(&command{
		name:    "run",
		summary: "compile and run an HSL script",
		run:     runScript,
	})
}

// runScript implements `halonsh run FILE.hsl`: exit 0 on success, 1 on a
// runtime error, 2 on a syntax or compile error.
func runScript(args []string) int {
	fl := flag.NewFlagSet("run", flag.ContinueOnError)
	if helpRequested(args) {
		fl.SetOutput(os.Stdout)
	}
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "Usage: halonsh run [flags] FILE.hsl")
		fmt.Fprintln(fl.Output(), "Compiles the script and runs it; echo writes to stdout.")
		fl.PrintDefaults()
	}
	maxInstr := fl.Int64("max-instructions", vm.DefaultMaxInstructions, "instructions one run may execute")
	maxDepth := fl.Int("max-depth", vm.DefaultMaxCallDepth, "maximum HSL call depth")
	noFFI := fl.Bool("no-ffi", false, "disable the FFI class, so the script cannot load C libraries")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() != 1 {
		fl.Usage()
		return 2
	}
	file := fl.Arg(0)
	ffiConfig.Enabled = !*noFFI
	src, err := os.ReadFile(file)
	if err != nil {
		fmt.Fprintf(os.Stderr, "halonsh: %v\n", err)
		return 2
	}

	opts := runOptions(file)
	opts.Limits = vm.Limits{MaxInstructions: *maxInstr, MaxCallDepth: *maxDepth}
	prog, err := compile.File(file, src, opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	out := bufferedStdout()
	err = prog.Run(ctx, &vm.RunOptions{
		Out:     out,
		Globals: map[string]vm.Value{"arguments": vm.ArrayValue(vm.NewArray(0))},
	})
	out.Flush()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		var e *vm.Error
		if errors.As(err, &e) {
			fmt.Fprint(os.Stderr, e.StackTrace())
		}
		return 1
	}
	return 0
}

// runOptions are the compile options of a plain script: the standard
// library, the script's directory as root and a read-only $arguments.
func runOptions(file string) *compile.Options {
	return &compile.Options{
		Library:    newLibrary(),
		Root:       filepath.Dir(file),
		Predefined: []compile.Predefined{{Name: "arguments", ReadOnly: true}},
	}
}
