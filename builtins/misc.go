package builtins

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/halonsh/halonsh/lang/vm"
)

func init() {
	registerFuncs(map[string]vm.BuiltinFunc{
		"uuid":        builtinUUID,
		"uuidv5":      builtinUUIDv5,
		"gethostname": builtinGethostname,
		"serial":      builtinSerial,
		"syslog":      builtinSyslog,
	})
}

// instance holds the host name and serial that gethostname() and serial()
// return, set by the host through SetHostname and SetSerial.
var instance struct {
	mu       sync.Mutex
	hostname string
	serial   string
}

// SetHostname overrides the host name that gethostname() returns; "" goes
// back to the operating system's name.
func SetHostname(name string) {
	instance.mu.Lock()
	defer instance.mu.Unlock()
	instance.hostname = name
}

// SetSerial sets the instance identifier that serial() returns.
func SetSerial(serial string) {
	instance.mu.Lock()
	defer instance.mu.Unlock()
	instance.serial = serial
}

// serialFileName is the file in the spool directory that keeps a
// generated serial across restarts.
const serialFileName = "serial"

// LoadSerial returns the serial kept in dir, generating and writing a new
// one on first use, and makes it the one serial() returns.
func LoadSerial(dir string) (string, error) {
	path := filepath.Join(dir, serialFileName)
	data, err := os.ReadFile(path)
	if err == nil {
		if serial := strings.TrimSpace(string(data)); serial != "" {
			SetSerial(serial)
			return serial, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("read serial: %w", err)
	}

	serial := uuid.NewString()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(serial+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("write serial: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("write serial: %w", err)
	}
	SetSerial(serial)
	return serial, nil
}

// currentSerial returns the configured serial, or generates one that
// stays the same for the life of the process.
func currentSerial() string {
	instance.mu.Lock()
	defer instance.mu.Unlock()
	if instance.serial == "" {
		instance.serial = uuid.NewString()
	}
	return instance.serial
}

func currentHostname() string {
	instance.mu.Lock()
	name := instance.hostname
	instance.mu.Unlock()
	if name != "" {
		return name
	}
	name, err := os.Hostname()
	if err != nil {
		return "localhost"
	}
	return name
}

func builtinUUID(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	return vm.String(uuid.NewString()), nil
}

func builtinUUIDv5(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	namespace, err := a.str(0, "uuidnamespace")
	if err != nil {
		return vm.None, err
	}
	value, err := a.str(1, "value")
	if err != nil {
		return vm.None, err
	}
	ns, err := uuid.Parse(namespace)
	if err != nil {
		return vm.None, c.Errorf("argument 1 (uuidnamespace) is not a UUID: %q", namespace)
	}
	return vm.String(uuid.NewSHA1(ns, []byte(value)).String()), nil
}

func builtinGethostname(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	return vm.String(currentHostname()), nil
}

func builtinSerial(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 0, 0); err != nil {
		return vm.None, err
	}
	return vm.String(currentSerial()), nil
}

// syslogPriorities are the syslog(3) level names, indexed by level.
var syslogPriorities = [8]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// syslogLevel maps a syslog level to the process log's level.
func syslogLevel(level int) slog.Level {
	switch {
	case level <= 3:
		return slog.LevelError
	case level == 4:
		return slog.LevelWarn
	case level <= 6:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

// builtinSyslog is syslog(priority, message): it writes message to the
// process log. priority is a level name or a number whose low three bits
// are the level (a facility may be added as facility << 3).
func builtinSyslog(c *vm.Call, args []vm.Value) (vm.Value, error) {
	if err := c.Arity(args, 2, 2); err != nil {
		return vm.None, err
	}
	a := newLibArgs(c, args)
	message, err := a.str(1, "message")
	if err != nil {
		return vm.None, err
	}

	level, facility := -1, 0
	switch v := args[0]; v.Kind() {
	case vm.KindString:
		name := strings.ToLower(v.Str())
		for i, p := range syslogPriorities {
			if p == name || name == "error" && i == 3 || name == "warn" && i == 4 {
				level = i
			}
		}
		if level < 0 && isNumericText(name) {
			level = -2 // read as a number below
		}
		if level == -1 {
			return vm.None, c.Errorf("argument 1 (priority) must be one of %s or a number, got %q",
				strings.Join(syslogPriorities[:], ", "), v.Str())
		}
	}
	if level < 0 {
		n, err := a.integer(0, "priority")
		if err != nil {
			return vm.None, err
		}
		if n < 0 {
			return vm.None, c.Errorf("argument 1 (priority) must not be negative, got %d", n)
		}
		level, facility = int(n&7), int(n>>3)
	}

	attrs := []any{"priority", syslogPriorities[level]}
	if facility != 0 {
		attrs = append(attrs, "facility", facility)
	}
	if pos := c.Pos(); pos.IsValid() {
		attrs = append(attrs, "script", pos.String())
	}
	slog.Log(c.Context(), syslogLevel(level), message, attrs...)
	return vm.None, nil
}
