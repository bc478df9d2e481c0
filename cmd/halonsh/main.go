// Command halonsh runs HSL scripts, hosts the REPL, tests hook scripts
// against simulated delivery attempts, and serves the MTA.
//
// Each subcommand lives in its own file and registers itself in init, so
// the dispatcher here stays independent of the packages behind them.
package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand of halonsh.
type command struct {
	name    string
	summary string // one line for `halonsh --help`
	// run receives the arguments after the subcommand name and returns the
	// process exit status.
	run func(args []string) int
}

var commands = map[string]*command{}

// register adds a subcommand; a duplicate name is a programming error.
func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("halonsh: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func main() {
	os.Exit(dispatch(os.Args[1:]))
}

// dispatch picks the subcommand named by args[0]. With no arguments it
// starts the REPL when one is registered.
func dispatch(args []string) int {
	if len(args) == 0 {
		if repl, ok := commands["repl"]; ok {
			return repl.run(nil)
		}
		usage(os.Stderr)
		return 2
	}

	switch args[0] {
	case "-h", "--help", "help":
		usage(os.Stdout)
		return 0
	}

	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(os.Stderr, "halonsh: unknown command %q; run 'halonsh --help' for the list\n", args[0])
		return 2
	}
	return c.run(args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: halonsh [COMMAND] [ARGS...]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "halonsh runs Halon Scripting Language (HSL) scripts and a programmable")
	fmt.Fprintln(w, "outbound MTA. Without a command it starts the interactive REPL.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")

	names := make([]string, 0, len(commands))
	for name := range commands {
		names = append(names, name)
	}
	sort.Strings(names)
	width := 0
	for _, name := range names {
		width = max(width, len(name))
	}
	for _, name := range names {
		fmt.Fprintf(w, "  %s%s  %s\n", name, strings.Repeat(" ", width-len(name)), commands[name].summary)
	}

	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'halonsh COMMAND --help' for the flags of one command.")
}

// helpRequested reports whether args ask for a command's help, which
// then goes to standard output like `halonsh --help` does.
func helpRequested(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help":
			return true
		case "--":
			return false
		}
	}
	return false
}
