package config

import (
	"crypto/tls"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// rawConfig is the decoded file before cross-checks: values with defaults
// applied, plus the nodes that later checks point errors at.
type rawConfig struct {
	servers     []Server
	serverNodes []*yaml.Node // transport value node of each server, for errors
	spool       Spool
	resolver    Resolver
	queues      Queues
	transports  []*Transport
	dsnNodes    []keyedNode // dsn.transport of each transport, for unknown ids
	transNodes  []keyedNode // each transport, for duplicate ids
	hooks       Scripting
	hookNodes   map[string]*yaml.Node
	api         API
	apiNode     *yaml.Node
}

func (r *rawConfig) decode(d *decoder, doc *yaml.Node) {
	r.spool = Spool{Path: "spool"}
	r.resolver = Resolver{Timeout: 5 * time.Second, CacheSize: 10000}
	r.queues = Queues{Concurrency: 25000}
	r.hookNodes = map[string]*yaml.Node{}

	var version string
	d.mapping(doc, "", map[string]field{
		"version": d.str(&version),
		"servers": func(n *yaml.Node, key string) {
			d.list(n, key, func(i int, v *yaml.Node, key string) { r.decodeServer(d, i, v, key) })
		},
		"spool": func(n *yaml.Node, key string) {
			d.mapping(n, key, map[string]field{
				"path": d.str(&r.spool.Path),
			})
		},
		"resolver": func(n *yaml.Node, key string) {
			d.mapping(n, key, map[string]field{
				"address": func(n *yaml.Node, key string) {
					d.str(&r.resolver.Address)(n, key)
					if a := r.resolver.Address; a != "" {
						if _, err := netip.ParseAddrPort(a); err != nil {
							d.errorf(n, key, "invalid DNS server %q: want IP:port, such as 127.0.0.1:53", a)
						}
					}
				},
				"timeout":   d.duration(&r.resolver.Timeout),
				"cachesize": d.integer(&r.resolver.CacheSize, 0),
			})
		},
		"queues": func(n *yaml.Node, key string) {
			d.mapping(n, key, map[string]field{
				"concurrency": d.integer(&r.queues.Concurrency, 1),
				"attemptlog":  d.str(&r.queues.AttemptLog),
			})
		},
		"transportgroups": func(n *yaml.Node, key string) {
			d.list(n, key, func(i int, v *yaml.Node, key string) { r.decodeGroup(d, i, v, key) })
		},
		"scripting": func(n *yaml.Node, key string) {
			d.mapping(n, key, map[string]field{
				"hooks": func(n *yaml.Node, key string) {
					d.mapping(n, key, map[string]field{
						"predelivery":  r.hook(d, &r.hooks.PreDelivery, "predelivery"),
						"postdelivery": r.hook(d, &r.hooks.PostDelivery, "postdelivery"),
					})
				},
				"ffi": func(n *yaml.Node, key string) {
					d.mapping(n, key, map[string]field{
						"libraries": func(n *yaml.Node, key string) {
							r.hooks.FFILibraries = nil
							d.list(n, key, func(_ int, v *yaml.Node, key string) {
								if lib, ok := d.scalar(v, key); ok && lib != "" {
									r.hooks.FFILibraries = append(r.hooks.FFILibraries, lib)
								} else if ok {
									d.errorf(v, key, "empty library name")
								}
							})
						},
						"maxallocation": d.size(&r.hooks.FFIMaxAllocation),
					})
				},
			})
		},
		"api": func(n *yaml.Node, key string) {
			r.apiNode = n
			d.mapping(n, key, map[string]field{
				"address":   d.str(&r.api.Address),
				"token":     d.str(&r.api.Token),
				"tokenfile": d.str(&r.api.TokenFile),
				"tls": func(n *yaml.Node, key string) {
					d.mapping(n, key, map[string]field{
						"certfile": d.str(&r.api.CertFile),
						"keyfile":  d.str(&r.api.KeyFile),
					})
				},
			})
		},
	})
}

func (r *rawConfig) hook(d *decoder, dst *string, name string) field {
	return func(n *yaml.Node, key string) {
		d.str(dst)(n, key)
		r.hookNodes[name] = n
	}
}

func (r *rawConfig) decodeServer(d *decoder, i int, n *yaml.Node, key string) {
	s := Server{
		ID:             fmt.Sprintf("server%d", i),
		MaxConnections: 1000,
		MaxMessageSize: 25 << 20,
		MaxRecipients:  1000,
		Clients:        loopbackClients(),
		ReadTimeout:    5 * time.Minute,
		WriteTimeout:   5 * time.Minute,
	}
	var transportNode *yaml.Node
	d.mapping(n, key, map[string]field{
		"id":       d.str(&s.ID),
		"hostname": d.str(&s.Hostname),
		"transport": func(n *yaml.Node, key string) {
			transportNode = n
			d.str(&s.Transport)(n, key)
		},
		"clients": func(n *yaml.Node, key string) {
			s.Clients = []netip.Prefix{}
			d.list(n, key, func(_ int, v *yaml.Node, key string) {
				text, ok := d.scalar(v, key)
				if !ok {
					return
				}
				p, err := parseClient(text)
				if err != nil {
					d.errorf(v, key, "invalid network %q: want an IP address or a CIDR prefix such as 192.0.2.0/24", text)
					return
				}
				s.Clients = append(s.Clients, p)
			})
			if len(s.Clients) == 0 {
				d.errorf(n, key, "empty list: no host could connect; leave the key out for the loopback default, or list 0.0.0.0/0 and ::/0 to allow every host")
			}
		},
		"listeners": func(n *yaml.Node, key string) {
			d.list(n, key, func(_ int, v *yaml.Node, key string) {
				l := Listener{Address: "127.0.0.1", Port: 2525}
				d.mapping(v, key, map[string]field{
					"address": d.str(&l.Address),
					"port":    d.integer(&l.Port, 0),
				})
				if !validIP(l.Address) {
					d.errorf(v, key+".address", "invalid IP address %q", l.Address)
				}
				if l.Port > 65535 {
					d.errorf(v, key+".port", "port %d out of range 0-65535", l.Port)
				}
				s.Listeners = append(s.Listeners, l)
			})
		},
		"limits": func(n *yaml.Node, key string) {
			d.mapping(n, key, map[string]field{
				"connections": d.integer(&s.MaxConnections, 1),
				"messagesize": d.size(&s.MaxMessageSize),
				"recipients":  d.integer(&s.MaxRecipients, 1),
			})
		},
		"timeouts": func(n *yaml.Node, key string) {
			d.mapping(n, key, map[string]field{
				"read":  d.duration(&s.ReadTimeout),
				"write": d.duration(&s.WriteTimeout),
			})
		},
	})
	if len(s.Listeners) == 0 {
		s.Listeners = []Listener{{Address: "127.0.0.1", Port: 2525}}
	}
	r.servers = append(r.servers, s)
	r.serverNodes = append(r.serverNodes, transportNode)
}

// decodeGroup decodes one transport group. The group's retry, dsn,
// connection and session settings are defaults for its transports, which
// may override each key.
func (r *rawConfig) decodeGroup(d *decoder, i int, n *yaml.Node, key string) {
	group := defaultTransport()
	group.Group = fmt.Sprintf("transportgroups[%d]", i)
	var dsnNode keyedNode
	var transports *yaml.Node
	var transportsKey string

	fields := transportFields(d, group, &dsnNode)
	fields["id"] = d.str(&group.Group)
	fields["transports"] = func(n *yaml.Node, key string) { transports, transportsKey = n, key }
	d.mapping(n, key, fields)

	d.list(transports, transportsKey, func(j int, v *yaml.Node, key string) {
		t := *group
		t.SourceIPs = append([]SourceIP(nil), group.SourceIPs...)
		t.Retry.Intervals = append(Schedule(nil), group.Retry.Intervals...)
		t.ID = ""
		tDSN := dsnNode
		fields := transportFields(d, &t, &tDSN)
		fields["id"] = d.str(&t.ID)
		d.mapping(v, key, fields)
		if t.ID == "" {
			d.errorf(v, key+".id", "missing transport id")
		}
		r.transports = append(r.transports, &t)
		r.dsnNodes = append(r.dsnNodes, tDSN)
		r.transNodes = append(r.transNodes, keyedNode{v, key})
	})
}

func defaultTransport() *Transport {
	intervals, _ := ParseSchedule("1m, 5m*2, 15m*2, 30m*2, 1h")
	return &Transport{
		Port:                     25,
		TLS:                      "optional",
		ConnectTimeout:           30 * time.Second,
		CommandTimeout:           5 * time.Minute,
		DataTimeout:              10 * time.Minute,
		MaxMessagesPerConnection: 1000,
		Retry: Retry{
			Intervals: intervals,
			Count:     30,
			MaxAge:    5 * 24 * time.Hour,
			Jitter:    0.1,
		},
		OnExpire: "bounce",
	}
}

// transportFields are the keys shared by a transport group and a
// transport.
func transportFields(d *decoder, t *Transport, dsnNode *keyedNode) map[string]field {
	return map[string]field{
		"retry": func(n *yaml.Node, key string) {
			d.mapping(n, key, map[string]field{
				"intervals": func(n *yaml.Node, key string) { decodeIntervals(d, n, key, &t.Retry.Intervals) },
				"count":     d.integer(&t.Retry.Count, 1),
				"maxage":    d.duration(&t.Retry.MaxAge),
				"jitter": func(n *yaml.Node, key string) {
					s, ok := d.scalar(n, key)
					if !ok {
						return
					}
					v, err := parseFraction(s)
					if err != nil {
						d.errorf(n, key, "%v", err)
						return
					}
					t.Retry.Jitter = v
				},
			})
		},
		"dsn": func(n *yaml.Node, key string) {
			d.mapping(n, key, map[string]field{
				"transport": func(n *yaml.Node, key string) {
					*dsnNode = keyedNode{n, key}
					d.str(&t.DSNTransport)(n, key)
				},
				"onexpire": func(n *yaml.Node, key string) {
					s, ok := d.scalar(n, key)
					if !ok {
						return
					}
					if s != "bounce" && s != "delete" {
						d.errorf(n, key, "expected bounce or delete, got %q", s)
						return
					}
					t.OnExpire = s
				},
			})
		},
		"connection": func(n *yaml.Node, key string) {
			d.mapping(n, key, map[string]field{
				"server": d.str(&t.Server),
				"port": func(n *yaml.Node, key string) {
					d.integer(&t.Port, 1)(n, key)
					if t.Port > 65535 {
						d.errorf(n, key, "port %d out of range 1-65535", t.Port)
					}
				},
				"sourceip": func(n *yaml.Node, key string) {
					t.SourceIPs = nil
					d.list(n, key, func(_ int, v *yaml.Node, key string) {
						var ip SourceIP
						if v.Kind == yaml.ScalarNode {
							ip.Address = v.Value
						} else {
							d.mapping(v, key, map[string]field{
								"id":      d.str(&ip.ID),
								"address": d.str(&ip.Address),
								"helo":    d.str(&ip.HELO),
							})
						}
						if !validIP(ip.Address) {
							d.errorf(v, key, "invalid IP address %q", ip.Address)
						}
						if ip.ID == "" {
							ip.ID = ip.Address
						}
						t.SourceIPs = append(t.SourceIPs, ip)
					})
				},
				"timeout":  d.duration(&t.ConnectTimeout),
				"maxreuse": d.integer(&t.MaxMessagesPerConnection, 1),
			})
		},
		"session": func(n *yaml.Node, key string) {
			d.mapping(n, key, map[string]field{
				"helo": d.str(&t.HELO),
				"tls": func(n *yaml.Node, key string) {
					s, ok := d.scalar(n, key)
					if !ok {
						return
					}
					switch s {
					case "disabled", "optional", "optional_verify", "require", "require_verify":
						t.TLS = s
					default:
						d.errorf(n, key, "expected disabled, optional, optional_verify, require or require_verify, got %q", s)
					}
				},
				"timeouts": func(n *yaml.Node, key string) {
					d.mapping(n, key, map[string]field{
						"command": d.duration(&t.CommandTimeout),
						"data":    d.duration(&t.DataTimeout),
					})
				},
			})
		},
	}
}

// decodeIntervals reads a retry schedule either as one string
// ("1m, 5m*2, 1h") or as a list whose items are such strings, numbers of
// seconds, or Halon's {interval: SECONDS} mappings.
func decodeIntervals(d *decoder, n *yaml.Node, key string, dst *Schedule) {
	var out Schedule
	add := func(v *yaml.Node, key, s string) {
		more, err := ParseSchedule(s)
		if err != nil {
			d.errorf(v, key, "%v", err)
			return
		}
		out = append(out, more...)
	}
	switch n.Kind {
	case yaml.ScalarNode:
		add(n, key, n.Value)
	case yaml.SequenceNode:
		d.list(n, key, func(_ int, v *yaml.Node, key string) {
			if v.Kind == yaml.MappingNode {
				var s string
				d.mapping(v, key, map[string]field{"interval": d.str(&s)})
				add(v, key+".interval", s)
				return
			}
			if s, ok := d.scalar(v, key); ok {
				add(v, key, s)
			}
		})
	default:
		d.errorf(n, key, "expected a schedule such as \"1m, 5m*2, 1h\" or a list of intervals")
		return
	}
	if len(out) == 0 {
		d.errorf(n, key, "empty retry schedule")
		return
	}
	*dst = out
}

// parseFraction reads "10%" or "0.1" as 0.1; the value must be in [0, 1).
func parseFraction(s string) (float64, error) {
	var v float64
	var err error
	if p, ok := strings.CutSuffix(strings.TrimSpace(s), "%"); ok {
		_, err = fmt.Sscanf(p, "%g", &v)
		v /= 100
	} else {
		_, err = fmt.Sscanf(s, "%g", &v)
	}
	if err != nil || v < 0 || v >= 1 {
		return 0, fmt.Errorf("invalid jitter %q: expected a fraction from 0 to below 1, such as 0.1 or 10%%", s)
	}
	return v, nil
}

// build checks references between sections and fills in the Config.
func (r *rawConfig) build(d *decoder, cfg *Config) {
	if len(r.transports) == 0 {
		t := defaultTransport()
		t.ID, t.Group = "mx", "default"
		r.transports = []*Transport{t}
		r.dsnNodes = []keyedNode{{}}
		r.transNodes = []keyedNode{{}}
	}
	ids := map[string]bool{}
	for i, t := range r.transports {
		if ids[t.ID] {
			d.errorf(r.transNodes[i].node, r.transNodes[i].key, "duplicate transport id %q", t.ID)
		}
		ids[t.ID] = true
	}
	for i, t := range r.transports {
		if t.DSNTransport == "" {
			t.DSNTransport = t.ID
		} else if !ids[t.DSNTransport] {
			d.errorf(r.dsnNodes[i].node, r.dsnNodes[i].key, "unknown transport %q", t.DSNTransport)
		}
	}

	if len(r.servers) == 0 {
		r.servers = []Server{{
			ID: "inbound", MaxConnections: 1000, MaxMessageSize: 25 << 20, MaxRecipients: 1000,
			ReadTimeout: 5 * time.Minute, WriteTimeout: 5 * time.Minute,
			Listeners: []Listener{{Address: "127.0.0.1", Port: 2525}},
		}}
		r.serverNodes = []*yaml.Node{nil}
	}
	for i := range r.servers {
		s := &r.servers[i]
		if s.Transport == "" {
			s.Transport = r.transports[0].ID
		} else if !ids[s.Transport] {
			d.errorf(r.serverNodes[i], fmt.Sprintf("servers[%d].transport", i), "unknown transport %q", s.Transport)
		}
	}

	for name, n := range r.hookNodes {
		dst := &r.hooks.PreDelivery
		if name == "postdelivery" {
			dst = &r.hooks.PostDelivery
		}
		if *dst == "" {
			continue
		}
		if !filepath.IsAbs(*dst) {
			*dst = filepath.Join(cfg.Dir, *dst)
		}
		if !fileExists(*dst) {
			d.errorf(n, "scripting.hooks."+name, "script %s not found", *dst)
		}
	}

	if r.api.TokenFile != "" {
		path := r.api.TokenFile
		if !filepath.IsAbs(path) {
			path = filepath.Join(cfg.Dir, path)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			d.errorf(r.apiNode, "api.tokenfile", "cannot read token: %v", err)
		} else {
			r.api.Token = strings.TrimSpace(string(data))
		}
	}
	if (r.api.CertFile == "") != (r.api.KeyFile == "") {
		d.errorf(r.apiNode, "api.tls", "certfile and keyfile go together: give both or neither")
	}
	for _, f := range []*string{&r.api.CertFile, &r.api.KeyFile} {
		if *f != "" && !filepath.IsAbs(*f) {
			*f = filepath.Join(cfg.Dir, *f)
		}
	}
	if r.api.CertFile != "" && r.api.KeyFile != "" {
		if _, err := tls.LoadX509KeyPair(r.api.CertFile, r.api.KeyFile); err != nil {
			d.errorf(r.apiNode, "api.tls", "cannot load the certificate and key: %v", err)
		}
	}
	if r.api.Address != "" && r.api.Token == "" {
		d.errorf(r.apiNode, "api.token", "missing token: the API requires a bearer token (token or tokenfile)")
	}

	cfg.Servers = r.servers
	cfg.Spool = r.spool
	cfg.Resolver = r.resolver
	cfg.Queues = r.queues
	cfg.Transports = r.transports
	cfg.Scripting = r.hooks
	cfg.API = r.api
}

// keyedNode is a YAML node with its key path, for errors found after
// decoding.
type keyedNode struct {
	node *yaml.Node
	key  string
}

// loopbackClients is the default of servers[].clients.
func loopbackClients() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}

// parseClient reads one entry of servers[].clients: a prefix, or an
// address that stands for itself alone.
func parseClient(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
