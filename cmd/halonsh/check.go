package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/halonsh/halonsh/lang/parser"
)

func init() {
	register(&command{
		name:    "check",
		summary: "parse and compile HSL files (plain scripts or hooks) and report every error",
		run: func(args []string) int {
			return runCheck(args, os.Stdout, os.Stderr)
		},
	})
}

// runCheck implements `halonsh check FILE...`. It parses every file, prints
// each error as FILE:LINE:COL: message on stderr, and returns 0 when all
// files are valid and 2 otherwise.
func runCheck(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("check", flag.ContinueOnError)
	fl.SetOutput(stderr)
	if helpRequested(args) {
		fl.SetOutput(stdout)
	}
	fl.Usage = func() {
		fmt.Fprintln(fl.Output(), "Usage: halonsh check [flags] FILE...")
		fmt.Fprintln(fl.Output(), "Parses and compiles each HSL file and prints every error as FILE:LINE:COL: message.")
		fmt.Fprintln(fl.Output(), "Exits 0 when all files are valid, 2 otherwise.")
		fmt.Fprintln(fl.Output())
		fmt.Fprintln(fl.Output(), "Flags:")
		fl.PrintDefaults()
	}
	dumpAST := fl.Bool("ast", false, "print the syntax tree of each valid file on stdout; files are then only parsed, not compiled")
	hookContext := fl.String("context", "", "compile each file as a hook of this context (predelivery or postdelivery); empty compiles plain scripts as halonsh run does")
	if err := fl.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fl.NArg() == 0 {
		fmt.Fprintln(stderr, "halonsh check: missing FILE argument")
		fl.Usage()
		return 2
	}

	status := 0
	for _, name := range fl.Args() {
		src, err := os.ReadFile(name)
		if err != nil {
			fmt.Fprintf(stderr, "halonsh check: %v\n", err)
			status = 2
			continue
		}

		file, err := parser.ParseFile(name, src)
		if err != nil {
			printErrors(stderr, err)
			status = 2
			continue
		}
		if *dumpAST {
			fmt.Fprint(stdout, parser.Dump(file))
			continue
		}
		if err := compileCheck(name, src, *hookContext); err != nil {
			printErrors(stderr, err)
			status = 2
		}
	}
	return status
}

// printErrors writes one line per error of err, which may be an
// ErrorList.
func printErrors(w io.Writer, err error) {
	var list parser.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Fprintln(w, e)
		}
		return
	}
	fmt.Fprintln(w, err)
}
