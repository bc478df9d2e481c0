package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"

	"github.com/halonsh/halonsh/mta/config"
	"github.com/halonsh/halonsh/mta/delivery"
	"github.com/halonsh/halonsh/mta/queue"
	"github.com/halonsh/halonsh/mta/spool"
)

// outbound makes the queue's attempts with the delivery client, reading
// each message's data from the spool.
type outbound struct {
	spool  *spool.Spool
	client *delivery.Client
	cfg    *atomic.Pointer[config.Config]
}

func (o *outbound) Deliver(ctx context.Context, a *queue.Attempt) *queue.Result {
	cfg := o.cfg.Load()
	t := cfg.Transport(a.Message.TransportID)
	if t == nil {
		t = cfg.DefaultTransport()
	}

	data := &lazyData{spool: o.spool, id: a.Message.TransactionID}
	defer data.Close()

	req := &delivery.Request{
		Sender:     a.Message.Sender,
		Recipients: []string{a.Message.Recipient},
		Data:       data,
		Size:       a.Message.Size,
		MaxReuse:   t.MaxMessagesPerConnection,
		TLS:        delivery.TLSMode(t.TLS),
		Timeouts: delivery.Timeouts{
			Connect: t.ConnectTimeout,
			Mail:    t.CommandTimeout,
			Rcpt:    t.CommandTimeout,
			Data:    t.CommandTimeout,
			EOD:     t.DataTimeout,
		},
	}
	if a.Options.TLS != "" {
		req.TLS = delivery.TLSMode(a.Options.TLS)
	}
	if a.Options.ConnectTimeout > 0 {
		req.Timeouts.Connect = a.Options.ConnectTimeout
	}
	if a.SourceIP.Address != "" {
		ip, _ := netip.ParseAddr(a.SourceIP.Address)
		req.Source = delivery.Source{ID: a.SourceIP.ID, IP: ip, HELO: a.SourceIP.HELO}
	}
	if a.Options.HELO != "" {
		req.Source.HELO = a.Options.HELO
	} else if req.Source.HELO == "" {
		req.Source.HELO = t.HELO
	}
	setDestination(req, a.Hops)

	attempts := o.client.Deliver(ctx, req)
	if len(attempts) == 0 {
		return &queue.Result{Error: &queue.AttemptError{Temporary: true, Type: "protocol", Message: "delivery returned no outcome"}}
	}
	return convertAttempt(&attempts[0])
}

// lazyData opens a message's data at the first read and closes it at the
// end of the data. An attempt then holds the spool file open only while it
// sends the data, not while it waits for a slow server, so the number of
// connections in flight is not capped by the file descriptors of both.
type lazyData struct {
	spool *spool.Spool
	id    string
	r     *spool.DataReader
	done  bool
}

func (d *lazyData) Read(p []byte) (int, error) {
	if d.done {
		return 0, io.EOF
	}
	if d.r == nil {
		r, err := d.spool.Data(d.id)
		if err != nil {
			return 0, fmt.Errorf("reading message %s from the spool: %w", d.id, err)
		}
		d.r = r
	}
	n, err := d.r.Read(p)
	if err == io.EOF {
		d.Close()
		d.done = true
	}
	return n, err
}

// Close releases the spool file if it is still open.
func (d *lazyData) Close() error {
	if d.r == nil {
		return nil
	}
	err := d.r.Close()
	d.r = nil
	return err
}

// setDestination turns the queue's hops into the request's hosts: hops of
// the same MX become one host with several addresses. A hop without an
// address (a pre-delivery host override by name) becomes a next hop that
// the client looks up.
func setDestination(req *delivery.Request, hops []queue.Hop) {
	if len(hops) == 0 {
		return
	}
	req.Port = hops[0].Port
	if hops[0].IP == "" {
		req.NextHop = net.JoinHostPort(hops[0].MX, strconv.Itoa(hops[0].Port))
		return
	}
	for _, h := range hops {
		ip, err := netip.ParseAddr(h.IP)
		if err != nil {
			continue
		}
		if n := len(req.Hosts); n > 0 && req.Hosts[n-1].Host == h.MX {
			req.Hosts[n-1].Addrs = append(req.Hosts[n-1].Addrs, ip)
			continue
		}
		req.Hosts = append(req.Hosts, delivery.Host{MX: delivery.MX{Host: h.MX}, Addrs: []netip.Addr{ip}})
	}
}

func convertAttempt(a *delivery.Attempt) *queue.Result {
	r := &queue.Result{Duration: a.Duration, Delivered: a.Delivered()}
	if a.Result != nil {
		res := &queue.SMTPResult{Code: a.Result.Code, Reason: a.Result.Lines, State: string(a.Result.State)}
		if a.Result.Enhanced != [3]int{} {
			res.Enhanced = a.Result.Enhanced[:]
		}
		if res.Reason == nil {
			res.Reason = []string{}
		}
		r.SMTP = res
	}
	if a.Error != nil {
		r.Error = convertError(a.Error)
	}
	if c := a.Connection; c != nil {
		r.Connection = &queue.ConnectionInfo{
			ID: c.ID, Transactions: c.Transactions, LocalIP: c.LocalIP, LocalIPID: c.LocalIPID,
			HELO: c.HELO, RemoteIP: c.RemoteIP, RemoteMX: c.RemoteMX, RemoteGreet: c.RemoteGreeting,
		}
		if c.TLS.Started {
			r.Connection.TLS = &queue.TLSInfo{Started: true, Protocol: c.TLS.Protocol, Cipher: c.TLS.Cipher, KeySize: c.TLS.KeySize}
		}
	}
	return r
}

func convertError(e *delivery.AttemptError) *queue.AttemptError {
	return &queue.AttemptError{Temporary: e.Temporary, Message: e.Message, Type: string(e.Type), DNS: string(e.DNS)}
}

// router resolves next hops for the queue with the delivery resolver.
type router struct {
	resolver *delivery.Resolver
}

func (r *router) Resolve(ctx context.Context, domain string) ([]queue.Hop, error) {
	hosts, err := r.resolver.Resolve(ctx, domain)
	if err != nil {
		return nil, routeError(err)
	}
	var hops []queue.Hop
	for _, h := range hosts {
		for _, a := range h.Addrs {
			hops = append(hops, queue.Hop{MX: h.Host, IP: a.String()})
		}
	}
	return hops, nil
}

func (r *router) ResolveHost(ctx context.Context, host string) ([]string, error) {
	addrs, err := r.resolver.LookupAddrs(ctx, host)
	if err != nil {
		return nil, routeError(err)
	}
	out := make([]string, len(addrs))
	for i, a := range addrs {
		out[i] = a.String()
	}
	return out, nil
}

func routeError(err error) error {
	var ae *delivery.AttemptError
	if errors.As(err, &ae) {
		return &queue.RouteError{Temporary: ae.Temporary, DNS: string(ae.DNS), Err: err}
	}
	return &queue.RouteError{Temporary: true, DNS: "other", Err: err}
}
