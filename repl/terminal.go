package repl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strings"

	"github.com/chzyer/readline"
)

const (
	prompt         = "hsl> "
	continuePrompt = "...> "
	inputName      = "repl"
)

const helpText = `Enter HSL statements; an expression's value is printed. Input continues
on the next line while a bracket, string or comment is open.

  :help         show this help
  :load FILE    run FILE in this session, keeping its variables and functions
  :reset        forget every variable, function and class
  :quit         leave (Ctrl-D works too)

Tab completes builtin, function, class and variable names.`

// Options configure the terminal loop.
type Options struct {
	// HistoryFile keeps entered lines between sessions; "" keeps none.
	HistoryFile string
	In          io.ReadCloser
	Out, Err    io.Writer
	// Interactive selects line editing; otherwise lines are read plainly
	// and no prompt is shown, for input from a pipe.
	Interactive bool
}

// Run reads inputs until :quit or end of input and returns the exit
// status: 0, or 1 when the terminal could not be set up.
func Run(s *Session, opts Options) int {
	var lines lineReader
	if opts.Interactive {
		rl, err := readline.NewEx(&readline.Config{
			Prompt:          prompt,
			HistoryFile:     opts.HistoryFile,
			AutoComplete:    completer{s},
			InterruptPrompt: "^C",
			EOFPrompt:       ":quit",
			Stdin:           opts.In,
			Stdout:          opts.Out,
			Stderr:          opts.Err,
		})
		if err != nil {
			fmt.Fprintf(opts.Err, "halonsh: cannot start the terminal: %v\n", err)
			return 1
		}
		defer rl.Close()
		lines = &editedLines{rl}
		fmt.Fprintln(opts.Out, "halonsh REPL. Type :help for help, :quit to leave.")
	} else {
		lines = &plainLines{sc: bufio.NewScanner(opts.In)}
	}

	ctx := context.Background()
	var pending strings.Builder
	for {
		p := prompt
		if pending.Len() > 0 {
			p = continuePrompt
		}
		line, err := lines.read(p)
		if errors.Is(err, readline.ErrInterrupt) {
			pending.Reset()
			continue
		}
		if err != nil {
			return 0
		}

		if pending.Len() == 0 {
			if cmd := strings.TrimSpace(line); strings.HasPrefix(cmd, ":") {
				if quit := command(ctx, s, cmd, opts); quit {
					return 0
				}
				continue
			}
			if strings.TrimSpace(line) == "" {
				continue
			}
		}

		pending.WriteString(line)
		pending.WriteString("\n")
		res, err := evalInterruptible(ctx, s, inputName, pending.String(), opts.Interactive)
		if errors.Is(err, ErrIncomplete) {
			continue
		}
		src := pending.String()
		pending.Reset()
		if err != nil {
			showError(opts.Err, err, src)
			continue
		}
		if res.HasValue {
			fmt.Fprintln(opts.Out, Display(res.Value))
		}
	}
}

// evalInterruptible runs src. On a terminal, Ctrl-C during the run
// stops the script, not the REPL: the terminal is in cooked mode then,
// so the key arrives as SIGINT, which cancels the run's context. The
// session keeps its variables and functions.
func evalInterruptible(ctx context.Context, s *Session, name, src string, interactive bool) (Result, error) {
	if !interactive {
		return s.Eval(ctx, name, src)
	}
	ictx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	res, err := s.Eval(ictx, name, src)
	if err != nil && ictx.Err() != nil && ctx.Err() == nil {
		err = errInterrupted
	}
	return res, err
}

// errInterrupted reports a run stopped with Ctrl-C.
var errInterrupted = errors.New("interrupted")

// command runs a `:` command and reports whether to leave.
func command(ctx context.Context, s *Session, cmd string, opts Options) bool {
	name, arg, _ := strings.Cut(cmd, " ")
	arg = strings.TrimSpace(arg)
	switch name {
	case ":quit", ":q", ":exit":
		return true
	case ":help", ":h":
		fmt.Fprintln(opts.Out, helpText)
	case ":reset":
		s.Reset()
		fmt.Fprintln(opts.Out, "session reset")
	case ":load", ":l":
		if arg == "" {
			fmt.Fprintln(opts.Err, ":load needs a file name")
			return false
		}
		src, err := os.ReadFile(arg)
		if err != nil {
			fmt.Fprintf(opts.Err, ":load: %v\n", err)
			return false
		}
		res, err := evalInterruptible(ctx, s, arg, string(src), opts.Interactive)
		if errors.Is(err, ErrIncomplete) {
			err = fmt.Errorf("%s: unexpected end of file", arg)
		}
		if err != nil {
			showError(opts.Err, err, string(src))
			return false
		}
		if res.HasValue {
			fmt.Fprintln(opts.Out, Display(res.Value))
		}
	default:
		fmt.Fprintf(opts.Err, "unknown command %s; :help lists the commands\n", name)
	}
	return false
}

var positionPrefix = regexp.MustCompile(`^([^:\s]+):(\d+):(\d+): `)

// showError prints an error and, for one in the typed input, the line it
// points at with a caret under its column.
func showError(w io.Writer, err error, src string) {
	msg := err.Error()
	fmt.Fprintln(w, msg)

	m := positionPrefix.FindStringSubmatch(msg)
	if m == nil || m[1] != inputName {
		return
	}
	var line, col int
	fmt.Sscan(m[2], &line)
	fmt.Sscan(m[3], &col)
	lines := strings.Split(src, "\n")
	if line < 1 || line > len(lines) || col < 1 {
		return
	}
	text := lines[line-1]
	fmt.Fprintf(w, "  %s\n  %s^\n", text, strings.Repeat(" ", min(col-1, len(text))))
}

type lineReader interface {
	read(prompt string) (string, error)
}

type editedLines struct{ rl *readline.Instance }

func (e *editedLines) read(prompt string) (string, error) {
	e.rl.SetPrompt(prompt)
	return e.rl.Readline()
}

type plainLines struct{ sc *bufio.Scanner }

func (p *plainLines) read(string) (string, error) {
	if !p.sc.Scan() {
		if err := p.sc.Err(); err != nil {
			return "", err
		}
		return "", io.EOF
	}
	return p.sc.Text(), nil
}

// completer offers the session's names for the word before the cursor.
type completer struct{ s *Session }

func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	start := pos
	for start > 0 && isNameRune(line[start-1]) {
		start--
	}
	word := string(line[start:pos])
	if word == "" {
		return nil, 0
	}
	var out [][]rune
	for _, name := range c.s.Names() {
		if strings.HasPrefix(name, word) && name != word {
			out = append(out, []rune(name[len(word):]))
		}
	}
	return out, len([]rune(word))
}

func isNameRune(r rune) bool {
	return r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}
