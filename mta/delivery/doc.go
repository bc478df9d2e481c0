// Package delivery sends queued messages to remote SMTP servers.
//
// A [Client] resolves where a message goes, connects from the chosen source
// address, speaks SMTP with github.com/emersion/go-smtp's client and returns
// one [Attempt] per recipient: the server's reply with the SMTP state it
// answered in, or an error that says whether it is temporary, together with
// the connection's addresses, TLS details and the duration.
//
// # Routing
//
// Without a fixed next hop, the recipient domain's MX records are looked up
// through the configured DNS servers with github.com/miekg/dns and cached
// for their TTL ([Resolver]). Hosts are tried lowest preference first, and
// each host's addresses in turn, moving on when a connection cannot be
// made or the server answers its greeting with an error. A domain without
// MX records is its own mail host (the implicit MX of RFC 5321 section
// 5.1). A null MX (RFC 7505) and a domain that does not exist fail
// permanently. [Request.NextHop] replaces the lookup with a fixed server
// and port.
//
// # Connections
//
// After a transaction the connection goes back to a pool keyed by source
// address, MX name, remote address and TLS policy, and the next message to
// the same place reuses it, up to [Config.MaxMessagesPerConn] messages and
// for at most [Config.IdleTimeout] between messages. The pool is split into
// shards with their own locks, so concurrent deliveries to different
// destinations do not contend.
//
// STARTTLS is used when the server offers it, unless the policy is
// [TLSDisabled]; [TLSRequire] and [TLSRequireVerify] fail the attempt when
// it is not offered. Every SMTP state has its own timeout ([Timeouts]).
package delivery
