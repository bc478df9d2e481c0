package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/chzyer/readline"

	"github.com/halonsh/halonsh/builtins"
	"github.com/halonsh/halonsh/ffi"
	"github.com/halonsh/halonsh/lang/vm"
	"github.com/halonsh/halonsh/repl"
)

func init() {
	register(&command{
		name:    "repl",
		summary: "start the interactive HSL shell (also what halonsh does without a command)",
		run:     runREPL,
	})
}

func runREPL(args []string) int {
	fs := flag.NewFlagSet("repl", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `Usage: halonsh [repl] [flags]

Starts the interactive HSL shell: line editing, a history file, multi-line
input while brackets are open, the value of each expression printed, and
variables and functions kept between inputs. Type :help inside for its
commands. Without a terminal on standard input it reads statements from
it without prompts.

Flags:`)
		fs.PrintDefaults()
	}
	home, _ := os.UserHomeDir()
	defaultHistory := ""
	if home != "" {
		defaultHistory = filepath.Join(home, ".halonsh_history")
	}
	history := fs.String("history", defaultHistory, "file that keeps entered lines between sessions; empty keeps none")
	noFFI := fs.Bool("no-ffi", false, "disable the FFI class, so scripts cannot load C libraries")
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
		return usageError("repl: unexpected argument %q", fs.Arg(0))
	}

	lib := vm.NewLibrary()
	builtins.Install(lib)
	ffi.Install(lib, ffi.Config{Enabled: !*noFFI})
	session := repl.NewSession(lib, os.Stdout, replHost{ffi.NewSession()})
	return repl.Run(session, repl.Options{
		HistoryFile: *history,
		In:          os.Stdin,
		Out:         os.Stdout,
		Err:         os.Stderr,
		Interactive: readline.DefaultIsTerminal(),
	})
}

// replHost keeps one FFI session for the whole REPL session, so a C
// callback made in one input still works in the next.
type replHost struct{ session *ffi.Session }

func (h replHost) FFISession() *ffi.Session { return h.session }
