// Package server wires the MTA together: the spool, the inbound SMTP
// servers, the queue with its policy engine and hooks, and the delivery
// client. It loads smtpd.yaml and smtpd-policy.yaml from one directory,
// drains on Shutdown and swaps in a validated configuration on Reload.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/halonsh/halonsh/mta/config"
	"github.com/halonsh/halonsh/mta/delivery"
	"github.com/halonsh/halonsh/mta/logbuf"
	"github.com/halonsh/halonsh/mta/policy"
	"github.com/halonsh/halonsh/mta/queue"
	"github.com/halonsh/halonsh/mta/smtpd"
	"github.com/halonsh/halonsh/mta/spool"
)

// HookEnv holds the parts of the running MTA that a HookLoader builds
// hooks on.
type HookEnv struct {
	Policy *policy.Engine
	Queue  *queue.Queue
	Logger *slog.Logger
}

// HookLoader compiles the hook scripts a configuration names and returns
// the hooks to run. It is called at start and on every reload; an error
// keeps the running hooks.
type HookLoader func(cfg *config.Config, env HookEnv) (queue.Hooks, error)

// Options configure a Server.
type Options struct {
	// ConfigDir holds smtpd.yaml and smtpd-policy.yaml.
	ConfigDir string
	// SpoolDir, when set, replaces the configured spool path.
	SpoolDir string
	// LoadHooks builds the hooks; nil is ScriptHooks.
	LoadHooks HookLoader
	// Clock is the queue's and the policy engine's time; nil is the wall
	// clock.
	Clock  queue.Clock
	Logger *slog.Logger
}

// Server is a running MTA.
type Server struct {
	opts Options
	log  *slog.Logger
	cfg  atomic.Pointer[config.Config]
	// bound is the configuration whose listeners and spool are in use:
	// those change only at a restart.
	bound  *config.Config
	spool  *spool.Spool
	client *delivery.Client
	engine *policy.Engine
	queue  *queue.Queue

	smtpds     []*smtpd.Server
	listeners  []net.Listener
	attemptLog io.Closer
	journal    *attemptJournal

	reloadMu sync.Mutex
	stop     chan struct{}
	wg       sync.WaitGroup
}

// New loads the configuration, opens the spool (recovering what it holds)
// and binds the listeners. Nothing is accepted or delivered until Start.
func New(opts Options) (*Server, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = queue.SystemClock{}
	}
	s := &Server{opts: opts, log: opts.Logger, stop: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			s.closeResources()
		}
	}()

	cfg, err := config.Load(opts.ConfigDir)
	if err != nil {
		return nil, err
	}
	s.cfg.Store(cfg)
	s.bound = cfg
	polCfg, err := loadPolicy(cfg)
	if err != nil {
		return nil, err
	}

	spoolDir := cfg.Spool.Path
	if opts.SpoolDir != "" {
		spoolDir = opts.SpoolDir
	}
	sp, recovered, err := spool.Open(spoolDir, spool.Options{Logger: s.log})
	if err != nil {
		return nil, err
	}
	s.spool = sp
	journal, started, err := openJournal(spoolDir, s.log)
	if err != nil {
		return nil, err
	}
	s.journal = journal

	resolver, err := newResolver(cfg.Resolver)
	if err != nil {
		return nil, err
	}
	// The MTA's own name, for the EHLO of transports that set none and
	// for the DSNs it writes: the first server's hostname, else the OS's.
	hostname, _ := os.Hostname()
	if len(cfg.Servers) > 0 && cfg.Servers[0].Hostname != "" {
		hostname = cfg.Servers[0].Hostname
	}
	if hostname == "" {
		hostname = "localhost"
	}
	// Each attempt carries its transport's connection.maxreuse; the
	// default transport's is the client's fallback.
	def := cfg.DefaultTransport()
	s.client = delivery.NewClient(delivery.Config{
		Resolver:           resolver,
		HELO:               hostname,
		MaxMessagesPerConn: def.MaxMessagesPerConnection,
		Logger:             s.log,
	})
	s.engine = policy.New(polCfg, policy.WithClock(opts.Clock), policy.WithLogger(s.log))

	var attemptLog io.Writer
	if path := cfg.Queues.AttemptLog; path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
		if err != nil {
			return nil, fmt.Errorf("attempt log: %w", err)
		}
		buf := logbuf.New(f, logbuf.DefaultInterval)
		s.attemptLog, attemptLog = &flushingFile{buf, f}, buf
	}

	s.queue, err = queue.New(queue.Options{
		Config:     cfg,
		Store:      &spoolStore{spool: sp},
		Deliverer:  &outbound{spool: sp, client: s.client, cfg: &s.cfg},
		Router:     &router{resolver: resolver},
		Admission:  &admission{engine: s.engine, idle: s.idleConnection},
		Clock:      opts.Clock,
		Logger:     s.log,
		AttemptLog: attemptLog,
		Hostname:   hostname,
		Journal:    journal,
	})
	if err != nil {
		return nil, err
	}
	hooks, err := s.loadHooks(cfg)
	if err != nil {
		return nil, err
	}
	s.queue.SetHooks(hooks)

	for _, sc := range cfg.Servers {
		srv := smtpd.NewServer(smtpd.Config{
			ServerID:        sc.ID,
			Hostname:        sc.Hostname,
			MaxMessageBytes: sc.MaxMessageSize,
			MaxRecipients:   sc.MaxRecipients,
			MaxConnections:  sc.MaxConnections,
			Clients:         sc.Clients,
			Timeout:         sc.ReadTimeout,
			WriteTimeout:    sc.WriteTimeout,
			Logger:          s.log,
		}, &inbound{spool: sp, queue: s.queue, transport: sc.Transport})
		s.smtpds = append(s.smtpds, srv)
		for _, l := range sc.Listeners {
			ln, err := net.Listen("tcp", l.HostPort())
			if err != nil {
				return nil, fmt.Errorf("server %s: %w", sc.ID, err)
			}
			s.listeners = append(s.listeners, &servedListener{Listener: ln, srv: srv})
		}
	}

	entries, cutShort := 0, 0
	for _, m := range recovered {
		msgs := queueMessages(m)
		entries += len(msgs)
		cut, rest := interrupted(msgs, started)
		cutShort += len(cut)
		s.queue.Add(rest...)
		s.queue.AddInterrupted(cut...)
	}
	s.log.Info("queue restored from the spool", "dir", spoolDir, "messages", len(recovered), "entries", entries, "interrupted", cutShort)
	ok = true
	return s, nil
}

// servedListener remembers which SMTP server serves a listener.
type servedListener struct {
	net.Listener
	srv *smtpd.Server
}

func loadPolicy(cfg *config.Config) (*policy.Config, error) {
	if len(cfg.PolicyFiles) == 0 {
		return nil, nil
	}
	return policy.LoadFiles(cfg.PolicyFiles...)
}

func (s *Server) loadHooks(cfg *config.Config) (queue.Hooks, error) {
	load := s.opts.LoadHooks
	if load == nil {
		load = ScriptHooks
	}
	return load(cfg, HookEnv{Policy: s.engine, Queue: s.queue, Logger: s.log})
}

// newResolver uses the configured DNS server, or the first nameserver of
// /etc/resolv.conf.
func newResolver(rc config.Resolver) (*delivery.Resolver, error) {
	servers := []string{rc.Address}
	if rc.Address == "" {
		servers = []string{"127.0.0.1:53"}
		if conf, err := dns.ClientConfigFromFile("/etc/resolv.conf"); err == nil && len(conf.Servers) > 0 {
			servers = nil
			for _, host := range conf.Servers {
				servers = append(servers, net.JoinHostPort(host, conf.Port))
			}
		}
	}
	return delivery.NewResolver(delivery.ResolverConfig{Servers: servers, Timeout: rc.Timeout, MaxEntries: rc.CacheSize})
}

// Start accepts mail on every listener and starts delivering.
func (s *Server) Start() {
	s.queue.Start()
	for _, l := range s.listeners {
		sl := l.(*servedListener)
		s.log.Info("listening", "addr", sl.Addr().String())
		go func() {
			if err := sl.srv.Serve(sl.Listener); err != nil {
				s.log.Error("listener stopped", "addr", sl.Addr().String(), "err", err)
			}
		}()
	}

	// Idle policy sub-queues and expired dynamic entries are swept now and
	// then, so the engine's memory follows the live traffic.
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				s.engine.Sweep()
			}
		}
	}()
}

// Addrs returns the addresses the SMTP listeners are bound to.
func (s *Server) Addrs() []net.Addr {
	out := make([]net.Addr, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = l.Addr()
	}
	return out
}

// Queue returns the running queue.
func (s *Server) Queue() *queue.Queue { return s.queue }

// Policy returns the running policy engine.
func (s *Server) Policy() *policy.Engine { return s.engine }

// Config returns the running configuration.
func (s *Server) Config() *config.Config { return s.cfg.Load() }

// Shutdown drains the MTA. The listeners stop accepting and open sessions
// get until ctx ends to finish. The queue picks up nothing more and lets
// the attempts in flight end; when ctx ends first it cancels them, which
// requeues them. Then the spool is closed in a consistent state.
func (s *Server) Shutdown(ctx context.Context) error {
	s.log.Info("draining")
	var errs []error
	for _, srv := range s.smtpds {
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
	}
	if err := s.queue.Stop(ctx); err != nil {
		s.log.Warn("attempts cancelled at shutdown were requeued", "err", err)
	}
	close(s.stop)
	s.wg.Wait()
	// Every attempt has concluded or been requeued: nothing is cut short.
	errs = append(errs, s.journal.Close(true))
	errs = append(errs, s.closeResources())
	s.log.Info("stopped")
	return errors.Join(errs...)
}

func (s *Server) closeResources() error {
	var errs []error
	for _, l := range s.listeners {
		l.Close()
	}
	if s.client != nil {
		errs = append(errs, s.client.Close())
	}
	if s.journal != nil {
		errs = append(errs, s.journal.Close(false))
	}
	if s.spool != nil {
		errs = append(errs, s.spool.Close())
	}
	if s.attemptLog != nil {
		errs = append(errs, s.attemptLog.Close())
	}
	return errors.Join(errs...)
}

// Reload loads the configuration, policy file and hook scripts again and
// swaps them in only when all of them are valid. Otherwise the running
// ones stay and the returned error names the file, line and key. Listener and spool changes take effect
// at the next start.
func (s *Server) Reload() error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()

	cfg, err := config.Load(s.opts.ConfigDir)
	if err != nil {
		return err
	}
	polCfg, err := loadPolicy(cfg)
	if err != nil {
		return err
	}
	hooks, err := s.loadHooks(cfg)
	if err != nil {
		return err
	}

	if polCfg == nil {
		polCfg = &policy.Config{}
	}
	s.engine.Reload(polCfg)
	s.cfg.Store(cfg)
	s.queue.SetConfig(cfg)
	s.queue.SetHooks(hooks)
	if !sameListeners(s.bound, cfg) {
		s.log.Warn("changes to servers and spool take effect at the next start; the running ones stay")
	}
	s.log.Info("configuration reloaded", "file", cfg.File, "policy", cfg.PolicyFiles)
	return nil
}

func sameListeners(a, b *config.Config) bool {
	return a.Spool == b.Spool && fmt.Sprint(a.Servers) == fmt.Sprint(b.Servers)
}

// idleConnection reports whether the delivery client holds an open
// connection for the destination of f.
func (s *Server) idleConnection(f *queue.Fields) bool {
	return f.RemoteIP != "" && s.client.HasIdle(f.RemoteMX, f.RemoteIP, f.LocalIP)
}

// flushingFile closes the attempt log: the buffered lines first, then the
// file.
type flushingFile struct {
	buf  *logbuf.Writer
	file *os.File
}

func (f *flushingFile) Close() error {
	return errors.Join(f.buf.Close(), f.file.Close())
}
