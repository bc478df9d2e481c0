package hooks

import (
	"sort"
	"strings"

	"github.com/halonsh/halonsh/lang/vm"
	"github.com/halonsh/halonsh/mta/queue"
)

// arrayBuilder builds an HSL array with string keys in insertion order,
// which is the order scripts see in foreach and json_encode.
type arrayBuilder struct{ a *vm.Array }

func newArray() arrayBuilder { return arrayBuilder{vm.NewArray(8)} }

func (b arrayBuilder) set(key string, v vm.Value) arrayBuilder {
	b.a.SetStr(key, v)
	return b
}

func (b arrayBuilder) str(key, s string) arrayBuilder         { return b.set(key, vm.String(s)) }
func (b arrayBuilder) num(key string, n float64) arrayBuilder { return b.set(key, vm.Number(n)) }
func (b arrayBuilder) value() vm.Value                        { return vm.ArrayValue(b.a) }

func stringList(ss []string) vm.Value {
	vals := make([]vm.Value, len(ss))
	for i, s := range ss {
		vals[i] = vm.String(s)
	}
	return vm.ArrayValue(vm.NewList(vals))
}

func intList(ns []int) vm.Value {
	vals := make([]vm.Value, len(ns))
	for i, n := range ns {
		vals[i] = vm.Int(n)
	}
	return vm.ArrayValue(vm.NewList(vals))
}

// stringMap converts a map to an array ordered by key, so the same map
// always gives the same array.
func stringMap(m map[string]string) vm.Value {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := newArray()
	for _, k := range keys {
		b.str(k, m[k])
	}
	return b.value()
}

// address is the Address array of an envelope address: localpart and
// domain, split at the last "@".
func address(addr string) vm.Value {
	local, domain := addr, ""
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		local, domain = addr[:at], addr[at+1:]
	}
	return newArray().str("localpart", local).str("domain", domain).value()
}

// messageValue builds $message of the queue contexts.
func messageValue(m *queue.Message) vm.Value {
	id := newArray().str("transaction", m.TransactionID).num("queue", float64(m.Index))

	dsn := newArray()
	if m.DSN.EnvID != "" {
		dsn.str("envid", m.DSN.EnvID)
	}
	if m.DSN.Ret != "" {
		dsn.str("ret", m.DSN.Ret)
	}
	if len(m.DSN.Notify) > 0 {
		dsn.set("notify", stringList(m.DSN.Notify))
	}
	if m.DSN.ORcpt != "" {
		dsn.str("orcpt", m.DSN.ORcpt)
	}

	var ts float64
	if !m.ReceivedAt.IsZero() {
		ts = float64(m.ReceivedAt.UnixNano()) / 1e9
	}

	return newArray().
		set("id", id.value()).
		num("ts", ts).
		str("serverid", m.ServerID).
		str("sender", strings.ToLower(m.Sender)).
		set("senderaddress", address(m.Sender)).
		str("recipient", strings.ToLower(m.Recipient)).
		set("recipientaddress", address(m.Recipient)).
		str("transportid", m.TransportID).
		str("tenantid", m.TenantID).
		str("jobid", m.JobID).
		num("priority", float64(m.Priority)).
		num("size", float64(m.Size)).
		set("dsn", dsn.value()).
		value()
}

// attemptValue builds $arguments["attempt"] from an attempt result.
func attemptValue(r *queue.Result) vm.Value {
	b := newArray()
	if s := r.SMTP; s != nil {
		res := newArray().num("code", float64(s.Code))
		if len(s.Enhanced) == 3 {
			res.set("enhanced", intList(s.Enhanced))
		}
		res.set("reason", stringList(s.Reason)).str("state", s.State)
		b.set("result", res.value())
	}
	if e := r.Error; e != nil {
		errArr := newArray().
			set("temporary", vm.Bool(e.Temporary)).
			str("message", e.Message).
			str("type", e.Type)
		if e.DNS != "" {
			errArr.str("dns", e.DNS)
		}
		b.set("error", errArr.value())
	}
	if c := r.Connection; c != nil {
		conn := newArray()
		if c.ID != "" {
			conn.str("id", c.ID)
		}
		conn.num("transactions", float64(c.Transactions)).
			str("localip", c.LocalIP)
		if c.LocalIPID != "" {
			conn.str("localipid", c.LocalIPID)
		}
		if c.HELO != "" {
			conn.str("helo", c.HELO)
		}
		conn.str("remoteip", c.RemoteIP).str("remotemx", c.RemoteMX)
		if len(c.RemoteGreet) > 0 {
			conn.set("remotegreet", stringList(c.RemoteGreet))
		}
		if t := c.TLS; t != nil {
			tls := newArray().set("started", vm.Bool(t.Started))
			if t.Protocol != "" {
				tls.str("protocol", t.Protocol)
			}
			if t.Cipher != "" {
				tls.str("cipher", t.Cipher)
			}
			if t.KeySize > 0 {
				tls.num("keysize", float64(t.KeySize))
			}
			conn.set("tls", tls.value())
		}
		b.set("connection", conn.value())
	}
	b.num("duration", r.Duration.Seconds())
	return b.value()
}

// policyValue builds $arguments["policy"] from the policies that gave
// limits to the attempt's pickup.
func policyValue(info *queue.PolicyInfo) vm.Value {
	policies := vm.NewArray(len(info.Policies))
	for _, p := range info.Policies {
		item := newArray().set("fields", stringList(p.Fields))
		if p.Condition != nil {
			cond := newArray()
			for _, field := range p.Fields {
				values, ok := p.Condition[field]
				switch {
				case !ok:
				case len(values) == 1:
					cond.str(field, values[0])
				default:
					cond.set(field, stringList(values))
				}
			}
			item.set("condition", cond.value())
		} else {
			item.set("condition", vm.None)
		}
		item.set("tags", stringList(p.Tags)).set("properties", stringMap(p.Properties))
		if p.Stop != nil {
			item.set("stop", vm.Bool(*p.Stop))
		}
		if p.Cluster != nil {
			item.set("cluster", vm.Bool(*p.Cluster))
		}

		dynamic := vm.NewArray(len(p.Dynamic))
		for _, d := range p.Dynamic {
			_ = dynamic.Append(newArray().str("id", d.ID).str("tag", d.Tag).value())
		}
		item.set("dynamic", vm.ArrayValue(dynamic))
		_ = policies.Append(item.value())
	}
	return newArray().set("tags", stringList(info.Tags)).set("policies", vm.ArrayValue(policies)).value()
}

// dsnValue builds $arguments["dsn"].
func dsnValue(d *queue.DSNInfo) vm.Value {
	return newArray().
		str("action", d.Action).
		set("status", intList(d.Status[:])).
		str("diagnostictype", d.DiagnosticType).
		str("diagnosticcode", d.DiagnosticCode).
		value()
}
