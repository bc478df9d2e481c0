// Package config loads smtpd.yaml, the MTA's main configuration: inbound
// listeners, the spool directory, the DNS resolver, transports with their
// source IPs, next hop and retry schedule, hook script paths and the
// control API listener.
//
// Key names follow Halon's smtpd.yaml where Halon has one (servers,
// listeners, spool, resolver, transportgroups with retry and dsn,
// transports with connection and session, scripting.hooks, api). Every
// error names the file, line, column and key path, for example
//
//	smtpd.yaml:14:20: transportgroups[0].retry.intervals: invalid duration "5x": ...
//
// Keys that are absent take the defaults documented on each type, so an
// empty file is a working configuration: one listener on 127.0.0.1:2525,
// delivery by MX lookup, a spool directory "spool" under the working
// directory.
package config

import (
	_ "embed"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// FileName is the name of the main configuration file in a configuration
// directory.
const FileName = "smtpd.yaml"

// PolicyFileNames are the queue policy files that may sit beside
// FileName: the policies, and configured suspends.
var PolicyFileNames = []string{"smtpd-policy.yaml", "smtpd-suspend.yaml"}

//go:embed default.yaml
var defaultYAML []byte

// Config is one loaded smtpd.yaml with defaults applied.
type Config struct {
	// File is the path the configuration came from; "(embedded)/smtpd.yaml"
	// when the directory has no smtpd.yaml.
	File string
	// Dir is the configuration directory. Relative script and policy paths
	// are resolved against it.
	Dir string

	Servers    []Server
	Spool      Spool
	Resolver   Resolver
	Queues     Queues
	Transports []*Transport // in file order; the first is the default
	Scripting  Scripting
	API        API
	// PolicyFiles are the queue policy files found in Dir, in the order of
	// PolicyFileNames.
	PolicyFiles []string
}

// Server is one inbound SMTP server with its listeners.
type Server struct {
	ID string
	// Hostname is the greeting and EHLO-reply name; default the host
	// name. The first server's is also the MTA's own name in outbound
	// EHLO (for transports without one) and in DSNs.
	Hostname  string
	Listeners []Listener
	// Transport is the transport id given to accepted mail; default the
	// first transport.
	Transport string
	// MaxConnections caps simultaneous inbound sessions (default 1000).
	MaxConnections int
	// Clients are the networks whose hosts may connect (default the
	// loopback networks, 127.0.0.0/8 and ::1/128). Accepted mail is
	// relayed, so this is what keeps the server from being an open relay.
	Clients []netip.Prefix
	// MaxMessageSize is the largest accepted message in bytes (default
	// 25 MiB).
	MaxMessageSize int64
	// MaxRecipients caps RCPT TO per transaction (default 1000).
	MaxRecipients int
	ReadTimeout   time.Duration // default 5m
	WriteTimeout  time.Duration // default 5m
}

// Listener is one address the server accepts connections on.
type Listener struct {
	Address string // IP address; default 127.0.0.1
	Port    int    // default 2525; 0 picks a free port
}

// HostPort returns the listener address in net.Dial form.
func (l Listener) HostPort() string {
	return net.JoinHostPort(l.Address, strconv.Itoa(l.Port))
}

// Spool is the durable message store. A message is always durable before
// the client gets 250.
type Spool struct {
	// Path is the spool directory; default "spool", relative to the
	// working directory.
	Path string
}

// Resolver is the DNS resolver used for MX and address lookups.
type Resolver struct {
	// Address is the server's IP:port; "" uses the nameservers of
	// /etc/resolv.conf, in order.
	Address string
	Timeout time.Duration // per query, default 5s
	// CacheSize is the maximum number of cached DNS responses (default
	// 10000).
	CacheSize int
}

// Queues holds settings of the outbound queue as a whole.
type Queues struct {
	// Concurrency caps delivery attempts in flight over all sub-queues
	// (default 25000). Queue policies limit each sub-queue below that.
	Concurrency int
	// AttemptLog is a file that receives every attempt as a JSON line,
	// relative to the working directory; "" disables it.
	AttemptLog string
}

// Transport defines how entries with its id are delivered and retried.
type Transport struct {
	ID    string
	Group string // id of the transport group it was declared in

	// SourceIPs are the local addresses to connect from, tried in order
	// for the queue policy's localip field. Empty means the system picks.
	SourceIPs []SourceIP
	// Server, when set, is a fixed next hop (IP address or host name)
	// used instead of MX lookup; Port is its port (default 25).
	Server string
	Port   int

	HELO string // default the host name
	// TLS is disabled, optional (STARTTLS when offered, the default),
	// optional_verify, require or require_verify.
	TLS string

	ConnectTimeout time.Duration // default 30s
	// CommandTimeout applies to each command reply, DataTimeout to the
	// reply after the message data (defaults 5m and 10m).
	CommandTimeout time.Duration
	DataTimeout    time.Duration
	// MaxMessagesPerConnection caps how many messages one connection
	// carries before it is closed (default 1000).
	MaxMessagesPerConnection int

	Retry Retry
	// OnExpire is the action past the retry count or maximum age: "bounce"
	// (a DSN to the sender, the default) or "delete".
	OnExpire string
	// DSNTransport is the transport id of generated DSNs (default this
	// transport).
	DSNTransport string
}

// SourceIP is one local address a transport may connect from.
type SourceIP struct {
	ID      string // default the address
	Address string
	HELO    string // default the transport's HELO
}

// Retry is a transport's retry policy.
type Retry struct {
	// Intervals is the delay after each failed attempt (default
	// "1m, 5m*2, 15m*2, 30m*2, 1h").
	Intervals Schedule
	// Count is the maximum number of attempts (default 30).
	Count int
	// MaxAge is the longest an entry stays queued, counted from when it was
	// queued (default 5 days).
	MaxAge time.Duration
	// Jitter spreads each scheduled delay uniformly by up to this fraction
	// either way (default 0.1), so entries deferred together come back at
	// different times. Delays set by a hook are not spread.
	Jitter float64
}

// Scripting holds the hook scripts, as absolute paths ("" when unset),
// and what they may do through FFI.
type Scripting struct {
	PreDelivery  string
	PostDelivery string
	// FFILibraries are the paths or sonames that FFI(...) may load in hook
	// scripts; empty keeps FFI off.
	FFILibraries []string
	// FFIMaxAllocation is the largest FFI::allocate size in bytes; 0
	// means the FFI default.
	FFIMaxAllocation int64
}

// API is the HTTP control API listener.
type API struct {
	Address   string // host:port; "" disables the API
	Token     string // bearer token
	TokenFile string // file holding the token, read at load
	// CertFile and KeyFile, when set, make the API serve HTTPS with this
	// PEM certificate chain and key (paths relative to the directory).
	CertFile string
	KeyFile  string
}

// Transport returns the transport with the given id, or nil.
func (c *Config) Transport(id string) *Transport {
	for _, t := range c.Transports {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// DefaultTransport returns the first transport.
func (c *Config) DefaultTransport() *Transport {
	return c.Transports[0]
}

// Load reads dir/smtpd.yaml, or the embedded defaults when the directory
// has no such file, and notes the policy files that exist in dir.
// The error is an ErrorList when the file is invalid.
func Load(dir string) (*Config, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("configuration directory: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("configuration directory %s: not a directory", dir)
	}

	path := filepath.Join(dir, FileName)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		path, data = "(embedded)/"+FileName, defaultYAML
	case err != nil:
		return nil, err
	}

	cfg, err := Parse(path, data, dir)
	if err != nil {
		return nil, err
	}
	for _, name := range PolicyFileNames {
		if path := filepath.Join(dir, name); fileExists(path) {
			cfg.PolicyFiles = append(cfg.PolicyFiles, path)
		}
	}
	return cfg, nil
}

// Parse decodes smtpd.yaml content. name is used in error positions and
// dir resolves relative script paths.
func Parse(name string, data []byte, dir string) (*Config, error) {
	d := &decoder{file: name}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, ErrorList{yamlError(name, err)}
	}

	cfg := &Config{File: name, Dir: dir}
	var doc *yaml.Node
	if len(root.Content) > 0 {
		doc = root.Content[0]
	}
	var raw rawConfig
	raw.decode(d, doc)
	if len(d.errs) == 0 {
		raw.build(d, cfg)
	}
	if len(d.errs) > 0 {
		return nil, d.errs
	}
	return cfg, nil
}

// yamlError turns a yaml.v3 syntax error ("yaml: line 3: ...") into a
// positioned Error.
func yamlError(name string, err error) *Error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	e := &Error{File: name, Msg: msg}
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if line, err := strconv.Atoi(num); err == nil {
				e.Line, e.Msg = line, tail
			}
		}
	}
	return e
}

func fileExists(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir()
}

func validIP(s string) bool {
	_, err := netip.ParseAddr(s)
	return err == nil
}
